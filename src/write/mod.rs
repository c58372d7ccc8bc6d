//! Stage 5: put the rendered files on disk — only what changed, never what tarea did not write,
//! and in an order that survives being killed at any point.
//!
//! Nothing is written until the whole build has rendered without error, so a failed build leaves
//! `out/` exactly as it was. Then each changed file is staged and renamed into place (a reader never
//! sees half a file), and a file whose bytes are the same is not touched at all: a rebuild with
//! nothing new writes nothing.
//!
//! The [`manifest`] (`out/.tarea-manifest`) lists the files tarea wrote with a hash of each. Before
//! the first rename, the manifest is rewritten to own every path of the old *and* the new output
//! (flushed to disk), so a build killed half-way (Ctrl-C, a crash) leaves an `out/` whose every
//! file is still known to be tarea's: the next build finishes the job. A packet whose session left
//! the plan disappears on the next build, but only when its bytes are still the ones tarea wrote
//! and no symbolic link is on its way; a file someone else put in `out/` stays and is reported.
//! Without a manifest (a backup or `cp -r out/*` drops dotfiles), only the exact paths this build
//! writes are tarea's. An `out/` that holds other files at its top is refused rather than used.
//! Files under `out/private` are readable by their owner only.

mod listing;
pub mod lock;
pub mod manifest;

pub use listing::Listing;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use walkdir::WalkDir;

use crate::output::OutputFile;
use manifest::{Manifest, hash};

/// The folders of `out/` that a build owns.
pub const OWNED: [&str; 2] = [crate::output::PUBLIC, crate::output::PRIVATE];

const STAGING: &str = ".tarea-staging";
/// Where a build puts packet files as it renders them, before the write stage moves them in.
pub const SPOOL: &str = ".tarea-spool";
/// Files an `out/` may hold before tarea's first build (a placeholder kept in git).
const PLACEHOLDERS: [&str; 2] = [".gitkeep", "README.md"];
/// tarea's own bookkeeping at the top of `out/`.
const BOOKKEEPING: [&str; 5] = [manifest::FILE, lock::FILE, crate::output::CACHE_FILE, STAGING, SPOOL];

/// What writing did.
#[derive(Debug, Default)]
pub struct Written {
    /// Files written (new or changed).
    pub written: usize,
    /// Files in `out/` that tarea did not write, left as they were (paths under `out/`).
    pub foreign: Vec<PathBuf>,
    /// Files of an earlier build that are gone now (their session left the plan).
    pub removed: usize,
    /// Files of an earlier build that were no longer wanted but kept, because their bytes are not
    /// what tarea wrote there (or a link is on the way): paths under `out/`.
    pub spared: Vec<PathBuf>,
    /// Manifest lines ignored because they name no file tarea could have written.
    pub refused: Vec<String>,
}

/// Test hook for the crash-safety test: `TAREA_CRASH_AFTER_RENAMES=k` ends the process right after
/// the k-th rename of the write stage, with no clean-up, as a kill would. A process-wide counter is
/// the only way to count renames across the stage without threading a counter through every call.
fn renamed() {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static LIMIT: OnceLock<Option<usize>> = OnceLock::new();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let limit = *LIMIT.get_or_init(|| std::env::var("TAREA_CRASH_AFTER_RENAMES").ok()?.parse().ok());
    if let Some(limit) = limit
        && COUNT.fetch_add(1, Ordering::SeqCst) + 1 == limit
    {
        eprintln!("tarea: crash injected after rename {limit} (TAREA_CRASH_AFTER_RENAMES)");
        std::process::exit(86);
    }
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).with_context(|| format!("moving {} into place", to.display()))?;
    renamed();
    Ok(())
}

/// Writes `out/<name>` so that it is either the old file or the whole new one, even after a crash:
/// a temporary file flushed to disk, renamed over, and the folder flushed. Owner-only on Unix.
pub fn durable_write(out: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    durable_write_with(out, name, &mut |file| file.write_all(bytes))
}

/// [`durable_write`] of what `fill` writes, through a buffer: a large file is never whole in memory.
pub fn durable_write_with(
    out: &Path,
    name: &str,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let temporary = out.join(format!("{name}.new"));
    let file = create_file(&temporary, true).with_context(|| format!("writing {}", temporary.display()))?;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file);
    fill(&mut buffered)
        .and_then(|()| buffered.into_inner().map_err(|e| e.into_error()))
        .and_then(|file| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    rename(&temporary, &out.join(name))?;
    // Flushing a folder is how Unix makes a rename durable; elsewhere it cannot be opened, and the
    // rename is as durable as the platform makes it.
    if let Ok(dir) = std::fs::File::open(out) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// [`durable_write_with`] unless `out/<name>` already holds exactly what `fill` writes (so a
/// build with nothing new touches nothing). `fill` runs once to hash, and again to write if the
/// file changed: nothing is ever whole in memory, neither the new text nor the old.
pub fn durable_write_changed(
    out: &Path,
    name: &str,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let mut new = manifest::Hashing::new(std::io::sink());
    fill(&mut new).with_context(|| format!("writing {}", out.join(name).display()))?;
    let mut old = manifest::Hashing::new(std::io::sink());
    let read = std::fs::File::open(out.join(name)).and_then(|mut file| std::io::copy(&mut file, &mut old)).is_ok();
    let length_and_hash = |h: manifest::Hashing<std::io::Sink>| {
        let (len, hash, _) = h.finish();
        (len, hash)
    };
    let same = read && length_and_hash(old) == length_and_hash(new);
    if same { Ok(()) } else { durable_write_with(out, name, fill) }
}

/// Creates (or truncates) a file; `private` ones are readable by their owner only.
fn create_file(path: &Path, private: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)
}

/// Creates a folder and its parents; `private` ones are the owner's only.
fn create_dirs(path: &Path, private: bool) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    #[cfg(not(unix))]
    let _ = private;
    builder.create(path).with_context(|| format!("creating {}", path.display()))
}

/// Whether a path under `out/` is on the private side.
fn is_private(relative: &Path) -> bool {
    relative.starts_with(crate::output::PRIVATE)
}

/// Makes everything under `out/private` the owner's only (folders 0700, files 0600), whatever an
/// older tarea or a copy left there.
fn private_permissions(out: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in
            WalkDir::new(out.join(crate::output::PRIVATE)).follow_links(false).into_iter().filter_map(|e| e.ok())
        {
            let wanted = if entry.file_type().is_dir() {
                0o700
            } else if entry.file_type().is_file() {
                0o600
            } else {
                continue;
            };
            let meta = entry.metadata().with_context(|| format!("reading {}", entry.path().display()))?;
            if meta.permissions().mode() & 0o777 != wanted {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(wanted))
                    .with_context(|| format!("making {} private", entry.path().display()))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = out;
    Ok(())
}

/// Whether `relative` can be written or removed under `out` without going through a symbolic
/// link: no folder on the way and not the file itself is a link.
fn without_links(out: &Path, relative: &Path) -> bool {
    let mut path = out.to_path_buf();
    for component in relative.components() {
        path.push(component);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => return false,
            Ok(_) => {}
            Err(_) => return true,
        }
    }
    true
}

/// The manifest of the build in `out`, or `None` when it has none. Refuses an `out` that holds
/// other files at its top: it is not tarea's.
fn previous_manifest(out: &Path) -> Result<Option<manifest::Read>> {
    if let Some(read) = manifest::load(out)? {
        return Ok(Some(read));
    }
    if out.is_dir() {
        let strangers: Vec<String> = std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|name| {
                let known = |n: &str| name == n || name.strip_suffix(".new") == Some(n);
                !PLACEHOLDERS.contains(&name.as_str())
                    && !OWNED.contains(&name.as_str())
                    && !BOOKKEEPING.iter().any(|n| known(n))
            })
            .collect();
        if !strangers.is_empty() {
            bail!(
                "{} holds files tarea did not write ({}); refusing to build into it. Choose an empty folder with \
                 --out, or move those files away",
                out.display(),
                strangers.join(", ")
            );
        }
    }
    Ok(None)
}

/// Every file under `out/<owned>` that the manifest does not list.
fn foreign_files(listing: &Listing, manifest: &Manifest) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> =
        listing.files().filter(|path| !manifest.files.contains_key(*path)).map(PathBuf::from).collect();
    found.sort();
    found
}

fn fresh(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}

fn stage<'a>(staging: &Path, files: impl IntoIterator<Item = &'a OutputFile>) -> Result<()> {
    for file in files {
        let path = staging.join(&file.path);
        if let Some(parent) = path.parent() {
            create_dirs(parent, is_private(&file.path))?;
        }
        create_file(&path, is_private(&file.path))
            .and_then(|mut f| f.write_all(&file.bytes))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Refuses an `out` that holds files but is not tarea's — before anything is written into it.
/// An `out` with a manifest is tarea's (the write stage reads the manifest itself).
pub fn check_out(out: &Path) -> Result<()> {
    if out.join(manifest::FILE).is_file() {
        return Ok(());
    }
    previous_manifest(out).map(|_| ())
}

/// A file written into the spool folder, with what the write stage needs to know of it without
/// reading it back.
#[derive(Debug, Clone)]
pub struct Spooled {
    /// Its path under `out/`.
    pub path: PathBuf,
    /// The hash of its bytes (for the manifest).
    pub hash: String,
    /// Its length in bytes.
    pub len: u64,
}

/// Writes freshly rendered files into the spool folder (`out/.tarea-spool/<path>`), hashing each
/// as it goes: this runs on the rendering threads, so the write stage reads nothing back.
pub fn spool(spool: &Path, files: &[OutputFile]) -> Result<Vec<Spooled>> {
    stage(spool, files)?;
    Ok(files
        .iter()
        .map(|f| Spooled { path: f.path.clone(), hash: hash(&f.bytes), len: f.bytes.len() as u64 })
        .collect())
}

/// Writes one file into the spool folder as `write` makes it, hashing it on the way, so a large
/// file (the private index) is never whole in memory.
pub fn spool_with<E: From<std::io::Error>>(
    spool: &Path,
    relative: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<Spooled, E> {
    let path = spool.join(relative);
    if let Some(parent) = path.parent() {
        create_dirs(parent, is_private(relative)).map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    }
    let file = create_file(&path, is_private(relative))?;
    let mut hashing = manifest::Hashing::new(std::io::BufWriter::new(file));
    write(&mut hashing)?;
    let (len, hash, file) = hashing.finish();
    file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
    Ok(Spooled { path: relative.to_path_buf(), hash, len })
}

/// Whether the file at `live` already holds the bytes whose length is `len` and hash `hash`.
/// Only a file of the same length is read: most changed files differ in length, and a new one
/// is not there at all.
fn same_on_disk(live: &Path, len: u64, hash_of_new: &str) -> bool {
    std::fs::metadata(live).is_ok_and(|m| m.is_file() && m.len() == len)
        && std::fs::read(live).is_ok_and(|old| hash(&old) == hash_of_new)
}

/// Removes the spool folder (after a failed build, before a new one, or once its files are in place).
pub fn discard_spool(out: &Path) -> Result<()> {
    fresh(&out.join(SPOOL))
}

/// What a build hands the write stage.
pub struct Output<'a> {
    /// Files rendered by this build, in memory.
    pub files: &'a [OutputFile],
    /// Files rendered by this build into `out/.tarea-spool/`.
    pub spooled: &'a [Spooled],
    /// Files already on disk that this build keeps as they are (unchanged packets).
    pub kept: &'a [PathBuf],
    /// Whether this is the whole output (files of earlier builds not in it are removed), or a
    /// part of it (a build of some packets only).
    pub whole: bool,
    /// In a whole output, folders whose files of earlier builds stay as they are (the packets and
    /// pages of a patient the build skipped: their plan has errors).
    pub keep_under: &'a [PathBuf],
    /// What `out/` held when the build started ([`Listing::of`]), if the build listed it.
    pub listing: Option<&'a Listing>,
}

/// One file to move into place: from the staging or spool folder (the same path under it).
/// Borrowed: at 5,000 packets, two owned paths per file were 16 MB at the end of a build.
struct Move<'a> {
    from: &'static str,
    to: &'a Path,
}

/// What a build's output means on disk: the manifest it will leave, and the files to move in.
struct Planned<'a> {
    new: Manifest,
    moves: Vec<Move<'a>>,
    /// The in-memory files among the moves (to stage first).
    changed: Vec<&'a OutputFile>,
}

/// Hashes every file of the output and finds those whose bytes differ from what is on disk.
fn plan<'a>(out: &Path, output: &Output<'a>, old: &Manifest) -> Result<Planned<'a>> {
    let mut new = Manifest::default();
    let mut moves = Vec::new();
    let mut changed = Vec::new();
    for file in output.files {
        let hashed = hash(&file.bytes);
        if !same_on_disk(&out.join(&file.path), file.bytes.len() as u64, &hashed) {
            changed.push(file);
            moves.push(Move { from: STAGING, to: &file.path });
        }
        new.insert(&file.path, hashed);
    }
    for Spooled { path, hash, len } in output.spooled {
        new.insert(path, hash.clone());
        if !same_on_disk(&out.join(path), *len, hash) {
            moves.push(Move { from: SPOOL, to: path });
        }
    }
    for path in output.kept {
        match old.get(path).filter(|h| h.len() == 1) {
            Some(hashes) => new.files.insert(manifest::key(path), hashes.clone()),
            None => {
                let bytes = std::fs::read(out.join(path)).with_context(|| format!("reading {}", path.display()))?;
                new.files.insert(manifest::key(path), hash(&bytes).into())
            }
        };
    }
    for (path, hashes) in &old.files {
        if !output.whole || output.keep_under.iter().any(|dir| Path::new(path).starts_with(dir)) {
            new.files.entry(path.clone()).or_insert_with(|| hashes.clone());
        }
    }
    Ok(Planned { new, moves, changed })
}

/// Writes a build's output: only files whose bytes changed are written (each staged, then moved
/// into place), files of earlier builds that are no longer produced are removed, and foreign files
/// stay. A build with nothing new writes nothing — not even a modification time changes.
pub fn write_output(out: &Path, output: &Output<'_>) -> Result<Written> {
    let previous = previous_manifest(out)?;
    let had_manifest = previous.is_some();
    let manifest::Read { manifest: old, refused } = previous.unwrap_or_default();
    create_dirs(out, false)?;
    let spool = out.join(SPOOL);
    let staging = out.join(STAGING);
    fresh(&staging)?;

    let Planned { new, moves, changed } = plan(out, output, &old)?;

    // Files someone else put in `out/`: kept. Without a manifest, what this build writes is its own.
    let listed;
    let listing = match output.listing {
        Some(listing) => listing,
        None => {
            listed = Listing::of(out);
            &listed
        }
    };
    let mut foreign = foreign_files(listing, &old);
    if had_manifest && let Some(clash) = foreign.iter().find(|f| new.owns(f)) {
        bail!(
            "{} was not written by tarea, and this build would replace it; move it away first",
            out.join(clash).display()
        );
    }
    foreign.retain(|f| !new.owns(f));
    if let Some(link) = moves.iter().find(|m| !without_links(out, m.to)) {
        bail!(
            "{} is, or is inside, a symbolic link; tarea does not write through links: remove the link",
            out.join(link.to).display()
        );
    }
    let stale: Vec<(&Path, &manifest::Hashes)> =
        old.files.iter().filter(|(path, _)| !new.files.contains_key(*path)).map(|(p, h)| (Path::new(p), h)).collect();

    // The intent: every path of the old and the new output is tarea's until the moves are done.
    let manifest_on_disk = out.join(manifest::FILE).is_file();
    if (!moves.is_empty() || !stale.is_empty()) && (!old.covers(&new) || !manifest_on_disk) {
        old.save_union(&new, out)?;
    }
    stage(&staging, changed)?;
    for Move { from, to } in &moves {
        let live = out.join(to);
        if let Some(parent) = live.parent() {
            create_dirs(parent, is_private(to))?;
        }
        rename(&out.join(from).join(to), &live)?;
    }
    fresh(&staging)?;
    fresh(&spool)?;

    let mut spared = Vec::new();
    let mut removed = 0;
    for (path, hashes) in stale {
        let live = out.join(path);
        let ours = without_links(out, path) && std::fs::read(&live).is_ok_and(|bytes| hashes.contains(&hash(&bytes)));
        if ours {
            std::fs::remove_file(&live).with_context(|| format!("removing {}", live.display()))?;
            remove_empty_parents(out, &live);
            removed += 1;
        } else if std::fs::symlink_metadata(&live).is_ok() {
            spared.push(path.to_path_buf());
        }
    }
    for dir in OWNED {
        create_dirs(&out.join(dir), dir == "private")?;
    }
    private_permissions(out)?;
    new.save(out)?;
    Ok(Written { written: moves.len(), removed, foreign, spared, refused })
}

/// Removes the folders a removed file leaves empty, up to the owned folder.
fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || OWNED.iter().any(|o| d == out.join(o)) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    fn whole<'a>(files: &'a [OutputFile]) -> Output<'a> {
        Output { files, spooled: &[], kept: &[], whole: true, keep_under: &[], listing: None }
    }

    #[test]
    fn replaces_its_own_files_keeps_foreign_ones_and_the_placeholder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join(".gitkeep"), "").unwrap();
        write_output(out, &whole(&[OutputFile::new("public/old/index.html", "old")])).unwrap();
        std::fs::write(out.join("public/notes.html"), "the admin's").unwrap();
        let written = write_output(out, &whole(&[OutputFile::new("public/new/index.html", "new")])).unwrap();
        assert!(!out.join("public/old").exists(), "a file of the earlier build is gone, and its folder");
        assert_eq!(read(&out.join("public/new/index.html")), "new");
        assert_eq!(read(&out.join("public/notes.html")), "the admin's");
        assert_eq!(written.foreign, [PathBuf::from("public/notes.html")]);
        assert_eq!((written.written, written.removed), (1, 1));
        assert!(out.join(".gitkeep").exists() && out.join("private").is_dir());
        assert!(!out.join(STAGING).exists());
    }

    #[test]
    fn a_streamed_file_is_rewritten_only_when_its_bytes_change() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let write = |text: &'static str| durable_write_changed(out, "state", &mut |to| to.write_all(text.as_bytes()));
        write("one").unwrap();
        let long_ago = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options().write(true).open(out.join("state")).unwrap().set_modified(long_ago).unwrap();
        write("one").unwrap();
        assert_eq!(std::fs::metadata(out.join("state")).unwrap().modified().unwrap(), long_ago, "not rewritten");
        write("two").unwrap();
        assert_eq!(read(&out.join("state")), "two");
        write("tw").unwrap();
        assert_eq!(read(&out.join("state")), "tw", "a prefix of the old bytes is a change too");
        assert!(!out.join("state.new").exists());
    }

    #[test]
    fn unchanged_files_are_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let files = [OutputFile::new("public/a.html", "a"), OutputFile::new("private/b.html", "b")];
        write_output(out, &whole(&files)).unwrap();
        let before = std::fs::metadata(out.join("public/a.html")).unwrap().modified().unwrap();
        let manifest = std::fs::metadata(out.join(manifest::FILE)).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let written = write_output(out, &whole(&files)).unwrap();
        assert_eq!(written.written, 0);
        assert_eq!(std::fs::metadata(out.join("public/a.html")).unwrap().modified().unwrap(), before);
        assert_eq!(std::fs::metadata(out.join(manifest::FILE)).unwrap().modified().unwrap(), manifest);
        // Kept files stay listed; a part-build keeps the rest.
        let kept = [PathBuf::from("public/a.html")];
        write_output(
            out,
            &Output { files: &files[1..], spooled: &[], kept: &kept, whole: true, keep_under: &[], listing: None },
        )
        .unwrap();
        assert!(out.join("public/a.html").is_file());
        write_output(
            out,
            &Output { files: &[], spooled: &[], kept: &[], whole: false, keep_under: &[], listing: None },
        )
        .unwrap();
        assert!(out.join("public/a.html").is_file() && out.join("private/b.html").is_file());
    }

    #[test]
    fn refuses_a_folder_that_is_not_a_tarea_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("thesis.tex"), "years of work").unwrap();
        let error = write_output(dir.path(), &whole(&[OutputFile::new("public/a.html", "a")])).unwrap_err();
        assert!(error.to_string().contains("thesis.tex"), "{error}");
        assert_eq!(read(&dir.path().join("thesis.tex")), "years of work");
        assert!(!dir.path().join("public").exists());
    }

    #[test]
    fn never_replaces_a_foreign_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        write_output(out, &whole(&[OutputFile::new("public/a.html", "a")])).unwrap();
        std::fs::write(out.join("public/b.html"), "mine").unwrap();
        assert!(write_output(out, &whole(&[OutputFile::new("public/b.html", "tarea's")])).is_err());
        assert_eq!(read(&out.join("public/b.html")), "mine");
        assert_eq!(read(&out.join("public/a.html")), "a");
    }
}
