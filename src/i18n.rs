//! Interface words and dates in Spanish, English and Catalan.
//!
//! The words ("Why this helps", "Day", "Minutes") live in `templates/i18n.toml`, so a clinic can
//! reword them by overriding that one file; dates are formatted here because their grammar
//! ("dijous, 26 de novembre", "d'abril") is code, not data.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::diagnostic::Diagnostic;
use crate::templates::TemplateFile;

/// The languages tarea speaks; every interface string exists in each.
pub const LANGUAGES: [&str; 3] = ["es", "en", "ca"];

/// Every interface string in one language, shared by every view that speaks it: a packet holds
/// a pointer, not its own copy of some 600 strings (a plan of 10,000 sessions held 10,000).
pub type Words = std::sync::Arc<BTreeMap<String, String>>;

/// Interface strings: key → language → text.
#[derive(Debug, Clone)]
pub struct Strings {
    by_key: BTreeMap<String, BTreeMap<String, String>>,
    /// [`Strings::for_language`] of each of [`LANGUAGES`], made once.
    shared: BTreeMap<&'static str, Words>,
}

impl Strings {
    /// Parses `i18n.toml`: one table per key with a string per language. Every key must have
    /// every language in [`LANGUAGES`].
    pub fn parse(file: &TemplateFile) -> Result<Self, Vec<Diagnostic>> {
        let text = file.text();
        let table: toml::Spanned<BTreeMap<String, toml::Spanned<BTreeMap<String, String>>>> = toml::from_str(text)
            .map_err(|e| {
                let d = match e.span() {
                    Some(span) => Diagnostic::error_at(&file.origin, text, span, e.message().trim()),
                    None => Diagnostic::error(Some(&file.origin), e.message().trim()),
                };
                vec![d.help("each key is a table of strings: [why] es = \"…\" en = \"…\" ca = \"…\"")]
            })?;
        let mut problems = Vec::new();
        let mut by_key = BTreeMap::new();
        for (key, langs) in table.into_inner() {
            for lang in LANGUAGES {
                if !langs.get_ref().contains_key(lang) {
                    problems.push(
                        Diagnostic::error_at(&file.origin, text, langs.span(), format!("`{key}` has no `{lang}` text"))
                            .help(format!("add {lang} = \"…\" to [{key}]")),
                    );
                }
            }
            by_key.insert(key, langs.into_inner());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut strings = Strings { by_key, shared: BTreeMap::new() };
        strings.shared = LANGUAGES.iter().map(|lang| (*lang, Words::new(strings.for_language(lang)))).collect();
        Ok(strings)
    }

    /// All strings in `lang`, shared (see [`Words`]).
    pub fn words(&self, lang: &str) -> Words {
        self.shared.get(lang).cloned().unwrap_or_else(|| Words::new(self.for_language(lang)))
    }

    /// All strings in one language, for a template's `t` variable.
    pub fn for_language(&self, lang: &str) -> BTreeMap<String, String> {
        self.by_key.iter().filter_map(|(key, langs)| Some((key.clone(), langs.get(lang)?.clone()))).collect()
    }

    /// One string in one language (the key itself when missing, so a gap shows instead of crashing).
    pub fn get(&self, key: &str, lang: &str) -> String {
        self.by_key.get(key).and_then(|l| l.get(lang)).cloned().unwrap_or_else(|| key.to_string())
    }
}

const WEEKDAYS: [[&str; 7]; 3] = [
    ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    ["dilluns", "dimarts", "dimecres", "dijous", "divendres", "dissabte", "diumenge"],
];

const MONTHS: [[&str; 12]; 3] = [
    [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "gener", "febrer", "març", "abril", "maig", "juny", "juliol", "agost", "setembre", "octubre", "novembre",
        "desembre",
    ],
];

fn lang_index(lang: &str) -> usize {
    LANGUAGES.iter().position(|l| *l == lang).unwrap_or(1)
}

/// "26 de noviembre" / "26 November" / "26 de novembre" / "3 d'abril".
fn day_and_month(date: NaiveDate, lang: &str) -> String {
    let i = lang_index(lang);
    let month = MONTHS[i][date.month0() as usize];
    match lang {
        "en" => format!("{} {month}", date.day()),
        "ca" if month.starts_with(['a', 'o']) => format!("{} d'{month}", date.day()),
        _ => format!("{} de {month}", date.day()),
    }
}

/// The full date: "jueves, 26 de noviembre de 2026" / "Thursday 26 November 2026" /
/// "dijous, 26 de novembre de 2026".
pub fn long_date(date: NaiveDate, lang: &str) -> String {
    let weekday = WEEKDAYS[lang_index(lang)][date.weekday().num_days_from_monday() as usize];
    match lang {
        "en" => format!("{weekday} {} {}", day_and_month(date, lang), date.year()),
        _ => format!("{weekday}, {} de {}", day_and_month(date, lang), date.year()),
    }
}

/// A day without the year, for running text: "jueves, 26 de noviembre" / "Thursday 26 November".
pub fn weekday_date(date: NaiveDate, lang: &str) -> String {
    let weekday = WEEKDAYS[lang_index(lang)][date.weekday().num_days_from_monday() as usize];
    match lang {
        "en" => format!("{weekday} {}", day_and_month(date, lang)),
        _ => format!("{weekday}, {}", day_and_month(date, lang)),
    }
}

/// A day block's heading, without the year and capitalised: "Jueves, 26 de noviembre".
pub fn day_heading(date: NaiveDate, lang: &str) -> String {
    capitalise(&weekday_date(date, lang))
}

/// A compact day label for narrow cells: "jue 26/11" / "Thu 26/11" / "dj. 26/11".
pub fn short_day(date: NaiveDate, lang: &str) -> String {
    let weekday = WEEKDAYS[lang_index(lang)][date.weekday().num_days_from_monday() as usize];
    let abbrev: String = match lang {
        "ca" => format!("{}.", catalan_weekday_abbrev(weekday)),
        _ => weekday.chars().take(3).collect(),
    };
    capitalise(&format!("{abbrev} {}/{}", date.day(), date.month()))
}

/// Catalan's customary two-letter weekday abbreviations (dl., dt., dc., dj., dv., ds., dg.).
fn catalan_weekday_abbrev(weekday: &str) -> &'static str {
    match weekday {
        "dilluns" => "dl",
        "dimarts" => "dt",
        "dimecres" => "dc",
        "dijous" => "dj",
        "divendres" => "dv",
        "dissabte" => "ds",
        _ => "dg",
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::Templates;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn long_dates_in_three_languages() {
        assert_eq!(long_date(d(2026, 11, 26), "es"), "jueves, 26 de noviembre de 2026");
        assert_eq!(long_date(d(2026, 11, 26), "en"), "Thursday 26 November 2026");
        assert_eq!(long_date(d(2026, 11, 26), "ca"), "dijous, 26 de novembre de 2026");
    }

    #[test]
    fn catalan_elides_de_before_a_vowel() {
        assert_eq!(long_date(d(2027, 4, 1), "ca"), "dijous, 1 d'abril de 2027");
        assert_eq!(day_heading(d(2027, 10, 4), "ca"), "Dilluns, 4 d'octubre");
        assert_eq!(day_heading(d(2027, 8, 2), "ca"), "Dilluns, 2 d'agost");
    }

    #[test]
    fn short_days() {
        assert_eq!(short_day(d(2026, 11, 26), "es"), "Jue 26/11");
        assert_eq!(short_day(d(2026, 11, 26), "en"), "Thu 26/11");
        assert_eq!(short_day(d(2026, 11, 26), "ca"), "Dj. 26/11");
        assert_eq!(short_day(d(2026, 11, 25), "es"), "Mié 25/11");
    }

    #[test]
    fn builtin_strings_exist_in_every_language() {
        let strings = Strings::parse(Templates::builtin().file("i18n.toml")).expect("i18n.toml is complete");
        let es = strings.for_language("es");
        assert_eq!(es.len(), strings.for_language("ca").len());
        assert_eq!(es.len(), strings.for_language("en").len());
        assert!(es.values().all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn a_missing_language_is_reported_with_its_key() {
        let file = TemplateFile {
            bytes: std::borrow::Cow::Borrowed(b"[why]\nes = \"Para qu\xc3\xa9\"\nen = \"Why\"\n"),
            origin: "templates/i18n.toml".into(),
        };
        let problems = Strings::parse(&file).unwrap_err();
        assert!(problems[0].to_string().contains("`why` has no `ca` text"), "{}", problems[0]);
    }
}
