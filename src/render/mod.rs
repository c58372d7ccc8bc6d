//! Stage 4: packets become files — HTML pages and Markdown through Tera, the PDF through Typst.
//!
//! Each renderer is built once per build from the [`Templates`](crate::templates::Templates) (so
//! templates are parsed once) and then turns view models into bytes without touching the disk.

pub mod html;
pub mod pdf;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::resolve::{Booklet, Packet, PacketLink, Resolved};
use crate::seal;
use crate::templates::Templates;
use crate::token::Secret;
use crate::write::OutputFile;
use html::{PageRenderer, PrivateIndex};
use pdf::PdfRenderer;

/// Turns a Tera error into a diagnostic that names the template file (the site's override or the
/// built-in) and, when Tera knows it, the line and column.
pub(crate) fn tera_diagnostic(templates: &Templates, name: &str, err: &tera::Error) -> Diagnostic {
    let help = "fix the template; README.md lists the variables each template is given";
    let (file_name, range, message) = match err.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            let file = if r.filename().is_empty() { name } else { r.filename() };
            (file.to_string(), Some(r.span().range.clone()), r.message().to_string())
        }
        // Errors found while linking templates together come as text: find `--> name:line:col`.
        _ => {
            let text = err.to_string();
            let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
            match located_in(&text) {
                Some((file, line, column)) => {
                    let range =
                        templates.get(&file).and_then(|f| byte_offset(f.text(), line, column)).map(|at| at..at + 1);
                    (file, range, first)
                }
                None => (name.to_string(), None, first),
            }
        }
    };
    let origin = templates.get(&file_name).map_or_else(|| Path::new(&file_name).to_path_buf(), |f| f.origin.clone());
    match (range, templates.get(&file_name)) {
        (Some(range), Some(file)) => {
            Diagnostic::error_at(&origin, file.text(), range, format!("template error: {message}")).help(help)
        }
        _ => Diagnostic::error(Some(&origin), format!("template error: {message}")).help(help),
    }
}

/// The `name:line:col` after the first `--> ` in a rendered report.
fn located_in(text: &str) -> Option<(String, usize, usize)> {
    let rest = &text[text.find("--> ")? + 4..];
    let place = rest.split_whitespace().next()?;
    let mut parts = place.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_string(), line, column))
}

/// The byte offset of a 1-based line and column (Tera's report counts columns from 1 here).
fn byte_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = text.split_inclusive('\n').take(line.checked_sub(1)?).map(str::len).sum();
    let line_text = text[start..].split('\n').next()?;
    let within: usize = line_text.chars().take(column.saturating_sub(1)).map(char::len_utf8).sum();
    Some(start + within)
}

/// The renderers a build shares.
pub struct Renderers<'a> {
    /// The layout files.
    pub templates: &'a Templates,
    /// The parsed Tera templates.
    pub pages: &'a PageRenderer,
    /// Told as documents are laid out (a progress bar on a terminal).
    pub progress: Option<&'a dyn Progress>,
    /// The site secret (for sealing encrypted packets reproducibly).
    pub secret: &'a Secret,
}

/// Something that shows how far rendering has got.
pub trait Progress: Sync {
    /// Rendering `total` documents starts.
    fn start(&self, total: usize);
    /// `n` more documents are done.
    fn advance(&self, n: usize);
}

/// Which packets to render, by index into [`Resolved::packets`] (the private index always lists
/// every packet).
pub struct Selection {
    /// One flag per packet.
    pub packets: Vec<bool>,
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
    selection: &Selection,
    diags: &mut Diagnostics,
) -> Rendered {
    let Renderers { templates, pages, progress, secret } = *renderers;
    let chosen =
        |token: &str| resolved.packets.iter().zip(&selection.packets).any(|(p, keep)| *keep && p.token == token);
    let packets: Vec<&Packet> = resolved.packets.iter().filter(|p| chosen(&p.token)).collect();
    let booklets: Vec<&Booklet> = resolved.booklets.iter().filter(|b| chosen(&b.token)).collect();
    let mut files = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut keep = |path: PathBuf, result: Result<String, Diagnostic>, problems: &mut Vec<Diagnostic>| match result {
        Ok(text) => files.push(OutputFile::new(path, text)),
        Err(d) => problems.push(d),
    };
    let paper = resolved.packets.first().map_or("a4", |p| p.paper);
    keep("public/assets/tarea.css".into(), pages.stylesheet(paper), &mut problems);
    keep("public/robots.txt".into(), Ok("User-agent: *\nDisallow: /\n".into()), &mut problems);
    // Server settings for whoever hosts the packets: headers a static host applies, and an
    // nginx snippet for the clinic's web admin (private: it names where things live).
    keep("public/_headers".into(), Ok(templates.file("publish/_headers").text().to_string()), &mut problems);
    keep("private/nginx.conf".into(), Ok(templates.file("publish/nginx.conf").text().to_string()), &mut problems);
    keep("private/index.html".into(), pages.private_index(index), &mut problems);
    keep("private/links.csv".into(), Ok(links_csv(&resolved.links)), &mut problems);
    for packet in &packets {
        let dir = Path::new("public").join(&packet.token);
        keep(dir.join("index.html"), pages.cover(packet), &mut problems);
        for task in &packet.tasks {
            keep(dir.join(format!("{}.html", task.id)), pages.task(packet, task), &mut problems);
        }
        keep(dir.join("packet.md"), pages.markdown(packet), &mut problems);
    }
    for booklet in &booklets {
        keep(Path::new("public").join(&booklet.token).join("booklet.html"), pages.booklet(booklet), &mut problems);
    }
    for copy in resolved.copies.iter().filter(|c| chosen(&c.token)) {
        let path = Path::new("private").join(&copy.patient_id).join(format!("{}.html", copy.date.iso));
        keep(path, pages.therapist_copy(copy), &mut problems);
    }
    for (name, file) in templates.under("fonts/") {
        files.push(OutputFile::new(format!("public/assets/{name}"), file.bytes.to_vec()));
    }
    for (name, file) in templates.under("assets/").filter(|(n, _)| !n.ends_with(".css")) {
        files.push(OutputFile::new(format!("public/{name}"), file.bytes.to_vec()));
    }

    let pdf = PdfRenderer::new(templates);
    let mut jobs: Vec<(PathBuf, Job<'_>)> = Vec::new();
    for packet in &packets {
        jobs.push((Path::new("public").join(&packet.token).join("packet.pdf"), Job::Packet(packet)));
    }
    for booklet in &booklets {
        jobs.push((Path::new("public").join(&booklet.token).join("booklet.pdf"), Job::Booklet(booklet)));
    }
    if let Some(progress) = progress {
        progress.start(jobs.len());
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
        if let Some(progress) = progress {
            progress.advance(batch.len());
        }
    }
    let passwords = resolved
        .packets
        .iter()
        .zip(&resolved.links)
        .filter_map(|(p, l)| Some((p.token.as_str(), l.password.as_ref()?)));
    for (token, password) in passwords {
        if let Some(packet) = packets.iter().find(|p| p.token == token) {
            match seal_packet(&mut files, packet, password, (pages, secret)) {
                Ok(()) => {}
                Err(d) => problems.push(d),
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    diags.extend(problems.into_iter().filter(|d| seen.insert(d.to_string())));
    Rendered { files, pages: page_count }
}

/// Replaces every file of `packet`'s folder with one locked page holding them all, encrypted.
fn seal_packet(
    files: &mut Vec<OutputFile>,
    packet: &Packet,
    password: &str,
    (pages, secret): (&PageRenderer, &Secret),
) -> Result<(), Diagnostic> {
    let dir = Path::new("public").join(&packet.token);
    let mut bundle = seal::Bundle::default();
    files.retain(|file| match file.path.strip_prefix(&dir) {
        Ok(name) => {
            bundle.add(&name.to_string_lossy(), &file.bytes);
            false
        }
        Err(_) => true,
    });
    let failed = |e: anyhow::Error| Diagnostic::error(None, format!("sealing a packet: {e}"));
    let sealed = seal::seal(&bundle, password, secret, &packet.token).map_err(failed)?;
    let json = seal::script_safe_json(&sealed).map_err(failed)?;
    files.push(OutputFile::new(dir.join("index.html"), pages.locked(&packet.lang, &packet.t, &json)?));
    Ok(())
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
    let mut out = String::from("patient_id,patient,date,url,password\n");
    for l in links {
        let password = l.password.as_deref().unwrap_or_default();
        out.push_str(
            &[field(&l.patient_id), field(&l.patient), field(&l.date), field(&l.url), field(password)].join(","),
        );
        out.push('\n');
    }
    out
}
