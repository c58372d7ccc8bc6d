//! A plan as a course of therapy: sessions in order, how each task went (recorded in the next
//! session's review), and the level tarea proposes next.
//!
//! The rule, from the article's graded progression: a task done well moves up one level; done
//! halfway, or not as agreed, it stays; missed twice in a row (not done or not as agreed) it goes
//! down one. The therapist's plan always wins: this only suggests.

use chrono::{Duration, NaiveDate};

use crate::model::plain_date;
use crate::model::{Plan, Session, Status};

/// A plan's sessions in date order (sessions with an unusable date are left out).
pub fn sessions(plan: &Plan) -> Vec<(NaiveDate, &Session)> {
    let mut all: Vec<(NaiveDate, &Session)> =
        plan.sessions.iter().filter_map(|s| Some((plain_date(s.date.get_ref())?, s))).collect();
    all.sort_by_key(|(d, _)| *d);
    all
}

/// One assignment of a homework and how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The index of the session it was given at.
    pub session: usize,
    /// The level given.
    pub level: i64,
    /// What the next session's review recorded, if it did.
    pub status: Option<Status>,
}

/// Every assignment of `homework` before session `before` (an index into `course`), oldest first.
pub fn outcomes(course: &[(NaiveDate, &Session)], homework: &str, before: usize) -> Vec<Outcome> {
    course[..before.min(course.len())]
        .iter()
        .enumerate()
        .filter_map(|(i, (_, session))| {
            let task = session.tasks.iter().find(|t| t.homework.get_ref() == homework)?;
            let status = course
                .get(i + 1)
                .and_then(|(_, next)| next.review.iter().find(|r| r.homework.get_ref() == homework))
                .map(|r| r.status);
            Some(Outcome { session: i, level: *task.level.get_ref(), status })
        })
        .collect()
}

/// What tarea proposes for a homework at a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion {
    /// Never given before: start at level 1.
    New,
    /// Given before but not reviewed yet: keep the level.
    Unreviewed(i64),
    /// Move up (done well).
    Up(i64),
    /// Stay at the same level.
    Stay(i64),
    /// Move down (two misses in a row).
    Down(i64),
}

impl Suggestion {
    /// The proposed level.
    pub fn level(self) -> i64 {
        match self {
            Suggestion::New => 1,
            Suggestion::Unreviewed(l) | Suggestion::Up(l) | Suggestion::Stay(l) | Suggestion::Down(l) => l,
        }
    }

    /// `new`, `unreviewed`, `up`, `stay` or `down`, for layouts.
    pub fn key(self) -> &'static str {
        match self {
            Suggestion::New => "new",
            Suggestion::Unreviewed(_) => "unreviewed",
            Suggestion::Up(_) => "up",
            Suggestion::Stay(_) => "stay",
            Suggestion::Down(_) => "down",
        }
    }
}

/// The level to give `homework` (with `levels` levels) at session index `at`, from its history:
/// the rule written plainly, which the one-pass `resolve::private::Progress` is tested against.
#[cfg(test)]
pub fn suggest(course: &[(NaiveDate, &Session)], homework: &str, levels: i64, at: usize) -> Suggestion {
    let history = outcomes(course, homework, at);
    let Some(last) = history.last() else { return Suggestion::New };
    match last.status {
        None => Suggestion::Unreviewed(last.level),
        Some(status) => next_level(last.level, status, history.iter().rev().nth(1).and_then(|o| o.status), levels),
    }
}

/// The progression rule for one step.
pub fn next_level(level: i64, status: Status, previous: Option<Status>, levels: i64) -> Suggestion {
    match status {
        Status::Done if level < levels => Suggestion::Up(level + 1),
        Status::Done | Status::Partial => Suggestion::Stay(level),
        miss if miss.is_miss() && previous.is_some_and(Status::is_miss) && level > 1 => Suggestion::Down(level - 1),
        _ => Suggestion::Stay(level),
    }
}

/// The date of the session after the last one: its `next`, or a week later.
pub fn next_date(course: &[(NaiveDate, &Session)]) -> Option<NaiveDate> {
    let (date, session) = course.last()?;
    Some(session.next.as_ref().and_then(|n| plain_date(n.get_ref())).unwrap_or(*date + Duration::days(7)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_moves_up_but_not_past_the_top() {
        assert_eq!(next_level(2, Status::Done, None, 5), Suggestion::Up(3));
        assert_eq!(next_level(5, Status::Done, None, 5), Suggestion::Stay(5));
    }

    #[test]
    fn partial_or_one_miss_stays_two_misses_go_down() {
        assert_eq!(next_level(3, Status::Partial, Some(Status::NotDone), 5), Suggestion::Stay(3));
        assert_eq!(next_level(3, Status::NotDone, Some(Status::Done), 5), Suggestion::Stay(3));
        assert_eq!(next_level(3, Status::NotDone, Some(Status::Incorrect), 5), Suggestion::Down(2));
        assert_eq!(next_level(1, Status::NotDone, Some(Status::NotDone), 5), Suggestion::Stay(1));
    }

    #[test]
    fn suggestions_follow_the_recorded_reviews() {
        let plan: Plan = toml::from_str(
            r#"
            name = "A"
            language = "es"
            therapist = "T"
            [[sessions]]
            date = 2026-01-01
            [[sessions.tasks]]
            homework = "tr"
            level = 2
            [[sessions]]
            date = 2026-01-08
            [[sessions.review]]
            homework = "tr"
            status = "done"
            [[sessions.tasks]]
            homework = "tr"
            level = 3
            "#,
        )
        .unwrap();
        let course = sessions(&plan);
        assert_eq!(suggest(&course, "tr", 5, 0), Suggestion::New);
        assert_eq!(suggest(&course, "tr", 5, 1), Suggestion::Up(3));
        assert_eq!(suggest(&course, "tr", 5, 2), Suggestion::Unreviewed(3));
        assert_eq!(next_date(&course), NaiveDate::from_ymd_opt(2026, 1, 15));
    }
}
