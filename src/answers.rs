//! A packet's online form and the answers a patient brings back from it.
//!
//! Every blank of a printed sheet is also a form field on its HTML page. A field is named by a
//! key built here and nowhere else (the HTML layouts follow the same scheme, and a test holds them
//! to it): `task/row/column` for a table cell, `task/s/column` for a section, `task/<earlier
//! task>/column` for a review question, `task/day/2026-11-27` for a day's tick, `task/likely` and
//! `task/reflection` for the lines every sheet ends with. The browser keeps the answers in
//! `localStorage` and downloads them as an [`AnswerFile`]; `tarea import` checks that file against
//! the packet it names (by token) and keeps it under `library/answers/`, on the private side.
//!
//! This module is the scheme and the checks of one value, below the pipeline's stages; which
//! fields a packet's pages have is worked out from its view model in `resolve::form`.

use crate::model::FieldType;

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
        FieldType::Scale | FieldType::Percent | FieldType::Number => number(field.min, field.max),
        FieldType::Check if value == "true" || value == "false" => Ok(()),
        FieldType::Check => Err(format!("should be true or false, not \"{}\"", short(value))),
        FieldType::Date if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() => Ok(()),
        FieldType::Date => Err(format!("should be a date like 2026-11-27, not \"{}\"", short(value))),
        FieldType::Time if chrono::NaiveTime::parse_from_str(value, "%H:%M").is_ok() => Ok(()),
        FieldType::Time => Err(format!("should be a time like 20:30, not \"{}\"", short(value))),
        FieldType::Text => Ok(()),
    }
}

/// A message naming keys the packet does not have (at most three of them).
pub fn unknown_message(unknown: &[String]) -> String {
    let named: Vec<String> = unknown.iter().take(3).map(|k| format!("\"{}\"", short(k))).collect();
    let more = if unknown.len() > 3 { format!(" and {} more", unknown.len() - 3) } else { String::new() };
    let noun = if unknown.len() == 1 { "answer is" } else { "answers are" };
    format!("{} {noun} for fields this packet no longer has: {}{more}", unknown.len(), named.join(", "))
}

/// At most 40 characters of `text`, for a message.
pub(crate) fn short(text: &str) -> String {
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
