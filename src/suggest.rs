//! `tarea suggest <patient>`: a ready-to-paste `[[sessions]]` block for the next session, with a
//! review entry for each task of the last one and the levels the progression rule proposes.
//!
//! The next session's review is not known yet, so each level is given for "done" and a comment
//! says what it would be otherwise; the therapist edits the statuses and keeps or changes levels.
//! The end-of-therapy review (a homework of kind `review`) is given once: it is reviewed like any
//! task, but never proposed again.

use std::fmt::Write;

use crate::course::{self, next_level};
use crate::load::{Loaded, Site};
use crate::model::{Kind, Plan, Status};

/// The block to paste at the end of `plan`'s file; `date` overrides the proposed date.
pub fn next_session_block(site: &Site, plan: &Loaded<Plan>, date: Option<chrono::NaiveDate>) -> String {
    let sessions = course::sessions(&plan.value);
    let mut out = String::new();
    let name = plan.value.name.get_ref();
    let _ = writeln!(out, "# Next session for {name} ({}), proposed by `tarea suggest`.", plan.id);
    let Some(date) = date.or_else(|| course::next_date(&sessions)) else {
        let _ = writeln!(out, "# The plan has no session yet: start with a first one.");
        let _ = writeln!(out, "[[sessions]]\ndate = {}", chrono::Local::now().date_naive());
        let _ = writeln!(out, "# (set the date of the first session)");
        return out;
    };
    let (_, last) = sessions[sessions.len() - 1];
    let _ = writeln!(out, "# Set each review's status to what happened; the levels assume \"done\".");
    let _ = writeln!(out, "[[sessions]]\ndate = {date}\nnext = {}", date + chrono::Duration::days(7));
    if let Some(phase) = &last.phase {
        let _ = writeln!(out, "phase = \"{}\"   # early | middle | late", phase.get_ref().name());
    }
    for task in &last.tasks {
        let _ = writeln!(out, "\n[[sessions.review]]\nhomework = \"{}\"", task.homework.get_ref());
        let _ = writeln!(out, "status = \"done\"   # done | partial | incorrect | not-done");
    }
    for task in &last.tasks {
        let id = task.homework.get_ref();
        if site.homework.get(id).is_some_and(|h| h.value.kind == Kind::Review) {
            let _ = writeln!(out, "\n# `{id}` is not proposed again: the review of all homework is given once.");
            continue;
        }
        let levels = site.homework.get(id).map_or(1, |h| h.value.levels.get_ref().len() as i64);
        let level = *task.level.get_ref();
        // The assignment before the last one, whose status decides whether a miss is the second.
        let before = course::outcomes(&sessions, id, sessions.len()).iter().rev().nth(1).and_then(|o| o.status);
        let done = next_level(level, Status::Done, before, levels).level();
        let partial = next_level(level, Status::Partial, before, levels).level();
        let missed = next_level(level, Status::NotDone, before, levels).level();
        let _ = writeln!(out, "\n[[sessions.tasks]]\nhomework = \"{id}\"");
        let _ = writeln!(out, "level = {done}   # if done; partial or done differently: {partial}; not done: {missed}");
        if let Some(params) = &task.params {
            let values: Vec<String> = params.get_ref().iter().map(|(k, v)| format!("{k} = {}", v.get_ref())).collect();
            let _ = writeln!(out, "params = {{ {} }}", values.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostics;

    /// A site in a temp dir with `homework` (id → file) and Ann's `plan`.
    fn site(homework: &[(&str, &str)], plan: &str) -> (tempfile::TempDir, Site) {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("library");
        std::fs::create_dir_all(lib.join("homework")).unwrap();
        std::fs::create_dir_all(lib.join("plans")).unwrap();
        std::fs::write(
            lib.join("clinic.toml"),
            "name = \"C\"\nbase_url = \"https://e.org\"\ndefault_language = \"en\"\nlanguages = [\"en\"]\n",
        )
        .unwrap();
        for (id, text) in homework {
            std::fs::write(lib.join(format!("homework/{id}.toml")), text).unwrap();
        }
        std::fs::write(lib.join("plans/ann.toml"), plan).unwrap();
        let mut diags = Diagnostics::default();
        let site = crate::load::load_site(dir.path(), &mut diags).unwrap();
        (dir, site)
    }

    /// A homework of `kind` with `levels` levels of one text field.
    fn homework(kind: &str, levels: usize) -> String {
        format!(
            "kind = \"{kind}\"\nminutes = 5\nfrequency = \"once\"\ntitle = {{ en = \"T\" }}\npurpose = {{ en = \"P\" }}\n\
             instructions = {{ en = \"I\" }}\n[fields.a]\ntype = \"text\"\nlabel = {{ en = \"A\" }}\n{}",
            "[[levels]]\nfields = [\"a\"]\n".repeat(levels)
        )
    }

    #[test]
    fn proposes_the_next_levels_and_reviews_every_task() {
        let plan = "name = \"Ann\"\nlanguage = \"en\"\ntherapist = \"T\"\n\
                    [[sessions]]\ndate = 2026-01-01\n[[sessions.tasks]]\nhomework = \"tr\"\nlevel = 2\n\
                    [[sessions]]\ndate = 2026-01-08\nnext = 2026-01-15\n[[sessions.review]]\nhomework = \"tr\"\nstatus = \"not-done\"\n\
                    [[sessions.tasks]]\nhomework = \"tr\"\nlevel = 2\nparams = { }\n";
        let (_dir, site) = site(&[("tr", &homework("self-registration", 3))], plan);
        let block = next_session_block(&site, &site.plans["ann"], None);
        assert!(block.contains("date = 2026-01-15\nnext = 2026-01-22"), "{block}");
        assert!(block.contains("[[sessions.review]]\nhomework = \"tr\"\nstatus = \"done\""), "{block}");
        // Done: up to 3; partial: stays 2; a second miss in a row: down to 1.
        assert!(block.contains("level = 3   # if done; partial or done differently: 2; not done: 1"), "{block}");
        let pasted = format!("{plan}\n{block}");
        assert!(toml::from_str::<Plan>(&pasted).is_ok(), "the block pastes into a valid plan");
    }

    #[test]
    fn the_end_of_therapy_review_is_reviewed_but_never_proposed_again() {
        let plan = "name = \"Ann\"\nlanguage = \"en\"\ntherapist = \"T\"\n\
                    [[sessions]]\ndate = 2026-01-01\n[[sessions.tasks]]\nhomework = \"looking-back\"\n\
                    [[sessions.tasks]]\nhomework = \"tr\"\n";
        let (_dir, site) =
            site(&[("tr", &homework("self-registration", 2)), ("looking-back", &homework("review", 1))], plan);
        let block = next_session_block(&site, &site.plans["ann"], None);
        assert!(block.contains("[[sessions.review]]\nhomework = \"looking-back\""), "{block}");
        assert!(!block.contains("[[sessions.tasks]]\nhomework = \"looking-back\""), "{block}");
        assert!(block.contains("[[sessions.tasks]]\nhomework = \"tr\"\nlevel = 2"), "{block}");
        assert!(block.contains("# `looking-back` is not proposed again"), "{block}");
        let pasted = format!("{plan}\n{block}");
        assert!(toml::from_str::<Plan>(&pasted).is_ok(), "the block pastes into a valid plan");
    }
}
