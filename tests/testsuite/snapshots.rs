//! Whole-output snapshots of the example library (insta): each packet's Markdown in full, and an
//! outline of every page's `<main>` (one line per heading, paragraph, list item, table header,
//! field label and legend), the therapist copies and the private index included. Any change to a
//! text a patient or a therapist reads shows up as a reviewable diff, in the files under
//! `tests/testsuite/snapshots/` (accept a reviewed change with `INSTA_UPDATE=always cargo test`).
//! Packet tokens depend on each site's random secret, so they are redacted.

use std::path::Path;

use crate::common::*;

/// The text of `<main>`, one line per block a reader reads, in page order.
fn outline(page: &Path) -> String {
    let doc = html(page);
    let tags = ["h1", "h2", "h3", "h4", "p", "li", "th", "label", "legend", "dt", "dd", "figcaption", "summary"];
    let blocks = sel(&tags.map(|t| format!("main {t}")).join(", "));
    let mut lines = String::new();
    for block in doc.select(&blocks) {
        let text = normalise(&block.text().collect::<String>());
        if !text.is_empty() {
            lines.push_str(&format!("{}: {text}\n", block.value().name()));
        }
    }
    lines
}

/// Every page under `dir` with its outline, by file name.
fn outlines(dir: &Path) -> String {
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    pages.sort();
    pages.iter().map(|p| format!("== {}\n{}", p.file_name().unwrap().to_string_lossy(), outline(p))).collect()
}

#[test]
fn the_example_library_reads_as_reviewed() {
    let site = site_from(&repo());
    build(site.path()).unwrap();
    let out = site.path().join("out");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{32}", "[token]");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        let packets = tarea::packets(site.path()).unwrap();
        assert!(packets.len() >= 10, "the example library has its packets");
        for (packet, link) in &packets {
            let dir = out.join(tarea::output::packet_dir(&packet.token));
            let name = format!("{}-{}", link.patient_id, link.date);
            if let Ok(markdown) = std::fs::read_to_string(dir.join(tarea::output::MARKDOWN)) {
                insta::assert_snapshot!(format!("{name}-md"), markdown);
            }
            insta::assert_snapshot!(format!("{name}-pages"), outlines(&dir));
            let copy = out.join(tarea::output::therapist_copy(&link.patient_id, &link.date));
            insta::assert_snapshot!(format!("{name}-copy"), outline(&copy));
        }
        insta::assert_snapshot!("private-index", outline(&out.join(tarea::output::private_file("index.html"))));
    });
}
