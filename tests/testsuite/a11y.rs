//! Accessibility: every kind of page tarea writes — packet cover, a task page of every homework
//! kind, the booklet, the locked page of a password-protected packet (and what it shows once
//! opened), a therapist copy and the private index — is loaded over HTTP in headless Chromium and
//! audited with axe-core against WCAG 2.0, 2.1 and 2.2 A/AA, at a desktop width and on a phone
//! (375×812). Zero violations are allowed, and every public page's `<html lang>` is the plan's
//! language (the private pages use the clinic's default language). Beyond axe: at 320 px no
//! public page scrolls sideways but for a data table (WCAG 1.4.10); and for the first packet with
//! each kind of task, the locked page and the private index, Tab reaches every link and field in
//! order with a visible focus indicator. `TAREA_AXE_EXTRA_TAGS=best-practice` adds axe's advice.
//!
//! Needs Chromium and axe-core (see `tests/common/browser.rs`): without them these tests skip,
//! unless `TAREA_BROWSER_TESTS=require` (as in `.ci/run`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use crate::common::browser::{Browser, Page, Server, axe_or_skip};
use crate::common::*;
use serde_json::{Value, json};

/// The axe-core tags of WCAG 2.2 level AA (which includes the earlier versions and level A).
const WCAG_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// The tags to audit: [`WCAG_TAGS`] and any in `TAREA_AXE_EXTRA_TAGS` (comma-separated, e.g.
/// `best-practice` to see axe's advice beyond WCAG).
fn tags() -> Vec<String> {
    let extra = std::env::var("TAREA_AXE_EXTRA_TAGS").unwrap_or_default();
    WCAG_TAGS
        .iter()
        .map(|t| t.to_string())
        .chain(extra.split(',').filter(|t| !t.is_empty()).map(String::from))
        .collect()
}

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (375, 812);

/// A built site and what the test needs to know about it.
struct Site {
    dir: tempfile::TempDir,
    /// The clinic's default language: the private pages'.
    default_language: String,
    /// Every packet, by plan id and session date (tokens change with each build's secret).
    packets: Vec<Packet>,
}

/// One packet, as the private index lists it.
struct Packet {
    token: String,
    plan: String,
    date: String,
    /// The plan's language.
    lang: String,
    /// The packet's password, when it is published locked.
    password: Option<String>,
}

impl Site {
    fn build(dir: tempfile::TempDir) -> Site {
        build(dir.path()).expect("the site builds");
        let root = dir.path();
        let clinic: toml::Table =
            toml::from_str(&std::fs::read_to_string(root.join("library/clinic.toml")).unwrap()).unwrap();
        let default_language = clinic["default_language"].as_str().unwrap().to_string();
        let index = html(&root.join("out/private/index.html"));
        let mut packets = Vec::new();
        for section in index.select(&sel("section.patient-summary")) {
            let id = section.attr("id").unwrap().trim_start_matches("patient-").to_string();
            let plan: toml::Table =
                toml::from_str(&std::fs::read_to_string(root.join(format!("library/plans/{id}.toml"))).unwrap())
                    .unwrap();
            let language = plan["language"].as_str().unwrap().to_string();
            for row in section.select(&sel("tbody tr")) {
                let Some(link) = row.select(&sel("a.packet-link")).next() else { continue };
                let token = link.attr("href").unwrap().split('/').nth(2).unwrap().to_string();
                let password = texts_in(&row, "code.password").into_iter().next();
                let date = row.select(&sel("time")).next().unwrap().attr("datetime").unwrap().to_string();
                packets.push(Packet { token, plan: id.clone(), date, lang: language.clone(), password });
            }
        }
        packets.sort_by(|a, b| (&a.plan, &a.date).cmp(&(&b.plan, &b.date)));
        assert_eq!(packets.len(), packet_dirs(root).len(), "the private index lists every packet");
        Site { dir, default_language, packets }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
}

/// One axe finding, grouped across the pages it occurs on.
struct Finding {
    impact: String,
    help: String,
    help_url: String,
    html: String,
    summary: String,
    pages: Vec<String>,
}

/// Audits pages in one tab and collects what it finds.
struct Auditor<'b> {
    page: Page<'b>,
    server: Server,
    axe: String,
    audited: usize,
    findings: BTreeMap<(String, String), Finding>,
    errors: Vec<String>,
    kinds: BTreeSet<String>,
    needs_review: BTreeMap<String, Vec<String>>,
    /// What is allowed but worth knowing (a data table wider than a small phone).
    notes: Vec<String>,
    started: Instant,
}

impl<'b> Auditor<'b> {
    fn new(browser: &'b Browser, axe: String, site: &Site) -> Auditor<'b> {
        let page = browser.new_page();
        page.set_viewport(DESKTOP.0, DESKTOP.1, false);
        Auditor {
            page,
            server: Server::start(&site.out()),
            axe,
            audited: 0,
            findings: BTreeMap::new(),
            errors: Vec::new(),
            kinds: BTreeSet::new(),
            needs_review: BTreeMap::new(),
            notes: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Opens `path` (below `out/`) and audits it.
    fn check(&mut self, path: &str, what: &str, lang: &str) {
        self.page.goto(&self.server.url(path));
        self.audit(&format!("{what} ({path})"), lang);
    }

    /// Audits the document the tab shows now.
    fn audit(&mut self, what: &str, lang: &str) {
        let page = &self.page;
        let shown = page.eval("document.documentElement.getAttribute('lang')");
        if shown != json!(lang) {
            self.errors.push(format!("{what}: <html lang> is {shown}, the language is {lang:?}"));
        }
        page.eval("document.fonts.ready.then(() => true)");
        if page.eval("typeof window.axe") != json!("object") {
            // Injected through DevTools: the page's Content-Security-Policy does not apply to it.
            page.eval(&format!("{}\n;true", self.axe));
        }
        let script = format!(
            "axe.run(document, {{ runOnly: {{ type: 'tag', values: {} }}, resultTypes: ['violations'] }})
               .then(r => ({{
                 violations: r.violations.map(v => ({{ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                   nodes: v.nodes.map(n => ({{ target: n.target.join(' '), html: n.html, summary: n.failureSummary }})) }})),
                 incomplete: r.incomplete.map(v => ({{ id: v.id,
                   nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.any.concat(n.all, n.none).map(c => c.message).join(' ') || '?')) }})),
                 passes: r.passes.map(v => v.id) }}))",
            json!(tags())
        );
        let result = page.eval(&script);
        for violation in result["violations"].as_array().unwrap() {
            let id = violation["id"].as_str().unwrap().to_string();
            for node in violation["nodes"].as_array().unwrap() {
                let target = node["target"].as_str().unwrap_or_default().to_string();
                let finding = self.findings.entry((id.clone(), target)).or_insert_with(|| Finding {
                    impact: violation["impact"].as_str().unwrap_or("?").to_string(),
                    help: violation["help"].as_str().unwrap_or_default().to_string(),
                    help_url: violation["helpUrl"].as_str().unwrap_or_default().to_string(),
                    html: node["html"].as_str().unwrap_or_default().to_string(),
                    summary: node["summary"].as_str().unwrap_or_default().to_string(),
                    pages: Vec::new(),
                });
                finding.pages.push(what.to_string());
            }
        }
        // A guard against an audit that silently checks nothing.
        let passed: Vec<&str> = result["passes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        let ran = |rule: &str| passed.contains(&rule) || self.findings.keys().any(|(id, _)| id == rule);
        for rule in ["html-has-lang", "html-lang-valid", "document-title", "color-contrast"] {
            if !ran(rule) {
                self.errors.push(format!("{what}: axe did not check {rule}"));
            }
        }
        for rule in result["incomplete"].as_array().unwrap() {
            let nodes: Vec<&str> = rule["nodes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            let entry = self.needs_review.entry(rule["id"].as_str().unwrap().to_string()).or_default();
            entry.push(format!("{what}: {}", nodes.join("; ")));
        }
        // Browsers ask every host for /favicon.ico; its 404 is not the page's doing.
        for error in page.errors().into_iter().filter(|e| !e.contains("/favicon.ico")) {
            self.errors.push(format!("{what}: the browser reported: {error}"));
        }
        self.audited += 1;
    }

    /// Keyboard use (WCAG 2.1.1, 2.4.3, 2.4.7): from the top of the page at `path`, Tab reaches
    /// every link and field in document order (a radio group is one stop), and each shows a
    /// visible focus indicator.
    fn check_keyboard(&mut self, path: &str, what: &str) {
        let page = &self.page;
        page.goto(&self.server.url(path));
        // Number the tab stops the page should have; a radio group is one stop.
        let stops = page.eval(
            "(() => {
               // What a closed <details> holds (but its summary) is folded away: no tab stop.
               const folded = e => { const d = e.closest('details:not([open])');
                 return d !== null && !(e.tagName === 'SUMMARY' && e.parentElement === d); };
               const all = [...document.querySelectorAll(
                   'a[href], button, input, select, textarea, summary, iframe, audio[controls], video[controls], [tabindex]')]
                 .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 && !folded(e)
                   && getComputedStyle(e).visibility !== 'hidden' && e.type !== 'hidden');
               const seen = new Set(); let n = 0;
               for (const e of all) {
                 const group = e.type === 'radio' && e.name ? 'radio:' + e.name : null;
                 if (group && seen.has(group)) { e.dataset.stop = [...seen].indexOf(group); continue; }
                 if (group) seen.add(group);
                 e.dataset.stop = n++;
               }
               return n; })()",
        );
        let stops = stops.as_u64().unwrap();
        let focused = "(() => { const e = document.activeElement;
               if (!e || e === document.body) return null;
               const shown = x => { if (!x) return false; const s = getComputedStyle(x);
                 return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; };
               return { stop: e.dataset.stop === undefined ? -1 : Number(e.dataset.stop),
                        html: e.outerHTML.slice(0, 120),
                        visible: shown(e) || (getComputedStyle(e).opacity === '0' && shown(e.nextElementSibling)) }; })()";
        let mut visited: Vec<Value> = Vec::new();
        let first = page.eval(focused);
        if !first.is_null() {
            visited.push(first);
        }
        // A date or time field takes one Tab per part (day, month, year…) without losing focus:
        // consecutive presses on the same element count as one stop.
        let mut presses = 0;
        while (visited.len() as u64) < stops && presses < 4 * stops + 10 {
            page.press("Tab");
            presses += 1;
            let now = page.eval(focused);
            if visited.last().is_none_or(|last| now.is_null() || last["stop"] != now["stop"]) {
                visited.push(now);
            }
        }
        for (expected, got) in visited.iter().enumerate() {
            if got.is_null() {
                self.errors.push(format!("{what} ({path}): Tab stop {expected} of {stops} reached no element"));
                return;
            }
            if got["stop"] != json!(expected) {
                self.errors.push(format!(
                    "{what} ({path}): Tab stop {expected} of {stops} is {} (expected stop {expected}): \
                     the keyboard order skips or repeats an element",
                    got["html"]
                ));
                return;
            }
            if got["visible"] != json!(true) {
                self.errors.push(format!("{what} ({path}): no visible focus indicator on {}", got["html"]));
            }
        }
    }

    /// Reflow (WCAG 1.4.10): at 320 CSS pixels wide the page does not scroll sideways.
    fn check_reflow(&mut self, path: &str, what: &str) {
        self.page.set_viewport(320, 640, true);
        self.page.goto(&self.server.url(path));
        // Data tables are exempt (they need two dimensions); anything else sticking out is not.
        let wide = self.page.eval(
            "(() => { const root = document.documentElement;
               if (root.scrollWidth <= root.clientWidth) return null;
               const out = [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1);
               return { width: root.scrollWidth, tables: out.some(e => e.closest('table')),
                        others: out.filter(e => !e.closest('table')).slice(-3).map(e => e.outerHTML.slice(0, 120)) }; })()",
        );
        if !wide.is_null() {
            let others = wide["others"].as_array().unwrap();
            if others.is_empty() {
                let why = if wide["tables"] == true { "a data table" } else { "something off-screen" };
                self.notes.push(format!("{what} ({path}) is {} px wide at 320 px because of {why}", wide["width"]));
            } else {
                self.errors.push(format!(
                    "{what} ({path}): {} px wide at 320 px, so it scrolls sideways (WCAG 1.4.10); too wide: {others:?}",
                    wide["width"]
                ));
            }
        }
        self.page.set_viewport(DESKTOP.0, DESKTOP.1, false);
    }

    /// Audits a packet: its cover, every task page and the booklet. The first packet with a
    /// kind of task (or a booklet) not seen yet is also audited on a phone, checked for reflow
    /// at 320 px and tabbed through.
    fn check_packet(&mut self, site: &Site, packet: &Packet) {
        let (token, lang) = (&packet.token, &packet.lang);
        let dir = site.out().join("public").join(token);
        let cover = html(&dir.join("index.html"));
        let mut pages = vec![(format!("public/{token}/index.html"), "cover".to_string())];
        let mut phone = false;
        for card in cover.select(&sel(".task-card")) {
            let kind = card
                .attr("class")
                .unwrap()
                .split_whitespace()
                .find_map(|c| c.strip_prefix("kind-"))
                .expect("a task card names its kind")
                .to_string();
            let href = card.select(&sel("h3 a")).next().unwrap().attr("href").unwrap();
            phone |= self.kinds.insert(kind.clone());
            pages.push((format!("public/{token}/{href}"), format!("{kind} task page")));
        }
        if dir.join("booklet.html").is_file() {
            phone = true;
            pages.push((format!("public/{token}/booklet.html"), "booklet".to_string()));
        }
        for (path, what) in &pages {
            self.check(path, what, lang);
        }
        if phone {
            self.page.set_viewport(PHONE.0, PHONE.1, true);
            for (path, what) in &pages {
                self.check(path, &format!("{what} on a phone"), lang);
            }
            self.page.set_viewport(DESKTOP.0, DESKTOP.1, false);
            for (path, what) in &pages {
                self.check_keyboard(path, what);
            }
        }
        for (path, what) in &pages {
            self.check_reflow(path, what);
        }
    }

    /// Audits a password-protected packet's locked page, then opens it with its password, as a
    /// keyboard user would, and audits the cover and first task page it shows.
    fn check_locked(&mut self, packet: &Packet) {
        let (token, lang) = (&packet.token, &packet.lang);
        let password = packet.password.as_deref().expect("a locked packet has its password in the private index");
        let path = format!("public/{token}/index.html");
        self.check(&path, "locked page", lang);
        self.page.set_viewport(PHONE.0, PHONE.1, true);
        self.check(&path, "locked page on a phone", lang);
        self.page.set_viewport(DESKTOP.0, DESKTOP.1, false);
        self.check_reflow(&path, "locked page");
        self.check_keyboard(&path, "locked page");

        let page = &self.page;
        page.goto(&self.server.url(&path));
        page.focus("#password");
        page.type_text(password);
        page.press("Enter");
        page.wait_for("document.querySelector('.task-card a') !== null");
        self.audit(&format!("opened locked packet ({path})"), lang);
        let page = &self.page;
        page.click(".task-card h3 a");
        page.wait_for("document.querySelector('.sheet-head') !== null");
        self.audit(&format!("task page of an opened locked packet ({path})"), lang);
    }

    /// Audits the private index and every therapist copy.
    fn check_private(&mut self, site: &Site) {
        let lang = site.default_language.clone();
        self.check("private/index.html", "private index", &lang);
        self.check_keyboard("private/index.html", "private index");
        let mut copies: Vec<PathBuf> = walkdir::WalkDir::new(site.out().join("private"))
            .min_depth(2)
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "html"))
            .collect();
        copies.sort();
        assert!(!copies.is_empty(), "therapist copies under out/private/<id>/");
        for copy in copies {
            let path = copy.strip_prefix(site.out()).unwrap().to_string_lossy().to_string();
            self.check(&path, "therapist copy", &lang);
        }
    }

    /// Panics with every finding, grouped by rule and element, when there is any.
    fn finish(self, name: &str) {
        eprintln!("{name}: audited {} pages in {:.1} s", self.audited, self.started.elapsed().as_secs_f64());
        for (rule, pages) in &self.needs_review {
            eprintln!("  axe could not decide {rule} (needs review) on {} page(s), e.g. {}", pages.len(), pages[0]);
        }
        if let Some(first) = self.notes.first() {
            eprintln!("  note: {} page(s) like this: {first}", self.notes.len());
        }
        if self.findings.is_empty() && self.errors.is_empty() {
            return;
        }
        let mut report = format!(
            "{} accessibility violations (WCAG 2.2 AA, axe-core) and {} other problems:\n",
            self.findings.len(),
            self.errors.len()
        );
        for ((id, target), f) in &self.findings {
            report.push_str(&format!(
                "\n[{}] {id}: {} ({})\n  element: {target}\n  html: {}\n  {}\n  on {} page(s), e.g. {}\n",
                f.impact,
                f.help,
                f.help_url,
                f.html,
                f.summary.replace('\n', "\n  "),
                f.pages.len(),
                f.pages.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            ));
        }
        for error in &self.errors {
            report.push_str(&format!("\n{error}"));
        }
        panic!("{report}");
    }
}

fn tools(test: &str) -> Option<(Browser, String)> {
    let axe = axe_or_skip(test)?;
    let browser = Browser::start_or_skip(test)?;
    Some((browser, axe))
}

#[test]
fn small_fixture_pages_and_a_locked_packet_pass_axe() {
    let Some((browser, axe)) = tools("small_fixture_pages_and_a_locked_packet_pass_axe") else { return };
    let dir = fixture("small");
    // Large print for Elisa, a password for Tom; Marta stays "designed with errors".
    set_in_plan(dir.path(), "elisa.toml", "therapist = \"María Jesús\"", "large_print = true");
    set_in_plan(dir.path(), "tom.toml", "therapist = \"Laura\"", "password = \"correct-horse-battery-staple\"");
    let site = Site::build(dir);
    let mut auditor = Auditor::new(&browser, axe, &site);
    for packet in &site.packets {
        if packet.password.is_some() {
            auditor.check_locked(packet);
        } else {
            auditor.check_packet(&site, packet);
        }
    }
    auditor.check_private(&site);
    assert_eq!(auditor.kinds, BTreeSet::from(["reading".to_string(), "self-registration".to_string()]));
    auditor.finish("small fixture");
}

#[test]
fn course_fixture_booklet_and_therapist_pages_pass_axe() {
    let Some((browser, axe)) = tools("course_fixture_booklet_and_therapist_pages_pass_axe") else { return };
    let site = Site::build(fixture("course"));
    let mut auditor = Auditor::new(&browser, axe, &site);
    assert!(
        site.packets.iter().any(|p| site.out().join("public").join(&p.token).join("booklet.html").is_file()),
        "the course ends with a booklet"
    );
    for packet in &site.packets {
        auditor.check_packet(&site, packet);
    }
    auditor.check_private(&site);
    for kind in ["self-registration", "relaxation", "self-designed", "review", "warning-signs"] {
        assert!(auditor.kinds.contains(kind), "no {kind} page in the course fixture: {:?}", auditor.kinds);
    }
    auditor.finish("course fixture");
}

/// The shipped library's packets, shared between two tests (every other packet, so that they
/// run side by side); the second also audits the private pages.
fn shipped_library(shard: usize, test: &str) {
    let Some((browser, axe)) = tools(test) else { return };
    let site = Site::build(site_from(&repo()));
    let mut auditor = Auditor::new(&browser, axe, &site);
    let mut all_kinds = BTreeSet::new();
    for (n, packet) in site.packets.iter().enumerate() {
        let cover = html(&site.out().join("public").join(&packet.token).join("index.html"));
        for card in cover.select(&sel(".task-card")) {
            let classes = card.attr("class").unwrap().split_whitespace();
            all_kinds.extend(classes.filter_map(|c| c.strip_prefix("kind-")).map(String::from));
        }
        if n % 2 == shard {
            auditor.check_packet(&site, packet);
        }
    }
    assert_eq!(
        all_kinds,
        tarea::model::Kind::ALL.iter().map(|k| k.name().to_string()).collect(),
        "the example plans use every kind"
    );
    if shard == 1 {
        auditor.check_private(&site);
    }
    auditor.finish(&format!("shipped library, part {}", shard + 1));
}

#[test]
fn shipped_library_pages_of_every_kind_pass_axe_1() {
    shipped_library(0, "shipped_library_pages_of_every_kind_pass_axe_1");
}

#[test]
fn shipped_library_pages_of_every_kind_pass_axe_2() {
    shipped_library(1, "shipped_library_pages_of_every_kind_pass_axe_2");
}

/// The harness itself: pages are served over HTTP, `localStorage` survives a reload, and a
/// download of a `blob:` link (as "download my answers" makes) lands in the download folder.
#[test]
fn the_browser_harness_keeps_storage_and_saves_blob_downloads() {
    let Some(browser) = Browser::start_or_skip("the_browser_harness_keeps_storage_and_saves_blob_downloads") else {
        return;
    };
    let site = fixture("small");
    build(site.path()).unwrap();
    let server = Server::start(&site.path().join("out"));
    let token = packet_dirs(site.path())[0].file_name().unwrap().to_string_lossy().to_string();
    let page = browser.new_page();
    page.goto(&server.url(&format!("public/{token}/index.html")));
    assert_eq!(page.eval("document.contentType"), "text/html");
    assert_eq!(page.eval("location.protocol"), "http:");
    page.eval("localStorage.setItem('tarea-test', 'kept')");
    page.reload();
    assert_eq!(page.eval("localStorage.getItem('tarea-test')"), "kept");
    let header = |path: &str, name: &str| {
        let (status, headers, _) = server.get(path);
        assert_eq!(status, 200, "{path}");
        headers.into_iter().find(|(n, _)| n == name).map(|(_, v)| v).unwrap_or_default()
    };
    assert_eq!(header("public/assets/tarea.css", "content-type"), "text/css; charset=utf-8");
    assert_eq!(header("public/assets/fonts/Andika-Regular.ttf", "content-type"), "font/ttf");
    // The published `_headers` apply, as on a real host; the file itself is not served.
    assert_eq!(header(&format!("public/{token}/"), "x-robots-tag"), "noindex, nofollow, noarchive");
    assert_eq!(server.get("public/_headers").0, 404);
    assert_eq!(server.get("public/../../etc/passwd").0, 404);

    let downloads = tempfile::tempdir().unwrap();
    page.set_download_dir(downloads.path());
    page.eval(
        "(() => { const a = document.createElement('a'); a.id = 'get'; a.textContent = 'Download';
           a.download = 'answers.json';
           a.href = URL.createObjectURL(new Blob(['{\"ok\":true}'], { type: 'application/json' }));
           document.body.prepend(a); })()",
    );
    page.click("#get");
    let download = page.wait_download();
    assert_eq!(download.suggested_filename, "answers.json");
    assert_eq!(std::fs::read_to_string(&download.path).unwrap(), "{\"ok\":true}");
    assert!(download.url.starts_with("blob:"), "{}", download.url);

    // Keyboard: Tab moves the focus to the first link.
    page.eval("document.activeElement.blur()");
    page.press("Tab");
    assert_eq!(page.eval("document.activeElement.tagName"), "A");
    // axe-core finds what it should: a picture without a text and a field without a label.
    if let Some(axe) = axe_or_skip("the_browser_harness_keeps_storage_and_saves_blob_downloads") {
        page.eval(&format!("{axe}\n;true"));
        page.eval("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"data:,\"><input type=\"text\">')");
        let ids = page.eval(&format!(
            "axe.run(document, {{ runOnly: {{ type: 'tag', values: {} }} }}).then(r => r.violations.map(v => v.id))",
            json!(WCAG_TAGS)
        ));
        assert_eq!(ids, json!(["image-alt", "label"]));
    }
    // Code sent through DevTools runs, but the page's Content-Security-Policy still holds for the
    // page: an inline script it is given is refused.
    let blocked = page.eval(
        "new Promise(done => {
           document.addEventListener('securitypolicyviolation', e => done(e.violatedDirective), { once: true });
           const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.head.append(s);
           setTimeout(() => done(window.inlineRan ? 'ran' : 'no event'), 2000); })",
    );
    assert!(blocked.as_str().is_some_and(|d| d.starts_with("script-src")), "{blocked}");
    let reported = page.errors();
    assert!(reported.iter().any(|e| e.contains("Content Security Policy")), "{reported:?}");
    let err = page.try_eval("throw new Error('boom')").unwrap_err();
    assert!(err.contains("boom"), "{err}");
}
