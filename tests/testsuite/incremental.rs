//! Incremental builds: after an edit exactly the affected packets change, and a rebuild with
//! nothing new leaves every file's bytes and modification time as they were.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::common::*;

/// Files under `out/` with their bytes and modification times.
type State = BTreeMap<PathBuf, (Vec<u8>, SystemTime)>;

/// Every file under `out/` with its bytes and modification time.
fn state(root: &Path) -> State {
    let out = root.join("out");
    walkdir::WalkDir::new(&out)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let meta = e.metadata().unwrap();
            (
                e.path().strip_prefix(&out).unwrap().to_path_buf(),
                (std::fs::read(e.path()).unwrap(), meta.modified().unwrap()),
            )
        })
        .collect()
}

/// The packet folders (by token) in which some file changed between two states.
fn changed_packets(before: &State, after: &State) -> Vec<String> {
    let mut tokens: Vec<String> = after
        .iter()
        .filter(|(path, now)| before.get(*path) != Some(now))
        .filter_map(|(path, _)| {
            let mut parts = path.components();
            (parts.next()?.as_os_str() == "public")
                .then(|| parts.next().map(|c| c.as_os_str().to_string_lossy().to_string()))?
        })
        .filter(|t| t.len() == 32)
        .collect();
    tokens.dedup();
    tokens
}

fn token(root: &Path, patient: &str, date: &str) -> String {
    packet_for(root, patient, date).file_name().unwrap().to_string_lossy().to_string()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// [`state`], after moving every output file's modification time back to 2001: a file the next
/// build rewrites gets today's time, so no sleep is needed for the times to differ.
fn backdated_state(root: &Path) -> State {
    let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for entry in walkdir::WalkDir::new(root.join("out")).into_iter().map(|e| e.unwrap()) {
        if entry.file_type().is_file() {
            std::fs::File::options().write(true).open(entry.path()).unwrap().set_modified(old).unwrap();
        }
    }
    state(root)
}

/// The small fixture, built, and its [`backdated_state`].
fn built_and_backdated() -> (tempfile::TempDir, State) {
    let site = fixture("small");
    build(site.path()).unwrap();
    let before = backdated_state(site.path());
    (site, before)
}

#[test]
fn a_rebuild_with_nothing_new_writes_nothing() {
    let (site, before) = built_and_backdated();
    let report = build(site.path()).unwrap();
    assert_eq!((report.rendered, report.files, report.pages), (0, 0, 0));
    assert!(state(site.path()) == before, "bytes or modification times changed");
}

#[test]
fn editing_a_homework_template_changes_exactly_the_packets_that_use_it() {
    let (site, before) = built_and_backdated();
    let root = site.path();
    edit(&root.join("library/homework/reading.toml"), "Leer con calma.", "Leer despacio.");
    let report = build(root).unwrap();
    // The Spanish text changed: Elisa's two packets with the reading guide; Marta reads it in Catalan.
    let mut expected = vec![token(root, "Elisa", "2026-11-19"), token(root, "Elisa", "2026-11-26")];
    expected.sort();
    let mut changed = changed_packets(&before, &state(root));
    changed.sort();
    assert_eq!(changed, expected);
    assert_eq!(report.rendered, 2);
}

#[test]
fn editing_a_plan_changes_only_that_plans_packets() {
    let (site, before) = built_and_backdated();
    let root = site.path();
    edit(&root.join("library/plans/elisa.toml"), "en el instituto.", "en el instituto y en casa.");
    build(root).unwrap();
    assert_eq!(changed_packets(&before, &state(root)), [token(root, "Elisa", "2026-11-26")]);
}

#[test]
fn an_edit_resolves_only_its_plan_and_leaves_what_a_fresh_build_makes() {
    let site = fixture("small");
    let root = site.path();
    build(root).unwrap();
    assert_eq!(build(root).unwrap().plans, 0, "nothing changed: no plan is even resolved");
    edit(&root.join("library/plans/elisa.toml"), "en el instituto.", "en el instituto y en casa.");
    let report = build(root).unwrap();
    assert_eq!((report.plans, report.rendered), (1, 1), "Elisa's plan, and of it only the edited packet");
    // Every file, private index and caches included, is what a build from nothing makes.
    let fresh = tarea::build(&tarea::BuildOptions { root: root.to_path_buf(), out: root.join("fresh") }).unwrap();
    assert_eq!(fresh.plans, 3);
    let files = |dir: &str| -> BTreeMap<PathBuf, Vec<u8>> {
        let base = root.join(dir);
        let all = walkdir::WalkDir::new(&base).into_iter().map(|e| e.unwrap()).filter(|e| e.file_type().is_file());
        // The lock file names the process that held it.
        let all = all.filter(|e| e.file_name() != ".tarea-lock");
        all.map(|e| (e.path().strip_prefix(&base).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap())).collect()
    };
    let (incremental, whole) = (files("out"), files("fresh"));
    assert_eq!(incremental.keys().collect::<Vec<_>>(), whole.keys().collect::<Vec<_>>());
    for (path, bytes) in &incremental {
        assert!(bytes == &whole[path], "{} differs from a fresh build's", path.display());
    }
}

#[test]
fn the_index_takes_unchanged_sections_from_the_last_one_only_while_it_is_what_tarea_wrote() {
    let site = fixture("small");
    let root = site.path();
    build(root).unwrap();
    let (index, cache) = (root.join("out/private/index.html"), root.join("out/.tarea-cache"));
    let read = || std::fs::read_to_string(&index).unwrap();
    assert_eq!(read().matches("<!-- tarea-section ").count(), 3, "one marked section a patient");
    // Marta's section altered by hand: the cache no longer vouches for the file, so after an
    // edit of Elisa's plan every section is rendered again.
    std::fs::write(&index, read().replacen(">Marta</a>", ">Forged</a>", 1)).unwrap();
    edit(&root.join("library/plans/elisa.toml"), "en el instituto.", "en el instituto y en casa.");
    build(root).unwrap();
    assert!(!read().contains(">Forged</a>") && read().contains(">Marta</a>"), "the altered section is gone");
    // The same alteration with the cache made to vouch for it: Marta's plan did not change, so
    // her section is taken from the last index as it is, not rendered again.
    let forged = read().replacen(">Marta</a>", ">Forged</a>", 1);
    std::fs::write(&index, &forged).unwrap();
    let mut saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    saved["index"]["hash"] = tarea::write::manifest::hash(forged.as_bytes()).into();
    std::fs::write(&cache, serde_json::to_vec(&saved).unwrap()).unwrap();
    edit(&root.join("library/plans/elisa.toml"), "en el instituto y en casa.", "en casa.");
    build(root).unwrap();
    assert!(read().contains(">Forged</a>"), "Marta's section came from the last index");
    assert_eq!(read().matches("<!-- tarea-section ").count(), 3);
}

#[test]
fn a_private_page_deleted_by_hand_comes_back_without_laying_out_a_packet() {
    let site = fixture("small");
    let root = site.path();
    build(root).unwrap();
    let page = root.join("out/private/elisa/index.html");
    let bytes = std::fs::read(&page).unwrap();
    std::fs::remove_file(&page).unwrap();
    // The plan's cache entry names the page, and out/ no longer holds it: the plan is resolved
    // again, its packets (unchanged, all on disk) are kept.
    let report = build(root).unwrap();
    assert_eq!((report.plans, report.rendered), (1, 0));
    assert_eq!(std::fs::read(&page).unwrap(), bytes);
}

#[test]
fn editing_a_layout_changes_every_pdf_and_nothing_else() {
    let (site, before) = built_and_backdated();
    let root = site.path();
    std::fs::create_dir_all(root.join("templates/typst")).unwrap();
    let sheet = std::fs::read_to_string(repo().join("templates/typst/sheet.typ")).unwrap();
    std::fs::write(root.join("templates/typst/sheet.typ"), sheet.replacen("#1f6f5c", "#5c1f6f", 1)).unwrap();
    let report = build(root).unwrap();
    assert_eq!(report.rendered, report.packets, "a layout change renders every packet");
    let after = state(root);
    let changed: Vec<&PathBuf> =
        // The cache and the manifest (which records each file's hash) change with the files.
        after
            .keys()
            .filter(|p| p != &Path::new(".tarea-cache") && p != &Path::new(".tarea-manifest"))
            .filter(|p| before.get(*p) != after.get(*p))
            .collect();
    assert_eq!(changed.len(), report.packets, "{changed:?}");
    assert!(changed.iter().all(|p| p.ends_with("packet.pdf")), "{changed:?}");
}

/// Counts the documents a check sets out to lay out.
#[derive(Default)]
struct LaidOut(std::sync::atomic::AtomicUsize);

impl tarea::Progress for LaidOut {
    fn start(&self, _: usize) {}
    fn advance(&self, _: usize) {}
    fn laying_out(&self, n: usize) {
        self.0.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
}

fn check_lays_out(root: &Path) -> usize {
    let counted = LaidOut::default();
    tarea::check_with(root, Some(&counted)).unwrap();
    counted.0.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn check_lays_out_only_what_changed_since_the_last_build() {
    let site = fixture("small");
    let root = site.path();
    assert_eq!(check_lays_out(root), 5, "never built: every packet");
    build(root).unwrap();
    assert_eq!(check_lays_out(root), 0, "nothing changed since the build");
    set_in_plan(root, "tom.toml", "level = 5", "note = \"Una nota nueva.\"");
    assert_eq!(check_lays_out(root), 1, "Tom's one packet changed");
}
