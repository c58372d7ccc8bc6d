//! Stage 4: packets become files — HTML pages and Markdown through Tera, the PDF through Typst.
//!
//! Each renderer is built once per build from the [`Templates`](crate::templates::Templates) (so
//! templates are parsed once) and then turns view models into bytes without touching the disk:
//! a packet in, its files out, in memory. Which packets to render, the cache, the worker pool
//! and where the files go are the site's business ([`crate::site`]).

pub mod audit;
pub mod html;
pub mod ics;
pub mod pdf;

use std::collections::BTreeSet;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::output::{self, OutputFile};
use crate::resolve::{Booklet, Packet, Resolved};
use crate::seal;
use crate::templates::Templates;
use crate::token::Secret;
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
}

/// The therapist copies of the packets whose tokens are `chosen` (private pages).
pub fn therapist_copies(
    resolved: &Resolved,
    chosen: &BTreeSet<&str>,
    pages: &PageRenderer,
    problems: &mut Vec<Diagnostic>,
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for copy in resolved.copies.iter().filter(|c| chosen.contains(c.token.as_str())) {
        let path = output::therapist_copy(&copy.patient_id, &copy.date.iso);
        match pages.therapist_copy(copy) {
            Ok(text) => files.push(OutputFile::new(path, text)),
            Err(d) => problems.push(d),
        }
    }
    files
}

/// The pages of the patients with a packet among `chosen` (private pages).
pub fn patient_pages(
    resolved: &Resolved,
    chosen: &BTreeSet<&str>,
    (pages, index): (&PageRenderer, &PrivateIndex<'_>),
    problems: &mut Vec<Diagnostic>,
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    for patient in resolved.patients.iter().filter(|p| p.packets.iter().any(|l| chosen.contains(l.token.as_str()))) {
        match pages.patient_page(index, patient) {
            Ok(text) => files.push(OutputFile::new(output::patient_page(&patient.id), text)),
            Err(d) => problems.push(d),
        }
    }
    files
}

/// The files every build writes besides the private index (written as it is made:
/// [`PageRenderer::write_private_index`]): stylesheet, fonts, scripts, server settings and
/// links.csv. No robots.txt: it only counts at a host's root, and a `Disallow` there would keep
/// crawlers from ever seeing the pages' `noindex` (docs/publishing.md).
pub fn shared_files(
    paper: &str,
    renderers: &Renderers<'_>,
    index: &PrivateIndex<'_>,
    problems: &mut Vec<Diagnostic>,
) -> Vec<OutputFile> {
    let Renderers { templates, pages } = *renderers;
    let mut files = Vec::new();
    let rendered = [
        (output::asset("tarea.css"), pages.stylesheet(paper)),
        // Server settings for whoever hosts the packets: headers a static host applies, and an
        // nginx snippet for the clinic's web admin (private: it names where things live).
        (output::public_file("_headers"), Ok(templates.file("publish/_headers").text().to_string())),
        (output::private_file("nginx.conf"), Ok(templates.file("publish/nginx.conf").text().to_string())),
        (output::private_file("links.csv"), Ok(links_csv(index.patients))),
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
pub struct PacketJob<'a> {
    /// The packet.
    pub packet: &'a Packet,
    /// Its end-of-therapy booklet, if it has one.
    pub booklet: Option<&'a Booklet>,
    /// Its password, when it is sealed.
    pub password: Option<&'a str>,
}

/// What rendering a packet needs besides the packet.
pub struct PacketContext<'a> {
    /// The parsed Tera templates.
    pub pages: &'a PageRenderer,
    /// The Typst renderer; `None` leaves the PDFs out.
    pub pdf: Option<&'a PdfRenderer>,
    /// The site secret (sealing).
    pub secret: &'a Secret,
}

/// One packet's files and what making them took.
pub struct PacketFiles {
    /// Its files, by their path under `out/`.
    pub files: Vec<OutputFile>,
    /// PDF pages laid out.
    pub pages: usize,
    /// Typst's warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Renders one packet: its pages, Markdown, PDF, booklet — sealed into one page when it has a
/// password.
pub fn packet(work: &PacketJob<'_>, cx: &PacketContext<'_>) -> Result<PacketFiles, Vec<Diagnostic>> {
    let packet = work.packet;
    let file = |name: &str| output::packet_file(&packet.token, name);
    let mut done = PacketFiles { files: Vec::new(), pages: 0, warnings: Vec::new() };
    let one = |d: Diagnostic| vec![d];
    let pages = cx.pages.packet_pages(packet);
    done.files.push(OutputFile::new(file(output::COVER), cx.pages.cover(&pages).map_err(one)?));
    for task in &packet.tasks {
        let page = cx.pages.task(&pages, task).map_err(one)?;
        done.files.push(OutputFile::new(output::task_page(&packet.token, &task.id), page));
    }
    done.files.push(OutputFile::new(file(output::MARKDOWN), cx.pages.markdown(&pages).map_err(one)?));
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
fn links_csv(patients: &[html::IndexPatient]) -> String {
    let field = |s: &str| {
        // Quote every field; a leading = + - @ is defused so a spreadsheet never runs it as a formula.
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    // A password must open its packet exactly as listed: tarea's own never start with a formula
    // character, and validation refuses a plan's password that does.
    let password_field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("patient_id,patient,date,url,password\n");
    for (l, password) in patients.iter().flat_map(html::IndexPatient::links) {
        let password = password.unwrap_or_default();
        out.push_str(
            &[field(&l.patient_id), field(&l.patient), field(&l.date), field(&l.url), password_field(password)]
                .join(","),
        );
        out.push('\n');
    }
    out
}
