//! Scores of the standardised questionnaires (PHQ-9, GAD-7) a patient answered online, for the
//! therapist copy: per session, the total, its published severity band and any item flagged for
//! follow-up (PHQ-9's item 9), and the totals charted across the latest sessions.
//!
//! Nothing is invented: a questionnaire with an item left blank is not scored (the published
//! scoring adds every item), and a session without answers shows as such, never as a zero. Like
//! the rest of the copy, it looks back at most [`HISTORY_SESSIONS`] sessions, so a copy costs the
//! same however long the course.

use std::collections::BTreeMap;

use serde::Serialize;

use super::charts::{self, Chart, Span};
use super::private::{CopyContext, HISTORY_SESSIONS};
use super::task::localized;
use super::task::{ColumnView, RowBlock, SheetLayout, TaskView};
use super::{DateView, Rich};
use crate::answers::cell_key;
use crate::model::{Field, FieldType, Frequency, Homework, Kind};

/// One questionnaire's scores over the latest sessions.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    /// The homework id.
    pub id: String,
    /// Its title in the copy's language.
    pub title: String,
    /// The highest total.
    pub max: i64,
    /// One per session that gave it, oldest first.
    pub rows: Vec<ScoreRow>,
    /// The totals across those sessions, when at least one was scored.
    pub chart: Option<Chart>,
}

/// One session's answers to a questionnaire.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreRow {
    /// The session.
    pub date: DateView,
    /// The sum of the items, when every item was answered.
    pub total: Option<i64>,
    /// How many items were answered.
    pub answered: usize,
    /// How many items there are.
    pub items: usize,
    /// The published severity band of the total.
    pub band: Option<String>,
    /// What to follow up, one sentence per flagged item answered above its lowest value.
    pub alerts: Vec<String>,
    /// Whether this is the copy's own session.
    pub current: bool,
}

/// The questionnaires given at session `cx.at` or the sessions before it (at most
/// [`HISTORY_SESSIONS`] of them), scored from the answers imported for each.
pub(crate) fn measures(cx: &CopyContext<'_>) -> Vec<Measure> {
    let from = (cx.at + 1).saturating_sub(HISTORY_SESSIONS);
    let answers = cx.site.answers.get(&cx.plan.id);
    let mut out: Vec<Measure> = Vec::new();
    for (index, (date, session)) in cx.sessions.iter().enumerate().take(cx.at + 1).skip(from) {
        let file = answers.and_then(|a| a.get(&date.to_string()));
        for task in &session.tasks {
            let id = task.homework.get_ref();
            let Some(homework) = cx.site.homework.get(id).map(|h| &h.value) else { continue };
            if homework.kind != Kind::Questionnaire {
                continue;
            }
            let level = usize::try_from(*task.level.get_ref() - 1).unwrap_or(0);
            let Some(level) = homework.levels.get_ref().get(level) else { continue };
            let items: Vec<(&str, &Field)> = level
                .fields
                .iter()
                .filter_map(|f| homework.fields.get(f.get_ref()).map(|field| (f.get_ref().as_str(), field)))
                .collect();
            let sheet = Sheet { id, homework, items: &items, date: *date, current: index == cx.at };
            let row = score(cx, &sheet, file.map(|f| &f.answers));
            match out.iter_mut().find(|m| &m.id == id) {
                Some(measure) => measure.rows.push(row),
                None => out.push(Measure {
                    id: id.clone(),
                    title: localized(&homework.title, cx.lang),
                    max: items.iter().map(|(_, f)| f.range().1).sum(),
                    rows: vec![row],
                    chart: None,
                }),
            }
        }
    }
    for measure in &mut out {
        measure.chart = chart(cx, measure);
    }
    out
}

/// One questionnaire given at one session.
struct Sheet<'a> {
    id: &'a str,
    homework: &'a Homework,
    /// Its items, by field id.
    items: &'a [(&'a str, &'a Field)],
    date: chrono::NaiveDate,
    /// Whether it is the copy's own session.
    current: bool,
}

/// One session's score of a questionnaire, from its answers (`None`: none were imported).
fn score(cx: &CopyContext<'_>, sheet: &Sheet<'_>, answers: Option<&BTreeMap<String, String>>) -> ScoreRow {
    let values: Vec<Option<i64>> = sheet
        .items
        .iter()
        .map(|(field, spec)| {
            let (min, max) = spec.range();
            let value = answers?.get(&cell_key(sheet.id, 0, field))?.trim().parse::<i64>().ok()?;
            (min..=max).contains(&value).then_some(value)
        })
        .collect();
    let answered = values.iter().flatten().count();
    let total = (answered == values.len() && !values.is_empty()).then(|| values.iter().flatten().sum::<i64>());
    let band = total.and_then(|total| {
        sheet.homework.bands.iter().find(|b| total <= *b.max.get_ref()).map(|b| localized(&b.label, cx.lang))
    });
    let name = cx.plan.value.name.get_ref();
    let alerts = sheet
        .items
        .iter()
        .zip(&values)
        .enumerate()
        .filter(|(_, ((_, spec), value))| spec.alert && value.is_some_and(|v| v > spec.range().0))
        .map(|(n, ((_, spec), _))| {
            cx.strings
                .get("measure-alert", cx.lang)
                .replace("{n}", &(n + 1).to_string())
                .replace("{item}", &localized(&spec.label, cx.lang))
                .replace("{name}", name)
        })
        .collect();
    ScoreRow {
        date: DateView::new(sheet.date, cx.lang),
        total,
        answered,
        items: values.len(),
        band,
        alerts,
        current: sheet.current,
    }
}

/// The totals as a line across the sessions (a session without a total is a gap).
fn chart(cx: &CopyContext<'_>, measure: &Measure) -> Option<Chart> {
    let label = cx.strings.get("measure-total", cx.lang);
    let column = ColumnView::computed("total", label, FieldType::Scale, measure.max);
    let answers: BTreeMap<String, String> = measure
        .rows
        .iter()
        .enumerate()
        .filter_map(|(n, r)| Some((cell_key(&measure.id, n, "total"), r.total?.to_string())))
        .collect();
    let view = TaskView {
        id: measure.id.clone(),
        kind: Kind::SelfRegistration,
        title: measure.title.clone(),
        purpose: Rich::new(""),
        instructions: Rich::new(""),
        intro: None,
        note: None,
        minutes: 0,
        frequency: Frequency::Daily,
        when: String::new(),
        level: 1,
        levels: 1,
        columns: vec![column],
        blocks: measure.rows.iter().map(|r| RowBlock { date: Some(r.date.clone()), rows: 1 }).collect(),
        example: None,
        params: Vec::new(),
        days: Vec::new(),
        history: Vec::new(),
        layout: SheetLayout::Table,
        landscape: false,
        repeat: false,
        deep: false,
        questions: None,
        level_label: None,
        likely: false,
        blank: false,
        choices: Vec::new(),
        source: None,
        stem: None,
    };
    let words = charts::Words { strings: cx.strings, lang: cx.lang };
    charts::task_charts(&[(&view, &answers)], &words, Span::Session).into_iter().next()
}
