//! The clinical content a CBT clinician would hand out unedited: the seven-column thought record
//! at the top levels, worked examples for the plan's audience, the clinic's helplines on the
//! warning-signs plan, and each template's own words for how often. Checked on the resolved
//! packets (the view models every output is drawn from) and on the built HTML, Markdown and PDF.

use crate::common::*;
use tarea::model::Frequency;
use tarea::resolve::Packet;

/// A copy of the shipped library whose only plan is `plan` (a TOML text), as `library/plans/p.toml`.
fn site_with_plan(plan: &str) -> tempfile::TempDir {
    let site = site_from(&repo());
    let root = site.path();
    std::fs::remove_dir_all(root.join("library/plans")).unwrap();
    let _ = std::fs::remove_dir_all(root.join("library/answers"));
    std::fs::create_dir_all(root.join("library/plans")).unwrap();
    std::fs::write(root.join("library/plans/p.toml"), plan).unwrap();
    site
}

/// The packets of the site at `root`, in plan order.
fn packets_of(root: &std::path::Path) -> Vec<Packet> {
    tarea::token::load_or_create_secret(root).unwrap();
    tarea::packets(root).unwrap_or_else(|e| panic!("{e}")).into_iter().map(|(p, _)| p).collect()
}

/// A plan in `lang` with one session a week giving each `(homework, level)` in turn (with the
/// params the catalogue requires).
fn plan(lang: &str, extra: &str, tasks: &[(&str, u32)]) -> String {
    let mut text = format!("name = \"Alba\"\nlanguage = \"{lang}\"\ntherapist = \"Laura\"\n{extra}\n");
    for (i, (homework, level)) in tasks.iter().enumerate() {
        let date = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap() + chrono::Duration::days(7 * i as i64);
        let next = date + chrono::Duration::days(7);
        text.push_str(&format!(
            "\n[[sessions]]\ndate = {date}\nnext = {next}\n\n[[sessions.tasks]]\nhomework = \"{homework}\"\nlevel = {level}\n"
        ));
        let params = match *homework {
            "reading-guide" => "params = { book = \"El principito\" }\n",
            "viewing-guide" => "params = { film = \"Billy Elliot\" }\n",
            "assertiveness-practice" => "params = { technique = \"disco rayado\" }\n",
            _ => "",
        };
        text.push_str(params);
    }
    text
}

#[test]
fn the_top_thought_record_levels_are_the_seven_column_record() {
    let site = site_with_plan(&plan("es", "", &[("thought-record", 3), ("thought-record", 4), ("thought-record", 6)]));
    let packets = packets_of(site.path());
    let ids = |p: &Packet| p.tasks[0].columns.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    // Level 3 is still a situation a day.
    let level3 = &packets[0].tasks[0];
    assert_eq!(level3.frequency, Frequency::Daily);
    assert_eq!(level3.blocks.len(), 7);
    assert!(!level3.deep && level3.questions.is_none());
    // Levels 4 and 6: three situations in the week, in deep rows, with the question bank.
    for packet in &packets[1..] {
        let task = &packet.tasks[0];
        assert_eq!(task.frequency, Frequency::PerSituation, "level {}", task.level);
        assert_eq!((task.blocks.len(), task.blocks[0].rows), (1, 3), "level {}: three situations", task.level);
        assert!(task.blocks[0].date.is_none());
        assert!(task.deep);
        let questions = task.questions.as_ref().expect("a question bank").md.clone();
        assert!(questions.contains("¿Estoy confundiendo un pensamiento con un hecho?"), "{questions}");
        assert!(questions.contains("¿Qué otra cosa podría explicarlo?"), "{questions}");
        let kinds: Vec<(&str, &str)> = task.columns.iter().map(|c| (c.id.as_str(), c.kind.name())).collect();
        assert!(kinds.contains(&("belief", "percent")), "{kinds:?}");
        assert!(task.when.contains("cada vez que ocurra"), "{}", task.when);
    }
    assert_eq!(ids(&packets[1]), ["situation", "moods", "hot-thought", "belief", "evidence-for", "evidence-against"]);
    // The top level keeps the evidence, and adds the alternative, its belief and the moods re-rated.
    assert_eq!(
        ids(&packets[2]),
        [
            "situation",
            "moods",
            "hot-thought",
            "belief",
            "evidence-for",
            "evidence-against",
            "alternative",
            "belief-alternative",
            "moods-now"
        ]
    );
    // Printed: the questions stand on the sheet, in every output.
    build(site.path()).unwrap();
    let dirs = packet_dirs(site.path());
    let top = dirs.iter().find(|d| std::fs::read_to_string(d.join("packet.md")).unwrap().contains("Nivel 6")).unwrap();
    let pdf = pdf_pages(&top.join("packet.pdf")).join(" ");
    assert!(pdf.contains("Preguntas que puedes hacerte"), "{pdf}");
    assert!(pdf.contains("¿Qué podría hacer distinto la próxima vez?"), "{pdf}");
    let page = html(&top.join("thought-record.html"));
    assert_eq!(texts(&page, ".questions h2"), ["Preguntas que puedes hacerte"]);
    assert!(std::fs::read_to_string(top.join("packet.md")).unwrap().contains("**Preguntas que puedes hacerte**"));
}

#[test]
fn worked_examples_speak_to_the_plans_audience() {
    let example = |extra: &str| {
        let site = site_with_plan(&plan("es", extra, &[("thought-record", 1)]));
        let task = packets_of(site.path()).remove(0).tasks.remove(0);
        let cells = task.example.expect("level 1 shows the example");
        assert!(cells.iter().all(Option::is_some), "every column of the example is filled");
        cells.into_iter().flatten().map(|c| c.md).collect::<Vec<_>>().join(" | ")
    };
    let adult = example("");
    assert!(adult.contains("reunión"), "adults get a workplace story: {adult}");
    assert!(!adult.contains("clase"), "{adult}");
    let young = example("audience = \"young\"");
    assert!(young.contains("En clase"), "young people get a school story: {young}");
    let messy_young = example("audience = \"young\"\nperfectionism = true");
    assert!(messy_young.contains("boz"), "the young story's designed-with-errors version: {messy_young}");
    let messy_adult = example("perfectionism = true");
    assert!(messy_adult.contains("reunion"), "{messy_adult}");

    // An audience tarea does not know is an error that says where and what to write.
    let site = site_with_plan(&plan("es", "audience = \"child\"", &[("thought-record", 1)]));
    let error = format!("{:#}", build(site.path()).unwrap_err());
    assert!(error.contains("p.toml") && error.contains("audience"), "{error}");
    assert!(error.contains("adult") && error.contains("young"), "{error}");
}

#[test]
fn the_warning_signs_plan_prints_the_clinics_helplines() {
    let site = site_from(&repo());
    build(site.path()).unwrap();
    let sam = packet_for(site.path(), "Sam", "2026-12-11");
    let page = html(&sam.join("warning-signs.html"));
    let lines = texts(&page, ".helplines li");
    assert_eq!(lines, ["Emergencies: 112", "Suicide prevention line: 024", "Clínica Ejemplo: 93 000 00 00"]);
    let pdf = pdf_pages(&sam.join("packet.pdf")).join(" ");
    for number in ["Emergencies: 112", "Suicide prevention line: 024", "Clínica Ejemplo: 93 000 00 00"] {
        assert!(pdf.contains(number), "{number} not printed");
    }
    // No number is hard-coded in the template: a clinic that lists none prints lines to write
    // them in (the instructions send the patient to the end of the sheet either way).
    let clinic = std::fs::read_to_string(site.path().join("library/clinic.toml")).unwrap();
    let bare = clinic[..clinic.find("\n# The clinic's own phone").unwrap()].to_string();
    std::fs::write(site.path().join("library/clinic.toml"), bare).unwrap();
    build(site.path()).unwrap();
    let sam = packet_for(site.path(), "Sam", "2026-12-11");
    let pages = pdf_pages(&sam.join("packet.pdf"));
    // The sheet's pages, not the cover: the cover's address holds a random token, which may
    // happen to contain "112".
    let plan: String = pages
        .iter()
        .skip(1)
        .filter(|p| p.contains("warning signs plan") || p.contains("Who I can call"))
        .cloned()
        .collect();
    assert!(plan.contains("Who I can call"), "the warning-signs plan is printed");
    assert!(plan.contains("If you need to, call") && plan.contains("Emergency number where I live:"), "{plan}");
    assert!(!plan.contains("112") && !plan.contains("024"), "a number the clinic did not give");
    let page = html(&sam.join("warning-signs.html"));
    assert_eq!(page.select(&sel(".helplines li")).count(), 0);
    assert!(texts(&page, ".helplines p")[0].starts_with("Write the emergency number where you live"));
    // A helpline's label must exist in every language of the clinic.
    let broken = clinic
        .replace("helplines = [", "helplines = [\n  { number = \"016\", label = { es = \"Violencia de género\" } },");
    std::fs::write(site.path().join("library/clinic.toml"), broken).unwrap();
    let error = format!("{:#}", build(site.path()).unwrap_err());
    assert!(error.contains("clinic.toml") && error.contains("helplines.label") && error.contains("`en`"), "{error}");
}

#[test]
fn tarea_init_writes_helplines_for_the_clinics_country() {
    for (language, expect, absent) in [("es", "024", "REPLACE"), ("ca", "024", "REPLACE"), ("en", "REPLACE", "024")] {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let options = tarea::scaffold::InitOptions {
            dir: site.clone(),
            force: false,
            name: None,
            language: Some(language.into()),
            paper: None,
            eject: false,
        };
        tarea::scaffold::init(&options).unwrap();
        let clinic = std::fs::read_to_string(site.join("library/clinic.toml")).unwrap();
        assert!(clinic.contains(expect) && !clinic.contains(absent), "{language}:\n{clinic}");
        let value: toml::Value = toml::from_str(&clinic).unwrap();
        assert!(!value["helplines"].as_array().unwrap().is_empty(), "{language}: no helplines");
    }
}

#[test]
fn templates_say_how_often_in_their_own_words() {
    let site =
        site_with_plan(&plan("es", "", &[("reading-guide", 1), ("viewing-guide", 1), ("assertiveness-practice", 1)]));
    let whens: Vec<String> = packets_of(site.path()).into_iter().map(|mut p| p.tasks.remove(0).when).collect();
    assert!(whens[0].contains("cada vez que leas"), "{}", whens[0]);
    assert!(whens[1].contains("una película"), "{}", whens[1]);
    assert!(whens[2].contains("cada vez que practiques"), "{}", whens[2]);
    assert!(whens.iter().all(|w| !w.contains("cada vez que ocurra")), "{whens:?}");
}

#[test]
fn a_perfectionists_sheets_name_the_level_without_a_count() {
    let levels = |extra: &str| {
        let site = site_with_plan(&plan("en", extra, &[("thought-record", 5)]));
        let task = packets_of(site.path()).remove(0).tasks.remove(0);
        build(site.path()).unwrap();
        let page = html(&packet_dirs(site.path())[0].join("thought-record.html"));
        (task.level_label, texts(&page, ".level"))
    };
    assert_eq!(levels(""), (Some("Level 5 of 6".into()), vec!["Level 5 of 6".to_string()]));
    assert_eq!(levels("perfectionism = true"), (Some("Level 5".into()), vec!["Level 5".to_string()]));
}

#[test]
fn each_sheet_asks_what_the_clinician_would() {
    let site = site_with_plan(&plan(
        "en",
        "",
        &[("my-own-task", 1), ("negative-thoughts", 1), ("assertiveness-practice", 3), ("breathing-practice", 2)],
    ));
    let tasks: Vec<_> = packets_of(site.path()).into_iter().map(|mut p| p.tasks.remove(0)).collect();
    let ids = |i: usize| tasks[i].columns.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    // My own task asks "how likely" among its own questions: the sheet does not ask it again.
    assert!(!tasks[0].likely && tasks[1].likely);
    assert!(ids(0).contains(&"likelihood".to_string()));
    // The list of negative thoughts has a column for the ticks its instructions ask for.
    assert_eq!(ids(1), ["thought", "when", "times"]);
    // Assertiveness level 3 asks what was expected, to compare with how the other person reacted.
    let expected = ids(2).iter().position(|c| c == "prediction").expect("a prediction column");
    assert!(expected < ids(2).iter().position(|c| c == "reaction").unwrap());
    build(site.path()).unwrap();
    let dirs = packet_dirs(site.path());
    let own = dirs.iter().find(|d| d.join("my-own-task.html").exists()).unwrap();
    let page = html(&own.join("my-own-task.html"));
    assert_eq!(page.select(&sel(".likely")).count(), 0, "asked once, in the task's own section");
    let pdf = pdf_pages(&own.join("packet.pdf")).join(" ");
    assert_eq!(pdf.matches("How likely am I to do this?").count(), 0, "{pdf}");
    // Breathing level 2 asks for several practices a day: the chart says which one to plot.
    let breathing = dirs.iter().find(|d| d.join("breathing-practice.html").exists()).unwrap();
    let hint = texts(&html(&breathing.join("breathing-practice.html")), ".chart .hint").join(" ");
    assert!(hint.contains("the day's first practice"), "{hint}");
    let pdf = pdf_pages(&breathing.join("packet.pdf")).join(" ");
    assert!(pdf.contains("the day's first practice"), "{pdf}");
}

#[test]
fn a_reading_guide_names_its_book_once_and_before_the_author() {
    let plan = plan("en", "", &[("reading-guide", 1)]);
    let site = site_with_plan(&plan.replace("book = ", "author = \"Saint-Exupéry\", book = "));
    let task = packets_of(site.path()).remove(0).tasks.remove(0);
    let shown: Vec<&str> = task.params.iter().filter(|p| p.shown).map(|p| p.name.as_str()).collect();
    assert_eq!(shown, ["book", "author", "chapters"], "in the order the template declares them");
    // The card above the table names the book; the instructions do not repeat it.
    assert!(!task.instructions.md.contains("El principito"), "{}", task.instructions.md);
    build(site.path()).unwrap();
    let pages = pdf_pages(&packet_for(site.path(), "Alba", "2027-01-04").join("packet.pdf"));
    let sheet = pages.iter().find(|p| p.contains("Chapters or pages")).expect("the reading guide is printed");
    assert_eq!(sheet.matches("El principito").count(), 1, "{sheet}");
    assert!(sheet.find("Book:").unwrap() < sheet.find("Author").unwrap_or(usize::MAX), "{sheet}");
}

#[test]
fn the_therapist_copy_labels_private_notes_in_its_language_and_grades_no_status_in_colour() {
    let site = site_from(&repo());
    build(site.path()).unwrap();
    let copy = html(&site.path().join("out/private/elisa/2026-11-26.html"));
    assert_eq!(texts(&copy, ".copy-private dt"), ["Motivo de consulta", "Objetivos"]);
    assert_eq!(copy.select(&sel(".copy-private dd li")).count(), 3, "each goal on its own line");
    // Done, partly and differently look alike; only "not done" stands out.
    let css = std::fs::read_to_string(site.path().join("out/public/assets/tarea.css")).unwrap();
    let background = |status: &str| {
        let rule = css.split('}').find(|r| r.contains(&format!("td.status-{status}")) && r.contains("background"));
        let rule = rule.unwrap_or_else(|| panic!("no colour for {status}"));
        rule.split("background:").nth(1).unwrap().split(';').next().unwrap().trim().to_string()
    };
    assert_eq!(background("done"), background("incorrect"));
    assert_eq!(background("done"), background("partial"));
    assert_ne!(background("done"), background("not-done"));
}

#[test]
fn a_sleep_diary_keeps_one_row_a_night_and_says_rows_does_not_apply() {
    let mut text = plan("en", "", &[("sleep-diary", 1)]);
    text.push_str("rows = 3\n");
    let site = site_with_plan(&text);
    // The template's level 1 asks for rows too (line 137, under its `[[levels]]` at 136).
    let template = site.path().join("library/homework/sleep-diary.toml");
    let source = std::fs::read_to_string(&template).unwrap();
    assert_eq!(source.lines().nth(135), Some("[[levels]]"));
    std::fs::write(&template, source.replacen("[[levels]]\n", "[[levels]]\nrows = 2\n", 1)).unwrap();
    let task = &packets_of(site.path())[0].tasks[0];
    assert_eq!(task.blocks.len(), 7, "a column for each night of the week");
    assert!(task.blocks.iter().all(|b| b.rows == 1 && b.date.is_some()), "{:?}", task.blocks);
    let report = build(site.path()).unwrap();
    let warned: Vec<String> = report.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        warned.iter().any(|w| w.contains("`rows` does not apply") && w.contains("library/plans/p.toml:13:8")),
        "{warned:#?}"
    );
    assert!(
        warned
            .iter()
            .any(|w| w.contains("`rows` does not apply") && w.contains("library/homework/sleep-diary.toml:137:8")),
        "{warned:#?}"
    );
}
