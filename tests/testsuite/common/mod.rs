//! Helpers shared by the integration tests: copy a fixture site into a temp dir, build it, and
//! read what came out (parsed HTML, the PDF's text).
#![allow(dead_code)]

pub mod browser;
pub mod firefox;
pub mod form_site;
pub mod launch;

use std::path::{Path, PathBuf};

use scraper::{Html, Selector};
use tempfile::TempDir;

/// The repository root.
pub fn repo() -> PathBuf {
    // Read at run time: the shared target cache may hold a binary compiled in another clone.
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

/// Copies `from` (a folder holding `library/`, maybe `templates/`) into a fresh temp dir.
pub fn site_from(from: &Path) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for part in ["library", "templates"] {
        let src = from.join(part);
        if src.is_dir() {
            copy_dir(&src, &dir.path().join(part));
        }
    }
    dir
}

/// A copy of a fixture under `tests/fixtures/`.
pub fn fixture(name: &str) -> TempDir {
    site_from(&repo().join("tests/fixtures").join(name))
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Builds the site at `root` into `root/out` with the library API.
pub fn build(root: &Path) -> anyhow::Result<tarea::BuildReport> {
    tarea::build(&tarea::BuildOptions { root: root.to_path_buf(), out: root.join("out") })
}

/// The packet folders under `out/public`, i.e. every folder but `assets`.
pub fn packet_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("out/public"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().unwrap() != "assets")
        .collect();
    dirs.sort();
    dirs
}

/// The packet folder whose cover names `patient` and whose session is `iso_date`.
pub fn packet_for(root: &Path, patient: &str, iso_date: &str) -> PathBuf {
    packet_dirs(root)
        .into_iter()
        .find(|dir| {
            let doc = html(&dir.join("index.html"));
            texts(&doc, ".patient").iter().any(|t| t == patient)
                && doc.select(&sel(&format!(".session-date[data-date='{iso_date}']"))).count() == 1
        })
        .unwrap_or_else(|| panic!("no packet for {patient} on {iso_date}"))
}

pub fn html(path: &Path) -> Html {
    Html::parse_document(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// The whitespace-normalised text of every element matching `css`.
pub fn texts(doc: &Html, css: &str) -> Vec<String> {
    doc.select(&sel(css)).map(|e| normalise(&e.text().collect::<String>())).collect()
}

/// The sheet's column labels (each header's first text, without hint or range).
pub fn column_labels(doc: &Html) -> Vec<String> {
    doc.select(&sel("table.sheet thead th")).map(|th| normalise(th.text().next().unwrap_or_default())).collect()
}

/// Like [`texts`], below one element.
pub fn texts_in(element: &scraper::ElementRef<'_>, css: &str) -> Vec<String> {
    element.select(&sel(css)).map(|e| normalise(&e.text().collect::<String>())).collect()
}

pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The PDF's text, page by page, whitespace-normalised.
pub fn pdf_pages(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    pdf_extract::extract_text_from_mem_by_pages(&bytes).unwrap().iter().map(|p| normalise(p)).collect()
}

/// Every file under `dir` with its contents, for before/after comparisons.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

/// Adds `line` to `library/plans/<plan>` right after the first `after` (which must be there).
pub fn set_in_plan(root: &Path, plan: &str, after: &str, line: &str) {
    let path = root.join("library/plans").join(plan);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(after), "{plan} has no {after:?}");
    std::fs::write(&path, text.replacen(after, &format!("{after}\n{line}"), 1)).unwrap();
}

/// What the shipped example library (and the docs' examples) warns about on purpose: it publishes
/// at example.org, a reserved domain, so every build says to set the clinic's own address.
pub const EXAMPLE_ADDRESS: &str = "`base_url` is still an example address";

/// `warnings` but the example address's: the ones a test of the example content must not see.
pub fn unexpected(warnings: &[tarea::Diagnostic]) -> Vec<&tarea::Diagnostic> {
    warnings.iter().filter(|w| w.message != EXAMPLE_ADDRESS).collect()
}
