//! The printable PDF, compiled in-process by the `typst` crate.
//!
//! The Typst layouts (`typst/*.typ`) are parsed once; each packet gets a tiny [`World`] that adds
//! one virtual file, `/packet.json`, which the layout reads with `json()`. Patient text therefore
//! reaches Typst only as data, never as markup. Fonts are loaded once and shared by every packet;
//! every packet uses the same virtual paths, because Typst interns file ids for the whole process.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::diagnostic::{Diagnostic, Location};
use crate::resolve::{Booklet, Packet};
use crate::templates::Templates;

/// The virtual path a document's data is served at (the same for every document: Typst interns
/// file ids for the whole process).
const DATA_PATH: &str = "/packet.json";

/// Everything shared by all PDF compiles of a build: library, fonts and parsed layouts.
pub struct PdfRenderer {
    library: LazyHash<Library>,
    fonts: FontStore,
    sources: HashMap<FileId, Source>,
    origins: HashMap<FileId, PathBuf>,
    data: FileId,
}

/// One document to compile: which layout, with what data.
pub struct PdfJob<'a> {
    /// The layout, by its template name (`typst/packet.typ`).
    pub main: &'a str,
    /// The JSON served at `/packet.json`.
    pub data: Vec<u8>,
    /// The document's date (ISO): Typst's "today" and the PDF's timestamp, fixed for reproducible output.
    pub date: &'a str,
    /// A stable identifier for the PDF.
    pub ident: String,
}

/// A finished PDF and what it took.
pub struct Pdf {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// How many pages it has.
    pub pages: usize,
    /// Typst's warnings, located in the layout files.
    pub warnings: Vec<Diagnostic>,
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("layout paths are valid virtual paths");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// The virtual path of a layout: `typst/sheet.typ` is served at `/sheet.typ`.
fn layout_id(name: &str) -> FileId {
    file_id(&format!("/{}", name.trim_start_matches("typst/")))
}

impl PdfRenderer {
    /// Loads the fonts (every font of the template set: Andika, or a site's own) and the Typst
    /// layouts. Each file under `typst/` is served at `/<name>`. Typst's own embedded fonts
    /// (Libertinus, New Computer Modern, DejaVu Sans Mono: 9.6 MB) are left out: no layout uses
    /// them, and the program a therapist downloads stays small.
    pub fn new(templates: &Templates) -> Self {
        let mut fonts = FontStore::new();
        for (_, file) in templates.under("fonts/").filter(|(n, _)| n.ends_with(".ttf") || n.ends_with(".otf")) {
            for font in Font::iter(Bytes::new(file.bytes.to_vec())) {
                let info = font.info().clone();
                fonts.push((font, info));
            }
        }
        let mut sources = HashMap::new();
        let mut origins = HashMap::new();
        for (name, file) in templates.under("typst/") {
            let id = layout_id(name);
            sources.insert(id, Source::new(id, file.text().to_string()));
            origins.insert(id, file.origin.clone());
        }
        PdfRenderer { library: LazyHash::new(Library::default()), fonts, sources, origins, data: file_id(DATA_PATH) }
    }

    /// Lays out and exports one packet.
    pub fn packet(&self, packet: &Packet) -> Result<Pdf, Vec<Diagnostic>> {
        let data = serde_json::to_vec(packet).map_err(|e| vec![Diagnostic::error(None, e.to_string())])?;
        let ident = format!("tarea-{}", packet.token);
        self.render(PdfJob { main: "typst/packet.typ", data, date: &packet.date.iso, ident })
    }

    /// Lays out and exports an end-of-therapy booklet.
    pub fn booklet(&self, booklet: &Booklet) -> Result<Pdf, Vec<Diagnostic>> {
        let data = serde_json::to_vec(booklet).map_err(|e| vec![Diagnostic::error(None, e.to_string())])?;
        let ident = format!("tarea-booklet-{}", booklet.token);
        self.render(PdfJob { main: "typst/booklet.typ", data, date: &booklet.date.iso, ident })
    }

    /// Lays out one packet without making a PDF (the page audit reads the pages).
    pub fn packet_pages(&self, packet: &Packet) -> Result<PagedDocument, Vec<Diagnostic>> {
        let data = serde_json::to_vec(packet).map_err(|e| vec![Diagnostic::error(None, e.to_string())])?;
        let job = PdfJob { main: "typst/packet.typ", data, date: &packet.date.iso, ident: String::new() };
        self.layout(&job).map(|(document, _, _)| document)
    }

    /// Lays out one booklet without making a PDF (the page audit reads the pages).
    pub fn booklet_pages(&self, booklet: &Booklet) -> Result<PagedDocument, Vec<Diagnostic>> {
        let data = serde_json::to_vec(booklet).map_err(|e| vec![Diagnostic::error(None, e.to_string())])?;
        let job = PdfJob { main: "typst/booklet.typ", data, date: &booklet.date.iso, ident: String::new() };
        self.layout(&job).map(|(document, _, _)| document)
    }

    /// Lays out one document: the pages, and Typst's warnings.
    fn layout(&self, job: &PdfJob<'_>) -> Result<(PagedDocument, Vec<Diagnostic>, Datetime), Vec<Diagnostic>> {
        let date = NaiveDate::parse_from_str(job.date, "%Y-%m-%d").unwrap_or_default();
        let today =
            Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8).expect("a valid calendar date");
        let world = PacketWorld { shared: self, main: layout_id(job.main), data: Bytes::new(job.data.clone()), today };
        let warned = typst::compile::<PagedDocument>(&world);
        let warnings = self.diagnostics(&world, &warned.warnings);
        let document = warned.output.map_err(|errors| self.diagnostics(&world, &errors))?;
        Ok((document, warnings, today))
    }

    /// Lays out and exports one document. Errors are located in the layout files.
    pub fn render(&self, job: PdfJob<'_>) -> Result<Pdf, Vec<Diagnostic>> {
        let (document, warnings, today) = self.layout(&job)?;
        let world = PacketWorld { shared: self, main: layout_id(job.main), data: Bytes::new(job.data), today };
        let options = PdfOptions {
            // Stable identity and timestamp: the same input gives byte-identical PDFs.
            ident: Smart::Custom(job.ident),
            timestamp: Some(Timestamp::new_utc(today)),
            // Tagged and checked as PDF/UA-1, so screen readers can read every sheet.
            standards: PdfStandards::new(&[PdfStandard::Ua_1]).expect("PDF/UA-1 is a valid standard"),
            ..PdfOptions::default()
        };
        let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| self.diagnostics(&world, &errors))?;
        Ok(Pdf { bytes, pages: document.pages().len(), warnings })
    }

    /// Turns Typst's diagnostics into ours, with the layout file's path, line and column.
    fn diagnostics(&self, world: &PacketWorld<'_>, items: &[SourceDiagnostic]) -> Vec<Diagnostic> {
        items
            .iter()
            .map(|item| {
                let message = format!("typst: {}", item.message);
                let located = item.span.id().and_then(|id| {
                    let origin = self.origins.get(&id)?;
                    let range = world.range(item.span)?;
                    Some(Diagnostic::error_at(origin, self.sources.get(&id)?.text(), range, message.clone()))
                });
                let mut d = located.unwrap_or_else(|| Diagnostic::error(None, message));
                // Typst's call-site trace, innermost call first: which call in which layout led
                // to the error (e.g. a site's `kinds/list.typ` calling `fill-table`).
                for point in &item.trace {
                    let Some(id) = point.span.id() else { continue };
                    let (Some(origin), Some(source), Some(range)) =
                        (self.origins.get(&id), self.sources.get(&id), world.range(point.span))
                    else {
                        continue;
                    };
                    let at = Location::new(origin, source.text(), range);
                    d = d.note(format!("{} ({}:{})", point.v, at.file.display(), at.line));
                }
                let hints: Vec<&str> = item.hints.iter().map(|h| h.v.as_str()).collect();
                d = d.help(if hints.is_empty() { "fix the Typst layout".to_string() } else { hints.join("; ") });
                if item.severity == Severity::Warning { d.warning() } else { d }
            })
            .collect()
    }
}

/// One packet's view of the world: the shared layouts and fonts, plus its own data.
struct PacketWorld<'a> {
    shared: &'a PdfRenderer,
    main: FileId,
    data: Bytes,
    today: Datetime,
}

impl World for PacketWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.shared.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.shared.sources.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.data { Ok(self.data.clone()) } else { self.source(id).map(Bytes::from_string) }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.font(index)
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.get().vpath().get_without_slash().into())
}
