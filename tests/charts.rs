//! Charts of what a patient filled in online: the therapist copy of an answered session draws that
//! packet's ratings (a day's point is the mean of its rows), the end-of-therapy booklet draws the
//! whole course in HTML and natively in its PDF, and nothing of it reaches any other public page.
//!
//! The course fixture keeps three imported answer files (`library/answers/ana/`); their tokens are
//! those of the fixed secret below, which every test here writes into the site before building.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use common::*;
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

/// Means as the chart prints them: one decimal.
fn tenths(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
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

    // The breathing log, level 2: two rows a day, so each point is a day's mean.
    let breathing = chart(&doc, ".copy-answers", "Respiración");
    let mut seen = Vec::new();
    for (n, column) in ["before", "after"].into_iter().enumerate() {
        let means = daily_means(&file, "breathing", column, "2027-01-18", 2);
        let want: Vec<f64> = means.iter().filter_map(|(_, m)| *m).collect();
        assert_close(&plotted(&breathing, column), &want, column);
        // The table has every day of the week, a blank one as "–".
        let rows = table(&breathing);
        assert_eq!(
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            means.iter().map(|m| m.0.clone()).collect::<Vec<_>>()
        );
        for ((_, cells), (day, mean)) in rows.iter().zip(&means) {
            assert_eq!(cells[n], mean.map(tenths), "{column} on {day}");
        }
        seen.push(means);
    }
    // Thursday was left blank (a gap), Tuesday's "after" averages two rows but "before" has one.
    assert_eq!(seen[0][3].1, None);
    assert_eq!((seen[0][1].1, seen[1][1].1), (Some(5.0), Some(2.5)));
    assert!(breathing.select(&sel(".hint")).count() == 1, "the average is explained");

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
    assert!(desc.contains("escala de 0 a 10") && desc.contains("Antes: de 7 a 4"), "{desc}");
    // Two series: different colours, dash patterns and marker shapes.
    let lines: Vec<(String, String)> = breathing
        .select(&sel("g.series > path:not(.point)"))
        .map(|p| (p.attr("stroke").unwrap().to_string(), p.attr("stroke-dasharray").unwrap_or("solid").to_string()))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_ne!(lines[0].0, lines[1].0);
    assert_ne!(lines[0].1, lines[1].1);
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

    // Breathing was given (and answered) in two weeks: level 1 one row a day, level 2 two.
    let mut want = Vec::new();
    for (date, rows) in [("2027-01-04", 1), ("2027-01-18", 2)] {
        want.extend(daily_means(&answers(date), "breathing", "after", date, rows).into_iter().filter_map(|(_, m)| m));
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
