//! The online form of a packet as its view model gives it: every field of its pages, in page
//! order, named by the key scheme of [`crate::answers`], and the check of an answer file against
//! the packet it names. Above the view models, so the scheme itself stays below every stage.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Packet, SheetLayout, TaskView};
use crate::answers::{AnswerFile, FORMAT, Field, VERSION, cell_key, check_value, day_key, section_key, short};
use crate::model::{FieldType, Kind};

/// Every field of a packet's form, in page order.
pub fn fields(packet: &Packet) -> Vec<Field> {
    packet.tasks.iter().flat_map(fields_of).collect()
}

/// The fields of one task's page.
pub fn fields_of(task: &TaskView) -> Vec<Field> {
    let field = |key: String, kind: FieldType, min: i64, max: i64| Field { key, kind, min, max };
    let mut out = Vec::new();
    if task.likely {
        out.push(field(format!("{}/likely", task.id), FieldType::Percent, 0, 100));
    }
    if task.layout == SheetLayout::Table {
        let rows: usize = task.blocks.iter().map(|b| b.rows as usize).sum();
        for row in 0..rows {
            for c in &task.columns {
                out.push(field(cell_key(&task.id, row, &c.id), c.kind, c.min, c.max));
            }
        }
    } else {
        let items: Vec<&str> =
            if task.history.is_empty() { vec!["s"] } else { task.history.iter().map(|h| h.id.as_str()).collect() };
        for item in items {
            for c in &task.columns {
                out.push(field(section_key(&task.id, item, &c.id), c.kind, c.min, c.max));
            }
        }
    }
    if task.kind == Kind::SelfDesigned {
        out.extend(task.days.iter().map(|d| field(day_key(&task.id, &d.iso), FieldType::Check, 0, 1)));
    }
    // A questionnaire is answered, not reflected on: its page has no "How did it go?".
    if task.kind != Kind::Questionnaire {
        out.push(field(format!("{}/reflection", task.id), FieldType::Text, 0, 0));
    }
    out
}

/// How much of a packet came back filled in: what the private index, the patient's page and
/// `tarea list --json` show per packet, and what `tarea new session` proposes a status from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Deserialize)]
pub struct Returned {
    /// When the patient's browser last saved, as it reported it (its own clock: shown, not trusted).
    pub saved: Option<String>,
    /// Fields with an answer.
    pub answered: usize,
    /// Fields the packet's form has.
    pub fields: usize,
    /// Days with something filled in (a row of that day, or its tick).
    pub days: usize,
    /// Days the packet's daily sheets cover.
    pub of_days: usize,
    /// The same, sheet by sheet.
    pub tasks: Vec<TaskReturned>,
}

/// How much of one sheet came back.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Deserialize)]
pub struct TaskReturned {
    /// The homework id.
    pub id: String,
    /// Fields of the homework itself with an answer ("how likely am I to do it?" aside: it is
    /// asked before).
    pub answered: usize,
    /// Days with something filled in.
    pub days: usize,
    /// Days the sheet has (none for a sheet that is not daily).
    pub of_days: usize,
}

/// What `file` holds of `packet`'s form.
pub fn returned(file: &AnswerFile, packet: &Packet) -> Returned {
    let filled = |f: &Field| {
        file.answers.get(&f.key).is_some_and(|v| !v.trim().is_empty() && (f.kind != FieldType::Check || v == "true"))
    };
    let (mut answered, mut fields) = (0, 0);
    let (mut days, mut of_days) = (BTreeSet::new(), BTreeSet::new());
    let mut tasks = Vec::new();
    for task in &packet.tasks {
        let own = fields_of(task);
        fields += own.len();
        answered += own.iter().filter(|f| filled(f)).count();
        let likely = format!("{}/likely", task.id);
        let mut sheet = TaskReturned {
            id: task.id.clone(),
            answered: own.iter().filter(|f| f.key != likely && filled(f)).count(),
            days: 0,
            of_days: 0,
        };
        // Each day of the sheet, and whether anything of it was filled in: a row of that day,
        // or its tick (a self-designed task's days).
        let mut sheet_days: BTreeMap<&str, bool> = BTreeMap::new();
        let mut row = 0;
        for block in &task.blocks {
            let rows = row..row + block.rows as usize;
            row = rows.end;
            let Some(date) = block.date.as_ref().filter(|d| !d.iso.is_empty()) else { continue };
            let written = rows.clone().any(|r| {
                task.columns
                    .iter()
                    .any(|c| file.answers.get(&cell_key(&task.id, r, &c.id)).is_some_and(|v| !v.trim().is_empty()))
            });
            *sheet_days.entry(&date.iso).or_default() |= written;
        }
        if task.kind == Kind::SelfDesigned {
            for date in &task.days {
                let ticked = file.answers.get(&day_key(&task.id, &date.iso)).is_some_and(|v| v == "true");
                *sheet_days.entry(&date.iso).or_default() |= ticked;
            }
        }
        for (date, filled) in sheet_days {
            sheet.of_days += 1;
            of_days.insert(date);
            if filled {
                sheet.days += 1;
                days.insert(date);
            }
        }
        tasks.push(sheet);
    }
    Returned { saved: file.saved.clone(), answered, fields, days: days.len(), of_days: of_days.len(), tasks }
}

/// What checking an answer file against its packet found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Values that do not fit their field, and a wrong format or version: the file is refused.
    pub problems: Vec<String>,
    /// Keys of fields the packet no longer has (its plan changed after it was handed out): they
    /// are left out and reported, the rest of the file is good.
    pub unknown: Vec<String>,
}

/// Checks an answer file against the packet its token names.
pub fn check(file: &AnswerFile, packet: &Packet) -> Checked {
    let mut out = Checked::default();
    if file.format != FORMAT {
        out.problems.push(format!("\"format\" should be \"{FORMAT}\", not \"{}\"", short(&file.format)));
    }
    if file.version != VERSION {
        out.problems.push(format!("\"version\" {} is not one this tarea reads (it reads {VERSION})", file.version));
    }
    // A time is only shown (never compared), but it must be a short line of text.
    for (key, time) in &file.times {
        if time.chars().count() > 40 || time.chars().any(char::is_control) {
            out.problems.push(format!("the time of answer \"{}\" is not a time: \"{}\"", short(key), short(time)));
        }
    }
    let all = fields(packet);
    let known: BTreeMap<&str, &Field> = all.iter().map(|f| (f.key.as_str(), f)).collect();
    for (key, value) in &file.answers {
        match known.get(key.as_str()) {
            None => out.unknown.push(key.clone()),
            Some(field) => {
                if let Err(why) = check_value(field, value) {
                    out.problems.push(format!("answer \"{key}\" {why}"));
                }
            }
        }
    }
    out
}
