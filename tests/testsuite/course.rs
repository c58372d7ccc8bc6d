//! A course of therapy over six sessions: compliance reviews on the therapist copy, tarea's
//! proposed levels (up, stay, down), the end-of-therapy booklet, the private index — and no
//! therapist-only text anywhere under `out/public/`.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const MARKER: &str = "SECRETO-7f3a";

fn copy(root: &Path, date: &str) -> scraper::Html {
    html(&root.join(format!("out/private/ana/{date}.html")))
}

/// (title, level, status, note) of each row of a copy's review block.
fn review_rows(doc: &scraper::Html) -> Vec<(String, String, String, String)> {
    doc.select(&sel(".copy-review tbody tr"))
        .map(|tr| {
            let cell = |css: &str| texts_in(&tr, css).join("");
            (cell("th"), cell("td:nth-of-type(1)"), cell("td.status"), cell("td.review-note"))
        })
        .collect()
}

/// (title, level given, level proposed) of each row of a copy's assignments.
fn assigned_rows(doc: &scraper::Html) -> Vec<(String, String, String)> {
    doc.select(&sel(".copy-assigned tbody tr"))
        .map(|tr| {
            let proposed = tr.select(&sel("td.suggestion")).next().unwrap().attr("data-level").unwrap().to_string();
            (texts_in(&tr, "th").join(""), texts_in(&tr, "td:nth-of-type(1)").join(""), proposed)
        })
        .collect()
}

#[test]
fn therapist_copies_show_the_review_and_the_proposed_levels() {
    let site = fixture("course");
    build(site.path()).expect("the course builds");
    let root = site.path();

    let first = copy(root, "2027-01-04");
    assert!(review_rows(&first).is_empty());
    assert_eq!(texts(&first, ".copy-review p"), ["Primera sesión: todavía no hay tareas que revisar."]);

    // Session 2: done → up one level; partial → stays.
    let second = copy(root, "2027-01-11");
    assert_eq!(
        review_rows(&second),
        [
            ("Registro de prueba".into(), "1".into(), "Hecha".into(), format!("{MARKER} hizo los siete días")),
            ("Respiración".into(), "1".into(), "A medias".into(), format!("{MARKER} tres días de siete")),
        ]
    );
    assert_eq!(
        assigned_rows(&second),
        [("Registro de prueba".into(), "2 / 5".into(), "2".into()), ("Respiración".into(), "1 / 3".into(), "1".into())]
    );

    // Session 4: the record was missed twice in a row (not done, then done differently) → down.
    let fourth = copy(root, "2027-01-25");
    let statuses: Vec<String> = review_rows(&fourth).into_iter().map(|r| r.2).collect();
    assert_eq!(statuses, ["Hecha de otra forma", "Hecha"]);
    assert_eq!(
        assigned_rows(&fourth),
        [("Registro de prueba".into(), "1 / 5".into(), "1".into()), ("Respiración".into(), "3 / 3".into(), "3".into())]
    );
    assert!(texts(&fourth, ".copy-assigned td.suggestion")[0].contains("bajar al nivel 1"));
    assert_eq!(
        texts(&fourth, ".copy-private dd"),
        [format!("{MARKER} motivo de consulta"), format!("{MARKER} dormir mejor")]
    );
    assert_eq!(texts(&fourth, ".copy-private dt"), ["Motivo de consulta", "Objetivos"]);

    // The history table: one row per homework, one column per session so far.
    let sixth = copy(root, "2027-02-08");
    assert_eq!(sixth.select(&sel("table.history thead th time")).count(), 6);
    let record_row = texts(&sixth, "table.history tbody tr:first-child td");
    assert_eq!(record_row[..4], ["Nivel 1 Hecha", "Nivel 2 No hecha", "Nivel 2 Hecha de otra forma", "Nivel 1 Hecha"]);
}

#[test]
fn the_last_session_gives_the_patient_a_booklet() {
    let site = fixture("course");
    build(site.path()).unwrap();
    let last = packet_for(site.path(), "Ana", "2027-02-08");
    let cover = html(&last.join("index.html"));
    assert_eq!(cover.select(&sel(".booklet-link a[href='booklet.html']")).count(), 1);
    let booklet = html(&last.join("booklet.html"));
    assert_eq!(booklet.select(&sel("input, textarea")).count(), 0, "the booklet is no form: nothing would keep them");
    assert_eq!(
        texts(&booklet, ".booklet-items h2"),
        ["Registro de prueba", "Respiración", "Mi propia tarea", "Señales de alerta"]
    );
    // A toolkit, not the "why" again: how to do each on one's own (the template's `toolkit`, or
    // its instructions), and for each technique a blank sheet to print (not for the plan).
    assert_eq!(booklet.select(&sel(".booklet-items .purpose")).count(), 0);
    let how = texts(&booklet, ".booklet-items .toolkit-how");
    assert_eq!(how[..2], ["Una fila al día. Sin prisa.", "Cuando notes tensión, respira despacio cinco minutos."]);
    assert!(texts(&booklet, ".booklet-items .when")[0].contains("hasta el nivel 2 de 5"));
    let cards = booklet
        .select(&sel(".booklet-items > li"))
        .map(|c| c.select(&sel(".blank a[href='booklet.pdf']")).count())
        .collect::<Vec<_>>();
    assert_eq!(cards, [1, 1, 1, 0]);
    assert_eq!(
        texts(&booklet, ".booklet-plan .agreed li"),
        // Agreed in session, then what Ana added online (her answers of 1 February; a sign
        // already agreed is not repeated).
        ["Me cuesta dormir", "Tensión en los hombros", "Dolor de cabeza", "Me muerdo las uñas"]
    );
    let pdf = pdf_pages(&last.join("booklet.pdf")).join(" ");
    for expected in [
        "Mi cuaderno de terapia",
        "Registro de prueba",
        "Mi propia tarea",
        "Mi plan ante las señales de alerta",
        "Dolor de cabeza",
    ] {
        assert!(pdf.contains(expected), "{expected} missing from the booklet PDF: {pdf}");
    }
    // No grade in the booklet: statuses belong to the therapist.
    for status in ["Hecha", "A medias", "No hecha"] {
        assert!(!pdf.contains(status) && !booklet.html().contains(status), "{status} in the booklet");
    }
    // The blank copies follow, each where its card says: the sheet at the last level reached,
    // undated (a day cell to date by hand, no date in the header or footer), closing without
    // "next session".
    let pages = pdf_pages(&last.join("booklet.pdf"));
    let first_pages = pages.iter().take_while(|p| !p.contains("__ / __")).count();
    for title in ["Registro de prueba", "Respiración", "Mi propia tarea"] {
        let card = pages[..first_pages].iter().find_map(|p| {
            let at = p.find(&format!(". {title}"))?;
            let page = p[at..].split("Hoja en blanco para imprimir: página ").nth(1)?;
            page.split('.').next()?.parse::<usize>().ok()
        });
        let page = card.unwrap_or_else(|| panic!("no blank-sheet page on {title}'s card: {pages:?}"));
        let sheet = &pages[page - 1];
        assert!(sheet.starts_with(title), "page {page} is not {title}'s blank sheet: {sheet}");
        assert!(!sheet.contains("2027"), "a blank sheet is undated: {sheet}");
    }
    assert_eq!(pages.iter().filter(|p| p.contains("¿Cómo ha ido? ¿Qué quieres recordar?")).count(), 3);
    assert!(!pages[first_pages..].iter().any(|p| p.contains("sesión")), "therapy is over: {pages:?}");
    // Only the last session has one.
    let earlier = packet_for(site.path(), "Ana", "2027-02-01");
    assert!(!earlier.join("booklet.html").exists());
}

#[test]
fn therapist_only_text_never_reaches_the_public_tree() {
    let site = fixture("course");
    build(site.path()).unwrap();
    let public = site.path().join("out/public");
    for (path, bytes) in snapshot(&public) {
        assert!(!String::from_utf8_lossy(&bytes).contains(MARKER), "{} has the marker", path.display());
        if path.extension().is_some_and(|e| e == "pdf") {
            let text = pdf_pages(&public.join(&path)).join(" ");
            assert!(!text.contains(MARKER), "{} shows the marker", path.display());
        }
    }
    // The marker is really there on the private side, so the search above can find it.
    let private = snapshot(&site.path().join("out/private"));
    assert!(private.iter().any(|(_, bytes)| String::from_utf8_lossy(bytes).contains(MARKER)));
}

#[test]
fn the_private_index_links_every_packet_and_copy() {
    let site = fixture("course");
    build(site.path()).unwrap();
    let root = site.path();
    let index = html(&root.join("out/private/index.html"));
    assert_eq!(index.select(&sel(".patient-summary")).count(), 1);
    for link in index.select(&sel("a.packet-link, a.copy-link")) {
        let href = link.attr("href").unwrap();
        assert!(root.join("out/private").join(href).is_file(), "{href} leads nowhere");
    }
    assert_eq!(index.select(&sel("a.copy-link")).count(), 6);
    assert_eq!(index.select(&sel(".patient-summary table.history tbody tr")).count(), 5);
    let csv = std::fs::read_to_string(root.join("out/private/links.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0], "patient_id,patient,date,url,password");
    assert!(lines[1].starts_with("\"ana\",\"Ana\",\"2027-01-04\",\"https://example.org/c/"));
}

#[test]
fn the_therapist_sees_who_returned_homework_and_each_patients_whole_course() {
    let site = fixture("course");
    let root = site.path();
    build(root).unwrap();
    // Per packet, what came back: the fields answered are the non-empty values of the imported
    // file (import keeps only the packet's fields).
    let answered = |date: &str| -> Option<usize> {
        let text = std::fs::read_to_string(root.join(format!("library/answers/ana/{date}.json"))).ok()?;
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let answers = file["answers"].as_object().unwrap();
        // The 2027-02-01 file keeps one answer its packet no longer has (the plan changed): not counted.
        let fits = |key: &str| !(date == "2027-02-01" && key == "own/likely");
        // An unticked box ("false") is not an answer.
        let given = |v: &str| !v.trim().is_empty() && v != "false";
        Some(answers.iter().filter(|(k, v)| fits(k) && given(v.as_str().unwrap())).count())
    };
    let dates = ["2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25", "2027-02-01", "2027-02-08"];
    for page in ["out/private/index.html", "out/private/ana/index.html"] {
        let doc = html(&root.join(page));
        let cells = texts(&doc, "table.index td.returned");
        assert_eq!(cells.len(), 6, "{page}");
        for (cell, date) in cells.iter().zip(dates) {
            match answered(date) {
                Some(n) => {
                    assert!(cell.contains(&format!("{n} de ")) && cell.contains(" de 7 días"), "{page} {date}: {cell}")
                }
                None => assert_eq!(cell, "Aún no", "{page} {date}"),
            }
        }
        for link in doc.select(&sel("a.packet-link, a.copy-link, nav a")) {
            let href = link.attr("href").unwrap();
            let from = root.join(page);
            assert!(from.parent().unwrap().join(href).is_file(), "{page}: {href} leads nowhere");
        }
    }
    // The patient's page: the course at a glance and the ratings across every session.
    let page = html(&root.join("out/private/ana/index.html"));
    assert_eq!(page.select(&sel("table.history tbody tr")).count(), 5);
    let charts = page.select(&sel("figure.answer-chart")).count();
    assert!(charts > 0, "the imported ratings are charted across sessions");
    // `tarea list --json` says the same.
    let listed = tarea::list(root).unwrap();
    let back: Vec<Option<usize>> = listed.iter().map(|l| l.returned.as_ref().map(|r| r.answered)).collect();
    assert_eq!(back, dates.map(answered));
}

#[test]
fn suggest_prints_a_block_that_pastes_into_the_plan() {
    let site = fixture("course");
    let output =
        Command::new(env!("CARGO_BIN_EXE_tarea")).args(["suggest", "ana", "--root"]).arg(site.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let block = String::from_utf8(output.stdout).unwrap();
    assert!(block.contains("date = 2027-03-08"), "{block}");
    assert!(block.contains("[[sessions.review]]\nhomework = \"review\""), "{block}");
    // No answers came back for the last session: the statuses are for the therapist to set.
    assert!(block.contains("status = \"set-me\""), "{block}");
    assert!(block.contains("homework = \"signs\"\nlevel = 2"), "{block}");
    // The review of all homework was given last time: it is reviewed, never proposed again.
    let proposed: Vec<&str> = block
        .split("[[sessions.tasks]]\n")
        .skip(1)
        .filter_map(|task| task.lines().next()?.strip_prefix("homework = "))
        .collect();
    assert_eq!(proposed, ["\"signs\"", "\"own\""], "{block}");
    assert!(block.contains("# `review` is not proposed again"), "{block}");
    let plan = site.path().join("library/plans/ana.toml");
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push('\n');
    text.push_str(&block);
    std::fs::write(&plan, &text).unwrap();
    let unset = build(site.path()).expect_err("a status left unset is refused").to_string();
    assert!(unset.contains("this review's status is not set yet"), "{unset}");
    std::fs::write(&plan, text.replace("\"set-me\"", "\"done\"")).unwrap();
    build(site.path()).expect("the pasted block, its statuses set, builds");
}

#[test]
fn check_warns_about_phases_but_passes() {
    let site = fixture("course");
    let plan = site.path().join("library/plans/ana.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    // An early session with a level-3 task, and a late one without a self-designed task.
    let text = text.replacen(
        "homework = \"breathing\"\nlevel = 1\n\n[[sessions]]",
        "homework = \"breathing\"\nlevel = 3\n\n[[sessions]]",
        1,
    );
    let last_own = text.rfind("[[sessions.tasks]]\nhomework = \"own\"").unwrap();
    let text = text[..last_own].to_string();
    std::fs::write(&plan, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tarea")).args(["check", "--root"]).arg(site.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "warnings must not fail the check: {stderr}");
    assert!(stderr.contains("warning: an early-phase session gives `breathing` at level 3"), "{stderr}");
    assert!(stderr.contains("warning: a late-phase session with no self-designed task"), "{stderr}");
    assert!(!site.path().join("out").exists(), "check writes nothing");
}

/// An early session giving the tasks that close a course: a plan of its own beside Ana's.
const EARLY_ENDINGS: &str = r#"name = "Bea"
language = "es"
therapist = "María Jesús"

[[sessions]]
date = 2027-01-04
phase = "early"

[[sessions.tasks]]
homework = "review"

[[sessions.tasks]]
homework = "signs"
level = 2

[[sessions]]
date = 2027-01-11
phase = "early"

[[sessions.tasks]]
homework = "signs"
"#;

#[test]
fn check_warns_when_an_early_session_gives_the_end_of_therapy_tasks() {
    let site = fixture("course");
    std::fs::write(site.path().join("library/plans/bea.toml"), EARLY_ENDINGS).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tarea")).args(["check", "--root"]).arg(site.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "warnings must not fail the check: {stderr}");
    // Each warning points at the plan's line and column: the homework, or the level given.
    let at = |needle: &str, nth: usize| {
        let line = EARLY_ENDINGS.lines().enumerate().filter(|(_, l)| l.contains(needle)).nth(nth).unwrap().0 + 1;
        let column = EARLY_ENDINGS.lines().nth(line - 1).unwrap().find('=').unwrap() + 3;
        format!("--> library/plans/bea.toml:{line}:{column}")
    };
    let review = "warning: an early-phase session gives `review`, the end-of-therapy review";
    let signs = "warning: an early-phase session gives the whole warning-signs plan (`signs` at level 2 of 2)";
    for (message, location) in [(review, at("\"review\"", 0)), (signs, at("level = 2", 0))] {
        let found = stderr.find(message).unwrap_or_else(|| panic!("no {message:?} in {stderr}"));
        assert!(
            stderr[found..].lines().take(3).any(|l| l.trim_start().starts_with(&location)),
            "{location} after {message}: {stderr}"
        );
    }
    assert_eq!(stderr.matches("warning-signs plan").count(), 1, "level 1 of 2 is not the whole plan: {stderr}");
    // Ana's early sessions give neither: nothing about her.
    assert!(!stderr.contains("ana.toml"), "{stderr}");
}

#[test]
fn a_review_of_a_task_not_given_last_time_is_an_error() {
    let site = fixture("course");
    let plan = site.path().join("library/plans/ana.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    let text = text.replacen("homework = \"own\"\nstatus = \"done\"", "homework = \"breathing\"\nstatus = \"done\"", 1);
    let text = text.replacen("status = \"partial\"", "status = \"half\"", 1);
    std::fs::write(&plan, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tarea")).args(["check", "--root"]).arg(site.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("unknown variant `half`"), "{stderr}");
    assert!(stderr.contains("--> library/plans/ana.toml:"), "{stderr}");
}

#[test]
fn large_print_makes_the_booklet_larger_too() {
    let site = fixture("course");
    build(site.path()).unwrap();
    // The size of most of the booklet's text: the body size, whatever headings do.
    let body_size = |root: &Path| {
        let doc = lopdf::Document::load(packet_for(root, "Ana", "2027-02-08").join("booklet.pdf")).unwrap();
        let mut counts: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
        for (_, page) in doc.get_pages() {
            for op in doc.get_and_decode_page_content(page).unwrap().operations {
                if op.operator == "Tf" {
                    *counts.entry((op.operands[1].as_float().unwrap() * 10.0).round() as i64).or_default() += 1;
                }
            }
        }
        counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0 as f32 / 10.0
    };
    let normal = body_size(site.path());
    set_in_plan(site.path(), "ana.toml", "therapist = \"María Jesús\"", "large_print = true");
    build(site.path()).unwrap();
    let large = body_size(site.path());
    assert!(large >= normal * 1.25, "body text {normal} pt before, {large} pt in large print");
    let booklet = html(&packet_for(site.path(), "Ana", "2027-02-08").join("booklet.html"));
    assert_eq!(booklet.select(&sel("body.large-print")).count(), 1);
}

/// The fixture's plan with the first `next` (2027-01-11, one week after 2027-01-04) moved
/// `days` after the session; returns the 1-based line of that `next`.
fn move_first_next(root: &Path, days: i64) -> usize {
    let plan = root.join("library/plans/ana.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap() + chrono::Duration::days(days);
    let old = "next = 2027-01-11";
    let at = text.find(old).expect("the fixture's first session has next = 2027-01-11");
    let line = text[..at].matches('\n').count() + 1;
    std::fs::write(&plan, text.replacen(old, &format!("next = {date}"), 1)).unwrap();
    line
}

#[test]
fn a_next_session_more_than_a_year_away_is_a_located_error() {
    let site = fixture("course");
    let line = move_first_next(site.path(), 400);
    let err = tarea::check(site.path()).expect_err("a `next` 400 days away must fail the check");
    let failed = err.downcast_ref::<tarea::Failed>().expect("the check fails with its diagnostics");
    let errors: Vec<&tarea::Diagnostic> =
        failed.diagnostics.iter().filter(|d| d.severity == tarea::diagnostic::Severity::Error).collect();
    assert_eq!(errors.len(), 1, "{failed}");
    let error = errors[0];
    assert!(error.message.contains("400 days") && error.message.contains("probably a typo"), "{error}");
    assert!(error.help.as_deref().is_some_and(|h| h.contains("a row for each of those 400 days")), "{error}");
    let at = error.location.as_ref().expect("the error points at the date");
    assert!(at.file.ends_with("library/plans/ana.toml"), "{error}");
    assert_eq!(at.line, line, "{error}");
    assert_eq!(at.line_text, "next = 2028-02-08", "{error}");
    assert_eq!(at.column, "next = ".len() + 1, "{error}");
    assert!(build(site.path()).is_err(), "the build refuses it too");
    assert!(packet_dirs(site.path()).is_empty(), "none of her packets was written");
}

#[test]
fn a_next_session_more_than_five_weeks_away_is_a_located_warning() {
    let site = fixture("course");
    let line = move_first_next(site.path(), 40);
    let warnings = tarea::check(site.path()).expect("a `next` 40 days away only warns");
    let far: Vec<&tarea::Diagnostic> = warnings.iter().filter(|d| d.message.contains("40 days")).collect();
    assert_eq!(far.len(), 1, "{warnings:?}");
    let warning = far[0];
    assert_eq!(warning.severity, tarea::diagnostic::Severity::Warning);
    assert!(
        warning.help.as_deref().is_some_and(|h| h.contains("more than five weeks") && h.contains("40 days of rows")),
        "{warning}"
    );
    let at = warning.location.as_ref().expect("the warning points at the date");
    assert_eq!((at.line, at.line_text.as_str()), (line, "next = 2027-02-13"), "{warning}");
    let report = build(site.path()).expect("it builds");
    assert!(report.warnings.iter().any(|d| d.message.contains("40 days")));

    // Twenty days is an ordinary gap (a holiday): nothing to say.
    let site = fixture("course");
    move_first_next(site.path(), 20);
    let warnings = tarea::check(site.path()).expect("a `next` 20 days away passes");
    assert!(!warnings.iter().any(|d| d.message.contains("days after")), "{warnings:?}");
}

/// A plan of `sessions` weekly sessions, each reviewing the last one's two tasks and giving them
/// again; every tenth also gives the review of all homework.
fn long_plan(sessions: usize) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    let mut plan = String::from("name = \"Largo\"\nlanguage = \"es\"\ntherapist = \"T\"\n");
    for i in 0..sessions {
        let date = first + chrono::Duration::weeks(i as i64);
        let next = date + chrono::Duration::weeks(1);
        plan.push_str(&format!("\n[[sessions]]\ndate = {date}\nnext = {next}\n"));
        if i > 0 {
            let status = ["done", "partial", "not-done", "incorrect"][i % 4];
            for homework in ["record", "breathing"] {
                plan.push_str(&format!("\n[[sessions.review]]\nhomework = \"{homework}\"\nstatus = \"{status}\"\n"));
            }
        }
        for (homework, level) in [("record", 1 + i % 5), ("breathing", 1 + i % 3)] {
            plan.push_str(&format!("\n[[sessions.tasks]]\nhomework = \"{homework}\"\nlevel = {level}\n"));
        }
        if i % 10 == 9 {
            plan.push_str("\n[[sessions.tasks]]\nhomework = \"review\"\n");
        }
    }
    plan
}

#[test]
fn a_long_plan_shows_the_last_twelve_sessions_in_each_copy() {
    let site = fixture("course");
    let root = site.path();
    std::fs::remove_file(root.join("library/plans/ana.toml")).unwrap();
    std::fs::remove_dir_all(root.join("library/answers")).unwrap();
    std::fs::write(root.join("library/plans/largo.toml"), long_plan(300)).unwrap();
    let options = tarea::BuildOptions { root: root.to_path_buf(), out: root.join("out") };
    let filter = tarea::BuildRequest { no_pdf: true, ..Default::default() };
    tarea::build_with(&options, &filter, None).expect("a plan of 300 sessions builds");

    let mut copies: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("out/private/largo"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html") && !p.ends_with("index.html"))
        .collect();
    copies.sort();
    assert_eq!(copies.len(), 300);
    // The patient's page holds the whole course, every session.
    let page = html(&root.join("out/private/largo/index.html"));
    assert_eq!(page.select(&sel("table.history thead th time")).count(), 300);
    for (i, path) in copies.iter().enumerate() {
        let doc = html(path);
        let columns = doc.select(&sel(".copy-history table.history thead th time")).count();
        assert_eq!(columns, (i + 1).min(12), "{}", path.display());
        for row in doc.select(&sel(".copy-history table.history tbody tr")) {
            assert!(row.select(&sel("td")).count() <= 12, "{}", path.display());
        }
        let earlier = texts(&doc, ".copy-history .history-earlier");
        match i {
            0..12 => assert!(earlier.is_empty(), "{}: {earlier:?}", path.display()),
            12 => assert_eq!(
                earlier,
                ["Una sesión anterior no se muestra aquí; el historial completo está en el índice privado."]
            ),
            _ => assert_eq!(
                earlier,
                [format!(
                    "{} sesiones anteriores no se muestran aquí; el historial completo está en el índice privado.",
                    i - 11
                )]
            ),
        }
    }
    // The 300th copy is as long as the 20th: the history no longer grows with the course.
    let size = |i: usize| std::fs::metadata(&copies[i]).unwrap().len() as f64;
    assert!(size(299) < 1.5 * size(19), "copy 20: {} bytes, copy 300: {} bytes", size(19), size(299));
    // The last copy's history is the last twelve sessions.
    let last = html(&copies[299]);
    let dates: Vec<String> = last
        .select(&sel(".copy-history table.history thead th time"))
        .map(|t| t.attr("datetime").unwrap().to_string())
        .collect();
    assert_eq!(dates.first().map(String::as_str), Some("2032-07-12"));
    assert_eq!(dates.last().map(String::as_str), Some("2032-09-27"));
    // The private index keeps the whole course.
    let index = html(&root.join("out/private/index.html"));
    assert_eq!(index.select(&sel(".patient-summary table.history thead th time")).count(), 300);
}
