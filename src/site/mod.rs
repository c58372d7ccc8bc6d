//! The site stage: what a command was asked ([`BuildRequest`]) becomes the settings of one build
//! ([`BuildSettings`]: decided once, from the request, clinic.toml and the site's saved state), and
//! one [`Pipeline`] — load and validate, plan, render, write — is what every command runs.
//!
//! Before this module each command assembled its own pipeline, and sealing was decided in three
//! places: `build --encrypt` remembered, `emit-typst` forgot. Now the commands differ only in how
//! far down the pipeline they go and what they keep of it.

mod build;
mod emit;
mod render;
mod root;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::i18n::Strings;
use crate::load::{self, Loaded, Site};
use crate::model::Plan;
use crate::render::html::PageRenderer;
use crate::resolve::{self, Resolved};
use crate::templates::Templates;
use crate::token::{self, Secret};
use crate::validate::{self, Validated};

pub use build::{BuildReport, build};
pub use emit::emit_typst;
pub use render::{Progress, RenderJob, Rendered, Sink, Target};
pub use root::{check_root, find_root, no_site_here};

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site: the folder holding `library/` and, optionally, `templates/`.
    pub root: PathBuf,
    /// Where `public/` and `private/` are written.
    pub out: PathBuf,
}

/// Which packets a build renders; by default, all of them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this patient's packets.
    pub patient: Option<String>,
    /// Only the packets of sessions on this date.
    pub session: Option<chrono::NaiveDate>,
    /// Only the patients of this shard (`--shard K/N`).
    pub shard: Option<Shard>,
}

impl Selection {
    /// Whether the packet of `patient_id`'s session on `date` is selected.
    pub fn keeps(&self, patient_id: &str, date: &str) -> bool {
        self.patient.as_deref().is_none_or(|p| p == patient_id)
            && self.session.is_none_or(|d| d.to_string() == date)
            && self.shard.is_none_or(|s| s.holds(patient_id))
    }

    /// Whether every packet is.
    pub fn is_everything(&self) -> bool {
        self.patient.is_none() && self.session.is_none() && self.shard.is_none()
    }
}

/// One of `count` parts of a build, split by patient, so that a clinic network can build its
/// packets on several CI runners at once and publish their union: every patient's packets fall in
/// exactly one shard, the same on every machine, and the shared pages (the index, the assets) are
/// the same in every shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 1.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Whether `patient_id`'s packets are this shard's: a stable hash of the id, not the order of
    /// the plans, so adding a patient moves no one else.
    pub fn holds(self, patient_id: &str) -> bool {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(patient_id.as_bytes());
        let value = u64::from_be_bytes(hash[..8].try_into().expect("a SHA-256 digest has 32 bytes"));
        self.index.checked_sub(1).is_some_and(|k| self.count > 0 && value % u64::from(self.count) == u64::from(k))
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `K/N`, 1 ≤ K ≤ N.
    fn from_str(text: &str) -> Result<Shard, String> {
        let wrong = || format!("`{text}` is not a shard: write K/N, e.g. 2/4 for the second of four");
        let (k, n) = text.split_once('/').ok_or_else(wrong)?;
        let (index, count) =
            (k.trim().parse::<u32>().map_err(|_| wrong())?, n.trim().parse::<u32>().map_err(|_| wrong())?);
        if count == 0 || index == 0 || index > count {
            return Err(format!("`{text}`: the shard K/N needs 1 ≤ K ≤ N"));
        }
        Ok(Shard { index, count })
    }
}

/// What the user asked of one build (the command line's flags); by default, everything.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// Which packets.
    pub select: Selection,
    /// Seal every packet (patients without a password get a made-up passphrase), and remember it:
    /// every later build of the site seals them too (`build --encrypt`).
    pub encrypt: bool,
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

/// What a successful build does to the site's saved "sealed" state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedState {
    /// Leave it as it is.
    Keep,
    /// Remember that the site is sealed (`--encrypt`).
    Remember,
    /// Forget it (`--unseal`).
    Forget,
}

/// How one build is configured, decided once: every stage reads it, none decides again.
#[derive(Debug, Clone)]
pub struct BuildSettings {
    /// The site.
    pub root: PathBuf,
    /// Where its output goes.
    pub out: PathBuf,
    /// Which packets it renders.
    pub select: Selection,
    /// Seal every packet, not only those the plans or the clinic ask for.
    pub seal_all: bool,
    /// Refuse to publish in the clear a packet `out/` holds sealed (not when unsealing on purpose,
    /// nor in a preview, which is never published).
    pub guard_sealed: bool,
    /// What a successful build does to the saved sealed state.
    pub sealed_state: SealedState,
    /// Whether to make PDFs.
    pub pdf: bool,
}

impl BuildSettings {
    /// Settles `request` against the site's saved state: `--encrypt` once, and every later build
    /// seals too, until `--unseal`.
    pub fn decide(options: &BuildOptions, request: &BuildRequest) -> Result<BuildSettings> {
        if request.encrypt && request.unseal {
            anyhow::bail!("--encrypt seals the site and --unseal unseals it: choose one");
        }
        let sealed_state = match (request.preview, request.encrypt, request.unseal) {
            (true, _, _) => SealedState::Keep,
            (false, true, _) => SealedState::Remember,
            (false, false, true) => SealedState::Forget,
            (false, false, false) => SealedState::Keep,
        };
        Ok(BuildSettings {
            root: options.root.clone(),
            out: options.out.clone(),
            select: request.select.clone(),
            seal_all: request.encrypt || (crate::seal::site_sealed(&options.root) && !request.unseal),
            guard_sealed: !request.unseal && !request.preview,
            sealed_state,
            pdf: !request.no_pdf,
        })
    }

    /// The settings of a command that reads the whole site as its next build would see it (check,
    /// list, import) and publishes nothing.
    pub fn reading(root: &Path) -> BuildSettings {
        let options = BuildOptions { root: root.to_path_buf(), out: root.join("out") };
        let read_only = BuildSettings::decide(&options, &BuildRequest { preview: true, ..BuildRequest::default() });
        read_only.expect("a request without --encrypt and --unseal is always settled")
    }
}

/// A site loaded and validated, with its layouts and words: the first stage every command runs.
pub struct Pipeline {
    site: Validated<Site>,
    /// What loading and validating warned about: every later stage's report starts with them.
    warnings: Vec<Diagnostic>,
    templates: Templates,
    strings: Strings,
    /// The interface words of the private pages (the clinic's language).
    private_words: crate::i18n::Words,
    pages: PageRenderer,
}

/// The packets of one build, resolved, and which of them it renders.
pub struct Planned {
    /// Every packet of the site (the private index lists them all).
    pub resolved: Resolved,
    /// One flag per packet of `resolved`: rendered by this build.
    pub chosen: Vec<bool>,
    /// What planning noticed: warnings (imported answers that no longer fit), and the errors of
    /// the homework and plans this build needed and could not use.
    pub diags: Diagnostics,
    /// The patients whose packets this build skips: their plan, their answers or a homework
    /// they use has errors.
    pub skipped: Vec<String>,
    /// The secret the tokens and passwords came from (sealing uses it too).
    pub secret: Secret,
}

impl Pipeline {
    /// Loads and checks everything a build needs (input, templates, interface words); fails with a
    /// [`Failed`](crate::Failed) listing every problem found.
    pub fn load(root: &Path) -> Result<Pipeline> {
        let mut diags = Diagnostics::default();
        let templates = Templates::load(root, &mut diags);
        let strings = Strings::parse(templates.file("i18n.toml")).map_err(|p| diags.extend(p)).ok();
        let site = load::load_site(root, &mut diags);
        let pages = PageRenderer::new(&templates).map_err(|p| diags.extend(p)).ok();
        let site = site.and_then(|site| validate::validate_site(site, &mut diags));
        match (site, strings, pages) {
            (Some(site), Some(strings), Some(pages)) => {
                let warnings = diags.warnings().cloned().collect();
                let private_words = strings.words(site.clinic.value.default_language.get_ref());
                Ok(Pipeline { site, warnings, templates, strings, private_words, pages })
            }
            _ => Err(fail(diags)),
        }
    }

    /// The validated site.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The plan of `patient`; its problems when it has some, or an error listing the plans there
    /// are.
    pub fn plan_of(&self, patient: &str) -> Result<&Loaded<Plan>> {
        if let Some(problems) = self.site.broken.plans.get(patient) {
            let mut diags = Diagnostics::default();
            diags.extend(self.site.broken.homework.values().flatten().cloned());
            diags.extend(problems.iter().cloned());
            return Err(fail(diags));
        }
        self.site.plans.get(patient).ok_or_else(|| {
            let ids: Vec<&str> = self.site.plans.keys().map(String::as_str).collect();
            anyhow::anyhow!("no plan `{patient}` in library/plans/ (the plans are: {})", ids.join(", "))
        })
    }

    /// Whether the site has a plan for `patient`, with problems or without.
    pub fn has_plan(&self, patient: &str) -> bool {
        self.site.plans.contains_key(patient) || self.site.broken.plans.contains_key(patient)
    }

    /// Resolves every packet (tokens and passwords from `secret`) and chooses those `settings`
    /// keep; warns about imported answers that no longer fit their packet. (A build resolves plan
    /// by plan as it renders instead: [`Pipeline::render`].)
    pub fn plan(&self, settings: &BuildSettings, secret: Secret) -> Planned {
        let (mut diags, skipped) = self.notes(&settings.select);
        let sealing = resolve::Sealing { strings: &self.strings, secret: &secret, encrypt_all: settings.seal_all };
        let mut resolved = Resolved::default();
        for plan in resolve::published_plans(&self.site) {
            let part = resolve::resolve_plan(&self.site, plan, sealing);
            for (date, message) in stale_answers(&self.site, &part) {
                diags.push(stale_warning(&plan.id, &date, &message));
            }
            resolved.extend(part);
        }
        let chosen = resolved.links.iter().map(|l| settings.select.keeps(&l.patient_id, &l.date)).collect();
        Planned { resolved, chosen, diags, skipped, secret }
    }

    /// What a build reports before resolving anything: what loading warned about, the errors of
    /// the homework and plans `select` needs (and so the patients it skips), the example plans it
    /// leaves out.
    pub fn notes(&self, select: &Selection) -> (Diagnostics, Vec<String>) {
        let mut diags = Diagnostics::default();
        diags.extend(self.warnings.iter().cloned());
        let skipped = self.broken_in(select, &mut diags);
        let clinic = &self.site.clinic;
        let examples: Vec<&str> = self.site.plans.values().filter(|p| p.value.example).map(|p| p.id.as_str()).collect();
        if !examples.is_empty() && !clinic.value.publish_examples {
            diags.push(
                Diagnostic::error(
                    Some(&clinic.source.path),
                    format!("not published: the example plans {} (`example = true`)", examples.join(", ")),
                )
                .help(
                    "they are fictional patients that show how tarea works; delete them from library/plans/ once \
                     you have your own, or set publish_examples = true here to publish them too",
                )
                .warning(),
            );
        }
        (diags, skipped)
    }

    /// Reports the problems of the homework and plans `select` needs (the homework's first: the
    /// plans' errors point up at them) and returns the patients skipped; the problems of what
    /// it does not need are one warning (`--patient` needs only the library and that plan).
    /// A shard skips every broken plan (its private index, which names them, is every shard's),
    /// but only its own patients' are its errors: one broken plan fails one shard, not all.
    fn broken_in(&self, select: &Selection, diags: &mut Diagnostics) -> Vec<String> {
        let broken = &self.site.broken;
        let needed = |id: &str| select.patient.as_deref().is_none_or(|p| p == id);
        let own = |id: &str| needed(id) && select.shard.is_none_or(|s| s.holds(id));
        let skipped: Vec<String> = broken.plans.keys().filter(|id| needed(id)).cloned().collect();
        let mut unneeded: Vec<String> =
            broken.plans.keys().filter(|id| !own(id)).map(|id| format!("library/plans/{id}.toml")).collect();
        let everyone = select.patient.is_none() && select.shard.is_none();
        if everyone || skipped.iter().any(|id| own(id)) {
            diags.extend(broken.homework.values().flatten().cloned());
        } else {
            unneeded.extend(broken.homework.keys().map(|id| format!("library/homework/{id}.toml")));
        }
        for id in skipped.iter().filter(|id| own(id)) {
            diags.extend(broken.plans[id].iter().cloned());
        }
        if !unneeded.is_empty() {
            let verb = if unneeded.len() == 1 { "has" } else { "have" };
            diags.push(
                Diagnostic::error(None, format!("{} {} errors this build does not need", unneeded.join(", "), verb))
                    .help("`tarea check` shows them; fix them before building those patients' packets")
                    .warning(),
            );
        }
        skipped
    }
}

/// The site secret when one exists; otherwise a stand-in, for commands whose output does not
/// depend on tokens (check, validate, emit-typst), so they never create a secret.
fn secret_or_stand_in(root: &Path) -> Result<Secret> {
    Ok(token::load_secret(root)?.unwrap_or_else(|| Secret::from_bytes(b"tarea: no secret yet")))
}

/// The site secret of a site already built (its links were sent with it).
fn existing_secret(root: &Path) -> Result<Secret> {
    token::load_secret(root)?.with_context(|| {
        format!(
            "{} has no secret yet, so no packet was ever published from it: run `tarea build` first",
            root.display()
        )
    })
}

/// Checks the site at `root` — input, templates, and every packet laid out in memory, so Typst
/// and Tera errors in overridden layouts show too — and writes nothing. A packet the last build
/// into `root/out` made from the same inputs is not laid out again.
pub fn check(root: &Path) -> Result<Vec<Diagnostic>> {
    check_with(root, None)
}

/// Like [`check`], telling `progress` as documents are laid out.
pub fn check_with(root: &Path, progress: Option<&dyn Progress>) -> Result<Vec<Diagnostic>> {
    let pipeline = Pipeline::load(root)?;
    let settings = BuildSettings::reading(root);
    let (mut diags, skipped) = pipeline.notes(&settings.select);
    let secret = secret_or_stand_in(root)?;
    let job = RenderJob { settings: &settings, secret: &secret, skipped: &skipped };
    diags.extend(pipeline.render(&job, &Target::check(&settings), progress).problems);
    diags.into_result().map_err(Into::into)
}

/// Loads, validates and plans the site at `root` without laying anything out.
pub fn validate(root: &Path) -> Result<Vec<Diagnostic>> {
    let pipeline = Pipeline::load(root)?;
    let secret = Secret::from_bytes(b"tarea validate: tokens do not matter");
    pipeline.plan(&BuildSettings::reading(root), secret).diags.into_result().map_err(Into::into)
}

/// The whole site resolved as its next build would publish it, for a site already built.
pub fn resolved(root: &Path) -> Result<Resolved> {
    let pipeline = Pipeline::load(root)?;
    Ok(pipeline.plan(&BuildSettings::reading(root), existing_secret(root)?).resolved)
}

/// Every packet's link, as `tarea list` shows them (creating the secret on a site never built).
pub fn list(root: &Path) -> Result<Vec<resolve::PacketLink>> {
    links(root, &Selection::default())
}

/// The links of the packets `select` keeps (`tarea links`). A patient named whose plan has
/// errors fails with them, rather than with "no packet".
pub fn links(root: &Path, select: &Selection) -> Result<Vec<resolve::PacketLink>> {
    let pipeline = Pipeline::load(root)?;
    if let Some(patient) = &select.patient {
        pipeline.plan_of(patient)?;
    }
    let (secret, _) = token::load_or_create_secret(root)?;
    let links = pipeline.plan(&BuildSettings::reading(root), secret).resolved.links;
    Ok(links.into_iter().filter(|l| select.keeps(&l.patient_id, &l.date)).collect())
}

/// A ready-to-paste `[[sessions]]` block for `patient`'s next session.
pub fn suggest(root: &Path, patient: &str, date: Option<chrono::NaiveDate>) -> Result<String> {
    let pipeline = Pipeline::load(root)?;
    let plan = pipeline.plan_of(patient)?;
    // What came back of the patient's last packet, if its answers were imported.
    let planned = pipeline.plan(&BuildSettings::reading(root), secret_or_stand_in(root)?);
    let last = planned.resolved.links.iter().rev().find(|l| l.patient_id == patient);
    Ok(crate::suggest::next_session_block(pipeline.site(), plan, date, last.and_then(|l| l.returned.as_ref())))
}

/// The imported answers of one resolved plan that no longer fit their packet (its plan was
/// edited since), by session date: what is wrong.
fn stale_answers(site: &Site, part: &Resolved) -> Vec<(String, String)> {
    let mut stale = Vec::new();
    for (packet, link) in part.packets.iter().zip(&part.links) {
        let Some(file) = site.answers.get(&link.patient_id).and_then(|a| a.get(&link.date)) else { continue };
        let checked = resolve::form::check(file, packet);
        let mut found = checked.problems;
        if !checked.unknown.is_empty() {
            found.push(crate::answers::unknown_message(&checked.unknown));
        }
        if let Some(first) = found.first() {
            let more = if found.len() > 1 { format!(" (and {} more)", found.len() - 1) } else { String::new() };
            stale.push((link.date.clone(), format!("{first}{more}")));
        }
    }
    stale
}

/// The warning about answers that no longer fit: they are kept in the file, but the therapist
/// copy cannot place them.
fn stale_warning(patient: &str, date: &str, message: &str) -> Diagnostic {
    Diagnostic::error(Some(&load::answers_path(patient, date)), message)
        .help(
            "the session in the plan changed after these answers were imported; they stay in the file, but the \
             therapist copy shows only those that still fit",
        )
        .warning()
}

/// The error of a failed stage: every problem in `diags`.
fn fail(diags: Diagnostics) -> anyhow::Error {
    match diags.into_result() {
        Err(failed) => failed.into(),
        Ok(_) => anyhow::anyhow!("build failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::{BuildOptions, BuildRequest, BuildSettings, SealedState, Selection};

    fn decide(root: &std::path::Path, request: BuildRequest) -> anyhow::Result<BuildSettings> {
        BuildSettings::decide(&BuildOptions { root: root.into(), out: root.join("out") }, &request)
    }

    #[test]
    fn a_site_sealed_once_is_sealed_for_every_command_until_unsealed() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let plain = decide(root, BuildRequest::default()).unwrap();
        assert!(!plain.seal_all && plain.guard_sealed && plain.sealed_state == SealedState::Keep);
        let encrypt = decide(root, BuildRequest { encrypt: true, ..Default::default() }).unwrap();
        assert!(encrypt.seal_all && encrypt.sealed_state == SealedState::Remember);

        crate::seal::remember_sealed(root).unwrap();
        // Every later build, the preview, and the commands that only read (emit-typst, list,
        // import) see the site sealed without being told again.
        assert!(decide(root, BuildRequest::default()).unwrap().seal_all);
        let preview = decide(root, BuildRequest { preview: true, ..Default::default() }).unwrap();
        assert!(preview.seal_all && !preview.guard_sealed && preview.sealed_state == SealedState::Keep);
        assert!(BuildSettings::reading(root).seal_all);
        let unseal = decide(root, BuildRequest { unseal: true, ..Default::default() }).unwrap();
        assert!(!unseal.seal_all && !unseal.guard_sealed && unseal.sealed_state == SealedState::Forget);

        let both = decide(root, BuildRequest { encrypt: true, unseal: true, ..Default::default() });
        assert!(both.unwrap_err().to_string().contains("choose one"));
    }

    #[test]
    fn the_selection_keeps_a_patient_a_date_or_both() {
        let site = tempfile::tempdir().unwrap();
        let session = chrono::NaiveDate::from_ymd_opt(2026, 11, 26);
        let select = Selection { patient: Some("elisa".into()), session, shard: None };
        let settings = decide(site.path(), BuildRequest { select, ..Default::default() }).unwrap().select;
        assert!(settings.keeps("elisa", "2026-11-26") && !settings.is_everything());
        assert!(!settings.keeps("elisa", "2026-11-19") && !settings.keeps("marta", "2026-11-26"));
        let everything = decide(site.path(), BuildRequest::default()).unwrap().select;
        assert!(everything.is_everything() && everything.keeps("marta", "2026-12-03"));
    }

    #[test]
    fn every_patient_falls_in_exactly_one_shard() {
        let ids: Vec<String> = (0..200).map(|i| format!("p-{i:04}")).collect();
        for count in [1, 2, 3, 7] {
            let shards: Vec<super::Shard> = (1..=count).map(|index| super::Shard { index, count }).collect();
            let sizes: Vec<usize> = shards.iter().map(|s| ids.iter().filter(|id| s.holds(id)).count()).collect();
            assert!(ids.iter().all(|id| shards.iter().filter(|s| s.holds(id)).count() == 1), "{count}");
            // Roughly even: no shard holds more than twice its share.
            assert!(sizes.iter().all(|n| *n <= 2 * 200 / count as usize + 1), "{count}: {sizes:?}");
        }
        assert_eq!("2/4".parse(), Ok(super::Shard { index: 2, count: 4 }));
        for wrong in ["0/4", "5/4", "2", "a/b", "1/0"] {
            assert!(wrong.parse::<super::Shard>().is_err(), "{wrong}");
        }
    }
}
