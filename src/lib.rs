//! `tarea`: a static-site generator for printable, personalised therapy homework.
//!
//! A build is a pipeline of stages, each a function from data to data:
//! [`load`] (TOML files → typed values) → [`validate`] (cross-file checks) → [`resolve`] (plan +
//! library → packet view models) → [`render`] (HTML, Markdown, PDF) → [`write`] (all or nothing).
//! Problems from every stage are collected in one [`Diagnostics`] and reported together.
//!
//! Other programs (an EHR export, a clinic portal) use the same entry points as the CLI: start a
//! site, check it cheaply, build it, and read what each packet became.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let root = std::path::Path::new("clinic");
//! let options = tarea::scaffold::InitOptions {
//!     dir: root.into(),
//!     force: false,
//!     name: Some("Clínica Ejemplo".into()),
//!     language: Some("es".into()),
//!     paper: None,
//!     eject: false,
//! };
//! tarea::scaffold::init(&options)?; // a new site with the catalogue and an example plan
//! for warning in tarea::validate(root)? {
//!     eprintln!("{warning}"); // input problems fail; warnings are returned
//! }
//! let report = tarea::build(&tarea::BuildOptions { root: root.into(), out: root.join("out") })?;
//! println!("{} packets, {} PDF pages", report.packets, report.pages);
//! for link in tarea::list(root)? {
//!     println!("{} {} {}", link.patient, link.date, link.url); // what to send each patient
//! }
//! # Ok(())
//! # }
//! ```

pub mod answers;
pub mod cache;
pub mod course;
pub mod diagnostic;
pub mod i18n;
pub mod import;
#[cfg(test)]
mod layers;
pub mod load;
pub mod markdown;
pub mod model;
pub mod output;
pub mod params;
pub mod qr;
pub mod render;
pub mod resolve;
pub mod scaffold;
pub mod seal;
pub mod serve;
pub mod suggest;
pub mod templates;
pub mod token;
pub mod validate;
pub mod write;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

pub use diagnostic::{Diagnostic, Diagnostics, Failed};

use render::html::{PageRenderer, PrivateIndex};
use templates::Templates;

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
    /// Packets built (rendered now, or unchanged and kept).
    pub packets: usize,
    /// Packets rendered by this build (the others had not changed).
    pub rendered: usize,
    /// PDF pages laid out.
    pub pages: usize,
    /// Files written under `out/` (new or changed).
    pub files: usize,
    /// Their paths under `out/`.
    pub written: Vec<PathBuf>,
    /// Files in `out/` that tarea did not write and left alone.
    pub foreign: Vec<PathBuf>,
    /// Files of an earlier build that are gone (their session left a plan).
    pub removed: usize,
    /// Problems that did not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// The secret file, when this build had to create it.
    pub created_secret: Option<PathBuf>,
    /// Wall-clock time of the whole build.
    pub elapsed: Duration,
}

/// Which packets to render; by default, all of them.
#[derive(Debug, Clone, Default)]
pub struct BuildFilter {
    /// Only this patient's packets.
    pub patient: Option<String>,
    /// Only the packets of sessions on this date.
    pub session: Option<chrono::NaiveDate>,
    /// Seal every packet (patients without a password get a made-up passphrase), and remember it:
    /// every later build of the site seals them too (`build --encrypt`).
    pub encrypt_all: bool,
    /// Forget that the site was sealed with `--encrypt`, and allow publishing in the clear packets
    /// that `out/` holds sealed (`build --unseal`).
    pub unseal: bool,
    /// Leave the PDFs out (HTML and Markdown only).
    pub no_pdf: bool,
    /// A preview (`tarea serve`) into a folder of its own: nothing it writes is published, so it
    /// neither guards sealed packets nor changes whether the site is sealed (it seals when the
    /// site does, so the preview shows what will be published).
    pub preview: bool,
}

impl BuildFilter {
    /// Whether the filter keeps everything.
    pub fn is_everything(&self) -> bool {
        self.patient.is_none() && self.session.is_none()
    }
}

/// Builds every packet of the site at `options.root` into `options.out`. Problems in the input
/// fail the build with a [`Failed`] listing all of them, and nothing is written.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    build_with(options, &BuildFilter::default(), None)
}

/// Like [`build`], rendering only what `filter` keeps (the rest of `out/` is left as it is), and
/// reporting progress as documents are laid out.
pub fn build_with(
    options: &BuildOptions,
    filter: &BuildFilter,
    progress: Option<&dyn render::Progress>,
) -> Result<BuildReport> {
    let started = Instant::now();
    if filter.encrypt_all && filter.unseal {
        anyhow::bail!("--encrypt seals the site and --unseal unseals it: choose one");
    }
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(&options.root, &mut diags) else {
        return Err(fail(diags));
    };
    if let Some(patient) = &filter.patient {
        find_plan(&prepared.site, patient)?;
    }
    let (secret, created_secret) = token::load_or_create_secret(&options.root)?;
    write::check_out(&options.out)?;
    let _lock = write::lock::lock(&options.out, &|holder| {
        eprintln!("waiting for the other build into {} to finish ({holder})…", options.out.display());
    })?;
    write::discard_spool(&options.out)?;
    let previous = cache::Cache::load(&options.out);
    // Sealing is the site's: `--encrypt` once, and every later build seals too.
    let sealed = filter.encrypt_all || (seal::site_sealed(&options.root) && !filter.unseal);
    let filter = BuildFilter { encrypt_all: sealed, ..filter.clone() };
    let spool = options.out.join(write::SPOOL);
    let scope = RenderScope { filter: &filter, previous: &previous, out: &options.out, spool: Some(&spool) };
    let (packets, rendered) = render_prepared(&prepared, &secret, &scope, progress, &mut diags);
    if diags.error_count() > 0 {
        write::discard_spool(&options.out)?;
        return Err(fail(diags));
    }
    if filter.encrypt_all && !filter.preview {
        seal::remember_sealed(&options.root)?;
    }
    let output = write::Output {
        files: &rendered.files,
        spooled: &rendered.spooled,
        kept: &rendered.kept,
        whole: filter.is_everything(),
    };
    // The cache vouches only for packets this build leaves alone until every file is in place.
    rendered.cache.settled(&previous).save(&options.out)?;
    let written = write::write_output(&options.out, &output)?;
    rendered.cache.save(&options.out)?;
    if filter.unseal && !filter.preview {
        seal::forget_sealed(&options.root)?;
    }
    let mut warnings = diags.into_result().unwrap_or_default();
    warnings.extend(write_warnings(&options.out, &written));
    Ok(BuildReport {
        packets,
        rendered: rendered.packets,
        pages: rendered.pages,
        files: written.written,
        written: rendered.files.iter().map(|f| f.path.clone()).chain(rendered.spooled.iter().cloned()).collect(),
        foreign: written.foreign,
        removed: written.removed,
        warnings,
        created_secret,
        elapsed: started.elapsed(),
    })
}

/// What the write stage noticed and the user should hear: manifest lines it ignored, old files it
/// did not delete.
fn write_warnings(out: &std::path::Path, written: &write::Written) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if let Some(first) = written.refused.first() {
        let manifest = out.join(write::manifest::FILE);
        found.push(
            Diagnostic::error(
                Some(&manifest),
                format!(
                    "ignored {} line(s) that name no file tarea writes (the first: `{first}`)",
                    written.refused.len()
                ),
            )
            .help("tarea only ever removes files under out/public and out/private that it wrote; the file was edited")
            .warning(),
        );
    }
    for path in &written.spared {
        found.push(
            Diagnostic::error(Some(&out.join(path)), "kept an old file: its content is not what tarea wrote there")
                .help("its session left the plan; delete the file yourself if nobody needs it")
                .warning(),
        );
    }
    found
}

/// Refuses to publish in the clear a packet that `out/` holds sealed (its sealing was forgotten:
/// `encrypt` removed from clinic.toml or the plan, or a password removed), unless `--unseal`.
fn guard_sealed(out: &std::path::Path, links: &[resolve::PacketLink], chosen: &[bool], diags: &mut Diagnostics) {
    let unsealing: Vec<String> = links
        .iter()
        .zip(chosen)
        .filter(|(link, keep)| **keep && link.password.is_none())
        .filter(|(link, _)| {
            std::fs::read(out.join(output::packet_file(&link.token, output::COVER)))
                .is_ok_and(|p| seal::is_sealed_page(&p))
        })
        .map(|(link, _)| format!("{} {}", link.patient_id, link.date))
        .collect();
    if let Some(first) = unsealing.first() {
        let more = if unsealing.len() > 1 { format!(" and {} more", unsealing.len() - 1) } else { String::new() };
        diags.push(
            Diagnostic::error(
                Some(out),
                format!("this build would publish in the clear packets that are published sealed ({first}{more})"),
            )
            .help(
                "to keep them sealed, add `encrypt = true` to library/clinic.toml (or to the plan), or build once with \
                 --encrypt; to publish them in the clear on purpose, build with --unseal",
            ),
        );
    }
}

/// Resolves and renders (in memory) the packets `filter` keeps; returns how many.
/// What a render covers and where its files go.
struct RenderScope<'a> {
    filter: &'a BuildFilter,
    previous: &'a cache::Cache,
    out: &'a std::path::Path,
    spool: Option<&'a std::path::Path>,
}

fn render_prepared(
    prepared: &Prepared,
    secret: &token::Secret,
    scope: &RenderScope<'_>,
    progress: Option<&dyn render::Progress>,
    diags: &mut Diagnostics,
) -> (usize, render::Rendered) {
    let RenderScope { filter, previous, out, spool } = *scope;
    let Prepared { site, templates, strings, pages } = prepared;
    let resolved = resolve::resolve_site(site, strings, secret, filter.encrypt_all);
    stale_answers(site, &resolved, diags);
    let clinic = &site.clinic.value;
    let lang = clinic.default_language.get_ref();
    let t = strings.for_language(lang);
    let index = PrivateIndex {
        lang,
        t: &t,
        clinic: &clinic.name,
        assets: output::ASSETS_FROM_PRIVATE_INDEX,
        links: &resolved.links,
        patients: &resolved.patients,
    };
    let keep = |patient_id: &str, date: &str| {
        filter.patient.as_deref().is_none_or(|p| p == patient_id)
            && filter.session.is_none_or(|d| d.to_string() == date)
    };
    let selection =
        render::Selection { packets: resolved.links.iter().map(|l| keep(&l.patient_id, &l.date)).collect() };
    if spool.is_some() && !filter.unseal && !filter.preview {
        guard_sealed(out, &resolved.links, &selection.packets, diags);
    }
    let renderers = render::Renderers { templates, pages, progress, secret };
    let options = render::RenderOptions { selection: &selection, cache: previous, out, pdf: !filter.no_pdf, spool };
    let rendered = render::render_site(&resolved, &renderers, &index, &options, diags);
    (selection.packets.iter().filter(|k| **k).count(), rendered)
}

/// Warns about imported answers that no longer fit their packet (its plan was edited since): they
/// are kept in the file, but the therapist copy cannot place them.
fn stale_answers(site: &load::Site, resolved: &resolve::Resolved, diags: &mut Diagnostics) {
    for (packet, link) in resolved.packets.iter().zip(&resolved.links) {
        let Some(file) = site.answers.get(&link.patient_id).and_then(|a| a.get(&link.date)) else { continue };
        let checked = resolve::form::check(file, packet);
        let mut found = checked.problems;
        if !checked.unknown.is_empty() {
            found.push(answers::unknown_message(&checked.unknown));
        }
        if let Some(first) = found.first() {
            let more = if found.len() > 1 { format!(" (and {} more)", found.len() - 1) } else { String::new() };
            diags.push(
                Diagnostic::error(Some(&load::answers_path(&link.patient_id, &link.date)), format!("{first}{more}"))
                    .help(
                        "the session in the plan changed after these answers were imported; they stay in the \
                         file, but the therapist copy shows only those that still fit",
                    )
                    .warning(),
            );
        }
    }
}

/// Writes the Typst sources, data and fonts of every chosen packet (and booklet) into a folder of
/// its own under `dir`, laid out as the in-process compiler sees them, so `typst compile` can
/// reproduce each PDF (a debugging aid for layout authors, and the benchmark's comparison).
/// Returns how many documents were written.
pub fn emit_typst(root: &std::path::Path, dir: &std::path::Path, filter: &BuildFilter) -> Result<usize> {
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(root, &mut diags) else { return Err(fail(diags)) };
    let secret = token::load_secret(root)?.unwrap_or_else(|| token::Secret::from_bytes(b"tarea emit: no secret yet"));
    let resolved = resolve::resolve_site(&prepared.site, &prepared.strings, &secret, filter.encrypt_all);
    let keep = |l: &resolve::PacketLink| {
        filter.patient.as_deref().is_none_or(|p| p == l.patient_id)
            && filter.session.is_none_or(|d| d.to_string() == l.date)
    };
    let mut documents: Vec<(String, &str, Vec<u8>)> = Vec::new();
    for (packet, link) in resolved.packets.iter().zip(&resolved.links).filter(|(_, l)| keep(l)) {
        documents.push((packet.token.clone(), "typst/packet.typ", serde_json::to_vec(packet)?));
        if let Some(booklet) = resolved.booklets.iter().find(|b| b.token == link.token) {
            documents.push((format!("{}-booklet", booklet.token), "typst/booklet.typ", serde_json::to_vec(booklet)?));
        }
    }
    let templates = &prepared.templates;
    for (name, main, data) in &documents {
        let folder = dir.join(name);
        let mut files = vec![
            (folder.join("main.typ"), templates.file(main).bytes.to_vec()),
            (folder.join("packet.json"), data.clone()),
        ];
        for (layout, file) in templates.under("typst/") {
            files.push((folder.join(layout.trim_start_matches("typst/")), file.bytes.to_vec()));
        }
        for (font, file) in templates.under("fonts/") {
            files.push((folder.join(font), file.bytes.to_vec()));
        }
        for (path, bytes) in files {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(documents.len())
}

/// A site read, checked, and ready to render.
struct Prepared {
    site: load::Site,
    templates: Templates,
    strings: i18n::Strings,
    pages: PageRenderer,
}

/// Loads and checks everything a build needs (input, templates, interface words); `None` when any
/// error was found — all of them are in `diags`.
fn prepare(root: &std::path::Path, diags: &mut Diagnostics) -> Option<Prepared> {
    let templates = Templates::load(root, diags);
    let strings = i18n::Strings::parse(templates.file("i18n.toml")).map_err(|p| diags.extend(p)).ok();
    let site = load::load_site(root, diags);
    if let Some(site) = &site {
        validate::validate_site(site, diags);
    }
    let pages = PageRenderer::new(&templates).map_err(|p| diags.extend(p)).ok();
    match (site, strings, pages, diags.error_count()) {
        (Some(site), Some(strings), Some(pages), 0) => Some(Prepared { site, templates, strings, pages }),
        _ => None,
    }
}

/// Checks the site at `root` — input, templates, and every packet laid out in memory, so Typst
/// and Tera errors in overridden layouts show too — and writes nothing: every problem fails with
/// a [`Failed`]; the warnings are returned otherwise.
pub fn check(root: &std::path::Path) -> Result<Vec<Diagnostic>> {
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(root, &mut diags) else { return Err(fail(diags)) };
    // Tokens do not matter for a check; without a secret yet, a stand-in avoids creating one.
    let secret = token::load_secret(root)?.unwrap_or_else(|| token::Secret::from_bytes(b"tarea check: no secret yet"));
    let nothing = cache::Cache::default();
    let scope = RenderScope { filter: &BuildFilter::default(), previous: &nothing, out: root, spool: None };
    render_prepared(&prepared, &secret, &scope, None, &mut diags);
    diags.into_result().map_err(Into::into)
}

/// Loads, validates and resolves the site at `root` without laying anything out: every input
/// problem and warning [`check`] finds before layout (imported answers that no longer fit their
/// packet included), in a fraction of the time (no Typst, no Tera). A site that passes can still
/// fail in an overridden layout, which only [`check`] lays out.
pub fn validate(root: &std::path::Path) -> Result<Vec<Diagnostic>> {
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(root, &mut diags) else { return Err(fail(diags)) };
    let secret = token::Secret::from_bytes(b"tarea validate: tokens do not matter");
    let resolved = resolve::resolve_site(&prepared.site, &prepared.strings, &secret, false);
    stale_answers(&prepared.site, &resolved, &mut diags);
    diags.into_result().map_err(Into::into)
}

/// A ready-to-paste `[[sessions]]` block for `patient`'s next session (on `date`, or the date the
/// plan implies).
pub fn suggest(root: &std::path::Path, patient: &str, date: Option<chrono::NaiveDate>) -> Result<String> {
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(root, &mut diags) else { return Err(fail(diags)) };
    let plan = find_plan(&prepared.site, patient)?;
    Ok(suggest::next_session_block(&prepared.site, plan, date))
}

/// `tarea new session`: appends the proposed next session to the patient's plan file.
pub fn new_session(root: &std::path::Path, patient: &str, date: Option<chrono::NaiveDate>) -> Result<PathBuf> {
    let block = suggest(root, patient, date)?;
    let path = root.join("library/plans").join(format!("{patient}.toml"));
    scaffold::append_session(&path, &block)?;
    Ok(path)
}

/// `tarea import`: checks the answer files patients downloaded (or folders of them) against their
/// packets and keeps them under `library/answers/`; nothing is written if any file has a problem.
pub fn import_answers(root: &std::path::Path, paths: &[PathBuf]) -> Result<Vec<import::Imported>> {
    let packets = packets(root)?;
    import::import(root, paths, &packets)
}

/// Every packet of the site as its layouts see it, with its private-index link.
pub fn packets(root: &std::path::Path) -> Result<Vec<(resolve::Packet, resolve::PacketLink)>> {
    let resolved = resolved(root)?;
    Ok(resolved.packets.into_iter().zip(resolved.links).collect())
}

/// Every end-of-therapy booklet of the site as its layouts see it.
pub fn booklets(root: &std::path::Path) -> Result<Vec<resolve::Booklet>> {
    Ok(resolved(root)?.booklets)
}

/// The whole site resolved, for a site already built (its secret exists).
fn resolved(root: &std::path::Path) -> Result<resolve::Resolved> {
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(root, &mut diags) else { return Err(fail(diags)) };
    let secret = token::load_secret(root)?.with_context(|| {
        format!(
            "{} has no secret yet, so no packet was ever published from it: run `tarea build` first",
            root.display()
        )
    })?;
    Ok(resolve::resolve_site(&prepared.site, &prepared.strings, &secret, false))
}

/// Every packet's link, as `tarea list` shows them.
pub fn list(root: &std::path::Path) -> Result<Vec<resolve::PacketLink>> {
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(root, &mut diags) else { return Err(fail(diags)) };
    let (secret, _) = token::load_or_create_secret(root)?;
    Ok(resolve::resolve_site(&prepared.site, &prepared.strings, &secret, seal::site_sealed(root)).links)
}

fn find_plan<'a>(site: &'a load::Site, patient: &str) -> Result<&'a load::Loaded<model::Plan>> {
    site.plans.get(patient).ok_or_else(|| {
        let ids: Vec<&str> = site.plans.keys().map(String::as_str).collect();
        anyhow::anyhow!("no plan `{patient}` in library/plans/ (the plans are: {})", ids.join(", "))
    })
}

fn fail(diags: Diagnostics) -> anyhow::Error {
    match diags.into_result() {
        Err(failed) => failed.into(),
        Ok(_) => anyhow::anyhow!("build failed"),
    }
}
