//! `tarea`: a static-site generator for printable, personalised therapy homework.
//!
//! A build is a pipeline of stages, each a function from data to data:
//! [`load`] (TOML files → typed values) → [`validate`] (cross-file checks) → [`resolve`] (plan +
//! library → packet view models) → [`render`] (HTML, Markdown, PDF) → [`write`] (all or nothing).
//! Problems from every stage are collected in one [`Diagnostics`] and reported together.

pub mod diagnostic;
pub mod i18n;
pub mod load;
pub mod markdown;
pub mod model;
pub mod params;
pub mod render;
pub mod resolve;
pub mod templates;
pub mod token;
pub mod validate;
pub mod write;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;

pub use diagnostic::{Diagnostic, Diagnostics, Failed};

use render::html::{PageRenderer, PrivateIndex};
use render::pdf::PdfRenderer;
use resolve::{Packet, Resolved};
use templates::Templates;
use write::OutputFile;

/// How many packets are laid out between two evictions of Typst's caches: memory stays flat
/// however large the caseload.
const EVICT_EVERY: usize = 32;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site: the folder holding `library/` and, optionally, `templates/`.
    pub root: PathBuf,
    /// Where `public/` and `private/` are written.
    pub out: PathBuf,
}

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    /// Packets rendered.
    pub packets: usize,
    /// PDF pages laid out.
    pub pages: usize,
    /// Files written under `out/`.
    pub files: usize,
    /// Problems that did not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// The secret file, when this build had to create it.
    pub created_secret: Option<PathBuf>,
    /// Wall-clock time of the whole build.
    pub elapsed: Duration,
}

/// Builds every packet of the site at `options.root` into `options.out`. Problems in the input
/// fail the build with a [`Failed`] listing all of them, and nothing is written.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let started = Instant::now();
    let mut diags = Diagnostics::default();
    let templates = Templates::load(&options.root, &mut diags);
    let strings = i18n::Strings::parse(templates.file("i18n.toml")).map_err(|p| diags.extend(p)).ok();
    let site = load::load_site(&options.root, &mut diags);
    if let Some(site) = &site {
        validate::validate_site(site, &mut diags);
    }
    let pages = PageRenderer::new(&templates).map_err(|p| diags.extend(p)).ok();
    let (Some(site), Some(strings), Some(pages), 0) = (site, strings, pages, diags.error_count()) else {
        return Err(fail(diags));
    };
    let (secret, created_secret) = token::load_or_create_secret(&options.root)?;
    let resolved = resolve::resolve_site(&site, &strings, &secret);
    let clinic = &site.clinic.value;
    let lang = clinic.default_language.get_ref();
    let index = PrivateIndex {
        lang,
        t: &strings.for_language(lang),
        clinic: &clinic.name,
        assets: "../public/assets",
        links: &resolved.links,
    };
    let rendered = render_all(&resolved, &templates, &pages, &index, &mut diags);
    if diags.error_count() > 0 {
        return Err(fail(diags));
    }
    write::write_output(&options.out, &rendered.files)?;
    Ok(BuildReport {
        packets: resolved.packets.len(),
        pages: rendered.pages,
        files: rendered.files.len(),
        warnings: diags.into_result().unwrap_or_default(),
        created_secret,
        elapsed: started.elapsed(),
    })
}

fn fail(diags: Diagnostics) -> anyhow::Error {
    match diags.into_result() {
        Err(failed) => failed.into(),
        Ok(_) => anyhow::anyhow!("build failed"),
    }
}

/// Everything rendered, in memory, ready to be written.
struct Rendered {
    files: Vec<OutputFile>,
    pages: usize,
}

/// Renders every packet plus the shared assets and the private index.
fn render_all(
    resolved: &Resolved,
    templates: &Templates,
    pages: &PageRenderer,
    index: &PrivateIndex<'_>,
    diags: &mut Diagnostics,
) -> Rendered {
    let mut files = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let paper = resolved.packets.first().map_or("a4", |p| p.paper);
    match pages.stylesheet(paper) {
        Ok(css) => files.push(OutputFile::new("public/assets/tarea.css", css)),
        Err(d) => problems.push(d),
    }
    for (name, file) in templates.under("fonts/") {
        files.push(OutputFile::new(format!("public/assets/{name}"), file.bytes.to_vec()));
    }
    files.push(OutputFile::new("public/robots.txt", "User-agent: *\nDisallow: /\n"));
    match pages.private_index(index) {
        Ok(html) => files.push(OutputFile::new("private/index.html", html)),
        Err(d) => problems.push(d),
    }
    for packet in &resolved.packets {
        files.extend(render_pages(packet, pages, &mut problems));
    }
    let pdf = PdfRenderer::new(templates);
    let mut page_count = 0;
    for batch in resolved.packets.chunks(EVICT_EVERY) {
        for (packet, result) in batch.iter().zip(render_pdfs(&pdf, batch)) {
            match result {
                Ok(done) => {
                    page_count += done.pages;
                    problems.extend(done.warnings);
                    files.push(OutputFile::new(format!("public/{}/packet.pdf", packet.token), done.bytes));
                }
                Err(errors) => problems.extend(errors),
            }
        }
        typst::comemo::evict(10);
    }
    // A broken layout fails every packet the same way: report each distinct problem once.
    let mut seen = std::collections::HashSet::new();
    diags.extend(problems.into_iter().filter(|d| seen.insert(d.to_string())));
    Rendered { files, pages: page_count }
}

/// A packet's HTML pages and Markdown copy.
fn render_pages(packet: &Packet, pages: &PageRenderer, problems: &mut Vec<Diagnostic>) -> Vec<OutputFile> {
    let dir = Path::new("public").join(&packet.token);
    let mut files = Vec::new();
    let mut keep = |path: PathBuf, result: Result<String, Diagnostic>| match result {
        Ok(text) => files.push(OutputFile::new(path, text)),
        Err(d) => problems.push(d),
    };
    keep(dir.join("index.html"), pages.cover(packet));
    for task in &packet.tasks {
        keep(dir.join(format!("{}.html", task.id)), pages.task(packet, task));
    }
    keep(dir.join("packet.md"), pages.markdown(packet));
    files
}

/// Lays out a batch of packets on every core, sharing fonts and parsed layouts.
fn render_pdfs(pdf: &PdfRenderer, batch: &[Packet]) -> Vec<Result<render::pdf::Pdf, Vec<Diagnostic>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(batch.len()).max(1);
    let per_thread = batch.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|p| pdf.render(p)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a PDF thread panicked")).collect()
    })
}
