//! Reading a session's answers into drafts of charts: which rated columns there are, how each is
//! charted (pairs, by label, lines), and the points each gives. The parent module lays a draft
//! out in its view box.

use super::*;
/// A rated column seen on at least one of the sheets.
pub(super) struct Rated {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) min: i64,
    pub(super) max: i64,
    /// The label column to its left, if any: (field id, header).
    pub(super) by: Option<(String, String)>,
}

/// Every `scale` and `percent` column of the sheets, in the order first seen, labelled (and
/// given its label column) as the latest sheet has it.
pub(super) fn rated_columns(parts: &[Answered<'_>]) -> Vec<Rated> {
    let mut columns: Vec<Rated> = Vec::new();
    for (task, _) in parts {
        // The nearest label column to the left rates every rating after it: a thought record's
        // "intensity now" re-rates the same emotion as its "intensity".
        let mut by: Option<(String, String)> = None;
        for c in &task.columns {
            if c.kind == FieldType::Text && LABEL_COLUMNS.contains(&c.id.as_str()) {
                by = Some((c.id.clone(), c.label.clone()));
            }
            if !matches!(c.kind, FieldType::Scale | FieldType::Percent) {
                continue;
            }
            match columns.iter_mut().find(|r| r.id == c.id) {
                Some(known) => {
                    known.label.clone_from(&c.label);
                    known.by.clone_from(&by);
                }
                None => columns.push(Rated {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    min: c.min,
                    max: c.max,
                    by: by.clone(),
                }),
            }
        }
    }
    columns
}

/// How a group of rated columns is charted.
pub(super) enum Plan<'a> {
    /// Columns of one range, one line each.
    Lines(Vec<&'a Rated>),
    /// One column, a line per answer of its label column.
    ByLabel(&'a Rated),
    /// A before and an after, as pairs.
    Pairs(&'a Rated, &'a Rated),
}

/// The charts of these columns, in the order of their first column.
pub(super) fn plans(columns: &[Rated]) -> Vec<Plan<'_>> {
    let pairs: Vec<(usize, usize)> = (0..columns.len())
        .flat_map(|to| (0..to).map(move |from| (from, to)))
        .filter(|&(from, to)| pairs_with(&columns[from], &columns[to]))
        .collect();
    let mut plans: Vec<Plan<'_>> = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        if let Some(&(_, to)) = pairs.iter().find(|(from, _)| *from == i) {
            plans.push(Plan::Pairs(column, &columns[to]));
        } else if pairs.iter().any(|(_, to)| *to == i) {
            // Drawn with its "before".
        } else if column.by.is_some() {
            plans.push(Plan::ByLabel(column));
        } else {
            let range = (column.min, column.max);
            match plans.iter_mut().find_map(|p| match p {
                Plan::Lines(group) if (group[0].min, group[0].max) == range => Some(group),
                _ => None,
            }) {
                Some(group) => group.push(column),
                None => plans.push(Plan::Lines(vec![column])),
            }
        }
    }
    plans
}

/// Whether `to` is the "after" of `from`: `before`/`after`, or `x`/`x-after` and
/// `x-before`/`x-after`, on the same scale. Ratings by label are charted by label instead (a pair
/// of two different emotions would say nothing).
pub(super) fn pairs_with(from: &Rated, to: &Rated) -> bool {
    let same = (from.min, from.max) == (to.min, to.max) && from.by.is_none() && to.by.is_none();
    let named = match to.id.strip_suffix("after") {
        Some("") => from.id == "before",
        Some(stem) => {
            stem.strip_suffix('-').is_some_and(|x| !x.is_empty() && (from.id == x || from.id == format!("{x}-before")))
        }
        None => false,
    };
    same && named
}

/// A point of the x axis before layout: a day, or one undated row.
pub(super) struct Slot {
    /// The short date, or the row's number on its sheet.
    pub(super) label: String,
    pub(super) iso: Option<String>,
}

/// One answered row of a sheet.
pub(super) struct Entry {
    /// Its x point.
    pub(super) slot: usize,
    /// Rated column id → value.
    pub(super) values: BTreeMap<String, f64>,
    /// Label column id → what was written there.
    pub(super) labels: BTreeMap<String, String>,
}

/// The sheets read for charting: their x points, and every row with a rating, in order.
pub(super) struct Sheets {
    pub(super) slots: Vec<Slot>,
    pub(super) entries: Vec<Entry>,
}

/// The x points of every sheet and the rated rows on them.
pub(super) fn read(parts: &[Answered<'_>], columns: &[Rated]) -> Sheets {
    let mut sheets = Sheets { slots: Vec::new(), entries: Vec::new() };
    for (task, answers) in parts {
        let rated: Vec<&Rated> = columns.iter().filter(|r| task.columns.iter().any(|c| c.id == r.id)).collect();
        let labels: Vec<&str> = rated.iter().filter_map(|r| Some(r.by.as_ref()?.0.as_str())).collect();
        let mut row = 0usize;
        for block in &task.blocks {
            let rows = row..row + block.rows as usize;
            row = rows.end;
            if let Some(date) = &block.date {
                sheets.slots.push(Slot { label: date.short.clone(), iso: Some(date.iso.clone()) });
            }
            for r in rows {
                if block.date.is_none() {
                    sheets.slots.push(Slot { label: (r + 1).to_string(), iso: None });
                }
                let values: BTreeMap<String, f64> = rated
                    .iter()
                    .filter_map(|column| Some((column.id.clone(), value(answers, &task.id, r, column)?)))
                    .collect();
                if values.is_empty() {
                    continue;
                }
                let labels = labels
                    .iter()
                    .filter_map(|id| {
                        Some((id.to_string(), answers.get(&crate::answers::cell_key(&task.id, r, id))?.clone()))
                    })
                    .collect();
                sheets.entries.push(Entry { slot: sheets.slots.len() - 1, values, labels });
            }
        }
    }
    sheets
}

/// The answer to one rated cell, when it is a number in the column's range (an imported file was
/// checked already; anything else is left out rather than drawn).
pub(super) fn value(answers: &BTreeMap<String, String>, task: &str, row: usize, column: &Rated) -> Option<f64> {
    let text = answers.get(&crate::answers::cell_key(task, row, &column.id))?;
    let number: f64 = text.trim().parse().ok()?;
    (number.is_finite() && number >= column.min as f64 && number <= column.max as f64).then_some(number)
}

/// What one chart draws, before layout.
pub(super) struct Draft {
    /// What a chart by label shows.
    pub(super) subtitle: Option<String>,
    /// The y axis: the range of the columns drawn.
    pub(super) range: (i64, i64),
    /// One per line (or per end of the pairs).
    pub(super) traces: Vec<Trace>,
    /// Whether the two traces are the ends of pairs.
    pub(super) paired: bool,
    /// Whether a line goes on past x points without a mark: an emotion not named one day is no
    /// day left blank, so its line joins the days it was named.
    pub(super) bridged: bool,
    /// Whether some mark is the mean of several rows.
    pub(super) averaged: bool,
    pub(super) notes: Vec<String>,
}

/// One series before layout.
pub(super) struct Trace {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) marks: Vec<Mark>,
}

/// One value of a trace: its x point, its place among the point's pairs (0 for lines), the value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    pub(super) slot: usize,
    pub(super) lane: usize,
    pub(super) value: f64,
}

/// Ratings with no label column: a line per column, a day's rows averaged.
pub(super) fn lines(columns: &[&Rated], sheets: &Sheets, words: &Words<'_>) -> Draft {
    let mut averaged = false;
    let traces = columns
        .iter()
        .map(|column| {
            let mut by_slot: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for e in &sheets.entries {
                if let Some(v) = e.values.get(&column.id) {
                    by_slot.entry(e.slot).or_default().push(*v);
                }
            }
            averaged |= by_slot.values().any(|found| found.len() > 1);
            let marks = by_slot
                .into_iter()
                .map(|(slot, found)| Mark { slot, lane: 0, value: found.iter().sum::<f64>() / found.len() as f64 })
                .collect();
            Trace { id: column.id.clone(), label: column.label.clone(), marks }
        })
        .collect();
    let notes = if averaged { vec![words.get("chart-averaged")] } else { Vec::new() };
    Draft {
        subtitle: None,
        range: (columns[0].min, columns[0].max),
        traces,
        paired: false,
        bridged: false,
        averaged,
        notes,
    }
}

/// One answer of a label column, as a line.
pub(super) struct Labelled {
    /// Trimmed and case-folded: what answers are compared by.
    pub(super) key: String,
    /// As first written (trimmed).
    pub(super) shown: String,
    /// How many rows gave it.
    pub(super) count: usize,
    /// x point → its highest rating there.
    pub(super) highest: BTreeMap<usize, f64>,
    /// Whether some x point has it twice.
    pub(super) twice: bool,
}

/// A rating with a label column: a line per answer written there, never a mean across them.
pub(super) fn by_label(column: &Rated, sheets: &Sheets, words: &Words<'_>) -> Draft {
    let (by, by_label) = column.by.clone().unwrap_or_default();
    let mut found: Vec<Labelled> = Vec::new();
    for e in &sheets.entries {
        let Some(&v) = e.values.get(&column.id) else { continue };
        let written = e.labels.get(&by).map_or("", |w| w.as_str());
        let key = folded(written);
        let n = match found.iter().position(|f| f.key == key) {
            Some(n) => n,
            None => {
                let shown = if key.is_empty() { words.get("chart-no-label") } else { tidy(written) };
                found.push(Labelled { key, shown, count: 0, highest: BTreeMap::new(), twice: false });
                found.len() - 1
            }
        };
        let label = &mut found[n];
        label.count += 1;
        label.twice |= label.highest.contains_key(&e.slot);
        let highest = label.highest.entry(e.slot).or_insert(v);
        *highest = highest.max(v);
    }
    // The most frequent first; a stable sort keeps ties in the order first written.
    found.sort_by_key(|f| std::cmp::Reverse(f.count));
    let left_out: Vec<String> = found.iter().skip(MAX_LABELS).map(|f| f.shown.clone()).collect();
    found.truncate(MAX_LABELS);
    let mut notes = Vec::new();
    if found.iter().any(|f| f.twice) {
        notes.push(words.get("chart-max").replace("{label}", &by_label));
    }
    if !left_out.is_empty() {
        notes.push(
            words
                .get("chart-top")
                .replace("{n}", &MAX_LABELS.to_string())
                .replace("{label}", &by_label)
                .replace("{total}", &(MAX_LABELS + left_out.len()).to_string())
                .replace("{others}", &left_out.join(", ")),
        );
    }
    let traces = found
        .into_iter()
        .enumerate()
        .map(|(n, f)| Trace {
            id: format!("{}-{}", column.id, n + 1),
            label: f.shown,
            marks: f.highest.into_iter().map(|(slot, value)| Mark { slot, lane: 0, value }).collect(),
        })
        .collect();
    let subtitle = words.get("chart-by").replace("{scale}", &column.label).replace("{label}", &lower_first(&by_label));
    Draft {
        subtitle: Some(subtitle),
        range: (column.min, column.max),
        traces,
        paired: false,
        bridged: true,
        averaged: false,
        notes,
    }
}

/// A before and an after: every row a pair, side by side within its day.
pub(super) fn pairs(from: &Rated, to: &Rated, sheets: &Sheets, words: &Words<'_>) -> Draft {
    let mut traces = [from, to].map(|c| Trace { id: c.id.clone(), label: c.label.clone(), marks: Vec::new() });
    let mut lanes: BTreeMap<usize, usize> = BTreeMap::new();
    for e in &sheets.entries {
        let ends = [e.values.get(&from.id), e.values.get(&to.id)];
        if ends.iter().all(Option::is_none) {
            continue;
        }
        let lane = lanes.entry(e.slot).or_default();
        for (trace, end) in traces.iter_mut().zip(ends) {
            if let Some(&value) = end {
                trace.marks.push(Mark { slot: e.slot, lane: *lane, value });
            }
        }
        *lane += 1;
    }
    let note = words.get("chart-pairs").replace("{from}", &from.label).replace("{to}", &to.label);
    Draft {
        subtitle: None,
        range: (from.min, from.max),
        traces: traces.into(),
        paired: true,
        bridged: false,
        averaged: false,
        notes: vec![note],
    }
}

/// An answer as compared: trimmed of spaces and stray punctuation, case-folded.
pub(super) fn folded(written: &str) -> String {
    tidy(written).to_lowercase()
}

/// An answer as shown: trimmed, inner runs of spaces made one.
pub(super) fn tidy(written: &str) -> String {
    let words: Vec<&str> = written.split_whitespace().collect();
    words.join(" ").trim_matches(|c: char| ".,;:!?¡¿".contains(c)).trim().to_string()
}

/// "Emotion" → "emotion", inside a sentence; "SUDS" stays as it is.
pub(super) fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => {
            first.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_string(),
    }
}
