//! `tarea import`: the answers a patient downloaded from their online packet come back to the
//! therapist's side of the site.
//!
//! Each file names its packet by token; it is checked against that packet's form (every value
//! fitting its field) and kept as `library/answers/<patient>/<session>.json`, beside the plans.
//! Every problem of every file is reported before anything is written, so a bad file never leaves
//! half an import behind. Answers to fields the packet no longer has (its plan changed after it
//! was handed out) are left out and reported, not a reason to refuse the rest. Downloads of the
//! same packet are merged in the order the browser saved them (its `saved` time, not file names:
//! a second download is `answers (1).json`): a newer answer replaces an older one, an older file
//! only fills in what is missing, and none is dropped. A `saved` time more than a day ahead of this
//! computer's clock is reported and treated as unknown: a device with a wrong clock must not make
//! every later, real download look older than it.
//!
//! The files of one import are written all or none: each goes to a temporary file beside it first,
//! and only when every one is written are they renamed into place; a failure on the way puts back
//! what was there before.

use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, Utc};

use crate::answers::{self, AnswerFile};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::load::SourceFile;
use crate::resolve::{Packet, PacketLink};

/// What an import recorded for one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The patient's id.
    pub patient_id: String,
    /// The patient's name.
    pub patient: String,
    /// The session date of the packet answered.
    pub date: String,
    /// Where the answers are kept, relative to the site root.
    pub path: PathBuf,
    /// How many answers the packet now has.
    pub answers: usize,
    /// How many of them are new or changed by this import.
    pub changed: usize,
    /// Answers left out: their fields are no longer in the packet.
    pub skipped: Vec<String>,
    /// Things the therapist should know about the files imported, e.g. a device clock that was
    /// wrong; each a sentence naming its file.
    pub warnings: Vec<String>,
}

/// The good files for one packet, with the answers left out of them and what to warn about.
#[derive(Default)]
struct Incoming {
    files: Vec<AnswerFile>,
    skipped: Vec<String>,
    warnings: Vec<String>,
}

/// A `saved` time further ahead of this computer's clock than this is not believed.
const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Reads every answer file in `paths` (files, or folders of `*.json`), checks each against the
/// packet its token names among `packets`, and merges them into `root/library/answers/`.
pub(crate) fn import(root: &Path, paths: &[PathBuf], packets: &[(Packet, PacketLink)]) -> Result<Vec<Imported>> {
    let files = answer_files(paths)?;
    if files.is_empty() {
        anyhow::bail!("no answer files given: pass the .json files patients downloaded, or a folder of them");
    }
    let by_token: BTreeMap<&str, &(Packet, PacketLink)> = packets.iter().map(|p| (p.0.token.as_str(), p)).collect();
    let now = Utc::now();
    let mut diags = Diagnostics::default();
    // By patient and date: every good file for that packet, and the answers left out of them.
    let mut incoming: BTreeMap<(String, String), Incoming> = BTreeMap::new();
    for path in &files {
        let Some(mut file) = read_answer_file(path, &mut diags) else { continue };
        let Some((packet, link)) = by_token.get(file.token.as_str()) else {
            diags.push(Diagnostic::error(Some(path), "these answers are for a packet this site does not have").help(
                "check that the file was downloaded from this clinic's site; if the patient's plan has errors \
                 right now (a review status still `set-me`, say), fix it first (`tarea check` shows them) and \
                 import again; if the site secret was rotated (`tarea secret rotate`), the old links and their \
                 answers no longer match",
            ));
            continue;
        };
        let checked = crate::resolve::form::check(&file, packet);
        if !checked.problems.is_empty() {
            for problem in checked.problems {
                diags.push(Diagnostic::error(Some(path), problem).help(
                    "the file may have been edited by hand or come from an older version of tarea; \
                     ask the patient to download it again",
                ));
            }
            continue;
        }
        file.answers.retain(|key, _| !checked.unknown.contains(key));
        let answered = file.answers.clone();
        file.times.retain(|key, _| answered.contains_key(key));
        let entry = incoming.entry((link.patient_id.clone(), link.date.clone())).or_default();
        if let Some(when) = future_time(&file, now) {
            entry.warnings.push(format!(
                "{} says it was saved on {}, more than a day from now: the clock of the device it was \
                 downloaded on was probably wrong; its time was ignored, so that it cannot make later \
                 downloads look older",
                crate::diagnostic::visible(&path.display().to_string()),
                when.with_timezone(&Utc).format("%-d %B %Y at %H:%M UTC"),
            ));
        }
        entry.files.push(file);
        entry.skipped.extend(checked.unknown);
    }
    diags.into_result()?;

    // Every kept file is read and merged before any is written: one that cannot be read stops the
    // import with nothing changed, like a bad download does.
    let mut done = Vec::new();
    let mut writes = Vec::new();
    for ((patient_id, date), Incoming { mut files, skipped, warnings }) in incoming {
        let relative = crate::load::answers_path(&patient_id, &date);
        let path = root.join(&relative);
        let old_text = match crate::load::read_answer_text(&path) {
            Ok(text) => Some(text),
            Err(_) if !path.exists() => None,
            Err(why) => anyhow::bail!("{}: {why}", path.display()),
        };
        let mut kept = match &old_text {
            Some(text) => serde_json::from_str::<AnswerFile>(text).with_context(|| {
                format!("{} is not a tarea answer file; move it away and import again", path.display())
            })?,
            None => empty(&files[0]),
        };
        let before = kept.answers.clone();
        // Oldest first, so that the newest answer to a field is the one kept; a file with no time
        // (or one that cannot be right) counts as the oldest.
        files.sort_by_key(|f| saved_at(f, now));
        for file in files {
            merge(&mut kept, file, now);
        }
        let changed = kept.answers.iter().filter(|(k, v)| before.get(*k) != Some(v)).count();
        let text = serde_json::to_string_pretty(&kept)? + "\n";
        if old_text.as_deref() != Some(text.as_str()) {
            writes.push(Pending { path, shown: relative.clone(), old: old_text, text });
        }
        let patient = packets.iter().find(|p| p.1.patient_id == patient_id).map(|p| p.0.patient.clone());
        done.push(Imported {
            patient: patient.unwrap_or_default(),
            patient_id,
            date,
            path: relative,
            answers: kept.answers.len(),
            changed,
            skipped,
            warnings,
        });
    }
    write_all(&writes, Faults::from_env())?;
    Ok(done)
}

/// One answers file an import changes.
struct Pending {
    /// Where it is kept.
    path: PathBuf,
    /// That path as shown to the therapist (relative to the site root).
    shown: PathBuf,
    /// What it held before, when it was there.
    old: Option<String>,
    /// What it is to hold.
    text: String,
}

/// Test hook, not a setting: `TAREA_FAULT_IMPORT_WRITE=N` makes the N-th file operation of an
/// import's writing fail with an I/O error, counting from 1 the temporary files written and then
/// the renames into place (with two files: 1 and 2 write them, 3 and 4 rename them). The tests use
/// it to check that a failed import leaves the library exactly as it was.
const FAULT_VAR: &str = "TAREA_FAULT_IMPORT_WRITE";

/// Counts file operations and fails the one [`FAULT_VAR`] names.
struct Faults {
    at: Option<usize>,
    done: usize,
}

impl Faults {
    fn from_env() -> Self {
        Faults { at: std::env::var(FAULT_VAR).ok().and_then(|n| n.trim().parse().ok()), done: 0 }
    }

    /// Called before each operation: the one to fail gets its error here.
    fn next(&mut self) -> io::Result<()> {
        self.done += 1;
        if self.at == Some(self.done) {
            return Err(io::Error::other(format!("failure injected by {FAULT_VAR}={}", self.done)));
        }
        Ok(())
    }
}

/// Writes every file of `writes`, or none: each to a temporary file beside it first, then, once
/// all are written, each renamed into place. On a failure the temporary files are removed, the
/// files already replaced get their old text back (new ones are removed, with the folders made for
/// them), and the error names the file that failed.
fn write_all(writes: &[Pending], mut faults: Faults) -> Result<()> {
    let mut made_dirs = Vec::new();
    let mut temporaries = Vec::new();
    let mut failed = None;
    for w in writes {
        let parent = w.path.parent().expect("an answers path has a folder");
        let temporary = temporary_path(&w.path);
        let written = make_dirs(parent, &mut made_dirs).and_then(|()| {
            temporaries.push(temporary.clone());
            faults.next()?;
            write_synced(&temporary, &w.text)
        });
        if let Err(why) = written {
            failed = Some((w, why));
            break;
        }
    }
    let mut renamed = 0;
    if failed.is_none() {
        for (w, temporary) in writes.iter().zip(&temporaries) {
            if let Err(why) = faults.next().and_then(|()| std::fs::rename(temporary, &w.path)) {
                failed = Some((w, why));
                break;
            }
            renamed += 1;
        }
    }
    let Some((w, why)) = failed else { return Ok(()) };

    // Undo: nothing of this import may stay.
    let mut not_undone = Vec::new();
    for temporary in &temporaries[renamed..] {
        if let Err(e) = std::fs::remove_file(temporary)
            && e.kind() != io::ErrorKind::NotFound
        {
            not_undone.push(format!("remove {}: {e}", temporary.display()));
        }
    }
    for done in writes[..renamed].iter().rev() {
        let restored = match &done.old {
            Some(old) => {
                let temporary = temporary_path(&done.path);
                write_synced(&temporary, old).and_then(|()| std::fs::rename(&temporary, &done.path)).inspect_err(|_| {
                    let _ = std::fs::remove_file(&temporary);
                })
            }
            None => std::fs::remove_file(&done.path),
        };
        if let Err(e) = restored {
            not_undone.push(format!("restore {}: {e}", done.shown.display()));
        }
    }
    for dir in made_dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
    if not_undone.is_empty() {
        anyhow::bail!(
            "could not write {}: {why}; nothing was recorded; import the files again once that is put right",
            w.shown.display()
        )
    }
    anyhow::bail!(
        "could not write {}: {why}; putting the other answers files back failed too ({}): they may hold \
         part of this import",
        w.shown.display(),
        not_undone.join("; ")
    )
}

/// The temporary file `path` is written to before it is renamed into place: beside it, so the
/// rename stays on one file system, and named for this process, so two imports do not share one.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{name}.{}.tmp", std::process::id()))
}

/// Makes `dir` and any missing parent, noting the ones made (outermost first) in `made`.
fn make_dirs(dir: &Path, made: &mut Vec<PathBuf>) -> io::Result<()> {
    let missing: Vec<PathBuf> =
        dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).map(Path::to_path_buf).collect();
    made.extend(missing.into_iter().rev());
    std::fs::create_dir_all(dir)
}

/// Writes `text` to `path` and waits for it to reach the disk.
fn write_synced(path: &Path, text: &str) -> io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// An answer file for the same packet with no answers yet.
fn empty(like: &AnswerFile) -> AnswerFile {
    AnswerFile {
        format: answers::FORMAT.into(),
        version: answers::VERSION,
        token: like.token.clone(),
        saved: None,
        answers: BTreeMap::new(),
        times: BTreeMap::new(),
    }
}

/// The time a file says it was saved, as written, when it can be read.
fn stated_time(file: &AnswerFile) -> Option<DateTime<FixedOffset>> {
    file.saved.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
}

/// The time a file says it was saved, when it is more than a day ahead of `now`: a device clock
/// that was wrong.
fn future_time(file: &AnswerFile, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    stated_time(file).filter(|t| *t > now + CLOCK_SLACK)
}

/// When the browser saved a file, when it says so in a form that can be compared and the time can
/// be right (it is not in the future).
fn saved_at(file: &AnswerFile, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    stated_time(file).filter(|t| *t <= now + CLOCK_SLACK)
}

/// Adds `incoming`'s answers to `kept`: they replace kept ones, unless `incoming` was saved before
/// `kept` was (an old download imported again), when they only fill in what is missing. A time in
/// the future is not kept: it would make every real download after it look older.
fn merge(kept: &mut AnswerFile, incoming: AnswerFile, now: DateTime<Utc>) {
    let older = matches!((saved_at(&incoming, now), saved_at(kept, now)), (Some(new), Some(old)) if new < old);
    let future = future_time(&incoming, now).is_some();
    // Each answer keeps the time it was saved at, from the file it was taken from.
    if older {
        for (key, value) in incoming.answers {
            if let std::collections::btree_map::Entry::Vacant(free) = kept.answers.entry(key.clone()) {
                free.insert(value);
                match incoming.times.get(&key) {
                    Some(time) => kept.times.insert(key, time.clone()),
                    None => kept.times.remove(&key),
                };
            }
        }
    } else {
        for key in incoming.answers.keys() {
            match incoming.times.get(key) {
                Some(time) => kept.times.insert(key.clone(), time.clone()),
                None => kept.times.remove(key),
            };
        }
        kept.answers.extend(incoming.answers);
        if incoming.saved.is_some() && !future {
            kept.saved = incoming.saved;
        }
    }
}

/// The files named, with folders replaced by the `*.json` files in them, sorted.
fn answer_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))?;
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            anyhow::bail!("{}: no such file or folder", path.display());
        }
    }
    Ok(files)
}

/// Parses one answer file; a problem is reported at its line and column.
fn read_answer_file(path: &Path, diags: &mut Diagnostics) -> Option<AnswerFile> {
    let text = match crate::load::read_answer_text(path) {
        Ok(text) => text,
        Err(why) => {
            diags.push(Diagnostic::error(Some(path), why));
            return None;
        }
    };
    match serde_json::from_str::<AnswerFile>(&text) {
        Ok(file) => Some(file),
        Err(e) => {
            let offset = crate::load::line_column_offset(&text, e.line(), e.column());
            let source = SourceFile { path: path.to_path_buf(), text };
            diags.push(
                source
                    .error_at(offset..offset, format!("not a tarea answer file: {e}"))
                    .help("import the .json file that \"Download my answers\" saved, unchanged"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(saved: Option<&str>, pairs: &[(&str, &str)]) -> AnswerFile {
        AnswerFile {
            format: answers::FORMAT.into(),
            version: answers::VERSION,
            token: "t".into(),
            saved: saved.map(String::from),
            answers: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            // Each answer saved when the file was.
            times: pairs.iter().filter_map(|(k, _)| Some((k.to_string(), saved?.to_string()))).collect(),
        }
    }

    #[test]
    fn a_time_in_the_future_is_reported_and_does_not_win_the_merge() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z").unwrap().with_timezone(&Utc);
        let wrong = answers(Some("2099-01-01T10:00:00.000Z"), &[("a", "wrong clock")]);
        assert!(future_time(&wrong, now).is_some());
        assert_eq!(saved_at(&wrong, now), None);
        // A few hours ahead is a time zone, not a wrong clock.
        let soon = answers(Some("2026-12-02T21:00:00+00:00"), &[]);
        assert!(future_time(&soon, now).is_none() && saved_at(&soon, now).is_some());

        let mut kept = answers(Some("2026-11-30T10:00:00Z"), &[("a", "first")]);
        merge(&mut kept, wrong, now);
        assert_eq!(kept.answers["a"], "wrong clock");
        assert_eq!(kept.saved.as_deref(), Some("2026-11-30T10:00:00Z"), "the future time is not kept");
        merge(&mut kept, answers(Some("2026-12-01T10:00:00Z"), &[("a", "real")]), now);
        assert_eq!(kept.answers["a"], "real", "a later real download replaces the answers");
        // A file kept with a future time (by an older tarea) does not make real ones look older.
        let mut kept = answers(Some("2099-01-01T10:00:00Z"), &[("a", "wrong clock")]);
        merge(&mut kept, answers(Some("2026-12-01T10:00:00Z"), &[("a", "real")]), now);
        assert_eq!(kept.answers["a"], "real");
        assert_eq!(kept.saved.as_deref(), Some("2026-12-01T10:00:00Z"));
    }

    fn pending(root: &Path) -> Vec<Pending> {
        let old = root.join("answers/ann/2026-11-26.json");
        std::fs::create_dir_all(old.parent().unwrap()).unwrap();
        std::fs::write(&old, "old text\n").unwrap();
        let new = root.join("answers/bob/2026-11-27.json");
        vec![
            Pending { path: old, shown: "ann.json".into(), old: Some("old text\n".into()), text: "ann's new\n".into() },
            Pending { path: new, shown: "bob.json".into(), old: None, text: "bob's new\n".into() },
        ]
    }

    fn files(root: &Path) -> Vec<(PathBuf, Option<String>)> {
        let mut found: Vec<_> = walkdir::WalkDir::new(root)
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| (e.path().strip_prefix(root).unwrap().to_path_buf(), std::fs::read_to_string(e.path()).ok()))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn each_answer_keeps_the_time_it_was_saved_at() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z").unwrap().with_timezone(&Utc);
        let (monday, friday) = ("2026-11-30T21:00:00+01:00", "2026-12-04T08:00:00+01:00");
        let mut kept = answers(Some(monday), &[("a", "1"), ("c", "old only")]);
        merge(&mut kept, answers(Some(friday), &[("a", "2"), ("b", "new")]), now);
        let time = |kept: &AnswerFile, k: &str| kept.times.get(k).cloned();
        let at = |t: &str| Some(t.to_string());
        assert_eq!((time(&kept, "a"), time(&kept, "b"), time(&kept, "c")), (at(friday), at(friday), at(monday)));
        // An older download fills in only what is missing, with its own time.
        merge(&mut kept, answers(Some("2026-11-29T20:00:00+01:00"), &[("a", "0"), ("d", "sunday")]), now);
        assert_eq!((kept.answers["a"].as_str(), time(&kept, "a")), ("2", at(friday)));
        assert_eq!(time(&kept, "d"), at("2026-11-29T20:00:00+01:00"));
    }

    #[test]
    fn a_failed_write_or_rename_leaves_every_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let writes = pending(dir.path());
        let before = files(dir.path());
        // 1 and 2 write the temporary files, 3 and 4 rename them: 4 fails after ann's is replaced.
        for at in 1..=4 {
            let err = write_all(&writes, Faults { at: Some(at), done: 0 }).unwrap_err().to_string();
            let failed = if at % 2 == 1 { "ann.json" } else { "bob.json" };
            assert!(err.contains(&format!("could not write {failed}")), "{at}: {err}");
            assert!(err.contains("nothing was recorded"), "{at}: {err}");
            assert_eq!(files(dir.path()), before, "fault {at} left the files changed");
        }
        write_all(&writes, Faults { at: None, done: 0 }).unwrap();
        let ann = std::fs::read_to_string(&writes[0].path).unwrap();
        let bob = std::fs::read_to_string(&writes[1].path).unwrap();
        assert_eq!((ann.as_str(), bob.as_str()), ("ann's new\n", "bob's new\n"));
        assert!(!files(dir.path()).iter().any(|(p, _)| p.to_string_lossy().ends_with(".tmp")));
    }
}
