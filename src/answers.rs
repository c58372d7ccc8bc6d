//! A packet's online form and the answers a patient brings back from it.
//!
//! Every blank of a printed sheet is also a form field on its HTML page. A field is named by a
//! key built here and nowhere else (the HTML layouts follow the same scheme, and a test holds them
//! to it): `task/row/column` for a table cell, `task/s/column` for a section, `task/<earlier
//! task>/column` for a review question, `task/day/2026-11-27` for a day's tick, `task/likely` and
//! `task/reflection` for the lines every sheet ends with. The browser keeps the answers in
//! `localStorage` and downloads them as an [`AnswerFile`]; `tarea import` checks that file against
//! the packet it names (by token) and keeps it under `library/answers/`, on the private side.

use std::collections::BTreeMap;

use crate::model::{FieldType, Kind};
use crate::resolve::{Packet, SheetLayout, TaskView};

pub use crate::model::{AnswerFile, FORMAT, VERSION};

/// The longest answer kept, in characters (as long as a therapist's note).
pub const MAX_ANSWER: usize = 3000;

/// One field of a packet's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its key.
    pub key: String,
    /// What it records.
    pub kind: FieldType,
    /// A scale's lowest value.
    pub min: i64,
    /// A scale's highest value.
    pub max: i64,
}

/// A table cell's key; `row` counts the task's rows from 0 across its days.
pub fn cell_key(task: &str, row: usize, column: &str) -> String {
    format!("{task}/{row}/{column}")
}

/// A section's key; `item` is `s`, or the earlier task a review question is about.
pub fn section_key(task: &str, item: &str, column: &str) -> String {
    format!("{task}/{item}/{column}")
}

/// The key of a day's "done" tick.
pub fn day_key(task: &str, iso: &str) -> String {
    format!("{task}/day/{iso}")
}

/// Every field of a packet's form, in page order.
pub fn fields(packet: &Packet) -> Vec<Field> {
    packet.tasks.iter().flat_map(fields_of).collect()
}

/// The fields of one task's page.
pub fn fields_of(task: &TaskView) -> Vec<Field> {
    let field = |key: String, kind: FieldType, min: i64, max: i64| Field { key, kind, min, max };
    let mut out = Vec::new();
    if task.likely {
        out.push(field(format!("{}/likely", task.id), FieldType::Percent, 0, 100));
    }
    if task.layout == SheetLayout::Table {
        let rows: usize = task.blocks.iter().map(|b| b.rows as usize).sum();
        for row in 0..rows {
            for c in &task.columns {
                out.push(field(cell_key(&task.id, row, &c.id), c.kind, c.min, c.max));
            }
        }
    } else {
        let items: Vec<&str> =
            if task.history.is_empty() { vec!["s"] } else { task.history.iter().map(|h| h.id.as_str()).collect() };
        for item in items {
            for c in &task.columns {
                out.push(field(section_key(&task.id, item, &c.id), c.kind, c.min, c.max));
            }
        }
    }
    if task.kind == Kind::SelfDesigned {
        out.extend(task.days.iter().map(|d| field(day_key(&task.id, &d.iso), FieldType::Check, 0, 1)));
    }
    out.push(field(format!("{}/reflection", task.id), FieldType::Text, 0, 0));
    out
}

/// Why `value` does not fit `field`, if it does not.
pub fn check_value(field: &Field, value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_ANSWER {
        return Err(format!("is longer than {MAX_ANSWER} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err("holds control characters".into());
    }
    let number = |min: i64, max: i64| match value.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(()),
        _ => Err(format!("should be a whole number from {min} to {max}, not \"{}\"", short(value))),
    };
    match field.kind {
        FieldType::Scale | FieldType::Percent => number(field.min, field.max),
        FieldType::Check if value == "true" || value == "false" => Ok(()),
        FieldType::Check => Err(format!("should be true or false, not \"{}\"", short(value))),
        FieldType::Date if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() => Ok(()),
        FieldType::Date => Err(format!("should be a date like 2026-11-27, not \"{}\"", short(value))),
        FieldType::Time if chrono::NaiveTime::parse_from_str(value, "%H:%M").is_ok() => Ok(()),
        FieldType::Time => Err(format!("should be a time like 20:30, not \"{}\"", short(value))),
        FieldType::Text => Ok(()),
    }
}

/// What checking an answer file against its packet found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Values that do not fit their field, and a wrong format or version: the file is refused.
    pub problems: Vec<String>,
    /// Keys of fields the packet no longer has (its plan changed after it was handed out): they
    /// are left out and reported, the rest of the file is good.
    pub unknown: Vec<String>,
}

/// Checks an answer file against the packet its token names.
pub fn check(file: &AnswerFile, packet: &Packet) -> Checked {
    let mut out = Checked::default();
    if file.format != FORMAT {
        out.problems.push(format!("\"format\" should be \"{FORMAT}\", not \"{}\"", short(&file.format)));
    }
    if file.version != VERSION {
        out.problems.push(format!("\"version\" {} is not one this tarea reads (it reads {VERSION})", file.version));
    }
    let all = fields(packet);
    let known: BTreeMap<&str, &Field> = all.iter().map(|f| (f.key.as_str(), f)).collect();
    for (key, value) in &file.answers {
        match known.get(key.as_str()) {
            None => out.unknown.push(key.clone()),
            Some(field) => {
                if let Err(why) = check_value(field, value) {
                    out.problems.push(format!("answer \"{key}\" {why}"));
                }
            }
        }
    }
    out
}

/// A message naming keys the packet does not have (at most three of them).
pub fn unknown_message(unknown: &[String]) -> String {
    let named: Vec<String> = unknown.iter().take(3).map(|k| format!("\"{}\"", short(k))).collect();
    let more = if unknown.len() > 3 { format!(" and {} more", unknown.len() - 3) } else { String::new() };
    let noun = if unknown.len() == 1 { "answer is" } else { "answers are" };
    format!("{} {noun} for fields this packet no longer has: {}{more}", unknown.len(), named.join(", "))
}

/// At most 40 characters of `text`, for a message.
fn short(text: &str) -> String {
    let mut cut: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    if text.chars().count() > 40 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str) -> Field {
        let kind = serde_json::from_value(serde_json::Value::from(kind)).unwrap();
        Field { key: "k".into(), kind, min: 0, max: 10 }
    }

    #[test]
    fn values_are_checked_by_kind() {
        assert!(check_value(&field("scale"), "7").is_ok());
        assert!(check_value(&field("scale"), "11").is_err());
        assert!(check_value(&field("scale"), "seven").is_err());
        assert!(check_value(&field("check"), "true").is_ok());
        assert!(check_value(&field("check"), "yes").is_err());
        assert!(check_value(&field("date"), "2026-11-27").is_ok());
        assert!(check_value(&field("date"), "27/11").is_err());
        assert!(check_value(&field("time"), "20:30").is_ok());
        assert!(check_value(&field("time"), "8pm").is_err());
        assert!(check_value(&field("text"), "line one\nline two").is_ok());
        assert!(check_value(&field("text"), "bell\u{7}").is_err());
        assert!(check_value(&field("text"), &"x".repeat(MAX_ANSWER + 1)).is_err());
    }
}
