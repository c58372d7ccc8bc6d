//! `out/.tarea-manifest`: which files under `out/public` and `out/private` tarea wrote, each with
//! the SHA-256 of the bytes it wrote there.
//!
//! The manifest decides what a build may delete, so it is read as untrusted input (anyone who can
//! write `out/` can edit it, and backups or `cp -r out/*` may drop it): a line is kept only when its
//! path is relative, made of plain names, under `public/` or `private/`; a file is removed only when
//! its bytes still hash to what tarea wrote. A path may carry two hashes while a build is moving
//! files into place (the old and the new bytes), so an interrupted build leaves a manifest that
//! still owns every file, whichever version it holds.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::OWNED;

/// The manifest's file name in `out/`.
pub const FILE: &str = ".tarea-manifest";
const HEADER: &str = "# tarea manifest 2: <sha256> <path> per line; edited by hand, lines are ignored";

/// Paths tarea owns, each with the hashes its bytes may have (none: written by an older tarea
/// that recorded no hash, so never deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// By path under `out/`, `/`-separated. Strings, not `PathBuf`s: a build looks up every file
    /// of the output several times, and a path compares component by component, ten times
    /// slower than its bytes (a quarter of a no-op build at 5,000 packets).
    pub files: BTreeMap<String, BTreeSet<String>>,
}

/// A manifest as read, with the lines that were refused.
#[derive(Debug, Default)]
pub struct Read {
    /// The lines that passed.
    pub manifest: Manifest,
    /// Lines refused: not a path tarea could have written.
    pub refused: Vec<String>,
}

impl Manifest {
    /// Records `path` with the hash of its bytes.
    pub fn insert(&mut self, path: &Path, hash: String) {
        self.files.entry(key(path)).or_default().insert(hash);
    }

    /// Whether `path` is listed.
    pub fn owns(&self, path: &Path) -> bool {
        self.files.contains_key(&key(path))
    }

    /// The hashes listed for `path`.
    pub fn get(&self, path: &Path) -> Option<&BTreeSet<String>> {
        self.files.get(&key(path))
    }

    /// Every path and hash of both (the intent of a build that moves from `self` to `next`).
    pub fn union(&self, next: &Manifest) -> Manifest {
        let mut all = self.clone();
        for (path, hashes) in &next.files {
            all.files.entry(path.clone()).or_default().extend(hashes.iter().cloned());
        }
        all
    }

    /// The text of the manifest file.
    pub fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\n");
        for (path, hashes) in &self.files {
            for hash in hashes {
                let _ = writeln!(text, "{hash} {path}");
            }
        }
        text
    }

    /// Parses a manifest, refusing every line that does not name a file tarea could own.
    pub fn parse(text: &str) -> Read {
        let mut read = Read::default();
        for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            // `<64 hex> <path>`; a bare path is a manifest of tarea 0.1 before hashes.
            let (hash, path) = match line.split_once(' ') {
                Some((hash, path)) if is_hash(hash) => (Some(hash), path),
                _ => (None, line),
            };
            match owned_path(path) {
                Some(path) => {
                    let hashes = read.manifest.files.entry(key(&path)).or_default();
                    hashes.extend(hash.map(str::to_string));
                }
                None => read.refused.push(line.to_string()),
            }
        }
        read
    }

    /// Writes the manifest durably into `out`: a temporary file, flushed to disk, renamed over.
    pub fn save(&self, out: &Path) -> Result<()> {
        super::durable_write(out, FILE, self.to_text().as_bytes())
    }
}

/// The manifest's key of `path`: its text, `/`-separated on every platform.
pub fn key(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' { text.into_owned() } else { text.replace(std::path::MAIN_SEPARATOR, "/") }
}

/// `path` as a path tarea may own: relative, plain names only, under `public/` or `private/`.
pub fn owned_path(path: &str) -> Option<PathBuf> {
    let path = Path::new(path);
    let mut components = path.components();
    let first = components.next()?;
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    let owned = OWNED.iter().any(|o| first.as_os_str() == *o);
    (plain && owned && path.components().count() > 1 && !path.to_string_lossy().contains('\\'))
        .then(|| path.to_path_buf())
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The SHA-256 of `bytes`, in hex.
pub fn hash(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        let _ = write!(text, "{b:02x}");
    }
    text
}

/// Reads the manifest in `out`, if there is one.
pub fn load(out: &Path) -> Result<Option<Read>> {
    let path = out.join(FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(Manifest::parse(&String::from_utf8_lossy(&bytes)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_tarea_could_write_are_kept() {
        let good = "a".repeat(64);
        let text = format!(
            "{HEADER}\n{good} public/x/index.html\n{good} ../library/plans/elisa.toml\n{good} /etc/passwd\n\
             {good} public/../../.tarea/secret\n{good} library/plans/elisa.toml\n{good} public\n\
             private/old.html\n{good} private/a\\..\\b\n"
        );
        let read = Manifest::parse(&text);
        let paths: Vec<_> = read.manifest.files.keys().cloned().collect();
        assert_eq!(paths, ["private/old.html", "public/x/index.html"]);
        assert!(read.manifest.files["private/old.html"].is_empty(), "an old line has no hash");
        assert_eq!(read.refused.len(), 6);
    }

    #[test]
    fn round_trips_with_two_hashes_per_path() {
        let mut m = Manifest::default();
        m.insert(Path::new("public/a.html"), hash(b"old"));
        let mut n = Manifest::default();
        n.insert(Path::new("public/a.html"), hash(b"new"));
        let both = m.union(&n);
        assert_eq!(both.files["public/a.html"].len(), 2);
        assert_eq!(Manifest::parse(&both.to_text()).manifest, both);
    }
}
