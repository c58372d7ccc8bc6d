//! One assignment of a homework at a level, in the patient's language: the task view a sheet is
//! drawn from. Params are filled into the texts here, list params pre-fill their column, and the
//! worked example speaks to the plan's audience (adults or young people) and switches to its
//! "designed with errors" variant for perfectionist patients.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{DateView, Rich};
use crate::i18n::{self, Strings};
use crate::model::{Audience, Field, FieldType, Frequency, Homework, Kind, Level, Localized, ParamType, Plan, Task};
use crate::params::{self, Value};

/// One homework assignment as it is printed.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    /// The homework id, used as the task page's file name.
    pub id: String,
    /// The sort of sheet (`self-registration`, `relaxation`, …): layouts choose from it.
    pub kind: Kind,
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
    pub frequency: Frequency,
    /// "10 min · every day · until Wednesday 2 December", localised.
    pub when: String,
    /// The level given, from 1.
    pub level: i64,
    /// How many levels the template has.
    pub levels: usize,
    /// The columns (or sections) of this level.
    pub columns: Vec<ColumnView>,
    /// The blocks of rows: one per day for daily tasks, one otherwise.
    pub blocks: Vec<RowBlock>,
    /// The worked example row, one cell per column (`None`: left blank), when this level shows one.
    pub example: Option<Vec<Option<Rich>>>,
    /// The params the plan passed (or their defaults), in the order the template declares them. A
    /// list, not a map: layouts iterate it, and a map's order would change from build to build.
    pub params: Vec<ParamView>,
    /// Every day from the session to the day before the next one.
    pub days: Vec<DateView>,
    /// For the end-of-therapy review: every earlier task.
    pub history: Vec<HistoryItem>,
    /// `table` (rows to fill in) or `sections` (a plan-like sheet of headed sections).
    pub layout: SheetLayout,
    /// Whether the sheet is wide enough to need a landscape page.
    pub landscape: bool,
    /// Whether the previous session gave the same homework at the same level: the printed sheet
    /// then opens with a compact reminder instead of the whole explanation (the web page and the
    /// booklet keep it), and the table gets the page.
    pub repeat: bool,
    /// Deep rows: each column needs a few lines of thought (about three rows to a page).
    pub deep: bool,
    /// Questions to ask oneself, printed beside the table.
    pub questions: Option<Rich>,
    /// "Level 2 of 3"; for a perfectionist patient just "Level 2" (a count reads as a ranking);
    /// none for a template of one level.
    pub level_label: Option<String>,
    /// Whether the sheet asks "How likely am I to do this?" (a self-designed task asks it among
    /// its own questions).
    pub likely: bool,
    /// An undated blank copy for the end-of-therapy booklet: no dates, no note, nothing agreed.
    pub blank: bool,
    /// A questionnaire's answers to choose from, lowest value first (empty for other kinds).
    pub choices: Vec<String>,
    /// Where the text comes from (a questionnaire's citation and permission), under the sheet.
    pub source: Option<Rich>,
    /// A questionnaire's question over its items.
    pub stem: Option<String>,
}

/// How a sheet is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SheetLayout {
    /// Rows to fill in, under a header of columns.
    Table,
    /// A plan-like sheet of headed sections.
    Sections,
}

/// One column of a sheet (or one section of a plan-like sheet).
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
    pub kind: FieldType,
    /// A scale's lowest value.
    pub min: i64,
    /// A scale's highest value.
    pub max: i64,
    /// Values agreed in session, printed in this column's cells, one per row.
    pub prefill: Vec<String>,
    /// A questionnaire item whose every answer above `min` the therapist follows up.
    pub alert: bool,
}

impl ColumnView {
    /// A rated column of numbers from 0 to `max` that no sheet prints: what the therapist's
    /// charts compute from the answers (hours of sleep, a questionnaire's total).
    pub(crate) fn computed(id: &str, label: String, kind: FieldType, max: i64) -> Self {
        ColumnView { id: id.into(), label, hint: None, kind, min: 0, max, prefill: Vec::new(), alert: false }
    }
}

/// A group of rows to fill in, dated for daily tasks.
#[derive(Debug, Clone, Serialize)]
pub struct RowBlock {
    /// The day, for daily tasks.
    pub date: Option<DateView>,
    /// How many rows to write in.
    pub rows: u32,
}

/// A param as the sheet shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ParamView {
    /// The param's name.
    pub name: String,
    /// Its label in the packet's language.
    pub label: String,
    /// The value on one line.
    pub value: String,
    /// The value as a list.
    pub items: Vec<String>,
    /// Whether the value is a web address.
    pub url: bool,
    /// Whether the sheet shows it on its own (a list that pre-fills a column of this level does not).
    pub shown: bool,
}

/// A task given at an earlier session, for the review of all homework.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryItem {
    /// The homework id.
    pub id: String,
    /// Its title in the packet's language.
    pub title: String,
    /// Why it helps (its purpose, without a plan's params).
    pub purpose: Rich,
    /// The last level given.
    pub level: i64,
    /// How many levels it has.
    pub levels: usize,
    /// The first session it was given at.
    pub first: DateView,
    /// The last session it was given at.
    pub last: DateView,
}

/// What every task of one packet shares.
#[derive(Clone, Copy)]
pub(crate) struct TaskContext<'a> {
    /// The packet's language.
    pub lang: &'a str,
    /// Interface words.
    pub strings: &'a Strings,
    /// The days until the next session.
    pub days: &'a [NaiveDate],
    /// The patient's plan.
    pub plan: &'a Plan,
    /// Earlier tasks, for a review.
    pub history: &'a [HistoryItem],
    /// The previous session's tasks.
    pub previous: &'a [Task],
}

/// A localized text in `lang` (validation made sure it exists).
pub(crate) fn localized(text: &Localized, lang: &str) -> String {
    text.get_ref().get(lang).cloned().unwrap_or_default()
}

/// Resolves one task. Assumes the site validated.
pub(crate) fn resolve_task(task: &Task, homework: &Homework, cx: &TaskContext<'_>) -> TaskView {
    let lang = cx.lang;
    let level_index = usize::try_from(*task.level.get_ref() - 1).unwrap_or(0);
    let level = &homework.levels.get_ref()[level_index];
    let given = given_params(task, homework);
    let values = params::values_for(homework, &given, lang);
    let plain = |text: &Localized| params::fill(&localized(text, lang), &values);
    let rich = |text: &Localized| Rich::new(&params::fill_markdown(&localized(text, lang), &values));

    let columns: Vec<ColumnView> = level
        .fields
        .iter()
        .filter_map(|id| {
            let field = homework.fields.get(id.get_ref())?;
            let kind = *field.kind.get_ref();
            let prefill = homework
                .params
                .iter()
                .filter(|(_, p)| p.fills.as_ref().is_some_and(|f| f.get_ref() == id.get_ref()))
                .filter_map(|(name, _)| given.get(name))
                .flat_map(Value::items)
                .collect();
            Some(ColumnView {
                id: id.get_ref().clone(),
                label: plain(&field.label),
                hint: field.hint.as_ref().map(plain).filter(|h| !h.is_empty()),
                kind,
                min: field.range().0,
                max: field.range().1,
                prefill,
                alert: field.alert,
            })
        })
        .collect();

    let rows = task.rows.as_ref().or(level.rows.as_ref()).map(|r| *r.get_ref());
    let prefilled = columns.iter().map(|c| c.prefill.len() as u32).max().unwrap_or(0);
    let frequency = level.frequency.as_ref().map_or(homework.frequency, |f| *f.get_ref());
    let blocks = match frequency {
        Frequency::Daily => {
            // A sleep diary has one night a column: one row a day, whatever `rows` says.
            let rows = if homework.kind == Kind::SleepDiary { 1 } else { rows.unwrap_or(1) };
            cx.days.iter().map(|d| RowBlock { date: Some(DateView::new(*d, lang)), rows }).collect()
        }
        Frequency::Once => vec![RowBlock { date: None, rows: rows.unwrap_or(3).max(prefilled) }],
        Frequency::PerSituation => vec![RowBlock { date: None, rows: rows.unwrap_or(5).max(prefilled) }],
    };
    let example = worked_example(homework, level, level_index, cx.plan)
        .map(|cells| cells.into_iter().map(|c| c.map(&rich)).collect());
    // In the order the template declares them (the book before its author), not by name.
    let mut declared: Vec<_> = homework.params.iter().collect();
    declared.sort_by_key(|(_, param)| param.kind.span().start);
    let param_views = declared
        .into_iter()
        .filter_map(|(name, param)| {
            let value = values.get(name)?;
            let items = given.get(name).map_or_else(|| vec![value.clone()], Value::items);
            let url = *param.kind.get_ref() == ParamType::Url;
            let shown = !param.fills.as_ref().is_some_and(|f| columns.iter().any(|c| &c.id == f.get_ref()));
            Some(ParamView { name: name.clone(), label: plain(&param.label), value: value.clone(), items, url, shown })
        })
        .collect();

    TaskView {
        id: task.homework.get_ref().clone(),
        kind: homework.kind,
        title: plain(&homework.title),
        purpose: rich(&homework.purpose),
        instructions: rich(&homework.instructions),
        intro: level.intro.as_ref().map(rich),
        note: task.note.as_ref().map(|n| n.get_ref().as_str()).filter(|n| !n.trim().is_empty()).map(Rich::new),
        minutes: homework.minutes,
        frequency,
        when: when_line(homework, frequency, cx),
        level: *task.level.get_ref(),
        levels: homework.levels.get_ref().len(),
        layout: if homework.kind.is_table() { SheetLayout::Table } else { SheetLayout::Sections },
        // A sleep diary's nights and a questionnaire's choices are its columns, not its fields.
        landscape: homework.kind.is_table()
            && !matches!(homework.kind, Kind::SleepDiary | Kind::Questionnaire)
            && needs_landscape(&columns),
        repeat: cx
            .previous
            .iter()
            .any(|t| t.homework.get_ref() == task.homework.get_ref() && t.level.get_ref() == task.level.get_ref()),
        columns,
        blocks,
        example,
        params: param_views,
        days: cx.days.iter().map(|d| DateView::new(*d, lang)).collect(),
        history: if homework.kind == Kind::Review { cx.history.to_vec() } else { Vec::new() },
        deep: level.deep,
        questions: level.questions.as_ref().map(rich),
        level_label: level_label(*task.level.get_ref(), homework.levels.get_ref().len(), cx),
        // A self-designed task asks it among its own questions; a questionnaire is no task to rate.
        likely: !matches!(homework.kind, Kind::SelfDesigned | Kind::Questionnaire),
        blank: false,
        choices: homework.choices.get_ref().iter().map(plain).collect(),
        source: homework.source.as_ref().map(rich),
        stem: homework.stem.as_ref().map(plain),
    }
}

/// An undated blank copy of a task's sheet, to reuse after therapy (the booklet's toolkit): a
/// week of rows whose day cells are left for the patient to date, the same level, params and
/// example, without the personal note, the items agreed in session or an end date.
pub(crate) fn blank_copy(task: &Task, homework: &Homework, cx: &TaskContext<'_>) -> TaskView {
    let week: Vec<NaiveDate> = cx.days.first().map(|d| d.iter_days().take(7).collect()).unwrap_or_default();
    let mut view = resolve_task(task, homework, &TaskContext { days: &week, ..*cx });
    // A day cell shows where the date goes, as a time cell shows "__ : __".
    let undated =
        || DateView { iso: String::new(), long: String::new(), heading: String::new(), short: "__ / __".into() };
    for block in &mut view.blocks {
        block.date = block.date.as_ref().map(|_| undated());
    }
    view.days = view.days.iter().map(|_| undated()).collect();
    for column in &mut view.columns {
        column.prefill.clear();
    }
    view.when = when_line(homework, view.frequency, &TaskContext { days: &[], ..*cx });
    view.note = None;
    view.repeat = false;
    view.blank = true;
    view
}

/// A task's purpose with the plan's params filled in (for the review and the booklet).
pub(crate) fn purpose_of(task: &Task, homework: &Homework, lang: &str) -> Rich {
    filled(task, homework, &homework.purpose, lang)
}

/// How to keep using a task after therapy (the booklet's toolkit), its params filled in: the
/// template's `toolkit`, or its instructions when it has none.
pub(crate) fn toolkit_of(task: &Task, homework: &Homework, lang: &str) -> Rich {
    filled(task, homework, homework.toolkit.as_ref().unwrap_or(&homework.instructions), lang)
}

/// One of a template's texts in `lang`, with the task's params filled in.
fn filled(task: &Task, homework: &Homework, text: &Localized, lang: &str) -> Rich {
    let values = params::values_for(homework, &given_params(task, homework), lang);
    Rich::new(&params::fill_markdown(&localized(text, lang), &values))
}

/// The plan's param values, typed (validation reported any that do not fit).
fn given_params(task: &Task, homework: &Homework) -> BTreeMap<String, Value> {
    let given = task.params.as_ref().map(|p| p.get_ref());
    given
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            let checked = params::check(homework.params.get(name)?, value.get_ref()).ok()?;
            Some((name.clone(), checked))
        })
        .collect()
}

/// The example row's cells for the plan's audience, in the plain or the "designed with errors"
/// variant; `None` when this level shows no example or the template has none.
fn worked_example<'a>(
    homework: &'a Homework,
    level: &'a Level,
    level_index: usize,
    plan: &Plan,
) -> Option<Vec<Option<&'a Localized>>> {
    if !level.example.unwrap_or(level_index == 0) {
        return None;
    }
    let cells: Vec<Option<&Localized>> = level
        .fields
        .iter()
        .map(|id| example_cell(homework.fields.get(id.get_ref())?, plan.audience, plan.perfectionism))
        .collect();
    cells.iter().any(Option::is_some).then_some(cells)
}

/// One cell of the worked example. The young people's example falls back to the adults' one, and
/// the messy variant to the plain one of the same audience where it has no text of its own: every
/// column of a worked example shows what goes there.
fn example_cell(field: &Field, audience: Audience, messy: bool) -> Option<&Localized> {
    let (plain, rough) = match audience {
        Audience::Young if field.example_young.is_some() => (&field.example_young, &field.example_messy_young),
        _ => (&field.example, &field.example_messy),
    };
    if messy { rough.as_ref().or(plain.as_ref()) } else { plain.as_ref() }
}

/// Portrait A4 has ~18 cm for a table: a day column, ~2.3 cm per narrow column and at least
/// ~3.5 cm per text column to write in; anything wider is laid out on a landscape page.
fn needs_landscape(columns: &[ColumnView]) -> bool {
    let text = columns.iter().filter(|c| c.kind == FieldType::Text).count() as f32;
    let narrow = columns.len() as f32 - text;
    2.1 + 2.3 * narrow + 3.5 * text > 18.0
}

/// The level as printed, or none for a template of one level.
fn level_label(level: i64, levels: usize, cx: &TaskContext<'_>) -> Option<String> {
    let key = if cx.plan.perfectionism { "level-n" } else { "level-of" };
    let text = cx.strings.get(key, cx.lang).replace("{n}", &level.to_string()).replace("{total}", &levels.to_string());
    (levels > 1).then_some(text)
}

/// "10 min · every day · until Wednesday 2 December" in the packet's language; a template's own
/// words for how often ("each time you read") replace the generic ones.
fn when_line(homework: &Homework, frequency: Frequency, cx: &TaskContext<'_>) -> String {
    let (lang, strings) = (cx.lang, cx.strings);
    let minutes = strings.get("minutes-short", lang).replace("{n}", &homework.minutes.to_string());
    let how_often = match &homework.frequency_label {
        Some(label) if frequency == homework.frequency => localized(label, lang),
        // With no days (a blank copy, after therapy), no session follows: just "once".
        _ if cx.days.is_empty() && frequency == Frequency::Once => strings.get("frequency-once-alone", lang),
        _ => strings.get(&format!("frequency-{}", frequency.key()), lang),
    };
    let until = cx.days.last().map(|d| strings.get("until", lang).replace("{date}", &i18n::weekday_date(*d, lang)));
    match until {
        Some(until) => format!("{minutes} · {how_often} · {until}"),
        None => format!("{minutes} · {how_often}"),
    }
}
