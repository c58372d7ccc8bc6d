//! The online form of a packet as its view model gives it: every field of its pages, in page
//! order, named by the key scheme of [`crate::answers`], and the check of an answer file against
//! the packet it names. Above the view models, so the scheme itself stays below every stage.

use std::collections::BTreeMap;

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
    out.push(field(format!("{}/reflection", task.id), FieldType::Text, 0, 0));
    out
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
