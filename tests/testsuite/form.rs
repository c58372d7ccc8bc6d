//! The online form and `tarea import`: every blank of every sheet is a labelled field named as
//! `resolve::form::fields` says, and the answers a patient downloads come back to the private side only
//! when they fit their packet.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::{build, html, pdf_pages, repo, sel, site_from};
use scraper::ElementRef;
use tarea::answers::{self, AnswerFile};
use tarea::model::{FieldType, Kind};
use tarea::resolve::form;

/// The shipped example library, built into a temp dir, and its packets.
fn example() -> (tempfile::TempDir, Vec<(tarea::resolve::Packet, tarea::resolve::PacketLink)>) {
    let site = site_from(&repo());
    build(site.path()).expect("the example library builds");
    let packets = tarea::packets(site.path()).unwrap();
    (site, packets)
}

/// A field's accessible name as a browser computes it for these pages: `aria-label`, a
/// `<label for>`, a wrapping `<label>`, or a radio group's `<legend>`.
fn accessible_name(doc: &scraper::Html, el: &ElementRef<'_>) -> String {
    // The elements it names, in order (a questionnaire's answer: its item, then the choice).
    if let Some(ids) = el.value().attr("aria-labelledby") {
        let named: Vec<String> = ids
            .split_whitespace()
            .filter_map(|id| doc.select(&sel(&format!("[id='{id}']"))).next())
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect();
        return named.join(" ");
    }
    if let Some(label) = el.value().attr("aria-label") {
        return label.to_string();
    }
    if let Some(id) = el.value().attr("id")
        && let Some(label) = doc.select(&sel(&format!("label[for='{id}']"))).next()
    {
        return label.text().collect();
    }
    let mut parent = el.parent();
    while let Some(node) = parent {
        if let Some(e) = ElementRef::wrap(node) {
            match e.value().name() {
                "label" if el.value().attr("type") != Some("radio") => return e.text().collect(),
                "fieldset" => {
                    return e.select(&sel("legend")).next().map(|l| l.text().collect()).unwrap_or_default();
                }
                _ => {}
            }
        }
        parent = node.parent();
    }
    String::new()
}

#[test]
fn every_blank_is_a_labelled_field_named_as_the_answers_module_says() {
    let (site, packets) = example();
    let mut kinds = BTreeSet::new();
    for (packet, _) in &packets {
        let expected = form::fields(packet);
        for task in &packet.tasks {
            kinds.insert(task.kind.name());
            let page = site.path().join("out/public").join(&packet.token).join(format!("{}.html", task.id));
            let doc = html(&page);
            let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for el in doc.select(&sel("input[name], textarea[name]")) {
                let name = el.value().attr("name").unwrap().to_string();
                let kind = match (el.value().name(), el.value().attr("type")) {
                    ("textarea", _) => "text".to_string(),
                    (_, Some(t)) => t.to_string(),
                    _ => "?".to_string(),
                };
                let label = accessible_name(&doc, &el);
                assert!(!label.trim().is_empty(), "{}: field {name} has no accessible name", page.display());
                found.entry(name).or_default().push(kind);
            }
            // A scale is a fieldset naming its range; form.js draws its radio buttons (the browser
            // tests click them).
            for group in doc.select(&sel("fieldset.scale-field")) {
                let name = group.value().attr("data-name").unwrap().to_string();
                let legend: String =
                    group.select(&sel("legend")).next().map(|l| l.text().collect()).unwrap_or_default();
                assert!(!legend.trim().is_empty(), "{}: scale {name} has no accessible name", page.display());
                assert_eq!(group.select(&sel("input")).count(), 0, "{}: {name} ships its buttons", page.display());
                found.entry(name).or_default().push("scale".into());
            }
            let wanted: Vec<&answers::Field> =
                expected.iter().filter(|f| f.key.starts_with(&format!("{}/", task.id))).collect();
            let names: BTreeSet<&str> = found.keys().map(String::as_str).collect();
            let keys: BTreeSet<&str> = wanted.iter().map(|f| f.key.as_str()).collect();
            assert_eq!(names, keys, "{}: the page's fields differ from resolve::form::fields", page.display());
            for field in wanted {
                let inputs = &found[&field.key];
                let expected_inputs: Vec<String> = match field.kind {
                    // A questionnaire's item: one radio button per choice, no script needed.
                    FieldType::Scale if task.kind == Kind::Questionnaire => vec!["radio".into(); task.choices.len()],
                    // A wide scale, or one in a sleep diary's night column: a number box.
                    FieldType::Scale if task.kind == Kind::SleepDiary || field.max - field.min > 10 => {
                        vec!["number".into()]
                    }
                    FieldType::Scale => vec!["scale".into()],
                    FieldType::Percent => vec!["number".into()],
                    FieldType::Check => vec!["checkbox".into()],
                    other => vec![other.name().to_string()],
                };
                assert_eq!(inputs, &expected_inputs, "{}: {}", page.display(), field.key);
            }
            // Each scale names exactly its range.
            for group in doc.select(&sel("fieldset.scale-field")) {
                let bound = |name: &str| group.value().attr(name).and_then(|v| v.parse::<i64>().ok());
                let key = group.value().attr("data-name").unwrap();
                let field = expected.iter().find(|f| f.key == key).unwrap();
                assert_eq!((bound("data-min"), bound("data-max")), (Some(field.min), Some(field.max)), "{key}");
            }
            // Printed, each field shows what was typed in its place: a mirror of the answer, or for
            // a questionnaire's item its radio buttons themselves (tarea.css prints them, the
            // chosen one filled in, as the circles of the paper form).
            for name in found.keys().filter(|n| found[*n].iter().all(|k| k != "radio")) {
                let mirrors = sel(".answer[data-for]");
                let mirrors = doc.select(&mirrors).filter(|m| m.value().attr("data-for") == Some(name));
                assert_eq!(mirrors.count(), 1, "{}: {name} has no printed answer", page.display());
            }
            // The page loads the form script and allows it, and only from its own site.
            let csp = doc.select(&sel("meta[http-equiv='Content-Security-Policy']")).next().unwrap();
            assert!(csp.value().attr("content").unwrap().contains("script-src 'self'"));
            assert_eq!(doc.select(&sel("script[src='../assets/form.js']")).count(), 1);
            let bar = doc.select(&sel(".answers-bar")).next().expect("the answers bar");
            assert_eq!(bar.value().attr("data-packet"), Some(packet.token.as_str()));
            assert!(bar.value().attr("hidden").is_some(), "without JavaScript the bar stays hidden");
        }
    }
    for kind in ["self-registration", "relaxation", "list", "warning-signs", "review", "reading"] {
        assert!(kinds.contains(kind), "the example library has no {kind} sheet to check");
    }
    assert!(site.path().join("out/public/assets/form.js").is_file());
}

/// A valid answer file for `packet`: a value for its first few fields of each kind.
fn answer_file(packet: &tarea::resolve::Packet) -> AnswerFile {
    let mut answers = BTreeMap::new();
    for field in form::fields(packet) {
        let value = match field.kind {
            FieldType::Scale => (field.max - 1).to_string(),
            FieldType::Percent => "80".into(),
            FieldType::Check => "true".into(),
            FieldType::Date => "2026-12-01".into(),
            FieldType::Time => "20:30".into(),
            FieldType::Number => (field.max / 2).to_string(),
            FieldType::Text => format!("written online for {}", field.key),
        };
        answers.insert(field.key, value);
    }
    AnswerFile {
        format: answers::FORMAT.into(),
        version: answers::VERSION,
        token: packet.token.clone(),
        saved: Some("2026-12-01T20:31:00.000Z".into()),
        times: answers.keys().map(|k| (k.clone(), "2026-12-01T20:30:00.000Z".to_string())).collect(),
        answers,
    }
}

fn write_json(path: &Path, file: &AnswerFile) {
    std::fs::write(path, serde_json::to_string_pretty(file).unwrap()).unwrap();
}

#[test]
fn import_keeps_valid_answers_on_the_private_side_and_merges_later_downloads() {
    let (site, packets) = example();
    let root = site.path();
    let (packet, link) = &packets[0];
    let mut file = answer_file(packet);
    let downloads = tempfile::tempdir().unwrap();
    write_json(&downloads.path().join("answers.json"), &file);

    let imported = tarea::import_answers(root, &[downloads.path().to_path_buf()]).unwrap();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].patient_id, link.patient_id);
    assert_eq!(imported[0].date, link.date);
    assert_eq!(imported[0].answers, file.answers.len());
    let kept_path = root.join("library/answers").join(&link.patient_id).join(format!("{}.json", link.date));
    let kept: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&kept_path).unwrap()).unwrap();
    assert_eq!(kept.answers, file.answers);

    // A later download with one answer changed and one missing: the change wins, nothing is lost.
    let (changed_key, _) = file.answers.iter().find(|(k, _)| k.ends_with("/likely")).unwrap();
    let changed_key = changed_key.clone();
    file.answers.insert(changed_key.clone(), "35".into());
    let dropped = file.answers.keys().next_back().unwrap().clone();
    let dropped_value = file.answers.remove(&dropped).unwrap();
    file.saved = Some("2026-12-02T08:00:00.000Z".into());
    write_json(&downloads.path().join("answers.json"), &file);
    let imported = tarea::import_answers(root, &[downloads.path().join("answers.json")]).unwrap();
    assert_eq!(imported[0].changed, 1);
    let kept: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&kept_path).unwrap()).unwrap();
    assert_eq!(kept.answers[&changed_key], "35");
    assert_eq!(kept.answers[&dropped], dropped_value);
    assert_eq!(kept.saved.as_deref(), Some("2026-12-02T08:00:00.000Z"));

    // The site still builds with the answers in it, and none of them is published.
    build(root).unwrap();
    let marker = format!("written online for {}", packet.tasks[0].id);
    for entry in walkdir::WalkDir::new(root.join("out/public")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&marker),
                "{} holds an imported answer",
                entry.path().display()
            );
        }
    }
}

#[test]
fn import_refuses_files_that_do_not_fit_and_writes_nothing() {
    let (site, packets) = example();
    let root = site.path();
    let good = answer_file(&packets[0].0);
    let downloads = tempfile::tempdir().unwrap();
    let dir = downloads.path();
    write_json(&dir.join("1-good.json"), &good);
    let mut unknown = answer_file(&packets[1].0);
    unknown.answers.insert("thought-record/99/nothing".into(), "x".into());
    write_json(&dir.join("2-unknown-field.json"), &unknown);
    let mut out_of_range = answer_file(&packets[2].0);
    let scale = form::fields(&packets[2].0).into_iter().find(|f| f.kind == FieldType::Scale).unwrap();
    out_of_range.answers.insert(scale.key.clone(), "11".into());
    write_json(&dir.join("3-out-of-range.json"), &out_of_range);
    let mut foreign = good.clone();
    foreign.token = "0123456789abcdef0123456789abcdef".into();
    write_json(&dir.join("4-foreign.json"), &foreign);
    std::fs::write(dir.join("5-broken.json"), "{\n  \"format\": \"tarea-answers\",\n  \"version\": 1,\n  oops\n}\n")
        .unwrap();

    let before = crate::common::snapshot(&root.join("library"));
    let err = tarea::import_answers(root, &[dir.to_path_buf()]).unwrap_err();
    let shown = format!("{err:#}");
    // A field the packet no longer has is no reason to refuse a file (see the next test).
    assert!(!shown.contains("2-unknown-field.json"), "{shown}");
    assert!(shown.contains("3-out-of-range.json") && shown.contains(&scale.key), "{shown}");
    assert!(shown.contains("from 0 to 10"), "{shown}");
    assert!(shown.contains("4-foreign.json") && shown.contains("does not have"), "{shown}");
    assert!(shown.contains("5-broken.json:4:3"), "{shown}");
    assert!(crate::common::snapshot(&root.join("library")) == before, "a failed import changed the library");
}

#[test]
fn every_answer_written_online_is_in_the_therapist_copy_and_in_no_public_file() {
    let (site, packets) = example();
    let root = site.path();
    let downloads = tempfile::tempdir().unwrap();
    for (i, (packet, _)) in packets.iter().enumerate() {
        // Saved after the example's own answers (Elisa's of 26 November), so these replace them.
        let mut file = answer_file(packet);
        file.saved = Some("2027-01-01T10:00:00+01:00".into());
        write_json(&downloads.path().join(format!("{i}.json")), &file);
    }
    tarea::import_answers(root, &[downloads.path().to_path_buf()]).unwrap();
    build(root).unwrap();
    let mut checked = 0;
    for (packet, link) in &packets {
        let copy = html(&root.join("out/private").join(&link.patient_id).join(format!("{}.html", link.date)));
        let written: BTreeSet<String> =
            copy.select(&sel(".written-sheet td, .written-sheet dd")).map(|c| c.text().collect()).collect();
        for field in
            form::fields(packet).iter().filter(|f| f.kind == FieldType::Text && !f.key.ends_with("/reflection"))
        {
            let value = format!("written online for {}", field.key);
            assert!(written.contains(&value), "{} {}: {value} is not in the copy", link.patient_id, link.date);
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} answers checked");
    // Published, only the patient's own booklet shows anything they wrote: their additions to
    // the warning-signs plan they keep.
    let mut in_booklet = 0;
    for entry in walkdir::WalkDir::new(root.join("out/public")) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = if entry.path().extension().is_some_and(|x| x == "pdf") {
            pdf_pages(entry.path()).join("\n")
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let name = entry.file_name().to_string_lossy();
        for (at, _) in text.match_indices("written online for ") {
            let key = &text[at + "written online for ".len()..];
            let plan_line = key.starts_with("warning-signs/s/");
            assert!(
                name.starts_with("booklet.") && plan_line,
                "{} holds an answer: {}",
                entry.path().display(),
                &key[..key.len().min(40)]
            );
            in_booklet += 1;
        }
    }
    assert!(in_booklet >= 2, "the booklet does not show the warning-signs plan's own words");
}

#[test]
fn the_next_sessions_review_points_to_the_answers_it_reviews() {
    // The example library ships Elisa's answers to her packet of 26 November.
    let (site, _) = example();
    let private = site.path().join("out/private/elisa");
    let next = html(&private.join("2026-12-03.html"));
    let links: Vec<_> = next.select(&sel(".copy-review .previous-answers a")).collect();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].value().attr("href"), Some("2026-11-26.html#answers"));
    let own = html(&private.join("2026-11-26.html"));
    assert_eq!(
        own.select(&sel("section#answers svg.chart-plot")).count(),
        2,
        "two charts: thought record and breathing"
    );
    assert_eq!(own.select(&sel(".copy-review .previous-answers")).count(), 0, "19 November has no answers");
}

#[test]
fn answers_that_no_longer_fit_their_packet_are_a_warning_and_stay_in_the_file() {
    let site = site_from(&repo());
    let root = site.path();
    let path = root.join("library/answers/elisa/2026-11-26.json");
    let mut file: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    file.answers.insert("thought-record/40/situation".into(), "a row the plan no longer has".into());
    write_json(&path, &file);
    let report = build(root).expect("stale answers do not stop a build");
    let shown: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        shown.iter().any(|w| w.contains("library/answers/elisa/2026-11-26.json")
            && w.contains("no longer has: \"thought-record/40/situation\"")),
        "{shown:?}"
    );
    let kept: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(kept, file, "the build changed the answers file");
    // The check without layout warns the same.
    let warned: Vec<String> = tarea::validate(root).unwrap().iter().map(|w| w.to_string()).collect();
    assert!(warned.iter().any(|w| w.contains("no longer has: \"thought-record/40/situation\"")), "{warned:?}");
}

#[test]
fn answers_to_fields_the_packet_no_longer_has_are_left_out_and_reported() {
    let (site, packets) = example();
    let root = site.path();
    let (packet, link) = &packets[0];
    let mut file = answer_file(packet);
    file.answers.insert(format!("{}/40/situation", packet.tasks[0].id), "a row that went away".into());
    let downloads = tempfile::tempdir().unwrap();
    write_json(&downloads.path().join("answers.json"), &file);
    let imported = tarea::import_answers(root, &[downloads.path().to_path_buf()]).unwrap();
    assert_eq!(imported[0].skipped, [format!("{}/40/situation", packet.tasks[0].id)]);
    assert_eq!(imported[0].answers, file.answers.len() - 1);
    let kept = std::fs::read_to_string(root.join(tarea::load::answers_path(&link.patient_id, &link.date))).unwrap();
    assert!(!kept.contains("a row that went away"), "{kept}");
}

#[test]
fn downloads_merge_in_the_order_they_were_saved_whatever_their_names() {
    let (site, packets) = example();
    let root = site.path();
    let (packet, link) = &packets[0];
    let key = format!("{}/likely", packet.tasks[0].id);
    let other = form::fields(packet).into_iter().find(|f| f.kind == FieldType::Text).unwrap().key;
    let file = |saved: &str, likely: &str| {
        let mut f = answer_file(packet);
        f.answers.retain(|k, _| *k == key || *k == other);
        f.answers.insert(key.clone(), likely.into());
        f.saved = Some(saved.into());
        f
    };
    let downloads = tempfile::tempdir().unwrap();
    // The browser names the second download "answers (1).json", which sorts first.
    write_json(&downloads.path().join("answers.json"), &file("2026-12-01T21:00:00+01:00", "40"));
    let mut newer = file("2026-12-02T08:30:00+01:00", "75");
    newer.answers.remove(&other);
    write_json(&downloads.path().join("answers (1).json"), &newer);
    tarea::import_answers(root, &[downloads.path().to_path_buf()]).unwrap();
    let path = root.join(tarea::load::answers_path(&link.patient_id, &link.date));
    let kept = || serde_json::from_str::<AnswerFile>(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(kept().answers[&key], "75", "the newer download wins");
    assert!(kept().answers.contains_key(&other), "what only the older one had is kept");
    assert_eq!(kept().saved.as_deref(), Some("2026-12-02T08:30:00+01:00"));
    // Importing the old download again changes nothing: it only fills in what is missing.
    let imported = tarea::import_answers(root, &[downloads.path().join("answers.json")]).unwrap();
    assert_eq!(imported[0].changed, 0);
    assert_eq!(kept().answers[&key], "75");
}

/// Runs `tarea import --no-build` on `files` in `root`, failing its `fault`-th file operation when
/// given (the `TAREA_FAULT_IMPORT_WRITE` test hook).
fn import_command(root: &Path, files: &[std::path::PathBuf], fault: Option<usize>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tarea"));
    command.args(["import", "--no-build", "--root"]).arg(root).args(files).env_remove("TAREA_FAULT_IMPORT_WRITE");
    if let Some(at) = fault {
        command.env("TAREA_FAULT_IMPORT_WRITE", at.to_string());
    }
    command.output().unwrap()
}

/// A time that is right now, as a browser writes it.
fn just_now() -> String {
    (chrono::Utc::now() - chrono::TimeDelta::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[test]
fn an_import_that_fails_half_way_records_nothing() {
    let (site, packets) = example();
    let root = site.path();
    let kept_path = |l: &tarea::resolve::PacketLink| root.join(tarea::load::answers_path(&l.patient_id, &l.date));
    // One file replaces answers the library has (Elisa's of 26 November), one is a new patient's.
    let replaced = packets.iter().find(|(_, l)| l.patient_id == "elisa" && l.date == "2026-11-26").unwrap();
    let created = packets.iter().find(|(_, l)| l.patient_id != "elisa").unwrap();
    assert!(kept_path(&replaced.1).is_file() && !kept_path(&created.1).parent().unwrap().exists());
    let downloads = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, (packet, _)) in [replaced, created].into_iter().enumerate() {
        let mut file = answer_file(packet);
        file.saved = Some(just_now());
        let path = downloads.path().join(format!("answers-{i}.json"));
        write_json(&path, &file);
        paths.push(path);
    }
    let answers_dir = root.join("library/answers");
    let before = crate::common::snapshot(&answers_dir);
    // With two files, operations 1 and 2 write the temporary files and 3 and 4 rename them into
    // place: 2 fails the second file's write, 4 its rename after the first file was replaced.
    for fault in [2, 1, 3, 4] {
        let output = import_command(root, &paths, Some(fault));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "fault {fault}: the import succeeded");
        assert!(crate::common::snapshot(&answers_dir) == before, "fault {fault}: a failed import changed the answers");
        assert!(!kept_path(&created.1).parent().unwrap().exists(), "fault {fault}: a folder was left behind");
        let temporaries: Vec<_> = walkdir::WalkDir::new(root.join("library"))
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(temporaries.is_empty(), "fault {fault}: left {temporaries:?}");
        assert!(stderr.contains("could not write library/answers/"), "fault {fault}: {stderr}");
        assert!(stderr.contains("nothing was recorded"), "fault {fault}: {stderr}");
    }
    // Without the fault the same import writes both files.
    let output = import_command(root, &paths, None);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let after = crate::common::snapshot(&answers_dir);
    for (_, link) in [replaced, created] {
        let path = kept_path(link).strip_prefix(&answers_dir).unwrap().to_path_buf();
        let was = before.iter().find(|(p, _)| *p == path);
        let now = after.iter().find(|(p, _)| *p == path);
        assert!(now.is_some() && now != was, "{} was not written", path.display());
    }
}

#[test]
fn a_download_from_a_device_with_a_wrong_clock_does_not_hide_later_corrections() {
    let (site, packets) = example();
    let root = site.path();
    let (packet, link) =
        packets.iter().find(|(_, l)| !root.join(tarea::load::answers_path(&l.patient_id, &l.date)).exists()).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut wrong = answer_file(packet);
    wrong.saved = Some("2099-01-01T10:00:00.000Z".into());
    let wrong_path = downloads.path().join("wrong-clock.json");
    write_json(&wrong_path, &wrong);
    let output = import_command(root, std::slice::from_ref(&wrong_path), None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let warning = stderr.lines().find(|l| l.starts_with("warning: ")).unwrap_or_default();
    for expected in ["wrong-clock.json", "1 January 2099", "clock", "probably wrong"] {
        assert!(warning.contains(expected), "missing {expected:?} in: {stderr}");
    }

    // The patient corrects an answer and downloads again, on a device with the right time.
    let key = format!("{}/likely", packet.tasks[0].id);
    let mut real = answer_file(packet);
    real.answers.insert(key.clone(), "35".into());
    real.saved = Some(just_now());
    let real_path = downloads.path().join("answers.json");
    write_json(&real_path, &real);
    let imported = tarea::import_answers(root, &[real_path]).unwrap();
    assert!(imported[0].changed > 0, "the correction was taken as older than the wrong clock's file");
    assert!(imported[0].warnings.is_empty(), "{:?}", imported[0].warnings);
    let kept = root.join(tarea::load::answers_path(&link.patient_id, &link.date));
    let kept: AnswerFile = serde_json::from_str(&std::fs::read_to_string(kept).unwrap()).unwrap();
    assert_eq!(kept.answers[&key], "35");
}
