//! Charts of what a patient filled in online: their ratings drawn as lines, because people would
//! rather look than read.
//!
//! A table sheet's `scale` and `percent` columns (emotion intensity in a thought record, tension
//! before and after a relaxation practice, breathing difficulty…) become one [`Series`] each,
//! across the days of the sheet (a day's value is the mean of the rows answered that day) or, on an
//! undated sheet, across its rows. Columns with different ranges (0–10 beside a percentage) go to
//! separate charts, so neither is squashed.
//!
//! The therapist copy charts one session's answers ([`Span::Session`]: every day of the week is
//! kept, a day left blank is information); the end-of-therapy booklet charts the whole course
//! ([`Span::Course`]: only the days with answers, no gaps to read as a grade).
//!
//! The geometry is computed here, once, in a fixed view box: the HTML partial draws it as inline
//! SVG and the Typst layout scales the same numbers, so both show exactly the same picture and the
//! layouts do no arithmetic.

use std::collections::BTreeMap;

use serde::Serialize;

use super::TaskView;
use crate::i18n::Strings;

mod geometry;
use geometry::{marker, round, runs, svg_path, ticks};

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

/// Colours that stay apart for colour-blind readers (Okabe–Ito), each with its own dash pattern
/// and marker so that a greyscale print still tells the lines apart.
const STYLES: [Style; 4] = [
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
    /// One per rated column.
    pub series: Vec<Series>,
    /// The numbers as a table: one row per x point, one cell per series.
    pub rows: Vec<DataRow>,
    /// Whether the points are joined by lines (they follow each other in time); a list answered
    /// once (objectives, say) only shows its points.
    pub connected: bool,
    /// Whether some point is the mean of several rows of one day.
    pub averaged: bool,
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

/// One rated column across the x axis.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// The column's field id.
    pub id: String,
    /// The column's header.
    pub label: String,
    /// One value per x point; `None` where nothing was answered.
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
    /// The value (a day's mean), unrounded.
    pub value: f64,
    /// The value as printed: at most one decimal, in the chart's language.
    pub shown: String,
    /// Its x point's label.
    pub label: String,
    /// Its marker, as an SVG path.
    pub marker: String,
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
/// every answered one for the booklet), each with its packet's answers. One chart per range of
/// rated columns with at least one answer; none when nothing rated was answered or the sheet is
/// not a table.
pub(crate) fn task_charts(parts: &[Answered<'_>], words: &Words<'_>, span: Span) -> Vec<Chart> {
    let parts: Vec<Answered<'_>> = parts.iter().copied().filter(|(task, _)| task.layout == "table").collect();
    let Some((last, _)) = parts.last() else { return Vec::new() };
    let columns = rated_columns(&parts);
    let points = x_points(&parts, &columns);
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for c in &columns {
        if !ranges.contains(&(c.min, c.max)) {
            ranges.push((c.min, c.max));
        }
    }
    let connected = last.frequency != "once";
    ranges
        .into_iter()
        .enumerate()
        .filter_map(|(n, range)| {
            let group: Vec<&Rated> = columns.iter().filter(|c| (c.min, c.max) == range).collect();
            let id = format!("chart-{}-{n}", last.id);
            chart(Group { id, title: &last.title, columns: &group, points: &points, connected }, words, span)
        })
        .collect()
}

/// A rated column seen on at least one of the sheets.
struct Rated {
    id: String,
    label: String,
    min: i64,
    max: i64,
}

/// Every `scale` and `percent` column of the sheets, in the order first seen, labelled as the
/// latest sheet labels it.
fn rated_columns(parts: &[Answered<'_>]) -> Vec<Rated> {
    let mut columns: Vec<Rated> = Vec::new();
    for (task, _) in parts {
        for c in task.columns.iter().filter(|c| c.kind == "scale" || c.kind == "percent") {
            match columns.iter_mut().find(|r| r.id == c.id) {
                Some(known) => known.label.clone_from(&c.label),
                None => columns.push(Rated { id: c.id.clone(), label: c.label.clone(), min: c.min, max: c.max }),
            }
        }
    }
    columns
}

/// A point of the x axis before layout: a day (the mean of its rows) or one undated row.
struct XPoint {
    /// The short date, or the row's number on its sheet.
    label: String,
    iso: Option<String>,
    /// Column id → value.
    values: BTreeMap<String, f64>,
    /// Whether some value is the mean of two rows or more.
    averaged: bool,
}

/// The x points of every sheet, in order.
fn x_points(parts: &[Answered<'_>], columns: &[Rated]) -> Vec<XPoint> {
    let mut points = Vec::new();
    for (task, answers) in parts {
        let rated: Vec<&Rated> = columns.iter().filter(|r| task.columns.iter().any(|c| c.id == r.id)).collect();
        let mut row = 0usize;
        for block in &task.blocks {
            let rows = row..row + block.rows as usize;
            row = rows.end;
            match &block.date {
                Some(date) => {
                    let mut values = BTreeMap::new();
                    let mut averaged = false;
                    for column in &rated {
                        let found: Vec<f64> =
                            rows.clone().filter_map(|r| value(answers, &task.id, r, column)).collect();
                        if !found.is_empty() {
                            averaged |= found.len() > 1;
                            values.insert(column.id.clone(), found.iter().sum::<f64>() / found.len() as f64);
                        }
                    }
                    points.push(XPoint { label: date.short.clone(), iso: Some(date.iso.clone()), values, averaged });
                }
                None => {
                    for r in rows {
                        let values = rated
                            .iter()
                            .filter_map(|column| Some((column.id.clone(), value(answers, &task.id, r, column)?)))
                            .collect();
                        points.push(XPoint { label: (r + 1).to_string(), iso: None, values, averaged: false });
                    }
                }
            }
        }
    }
    points
}

/// The answer to one rated cell, when it is a number in the column's range (an imported file was
/// checked already; anything else is left out rather than drawn).
fn value(answers: &BTreeMap<String, String>, task: &str, row: usize, column: &Rated) -> Option<f64> {
    let text = answers.get(&crate::answers::cell_key(task, row, &column.id))?;
    let number: f64 = text.trim().parse().ok()?;
    (number.is_finite() && number >= column.min as f64 && number <= column.max as f64).then_some(number)
}

/// The columns of one range, to draw in one chart.
struct Group<'a> {
    id: String,
    title: &'a str,
    columns: &'a [&'a Rated],
    points: &'a [XPoint],
    connected: bool,
}

/// Lays out one chart; `None` when none of its columns was answered.
fn chart(group: Group<'_>, words: &Words<'_>, span: Span) -> Option<Chart> {
    let Group { id, title, columns, points, connected } = group;
    let answered = |p: &XPoint| columns.iter().any(|c| p.values.contains_key(&c.id));
    if !points.iter().any(answered) {
        return None;
    }
    // A blank day of one week's sheet tells the therapist something; a blank row does not, and
    // the booklet shows only what the patient did.
    let kept: Vec<&XPoint> =
        points.iter().filter(|p| answered(p) || (span == Span::Session && p.iso.is_some())).collect();
    let dated = kept.iter().any(|p| p.iso.is_some());
    let (min, max) = (columns[0].min, columns[0].max);
    let view = ViewBox { width: WIDTH, height: HEIGHT, left: LEFT, right: RIGHT, top: TOP, bottom: BOTTOM };
    let band = (RIGHT - LEFT) / kept.len() as f64;
    let xs: Vec<f64> = (0..kept.len()).map(|i| round(LEFT + (i as f64 + 0.5) * band)).collect();
    let y_of = |v: f64| round(BOTTOM - (v - min as f64) / ((max - min).max(1) as f64) * (BOTTOM - TOP));
    let every = kept.len().div_ceil(MAX_X_LABELS).max(1);
    let labels: Vec<String> = kept
        .iter()
        .enumerate()
        .map(|(i, p)| if span == Span::Course && p.iso.is_none() { (i + 1).to_string() } else { p.label.clone() })
        .collect();
    let x_labels = kept
        .iter()
        .enumerate()
        .map(|(i, p)| XLabel { text: labels[i].clone(), iso: p.iso.clone(), x: xs[i], shown: i % every == 0 })
        .collect();
    let series: Vec<Series> = columns
        .iter()
        .enumerate()
        .map(|(n, column)| {
            let values: Vec<Option<f64>> = kept.iter().map(|p| p.values.get(&column.id).copied()).collect();
            let style = STYLES[n % STYLES.len()];
            let points: Vec<Point> = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let v = (*v)?;
                    let (x, y) = (xs[i], y_of(v));
                    let label = labels[i].clone();
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
            let segments = if connected { runs(&values, &xs, y_of) } else { Vec::new() };
            Series {
                id: column.id.clone(),
                label: column.label.clone(),
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
    let rows = kept
        .iter()
        .enumerate()
        .map(|(i, p)| DataRow {
            label: labels[i].clone(),
            iso: p.iso.clone(),
            cells: series.iter().map(|s| s.values[i].map(|v| shown(v, words.lang))).collect(),
        })
        .collect();
    let percent = max == 100 && min == 0 && columns.iter().all(|c| c.max == 100);
    let scale = words.get("chart-scale").replace("{min}", &min.to_string()).replace("{max}", &max.to_string());
    let told: Vec<String> = series.iter().filter_map(|s| series_summary(s, words)).collect();
    Some(Chart {
        id,
        title: title.to_string(),
        summary: format!("{title} ({scale}). {}.", told.join("; ")),
        y_min: min,
        y_max: max,
        y_title: if percent { "%".to_string() } else { format!("{min}–{max}") },
        x_title: words.get(if dated { "day" } else { "number" }),
        x_labels,
        y_ticks: ticks(min, max).into_iter().map(|value| YTick { value, y: y_of(value as f64) }).collect(),
        averaged: kept.iter().any(|p| p.averaged),
        series,
        rows,
        connected,
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

/// A value as printed: whole, or with one decimal (a decimal comma in Spanish and Catalan).
pub(crate) fn shown(value: f64, lang: &str) -> String {
    let tenths = (value * 10.0).round() / 10.0;
    let text = if tenths.fract() == 0.0 { format!("{tenths:.0}") } else { format!("{tenths:.1}") };
    if lang == "en" { text } else { text.replace('.', ",") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{ColumnView, DateView, Rich, RowBlock};
    use crate::templates::Templates;

    fn strings() -> Strings {
        Strings::parse(Templates::builtin().file("i18n.toml")).unwrap()
    }

    fn column(id: &str, kind: &'static str, max: i64) -> ColumnView {
        ColumnView { id: id.into(), label: id.to_uppercase(), hint: None, kind, min: 0, max, prefill: Vec::new() }
    }

    fn task(frequency: &'static str, columns: Vec<ColumnView>, blocks: Vec<RowBlock>) -> TaskView {
        TaskView {
            id: "log".into(),
            kind: "relaxation",
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
            layout: "table",
            landscape: false,
            repeat: false,
            deep: false,
            questions: None,
            level_label: None,
            likely: true,
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
