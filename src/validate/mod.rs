//! Stage 2: check what parsing cannot — references between files, level ranges, dates, and that
//! every text a patient will read exists in their language.
//!
//! Each problem points at the offending value and says how to fix it; all are collected so one
//! run shows everything. Later stages may assume what is checked here.

mod course;
mod questionnaire;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::i18n::LANGUAGES;
use crate::load::{Loaded, Site, SourceFile};
use crate::model::{FieldType, Homework, Kind, Localized, ParamType, Plan, Task};
use crate::params;
use text::{
    LIST_LIMIT, NAME_LIMIT, NOTE_LIMIT, PARAM_LIMIT, Texts, check_date, check_length_and_controls, check_plain_text,
    check_time,
};
use toml::Spanned;

/// A value that passed validation. Only this module makes one ([`validate_site`]), so a stage that
/// takes a `Validated<Site>` (resolve) knows every cross-file rule holds without checking again.
#[derive(Debug)]
pub struct Validated<T>(T);

impl<T> std::ops::Deref for Validated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Checks a loaded site. A problem of the whole library (clinic.toml, a folder that cannot be read)
/// goes to `diags` and fails the site: `None`. A problem of one homework template or one patient's
/// plan goes to [`Site::broken`](crate::load::Broken) instead, and the site comes back validated
/// without that plan (and without the plans that use that homework): they are skipped, the
/// others built.
pub fn validate_site(mut site: Site, diags: &mut Diagnostics) -> Option<Validated<Site>> {
    check_clinic(&site, diags);
    let clinic_languages: Vec<&str> =
        site.clinic.value.languages.get_ref().iter().map(|l| l.get_ref().as_str()).collect();
    let mut homework_problems = Vec::new();
    for homework in site.homework.values() {
        let users = users_by_language(&site, &homework.id);
        let mut problems = Diagnostics::default();
        check_homework(homework, &clinic_languages, &users, &mut problems);
        homework_problems.push((homework.id.clone(), problems));
    }
    let mut broken = std::mem::take(&mut site.broken);
    for (id, problems) in homework_problems {
        sort_problems(id, problems, &mut broken.homework, diags);
    }
    let mut plan_problems = Vec::new();
    for plan in site.plans.values() {
        let mut problems = Diagnostics::default();
        check_plan(&site, &broken.homework, plan, &clinic_languages, &mut problems);
        course::check_course(&site, plan, &mut problems);
        plan_problems.push((plan.id.clone(), problems));
    }
    for (id, problems) in plan_problems {
        sort_problems(id, problems, &mut broken.plans, diags);
    }
    if diags.error_count() > 0 {
        // The whole site fails: every problem is reported at once, the homework's first.
        diags.extend(broken.homework.into_values().flatten());
        diags.extend(broken.plans.into_values().flatten());
        return None;
    }
    site.homework.retain(|id, _| !broken.homework.contains_key(id));
    site.plans.retain(|id, _| !broken.plans.contains_key(id));
    site.broken = broken;
    Some(Validated(site))
}

/// Files `id`'s problems: with an error among them, all go to `broken` (they are reported with
/// the packets they stop); warnings alone go to `diags`.
fn sort_problems(
    id: String,
    problems: Diagnostics,
    broken: &mut BTreeMap<String, Vec<crate::diagnostic::Diagnostic>>,
    diags: &mut Diagnostics,
) {
    if problems.error_count() > 0 || broken.contains_key(&id) {
        broken.entry(id).or_default().extend(problems.into_vec());
    } else {
        diags.extend(problems.into_vec());
    }
}

/// Whether `url` is on a domain reserved for examples (RFC 2606): what `tarea init` writes until
/// the clinic says where it publishes. Links and printed QR codes would lead nowhere.
fn is_example_url(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or(url).split(['/', ':', '?', '#']).next().unwrap_or_default();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ["example.org", "example.com", "example.net"].iter().any(|d| host == *d || host.ends_with(&format!(".{d}")))
        || host.ends_with(".example")
}

fn check_clinic(site: &Site, diags: &mut Diagnostics) {
    let clinic = &site.clinic.value;
    let src = &site.clinic.source;
    if is_example_url(clinic.base_url.get_ref()) {
        diags.push(
            src.error_at(clinic.base_url.span(), "`base_url` is still an example address")
                .help(
                    "set it to where out/public will be published: every link you send and every QR code \
                     printed on a packet is built from it, and would lead nowhere",
                )
                .warning(),
        );
    }
    let mut known = BTreeSet::new();
    for lang in clinic.languages.get_ref() {
        if !LANGUAGES.contains(&lang.get_ref().as_str()) {
            diags.push(
                src.error_at(lang.span(), format!("tarea does not speak `{}`", lang.get_ref()))
                    .help(format!("use some of {}", LANGUAGES.join(", "))),
            );
        }
        if !known.insert(lang.get_ref().as_str()) {
            diags.push(
                src.error_at(lang.span(), format!("`{}` is listed twice", lang.get_ref()))
                    .help("list each language once"),
            );
        }
    }
    if known.is_empty() {
        diags.push(
            src.error_at(clinic.languages.span(), "no languages listed")
                .help("e.g. languages = [\"es\", \"en\", \"ca\"]"),
        );
    }
    check_time(src, clinic.reminder_time.as_ref(), diags);
    check_helplines(site, &known, diags);
    let default = &clinic.default_language;
    if !known.contains(default.get_ref().as_str()) {
        diags.push(
            src.error_at(default.span(), format!("default language `{}` is not in `languages`", default.get_ref()))
                .help("add it to `languages`, or choose one of them"),
        );
    }
}

/// The clinic's phone and helplines: a number to dial, and a label in every language it lists
/// (every plan reads them, whatever homework it assigns).
fn check_helplines(site: &Site, languages: &BTreeSet<&str>, diags: &mut Diagnostics) {
    let clinic = &site.clinic.value;
    let src = &site.clinic.source;
    let langs: Vec<&str> = languages.iter().copied().collect();
    let mut users: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for plan in site.plans.values() {
        users.entry(plan.value.language.get_ref().clone()).or_default().push(&plan.id);
    }
    let texts = Texts { src, clinic_languages: &langs, users: &users };
    let numbers = clinic
        .helplines
        .iter()
        .map(|h| (&h.number, "helplines.number"))
        .chain(clinic.phone.iter().map(|p| (p, "phone")));
    for (number, key) in numbers {
        text::check_plain_text(src, number, key, 40, diags);
        if !number.get_ref().chars().any(|c| c.is_ascii_digit()) {
            diags.push(
                src.error_at(number.span(), format!("`{key}` has no digits"))
                    .help("write the number as it is dialled, e.g. number = \"112\""),
            );
        }
    }
    for line in &clinic.helplines {
        texts.check(&line.label, "helplines.label", diags);
    }
}

/// For each language, the plans that assign this homework in that language.
fn users_by_language<'a>(site: &'a Site, homework_id: &str) -> BTreeMap<String, Vec<&'a str>> {
    let mut users: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for plan in site.plans.values() {
        let assigns = plan.value.sessions.iter().flat_map(|s| &s.tasks).any(|t| t.homework.get_ref() == homework_id);
        if assigns {
            users.entry(plan.value.language.get_ref().clone()).or_default().push(&plan.id);
        }
    }
    users
}

fn check_homework(
    hw: &Loaded<Homework>,
    clinic_languages: &[&str],
    users: &BTreeMap<String, Vec<&str>>,
    diags: &mut Diagnostics,
) {
    let src = &hw.source;
    let value = &hw.value;
    let texts = Texts { src, clinic_languages, users };
    texts.check(&value.title, "title", diags);
    texts.check(&value.purpose, "purpose", diags);
    texts.check(&value.instructions, "instructions", diags);
    if let Some(label) = &value.frequency_label {
        texts.check(label, "frequency_label", diags);
    }
    if let Some(toolkit) = &value.toolkit {
        texts.check(toolkit, "toolkit", diags);
    }
    if value.minutes == 0 {
        diags.push(
            Diagnostic::error(Some(&src.path), "`minutes` is 0")
                .help("say how many minutes it takes, e.g. minutes = 10"),
        );
    }
    for (id, field) in &value.fields {
        texts.check(&field.label, &format!("fields.{id}.label"), diags);
        let examples = [
            (&field.example, "example"),
            (&field.example_messy, "example_messy"),
            (&field.example_young, "example_young"),
            (&field.example_messy_young, "example_messy_young"),
        ];
        for (example, key) in examples {
            if let Some(example) = example {
                texts.check(example, &format!("fields.{id}.{key}"), diags);
            }
        }
        if let Some(hint) = &field.hint {
            texts.check(hint, &format!("fields.{id}.hint"), diags);
        }
        let kind = *field.kind.get_ref();
        let is_scale = matches!(kind, FieldType::Scale | FieldType::Number);
        for bound in [&field.min, &field.max].into_iter().flatten() {
            if !is_scale {
                diags.push(
                    src.error_at(
                        bound.span(),
                        format!("`min`/`max` only apply to scales and numbers; `{id}` is {}", kind.name()),
                    )
                    .help("remove it, or set type = \"scale\""),
                );
            }
        }
        if is_scale {
            // Either bound may be left to its default (0 and 10, or 999 for a number): compare what
            // the sheet will use.
            let (min, max) = field.range();
            if min >= max {
                let at = field.max.as_ref().or(field.min.as_ref()).map_or_else(|| field.kind.span(), |b| b.span());
                diags.push(
                    src.error_at(at, format!("the {} runs from {min} to {max}", kind.name()))
                        .help("`max` must be above `min` (the defaults are 0 and 10)"),
                );
            }
        }
    }
    check_params(hw, &texts, diags);
    questionnaire::check(hw, &texts, diags);
    if value.levels.get_ref().is_empty() {
        let at = value.levels.span();
        let d =
            if at.is_empty() { Diagnostic::error(Some(&src.path), "no levels") } else { src.error_at(at, "no levels") };
        diags.push(d.help("add at least one [[levels]] table with fields = [\"…\"]"));
    }
    for (n, level) in value.levels.get_ref().iter().enumerate() {
        let mut seen = BTreeSet::new();
        if level.fields.is_empty() {
            diags.push(
                Diagnostic::error(Some(&src.path), format!("level {} shows no fields", n + 1))
                    .help("list the columns of this level"),
            );
        }
        for field in &level.fields {
            let name = field.get_ref();
            if !value.fields.contains_key(name) {
                let defined: Vec<&str> = value.fields.keys().map(String::as_str).collect();
                diags.push(
                    src.error_at(field.span(), format!("level {} shows field `{name}`, which is not defined", n + 1))
                        .help(match closest(name, &defined) {
                            Some(near) => format!("did you mean `{near}`? Otherwise add a [fields.{name}] table"),
                            None => format!("add a [fields.{name}] table with type and label"),
                        }),
                );
            } else if !seen.insert(name) {
                diags.push(
                    src.error_at(field.span(), format!("field `{name}` is listed twice")).help("list each field once"),
                );
            }
        }
        if let Some(rows) = &level.rows {
            check_rows(src, rows, hw, diags);
        }
        if let Some(intro) = &level.intro {
            texts.check(intro, &format!("levels[{}].intro", n + 1), diags);
        }
        if let Some(questions) = &level.questions {
            texts.check(questions, &format!("levels[{}].questions", n + 1), diags);
        }
    }
    check_placeholders(hw, diags);
}

fn check_params(hw: &Loaded<Homework>, texts: &Texts<'_>, diags: &mut Diagnostics) {
    let src = &hw.source;
    for (name, param) in &hw.value.params {
        texts.check(&param.label, &format!("params.{name}.label"), diags);
        let kind = *param.kind.get_ref();
        if let Some(default) = &param.default {
            if kind == ParamType::Text {
                texts.check(default, &format!("params.{name}.default"), diags);
            } else {
                diags.push(
                    src.error_at(
                        default.span(),
                        format!("only text params take a `default`; `{name}` is {}", kind.name()),
                    )
                    .help("remove the default, or make the param required"),
                );
            }
        }
        if let Some(fills) = &param.fills {
            if kind != ParamType::List {
                diags.push(src.error_at(fills.span(), "only list params can fill a field").help("set type = \"list\""));
            } else if !hw.value.fields.contains_key(fills.get_ref()) {
                diags.push(
                    src.error_at(
                        fills.span(),
                        format!("`fills` names field `{}`, which is not defined", fills.get_ref()),
                    )
                    .help("name one of the [fields.*] tables of this file"),
                );
            }
        }
    }
}

/// A level's or a task's `rows`: 1 to 40; on a sleep diary, which has one column a night and no
/// rows to add, a warning that it does nothing.
fn check_rows(src: &SourceFile, rows: &Spanned<u32>, hw: &Loaded<Homework>, diags: &mut Diagnostics) {
    if !(1..=40).contains(rows.get_ref()) {
        diags.push(src.error_at(rows.span(), format!("{} rows", rows.get_ref())).help("use between 1 and 40 rows"));
    } else if hw.value.kind == Kind::SleepDiary {
        let id = hw.source.path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        diags.push(
            src.error_at(rows.span(), format!("`{id}` has one column a night: `rows` does not apply"))
                .help("remove `rows`; the diary always has one column for each night until the next session")
                .warning(),
        );
    }
}

/// Every `{name}` in a text must name a param that always has a value.
fn check_placeholders(hw: &Loaded<Homework>, diags: &mut Diagnostics) {
    let value = &hw.value;
    let mut localized: Vec<&Localized> = vec![&value.title, &value.purpose, &value.instructions];
    for field in value.fields.values() {
        localized.push(&field.label);
        let examples = [&field.example, &field.example_messy, &field.example_young, &field.example_messy_young];
        localized.extend([&field.hint].into_iter().chain(examples).flatten());
    }
    localized.extend(value.frequency_label.iter().chain(&value.toolkit));
    localized.extend(value.levels.get_ref().iter().flat_map(|l| [&l.intro, &l.questions]).flatten());
    let mut reported = BTreeSet::new();
    for text in localized {
        for string in text.get_ref().values() {
            for (_, name) in params::placeholders(string) {
                let problem = match value.params.get(name) {
                    None => format!("`{{{name}}}` names no param"),
                    Some(p) if !p.required && p.default.is_none() => format!("`{{{name}}}` may have no value"),
                    Some(_) => continue,
                };
                if reported.insert(name.to_string()) {
                    let help = format!("declare [params.{name}] with required = true or a default");
                    diags.push(hw.source.error_at(text.span(), problem).help(help));
                }
            }
        }
    }
}

fn check_plan(
    site: &Site,
    broken_homework: &BTreeMap<String, Vec<crate::diagnostic::Diagnostic>>,
    plan: &Loaded<Plan>,
    clinic_languages: &[&str],
    diags: &mut Diagnostics,
) {
    let src = &plan.source;
    let value = &plan.value;
    let lang = &value.language;
    if !clinic_languages.contains(&lang.get_ref().as_str()) {
        diags.push(
            src.error_at(lang.span(), format!("language `{}` is not one of the clinic's", lang.get_ref()))
                .help(format!("use one of {} (clinic.toml `languages`)", clinic_languages.join(", "))),
        );
    }
    check_plain_text(src, &value.name, "name", NAME_LIMIT, diags);
    check_plain_text(src, &value.therapist, "therapist", NAME_LIMIT, diags);
    check_time(src, value.reminder_time.as_ref(), diags);
    if let Some(password) = &value.password
        && password.get_ref().chars().count() < 12
    {
        diags.push(
            src.error_at(password.span(), "this password is too short to protect health data").help(
                "use at least 12 characters, or remove it and set encrypt = true: tarea then makes up a strong one",
            ),
        );
    }
    if let Some(password) = &value.password
        && password.get_ref().starts_with(['=', '+', '-', '@'])
    {
        diags.push(
            src.error_at(password.span(), "a password starting with = + - or @ is read as a formula by spreadsheets")
                .help(
                    "start it with a letter or a digit: out/private/links.csv lists it exactly as it opens the packet",
                ),
        );
    }
    let mut dates = BTreeSet::new();
    let mut broken_used = BTreeSet::new();
    for session in &value.sessions {
        let date = check_date(src, &session.date, "date", diags);
        if let Some(date) = date
            && !dates.insert(date)
        {
            diags.push(
                src.error_at(session.date.span(), format!("two sessions on {date}"))
                    .help("give each session its own date"),
            );
        }
        if let Some(next) = &session.next
            && let (Some(date), Some(next_date)) = (date, check_date(src, next, "next", diags))
            && next_date <= date
        {
            diags.push(
                src.error_at(next.span(), format!("`next` ({next_date}) is not after `date` ({date})"))
                    .help("the next session comes after this one; fix either date"),
            );
        }
        let mut given = BTreeSet::new();
        for task in &session.tasks {
            let id = task.homework.get_ref();
            // Said once per plan, at its first use: the homework's own errors say what to fix.
            if broken_homework.contains_key(id) && broken_used.insert(id) {
                diags.push(
                    src.error_at(task.homework.span(), format!("homework `{id}` has errors (see above)")).help(
                        format!("fix library/homework/{id}.toml; this plan's packets are built once it is right"),
                    ),
                );
            }
            let Some(hw) = site.homework.get(id) else {
                if broken_homework.contains_key(id) {
                    continue; // it did not even load: nothing to check the task against
                }
                let ids: Vec<&str> = site.homework.keys().map(String::as_str).collect();
                let hint = match closest(id, &ids) {
                    Some(near) => format!("did you mean `{near}`? The library has: {}", ids.join(", ")),
                    None if ids.is_empty() => "library/homework/ has no templates yet".to_string(),
                    None => format!("the library has: {}", ids.join(", ")),
                };
                diags.push(src.error_at(task.homework.span(), format!("unknown homework `{id}`")).help(hint));
                continue;
            };
            if !given.insert(id) {
                diags.push(
                    src.error_at(task.homework.span(), format!("`{id}` is given twice in this session"))
                        .help("give it once, at one level"),
                );
            }
            check_task_params(src, task, hw, diags);
            if let Some(note) = &task.note {
                check_length_and_controls(src, note.span(), note.get_ref(), ("note", NOTE_LIMIT), true, diags);
            }
            if let Some(rows) = &task.rows {
                check_rows(src, rows, hw, diags);
            }
            let levels = hw.value.levels.get_ref().len() as i64;
            let level = task.level.get_ref();
            if levels > 0 && !(1..=levels).contains(level) {
                let at = if task.level.span().is_empty() { task.homework.span() } else { task.level.span() };
                diags.push(
                    src.error_at(at, format!("`{id}` has no level {level}"))
                        .help(format!("{} has levels 1 to {levels}", hw.source.path.display())),
                );
            }
        }
    }
}

fn check_task_params(src: &SourceFile, task: &Task, hw: &Loaded<Homework>, diags: &mut Diagnostics) {
    let declared = &hw.value.params;
    let accepted = || {
        let names: Vec<&str> = declared.keys().map(String::as_str).collect();
        if names.is_empty() { "it takes no params".to_string() } else { format!("it takes: {}", names.join(", ")) }
    };
    let given = task.params.as_ref().map(|p| p.get_ref());
    for (name, value) in given.into_iter().flatten() {
        match declared.get(name) {
            None => diags.push(src.error_at(value.span(), format!("`{}` has no param `{name}`", hw.id)).help(format!(
                "{} ({})",
                accepted(),
                hw.source.path.display()
            ))),
            Some(param) => {
                if let Ok(checked) = params::check(param, value.get_ref()) {
                    let items = checked.items();
                    if items.len() > LIST_LIMIT {
                        diags.push(
                            src.error_at(
                                value.span(),
                                format!("param `{name}` has {} items; at most {LIST_LIMIT}", items.len()),
                            )
                            .help("keep the ones agreed for this week"),
                        );
                    }
                    for item in items.iter().take(LIST_LIMIT) {
                        check_length_and_controls(src, value.span(), item, (name, PARAM_LIMIT), false, diags);
                    }
                }
                if let Err(expected) = params::check(param, value.get_ref()) {
                    diags.push(src.error_at(value.span(), format!("param `{name}` should be {expected}")).help(
                        format!("it is declared as {} in {}", param.kind.get_ref().name(), hw.source.path.display()),
                    ));
                }
            }
        }
    }
    for (name, param) in declared {
        if param.required && !given.is_some_and(|g| g.contains_key(name)) {
            diags.push(src.error_at(task.homework.span(), format!("`{}` needs param `{name}`", hw.id)).help(format!(
                "add params = {{ {name} = \"…\" }} to this task ({} requires it)",
                hw.source.path.display()
            )));
        }
    }
}

/// The candidate nearest to `word` by edit distance, if it is close enough to be a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_example_address_is_one_on_a_reserved_example_domain() {
        for url in
            ["https://example.org/tareas", "http://deberes.example.com/", "https://EXAMPLE.net", "https://c.example/x"]
        {
            assert!(is_example_url(url), "{url}");
        }
        for url in ["https://clinica.es/deberes", "https://example.org.es/", "https://myexample.com", "https://c.test/"]
        {
            assert!(!is_example_url(url), "{url}");
        }
    }

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(closest("thougt-record", &["reading-guide", "thought-record"]), Some("thought-record"));
        assert_eq!(closest("zzz", &["reading-guide", "thought-record"]), None);
    }
}
