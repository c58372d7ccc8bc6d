//! Stage 5: put the rendered files on disk, all or nothing.
//!
//! Everything is written into a staging folder inside `out/` first and swapped in only when every
//! file is there, so a build that fails — or is interrupted while writing — leaves the previous
//! `out/public` and `out/private` exactly as they were. Files of `out/` outside those two folders
//! are never touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The folders of `out/` that a build owns and replaces as a whole.
pub const OWNED: [&str; 2] = ["public", "private"];

const STAGING: &str = ".tarea-staging";
const PREVIOUS: &str = ".tarea-previous";

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

/// Writes `files` under `out`, replacing the owned folders only once all were written.
pub fn write_output(out: &Path, files: &[OutputFile]) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let staging = out.join(STAGING);
    let previous = out.join(PREVIOUS);
    for leftover in [&staging, &previous] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).with_context(|| format!("removing {}", leftover.display()))?;
        }
    }
    for dir in OWNED {
        std::fs::create_dir_all(staging.join(dir)).with_context(|| format!("creating {}", staging.display()))?;
    }
    for file in files {
        let path = staging.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &file.bytes).with_context(|| format!("writing {}", path.display()))?;
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
    std::fs::remove_dir_all(&previous).with_context(|| format!("removing {}", previous.display()))?;
    std::fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    Ok(())
}

/// Writes `files` under `out` next to what is there (a build of some packets only): each file is
/// staged first and moved into place once all are written, so a failure leaves `out/` as it was.
pub fn write_merged(out: &Path, files: &[OutputFile]) -> Result<()> {
    let staging = out.join(STAGING);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    }
    for file in files {
        let path = staging.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &file.bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    for file in files {
        let live = out.join(&file.path);
        if let Some(parent) = live.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::rename(staging.join(&file.path), &live)
            .with_context(|| format!("moving {} into place", live.display()))?;
    }
    std::fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    Ok(())
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

    #[test]
    fn replaces_owned_folders_and_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::create_dir_all(out.join("public/old")).unwrap();
        std::fs::write(out.join("public/old/x.html"), "old").unwrap();
        std::fs::write(out.join(".gitkeep"), "").unwrap();
        write_output(out, &[OutputFile::new("public/new/index.html", "new")]).unwrap();
        assert!(!out.join("public/old").exists());
        assert_eq!(std::fs::read_to_string(out.join("public/new/index.html")).unwrap(), "new");
        assert!(out.join(".gitkeep").exists());
        assert!(out.join("private").is_dir());
        assert!(!out.join(STAGING).exists() && !out.join(PREVIOUS).exists());
    }
}
