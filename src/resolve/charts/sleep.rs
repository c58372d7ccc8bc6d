//! A sleep diary's answers turned into what a therapist reads from one: per night, time in bed,
//! total sleep and sleep efficiency (Carney et al., 2012, the Consensus Sleep Diary's usual
//! derived measures), as rated columns the charts then draw like any other.
//!
//! - time in bed = got up − went to bed;
//! - total sleep = woke for good − went to bed − time to fall asleep − time awake in the night
//!   (when the level asks it; an hour lying awake after waking for good is in bed, not asleep);
//! - sleep efficiency = total sleep ÷ time in bed, in %.
//!
//! Times cross midnight: a bedtime of 23:30 and a rising at 7:00 are 7.5 hours apart. A night
//! missing a time it needs is left out of that measure, never guessed.

use std::collections::BTreeMap;

use chrono::NaiveTime;

use super::{FieldType, Kind, TaskView, Words};
use crate::answers::cell_key;
use crate::resolve::ColumnView;

/// The highest number of hours the charts draw (a longer "night" is a mistake in the diary).
const MAX_HOURS: i64 = 16;

/// A sleep diary sheet as the charts read it: how well the patient slept as they rated it, then
/// the measures computed from the times, each a column of numbers per night.
pub(super) fn derived(
    task: &TaskView,
    answers: &BTreeMap<String, String>,
    words: &Words<'_>,
) -> (TaskView, BTreeMap<String, String>) {
    let has = |id: &str| task.columns.iter().any(|c| c.id == id);
    let column = |id: &str, key: &str, kind: FieldType, max: i64| ColumnView::computed(id, words.get(key), kind, max);
    let mut columns: Vec<ColumnView> = task.columns.iter().filter(|c| c.id == "quality").cloned().collect();
    columns.push(column("in-bed", "sleep-in-bed", FieldType::Scale, MAX_HOURS));
    columns.push(column("asleep", "sleep-total", FieldType::Scale, MAX_HOURS));
    columns.push(column("efficiency", "sleep-efficiency", FieldType::Percent, 100));
    let mut out = BTreeMap::new();
    let rows: usize = task.blocks.iter().map(|b| b.rows as usize).sum();
    for row in 0..rows {
        let time = |id: &str| {
            answers.get(&cell_key(&task.id, row, id)).and_then(|v| NaiveTime::parse_from_str(v.trim(), "%H:%M").ok())
        };
        let minutes = |id: &str| answers.get(&cell_key(&task.id, row, id)).and_then(|v| v.trim().parse::<i64>().ok());
        if let Some(q) = answers.get(&cell_key(&task.id, row, "quality")) {
            out.insert(cell_key(&task.id, row, "quality"), q.clone());
        }
        let (Some(bed), up) = (time("bed"), time("up")) else { continue };
        let in_bed = up.map(|up| span(bed, up));
        // The awakenings are asked from level 2: before, a night counts none.
        let awake = if has("awake") { minutes("awake") } else { Some(0) };
        let asleep = match (time("final"), minutes("latency"), awake) {
            (Some(last), Some(latency), Some(awake)) => Some(span(bed, last) - latency - awake).filter(|m| *m >= 0),
            _ => None,
        };
        if let Some(m) = in_bed.filter(|m| *m > 0) {
            out.insert(cell_key(&task.id, row, "in-bed"), hours(m));
        }
        if let Some(m) = asleep {
            out.insert(cell_key(&task.id, row, "asleep"), hours(m));
        }
        if let (Some(bed), Some(sleep)) = (in_bed.filter(|m| *m > 0), asleep) {
            let efficiency = (sleep as f64 / bed as f64 * 100.0).min(100.0);
            out.insert(cell_key(&task.id, row, "efficiency"), format!("{:.0}", efficiency));
        }
    }
    // Charted as a daily log of rated columns.
    let view = TaskView { kind: Kind::SelfRegistration, columns, ..task.clone() };
    (view, out)
}

/// Minutes from `from` to `to`, across midnight when `to` is earlier.
fn span(from: NaiveTime, to: NaiveTime) -> i64 {
    let minutes = (to - from).num_minutes();
    if minutes < 0 { minutes + 24 * 60 } else { minutes }
}

/// Minutes as hours with one decimal, as the charts read numbers.
fn hours(minutes: i64) -> String {
    format!("{:.1}", minutes as f64 / 60.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn a_night_crosses_midnight() {
        assert_eq!(span(at(23, 30), at(7, 0)), 450);
        assert_eq!(span(at(0, 15), at(6, 45)), 390);
        assert_eq!(hours(450), "7.5");
    }
}
