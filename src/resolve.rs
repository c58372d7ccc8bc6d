//! Stage 3: a plan and the library become packets — the small, serialisable view models that the
//! HTML, Markdown and Typst layouts see.
//!
//! Everything a layout needs is decided here, in the patient's language: texts, the fields of the
//! requested level, the dated day blocks up to the next session. Layouts never see the domain
//! types, so they cannot reach what a patient must not read (ids, file paths, the secret).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::i18n::{self, Strings};
use crate::load::Site;
use crate::markdown::{self, Block};
use crate::model::{FieldType, Frequency, Homework, Localized, Plan, Session, Task};
use crate::token::Secret;
use crate::validate::plain_date;

/// Days of blocks when a session has no `next`.
const DEFAULT_DAYS: i64 = 7;

/// One session's packet for one patient: what every layout of that packet sees.
#[derive(Debug, Clone, Serialize)]
pub struct Packet {
    /// The public folder name (an unguessable token).
    pub token: String,
    /// The packet's language.
    pub lang: String,
    /// The patient's name as printed.
    pub patient: String,
    /// The therapist's name.
    pub therapist: String,
    /// The clinic's name.
    pub clinic: String,
    /// `a4` or `us-letter`.
    pub paper: &'static str,
    /// The session the packet is handed over at.
    pub date: DateView,
    /// The next session, if planned.
    pub next: Option<DateView>,
    /// The packet's public address.
    pub url: String,
    /// The homework, in the order the plan gives it.
    pub tasks: Vec<TaskView>,
    /// Interface words in the packet's language.
    pub t: BTreeMap<String, String>,
}

/// A date, machine- and human-readable.
#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    /// `2026-11-26`.
    pub iso: String,
    /// "jueves, 26 de noviembre de 2026".
    pub long: String,
    /// "Jueves, 26 de noviembre".
    pub heading: String,
    /// "Jue 26/11".
    pub short: String,
}

impl DateView {
    fn new(date: NaiveDate, lang: &str) -> Self {
        DateView {
            iso: date.to_string(),
            long: i18n::long_date(date, lang),
            heading: i18n::day_heading(date, lang),
            short: i18n::short_day(date, lang),
        }
    }
}

/// Markdown rendered for each output.
#[derive(Debug, Clone, Serialize)]
pub struct Rich {
    /// Safe HTML.
    pub html: String,
    /// Escaped Markdown.
    pub md: String,
    /// The document model, for Typst.
    pub blocks: Vec<Block>,
}

impl Rich {
    fn new(source: &str) -> Self {
        let blocks = markdown::parse(source);
        Rich { html: markdown::to_html(&blocks), md: markdown::to_markdown(&blocks), blocks }
    }
}

/// One homework assignment as it is printed.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    /// The homework id, used as the task page's file name.
    pub id: String,
    /// The sort of sheet (`self-registration`, `relaxation`, …): layouts choose from it.
    pub kind: &'static str,
    /// The sheet's title.
    pub title: String,
    /// Why this helps.
    pub purpose: Rich,
    /// How, when, where.
    pub instructions: Rich,
    /// What is new at this level.
    pub intro: Option<Rich>,
    /// The therapist's personal note.
    pub note: Option<Rich>,
    /// Minutes per day or use.
    pub minutes: u32,
    /// `daily`, `once` or `per-situation`.
    pub frequency: &'static str,
    /// "10 min · every day until Wednesday 2 December", localised.
    pub when: String,
    /// The level given, from 1.
    pub level: i64,
    /// How many levels the template has.
    pub levels: usize,
    /// The columns of this level.
    pub columns: Vec<ColumnView>,
    /// The blocks of rows: one per day for daily tasks, one otherwise.
    pub blocks: Vec<RowBlock>,
    /// Whether the sheet is wide enough to need a landscape page.
    pub landscape: bool,
}

/// One column of a sheet.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnView {
    /// The field id.
    pub id: String,
    /// The header.
    pub label: String,
    /// A short question under the header.
    pub hint: Option<String>,
    /// `text`, `scale`, `percent`, `check`, `date` or `time`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A scale's lowest value.
    pub min: i64,
    /// A scale's highest value.
    pub max: i64,
}

/// A group of rows to fill in, dated for daily tasks.
#[derive(Debug, Clone, Serialize)]
pub struct RowBlock {
    /// The day, for daily tasks.
    pub date: Option<DateView>,
    /// How many rows to write in.
    pub rows: u32,
}

/// What the private index knows of a packet.
#[derive(Debug, Clone, Serialize)]
pub struct PacketLink {
    /// The patient's id (file stem): private side only.
    pub patient_id: String,
    /// The patient's name.
    pub patient: String,
    /// The session date.
    pub date: String,
    /// The public folder name.
    pub token: String,
    /// The full public address to send to the patient.
    pub url: String,
    /// The homework titles, in the clinic's default language.
    pub tasks: Vec<String>,
}

/// Everything a build renders.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Every packet of every patient.
    pub packets: Vec<Packet>,
    /// The private index's rows, one per packet, in the same order.
    pub links: Vec<PacketLink>,
}

/// Resolves every session of every plan into a packet. Assumes the site validated.
pub fn resolve_site(site: &Site, strings: &Strings, secret: &Secret) -> Resolved {
    let mut packets = Vec::new();
    let mut links = Vec::new();
    for plan in site.plans.values() {
        for session in &plan.value.sessions {
            let Some(packet) =
                resolve_packet(site, &plan.value, session, PacketIds { patient_id: &plan.id, secret, strings })
            else {
                continue;
            };
            links.push(PacketLink {
                patient_id: plan.id.clone(),
                patient: packet.patient.clone(),
                date: packet.date.iso.clone(),
                token: packet.token.clone(),
                url: packet.url.clone(),
                tasks: packet.tasks.iter().map(|t| t.title.clone()).collect(),
            });
            packets.push(packet);
        }
    }
    Resolved { packets, links }
}

/// Who a packet is for, and what its token and words come from.
struct PacketIds<'a> {
    patient_id: &'a str,
    secret: &'a Secret,
    strings: &'a Strings,
}

fn resolve_packet(site: &Site, plan: &Plan, session: &Session, ids: PacketIds<'_>) -> Option<Packet> {
    let lang = plan.language.get_ref().clone();
    let date = plain_date(session.date.get_ref())?;
    let next = session.next.as_ref().and_then(|n| plain_date(n.get_ref()));
    let token = ids.secret.packet_token(ids.patient_id, date);
    let clinic = &site.clinic.value;
    let url = format!("{}/{token}/", clinic.base_url.trim_end_matches('/'));
    let days = Days { first: date, next };
    let tasks = session
        .tasks
        .iter()
        .filter_map(|task| {
            let homework = &site.homework.get(task.homework.get_ref())?.value;
            Some(resolve_task(task, homework, &lang, ids.strings, days))
        })
        .collect();
    Some(Packet {
        token,
        patient: plan.name.clone(),
        therapist: plan.therapist.clone(),
        clinic: clinic.name.clone(),
        paper: clinic.paper.name(),
        date: DateView::new(date, &lang),
        next: next.map(|n| DateView::new(n, &lang)),
        url,
        tasks,
        t: ids.strings.for_language(&lang),
        lang,
    })
}

/// The days a packet covers: from the session to the day before the next one.
#[derive(Clone, Copy)]
struct Days {
    first: NaiveDate,
    next: Option<NaiveDate>,
}

impl Days {
    fn list(self) -> Vec<NaiveDate> {
        let end = self.next.unwrap_or(self.first + Duration::days(DEFAULT_DAYS));
        self.first.iter_days().take_while(|d| *d < end).collect()
    }
}

fn text(localized: &Localized, lang: &str) -> String {
    localized.get_ref().get(lang).cloned().unwrap_or_default()
}

fn resolve_task(task: &Task, homework: &Homework, lang: &str, strings: &Strings, days: Days) -> TaskView {
    let level_index = usize::try_from(*task.level.get_ref() - 1).unwrap_or(0);
    let level = &homework.levels.get_ref()[level_index];
    let columns: Vec<ColumnView> = level
        .fields
        .iter()
        .filter_map(|id| {
            let field = homework.fields.get(id.get_ref())?;
            Some(ColumnView {
                id: id.get_ref().clone(),
                label: text(&field.label, lang),
                hint: field.hint.as_ref().map(|h| text(h, lang)).filter(|h| !h.is_empty()),
                kind: field.kind.get_ref().name(),
                min: field.min.as_ref().map_or(0, |m| *m.get_ref()),
                max: field
                    .max
                    .as_ref()
                    .map_or(if *field.kind.get_ref() == FieldType::Percent { 100 } else { 10 }, |m| *m.get_ref()),
            })
        })
        .collect();
    let rows = level.rows.as_ref().map(|r| *r.get_ref());
    let day_list = days.list();
    let blocks = match homework.frequency {
        Frequency::Daily => {
            day_list.iter().map(|d| RowBlock { date: Some(DateView::new(*d, lang)), rows: rows.unwrap_or(1) }).collect()
        }
        Frequency::Once => vec![RowBlock { date: None, rows: rows.unwrap_or(3) }],
        Frequency::PerSituation => vec![RowBlock { date: None, rows: rows.unwrap_or(5) }],
    };
    // Portrait A4 has ~18 cm for the table: a day column, ~2.3 cm per narrow column and at least
    // ~3.5 cm per text column to write in; anything wider is laid out on a landscape page.
    let text_columns = columns.iter().filter(|c| c.kind == "text").count() as f32;
    let narrow_columns = columns.len() as f32 - text_columns;
    let landscape = 2.1 + 2.3 * narrow_columns + 3.5 * text_columns > 18.0;
    let when = when_line(homework, lang, strings, day_list.last().copied());
    TaskView {
        id: task.homework.get_ref().clone(),
        kind: homework.kind.name(),
        title: text(&homework.title, lang),
        purpose: Rich::new(&text(&homework.purpose, lang)),
        instructions: Rich::new(&text(&homework.instructions, lang)),
        intro: level.intro.as_ref().map(|i| Rich::new(&text(i, lang))),
        note: task.note.as_deref().filter(|n| !n.trim().is_empty()).map(Rich::new),
        minutes: homework.minutes,
        frequency: homework.frequency.key(),
        when,
        level: *task.level.get_ref(),
        levels: homework.levels.get_ref().len(),
        landscape,
        columns,
        blocks,
    }
}

/// "10 min · every day, until Wednesday 2 December" in the packet's language.
fn when_line(homework: &Homework, lang: &str, strings: &Strings, last_day: Option<NaiveDate>) -> String {
    let minutes = strings.get("minutes-short", lang).replace("{n}", &homework.minutes.to_string());
    let how_often = strings.get(&format!("frequency-{}", homework.frequency.key()), lang);
    let until = last_day.map(|d| strings.get("until", lang).replace("{date}", &i18n::weekday_date(d, lang)));
    match until {
        Some(until) => format!("{minutes} · {how_often} · {until}"),
        None => format!("{minutes} · {how_often}"),
    }
}
