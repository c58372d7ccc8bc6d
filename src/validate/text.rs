//! Checks of single texts: present, translated, not too long for a sheet, free of control
//! characters — and dates and times in the forms the sheets print.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use toml::Spanned;
use toml::value::Datetime;

use crate::diagnostic::Diagnostics;
use crate::i18n::LANGUAGES;
use crate::load::SourceFile;
use crate::model::Localized;
use crate::model::plain_date;

/// Checks that localized texts exist in the languages they are read in.
pub(super) struct Texts<'a> {
    pub(super) src: &'a SourceFile,
    pub(super) clinic_languages: &'a [&'a str],
    pub(super) users: &'a BTreeMap<String, Vec<&'a str>>,
}

impl Texts<'_> {
    pub(super) fn check(&self, text: &Localized, what: &str, diags: &mut Diagnostics) {
        let present = text.get_ref();
        for lang in present.keys().filter(|l| !LANGUAGES.contains(&l.as_str())) {
            diags.push(
                self.src
                    .error_at(text.span(), format!("`{what}` has a text in `{lang}`, a language tarea does not speak"))
                    .help(format!("the languages are {}; check the spelling", LANGUAGES.join(", ")))
                    .warning(),
            );
        }
        let mut wanted: BTreeSet<&str> = self.clinic_languages.iter().copied().collect();
        wanted.extend(self.users.keys().map(String::as_str));
        for value in present.values() {
            check_length_and_controls(self.src, text.span(), value, (what, TEXT_LIMIT), true, diags);
        }
        for lang in wanted {
            if present.get(lang).is_some_and(|s| !s.trim().is_empty()) {
                continue;
            }
            let message = format!("`{what}` has no `{lang}` text");
            let d = self.src.error_at(text.span(), message);
            match self.users.get(lang) {
                Some(plans) => {
                    diags.push(d.help(format!("add {lang} = \"…\": plan {} reads it in {lang}", plans.join(", "))))
                }
                None => {
                    diags.push(d.help(format!("add {lang} = \"…\" (the clinic lists {lang} in languages)")).warning())
                }
            }
        }
    }
}

/// Longest name or therapist, in characters: a name is printed in headers and footers.
pub(super) const NAME_LIMIT: usize = 80;
/// Longest homework text (a purpose, instructions), in characters.
const TEXT_LIMIT: usize = 6000;
/// Longest personal note, in characters: it has to fit on the sheet beside the table.
pub(super) const NOTE_LIMIT: usize = 3000;
/// Longest param value, in characters, and most items in a list param.
pub(super) const PARAM_LIMIT: usize = 400;
pub(super) const LIST_LIMIT: usize = 40;

/// A one-line text: present, not too long, and free of control characters.
pub(super) fn check_plain_text(
    src: &SourceFile,
    text: &Spanned<String>,
    key: &str,
    limit: usize,
    diags: &mut Diagnostics,
) {
    let value = text.get_ref();
    if value.trim().is_empty() {
        diags
            .push(src.error_at(text.span(), format!("`{key}` is empty")).help("write it as the sheets should show it"));
    }
    check_length_and_controls(src, text.span(), value, (key, limit), false, diags);
}

/// Reports a text longer than `limit` characters, or with control characters (line breaks and
/// tabs only where `multiline`).
pub(super) fn check_length_and_controls(
    src: &SourceFile,
    span: std::ops::Range<usize>,
    value: &str,
    (key, limit): (&str, usize),
    multiline: bool,
    diags: &mut Diagnostics,
) {
    let count = value.chars().count();
    if count > limit {
        diags.push(
            src.error_at(span.clone(), format!("`{key}` is {count} characters long; at most {limit} fit on a sheet"))
                .help("shorten it"),
        );
    }
    if let Some(c) = value.chars().find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t' | '\r'))) {
        diags.push(
            src.error_at(span, format!("`{key}` contains the control character U+{:04X}", u32::from(c)))
                .help("remove it: it cannot be printed (escapes like \\u0000 in TOML strings produce these)"),
        );
    }
}

/// A reminder time must be "HH:MM" on a 24-hour clock.
pub(super) fn check_time(src: &SourceFile, time: Option<&Spanned<String>>, diags: &mut Diagnostics) {
    let Some(time) = time else { return };
    if chrono::NaiveTime::parse_from_str(time.get_ref(), "%H:%M").is_err() {
        diags.push(
            src.error_at(time.span(), "not a time of day")
                .help("write it as \"HH:MM\" on a 24-hour clock, e.g. \"20:00\""),
        );
    }
}

pub(super) fn check_date(
    src: &SourceFile,
    value: &Spanned<Datetime>,
    key: &str,
    diags: &mut Diagnostics,
) -> Option<NaiveDate> {
    let date = plain_date(value.get_ref());
    if date.is_none() {
        diags.push(
            src.error_at(value.span(), format!("`{key}` must be a plain date"))
                .help(format!("write it as {key} = 2026-11-26, without a time")),
        );
    }
    date
}
