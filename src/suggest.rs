//! `tarea suggest <patient>`: a ready-to-paste `[[sessions]]` block for the next session, with a
//! review entry for each task of the last one and the levels the progression rule proposes.
//!
//! The next session's review is not known yet, and an invented outcome would become a false
//! clinical record if nobody edited it. So a review's status is proposed only from what the
//! patient sent back (the answers imported for the last packet: how many days and fields were
//! filled), with a comment saying so; without answers it is the placeholder [`UNSET_STATUS`],
//! which loading refuses, located, until the therapist writes what happened. The levels follow
//! the proposed status, or stay where they were until it is set. The end-of-therapy review (a
//! homework of kind `review`) is given once: it is reviewed like any task, but never proposed
//! again.

use std::fmt::Write;

use crate::course::{self, next_level};
use crate::load::{Loaded, Site};
use crate::model::{Kind, Plan, Status, UNSET_STATUS};
use crate::resolve::form::{Returned, TaskReturned};

/// The status what came back of a sheet suggests: a daily sheet filled in on at least 70 % of its
/// days (or any other sheet filled in) is "done"; less is "partial". Only what is there counts:
/// a sheet with nothing online proposes nothing (it may have been done on paper, or read), and
/// "incorrect" only the session can tell.
fn proposed(sheet: &TaskReturned) -> Option<Status> {
    match sheet {
        TaskReturned { answered: 0, days: 0, .. } => None,
        TaskReturned { of_days: 0, .. } => Some(Status::Done),
        TaskReturned { days, of_days, .. } if days * 10 >= of_days * 7 => Some(Status::Done),
        _ => Some(Status::Partial),
    }
}

/// The block to paste at the end of `plan`'s file; `date` overrides the proposed date. `returned`
/// is what came back of the last packet, when its answers were imported.
pub fn next_session_block(
    site: &Site,
    plan: &Loaded<Plan>,
    date: Option<chrono::NaiveDate>,
    returned: Option<&Returned>,
) -> String {
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
    let (last_date, last) = sessions[sessions.len() - 1];
    let _ = writeln!(out, "# Set each review's status to what happened; the levels follow it.");
    let _ = writeln!(out, "[[sessions]]\ndate = {date}\nnext = {}", date + chrono::Duration::days(7));
    if let Some(phase) = &last.phase {
        let _ = writeln!(out, "phase = \"{}\"   # early | middle | late", phase.get_ref().name());
    }
    let mut statuses = Vec::new();
    for task in &last.tasks {
        let id = task.homework.get_ref();
        let _ = writeln!(out, "\n[[sessions.review]]\nhomework = \"{id}\"");
        let sheet = returned.and_then(|r| Some((r, r.tasks.iter().find(|t| t.id == *id)?)));
        match sheet.and_then(|(r, sheet)| Some((r, sheet, proposed(sheet)?))) {
            Some((r, sheet, status)) => {
                let saved = r.saved.as_deref().map(|s| format!(", saved {s}")).unwrap_or_default();
                let days = if sheet.of_days > 0 {
                    format!("{} of {} days, ", sheet.days, sheet.of_days)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "status = \"{}\"   # proposed from the answers sent back for {last_date}{saved}: {days}{} \
                     fields filled in; check it with the patient",
                    status.name(),
                    sheet.answered
                );
                statuses.push(Some(status));
            }
            None => {
                let why = if sheet.is_some() {
                    "nothing of this sheet came back online"
                } else {
                    "no answers were sent back"
                };
                let _ = writeln!(
                    out,
                    "status = \"{UNSET_STATUS}\"   # what happened? done | partial | incorrect | not-done ({why} \
                     for {last_date})"
                );
                statuses.push(None);
            }
        }
    }
    for (task, status) in last.tasks.iter().zip(statuses) {
        let id = task.homework.get_ref();
        if site.homework.get(id).is_some_and(|h| h.value.kind == Kind::Review) {
            let _ = writeln!(out, "\n# `{id}` is not proposed again: the review of all homework is given once.");
            continue;
        }
        let levels = site.homework.get(id).map_or(1, |h| h.value.levels.get_ref().len() as i64);
        let level = *task.level.get_ref();
        // The assignment before the last one, whose status decides whether a miss is the second.
        let before = course::outcomes(&sessions, id, sessions.len()).iter().rev().nth(1).and_then(|o| o.status);
        let after = |status: Status| next_level(level, status, before, levels).level();
        let (done, partial, missed) = (after(Status::Done), after(Status::Partial), after(Status::NotDone));
        let _ = writeln!(out, "\n[[sessions.tasks]]\nhomework = \"{id}\"");
        let given = status.map_or(level, after);
        let _ = writeln!(
            out,
            "level = {given}   # if done: {done}; partial or done differently: {partial}; not done: {missed}"
        );
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
        let block = next_session_block(&site, &site.plans["ann"], None, None);
        assert!(block.contains("date = 2026-01-15\nnext = 2026-01-22"), "{block}");
        // No answers came back: no outcome is invented, and the plan refuses to load until one is set.
        assert!(block.contains("[[sessions.review]]\nhomework = \"tr\"\nstatus = \"set-me\""), "{block}");
        assert!(block.contains("no answers were sent back for 2026-01-08"), "{block}");
        // The level stays until the status is set: done, up to 3; partial, 2; a second miss, 1.
        assert!(block.contains("level = 2   # if done: 3; partial or done differently: 2; not done: 1"), "{block}");
        let pasted = format!("{plan}\n{block}");
        let err = toml::from_str::<Plan>(&pasted).unwrap_err();
        assert!(err.message().contains("`set-me`"), "{err}");
        assert_eq!(&pasted[err.span().unwrap()], "\"set-me\"", "the error points at the placeholder");
    }

    #[test]
    fn a_status_is_proposed_only_from_the_answers_sent_back() {
        let plan = "name = \"Ann\"\nlanguage = \"en\"\ntherapist = \"T\"\n\
                    [[sessions]]\ndate = 2026-01-01\nnext = 2026-01-08\n[[sessions.tasks]]\nhomework = \"tr\"\nlevel = 1\n";
        let (_dir, site) = site(&[("tr", &homework("self-registration", 3))], plan);
        let back = |answered: usize, days: usize| Returned {
            saved: Some("2026-01-07T21:03".into()),
            answered,
            fields: 40,
            days,
            of_days: 7,
            tasks: vec![TaskReturned { id: "tr".into(), answered, days, of_days: 7 }],
        };
        let cases = [
            (back(5, 5), "done", 2, "5 of 7 days, 5 fields filled in"),
            (back(3, 2), "partial", 1, "2 of 7 days, 3 fields filled in"),
        ];
        for (returned, status, level, said) in cases {
            let block = next_session_block(&site, &site.plans["ann"], None, Some(&returned));
            assert!(block.contains(&format!("status = \"{status}\"   # proposed from the answers")), "{block}");
            assert!(block.contains(said) && block.contains("saved 2026-01-07T21:03"), "{block}");
            assert!(block.contains(&format!("level = {level}   #")), "{block}");
            assert!(toml::from_str::<Plan>(&format!("{plan}\n{block}")).is_ok(), "{block}");
        }
        // Nothing of the sheet online is no evidence it was not done (on paper, say): left to set.
        let block = next_session_block(&site, &site.plans["ann"], None, Some(&back(0, 0)));
        assert!(block.contains("status = \"set-me\"") && block.contains("nothing of this sheet came back online"));
        assert!(block.contains("level = 1   #"), "{block}");
    }

    #[test]
    fn the_end_of_therapy_review_is_reviewed_but_never_proposed_again() {
        let plan = "name = \"Ann\"\nlanguage = \"en\"\ntherapist = \"T\"\n\
                    [[sessions]]\ndate = 2026-01-01\n[[sessions.tasks]]\nhomework = \"looking-back\"\n\
                    [[sessions.tasks]]\nhomework = \"tr\"\n";
        let (_dir, site) =
            site(&[("tr", &homework("self-registration", 2)), ("looking-back", &homework("review", 1))], plan);
        let block = next_session_block(&site, &site.plans["ann"], None, None);
        assert!(block.contains("[[sessions.review]]\nhomework = \"looking-back\""), "{block}");
        assert!(!block.contains("[[sessions.tasks]]\nhomework = \"looking-back\""), "{block}");
        assert!(block.contains("[[sessions.tasks]]\nhomework = \"tr\"\nlevel = 1   # if done: 2"), "{block}");
        assert!(block.contains("# `looking-back` is not proposed again"), "{block}");
        let pasted = format!("{plan}\n{block}").replace(UNSET_STATUS, "done");
        assert!(toml::from_str::<Plan>(&pasted).is_ok(), "with its statuses set, the block pastes into a valid plan");
    }
}
