//! The input format, as Rust types: `clinic.toml`, `homework/<id>.toml` and `plans/<id>.toml`.
//!
//! These key names are the documented interface (docs in README.md): add to them, never rename.
//! Every struct denies unknown keys, so a typo is an error with a line and column instead of a
//! silently ignored setting. Values that later checks may need to point at are `Spanned`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::value::Datetime;

/// A text in several languages: `{ es = "…", en = "…", ca = "…" }`.
pub type Localized = Spanned<BTreeMap<String, String>>;

/// `library/clinic.toml`: who publishes the packets and how.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clinic {
    /// The clinic's name, printed on every packet.
    pub name: String,
    /// Where `out/public` is hosted; packet links are built from it.
    pub base_url: Spanned<String>,
    /// The language of pages that belong to no patient (the private index).
    pub default_language: Spanned<String>,
    /// The languages every homework template must be written in.
    pub languages: Spanned<Vec<Spanned<String>>>,
    /// The paper the PDFs are laid out for.
    #[serde(default)]
    pub paper: Paper,
    /// Publish every patient's packets encrypted.
    #[serde(default)]
    pub encrypt: bool,
    /// When daily practice reminders ring in the packet's calendar file, "HH:MM" (default 20:00).
    pub reminder_time: Option<Spanned<String>>,
    /// The clinic's own phone, printed with the helplines on the warning-signs plan.
    pub phone: Option<Spanned<String>>,
    /// Helplines printed on the warning-signs plan, in this order (they differ by country).
    #[serde(default)]
    pub helplines: Vec<Helpline>,
    /// Publish the example plans too (`example = true`): for trying tarea out, never with real
    /// patients' packets.
    #[serde(default)]
    pub publish_examples: bool,
}

/// `[[helplines]]`: a number a patient can call in a crisis.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Helpline {
    /// The number as dialled, e.g. "112".
    pub number: Spanned<String>,
    /// What it is for, in every language of the clinic.
    pub label: Localized,
}

/// A paper size.
#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    UsLetter,
}

impl Paper {
    /// The name Typst and CSS use for this paper.
    pub fn name(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::UsLetter => "us-letter",
        }
    }
}

/// What sort of sheet a homework template is; its layout is chosen from it.
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A thought record, graded from 3 to 7 columns.
    SelfRegistration,
    /// A breathing or relaxation practice log.
    Relaxation,
    /// A bibliotherapy reading guide.
    Reading,
    /// A cinema-therapy viewing guide.
    Film,
    /// Practising an assertive technique.
    Assertiveness,
    /// A list: therapy objectives, negative thoughts.
    List,
    /// A relapse-prevention plan.
    WarningSigns,
    /// The end-of-therapy review of all homework.
    Review,
    /// A task the patient designs.
    SelfDesigned,
    /// A worksheet of headed sections worked through once: problem solving, a behavioural
    /// experiment.
    Worksheet,
    /// A sleep diary: one column per night, the questions down the side.
    SleepDiary,
    /// A standardised questionnaire (PHQ-9, GAD-7): items answered by choosing one of `choices`,
    /// scored in the therapist copy.
    Questionnaire,
}

impl Kind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [Kind; 12] = [
        Kind::SelfRegistration,
        Kind::Relaxation,
        Kind::Reading,
        Kind::Film,
        Kind::Assertiveness,
        Kind::List,
        Kind::WarningSigns,
        Kind::Review,
        Kind::SelfDesigned,
        Kind::Worksheet,
        Kind::SleepDiary,
        Kind::Questionnaire,
    ];

    /// Whether the sheet is a table of rows (others are plan-like sections, always portrait).
    pub fn is_table(self) -> bool {
        !matches!(self, Kind::WarningSigns | Kind::Review | Kind::SelfDesigned | Kind::Worksheet)
    }

    /// Whether it is a technique to keep practising: the end-of-therapy booklet keeps a blank copy
    /// of its sheet (a guide to one book or film, the plan and the review are not reused blank).
    pub fn is_technique(self) -> bool {
        !matches!(self, Kind::Reading | Kind::Film | Kind::WarningSigns | Kind::Review | Kind::Questionnaire)
    }

    /// The `kind` value as written in the TOML.
    pub fn name(self) -> &'static str {
        match self {
            Kind::SelfRegistration => "self-registration",
            Kind::Relaxation => "relaxation",
            Kind::Reading => "reading",
            Kind::Film => "film",
            Kind::Assertiveness => "assertiveness",
            Kind::List => "list",
            Kind::WarningSigns => "warning-signs",
            Kind::Review => "review",
            Kind::SelfDesigned => "self-designed",
            Kind::Worksheet => "worksheet",
            Kind::SleepDiary => "sleep-diary",
            Kind::Questionnaire => "questionnaire",
        }
    }
}

/// How often a task is done between two sessions.
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Frequency {
    /// Every day: the sheet has one dated block per day until the next session.
    Daily,
    /// Once before the next session.
    Once,
    /// Each time a situation arises: undated rows.
    PerSituation,
}

impl Frequency {
    /// The key of this frequency's label in the interface strings.
    pub fn key(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Once => "once",
            Frequency::PerSituation => "per-situation",
        }
    }
}

/// `library/homework/<id>.toml`: one homework template.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Homework {
    /// The sort of sheet.
    pub kind: Kind,
    /// Minutes it takes each day or each use.
    pub minutes: u32,
    /// How often it is done.
    pub frequency: Frequency,
    /// How often, in this template's own words ("each time you read"): replaces the generic phrase.
    pub frequency_label: Option<Localized>,
    /// The sheet's title.
    pub title: Localized,
    /// Markdown: why this helps, in plain words.
    pub purpose: Localized,
    /// Markdown: how, when and where.
    pub instructions: Localized,
    /// Markdown: how to keep using it on one's own after therapy, in a few lines (the booklet's
    /// toolkit; the instructions when absent).
    pub toolkit: Option<Localized>,
    /// What a plan can pass to personalise the sheet, by name.
    #[serde(default)]
    pub params: BTreeMap<String, Param>,
    /// The columns a level can show, by id.
    #[serde(default)]
    pub fields: BTreeMap<String, Field>,
    /// The graded levels, easiest first.
    #[serde(default = "no_levels")]
    pub levels: Spanned<Vec<Level>>,
    /// A questionnaire's answers to choose from, one per value from its items' `min` to `max`.
    #[serde(default = "no_choices")]
    pub choices: Spanned<Vec<Localized>>,
    /// A questionnaire's published severity bands of the total score, lowest first.
    #[serde(default)]
    pub bands: Vec<Band>,
    /// Markdown: where the text comes from (citation, permission), printed under the sheet.
    pub source: Option<Localized>,
    /// A questionnaire's question, printed over its items ("Over the last 2 weeks…").
    pub stem: Option<Localized>,
}

/// `[[bands]]`: one severity band of a questionnaire's total score.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The highest total in the band (the band starts above the previous one's `max`).
    pub max: Spanned<i64>,
    /// Its published name ("mild").
    pub label: Localized,
}

/// The kind of value a param takes.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ParamType {
    /// A string.
    Text,
    /// A list of strings.
    List,
    /// A whole number.
    Number,
    /// A web address (`https://…`).
    Url,
}

impl ParamType {
    /// The `type` value as written in the TOML.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Text => "text",
            ParamType::List => "list",
            ParamType::Number => "number",
            ParamType::Url => "url",
        }
    }
}

/// `[params.<name>]`: a value a plan passes to personalise a homework (a book, a technique…).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// What kind of value it takes.
    #[serde(rename = "type")]
    pub kind: Spanned<ParamType>,
    /// How the sheet names it.
    pub label: Localized,
    /// Whether every plan must pass it.
    #[serde(default)]
    pub required: bool,
    /// The text used when a plan does not pass it (text params).
    pub default: Option<Localized>,
    /// For list params: the field whose cells the values pre-fill, one per row.
    pub fills: Option<Spanned<String>>,
}

/// What a field records, which decides how its cell is drawn.
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    /// Free text: a wide cell to write in.
    Text,
    /// A number between `min` and `max` (default 0–10).
    Scale,
    /// 0–100 %.
    Percent,
    /// A tick box.
    Check,
    /// A date.
    Date,
    /// A time of day.
    Time,
    /// A whole number between `min` and `max` (default 0–999): minutes, a count.
    Number,
}

impl FieldType {
    /// The highest value when a field gives no `max`.
    pub fn default_max(self) -> i64 {
        match self {
            FieldType::Percent => 100,
            FieldType::Number => 999,
            _ => 10,
        }
    }

    /// The `type` value as written in the TOML.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Scale => "scale",
            FieldType::Percent => "percent",
            FieldType::Check => "check",
            FieldType::Date => "date",
            FieldType::Time => "time",
            FieldType::Number => "number",
        }
    }
}

/// `[fields.<id>]`: one column of a sheet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// What it records.
    #[serde(rename = "type")]
    pub kind: Spanned<FieldType>,
    /// The column header.
    pub label: Localized,
    /// A short question under the header.
    pub hint: Option<Localized>,
    /// Lowest value of a scale or number (default 0).
    pub min: Option<Spanned<i64>>,
    /// Highest value of a scale (default 10) or number (default 999).
    pub max: Option<Spanned<i64>>,
    /// This field's cell in the worked example row.
    pub example: Option<Localized>,
    /// The example "designed with errors", for perfectionist patients (Markdown, `~~struck~~`).
    pub example_messy: Option<Localized>,
    /// The worked example for young people (`audience = "young"`); `example` when absent.
    pub example_young: Option<Localized>,
    /// A questionnaire item any answer above `min` of which the therapist must follow up (PHQ-9's
    /// item 9): the therapist copy flags it.
    #[serde(default)]
    pub alert: bool,
    /// The example designed with errors, for young people.
    pub example_messy_young: Option<Localized>,
}

impl Field {
    /// The lowest and highest answer the sheet offers: `min` and `max`, or 0 and the type's
    /// default top (10 for a scale) where they are left out. Validation, the sheet and the
    /// questionnaire's score all use this one rule.
    pub fn range(&self) -> (i64, i64) {
        let min = self.min.as_ref().map_or(0, |m| *m.get_ref());
        (min, self.max.as_ref().map_or(self.kind.get_ref().default_max(), |m| *m.get_ref()))
    }
}

/// `[[levels]]`: one step of the graded progression.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// The fields shown, in column order.
    pub fields: Vec<Spanned<String>>,
    /// Rows per day (daily) or in all (otherwise).
    pub rows: Option<Spanned<u32>>,
    /// What is new at this level, shown on the sheet.
    pub intro: Option<Localized>,
    /// Whether to show the worked example row (default: at level 1 only).
    pub example: Option<bool>,
    /// How often at this level, when it differs from the template's (a few situations a week
    /// rather than one a day, when each takes more thought).
    pub frequency: Option<Spanned<Frequency>>,
    /// Deep rows, for columns that each need a few lines of thought (about three to a page).
    #[serde(default)]
    pub deep: bool,
    /// Markdown: questions to ask oneself, printed beside the table.
    pub questions: Option<Localized>,
}

/// `library/plans/<patient-id>.toml`: one patient's course of therapy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// As printed on the sheets: a first name or a pseudonym.
    pub name: Spanned<String>,
    /// The patient's language.
    pub language: Spanned<String>,
    /// The therapist's name as printed.
    pub therapist: Spanned<String>,
    /// A fictional patient shipped to show how tarea works: checked, but published only when
    /// clinic.toml asks for it (`publish_examples = true`).
    #[serde(default)]
    pub example: bool,
    /// Every sheet in the "designed with errors" variant, for perfectionist patients.
    #[serde(default)]
    pub perfectionism: bool,
    /// Larger type on every sheet and page, for patients who need it.
    #[serde(default)]
    pub large_print: bool,
    /// Who the worked examples speak to: adults (the default) or young people.
    #[serde(default)]
    pub audience: Audience,
    /// Publish this patient's packets encrypted, with a strong passphrase tarea makes up.
    #[serde(default)]
    pub encrypt: bool,
    /// Publish this patient's packets encrypted with this password (at least 12 characters).
    pub password: Option<Spanned<String>>,
    /// When this patient's daily reminders ring, "HH:MM" (overrides the clinic's).
    pub reminder_time: Option<Spanned<String>>,
    /// The sessions, in any order.
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// Therapist-only notes about the patient: shown on the therapist copy, never published.
    #[serde(default)]
    pub private: toml::Table,
}

/// Who a plan's worked examples are written for.
#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    /// Adults: work, home, everyday life.
    #[default]
    Adult,
    /// Young people: school, friends, family.
    Young,
}

/// `[[sessions]]`: one session, whose packet is handed over at its end.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The day of the session.
    pub date: Spanned<Datetime>,
    /// The day of the next session; daily tasks get a block per day in between.
    pub next: Option<Spanned<Datetime>>,
    /// The homework given.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// How the previous session's homework went, recorded at the start of this one.
    #[serde(default)]
    pub review: Vec<Review>,
    /// The stage of therapy: early, middle or late.
    pub phase: Option<Spanned<Phase>>,
}

/// The stage of therapy a session belongs to (the article's three phases).
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Short, easy tasks.
    Early,
    /// Tasks chosen together.
    Middle,
    /// The patient designs their own tasks.
    Late,
}

impl Phase {
    /// The `phase` value as written in the TOML.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Early => "early",
            Phase::Middle => "middle",
            Phase::Late => "late",
        }
    }
}

/// `[[sessions.review]]`: how one task of the previous session went.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The homework reviewed (given at the previous session).
    pub homework: Spanned<String>,
    /// What happened.
    pub status: Status,
    /// Therapist-only: never published.
    pub note: Option<String>,
}

/// A review's status before the therapist sets it (`tarea new session` writes it): not a status,
/// so the plan does not load (the error points at it) until she writes what happened.
pub const UNSET_STATUS: &str = "set-me";

/// How a task went, as recorded at the next session — information, never a grade.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Done.
    Done,
    /// Done halfway.
    Partial,
    /// Done, but not as agreed.
    Incorrect,
    /// Not done.
    NotDone,
}

impl Status {
    /// The `status` value as written in the TOML.
    pub fn name(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Partial => "partial",
            Status::Incorrect => "incorrect",
            Status::NotDone => "not-done",
        }
    }

    /// Whether it counts as a miss for the progression (two in a row lower the level).
    pub fn is_miss(self) -> bool {
        matches!(self, Status::Incorrect | Status::NotDone)
    }
}

/// `[[sessions.tasks]]`: one homework assignment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// The homework template's id (its file stem).
    pub homework: Spanned<String>,
    /// The level of the template, from 1.
    #[serde(default = "first_level")]
    pub level: Spanned<i64>,
    /// A personal, patient-visible note (Markdown).
    pub note: Option<Spanned<String>>,
    /// Overrides the level's number of rows or lines.
    pub rows: Option<Spanned<u32>>,
    /// Values for the homework's params.
    pub params: Option<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
}

fn no_levels() -> Spanned<Vec<Level>> {
    Spanned::new(0..0, Vec::new())
}

/// No `choices`: every kind but a questionnaire.
fn no_choices() -> Spanned<Vec<Localized>> {
    Spanned::new(0..0, Vec::new())
}

fn first_level() -> Spanned<i64> {
    Spanned::new(0..0, 1)
}

// The file patients bring back from their online packet (`tarea import` checks it in
// `crate::answers`, after resolving: here only its shape, so loading can read it).

/// The `format` of an answer file.
pub const FORMAT: &str = "tarea-answers";
/// The answer-file version this tarea writes and reads.
pub const VERSION: u32 = 1;

/// What "Download my answers" saves: one packet's answers, keyed by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The packet's public folder name.
    pub token: String,
    /// When the browser last saved, as it reported it (not trusted, only shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<String>,
    /// Field key → what the patient wrote (`"true"` for a ticked box).
    pub answers: BTreeMap<String, String>,
    /// Field key → when the browser saved that answer (its own clock: shown, not trusted), so the
    /// therapist sees whether a week of rows was written day by day or all the night before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub times: BTreeMap<String, String>,
}

/// A plain date from a TOML datetime, or `None` when it has a time or offset.
pub fn plain_date(value: &toml::value::Datetime) -> Option<chrono::NaiveDate> {
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => chrono::NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::plain_date;
    use chrono::NaiveDate;
    use toml::value::Datetime;

    #[test]
    fn a_range_left_out_is_the_types_default() {
        let field =
            |extra: &str| -> super::Field { toml::from_str(&format!("label = {{ en = \"x\" }}\n{extra}")).unwrap() };
        assert_eq!(field("type = \"scale\"").range(), (0, 10));
        assert_eq!(field("type = \"scale\"\nmax = 3").range(), (0, 3));
        assert_eq!(field("type = \"percent\"").range(), (0, 100));
        assert_eq!(field("type = \"number\"\nmin = 5").range(), (5, 999));
    }

    #[test]
    fn dates_with_times_are_not_plain() {
        let d: Datetime = "2026-11-26".parse().unwrap();
        assert_eq!(plain_date(&d), NaiveDate::from_ymd_opt(2026, 11, 26));
        let t: Datetime = "2026-11-26T10:00:00".parse().unwrap();
        assert_eq!(plain_date(&t), None);
    }
}
