//! Property tests for loading and validating: whatever a plan or template file holds, tarea
//! answers with output or with diagnostics — it never panics. Bytes and mangled templates are
//! loaded, validated and resolved (`tarea::validate`, no layout: what they test happens before
//! it); text in a plan is also laid out (`tarea::check`), since it must reach Typst as data.
//! Bounded so `cargo test` stays quick; any input that once broke something is kept below.

use std::path::Path;

use crate::common::*;
use proptest::prelude::*;

fn plan_with(name: &str, note: &str, focus: &[String]) -> String {
    let focus: Vec<String> = focus.iter().map(|f| toml::Value::String(f.clone()).to_string()).collect();
    format!(
        "name = {}\nlanguage = \"en\"\ntherapist = \"Laura\"\n[[sessions]]\ndate = 2026-11-27\n[[sessions.tasks]]\nhomework = \"reading\"\nnote = {}\nparams = {{ book = {}, chapters = [{}] }}\n",
        toml::Value::String(name.into()),
        toml::Value::String(note.into()),
        toml::Value::String(name.into()),
        focus.join(", ")
    )
}

/// Checks the site, laid out; the answer may be yes or no, but it must come.
fn answers(root: &Path) {
    match tarea::check(root) {
        Ok(_) => {}
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Loads, validates and resolves the site; the answer may be yes or no, but it must come.
fn validates(root: &Path) {
    match tarea::validate(root) {
        Ok(_) => {}
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_in_a_plan_is_data(name in "\\PC{0,40}|.{0,40}", note in "(?s).{0,200}", focus in prop::collection::vec(".{0,30}", 0..4)) {
        let site = fixture("small");
        std::fs::write(site.path().join("library/plans/tom.toml"), plan_with(&name, &note, &focus)).unwrap();
        answers(site.path());
    }

    #[test]
    fn any_bytes_as_a_plan_are_reported_not_fatal(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let site = fixture("small");
        std::fs::write(site.path().join("library/plans/tom.toml"), &bytes).unwrap();
        validates(site.path());
    }

    #[test]
    fn mangled_templates_are_reported_not_fatal(cut in 0usize..2000, junk in "[\\[\\]{}=\"#a-z\\n ]{0,20}") {
        let site = fixture("small");
        let path = site.path().join("library/homework/record.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.char_indices().map(|(i, _)| i).nth(cut % text.chars().count()).unwrap_or(0);
        std::fs::write(&path, format!("{}{junk}{}", &text[..at], &text[at..])).unwrap();
        validates(site.path());
    }
}

/// Inputs that once found a bug, kept so they stay fixed.
#[test]
fn regressions() {
    // A note that is only an HTML block used to vanish from every output.
    let site = fixture("small");
    std::fs::write(site.path().join("library/plans/tom.toml"), plan_with("Tom", "<b>hola</b>", &[])).unwrap();
    build(site.path()).unwrap();
    let dir = packet_for(site.path(), "Tom", "2026-11-27");
    assert_eq!(texts(&html(&dir.join("reading.html")), ".note p"), ["<b>hola</b>"]);
}

/// `validate` finds the input problems `check` finds (so the properties above test something),
/// and passes a good site.
#[test]
fn validate_reports_a_broken_plan_by_file() {
    let site = fixture("small");
    assert!(tarea::validate(site.path()).is_ok());
    std::fs::write(site.path().join("library/plans/tom.toml"), "name = 1\n").unwrap();
    let error = format!("{:#}", tarea::validate(site.path()).unwrap_err());
    assert!(error.contains("tom.toml"), "{error}");
}
