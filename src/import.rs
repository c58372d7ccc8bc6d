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
//! only fills in what is missing, and none is dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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
}

/// Reads every answer file in `paths` (files, or folders of `*.json`), checks each against the
/// packet its token names among `packets`, and merges them into `root/library/answers/`.
pub(crate) fn import(root: &Path, paths: &[PathBuf], packets: &[(Packet, PacketLink)]) -> Result<Vec<Imported>> {
    let files = answer_files(paths)?;
    if files.is_empty() {
        anyhow::bail!("no answer files given: pass the .json files patients downloaded, or a folder of them");
    }
    let by_token: BTreeMap<&str, &(Packet, PacketLink)> = packets.iter().map(|p| (p.0.token.as_str(), p)).collect();
    let mut diags = Diagnostics::default();
    // By patient and date: every good file for that packet, and the answers left out of them.
    let mut incoming: BTreeMap<(String, String), (Vec<AnswerFile>, Vec<String>)> = BTreeMap::new();
    for path in &files {
        let Some(mut file) = read_answer_file(path, &mut diags) else { continue };
        let Some((packet, link)) = by_token.get(file.token.as_str()) else {
            diags.push(Diagnostic::error(Some(path), "these answers are for a packet this site does not have").help(
                "check that the file was downloaded from this clinic's site; if the site secret was rotated \
                 (`tarea secret rotate`), the old links and their answers no longer match",
            ));
            continue;
        };
        let checked = answers::check(&file, packet);
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
        let entry = incoming.entry((link.patient_id.clone(), link.date.clone())).or_default();
        entry.0.push(file);
        entry.1.extend(checked.unknown);
    }
    diags.into_result()?;

    // Every kept file is read and merged before any is written: one that cannot be read stops the
    // import with nothing changed, like a bad download does.
    let mut done = Vec::new();
    let mut writes = Vec::new();
    for ((patient_id, date), (mut files, skipped)) in incoming {
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
        // Oldest first, so that the newest answer to a field is the one kept.
        files.sort_by_key(saved_at);
        for file in files {
            merge(&mut kept, file);
        }
        let changed = kept.answers.iter().filter(|(k, v)| before.get(*k) != Some(v)).count();
        let text = serde_json::to_string_pretty(&kept)? + "\n";
        if old_text.as_deref() != Some(text.as_str()) {
            writes.push((path, text));
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
        });
    }
    for (path, text) in writes {
        let parent = path.parent().expect("an answers path has a folder");
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, &text).with_context(|| format!("writing {}", temporary.display()))?;
        std::fs::rename(&temporary, &path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(done)
}

/// An answer file for the same packet with no answers yet.
fn empty(like: &AnswerFile) -> AnswerFile {
    AnswerFile {
        format: answers::FORMAT.into(),
        version: answers::VERSION,
        token: like.token.clone(),
        saved: None,
        answers: BTreeMap::new(),
    }
}

/// When the browser saved a file, when it says so in a form that can be compared.
fn saved_at(file: &AnswerFile) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    file.saved.as_deref().and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
}

/// Adds `incoming`'s answers to `kept`: they replace kept ones, unless `incoming` was saved before
/// `kept` was (an old download imported again), when they only fill in what is missing.
fn merge(kept: &mut AnswerFile, incoming: AnswerFile) {
    let older = matches!((saved_at(&incoming), saved_at(kept)), (Some(new), Some(old)) if new < old);
    if older {
        for (key, value) in incoming.answers {
            kept.answers.entry(key).or_insert(value);
        }
    } else {
        kept.answers.extend(incoming.answers);
        if incoming.saved.is_some() {
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
