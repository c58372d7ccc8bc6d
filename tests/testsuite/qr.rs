//! The QR code on a packet's printed cover: rasterised as a printer would (poppler's `pdftoppm`),
//! then read back by a real QR decoder (`rqrr`), it must lead to that packet's address — the one
//! the therapist sends, as listed in the private index.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Page 1 of `pdf` as a greyscale image at 150 dpi (a modest scan of a printed sheet).
fn first_page(pdf: &Path) -> image::GrayImage {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "could not run `pdftoppm` ({e}): this test rasterises the PDF with poppler; \
                 install it with `apt-get install poppler-utils` (or `brew install poppler`)"
            )
        });
    assert!(status.success(), "pdftoppm failed on {}: {status}", pdf.display());
    image::open(prefix.with_extension("png")).expect("pdftoppm wrote a PNG").to_luma8()
}

/// Every QR code found on the image, decoded.
fn decode_all(page: image::GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(page);
    prepared.detect_grids().iter().map(|grid| grid.decode().expect("the QR code decodes").1).collect()
}

#[test]
fn the_cover_qr_code_decodes_to_the_packet_url() {
    let site = fixture("small");
    build(site.path()).expect("the fixture builds");

    // The links the therapist sends, from the private index: token folder → URL.
    let index = html(&site.path().join("out/private/index.html"));
    let links: Vec<(String, String)> = index
        .select(&sel("table.index a.packet-link"))
        .map(|a| {
            let href = a.attr("href").unwrap();
            let token = href.trim_start_matches("../public/").trim_end_matches("/index.html").to_string();
            (token, normalise(&a.text().collect::<String>()))
        })
        .collect();
    let dirs = packet_dirs(site.path());
    assert_eq!(links.len(), dirs.len(), "one link per packet");
    assert_eq!(dirs.len(), 5);

    for dir in &dirs {
        let token = dir.file_name().unwrap().to_string_lossy().to_string();
        let url = &links.iter().find(|(t, _)| *t == token).unwrap_or_else(|| panic!("{token} is not in the index")).1;
        assert_eq!(url, &format!("https://example.org/deberes/{token}/"));
        let decoded = decode_all(first_page(&dir.join("packet.pdf")));
        assert_eq!(
            decoded,
            std::slice::from_ref(url),
            "page 1 of {token}'s PDF should carry exactly one QR code, to its URL"
        );
        // The address is printed beside the code too, for those who would rather type it.
        let cover = &pdf_pages(&dir.join("packet.pdf"))[0];
        assert!(cover.contains(url.as_str()), "{cover}");
    }
}

#[test]
fn the_qr_code_is_in_the_packets_language_and_survives_large_print_and_letter_paper() {
    let site = fixture("small");
    let clinic = site.path().join("library/clinic.toml");
    let text = std::fs::read_to_string(&clinic).unwrap().replace("paper = \"a4\"", "paper = \"us-letter\"");
    std::fs::write(&clinic, text).unwrap();
    set_in_plan(site.path(), "tom.toml", "therapist = \"Laura\"", "large_print = true");
    build(site.path()).unwrap();

    let captions = [
        ("Elisa", "2026-11-26", "Escanéalo para abrir tus tareas"),
        ("Tom", "2026-11-27", "Scan it to open your homework"),
        ("Marta", "2026-11-26", "Escaneja'l per obrir els deures"),
    ];
    for (patient, date, caption) in captions {
        let dir = packet_for(site.path(), patient, date);
        let token = dir.file_name().unwrap().to_string_lossy().to_string();
        let cover = &pdf_pages(&dir.join("packet.pdf"))[0];
        assert!(cover.contains(caption), "{patient}: {cover}");
        let decoded = decode_all(first_page(&dir.join("packet.pdf")));
        assert_eq!(decoded, [format!("https://example.org/deberes/{token}/")], "{patient}");
    }
}
