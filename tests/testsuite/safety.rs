//! Never leak, never lose: sealing that no later command forgets, output written so that a build
//! killed at any step is finished by the next one, a manifest and cache that cannot be turned
//! against the site's own files, one build at a time, and nothing published that no page loads.
//! Each test here fails without the behaviour it names (docs/publishing.md lists them).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;
use tarea::seal::{Sealed, open};

fn tarea() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tarea"))
}

fn no_pdf() -> tarea::BuildRequest {
    tarea::BuildRequest { no_pdf: true, ..Default::default() }
}

fn build_with(root: &Path, filter: &tarea::BuildRequest) -> anyhow::Result<tarea::BuildReport> {
    tarea::build_with(&tarea::BuildOptions { root: root.to_path_buf(), out: root.join("out") }, filter, None)
}

/// The small fixture, built once without PDFs.
fn built_without_pdfs() -> tempfile::TempDir {
    let site = fixture("small");
    build_with(site.path(), &no_pdf()).unwrap();
    site
}

/// The files under `out/public` and `out/private` (tarea's bookkeeping at the top is left out).
fn published(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let out = root.join("out");
    let mut files = Vec::new();
    for part in ["public", "private"] {
        files.extend(snapshot(&out.join(part)).into_iter().map(|(p, b)| (Path::new(part).join(p), b)));
    }
    files
}

/// The token of every packet the private index links to.
fn linked_tokens(root: &Path) -> Vec<String> {
    let index = html(&root.join("out/private/index.html"));
    index
        .select(&sel("a.packet-link"))
        .map(|a| a.attr("href").unwrap().trim_start_matches("../public/").split('/').next().unwrap().to_string())
        .collect()
}

fn is_sealed(root: &Path, token: &str) -> bool {
    let dir = root.join("out/public").join(token);
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names == ["index.html"] && tarea::seal::is_sealed_page(&std::fs::read(dir.join("index.html")).unwrap())
}

#[test]
fn encrypt_is_a_property_of_the_site_that_no_later_build_forgets() {
    let site = fixture("small");
    let root = site.path();
    build_with(root, &tarea::BuildRequest { encrypt: true, no_pdf: true, ..Default::default() }).unwrap();
    let tokens = linked_tokens(root);
    assert!(tokens.len() >= 4 && tokens.iter().all(|t| is_sealed(root, t)));
    assert!(root.join(tarea::seal::SEALED_STATE).is_file(), "the site remembers it is sealed");

    // A plain build, a build after the cache is wiped (as an upgrade of tarea does), and the
    // rebuild `tarea import` runs: all still sealed.
    build_with(root, &no_pdf()).unwrap();
    std::fs::remove_file(root.join("out").join(tarea::cache::FILE)).unwrap();
    build_with(root, &no_pdf()).unwrap();
    assert!(tokens.iter().all(|t| is_sealed(root, t)), "a later build published a sealed packet in the clear");
    let links = tarea::list(root).unwrap();
    assert!(links.iter().all(|l| l.password.is_some()), "tarea list shows every password");

    // A site sealed by an older tarea has no state file: the build refuses, and writes nothing.
    std::fs::remove_file(root.join(tarea::seal::SEALED_STATE)).unwrap();
    let before = snapshot(&root.join("out"));
    let error = build_with(root, &no_pdf()).unwrap_err().to_string();
    assert!(error.contains("would publish in the clear") && error.contains("--unseal"), "{error}");
    assert!(snapshot(&root.join("out")) == before, "a refused build changed out/");

    // On purpose, with --unseal: open again, and the site forgets it was sealed.
    build_with(root, &tarea::BuildRequest { unseal: true, no_pdf: true, ..Default::default() }).unwrap();
    assert!(tokens.iter().all(|t| root.join("out/public").join(t).join("packet.md").is_file()));
    assert!(!root.join(tarea::seal::SEALED_STATE).exists());
}

#[test]
fn removing_encrypt_from_the_clinic_does_not_silently_unseal() {
    let site = fixture("small");
    let root = site.path();
    let clinic = root.join("library/clinic.toml");
    let text = std::fs::read_to_string(&clinic).unwrap();
    std::fs::write(&clinic, format!("encrypt = true\n{text}")).unwrap();
    build_with(root, &no_pdf()).unwrap();
    std::fs::write(&clinic, &text).unwrap();
    let error = build_with(root, &no_pdf()).unwrap_err().to_string();
    assert!(error.contains("encrypt = true") && error.contains("--unseal"), "{error}");
}

/// One CSV line's fields (every field quoted, `""` inside).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.strip_prefix('"') {
        let mut field = String::new();
        let mut chars = start.char_indices().peekable();
        let mut end = start.len();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().is_some_and(|(_, n)| *n == '"') {
                    field.push('"');
                    chars.next();
                } else {
                    end = i + 1;
                    break;
                }
            } else {
                field.push(c);
            }
        }
        fields.push(field);
        rest = start[end..].trim_start_matches(',');
    }
    fields
}

#[test]
fn every_password_in_links_csv_opens_its_packet_as_listed() {
    let site = fixture("small");
    let root = site.path();
    set_in_plan(root, "tom.toml", "therapist = \"Laura\"", "password = \"@correct horse battery\"");
    let error = tarea::check(root).unwrap_err().to_string();
    assert!(error.contains("tom.toml:4:12") && error.contains("formula"), "{error}");
    let text = std::fs::read_to_string(root.join("library/plans/tom.toml")).unwrap();
    std::fs::write(root.join("library/plans/tom.toml"), text.replace("@correct", "correct")).unwrap();

    build_with(root, &tarea::BuildRequest { encrypt: true, no_pdf: true, ..Default::default() }).unwrap();
    let csv = std::fs::read_to_string(root.join("out/private/links.csv")).unwrap();
    let mut opened = 0;
    for line in csv.lines().skip(1) {
        let fields = csv_fields(line);
        let (url, password) = (&fields[3], &fields[4]);
        let token = url.trim_end_matches('/').rsplit('/').next().unwrap();
        let page = html(&root.join("out/public").join(token).join("index.html"));
        let json = page.select(&sel("script#tarea-sealed")).next().unwrap().text().collect::<String>();
        let sealed: Sealed = serde_json::from_str(&json).unwrap();
        assert!(open(&sealed, password).is_ok(), "the password listed for {url} does not open it");
        opened += 1;
    }
    assert!(opened >= 4, "{csv}");
}

#[test]
fn only_files_a_page_can_load_are_published_from_templates() {
    let site = fixture("small");
    let root = site.path();
    std::fs::create_dir_all(root.join("templates/assets")).unwrap();
    std::fs::create_dir_all(root.join("templates/fonts")).unwrap();
    std::fs::write(root.join("templates/assets/notes-elisa.txt"), "Elisa: panic attacks since May").unwrap();
    std::fs::write(root.join("templates/assets/logo.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    std::fs::write(root.join("templates/fonts/todo.md"), "ask Jordi about his father").unwrap();
    let report = build_with(root, &no_pdf()).unwrap();
    let public = root.join("out/public");
    assert!(public.join("assets/logo.svg").is_file(), "an image a page can load is published");
    assert!(public.join("assets/form.js").is_file() && public.join("assets/fonts/Andika-Regular.ttf").is_file());
    for (path, bytes) in snapshot(&public) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("panic attacks") && !text.contains("his father"), "{} is published", path.display());
    }
    let warned: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    for name in ["notes-elisa.txt", "todo.md"] {
        assert!(warned.iter().any(|w| w.contains(name) && w.contains("not published")), "{warned:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_private_side_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let site = fixture("small");
    let root = site.path();
    std::fs::create_dir_all(root.join("out/private")).unwrap();
    std::fs::set_permissions(root.join("out/private"), std::fs::Permissions::from_mode(0o755)).unwrap();
    build_with(root, &no_pdf()).unwrap();
    let mut seen = 0;
    for entry in walkdir::WalkDir::new(root.join("out/private")) {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        let wanted = if entry.file_type().is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, wanted, "{} is {mode:o}", entry.path().display());
        seen += 1;
    }
    assert!(seen > 5);
    let manifest = root.join("out").join(tarea::write::manifest::FILE);
    assert_eq!(std::fs::metadata(manifest).unwrap().permissions().mode() & 0o077, 0, "the manifest names patients");
}

/// A site (library, templates and secret) copied into a new temp dir, with `out` copied from `out`.
fn copy_site(from: &Path, out: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for part in ["library", ".tarea"] {
        if from.join(part).is_dir() {
            copy_dir(&from.join(part), &dir.path().join(part));
        }
    }
    if let Some(out) = out {
        copy_dir(out, &dir.path().join("out"));
    }
    dir
}

/// A week of edits to the small fixture: a session added, one removed, a note changed.
fn next_week(root: &Path) {
    let elisa = root.join("library/plans/elisa.toml");
    let text = std::fs::read_to_string(&elisa).unwrap();
    std::fs::write(
        &elisa,
        format!("{text}\n[[sessions]]\ndate = 2026-12-03\n\n[[sessions.tasks]]\nhomework = \"record\"\nlevel = 2\n"),
    )
    .unwrap();
    let marta = root.join("library/plans/marta.toml");
    let text = std::fs::read_to_string(&marta).unwrap();
    let cut = text.rfind("[[sessions]]").unwrap();
    std::fs::write(&marta, &text[..cut]).unwrap();
    set_in_plan(root, "tom.toml", "level = 5", "note = \"Also at work.\"");
}

#[test]
fn a_build_killed_after_any_rename_is_finished_by_the_next() {
    let site = fixture("small");
    let root = site.path();
    let ok = |dir: &Path, crash: Option<usize>| {
        let mut command = tarea();
        command.args(["build", "--quiet", "--no-pdf", "--root"]).arg(dir);
        if let Some(k) = crash {
            command.env("TAREA_CRASH_AFTER_RENAMES", k.to_string());
        }
        command.output().unwrap()
    };
    assert!(ok(root, None).status.success());
    let week_one = root.join("out");

    // What a clean build of next week gives, into an empty out/.
    let clean = copy_site(root, None);
    next_week(clean.path());
    assert!(ok(clean.path(), None).status.success());
    let expected = published(clean.path());

    let mut crashes = 0;
    for k in 1.. {
        let run = copy_site(root, Some(&week_one));
        next_week(run.path());
        let crashed = ok(run.path(), Some(k));
        if crashed.status.success() {
            break;
        }
        assert_eq!(crashed.status.code(), Some(86), "{}", String::from_utf8_lossy(&crashed.stderr));
        crashes += 1;
        let again = ok(run.path(), None);
        assert!(
            again.status.success(),
            "after a crash at rename {k}, the next build failed: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        for token in linked_tokens(run.path()) {
            assert!(run.path().join("out/public").join(&token).join("index.html").is_file(), "k = {k}: {token}");
        }
        assert!(published(run.path()) == expected, "after a crash at rename {k}, out/ differs from a clean build");
    }
    assert!(crashes > 10, "only {crashes} renames: the hook did not run");
}

#[test]
fn a_tampered_manifest_or_cache_never_deletes_a_file_tarea_did_not_write() {
    let site = built_without_pdfs();
    let root = site.path();
    let out = root.join("out");
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "the clinic's accounts").unwrap();
    std::fs::write(out.join("public/notes.txt"), "the web admin's notes").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("library"), out.join("public/linked")).unwrap();
    let hash = |p: &Path| tarea::write::manifest::hash(&std::fs::read(p).unwrap());
    let manifest_path = out.join(tarea::write::manifest::FILE);
    let mut manifest = std::fs::read_to_string(&manifest_path).unwrap();
    for (bytes_of, line) in [
        (root.join("library/plans/elisa.toml"), "../library/plans/elisa.toml".to_string()),
        (root.join(".tarea/secret"), "../.tarea/secret".into()),
        (victim.clone(), victim.display().to_string()),
        (root.join("library/plans/tom.toml"), "public/linked/plans/tom.toml".into()),
    ] {
        manifest.push_str(&format!("{} {line}\n", hash(&bytes_of)));
    }
    manifest.push_str(&format!("{} public/notes.txt\n", "0".repeat(64)));
    std::fs::write(&manifest_path, manifest).unwrap();
    // The cache vouches for a file of the library as part of a packet.
    let cache_path = out.join(tarea::cache::FILE);
    let mut cache: tarea::cache::Cache = serde_json::from_slice(&std::fs::read(&cache_path).unwrap()).unwrap();
    let entry = cache.packets.values_mut().next().unwrap();
    entry.files.push("../library/plans/marta.toml".into());
    std::fs::write(&cache_path, serde_json::to_vec(&cache).unwrap()).unwrap();

    let report = build_with(root, &no_pdf()).unwrap();
    let warned: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert!(warned.iter().any(|w| w.contains("ignored 3 line(s)")), "{warned:?}");
    // A file the manifest claimed but whose bytes changed is kept and reported once, as kept — not
    // also as a file tarea never wrote.
    assert!(warned.iter().any(|w| w.contains("notes.txt") && w.contains("kept an old file")), "{warned:?}");
    assert!(!report.foreign.contains(&PathBuf::from("public/notes.txt")), "{:?}", report.foreign);
    let listed = std::fs::read_to_string(&manifest_path).unwrap();
    assert!(!listed.contains("library") && !listed.contains("..") && !listed.contains("notes.txt"), "{listed}");
    // The tampered cache entry was dropped: its packet was rendered again, not vouched for.
    assert!(report.rendered >= 1);
    for kept in [
        root.join("library/plans/elisa.toml"),
        root.join("library/plans/tom.toml"),
        root.join(".tarea/secret"),
        victim,
        out.join("public/notes.txt"),
    ] {
        assert!(kept.is_file(), "{} was deleted", kept.display());
    }
}

#[test]
fn without_its_manifest_a_build_keeps_every_file_it_does_not_write() {
    let site = built_without_pdfs();
    let root = site.path();
    let out = root.join("out");
    std::fs::write(out.join("public/notes.txt"), "the web admin's").unwrap();
    std::fs::write(out.join("private/mine.txt"), "the therapist's").unwrap();
    std::fs::remove_file(out.join(tarea::write::manifest::FILE)).unwrap();
    let marta = root.join("library/plans/marta.toml");
    let text = std::fs::read_to_string(&marta).unwrap();
    std::fs::write(&marta, &text[..text.rfind("[[sessions]]").unwrap()]).unwrap();
    let before = published(root);
    let report = build_with(root, &no_pdf()).unwrap();
    for (path, _) in &before {
        assert!(out.join(path).is_file(), "{} was deleted", path.display());
    }
    for foreign in ["public/notes.txt", "private/mine.txt"] {
        assert!(report.foreign.contains(&PathBuf::from(foreign)), "{foreign} is not reported: {:?}", report.foreign);
    }
}

#[test]
fn a_second_build_into_the_same_out_waits_for_the_first() {
    let site = fixture("small");
    let root = site.path();
    let out = root.join("out");
    let held = tarea::write::lock::lock(&out, &|holder| panic!("nobody holds it yet: {holder}")).unwrap();
    let mut child =
        tarea().args(["build", "--quiet", "--no-pdf", "--root"]).arg(root).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for the other build"), "{line}");
    assert!(line.contains(&format!("process {}", std::process::id())), "it names the holder: {line}");
    assert!(!out.join("private/index.html").exists(), "it did not build while waiting");
    drop(held);
    assert!(child.wait().unwrap().success());
    assert!(out.join("private/index.html").is_file());
}

#[test]
fn every_test_docs_publishing_names_exists() {
    let doc = std::fs::read_to_string(repo().join("docs/publishing.md")).unwrap();
    let mut named = 0;
    // Each guarantee ends with `*tests/<file>.rs `name`, `name`…*`; a later file starts a new group.
    for group in doc.split("tests/").skip(1) {
        let Some((file, rest)) = group.split_once(".rs") else { continue };
        let source = std::fs::read_to_string(repo().join("tests").join(format!("{file}.rs"))).unwrap();
        let names = rest.split(['*', '.']).next().unwrap_or_default();
        for name in
            names.split('`').skip(1).step_by(2).filter(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        {
            assert!(source.contains(&format!("fn {name}(")), "docs/publishing.md names {name} in tests/{file}.rs");
            named += 1;
        }
    }
    assert!(named >= 15, "only {named} tests named");
}
