//! Personalisation: the values a plan passes to a homework (`params = { book = "…" }`), checked
//! against the homework's `[params.*]` declarations and filled into its `{placeholders}`.
//!
//! Shared by validation (which reports every mismatch) and resolution (which fills them in), so the
//! two can never disagree on what a value means.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::markdown::escape_markdown;
use crate::model::{Homework, Param, ParamType};

/// A param value as the plan gave it, after checking its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A text or a web address.
    Text(String),
    /// A list of texts.
    List(Vec<String>),
    /// A whole number.
    Number(i64),
}

impl Value {
    /// The value as one line of text (lists are joined with commas).
    pub fn display(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::List(items) => items.join(", "),
            Value::Number(n) => n.to_string(),
        }
    }

    /// The value as a list (a single value is a list of one).
    pub fn items(&self) -> Vec<String> {
        match self {
            Value::List(items) => items.clone(),
            other => vec![other.display()],
        }
    }
}

/// Checks a TOML value against its declaration; the error says what was expected.
pub fn check(param: &Param, value: &toml::Value) -> Result<Value, String> {
    match (param.kind.get_ref(), value) {
        (ParamType::Text, toml::Value::String(s)) => Ok(Value::Text(s.clone())),
        (ParamType::Url, toml::Value::String(s)) => {
            let lower = s.to_ascii_lowercase();
            if (lower.starts_with("https://") || lower.starts_with("http://")) && !s.contains(char::is_whitespace) {
                Ok(Value::Text(s.clone()))
            } else {
                Err("a web address starting with https:// (or http://)".into())
            }
        }
        (ParamType::Number, toml::Value::Integer(n)) => Ok(Value::Number(*n)),
        (ParamType::List, toml::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| "a list of texts, e.g. [\"…\", \"…\"]".to_string()))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (ParamType::List, _) => Err("a list of texts, e.g. [\"…\", \"…\"]".into()),
        (ParamType::Number, _) => Err("a whole number, e.g. 1999".into()),
        (ParamType::Text, _) => Err("a text in quotes".into()),
        (ParamType::Url, _) => Err("a web address in quotes".into()),
    }
}

/// The `{name}` placeholders in a text, with their byte ranges (braces included).
pub fn placeholders(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('{').map(|i| rest + i) {
        let Some(close) = text[open..].find('}').map(|i| open + i) else { break };
        let name = &text[open + 1..close];
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            found.push((open..close + 1, name));
            rest = close + 1;
        } else {
            rest = open + 1;
        }
    }
    found
}

/// The values every placeholder of a homework stands for, in one language: what the plan passed,
/// else the param's default.
pub fn values_for(homework: &Homework, given: &BTreeMap<String, Value>, lang: &str) -> BTreeMap<String, String> {
    homework
        .params
        .iter()
        .filter_map(|(name, param)| {
            let value = given
                .get(name)
                .map(Value::display)
                .or_else(|| param.default.as_ref().and_then(|d| d.get_ref().get(lang).cloned()))?;
            Some((name.clone(), value))
        })
        .collect()
}

/// Fills placeholders in plain text.
pub fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    fill_with(text, values, |v| v.to_string())
}

/// Fills placeholders in Markdown, escaping the values so they show literally.
pub fn fill_markdown(text: &str, values: &BTreeMap<String, String>) -> String {
    fill_with(text, values, escape_markdown)
}

fn fill_with(text: &str, values: &BTreeMap<String, String>, escape: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, name) in placeholders(text) {
        if let Some(value) = values.get(name) {
            out.push_str(&text[last..range.start]);
            out.push_str(&escape(value));
            last = range.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_but_not_other_braces() {
        let found: Vec<&str> =
            placeholders("Lee {book} de {author} {not a name} {}").into_iter().map(|(_, n)| n).collect();
        assert_eq!(found, ["book", "author"]);
    }

    #[test]
    fn fills_known_placeholders_and_escapes_markdown_values() {
        let values = BTreeMap::from([("book".to_string(), "*Emma* <b>".to_string())]);
        assert_eq!(fill("Lee {book} y {otro}", &values), "Lee *Emma* <b> y {otro}");
        assert_eq!(fill_markdown("Lee {book}", &values), "Lee \\*Emma\\* \\<b\\>");
    }
}
