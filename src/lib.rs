//! `tarea`: a static-site generator for printable, personalised therapy homework.
//!
//! A build is a pipeline of stages, each a function from data to data:
//! [`load`] (TOML files → typed values) → [`validate`] (cross-file checks → a
//! [`Validated`](validate::Validated) site) → [`resolve`] (plan + library → packet view models) →
//! [`render`] (HTML, Markdown, PDF, in memory) → [`write`] (all or nothing). [`site`] decides a
//! build's [`BuildSettings`] once (command line, clinic.toml, the site's saved state) and runs the
//! stages as the one [`Pipeline`] every command goes through. Problems from every stage are
//! collected in one [`Diagnostics`] and reported together.
//!
//! Other programs (an EHR export, a clinic portal) use the same entry points as the CLI: start a
//! site, check it cheaply, build it, and read what each packet became — or run the stages one by
//! one.
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
//!
//! // The same stages, one by one: nothing is written.
//! let pipeline = tarea::Pipeline::load(root)?; // loaded and validated, or every problem
//! let settings = tarea::BuildSettings::reading(root); // everything, sealed as the site is
//! let (secret, _) = tarea::token::load_or_create_secret(root)?;
//! let planned = pipeline.plan(&settings, secret.clone()); // packet view models; nothing laid out
//! for packet in &planned.resolved.packets {
//!     println!("{} {}: {} tasks", packet.patient, packet.date.iso, packet.tasks.len());
//! }
//! // A build resolves and renders plan by plan, reusing what has not changed since the last one.
//! let job = tarea::site::RenderJob { settings: &settings, secret: &secret, skipped: &planned.skipped };
//! let rendered = pipeline.render(&job, &tarea::site::Target::memory(&settings), None);
//! println!("{} files in memory, {} PDF pages", rendered.files.len(), rendered.pages);
//! # Ok(())
//! # }
//! ```

pub mod answers;
pub mod cache;
pub(crate) mod course;
pub mod diagnostic;
pub mod i18n;
pub mod import;
#[cfg(test)]
mod layers;
pub mod load;
pub(crate) mod markdown;
pub mod model;
pub mod output;
mod parallel;
pub(crate) mod params;
pub(crate) mod qr;
pub mod render;
pub mod resolve;
pub mod scaffold;
pub mod seal;
pub mod serve;
pub mod site;
pub(crate) mod suggest;
pub mod templates;
pub mod token;
pub mod validate;
pub mod write;

use std::path::{Path, PathBuf};

use anyhow::Result;

pub use diagnostic::{Diagnostic, Diagnostics, Failed};
pub use site::{
    BuildOptions, BuildReport, BuildRequest, BuildSettings, Pipeline, Planned, Progress, Selection, check, check_with,
    list, suggest, validate,
};

/// Builds every packet of the site at `options.root` into `options.out`. Problems in the input
/// fail the build with a [`Failed`] listing all of them, and nothing is written.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    build_with(options, &BuildRequest::default(), None)
}

/// Like [`build`], rendering only what `request` keeps (the rest of `out/` is left as it is), and
/// reporting progress as documents are laid out.
pub fn build_with(
    options: &BuildOptions,
    request: &BuildRequest,
    progress: Option<&dyn Progress>,
) -> Result<BuildReport> {
    site::build(&BuildSettings::decide(options, request)?, progress)
}

/// Writes the Typst sources, data and fonts of every packet (and booklet) `request` keeps into a
/// folder of its own under `dir`, so `typst compile` can reproduce each PDF; returns how many.
pub fn emit_typst(root: &Path, dir: &Path, request: &BuildRequest) -> Result<usize> {
    let options = BuildOptions { root: root.to_path_buf(), out: root.join("out") };
    site::emit_typst(&BuildSettings::decide(&options, request)?, dir)
}

/// `tarea new session`: appends the proposed next session to the patient's plan file.
pub fn new_session(root: &Path, patient: &str, date: Option<chrono::NaiveDate>) -> Result<PathBuf> {
    let block = suggest(root, patient, date)?;
    let path = root.join("library/plans").join(format!("{patient}.toml"));
    scaffold::append_session(&path, &block)?;
    Ok(path)
}

/// `tarea import`: checks the answer files patients downloaded (or folders of them) against their
/// packets and keeps them under `library/answers/`; nothing is written if any file has a problem.
pub fn import_answers(root: &Path, paths: &[PathBuf]) -> Result<Vec<import::Imported>> {
    let packets = packets(root)?;
    import::import(root, paths, &packets)
}

/// Every packet of the site as its layouts see it, with its private-index link.
pub fn packets(root: &Path) -> Result<Vec<(resolve::Packet, resolve::PacketLink)>> {
    let resolved = site::resolved(root)?;
    Ok(resolved.packets.into_iter().zip(resolved.links).collect())
}

/// Every end-of-therapy booklet of the site as its layouts see it.
pub fn booklets(root: &Path) -> Result<Vec<resolve::Booklet>> {
    Ok(site::resolved(root)?.booklets)
}
