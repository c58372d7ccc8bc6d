//! Rendering a planned site: which packets need rendering (the cache), the worker pool that lays
//! them out, and where their files go (the spool on disk, or memory for a check). The rendering
//! itself is [`crate::render`]'s: a packet in, its files out.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

use crate::cache::{self, Cache, Entry, PacketInputs};
use crate::diagnostic::Diagnostic;
use crate::output::{self, OutputFile};
use crate::render::html::PrivateIndex;
use crate::render::pdf::PdfRenderer;
use crate::render::{self, PacketContext, PacketJob, Renderers};
use crate::write;

use super::{BuildSettings, Pipeline, Planned};

/// Something that shows how far rendering has got.
pub trait Progress: Sync {
    /// Rendering `total` documents starts.
    fn start(&self, total: usize);
    /// `n` more documents are done.
    fn advance(&self, n: usize);
}

/// Where rendered files go, and what is already there.
pub struct Target {
    /// The previous build's cache (empty: render everything).
    pub previous: Cache,
    /// The output folder the cache describes.
    pub out: PathBuf,
    /// Where packet files go as soon as they are made, so memory stays flat however many packets
    /// there are; `None` keeps them in memory (a check).
    pub spool: Option<PathBuf>,
    /// Whether to make PDFs.
    pub pdf: bool,
}

impl Target {
    /// Everything rendered into memory, nothing reused.
    pub fn memory(settings: &BuildSettings) -> Target {
        Target { previous: Cache::default(), out: settings.out.clone(), spool: None, pdf: settings.pdf }
    }

    /// What a check lays out: into memory, but not the packets whose files the last build left in
    /// `out/` from the same inputs (they laid out then, and nothing they are made from changed).
    pub fn check(settings: &BuildSettings) -> Target {
        Target { previous: Cache::load(&settings.out), ..Target::memory(settings) }
    }

    /// The build's `out/`: unchanged packets kept, the others spooled next to it.
    pub fn out(settings: &BuildSettings) -> Target {
        Target {
            previous: Cache::load(&settings.out),
            out: settings.out.clone(),
            spool: Some(settings.out.join(write::SPOOL)),
            pdf: settings.pdf,
        }
    }
}

/// Everything rendered, ready to be written.
pub struct Rendered {
    /// The files rendered in memory, by their path under `out/`.
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
    /// What went wrong or deserves a warning, each distinct problem once (a broken layout fails
    /// every packet alike).
    pub problems: Vec<Diagnostic>,
}

/// How many packets are laid out between two evictions of Typst's caches: memory stays flat
/// however large the caseload.
const EVICT_EVERY: usize = 8;

/// One packet whose inputs changed since the cache was written.
struct Work<'a> {
    job: PacketJob<'a>,
    key: String,
    patient: String,
}

impl Pipeline {
    /// Renders every chosen packet whose inputs changed (on every core), plus the shared assets,
    /// the therapist copies and the private index.
    pub fn render(&self, planned: &Planned, target: &Target, progress: Option<&dyn Progress>) -> Rendered {
        let resolved = &planned.resolved;
        let clinic = &self.site.clinic.value;
        let lang = clinic.default_language.get_ref();
        let t = self.strings.for_language(lang);
        let index = PrivateIndex {
            lang,
            t: &t,
            clinic: &clinic.name,
            assets: output::ASSETS_FROM_PRIVATE_INDEX,
            links: &resolved.links,
            patients: &resolved.patients,
            skipped: &planned.skipped,
        };
        let renderers = Renderers { templates: &self.templates, pages: &self.pages };
        let mut problems = Vec::new();
        let mut files = render::shared_files(resolved, &renderers, &index, &mut problems);
        let chosen: BTreeSet<&str> = resolved
            .packets
            .iter()
            .zip(&planned.chosen)
            .filter(|(_, keep)| **keep)
            .map(|(p, _)| p.token.as_str())
            .collect();
        files.extend(render::therapist_copies(resolved, &chosen, &self.pages, &mut problems));
        files.extend(render::patient_pages(resolved, &chosen, (&self.pages, &index), &mut problems));

        // Keep what is on disk already; render the rest.
        let (work, kept, mut next) = self.sort_out(planned, &chosen, target);
        let pdf = (target.pdf && !work.is_empty()).then(|| PdfRenderer::new(&self.templates));
        let secret = &planned.secret;
        let context = PacketContext { pages: &self.pages, pdf: pdf.as_ref(), secret };
        if let Some(progress) = progress {
            progress.start(work.len());
        }
        let mut rendered = Rendered {
            files,
            kept,
            spooled: Vec::new(),
            pages: 0,
            packets: work.len(),
            cache: Cache::default(),
            problems: Vec::new(),
        };
        for batch in work.chunks(EVICT_EVERY) {
            let results = in_parallel(batch, |w| render::packet(&w.job, &context));
            for (w, result) in batch.iter().zip(results) {
                match result {
                    Ok(done) => {
                        rendered.pages += done.pages;
                        problems.extend(done.warnings);
                        let paths: Vec<PathBuf> = done.files.iter().map(|f| f.path.clone()).collect();
                        let entry = Entry { key: w.key.clone(), files: paths.clone(), patient: w.patient.clone() };
                        next.packets.insert(w.job.packet.token.clone(), entry);
                        match &target.spool {
                            Some(spool) => match write::spool(spool, &done.files) {
                                Ok(()) => rendered.spooled.extend(paths),
                                Err(e) => problems.push(Diagnostic::error(Some(spool), format!("cannot write: {e:#}"))),
                            },
                            None => rendered.files.extend(done.files),
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
        let mut seen = HashSet::new();
        rendered.problems = problems.into_iter().filter(|d| seen.insert(d.to_string())).collect();
        rendered.cache = next;
        rendered
    }

    /// Splits the chosen packets into those to render and those whose files on disk are already
    /// what this build would write; starts the next cache with the latter and with every packet
    /// this build does not choose (left as it is).
    fn sort_out<'a>(
        &self,
        planned: &'a Planned,
        chosen: &BTreeSet<&str>,
        target: &Target,
    ) -> (Vec<Work<'a>>, Vec<PathBuf>, Cache) {
        let resolved = &planned.resolved;
        let fingerprint = cache::fingerprint(&self.templates);
        let mut next = Cache { version: env!("CARGO_PKG_VERSION").into(), packets: BTreeMap::new() };
        let (mut work, mut kept) = (Vec::new(), Vec::new());
        for (packet, link) in resolved.packets.iter().zip(&resolved.links) {
            let token = packet.token.as_str();
            if !chosen.contains(token) {
                if let Some(entry) = target.previous.packets.get(token) {
                    next.packets.insert(token.into(), entry.clone());
                }
                continue;
            }
            let booklet = resolved.booklets.iter().find(|b| b.token == token);
            let password = link.password.as_deref();
            let inputs = PacketInputs { fingerprint: &fingerprint, packet, booklet, password, pdf: target.pdf };
            let key = cache::packet_key(&inputs);
            match target.previous.hit(&target.out, token, &key) {
                Some(on_disk) => {
                    kept.extend(on_disk.iter().cloned());
                    let patient = link.patient_id.clone();
                    next.packets.insert(token.into(), Entry { key, files: on_disk.to_vec(), patient });
                }
                None => work.push(Work {
                    job: PacketJob { packet, booklet, password },
                    key,
                    patient: link.patient_id.clone(),
                }),
            }
        }
        // A skipped patient's packets stay on disk as the last build left them (the write is not
        // whole then), so their entries stay true: their packets are not laid out again later.
        if !planned.skipped.is_empty() {
            for (token, entry) in &target.previous.packets {
                next.packets.entry(token.clone()).or_insert_with(|| entry.clone());
            }
        }
        (work, kept, next)
    }
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
