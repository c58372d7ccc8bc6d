//! The online form in a real browser (headless Chromium): fill in a sheet, reload and find the
//! answers kept, print them, download them, import the download and see the therapist's chart;
//! clear them; and without JavaScript, a blank sheet to print.

mod common;

use common::browser::Browser;
use common::form_site::{Site, field};
use common::{build, html, sel};
use serde_json::{Value, json};
use tarea::answers::AnswerFile;

#[test]
fn a_patient_fills_in_reloads_prints_downloads_and_the_therapist_imports_a_chart() {
    let Some(browser) = Browser::start_or_skip("browser_form") else { return };
    let site = Site::build(|_| {});
    let (root, t) = (site.dir.path(), &site.target);
    let downloads = tempfile::tempdir().unwrap();
    browser.set_download_dir(downloads.path());
    let page = browser.new_page();
    page.goto(&site.task_url());
    page.wait_for("!document.querySelector('.answers-bar').hidden");

    // Type into a cell, pick 7 and 4 on two days' scales, and say how likely it is.
    page.focus(&field(&t.text));
    page.type_text("En clase, al salir a la pizarra");
    page.click(&format!("{}[value='7']", field(&t.scale)));
    page.click(&format!("{}[value='4']", field(&t.second_day_scale)));
    let likely = field(&format!("{}/likely", t.task));
    page.focus(&likely);
    page.type_text("150");
    let stored = page.eval(&format!("JSON.parse(localStorage.getItem('tarea:{}')).answers", t.token));
    assert_eq!(stored.get(format!("{}/likely", t.task)), None, "150 % was kept: {stored}");
    // "70.0" is a valid number to the browser; it is kept as import reads it.
    page.eval(&format!("document.querySelector({}).select(); true", json!(likely)));
    page.type_text("70.0");
    let stored = page.eval(&format!("JSON.parse(localStorage.getItem('tarea:{}')).answers", t.token));
    assert_eq!(stored[format!("{}/likely", t.task)], "70", "{stored}");
    page.eval(&format!("document.querySelector({}).select(); true", json!(likely)));
    page.type_text("80");
    page.wait_for("/Guardado|Saved|Desat/.test(document.querySelector('.answers-bar .status').textContent)");

    // A reload keeps everything, on this device.
    page.reload();
    page.wait_for("!document.querySelector('.answers-bar').hidden");
    let value = |name: &str| page.eval(&format!("document.querySelector({}).value", json!(field(name))));
    let checked = |name: &str| {
        page.eval(&format!(
            "(document.querySelector({}) || {{}}).value ?? null",
            json!(format!("{}:checked", field(name)))
        ))
    };
    assert_eq!(value(&t.text), "En clase, al salir a la pizarra");
    assert_eq!(checked(&t.scale), "7");
    assert_eq!(checked(&t.second_day_scale), "4");
    assert_eq!(value(&format!("{}/likely", t.task)), "80");
    let stored = page.eval(&format!("JSON.parse(localStorage.getItem('tarea:{}')).answers", t.token));
    assert_eq!(stored[&t.scale], "7");

    // Printed, the answers stand in the sheet's cells and the inputs are gone.
    page.call("Emulation.setEmulatedMedia", json!({ "media": "print" }));
    let shown = |name: &str| {
        page.eval(&format!(
            "(() => {{ const a = [...document.querySelectorAll('.answer')].find(e => e.dataset.for === {}); \
             return getComputedStyle(a).display !== 'none' ? a.textContent : null; }})()",
            json!(name)
        ))
    };
    assert_eq!(shown(&t.text), "En clase, al salir a la pizarra");
    assert_eq!(shown(&t.scale), "7");
    let input_display =
        page.eval(&format!("getComputedStyle(document.querySelector({})).display", json!(field(&t.text))));
    assert_eq!(input_display, "none");
    assert_eq!(page.eval("getComputedStyle(document.querySelector('.answers-bar')).display"), "none");
    page.call("Emulation.setEmulatedMedia", json!({ "media": "" }));

    // Download my answers: a JSON file for tarea import, and a readable copy.
    page.click("button[data-action='download-json']");
    let json_download = page.wait_download();
    assert_eq!(json_download.suggested_filename, format!("answers-{}.json", t.date));
    let file: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&json_download.path).unwrap()).unwrap();
    assert_eq!(file.token, t.token);
    assert_eq!(file.answers[&t.scale], "7");
    assert_eq!(file.answers[&t.text], "En clase, al salir a la pizarra");
    page.click("button[data-action='download-md']");
    let md = std::fs::read_to_string(page.wait_download().path).unwrap();
    assert!(md.contains("En clase, al salir a la pizarra"), "{md}");
    // Each answer is named by its column (and day), the rating too.
    assert!(md.lines().any(|l| l.contains(&t.scale_label) && l.ends_with(":** 7")), "{md}");

    // The therapist imports the download: the session's therapist copy now charts the ratings.
    let copy_path = root.join("out/private").join(&t.patient_id).join(format!("{}.html", t.date));
    assert_eq!(html(&copy_path).select(&sel("svg")).count(), 0, "a chart before any answer was imported");
    let imported = tarea::import_answers(root, std::slice::from_ref(&json_download.path)).unwrap();
    assert_eq!(imported[0].answers, file.answers.len());
    build(root).unwrap();
    let copy = html(&copy_path);
    let charts: Vec<_> = copy.select(&sel("svg")).collect();
    assert!(!charts.is_empty(), "no chart in {}", copy_path.display());
    let numbers: String = copy.select(&sel(".answer-chart")).flat_map(|c| c.text()).collect();
    assert!(numbers.contains('7') && numbers.contains('4'), "the chart's data does not show 7 and 4: {numbers}");

    let written: Vec<String> = copy.select(&sel("table.written td")).map(|c| c.text().collect()).collect();
    assert!(
        written.iter().any(|c| c == "En clase, al salir a la pizarra"),
        "not in what the patient wrote: {written:?}"
    );

    // Clear: after confirming, nothing is kept.
    page.eval("window.confirm = () => true; true");
    page.click("button[data-action='clear']");
    page.reload();
    page.wait_for("!document.querySelector('.answers-bar').hidden");
    assert_eq!(value(&t.text), "");
    assert_eq!(checked(&t.scale), Value::Null);
    assert_eq!(page.eval(&format!("localStorage.getItem('tarea:{}')", t.token)), Value::Null);
    let errors = page.errors();
    assert!(errors.is_empty(), "errors in the page: {errors:?}");
}

#[test]
fn without_javascript_the_page_is_a_blank_sheet_to_print() {
    let Some(browser) = Browser::start_or_skip("browser_form") else { return };
    let site = Site::build(|_| {});
    let t = &site.target;
    let page = browser.new_page();
    // Something typed with scripts on is kept, but must not show when scripts are off.
    page.goto(&site.task_url());
    page.wait_for("!document.querySelector('.answers-bar').hidden");
    page.focus(&field(&t.text));
    page.type_text("kept");
    page.call("Emulation.setScriptExecutionDisabled", json!({ "value": true }));
    page.reload();
    page.call("Emulation.setEmulatedMedia", json!({ "media": "print" }));
    let blank = page.eval(
        "[...document.querySelectorAll('.answer')].every(a => a.textContent === '') \
         && document.querySelector('.answers-bar').hidden \
         && getComputedStyle(document.querySelector('table.sheet td')).display !== 'none'",
    );
    assert_eq!(blank, true, "with scripts off the printed sheet is not blank");
    let cells = page.eval("document.querySelectorAll('table.sheet tbody.block tr').length");
    assert!(cells.as_u64().unwrap() >= 7, "the printed sheet lost its rows: {cells}");
}

#[test]
fn a_password_protected_packet_is_a_form_too_once_opened() {
    let Some(browser) = Browser::start_or_skip("browser_form") else { return };
    let site = Site::build(|root| {
        common::set_in_plan(root, "elisa.toml", "name = \"Elisa\"", "password = \"pizarra verde 42\"")
    });
    let t = &site.target;
    assert_eq!(t.patient_id, "elisa", "the first daily table is expected in Elisa's packets");
    let page = browser.new_page();
    page.goto(&site.server.url(&format!("public/{}/index.html", t.token)));
    page.focus("#password");
    page.type_text("pizarra verde 42");
    page.press("Enter");
    page.wait_for(&format!("!!document.querySelector('a[href=\"{}.html\"]')", t.task));
    page.click(&format!("a[href=\"{}.html\"]", t.task));
    page.wait_for("document.querySelector('.answers-bar') && !document.querySelector('.answers-bar').hidden");
    // A page swapped in place takes the focus to its title, for screen readers to announce it.
    assert_eq!(
        page.eval("document.activeElement.tagName + ' ' + document.activeElement.textContent.trim()"),
        format!("H1 {}", page.eval("document.querySelector('h1').textContent.trim()").as_str().unwrap())
    );
    page.click(&format!("{}[value='6']", field(&t.scale)));
    let stored = page.wait_for(&format!("(JSON.parse(localStorage.getItem('tarea:{}')) || {{}}).answers", t.token));
    assert_eq!(stored[&t.scale], "6");
    let errors = page.errors();
    assert!(errors.is_empty(), "errors in the page: {errors:?}");
}

#[test]
fn two_open_pages_of_a_packet_keep_each_others_answers() {
    let Some(browser) = Browser::start_or_skip("browser_form") else { return };
    let site = Site::build(|_| {});
    let t = &site.target;
    let (first, second) = (browser.new_page(), browser.new_page());
    for page in [&first, &second] {
        page.goto(&site.task_url());
        page.wait_for("!document.querySelector('.answers-bar').hidden");
    }
    // Both loaded before either saved: each must save on top of what the other stored.
    first.focus(&field(&t.text));
    first.type_text("escrito en la primera pestaña");
    second.click(&format!("{}[value='7']", field(&t.scale)));
    let stored = second.eval(&format!("JSON.parse(localStorage.getItem('tarea:{}')).answers", t.token));
    assert_eq!(stored[&t.text], "escrito en la primera pestaña", "{stored}");
    assert_eq!(stored[&t.scale], "7", "{stored}");
    // And each page shows what the other saved.
    second.wait_for(&format!(
        "document.querySelector({}).value === 'escrito en la primera pestaña'",
        json!(field(&t.text))
    ));
    first.wait_for(&format!("document.querySelector({}).checked", json!(format!("{}[value='7']", field(&t.scale)))));
}

#[test]
fn a_browser_that_cannot_keep_answers_says_so() {
    let Some(browser) = Browser::start_or_skip("browser_form") else { return };
    let site = Site::build(|_| {});
    let t = &site.target;
    let page = browser.new_page();
    page.goto(&site.task_url());
    page.wait_for("!document.querySelector('.answers-bar').hidden");
    // Storage full, or turned off: every write fails.
    page.eval("Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); }; true");
    page.click(&format!("{}[value='3']", field(&t.scale)));
    let status = page.eval("document.querySelector('.answers-bar .status').textContent");
    let expected = page.eval("document.querySelector('.answers-bar').dataset.notSaved");
    assert!(expected.as_str().is_some_and(|e| !e.is_empty()), "{expected}");
    assert_eq!(status, expected, "the page looks saved when nothing was kept");
}
