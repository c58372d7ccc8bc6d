//! The keys only a questionnaire has: its `choices`, `stem`, severity `bands` and `source`. A
//! questionnaire is scored by adding its items, so every item must offer exactly the choices and
//! the bands must cover every total, or the therapist copy would name a wrong band.

use super::text::Texts;
use crate::diagnostic::Diagnostics;
use crate::load::Loaded;
use crate::model::{FieldType, Homework, Kind};

/// Checks a template's questionnaire keys: required on a questionnaire, refused elsewhere.
pub(super) fn check(hw: &Loaded<Homework>, texts: &Texts<'_>, diags: &mut Diagnostics) {
    let (src, value) = (&hw.source, &hw.value);
    let choices = value.choices.get_ref();
    if value.kind != Kind::Questionnaire {
        let stray = [
            (!choices.is_empty()).then(|| ("choices", value.choices.span())),
            value.bands.first().map(|band| ("bands", band.max.span())),
            value.stem.as_ref().map(|stem| ("stem", stem.span())),
        ];
        for (key, at) in stray.into_iter().flatten() {
            diags.push(
                src.error_at(at, format!("`{key}` only applies to kind = \"questionnaire\""))
                    .help("remove it, or set kind = \"questionnaire\""),
            );
        }
        if let Some(source) = &value.source {
            texts.check(source, "source", diags);
        }
        return;
    }
    for (n, choice) in choices.iter().enumerate() {
        texts.check(choice, &format!("choices[{n}]"), diags);
    }
    for (key, text) in [("stem", &value.stem), ("source", &value.source)] {
        match text {
            Some(text) => texts.check(text, key, diags),
            // A missing key has no line of its own: the title's, at the top of the file, stands in.
            None => diags.push(src.error_at(value.title.span(), format!("a questionnaire needs a `{key}`")).help(
                if key == "stem" {
                    "write the question over the items as published, e.g. stem = { en = \"Over the last 2 weeks, how often…\", … }"
                } else {
                    "cite where the wording comes from and its permission to reproduce"
                },
            )),
        }
    }
    if choices.is_empty() {
        diags
            .push(src.error_at(value.title.span(), "a questionnaire needs `choices`").help(
                "list the answers to choose from, lowest value first: choices = [{ en = \"Not at all\", … }, …]",
            ));
    }
    let mut top = 0;
    for (id, field) in &value.fields {
        let (min, max) = field.range();
        if *field.kind.get_ref() != FieldType::Scale {
            diags.push(
                src.error_at(field.kind.span(), format!("questionnaire item `{id}` is not a scale"))
                    .help("every item is answered with one of the choices: type = \"scale\", min = 0, max = …"),
            );
        } else if !choices.is_empty() && (max - min + 1) as usize != choices.len() {
            let at = field.max.as_ref().map_or_else(|| field.kind.span(), |m| m.span());
            diags.push(
                src.error_at(
                    at,
                    format!("item `{id}` runs from {min} to {max}, but there are {} choices", choices.len()),
                )
                .help("give each item one value per choice: max = min + choices − 1"),
            );
        }
        top += max;
    }
    let mut below = -1;
    for band in &value.bands {
        texts.check(&band.label, "bands.label", diags);
        let max = *band.max.get_ref();
        if max <= below {
            diags.push(
                src.error_at(band.max.span(), format!("the band ending at {max} is not above the one before it"))
                    .help("list the bands from the lowest total to the highest"),
            );
        }
        below = max;
    }
    if !value.bands.is_empty() && below != top {
        let at = value.bands.last().map(|b| b.max.span()).unwrap_or_default();
        diags.push(
            src.error_at(at, format!("the last band ends at {below}, but the highest total is {top}"))
                .help("the bands must cover every total, up to the sum of the items' `max`"),
        );
    }
}
