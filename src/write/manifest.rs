//! `out/.tarea-manifest`: which files under `out/public` and `out/private` tarea wrote, each with
//! the SHA-256 of the bytes it wrote there.
//!
//! The manifest decides what a build may delete, so it is read as untrusted input (anyone who can
//! write `out/` can edit it, and backups or `cp -r out/*` may drop it): a line is kept only when its
//! path is relative, made of plain names, under `public/` or `private/`; a file is removed only when
//! its bytes still hash to what tarea wrote. A path may carry two hashes while a build is moving
//! files into place (the old and the new bytes), so an interrupted build leaves a manifest that
//! still owns every file, whichever version it holds.

use std::cmp::Ordering;
use std::collections::BTreeMap;
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
    pub files: BTreeMap<String, Hashes>,
}

/// The hashes one path's bytes may have, sorted: one, two while a build moves files in, none for
/// a line of an older tarea. A vector, not a set: a set's node took 280 bytes per path, three
/// times the rest of an entry (the manifests of a 5,000-packet build were a third of its memory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hashes(Vec<String>);

impl Hashes {
    /// Adds `hash` unless it is there.
    pub fn insert(&mut self, hash: String) {
        if let Err(at) = self.0.binary_search(&hash) {
            self.0.insert(at, hash);
        }
    }

    /// Whether `hash` is one of them.
    pub fn contains(&self, hash: &str) -> bool {
        self.0.binary_search_by(|h| h.as_str().cmp(hash)).is_ok()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (a line of an older tarea).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each hash, in order.
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }
}

impl From<String> for Hashes {
    fn from(hash: String) -> Self {
        Hashes(vec![hash])
    }
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
    pub fn get(&self, path: &Path) -> Option<&Hashes> {
        self.files.get(&key(path))
    }

    /// Whether every path and hash of `next` is listed here already.
    pub fn covers(&self, next: &Manifest) -> bool {
        next.files
            .iter()
            .all(|(path, hashes)| self.files.get(path).is_some_and(|h| hashes.iter().all(|x| h.contains(x))))
    }

    /// Writes every path and hash of `self` and `next`, merged in path order: the intent of a
    /// build that moves from one to the other. Streamed, not built as a third manifest.
    fn write_union(&self, next: &Manifest, to: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(to, "{HEADER}")?;
        let (mut a, mut b) = (self.files.iter().peekable(), next.files.iter().peekable());
        loop {
            let order = match (a.peek(), b.peek()) {
                (None, None) => return Ok(()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((mine, _)), Some((theirs, _))) => mine.cmp(theirs),
            };
            match (a.next_if(|_| order.is_le()), b.next_if(|_| order.is_ge())) {
                (Some((path, mine)), Some((_, theirs))) => {
                    let mut both = mine.clone();
                    theirs.iter().for_each(|h| both.insert(h.clone()));
                    write_lines(to, path, &both)?;
                }
                (Some((path, hashes)), None) | (None, Some((path, hashes))) => write_lines(to, path, hashes)?,
                (None, None) => return Ok(()),
            }
        }
    }

    /// The text of the manifest file.
    pub fn to_text(&self) -> String {
        let mut text = Vec::with_capacity(self.files.len() * 120);
        let _ = self.write_union(&Manifest::default(), &mut text);
        String::from_utf8(text).unwrap_or_default()
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
                    if let Some(hash) = hash {
                        hashes.insert(hash.to_string());
                    }
                }
                None => read.refused.push(line.to_string()),
            }
        }
        read
    }

    /// Saves durably into `out` (a temporary file, flushed, renamed over) every path and hash of
    /// `self` and `next`.
    pub fn save_union(&self, next: &Manifest, out: &Path) -> Result<()> {
        super::durable_write_with(out, FILE, &mut |to| self.write_union(next, to))
    }

    /// Writes the manifest into `out`, unless it is there already.
    pub fn save(&self, out: &Path) -> Result<()> {
        super::durable_write_changed(out, FILE, &mut |to| self.write_union(&Manifest::default(), to))
    }
}

/// One path's lines: `<hash> <path>` for each of its hashes.
fn write_lines(to: &mut dyn std::io::Write, path: &str, hashes: &Hashes) -> std::io::Result<()> {
    hashes.iter().try_for_each(|hash| writeln!(to, "{hash} {path}"))
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

/// A writer that hashes and counts what passes through it into `inner` (`io::sink()` to only
/// hash), as [`hash`] would hash it whole.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: std::io::Write> Hashing<W> {
    /// Hashes what is written into `inner`.
    pub fn new(inner: W) -> Self {
        Hashing { inner, hasher: Sha256::new(), len: 0 }
    }

    /// How many bytes went through, their hash, and the writer they went to.
    pub fn finish(self) -> (u64, String, W) {
        (self.len, hex(&self.hasher.finalize()), self.inner)
    }
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Lowercase hexadecimal.
fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(text, "{b:02x}");
    }
    text
}

/// The SHA-256 of `bytes`, in hex.
pub fn hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
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
    fn a_file_hashed_as_it_is_written_has_the_hash_of_its_bytes() {
        use std::io::Write;
        let mut hashing = Hashing::new(Vec::new());
        hashing.write_all(b"<main>").unwrap();
        hashing.write_all(&[]).unwrap();
        hashing.write_all("ñandú</main>".as_bytes()).unwrap();
        let (len, streamed, bytes) = hashing.finish();
        assert_eq!((len, streamed), (bytes.len() as u64, hash("<main>ñandú</main>".as_bytes())));
        assert_eq!(hash(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

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
        n.insert(Path::new("private/b.html"), hash(b"b"));
        m.insert(Path::new("public/z.html"), hash(b"z"));
        let mut text = Vec::new();
        m.write_union(&n, &mut text).unwrap();
        let both = Manifest::parse(&String::from_utf8(text).unwrap()).manifest;
        assert_eq!(both.files["public/a.html"].len(), 2);
        assert_eq!(both.files.keys().collect::<Vec<_>>(), ["private/b.html", "public/a.html", "public/z.html"]);
        assert!(both.covers(&m) && both.covers(&n) && !m.covers(&n));
        assert_eq!(Manifest::parse(&both.to_text()).manifest, both);
    }
}
