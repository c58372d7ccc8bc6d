//! Stage 4: packets become files — HTML pages and Markdown through Tera, the PDF through Typst.
//!
//! Each renderer is built once per build from the [`Templates`](crate::templates::Templates) (so
//! templates are parsed once) and then turns view models into bytes without touching the disk.

pub mod html;
pub mod pdf;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::resolve::{Booklet, Packet, PacketLink, Resolved};
use crate::templates::Templates;
use crate::write::OutputFile;
use html::{PageRenderer, PrivateIndex};
use pdf::PdfRenderer;

/// Turns a Tera error into a diagnostic that names the template file (the site's override or the
/// built-in) and, when Tera knows it, the line and column.
pub(crate) fn tera_diagnostic(templates: &Templates, name: &str, err: &tera::Error) -> Diagnostic {
    let report = match err.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => Some(r),
        _ => None,
    };
    let file_name = report.map_or(name, |r| if r.filename().is_empty() { name } else { r.filename() });
    let origin = templates.get(file_name).map_or_else(|| Path::new(file_name).to_path_buf(), |f| f.origin.clone());
    let help = "fix the template; `tarea` passes it the variables documented in README.md";
    match (report, templates.get(file_name)) {
        (Some(r), Some(file)) => Diagnostic::error_at(
            &origin,
            file.text(),
            r.span().range.clone(),
            format!("template error: {}", r.message()),
        )
        .help(help),
        _ => Diagnostic::error(Some(&origin), format!("template error: {err}")).help(help),
    }
}

/// The renderers a build shares.
pub struct Renderers<'a> {
    /// The layout files.
    pub templates: &'a Templates,
    /// The parsed Tera templates.
    pub pages: &'a PageRenderer,
}

/// Everything rendered, in memory, ready to be written.
pub struct Rendered {
    /// The files, by their path under `out/`.
    pub files: Vec<OutputFile>,
    /// PDF pages laid out.
    pub pages: usize,
}

/// How many documents are laid out between two evictions of Typst's caches: memory stays flat
/// however large the caseload.
const EVICT_EVERY: usize = 32;

/// Renders every packet, booklet and therapist copy, plus the shared assets and the private index.
/// Problems go to `diags`, each distinct one once (a broken layout fails every packet alike).
pub fn render_site(
    resolved: &Resolved,
    renderers: &Renderers<'_>,
    index: &PrivateIndex<'_>,
    diags: &mut Diagnostics,
) -> Rendered {
    let Renderers { templates, pages } = *renderers;
    let mut files = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut keep = |path: PathBuf, result: Result<String, Diagnostic>, problems: &mut Vec<Diagnostic>| match result {
        Ok(text) => files.push(OutputFile::new(path, text)),
        Err(d) => problems.push(d),
    };
    let paper = resolved.packets.first().map_or("a4", |p| p.paper);
    keep("public/assets/tarea.css".into(), pages.stylesheet(paper), &mut problems);
    keep("public/robots.txt".into(), Ok("User-agent: *\nDisallow: /\n".into()), &mut problems);
    keep("private/index.html".into(), pages.private_index(index), &mut problems);
    keep("private/links.csv".into(), Ok(links_csv(&resolved.links)), &mut problems);
    for packet in &resolved.packets {
        let dir = Path::new("public").join(&packet.token);
        keep(dir.join("index.html"), pages.cover(packet), &mut problems);
        for task in &packet.tasks {
            keep(dir.join(format!("{}.html", task.id)), pages.task(packet, task), &mut problems);
        }
        keep(dir.join("packet.md"), pages.markdown(packet), &mut problems);
    }
    for booklet in &resolved.booklets {
        keep(Path::new("public").join(&booklet.token).join("booklet.html"), pages.booklet(booklet), &mut problems);
    }
    for copy in &resolved.copies {
        let path = Path::new("private").join(&copy.patient_id).join(format!("{}.html", copy.date.iso));
        keep(path, pages.therapist_copy(copy), &mut problems);
    }
    for (name, file) in templates.under("fonts/") {
        files.push(OutputFile::new(format!("public/assets/{name}"), file.bytes.to_vec()));
    }

    let pdf = PdfRenderer::new(templates);
    let mut jobs: Vec<(PathBuf, Job<'_>)> = Vec::new();
    for packet in &resolved.packets {
        jobs.push((Path::new("public").join(&packet.token).join("packet.pdf"), Job::Packet(packet)));
    }
    for booklet in &resolved.booklets {
        jobs.push((Path::new("public").join(&booklet.token).join("booklet.pdf"), Job::Booklet(booklet)));
    }
    let mut page_count = 0;
    for batch in jobs.chunks(EVICT_EVERY) {
        for ((path, _), result) in batch.iter().zip(render_pdfs(&pdf, batch)) {
            match result {
                Ok(done) => {
                    page_count += done.pages;
                    problems.extend(done.warnings);
                    files.push(OutputFile::new(path.clone(), done.bytes));
                }
                Err(errors) => problems.extend(errors),
            }
        }
        typst::comemo::evict(10);
    }
    let mut seen = std::collections::HashSet::new();
    diags.extend(problems.into_iter().filter(|d| seen.insert(d.to_string())));
    Rendered { files, pages: page_count }
}

/// A document for Typst.
enum Job<'a> {
    Packet(&'a Packet),
    Booklet(&'a Booklet),
}

/// Lays out a batch of documents on every core, sharing fonts and parsed layouts.
fn render_pdfs(pdf: &PdfRenderer, batch: &[(PathBuf, Job<'_>)]) -> Vec<Result<pdf::Pdf, Vec<Diagnostic>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(batch.len()).max(1);
    let per_thread = batch.len().div_ceil(threads);
    let one = |job: &Job<'_>| match job {
        Job::Packet(p) => pdf.packet(p),
        Job::Booklet(b) => pdf.booklet(b),
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|(_, job)| one(job)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a PDF thread panicked")).collect()
    })
}

/// `links.csv`: one row per packet, ready for a spreadsheet or a mail merge.
fn links_csv(links: &[PacketLink]) -> String {
    let field = |s: &str| {
        // Quote every field; a leading = + - @ is defused so a spreadsheet never runs it as a formula.
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut out = String::from("patient_id,patient,date,url\n");
    for l in links {
        out.push_str(&[field(&l.patient_id), field(&l.patient), field(&l.date), field(&l.url)].join(","));
        out.push('\n');
    }
    out
}
