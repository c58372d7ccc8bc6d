//! End-to-end builds of fixture sites: what a patient reads in the HTML and the PDF must be what
//! the plan asked for — their name, the localised title and dates, the columns of the requested
//! level and one dated block per day until the next session.

use crate::common::*;

#[test]
fn spanish_packet_has_the_level_columns_and_one_block_per_day() {
    let site = fixture("small");
    let report = build(site.path()).expect("the fixture builds");
    assert_eq!(report.packets, 5, "elisa ×2, tom, marta ×2");
    let dir = packet_for(site.path(), "Elisa", "2026-11-26");

    let cover = html(&dir.join("index.html"));
    assert_eq!(cover.root_element().attr("lang"), Some("es"));
    assert_eq!(texts(&cover, ".session-date"), ["Sesión del jueves, 26 de noviembre de 2026"]);
    assert_eq!(texts(&cover, ".next-date"), ["jueves, 3 de diciembre de 2026"]);
    assert_eq!(texts(&cover, ".task-card h3"), ["Registro de prueba", "Guía de lectura"]);

    let page = html(&dir.join("record.html"));
    assert_eq!(texts(&page, "h1"), ["Registro de prueba"]);
    let headers = column_labels(&page);
    assert_eq!(headers, ["Día", "Situación", "Pensamiento", "Intensidad"]);
    let days = texts(&page, "table.sheet tbody th time");
    assert_eq!(days, ["Jue 26/11", "Vie 27/11", "Sáb 28/11", "Dom 29/11", "Lun 30/11", "Mar 1/12", "Mié 2/12"]);
    assert_eq!(page.select(&sel("table.sheet tbody tr")).count(), 7, "one row per day at level 1");
    assert_eq!(texts(&page, ".note p"), ["Fíjate sobre todo en los momentos en el instituto."]);
    assert!(texts(&page, ".when")[0].contains("hasta el miércoles, 2 de diciembre"), "{:?}", texts(&page, ".when"));

    let pdf = pdf_pages(&dir.join("packet.pdf"));
    let all = pdf.join(" ");
    assert!(pdf[0].contains("Elisa") && pdf[0].contains("Sesión del jueves, 26 de noviembre de 2026"), "{}", pdf[0]);
    let sheet =
        pdf.iter().find(|p| p.contains("Registro de prueba") && p.contains("Situación")).expect("a record page");
    for label in ["Situación", "Pensamiento", "Intensidad"] {
        assert!(sheet.contains(label), "{label} missing from {sheet}");
    }
    assert!(!all.contains("Conducta"), "a level-2 column leaked into level 1");
    for day in days {
        assert_eq!(all.matches(day.as_str()).count(), 1, "{day} should head exactly one block");
    }
    assert!(all.contains("Fíjate sobre todo en los momentos en el instituto."));

    // Tagged and declared PDF/UA-1 (typst-pdf checks the rules while exporting).
    let raw = std::fs::read(dir.join("packet.pdf")).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("<pdfuaid:part>1</pdfuaid:part>") && text.contains("/StructTreeRoot"));
}

#[test]
fn english_and_catalan_packets_are_localised() {
    let site = fixture("small");
    build(site.path()).unwrap();

    let tom = packet_for(site.path(), "Tom", "2026-11-27");
    let page = html(&tom.join("record.html"));
    assert_eq!(page.root_element().attr("lang"), Some("en"));
    let headers = column_labels(&page);
    assert_eq!(headers, ["Day", "Situation", "Thought", "Intensity", "Behaviour", "Alternative", "Belief"]);
    assert_eq!(page.select(&sel("table.sheet tbody")).count(), 7, "no `next`: a week of blocks");
    assert_eq!(texts(&page, ".new + p"), ["New: how much you believe the alternative."]);
    let pdf = pdf_pages(&tom.join("packet.pdf")).join(" ");
    assert!(pdf.contains("Session of Friday 27 November 2026"), "{pdf}");
    assert!(pdf.contains("Belief"));

    let marta = packet_for(site.path(), "Marta", "2026-11-26");
    let cover = html(&marta.join("index.html"));
    assert_eq!(texts(&cover, ".session-date"), ["Sessió del dijous, 26 de novembre de 2026"]);
    let page = html(&marta.join("record.html"));
    assert_eq!(page.select(&sel("table.sheet tbody")).count(), 4, "26 → 30 November: four days");
    assert_eq!(page.select(&sel("table.sheet tbody tr")).count(), 8, "level 3 asks for two rows a day");
    let pdf = pdf_pages(&marta.join("packet.pdf")).join(" ");
    assert!(pdf.contains("Registre de prova") && pdf.contains("Dj. 26/11") && pdf.contains("Dg. 29/11"), "{pdf}");
}

#[test]
fn per_situation_tasks_have_numbered_rows() {
    let site = fixture("small");
    build(site.path()).unwrap();
    let dir = packet_for(site.path(), "Elisa", "2026-11-26");
    let page = html(&dir.join("reading.html"));
    assert_eq!(texts(&page, "table.sheet tbody.block th"), ["1", "2", "3", "4"]);
    let md = std::fs::read_to_string(dir.join("packet.md")).unwrap();
    assert!(md.contains("| Día | Situación | Pensamiento | Intensidad (0–10) |"), "{md}");
    assert!(md.contains("Sirve para **notar** lo que piensas."), "{md}");
}

#[test]
fn public_paths_never_name_the_patient() {
    let site = fixture("small");
    build(site.path()).unwrap();
    for (path, _) in snapshot(&site.path().join("out/public")) {
        let shown = path.to_string_lossy().to_lowercase();
        for who in ["elisa", "tom", "marta"] {
            assert!(!shown.contains(who), "{shown} names a patient");
        }
    }
    let dirs = packet_dirs(site.path());
    assert_eq!(dirs.len(), 5);
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
    }
    // Stable: a rebuild keeps every link.
    build(site.path()).unwrap();
    assert_eq!(packet_dirs(site.path()), dirs);
    // The private index links every packet.
    let index = html(&site.path().join("out/private/index.html"));
    assert_eq!(index.select(&sel("table.index tbody tr")).count(), 5);
    // The count covers every packet, and each patient has one section of their own (rendered
    // patient by patient, in the plans' order).
    assert!(texts(&index, "main > p").iter().any(|p| p.starts_with("5 paquetes")), "{:?}", texts(&index, "main > p"));
    let sections: Vec<&str> =
        index.select(&sel("section.patient-summary")).filter_map(|s| s.value().attr("id")).collect();
    assert_eq!(sections, ["patient-elisa", "patient-marta", "patient-tom"]);
    let private = site.path().join("out/private");
    for link in index.select(&sel("table.index a.packet-link")) {
        let href = link.attr("href").unwrap();
        assert!(private.join(href).is_file(), "{href} does not lead to a packet");
        let token = href.trim_start_matches("../public/").trim_end_matches("/index.html");
        assert_eq!(normalise(&link.text().collect::<String>()), format!("https://example.org/deberes/{token}/"));
    }
}

#[test]
fn the_shipped_library_builds() {
    let site = site_from(&repo());
    let report = build(site.path()).expect("the example library builds");
    assert!(report.packets >= 4, "{report:?}");
    assert!(unexpected(&report.warnings).is_empty(), "{:#?}", report.warnings);
    assert_eq!(report.warnings.len(), 1, "the example address is said: {:#?}", report.warnings);
    let elisa = packet_for(site.path(), "Elisa", "2026-11-26");
    let cover = html(&elisa.join("index.html"));
    assert_eq!(cover.select(&sel(".task-card")).count(), 2);
}

#[test]
fn params_fill_the_texts_and_pre_fill_their_column() {
    let site = fixture("small");
    build(site.path()).unwrap();
    let dir = packet_for(site.path(), "Elisa", "2026-11-26");
    let page = html(&dir.join("reading.html"));
    assert_eq!(texts(&page, ".how em"), ["El principito"]);
    let first_column: Vec<String> =
        page.select(&sel("tbody.block tr")).map(|tr| texts_in(&tr, "td .prefill").join("")).collect();
    assert_eq!(first_column, ["Capítulo 1", "Capítulo 2", "", ""]);
    assert_eq!(texts(&page, ".params dt"), ["Libro"], "the chapters are shown in their column, not again");
    // Given again at the same level, the printed sheet opens with a one-line reminder (the page
    // above keeps the whole explanation) and gives the table the room.
    let pdf = pdf_pages(&dir.join("packet.pdf")).join(" ");
    assert!(pdf.contains("La misma hoja que la semana pasada") && pdf.contains("Capítulo 2"), "{pdf}");
    assert!(!pdf.contains("Lee El principito y apunta"), "{pdf}");

    // A param value with Markdown in it is shown literally, not as markup.
    let first = packet_for(site.path(), "Elisa", "2026-11-19");
    let page = html(&first.join("reading.html"));
    assert_eq!(texts(&page, ".how em"), ["El *principito* <b>"]);
    assert_eq!(page.select(&sel(".how b")).count(), 0);
    let pdf = pdf_pages(&first.join("packet.pdf")).join(" ");
    assert!(pdf.contains("Lee El *principito* <b> y apunta"), "the first time, the sheet explains: {pdf}");
}

#[test]
fn worked_example_at_entry_levels_and_messy_for_perfectionism() {
    let site = fixture("small");
    build(site.path()).unwrap();
    let elisa = packet_for(site.path(), "Elisa", "2026-11-26");
    let page = html(&elisa.join("reading.html"));
    assert_eq!(texts(&page, "tbody.example td"), ["", "Que pedir ayuda no es fallar."]);
    assert_eq!(page.select(&sel(".errors-welcome")).count(), 0);
    assert_eq!(page.select(&sel("tbody.example s")).count(), 0);

    let marta = packet_for(site.path(), "Marta", "2026-12-03");
    let page = html(&marta.join("reading.html"));
    assert_eq!(texts(&page, "tbody.example s"), ["demanar"], "the example shows a crossing-out");
    assert_eq!(page.select(&sel(".errors-welcome")).count(), 1);
    let pdf = pdf_pages(&marta.join("packet.pdf")).join(" ");
    assert!(pdf.contains("les tatxadures, els espais en blanc i les faltes d'ortografia són benvinguts"), "{pdf}");
    assert!(pdf.contains("demanar ajuda no es fallar"), "{pdf}");

    // Level 3 of the record has no example row.
    let record = html(&packet_for(site.path(), "Marta", "2026-11-26").join("record.html"));
    assert_eq!(record.select(&sel("tbody.example")).count(), 0);
}

#[test]
fn two_builds_of_the_same_input_are_byte_identical() {
    let first = site_from(&repo());
    build(first.path()).unwrap();
    let once = snapshot(&first.path().join("out"));
    build(first.path()).unwrap();
    assert!(snapshot(&first.path().join("out")) == once, "a rebuild changed the output");
    // Another copy of the site with the same secret gives the same bytes too.
    let second = site_from(&repo());
    copy_dir(&first.path().join(".tarea"), &second.path().join(".tarea"));
    build(second.path()).unwrap();
    let again = snapshot(&second.path().join("out"));
    assert_eq!(once.len(), again.len());
    for ((path, a), (_, b)) in once.iter().zip(&again) {
        assert!(a == b, "{} differs between two builds", path.display());
    }
}

/// The unfolded content lines of a calendar file.
fn calendar_lines(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.lines().all(|l| l.len() <= 76), "lines are folded at 75 octets");
    text.replace("\r\n ", "").split("\r\n").map(String::from).collect()
}

#[test]
fn each_packet_has_reminders_for_its_daily_tasks_and_the_next_session() {
    let site = fixture("small");
    let plan = site.path().join("library/plans/elisa.toml");
    set_in_plan(site.path(), "elisa.toml", "therapist = \"María Jesús\"", "reminder_time = \"07:30\"");
    build(site.path()).unwrap();
    let dir = packet_for(site.path(), "Elisa", "2026-11-26");
    let cover = html(&dir.join("index.html"));
    assert_eq!(cover.select(&sel("a[href='reminders.ics']")).count(), 1);
    let lines = calendar_lines(&dir.join("reminders.ics"));
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 2, "one daily task and the next session");
    assert!(lines.contains(&"DTSTART:20261126T073000".to_string()), "{lines:?}");
    assert!(lines.contains(&"RRULE:FREQ=DAILY;UNTIL=20261202T235959".to_string()), "{lines:?}");
    assert!(lines.contains(&"SUMMARY:Registro de prueba".to_string()));
    assert!(lines.contains(&"DTSTART;VALUE=DATE:20261203".to_string()));
    // The reading guide is done per situation: no daily reminder for it.
    assert!(!lines.iter().any(|l| l.contains("Guía de lectura")));

    // A time that is not a time is an error with its line.
    let text = std::fs::read_to_string(&plan).unwrap().replacen("\"07:30\"", "\"7 pm\"", 1);
    std::fs::write(&plan, text).unwrap();
    let error = build(site.path()).unwrap_err().to_string();
    assert!(error.contains("not a time of day") && error.contains("library/plans/elisa.toml:4:"), "{error}");
}

#[test]
fn large_print_makes_every_sheet_larger() {
    let site = fixture("small");
    build(site.path()).unwrap();
    // Rows of the table on the first sheet page: each has one "/10" intensity cell.
    let rows = |root: &std::path::Path| {
        pdf_pages(&packet_for(root, "Tom", "2026-11-27").join("packet.pdf"))[1].matches("/10").count()
    };
    let normal = rows(site.path());
    set_in_plan(site.path(), "tom.toml", "therapist = \"Laura\"", "large_print = true");
    build(site.path()).unwrap();
    let dir = packet_for(site.path(), "Tom", "2026-11-27");
    assert!(rows(site.path()) < normal, "{normal} rows fitted before, {} now", rows(site.path()));
    let page = html(&dir.join("record.html"));
    assert_eq!(page.select(&sel("body.large-print")).count(), 1);
}

#[test]
fn a_days_rows_stay_together_on_one_page() {
    let days = ["Dj. ", "Dv. ", "Ds. ", "Dg. ", "Dl. ", "Dt. ", "Dc. "];
    // Notes of different lengths move where the page breaks fall in the table.
    for lines in [0, 2, 4, 6, 8, 10] {
        let site = fixture("small");
        let plan = site.path().join("library/plans/marta.toml");
        let note = vec!["Una línia de nota per moure la taula."; lines].join("\\n");
        let text = std::fs::read_to_string(&plan)
            .unwrap()
            .replacen("next = 2026-11-30", "next = 2026-12-10", 1)
            .replacen("level = 3", &format!("level = 3\nnote = \"{note}x\""), 1);
        std::fs::write(&plan, text).unwrap();
        build(site.path()).unwrap();
        let pages = pdf_pages(&packet_for(site.path(), "Marta", "2026-11-26").join("packet.pdf"));
        // The cover is left out: its link (…/deberes/<token>/) can hold "/10" too.
        for page in pages.iter().skip(1).filter(|p| p.contains("/10")) {
            // Two rows a day, one intensity cell a row, the date once above its rows: a day split
            // across pages leaves rows on a page without their date.
            let labels: usize = days.iter().map(|d| page.matches(d).count()).sum();
            assert_eq!(page.matches("/10").count(), 2 * labels, "note of {lines} lines: a day was split: {page}");
        }
    }
}

#[test]
fn shards_copied_into_one_out_are_byte_for_byte_the_unsharded_build() {
    let site = fixture("small");
    let root = site.path();
    let build_into = |out: &std::path::Path, shard: Option<tarea::site::Shard>| {
        let options = tarea::BuildOptions { root: root.to_path_buf(), out: out.to_path_buf() };
        let request =
            tarea::BuildRequest { select: tarea::Selection { shard, ..Default::default() }, ..Default::default() };
        tarea::build_with(&options, &request, None).unwrap()
    };
    let runs = tempfile::tempdir().unwrap();
    let whole = runs.path().join("whole");
    let all = build_into(&whole, None).packets;
    // What a clinic publishes: public/ (and keeps: private/), without the build's bookkeeping.
    let published = |out: &std::path::Path| [snapshot(&out.join("public")), snapshot(&out.join("private"))];
    for count in [2, 3] {
        let merged = runs.path().join(format!("merged-{count}"));
        let mut packets = 0;
        for index in 1..=count {
            let out = runs.path().join(format!("shard-{index}-of-{count}"));
            packets += build_into(&out, Some(tarea::site::Shard { index, count })).packets;
            for side in ["public", "private"] {
                copy_dir(&out.join(side), &merged.join(side));
            }
        }
        assert_eq!(packets, all, "{count} shards build every packet once");
        assert!(published(&merged) == published(&whole), "{count} shards merged differ from the whole build");
    }
}
