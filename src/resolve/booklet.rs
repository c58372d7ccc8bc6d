//! The end-of-therapy booklet, the patient's toolkit: every technique of the course, in order,
//! with how to use it on their own in a few lines and (in the PDF) an undated blank copy of its
//! sheet at the last level reached to print again; charts of the ratings they filled in online
//! across the course; and their warning-signs plan — one page (HTML) and one PDF they keep.
//!
//! Built when the last session of a plan gives the `review` homework (the article: review all
//! previous homework and know how to react to difficulties). It shows no statuses: never a grade;
//! the charts are the patient's own numbers, only the days they answered.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::charts::{self, Answered, Chart, Span};
use super::{DateView, HistoryItem, Packet, Rich, TaskView, history_log, task};
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
    pub t: crate::i18n::Words,
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
    pub tools: Vec<Tool>,
    /// The latest warning-signs plan, as its sheet shows it.
    pub warning_signs: Option<TaskView>,
    /// The ratings the patient filled in online, across the course: one chart per homework (and
    /// range of its rated columns) with answers.
    pub charts: Vec<Chart>,
}

/// One task of the course as the toolkit keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// What it was and when it was worked on.
    #[serde(flatten)]
    pub item: HistoryItem,
    /// "From 4 January to 8 February · up to level 2 of 5" (no count for a perfectionist patient).
    pub worked: String,
    /// How to do it on one's own, in a few lines.
    pub how: Rich,
    /// For a technique, an undated blank copy of its sheet at the last level reached.
    pub sheet: Option<TaskView>,
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
    let tools = toolkit(source, packet);
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
        // The blank copies close without "we'll talk about it next session": therapy is over.
        t: {
            let mut t = packet.t.clone();
            std::sync::Arc::make_mut(&mut t).insert("how-did-it-go".into(), strings.get("how-did-it-go-alone", lang));
            t
        },
        patient: packet.patient.clone(),
        therapist: packet.therapist.clone(),
        clinic: packet.clinic.clone(),
        paper: packet.paper,
        perfectionism: packet.perfectionism,
        large_print: packet.large_print,
        date: packet.date.clone(),
        first,
        tools,
        warning_signs,
        charts: course_charts(source, packet),
    }
}

/// Every task of the course, in the order first given, as the toolkit keeps it.
fn toolkit(source: &BookletSource<'_>, packet: &Packet) -> Vec<Tool> {
    let BookletSource { site, plan, sessions, strings, .. } = *source;
    let lang = packet.lang.as_str();
    let log = history_log(site, sessions);
    let days: Vec<NaiveDate> = sessions.last().map(|(d, _)| *d).into_iter().collect();
    let context = task::TaskContext { lang, strings, days: &days, plan, history: &[], previous: &[] };
    log.items(lang)
        .into_iter()
        .zip(log.latest())
        .map(|(item, (homework, given))| {
            let dates = if item.first.iso == item.last.iso {
                item.first.long.clone()
            } else {
                strings
                    .get("booklet-course", lang)
                    .replace("{first}", &item.first.long)
                    .replace("{last}", &item.last.long)
            };
            let level = match (item.levels, plan.perfectionism) {
                (0 | 1, _) => String::new(),
                (_, true) => format!(" · {}", strings.get("booklet-level-n", lang)),
                (_, false) => format!(" · {}", strings.get("booklet-level", lang)),
            };
            let worked = format!("{dates}{level}")
                .replace("{n}", &item.level.to_string())
                .replace("{total}", &item.levels.to_string());
            Tool {
                worked,
                how: task::toolkit_of(given, homework, lang),
                sheet: homework.kind.is_technique().then(|| task::blank_copy(given, homework, &context)),
                item,
            }
        })
        .collect()
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
    let packets: Vec<&Packet> = source.earlier.iter().chain([packet]).collect();
    let words = charts::Words { strings: source.strings, lang: &packet.lang };
    charts_over(&packets, source.answers, &words)
}

/// The ratings of every homework of `packets` (one patient's, in date order) across them.
pub(crate) fn charts_over(
    packets: &[&Packet],
    answers: Option<&BTreeMap<String, AnswerFile>>,
    words: &charts::Words<'_>,
) -> Vec<Chart> {
    let Some(answers) = answers else { return Vec::new() };
    let mut ids: Vec<&str> = Vec::new();
    for task in packets.iter().flat_map(|p| &p.tasks) {
        if !ids.contains(&task.id.as_str()) {
            ids.push(&task.id);
        }
    }
    ids.into_iter()
        .flat_map(|id| {
            let parts: Vec<Answered<'_>> = packets
                .iter()
                .filter_map(|p| Some((p.tasks.iter().find(|t| t.id == id)?, &answers.get(&p.date.iso)?.answers)))
                .collect();
            charts::task_charts(&parts, words, Span::Course)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The booklet of the course fixture (six sessions ending with the review), resolved without
    /// laying anything out.
    fn course_booklet() -> super::Booklet {
        let resolved = super::super::tests::fixture("course");
        resolved.booklets.into_iter().next().expect("the last session gives the review")
    }

    #[test]
    fn the_toolkit_keeps_how_and_a_blank_undated_sheet_of_each_technique() {
        let booklet = course_booklet();
        let titles: Vec<&str> = booklet.tools.iter().map(|t| t.item.title.as_str()).collect();
        assert_eq!(titles, ["Registro de prueba", "Respiración", "Mi propia tarea", "Señales de alerta"]);
        let blank: Vec<bool> = booklet.tools.iter().map(|t| t.sheet.is_some()).collect();
        assert_eq!(blank, [true, true, true, false], "the warning-signs plan is printed whole, not blank");
        // The template's toolkit text, or its instructions when it has none.
        assert_eq!(booklet.tools[1].how.md.trim(), "Cuando notes tensión, respira despacio cinco minutos.");
        assert!(booklet.tools[0].how.md.contains("Una fila al día."));
        assert!(booklet.tools[0].worked.ends_with("hasta el nivel 2 de 5"), "{}", booklet.tools[0].worked);

        let record = booklet.tools[0].sheet.as_ref().unwrap();
        assert_eq!(record.level, 2, "the last level given");
        assert!(record.blank && record.note.is_none() && !record.repeat);
        assert_eq!(record.blocks.len(), 7, "a week of days");
        assert!(
            record.blocks.iter().all(|b| b.date.as_ref().is_some_and(|d| d.short == "__ / __" && d.iso.is_empty()))
        );
        assert!(!record.when.contains("hasta"), "no end date: {}", record.when);
        let own = booklet.tools[2].sheet.as_ref().unwrap();
        assert!(!own.when.contains("sesión"), "no next session after therapy: {}", own.when);
        assert_eq!(booklet.t["how-did-it-go"], "¿Cómo ha ido? ¿Qué quieres recordar?");
    }
}
