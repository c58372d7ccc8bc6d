//! Packet folder names: unguessable, stable capability tokens.
//!
//! A packet's public folder is an HMAC-SHA256 of the patient id and session date under a secret
//! kept in the site (`.tarea/secret`, out of git and out of `out/`): 128 bits nobody can guess,
//! and the same on every rebuild, so a link sent to a patient keeps working.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where a site keeps its secret, relative to the site root.
pub const SECRET_PATH: &str = ".tarea/secret";

/// The site secret that packet tokens are derived from.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Reads the site's secret, if it has one.
pub fn load_secret(root: &Path) -> Result<Option<Secret>> {
    let path = root.join(SECRET_PATH);
    if !path.exists() {
        return Ok(None);
    }
    load_or_create_secret(root).map(|(secret, _)| Some(secret))
}

/// Reads the site's secret, creating one when there is none. The second value says whether it
/// was created (the caller warns: losing it changes every link).
pub fn load_or_create_secret(root: &Path) -> Result<(Secret, Option<PathBuf>)> {
    let path = root.join(SECRET_PATH);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = decode_hex(text.trim())
                .filter(|b| b.len() >= 16)
                .with_context(|| format!("{}: not a tarea secret (expected 64 hex digits)", path.display()))?;
            Ok((Secret(bytes), None))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = vec![0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for the site secret: {e}"))?;
            private_dir(root)?;
            write_private(&path, &hex(&bytes)).with_context(|| format!("writing {}", path.display()))?;
            Ok((Secret(bytes), Some(path)))
        }
        Err(e) => bail!("{}: cannot read the site secret: {e}", path.display()),
    }
}

/// The site's private state folder, `.tarea/` (the secret, whether the site is sealed, `serve`'s
/// preview), created on first use with a `.gitignore` that ignores all of it, so nothing in it can
/// be committed by accident; a `.tarea/` restored from a backup without that file gets it back.
pub fn private_dir(root: &Path) -> Result<PathBuf> {
    let dir = root.join(".tarea");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "*\n").with_context(|| format!("writing {}", ignore.display()))?;
    }
    Ok(dir)
}

/// Replaces the site's secret with a new one, keeping the old one beside it as
/// `.tarea/secret.old-N` (so a rotation by mistake can be undone). Every packet link changes.
pub fn rotate_secret(root: &Path) -> Result<PathBuf> {
    let path = root.join(SECRET_PATH);
    if !path.is_file() {
        bail!("{} does not exist: there is nothing to rotate (the first build creates it)", path.display());
    }
    let kept = (1..).map(|n| root.join(format!("{SECRET_PATH}.old-{n}"))).find(|p| !p.exists()).expect("a free name");
    std::fs::rename(&path, &kept).with_context(|| format!("moving {} aside", path.display()))?;
    load_or_create_secret(root)?;
    Ok(kept)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    writeln!(file, "{text}")
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, format!("{text}\n"))
}

impl Secret {
    /// A secret from known bytes (tests, benchmarks).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Secret(bytes.to_vec())
    }

    /// A keyed digest of `parts` (joined with NUL bytes): stable for this site, unguessable without
    /// its secret.
    pub fn derive(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                mac.update(b"\0");
            }
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// A strong passphrase for a patient's packets, stable across builds: 20 characters from an
    /// alphabet without look-alikes (100 bits), in groups of four, e.g. `K7QM-2XDA-…`.
    pub fn passphrase(&self, patient_id: &str) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let bytes = self.derive(&[b"tarea-passphrase", patient_id.as_bytes()]);
        let chars: Vec<char> = bytes.iter().take(20).map(|b| ALPHABET[usize::from(b & 31)] as char).collect();
        chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
    }

    /// A short code of one packet for its answer file's name (`answers-2026-11-26-k3f9qa.json`), so
    /// that two patients seen the same day send files with different names: six characters that
    /// name neither the patient nor the packet's folder (they come from the secret, not the token).
    pub fn answers_code(&self, token: &str) -> String {
        // Lowercase letters and digits without look-alikes (i, l, o, 0, 1): 31 of them.
        const ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";
        let bytes = self.derive(&[b"tarea-answers-file", token.as_bytes()]);
        bytes.iter().take(6).map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
    }

    /// The public folder name of one patient's packet for one session: 32 hex digits.
    pub fn packet_token(&self, patient_id: &str, date: NaiveDate) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"tarea-packet\0");
        mac.update(patient_id.as_bytes());
        mac.update(b"\0");
        mac.update(date.to_string().as_bytes());
        hex(&mac.finalize().into_bytes()[..16])
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_distinct_and_128_bits() {
        let secret = Secret::from_bytes(b"0123456789abcdef0123456789abcdef");
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let a = secret.packet_token("elisa", day);
        assert_eq!(a, secret.packet_token("elisa", day));
        assert_eq!(a.len(), 32);
        assert_ne!(a, secret.packet_token("elisa", day.succ_opt().unwrap()));
        assert_ne!(a, Secret::from_bytes(b"another secret, another site!!!").packet_token("elisa", day));
        assert!(!a.contains("elisa"));
    }

    #[test]
    fn passphrases_are_stable_per_patient() {
        let secret = Secret::from_bytes(b"0123456789abcdef0123456789abcdef");
        let p = secret.passphrase("elisa");
        assert_eq!(p, secret.passphrase("elisa"));
        assert_ne!(p, secret.passphrase("jordi"));
        assert_eq!(p.len(), 24);
        assert!(p.split('-').all(|g| g.len() == 4));
    }

    #[test]
    fn rotating_changes_every_token_and_keeps_the_old_secret() {
        let dir = tempfile::tempdir().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let (before, _) = load_or_create_secret(dir.path()).unwrap();
        let kept = rotate_secret(dir.path()).unwrap();
        let (after, created) = load_or_create_secret(dir.path()).unwrap();
        assert!(created.is_none());
        assert_ne!(before.packet_token("x", day), after.packet_token("x", day));
        assert!(kept.ends_with(".tarea/secret.old-1") && kept.is_file());
    }

    #[test]
    fn the_secret_is_created_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (first, created) = load_or_create_secret(dir.path()).unwrap();
        assert!(created.is_some());
        let ignore = std::fs::read_to_string(dir.path().join(".tarea/.gitignore")).unwrap();
        assert_eq!(ignore, "*\n", "the folder holding the secret ignores itself in git");
        let (again, created) = load_or_create_secret(dir.path()).unwrap();
        assert!(created.is_none());
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(first.packet_token("x", day), again.packet_token("x", day));
    }
}
