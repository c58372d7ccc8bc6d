//! What an activity schedule shows a therapist beyond mood by day: whether mood is higher in the
//! activities the patient rated high in mastery or pleasure (behavioural activation's premise, in
//! their own numbers). Each answered row's mood goes into one of two derived columns, by whether
//! its mastery or pleasure reached [`HIGH`]; the charts then draw both as lines by day (a day's
//! value the mean of its rows), like any other ratings.

use std::collections::BTreeMap;

use super::{FieldType, Kind, TaskView, Words};
use crate::answers::cell_key;
use crate::resolve::ColumnView;

/// A mastery or pleasure rating this high (of 10) makes an activity "high" in it.
const HIGH: f64 = 7.0;

/// The mood of each row, split by whether its activity was rated high in mastery or pleasure;
/// `None` when the sheet does not rate mood with mastery or pleasure.
pub(super) fn derived(
    task: &TaskView,
    answers: &BTreeMap<String, String>,
    words: &Words<'_>,
) -> Option<(TaskView, BTreeMap<String, String>)> {
    let mood = task.columns.iter().find(|c| c.id == "mood" && c.kind == FieldType::Scale)?;
    let rated: Vec<&str> =
        ["mastery", "pleasure"].into_iter().filter(|id| task.columns.iter().any(|c| c.id == *id)).collect();
    if rated.is_empty() {
        return None;
    }
    let column = |id: &str, key: &str| ColumnView { id: id.into(), label: words.get(key), ..mood.clone() };
    let columns = vec![column("mood-high", "activity-mood-high"), column("mood-other", "activity-mood-other")];
    let number =
        |row: usize, id: &str| answers.get(&cell_key(&task.id, row, id)).and_then(|v| v.trim().parse::<f64>().ok());
    let rows: usize = task.blocks.iter().map(|b| b.rows as usize).sum();
    let mut out = BTreeMap::new();
    for row in 0..rows {
        let Some(value) = answers.get(&cell_key(&task.id, row, "mood")) else { continue };
        let ratings: Vec<f64> = rated.iter().filter_map(|id| number(row, id)).collect();
        // A row without its mastery or pleasure says nothing about them.
        if ratings.is_empty() {
            continue;
        }
        let high = ratings.iter().any(|r| *r >= HIGH);
        out.insert(cell_key(&task.id, row, if high { "mood-high" } else { "mood-other" }), value.clone());
    }
    let view = TaskView { kind: Kind::SelfRegistration, columns, ..task.clone() };
    Some((view, out))
}
