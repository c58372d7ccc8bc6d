//! The therapist's side of a course: the copy of each session (the review block for its start,
//! the assignments with tarea's proposed levels, the history of every task) and the per-patient
//! summary of the private index, and charts of what the patient filled in online. Therapist-only
//! text (review notes, a plan's `[private]` table) appears here and nowhere else.

use chrono::NaiveDate;
use serde::Serialize;

use super::charts::{self, Chart, Span};
use super::written::{self, WrittenSheet, WrittenWords};
use super::{DateView, Days, Packet, PacketLink, task};
use crate::answers;
use crate::course;
use crate::i18n::Strings;
use crate::load::{Loaded, Site};
use crate::model::{Plan, Session};
use crate::validate::plain_date;

/// One session's therapist copy.
#[derive(Debug, Clone, Serialize)]
pub struct TherapistCopy {
    /// The private pages' language (the clinic's default).
    pub lang: String,
    /// Interface words in that language.
    pub t: std::collections::BTreeMap<String, String>,
    /// The clinic's name.
    pub clinic: String,
    /// The patient's id: the copy's folder under `out/private/`.
    pub patient_id: String,
    /// The patient's name.
    pub patient: String,
    /// The session.
    pub date: DateView,
    /// `early`, `middle` or `late`, when the plan says.
    pub phase: Option<&'static str>,
    /// The packet's public address, to send.
    pub url: String,
    /// The packet's folder name.
    pub token: String,
    /// How the previous session's tasks went.
    pub review: Vec<ReviewRow>,
    /// Whether there was a previous session to review.
    pub has_previous: bool,
    /// This session's assignments.
    pub assigned: Vec<AssignedRow>,
    /// Every task across the course so far.
    pub history: HistoryTable,
    /// The plan's `[private]` notes.
    pub private: Vec<KeyValue>,
    /// What the patient filled in online for this session's packet, once imported.
    pub answers: Option<OnlineAnswers>,
    /// What they filled in for the previous session's packet (reviewed at the start of this
    /// one): a count and a link to that copy, where it is shown.
    pub previous_answers: Option<PreviousAnswers>,
}

/// The previous packet's imported answers, as the review block points to them.
#[derive(Debug, Clone, Serialize)]
pub struct PreviousAnswers {
    /// How many fields were answered.
    pub answered: usize,
    /// Of how many.
    pub fields: usize,
    /// The previous session's copy (a sibling file), at its answers.
    pub href: String,
}

/// A packet's imported answers, as the therapist copy shows them.
#[derive(Debug, Clone, Serialize)]
pub struct OnlineAnswers {
    /// How many of the packet's fields have an answer.
    pub answered: usize,
    /// How many fields the packet's form has.
    pub fields: usize,
    /// When the patient's browser last saved, as it reported it (a long date and time when it is
    /// one, the text itself otherwise).
    pub saved: Option<String>,
    /// The ratings (scale and percent columns), one chart per homework and range.
    pub charts: Vec<Chart>,
    /// Everything answered, sheet by sheet, to read.
    pub written: Vec<WrittenSheet>,
}

/// A reviewed task.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewRow {
    /// The homework's title.
    pub title: String,
    /// The level it was given at.
    pub level: Option<i64>,
    /// `done`, `partial`, `incorrect`, `not-done` or `unrecorded`.
    pub status: &'static str,
    /// The therapist's note.
    pub note: Option<String>,
}

/// An assignment with tarea's proposal.
#[derive(Debug, Clone, Serialize)]
pub struct AssignedRow {
    /// The homework's title.
    pub title: String,
    /// The level the plan gives.
    pub level: i64,
    /// How many levels the homework has.
    pub levels: usize,
    /// The level tarea proposes.
    pub suggested: i64,
    /// Why: `new`, `unreviewed`, `up`, `stay` or `down`.
    pub reason: &'static str,
}

/// Every task × every session: the level given and how it went.
#[derive(Debug, Clone, Serialize, Default)]
pub struct HistoryTable {
    /// The sessions, in order.
    pub dates: Vec<DateView>,
    /// One row per homework.
    pub rows: Vec<HistoryRow>,
}

/// One homework across the sessions.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    /// The homework's title.
    pub title: String,
    /// One cell per session: empty when not given then.
    pub cells: Vec<Option<HistoryCell>>,
}

/// A homework given at one session.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryCell {
    /// The level given.
    pub level: i64,
    /// How it went, once reviewed.
    pub status: Option<&'static str>,
}

/// A line of the plan's `[private]` table.
#[derive(Debug, Clone, Serialize)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value, as text.
    pub value: String,
}

/// One patient in the private index.
#[derive(Debug, Clone, Serialize)]
pub struct PatientSummary {
    /// The plan's id.
    pub id: String,
    /// The patient's name.
    pub name: String,
    /// The therapist.
    pub therapist: String,
    /// The patient's language.
    pub language: String,
    /// Every packet, in session order.
    pub packets: Vec<PacketLink>,
    /// The compliance history at a glance.
    pub history: HistoryTable,
}

/// What the private views of one plan are made from.
pub(crate) struct CopyContext<'a> {
    /// The site.
    pub site: &'a Site,
    /// The patient's plan.
    pub plan: &'a Loaded<Plan>,
    /// Its sessions in order.
    pub sessions: &'a [(NaiveDate, &'a Session)],
    /// The session at hand (its index).
    pub at: usize,
    /// Interface words.
    pub strings: &'a Strings,
    /// The private pages' language.
    pub lang: &'a str,
}

impl CopyContext<'_> {
    fn title(&self, homework: &str) -> String {
        self.site
            .homework
            .get(homework)
            .and_then(|h| h.value.title.get_ref().get(self.lang).cloned())
            .unwrap_or_else(|| homework.to_string())
    }

    fn levels(&self, homework: &str) -> usize {
        self.site.homework.get(homework).map_or(1, |h| h.value.levels.get_ref().len())
    }
}

/// The therapist copy of session `cx.at`, whose packet is `packet`.
pub(crate) fn therapist_copy(cx: &CopyContext<'_>, packet: &Packet) -> TherapistCopy {
    let (date, session) = cx.sessions[cx.at];
    let previous = cx.at.checked_sub(1).map(|i| cx.sessions[i].1);
    // Every task of the previous session appears, recorded or not: a gap is information too.
    let review = previous
        .map(|prev| {
            prev.tasks
                .iter()
                .map(|task| {
                    let id = task.homework.get_ref();
                    let recorded = session.review.iter().find(|r| r.homework.get_ref() == id);
                    ReviewRow {
                        title: cx.title(id),
                        level: Some(*task.level.get_ref()),
                        status: recorded.map_or("unrecorded", |r| r.status.name()),
                        note: recorded.and_then(|r| r.note.clone()),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let assigned = session
        .tasks
        .iter()
        .map(|task| {
            let id = task.homework.get_ref();
            let levels = cx.levels(id);
            let suggestion = course::suggest(cx.sessions, id, levels as i64, cx.at);
            AssignedRow {
                title: cx.title(id),
                level: *task.level.get_ref(),
                levels,
                suggested: suggestion.level(),
                reason: suggestion.key(),
            }
        })
        .collect();
    TherapistCopy {
        lang: cx.lang.to_string(),
        t: cx.strings.for_language(cx.lang),
        clinic: cx.site.clinic.value.name.clone(),
        patient_id: cx.plan.id.clone(),
        patient: cx.plan.value.name.get_ref().clone(),
        date: DateView::new(date, cx.lang),
        phase: session.phase.as_ref().map(|p| p.get_ref().name()),
        url: packet.url.clone(),
        token: packet.token.clone(),
        review,
        has_previous: previous.is_some(),
        assigned,
        history: history_table(cx, cx.at + 1),
        private: private_notes(&cx.plan.value.private),
        answers: online_answers(cx, packet),
        previous_answers: None,
    }
}

/// The answers imported for session `cx.at`'s packet (`library/answers/<patient>/<date>.json`),
/// counted and charted; `None` when there are none.
fn online_answers(cx: &CopyContext<'_>, packet: &Packet) -> Option<OnlineAnswers> {
    let (date, session) = cx.sessions[cx.at];
    let file = cx.site.answers.get(&cx.plan.id)?.get(&date.to_string())?;
    let fields = answers::fields(packet);
    let filled = |f: &answers::Field| {
        file.answers.get(&f.key).is_some_and(|v| !v.trim().is_empty() && (f.kind != "check" || v == "true"))
    };
    let answered = fields.iter().filter(|f| filled(f)).count();
    // The copy speaks the clinic's language, the packet the patient's: the sheets are resolved
    // again in the copy's language for the chart's titles, columns and dates.
    let next = session.next.as_ref().and_then(|n| plain_date(n.get_ref()));
    let days = Days { first: date, next }.list();
    // A review sheet asks about every earlier task: the same history as the packet's.
    let history = super::history(cx.site, &cx.sessions[..cx.at], cx.lang);
    let context =
        task::TaskContext { lang: cx.lang, strings: cx.strings, days: &days, plan: &cx.plan.value, history: &history };
    let words = charts::Words { strings: cx.strings, lang: cx.lang };
    let sheets: Vec<task::TaskView> = session
        .tasks
        .iter()
        .filter_map(|t| Some(task::resolve_task(t, &cx.site.homework.get(t.homework.get_ref())?.value, &context)))
        .collect();
    let charts =
        sheets.iter().flat_map(|sheet| charts::task_charts(&[(sheet, &file.answers)], &words, Span::Session)).collect();
    let written_words =
        WrittenWords { yes: cx.strings.get("form-yes", cx.lang), days_done: cx.strings.get("days-done", cx.lang) };
    let written = sheets.iter().filter_map(|s| written::written_sheet(s, &file.answers, &written_words)).collect();
    let saved = file.saved.as_deref().map(|s| saved_at(s, cx.lang));
    Some(OnlineAnswers { answered, fields: fields.len(), saved, charts, written })
}

/// "domingo, 24 de enero de 2027, 22:03" for the browser's `2027-01-24T22:03:00+01:00` (its own
/// clock, as it reported it); any other text as it is.
fn saved_at(reported: &str, lang: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(reported.trim()) {
        Ok(at) => format!("{}, {}", crate::i18n::long_date(at.date_naive(), lang), at.format("%H:%M")),
        Err(_) => reported.to_string(),
    }
}

/// The per-patient summary of the private index.
pub(crate) fn summary(cx: &CopyContext<'_>, links: &[PacketLink]) -> PatientSummary {
    PatientSummary {
        id: cx.plan.id.clone(),
        name: cx.plan.value.name.get_ref().clone(),
        therapist: cx.plan.value.therapist.get_ref().clone(),
        language: cx.plan.value.language.get_ref().clone(),
        packets: links.to_vec(),
        history: history_table(cx, cx.sessions.len()),
    }
}

/// Every task of the first `upto` sessions, with its level and how it went.
fn history_table(cx: &CopyContext<'_>, upto: usize) -> HistoryTable {
    let sessions = &cx.sessions[..upto.min(cx.sessions.len())];
    let mut ids: Vec<&str> = Vec::new();
    for (_, s) in sessions {
        for t in &s.tasks {
            if !ids.contains(&t.homework.get_ref().as_str()) {
                ids.push(t.homework.get_ref());
            }
        }
    }
    let rows = ids
        .into_iter()
        .map(|id| {
            let mut cells = vec![None; sessions.len()];
            for outcome in course::outcomes(cx.sessions, id, upto) {
                cells[outcome.session] =
                    Some(HistoryCell { level: outcome.level, status: outcome.status.map(|s| s.name()) });
            }
            HistoryRow { title: cx.title(id), cells }
        })
        .collect();
    HistoryTable { dates: sessions.iter().map(|(d, _)| DateView::new(*d, cx.lang)).collect(), rows }
}

fn private_notes(table: &toml::Table) -> Vec<KeyValue> {
    table
        .iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            KeyValue { key: key.clone(), value }
        })
        .collect()
}
