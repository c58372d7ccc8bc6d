//! Checks that span sessions: a review records the previous session's homework, the phases
//! follow the article (early: short easy tasks, and not yet the end-of-therapy ones; late: the
//! patient's own tasks), and the time until the next session is plausible. Phase problems are
//! warnings — the therapist may have good reasons.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use crate::course;
use crate::diagnostic::Diagnostics;
use crate::load::{Loaded, Site, SourceFile};
use crate::model::plain_date;
use crate::model::{Kind, Phase, Plan, Session};

/// A packet has a row for every day until the next session: more days than this are worth a
/// second look (a holiday, or a mistyped date).
const LONG_SPAN_DAYS: i64 = 35;
/// More days than this are surely a mistyped date (a year typed one digit off): refused.
const MAX_SPAN_DAYS: i64 = 365;

/// Checks the reviews and phases of one plan.
pub fn check_course(site: &Site, plan: &Loaded<Plan>, diags: &mut Diagnostics) {
    let src = &plan.source;
    let sessions = course::sessions(&plan.value);
    for (i, (date, session)) in sessions.iter().enumerate() {
        check_span(src, *date, session, diags);
        let previous = i.checked_sub(1).map(|j| sessions[j]);
        let mut seen = BTreeSet::new();
        for review in &session.review {
            let id = review.homework.get_ref();
            if !seen.insert(id) {
                diags.push(
                    src.error_at(review.homework.span(), format!("`{id}` is reviewed twice"))
                        .help("keep one review per task"),
                );
                continue;
            }
            match previous {
                None => diags.push(src.error_at(review.homework.span(), "there is no earlier session to review").help(
                    "a review records how the previous session's homework went; remove it from the first session",
                )),
                Some((date, prev)) if !prev.tasks.iter().any(|t| t.homework.get_ref() == id) => {
                    let given: Vec<&str> = prev.tasks.iter().map(|t| t.homework.get_ref().as_str()).collect();
                    let help = if given.is_empty() {
                        format!("the session of {date} gave no homework")
                    } else {
                        format!("the session of {date} gave: {}", given.join(", "))
                    };
                    diags.push(
                        src.error_at(review.homework.span(), format!("`{id}` was not given at the previous session"))
                            .help(help),
                    );
                }
                Some(_) => {}
            }
        }
        let Some(phase) = &session.phase else { continue };
        let kind_of = |id: &str| site.homework.get(id).map(|h| h.value.kind);
        match phase.get_ref() {
            Phase::Late if !session.tasks.iter().any(|t| kind_of(t.homework.get_ref()) == Some(Kind::SelfDesigned)) => {
                diags.push(
                    src.error_at(phase.span(), "a late-phase session with no self-designed task")
                        .help("in the last sessions the patient designs their own task (a homework of kind \"self-designed\")")
                        .warning(),
                );
            }
            Phase::Early => early_tasks(site, src, session, diags),
            _ => {}
        }
    }
}

/// An early session's tasks: short and easy (level 1 or 2), and not yet the tasks that close a
/// course — the review of all homework (kind `review`) or the whole relapse-prevention plan (kind
/// `warning-signs` at its last level). Warnings, at the level when the task gives one.
fn early_tasks(site: &Site, src: &SourceFile, session: &Session, diags: &mut Diagnostics) {
    for task in &session.tasks {
        let id = task.homework.get_ref();
        let level = *task.level.get_ref();
        let at = if task.level.span().is_empty() { task.homework.span() } else { task.level.span() };
        if level > 2 {
            diags.push(
                src.error_at(at.clone(), format!("an early-phase session gives `{id}` at level {level}"))
                    .help("early tasks should be short and easy: level 1 or 2")
                    .warning(),
            );
        }
        let Some(homework) = site.homework.get(id) else { continue };
        let levels = homework.value.levels.get_ref().len() as i64;
        match homework.value.kind {
            Kind::Review => diags.push(
                src.error_at(task.homework.span(), format!("an early-phase session gives `{id}`, the end-of-therapy review"))
                    .help("looking back at all the homework closes a course: give it at one of the last sessions")
                    .warning(),
            ),
            Kind::WarningSigns if level == levels => diags.push(
                src.error_at(
                    at,
                    format!("an early-phase session gives the whole warning-signs plan (`{id}` at level {level} of {levels})"),
                )
                .help(if levels > 1 {
                    "a relapse-prevention plan belongs to the end of therapy: early on, give an earlier level, or wait"
                } else {
                    "a relapse-prevention plan belongs to the end of therapy: give it at one of the last sessions"
                })
                .warning(),
            ),
            _ => {}
        }
    }
}

/// The homework of a session runs until its `next` (a week when it has none): a packet has a row
/// for every one of those days. More than five weeks is a warning, more than a year an error, both
/// at the `next` value. A `next` that is no plain date, or not after `date`, is reported by the
/// plan's own checks.
fn check_span(src: &SourceFile, date: NaiveDate, session: &Session, diags: &mut Diagnostics) {
    let Some(next) = &session.next else { return };
    let Some(next_date) = plain_date(next.get_ref()) else { return };
    let days = (next_date - date).num_days();
    if days > MAX_SPAN_DAYS {
        let guess = same_day_nearer(date, next_date).map(|d| format!(" (did you mean {d}?)")).unwrap_or_default();
        diags.push(
            src.error_at(
                next.span(),
                format!("`next` ({next_date}) is {days} days after `date` ({date}): probably a typo"),
            )
            .help(format!(
                "more than a year between two sessions is surely a mistyped date{guess}; the packet \
                     would have a row for each of those {days} days"
            )),
        );
    } else if days > LONG_SPAN_DAYS {
        diags.push(
            src.error_at(next.span(), format!("`next` ({next_date}) is {days} days after `date` ({date})"))
                .help(format!(
                    "a session more than five weeks away: is the date right? the packet will have {days} days of rows"
                ))
                .warning(),
        );
    }
}

/// `next`'s day and month in the session's year (or the year after), when that falls within five
/// weeks of the session: what a year typed one digit off most likely meant.
fn same_day_nearer(date: NaiveDate, next: NaiveDate) -> Option<NaiveDate> {
    [date.year(), date.year() + 1]
        .into_iter()
        .filter_map(|year| next.with_year(year))
        .find(|d| *d > date && (*d - date).num_days() <= LONG_SPAN_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_year_one_digit_off_suggests_the_nearer_date() {
        assert_eq!(same_day_nearer(d(2027, 1, 4), d(2037, 1, 11)), Some(d(2027, 1, 11)));
        assert_eq!(same_day_nearer(d(2027, 12, 28), d(2038, 1, 4)), Some(d(2028, 1, 4)));
        assert_eq!(same_day_nearer(d(2027, 1, 4), d(2037, 6, 1)), None);
    }
}
