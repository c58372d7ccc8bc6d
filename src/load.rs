//! Stage 1: read a site's `library/` from disk into typed values, keeping each file's text so that
//! later stages can point at a line and column.
//!
//! A file that does not parse becomes a diagnostic and is left out; loading goes on so that one
//! build reports every broken file at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{AnswerFile, Clinic, Homework, Plan};

/// A file's text and the path it is shown under (relative to the site root).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in messages.
    pub path: PathBuf,
    /// The file's contents.
    pub text: String,
}

impl SourceFile {
    /// An error pointing at a byte range of this file.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error_at(&self.path, &self.text, span, message)
    }
}

/// A parsed file with its id (the file stem) and source.
#[derive(Debug)]
pub struct Loaded<T> {
    /// The file stem: how plans and links refer to it.
    pub id: String,
    /// Where it came from.
    pub source: SourceFile,
    /// What it says.
    pub value: T,
}

/// Everything under a site's `library/`.
#[derive(Debug)]
pub struct Site {
    /// The site's root directory (holding `library/`, `templates/`, `out/`).
    pub root: PathBuf,
    /// `library/clinic.toml`.
    pub clinic: Loaded<Clinic>,
    /// `library/homework/**/*.toml`, by id.
    pub homework: BTreeMap<String, Loaded<Homework>>,
    /// `library/plans/**/*.toml`, by patient id.
    pub plans: BTreeMap<String, Loaded<Plan>>,
    /// `library/answers/<patient id>/<session date>.json`: what patients filled in online and the
    /// therapist imported, by patient id, then session date (`2026-11-26`).
    pub answers: BTreeMap<String, BTreeMap<String, AnswerFile>>,
    /// What is wrong with one homework or one patient only: it stops their packets, not the site.
    pub broken: Broken,
}

/// Problems that belong to one file of the library: a homework template, or a patient (their plan
/// and their imported answers). Loading and validation put them here instead of failing the
/// site, so one mistake blocks only the packets it touches.
#[derive(Debug, Default)]
pub struct Broken {
    /// By homework id (the file name without `.toml`).
    pub homework: BTreeMap<String, Vec<Diagnostic>>,
    /// By patient id.
    pub plans: BTreeMap<String, Vec<Diagnostic>>,
}

/// Reads the site at `root`. Returns `None` when not even `clinic.toml` could be read; every
/// problem found is in `diags`.
pub fn load_site(root: &Path, diags: &mut Diagnostics) -> Option<Site> {
    let library = root.join("library");
    if !library.is_dir() {
        diags.push(Diagnostic::error(Some(&library), "no `library/` folder here").help(format!(
            "run tarea in a site folder (one holding library/clinic.toml), or pass --root; \
                 looked in {}",
            root.display()
        )));
        return None;
    }
    // A broken clinic.toml is already reported; a stand-in lets the rest be checked too, so one
    // run shows every problem.
    let clinic = load_file::<Clinic>(root, &library.join("clinic.toml"), diags).unwrap_or_else(stand_in_clinic);
    let mut broken = Broken::default();
    let homework = load_folder(root, &library.join("homework"), diags, &mut broken.homework);
    let plans = load_folder(root, &library.join("plans"), diags, &mut broken.plans);
    let answers = load_answers(root, &library.join(ANSWERS), &mut broken.plans);
    Some(Site { root: root.to_path_buf(), clinic, homework, plans, answers, broken })
}

/// The folder under `library/` that `tarea import` keeps answers in.
pub const ANSWERS: &str = "answers";

/// The largest answer file read: a whole course of sheets is a few kilobytes.
pub const MAX_ANSWER_FILE: u64 = 1 << 20;

/// Where the answers to `patient_id`'s packet of `date` are kept, relative to the site root.
pub fn answers_path(patient_id: &str, date: &str) -> PathBuf {
    Path::new("library").join(ANSWERS).join(patient_id).join(format!("{date}.json"))
}

/// Reads an answer file's text, refusing one too large to be one (before reading it).
pub(crate) fn read_answer_text(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?.len();
    if size > MAX_ANSWER_FILE {
        return Err(format!("is {size} bytes: too large for an answer file (at most {MAX_ANSWER_FILE})"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read file: {e}"))
}

/// Reads every imported answer file: `<dir>/<patient id>/<yyyy-mm-dd>.json`. Other files are
/// left alone; a file that does not parse is reported at its line and column, as its patient's.
fn load_answers(
    root: &Path,
    dir: &Path,
    broken: &mut BTreeMap<String, Vec<Diagnostic>>,
) -> BTreeMap<String, BTreeMap<String, AnswerFile>> {
    let mut found: BTreeMap<String, BTreeMap<String, AnswerFile>> = BTreeMap::new();
    let Ok(patients) = std::fs::read_dir(dir) else { return found };
    let mut paths: Vec<PathBuf> = patients
        .flatten()
        .filter(|p| p.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|p| std::fs::read_dir(p.path()).ok())
        .flat_map(|files| files.flatten().map(|f| f.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file() && !p.is_symlink())
        .collect();
    paths.sort();
    for path in paths {
        let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        let patient = path.parent().and_then(Path::file_name).and_then(|s| s.to_str()).unwrap_or_default();
        let date = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let text = match read_answer_text(&path) {
            Ok(text) => text,
            Err(why) => {
                broken.entry(patient.to_string()).or_default().push(Diagnostic::error(Some(&shown), why));
                continue;
            }
        };
        match serde_json::from_str::<AnswerFile>(&text) {
            Ok(file) => {
                found.entry(patient.to_string()).or_default().insert(date.to_string(), file);
            }
            Err(e) => {
                let offset = line_column_offset(&text, e.line(), e.column());
                let source = SourceFile { path: shown, text };
                broken.entry(patient.to_string()).or_default().push(
                    source
                        .error_at(offset..offset, format!("not a tarea answer file: {e}"))
                        .help("import the file the patient downloaded again with `tarea import`"),
                );
            }
        }
    }
    found
}

/// The byte offset of a 1-based line and column (as serde_json reports them).
pub(crate) fn line_column_offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let mut offset = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every language and default settings, used only to go on checking when clinic.toml is broken.
fn stand_in_clinic() -> Loaded<Clinic> {
    let text = "name = \"\"\nbase_url = \"\"\ndefault_language = \"es\"\nlanguages = [\"es\", \"en\", \"ca\"]\n";
    let value = toml::from_str(text).expect("the stand-in clinic parses");
    Loaded { id: "clinic".into(), source: SourceFile { path: "library/clinic.toml".into(), text: text.into() }, value }
}

/// Reads every TOML file under `dir`, by id. A file that cannot be read or parsed is reported in
/// `broken` under the id its name gives (what it would have been), not in `diags`: it blocks what
/// uses it, not the site.
fn load_folder<T: DeserializeOwned + Send>(
    root: &Path,
    dir: &Path,
    diags: &mut Diagnostics,
    broken: &mut BTreeMap<String, Vec<Diagnostic>>,
) -> BTreeMap<String, Loaded<T>> {
    let mut found = BTreeMap::new();
    if !dir.is_dir() {
        return found;
    }
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in WalkDir::new(dir).follow_links(false) {
        match entry {
            Ok(e) if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "toml") => {
                paths.push(e.into_path())
            }
            // A link could lead out of the site: the library is read from real files only.
            Ok(e) if e.path_is_symlink() => diags.push(
                Diagnostic::error(Some(e.path().strip_prefix(root).unwrap_or(e.path())), "skipped a symbolic link")
                    .help("put the file itself in the library; links are not followed")
                    .warning(),
            ),
            Ok(_) => {}
            Err(e) => diags.push(Diagnostic::error(e.path(), format!("cannot read this folder: {e}"))),
        }
    }
    paths.sort();
    // Parsed on every core (a thousand plans were a tenth of a one-plan edit), then taken in order.
    let parsed = crate::parallel::in_parallel(&paths, |path| {
        let mut problems = Diagnostics::default();
        (load_file::<T>(root, path, &mut problems), problems)
    });
    for (path, (loaded, problems)) in paths.iter().zip(parsed) {
        let id = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let Some(loaded) = loaded else {
            broken.entry(id).or_default().extend(problems.into_vec());
            continue;
        };
        if let Some(previous) = found.get(&loaded.id) {
            let previous: &Loaded<T> = previous;
            let duplicate = Diagnostic::error(Some(&loaded.source.path), format!("duplicate id `{}`", loaded.id));
            broken.entry(id).or_default().push(duplicate.help(format!(
                "{} has the same file name; ids are file names and must be unique",
                previous.source.path.display()
            )));
            continue;
        }
        found.insert(loaded.id.clone(), loaded);
    }
    found
}

/// Reads and parses one TOML file; on failure records why and returns `None`.
fn load_file<T: DeserializeOwned>(root: &Path, path: &Path, diags: &mut Diagnostics) -> Option<Loaded<T>> {
    let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        diags.push(
            Diagnostic::error(Some(&shown), "is a symbolic link; tarea reads only real files inside the site")
                .help("replace the link with the file itself"),
        );
        return None;
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            let help = if e.kind() == std::io::ErrorKind::NotFound {
                "create it (see README.md, \"The input format\")".to_string()
            } else {
                "check that the file is readable UTF-8 text".to_string()
            };
            diags.push(Diagnostic::error(Some(&shown), format!("cannot read file: {e}")).help(help));
            return None;
        }
    };
    let source = SourceFile { path: shown, text };
    let id = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
    if !is_valid_id(&id) {
        diags.push(Diagnostic::error(Some(&source.path), format!("`{id}` is not a usable id")).help(
            "name the file with lowercase letters, digits, dashes and underscores only, e.g. thought-record.toml",
        ));
        return None;
    }
    match toml::from_str::<T>(&source.text) {
        Ok(value) => Some(Loaded { id, source, value }),
        Err(e) => {
            diags.push(toml_error(&source, &e));
            None
        }
    }
}

/// Turns a TOML syntax or schema error into a diagnostic at its line and column.
fn toml_error(source: &SourceFile, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().replace('\n', "; ");
    if message.contains(&format!("`{}`", crate::model::UNSET_STATUS)) {
        let at = e.span().unwrap_or_default();
        return source.error_at(at, "this review's status is not set yet").help(
            "write what happened with this homework: done, partial, incorrect or not-done (`tarea new session` \
             leaves it for you to set rather than invent an outcome)",
        );
    }
    let help = if message.starts_with("unknown field") {
        "remove or rename this key: the accepted keys are listed above (README.md documents them)"
    } else if message.starts_with("missing field") {
        "add the key to this table (README.md documents the format)"
    } else if message.starts_with("unknown variant") {
        "use one of the values listed above"
    } else {
        "fix the TOML here; strings need quotes, dates are written 2026-11-26"
    };
    match e.span() {
        Some(span) => source.error_at(span, message),
        None => Diagnostic::error(Some(&source.path), message),
    }
    .help(help)
}

/// Whether `id` can safely be a file name and part of a URL: `a-z`, `0-9`, `-`, `_`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_lowercase_names() {
        assert!(is_valid_id("thought-record"));
        assert!(is_valid_id("elisa_2"));
        assert!(!is_valid_id("Elisa"));
        assert!(!is_valid_id("../x"));
        assert!(!is_valid_id(""));
    }

    #[test]
    fn toml_errors_keep_line_and_column() {
        let source = SourceFile { path: "plans/x.toml".into(), text: "name = \"A\"\nlanguag = \"es\"\n".into() };
        let err = toml::from_str::<Plan>(&source.text).unwrap_err();
        let shown = toml_error(&source, &err).to_string();
        assert!(shown.contains("unknown field `languag`"), "{shown}");
        assert!(shown.contains("--> plans/x.toml:2:1"), "{shown}");
    }
}
