//! The examples in `docs/format.md` are real, working files.
//!
//! Every fenced block whose info string is ```` ```toml clinic ````, ```` ```toml homework ```` or
//! ```` ```toml plan ```` is a complete file of that kind, and says where it lives on its first
//! line (`# file: library/homework/thought-record.toml`). Together they make a site: for each
//! clinic block, a temporary site gets that clinic plus every homework and plan block, and it must
//! pass `tarea::check` without a single warning and then build. Plain ```` ```toml ```` blocks are
//! fragments and are not checked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{EXAMPLE_ADDRESS, unexpected};

const DOC: &str = "docs/format.md";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Clinic,
    Homework,
    Plan,
}

impl Kind {
    fn from_info(word: &str) -> Option<Kind> {
        match word {
            "clinic" => Some(Kind::Clinic),
            "homework" => Some(Kind::Homework),
            "plan" => Some(Kind::Plan),
            _ => None,
        }
    }

    /// The folder (relative to the site root) its files live in, for the messages.
    fn place(self) -> &'static str {
        match self {
            Kind::Clinic => "library/clinic.toml",
            Kind::Homework => "library/homework/<id>.toml",
            Kind::Plan => "library/plans/<patient-id>.toml",
        }
    }
}

/// One checked example block of the document.
#[derive(Debug)]
struct Example {
    kind: Kind,
    /// Where the block starts in the document (1-based line of the opening fence).
    line: usize,
    /// The file it stands for, relative to the site root (`library/plans/sam.toml`).
    path: PathBuf,
    /// The block's text: the whole file.
    text: String,
}

impl Example {
    /// The file stem: the homework's or the patient's id.
    fn id(&self) -> String {
        self.path.file_stem().unwrap().to_string_lossy().into_owned()
    }

    fn toml(&self) -> toml::Table {
        toml::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{DOC}:{}: the {:?} example is not valid TOML: {e}", self.line, self.kind))
    }
}

/// Every checked example of `doc`, in document order. Panics (with the line) on a malformed one:
/// an unknown kind, a fence left open, or a first line that does not say where the file lives.
fn examples(doc: &str) -> Vec<Example> {
    let mut found = Vec::new();
    let mut lines = doc.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((line, text)) = lines.next() {
        let trimmed = text.trim_start();
        let ticks = trimmed.bytes().take_while(|b| *b == b'`').count();
        if ticks < 3 {
            continue;
        }
        let fence = &trimmed[..ticks];
        let info: Vec<&str> = trimmed[ticks..].split_whitespace().collect();
        let mut body = Vec::new();
        let mut closed = false;
        for (_, inner) in lines.by_ref() {
            let t = inner.trim();
            if t.starts_with(fence) && t.bytes().all(|b| b == b'`') {
                closed = true;
                break;
            }
            body.push(inner);
        }
        assert!(closed, "{DOC}:{line}: this code block is never closed");
        let kind = match info.as_slice() {
            ["toml", word, rest @ ..] => {
                let kind = Kind::from_info(word).unwrap_or_else(|| {
                    panic!("{DOC}:{line}: ```toml {word}: the kind must be one of clinic, homework, plan")
                });
                assert!(rest.is_empty(), "{DOC}:{line}: the info string must be exactly `toml <kind>`");
                kind
            }
            _ => continue,
        };
        let first = body.first().copied().unwrap_or_default();
        let path = first.trim().strip_prefix("# file:").map(|p| PathBuf::from(p.trim())).unwrap_or_else(|| {
            panic!("{DOC}:{}: a {kind:?} example must start with `# file: {}`", line + 1, kind.place())
        });
        check_path(kind, &path, line);
        found.push(Example { kind, line, path, text: body.join("\n") + "\n" });
    }
    found
}

/// The `# file:` line must name a file of the example's kind, with a usable id.
fn check_path(kind: Kind, path: &Path, line: usize) {
    let shown = path.display();
    let ok = match kind {
        Kind::Clinic => path == Path::new("library/clinic.toml"),
        Kind::Homework | Kind::Plan => {
            let folder = if kind == Kind::Homework { "library/homework" } else { "library/plans" };
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            path.parent() == Some(Path::new(folder))
                && path.extension().is_some_and(|e| e == "toml")
                && !stem.is_empty()
                && stem.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        }
    };
    assert!(ok, "{DOC}:{line}: `# file: {shown}` is not where a {kind:?} lives ({})", kind.place());
}

/// Every table of `value` (at any depth) that holds a language key must hold all three: the
/// document promises every localized text in es, en and ca.
fn check_localized(value: &toml::Value, at: &str, example: &Example) {
    match value {
        toml::Value::Table(table) => {
            let langs: Vec<&str> = ["es", "en", "ca"].into_iter().filter(|l| table.contains_key(*l)).collect();
            if !langs.is_empty() {
                for lang in ["es", "en", "ca"] {
                    let text = table.get(lang).and_then(toml::Value::as_str).unwrap_or_default();
                    assert!(
                        !text.trim().is_empty(),
                        "{DOC}:{}: `{at}` in {} has no `{lang}` text",
                        example.line,
                        example.path.display()
                    );
                }
            }
            for (key, inner) in table {
                let at = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                check_localized(inner, &at, example);
            }
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_localized(item, &format!("{at}[{i}]"), example);
            }
        }
        _ => {}
    }
}

/// The homework ids a plan assigns, and how many sessions it has.
fn plan_contents(plan: &Example) -> (BTreeSet<String>, usize) {
    let table = plan.toml();
    let sessions = table.get("sessions").and_then(toml::Value::as_array).cloned().unwrap_or_default();
    let assigned = sessions
        .iter()
        .filter_map(|s| s.get("tasks").and_then(toml::Value::as_array))
        .flatten()
        .filter_map(|t| t.get("homework").and_then(toml::Value::as_str))
        .map(str::to_string)
        .collect();
    (assigned, sessions.len())
}

fn write(root: &Path, example: &Example) {
    let path = root.join(&example.path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &example.text).unwrap();
}

#[test]
fn every_example_in_the_format_doc_checks_and_builds() {
    let doc_path = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join(DOC);
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_else(|e| panic!("{}: {e}", doc_path.display()));
    let all = examples(&doc);

    let of = |kind: Kind| all.iter().filter(|e| e.kind == kind).collect::<Vec<_>>();
    let (clinics, homework, plans) = (of(Kind::Clinic), of(Kind::Homework), of(Kind::Plan));
    assert!(!clinics.is_empty(), "{DOC} has no ```toml clinic example");
    assert!(!homework.is_empty(), "{DOC} has no ```toml homework example");
    assert!(!plans.is_empty(), "{DOC} has no ```toml plan example");

    // Homework and plan examples share one site: each needs a file name of its own.
    let mut paths = BTreeMap::new();
    for example in homework.iter().chain(&plans) {
        if let Some(first) = paths.insert(&example.path, example.line) {
            panic!("{DOC}:{}: {} is already the example at line {first}", example.line, example.path.display());
        }
    }

    for example in &all {
        check_localized(&toml::Value::Table(example.toml()), "", example);
    }

    // Every homework example is assigned by some plan, so that the build really lays it out.
    let mut assigned = BTreeSet::new();
    let mut sessions = 0;
    for plan in &plans {
        let (ids, count) = plan_contents(plan);
        assigned.extend(ids);
        sessions += count;
    }
    for hw in &homework {
        assert!(
            assigned.contains(&hw.id()),
            "{DOC}:{}: no plan example assigns `{}`, so the build would never lay it out",
            hw.line,
            hw.id()
        );
    }

    for clinic in &clinics {
        let site = tempfile::tempdir().expect("a temporary site");
        let root = site.path();
        write(root, clinic);
        for example in homework.iter().chain(&plans) {
            write(root, example);
        }
        let what = format!("the site made of the clinic example at {DOC}:{} and every homework and plan", clinic.line);

        let mut warnings = tarea::check(root).unwrap_or_else(|e| panic!("{what} does not check:\n{e}"));
        // The examples publish at example.org on purpose (a reserved domain): that warning is the
        // one a real clinic gets until it sets its address, and only that one is expected.
        warnings.retain(|w| w.message != EXAMPLE_ADDRESS);
        if !warnings.is_empty() {
            let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
            panic!("{what} checks with {} warning(s):\n{}", warnings.len(), shown.join("\n"));
        }

        let out = root.join("out");
        let report = tarea::build(&tarea::BuildOptions { root: root.to_path_buf(), out: out.clone() })
            .unwrap_or_else(|e| panic!("{what} does not build:\n{e:#}"));
        assert_eq!(report.packets, sessions, "{what}: one packet per session of every plan");
        let pdfs = std::fs::read_dir(out.join("public"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("packet.pdf").is_file() && p.join("index.html").is_file())
            .count();
        assert_eq!(pdfs, sessions, "{what}: every packet has its cover and its PDF");
        assert!(out.join("private/index.html").is_file(), "{what}: no private index");
        let warned = unexpected(&report.warnings);
        if !warned.is_empty() {
            let shown: Vec<String> = warned.iter().map(ToString::to_string).collect();
            panic!("{what} builds with {} warning(s):\n{}", warned.len(), shown.join("\n"));
        }
    }
}
