//! Checks that span sessions: a review records the previous session's homework, and the phases
//! follow the article (early: short easy tasks; late: the patient's own tasks). Phase problems are
//! warnings — the therapist may have good reasons.

use std::collections::BTreeSet;

use crate::course;
use crate::diagnostic::Diagnostics;
use crate::load::{Loaded, Site};
use crate::model::{Kind, Phase, Plan};

/// Checks the reviews and phases of one plan.
pub fn check_course(site: &Site, plan: &Loaded<Plan>, diags: &mut Diagnostics) {
    let src = &plan.source;
    let sessions = course::sessions(&plan.value);
    for (i, (_, session)) in sessions.iter().enumerate() {
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
            Phase::Early => {
                for task in session.tasks.iter().filter(|t| *t.level.get_ref() > 2) {
                    let at = if task.level.span().is_empty() { task.homework.span() } else { task.level.span() };
                    diags.push(
                        src.error_at(
                            at,
                            format!(
                                "an early-phase session gives `{}` at level {}",
                                task.homework.get_ref(),
                                task.level.get_ref()
                            ),
                        )
                        .help("early tasks should be short and easy: level 1 or 2")
                        .warning(),
                    );
                }
            }
            _ => {}
        }
    }
}
