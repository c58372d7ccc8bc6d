//! The therapist's side of a course: the copy of each session (the review block for its start,
//! the assignments with tarea's proposed levels, the history of the latest sessions) and the
//! per-patient summary of the private index (the whole history), and charts of what the patient
//! filled in online. Therapist-only text (review notes, a plan's `[private]` table) appears here
//! and nowhere else.
//!
//! A copy costs the same however long the course: it shows the last [`HISTORY_SESSIONS`]
//! sessions, and the proposals come from a [`Progress`] carried from session to session.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::charts::{self, Chart, Span};
use super::written::{self, WrittenSheet, WrittenWords};
use super::{DateView, Days, HistoryLog, Packet, PacketLink, task};
use crate::course::{self, Outcome, Suggestion};
use crate::i18n::Strings;
use crate::load::{Loaded, Site};
use crate::model::plain_date;
use crate::model::{Plan, Session};

/// One session's therapist copy.
#[derive(Debug, Clone, Serialize)]
pub struct TherapistCopy {
    /// The private pages' language (the clinic's default).
    pub lang: String,
    /// Interface words in that language (the page gets them as `t`, converted once per build).
    #[serde(skip)]
    pub t: crate::i18n::Words,
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
    /// Every task of the latest sessions (at most [`HISTORY_SESSIONS`], this one included).
    pub history: HistoryTable,
    /// The plan's `[private]` notes.
    pub private: Vec<KeyValue>,
    /// What the patient filled in online for this session's packet, once imported.
    pub answers: Option<OnlineAnswers>,
    /// What they filled in for the previous session's packet (reviewed at the start of this
    /// one): a count and a link to that copy, where it is shown.
    pub previous_answers: Option<PreviousAnswers>,
    /// The questionnaires of the latest sessions, scored.
    pub measures: Vec<super::measures::Measure>,
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

/// How many sessions a therapist copy's history shows: its own and the ones just before. The
/// private index shows the whole course.
pub const HISTORY_SESSIONS: usize = 12;

/// Every task × every session shown: the level given and how it went.
#[derive(Debug, Clone, Serialize, Default, Deserialize)]
pub struct HistoryTable {
    /// The sessions, in order.
    pub dates: Vec<DateView>,
    /// One row per homework given at one of them.
    pub rows: Vec<HistoryRow>,
    /// How many sessions came before the first one shown (left out to keep the table short).
    pub earlier: usize,
}

/// One homework across the sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The homework's title.
    pub title: String,
    /// One cell per session: empty when not given then.
    pub cells: Vec<Option<HistoryCell>>,
}

/// A homework given at one session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryCell {
    /// The level given.
    pub level: i64,
    /// How it went, once reviewed.
    pub status: Option<std::borrow::Cow<'static, str>>,
}

/// A line of the plan's `[private]` table.
#[derive(Debug, Clone, Serialize)]
pub struct KeyValue {
    /// The key as written in the plan.
    pub key: String,
    /// What the copy calls it, in the private pages' language.
    pub label: String,
    /// The value: one item, or a list's items.
    pub items: Vec<String>,
}

/// One patient in the private index.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Every homework's ratings across the course, from the answers sent back (the patient's
    /// page draws them; the build cache leaves them out).
    #[serde(default, skip_deserializing)]
    pub charts: Vec<Chart>,
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
    /// The tasks given before session `at`.
    pub given: &'a HistoryLog<'a>,
    /// How they went, up to session `at`.
    pub progress: &'a Progress<'a>,
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
            let suggestion = cx.progress.suggest(id, levels as i64);
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
        t: cx.strings.words(cx.lang),
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
        history: history_table(cx, (cx.at + 1).saturating_sub(HISTORY_SESSIONS), cx.at + 1),
        private: private_notes(&cx.plan.value.private, cx.strings, cx.lang),
        answers: online_answers(cx, packet),
        previous_answers: None,
        measures: super::measures::measures(cx),
    }
}

/// The answers imported for session `cx.at`'s packet (`library/answers/<patient>/<date>.json`),
/// counted and charted; `None` when there are none.
fn online_answers(cx: &CopyContext<'_>, packet: &Packet) -> Option<OnlineAnswers> {
    let (date, session) = cx.sessions[cx.at];
    let file = cx.site.answers.get(&cx.plan.id)?.get(&date.to_string())?;
    // Counted as the private index counts them (an unticked box is no answer).
    let back = super::form::returned(file, packet);
    // The copy speaks the clinic's language, the packet the patient's: the sheets are resolved
    // again in the copy's language for the chart's titles, columns and dates.
    let next = session.next.as_ref().and_then(|n| plain_date(n.get_ref()));
    let days = Days { first: date, next }.list();
    // A review sheet asks about every earlier task: the same history as the packet's.
    let history = if super::gives_review(cx.site, session) { cx.given.items(cx.lang) } else { Vec::new() };
    let context = task::TaskContext {
        lang: cx.lang,
        strings: cx.strings,
        days: &days,
        plan: &cx.plan.value,
        history: &history,
        previous: &[],
    };
    let words = charts::Words { strings: cx.strings, lang: cx.lang };
    let sheets: Vec<task::TaskView> = session
        .tasks
        .iter()
        .filter_map(|t| Some(task::resolve_task(t, &cx.site.homework.get(t.homework.get_ref())?.value, &context)))
        .collect();
    let charts =
        sheets.iter().flat_map(|sheet| charts::task_charts(&[(sheet, &file.answers)], &words, Span::Session)).collect();
    let written_words = WrittenWords {
        yes: cx.strings.get("form-yes", cx.lang),
        days_done: cx.strings.get("days-done", cx.lang),
        lang: cx.lang.to_string(),
    };
    let written = sheets.iter().filter_map(|s| written::written_sheet(s, file, &written_words)).collect();
    let saved = file.saved.as_deref().map(|s| saved_at(s, cx.lang));
    Some(OnlineAnswers { answered: back.answered, fields: back.fields, saved, charts, written })
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
        history: history_table(cx, 0, cx.sessions.len()),
        charts: Vec::new(),
    }
}

/// Every task of sessions `from..upto`, with its level and how it went (as the session after it
/// recorded), homework in the order first given among them. One pass over those sessions.
fn history_table(cx: &CopyContext<'_>, from: usize, upto: usize) -> HistoryTable {
    let upto = upto.min(cx.sessions.len());
    let from = from.min(upto);
    let sessions = &cx.sessions[from..upto];
    let mut rows: Vec<(&str, Vec<Option<HistoryCell>>)> = Vec::new();
    let mut row_of: HashMap<&str, usize> = HashMap::new();
    for (column, (_, session)) in sessions.iter().enumerate() {
        let following = cx.sessions.get(from + column + 1).map(|(_, s)| *s);
        for task in &session.tasks {
            let id = task.homework.get_ref().as_str();
            let row = *row_of.entry(id).or_insert_with(|| {
                rows.push((id, vec![None; sessions.len()]));
                rows.len() - 1
            });
            let cell = &mut rows[row].1[column];
            // A homework given twice in one session (a validation error) counts once, as given first.
            if cell.is_none() {
                *cell = Some(HistoryCell {
                    level: *task.level.get_ref(),
                    status: following.and_then(|s| recorded(s, id)).map(|s| s.name().into()),
                });
            }
        }
    }
    HistoryTable {
        dates: sessions.iter().map(|(d, _)| DateView::new(*d, cx.lang)).collect(),
        rows: rows.into_iter().map(|(id, cells)| HistoryRow { title: cx.title(id), cells }).collect(),
        earlier: from,
    }
}

/// How a session's review recorded `homework`, if it did.
fn recorded(session: &Session, homework: &str) -> Option<crate::model::Status> {
    session.review.iter().find(|r| r.homework.get_ref() == homework).map(|r| r.status)
}

/// How each homework went so far in a course: its last two assignments, with what the session
/// after each recorded. Carried from one session to the next ([`Progress::pass`]), it proposes
/// the levels of every copy in one pass over the plan, where [`course::suggest`] goes over every
/// earlier session each time; both apply [`course::next_level`] to the same outcomes.
#[derive(Debug, Default)]
pub(crate) struct Progress<'a> {
    /// By homework: its latest assignment and the one before.
    latest: HashMap<&'a str, (Outcome, Option<Outcome>)>,
}

impl<'a> Progress<'a> {
    /// Records the tasks of session `at` (each homework once, as given first), with what the
    /// session after it recorded. Call it for every session, in order.
    pub(crate) fn pass(&mut self, sessions: &[(NaiveDate, &'a Session)], at: usize) {
        let (_, session) = sessions[at];
        let following = sessions.get(at + 1).map(|(_, s)| *s);
        for task in &session.tasks {
            let id = task.homework.get_ref().as_str();
            let outcome =
                Outcome { session: at, level: *task.level.get_ref(), status: following.and_then(|s| recorded(s, id)) };
            match self.latest.get_mut(id) {
                Some((last, _)) if last.session == at => {}
                Some((last, before)) => {
                    *before = Some(*last);
                    *last = outcome;
                }
                None => {
                    self.latest.insert(id, (outcome, None));
                }
            }
        }
    }

    /// The level to give `homework` (with `levels` levels) at the session after the last one
    /// passed: what [`course::suggest`] proposes there.
    pub(crate) fn suggest(&self, homework: &str, levels: i64) -> Suggestion {
        let Some((last, before)) = self.latest.get(homework) else { return Suggestion::New };
        match last.status {
            None => Suggestion::Unreviewed(last.level),
            Some(status) => course::next_level(last.level, status, before.and_then(|b| b.status), levels),
        }
    }
}

/// The plan's `[private]` notes as the therapist reads them: the usual keys under their label in
/// the private pages' language ("reason" → "Motivo de consulta"), any other key in words
/// ("next_steps" → "Next steps"); a list as its items.
fn private_notes(table: &toml::Table, strings: &Strings, lang: &str) -> Vec<KeyValue> {
    let text = |value: &toml::Value| value.as_str().map_or_else(|| value.to_string(), str::to_string);
    // The usual keys first, in the order a case is read; then the others by name.
    const USUAL: [&str; 4] = ["reason", "goals", "diagnosis", "notes"];
    let mut keys: Vec<_> = table.iter().collect();
    keys.sort_by_key(|(key, _)| USUAL.iter().position(|u| u == key).unwrap_or(USUAL.len()));
    keys.into_iter()
        .map(|(key, value)| {
            let label = if USUAL.contains(&key.as_str()) {
                strings.get(&format!("private-{key}"), lang)
            } else {
                key_in_words(key)
            };
            let items = match value {
                toml::Value::Array(items) => items.iter().map(text).collect(),
                other => vec![text(other)],
            };
            KeyValue { key: key.clone(), label, items }
        })
        .collect()
}

/// A key as words: `next_steps` → "Next steps".
fn key_in_words(key: &str) -> String {
    let words = key.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_private_key_reads_as_words() {
        assert_eq!(super::key_in_words("next_steps"), "Next steps");
        assert_eq!(super::key_in_words("medicación-actual"), "Medicación actual");
        assert_eq!(super::key_in_words("_"), "");
    }

    use super::*;
    use crate::model::Plan;

    /// A [`Progress`] proposes what [`course::suggest`] does, at every session, for every homework:
    /// one given every session, one every other session, one now and then; reviews recorded for
    /// some sessions and missing at others, with every status.
    #[test]
    fn progress_proposes_what_the_course_rule_does() {
        let statuses = ["done", "partial", "not-done", "incorrect"];
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut text = String::from("name = \"A\"\nlanguage = \"es\"\ntherapist = \"T\"\n");
        for i in 0..40_usize {
            let date = first + chrono::Duration::weeks(i as i64);
            text.push_str(&format!("[[sessions]]\ndate = {date}\n"));
            if i > 0 && i % 5 != 4 {
                for (n, h) in ["a", "b", "c"].into_iter().enumerate() {
                    let status = statuses[(i * 3 + n * i / 2) % 4];
                    text.push_str(&format!("[[sessions.review]]\nhomework = \"{h}\"\nstatus = \"{status}\"\n"));
                }
            }
            let given = ["a", "b", "c"].into_iter().filter(|h| *h == "a" || (*h == "b" && i % 2 == 0) || i % 7 == 3);
            for h in given {
                text.push_str(&format!("[[sessions.tasks]]\nhomework = \"{h}\"\nlevel = {}\n", 1 + i % 4));
            }
        }
        let plan: Plan = toml::from_str(&text).unwrap();
        let sessions = course::sessions(&plan);
        assert_eq!(sessions.len(), 40);
        let mut progress = Progress::default();
        let mut moved = 0;
        for at in 0..=sessions.len() {
            for h in ["a", "b", "c", "never"] {
                let expected = course::suggest(&sessions, h, 4, at);
                assert_eq!(progress.suggest(h, 4), expected, "{h} at session {at}");
                moved += usize::from(matches!(expected, Suggestion::Up(_) | Suggestion::Down(_)));
            }
            if at < sessions.len() {
                progress.pass(&sessions, at);
            }
        }
        assert!(moved > 10, "the plan exercises the rule: {moved} moves");
    }
}
