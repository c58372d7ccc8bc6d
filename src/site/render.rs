//! Rendering a site, plan by plan: which plans and packets need rendering (the cache), the worker
//! pool that lays them out, and where their files go (the spool on disk, memory, or nowhere for a
//! check). Plans are resolved in batches as they are rendered, so memory holds one batch of
//! packets however large the caseload, and a plan whose inputs did not change since the last
//! build is not resolved at all. The rendering itself is [`crate::render`]'s: a packet in, its
//! files out.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::cache::{self, Cache, Entry, IndexEntry, PacketInputs, PlanEntry, SiteInputs};
use crate::diagnostic::Diagnostic;
use crate::load::Loaded;
use crate::model::Plan;
use crate::output::{self, OutputFile};
use crate::parallel::{cores, in_parallel};
use crate::render::html::{IndexPatient, PreviousIndex, PrivateIndex};
use crate::render::pdf::PdfRenderer;
use crate::render::{self, PacketContext, PacketJob, Renderers};
use crate::resolve::{self, PatientSummary, Resolved, Sealing};
use crate::token::Secret;
use crate::write;

use super::{BuildSettings, Pipeline};

/// Something that shows how far rendering has got.
pub trait Progress: Sync {
    /// `total` packets are to be built.
    fn start(&self, total: usize);
    /// `n` more are done: laid out, or found unchanged.
    fn advance(&self, n: usize);
    /// `n` packets are about to be laid out (those whose inputs changed).
    fn laying_out(&self, _n: usize) {}
}

/// Where rendered files go.
pub enum Sink {
    /// Into a folder as soon as they are made, so memory stays flat however many packets there
    /// are; the write stage moves them into `out/`.
    Spool(PathBuf),
    /// Kept in [`Rendered::files`].
    Memory,
    /// Dropped once made (a check only wants to know that they can be).
    Nowhere,
}

/// Where rendered files go, and what is already there.
pub struct Target {
    /// The previous build's cache (empty: render everything).
    pub previous: Cache,
    /// What the output folder holds: a cached packet counts only while its files are there.
    pub on_disk: write::Listing,
    /// Where the files of packets and private pages go.
    pub sink: Sink,
    /// Whether to make PDFs.
    pub pdf: bool,
    /// Where the last build's private index is, to take unchanged patients' sections from.
    pub index: Option<PathBuf>,
}

impl Target {
    /// Everything rendered into memory, nothing reused.
    pub fn memory(settings: &BuildSettings) -> Target {
        Target {
            previous: Cache::default(),
            on_disk: write::Listing::default(),
            sink: Sink::Memory,
            pdf: settings.pdf,
            index: None,
        }
    }

    /// What a check lays out: not the packets whose files the last build left in `out/` from the
    /// same inputs (they laid out then, and nothing they are made from changed); nothing kept.
    pub fn check(settings: &BuildSettings) -> Target {
        Target {
            previous: Cache::load(&settings.out),
            on_disk: write::Listing::of(&settings.out),
            sink: Sink::Nowhere,
            ..Target::memory(settings)
        }
    }

    /// The build's `out/`: unchanged packets kept, the others spooled next to it.
    pub fn out(settings: &BuildSettings) -> Target {
        Target {
            previous: Cache::load(&settings.out),
            on_disk: write::Listing::of(&settings.out),
            sink: Sink::Spool(settings.out.join(write::SPOOL)),
            pdf: settings.pdf,
            index: Some(settings.out.join(output::private_file("index.html"))),
        }
    }

    /// The last build's private index, if it is exactly what that build wrote (its hash is the
    /// cache's) and some patient's plan is unchanged since: only then can sections come from it.
    fn previous_index(&self, patients: &[IndexPatient]) -> Option<String> {
        let (path, entry) = (self.index.as_ref()?, self.previous.index.as_ref()?);
        if !patients.iter().any(|p| entry.sections.get(&p.summary.id) == Some(&p.key)) {
            return None;
        }
        // Not through a symbolic link: the write stage never writes through one either.
        std::fs::symlink_metadata(path).ok().filter(|m| m.file_type().is_file())?;
        let text = std::fs::read_to_string(path).ok()?;
        (write::manifest::hash(text.as_bytes()) == entry.hash).then_some(text)
    }
}

/// What one render is asked for.
pub struct RenderJob<'a> {
    /// The build's settings: which packets, sealed or not, PDFs or not.
    pub settings: &'a BuildSettings,
    /// The secret tokens and passwords come from.
    pub secret: &'a Secret,
    /// The patients skipped for errors in their plan (the private index names them).
    pub skipped: &'a [String],
}

/// Everything rendered, ready to be written.
pub struct Rendered {
    /// The files rendered in memory, by their path under `out/`.
    pub files: Vec<OutputFile>,
    /// Files of packets whose inputs did not change: already on disk, not rendered again.
    pub kept: Vec<PathBuf>,
    /// Files written to the spool folder as they were rendered.
    pub spooled: Vec<write::Spooled>,
    /// PDF pages laid out.
    pub pages: usize,
    /// Wall-clock time spent rendering the packets whose inputs changed (laying them out, and
    /// putting their files where they go): what an edit costs besides the rest of the build.
    pub laying_out: std::time::Duration,
    /// Packets rendered (the others were kept).
    pub packets: usize,
    /// The tokens of the packets rendered (their files are new or changed).
    pub laid_out: HashSet<String>,
    /// Plans resolved (the others had not changed since the last build).
    pub plans: usize,
    /// Every published plan's patient, in the plans' order: the private index's sections, their
    /// packets its rows.
    pub patients: Vec<IndexPatient>,
    /// The cache to save with the output.
    pub cache: Cache,
    /// What went wrong or deserves a warning, each distinct problem once (a broken layout fails
    /// every packet alike).
    pub problems: Vec<Diagnostic>,
}

/// How many plans are resolved at a time: enough to keep every core busy, few enough that their
/// view models are a small part of memory.
const PLANS_PER_BATCH: usize = 16;

/// One packet whose inputs changed since the cache was written.
struct Work<'a> {
    job: PacketJob<'a>,
    key: String,
    patient: String,
}

/// One plan resolved by this build.
struct Fresh<'a> {
    plan: &'a Loaded<Plan>,
    key: String,
    part: Resolved,
}

/// What a render gathers as it goes, plan by plan.
struct Gathered {
    rendered: Rendered,
    problems: Vec<Diagnostic>,
}

impl Pipeline {
    /// Resolves and renders every published plan in batches (its packets on every core, its
    /// therapist copies and patient page), reusing what the last build left unchanged; then the
    /// shared assets and the private index.
    pub fn render(&self, job: &RenderJob<'_>, target: &Target, progress: Option<&dyn Progress>) -> Rendered {
        let settings = job.settings;
        // Hashes every layout file and font: once per build, not per batch.
        let fingerprint = cache::fingerprint(&self.templates);
        let site_key = cache::site_key(&SiteInputs {
            fingerprint: &fingerprint,
            site: &self.site,
            secret: job.secret,
            encrypt_all: settings.seal_all,
            pdf: target.pdf,
        });
        let plans: Vec<&Loaded<Plan>> = resolve::published_plans(&self.site).collect();
        if let Some(progress) = progress {
            progress.start(plans.iter().map(|p| p.value.sessions.len()).sum());
        }
        let mut gathered = Gathered {
            rendered: Rendered {
                files: Vec::new(),
                kept: Vec::new(),
                spooled: Vec::new(),
                pages: 0,
                laying_out: std::time::Duration::ZERO,
                packets: 0,
                laid_out: HashSet::new(),
                plans: 0,
                patients: Vec::new(),
                cache: Cache { version: env!("CARGO_PKG_VERSION").into(), ..Cache::default() },
                problems: Vec::new(),
            },
            problems: Vec::new(),
        };
        let pdf = OnceLock::new();
        let sealing = Sealing { strings: &self.strings, secret: job.secret, encrypt_all: settings.seal_all };
        for batch in plans.chunks(PLANS_PER_BATCH) {
            let mut changed = Vec::new();
            for &plan in batch {
                let key = cache::plan_key(&site_key, plan, self.site.answers.get(&plan.id));
                match target.previous.plan_hit(&target.on_disk, &plan.id, &key) {
                    Some(entry) => self.reuse(plan, entry, (job, target), &mut gathered, progress),
                    None => changed.push((plan, key)),
                }
            }
            let parts = in_parallel(&changed, |(plan, _)| resolve::resolve_plan(&self.site, plan, sealing));
            let fresh: Vec<Fresh> =
                changed.into_iter().zip(parts).map(|((plan, key), part)| Fresh { plan, key, part }).collect();
            let pdf = target.pdf.then_some(&pdf);
            self.render_fresh(&fresh, (job, target, &fingerprint), (pdf, progress), &mut gathered);
        }
        self.finish(job, target, gathered)
    }

    /// Takes an unchanged plan's files and summary from the cache.
    fn reuse(
        &self,
        plan: &Loaded<Plan>,
        entry: &PlanEntry,
        (job, target): (&RenderJob<'_>, &Target),
        gathered: &mut Gathered,
        progress: Option<&dyn Progress>,
    ) {
        let password = resolve::password(&self.site, plan, job.secret, job.settings.seal_all);
        for link in &entry.summary.packets {
            let files = &target.previous.packets[&link.token];
            gathered.rendered.kept.extend(files.files.iter().cloned());
            gathered.rendered.cache.packets.insert(link.token.clone(), files.clone());
        }
        gathered.rendered.kept.extend(entry.files.iter().cloned());
        gathered.rendered.cache.plans.insert(plan.id.clone(), entry.clone());
        gathered
            .problems
            .extend(entry.stale.iter().map(|(date, message)| super::stale_warning(&plan.id, date, message)));
        if let Some(progress) = progress {
            progress.advance(entry.summary.packets.len());
        }
        let (summary, key) = (Arc::clone(&entry.summary), entry.key.clone());
        gathered.rendered.patients.push(IndexPatient { summary, password, key });
    }

    /// Renders the plans of one batch that this build resolved: their chosen packets whose inputs
    /// changed (on every core), then their private pages; records what the next build may reuse.
    fn render_fresh(
        &self,
        fresh: &[Fresh<'_>],
        (job, target, fingerprint): (&RenderJob<'_>, &Target, &str),
        (pdf, progress): (Option<&OnceLock<PdfRenderer>>, Option<&dyn Progress>),
        gathered: &mut Gathered,
    ) {
        let select = &job.settings.select;
        let mut work = Vec::new();
        let mut failed = BTreeSet::new();
        for Fresh { part, .. } in fresh {
            for (packet, link) in part.packets.iter().zip(&part.links) {
                let token = packet.token.as_str();
                if !select.keeps(&link.patient_id, &link.date) {
                    if let Some(entry) = target.previous.packets.get(token) {
                        gathered.rendered.cache.packets.insert(token.into(), entry.clone());
                    }
                    continue;
                }
                let booklet = part.booklets.iter().find(|b| b.token == token);
                let password = link.password.as_deref();
                let inputs = PacketInputs { fingerprint, packet, booklet, password, pdf: target.pdf };
                let key = cache::packet_key(&inputs);
                match target.previous.hit(&target.on_disk, token, &key) {
                    Some(on_disk) => {
                        gathered.rendered.kept.extend(on_disk.iter().cloned());
                        let entry = Entry { key, files: on_disk.to_vec(), patient: link.patient_id.clone() };
                        gathered.rendered.cache.packets.insert(token.into(), entry);
                    }
                    None => work.push(Work {
                        job: PacketJob { packet, booklet, password },
                        key,
                        patient: link.patient_id.clone(),
                    }),
                }
            }
        }
        let looked_at: usize = fresh.iter().map(|f| f.part.packets.len()).sum();
        if let Some(progress) = progress {
            progress.laying_out(work.len());
            progress.advance(looked_at - work.len());
        }
        // Fonts load once per build, and only when something is laid out.
        let pdf = pdf.filter(|_| !work.is_empty()).map(|cell| cell.get_or_init(|| PdfRenderer::new(&self.templates)));
        let context = PacketContext { pages: &self.pages, pdf, secret: job.secret };
        // A round of packets, one per core, then Typst's caches are emptied. One packet reuses
        // almost nothing of another's layout (a changed name or date invalidates most of it), and
        // every entry kept is one more that each later lookup must check and reject. At 100
        // packets on 2 cores, back to back: 20.2 s and 818 MB keeping the last 8 packets' entries,
        // 15.3 s and 200 MB emptying after each round; on 1 core, keeping only the previous
        // packet's entries 25.8 s against 19.8 s. Typst holds one round's memory, whatever the
        // caseload.
        for batch in work.chunks(cores()) {
            let started = std::time::Instant::now();
            // Each worker also puts its packet's files where they go (and hashes them).
            let results = in_parallel(batch, |w| {
                render::packet(&w.job, &context).map(|done| (done.pages, done.warnings, put(done.files, target)))
            });
            for (w, result) in batch.iter().zip(results) {
                match result {
                    Ok((pages, warnings, put)) => {
                        gathered.rendered.pages += pages;
                        gathered.problems.extend(warnings);
                        let entry = Entry { key: w.key.clone(), files: put.paths.clone(), patient: w.patient.clone() };
                        gathered.rendered.cache.packets.insert(w.job.packet.token.clone(), entry);
                        gathered.take(put);
                    }
                    Err(errors) => {
                        failed.insert(w.patient.clone());
                        gathered.problems.extend(errors);
                    }
                }
            }
            gathered.rendered.packets += batch.len();
            gathered.rendered.laid_out.extend(batch.iter().map(|w| w.job.packet.token.clone()));
            typst::comemo::evict(0);
            gathered.rendered.laying_out += started.elapsed();
            if let Some(progress) = progress {
                progress.advance(batch.len());
            }
        }
        // Each plan's private pages, on every core too.
        let private = in_parallel(fresh, |f| {
            let (files, problems) = self.private_pages(f, &job.settings.select);
            (put(files, target), problems)
        });
        for (fresh, (files, problems)) in fresh.iter().zip(private) {
            gathered.problems.extend(problems);
            self.gather_plan(fresh, files, (job, target), failed.contains(&fresh.plan.id), gathered);
        }
    }

    /// One resolved plan's therapist copies and patient page (of the packets `select` keeps).
    fn private_pages(&self, fresh: &Fresh<'_>, select: &super::Selection) -> (Vec<OutputFile>, Vec<Diagnostic>) {
        let part = &fresh.part;
        let chosen: BTreeSet<&str> =
            part.links.iter().filter(|l| select.keeps(&l.patient_id, &l.date)).map(|l| l.token.as_str()).collect();
        let index = self.index(&[], &[], None);
        let mut problems = Vec::new();
        let mut files = render::therapist_copies(part, &chosen, &self.pages, &mut problems);
        files.extend(render::patient_pages(part, &chosen, (&self.pages, &index), &mut problems));
        (files, problems)
    }

    /// One resolved plan's links and summary, its private pages sent on, and the plan's cache
    /// entry when every packet of it was built.
    fn gather_plan(
        &self,
        Fresh { plan, key, part }: &Fresh<'_>,
        files: Put,
        (job, target): (&RenderJob<'_>, &Target),
        failed: bool,
        gathered: &mut Gathered,
    ) {
        let chosen: Vec<bool> = part.links.iter().map(|l| job.settings.select.keeps(&l.patient_id, &l.date)).collect();
        let private = files.paths.clone();
        gathered.take(files);
        let stale = super::stale_answers(&self.site, part);
        gathered.problems.extend(stale.iter().map(|(date, message)| super::stale_warning(&plan.id, date, message)));
        let Some(first) = part.patients.first() else { return };
        // One copy of the summary, shared by the index and the cache: without the charts (only
        // the patient's own page draws them) and without passwords (worked out again from the
        // secret, never stored).
        let mut summary = PatientSummary { charts: Vec::new(), ..first.clone() };
        let password = summary.packets.first().and_then(|l| l.password.clone());
        summary.packets.iter_mut().for_each(|l| l.password = None);
        let summary = Arc::new(summary);
        if chosen.iter().all(|c| *c) && !failed {
            let entry = PlanEntry { key: key.clone(), summary: Arc::clone(&summary), files: private, stale };
            gathered.rendered.cache.plans.insert(plan.id.clone(), entry);
        } else if let Some(entry) = target.previous.plans.get(&plan.id) {
            gathered.rendered.cache.plans.insert(plan.id.clone(), entry.clone());
        }
        gathered.rendered.patients.push(IndexPatient { summary, password, key: key.clone() });
        gathered.rendered.plans += 1;
    }

    /// The private index's view over `patients`.
    fn index<'a>(
        &'a self,
        patients: &'a [IndexPatient],
        skipped: &'a [String],
        previous: Option<PreviousIndex<'a>>,
    ) -> PrivateIndex<'a> {
        let clinic = &self.site.clinic.value;
        PrivateIndex {
            lang: clinic.default_language.get_ref(),
            t: &self.private_words,
            clinic: &clinic.name,
            assets: output::ASSETS_FROM_PRIVATE_INDEX,
            packets: patients.iter().map(|p| p.summary.packets.len()).sum(),
            patients,
            skipped,
            previous,
        }
    }

    /// The shared files and the private index; what the next build may reuse of the plans this
    /// one did not build.
    fn finish(&self, job: &RenderJob<'_>, target: &Target, gathered: Gathered) -> Rendered {
        let Gathered { mut rendered, mut problems } = gathered;
        // Back into the plans' order (by patient id): in each batch, unchanged plans were taken
        // from the cache before the changed ones were rendered.
        rendered.patients.sort_by(|a, b| a.summary.id.cmp(&b.summary.id));
        // Plans this build does not publish now: a partial build or a skipped patient leaves their
        // output as it was, and so their entries stay true.
        if !job.settings.select.is_everything() || !job.skipped.is_empty() {
            for (token, entry) in &target.previous.packets {
                rendered.cache.packets.entry(token.clone()).or_insert_with(|| entry.clone());
            }
            for (id, entry) in &target.previous.plans {
                rendered.cache.plans.entry(id.clone()).or_insert_with(|| entry.clone());
            }
        }
        let renderers = Renderers { templates: &self.templates, pages: &self.pages };
        let old_text = target.previous_index(&rendered.patients);
        let keys = target.previous.index.as_ref().map(|i| &i.sections);
        let previous = old_text.as_deref().zip(keys).map(|(text, keys)| PreviousIndex { text, keys });
        let index = self.index(&rendered.patients, job.skipped, previous);
        let paper = self.site.clinic.value.paper.name();
        let shared = render::shared_files(paper, &renderers, &index, &mut problems);
        let put = put(shared, target);
        // The private index of 5,000 patients is 12 MB: spooled as it is made.
        let index_path = output::private_file("index.html");
        let index_file = match &target.sink {
            Sink::Spool(spool) => write::spool_with(spool, &index_path, |w| self.pages.write_private_index(&index, w))
                .map(|spooled| (Some(spooled), None))
                .map_err(|e| e.into_diagnostic(Some(&spool.join(&index_path)))),
            Sink::Memory => {
                self.pages.private_index(&index).map(|text| (None, Some(OutputFile::new(&index_path, text))))
            }
            Sink::Nowhere => self
                .pages
                .write_private_index(&index, &mut std::io::sink())
                .map(|()| (None, None))
                .map_err(|e| e.into_diagnostic(None)),
        };
        drop(old_text);
        let (spooled_index, memory_index) = index_file.unwrap_or_else(|d| {
            problems.push(d);
            (None, None)
        });
        // What the next build checks the index against before taking sections from it: the hash
        // spooling made (only an index spooled into `out/` is read again).
        rendered.cache.index = spooled_index.as_ref().map(|f| IndexEntry {
            hash: f.hash.clone(),
            sections: rendered.patients.iter().map(|p| (p.summary.id.clone(), p.key.clone())).collect(),
        });
        rendered.spooled.extend(put.spooled.into_iter().chain(spooled_index));
        rendered.files.extend(memory_index);
        rendered.files.extend(put.memory);
        problems.extend(put.problem);
        let mut seen = HashSet::new();
        rendered.problems = problems.into_iter().filter(|d| seen.insert(d.to_string())).collect();
        rendered
    }
}

/// Rendered files put where the target wants them, by a rendering thread.
struct Put {
    /// Their paths under `out/`.
    paths: Vec<PathBuf>,
    /// Those written to the spool folder.
    spooled: Vec<write::Spooled>,
    /// Those kept in memory.
    memory: Vec<OutputFile>,
    /// Why they could not be written.
    problem: Option<Diagnostic>,
}

/// Puts rendered files where the target wants them: spooled (and hashed), kept, or dropped.
fn put(files: Vec<OutputFile>, target: &Target) -> Put {
    let paths = files.iter().map(|f| f.path.clone()).collect();
    let mut put = Put { paths, spooled: Vec::new(), memory: Vec::new(), problem: None };
    match &target.sink {
        Sink::Spool(spool) => match write::spool(spool, &files) {
            Ok(spooled) => put.spooled = spooled,
            Err(e) => put.problem = Some(Diagnostic::error(Some(spool), format!("cannot write: {e:#}"))),
        },
        Sink::Memory => put.memory = files,
        Sink::Nowhere => {}
    }
    put
}

impl Gathered {
    /// Takes what a rendering thread put somewhere. The spooled files' records are copied on this
    /// thread: they live to the end of the build, and left where the rendering thread made them,
    /// between Typst's short-lived memory, they can keep the allocator from reusing that memory.
    /// (Its own effect was not measured apart from the rest of commit cd70b9a.)
    fn take(&mut self, put: Put) {
        self.rendered.spooled.extend(put.spooled.iter().cloned());
        self.rendered.files.extend(put.memory);
        self.problems.extend(put.problem);
    }
}
