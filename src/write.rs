//! Stage 5: put the rendered files on disk, all or nothing, and never touch what tarea did not write.
//!
//! Everything is written into a staging folder inside `out/` first and swapped in only when every
//! file is there, so a build that fails — or is interrupted while writing — leaves the previous
//! `out/public` and `out/private` exactly as they were. A manifest (`out/.tarea-manifest`) lists
//! the files tarea wrote: a packet whose session left the plan disappears on the next build, while
//! a file someone else put in `out/` is carried over untouched and reported. An `out/` that holds
//! files but no manifest is not tarea's, and is refused rather than replaced.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use walkdir::WalkDir;

/// The folders of `out/` that a build owns.
pub const OWNED: [&str; 2] = ["public", "private"];

const STAGING: &str = ".tarea-staging";
const PREVIOUS: &str = ".tarea-previous";
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

/// What writing did besides writing.
#[derive(Debug, Default)]
pub struct Written {
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
            .filter(|name| !PLACEHOLDERS.contains(&name.as_str()) && name != STAGING && name != PREVIOUS)
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

/// Copies a foreign file (or link, as a link) into the staged tree so it survives the swap.
fn carry_over(out: &Path, staging: &Path, relative: &Path) -> Result<()> {
    let (from, to) = (out.join(relative), staging.join(relative));
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let meta = std::fs::symlink_metadata(&from).with_context(|| format!("reading {}", from.display()))?;
    #[cfg(unix)]
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&from)?;
        return std::os::unix::fs::symlink(target, &to).with_context(|| format!("keeping {}", from.display()));
    }
    let _ = meta;
    std::fs::copy(&from, &to).map(|_| ()).with_context(|| format!("keeping {}", from.display()))
}

/// Writes `files` as the whole output: the owned folders are replaced once everything is staged,
/// files of earlier builds that are not written again disappear, foreign files stay.
pub fn write_output(out: &Path, files: &[OutputFile]) -> Result<Written> {
    let previous_files = previous_manifest(out)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let (staging, previous) = (out.join(STAGING), out.join(PREVIOUS));
    fresh(&staging)?;
    fresh(&previous)?;
    let new_files: BTreeSet<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
    let old_files = previous_files.unwrap_or_default();
    let foreign = foreign_files(out, &old_files);
    if let Some(clash) = foreign.iter().find(|f| new_files.contains(*f)) {
        bail!(
            "{} was not written by tarea, and this build would replace it; move it away first",
            out.join(clash).display()
        );
    }
    for dir in OWNED {
        std::fs::create_dir_all(staging.join(dir)).with_context(|| format!("creating {}", staging.display()))?;
    }
    stage(&staging, files)?;
    for relative in &foreign {
        carry_over(out, &staging, relative)?;
    }
    std::fs::create_dir_all(&previous).with_context(|| format!("creating {}", previous.display()))?;
    for dir in OWNED {
        let live = out.join(dir);
        if live.exists() {
            std::fs::rename(&live, previous.join(dir)).with_context(|| format!("moving {} aside", live.display()))?;
        }
        if let Err(e) = std::fs::rename(staging.join(dir), &live) {
            restore(out, &previous);
            return Err(e).with_context(|| format!("moving the new {} into place", live.display()));
        }
    }
    write_manifest(out, &new_files)?;
    fresh(&previous)?;
    fresh(&staging)?;
    Ok(Written { removed: old_files.difference(&new_files).count(), foreign })
}

/// Writes `files` next to what is there (a build of some packets only): each file is staged first
/// and moved into place once all are written, so a failure leaves `out/` as it was.
pub fn write_merged(out: &Path, files: &[OutputFile]) -> Result<Written> {
    let old_files = previous_manifest(out)?.unwrap_or_default();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let foreign = foreign_files(out, &old_files);
    if let Some(clash) = foreign.iter().find(|f| files.iter().any(|n| &&n.path == f)) {
        bail!(
            "{} was not written by tarea, and this build would replace it; move it away first",
            out.join(clash).display()
        );
    }
    let staging = out.join(STAGING);
    fresh(&staging)?;
    stage(&staging, files)?;
    for file in files {
        let live = out.join(&file.path);
        if let Some(parent) = live.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::rename(staging.join(&file.path), &live)
            .with_context(|| format!("moving {} into place", live.display()))?;
    }
    let mut all = old_files;
    all.extend(files.iter().map(|f| f.path.clone()));
    write_manifest(out, &all)?;
    fresh(&staging)?;
    Ok(Written { removed: 0, foreign })
}

/// Puts the previous owned folders back after a failed swap (best effort: we are already failing).
fn restore(out: &Path, previous: &Path) {
    for dir in OWNED {
        let old = previous.join(dir);
        if old.exists() {
            let live = out.join(dir);
            let _ = std::fs::remove_dir_all(&live);
            let _ = std::fs::rename(&old, &live);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn replaces_its_own_files_keeps_foreign_ones_and_the_placeholder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join(".gitkeep"), "").unwrap();
        write_output(out, &[OutputFile::new("public/old/index.html", "old")]).unwrap();
        std::fs::write(out.join("public/notes.html"), "the admin's").unwrap();
        let written = write_output(out, &[OutputFile::new("public/new/index.html", "new")]).unwrap();
        assert!(!out.join("public/old").exists(), "a file of the earlier build is gone");
        assert_eq!(read(&out.join("public/new/index.html")), "new");
        assert_eq!(read(&out.join("public/notes.html")), "the admin's");
        assert_eq!(written.foreign, [PathBuf::from("public/notes.html")]);
        assert_eq!(written.removed, 1);
        assert!(out.join(".gitkeep").exists() && out.join("private").is_dir());
        assert!(!out.join(STAGING).exists() && !out.join(PREVIOUS).exists());
    }

    #[test]
    fn refuses_a_folder_that_is_not_a_tarea_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("thesis.tex"), "years of work").unwrap();
        let error = write_output(dir.path(), &[OutputFile::new("public/a.html", "a")]).unwrap_err();
        assert!(error.to_string().contains("thesis.tex"), "{error}");
        assert_eq!(read(&dir.path().join("thesis.tex")), "years of work");
        assert!(!dir.path().join("public").exists());
    }

    #[test]
    fn never_replaces_a_foreign_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        write_output(out, &[OutputFile::new("public/a.html", "a")]).unwrap();
        std::fs::write(out.join("public/b.html"), "mine").unwrap();
        assert!(write_output(out, &[OutputFile::new("public/b.html", "tarea's")]).is_err());
        assert!(write_merged(out, &[OutputFile::new("public/b.html", "tarea's")]).is_err());
        assert_eq!(read(&out.join("public/b.html")), "mine");
        assert_eq!(read(&out.join("public/a.html")), "a");
    }
}
