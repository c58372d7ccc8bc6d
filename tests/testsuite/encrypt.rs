//! Password-protected packets: the published folder holds one locked page of ciphertext; the
//! password (and only it) opens every page and file, through the same PBKDF2-SHA256 + AES-256-GCM
//! steps the page's script runs with WebCrypto.

use crate::common::*;
use tarea::seal::{Sealed, open};

const NAME: &str = "Tomasina Quixote";
const PASSWORD: &str = "correct-horse-battery-staple";

fn sealed_site() -> tempfile::TempDir {
    let site = fixture("small");
    let plan = format!(
        "name = \"{NAME}\"\nlanguage = \"en\"\ntherapist = \"Laura\"\npassword = \"{PASSWORD}\"\n\
         [[sessions]]\ndate = 2026-11-27\n[[sessions.tasks]]\nhomework = \"record\"\nnote = \"A private note for {NAME}.\"\n"
    );
    std::fs::write(site.path().join("library/plans/tom.toml"), plan).unwrap();
    let marta = site.path().join("library/plans/marta.toml");
    let text = std::fs::read_to_string(&marta).unwrap().replacen(
        "perfectionism = true",
        "perfectionism = true\nencrypt = true",
        1,
    );
    std::fs::write(&marta, text).unwrap();
    site
}

fn sealed_in(page: &std::path::Path) -> Sealed {
    let doc = html(page);
    let json = doc.select(&sel("script#tarea-sealed")).next().expect("a sealed packet").text().collect::<String>();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn an_encrypted_packet_opens_with_its_password_only() {
    let site = sealed_site();
    build(site.path()).unwrap();
    let index = html(&site.path().join("out/private/index.html"));
    let row = index
        .select(&sel("tr"))
        .find(|tr| texts_in(tr, "a.packet-link").len() == 1 && tr.html().contains("2026-11-27"))
        .unwrap();
    assert_eq!(texts_in(&row, "code.password"), [PASSWORD], "the password is on the private side");
    let token =
        row.select(&sel("a.packet-link")).next().unwrap().attr("href").unwrap().split('/').nth(2).unwrap().to_string();
    let dir = site.path().join("out/public").join(&token);
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert_eq!(names, ["index.html"], "only the locked page is published");

    let sealed = sealed_in(&dir.join("index.html"));
    assert_eq!(sealed.iterations, 600_000);
    assert!(open(&sealed, "not the password").is_err());
    let bundle = open(&sealed, PASSWORD).unwrap();
    assert!(bundle.pages["index.html"].contains(NAME));
    assert!(bundle.pages["record.html"].contains(&format!("A private note for {NAME}.")));
    use base64::Engine;
    let pdf = base64::engine::general_purpose::STANDARD.decode(&bundle.files["packet.pdf"]).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(bundle.files.contains_key("packet.md"));
}

#[test]
fn no_public_byte_holds_an_encrypted_patients_name() {
    let site = sealed_site();
    build(site.path()).unwrap();
    for (path, bytes) in snapshot(&site.path().join("out/public")) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in [NAME, "Marta", "private note"] {
            assert!(!text.contains(secret), "{} holds {secret:?}", path.display());
        }
    }
    // A made-up passphrase opens Marta's packets; it is listed privately.
    let csv = std::fs::read_to_string(site.path().join("out/private/links.csv")).unwrap();
    let marta: Vec<&str> = csv.lines().filter(|l| l.starts_with("\"marta\"")).collect();
    assert_eq!(marta.len(), 2);
    let password = marta[0].rsplit(',').next().unwrap().trim_matches('"');
    assert_eq!(password.len(), 24, "{password}");
    let token = marta[0].split(',').nth(3).unwrap().trim_matches('"').trim_end_matches('/').rsplit('/').next().unwrap();
    let bundle = open(&sealed_in(&site.path().join("out/public").join(token).join("index.html")), password).unwrap();
    assert!(bundle.pages["index.html"].contains("Marta"));
}

#[test]
fn encrypted_builds_are_reproducible_too() {
    let site = sealed_site();
    build(site.path()).unwrap();
    let once = snapshot(&site.path().join("out"));
    // The second build takes every plan from the cache: the passwords in the private index and
    // links.csv are worked out again, for the cache never holds one.
    assert_eq!(build(site.path()).unwrap().plans, 0);
    assert!(snapshot(&site.path().join("out")) == once);
    let cache = std::fs::read_to_string(site.path().join("out/.tarea-cache")).unwrap();
    let csv = std::fs::read_to_string(site.path().join("out/private/links.csv")).unwrap();
    let passwords: std::collections::BTreeSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().trim_matches('"'))
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(passwords.len(), 2, "Tom's own password and Marta's made-up one: {csv}");
    assert!(passwords.iter().all(|p| !cache.contains(p)), "a password is in the build cache");
}

#[test]
fn build_encrypt_seals_every_packet_and_lists_every_password() {
    let site = fixture("small");
    let options = tarea::BuildOptions { root: site.path().to_path_buf(), out: site.path().join("out") };
    let filter = tarea::BuildRequest { encrypt: true, ..Default::default() };
    tarea::build_with(&options, &filter, None).unwrap();
    for dir in packet_dirs(site.path()) {
        let names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(names, ["index.html"], "{} is not sealed", dir.display());
    }
    let index = html(&site.path().join("out/private/index.html"));
    let passwords = texts(&index, "code.password");
    assert_eq!(passwords.len(), packet_dirs(site.path()).len(), "the summary table shows each packet's password");
    let csv = std::fs::read_to_string(site.path().join("out/private/links.csv")).unwrap();
    assert!(csv.lines().skip(1).all(|l| l.rsplit(',').next().unwrap().trim_matches('"').len() == 24), "{csv}");
}
