//! HTML pages (the packet's cover and one page per task, the private index), the stylesheet and
//! the Markdown copy, rendered with Tera.
//!
//! HTML templates escape every value for HTML; the Markdown template gets its own Tera instance
//! whose escape function escapes for Markdown, so `{{ value }}` is safe in both contexts.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tera::{Context, Tera, Value};

use super::tera_diagnostic;
use crate::diagnostic::Diagnostic;
use crate::markdown::tera_escape_markdown;
use crate::output;
use crate::resolve::{Booklet, Packet, PacketLink, PatientSummary, TaskView, TherapistCopy};
use crate::templates::Templates;

/// The Tera templates a build renders with, parsed once.
pub struct PageRenderer {
    html: Tera,
    markdown: Tera,
    templates: Templates,
    /// The interface words as Tera values, by language, made once: converting some 600 strings
    /// into every page's context was a fifth of the HTML side's time.
    words: Mutex<HashMap<String, Value>>,
}

/// What every page of one packet is rendered from, converted for Tera once per packet.
pub struct PacketPages {
    context: Context,
}

/// What the private index template sees.
#[derive(Serialize)]
pub struct PrivateIndex<'a> {
    /// The clinic's default language.
    pub lang: &'a str,
    /// Interface words in that language.
    pub t: &'a BTreeMap<String, String>,
    /// The clinic's name.
    pub clinic: &'a str,
    /// Where the stylesheet is, relative to the page.
    pub assets: &'a str,
    /// How many packets the index lists (each patient's section lists their own).
    pub packets: usize,
    /// One entry per patient: each is rendered into its section by itself, so the template sees
    /// `sections` (HTML) instead.
    #[serde(skip)]
    pub patients: &'a [IndexPatient],
    /// The patients this build could not update (errors in their plan).
    pub skipped: &'a [String],
    /// The last build's index, when it is exactly what that build wrote: the section of a
    /// patient whose plan did not change is taken from it instead of being rendered again.
    #[serde(skip)]
    pub previous: Option<PreviousIndex<'a>>,
}

/// The last build's private index, and what each of its sections was made from.
#[derive(Debug, Clone, Copy)]
pub struct PreviousIndex<'a> {
    /// Its text.
    pub text: &'a str,
    /// By patient id, the plan key their section was made from.
    pub keys: &'a BTreeMap<String, String>,
}

/// One patient of the private index: their summary as the build cache keeps it, without
/// passwords (one copy per build, shared with the cache), and the password of their packets.
#[derive(Debug, Clone)]
pub struct IndexPatient {
    /// The summary, every link's password left out.
    pub summary: Arc<PatientSummary>,
    /// The password of every packet of the patient, when they are sealed.
    pub password: Option<String>,
    /// The key of the plan the summary was made from ([`crate::cache::plan_key`]): it stands for
    /// everything the patient's section of the index shows, password and words included.
    pub key: String,
}

impl IndexPatient {
    /// The patient's packets, with their password.
    pub fn links(&self) -> impl Iterator<Item = (&PacketLink, Option<&str>)> {
        self.summary.packets.iter().map(|link| (link, self.password.as_deref()))
    }

    /// The summary with the passwords in, as the index shows it.
    fn with_passwords(&self) -> std::borrow::Cow<'_, PatientSummary> {
        match &self.password {
            None => std::borrow::Cow::Borrowed(&self.summary),
            Some(password) => {
                let mut summary = PatientSummary::clone(&self.summary);
                summary.packets.iter_mut().for_each(|l| l.password = Some(password.clone()));
                std::borrow::Cow::Owned(summary)
            }
        }
    }
}

impl PageRenderer {
    /// Parses the HTML, CSS and Markdown templates; reports each broken one.
    pub fn new(templates: &Templates) -> Result<Self, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut html = Tera::new();
        let pages: Vec<(String, String)> = templates
            .under("html/")
            .chain(templates.under("assets/").filter(|(n, _)| n.ends_with(".css")))
            .map(|(n, f)| (n.to_string(), f.text().to_string()))
            .collect();
        // Added together, since templates include each other; Tera's error names the broken one.
        if let Err(e) = html.add_raw_templates(pages.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
            problems.push(tera_diagnostic(templates, "html/base.html", &e));
        }
        let mut markdown = Tera::new();
        markdown.autoescape_on([".md"]);
        markdown.set_escape_fn(tera_escape_markdown);
        for (name, file) in templates.under("markdown/") {
            if let Err(e) = markdown.add_raw_template(name, file.text()) {
                problems.push(tera_diagnostic(templates, name, &e));
            }
        }
        if problems.is_empty() {
            Ok(PageRenderer { html, markdown, templates: templates.clone(), words: Mutex::default() })
        } else {
            Err(problems)
        }
    }

    fn render(&self, tera: &Tera, name: &str, context: &Context) -> Result<String, Diagnostic> {
        tera.render(name, context).map_err(|e| tera_diagnostic(&self.templates, name, &e))
    }

    /// The words of `lang` as one Tera value (its maps are shared, so a copy costs nothing).
    fn words(&self, lang: &str, t: &BTreeMap<String, String>) -> Value {
        let mut words = self.words.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        words.entry(lang.to_string()).or_insert_with(|| Value::from_serializable(t)).clone()
    }

    /// The context every page of `packet` starts from.
    pub fn packet_pages(&self, packet: &Packet) -> PacketPages {
        let mut context = Context::new();
        context.insert("packet", packet);
        context.insert_value("t", self.words(&packet.lang, &packet.t));
        context.insert("lang", &packet.lang);
        context.insert("assets", output::ASSETS_FROM_PACKET);
        context.insert("large_print", &packet.large_print);
        PacketPages { context }
    }

    /// The packet's cover page, `index.html`.
    pub fn cover(&self, pages: &PacketPages) -> Result<String, Diagnostic> {
        self.render(&self.html, "html/cover.html", &pages.context)
    }

    /// One task's page.
    pub fn task(&self, pages: &PacketPages, task: &TaskView) -> Result<String, Diagnostic> {
        let mut context = pages.context.clone();
        context.insert("task", task);
        self.render(&self.html, "html/task.html", &context)
    }

    /// The packet as one Markdown file.
    pub fn markdown(&self, pages: &PacketPages) -> Result<String, Diagnostic> {
        self.render(&self.markdown, "markdown/packet.md", &pages.context)
    }

    /// The shared stylesheet, sized for the clinic's paper.
    pub fn stylesheet(&self, paper: &str) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("paper_css", if paper == "us-letter" { "letter" } else { "A4" });
        self.render(&self.html, "assets/tarea.css", &context)
    }

    /// The end-of-therapy booklet page.
    pub fn booklet(&self, booklet: &Booklet) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("booklet", booklet);
        context.insert("large_print", &booklet.large_print);
        context.insert_value("t", self.words(&booklet.lang, &booklet.t));
        context.insert("lang", &booklet.lang);
        context.insert("assets", output::ASSETS_FROM_PACKET);
        self.render(&self.html, "html/booklet.html", &context)
    }

    /// A patient's page: every packet with what came back, the course at a glance, the ratings
    /// across sessions.
    pub fn patient_page(&self, index: &PrivateIndex<'_>, patient: &PatientSummary) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("p", patient);
        context.insert_value("t", self.words(index.lang, index.t));
        context.insert("lang", index.lang);
        context.insert("clinic", index.clinic);
        context.insert("assets", output::ASSETS_FROM_COPY);
        self.render(&self.html, "html/patient.html", &context)
    }

    /// One session's therapist copy.
    pub fn therapist_copy(&self, copy: &TherapistCopy) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("copy", copy);
        context.insert_value("t", self.words(&copy.lang, &copy.t));
        context.insert("lang", &copy.lang);
        context.insert("assets", output::ASSETS_FROM_COPY);
        self.render(&self.html, "html/therapist-copy.html", &context)
    }

    /// The locked page of an encrypted packet: a password form and the ciphertext.
    pub fn locked(&self, lang: &str, t: &BTreeMap<String, String>, sealed_json: &str) -> Result<String, Diagnostic> {
        let mut context = Context::new();
        context.insert("lang", lang);
        context.insert("t", t);
        context.insert("sealed", sealed_json);
        context.insert("assets", output::ASSETS_FROM_PACKET);
        self.render(&self.html, "html/locked.html", &context)
    }

    /// The therapist's index of every packet, in memory (see [`PageRenderer::write_private_index`]).
    pub fn private_index(&self, view: &PrivateIndex<'_>) -> Result<String, Diagnostic> {
        let mut bytes = Vec::new();
        self.write_private_index(view, &mut bytes).map_err(|e| e.into_diagnostic(None))?;
        Ok(String::from_utf8(bytes).expect("every piece of the index is a string"))
    }

    /// Writes the therapist's index of every packet into `out`, a few patients' sections at a
    /// time. Each section is rendered by itself, on every core (one context holding every
    /// patient was 40 MB at 5,000 patients, and a quarter of a one-plan edit's time at 1,000); a
    /// section the last build made from the same plan key is copied from its index instead.
    /// The page around them is rendered with a small placeholder per section, which is replaced
    /// as it is written: the sections (12 MB at 5,000 patients) were held three times over at the
    /// end of a build — as strings, as Tera values, and in the page — and set its peak memory.
    pub fn write_private_index(&self, view: &PrivateIndex<'_>, out: &mut dyn Write) -> Result<(), IndexError> {
        let slots: Vec<String> = (0..view.patients.len()).map(slot).collect();
        let mut context = Context::from_serialize(view).map_err(|e| Diagnostic::error(None, e.to_string()))?;
        context.insert("sections", &slots);
        drop(slots);
        let page = self.render(&self.html, "html/private-index.html", &context)?;
        drop(context);
        let earlier = view.previous.map(|p| index_sections(p.text)).unwrap_or_default();
        let mut batch: Option<(usize, Vec<String>)> = None;
        let mut rest = page.as_str();
        while let Some((before, k, after)) = next_slot(rest, view.patients.len()) {
            out.write_all(before.as_bytes())?;
            let first = k - k % SECTIONS_PER_BATCH;
            if batch.as_ref().is_none_or(|(at, _)| *at != first) {
                let patients = &view.patients[first..view.patients.len().min(first + SECTIONS_PER_BATCH)];
                let made = crate::parallel::in_parallel(patients, |p| self.index_section(view, p, &earlier));
                batch = Some((first, made.into_iter().collect::<Result<_, _>>()?));
            }
            let (_, sections) = batch.as_ref().expect("the batch holding the slot was just made");
            out.write_all(sections[k - first].as_bytes())?;
            rest = after;
        }
        out.write_all(rest.as_bytes())?;
        Ok(())
    }

    /// One patient's section of the index, with its marks: from the last index when it was made
    /// from the same plan key, rendered otherwise.
    fn index_section(
        &self,
        view: &PrivateIndex<'_>,
        patient: &IndexPatient,
        earlier: &HashMap<&str, &str>,
    ) -> Result<String, Diagnostic> {
        let id = patient.summary.id.as_str();
        if view.previous.and_then(|p| p.keys.get(id)) == Some(&patient.key)
            && let Some(section) = earlier.get(id)
        {
            return Ok((*section).to_string());
        }
        let mut context = Context::new();
        context.insert("p", &*patient.with_passwords());
        context.insert_value("t", self.words(view.lang, view.t));
        context.insert("lang", view.lang);
        let section = self.render(&self.html, "html/parts/index-patient.html", &context)?;
        let (open, close) = section_marks(id);
        Ok([open.as_str(), &section, close].concat())
    }
}

/// Why the private index could not be written: its template failed, or the file it goes into.
#[derive(Debug)]
pub enum IndexError {
    /// A template of the index failed.
    Template(Diagnostic),
    /// Writing failed.
    Io(std::io::Error),
}

impl IndexError {
    /// The problem as the build reports it (a write error names `file`).
    pub fn into_diagnostic(self, file: Option<&std::path::Path>) -> Diagnostic {
        match self {
            IndexError::Template(d) => d,
            IndexError::Io(e) => Diagnostic::error(file, format!("cannot write: {e}")),
        }
    }
}

impl From<Diagnostic> for IndexError {
    fn from(d: Diagnostic) -> Self {
        IndexError::Template(d)
    }
}

impl From<std::io::Error> for IndexError {
    fn from(e: std::io::Error) -> Self {
        IndexError::Io(e)
    }
}

/// How many of the index's sections are rendered at a time: plenty for every core, a small part
/// of the index's size.
const SECTIONS_PER_BATCH: usize = 256;

/// The placeholder that stands for the `k`-th section in the page around them. Only the layout
/// can write `<`: every value a page shows is HTML-escaped, so no plan can forge one.
fn slot(k: usize) -> String {
    format!("{SLOT_START}{k}{SLOT_END}")
}

const SLOT_START: &str = "<!-- tarea-slot ";
const SLOT_END: &str = " -->";

/// The text before the next placeholder in `page`, the section it stands for, and the text after
/// it; `None` when no placeholder is left. (A layout may print the sections in any order, or
/// some twice: each placeholder becomes its section.)
fn next_slot(page: &str, count: usize) -> Option<(&str, usize, &str)> {
    let mut from = 0;
    loop {
        let at = from + page[from..].find(SLOT_START)?;
        let digits = &page[at + SLOT_START.len()..];
        let len = digits.find(SLOT_END).unwrap_or(0);
        match digits[..len].parse::<usize>() {
            Ok(k) if k < count && digits[..len].bytes().all(|b| b.is_ascii_digit()) => {
                return Some((&page[..at], k, &digits[len + SLOT_END.len()..]));
            }
            _ => from = at + SLOT_START.len(),
        }
    }
}

/// The comments around a patient's section of the index, naming the patient (an id is lowercase
/// letters, digits, `-` and `_`). Nothing a plan says can close them: every text in a section is
/// HTML-escaped.
fn section_marks(id: &str) -> (String, &'static str) {
    (format!("<!-- tarea-section {id} -->"), SECTION_END)
}

const SECTION_START: &str = "<!-- tarea-section ";
const SECTION_END: &str = "<!-- /tarea-section -->";

/// The marked sections of an index, by patient id, each with its marks (an index whose layout
/// leaves the marks out has none, and every section is rendered again).
fn index_sections(index: &str) -> HashMap<&str, &str> {
    let mut found = HashMap::new();
    let mut rest = index;
    while let Some(start) = rest.find(SECTION_START) {
        let from = &rest[start..];
        let (Some(id_end), Some(end)) = (from.find(" -->"), from.find(SECTION_END)) else { break };
        let end = end + SECTION_END.len();
        let id = &from[SECTION_START.len()..id_end.max(SECTION_START.len())];
        if id_end < end && crate::load::is_valid_id(id) {
            found.insert(id, &from[..end]);
        }
        rest = &from[end..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{index_sections, next_slot, section_marks, slot};

    #[test]
    fn an_index_gives_back_each_marked_section_by_its_key() {
        let section = |key: &str, text: &str| {
            let (open, close) = section_marks(key);
            format!("{open}{text}{close}")
        };
        let (ana, bea) = (section("ana", "<section>Ana</section>"), section("bea-2", "<section>Bea</section>"));
        let forged = "<!-- tarea-section ../Not an id --><p>x</p><!-- /tarea-section -->";
        let index = format!("<main>\n{ana}\n{forged}\n{bea}\n</main><!-- tarea-section eva -->unclosed");
        let found = index_sections(&index);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found["ana"], found["bea-2"]), (ana.as_str(), bea.as_str()));
        assert!(index_sections("<main>a layout without marks</main>").is_empty());
    }

    #[test]
    fn every_placeholder_of_the_page_becomes_its_section_in_the_order_the_layout_put_them() {
        // A layout that prints the sections backwards, one of them twice; a look-alike that names
        // no section (out of range, not a number) is text.
        let page =
            format!("<h1>{}{}</h1>{}<!-- tarea-slot 7 --><!-- tarea-slot x -->{}.", slot(1), slot(0), slot(1), "");
        let mut rest = page.as_str();
        let mut pieces = Vec::new();
        while let Some((before, k, after)) = next_slot(rest, 2) {
            pieces.push((before.to_string(), k));
            rest = after;
        }
        let expected = [("<h1>".to_string(), 1), (String::new(), 0), ("</h1>".to_string(), 1)];
        assert_eq!(pieces, expected);
        assert_eq!(rest, "<!-- tarea-slot 7 --><!-- tarea-slot x -->.");
        assert_eq!(next_slot("no placeholder", 3), None);
    }
}
