//! Patient data is data, never code: a hostile name and note show up literally in the HTML, the
//! Markdown and the PDF, with no script, link, markup or layout effect.

use crate::common::*;

const EVIL: &str = "#set page(width: 1cm) <script>alert(1)</script> $x$ *b* [l](javascript:alert(1))";

fn hostile_site() -> tempfile::TempDir {
    let site = fixture("small");
    let plan = format!(
        "name = {evil:?}\nlanguage = \"en\"\ntherapist = {evil:?}\n\n[[sessions]]\ndate = 2026-11-27\nnext = 2026-11-30\n\n\
         [[sessions.tasks]]\nhomework = \"record\"\nnote = {note:?}\n",
        evil = EVIL,
        note = format!("{EVIL}\n\n<img src=x onerror=alert(2)> <iframe src=\"https://evil.example\"></iframe>"),
    );
    std::fs::write(site.path().join("library/plans/tom.toml"), plan).unwrap();
    site
}

#[test]
fn html_shows_the_name_literally_and_runs_nothing() {
    let site = hostile_site();
    build(site.path()).expect("hostile text is still valid input");
    let dir = packet_for(site.path(), EVIL, "2026-11-27");
    for page in ["index.html", "record.html"] {
        let doc = html(&dir.join(page));
        assert_eq!(texts(&doc, ".patient"), [EVIL], "{page}");
        for dangerous in
            ["script:not([src='../assets/form.js'])", "iframe", "img", "a[href^='javascript']", "[onerror]"]
        {
            assert_eq!(doc.select(&sel(dangerous)).count(), 0, "{page} has {dangerous}");
        }
    }
    let task = html(&dir.join("record.html"));
    let note = texts(&task, ".note")[0].clone();
    assert!(note.contains("<script>alert(1)</script>") && note.contains("<img src=x onerror=alert(2)>"), "{note}");
}

#[test]
fn markdown_copy_renders_back_to_the_literal_name() {
    let site = hostile_site();
    build(site.path()).unwrap();
    let dir = packet_for(site.path(), EVIL, "2026-11-27");
    let md = std::fs::read_to_string(dir.join("packet.md")).unwrap();
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, pulldown_cmark::Parser::new(&md));
    let doc = scraper::Html::parse_fragment(&rendered);
    assert_eq!(texts(&doc, "h1"), [format!("Homework: {EVIL}")]);
    assert_eq!(doc.select(&sel("script, a, img, iframe")).count(), 0, "{rendered}");
}

#[test]
fn pdf_shows_the_name_literally_and_keeps_its_layout() {
    let site = hostile_site();
    build(site.path()).unwrap();
    let dir = packet_for(site.path(), EVIL, "2026-11-27");
    let pages = pdf_pages(&dir.join("packet.pdf"));
    assert!(pages[0].contains(EVIL), "cover text: {}", pages[0]);
    assert!(pages.iter().skip(1).any(|p| p.contains("<img src=x onerror=alert(2)>")), "the note is shown as text");
    // `#set page(width: 1cm)` did nothing: every page is still A4 (595 × 842 pt, either way up).
    let pdf = lopdf::Document::load(dir.join("packet.pdf")).unwrap();
    for (_, page) in pdf.get_pages() {
        let media = pdf.get_dictionary(page).unwrap().get(b"MediaBox").unwrap().as_array().unwrap();
        let size: Vec<f32> = media.iter().map(|v| v.as_float().unwrap()).collect();
        let (w, h) = (size[2] - size[0], size[3] - size[1]);
        let (short, long) = (w.min(h), w.max(h));
        assert!((short - 595.3).abs() < 1.0 && (long - 841.9).abs() < 1.0, "page is {w} × {h}");
    }
}
