//! Broken input: the binary exits non-zero, names every problem with its file, line and column,
//! and leaves the previous `out/` exactly as it was.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Runs `tarea build` in `root`; returns (success, stderr).
fn run_build(root: &Path) -> (bool, String) {
    run(root, &["build"])
}

/// Runs `tarea <args>` in `root`; returns (success, stderr).
fn run(root: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tarea")).args(args).current_dir(root).output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).to_string())
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join("library").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Builds the fixture once, breaks it with `breakage`, and checks the failure is reported and
/// harmless: the build fails, names the patients it skipped (`skipped`), and the published side
/// is byte for byte what it was (the skipped packets kept, the others unchanged). Returns stderr
/// for more specific checks.
fn broken_build(skipped: &str, breakage: impl Fn(&Path)) -> String {
    let site = fixture("small");
    let (ok, stderr) = run_build(site.path());
    assert!(ok, "the fixture should build: {stderr}");
    let before = snapshot(&site.path().join("out/public"));
    breakage(site.path());
    let (ok, stderr) = run_build(site.path());
    assert!(!ok, "a broken site must fail");
    assert!(stderr.contains(&format!("not built: the packets of {skipped} (")), "{stderr}");
    assert!(snapshot(&site.path().join("out/public")) == before, "out/public changed after a failed build");
    let index = std::fs::read_to_string(site.path().join("out/private/index.html")).unwrap();
    for id in skipped.split(", ") {
        assert!(index.contains(&format!("<code>{id}</code>")), "the private index names {id} as not updated");
    }
    stderr
}

#[test]
fn a_broken_clinic_stops_everything_and_writes_nothing() {
    let site = fixture("small");
    let (ok, stderr) = run_build(site.path());
    assert!(ok, "the fixture should build: {stderr}");
    let before = snapshot(&site.path().join("out"));
    edit(site.path(), "clinic.toml", "default_language", "default_lang");
    let (ok, stderr) = run_build(site.path());
    assert!(!ok);
    assert_says(&stderr, &["--> library/clinic.toml:", "nothing was written"]);
    assert!(snapshot(&site.path().join("out")) == before, "out/ changed after a failed build");
}

#[test]
fn a_broken_plan_blocks_only_its_own_packets() {
    let site = fixture("small");
    let root = site.path();
    edit(root, "plans/elisa.toml", "level = 1", "level = 99");
    let (ok, stderr) = run_build(root);
    assert!(!ok, "the build exits non-zero");
    assert_says(
        &stderr,
        &["`record` has no level 99", "not built: the packets of elisa (", "the other 3 packets were built"],
    );
    assert_eq!(packet_dirs(root).len(), 3, "Marta's two packets and Tom's one");
    assert!(packet_for(root, "Tom", "2026-11-27").join("packet.pdf").is_file());

    // Elisa fixed and built, then broken again while Marta's second session is deleted: Elisa's
    // packets stay as they were, Marta's deleted session goes all the same.
    edit(root, "plans/elisa.toml", "level = 99", "level = 1");
    assert!(run_build(root).0);
    let elisa = [packet_for(root, "Elisa", "2026-11-19"), packet_for(root, "Elisa", "2026-11-26")];
    let elisa_before: Vec<_> = elisa.iter().map(|dir| snapshot(dir)).collect();
    let marta_later = packet_for(root, "Marta", "2026-12-03");
    edit(root, "plans/elisa.toml", "level = 1", "level = 99");
    let marta = root.join("library/plans/marta.toml");
    let text = std::fs::read_to_string(&marta).unwrap();
    std::fs::write(&marta, &text[..text.find("\n[[sessions]]\ndate = 2026-12-03").unwrap()]).unwrap();
    let (ok, stderr) = run_build(root);
    assert!(!ok && stderr.contains("not built: the packets of elisa ("), "{stderr}");
    assert!(!marta_later.exists(), "the deleted session's packet is gone");
    assert_eq!(elisa.iter().map(|dir| snapshot(dir)).collect::<Vec<_>>(), elisa_before, "Elisa's stay");
    assert!(root.join("out/private/elisa/2026-11-26.html").is_file(), "and her therapist copies");
    std::fs::write(&marta, text).unwrap();

    // `--patient tom` needs only the library and Tom's plan: it succeeds, and says what it left.
    let (ok, stderr) = run(root, &["build", "--patient", "tom", "--no-pdf"]);
    assert!(ok, "{stderr}");
    assert_says(&stderr, &["library/plans/elisa.toml has errors this build does not need"]);
    assert!(!stderr.contains("no level 99"), "Elisa's error is not this build's: {stderr}");
    // Split in shards, her plan's errors fail only the shard that builds her packets; the others
    // build theirs, say what they left, and succeed.
    for index in 1..=2 {
        let shard = tarea::site::Shard { index, count: 2 };
        let (ok, stderr) = run(root, &["build", "--shard", &format!("{index}/2"), "--no-pdf"]);
        if shard.holds("elisa") {
            assert!(!ok, "shard {index} holds Elisa: {stderr}");
            assert_says(&stderr, &["`record` has no level 99", "not built: the packets of elisa ("]);
        } else {
            assert!(ok, "shard {index} does not hold Elisa: {stderr}");
            assert_says(&stderr, &["library/plans/elisa.toml has errors this build does not need"]);
            assert!(!stderr.contains("no level 99"), "Elisa's error is not this shard's: {stderr}");
        }
    }
    // `--patient elisa` is her plan's errors, and nothing else.
    let (ok, stderr) = run(root, &["build", "--patient", "elisa"]);
    assert!(!ok);
    assert_says(&stderr, &["`record` has no level 99"]);
    // Her link cannot be sent while her plan is broken, and `links` says why.
    let (ok, stderr) = run(root, &["links", "--patient", "elisa"]);
    assert!(!ok);
    assert_says(&stderr, &["`record` has no level 99"]);
}

#[test]
fn a_homework_that_does_not_load_is_reported_once_and_its_users_point_at_it() {
    let site = fixture("small");
    let root = site.path();
    // `reading` is used by Elisa and Marta, not by Tom.
    edit(root, "homework/reading.toml", "frequency = \"", "frequency = \"diario");
    let (ok, stderr) = run_build(root);
    assert!(!ok);
    assert_eq!(stderr.matches("--> library/homework/reading.toml:").count(), 1, "reported once:\n{stderr}");
    assert!(!stderr.contains("unknown homework"), "{stderr}");
    assert_eq!(stderr.matches("homework `reading` has errors (see above)").count(), 2, "once per plan:\n{stderr}");
    assert!(
        stderr.find("library/homework/reading.toml").unwrap() < stderr.find("has errors (see above)").unwrap(),
        "the homework's own error comes first:\n{stderr}"
    );
    assert_says(&stderr, &["not built: the packets of elisa, marta (", "the other packet was built"]);
    assert_eq!(packet_dirs(root).len(), 1, "Tom's packet");
}

/// Asserts that `stderr` says each of `expected`.
fn assert_says(stderr: &str, expected: &[&str]) {
    for expected in expected {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
}

#[test]
fn bad_toml_names_file_line_and_column() {
    let stderr =
        broken_build("tom", |root| edit(root, "plans/tom.toml", "therapist = \"Laura\"", "therapist = \"Laura"));
    assert_says(&stderr, &["--> library/plans/tom.toml:3:", "3 | therapist = \"Laura"]);
}

#[test]
fn unknown_homework_suggests_the_near_one() {
    let stderr =
        broken_build("tom", |root| edit(root, "plans/tom.toml", "homework = \"record\"", "homework = \"recrod\""));
    assert_says(
        &stderr,
        &["error: unknown homework `recrod`", "--> library/plans/tom.toml:9:12", "did you mean `record`?"],
    );
}

#[test]
fn a_level_beyond_the_template_is_refused() {
    let stderr = broken_build("tom", |root| edit(root, "plans/tom.toml", "level = 5", "level = 9"));
    assert_says(&stderr, &["error: `record` has no level 9", "--> library/plans/tom.toml:10:9", "levels 1 to 5"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let stderr = broken_build("elisa, marta, tom", |root| {
        edit(root, "plans/tom.toml", "level = 5", "level = 9");
        edit(root, "plans/marta.toml", "next = 2026-11-30", "next = 2026-11-20");
        edit(root, "plans/elisa.toml", "therapist =", "therapst =");
        edit(
            root,
            "homework/record.toml",
            "fields = [\"situation\", \"thought\", \"intensity\"]",
            "fields = [\"situation\", \"thougth\"]",
        );
    });
    assert_says(
        &stderr,
        &[
            "library/plans/tom.toml:10:9",
            "library/plans/marta.toml:8:8",
            "unknown field `therapst`",
            "library/homework/record.toml:",
            "did you mean `thought`?",
            // The four, and each plan that loaded and uses the broken template says so once.
            "6 problems found",
            "not built: the packets of elisa, marta, tom (",
            "nothing else was built",
        ],
    );
}

#[test]
fn a_missing_translation_for_the_patients_language_is_an_error() {
    let stderr = broken_build("elisa, marta, tom", |root| {
        edit(root, "homework/record.toml", ", ca = \"Registre de prova\"", "")
    });
    assert_says(&stderr, &["`title` has no `ca` text", "plan marta reads it in ca"]);
}

#[test]
fn control_characters_in_a_bad_file_reach_the_terminal_escaped() {
    let site = fixture("small");
    // Raw ESC, CR and BEL in a string are a TOML syntax error: the snippet shows the line.
    edit(
        site.path(),
        "plans/tom.toml",
        "therapist = \"Laura\"",
        "therapist = \"La\x1b[2J\x1b[H\rok\x07\u{9b}\u{202e}ura\"",
    );
    // Escaped ones make a valid string that the message quotes.
    edit(site.path(), "plans/marta.toml", "homework = \"", "homework = \"\\u001b[2J\\r\\u0007\\u0085");
    let output = Command::new(env!("CARGO_BIN_EXE_tarea")).arg("check").current_dir(site.path()).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let hidden: Vec<char> =
        stderr.chars().filter(|&c| (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c)).collect();
    assert!(hidden.is_empty(), "{hidden:?} reached the terminal:\n{stderr}");
    assert!(!stderr.contains('\u{202e}'), "{stderr}");
    assert!(stderr.contains("--> library/plans/tom.toml:3:"), "{stderr}");
    assert!(stderr.contains("3 | therapist = \"La\\u{1b}[2J\\u{1b}[H\\rok\\u{7}\\u{9b}\\u{202e}ura\""), "{stderr}");
    assert!(stderr.contains("--> library/plans/marta.toml:"), "{stderr}");
    assert!(stderr.contains("unknown homework `\\u{1b}[2J\\r\\u{7}\\u{85}"), "{stderr}");
}

#[test]
fn a_questionnaire_that_could_not_be_scored_is_refused_at_its_lines() {
    let site = site_from(&repo());
    // PHQ-9's item 9 given a fifth value: four choices no longer fit it, and the bands stop short
    // of the new highest total (28).
    let q9 = "min = 0\nmax = 3\nlabel = { es = \"Pensamientos";
    edit(site.path(), "homework/phq-9.toml", q9, &q9.replace("max = 3", "max = 4"));
    // GAD-7 without its published question.
    edit(site.path(), "homework/gad-7.toml", "stem = {", "# stem = {");
    // A worksheet with a questionnaire's key.
    let stem = "kind = \"worksheet\"\nstem = { es = \"¿?\", en = \"?\", ca = \"?\" }";
    edit(site.path(), "homework/problem-solving.toml", "kind = \"worksheet\"", stem);
    let (ok, stderr) = run(site.path(), &["check"]);
    assert!(!ok, "{stderr}");
    assert_says(
        &stderr,
        &[
            "item `q9` runs from 0 to 4, but there are 4 choices",
            "--> library/homework/phq-9.toml:119:7",
            "the last band ends at 27, but the highest total is 28",
            "--> library/homework/phq-9.toml:142:7",
            "a questionnaire needs a `stem`",
            "--> library/homework/gad-7.toml:17:9",
            "`stem` only applies to kind = \"questionnaire\"",
            "--> library/homework/problem-solving.toml:20:8",
        ],
    );
}
