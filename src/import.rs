//! `tarea import`: the answers a patient downloaded from their online packet come back to the
//! therapist's side of the site.
//!
//! Each file names its packet by token; it is checked against that packet's form (every key a
//! field, every value fitting its field) and kept as `library/answers/<patient>/<session>.json`,
//! beside the plans — never under `out/public/`. Every problem of every file is reported before
//! anything is written, so a bad file never leaves half an import behind. A second download of
//! the same packet is merged into the first: newer answers win, none is lost.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::answers::{self, AnswerFile};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::load::{ANSWERS, SourceFile};
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
    // By patient and date: the merged answers of every file for that packet.
    let mut merged: BTreeMap<(String, String), AnswerFile> = BTreeMap::new();
    for path in &files {
        let Some(file) = read_answer_file(path, &mut diags) else { continue };
        let Some((packet, link)) = by_token.get(file.token.as_str()) else {
            diags.push(Diagnostic::error(Some(path), "these answers are for a packet this site does not have").help(
                "check that the file was downloaded from this clinic's site; if the site secret was rotated \
                 (`tarea secret rotate`), the old links and their answers no longer match",
            ));
            continue;
        };
        let problems = answers::problems(&file, packet);
        if !problems.is_empty() {
            for problem in problems {
                diags.push(Diagnostic::error(Some(path), problem).help(
                    "the file may have been edited by hand or come from an older version of the packet; \
                     ask the patient to download it again",
                ));
            }
            continue;
        }
        merge(merged.entry((link.patient_id.clone(), link.date.clone())).or_insert_with(|| empty(&file)), file);
    }
    diags.into_result()?;

    let mut done = Vec::new();
    for ((patient_id, date), incoming) in merged {
        let relative = Path::new("library").join(ANSWERS).join(&patient_id).join(format!("{date}.json"));
        let path = root.join(&relative);
        let mut kept = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<AnswerFile>(&text).with_context(|| {
                format!("{} is not a tarea answer file; move it away and import again", path.display())
            })?,
            Err(_) => empty(&incoming),
        };
        let before = kept.answers.clone();
        merge(&mut kept, incoming);
        let changed = kept.answers.iter().filter(|(k, v)| before.get(*k) != Some(v)).count();
        let text = serde_json::to_string_pretty(&kept)? + "\n";
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            let parent = path.parent().expect("an answers path has a folder");
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            let temporary = path.with_extension("json.tmp");
            std::fs::write(&temporary, &text).with_context(|| format!("writing {}", temporary.display()))?;
            std::fs::rename(&temporary, &path).with_context(|| format!("writing {}", path.display()))?;
        }
        let patient = packets.iter().find(|p| p.1.patient_id == patient_id).map(|p| p.0.patient.clone());
        done.push(Imported {
            patient: patient.unwrap_or_default(),
            patient_id,
            date,
            path: relative,
            answers: kept.answers.len(),
            changed,
        });
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

/// Adds `newer`'s answers to `kept`; an answer given in both takes the newer file's value.
fn merge(kept: &mut AnswerFile, newer: AnswerFile) {
    kept.answers.extend(newer.answers);
    kept.saved = match (kept.saved.take(), newer.saved) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
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
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            diags.push(Diagnostic::error(Some(path), format!("cannot read file: {e}")));
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
