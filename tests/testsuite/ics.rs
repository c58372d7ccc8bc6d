//! Every packet's `reminders.ics`, read by a real calendar parser (`ical`), must ring what the
//! plan asks for: each daily task every day from the session to the day before the next one, at
//! the plan's (or clinic's) reminder time, a quarter of an hour apart, under its title in the
//! patient's language; and the next session on its date. What is expected is worked out here from
//! the plan and homework TOML files, independently of tarea's own resolution.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use ical::property::Property;

use crate::common::*;

/// One event as the calendar should hold it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Expected {
    /// A daily reminder: its summary and every time it rings.
    Daily { summary: String, rings: Vec<NaiveDateTime> },
    /// The next session: its summary and its (all-day) date.
    Next { summary: String, date: NaiveDate },
}

/// One packet's expected calendar, found by its patient and session date.
struct Packet {
    patient: String,
    date: NaiveDate,
    events: Vec<Expected>,
}

fn read_toml(path: &Path) -> toml::Table {
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn str_at<'a>(table: &'a toml::Table, key: &str) -> Option<&'a str> {
    table.get(key).and_then(toml::Value::as_str)
}

fn date_at(table: &toml::Table, key: &str) -> Option<NaiveDate> {
    table.get(key).map(|v| v.to_string().parse().unwrap_or_else(|e| panic!("{key} = {v}: {e}")))
}

/// What every packet of the site at `root` should remind of, straight from its TOML files.
fn expected_packets(root: &Path) -> Vec<Packet> {
    let library = root.join("library");
    let clinic = read_toml(&library.join("clinic.toml"));
    let words = read_toml(&repo().join("templates/i18n.toml"));
    let mut packets = Vec::new();
    for entry in std::fs::read_dir(library.join("plans")).unwrap() {
        let plan = read_toml(&entry.unwrap().path());
        let lang = str_at(&plan, "language").unwrap();
        let time = str_at(&plan, "reminder_time").or(str_at(&clinic, "reminder_time")).unwrap_or("20:00");
        let time = NaiveTime::parse_from_str(time, "%H:%M").unwrap();
        let next_words = words["next-session"][lang].as_str().unwrap();
        let therapist = str_at(&plan, "therapist").unwrap();
        for session in plan["sessions"].as_array().unwrap() {
            let session = session.as_table().unwrap();
            let date = date_at(session, "date").unwrap();
            let next = date_at(session, "next");
            let end = next.unwrap_or(date + Duration::days(7));
            let days: Vec<NaiveDate> = date.iter_days().take_while(|d| *d < end).collect();
            let mut events = Vec::new();
            let tasks = session.get("tasks").and_then(|t| t.as_array()).cloned().unwrap_or_default();
            let daily = tasks.iter().filter_map(|task| {
                let id = str_at(task.as_table().unwrap(), "homework").unwrap();
                let homework = read_toml(&library.join("homework").join(format!("{id}.toml")));
                (str_at(&homework, "frequency") == Some("daily"))
                    .then(|| homework["title"][lang].as_str().unwrap().to_string())
            });
            for (i, title) in daily.enumerate() {
                let at = time + Duration::minutes(15 * i as i64);
                events.push(Expected::Daily { summary: title, rings: days.iter().map(|d| d.and_time(at)).collect() });
            }
            if let Some(next) = next {
                events.push(Expected::Next { summary: format!("{next_words} · {therapist}"), date: next });
            }
            events.sort();
            packets.push(Packet { patient: str_at(&plan, "name").unwrap().to_string(), date, events });
        }
    }
    packets
}

/// Undoes RFC 5545 TEXT escaping (§3.3.11); the parser leaves values as written.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other @ ('\\' | ';' | ',')) => out.push(other),
            other => panic!("`\\{other:?}` is not a TEXT escape in {value:?}"),
        }
    }
    out
}

fn property<'a>(properties: &'a [Property], name: &str) -> &'a Property {
    let found: Vec<&Property> = properties.iter().filter(|p| p.name == name).collect();
    assert_eq!(found.len(), 1, "exactly one {name} in {properties:?}");
    found[0]
}

fn value<'a>(properties: &'a [Property], name: &str) -> &'a str {
    property(properties, name).value.as_deref().unwrap_or_else(|| panic!("{name} has no value"))
}

fn params(property: &Property) -> Vec<(String, Vec<String>)> {
    property.params.clone().unwrap_or_default()
}

fn floating(text: &str) -> NaiveDateTime {
    assert!(!text.ends_with('Z'), "{text}: reminders are floating times, not UTC");
    NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S").unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// An event as the calendar says it, daily recurrences expanded.
fn actual(event: &IcalEvent) -> Expected {
    let p = &event.properties;
    let summary = unescape(value(p, "SUMMARY"));
    let start = property(p, "DTSTART");
    if params(start) == [("VALUE".to_string(), vec!["DATE".to_string()])] {
        assert!(p.iter().all(|q| q.name != "RRULE"), "the next session happens once");
        let date = NaiveDate::parse_from_str(start.value.as_deref().unwrap(), "%Y%m%d").unwrap();
        return Expected::Next { summary, date };
    }
    assert!(params(start).is_empty(), "{start:?}");
    let first = floating(start.value.as_deref().unwrap());
    let rule: BTreeMap<&str, &str> =
        value(p, "RRULE").split(';').map(|part| part.split_once('=').expect("NAME=VALUE")).collect();
    assert_eq!(rule.keys().copied().collect::<Vec<_>>(), ["FREQ", "UNTIL"], "{rule:?}");
    assert_eq!(rule["FREQ"], "DAILY");
    let until = floating(rule["UNTIL"]);
    let rings =
        std::iter::successors(Some(first), |t| Some(*t + Duration::days(1))).take_while(|t| *t <= until).collect();
    // It rings: a display alarm at the start of each occurrence.
    assert_eq!(event.alarms.len(), 1, "{summary}: one alarm");
    let alarm = &event.alarms[0].properties;
    assert_eq!(value(alarm, "ACTION"), "DISPLAY");
    assert_eq!(value(alarm, "TRIGGER"), "PT0M");
    assert_eq!(unescape(value(alarm, "DESCRIPTION")), summary);
    assert!(value(p, "DURATION").starts_with("PT"), "{summary}");
    Expected::Daily { summary, rings }
}

fn parse_calendar(path: &Path) -> IcalCalendar {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let calendars: Vec<IcalCalendar> = ical::IcalParser::new(BufReader::new(file))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    assert_eq!(calendars.len(), 1, "{}: one VCALENDAR", path.display());
    calendars.into_iter().next().unwrap()
}

/// Builds the site, then checks every packet's calendar against its plan; returns how many
/// packets were checked.
fn check_site(root: &Path) -> usize {
    build(root).expect("the site builds");
    let packets = expected_packets(root);
    assert_eq!(packets.len(), packet_dirs(root).len(), "every packet has a session in a plan");
    let mut uids = BTreeSet::new();
    for packet in &packets {
        let dir = packet_for(root, &packet.patient, &packet.date.to_string());
        let calendar = parse_calendar(&dir.join("reminders.ics"));
        assert_eq!(value(&calendar.properties, "VERSION"), "2.0");
        assert!(!value(&calendar.properties, "PRODID").is_empty());
        assert!(calendar.todos.is_empty() && calendar.alarms.is_empty() && calendar.timezones.is_empty());
        let stamp = format!("{}T000000Z", packet.date.format("%Y%m%d"));
        for event in &calendar.events {
            assert_eq!(value(&event.properties, "DTSTAMP"), stamp, "DTSTAMP is the session date");
            let uid = value(&event.properties, "UID").to_string();
            assert!(uids.insert(uid.clone()), "UID {uid} is used twice");
        }
        let mut events: Vec<Expected> = calendar.events.iter().map(actual).collect();
        events.sort();
        assert_eq!(events, packet.events, "{} on {}", packet.patient, packet.date);
    }
    packets.len()
}

#[test]
fn every_reminder_file_rings_what_the_plan_asks_for() {
    let site = fixture("small");
    let root = site.path();
    // Another time for one patient, and a title a calendar must unescape (`;` and `,`).
    let plan = root.join("library/plans/tom.toml");
    let text = std::fs::read_to_string(&plan).unwrap().replacen(
        "therapist = \"Laura\"",
        "therapist = \"Laura\"\nreminder_time = \"07:45\"",
        1,
    );
    std::fs::write(&plan, text).unwrap();
    let record = root.join("library/homework/record.toml");
    let text = std::fs::read_to_string(&record).unwrap().replacen(
        "en = \"Test record\"",
        "en = \"Test record; a row, a day\"",
        1,
    );
    std::fs::write(&record, text).unwrap();
    assert_eq!(check_site(root), 5);

    // Spelled out for one packet, so the expectations above cannot drift with the code.
    let tom = parse_calendar(&packet_for(root, "Tom", "2026-11-27").join("reminders.ics"));
    let events: Vec<Expected> = tom.events.iter().map(actual).collect();
    let week = (27..=30).map(|d| (2026, 11, d)).chain((1..=3).map(|d| (2026, 12, d)));
    let rings = week.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(7, 45, 0).unwrap());
    assert_eq!(
        events,
        [Expected::Daily { summary: "Test record; a row, a day".into(), rings: rings.collect() }],
        "no `next`: a week of reminders, and no next-session event"
    );
    let elisa = parse_calendar(&packet_for(root, "Elisa", "2026-11-26").join("reminders.ics"));
    let mut events: Vec<Expected> = elisa.events.iter().map(actual).collect();
    events.sort();
    let days = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap().iter_days().take(7);
    assert_eq!(
        events,
        [
            Expected::Daily {
                summary: "Registro de prueba".into(),
                rings: days.map(|d| d.and_hms_opt(20, 0, 0).unwrap()).collect(),
            },
            Expected::Next {
                summary: "Próxima sesión · María Jesús".into(),
                date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            },
        ],
        "the reading guide is per situation: no reminder for it"
    );
}

#[test]
fn several_daily_tasks_ring_a_quarter_of_an_hour_apart_at_the_clinics_time() {
    let site = fixture("course");
    let root = site.path();
    let clinic = root.join("library/clinic.toml");
    let text = std::fs::read_to_string(&clinic).unwrap() + "reminder_time = \"21:30\"\n";
    std::fs::write(&clinic, text).unwrap();
    assert_eq!(check_site(root), 6);

    let first = parse_calendar(&packet_for(root, "Ana", "2027-01-04").join("reminders.ics"));
    let starts: Vec<(&str, &str)> =
        first.events.iter().map(|e| (value(&e.properties, "SUMMARY"), value(&e.properties, "DTSTART"))).collect();
    assert_eq!(
        starts,
        [
            ("Registro de prueba", "20270104T213000"),
            ("Respiración", "20270104T214500"),
            ("Próxima sesión · María Jesús", "20270111"),
        ]
    );
}
