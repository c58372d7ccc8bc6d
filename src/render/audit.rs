//! The page audit: checks a laid-out packet the way a form designer looks at a printed proof.
//!
//! The sheet layouts mark what matters with `metadata` (`tarea-sheet <homework> <level>` where a
//! sheet starts, `tarea-row` in every table row a patient writes in, `tarea-space` in every other
//! place to write (a section's lines, the day boxes, a chart), `tarea-close` on the closing
//! question); the audit walks Typst's page frames for those marks and for every run of text, and
//! reports: a page holding only a closing question, a sheet whose first page has nowhere to
//! write, a table page with fewer than two rows under its repeated header, text overprinting other
//! text, and text crossing the page's side margins. It reads the frames, not the PDF, so it runs
//! inside `cargo test` with no outside tool, and it finds exactly what the layouts marked.

use typst::foundations::Value;
use typst::introspection::{MetadataElem, Tag};
use typst::layout::{Abs, Frame, FrameItem, Point, Transform};
use typst_layout::PagedDocument;

/// One sheet as laid out: where it starts and ends, and its writable rows per page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetPages {
    /// Which sheet: its homework id and level ("thought-record 4"), from its mark.
    pub name: String,
    /// The page (1-based) its title is on.
    pub first: usize,
    /// The page its closing question is on.
    pub last: usize,
    /// For each of its pages, first to last, how many table rows it holds.
    pub rows: Vec<usize>,
    /// For each of its pages, how many other places to write in (sections, day boxes, charts).
    pub spaces: Vec<usize>,
}

impl SheetPages {
    /// How many sheets of paper it takes.
    pub fn pages(&self) -> usize {
        self.last + 1 - self.first
    }
}

/// What the audit found in one document.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// Pages in the document.
    pub pages: usize,
    /// Every sheet, in order.
    pub sheets: Vec<SheetPages>,
    /// Every fault, in words (page numbers are 1-based).
    pub faults: Vec<String>,
}

/// A run of text on a page: its box (points, from the page's top left) and what it says.
#[derive(Debug, Clone)]
struct Run {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    text: String,
}

/// What one page holds.
#[derive(Debug, Default)]
struct PageFacts {
    marks: Vec<String>,
    runs: Vec<Run>,
    width: f64,
}

/// Audits a laid-out document whose pages have side margins of `margin`.
pub fn audit(document: &PagedDocument, margin: Abs) -> Audit {
    let pages: Vec<PageFacts> = document
        .pages()
        .iter()
        .map(|page| {
            let mut facts = PageFacts { width: page.frame.width().to_pt(), ..PageFacts::default() };
            walk(&page.frame, Transform::identity(), &mut facts);
            facts
        })
        .collect();
    let mut found = Audit { pages: pages.len(), ..Audit::default() };
    sheets(&pages, &mut found);
    for (i, page) in pages.iter().enumerate() {
        overprints(i + 1, page, margin.to_pt(), &mut found.faults);
    }
    found
}

/// Collects the marks and text runs of a frame and its groups, in page coordinates.
fn walk(frame: &Frame, ts: Transform, facts: &mut PageFacts) {
    for (pos, item) in frame.items() {
        match item {
            FrameItem::Group(group) => {
                let inner = ts.pre_concat(Transform::translate(pos.x, pos.y)).pre_concat(group.transform);
                walk(&group.frame, inner, facts);
            }
            FrameItem::Text(text) => {
                let size = text.size.to_pt();
                let start = pos.transform(ts);
                let end = Point::new(pos.x + text.width(), pos.y).transform(ts);
                let (x0, x1) = (start.x.to_pt().min(end.x.to_pt()), start.x.to_pt().max(end.x.to_pt()));
                let baseline = start.y.to_pt();
                let run =
                    Run { x0, x1, y0: baseline - 0.75 * size, y1: baseline + 0.2 * size, text: text.text.to_string() };
                if !run.text.trim().is_empty() {
                    facts.runs.push(run);
                }
            }
            FrameItem::Tag(Tag::Start(content, _)) => {
                if let Some(meta) = content.to_packed::<MetadataElem>()
                    && let Value::Str(mark) = &meta.value
                    && mark.as_str().starts_with("tarea-")
                {
                    facts.marks.push(mark.to_string());
                }
            }
            _ => {}
        }
    }
}

/// Splits the pages into sheets by their marks and checks how rows fall on them.
fn sheets(pages: &[PageFacts], found: &mut Audit) {
    let mut current: Option<SheetPages> = None;
    for (i, page) in pages.iter().enumerate() {
        let number = i + 1;
        for mark in &page.marks {
            match mark.as_str() {
                sheet if sheet.starts_with("tarea-sheet") => {
                    let name = sheet["tarea-sheet".len()..].trim().to_string();
                    current = Some(SheetPages { name, first: number, last: number, rows: vec![0], spaces: vec![0] });
                }
                "tarea-row" | "tarea-space" => {
                    if let Some(sheet) = current.as_mut() {
                        sheet.rows.resize(number + 1 - sheet.first, 0);
                        sheet.spaces.resize(number + 1 - sheet.first, 0);
                        let counts = if mark == "tarea-row" { &mut sheet.rows } else { &mut sheet.spaces };
                        *counts.last_mut().expect("resized to at least one") += 1;
                    }
                }
                "tarea-close" => {
                    if let Some(mut sheet) = current.take() {
                        sheet.last = number;
                        sheet.rows.resize(number + 1 - sheet.first, 0);
                        sheet.spaces.resize(number + 1 - sheet.first, 0);
                        check_sheet(&sheet, found);
                        found.sheets.push(sheet);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The page-fit rules of one sheet.
fn check_sheet(sheet: &SheetPages, faults: &mut Audit) {
    let faults = &mut faults.faults;
    let writable = |k: usize| sheet.rows[k] + sheet.spaces[k];
    let total: usize = (0..sheet.rows.len()).map(writable).sum();
    if total > 0 && writable(0) == 0 {
        faults.push(format!("p{} {}: the sheet opens with no row to write in", sheet.first, sheet.name));
    }
    if sheet.pages() > 1 && writable(sheet.rows.len() - 1) == 0 {
        faults.push(format!("p{} {}: the page holds only the closing question", sheet.last, sheet.name));
    }
    // A chart or a section may stand alone on a page; a table row under a repeated header may not.
    for (k, rows) in sheet.rows.iter().enumerate().skip(1) {
        if *rows == 1 {
            faults.push(format!(
                "p{} {}: a table page with a single row under its header",
                sheet.first + k,
                sheet.name
            ));
        }
    }
}

/// Text that overprints other text, or runs past the side margins.
fn overprints(number: usize, page: &PageFacts, margin: f64, faults: &mut Vec<String>) {
    let mut runs: Vec<&Run> = page.runs.iter().collect();
    runs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    for (j, a) in runs.iter().enumerate() {
        if a.x0 < margin - 1.0 || a.x1 > page.width - margin + 1.0 {
            faults.push(format!("p{number}: {:?} crosses the page margin", a.text));
        }
        for b in &runs[j + 1..] {
            if b.x0 >= a.x1 {
                break;
            }
            let overlap_x = a.x1.min(b.x1) - a.x0.max(b.x0);
            let overlap_y = a.y1.min(b.y1) - a.y0.max(b.y0);
            if overlap_x > 1.0 && overlap_y > 0.5 * (a.y1 - a.y0).min(b.y1 - b.y0) {
                faults.push(format!("p{number}: {:?} overprints {:?}", a.text, b.text));
            }
        }
    }
}
