//! What `out/public` and `out/private` hold, listed once per build: the cache asks whether a
//! packet's files are still there, and the write stage which files are not tarea's. Reading the
//! folders once is a few system calls a folder; asking file by file was one a file, twice over
//! (at 5,000 packets, a quarter of a build with nothing to do).

use std::collections::HashMap;
use std::path::Path;

use walkdir::WalkDir;

use super::{OWNED, manifest};

/// The files under the owned folders of an `out/`, by their manifest key (`public/<token>/…`),
/// each with whether it is a regular file (else a symbolic link or something stranger).
#[derive(Debug, Default)]
pub struct Listing {
    files: HashMap<String, bool>,
    out: std::path::PathBuf,
}

impl Listing {
    /// Lists `out`: everything but folders under its owned folders (symbolic links included, as
    /// not regular files: nothing is followed).
    pub fn of(out: &Path) -> Listing {
        let mut files = HashMap::new();
        for dir in OWNED {
            for entry in WalkDir::new(out.join(dir)).follow_links(false).into_iter().filter_map(|e| e.ok()) {
                if entry.file_type().is_dir() {
                    continue;
                }
                if let Ok(relative) = entry.path().strip_prefix(out) {
                    files.insert(manifest::key(relative), entry.file_type().is_file());
                }
            }
        }
        Listing { files, out: out.to_path_buf() }
    }

    /// Whether `path` (under `out/`) is a file, as `Path::is_file` says: a listed regular file, or
    /// a listed link that leads to one.
    pub fn has(&self, path: &Path) -> bool {
        match self.files.get(&manifest::key(path)) {
            Some(true) => true,
            Some(false) => self.out.join(path).is_file(),
            None => false,
        }
    }

    /// Every path listed, in no particular order.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}
