//! The end-of-therapy booklet: every task the patient was given across the course, in order, with
//! why it helps, charts of the ratings they filled in online across the course, and their
//! warning-signs plan — one page (HTML) and one PDF they keep.
//!
//! Built when the last session of a plan gives the `review` homework (the article: review all
//! previous homework and know how to react to difficulties). It shows no statuses: never a grade;
//! the charts are the patient's own numbers, only the days they answered.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::charts::{self, Answered, Chart, Span};
use super::{DateView, HistoryItem, Packet, TaskView, history, task};
use crate::answers::AnswerFile;
use crate::i18n::Strings;
use crate::load::Site;
use crate::model::{Kind, Plan, Session};

/// The booklet a patient keeps.
#[derive(Debug, Clone, Serialize)]
pub struct Booklet {
    /// The packet folder it lives in.
    pub token: String,
    /// Its language.
    pub lang: String,
    /// Interface words.
    pub t: BTreeMap<String, String>,
    /// The patient's name.
    pub patient: String,
    /// The therapist's name.
    pub therapist: String,
    /// The clinic's name.
    pub clinic: String,
    /// `a4` or `us-letter`.
    pub paper: &'static str,
    /// The "designed with errors" style.
    pub perfectionism: bool,
    /// Larger type, as the plan asks for every sheet.
    pub large_print: bool,
    /// The last session (the booklet's date).
    pub date: DateView,
    /// The first session of the course.
    pub first: DateView,
    /// Every task given, in the order first given.
    pub items: Vec<HistoryItem>,
    /// The latest warning-signs plan, as its sheet shows it.
    pub warning_signs: Option<TaskView>,
    /// The ratings the patient filled in online, across the course: one chart per homework (and
    /// range of its rated columns) with answers.
    pub charts: Vec<Chart>,
}

/// What a booklet is made from: the plan's sessions in order, its earlier packets and imported
/// answers, and the last session's packet.
pub(crate) struct BookletSource<'a> {
    /// The site.
    pub site: &'a Site,
    /// The patient's plan.
    pub plan: &'a Plan,
    /// Its sessions in order.
    pub sessions: &'a [(NaiveDate, &'a Session)],
    /// Interface words.
    pub strings: &'a Strings,
    /// The packets of the plan's earlier sessions, in order.
    pub earlier: &'a [Packet],
    /// The plan's imported answers, by session date.
    pub answers: Option<&'a BTreeMap<String, AnswerFile>>,
}

/// The booklet for `packet`, the packet of the plan's last session.
pub(crate) fn resolve_booklet(source: &BookletSource<'_>, packet: &Packet) -> Booklet {
    let BookletSource { site, plan, sessions, strings, .. } = *source;
    let lang = packet.lang.as_str();
    let items = history(site, sessions, lang);
    let mut warning_signs = sessions.iter().rev().find_map(|(date, session)| {
        session.tasks.iter().find_map(|t| {
            let hw = &site.homework.get(t.homework.get_ref())?.value;
            (hw.kind == Kind::WarningSigns).then(|| {
                let days = [*date];
                let context = task::TaskContext { lang, strings, days: &days, plan, history: &[], previous: &[] };
                task::resolve_task(t, hw, &context)
            })
        })
    });
    if let (Some(plan_sheet), Some(answers)) = (warning_signs.as_mut(), source.answers) {
        add_own_words(plan_sheet, sessions, answers);
    }
    let first = sessions.first().map_or(packet.date.clone(), |(d, _)| DateView::new(*d, lang));
    Booklet {
        token: packet.token.clone(),
        lang: packet.lang.clone(),
        t: packet.t.clone(),
        patient: packet.patient.clone(),
        therapist: packet.therapist.clone(),
        clinic: packet.clinic.clone(),
        paper: packet.paper,
        perfectionism: packet.perfectionism,
        large_print: packet.large_print,
        date: packet.date.clone(),
        first,
        items,
        warning_signs,
        charts: course_charts(source, packet),
    }
}

/// Adds what the patient wrote online in their warning-signs sheets (every session that gave it,
/// in order; a line once) to what was agreed in session: the plan they keep is theirs too.
fn add_own_words(sheet: &mut TaskView, sessions: &[(NaiveDate, &Session)], answers: &BTreeMap<String, AnswerFile>) {
    for (date, _) in sessions {
        let Some(file) = answers.get(&date.to_string()) else { continue };
        for column in &mut sheet.columns {
            let Some(text) = file.answers.get(&crate::answers::section_key(&sheet.id, "s", &column.id)) else {
                continue;
            };
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if !column.prefill.iter().any(|p| p == line) {
                    column.prefill.push(line.to_string());
                }
            }
        }
    }
}

/// Every homework's ratings across the course: its sheets of every packet whose answers were
/// imported, in date order, homework in the order first given.
fn course_charts(source: &BookletSource<'_>, packet: &Packet) -> Vec<Chart> {
    let Some(answers) = source.answers else { return Vec::new() };
    let packets: Vec<&Packet> = source.earlier.iter().chain([packet]).collect();
    let mut ids: Vec<&str> = Vec::new();
    for task in packets.iter().flat_map(|p| &p.tasks) {
        if !ids.contains(&task.id.as_str()) {
            ids.push(&task.id);
        }
    }
    let words = charts::Words { strings: source.strings, lang: &packet.lang };
    ids.into_iter()
        .flat_map(|id| {
            let parts: Vec<Answered<'_>> = packets
                .iter()
                .filter_map(|p| Some((p.tasks.iter().find(|t| t.id == id)?, &answers.get(&p.date.iso)?.answers)))
                .collect();
            charts::task_charts(&parts, &words, Span::Course)
        })
        .collect()
}
