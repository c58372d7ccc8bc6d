//! Creating things: `tarea init` (a new clinic site with the whole catalogue), `tarea new plan`
//! and `tarea new session`. Nothing here ever overwrites a file that exists: a therapist's work is
//! never lost to a typo on the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;

use crate::i18n::LANGUAGES;
use crate::load::is_valid_id;
use crate::model::{Paper, Plan};
use crate::templates::Templates;

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../library/", $name)))),*]
    };
}

/// The catalogue `tarea init` copies into a new site: the shipped library's homework templates.
const CATALOGUE: &[(&str, &str)] = shipped![
    "homework/thought-record.toml",
    "homework/breathing-practice.toml",
    "homework/relaxation-practice.toml",
    "homework/reading-guide.toml",
    "homework/viewing-guide.toml",
    "homework/assertiveness-practice.toml",
    "homework/therapy-objectives.toml",
    "homework/negative-thoughts.toml",
    "homework/warning-signs.toml",
    "homework/homework-review.toml",
    "homework/my-own-task.toml",
    "homework/activity-schedule.toml",
    "homework/fear-ladder.toml",
    "homework/exposure-log.toml",
    "homework/behavioural-experiment.toml",
    "homework/sleep-diary.toml",
    "homework/problem-solving.toml",
    "homework/phq-9.toml",
    "homework/gad-7.toml",
    "plans/elisa.toml",
];

const TEMPLATES_README: &str = "\
# Your templates

Any file you put here replaces tarea's built-in file of the same name, file by file:

- `html/*.html` and `html/kinds/*.html`, `html/parts/*.html`: the web pages (Tera templates)
- `markdown/packet.md`: the Markdown copy
- `typst/packet.typ`, `typst/sheet.typ`, `typst/kinds/*.typ`, `typst/booklet.typ`: the PDF layouts
- `assets/tarea.css`: the stylesheet
- `i18n.toml`: every interface word, in es, en and ca
- `fonts/*.ttf`: the fonts

Run `tarea init --eject <dir>` in an empty folder to get a copy of every built-in file to start from,
and `tarea check` after each edit: errors point to your file and line.
";

const GITIGNORE: &str = "\
# Build output: publish out/public, never out/private.
/out/
# The secret that packet links are derived from: keep it, but never commit it.
/.tarea/
";

/// What `tarea init` should create.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The new site's folder.
    pub dir: PathBuf,
    /// Write into a non-empty folder (existing files are still never overwritten).
    pub force: bool,
    /// The clinic's name.
    pub name: Option<String>,
    /// The clinic's default language.
    pub language: Option<String>,
    /// The clinic's paper.
    pub paper: Option<Paper>,
    /// Also copy every built-in template into `templates/` for editing.
    pub eject: bool,
}

/// What a scaffolding command wrote, and what it left alone because it existed.
#[derive(Debug, Default)]
pub struct Written {
    /// Files created.
    pub created: Vec<PathBuf>,
    /// Files that existed and were kept as they were.
    pub kept: Vec<PathBuf>,
}

impl Written {
    fn file(&mut self, path: &Path, contents: &[u8]) -> Result<()> {
        if path.exists() {
            self.kept.push(path.to_path_buf());
            return Ok(());
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
        self.created.push(path.to_path_buf());
        Ok(())
    }
}

/// The helplines `tarea init` writes for a clinic working in `language`: Spain's 112 and 024 for
/// a Spanish or Catalan clinic; for an English one an example that says to replace it (its
/// country's numbers are not ours to guess).
fn helplines_for(language: &str) -> &'static str {
    // An inline array, so that keys added to the end of the file stay top-level keys.
    if language == "en" {
        "\n# Printed on the warning-signs plan. REPLACE these with your country's numbers\n\
         # (e.g. 911 and 988 in the US, 999 and 111 in the UK).\n\
         # phone = \"+00 000 000 000\"   # the clinic's own phone, printed after them\n\
         helplines = [\n\
         \x20 { number = \"112\", label = { es = \"Emergencias (sustituye este número por el de tu país)\", en = \"Emergencies (replace with your country's number)\", ca = \"Emergències (substitueix aquest número pel del teu país)\" } },\n\
         ]\n"
    } else {
        "\n# Printed on the warning-signs plan, in this order.\n\
         # phone = \"+34 900 000 000\"   # the clinic's own phone, printed after them\n\
         helplines = [\n\
         \x20 { number = \"112\", label = { es = \"Emergencias\", en = \"Emergencies\", ca = \"Emergències\" } },\n\
         \x20 { number = \"024\", label = { es = \"Atención a la conducta suicida\", en = \"Suicide prevention line\", ca = \"Atenció a la conducta suïcida\" } },\n\
         ]\n"
    }
}

/// `tarea init`: a new site with the clinic settings, the whole catalogue and one example plan.
pub fn init(options: &InitOptions) -> Result<Written> {
    let dir = &options.dir;
    let non_empty = dir.is_dir() && std::fs::read_dir(dir)?.next().is_some();
    if non_empty && !options.force {
        bail!(
            "{} is not empty; choose a new folder, or pass --force to add what is missing (nothing is overwritten)",
            dir.display()
        );
    }
    let language = options.language.clone().unwrap_or_else(|| "es".to_string());
    if !LANGUAGES.contains(&language.as_str()) {
        bail!("tarea does not speak `{language}`; use one of {}", LANGUAGES.join(", "));
    }
    let name = options.name.clone().unwrap_or_else(|| "Mi clínica".to_string());
    let paper = options.paper.unwrap_or_default().name();
    let clinic = format!(
        "# The clinic that publishes the packets (docs/format.md lists every key).\n\
         name = {}\n\
         # Where out/public will be hosted: packet links are built from it (and printed as QR\n\
         # codes). Every build warns until it is your own address.\n\
         base_url = \"https://example.org/tareas\"\n\
         default_language = \"{language}\"\n\
         languages = [\"es\", \"en\", \"ca\"]\n\
         paper = \"{paper}\"   # or \"a4\" / \"us-letter\"\n\
         {}",
        toml::Value::String(name),
        helplines_for(&language)
    );
    let mut written = Written::default();
    written.file(&dir.join("library/clinic.toml"), clinic.as_bytes())?;
    for (name, text) in CATALOGUE {
        written.file(&dir.join("library").join(name), text.as_bytes())?;
    }
    written.file(&dir.join("templates/README.md"), TEMPLATES_README.as_bytes())?;
    written.file(&dir.join(".gitignore"), GITIGNORE.as_bytes())?;
    if options.eject {
        let builtin = Templates::builtin();
        for (name, file) in builtin.under("") {
            written.file(&dir.join("templates").join(name), &file.bytes)?;
        }
    }
    Ok(written)
}

/// What `tarea new plan` needs.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// The site.
    pub root: PathBuf,
    /// The patient's id: the file name.
    pub id: String,
    /// The name printed on the sheets.
    pub name: String,
    /// The patient's language.
    pub language: String,
    /// The therapist's name.
    pub therapist: String,
    /// The first session's date.
    pub date: NaiveDate,
}

/// `tarea new plan`: a plan file with a first session, ready for its tasks.
pub fn new_plan(plan: &NewPlan) -> Result<PathBuf> {
    if !is_valid_id(&plan.id) {
        bail!(
            "`{}` cannot be a patient id: use lowercase letters, digits, dashes and underscores (e.g. elisa or p-0042)",
            plan.id
        );
    }
    if !LANGUAGES.contains(&plan.language.as_str()) {
        bail!("tarea does not speak `{}`; use one of {}", plan.language, LANGUAGES.join(", "));
    }
    let path = plan.root.join("library/plans").join(format!("{}.toml", plan.id));
    if path.exists() {
        bail!("{} exists already; to add a session use `tarea new session {}`", path.display(), plan.id);
    }
    let text = format!(
        "# {id}: one patient's course of therapy (docs/format.md lists every key).\n\
         name = {name}\n\
         language = \"{language}\"\n\
         therapist = {therapist}\n\
         \n\
         [[sessions]]\n\
         date = {date}\n\
         next = {next}\n\
         phase = \"early\"\n\
         \n\
         # Give homework, e.g.:\n\
         # [[sessions.tasks]]\n\
         # homework = \"thought-record\"\n\
         # level = 1\n\
         # note = \"A personal note the patient will read.\"\n",
        id = plan.id,
        name = toml::Value::String(plan.name.clone()),
        language = plan.language,
        therapist = toml::Value::String(plan.therapist.clone()),
        date = plan.date,
        next = plan.date + chrono::Duration::days(7),
    );
    toml::from_str::<Plan>(&text).context("the new plan does not parse (a bug in tarea)")?;
    let mut written = Written::default();
    written.file(&path, text.as_bytes())?;
    Ok(path)
}

/// `tarea new session`: appends the proposed next session to a plan. The file is only added to,
/// so every comment and every line the therapist wrote stays as it was.
pub fn append_session(path: &Path, block: &str) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let separator = if text.ends_with("\n\n") {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let updated = format!("{text}{separator}{block}");
    // The statuses left for the therapist to set are the only thing allowed not to parse yet.
    let set = updated.replace(&format!("\"{}\"", crate::model::UNSET_STATUS), "\"done\"");
    toml::from_str::<Plan>(&set).with_context(|| format!("{}: the new session would not parse", path.display()))?;
    let temporary = path.with_extension("toml.tarea-new");
    std::fs::write(&temporary, &updated).with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_homework_is_in_the_catalogue() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("library/homework");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = format!("homework/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(CATALOGUE.iter().any(|(n, _)| *n == name), "{name} is not in CATALOGUE");
        }
    }

    #[test]
    fn init_refuses_a_non_empty_folder_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let options =
            InitOptions { dir: dir.path().into(), force: false, name: None, language: None, paper: None, eject: false };
        assert!(init(&options).is_err());
        std::fs::create_dir_all(dir.path().join("library")).unwrap();
        std::fs::write(dir.path().join("library/clinic.toml"), "name = \"mine\"").unwrap();
        let written = init(&InitOptions { force: true, ..options }).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("library/clinic.toml")).unwrap(), "name = \"mine\"");
        assert_eq!(written.kept, [dir.path().join("library/clinic.toml")]);
        assert!(dir.path().join("library/homework/thought-record.toml").is_file());
    }

    #[test]
    fn names_are_quoted_as_toml_strings() {
        let dir = tempfile::tempdir().unwrap();
        let plan = NewPlan {
            root: dir.path().into(),
            id: "x".into(),
            name: "Ana \"la\" = [x]".into(),
            language: "es".into(),
            therapist: "T".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        };
        let path = new_plan(&plan).unwrap();
        let parsed: Plan = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(parsed.name.get_ref(), "Ana \"la\" = [x]");
        assert!(new_plan(&plan).is_err(), "an existing plan is never overwritten");
    }
}
