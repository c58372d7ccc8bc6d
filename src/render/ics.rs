//! The packet's calendar file (`reminders.ics`, RFC 5545): a daily reminder for each daily task,
//! at the time the plan or clinic sets, until the day before the next session — and the next
//! session itself. Against "I'll do it in two minutes in the waiting room".
//!
//! Times are floating (no time zone): a reminder at 20:00 rings at 20:00 wherever the patient is.
//! DTSTAMP is the session date, so the file is the same on every rebuild.

use std::fmt::Write;

use crate::model::Frequency;
use crate::resolve::Packet;

/// The calendar text for a packet (CRLF line ends, lines folded at 75 octets).
pub fn packet_calendar(packet: &Packet) -> String {
    let mut lines: Vec<String> =
        vec!["BEGIN:VCALENDAR".into(), "VERSION:2.0".into(), "PRODID:-//tarea//homework//EN".into()];
    lines.push("CALSCALE:GREGORIAN".into());
    let stamp = format!("{}T000000Z", compact(&packet.date.iso));
    let start = chrono::NaiveTime::parse_from_str(&packet.reminder_time, "%H:%M").unwrap_or_default();
    // Several daily tasks ring a quarter of an hour apart, not all at once.
    for (i, task) in packet.tasks.iter().filter(|t| t.frequency == Frequency::Daily).enumerate() {
        let time = (start + chrono::Duration::minutes(15 * i as i64)).format("%H%M");
        let (Some(first), Some(last)) = (task.days.first(), task.days.last()) else { continue };
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}-{}@tarea", packet.token, task.id));
        lines.push(format!("DTSTAMP:{stamp}"));
        lines.push(format!("DTSTART:{}T{time}00", compact(&first.iso)));
        lines.push(format!("DURATION:PT{}M", task.minutes.max(5)));
        lines.push(format!("RRULE:FREQ=DAILY;UNTIL={}T235959", compact(&last.iso)));
        lines.push(format!("SUMMARY:{}", escape(&task.title)));
        lines.push(format!("DESCRIPTION:{}", escape(&task.when)));
        lines.push("BEGIN:VALARM".into());
        lines.push("ACTION:DISPLAY".into());
        lines.push(format!("DESCRIPTION:{}", escape(&task.title)));
        lines.push("TRIGGER:PT0M".into());
        lines.push("END:VALARM".into());
        lines.push("END:VEVENT".into());
    }
    if let Some(next) = &packet.next {
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}-next@tarea", packet.token));
        lines.push(format!("DTSTAMP:{stamp}"));
        lines.push(format!("DTSTART;VALUE=DATE:{}", compact(&next.iso)));
        let summary = format!("{} · {}", packet.t.get("next-session").map_or("", String::as_str), packet.therapist);
        lines.push(format!("SUMMARY:{}", escape(&summary)));
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        let _ = write!(out, "{}\r\n", fold(&line));
    }
    out
}

fn compact(iso: &str) -> String {
    iso.replace('-', "")
}

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a character (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_folds_as_the_rfc_says() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
        let long = "SUMMARY:".to_string() + &"ñ".repeat(60);
        let folded = fold(&long);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75), "{folded}");
        assert_eq!(folded.replace("\r\n ", ""), long);
    }
}
