//! `tarea build`: the whole pipeline into `out/` — load and validate, plan, render, write, all or
//! nothing — under the output folder's lock.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::diagnostic::{Diagnostic, Diagnostics, Partial};
use crate::output;
use crate::render::html::IndexPatient;
use crate::seal;
use crate::token;
use crate::write;

use super::{BuildSettings, Pipeline, Progress, RenderJob, SealedState, Target, fail};

/// What a successful build did.
#[derive(Debug)]
pub struct BuildReport {
    /// Packets built (rendered now, or unchanged and kept).
    pub packets: usize,
    /// Packets rendered by this build (the others had not changed).
    pub rendered: usize,
    /// Plans resolved by this build (the others had not changed: neither resolved nor rendered).
    pub plans: usize,
    /// PDF pages laid out.
    pub pages: usize,
    /// Wall-clock time spent rendering the packets that changed (the rest is the build's own work).
    pub laying_out: Duration,
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

/// Builds what `settings` choose into their `out/`. Problems in the input fail the build with a
/// [`Failed`](crate::Failed) listing all of them, and nothing is written.
pub fn build(settings: &BuildSettings, progress: Option<&dyn Progress>) -> Result<BuildReport> {
    let started = Instant::now();
    let pipeline = Pipeline::load(&settings.root)?;
    if let Some(patient) = &settings.select.patient {
        if !pipeline.has_plan(patient) {
            pipeline.plan_of(patient)?;
        }
        let site = pipeline.site();
        if site.plans.get(patient).is_some_and(|p| p.value.example) && !site.clinic.value.publish_examples {
            anyhow::bail!(
                "`{patient}` is an example plan (example = true): it is not published unless library/clinic.toml \
                 says publish_examples = true"
            );
        }
    }
    let (secret, created_secret) = token::load_or_create_secret(&settings.root)?;
    let out = settings.out.as_path();
    write::check_out(out)?;
    let _lock = write::lock::lock(out, &|holder| {
        eprintln!("waiting for the other build into {} to finish ({holder})…", out.display());
    })?;
    write::discard_spool(out)?;
    // Problems of some plans only (`local`) skip their packets; the others stop the build.
    let (mut local, skipped) = pipeline.notes(&settings.select);
    let target = Target::out(settings);
    let job = RenderJob { settings, secret: &secret, skipped: &skipped };
    let rendered = pipeline.render(&job, &target, progress);
    // The write stage needs none of the site: its parsed plans (15 MB at 5,000) go before it.
    drop(pipeline);
    let mut fatal = Diagnostics::default();
    if settings.guard_sealed {
        guard_sealed(out, (&rendered.patients, &settings.select), &rendered.laid_out, &mut fatal);
    }
    fatal.extend(rendered.problems);
    if fatal.error_count() > 0 {
        write::discard_spool(out)?;
        local.extend(fatal.into_vec());
        return Err(fail(local));
    }
    local.extend(fatal.into_vec());
    if settings.sealed_state == SealedState::Remember {
        seal::remember_sealed(&settings.root)?;
    }
    // A skipped patient's packets and pages stay as the last good build left them; the rest of
    // the output is whole (a session deleted from another plan goes), when the last build's cache
    // says which packets are the skipped patients'.
    let keep_under = skipped_folders((&skipped, &rendered.patients), &target.previous, out);
    let output = write::Output {
        files: &rendered.files,
        spooled: &rendered.spooled,
        kept: &rendered.kept,
        whole: settings.select.is_everything(),
        keep_under: &keep_under,
        listing: Some(&target.on_disk),
    };
    // The cache vouches only for packets this build leaves alone until every file is in place.
    rendered.cache.save_settled(&target.previous, out)?;
    let written = write::write_output(out, &output)?;
    rendered.cache.save(&target.previous, out)?;
    if settings.sealed_state == SealedState::Forget {
        seal::forget_sealed(&settings.root)?;
    }
    local.extend(write_warnings(out, &written));
    let links = rendered.patients.iter().flat_map(IndexPatient::links);
    let packets = links.filter(|(l, _)| settings.select.keeps(&l.patient_id, &l.date)).count();
    let partial = Partial { skipped, built: packets };
    let warnings = local.into_result_with(Some(partial))?;
    Ok(BuildReport {
        packets,
        rendered: rendered.packets,
        plans: rendered.plans,
        pages: rendered.pages,
        laying_out: rendered.laying_out,
        files: written.written,
        written: rendered
            .files
            .iter()
            .map(|f| f.path.clone())
            .chain(rendered.spooled.iter().map(|s| s.path.clone()))
            .collect(),
        foreign: written.foreign,
        removed: written.removed,
        warnings,
        created_secret,
        elapsed: started.elapsed(),
    })
}

/// The folders a build that skipped patients keeps as they are: their private pages, and every
/// packet folder that may be theirs — the last build's cache names its owner (a skipped patient,
/// or nobody in a cache written before owners were recorded), or neither the cache nor this build
/// knows it. Only packets known to belong to a patient built now can go (a deleted session).
fn skipped_folders(
    (skipped, patients): (&[String], &[IndexPatient]),
    previous: &crate::cache::Cache,
    out: &Path,
) -> Vec<PathBuf> {
    if skipped.is_empty() {
        return Vec::new();
    }
    let links = patients.iter().flat_map(IndexPatient::links);
    let built: std::collections::BTreeSet<&str> = links.map(|(l, _)| l.token.as_str()).collect();
    let owner_unknown = |token: &str| match previous.packets.get(token) {
        Some(entry) => entry.patient.is_empty() || skipped.contains(&entry.patient),
        None => !built.contains(token),
    };
    let on_disk = std::fs::read_dir(out.join(output::PUBLIC)).into_iter().flatten().flatten();
    let folders = on_disk.filter(|e| e.file_type().is_ok_and(|t| t.is_dir()));
    let tokens: Vec<String> = folders.filter_map(|e| e.file_name().into_string().ok()).collect();
    let packets = tokens.iter().filter(|t| owner_unknown(t)).map(|t| output::packet_dir(t));
    packets.chain(skipped.iter().map(|id| output::private_file(id))).collect()
}

/// What the write stage noticed and the user should hear: manifest lines it ignored, old files it
/// did not delete.
fn write_warnings(out: &Path, written: &write::Written) -> Vec<Diagnostic> {
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
/// Only the packets this build `laid_out` can change on disk: a kept one was made from the same
/// inputs, its password among them, so only their covers are read.
fn guard_sealed(
    out: &Path,
    (patients, select): (&[IndexPatient], &super::Selection),
    laid_out: &std::collections::HashSet<String>,
    diags: &mut Diagnostics,
) {
    let unsealing: Vec<String> = patients
        .iter()
        .flat_map(IndexPatient::links)
        .filter(|(link, password)| {
            password.is_none() && select.keeps(&link.patient_id, &link.date) && laid_out.contains(&link.token)
        })
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
