//! The build cache: which packets are already on disk exactly as this build would write them.
//!
//! A packet's key hashes everything its files are made from — its view model (plan and homework
//! texts, resolved), its booklet, its password, every layout file and font, and tarea's version —
//! so an unchanged key means unchanged bytes, and the packet is neither rendered nor written.
//! The cache lives beside the manifest in `out/`; without it (a new `out/`), everything renders.
//!
//! A level up, each plan has a key too: the library, the layouts, the plan's own text and its
//! imported answers. A plan whose key did not change is not even resolved: its packets are the
//! cached ones, and the private index takes its summary from the cache. So editing one plan of a
//! thousand costs that plan, not the thousand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::load::{Loaded, Site};
use crate::model::{AnswerFile, Plan};
use crate::resolve::{Booklet, Packet, PatientSummary};
use crate::templates::Templates;
use crate::token::Secret;
use crate::write::Listing;

/// The cache file's name in `out/`.
pub const FILE: &str = crate::output::CACHE_FILE;

/// What the previous build wrote, per packet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cache {
    /// The tarea version that wrote it: another version starts afresh.
    pub version: String,
    /// By packet token.
    pub packets: BTreeMap<String, Entry>,
    /// By patient id: the plans whose every packet and private page the last build wrote.
    #[serde(default)]
    pub plans: BTreeMap<String, PlanEntry>,
    /// The private index the build wrote: the next build takes unchanged patients' sections
    /// from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexEntry>,
}

/// What the last private index was made from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Its hash ([`crate::write::manifest::hash`]): sections are taken from the file only while it is exactly this.
    pub hash: String,
    /// By patient id, the key of the plan ([`plan_key`]) their section was made from: not always
    /// the plan entry's key, which a partial build keeps from an earlier build while it renders
    /// the section from the plan as it is now.
    pub sections: BTreeMap<String, String>,
}

/// One plan's share of the last build: what it was made from, and what the private index needs
/// of it, so an unchanged plan is neither resolved nor rendered again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanEntry {
    /// The hash of its inputs ([`plan_key`]).
    pub key: String,
    /// What the private index shows of the patient. Passwords are never stored: they are worked
    /// out again from the secret; the charts (only the patient's own page draws them) are left out.
    /// Shared with the build's list of patients: one copy of each summary per build.
    pub summary: Arc<PatientSummary>,
    /// Its private pages (therapist copies, the patient's page): paths under `out/`.
    pub files: Vec<PathBuf>,
    /// Imported answers that no longer fit their packet, by session date: warned about again at
    /// every build, as when the plan was resolved.
    #[serde(default)]
    pub stale: Vec<(String, String)>,
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
        // A plan's entry may name only that patient's private pages, and packets of its own.
        cache.plans.retain(|id, entry| {
            let folder = crate::output::private_file(id);
            let tokens_ok = entry.summary.packets.iter().all(|l| {
                l.patient_id == *id && l.token.bytes().all(|b| b.is_ascii_alphanumeric()) && l.password.is_none()
            });
            tokens_ok
                && entry.summary.id == *id
                && entry.files.iter().all(|f| {
                    f.strip_prefix(&folder).is_ok_and(|name| name.components().count() == 1)
                        && crate::write::manifest::owned_path(&f.to_string_lossy()).is_some()
                })
        });
        cache
    }

    /// The plan entry of `id` if it was made from `key` and everything it stands for is on disk:
    /// its private pages, and every packet's files as the packet entries list them.
    pub fn plan_hit(&self, on_disk: &Listing, id: &str, key: &str) -> Option<&PlanEntry> {
        let entry = self.plans.get(id).filter(|e| e.key == key)?;
        let packets_there = entry
            .summary
            .packets
            .iter()
            .all(|l| self.packets.get(&l.token).is_some_and(|p| p.files.iter().all(|f| on_disk.has(f))));
        (packets_there && entry.files.iter().all(|f| on_disk.has(f))).then_some(entry)
    }

    /// Saves the entries of `self` that `previous` has with the same key: the packets whose files
    /// on disk are right whether or not this build's moves are done. Saved before the moves, so a
    /// build killed half-way never leaves a cache that vouches for a half-replaced packet. Nothing
    /// is written when `previous` — what the file holds, or less — has no entry that `self`
    /// changed or dropped (a build with nothing new).
    pub fn save_settled(&self, previous: &Cache, out: &Path) -> Result<()> {
        if previous.within(self) {
            return Ok(());
        }
        // The index is replaced by the moves too: the settled cache vouches for the old one.
        let settled = View {
            version: &self.version,
            packets: Settled { now: &self.packets, before: &previous.packets },
            plans: Settled { now: &self.plans, before: &previous.plans },
            index: &previous.index,
        };
        save(&settled, out)
    }

    /// The files of `token`'s packet if they are on disk and were made from `key`.
    pub fn hit(&self, on_disk: &Listing, token: &str, key: &str) -> Option<&[PathBuf]> {
        let entry = self.packets.get(token)?;
        (entry.key == key && entry.files.iter().all(|f| on_disk.has(f))).then_some(entry.files.as_slice())
    }

    /// Writes the cache into `out` after the moves, unless every entry of it is one `previous` has
    /// with the same key: then the file already says it (as `previous`, or as what
    /// [`Cache::save_settled`] wrote), and a build with nothing new touches nothing.
    pub fn save(&self, previous: &Cache, out: &Path) -> Result<()> {
        if self.within(previous) { Ok(()) } else { save(self, out) }
    }

    /// Whether every entry of `self` is one `other` has, made from the same key. An entry's key
    /// stands for everything the entry holds, so two caches within each other say the same.
    fn within(&self, other: &Cache) -> bool {
        fn keyed<V: Keyed>(mine: &BTreeMap<String, V>, theirs: &BTreeMap<String, V>) -> bool {
            mine.iter().all(|(id, entry)| theirs.get(id).is_some_and(|e| e.key() == entry.key()))
        }
        self.version == other.version
            && self.index == other.index
            && keyed(&self.packets, &other.packets)
            && keyed(&self.plans, &other.plans)
    }
}

/// Writes `cache` into `out`: it differs from what the file holds, so it is streamed straight in
/// (at 5,000 patients the cache is 10 MB, and its text whole in memory was the largest thing a
/// build held at its end), serialised once.
fn save(cache: &impl Serialize, out: &Path) -> Result<()> {
    crate::write::durable_write_with(out, FILE, &mut |file| serde_json::to_writer(file, cache).map_err(Into::into))
}

/// The cache's shape on disk, over borrowed maps.
#[derive(Serialize)]
struct View<'a, P: Serialize, Q: Serialize> {
    version: &'a str,
    packets: P,
    plans: Q,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: &'a Option<IndexEntry>,
}

/// The entries of `now` that `before` has with the same key.
struct Settled<'a, V> {
    now: &'a BTreeMap<String, V>,
    before: &'a BTreeMap<String, V>,
}

/// An entry made from inputs with a key.
trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for Entry {
    fn key(&self) -> &str {
        &self.key
    }
}

impl Keyed for PlanEntry {
    fn key(&self) -> &str {
        &self.key
    }
}

impl<V: Keyed + Serialize> Serialize for Settled<'_, V> {
    fn serialize<S: serde::Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
        let same = |(id, entry): &(&String, &V)| self.before.get(*id).is_some_and(|old| old.key() == entry.key());
        to.collect_map(self.now.iter().filter(same))
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

/// What every plan's output is made from besides the plan: the layouts' fingerprint, the clinic,
/// every homework, the secret (tokens and passwords come from it) and the build's choices.
pub struct SiteInputs<'a> {
    /// The layouts' [`fingerprint`].
    pub fingerprint: &'a str,
    /// The library.
    pub site: &'a Site,
    /// The site secret.
    pub secret: &'a Secret,
    /// Every packet sealed (`build --encrypt`).
    pub encrypt_all: bool,
    /// Whether PDFs are made.
    pub pdf: bool,
}

/// The part of every plan's key that the plans share.
pub fn site_key(inputs: &SiteInputs<'_>) -> String {
    let mut hash = Sha256::new();
    hash.update(inputs.fingerprint.as_bytes());
    let text = |hash: &mut Sha256, name: &str, text: &str| {
        for part in [name, text] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
    };
    text(&mut hash, "clinic", &inputs.site.clinic.source.text);
    for (id, homework) in &inputs.site.homework {
        text(&mut hash, id, &homework.source.text);
    }
    // Not the secret itself: a hash of it, so the cache says nothing about it.
    hash.update(inputs.secret.derive(&[b"tarea build cache"]));
    hash.update([u8::from(inputs.encrypt_all), u8::from(inputs.pdf)]);
    hex(&hash.finalize())
}

/// The key of one plan's packets and private pages: the [`site_key`], the plan's text and the
/// answers imported for it.
pub fn plan_key(site_key: &str, plan: &Loaded<Plan>, answers: Option<&BTreeMap<String, AnswerFile>>) -> String {
    let mut hash = Sha256::new();
    hash.update(site_key.as_bytes());
    for part in [plan.id.as_str(), plan.source.text.as_str()] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.update(serde_json::to_vec(&answers).unwrap_or_default());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> Entry {
        Entry { key: key.into(), files: vec![PathBuf::from("public/t/index.html")], patient: "ana".into() }
    }

    #[test]
    fn the_settled_cache_vouches_only_for_packets_made_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let mut previous = Cache { version: "v".into(), ..Cache::default() };
        previous.packets.insert("same".into(), entry("k1"));
        previous.packets.insert("changed".into(), entry("k2"));
        let mut now = previous.clone();
        now.packets.insert("changed".into(), entry("k3"));
        now.packets.insert("new".into(), entry("k4"));
        now.save_settled(&previous, dir.path()).unwrap();
        let saved: Cache = serde_json::from_slice(&std::fs::read(dir.path().join(FILE)).unwrap()).unwrap();
        assert_eq!(saved.version, "v");
        assert_eq!(saved.packets.keys().collect::<Vec<_>>(), ["same"]);
        assert_eq!(saved.packets["same"], entry("k1"));
        now.save(&previous, dir.path()).unwrap();
        let saved: Cache = serde_json::from_slice(&std::fs::read(dir.path().join(FILE)).unwrap()).unwrap();
        assert_eq!(saved.packets.len(), 3);
    }

    #[test]
    fn a_build_with_nothing_new_leaves_the_cache_file_alone_and_one_that_drops_a_packet_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let mut previous = Cache { version: "v".into(), ..Cache::default() };
        previous.packets.insert("a".into(), entry("k1"));
        previous.packets.insert("b".into(), entry("k2"));
        std::fs::write(&path, "what the last build wrote").unwrap();
        // The same entries: neither save touches the file.
        let same = previous.clone();
        same.save_settled(&previous, dir.path()).unwrap();
        same.save(&previous, dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "what the last build wrote");
        // A packet gone (its session left the plan): the settled cache no longer names it, and
        // the final save has nothing to add to that.
        let mut fewer = previous.clone();
        fewer.packets.remove("b");
        fewer.save_settled(&previous, dir.path()).unwrap();
        let saved: Cache = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved.packets.keys().collect::<Vec<_>>(), ["a"]);
        std::fs::write(&path, "settled").unwrap();
        fewer.save(&previous, dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "settled");
        // Another tarea version's cache is never taken as this one's.
        let newer = Cache { version: "w".into(), ..previous.clone() };
        newer.save(&previous, dir.path()).unwrap();
        assert_eq!(serde_json::from_slice::<Cache>(&std::fs::read(&path).unwrap()).unwrap().version, "w");
    }
}
