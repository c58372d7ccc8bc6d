//! The build cache: which packets are already on disk exactly as this build would write them.
//!
//! A packet's key hashes everything its files are made from — its view model (plan and homework
//! texts, resolved), its booklet, its password, every layout file and font, and tarea's version —
//! so an unchanged key means unchanged bytes, and the packet is neither rendered nor written.
//! The cache lives beside the manifest in `out/`; without it (a new `out/`), everything renders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::resolve::{Booklet, Packet};
use crate::templates::Templates;

/// The cache file's name in `out/`.
pub const FILE: &str = crate::output::CACHE_FILE;

/// What the previous build wrote, per packet.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Cache {
    /// The tarea version that wrote it: another version starts afresh.
    pub version: String,
    /// By packet token.
    pub packets: BTreeMap<String, Entry>,
}

/// One packet's key and the files it produced (paths under `out/`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// The hash of its inputs.
    pub key: String,
    /// Its files.
    pub files: Vec<PathBuf>,
    /// Whose packet it is, so a build that skips a patient (their plan has errors) knows which
    /// files to keep; empty in a cache written before it was recorded.
    #[serde(default)]
    pub patient: String,
}

impl Cache {
    /// The cache of the build in `out`, or an empty one. Anyone who can write `out/` can edit it,
    /// and the files it lists end up in the manifest, so an entry naming any file but one in its
    /// own packet's folder is dropped (its packet is rendered again).
    pub fn load(out: &Path) -> Cache {
        let mut cache = std::fs::read(out.join(FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Cache>(&bytes).ok())
            .filter(|c| c.version == env!("CARGO_PKG_VERSION"))
            .unwrap_or_default();
        cache.packets.retain(|token, entry| {
            let folder = crate::output::packet_dir(token);
            token.bytes().all(|b| b.is_ascii_alphanumeric())
                && entry.files.iter().all(|f| {
                    f.strip_prefix(&folder).is_ok_and(|name| name.components().count() == 1)
                        && crate::write::manifest::owned_path(&f.to_string_lossy()).is_some()
                })
        });
        cache
    }

    /// The entries of `self` that `previous` has with the same key: the packets whose files on disk
    /// are right whether or not this build's moves are done. Saved before the moves, so a build
    /// killed half-way never leaves a cache that vouches for a half-replaced packet.
    pub fn settled(&self, previous: &Cache) -> Cache {
        let mut settled = self.clone();
        settled.packets.retain(|token, entry| previous.packets.get(token).is_some_and(|old| old.key == entry.key));
        settled
    }

    /// The files of `token`'s packet if they are on disk and were made from `key`.
    pub fn hit(&self, out: &Path, token: &str, key: &str) -> Option<&[PathBuf]> {
        let entry = self.packets.get(token)?;
        (entry.key == key && entry.files.iter().all(|f| out.join(f).is_file())).then_some(entry.files.as_slice())
    }

    /// Writes the cache into `out` (only when it changed, so a no-op build touches nothing).
    pub fn save(&self, out: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self)?;
        if std::fs::read(out.join(FILE)).is_ok_and(|old| old == text) {
            return Ok(());
        }
        crate::write::durable_write(out, FILE, &text)
    }
}

/// A hash of every layout file, font and string, and of the tarea build itself (its version, and
/// the size and time of the running executable, so a rebuilt tarea never reuses old output).
pub fn fingerprint(templates: &Templates) -> String {
    let mut hash = Sha256::new();
    hash.update(env!("CARGO_PKG_VERSION"));
    if let Some(meta) = std::env::current_exe().ok().and_then(|exe| std::fs::metadata(exe).ok()) {
        hash.update(meta.len().to_le_bytes());
        if let Some(since) = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()) {
            hash.update(since.as_nanos().to_le_bytes());
        }
    }
    for (name, file) in templates.under("") {
        hash.update(name.as_bytes());
        hash.update((file.bytes.len() as u64).to_le_bytes());
        hash.update(&file.bytes);
    }
    hex(&hash.finalize())
}

/// What one packet's files are made from.
pub struct PacketInputs<'a> {
    /// The layouts' fingerprint.
    pub fingerprint: &'a str,
    /// The packet.
    pub packet: &'a Packet,
    /// Its booklet, if it has one.
    pub booklet: Option<&'a Booklet>,
    /// Its password, if it is sealed.
    pub password: Option<&'a str>,
    /// Whether PDFs are made.
    pub pdf: bool,
}

/// The key of one packet's files.
pub fn packet_key(inputs: &PacketInputs<'_>) -> String {
    let mut hash = Sha256::new();
    hash.update(inputs.fingerprint.as_bytes());
    hash.update(serde_json::to_vec(inputs.packet).unwrap_or_default());
    hash.update(serde_json::to_vec(&inputs.booklet).unwrap_or_default());
    hash.update(serde_json::to_vec(&inputs.password).unwrap_or_default());
    hash.update([u8::from(inputs.pdf)]);
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
