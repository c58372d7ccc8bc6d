//! Stage 4: packets become files — HTML pages and Markdown through Tera, the PDF through Typst.
//!
//! Each renderer is built once per build from the [`Templates`](crate::templates::Templates) (so
//! templates are parsed once) and then turns view models into bytes without touching the disk.

pub mod audit;
pub mod html;
pub mod ics;
pub mod pdf;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cache::{self, Cache, Entry, PacketInputs};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::output;
use crate::resolve::{Booklet, Packet, PacketLink, Resolved};
use crate::seal;
use crate::templates::Templates;
use crate::token::Secret;
use crate::write;
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
    /// The files rendered, by their path under `out/`.
    pub files: Vec<OutputFile>,
    /// Files of packets whose inputs did not change: already on disk, not rendered again.
    pub kept: Vec<PathBuf>,
    /// Packet files written to the spool folder as they were rendered (paths under `out/`).
    pub spooled: Vec<PathBuf>,
    /// PDF pages laid out.
    pub pages: usize,
    /// Packets rendered (the others were kept).
    pub packets: usize,
    /// The cache to save with the output.
    pub cache: Cache,
}

/// What to render and what is already there.
pub struct RenderOptions<'a> {
    /// Which packets.
    pub selection: &'a Selection,
    /// The previous build's cache.
    pub cache: &'a Cache,
    /// The output folder the cache describes.
    pub out: &'a Path,
    /// Whether to make PDFs (`--no-pdf` leaves them out).
    pub pdf: bool,
    /// Where rendered packet files go as soon as they are made, so memory stays flat however many
    /// packets there are; `None` keeps them in memory (a check).
    pub spool: Option<&'a Path>,
}

/// How many packets are laid out between two evictions of Typst's caches: memory stays flat
/// however large the caseload.
const EVICT_EVERY: usize = 8;

/// Renders every chosen packet whose inputs changed (on every core), plus the shared assets, the
/// therapist copies and the private index. Problems go to `diags`, each distinct one once (a
/// broken layout fails every packet alike).
pub fn render_site(
    resolved: &Resolved,
    renderers: &Renderers<'_>,
    index: &PrivateIndex<'_>,
    options: &RenderOptions<'_>,
    diags: &mut Diagnostics,
) -> Rendered {
    let Renderers { templates, pages, progress, secret } = *renderers;
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut files = shared_files(resolved, renderers, index, &mut problems);
    let chosen: BTreeSet<&str> = resolved
        .packets
        .iter()
        .zip(&options.selection.packets)
        .filter(|(_, keep)| **keep)
        .map(|(p, _)| p.token.as_str())
        .collect();
    for copy in resolved.copies.iter().filter(|c| chosen.contains(c.token.as_str())) {
        let path = output::therapist_copy(&copy.patient_id, &copy.date.iso);
        match pages.therapist_copy(copy) {
            Ok(text) => files.push(OutputFile::new(path, text)),
            Err(d) => problems.push(d),
        }
    }

    // Keep what is on disk already; render the rest.
    let fingerprint = cache::fingerprint(templates);
    let mut next = Cache { version: env!("CARGO_PKG_VERSION").into(), packets: BTreeMap::new() };
    let mut kept = Vec::new();
    let mut spooled = Vec::new();
    let mut work = Vec::new();
    for (packet, link) in resolved.packets.iter().zip(&resolved.links) {
        let token = packet.token.as_str();
        if !chosen.contains(token) {
            if let Some(entry) = options.cache.packets.get(token) {
                next.packets.insert(token.into(), entry.clone());
            }
            continue;
        }
        let booklet = resolved.booklets.iter().find(|b| b.token == token);
        let password = link.password.as_deref();
        let inputs = PacketInputs { fingerprint: &fingerprint, packet, booklet, password, pdf: options.pdf };
        let key = cache::packet_key(&inputs);
        match options.cache.hit(options.out, token, &key) {
            Some(on_disk) => {
                kept.extend(on_disk.iter().cloned());
                next.packets.insert(token.into(), Entry { key, files: on_disk.to_vec() });
            }
            None => work.push(Work { packet, booklet, password, key }),
        }
    }

    let pdf = (options.pdf && !work.is_empty()).then(|| PdfRenderer::new(templates));
    let context = PacketContext { pages, pdf: pdf.as_ref(), secret };
    if let Some(progress) = progress {
        progress.start(work.len());
    }
    let mut page_count = 0;
    for batch in work.chunks(EVICT_EVERY) {
        let results = in_parallel(batch, |w| render_packet(w, &context));
        for (w, result) in batch.iter().zip(results) {
            match result {
                Ok(done) => {
                    page_count += done.pages;
                    problems.extend(done.warnings);
                    let paths: Vec<PathBuf> = done.files.iter().map(|f| f.path.clone()).collect();
                    next.packets.insert(w.packet.token.clone(), Entry { key: w.key.clone(), files: paths.clone() });
                    match options.spool {
                        Some(spool) => match write::spool(spool, &done.files) {
                            Ok(()) => spooled.extend(paths),
                            Err(e) => problems.push(Diagnostic::error(Some(spool), format!("cannot write: {e:#}"))),
                        },
                        None => files.extend(done.files),
                    }
                }
                Err(errors) => problems.extend(errors),
            }
        }
        typst::comemo::evict(1);
        if let Some(progress) = progress {
            progress.advance(batch.len());
        }
    }
    let mut seen = std::collections::HashSet::new();
    diags.extend(problems.into_iter().filter(|d| seen.insert(d.to_string())));
    Rendered { files, kept, spooled, pages: page_count, packets: work.len(), cache: next }
}

/// Runs `f` over `items` on one worker per core, each taking the next item when free, and returns
/// the results in order. Exactly that many packets are in flight: Typst parallelises inside one
/// document too, and a work-stealing pool would start ever more documents while waiting, each
/// holding its memory.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break done };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a rendering thread panicked")).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The files every build writes: stylesheet, fonts, scripts, server settings, the private index
/// and links.csv. No robots.txt: it only counts at a host's root, and a `Disallow` there would keep
/// crawlers from ever seeing the pages' `noindex` (docs/publishing.md).
fn shared_files(
    resolved: &Resolved,
    renderers: &Renderers<'_>,
    index: &PrivateIndex<'_>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<OutputFile> {
    let Renderers { templates, pages, .. } = *renderers;
    let paper = resolved.packets.first().map_or("a4", |p| p.paper);
    let mut files = Vec::new();
    let rendered = [
        (output::asset("tarea.css"), pages.stylesheet(paper)),
        // Server settings for whoever hosts the packets: headers a static host applies, and an
        // nginx snippet for the clinic's web admin (private: it names where things live).
        (output::public_file("_headers"), Ok(templates.file("publish/_headers").text().to_string())),
        (output::private_file("nginx.conf"), Ok(templates.file("publish/nginx.conf").text().to_string())),
        (output::private_file("index.html"), pages.private_index(index)),
        (output::private_file("links.csv"), Ok(links_csv(&resolved.links))),
    ];
    for (path, result) in rendered {
        match result {
            Ok(text) => files.push(OutputFile::new(path, text)),
            Err(d) => problems.push(d),
        }
    }
    for (name, file) in templates.under("fonts/").chain(templates.under("assets/")) {
        if name == "assets/tarea.css" {
            continue;
        }
        if !publishable(name, file) {
            problems.push(
                Diagnostic::error(Some(&file.origin), "not published: only stylesheets, scripts, images and fonts are")
                    .help(
                        "everything under public/ can be fetched by anyone who guesses its name; keep other files \
                         (notes, documents) out of templates/",
                    )
                    .warning(),
            );
            continue;
        }
        let path = if name.starts_with("fonts/") { output::asset(name) } else { output::public_file(name) };
        files.push(OutputFile::new(path, file.bytes.to_vec()));
    }
    files
}

/// Whether a file of `templates/assets/` or `templates/fonts/` is published: a built-in one (the
/// pages use them all, and the fonts' licence goes with them), or a site's file of a type a page can
/// load. Anything else there (a stray note about a patient) would be public at a guessable address.
fn publishable(name: &str, file: &crate::templates::TemplateFile) -> bool {
    const ASSET_TYPES: [&str; 14] =
        ["css", "js", "mjs", "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "woff", "woff2", "ttf", "otf"];
    let extension = Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    file.origin.starts_with("<built-in>")
        || crate::templates::Templates::is_builtin(name)
        || ASSET_TYPES.contains(&extension.as_str())
}

/// One packet to render.
struct Work<'a> {
    packet: &'a Packet,
    booklet: Option<&'a Booklet>,
    password: Option<&'a str>,
    key: String,
}

/// What rendering a packet needs besides the packet.
struct PacketContext<'a> {
    pages: &'a PageRenderer,
    pdf: Option<&'a PdfRenderer>,
    secret: &'a Secret,
}

/// One packet's files and what making them took.
struct PacketFiles {
    files: Vec<OutputFile>,
    pages: usize,
    warnings: Vec<Diagnostic>,
}

/// Renders one packet: its pages, Markdown, PDF, booklet — sealed into one page when it has a
/// password.
fn render_packet(work: &Work<'_>, cx: &PacketContext<'_>) -> Result<PacketFiles, Vec<Diagnostic>> {
    let packet = work.packet;
    let file = |name: &str| output::packet_file(&packet.token, name);
    let mut done = PacketFiles { files: Vec::new(), pages: 0, warnings: Vec::new() };
    let one = |d: Diagnostic| vec![d];
    done.files.push(OutputFile::new(file(output::COVER), cx.pages.cover(packet).map_err(one)?));
    for task in &packet.tasks {
        let page = cx.pages.task(packet, task).map_err(one)?;
        done.files.push(OutputFile::new(output::task_page(&packet.token, &task.id), page));
    }
    done.files.push(OutputFile::new(file(output::MARKDOWN), cx.pages.markdown(packet).map_err(one)?));
    done.files.push(OutputFile::new(file(output::CALENDAR), ics::packet_calendar(packet)));
    if let Some(booklet) = work.booklet {
        done.files.push(OutputFile::new(file(output::BOOKLET_PAGE), cx.pages.booklet(booklet).map_err(one)?));
    }
    if let Some(pdf) = cx.pdf {
        // A layout error names the packet that led there, as the therapist knows it.
        let which = |name: &str| {
            let note = format!("while laying out {name} of {}'s session of {}", packet.patient, packet.date.iso);
            move |ds: Vec<Diagnostic>| ds.into_iter().map(|d| d.note(note.clone())).collect::<Vec<_>>()
        };
        let mut documents = vec![(output::PDF, pdf.packet(packet).map_err(which(output::PDF))?)];
        if let Some(booklet) = work.booklet {
            documents.push((output::BOOKLET_PDF, pdf.booklet(booklet).map_err(which(output::BOOKLET_PDF))?));
        }
        for (name, document) in documents {
            done.pages += document.pages;
            done.warnings.extend(document.warnings);
            done.files.push(OutputFile::new(file(name), document.bytes));
        }
    }
    if let Some(password) = work.password {
        seal_packet(&mut done.files, packet, password, (cx.pages, cx.secret)).map_err(one)?;
    }
    Ok(done)
}

/// Replaces every file of `packet`'s folder with one locked page holding them all, encrypted.
fn seal_packet(
    files: &mut Vec<OutputFile>,
    packet: &Packet,
    password: &str,
    (pages, secret): (&PageRenderer, &Secret),
) -> Result<(), Diagnostic> {
    let dir = output::packet_dir(&packet.token);
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
    files.push(OutputFile::new(dir.join(output::COVER), pages.locked(&packet.lang, &packet.t, &json)?));
    Ok(())
}

/// `links.csv`: one row per packet, ready for a spreadsheet or a mail merge.
fn links_csv(links: &[PacketLink]) -> String {
    let field = |s: &str| {
        // Quote every field; a leading = + - @ is defused so a spreadsheet never runs it as a formula.
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    // A password must open its packet exactly as listed: tarea's own never start with a formula
    // character, and validation refuses a plan's password that does.
    let password_field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("patient_id,patient,date,url,password\n");
    for l in links {
        let password = l.password.as_deref().unwrap_or_default();
        out.push_str(
            &[field(&l.patient_id), field(&l.patient), field(&l.date), field(&l.url), password_field(password)]
                .join(","),
        );
        out.push('\n');
    }
    out
}
