//! The catalogue's second round charted from imported answers (the shipped example library's
//! answer files of Marta and Omar): a questionnaire scored with its published band and its
//! follow-up flag, a sleep diary's nights turned into time in bed, total sleep and efficiency, an
//! activity schedule's mood split by mastery or pleasure, an exposure log's distress by day. Every
//! expected figure is computed here from the answer file, not copied from the page.

use crate::common::*;
use tarea::answers::AnswerFile;

/// The shipped example library, built into a temp dir.
fn example() -> tempfile::TempDir {
    let site = site_from(&repo());
    build(site.path()).expect("the example library builds");
    site
}

fn answers(patient: &str, date: &str) -> AnswerFile {
    let path = repo().join(format!("library/answers/{patient}/{date}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn number(file: &AnswerFile, key: &str) -> Option<f64> {
    file.answers.get(key).map(|v| v.trim().parse().unwrap())
}

/// Minutes since midnight of an "HH:MM" answer.
fn clock(file: &AnswerFile, key: &str) -> Option<i64> {
    let (h, m) = file.answers.get(key)?.split_once(':')?;
    Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
}

/// The chart under `scope` whose numbers table has a column headed `column`: its rows as
/// (iso date, cells as numbers).
fn chart_rows(doc: &scraper::Html, column: &str) -> Vec<(String, Vec<Option<f64>>)> {
    let figure = doc
        .select(&sel("figure.answer-chart"))
        .find(|f| texts_in(f, "details.chart-data thead th").iter().any(|h| h == column))
        .unwrap_or_else(|| panic!("no chart with a column \"{column}\""));
    let heads = texts_in(&figure, "details.chart-data thead th");
    let at = heads.iter().position(|h| h == column).unwrap() - 1;
    figure
        .select(&sel("details.chart-data tbody tr"))
        .map(|tr| {
            let iso =
                tr.select(&sel("th time")).next().map_or_else(String::new, |t| t.attr("datetime").unwrap().into());
            let cells: Vec<Option<f64>> =
                texts_in(&tr, "td").iter().map(|c| c.replace(',', ".").parse::<f64>().ok()).collect();
            (iso, vec![cells[at]])
        })
        .collect()
}

#[test]
fn a_questionnaire_is_scored_with_its_published_band_and_its_follow_up_flag() {
    let site = example();
    let doc = html(&site.path().join("out/private/marta/2026-11-24.html"));
    let table = doc.select(&sel("table.measure[data-measure='phq-9']")).next().expect("the PHQ-9 scores");
    let totals: Vec<(String, String)> = table
        .select(&sel("tbody tr"))
        .map(|tr| (tr.attr("data-total").unwrap().to_string(), texts_in(&tr, "td").last().cloned().unwrap_or_default()))
        .collect();
    let expected: Vec<i64> = ["2026-11-17", "2026-11-24"]
        .iter()
        .map(|d| {
            let file = answers("marta", d);
            (1..=9).map(|i| number(&file, &format!("phq-9/0/q{i}")).unwrap() as i64).sum()
        })
        .collect();
    // 0–4 minimal, 5–9 mild, 10–14 moderate, 15–19 moderately severe, 20–27 severe (the copy
    // speaks the clinic's Spanish).
    let band = |t: i64| match t {
        0..=4 => "mínima",
        5..=9 => "leve",
        10..=14 => "moderada",
        15..=19 => "moderadamente grave",
        _ => "grave",
    };
    let want: Vec<(String, String)> = expected.iter().map(|t| (t.to_string(), band(*t).to_string())).collect();
    assert_eq!(totals, want);
    // Item 9 answered above 0 at the first session only: one flag, naming that session.
    let first = answers("marta", "2026-11-17");
    assert!(number(&first, "phq-9/0/q9").unwrap() > 0.0);
    assert_eq!(number(&answers("marta", "2026-11-24"), "phq-9/0/q9"), Some(0.0));
    let alerts = texts_in(&doc.root_element(), ".copy-measures .measure-alert");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].contains("Mar 17/11") && alerts[0].contains("pregunta 9"), "{alerts:?}");
    // The totals are charted across the sessions.
    let charted: Vec<Option<f64>> = chart_rows(&doc, "Total").into_iter().map(|(_, c)| c[0]).collect();
    assert_eq!(charted, expected.iter().map(|t| Some(*t as f64)).collect::<Vec<_>>());
    // The patient's own pages never show a score.
    for page in walkdir::WalkDir::new(site.path().join("out/public")).into_iter().map(|e| e.unwrap().into_path()) {
        if page.extension().is_some_and(|e| e == "html") {
            let text = std::fs::read_to_string(&page).unwrap();
            assert!(!text.contains("moderadamente grave") && !text.contains("class=\"measure"), "{}", page.display());
        }
    }
}

#[test]
fn an_incomplete_questionnaire_is_not_scored() {
    let site = site_from(&repo());
    let path = site.path().join("library/answers/omar/2026-11-25.json");
    let mut file: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    file.answers.remove("gad-7/0/q4");
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    build(site.path()).expect("builds");
    let doc = html(&site.path().join("out/private/omar/2026-11-25.html"));
    let rows: Vec<String> = doc
        .select(&sel("table.measure[data-measure='gad-7'] tbody tr"))
        .map(|tr| tr.attr("data-total").unwrap().to_string())
        .collect();
    let first: i64 =
        (1..=7).map(|i| number(&answers("omar", "2026-11-18"), &format!("gad-7/0/q{i}")).unwrap() as i64).sum();
    assert_eq!(rows, [first.to_string(), String::new()], "the second is not scored");
    let text = texts_in(&doc.root_element(), "table.measure[data-measure='gad-7'] tbody tr td").join(" ");
    assert!(text.contains("6 de 7 preguntas contestadas: sin puntuar"), "{text}");
}

#[test]
fn a_sleep_diary_charts_time_in_bed_total_sleep_and_efficiency() {
    let site = example();
    let doc = html(&site.path().join("out/private/marta/2026-11-24.html"));
    let file = answers("marta", "2026-11-24");
    let days = chart_rows(&doc, "Tiempo en la cama (h)");
    assert_eq!(days.len(), 7, "every night of the week, answered or not");
    for (n, (iso, cells)) in days.iter().enumerate() {
        let key = |f: &str| format!("sleep-diary/{n}/{f}");
        let span = |from: i64, to: i64| (to - from).rem_euclid(24 * 60);
        let in_bed = match (clock(&file, &key("bed")), clock(&file, &key("up"))) {
            (Some(bed), Some(up)) => Some(span(bed, up)),
            _ => None,
        };
        // Printed with one decimal: within 0.05 h of the minutes.
        let close = |got: Option<f64>, want: Option<f64>| match (got, want) {
            (Some(g), Some(w)) => (g - w).abs() <= 0.05 + 1e-9,
            (g, w) => g == w,
        };
        assert!(
            close(cells[0], in_bed.map(|m| m as f64 / 60.0)),
            "{iso}: time in bed {:?} vs {in_bed:?} min",
            cells[0]
        );
        let asleep = match (clock(&file, &key("bed")), clock(&file, &key("final"))) {
            (Some(bed), Some(last)) => Some(
                span(bed, last)
                    - number(&file, &key("latency")).unwrap() as i64
                    - number(&file, &key("awake")).unwrap() as i64,
            ),
            _ => None,
        };
        let total = chart_rows(&doc, "Sueño total (h)")[n].1[0];
        assert!(close(total, asleep.map(|m| m as f64 / 60.0)), "{iso}: total sleep {total:?} vs {asleep:?} min");
        let efficiency = chart_rows(&doc, "Eficiencia del sueño")[n].1[0];
        let want = in_bed.zip(asleep).map(|(b, s)| s as f64 / b as f64 * 100.0);
        assert!(
            match (efficiency, want) {
                (Some(g), Some(w)) => (g - w).abs() <= 0.5 + 1e-9,
                (g, w) => g.is_none() && w.is_none(),
            },
            "{iso}: efficiency {efficiency:?} vs {want:?}"
        );
    }
    assert!(days.iter().filter(|(_, c)| c[0].is_some()).count() == 5, "five nights answered, two blank: {days:?}");
}

#[test]
fn an_activity_schedule_splits_mood_by_mastery_or_pleasure() {
    let site = example();
    let doc = html(&site.path().join("out/private/marta/2026-11-24.html"));
    let file = answers("marta", "2026-11-24");
    let high = chart_rows(&doc, "Ánimo, dominio o agrado altos");
    let other = chart_rows(&doc, "Ánimo, las demás");
    for day in 0..7 {
        let (mut hi, mut lo) = (Vec::new(), Vec::new());
        for r in day * 3..day * 3 + 3 {
            let Some(mood) = number(&file, &format!("activity-schedule/{r}/mood")) else { continue };
            let rated = ["mastery", "pleasure"].map(|c| number(&file, &format!("activity-schedule/{r}/{c}")));
            if rated.iter().flatten().any(|v| *v >= 7.0) { hi.push(mood) } else { lo.push(mood) }
        }
        let mean =
            |v: &[f64]| (!v.is_empty()).then(|| ((v.iter().sum::<f64>() / v.len() as f64) * 10.0).round() / 10.0);
        assert_eq!(high[day].1[0], mean(&hi), "day {day}: high");
        assert_eq!(other[day].1[0], mean(&lo), "day {day}: others");
    }
}

#[test]
fn an_exposure_log_charts_distress_before_highest_and_after() {
    let site = example();
    let doc = html(&site.path().join("out/private/omar/2026-11-25.html"));
    let file = answers("omar", "2026-11-25");
    let peaks: Vec<Option<f64>> = chart_rows(&doc, "Malestar máximo").into_iter().map(|(_, c)| c[0]).collect();
    let want: Vec<Option<f64>> = (0..7).map(|d| number(&file, &format!("exposure-log/{d}/peak"))).collect();
    assert_eq!(peaks, want, "the habituation curve: the highest distress of each day's exposure");
}
