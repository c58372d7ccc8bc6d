//! Stage 3: a plan and the library become packets — the small, serialisable view models that the
//! HTML, Markdown and Typst layouts see.
//!
//! Everything a layout needs is decided here, in the patient's language: texts, the fields of the
//! requested level, the dated day blocks up to the next session. Layouts never see the domain
//! types, so they cannot reach what a patient must not read (ids, file paths, the secret).

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

mod booklet;
mod charts;
pub mod form;
mod measures;
mod private;
mod task;
mod written;

pub use booklet::Booklet;
pub use charts::{Chart, Series};
pub use measures::{Measure, ScoreRow};
pub use private::{OnlineAnswers, PatientSummary, PreviousAnswers, TherapistCopy};
pub use task::{ColumnView, HistoryItem, ParamView, RowBlock, SheetLayout, TaskView};
pub use written::{WrittenRow, WrittenSheet};

use crate::course;
use crate::i18n::{self, Strings};
use crate::load::{Loaded, Site};
use crate::markdown::{self, Block};
use crate::model::plain_date;
use crate::model::{Homework, Kind, Plan, Session, Task};
use crate::token::Secret;
use crate::validate::Validated;

/// Days of blocks when a session has no `next`.
const DEFAULT_DAYS: i64 = 7;

/// One session's packet for one patient: what every layout of that packet sees.
#[derive(Debug, Clone, Serialize)]
pub struct Packet {
    /// The public folder name (an unguessable token).
    pub token: String,
    /// The short code in its answer file's name.
    pub answers_code: String,
    /// The packet's language.
    pub lang: String,
    /// The patient's name as printed.
    pub patient: String,
    /// The therapist's name.
    pub therapist: String,
    /// The clinic's name.
    pub clinic: String,
    /// `a4` or `us-letter`.
    pub paper: &'static str,
    /// The session the packet is handed over at.
    pub date: DateView,
    /// The next session, if planned.
    pub next: Option<DateView>,
    /// The packet's public address.
    pub url: String,
    /// The QR code of `url` printed on the cover: rows of `'1'` (dark) and `'0'` (light) modules.
    pub qr: Option<Vec<String>>,
    /// The homework, in the order the plan gives it.
    pub tasks: Vec<TaskView>,
    /// Interface words in the packet's language.
    pub t: i18n::Words,
    /// Sheets "designed with errors" for a perfectionist patient.
    pub perfectionism: bool,
    /// Whether this packet comes with the end-of-therapy booklet.
    pub booklet: bool,
    /// When daily reminders ring, "HH:MM".
    pub reminder_time: String,
    /// Larger type on every sheet and page.
    pub large_print: bool,
    /// The numbers to call in a crisis, printed on the warning-signs plan: the clinic's
    /// helplines, then its own phone.
    pub helplines: Vec<HelplineView>,
}

/// A number to call, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct HelplineView {
    /// What it is for, in the packet's language.
    pub label: String,
    /// The number as dialled.
    pub number: String,
}

/// A date, machine- and human-readable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DateView {
    /// `2026-11-26`.
    pub iso: String,
    /// "jueves, 26 de noviembre de 2026".
    pub long: String,
    /// "Jueves, 26 de noviembre".
    pub heading: String,
    /// "Jue 26/11".
    pub short: String,
}

impl DateView {
    pub(crate) fn new(date: NaiveDate, lang: &str) -> Self {
        DateView {
            iso: date.to_string(),
            long: i18n::long_date(date, lang),
            heading: i18n::day_heading(date, lang),
            short: i18n::short_day(date, lang),
        }
    }
}

/// Markdown rendered for each output.
#[derive(Debug, Clone, Serialize)]
pub struct Rich {
    /// Safe HTML.
    pub html: String,
    /// Escaped Markdown.
    pub md: String,
    /// The document model, for Typst.
    pub blocks: Vec<Block>,
}

impl Rich {
    pub(crate) fn new(source: &str) -> Self {
        let blocks = markdown::parse(source);
        Rich { html: markdown::to_html(&blocks), md: markdown::to_markdown(&blocks), blocks }
    }
}

/// What the private index knows of a packet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PacketLink {
    /// The patient's id (file stem): private side only.
    pub patient_id: String,
    /// The patient's name.
    pub patient: String,
    /// The session date.
    pub date: String,
    /// The public folder name.
    pub token: String,
    /// The full public address to send to the patient.
    pub url: String,
    /// The homework titles, in the clinic's default language.
    pub tasks: Vec<String>,
    /// The password that opens the packet, when it is published encrypted (private side only).
    pub password: Option<String>,
    /// What came back filled in, when the patient's answers were imported.
    pub returned: Option<form::Returned>,
    /// A ready-to-send message with the link, in the patient's language: how to open, fill in
    /// and print the packet, and, when it is sealed, that the password comes separately (never
    /// the password itself).
    pub message: String,
}

/// Everything a build renders.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Every packet of every patient.
    pub packets: Vec<Packet>,
    /// The private index's rows, one per packet, in the same order.
    pub links: Vec<PacketLink>,
    /// End-of-therapy booklets, each in its packet's folder.
    pub booklets: Vec<Booklet>,
    /// One therapist copy per packet (private).
    pub copies: Vec<TherapistCopy>,
    /// One summary per patient for the private index.
    pub patients: Vec<PatientSummary>,
}

/// Resolves every session of every plan into a packet, plus the private side. `encrypt_all`
/// seals every packet (`build --encrypt`), not only those the plans or the clinic ask for.
pub fn resolve_site(site: &Validated<Site>, strings: &Strings, secret: &Secret, encrypt_all: bool) -> Resolved {
    let mut all = Resolved::default();
    for plan in published_plans(site) {
        all.extend(resolve_plan(site, plan, Sealing { strings, secret, encrypt_all }));
    }
    all
}

/// The plans a build publishes: a fictional example patient only when the clinic asks for it.
pub fn published_plans(site: &Site) -> impl Iterator<Item = &Loaded<Plan>> {
    site.plans.values().filter(|p| !p.value.example || site.clinic.value.publish_examples)
}

/// What resolving a plan needs besides the site and the plan: the interface words, and the secret
/// and sealing choice that tokens and passwords come from.
#[derive(Clone, Copy)]
pub struct Sealing<'a> {
    /// Interface words.
    pub strings: &'a Strings,
    /// The site secret.
    pub secret: &'a Secret,
    /// Seal every packet (`build --encrypt`).
    pub encrypt_all: bool,
}

/// Resolves one plan: its packets, their links and therapist copies, its booklet and its patient
/// summary. A plan's packets depend on the library and on that plan (and its answers) only, so
/// plans resolve one at a time, and an unchanged plan need not resolve at all.
pub fn resolve_plan(site: &Validated<Site>, plan: &Loaded<Plan>, sealing: Sealing<'_>) -> Resolved {
    let site: &Site = site;
    let Sealing { strings, secret, encrypt_all } = sealing;
    let mut all = Resolved::default();
    let private_lang = site.clinic.value.default_language.get_ref().as_str();
    let sessions = course::sessions(&plan.value);
    // What was given and how it went, carried from one session to the next: each packet and
    // copy reads it instead of going over every earlier session again, so a plan of n sessions
    // resolves in n steps, not n².
    let mut given = HistoryLog::default();
    let mut progress = private::Progress::default();
    for at in 0..sessions.len() {
        let ids = PacketIds { patient_id: &plan.id, secret, strings };
        let mut packet = resolve_packet(site, &plan.value, &sessions, at, &given, ids);
        let is_last = at + 1 == sessions.len();
        let has_review = packet.tasks.iter().any(|t| t.kind == Kind::Review);
        if is_last && has_review {
            let source = booklet::BookletSource {
                site,
                plan: &plan.value,
                sessions: &sessions,
                strings,
                earlier: &all.packets,
                answers: site.answers.get(&plan.id),
            };
            all.booklets.push(booklet::resolve_booklet(&source, &packet));
            packet.booklet = true;
        }
        let view = private::CopyContext {
            site,
            plan,
            sessions: &sessions,
            at,
            strings,
            lang: private_lang,
            given: &given,
            progress: &progress,
        };
        let mut copy = private::therapist_copy(&view, &packet);
        // The review at the start of a session looks at the previous packet's answers.
        if let Some(previous) = all.copies.last().filter(|_| at > 0) {
            copy.previous_answers = previous.answers.as_ref().map(|a| private::PreviousAnswers {
                answered: a.answered,
                fields: a.fields,
                href: format!("{}.html#answers", previous.date.iso),
            });
        }
        all.copies.push(copy);
        all.links.push(PacketLink {
            patient_id: plan.id.clone(),
            patient: packet.patient.clone(),
            date: packet.date.iso.clone(),
            token: packet.token.clone(),
            url: packet.url.clone(),
            tasks: packet.tasks.iter().map(|t| t.title.clone()).collect(),
            password: password(site, plan, secret, encrypt_all),
            returned: site
                .answers
                .get(&plan.id)
                .and_then(|a| a.get(&packet.date.iso))
                .map(|file| form::returned(file, &packet)),
            message: message(&packet, plan.value.password.is_some() || sealed(site, plan, encrypt_all)),
        });
        all.packets.push(packet);
        let (date, session) = sessions[at];
        given.add(site, date, session);
        progress.pass(&sessions, at);
    }
    let view = private::CopyContext {
        site,
        plan,
        sessions: &sessions,
        at: sessions.len(),
        strings,
        lang: private_lang,
        given: &given,
        progress: &progress,
    };
    let mut summary = private::summary(&view, &all.links);
    let packets: Vec<&Packet> = all.packets.iter().collect();
    let words = charts::Words { strings, lang: plan.value.language.get_ref() };
    summary.charts = booklet::charts_over(&packets, site.answers.get(&plan.id), &words);
    all.patients.push(summary);
    all
}

impl Resolved {
    /// Appends another plan's part.
    pub fn extend(&mut self, other: Resolved) {
        self.packets.extend(other.packets);
        self.links.extend(other.links);
        self.booklets.extend(other.booklets);
        self.copies.extend(other.copies);
        self.patients.extend(other.patients);
    }
}

/// The message that sends `packet`'s link, in its language.
fn message(packet: &Packet, sealed: bool) -> String {
    let t = |key: &str| packet.t.get(key).cloned().unwrap_or_default();
    let text = t("send-message")
        .replace("{name}", &packet.patient)
        .replace("{date}", &packet.date.long)
        .replace("{link}", &packet.url)
        .replace("{therapist}", &packet.therapist);
    if sealed { format!("{text}\n{}", t("send-message-password")) } else { text }
}

/// Whether the plan or the clinic (or `build --encrypt`) seals the patient's packets.
fn sealed(site: &Site, plan: &Loaded<Plan>, encrypt_all: bool) -> bool {
    encrypt_all || plan.value.encrypt || site.clinic.value.encrypt
}

/// The password of a patient's packets: the plan's own, or a strong one made up from the site
/// secret when the plan or the clinic asks for encryption.
pub(crate) fn password(site: &Site, plan: &Loaded<Plan>, secret: &Secret, encrypt_all: bool) -> Option<String> {
    match &plan.value.password {
        Some(password) => Some(password.get_ref().clone()),
        None if sealed(site, plan, encrypt_all) => Some(secret.passphrase(&plan.id)),
        None => None,
    }
}

/// Who a packet is for, and what its token and words come from.
struct PacketIds<'a> {
    patient_id: &'a str,
    secret: &'a Secret,
    strings: &'a Strings,
}

fn resolve_packet(
    site: &Site,
    plan: &Plan,
    sessions: &[(NaiveDate, &Session)],
    at: usize,
    given: &HistoryLog<'_>,
    ids: PacketIds<'_>,
) -> Packet {
    let (date, session) = sessions[at];
    let lang = plan.language.get_ref().clone();
    let next = session.next.as_ref().and_then(|n| plain_date(n.get_ref()));
    let token = ids.secret.packet_token(ids.patient_id, date);
    let clinic = &site.clinic.value;
    let url = format!("{}/{token}/", clinic.base_url.get_ref().trim_end_matches('/'));
    let days = Days { first: date, next }.list();
    // Only a review sheet shows the history of earlier tasks.
    let history = if gives_review(site, session) { given.items(&lang) } else { Vec::new() };
    let previous = at.checked_sub(1).map_or(&[][..], |i| sessions[i].1.tasks.as_slice());
    let context =
        task::TaskContext { lang: &lang, strings: ids.strings, days: &days, plan, history: &history, previous };
    let tasks = session
        .tasks
        .iter()
        .filter_map(|t| Some(task::resolve_task(t, &site.homework.get(t.homework.get_ref())?.value, &context)))
        .collect();
    Packet {
        answers_code: ids.secret.answers_code(&token),
        token,
        patient: plan.name.get_ref().clone(),
        therapist: plan.therapist.get_ref().clone(),
        clinic: clinic.name.clone(),
        paper: clinic.paper.name(),
        date: DateView::new(date, &lang),
        next: next.map(|n| DateView::new(n, &lang)),
        qr: crate::qr::modules(&url),
        url,
        tasks,
        t: ids.strings.words(&lang),
        perfectionism: plan.perfectionism,
        booklet: false,
        large_print: plan.large_print,
        helplines: helplines(clinic, &lang),
        reminder_time: plan
            .reminder_time
            .as_ref()
            .or(clinic.reminder_time.as_ref())
            .map_or_else(|| "20:00".to_string(), |t| t.get_ref().clone()),
        lang,
    }
}

/// The clinic's helplines in `lang`, then its own phone under its name.
fn helplines(clinic: &crate::model::Clinic, lang: &str) -> Vec<HelplineView> {
    let lines = clinic.helplines.iter().map(|h| HelplineView {
        label: task::localized(&h.label, lang),
        number: h.number.get_ref().trim().to_string(),
    });
    let own = clinic
        .phone
        .iter()
        .map(|p| HelplineView { label: clinic.name.clone(), number: p.get_ref().trim().to_string() });
    lines.chain(own).collect()
}

/// Every task given in `sessions`, once each, in the order first given (with its latest
/// assignment), leaving out the review itself.
pub(crate) fn history_log<'a>(site: &'a Site, sessions: &[(NaiveDate, &'a Session)]) -> HistoryLog<'a> {
    let mut given = HistoryLog::default();
    for (day, session) in sessions {
        given.add(site, *day, session);
    }
    given
}

/// Whether a session gives the review of all homework (the one sheet that shows the history).
pub(crate) fn gives_review(site: &Site, session: &Session) -> bool {
    session.tasks.iter().any(|t| site.homework.get(t.homework.get_ref()).is_some_and(|h| h.value.kind == Kind::Review))
}

/// The tasks given so far in a course, once each in the order first given, added to session by
/// session: what [`history`] lists, kept up to date in one pass over a plan.
#[derive(Default)]
pub(crate) struct HistoryLog<'a> {
    given: Vec<Given<'a>>,
    by_id: HashMap<&'a str, usize>,
}

/// One homework of a [`HistoryLog`].
struct Given<'a> {
    homework: &'a Loaded<Homework>,
    /// Its latest assignment (level, params).
    task: &'a Task,
    first: NaiveDate,
    last: NaiveDate,
}

impl<'a> HistoryLog<'a> {
    /// Adds the tasks of the session of `day` (the review itself left out).
    pub(crate) fn add(&mut self, site: &'a Site, day: NaiveDate, session: &'a Session) {
        for task in &session.tasks {
            let Some(homework) = site.homework.get(task.homework.get_ref()) else { continue };
            if homework.value.kind == Kind::Review {
                continue;
            }
            match self.by_id.get(homework.id.as_str()) {
                Some(&i) => {
                    let given = &mut self.given[i];
                    given.task = task;
                    given.last = day;
                }
                None => {
                    self.by_id.insert(&homework.id, self.given.len());
                    self.given.push(Given { homework, task, first: day, last: day });
                }
            }
        }
    }

    /// The tasks so far with their latest assignment, in the order of [`HistoryLog::items`].
    pub(crate) fn latest(&self) -> impl Iterator<Item = (&'a Homework, &'a Task)> + '_ {
        self.given.iter().map(|g| (&g.homework.value, g.task))
    }

    /// The tasks so far in `lang`, each with its latest level and purpose.
    pub(crate) fn items(&self, lang: &str) -> Vec<HistoryItem> {
        self.given
            .iter()
            .map(|g| {
                let hw = &g.homework.value;
                HistoryItem {
                    id: g.homework.id.clone(),
                    title: task::localized(&hw.title, lang),
                    purpose: task::purpose_of(g.task, hw, lang),
                    level: *g.task.level.get_ref(),
                    levels: hw.levels.get_ref().len(),
                    first: DateView::new(g.first, lang),
                    last: DateView::new(g.last, lang),
                }
            })
            .collect()
    }
}

/// The days a packet covers: from the session to the day before the next one.
#[derive(Clone, Copy)]
pub(crate) struct Days {
    first: NaiveDate,
    next: Option<NaiveDate>,
}

impl Days {
    fn list(self) -> Vec<NaiveDate> {
        let end = self.next.unwrap_or(self.first + Duration::days(DEFAULT_DAYS));
        self.first.iter_days().take_while(|d| *d < end).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::diagnostic::Diagnostics;
    use crate::i18n::Strings;
    use crate::templates::Templates;
    use crate::token::Secret;

    /// The fixture site `tests/fixtures/<name>` loaded, validated and resolved: no layout.
    pub(crate) fn fixture(name: &str) -> super::Resolved {
        resolved(name, false)
    }

    fn resolved(name: &str, seal_all: bool) -> super::Resolved {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        let mut diags = Diagnostics::default();
        let site = crate::load::load_site(&root, &mut diags).expect("the fixture loads");
        let site = crate::validate::validate_site(site, &mut diags).unwrap_or_else(|| panic!("{diags:?}"));
        let strings = Strings::parse(Templates::builtin().file("i18n.toml")).unwrap();
        super::resolve_site(&site, &strings, &Secret::from_bytes(b"unit test"), seal_all)
    }

    /// The packet of `patient`'s session on `date` in the small fixture.
    fn packet<'a>(resolved: &'a super::Resolved, patient: &str, date: &str) -> &'a super::Packet {
        let at = resolved.links.iter().position(|l| l.patient_id == patient && l.date == date);
        &resolved.packets[at.unwrap_or_else(|| panic!("no packet of {patient} on {date}"))]
    }

    #[test]
    fn one_packet_per_session_in_the_patients_language_with_its_own_token() {
        let resolved = fixture("small");
        let rows: Vec<(&str, &str, &str)> = resolved
            .links
            .iter()
            .zip(&resolved.packets)
            .map(|(l, p)| (l.patient_id.as_str(), l.date.as_str(), p.lang.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("elisa", "2026-11-19", "es"),
                ("elisa", "2026-11-26", "es"),
                ("marta", "2026-11-26", "ca"),
                ("marta", "2026-12-03", "ca"),
                ("tom", "2026-11-27", "en"),
            ]
        );
        assert!(resolved.links.iter().zip(&resolved.packets).all(|(l, p)| l.token == p.token && l.date == p.date.iso));
        let tokens: std::collections::BTreeSet<&str> = resolved.links.iter().map(|l| l.token.as_str()).collect();
        assert_eq!(tokens.len(), 5, "every packet has a token of its own");
        assert_eq!(resolved.copies.len(), 5, "one therapist copy per packet");
        assert_eq!(resolved.patients.len(), 3, "one summary per patient");
    }

    #[test]
    fn a_daily_task_has_a_dated_block_for_every_day_until_the_next_session() {
        let resolved = fixture("small");
        let record = &packet(&resolved, "elisa", "2026-11-26").tasks[0];
        assert_eq!((record.id.as_str(), record.level), ("record", 1));
        let days: Vec<&str> = record.blocks.iter().map(|b| b.date.as_ref().unwrap().iso.as_str()).collect();
        assert_eq!(
            days,
            ["2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"],
            "from the session to the day before the next (2026-12-03)"
        );
        assert_eq!(
            record.note.as_ref().map(|n| n.md.trim()),
            Some("Fíjate sobre todo en los momentos en el instituto.")
        );
        // Marta's next session is four days later: four days to fill in.
        assert_eq!(packet(&resolved, "marta", "2026-11-26").tasks[0].blocks.len(), 4);
    }

    #[test]
    fn the_level_asked_is_the_level_printed_and_a_perfectionist_sees_no_count() {
        let resolved = fixture("small");
        let tom = &packet(&resolved, "tom", "2026-11-27").tasks[0];
        assert_eq!((tom.level, tom.level_label.as_deref()), (5, Some("Level 5 of 5")));
        let marta = packet(&resolved, "marta", "2026-11-26");
        assert!(marta.perfectionism);
        assert_eq!((marta.tasks[0].level, marta.tasks[0].level_label.as_deref()), (3, Some("Nivell 3")));
        // A higher level asks for more: level 5 has more columns than level 1.
        let elisa = &packet(&resolved, "elisa", "2026-11-26").tasks[0];
        assert!(tom.columns.len() > elisa.columns.len(), "{} vs {}", tom.columns.len(), elisa.columns.len());
    }

    #[test]
    fn a_param_is_kept_as_the_plan_wrote_it_for_each_renderer_to_escape() {
        let resolved = fixture("small");
        let reading = &packet(&resolved, "elisa", "2026-11-19").tasks[0];
        let book = reading.params.iter().find(|p| p.name == "book").expect("the book param");
        assert_eq!(book.value, "El *principito* <b>", "neither Markdown nor HTML: data");
        let chapters = &packet(&resolved, "elisa", "2026-11-26").tasks[1].params;
        let listed = chapters.iter().find(|p| p.name == "chapters").expect("the chapters param");
        assert_eq!(listed.items, ["Capítulo 1", "Capítulo 2"]);
    }

    #[test]
    fn what_came_back_counts_the_days_with_a_row_written_and_the_fields() {
        let resolved = fixture("small");
        let packet = packet(&resolved, "elisa", "2026-11-26");
        let record = &packet.tasks[0];
        // The first row of the first and third days, and "how likely" (asked before, not the homework).
        let first_row = |day: usize| record.blocks[..day].iter().map(|b| b.rows as usize).sum::<usize>();
        let column = &record.columns[0].id;
        let mut file = crate::model::AnswerFile {
            format: crate::model::FORMAT.into(),
            version: crate::model::VERSION,
            token: packet.token.clone(),
            saved: Some("2026-12-01T21:30:00+01:00".into()),
            answers: Default::default(),
            times: Default::default(),
        };
        for day in [0, 2] {
            file.answers.insert(crate::answers::cell_key("record", first_row(day), column), "en clase".into());
        }
        file.answers.insert(crate::answers::cell_key("record", first_row(4), column), "  ".into()); // blank
        file.answers.insert("record/likely".into(), "80".into());
        let back = super::form::returned(&file, packet);
        assert_eq!((back.days, back.of_days), (2, 7));
        assert_eq!(back.answered, 3);
        assert_eq!(back.fields, super::form::fields(packet).len());
        assert_eq!(back.saved.as_deref(), Some("2026-12-01T21:30:00+01:00"));
        assert_eq!((back.tasks[0].id.as_str(), back.tasks[0].answered, back.tasks[0].days), ("record", 2, 2));
        // The reading guide is not daily: no days to count.
        assert_eq!((back.tasks[1].answered, back.tasks[1].of_days), (0, 0));
    }

    #[test]
    fn a_save_time_must_be_a_short_line_of_text() {
        let resolved = fixture("small");
        let packet = packet(&resolved, "elisa", "2026-11-26");
        let key = crate::answers::cell_key("record", 0, &packet.tasks[0].columns[0].id);
        let file = |time: &str| crate::model::AnswerFile {
            format: crate::model::FORMAT.into(),
            version: crate::model::VERSION,
            token: packet.token.clone(),
            saved: None,
            answers: [(key.clone(), "en clase".to_string())].into(),
            times: [(key.clone(), time.to_string())].into(),
        };
        assert!(super::form::check(&file("2026-12-01T21:30:00+01:00"), packet).problems.is_empty());
        for wrong in ["x".repeat(41), "21:30\u{1b}[2J".to_string()] {
            let problems = super::form::check(&file(&wrong), packet).problems;
            assert!(problems.len() == 1 && problems[0].contains("is not a time"), "{wrong:?}: {problems:?}");
        }
    }

    #[test]
    fn packets_have_passwords_only_when_sealing_is_asked() {
        assert!(fixture("small").links.iter().all(|l| l.password.is_none()), "no plan or clinic asks for sealing");
        let sealed = resolved("small", true);
        let passwords: Vec<&str> = sealed.links.iter().map(|l| l.password.as_deref().unwrap()).collect();
        assert_eq!(passwords[0], passwords[1], "one password per patient, for all their packets");
        assert_ne!(passwords[0], passwords[2], "patients do not share a password");
        // Sealing changes who can open a packet, not what it holds.
        assert_eq!(sealed.packets[0].token, fixture("small").packets[0].token);
    }
}
