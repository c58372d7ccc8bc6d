//! A table of hostile inputs: each gives a clear error or a literal rendering — never a crash, a
//! script, or a file outside `out/`.

use std::path::Path;

use crate::common::*;

/// What a hostile input must lead to.
enum Expect {
    /// The build succeeds and the PDF shows this text literally.
    Literal(&'static str),
    /// The build fails with an error containing this.
    Error(&'static str),
}

/// Replaces Tom's plan (English, one session on 2026-11-27) with `plan`.
fn with_plan(root: &Path, plan: &str) {
    std::fs::write(root.join("library/plans/tom.toml"), plan).unwrap();
}

fn tom(name: &str, note: &str) -> String {
    format!(
        "name = {}\nlanguage = \"en\"\ntherapist = \"Laura\"\n[[sessions]]\ndate = 2026-11-27\n[[sessions.tasks]]\nhomework = \"record\"\nnote = {}\n",
        toml::Value::String(name.into()),
        toml::Value::String(note.into())
    )
}

/// Everything under the site root that is not input or output.
fn strays(root: &Path) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .max_depth(1)
        .into_iter()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !["library", "templates", "out", ".tarea"].contains(&n.as_str()))
        .collect()
}

#[test]
fn hostile_inputs_give_a_clear_error_or_literal_text() {
    let megabyte = "x".repeat(1 << 20);
    let deep = format!(
        "name = \"a\"\nlanguage = \"en\"\ntherapist = \"t\"\nx = {}{}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let cases: Vec<(&str, String, Expect)> = vec![
        ("script in the name", tom("<script>alert(1)</script>", "ok"), Expect::Literal("<script>alert(1)</script>")),
        (
            "Typst code in the note",
            tom("Tom", "#set page(width: 1cm) #pagebreak() $x^2$ #sys.inputs"),
            Expect::Literal("#set page(width: 1cm) #pagebreak() $x^2$ #sys.inputs"),
        ),
        ("a javascript link", tom("Tom", "[click](javascript:alert(1)) here"), Expect::Literal("click here")),
        (
            "raw HTML in the note",
            tom("Tom", "<img src=x onerror=alert(1)>"),
            Expect::Literal("<img src=x onerror=alert(1)>"),
        ),
        ("a NUL character", tom("To\u{0}m", "ok"), Expect::Error("control character U+0000")),
        ("a bell in the note", tom("Tom", "ring \u{7}"), Expect::Error("control character U+0007")),
        ("a 1 MB name", tom(&megabyte, "ok"), Expect::Error("at most 80 fit on a sheet")),
        ("a 1 MB note", tom("Tom", &megabyte), Expect::Error("at most 3000 fit on a sheet")),
        ("deeply nested TOML", deep, Expect::Error("library/plans/tom.toml")),
        (
            "path traversal in a homework id",
            tom("Tom", "ok").replace("\"record\"", "\"../../etc/passwd\""),
            Expect::Error("unknown homework `../../etc/passwd`"),
        ),
        // The plan's bytes are written below: not UTF-8.
        ("not UTF-8", String::new(), Expect::Error("library/plans/tom.toml")),
    ];
    for (what, plan, expect) in cases {
        let site = fixture("small");
        let root = site.path();
        with_plan(root, &plan);
        if what == "not UTF-8" {
            std::fs::write(root.join("library/plans/tom.toml"), b"name = \"\xff\xfe\"\n").unwrap();
        }
        let result = std::panic::catch_unwind(|| build(root));
        let result = result.unwrap_or_else(|_| panic!("{what}: tarea panicked"));
        match expect {
            Expect::Literal(text) => {
                result.unwrap_or_else(|e| panic!("{what}: {e}"));
                let dir = packet_for(
                    root,
                    &if what.contains("name") { text.to_string() } else { "Tom".into() },
                    "2026-11-27",
                );
                let pdf = pdf_pages(&dir.join("packet.pdf")).join(" ");
                assert!(pdf.contains(text), "{what}: {text:?} not shown literally in {pdf}");
                for page in ["index.html", "record.html"] {
                    let doc = html(&dir.join(page));
                    assert_eq!(
                        doc.select(&sel(
                            "script:not([src='../assets/form.js']), img, iframe, a[href^='javascript'], [onerror]"
                        ))
                        .count(),
                        0,
                        "{what}: {page}"
                    );
                }
            }
            Expect::Error(message) => {
                let error = result.err().unwrap_or_else(|| panic!("{what}: the build should fail"));
                let shown = error.to_string();
                assert!(shown.contains(message), "{what}: {shown}");
                assert!(shown.len() < 20_000, "{what}: the report is {} bytes", shown.len());
                // Only Tom's plan is broken: Elisa's and Marta's four packets are built, his is not.
                assert_eq!(packet_dirs(root).len(), 4, "{what}: only the broken plan's packet is missing");
                assert!(shown.contains("not built: the packets of tom ("), "{what}: {shown}");
            }
        }
        assert!(strays(root).is_empty(), "{what}: files outside out/: {:?}", strays(root));
    }
}

#[cfg(unix)]
#[test]
fn links_out_of_the_site_are_not_followed() {
    let site = fixture("small");
    let root = site.path();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.toml"), "name = \"outside\"\nlanguage = \"en\"\ntherapist = \"t\"\n")
        .unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.toml"), root.join("library/plans/linked.toml")).unwrap();
    std::fs::create_dir_all(root.join("templates/assets")).unwrap();
    std::fs::write(outside.path().join("evil.css"), "body{}").unwrap();
    std::os::unix::fs::symlink(outside.path().join("evil.css"), root.join("templates/assets/tarea.css")).unwrap();
    let report = build(root).expect("links are skipped, the rest builds");
    let warnings: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        warnings.iter().any(|w| w.contains("library/plans/linked.toml") && w.contains("symbolic link")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("templates/assets/tarea.css") && w.contains("symbolic link")),
        "{warnings:?}"
    );
    let css = std::fs::read_to_string(root.join("out/public/assets/tarea.css")).unwrap();
    assert!(css.contains("@font-face"), "the built-in stylesheet is used");
    let index = std::fs::read_to_string(root.join("out/private/index.html")).unwrap();
    assert!(!index.contains("outside"));
}

#[test]
fn a_deleted_session_disappears_and_foreign_files_stay() {
    let site = fixture("small");
    let root = site.path();
    build(root).unwrap();
    let marta_later = packet_for(root, "Marta", "2026-12-03");
    std::fs::write(root.join("out/public/hello.html"), "the web admin's page").unwrap();
    let plan = root.join("library/plans/marta.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, &text[..text.find("\n[[sessions]]\ndate = 2026-12-03").unwrap()]).unwrap();
    let report = build(root).unwrap();
    assert!(!marta_later.exists(), "the deleted session's packet is gone");
    assert_eq!(std::fs::read_to_string(root.join("out/public/hello.html")).unwrap(), "the web admin's page");
    assert_eq!(report.foreign, [Path::new("public/hello.html")]);
    assert!(report.removed > 0);
}

#[test]
fn an_out_folder_that_is_not_tarea_output_is_refused() {
    let site = fixture("small");
    let root = site.path();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("thesis.tex"), "years of work").unwrap();
    let options = tarea::BuildOptions { root: root.to_path_buf(), out: elsewhere.path().to_path_buf() };
    let error = tarea::build(&options).unwrap_err().to_string();
    assert!(error.contains("refusing to build into it"), "{error}");
    assert_eq!(std::fs::read_to_string(elsewhere.path().join("thesis.tex")).unwrap(), "years of work");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 1);
}

#[test]
fn published_pages_are_private_by_default() {
    let site = fixture("small");
    let root = site.path();
    build(root).unwrap();
    let public = root.join("out/public");
    // No robots.txt: it would sit under the base path, where crawlers never read it, and a
    // `Disallow` would keep them from seeing the `noindex` that does keep packets out of results.
    assert!(!public.join("robots.txt").exists());
    assert!(std::fs::read_to_string(public.join("_headers")).unwrap().contains("X-Robots-Tag: noindex"));
    for (path, bytes) in snapshot(&public) {
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let doc = scraper::Html::parse_document(&String::from_utf8(bytes).unwrap());
        let meta = |name: &str| {
            doc.select(&sel(&format!("meta[name='{name}']"))).next().and_then(|m| m.attr("content").map(String::from))
        };
        assert_eq!(meta("robots").as_deref(), Some("noindex,nofollow"), "{}", path.display());
        assert_eq!(meta("referrer").as_deref(), Some("no-referrer"), "{}", path.display());
        // Nothing is loaded from elsewhere: every src and stylesheet is local.
        for element in doc.select(&sel("[src], link[href]")) {
            let target = element.attr("src").or(element.attr("href")).unwrap();
            assert!(!target.contains("//"), "{} loads {target}", path.display());
        }
    }
}
