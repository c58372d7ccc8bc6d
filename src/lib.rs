//! `tarea`: a static-site generator for printable, personalised therapy homework.
//!
//! A build is a pipeline of stages, each a function from data to data:
//! [`load`] (TOML files → typed values) → [`validate`] (cross-file checks) → [`resolve`] (plan +
//! library → packet view models) → [`render`] (HTML, Markdown, PDF) → [`write`] (all or nothing).
//! Problems from every stage are collected in one [`Diagnostics`] and reported together.

pub mod course;
pub mod diagnostic;
pub mod i18n;
pub mod load;
pub mod markdown;
pub mod model;
pub mod params;
pub mod render;
pub mod resolve;
pub mod suggest;
pub mod templates;
pub mod token;
pub mod validate;
pub mod write;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;

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
    let Some(Prepared { site, templates, strings, pages }) = prepare(&options.root, &mut diags) else {
        return Err(fail(diags));
    };
    let (secret, created_secret) = token::load_or_create_secret(&options.root)?;
    let resolved = resolve::resolve_site(&site, &strings, &secret);
    let clinic = &site.clinic.value;
    let lang = clinic.default_language.get_ref();
    let t = strings.for_language(lang);
    let index = PrivateIndex {
        lang,
        t: &t,
        clinic: &clinic.name,
        assets: "../public/assets",
        links: &resolved.links,
        patients: &resolved.patients,
    };
    let renderers = render::Renderers { templates: &templates, pages: &pages };
    let rendered = render::render_site(&resolved, &renderers, &index, &mut diags);
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

/// Checks the site at `root` and writes nothing: every problem fails with a [`Failed`]; the
/// warnings are returned otherwise.
pub fn check(root: &std::path::Path) -> Result<Vec<Diagnostic>> {
    let mut diags = Diagnostics::default();
    match prepare(root, &mut diags) {
        Some(_) => Ok(diags.into_result().unwrap_or_default()),
        None => Err(fail(diags)),
    }
}

/// A ready-to-paste `[[sessions]]` block for `patient`'s next session.
pub fn suggest(root: &std::path::Path, patient: &str) -> Result<String> {
    let mut diags = Diagnostics::default();
    let Some(prepared) = prepare(root, &mut diags) else { return Err(fail(diags)) };
    let Some(plan) = prepared.site.plans.get(patient) else {
        let ids: Vec<&str> = prepared.site.plans.keys().map(String::as_str).collect();
        anyhow::bail!("no plan `{patient}` in library/plans/ (the plans are: {})", ids.join(", "));
    };
    Ok(suggest::next_session_block(&prepared.site, plan))
}

fn fail(diags: Diagnostics) -> anyhow::Error {
    match diags.into_result() {
        Err(failed) => failed.into(),
        Ok(_) => anyhow::anyhow!("build failed"),
    }
}
