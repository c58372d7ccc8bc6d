//! Charts of what a patient filled in online: their ratings drawn, because people would rather
//! look than read.
//!
//! A table sheet's `scale` and `percent` columns (emotion intensity in a thought record, tension
//! before and after a relaxation practice, breathing difficulty…) are charted in one of three
//! ways, decided by the columns alone so that a sheet is always drawn the same way:
//!
//! - **Pairs.** A rating of "after" beside its "before" (`before`/`after`, or `x` or `x-before`
//!   with `x-after`) is one practice measured twice: each row becomes a before → after pair,
//!   joined by a short vertical line, so several practices a day all stay visible.
//! - **By label.** A rating with a *label column* to its left (a text column naming what is rated:
//!   `emotion`, `feeling`, `mood`…) gets one line per answer written there — sadness apart from
//!   anger, never their mean. Answers are compared trimmed and case-folded; a day that names the
//!   same one twice plots the higher rating; a line joins the days its answer was named. At most
//!   [`MAX_LABELS`] lines, the most frequent; a note names the rest.
//! - **Lines.** Any other rating is one [`Series`] across the days of the sheet (a day's value is
//!   the mean of the rows answered that day) or, on an undated sheet, across its rows. Columns with
//!   different ranges (0–10 beside a percentage) go to separate charts, so neither is squashed.
//!
//! The therapist copy charts one session's answers ([`Span::Session`]: every day of the week is
//! kept, a day left blank is information); the end-of-therapy booklet charts the whole course
//! ([`Span::Course`]: only the days with answers, no gaps to read as a grade). The booklet is
//! published, and a chart by label names what the patient wrote, so it leaves those charts out.
//!
//! The geometry is computed here, once, in a fixed view box: the HTML partial draws it as inline
//! SVG and the Typst layout scales the same numbers, so both show exactly the same picture and the
//! layouts do no arithmetic.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{SheetLayout, TaskView};
use crate::i18n::Strings;
use crate::model::{FieldType, Frequency, Kind};

mod activity;
mod draft;
mod geometry;
mod sleep;
use draft::{Draft, Plan, Slot, by_label, lines, pairs, plans, rated_columns, read};
use geometry::{lane_offset, marker, round, runs, svg_path, ticks};

/// The view box every chart is drawn in (SVG user units; Typst scales them to the page).
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 250.0;
/// The plot area inside it: room on the left for the values, below for the days.
const LEFT: f64 = 46.0;
const RIGHT: f64 = 588.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 206.0;
/// At most this many labels under the x axis; longer courses label every second, third… point.
const MAX_X_LABELS: usize = 10;
/// At most this many lines in a chart by label: one per style, so each stays told apart in
/// greyscale. More answers than that are named in a note instead of drawn.
pub(crate) const MAX_LABELS: usize = 4;
/// Text columns that name what the ratings after them rate, by field id. The template format has
/// no key to say so (yet), and guessing from the answers would chart one sheet two ways from week
/// to week; an emotion column is what makes a thought record's intensities incomparable.
const LABEL_COLUMNS: [&str; 6] = ["emotion", "emotions", "feeling", "feelings", "mood", "moods"];

/// Colours that stay apart for colour-blind readers (Okabe–Ito), each with its own dash pattern
/// and marker so that a greyscale print still tells the lines apart.
const STYLES: [Style; MAX_LABELS] = [
    Style { colour: "#0072B2", dash: "", marker: "circle", hollow: false },
    Style { colour: "#D55E00", dash: "8 4", marker: "square", hollow: true },
    Style { colour: "#009E73", dash: "2 3", marker: "triangle", hollow: false },
    Style { colour: "#CC79A7", dash: "10 3 2 3", marker: "diamond", hollow: true },
];

/// How one series is drawn.
#[derive(Debug, Clone, Copy)]
struct Style {
    colour: &'static str,
    dash: &'static str,
    marker: &'static str,
    hollow: bool,
}

/// Which stretch of a course a chart covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Span {
    /// One packet's answers, for the therapist: every day of the sheet, answered or not.
    Session,
    /// Every packet's answers, for the patient's booklet: only the days that have answers.
    Course,
}

/// One chart of a homework's ratings, ready to draw.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Unique on its page (`chart-<homework>-<n>`), for the SVG's title and description ids.
    pub id: String,
    /// The homework's title.
    pub title: String,
    /// What a chart by label shows ("Intensity by emotion"); `None` otherwise.
    pub subtitle: Option<String>,
    /// A sentence for screen readers and the PDF's alt text: what is drawn and how it went.
    pub summary: String,
    /// The lowest value of the y axis.
    pub y_min: i64,
    /// The highest value of the y axis.
    pub y_max: i64,
    /// Above the y axis: the range (`0–10`) or `%`.
    pub y_title: String,
    /// Under the x axis: "Day" or "No.".
    pub x_title: String,
    /// One per point of the x axis, in order: short dates, or row numbers.
    pub x_labels: Vec<XLabel>,
    /// The values marked on the y axis, with their height.
    pub y_ticks: Vec<YTick>,
    /// One per rated column, or per answer of a label column.
    pub series: Vec<Series>,
    /// The numbers as a table: one row per x point (per practice, for pairs), one cell per series.
    pub rows: Vec<DataRow>,
    /// Whether the points are joined by lines (they follow each other in time); a list answered
    /// once (objectives, say) only shows its points, and pairs are joined to each other instead.
    pub connected: bool,
    /// Whether some point is the mean of several rows of one day.
    pub averaged: bool,
    /// For pairs: the vertical line joining each row's two ratings.
    pub links: Vec<Link>,
    /// What to know to read the chart right (a mean, a higher of two, answers not drawn, pairs),
    /// in the chart's language, to print under it.
    pub notes: Vec<String>,
    /// The view box and plot area the coordinates are in.
    pub view: ViewBox,
}

/// The drawing's coordinate system.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ViewBox {
    /// The view box's width.
    pub width: f64,
    /// The view box's height.
    pub height: f64,
    /// The plot area's left edge (the y axis).
    pub left: f64,
    /// The plot area's right edge.
    pub right: f64,
    /// The plot area's top edge (`y_max`).
    pub top: f64,
    /// The plot area's bottom edge (the x axis, `y_min`).
    pub bottom: f64,
}

/// A point of the x axis.
#[derive(Debug, Clone, Serialize)]
pub struct XLabel {
    /// "Lun 4/1", or a row number.
    pub text: String,
    /// The day, when the point is one.
    pub iso: Option<String>,
    /// Its horizontal position.
    pub x: f64,
    /// Whether its label is printed (long courses label only some points).
    pub shown: bool,
}

/// A value marked on the y axis.
#[derive(Debug, Clone, Serialize)]
pub struct YTick {
    /// The value.
    pub value: i64,
    /// Its vertical position.
    pub y: f64,
}

/// One line of a chart: a rated column, or one answer of a label column.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// The column's field id; `<field>-<n>` for the n-th answer of a chart by label (never the
    /// answer itself: it is the patient's text).
    pub id: String,
    /// The column's header, or the answer as first written.
    pub label: String,
    /// One value per row of [`Chart::rows`]; `None` where nothing was answered.
    pub values: Vec<Option<f64>>,
    /// Its style's number (0–3), for layouts that style by class.
    pub style: usize,
    /// The line's colour, `#rrggbb`.
    pub colour: &'static str,
    /// The line's dash pattern (SVG `stroke-dasharray` in view-box units; empty: solid).
    pub dash: &'static str,
    /// The marker's shape: `circle`, `square`, `triangle` or `diamond`.
    pub marker: &'static str,
    /// Whether the marker is drawn hollow (white inside).
    pub hollow: bool,
    /// The line as an SVG path (`M x y L x y …`), broken where a value is missing; empty when the
    /// chart is not connected.
    pub path: String,
    /// The same line as runs of two or more `[x, y]` points, for Typst.
    pub segments: Vec<Vec<[f64; 2]>>,
    /// Every answered point.
    pub points: Vec<Point>,
    /// The legend's marker, as an SVG path in a 28 × 14 box.
    pub swatch: String,
}

/// One answered point of a series.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
    /// The value (a day's mean, or its highest for a label), unrounded.
    pub value: f64,
    /// The value as printed: at most one decimal, in the chart's language.
    pub shown: String,
    /// Its x point's label.
    pub label: String,
    /// Its marker, as an SVG path.
    pub marker: String,
}

/// The line joining one row's two ratings in a chart of pairs.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// Horizontal position, the same for both ends.
    pub x: f64,
    /// The first rating's height.
    pub from: f64,
    /// The second rating's height.
    pub to: f64,
}

/// One row of a chart's table of numbers.
#[derive(Debug, Clone, Serialize)]
pub struct DataRow {
    /// The x point's label.
    pub label: String,
    /// The day, when the point is one.
    pub iso: Option<String>,
    /// One printed value per series; `None` where nothing was answered.
    pub cells: Vec<Option<String>>,
}

/// The interface words a chart needs, in one language.
pub(crate) struct Words<'a> {
    /// Interface words.
    pub strings: &'a Strings,
    /// The chart's language.
    pub lang: &'a str,
}

impl Words<'_> {
    fn get(&self, key: &str) -> String {
        self.strings.get(key, self.lang)
    }
}

/// One homework sheet and the answers it came back with.
pub(crate) type Answered<'a> = (&'a TaskView, &'a BTreeMap<String, String>);

/// The charts of one homework: `parts` are its sheets in date order (one for a therapist copy,
/// every answered one for the booklet), each with its packet's answers. One chart per pair, per
/// rating by label and per range of the other rated columns, each with at least one answer; none
/// when nothing rated was answered or the sheet is not a table.
pub(crate) fn task_charts(parts: &[Answered<'_>], words: &Words<'_>, span: Span) -> Vec<Chart> {
    let mut charts = charts_of(parts, words, span);
    // An activity schedule also compares mood in the activities high in mastery or pleasure with
    // the others: drawn apart, so its days are not counted twice.
    let split: Vec<(TaskView, BTreeMap<String, String>)> =
        parts.iter().filter_map(|(task, answers)| activity::derived(task, answers, words)).collect();
    if !split.is_empty() {
        let parts: Vec<Answered<'_>> = split.iter().map(|(task, answers)| (task, answers)).collect();
        let offset = charts.len();
        charts.extend(charts_of(&parts, words, span).into_iter().enumerate().map(|(n, mut chart)| {
            chart.id = format!("chart-{}-{}", parts[0].0.id, offset + n);
            chart.subtitle = Some(words.get("activity-mood-subtitle"));
            chart
        }));
    }
    charts
}

/// The charts of one homework's sheets, as they are (see [`task_charts`]).
fn charts_of(parts: &[Answered<'_>], words: &Words<'_>, span: Span) -> Vec<Chart> {
    // A questionnaire is scored, not charted item by item (see `measures`); a sleep diary is
    // charted by what its times add up to.
    let derived: Vec<(TaskView, BTreeMap<String, String>)> = parts
        .iter()
        .filter(|(task, _)| task.kind == Kind::SleepDiary)
        .map(|(task, answers)| sleep::derived(task, answers, words))
        .collect();
    let parts: Vec<Answered<'_>> = if derived.is_empty() {
        parts
            .iter()
            .copied()
            .filter(|(task, _)| task.layout == SheetLayout::Table && task.kind != Kind::Questionnaire)
            .collect()
    } else {
        derived.iter().map(|(task, answers)| (task, answers)).collect()
    };
    let Some((last, _)) = parts.last() else { return Vec::new() };
    let columns = rated_columns(&parts);
    let sheets = read(&parts, &columns);
    let connected = last.frequency != Frequency::Once;
    plans(&columns)
        .into_iter()
        .enumerate()
        .filter_map(|(n, plan)| {
            let draft = match plan {
                Plan::Lines(group) => lines(&group, &sheets, words),
                // The booklet is published: its charts show ratings, never what the patient wrote,
                // and a line per emotion would need the emotion's word. Left out, not averaged.
                Plan::ByLabel(_) if span == Span::Course => return None,
                Plan::ByLabel(column) => by_label(column, &sheets, words),
                Plan::Pairs(from, to) => pairs(from, to, &sheets, words),
            };
            let id = format!("chart-{}-{n}", last.id);
            layout(draft, Frame { id, title: &last.title, slots: &sheets.slots, connected }, words, span)
        })
        .collect()
}

/// What a chart is drawn within: its id and title, the x points, whether lines join days.
struct Frame<'a> {
    id: String,
    title: &'a str,
    slots: &'a [Slot],
    connected: bool,
}

/// Lays out one chart; `None` when nothing of it was answered.
fn layout(draft: Draft, frame: Frame<'_>, words: &Words<'_>, span: Span) -> Option<Chart> {
    let Frame { id, title, slots, connected } = frame;
    let marked = |slot: usize| draft.traces.iter().any(|t| t.marks.iter().any(|m| m.slot == slot));
    if !(0..slots.len()).any(marked) {
        return None;
    }
    // A blank day of one week's sheet tells the therapist something; a blank row does not, and
    // the booklet shows only what the patient did.
    let kept: Vec<usize> =
        (0..slots.len()).filter(|&s| marked(s) || (span == Span::Session && slots[s].iso.is_some())).collect();
    let at = |slot: usize| kept.iter().position(|&k| k == slot);
    let dated = kept.iter().any(|&s| slots[s].iso.is_some());
    let (min, max) = draft.range;
    let view = ViewBox { width: WIDTH, height: HEIGHT, left: LEFT, right: RIGHT, top: TOP, bottom: BOTTOM };
    let band = (RIGHT - LEFT) / kept.len() as f64;
    let xs: Vec<f64> = (0..kept.len()).map(|i| round(LEFT + (i as f64 + 0.5) * band)).collect();
    let y_of = |v: f64| round(BOTTOM - (v - min as f64) / ((max - min).max(1) as f64) * (BOTTOM - TOP));
    let every = kept.len().div_ceil(MAX_X_LABELS).max(1);
    let labels: Vec<String> =
        kept.iter()
            .enumerate()
            .map(|(i, &s)| {
                if span == Span::Course && slots[s].iso.is_none() {
                    (i + 1).to_string()
                } else {
                    slots[s].label.clone()
                }
            })
            .collect();
    let x_labels = kept
        .iter()
        .enumerate()
        .map(|(i, &s)| XLabel { text: labels[i].clone(), iso: slots[s].iso.clone(), x: xs[i], shown: i % every == 0 })
        .collect();
    // The table's rows: every (x point, place) with a mark, and a blank row for each kept x point
    // without one.
    let mut places: Vec<(usize, usize)> =
        draft.traces.iter().flat_map(|t| &t.marks).filter_map(|m| Some((at(m.slot)?, m.lane))).collect();
    places.extend((0..kept.len()).map(|i| (i, 0)));
    places.sort_unstable();
    places.dedup();
    places.retain(|&(i, lane)| {
        lane == 0 || draft.traces.iter().any(|t| t.marks.iter().any(|m| at(m.slot) == Some(i) && m.lane == lane))
    });
    let lanes_at = |i: usize| places.iter().filter(|p| p.0 == i).count();
    let x_at = |(i, lane): (usize, usize)| round(xs[i] + lane_offset(lane, lanes_at(i), band));
    let lined = connected && !draft.paired;
    let series: Vec<Series> = draft
        .traces
        .iter()
        .enumerate()
        .map(|(n, trace)| {
            let style = STYLES[n % STYLES.len()];
            let value_at = |place: (usize, usize)| {
                trace.marks.iter().find(|m| (at(m.slot), m.lane) == (Some(place.0), place.1)).map(|m| m.value)
            };
            let values: Vec<Option<f64>> = places.iter().map(|&p| value_at(p)).collect();
            let points = places
                .iter()
                .filter_map(|&place| {
                    let v = value_at(place)?;
                    let (x, y) = (x_at(place), y_of(v));
                    let label = labels[place.0].clone();
                    Some(Point {
                        x,
                        y,
                        value: v,
                        shown: shown(v, words.lang),
                        label,
                        marker: marker(style.marker, x, y),
                    })
                })
                .collect();
            let by_x: Vec<Option<f64>> = (0..kept.len()).map(|i| value_at((i, 0))).collect();
            let segments = match (lined, draft.bridged) {
                (false, _) => Vec::new(),
                (true, false) => runs(&by_x, &xs, y_of),
                (true, true) => {
                    let (marked, at): (Vec<Option<f64>>, Vec<f64>) =
                        by_x.iter().zip(&xs).filter(|(v, _)| v.is_some()).map(|(v, x)| (*v, *x)).unzip();
                    runs(&marked, &at, y_of)
                }
            };
            Series {
                id: trace.id.clone(),
                label: trace.label.clone(),
                style: n % STYLES.len(),
                colour: style.colour,
                dash: style.dash,
                marker: style.marker,
                hollow: style.hollow,
                path: svg_path(&segments),
                segments,
                points,
                swatch: marker(style.marker, 14.0, 7.0),
                values,
            }
        })
        .collect();
    let links: Vec<Link> = if draft.paired {
        places
            .iter()
            .enumerate()
            .filter_map(|(r, &place)| {
                let (from, to) = (series[0].values[r]?, series[1].values[r]?);
                Some(Link { x: x_at(place), from: y_of(from), to: y_of(to) })
            })
            .collect()
    } else {
        Vec::new()
    };
    let rows = places
        .iter()
        .enumerate()
        .map(|(r, &(i, _))| DataRow {
            label: labels[i].clone(),
            iso: slots[kept[i]].iso.clone(),
            cells: series.iter().map(|s| s.values[r].map(|v| shown(v, words.lang))).collect(),
        })
        .collect();
    let percent = max == 100 && min == 0;
    let scale = words.get("chart-scale").replace("{min}", &min.to_string()).replace("{max}", &max.to_string());
    let mut told: Vec<String> = series.iter().filter_map(|s| series_summary(s, words)).collect();
    if draft.paired {
        told.push(pairs_summary(&series, words));
    }
    let named = match &draft.subtitle {
        Some(subtitle) => format!("{title}: {subtitle}"),
        None => title.to_string(),
    };
    Some(Chart {
        id,
        title: title.to_string(),
        subtitle: draft.subtitle,
        summary: format!("{named} ({scale}). {}.", told.join("; ")),
        y_min: min,
        y_max: max,
        y_title: if percent { "%".to_string() } else { format!("{min}–{max}") },
        x_title: words.get(if dated { "day" } else { "number" }),
        x_labels,
        y_ticks: ticks(min, max).into_iter().map(|value| YTick { value, y: y_of(value as f64) }).collect(),
        averaged: draft.averaged,
        series,
        rows,
        connected: lined,
        links,
        notes: draft.notes,
        view,
    })
}

/// "Tension before: from 7 to 3 (5 values, between 3 and 7)", in the chart's language.
fn series_summary(series: &Series, words: &Words<'_>) -> Option<String> {
    let (first, last) = (series.points.first()?, series.points.last()?);
    let low = series.points.iter().map(|p| p.value).fold(f64::INFINITY, f64::min);
    let high = series.points.iter().map(|p| p.value).fold(f64::NEG_INFINITY, f64::max);
    Some(
        words
            .get("chart-series-summary")
            .replace("{label}", &series.label)
            .replace("{first}", &first.shown)
            .replace("{last}", &last.shown)
            .replace("{n}", &series.points.len().to_string())
            .replace("{low}", &shown(low, words.lang))
            .replace("{high}", &shown(high, words.lang)),
    )
}

/// "5 rows with both: “Tension after” lower in 4, the same in 1, higher in 0".
fn pairs_summary(series: &[Series], words: &Words<'_>) -> String {
    let both: Vec<(f64, f64)> =
        series[0].values.iter().zip(&series[1].values).filter_map(|(a, b)| Some(((*a)?, (*b)?))).collect();
    let count = |f: fn(f64, f64) -> bool| both.iter().filter(|(a, b)| f(*a, *b)).count().to_string();
    words
        .get("chart-pairs-summary")
        .replace("{n}", &both.len().to_string())
        .replace("{to}", &series[1].label)
        .replace("{lower}", &count(|a, b| b < a))
        .replace("{same}", &count(|a, b| b == a))
        .replace("{higher}", &count(|a, b| b > a))
}

/// A value as printed: whole, or with one decimal (a decimal comma in Spanish and Catalan).
pub(crate) fn shown(value: f64, lang: &str) -> String {
    let tenths = (value * 10.0).round() / 10.0;
    let text = if tenths.fract() == 0.0 { format!("{tenths:.0}") } else { format!("{tenths:.1}") };
    if lang == "en" { text } else { text.replace('.', ",") }
}

#[cfg(test)]
mod tests {
    use super::draft::{Rated, folded, lower_first, pairs_with, tidy};
    use super::*;
    use crate::model::Kind;
    use crate::resolve::{ColumnView, DateView, Rich, RowBlock};
    use crate::templates::Templates;

    fn strings() -> Strings {
        Strings::parse(Templates::builtin().file("i18n.toml")).unwrap()
    }

    /// A view enum from its name in the layouts' JSON.
    fn named<T: serde::de::DeserializeOwned>(name: &str) -> T {
        serde_json::from_value(serde_json::Value::from(name)).unwrap()
    }

    fn column(id: &str, kind: &str, max: i64) -> ColumnView {
        let kind = named(kind);
        ColumnView::computed(id, id.to_uppercase(), kind, max)
    }

    fn task(frequency: &str, columns: Vec<ColumnView>, blocks: Vec<RowBlock>) -> TaskView {
        let frequency = named(frequency);
        TaskView {
            id: "log".into(),
            kind: Kind::Relaxation,
            title: "Log".into(),
            purpose: Rich::new(""),
            instructions: Rich::new(""),
            intro: None,
            note: None,
            minutes: 5,
            frequency,
            when: String::new(),
            level: 1,
            levels: 1,
            columns,
            blocks,
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
            likely: true,
            blank: false,
            choices: Vec::new(),
            source: None,
            stem: None,
        }
    }

    fn days(n: u32, rows: u32) -> Vec<RowBlock> {
        let first = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        (0..n)
            .map(|i| RowBlock { date: Some(DateView::new(first + chrono::Duration::days(i.into()), "en")), rows })
            .collect()
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_day_is_the_mean_of_its_rows_and_a_blank_day_is_a_gap() {
        let strings = strings();
        let words = Words { strings: &strings, lang: "en" };
        let log = task("daily", vec![column("time", "time", 0), column("before", "scale", 10)], days(3, 2));
        // Day 1: rows 0 and 1; day 2 left blank; day 3: row 5 only.
        let given =
            answers(&[("log/0/before", "6"), ("log/1/before", "3"), ("log/5/before", "2"), ("log/5/time", "x")]);
        let charts = task_charts(&[(&log, &given)], &words, Span::Session);
        assert_eq!(charts.len(), 1);
        let chart = &charts[0];
        assert_eq!(chart.series.len(), 1, "the time column is not rated");
        assert_eq!(chart.series[0].values, [Some(4.5), None, Some(2.0)]);
        assert!(chart.averaged);
        assert_eq!(
            chart.x_labels.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["Mon 4/1", "Tue 5/1", "Wed 6/1"]
        );
        assert!(chart.series[0].segments.is_empty(), "a gap leaves no two neighbours to join");
        assert_eq!(chart.rows[0].cells, [Some("4.5".to_string())]);
        assert!(chart.summary.contains("BEFORE: from 4.5 to 2"), "{}", chart.summary);
        // The booklet leaves the blank day out and joins the rest.
        let course = task_charts(&[(&log, &given)], &words, Span::Course);
        assert_eq!(course[0].series[0].values, [Some(4.5), Some(2.0)]);
        assert_eq!(course[0].series[0].segments.len(), 1);
    }

    #[test]
    fn different_ranges_get_their_own_charts_and_nothing_answered_none() {
        let strings = strings();
        let words = Words { strings: &strings, lang: "es" };
        let columns = vec![column("intensity", "scale", 10), column("believed", "percent", 100)];
        let record = task("per-situation", columns, vec![RowBlock { date: None, rows: 4 }]);
        assert!(task_charts(&[(&record, &answers(&[]))], &words, Span::Session).is_empty());
        let given = answers(&[("log/0/intensity", "8"), ("log/2/intensity", "5"), ("log/2/believed", "40")]);
        let charts = task_charts(&[(&record, &given)], &words, Span::Session);
        assert_eq!(charts.len(), 2);
        assert_eq!((charts[0].y_max, charts[1].y_max), (10, 100));
        assert_eq!(charts[1].y_title, "%");
        // Undated rows keep their sheet numbers; unanswered rows are left out.
        assert_eq!(charts[0].x_labels.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["1", "3"]);
        assert_eq!(charts[0].x_title, "N.º");
        assert_ne!(charts[0].id, charts[1].id);
    }

    #[test]
    fn out_of_range_answers_are_not_drawn() {
        let strings = strings();
        let words = Words { strings: &strings, lang: "en" };
        let log = task("daily", vec![column("before", "scale", 10)], days(2, 1));
        let given = answers(&[("log/0/before", "11"), ("log/1/before", "seven")]);
        assert!(task_charts(&[(&log, &given)], &words, Span::Session).is_empty());
    }

    fn labelled(id: &str, label: &str, kind: &str) -> ColumnView {
        ColumnView { label: label.into(), ..column(id, kind, 10) }
    }

    /// The labels of a chart's series.
    fn legend(chart: &Chart) -> Vec<&str> {
        chart.series.iter().map(|s| s.label.as_str()).collect()
    }

    #[test]
    fn ratings_by_emotion_get_a_line_each_and_never_a_mean_across_them() {
        let strings = strings();
        let words = Words { strings: &strings, lang: "en" };
        let columns = vec![
            labelled("situation", "Situation", "text"),
            labelled("emotion", "Emotion", "text"),
            labelled("intensity", "Intensity", "scale"),
        ];
        let record = task("daily", columns, days(3, 3));
        // Day 1: sadness 6, anger 7, and sadness again 4 (spelt differently); day 2 blank;
        // day 3: anger 5.
        let given = answers(&[
            ("log/0/emotion", " Sadness "),
            ("log/0/intensity", "6"),
            ("log/1/emotion", "anger"),
            ("log/1/intensity", "7"),
            ("log/2/emotion", "sadness."),
            ("log/2/intensity", "4"),
            ("log/6/emotion", "Anger"),
            ("log/6/intensity", "5"),
        ]);
        let charts = task_charts(&[(&record, &given)], &words, Span::Session);
        assert_eq!(charts.len(), 1);
        let chart = &charts[0];
        assert_eq!(chart.subtitle.as_deref(), Some("Intensity by emotion"));
        // Equally frequent: in the order first written, as first written.
        assert_eq!(legend(chart), ["Sadness", "anger"]);
        assert_eq!(chart.series[0].values, [Some(6.0), None, None], "the higher of the day's two sadnesses");
        assert_eq!(chart.series[1].values, [Some(7.0), None, Some(5.0)]);
        // Anger's line joins Monday to Wednesday: not naming it on Tuesday is no blank day.
        let anger = &chart.series[1];
        assert_eq!(
            anger.segments,
            [vec![[anger.points[0].x, anger.points[0].y], [anger.points[1].x, anger.points[1].y]]]
        );
        assert!(chart.series[0].segments.is_empty(), "a lone point");
        let plotted: Vec<f64> = chart.series.iter().flat_map(|s| &s.points).map(|p| p.value).collect();
        assert_eq!(plotted, [6.0, 7.0, 5.0], "answered values only, never a mean (6.5, 5.7)");
        assert!(!chart.averaged);
        assert_eq!(chart.notes.len(), 1);
        assert!(chart.notes[0].contains("the same “Emotion” twice"), "{:?}", chart.notes);
        assert!(chart.summary.starts_with("Log: Intensity by emotion (scale 0 to 10)"), "{}", chart.summary);
        assert!(chart.summary.contains("anger: from 7 to 5"), "{}", chart.summary);
        assert!(chart.series.iter().all(|s| !s.id.contains("anger") && !s.id.contains("adness")), "ids are no text");
        // The booklet is published: no chart there names the patient's words.
        assert!(task_charts(&[(&record, &given)], &words, Span::Course).is_empty());
    }

    #[test]
    fn more_than_four_answers_draw_the_four_most_frequent_and_name_the_rest() {
        let strings = strings();
        let words = Words { strings: &strings, lang: "es" };
        let columns = vec![labelled("emotion", "Emoción", "text"), labelled("intensity", "Intensidad", "scale")];
        let record = task("per-situation", columns, vec![RowBlock { date: None, rows: 9 }]);
        // The last rating has nothing written beside it: its own line, not dropped into another.
        let written = ["Miedo", "Rabia", "Pena", "miedo", "Culpa", "Asco", "Alegría", "pena", " "];
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (row, emotion) in written.iter().enumerate() {
            pairs.push((format!("log/{row}/emotion"), emotion.to_string()));
            pairs.push((format!("log/{row}/intensity"), (row + 1).to_string()));
        }
        let given: BTreeMap<String, String> = pairs.into_iter().collect();
        let charts = task_charts(&[(&record, &given)], &words, Span::Session);
        let chart = &charts[0];
        assert_eq!(legend(chart), ["Miedo", "Pena", "Rabia", "Culpa"]);
        assert_eq!(chart.subtitle.as_deref(), Some("Intensidad por emoción"));
        assert_eq!(chart.series[1].values.iter().flatten().copied().collect::<Vec<_>>(), [3.0, 8.0]);
        assert_eq!(chart.notes.len(), 1, "{:?}", chart.notes);
        assert!(
            chart.notes[0].contains(
                "las 4 respuestas más frecuentes en «Emoción» (de 7); sin dibujar: Asco, Alegría, (sin escribir)"
            ),
            "{}",
            chart.notes[0]
        );
        // Undated: each row its own point, and a row has one emotion, so one value per point.
        for (i, row) in chart.rows.iter().enumerate() {
            assert!(row.cells.iter().flatten().count() <= 1, "row {i}: {:?}", row.cells);
        }
    }

    #[test]
    fn every_rating_right_of_a_label_goes_by_label_and_others_stay_lines() {
        let strings = strings();
        let words = Words { strings: &strings, lang: "en" };
        let columns = vec![
            labelled("belief", "Belief", "percent"),
            labelled("emotion", "Emotion", "text"),
            labelled("intensity", "Intensity", "scale"),
            labelled("alternative", "Alternative", "text"),
            labelled("intensity-after", "Intensity now", "scale"),
        ];
        let record = task(
            "daily",
            columns
                .into_iter()
                .map(|c| ColumnView { max: if c.kind == FieldType::Percent { 100 } else { 10 }, ..c })
                .collect(),
            days(1, 2),
        );
        let given = answers(&[
            ("log/0/belief", "80"),
            ("log/0/emotion", "fear"),
            ("log/0/intensity", "8"),
            ("log/0/intensity-after", "4"),
            ("log/1/belief", "40"),
            ("log/1/emotion", "shame"),
            ("log/1/intensity", "6"),
            ("log/1/intensity-after", "5"),
        ]);
        let charts = task_charts(&[(&record, &given)], &words, Span::Session);
        let shape: Vec<(Option<&str>, Vec<&str>)> = charts.iter().map(|c| (c.subtitle.as_deref(), legend(c))).collect();
        assert_eq!(
            shape,
            [
                (None, vec!["Belief"]),
                (Some("Intensity by emotion"), vec!["fear", "shame"]),
                (Some("Intensity now by emotion"), vec!["fear", "shame"]),
            ]
        );
        assert!(charts[0].averaged, "a rating before the label column is still a day's mean");
        assert_eq!(charts[2].series[1].values, [Some(5.0)]);
    }

    #[test]
    fn before_and_after_are_drawn_as_a_pair_per_practice() {
        let strings = strings();
        let words = Words { strings: &strings, lang: "en" };
        let columns = vec![
            labelled("situation", "Situation", "text"),
            labelled("before", "Before", "scale"),
            labelled("after", "After", "scale"),
            labelled("difficulty", "Difficulty", "scale"),
        ];
        let log = task("daily", columns, days(2, 3));
        // Day 1: three practices, the third without its "after"; day 2 blank.
        let given = answers(&[
            ("log/0/before", "7"),
            ("log/0/after", "3"),
            ("log/0/difficulty", "2"),
            ("log/1/before", "6"),
            ("log/1/after", "6"),
            ("log/2/before", "5"),
            ("log/2/situation", "bus"),
        ]);
        let charts = task_charts(&[(&log, &given)], &words, Span::Session);
        assert_eq!(charts.len(), 2, "the pairs, then the difficulty alone");
        let pairs = &charts[0];
        assert_eq!(legend(pairs), ["Before", "After"]);
        assert!(!pairs.connected && pairs.series.iter().all(|s| s.segments.is_empty() && s.path.is_empty()));
        assert!(!pairs.averaged);
        // One table row per practice, and the blank day.
        assert_eq!(
            pairs.rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
            ["Mon 4/1", "Mon 4/1", "Mon 4/1", "Tue 5/1"]
        );
        assert_eq!(pairs.series[0].values, [Some(7.0), Some(6.0), Some(5.0), None]);
        assert_eq!(pairs.series[1].values, [Some(3.0), Some(6.0), None, None]);
        // Each practice at its own x, within its day, before and after one above the other.
        let xs = |s: &Series| s.points.iter().map(|p| p.x).collect::<Vec<_>>();
        let before = xs(&pairs.series[0]);
        assert!(before.windows(2).all(|w| w[0] < w[1]), "{before:?}");
        let day = &pairs.x_labels[0];
        assert!(before.iter().all(|x| (x - day.x).abs() < (pairs.x_labels[1].x - day.x) / 2.0));
        assert_eq!(xs(&pairs.series[1]), before[..2]);
        assert_eq!(pairs.links.len(), 2, "the third practice has no after");
        assert_eq!(
            (pairs.links[0].x, pairs.links[0].from, pairs.links[0].to),
            (before[0], pairs.series[0].points[0].y, pairs.series[1].points[0].y)
        );
        assert!(
            pairs.summary.contains("2 rows with both: “After” lower in 1, the same in 1, higher in 0"),
            "{}",
            pairs.summary
        );
        assert!(pairs.notes[0].contains("joins “Before” and “After”"), "{:?}", pairs.notes);
        assert_eq!(legend(&charts[1]), ["Difficulty"]);
    }

    #[test]
    fn pairs_are_named_before_and_after() {
        let rated = |id: &str, max: i64| Rated { id: id.into(), label: id.into(), min: 0, max, by: None };
        let paired = |from: &str, to: &str| pairs_with(&rated(from, 10), &rated(to, 10));
        assert!(paired("before", "after"));
        assert!(paired("intensity", "intensity-after"));
        assert!(paired("tension-before", "tension-after"));
        assert!(!paired("after", "before"));
        assert!(!paired("calm", "intensity-after"));
        assert!(!paired("before", "thereafter"));
        assert!(!pairs_with(&rated("before", 10), &rated("after", 100)), "not on the same scale");
    }

    #[test]
    fn answers_are_compared_trimmed_and_case_folded() {
        assert_eq!(folded("  Tristeza. "), "tristeza");
        assert_eq!(folded("MUCHA   rabia"), "mucha rabia");
        assert_eq!(tidy("  Mucha   rabia! "), "Mucha rabia");
        assert_eq!(lower_first("Emoción"), "emoción");
        assert_eq!(lower_first("SUDS"), "SUDS");
    }

    #[test]
    fn ticks_are_round_and_end_at_the_scale_ends() {
        assert_eq!(ticks(0, 10), [0, 2, 4, 6, 8, 10]);
        assert_eq!(ticks(0, 100), [0, 20, 40, 60, 80, 100]);
        assert_eq!(ticks(1, 5), [1, 2, 3, 4, 5]);
        assert_eq!(ticks(1, 7), [1, 3, 5, 7]);
        assert_eq!(ticks(0, 12), [0, 5, 12]);
    }

    #[test]
    fn values_print_with_one_decimal_in_the_language() {
        assert_eq!(shown(6.0, "es"), "6");
        assert_eq!(shown(6.5, "es"), "6,5");
        assert_eq!(shown(20.0 / 3.0, "en"), "6.7");
    }
}
