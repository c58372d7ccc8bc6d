//! The online form in headless Firefox (over WebDriver BiDi), as tests/browser_form.rs checks it
//! in Chromium: the script runs under the page's Content-Security-Policy, what is typed and
//! picked is kept in localStorage, comes back after a reload, is downloaded and stands in the
//! printed sheet; a number out of range is not kept, and Clear forgets everything. On a phone's
//! width the sheet folds to one day, labels its cells and keeps each scale on one line.

use crate::common::firefox::Firefox;
use crate::common::form_site::{Site, field, unlock_and_open};
use crate::common::{normalise, set_in_plan};
use serde_json::{Value, json};
use tarea::answers::AnswerFile;

const TYPED: &str = "En clase, al salir a la pizarra";

#[test]
fn in_firefox_a_patient_fills_in_reloads_downloads_prints_and_clears() {
    let Some(firefox) = Firefox::start_or_skip("firefox_form") else { return };
    let site = Site::build(|_| {});
    let (t, server) = (&site.target, &site.server);
    let likely = format!("{}/likely", t.task);

    let url = server.url(&format!("public/{}/{}.html", t.token, t.task));
    firefox.goto(&url);
    // The bar is hidden until form.js runs: it ran, under the page's own policy.
    firefox.wait_for("!document.querySelector('.answers-bar').hidden");
    let policy = firefox.eval("document.querySelector('meta[http-equiv=Content-Security-Policy]').content");
    assert!(policy.as_str().unwrap().contains("script-src 'self'"), "the page's policy: {policy}");
    assert_eq!(firefox.eval("document.documentElement.classList.contains('form-ready')"), true);

    let stored = || firefox.eval(&format!("JSON.parse(localStorage.getItem({}))", json!(format!("tarea:{}", t.token))));
    let value = |name: &str| firefox.eval(&format!("document.querySelector({}).value", json!(field(name))));
    let checked = |name: &str| {
        firefox.eval(&format!(
            "(document.querySelector({}) || {{}}).value ?? null",
            json!(format!("{}:checked", field(name)))
        ))
    };
    let mirrored = |name: &str| {
        firefox.eval(&format!(
            "[...document.querySelectorAll('.answer[data-for]')].filter(a => a.dataset.for === {}) \
             .map(a => a.textContent)",
            json!(name)
        ))
    };

    // Type into a cell, pick 7 and 4 on two days' scales, all with the keyboard and the mouse.
    firefox.focus(&field(&t.text));
    firefox.type_text(TYPED);
    firefox.click(&format!("{}[value='7']", field(&t.scale)));
    firefox.click(&format!("{}[value='4']", field(&t.second_day_scale)));
    let answers = &stored()["answers"];
    assert_eq!(answers[&t.text], TYPED, "stored: {answers}");
    assert_eq!(answers[&t.scale], "7", "stored: {answers}");
    assert_eq!(answers[&t.second_day_scale], "4", "stored: {answers}");

    // 150 % is out of range: Firefox marks the field and nothing is kept; 80 is.
    firefox.focus(&field(&likely));
    firefox.type_text("150");
    assert_eq!(value(&likely), "150");
    assert_eq!(
        firefox.eval(&format!("document.querySelector({}).validity.rangeOverflow", json!(field(&likely)))),
        true
    );
    let answers = &stored()["answers"];
    assert_eq!(answers.get(&likely), None, "150 % was kept: {answers}");
    assert_eq!(mirrored(&likely), json!([""]));
    firefox.eval(&format!("document.querySelector({}).select(); true", json!(field(&likely))));
    firefox.type_text("80");
    assert_eq!(stored()["answers"][&likely], "80");

    // The status line says it was saved, and when ("Guardado a las 21:40").
    let saved = firefox.eval("document.querySelector('.answers-bar').dataset.saved");
    let (before, after) = saved.as_str().unwrap().split_once("{time}").expect("a {time} in data-saved");
    let status = firefox.eval("document.querySelector('.answers-bar .status').textContent");
    let status = status.as_str().unwrap();
    let time = status.strip_prefix(before).and_then(|s| s.strip_suffix(after));
    assert!(time.is_some_and(|t| t.len() >= 4 && t.contains(':')), "status {status:?}, expected {saved}");
    let stamp = stored()["saved"].clone();
    assert!(
        stamp.as_str().is_some_and(|s| s.len() == 25 && s.as_bytes()[10] == b'T' && s[19..].starts_with(['+', '-'])),
        "not an ISO time with an offset: {stamp}"
    );

    // A reload keeps everything, in the fields and in the spans printed in their place.
    firefox.reload();
    firefox.wait_for("!document.querySelector('.answers-bar').hidden");
    assert_eq!(value(&t.text), TYPED);
    assert_eq!(checked(&t.scale), "7");
    assert_eq!(checked(&t.second_day_scale), "4");
    assert_eq!(value(&likely), "80");
    assert_eq!(mirrored(&t.text), json!([TYPED]));
    assert_eq!(mirrored(&t.scale), json!(["7"]));
    assert_eq!(mirrored(&t.second_day_scale), json!(["4"]));
    assert_eq!(mirrored(&likely), json!(["80"]));
    // Firefox puts typed values back on a reload by itself; opening the link afresh (another day)
    // shows what form.js kept.
    firefox.goto("about:blank");
    firefox.goto(&url);
    firefox.wait_for("!document.querySelector('.answers-bar').hidden");
    assert_eq!(value(&t.text), TYPED);
    assert_eq!(checked(&t.scale), "7");
    assert_eq!(mirrored(&t.text), json!([TYPED]));

    // Download my answers: a JSON file for `tarea import`, and a readable copy.
    let downloads = tempfile::tempdir().unwrap();
    firefox.set_download_dir(downloads.path());
    firefox.click("button[data-action='download-json']");
    let download = firefox.wait_download();
    let date = firefox.eval("document.querySelector('.answers-bar').dataset.date");
    assert_eq!(download.suggested_filename, format!("answers-{}-{}.json", date.as_str().unwrap(), t.answers_code));
    let file: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&download.path).unwrap()).unwrap();
    assert_eq!(file.token, t.token);
    assert_eq!(file.answers[&t.text], TYPED);
    assert_eq!(file.answers[&t.scale], "7");
    assert_eq!(file.answers.get(&likely).map(String::as_str), Some("80"));
    firefox.click("button[data-action='download-md']");
    let md = std::fs::read_to_string(firefox.wait_download().path).unwrap();
    assert!(md.contains(TYPED) && md.lines().any(|l| l.ends_with(":** 7")), "{md}");

    // Firefox's own print has the answers in the sheet, and not the bar's buttons.
    let pdf = firefox.print_pdf();
    let printed = normalise(&pdf_extract::extract_text_from_mem(&pdf).expect("the printed PDF's text"));
    assert!(printed.contains(TYPED), "the printed page lacks the answer: {printed}");
    let print_button = firefox.eval("document.querySelector(\"button[data-action='print']\").textContent.trim()");
    assert!(!printed.contains(print_button.as_str().unwrap()), "the bar was printed: {printed}");

    // Clear: after confirming, nothing is kept, in storage, fields or spans, reload or not.
    firefox.eval("window.confirm = () => true; true");
    firefox.click("button[data-action='clear']");
    assert_eq!(stored(), Value::Null);
    assert_eq!(value(&t.text), "");
    assert_eq!(checked(&t.scale), Value::Null);
    assert_eq!(value(&likely), "");
    assert_eq!(mirrored(&t.text), json!([""]));
    assert_eq!(mirrored(&t.scale), json!([""]));
    let cleared = firefox.eval("document.querySelector('.answers-bar').dataset.cleared");
    assert_eq!(firefox.eval("document.querySelector('.answers-bar .status').textContent"), cleared);
    firefox.reload();
    firefox.wait_for("!document.querySelector('.answers-bar').hidden");
    assert_eq!(value(&t.text), "");
    assert_eq!(checked(&t.second_day_scale), Value::Null);
    assert_eq!(stored(), Value::Null);

    firefox.assert_no_errors();
}

#[test]
fn in_firefox_a_password_protected_packet_is_a_form_too_once_opened() {
    let Some(firefox) = Firefox::start_or_skip("firefox_form") else { return };
    let site =
        Site::build(|root| set_in_plan(root, "elisa.toml", "name = \"Elisa\"", "password = \"pizarra verde 42\""));
    let t = &site.target;
    // Decrypted with Firefox's WebCrypto (PBKDF2, AES-GCM), then shown in place.
    unlock_and_open(&firefox, &site, "pizarra verde 42");
    firefox.click(&format!("{}[value='6']", field(&t.scale)));
    let stored = firefox.eval(&format!("JSON.parse(localStorage.getItem('tarea:{}')).answers", t.token));
    assert_eq!(stored[&t.scale], "6");
    firefox.assert_no_errors();
}

#[test]
fn in_firefox_a_phone_sheet_folds_to_one_day_labels_its_cells_and_keeps_scales_on_one_line() {
    let Some(firefox) = Firefox::start_or_skip("firefox_form") else { return };
    let site = Site::build(|_| {});
    let (t, server) = (&site.target, &site.server);
    let tree = firefox.call("browsingContext.getTree", json!({ "maxDepth": 0 }));
    let context = tree["contexts"][0]["context"].clone();
    firefox.call(
        "browsingContext.setViewport",
        json!({ "context": context, "viewport": { "width": 390, "height": 800 } }),
    );
    firefox.goto(&server.url(&format!("public/{}/{}.html", t.token, t.task)));
    firefox.wait_for("document.documentElement.classList.contains('form-ready')");
    // One day open (today's, or the first when today is not on the sheet), its cells shown and
    // labelled; the other days' cells folded away.
    let days = firefox.eval(
        "(() => { const days = [...document.querySelectorAll('details.day')];
           const iso = d => d.querySelector('time').getAttribute('datetime');
           const now = new Date(), today = [now.getFullYear(), now.getMonth() + 1, now.getDate()]
             .map((n, i) => String(n).padStart(i ? 2 : 4, '0')).join('-');
           const shown = td => td.getClientRects().length > 0;
           return { days: days.length, open: days.filter(d => d.open).map(iso),
                    expected: (days.find(d => iso(d) === today) || days[0]) && iso(days.find(d => iso(d) === today) || days[0]),
                    shown_cells: [...document.querySelectorAll('tbody.block td')].filter(shown).length,
                    cells_of_open: [...document.querySelectorAll('tbody.block')].filter(b => b.querySelector('details.day').open)
                      .reduce((n, b) => n + b.querySelectorAll('td').length, 0),
                    unlabelled: [...document.querySelectorAll('tbody td')].filter(shown)
                      .filter(td => { const content = getComputedStyle(td, '::before').content;
                        const first = [...td.children].find(c => c.getClientRects().length);
                        const room = first ? first.getBoundingClientRect().top - td.getBoundingClientRect().top : 99;
                        // Firefox reports the generated text unresolved, as `attr(data-column)`.
                        return !td.dataset.column || room < 12
                          || ![JSON.stringify(td.dataset.column), 'attr(data-column)'].includes(content); }).length,
                    split_scales: [...document.querySelectorAll('.scale-options')].filter(g => g.getClientRects().length)
                      .filter(g => new Set([...g.children].map(l => Math.round(l.getBoundingClientRect().top))).size > 1).length,
                    scroll: document.scrollingElement.scrollWidth, inner: innerWidth }; })()",
    );
    assert!(days["days"].as_u64().unwrap() > 1, "{days}");
    assert_eq!(days["open"], json!([days["expected"]]), "{days}");
    assert_eq!(days["shown_cells"], days["cells_of_open"], "{days}");
    assert_eq!((&days["unlabelled"], &days["split_scales"]), (&json!(0), &json!(0)), "{days}");
    assert_eq!(days["inner"], 390, "{days}");
    assert!(days["scroll"].as_u64().unwrap() <= 390, "{days}");
    firefox.assert_no_errors();
}
