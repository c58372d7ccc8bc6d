//! What a patient wrote online, laid out for the therapist to read: each sheet's answered rows as
//! a table with the sheet's own columns, each plan-like section with its answer, and the lines
//! every sheet ends with ("how likely", "how did it go"). Private side only: the charts show the
//! numbers, this shows the words (the situations and thoughts the session will talk about).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{SheetLayout, TaskView};
use crate::answers;
use crate::model::{AnswerFile, FieldType};

/// One sheet's written answers.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenSheet {
    /// The sheet's title.
    pub title: String,
    /// The column headers of its rows (a table sheet), empty for a plan-like sheet.
    pub columns: Vec<String>,
    /// Whether its rows are headed by days (or else by row numbers or section headings).
    pub dated: bool,
    /// The answered rows, in sheet order.
    pub rows: Vec<WrittenRow>,
    /// Whether any row says when it was written (the table then has a column for it).
    pub timed: bool,
    /// "How likely am I to do it?", in percent, as answered.
    pub likely: Option<String>,
    /// "How did it go?", as answered.
    pub reflection: Option<String>,
}

/// One answered row (or section) of a sheet.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenRow {
    /// The day's short date or the row number (a table), or the section's heading.
    pub head: String,
    /// One cell per column (empty when not answered); a section has one.
    pub cells: Vec<String>,
    /// When the patient's browser last saved an answer of this row ("Mar 1/12 21:40", its own
    /// clock), when the file says.
    pub at: Option<String>,
}

/// The interface words a written sheet needs, in the copy's language.
pub(crate) struct WrittenWords {
    /// What a ticked box reads as.
    pub yes: String,
    /// The heading of the days ticked as done.
    pub days_done: String,
    /// The copy's language (for the times rows were written).
    pub lang: String,
}

/// The latest time any of `keys` was saved, as the patient's device reported it.
fn written_at<'k>(
    keys: impl IntoIterator<Item = &'k str>,
    times: &BTreeMap<String, String>,
    lang: &str,
) -> Option<String> {
    let at = keys.into_iter().filter_map(|k| chrono::DateTime::parse_from_rfc3339(times.get(k)?.trim()).ok()).max()?;
    Some(format!("{} {}", super::DateView::new(at.date_naive(), lang).short, at.format("%H:%M")))
}

/// The written answers of `sheet` in `given`; `None` when nothing of it was answered.
pub(crate) fn written_sheet(sheet: &TaskView, file: &AnswerFile, words: &WrittenWords) -> Option<WrittenSheet> {
    let given = &file.answers;
    let yes = words.yes.as_str();
    let kinds: BTreeMap<String, FieldType> =
        super::form::fields_of(sheet).into_iter().map(|f| (f.key, f.kind)).collect();
    // A tick reads "yes" (an unticked box is no answer); any other value as it was written.
    let value = |key: &str| {
        let v = given.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())?;
        match kinds.get(key) {
            Some(FieldType::Check) => (v == "true").then(|| yes.to_string()),
            _ => Some(v.to_string()),
        }
    };
    let mut rows = Vec::new();
    let columns: Vec<String>;
    if sheet.layout == SheetLayout::Table {
        columns = sheet.columns.iter().map(|c| c.label.clone()).collect();
        let mut row = 0;
        for block in &sheet.blocks {
            for _ in 0..block.rows {
                let keys: Vec<String> =
                    sheet.columns.iter().map(|c| answers::cell_key(&sheet.id, row, &c.id)).collect();
                let cells: Vec<String> = keys.iter().map(|k| value(k).unwrap_or_default()).collect();
                if cells.iter().any(|c| !c.is_empty()) {
                    let head = block.date.as_ref().map_or_else(|| (row + 1).to_string(), |d| d.short.clone());
                    let at = written_at(keys.iter().map(String::as_str), &file.times, &words.lang);
                    rows.push(WrittenRow { head, cells, at });
                }
                row += 1;
            }
        }
    } else {
        columns = Vec::new();
        let items: Vec<(&str, Option<&str>)> = if sheet.history.is_empty() {
            vec![("s", None)]
        } else {
            sheet.history.iter().map(|h| (h.id.as_str(), Some(h.title.as_str()))).collect()
        };
        for (item, about) in items {
            for c in &sheet.columns {
                let key = answers::section_key(&sheet.id, item, &c.id);
                if let Some(answer) = value(&key) {
                    let head = about.map_or_else(|| c.label.clone(), |t| format!("{t} · {}", c.label));
                    let at = written_at([key.as_str()], &file.times, &words.lang);
                    rows.push(WrittenRow { head, cells: vec![answer], at });
                }
            }
        }
        let ticked: Vec<&str> = sheet
            .days
            .iter()
            .filter(|d| value(&answers::day_key(&sheet.id, &d.iso)).is_some())
            .map(|d| d.short.as_str())
            .collect();
        if !ticked.is_empty() {
            rows.push(WrittenRow { head: words.days_done.clone(), cells: vec![ticked.join(", ")], at: None });
        }
    }
    let likely = value(&format!("{}/likely", sheet.id));
    let reflection = value(&format!("{}/reflection", sheet.id));
    if rows.is_empty() && likely.is_none() && reflection.is_none() {
        return None;
    }
    let dated = sheet.blocks.iter().any(|b| b.date.is_some());
    let timed = rows.iter().any(|r| r.at.is_some());
    Some(WrittenSheet { title: sheet.title.clone(), columns, dated, rows, timed, likely, reflection })
}
