//! Charts of what a patient filled in online: the therapist copy of an answered session draws that
//! packet's ratings (a day's point is the mean of its rows; before and after as a pair per
//! practice; intensities a line per emotion), the end-of-therapy booklet draws the whole course in
//! HTML and natively in its PDF, and nothing of it reaches any other public page.
//!
//! The course fixture keeps three imported answer files (`library/answers/ana/`); their tokens are
//! those of the fixed secret below, which every test here writes into the site before building.
//! The emotions fixture gets its answers imported by the test itself.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;
use chrono::{Duration, NaiveDate};
use tarea::answers::AnswerFile;

/// The site secret the fixture's answer files were made with (see `src/token.rs`).
const SECRET: &str = "7461726561206368617274732074657374206669787475726520736563726574";
/// Sessions of the fixture with imported answers.
const ANSWERED: [&str; 3] = ["2027-01-04", "2027-01-18", "2027-02-01"];

/// A built copy of the course fixture, with the fixed secret.
fn course() -> tempfile::TempDir {
    let site = fixture("course");
    std::fs::create_dir_all(site.path().join(".tarea")).unwrap();
    std::fs::write(site.path().join(".tarea/secret"), format!("{SECRET}\n")).unwrap();
    build(site.path()).expect("the course builds");
    site
}

fn answers(date: &str) -> AnswerFile {
    let path = repo().join(format!("tests/fixtures/course/library/answers/ana/{date}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The mean of each day's answered rows of `task`'s `column`, day by day (`None`: nothing that
/// day), for a daily sheet of `rows` rows a day starting on `first`.
fn daily_means(file: &AnswerFile, task: &str, column: &str, first: &str, rows: usize) -> Vec<(String, Option<f64>)> {
    let first = NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap();
    (0..7)
        .map(|day| {
            let found: Vec<f64> = (day * rows..(day + 1) * rows)
                .filter_map(|r| file.answers.get(&format!("{task}/{r}/{column}")))
                .map(|v| v.parse::<f64>().unwrap())
                .collect();
            let mean = (!found.is_empty()).then(|| found.iter().sum::<f64>() / found.len() as f64);
            ((first + Duration::days(day as i64)).to_string(), mean)
        })
        .collect()
}

/// Every practice of `task` with a before or an after, in order: (day, [before, after]), for a
/// daily sheet of `rows` rows a day starting on `first`.
fn practices(file: &AnswerFile, task: &str, first: &str, rows: usize) -> Vec<(String, [Option<f64>; 2])> {
    let first = NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap();
    (0..7 * rows)
        .filter_map(|r| {
            let end = |column: &str| file.answers.get(&format!("{task}/{r}/{column}")).map(|v| v.parse().unwrap());
            let ends = [end("before"), end("after")];
            ends.iter().any(Option::is_some).then(|| ((first + Duration::days((r / rows) as i64)).to_string(), ends))
        })
        .collect()
}

/// The chart titled `title` under `scope`.
fn chart<'a>(doc: &'a scraper::Html, scope: &str, title: &str) -> scraper::ElementRef<'a> {
    doc.select(&sel(&format!("{scope} figure.answer-chart")))
        .find(|f| texts_in(f, "h3") == [title])
        .unwrap_or_else(|| panic!("no chart \"{title}\" in {scope}"))
}

/// The `data-value` of every point of one series, in order.
fn plotted(chart: &scraper::ElementRef<'_>, column: &str) -> Vec<f64> {
    chart
        .select(&sel(&format!("g.series[data-column='{column}'] path.point")))
        .map(|p| p.attr("data-value").unwrap().parse().unwrap())
        .collect()
}

/// The chart's table of numbers: (iso date, each cell as a number, `None` for "–").
fn table(chart: &scraper::ElementRef<'_>) -> Vec<(String, Vec<Option<f64>>)> {
    chart
        .select(&sel("details.chart-data tbody tr"))
        .map(|tr| {
            let iso = tr.select(&sel("th time")).next().unwrap().attr("datetime").unwrap().to_string();
            let cells = texts_in(&tr, "td").iter().map(|c| c.replace(',', ".").parse::<f64>().ok()).collect();
            (iso, cells)
        })
        .collect()
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-9, "{what}: {got:?} vs {want:?}");
    }
}

#[test]
fn the_fixture_answers_belong_to_the_packets_they_name() {
    let site = course();
    for date in ANSWERED {
        let folder = packet_for(site.path(), "Ana", date);
        assert_eq!(folder.file_name().unwrap().to_str().unwrap(), answers(date).token, "{date}");
    }
}

#[test]
fn the_therapist_copy_charts_the_means_of_each_day() {
    let site = course();
    let doc = html(&site.path().join("out/private/ana/2027-01-18.html"));
    let file = answers("2027-01-18");
    assert_eq!(texts(&doc, ".copy-answers h2"), ["Lo que Ana rellenó en línea"]);
    let answered = file.answers.values().filter(|v| !v.trim().is_empty() && *v != "false").count();
    let count = doc.select(&sel(".answers-count")).next().unwrap();
    assert_eq!(count.attr("data-answered"), Some(answered.to_string().as_str()));
    assert!(
        texts(&doc, ".answers-count")[0].starts_with(&format!("{answered} de ")),
        "{:?}",
        texts(&doc, ".answers-count")
    );
    assert!(texts(&doc, ".answers-count")[0].contains("domingo, 24 de enero de 2027, 22:03"));

    // The breathing log, level 2: two rows a day, each practice a before → after pair.
    let breathing = chart(&doc, ".copy-answers", "Respiración");
    let practices = practices(&file, "breathing", "2027-01-18", 2);
    for (n, column) in ["before", "after"].into_iter().enumerate() {
        let want: Vec<f64> = practices.iter().filter_map(|p| p.1[n]).collect();
        assert_close(&plotted(&breathing, column), &want, column);
    }
    // The table: a row per practice, in order, and a blank day (Thursday) as one row of "–".
    let rows = table(&breathing);
    let mut want_rows: Vec<(String, Vec<Option<f64>>)> =
        practices.iter().map(|(day, ends)| (day.clone(), ends.to_vec())).collect();
    want_rows.push(("2027-01-21".into(), vec![None, None]));
    want_rows.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(rows, want_rows);
    // Tuesday's two practices stay two: one with both ratings, one with the after only.
    assert_eq!(practices.iter().filter(|p| p.0 == "2027-01-19").count(), 2);
    let both = practices.iter().filter(|p| p.1.iter().all(Option::is_some)).count();
    assert_eq!(breathing.select(&sel("g.pairs line")).count(), both, "a line joins each complete pair");
    assert_eq!(breathing.select(&sel("g.series > path:not(.point)")).count(), 0, "days are not joined");
    assert_eq!(texts_in(&breathing, ".hint"), ["Cada línea vertical une «Antes» y «Después» de una misma fila."]);

    // The thought record: one row a day, intensity only (the text columns are not drawn).
    let record = chart(&doc, ".copy-answers", "Registro de prueba");
    let want: Vec<f64> =
        daily_means(&file, "record", "intensity", "2027-01-18", 1).into_iter().filter_map(|(_, m)| m).collect();
    assert_close(&plotted(&record, "intensity"), &want, "intensity");
    assert_eq!(record.select(&sel("g.series")).count(), 1);
}

#[test]
fn a_chart_is_an_accessible_picture_readable_without_colour() {
    let site = course();
    let doc = html(&site.path().join("out/private/ana/2027-01-18.html"));
    let breathing = chart(&doc, ".copy-answers", "Respiración");
    let svg = breathing.select(&sel("svg.chart-plot")).next().unwrap();
    assert_eq!(svg.attr("role"), Some("img"));
    let labelled: Vec<&str> = svg.attr("aria-labelledby").unwrap().split(' ').collect();
    assert_eq!(labelled.len(), 2);
    let title = texts(&doc, &format!("#{}", labelled[0]));
    assert_eq!(title, ["Respiración"]);
    let desc = texts(&doc, &format!("#{}", labelled[1]))[0].clone();
    assert!(desc.contains("escala de 0 a 10") && desc.contains("Antes: de 6 a 4"), "{desc}");
    assert!(desc.contains("10 filas con las dos: «Después» más baja en 10, igual en 0, más alta en 0"), "{desc}");
    // Two series: different colours and marker shapes (and a hollow one), joined pair by pair.
    let fills: Vec<(String, String)> = ["before", "after"]
        .iter()
        .map(|c| {
            let p = breathing.select(&sel(&format!("g.series[data-column='{c}'] path.point"))).next().unwrap();
            (p.attr("stroke").unwrap().to_string(), p.attr("fill").unwrap().to_string())
        })
        .collect();
    assert_ne!(fills[0].0, fills[1].0);
    assert_eq!(fills[1].1, "#ffffff", "the after is hollow");
    let first_marker = |column: &str| {
        let d = breathing
            .select(&sel(&format!("g.series[data-column='{column}'] path.point")))
            .next()
            .unwrap()
            .attr("d")
            .unwrap()
            .to_string();
        d.split(' ')
            .filter(|p| p.starts_with(char::is_alphabetic))
            .map(|p| p.chars().next().unwrap())
            .collect::<String>()
    };
    assert_ne!(first_marker("before"), first_marker("after"));
    assert_eq!(texts_in(&breathing, ".chart-legend li"), ["Antes", "Después"]);
    // Axes with their labels: 0–10 every 2, the days of the week.
    assert_eq!(texts_in(&breathing, ".y-axis text.tick"), ["0", "2", "4", "6", "8", "10"]);
    assert_eq!(
        texts_in(&breathing, ".x-axis text.tick"),
        ["Lun 18/1", "Mar 19/1", "Mié 20/1", "Jue 21/1", "Vie 22/1", "Sáb 23/1", "Dom 24/1"]
    );
    // No inline style: the pages' Content-Security-Policy would block it.
    assert!(!breathing.html().contains("style="));
}

#[test]
fn sessions_without_imported_answers_have_no_chart_section() {
    let site = course();
    for date in ["2027-01-11", "2027-01-25", "2027-02-08"] {
        let doc = html(&site.path().join(format!("out/private/ana/{date}.html")));
        assert_eq!(doc.select(&sel(".copy-answers")).count(), 0, "{date}");
    }
    // 1 February's answers have no ratings of the self-designed task, only ticks: the record is drawn.
    let doc = html(&site.path().join("out/private/ana/2027-02-01.html"));
    assert_eq!(texts(&doc, ".copy-answers figure h3"), ["Registro de prueba"]);
}

#[test]
fn the_booklet_charts_every_answered_day_of_the_course() {
    let site = course();
    let last = packet_for(site.path(), "Ana", "2027-02-08");
    let booklet = html(&last.join("booklet.html"));
    assert_eq!(texts(&booklet, ".booklet-charts h2"), ["Cómo han cambiado tus puntuaciones"]);
    assert_eq!(texts(&booklet, ".booklet-charts figure h3"), ["Registro de prueba", "Respiración"]);

    // The record's intensity across the three answered weeks, only the days answered, in order.
    let mut want: Vec<(String, f64)> = Vec::new();
    for date in ANSWERED {
        for (day, mean) in daily_means(&answers(date), "record", "intensity", date, 1) {
            want.extend(mean.map(|m| (day, m)));
        }
    }
    let record = chart(&booklet, ".booklet-charts", "Registro de prueba");
    assert_close(&plotted(&record, "intensity"), &want.iter().map(|w| w.1).collect::<Vec<_>>(), "course intensity");
    let days: Vec<String> = table(&record).into_iter().map(|r| r.0).collect();
    assert_eq!(days, want.iter().map(|w| w.0.clone()).collect::<Vec<_>>());
    assert_eq!(days.first().map(String::as_str), Some("2027-01-04"));
    assert_eq!(days.last().map(String::as_str), Some("2027-02-07"));

    // Breathing was given (and answered) in two weeks: level 1 one row a day, level 2 two; every
    // practice is its own pair.
    let mut want = Vec::new();
    for (date, rows) in [("2027-01-04", 1), ("2027-01-18", 2)] {
        want.extend(practices(&answers(date), "breathing", date, rows).into_iter().filter_map(|(_, ends)| ends[1]));
    }
    let breathing = chart(&booklet, ".booklet-charts", "Respiración");
    assert_close(&plotted(&breathing, "after"), &want, "course breathing after");
}

#[test]
fn the_booklet_pdf_draws_the_charts_with_their_labels() {
    let site = course();
    let last = packet_for(site.path(), "Ana", "2027-02-08");
    let pages = pdf_pages(&last.join("booklet.pdf"));
    let page = pages
        .iter()
        .find(|p| p.contains("Cómo han cambiado tus puntuaciones"))
        .unwrap_or_else(|| panic!("no chart page in the booklet PDF: {pages:?}"));
    for expected in
        ["Registro de prueba", "Respiración", "Intensidad", "Antes", "Después", "Día", "Lun 4/1", "10", "0–10"]
    {
        assert!(page.contains(expected), "{expected} missing from the booklet's chart page: {page}");
    }
    // The plan still closes the booklet, after the charts.
    // (No forced page break: they may share a page, the plan below the charts.)
    let whole = pages.join(" ");
    let charts_at = whole.find("Cómo han cambiado").unwrap();
    let plan_at = whole.find("Mi plan ante las señales de alerta").unwrap();
    assert!(charts_at < plan_at);
}

#[test]
fn no_other_public_page_shows_the_answers() {
    let site = course();
    let public = site.path().join("out/public");
    // Free text the patient wrote: it is charted nowhere, and never published.
    let written = "Me quedaré en blanco";
    let mut booklets = 0;
    for (path, bytes) in snapshot(&public) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(written), "{} holds the patient's text", path.display());
        let is_booklet = path.file_stem().is_some_and(|s| s == "booklet");
        booklets += usize::from(is_booklet);
        match path.extension().and_then(|e| e.to_str()) {
            Some("html") if !is_booklet => {
                assert!(
                    !text.contains("answer-chart") && !text.contains("data-value"),
                    "{} has chart data",
                    path.display()
                );
            }
            Some("pdf") if !is_booklet => {
                let shown = pdf_pages(&public.join(&path)).join(" ");
                assert!(!shown.contains("Cómo han cambiado"), "{} has a chart", path.display());
            }
            _ => {}
        }
    }
    assert_eq!(booklets, 2, "booklet.html and booklet.pdf");
    assert!(
        std::fs::read_to_string(packet_for(site.path(), "Ana", "2027-02-08").join("booklet.html"))
            .unwrap()
            .contains("data-value")
    );
}

#[test]
fn a_site_without_answers_shows_no_charts() {
    let site = fixture("course");
    std::fs::remove_dir_all(site.path().join("library/answers")).unwrap();
    build(site.path()).unwrap();
    let root: &Path = site.path();
    for entry in std::fs::read_dir(root.join("out/private/ana")).unwrap() {
        let doc = html(&entry.unwrap().path());
        assert_eq!(doc.select(&sel(".copy-answers, figure.answer-chart")).count(), 0);
    }
    let last = packet_for(root, "Ana", "2027-02-08");
    assert_eq!(html(&last.join("booklet.html")).select(&sel(".booklet-charts")).count(), 0);
    let pdf = pdf_pages(&last.join("booklet.pdf")).join(" ");
    assert!(pdf.contains("Mi cuaderno de terapia") && !pdf.contains("Cómo han cambiado"), "{pdf}");
}

/// The answers a chart draws are the ones of its own patient and session: a file for another
/// date of the plan changes nothing of this copy.
#[test]
fn each_copy_charts_its_own_sessions_answers_only() {
    let site = course();
    let first = html(&site.path().join("out/private/ana/2027-01-04.html"));
    let record = chart(&first, ".copy-answers", "Registro de prueba");
    let file = answers("2027-01-04");
    let want: BTreeMap<String, Option<f64>> =
        daily_means(&file, "record", "intensity", "2027-01-04", 1).into_iter().collect();
    let got: BTreeMap<String, Option<f64>> = table(&record).into_iter().map(|(d, c)| (d, c[0])).collect();
    assert_eq!(got, want);
}

/// The emotions fixture, built, with `given` imported as Eva's answers to her packet of 1 March
/// (three days, three rows a day), and her therapist copy of that session.
fn emotions(given: &[(&str, &str)]) -> (tempfile::TempDir, scraper::Html) {
    let site = fixture("emotions");
    let root = site.path();
    build(root).expect("the emotions site builds");
    let token = packet_for(root, "Eva", "2027-03-01").file_name().unwrap().to_str().unwrap().to_string();
    let answers: BTreeMap<&str, &str> = given.iter().copied().collect();
    let file = serde_json::json!({ "format": "tarea-answers", "version": 1, "token": token,
        "saved": "2027-03-03T21:00:00+01:00", "answers": answers });
    let download = root.join("answers.json");
    std::fs::write(&download, file.to_string()).unwrap();
    tarea::import_answers(root, &[download]).expect("the answers import");
    build(root).expect("the site rebuilds with the answers");
    let copy = html(&root.join("out/private/eva/2027-03-01.html"));
    (site, copy)
}

/// The legend of a chart, in order.
fn legend(chart: &scraper::ElementRef<'_>) -> Vec<String> {
    texts_in(chart, ".chart-legend li")
}

/// Every point's value in one series, by its place in the legend.
fn plotted_nth(chart: &scraper::ElementRef<'_>, n: usize) -> Vec<f64> {
    let series = chart.select(&sel("g.series")).nth(n).unwrap();
    series.select(&sel("path.point")).map(|p| p.attr("data-value").unwrap().parse().unwrap()).collect()
}

#[test]
fn the_therapist_copy_draws_a_line_per_emotion_never_their_mean() {
    let (_, doc) = emotions(&[
        ("feelings/0/situation", "Exam"),
        ("feelings/0/emotion", "Sadness"),
        ("feelings/0/intensity", "6"),
        ("feelings/1/emotion", "anger"),
        ("feelings/1/intensity", "7"),
        ("feelings/2/emotion", " sadness "),
        ("feelings/2/intensity", "8"),
        ("feelings/3/emotion", "Anger"),
        ("feelings/3/intensity", "4"),
        ("feelings/6/emotion", "fear"),
        ("feelings/6/intensity", "9"),
    ]);
    let record = chart(&doc, ".copy-answers", "Feelings record");
    assert_eq!(texts_in(&record, ".chart-subtitle"), ["Intensity by emotion"]);
    assert_eq!(legend(&record), ["Sadness", "anger", "fear"], "most written first, ties as first written");
    // Monday's two sadnesses plot the higher; anger keeps its own line, nothing is averaged.
    assert_close(&plotted_nth(&record, 0), &[8.0], "sadness");
    assert_close(&plotted_nth(&record, 1), &[7.0, 4.0], "anger");
    assert_close(&plotted_nth(&record, 2), &[9.0], "fear");
    let table = table(&record);
    assert_eq!(
        table,
        [
            ("2027-03-01".to_string(), vec![Some(8.0), Some(7.0), None]),
            ("2027-03-02".to_string(), vec![None, Some(4.0), None]),
            ("2027-03-03".to_string(), vec![None, None, Some(9.0)]),
        ]
    );
    assert_eq!(
        texts_in(&record, ".hint"),
        ["When a day has the same “Emotion” twice, its point is the higher rating."]
    );
    let desc = texts_in(&record, "svg desc")[0].clone();
    assert!(desc.starts_with("Feelings record: Intensity by emotion (scale 0 to 10)."), "{desc}");
}

#[test]
fn past_four_emotions_the_chart_says_which_it_leaves_out() {
    let written = ["Fear", "Anger", "Fear", "Shame", "Guilt", "Joy", "Fear", "Anger", "Relief"];
    let keys: Vec<(String, String)> = written
        .iter()
        .enumerate()
        .flat_map(|(row, emotion)| {
            [
                (format!("feelings/{row}/emotion"), emotion.to_string()),
                (format!("feelings/{row}/intensity"), (row + 1).to_string()),
            ]
        })
        .collect();
    let given: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_, doc) = emotions(&given);
    let record = chart(&doc, ".copy-answers", "Feelings record");
    assert_eq!(legend(&record), ["Fear", "Anger", "Shame", "Guilt"]);
    assert_eq!(record.select(&sel("g.series")).count(), 4);
    assert_eq!(
        texts_in(&record, ".hint"),
        [
            // Fear twice on Monday (rows 1 and 3).
            "When a day has the same “Emotion” twice, its point is the higher rating.",
            "Only the 4 most frequent answers to “Emotion” are drawn (of 6); not drawn: Joy, Relief."
        ]
    );
    // What they wrote is still there in full, below the charts.
    let written_cells = texts(&doc, "table.written td");
    assert!(written_cells.iter().any(|c| c == "Relief"), "{written_cells:?}");
}

#[test]
fn several_practices_a_day_stay_apart_as_pairs_in_the_copy_and_the_booklet() {
    let (site, doc) = emotions(&[
        ("calm/0/before", "8"),
        ("calm/0/after", "3"),
        ("calm/1/before", "6"),
        ("calm/1/after", "5"),
        ("calm/2/before", "7"),
        ("calm/2/after", "7"),
        ("calm/4/before", "5"),
        ("calm/4/after", "2"),
        ("feelings/0/emotion", "Worry"),
        ("feelings/0/intensity", "6"),
    ]);
    let calm = chart(&doc, ".copy-answers", "Relaxation");
    assert_eq!(legend(&calm), ["Tension before", "Tension after"]);
    assert_close(&plotted(&calm, "before"), &[8.0, 6.0, 7.0, 5.0], "before");
    assert_close(&plotted(&calm, "after"), &[3.0, 5.0, 7.0, 2.0], "after");
    let xs = |column: &str| -> Vec<f64> {
        calm.select(&sel(&format!("g.series[data-column='{column}'] path.point")))
            .map(|p| {
                let d = p.attr("d").unwrap();
                // A circle's path starts at its left edge: M x y …
                d[1..].split(' ').next().unwrap().parse::<f64>().unwrap()
            })
            .collect()
    };
    let before = xs("before");
    assert!(before[0] < before[1] && before[1] < before[2], "Monday's three practices side by side: {before:?}");
    let lines: Vec<(f64, f64, f64, f64)> = calm
        .select(&sel("g.pairs line"))
        .map(|l| {
            let a = |n: &str| l.attr(n).unwrap().parse::<f64>().unwrap();
            (a("x1"), a("x2"), a("y1"), a("y2"))
        })
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|(x1, x2, _, _)| x1 == x2), "vertical: {lines:?}");
    assert!(lines[0].2 < lines[0].3, "8 is higher up than 3: {lines:?}");
    assert_eq!(lines[2].2, lines[2].3, "7 → 7 is a pair of one height");
    assert_eq!(table(&calm).len(), 3 + 1 + 1, "Monday's three practices, Tuesday's one, Wednesday blank");

    // The booklet publishes the pairs, and not the word the patient wrote beside a rating.
    let last = packet_for(site.path(), "Eva", "2027-03-04");
    let booklet = html(&last.join("booklet.html"));
    assert_eq!(texts(&booklet, ".booklet-charts figure h3"), ["Relaxation"]);
    let pdf = pdf_pages(&last.join("booklet.pdf")).join(" ");
    for expected in ["Relaxation", "Tension before", "Tension after", "Each vertical line joins"] {
        assert!(pdf.contains(expected), "{expected} missing from the booklet PDF: {pdf}");
    }
    for (path, bytes) in snapshot(&site.path().join("out/public")) {
        assert!(!String::from_utf8_lossy(&bytes).contains("Worry"), "{} shows an emotion word", path.display());
    }
}
