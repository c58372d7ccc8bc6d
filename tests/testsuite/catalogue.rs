//! The shipped catalogue: every level of every homework template renders in both paper sizes and
//! all three languages without a single Typst warning, with the level's columns on the page.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;

const LANGUAGES: [&str; 3] = ["es", "en", "ca"];

/// A homework template as the test reads it: its levels' field ids and the params a plan must pass.
struct Template {
    id: String,
    kind: String,
    levels: Vec<Vec<String>>,
    value: toml::Table,
}

fn templates() -> Vec<Template> {
    let dir = repo().join("library/homework");
    let mut all: Vec<Template> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|path| {
            let value: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let levels = value["levels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect())
                .collect();
            let id = path.file_stem().unwrap().to_string_lossy().to_string();
            Template { id, kind: value["kind"].as_str().unwrap().to_string(), levels, value }
        })
        .collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

/// Values for every param of a template, so that required ones are present and lists pre-fill.
fn params_for(t: &Template) -> String {
    let Some(params) = t.value.get("params").and_then(|p| p.as_table()) else { return String::new() };
    let values: Vec<String> = params
        .iter()
        .map(|(name, p)| {
            let value = match p["type"].as_str().unwrap() {
                "list" => "[\"Primero acordado\", \"Segundo acordado\"]".to_string(),
                "number" => "1999".to_string(),
                "url" => "\"https://example.org/audio\"".to_string(),
                _ => format!("\"Valor de {name}\""),
            };
            format!("{name} = {value}")
        })
        .collect();
    format!("params = {{ {} }}\n", values.join(", "))
}

/// A site whose plans give every level of every template, one plan per language.
fn matrix_site(paper: &str) -> tempfile::TempDir {
    let site = site_from(&repo());
    let library = site.path().join("library");
    std::fs::remove_dir_all(library.join("plans")).unwrap();
    std::fs::create_dir_all(library.join("plans")).unwrap();
    let clinic = std::fs::read_to_string(library.join("clinic.toml")).unwrap();
    let clinic: String =
        clinic.lines().filter(|l| !l.starts_with("paper")).map(|l| format!("{l}\n")).collect::<String>()
            + &format!("paper = \"{paper}\"\n");
    std::fs::write(library.join("clinic.toml"), clinic).unwrap();
    let templates = templates();
    let deepest = templates.iter().map(|t| t.levels.len()).max().unwrap();
    for lang in LANGUAGES {
        let mut plan = format!("name = \"Matriz {lang}\"\nlanguage = \"{lang}\"\ntherapist = \"T\"\n");
        for level in 1..=deepest {
            plan += &format!("\n[[sessions]]\ndate = 2027-01-{:02}\nnext = 2027-01-{:02}\n", level * 3, level * 3 + 3);
            for t in templates.iter().filter(|t| t.levels.len() >= level) {
                plan += &format!("\n[[sessions.tasks]]\nhomework = \"{}\"\nlevel = {level}\n{}", t.id, params_for(t));
            }
        }
        std::fs::write(library.join(format!("plans/matrix-{lang}.toml")), plan).unwrap();
    }
    site
}

/// The label of `field` in `lang`, as the template defines it.
fn label(t: &Template, field: &str, lang: &str) -> String {
    t.value["fields"][field]["label"][lang].as_str().unwrap().to_string()
}

fn check_matrix(paper: &str) {
    let site = matrix_site(paper);
    let report = build(site.path()).expect("the whole matrix builds");
    assert!(unexpected(&report.warnings).is_empty(), "{paper}: {:#?}", report.warnings);
    let templates = templates();
    let deepest = templates.iter().map(|t| t.levels.len()).max().unwrap();
    assert_eq!(report.packets, 3 * deepest);
    for lang in LANGUAGES {
        for level in 1..=deepest {
            let date = format!("2027-01-{:02}", level * 3);
            let dir = packet_for(site.path(), &format!("Matriz {lang}"), &date);
            let pdf = pdf_pages(&dir.join("packet.pdf")).join(" ");
            for t in templates.iter().filter(|t| t.levels.len() >= level) {
                let page = html(&dir.join(format!("{}.html", t.id)));
                let expected: Vec<String> = t.levels[level - 1].iter().map(|f| label(t, f, lang)).collect();
                let shown = if matches!(t.kind.as_str(), "warning-signs" | "review" | "self-designed" | "worksheet") {
                    page.select(&sel(".section h3")).map(|h| normalise(h.text().next().unwrap_or_default())).collect()
                } else if matches!(t.kind.as_str(), "sleep-diary" | "questionnaire") {
                    // Its fields are rows: a night, or a choice, a column.
                    page.select(&sel("table.sheet tbody th[scope=row]"))
                        .map(|h| normalise(h.text().next().unwrap_or_default()))
                        .collect()
                } else {
                    column_labels(&page)[1..].to_vec()
                };
                if t.kind == "review" {
                    assert!(!shown.is_empty(), "{} level {level} {lang}: no sections", t.id);
                } else {
                    assert_eq!(shown, expected, "{} level {level} in {lang}", t.id);
                }
                let title = normalise(&texts(&page, "h1")[0]);
                assert!(pdf.contains(&title), "{paper} {lang} level {level}: {title:?} missing from the PDF");
                for label in &expected {
                    assert!(
                        pdf.contains(label.as_str()),
                        "{paper} {lang} {}: column {label:?} missing from the PDF",
                        t.id
                    );
                }
            }
        }
    }
    check_paper(&site.path().join("out/public"), paper);
}

/// Every page of every PDF is the clinic's paper, either way up.
fn check_paper(public: &Path, paper: &str) {
    let (short, long) = if paper == "a4" { (595.3, 841.9) } else { (612.0, 792.0) };
    for dir in std::fs::read_dir(public).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("packet.pdf").exists()) {
        let pdf = lopdf::Document::load(dir.join("packet.pdf")).unwrap();
        for (_, page) in pdf.get_pages() {
            let media = pdf.get_dictionary(page).unwrap().get(b"MediaBox").unwrap().as_array().unwrap();
            let size: Vec<f32> = media.iter().map(|v| v.as_float().unwrap()).collect();
            let (w, h) = (size[2] - size[0], size[3] - size[1]);
            assert!((w.min(h) - short).abs() < 1.0 && (w.max(h) - long).abs() < 1.0, "{paper}: page is {w} × {h}");
        }
    }
}

#[test]
fn every_level_renders_on_a4_in_three_languages() {
    check_matrix("a4");
}

#[test]
fn every_level_renders_on_us_letter_in_three_languages() {
    check_matrix("us-letter");
}

#[test]
fn the_catalogue_has_every_kind_and_the_plans_use_each() {
    let templates = templates();
    assert!(templates.len() >= 10, "{} templates", templates.len());
    let kinds: std::collections::BTreeSet<&str> = templates.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, tarea::model::Kind::ALL.iter().map(|k| k.name()).collect());
    let by_id: BTreeMap<&str, &str> = templates.iter().map(|t| (t.id.as_str(), t.kind.as_str())).collect();
    let mut used = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(repo().join("library/plans")).unwrap() {
        let plan: toml::Table = toml::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for session in plan["sessions"].as_array().unwrap() {
            for task in session.get("tasks").and_then(|t| t.as_array()).into_iter().flatten() {
                used.insert(by_id[task["homework"].as_str().unwrap()]);
            }
        }
    }
    assert_eq!(
        used,
        tarea::model::Kind::ALL.iter().map(|k| k.name()).collect(),
        "every kind is used by an example plan"
    );
    // And every template: each is shown at work in a plan a new user can read.
    let mut given = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(repo().join("library/plans")).unwrap() {
        let plan: toml::Table = toml::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for session in plan["sessions"].as_array().unwrap() {
            for task in session.get("tasks").and_then(|t| t.as_array()).into_iter().flatten() {
                given.insert(task["homework"].as_str().unwrap().to_string());
            }
        }
    }
    let unused: Vec<&str> = templates.iter().map(|t| t.id.as_str()).filter(|id| !given.contains(*id)).collect();
    assert!(unused.is_empty(), "templates no example plan gives: {unused:?}");
}

/// tarea embeds one font family (Andika) and no fallback: every character a layout, an interface
/// string or a shipped template prints must be in it, or be one the layouts draw (● and ○).
#[test]
fn every_printed_character_is_in_the_embedded_font() {
    use typst::foundations::Bytes;
    let font =
        typst::text::Font::iter(Bytes::new(std::fs::read(repo().join("templates/fonts/Andika-Regular.ttf")).unwrap()))
            .next()
            .unwrap();
    let mut files: Vec<std::path::PathBuf> = vec![repo().join("templates/i18n.toml")];
    for dir in ["templates/typst", "library/homework", "library/plans"] {
        files.extend(
            walkdir::WalkDir::new(repo().join(dir)).into_iter().map(|e| e.unwrap().into_path()).filter(|p| p.is_file()),
        );
    }
    let mut missing = std::collections::BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        // Comments are never printed (TOML `#`, Typst `//`).
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("//")) {
            for c in line.chars().filter(|c| !c.is_control() && !"●○".contains(*c)) {
                if !font.info().coverage.contains(c as u32) {
                    missing.entry(c).or_insert_with(|| path.strip_prefix(repo()).unwrap().display().to_string());
                }
            }
        }
    }
    assert!(missing.is_empty(), "characters Andika lacks: {missing:?}");
}
