//! Stage 5: put the rendered files on disk — only what changed, and never what tarea did not write.
//!
//! Nothing is written until the whole build has rendered without error, so a failed build leaves
//! `out/` exactly as it was. Then each changed file is staged and renamed into place (a reader never
//! sees half a file), and a file whose bytes are the same is not touched at all: a rebuild with
//! nothing new writes nothing. A manifest (`out/.tarea-manifest`) lists the files tarea wrote: a
//! packet whose session left the plan disappears on the next build, a file someone else put in
//! `out/` stays and is reported, and an `out/` that holds files but no manifest is not tarea's and
//! is refused rather than replaced.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use walkdir::WalkDir;

/// The folders of `out/` that a build owns.
pub const OWNED: [&str; 2] = ["public", "private"];

const STAGING: &str = ".tarea-staging";
/// Where a build puts packet files as it renders them, before the write stage moves them in.
pub const SPOOL: &str = ".tarea-spool";
const MANIFEST: &str = ".tarea-manifest";
/// Files an `out/` may hold before tarea's first build (a placeholder kept in git).
const PLACEHOLDERS: [&str; 2] = [".gitkeep", "README.md"];

/// One file of the output, by its path under `out/`.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// E.g. `public/<token>/index.html`.
    pub path: PathBuf,
    /// Its contents.
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// A file at `path` (relative to `out/`).
    pub fn new(path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> Self {
        OutputFile { path: path.into(), bytes: bytes.into() }
    }
}

/// What writing did.
#[derive(Debug, Default)]
pub struct Written {
    /// Files written (new or changed).
    pub written: usize,
    /// Files in `out/` that tarea did not write, left as they were (paths under `out/`).
    pub foreign: Vec<PathBuf>,
    /// Files of an earlier build that are gone now (their session left the plan).
    pub removed: usize,
}

/// The files an earlier build wrote, or `None` when `out` has never been built into. Refuses an
/// `out` that holds files but is not tarea's.
fn previous_manifest(out: &Path) -> Result<Option<BTreeSet<PathBuf>>> {
    let manifest = out.join(MANIFEST);
    if manifest.is_file() {
        let text = std::fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
        return Ok(Some(text.lines().filter(|l| !l.is_empty()).map(PathBuf::from).collect()));
    }
    // An output written before manifests existed: its owned folders are tarea's.
    if out.join("public/assets/tarea.css").is_file() && out.join("private/index.html").is_file() {
        return Ok(Some(foreign_files(out, &BTreeSet::new()).into_iter().collect()));
    }
    if out.is_dir() {
        let strangers: Vec<String> = std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|name| !PLACEHOLDERS.contains(&name.as_str()) && name != STAGING && name != SPOOL)
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
fn foreign_files(out: &Path, manifest: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in OWNED {
        for entry in WalkDir::new(out.join(dir)).follow_links(false).into_iter().filter_map(|e| e.ok()) {
            if entry.file_type().is_dir() {
                continue;
            }
            if let Ok(relative) = entry.path().strip_prefix(out)
                && !manifest.contains(relative)
            {
                found.push(relative.to_path_buf());
            }
        }
    }
    found.sort();
    found
}

fn write_manifest(out: &Path, files: &BTreeSet<PathBuf>) -> Result<()> {
    let text: String = files.iter().map(|p| format!("{}\n", p.to_string_lossy())).collect();
    let temporary = out.join(format!("{MANIFEST}.new"));
    std::fs::write(&temporary, text).with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, out.join(MANIFEST))
        .with_context(|| format!("writing the manifest in {}", out.display()))
}

fn fresh(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}

fn stage(staging: &Path, files: &[OutputFile]) -> Result<()> {
    for file in files {
        let path = staging.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &file.bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Refuses an `out` that holds files but is not tarea's — before anything is written into it.
pub fn check_out(out: &Path) -> Result<()> {
    previous_manifest(out).map(|_| ())
}

/// Writes freshly rendered files into the spool folder (`out/.tarea-spool/<path>`).
pub fn spool(spool: &Path, files: &[OutputFile]) -> Result<()> {
    stage(spool, files)
}

/// Removes the spool folder (after a failed build, or once its files are in place).
pub fn discard_spool(out: &Path) -> Result<()> {
    fresh(&out.join(SPOOL))
}

/// What a build hands the write stage.
pub struct Output<'a> {
    /// Files rendered by this build, in memory.
    pub files: &'a [OutputFile],
    /// Files rendered by this build into `out/.tarea-spool/`.
    pub spooled: &'a [PathBuf],
    /// Files already on disk that this build keeps as they are (unchanged packets).
    pub kept: &'a [PathBuf],
    /// Whether this is the whole output (files of earlier builds not in it are removed), or a
    /// part of it (a build of some packets only).
    pub whole: bool,
}

/// Writes a build's output: only files whose bytes changed are written (each staged, then moved
/// into place), files of earlier builds that are no longer produced are removed, and foreign files
/// stay. A build with nothing new writes nothing — not even a modification time changes.
pub fn write_output(out: &Path, output: &Output<'_>) -> Result<Written> {
    let old_files = previous_manifest(out)?.unwrap_or_default();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut new_files: BTreeSet<PathBuf> = output.files.iter().map(|f| f.path.clone()).collect();
    new_files.extend(output.kept.iter().cloned());
    new_files.extend(output.spooled.iter().cloned());
    if !output.whole {
        new_files.extend(old_files.iter().cloned());
    }
    let foreign = foreign_files(out, &old_files);
    if let Some(clash) = foreign.iter().find(|f| new_files.contains(*f)) {
        bail!(
            "{} was not written by tarea, and this build would replace it; move it away first",
            out.join(clash).display()
        );
    }
    let changed: Vec<&OutputFile> =
        output.files.iter().filter(|f| std::fs::read(out.join(&f.path)).map_or(true, |old| old != f.bytes)).collect();
    let staging = out.join(STAGING);
    fresh(&staging)?;
    if !changed.is_empty() {
        for file in &changed {
            stage(&staging, std::slice::from_ref(*file))?;
        }
        for file in &changed {
            let live = out.join(&file.path);
            if let Some(parent) = live.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::rename(staging.join(&file.path), &live)
                .with_context(|| format!("moving {} into place", live.display()))?;
        }
        fresh(&staging)?;
    }
    // Spooled files move into place only when their bytes differ from what is there.
    let spool = out.join(SPOOL);
    let mut moved = 0;
    for path in output.spooled {
        let (from, live) = (spool.join(path), out.join(path));
        if std::fs::read(&from).ok() == std::fs::read(&live).ok() {
            continue;
        }
        if let Some(parent) = live.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::rename(&from, &live).with_context(|| format!("moving {} into place", live.display()))?;
        moved += 1;
    }
    fresh(&spool)?;
    let stale: Vec<&PathBuf> = old_files.difference(&new_files).collect();
    for path in &stale {
        let live = out.join(path);
        if live.is_file() {
            std::fs::remove_file(&live).with_context(|| format!("removing {}", live.display()))?;
        }
        remove_empty_parents(out, &live);
    }
    for dir in OWNED {
        std::fs::create_dir_all(out.join(dir)).with_context(|| format!("creating {}", out.join(dir).display()))?;
    }
    if new_files != old_files || !out.join(MANIFEST).is_file() {
        write_manifest(out, &new_files)?;
    }
    Ok(Written { written: changed.len() + moved, removed: stale.len(), foreign })
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
        Output { files, spooled: &[], kept: &[], whole: true }
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
    fn unchanged_files_are_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let files = [OutputFile::new("public/a.html", "a"), OutputFile::new("private/b.html", "b")];
        write_output(out, &whole(&files)).unwrap();
        let before = std::fs::metadata(out.join("public/a.html")).unwrap().modified().unwrap();
        let manifest = std::fs::metadata(out.join(MANIFEST)).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let written = write_output(out, &whole(&files)).unwrap();
        assert_eq!(written.written, 0);
        assert_eq!(std::fs::metadata(out.join("public/a.html")).unwrap().modified().unwrap(), before);
        assert_eq!(std::fs::metadata(out.join(MANIFEST)).unwrap().modified().unwrap(), manifest);
        // Kept files stay listed; a part-build keeps the rest.
        let kept = [PathBuf::from("public/a.html")];
        write_output(out, &Output { files: &files[1..], spooled: &[], kept: &kept, whole: true }).unwrap();
        assert!(out.join("public/a.html").is_file());
        write_output(out, &Output { files: &[], spooled: &[], kept: &[], whole: false }).unwrap();
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
