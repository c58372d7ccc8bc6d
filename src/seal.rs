//! Password-protected packets: every file of a packet sealed into one page that the patient's
//! browser opens with their password.
//!
//! The key is PBKDF2-SHA256 (600,000 iterations) of the password and a 16-byte salt; the bundle
//! (pages, PDF, Markdown) is encrypted with AES-256-GCM. The published page holds only ciphertext;
//! `assets/unlock.js` decrypts it with the browser's WebCrypto API. What this protects against and
//! what it does not (offline guessing of weak passwords) is in docs/publishing.md.
//!
//! Salt and nonce are derived from the site secret, the packet token and the content, so a rebuild
//! of the same packet gives the same bytes (reproducible output) while different content never
//! reuses a nonce under the same key.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Result, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::token::Secret;

/// Where a site remembers that it is published sealed (`tarea build --encrypt`), relative to its
/// root. Sealing is a property of the site, kept beside its secret: no later command line, cache
/// wipe or upgrade can forget it. `tarea build --unseal` removes it.
pub const SEALED_STATE: &str = ".tarea/sealed";

const SEALED_NOTE: &str = "# `tarea build --encrypt` sealed this site: every build publishes every packet \
password-protected.\n# To publish in the clear on purpose, run `tarea build --unseal` (it removes this file).\n";

/// Whether `tarea build --encrypt` sealed the site at `root` (and no `--unseal` since).
pub fn site_sealed(root: &std::path::Path) -> bool {
    root.join(SEALED_STATE).is_file()
}

/// Records that the site at `root` is published sealed.
pub fn remember_sealed(root: &std::path::Path) -> Result<()> {
    let path = root.join(SEALED_STATE);
    if path.is_file() {
        return Ok(());
    }
    crate::token::private_dir(root)?;
    std::fs::write(&path, SEALED_NOTE).map_err(|e| anyhow!("writing {}: {e}", path.display()))
}

/// Forgets that the site at `root` is sealed (`tarea build --unseal`).
pub fn forget_sealed(root: &std::path::Path) -> Result<()> {
    let path = root.join(SEALED_STATE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(anyhow!("removing {}: {e}", path.display())),
        _ => Ok(()),
    }
}

/// Whether a published page is a sealed packet (its locked page carries the ciphertext).
pub fn is_sealed_page(page: &[u8]) -> bool {
    const MARK: &[u8] = b"id=\"tarea-sealed\"";
    page.windows(MARK.len()).any(|w| w == MARK)
}

/// PBKDF2 rounds: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
pub const ITERATIONS: u32 = 600_000;

/// What the locked page carries: everything the browser needs to decrypt, and nothing else.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sealed {
    /// Format version.
    pub v: u32,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// Base64 salt.
    pub salt: String,
    /// Base64 AES-GCM nonce.
    pub iv: String,
    /// Base64 ciphertext (with the GCM tag) of the [`Bundle`] as JSON.
    pub data: String,
}

/// The packet inside: its pages as HTML text, its other files as base64, by file name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Bundle {
    /// `index.html`, one page per task, `booklet.html`.
    pub pages: BTreeMap<String, String>,
    /// `packet.pdf`, `packet.md`, `booklet.pdf`, base64.
    pub files: BTreeMap<String, String>,
}

impl Bundle {
    /// Adds one file of the packet folder.
    pub fn add(&mut self, name: &str, bytes: &[u8]) {
        if name.ends_with(".html") {
            self.pages.insert(name.to_string(), String::from_utf8_lossy(bytes).into_owned());
        } else {
            self.files.insert(name.to_string(), BASE64.encode(bytes));
        }
    }
}

/// The AES key for a password and salt.
fn key(password: &str, salt: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, ITERATIONS, &mut key);
    key
}

/// Encrypts a packet's bundle under `password`.
pub fn seal(bundle: &Bundle, password: &str, secret: &Secret, token: &str) -> Result<Sealed> {
    let plaintext = serde_json::to_vec(bundle)?;
    let salt = secret.derive(&[b"tarea-salt", token.as_bytes()]);
    let digest = Sha256::digest(&plaintext);
    let iv = secret.derive(&[b"tarea-iv", token.as_bytes(), &digest]);
    let (salt, iv) = (&salt[..16], &iv[..12]);
    let cipher = Aes256Gcm::new_from_slice(&key(password, salt)).map_err(|e| anyhow!("{e}"))?;
    let data = cipher.encrypt(Nonce::from_slice(iv), plaintext.as_slice()).map_err(|e| anyhow!("encrypting: {e}"))?;
    Ok(Sealed {
        v: 1,
        iterations: ITERATIONS,
        salt: BASE64.encode(salt),
        iv: BASE64.encode(iv),
        data: BASE64.encode(data),
    })
}

/// Decrypts a sealed packet: what the page's script does, in Rust (for tests and for checking).
pub fn open(sealed: &Sealed, password: &str) -> Result<Bundle> {
    let salt = BASE64.decode(&sealed.salt)?;
    let iv = BASE64.decode(&sealed.iv)?;
    let data = BASE64.decode(&sealed.data)?;
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, sealed.iterations, &mut key);
    let cipher = Aes256Gcm::new_from_slice(&key).map_err(|e| anyhow!("{e}"))?;
    let plaintext = cipher.decrypt(Nonce::from_slice(&iv), data.as_slice()).map_err(|_| anyhow!("wrong password"))?;
    Ok(serde_json::from_slice(&plaintext)?)
}

/// JSON that can sit inside `<script type="application/json">` without ending it early.
pub fn script_safe_json(sealed: &Sealed) -> Result<String> {
    Ok(serde_json::to_string(sealed)?.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_the_wrong_password() {
        let secret = Secret::from_bytes(b"0123456789abcdef0123456789abcdef");
        let mut bundle = Bundle::default();
        bundle.add("index.html", b"<p>Elisa</p>");
        bundle.add("packet.pdf", b"%PDF-1.7 ...");
        let sealed = seal(&bundle, "correct horse battery", &secret, "abc").unwrap();
        assert!(!sealed.data.contains("Elisa"));
        assert_eq!(open(&sealed, "correct horse battery").unwrap(), bundle);
        assert!(open(&sealed, "wrong").is_err());
        // Same input, same bytes; other content, another nonce.
        assert_eq!(seal(&bundle, "correct horse battery", &secret, "abc").unwrap(), sealed);
        bundle.add("packet.md", b"x");
        assert_ne!(seal(&bundle, "correct horse battery", &secret, "abc").unwrap().iv, sealed.iv);
    }

    #[test]
    fn the_json_cannot_close_its_script_element() {
        let sealed =
            Sealed { v: 1, iterations: 1, salt: "</script><b>".into(), iv: String::new(), data: String::new() };
        let json = script_safe_json(&sealed).unwrap();
        assert!(!json.contains('<') && !json.contains('>'));
        assert_eq!(serde_json::from_str::<Sealed>(&json).unwrap(), sealed);
    }
}
