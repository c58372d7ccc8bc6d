//! The online form in a real browser (headless Chromium): fill in a sheet, reload and find the
//! answers kept, print them, download them, import the download and see the therapist's chart;
//! clear them; and without JavaScript, a blank sheet to print.
//!
//! And the sheet's layout, measured: from 320 px up a 0–10 scale is one row of buttons of at
//! least 24 px; on a phone every cell names its column and hint, the example's too; a week of
//! daily rows folds to today's day on a phone and prints whole; text fields keep 160 px at the
//! thought record's highest level; the therapist copy fits a phone; a printed table fits its page.

use crate::common::browser::{Browser, Page};
use crate::common::form_site::{Site, field, unlock_and_open};
use crate::common::{build, html, sel, set_in_plan};
use serde_json::{Value, json};
use std::path::Path;
use tarea::answers::AnswerFile;
use tarea::model::{FieldType, Kind};
use tarea::resolve::SheetLayout;

/// Chromium and the example library built (after `edit`) and served, or `None` when the browser
/// tests skip.
fn start(edit: impl FnOnce(&Path)) -> Option<(Browser, Site)> {
    let browser = Browser::start_or_skip("browser_form")?;
    Some((browser, Site::build(edit)))
}

/// A new tab on the target task at a computer's width, once form.js has shown its bar.
fn open_task<'b>(browser: &'b Browser, site: &Site) -> Page<'b> {
    let page = browser.new_page();
    page.set_viewport(1280, 900, false);
    page.goto(&site.task_url());
    page.wait_for("!document.querySelector('.answers-bar').hidden");
    page
}

#[test]
fn a_patient_fills_in_reloads_prints_downloads_and_the_therapist_imports_a_chart() {
    let Some((browser, site)) = start(|_| {}) else { return };
    let (root, t) = (site.dir.path(), &site.target);
    let downloads = tempfile::tempdir().unwrap();
    browser.set_download_dir(downloads.path());
    // At a computer the sheet is a table with every day open (a phone opens only today's: below).
    let page = open_task(&browser, &site);
    // form.js drew each scale's row: one radio button a point of its range, named as the field
    // and labelled by its number.
    let drawn = page.eval(
        "(() => { const sets = [...document.querySelectorAll('fieldset.scale-field')];
          return sets.length > 0 && sets.every(f => { const r = [...f.querySelectorAll('input[type=radio]')];
            return r.length === f.dataset.max - f.dataset.min + 1 && r.every((i, k) => i.name === f.dataset.name
              && i.value === String(Number(f.dataset.min) + k) && i.nextElementSibling.textContent === i.value); }); })()",
    );
    assert_eq!(drawn, true, "a scale's buttons are not its range");

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
    // Named by the date and the packet's code: not the patient's name, not the packet's folder.
    assert_eq!(json_download.suggested_filename, format!("answers-{}-{}.json", t.date, t.answers_code));
    assert!(!t.token.contains(&t.answers_code));
    let file: AnswerFile = serde_json::from_str(&std::fs::read_to_string(&json_download.path).unwrap()).unwrap();
    assert_eq!(file.token, t.token);
    assert_eq!(file.answers[&t.scale], "7");
    // Every answer carries the time it was written, on the patient's clock.
    assert_eq!(file.times.keys().collect::<Vec<_>>(), file.answers.keys().collect::<Vec<_>>());
    assert!(file.times.values().all(|at| chrono::DateTime::parse_from_rfc3339(at).is_ok()), "{:?}", file.times);
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
    // Each written row says when it was written (today, on the patient's clock).
    let at = crate::common::texts(&copy, "table.written td.written-at");
    assert!(!at.is_empty() && at.iter().all(|a| a.len() > 6 && a[a.len() - 3..].starts_with(':')), "{at:?}");

    // Clear: after confirming, nothing is kept.
    page.eval("window.confirm = () => true; true");
    page.click("button[data-action='clear']");
    page.reload();
    page.wait_for("!document.querySelector('.answers-bar').hidden");
    assert_eq!(value(&t.text), "");
    assert_eq!(checked(&t.scale), Value::Null);
    assert_eq!(page.eval(&format!("localStorage.getItem('tarea:{}')", t.token)), Value::Null);
    page.assert_no_errors();
}

#[test]
fn without_javascript_the_page_is_a_blank_sheet_to_print() {
    let Some((browser, site)) = start(|_| {}) else { return };
    let t = &site.target;
    // Something typed with scripts on is kept, but must not show when scripts are off.
    let page = open_task(&browser, &site);
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
    let sealed = |root: &Path| set_in_plan(root, "elisa.toml", "name = \"Elisa\"", "password = \"pizarra verde 42\"");
    let Some((browser, site)) = start(sealed) else { return };
    let t = &site.target;
    assert_eq!(t.patient_id, "elisa", "the first daily table is expected in Elisa's packets");
    let page = browser.new_page();
    page.set_viewport(1280, 900, false);
    unlock_and_open(&page, &site, "pizarra verde 42");
    // A page swapped in place takes the focus to its title, for screen readers to announce it.
    assert_eq!(
        page.eval("document.activeElement.tagName + ' ' + document.activeElement.textContent.trim()"),
        format!("H1 {}", page.eval("document.querySelector('h1').textContent.trim()").as_str().unwrap())
    );
    page.click(&format!("{}[value='6']", field(&t.scale)));
    let stored = page.wait_for(&format!("(JSON.parse(localStorage.getItem('tarea:{}')) || {{}}).answers", t.token));
    assert_eq!(stored[&t.scale], "6");
    page.assert_no_errors();
}

#[test]
fn two_open_pages_of_a_packet_keep_each_others_answers() {
    let Some((browser, site)) = start(|_| {}) else { return };
    let t = &site.target;
    let (first, second) = (open_task(&browser, &site), open_task(&browser, &site));
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
    let Some((browser, site)) = start(|_| {}) else { return };
    let t = &site.target;
    let page = open_task(&browser, &site);
    // Storage full, or turned off: every write fails.
    page.eval("Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); }; true");
    page.click(&format!("{}[value='3']", field(&t.scale)));
    let status = page.eval("document.querySelector('.answers-bar .status').textContent");
    let expected = page.eval("document.querySelector('.answers-bar').dataset.notSaved");
    assert!(expected.as_str().is_some_and(|e| !e.is_empty()), "{expected}");
    assert_eq!(status, expected, "the page looks saved when nothing was kept");
}

/// A task page with a scale or a table, and what the layout tests need to know about it.
struct SheetPage {
    url: String,
    /// `patient session task`, for messages.
    name: String,
    kind: Kind,
    layout: SheetLayout,
    level: i64,
    levels: usize,
    id: String,
    blocks: Vec<tarea::resolve::RowBlock>,
    columns: Vec<tarea::resolve::ColumnView>,
    has_example: bool,
}

impl SheetPage {
    /// Whether the page draws a scale as a row of buttons: a wider scale is a number box, as is
    /// every scale of a sleep diary's night columns, and a questionnaire has its own radio buttons.
    fn has_scale(&self) -> bool {
        !matches!(self.kind, Kind::SleepDiary | Kind::Questionnaire)
            && self.columns.iter().any(|c| c.kind == FieldType::Scale && c.max - c.min <= 10)
    }
}

/// Every task page of `site` that has a table or a scale.
fn sheet_pages(site: &Site) -> Vec<SheetPage> {
    let mut pages = Vec::new();
    for (packet, link) in tarea::packets(site.dir.path()).unwrap() {
        for task in packet.tasks {
            if task.layout != SheetLayout::Table && !task.columns.iter().any(|c| c.kind == FieldType::Scale) {
                continue;
            }
            pages.push(SheetPage {
                url: site.server.url(&format!("public/{}/{}.html", packet.token, task.id)),
                name: format!("{} {} {}", link.patient_id, link.date, task.id),
                kind: task.kind,
                layout: task.layout,
                level: task.level,
                levels: task.levels,
                id: task.id.clone(),
                has_example: task.example.is_some(),
                blocks: task.blocks,
                columns: task.columns,
            });
        }
    }
    pages
}

/// Puts Sam's first thought record at its highest level (6, whose two scales shared a desktop
/// row with five text columns) and Jordi's packets in large print, in the example library at `root`.
fn layout(root: &Path) {
    let plan = root.join("library/plans/sam.toml");
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(text.contains("homework = \"thought-record\"\nlevel = 5"), "Sam's plan changed");
    let text = text.replacen("homework = \"thought-record\"\nlevel = 5", "homework = \"thought-record\"\nlevel = 6", 1);
    std::fs::write(&plan, text).unwrap();
    set_in_plan(root, "jordi.toml", "therapist = \"Núria\"", "large_print = true");
}

/// Opens `url` in a `width` px wide window (a phone's, with its viewport, below 800 px).
fn open_at(page: &Page<'_>, url: &str, width: u32) {
    page.set_viewport(width, 800, width < 800);
    page.goto(url);
    page.settle();
}

/// The visible scale groups: how many, how many are split over lines or stick out of their cell,
/// the smallest button side, the "/10" units shown beside them, and the page's scroll width.
const SCALES: &str = "(() => {
  const groups = [...document.querySelectorAll('.scale-options')].filter(g => g.getClientRects().length);
  const buttons = groups.flatMap(g => [...g.querySelectorAll('input')].map(i => i.getBoundingClientRect()));
  return {
    groups: groups.length,
    split: groups.filter(g => { const tops = [...g.children].map(l => l.getBoundingClientRect().top);
      return Math.max(...tops) - Math.min(...tops) > 1; }).length,
    sticking_out: groups.filter(g => g.getBoundingClientRect().right
      > g.closest('td, .box-cell, .section').getBoundingClientRect().right + 0.5).length,
    smallest: Math.min(...buttons.map(r => Math.min(r.width, r.height))),
    units: [...document.querySelectorAll('td.cell-scale .unit, .box-cell.cell-scale .unit')]
      .filter(u => u.getClientRects().length).length,
    scroll: document.scrollingElement.scrollWidth,
    inner: innerWidth };
})()";

#[test]
fn a_scale_is_one_row_of_buttons_at_every_width_from_320_px() {
    let Some((browser, site)) = start(layout) else { return };
    let pages: Vec<SheetPage> = sheet_pages(&site).into_iter().filter(SheetPage::has_scale).collect();
    assert!(pages.len() >= 8, "{} pages with a scale", pages.len());
    let page = browser.new_page();
    let mut faults = Vec::new();
    for width in [320, 390, 768, 1024, 1280] {
        for sheet in &pages {
            open_at(&page, &sheet.url, width);
            let m = page.eval(SCALES);
            let at = format!("{} at {width} px", sheet.name);
            if m["groups"].as_u64().unwrap() == 0 {
                faults.push(format!("{at}: no scale shown"));
                continue;
            }
            if m["split"] != 0 || m["sticking_out"] != 0 {
                faults.push(format!(
                    "{at}: {} scales wrap and {} stick out of their cell: {m}",
                    m["split"], m["sticking_out"]
                ));
            }
            if m["smallest"].as_f64().unwrap() < 24.0 {
                faults.push(format!("{at}: a button is smaller than 24 px (WCAG 2.5.8): {m}"));
            }
            if m["units"] != 0 {
                faults.push(format!("{at}: \"/10\" shown beside {} scales", m["units"]));
            }
            if m["scroll"].as_f64().unwrap() > m["inner"].as_f64().unwrap() || m["inner"] != width {
                faults.push(format!("{at}: the page scrolls sideways: {m}"));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn on_a_phone_every_cell_names_its_column_and_hint_the_example_too() {
    let Some((browser, site)) = start(layout) else { return };
    // A sleep diary's nights and a questionnaire's choices are columns that stay columns (the
    // nights scroll sideways under their questions; a questionnaire's items stack on a phone).
    let pages: Vec<SheetPage> = sheet_pages(&site)
        .into_iter()
        .filter(|p| p.layout == SheetLayout::Table && !matches!(p.kind, Kind::SleepDiary | Kind::Questionnaire))
        .collect();
    assert!(pages.iter().any(|p| p.has_example), "no sheet with a worked example");
    let page = browser.new_page();
    let mut faults = Vec::new();
    let (mut examples, mut hints) = (0, 0);
    for sheet in &pages {
        open_at(&page, &sheet.url, 390);
        // Each shown cell against its column's header: the label and hint drawn before its field
        // (taking room above it), as the header row is hidden on a phone.
        let cells = page.eval(
            "[...document.querySelectorAll('table.sheet > tbody > tr > td')].filter(td => td.getClientRects().length)
               .map(td => {
                 const index = [...td.parentElement.children].filter(c => c.tagName === 'TD').indexOf(td);
                 const th = td.closest('table').querySelectorAll('thead th')[index + 1];
                 const shown = pseudo => { const s = getComputedStyle(td, pseudo);
                   return s.display === 'none' || s.content === 'none' || s.content === 'normal' ? '' : s.content; };
                 const first = [...td.children].find(c => c.getClientRects().length);
                 return { example: !!td.closest('tbody.example'),
                          label: JSON.stringify(th.firstChild.textContent.trim()),
                          hint: th.querySelector('.hint') ? JSON.stringify(th.querySelector('.hint').textContent) : null,
                          before: shown('::before'), after: shown('::after'),
                          room: first ? first.getBoundingClientRect().top - td.getBoundingClientRect().top : null }; })",
        );
        for cell in cells.as_array().unwrap() {
            let at = format!(
                "{} at 390 px, {} cell {}",
                sheet.name,
                if cell["example"] == true { "example" } else { "a" },
                cell["label"]
            );
            examples += usize::from(cell["example"] == true);
            if cell["before"] != cell["label"] {
                faults.push(format!("{at}: shows {} for its column", cell["before"]));
            }
            if !cell["hint"].is_null() {
                hints += 1;
                if cell["after"] != cell["hint"] {
                    faults.push(format!("{at}: shows {} for its hint {}", cell["after"], cell["hint"]));
                }
            }
            if cell["room"].as_f64().is_some_and(|room| room < 12.0) {
                faults.push(format!("{at}: its label takes no room above the field: {cell}"));
            }
        }
    }
    assert!(examples > 0 && hints > 0, "measured {examples} example cells and {hints} hints");
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The days of the sheet open now, and how many of its day rows are shown.
const DAYS: &str = "(() => ({
  open: [...document.querySelectorAll('details.day')].filter(d => d.open).map(d => d.querySelector('time').dateTime),
  days: document.querySelectorAll('details.day').length,
  rows: [...document.querySelectorAll('table.sheet tbody.block tr')].filter(tr => tr.getClientRects().length
    && [...tr.querySelectorAll('td')].every(td => td.getClientRects().length)).length,
  height: document.documentElement.scrollHeight }))()";

#[test]
fn a_long_daily_log_opens_only_today_on_a_phone_and_prints_every_day() {
    let Some((browser, site)) = start(|_| {}) else { return };
    let pages = sheet_pages(&site);
    let rows = |p: &SheetPage| p.blocks.iter().map(|b| b.rows).sum::<u32>();
    let log =
        pages.iter().filter(|p| p.blocks.len() > 1 && p.blocks[0].date.is_some()).max_by_key(|p| rows(p)).unwrap();
    let (days, all_rows) = (log.blocks.len(), rows(log) as usize);
    assert!(days >= 7 && all_rows >= 21, "{}: {days} days, {all_rows} rows", log.name);
    let day = |n: usize| log.blocks[n].date.as_ref().unwrap().iso.clone();

    // The third day of the sheet is today: only it is open, only its rows shown.
    let page = browser.new_page();
    page.set_clock(&format!("{}T12:00:00", day(2)));
    open_at(&page, &log.url, 390);
    let shown = page.eval(DAYS);
    assert_eq!(shown["open"], json!([day(2)]), "{}: {shown}", log.name);
    assert_eq!(shown["rows"], log.blocks[2].rows, "{shown}");
    eprintln!("{} at 390 px: {} px tall with one day open", log.name, shown["height"]);

    // Printed, every day and every row.
    page.call("Emulation.setEmulatedMedia", json!({ "media": "print" }));
    page.settle();
    let printed = page.eval(DAYS);
    assert_eq!(printed["open"].as_array().unwrap().len(), days, "{printed}");
    assert_eq!(printed["rows"], all_rows, "{printed}");
    page.call("Emulation.setEmulatedMedia", json!({ "media": "" }));
    page.settle();
    assert_eq!(page.eval(DAYS)["open"], json!([day(2)]), "the days did not fold again after printing");

    // What is written in a folded day is kept: pick a rating today, write on the first day and
    // fold it again; after a reload both are stored and back in their fields.
    let text = log.columns.iter().find(|c| c.kind == FieldType::Text).unwrap();
    let scale = log.columns.iter().find(|c| c.kind == FieldType::Scale).unwrap();
    let today_row = (log.blocks[0].rows + log.blocks[1].rows) as usize;
    let (first_text, today_scale) =
        (tarea::answers::cell_key(&log.id, 0, &text.id), tarea::answers::cell_key(&log.id, today_row, &scale.id));
    page.click(&format!("{}[value='3']", field(&today_scale)));
    page.click("details.day summary");
    page.focus(&field(&first_text));
    page.type_text("En el autobús");
    page.click("details.day summary");
    assert_eq!(page.eval(DAYS)["open"], json!([day(2)]));
    page.reload();
    page.settle();
    let token = log.url.split('/').rev().nth(1).unwrap();
    let stored = page.eval(&format!("JSON.parse(localStorage.getItem('tarea:{token}')).answers"));
    assert_eq!((&stored[&first_text], &stored[&today_scale]), (&json!("En el autobús"), &json!("3")), "{stored}");
    assert_eq!(page.eval(&format!("document.querySelector({}).value", json!(field(&first_text)))), "En el autobús");

    // Without JavaScript every day is open.
    page.call("Emulation.setScriptExecutionDisabled", json!({ "value": true }));
    page.reload();
    let open = page.eval("document.querySelectorAll('details.day[open]').length");
    assert_eq!(open, days, "without JavaScript");

    // Today outside the sheet's days: the first day is open.
    let later = browser.new_page();
    later.set_clock("2027-03-15T12:00:00");
    open_at(&later, &log.url, 390);
    assert_eq!(later.eval(DAYS)["open"], json!([day(0)]));
    page.assert_no_errors();
}

#[test]
fn the_highest_thought_record_level_keeps_its_text_fields_usable_on_a_desktop() {
    let Some((browser, site)) = start(layout) else { return };
    let pages = sheet_pages(&site);
    let top = pages
        .iter()
        .find(|p| p.kind == Kind::SelfRegistration && p.level as usize == p.levels)
        .expect("a thought record at its highest level");
    let page = browser.new_page();
    for width in [1280, 1024, 768] {
        open_at(&page, &top.url, width);
        let narrowest = page.eval(
            "Math.min(...[...document.querySelectorAll('table.sheet textarea')].filter(t => t.getClientRects().length)
               .map(t => t.getBoundingClientRect().width))",
        );
        eprintln!("{} at {width} px: the narrowest text field is {narrowest} px", top.name);
        assert!(
            narrowest.as_f64().is_some_and(|w| (160.0..1e6).contains(&w)),
            "{} at {width} px: {narrowest}",
            top.name
        );
        // Its ratings (0–100 % beliefs, no 0–10 group at this level) never split across lines.
        let scales = page.eval(SCALES);
        assert!(scales["split"] == 0, "{scales}");
    }
}

#[test]
fn the_therapist_copy_does_not_scroll_sideways_on_a_phone() {
    let Some((browser, site)) = start(|_| {}) else { return };
    let private = site.dir.path().join("out/private");
    let mut copies: Vec<String> = walkdir_html(&private);
    copies.sort();
    assert!(copies.len() >= 5, "{copies:?}");
    let page = browser.new_page();
    let mut faults = Vec::new();
    let mut charts = 0;
    for copy in &copies {
        open_at(&page, &site.server.url(&format!("private/{copy}")), 390);
        let m = page.eval(
            "({ scroll: document.scrollingElement.scrollWidth, inner: innerWidth,
                charts: document.querySelectorAll('.answer-chart svg').length })",
        );
        charts += m["charts"].as_u64().unwrap();
        if m["inner"] != 390 || m["scroll"].as_u64().unwrap() > 390 {
            faults.push(format!("{copy}: {m}"));
        }
    }
    assert!(charts > 0, "no therapist copy with a chart was measured");
    assert!(faults.is_empty(), "therapist copies wider than a 390 px phone:\n{}", faults.join("\n"));
}

/// The therapist copies under `private`, as `<patient>/<date>.html`.
fn walkdir_html(private: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for patient in std::fs::read_dir(private).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
        for copy in std::fs::read_dir(&patient).unwrap().map(|e| e.unwrap().path()) {
            if copy.extension().is_some_and(|x| x == "html") {
                found.push(copy.strip_prefix(private).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

#[test]
fn a_printed_table_fits_the_width_of_its_page() {
    let Some((browser, site)) = start(layout) else { return };
    // The clinic prints on A4 (tarea.css: `@page { margin: 14mm 12mm }`): 186 mm in CSS pixels.
    let printable: f64 = (210.0 - 2.0 * 12.0) / 25.4 * 96.0;
    let page = browser.new_page();
    page.set_viewport(printable.round() as u32, 1000, false);
    page.call("Emulation.setScrollbarsHidden", json!({ "hidden": true }));
    page.call("Emulation.setEmulatedMedia", json!({ "media": "print" }));
    let mut faults = Vec::new();
    for sheet in sheet_pages(&site).iter().filter(|p| p.layout == SheetLayout::Table) {
        page.goto(&sheet.url);
        page.settle();
        // The painted right edge: a collapsed border lies half outside the table's box. It must
        // be inside the page and inside every box that clips it.
        let m = page.eval(
            "(() => { const table = document.querySelector('table.sheet'), box = table.getBoundingClientRect();
               const cell = table.querySelector('thead th:last-child');
               let clip = document.documentElement.clientWidth;
               for (let e = table.parentElement; e; e = e.parentElement)
                 if (getComputedStyle(e).overflowX !== 'visible')
                   clip = Math.min(clip, e.getBoundingClientRect().left + e.clientLeft + e.clientWidth);
               return { edge: box.right + parseFloat(getComputedStyle(cell).borderRightWidth) / 2, clip,
                        width: box.width, page: innerWidth }; })()",
        );
        let (edge, clip) = (m["edge"].as_f64().unwrap(), m["clip"].as_f64().unwrap());
        if edge > clip || m["width"].as_f64().unwrap() < 0.9 * printable {
            faults.push(format!("{}: {m}", sheet.name));
        }
    }
    assert!(
        faults.is_empty(),
        "printed tables cut at the right edge ({printable:.0} px wide pages):\n{}",
        faults.join("\n")
    );
}
