//! The layout files (Tera HTML and Markdown, Typst, CSS, fonts, interface strings): built into the
//! binary, and replaced file by file by a site's own `templates/` folder.
//!
//! Each file remembers where it came from so that an error in an override names the override.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::{Diagnostic, Diagnostics};

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../templates/", $name)))),*]
    };
}

/// Every built-in file, by its name under `templates/`.
const BUILTIN: &[(&str, &[u8])] = builtin![
    "i18n.toml",
    "html/base.html",
    "html/cover.html",
    "html/task.html",
    "html/private-index.html",
    "html/patient.html",
    "html/therapist-copy.html",
    "html/booklet.html",
    "html/locked.html",
    "html/parts/history.html",
    "html/parts/packets.html",
    "html/parts/index-patient.html",
    "html/parts/table.html",
    "html/parts/sections.html",
    "html/parts/params.html",
    "html/parts/chart.html",
    "html/parts/answer-chart.html",
    "html/parts/days.html",
    "html/parts/input.html",
    "html/parts/answers-bar.html",
    "html/kinds/self-registration.html",
    "html/kinds/relaxation.html",
    "html/kinds/reading.html",
    "html/kinds/film.html",
    "html/kinds/assertiveness.html",
    "html/kinds/list.html",
    "html/kinds/warning-signs.html",
    "html/kinds/review.html",
    "html/kinds/self-designed.html",
    "html/kinds/worksheet.html",
    "html/kinds/sleep-diary.html",
    "html/kinds/questionnaire.html",
    "markdown/packet.md",
    "typst/packet.typ",
    "typst/booklet.typ",
    "typst/sheet.typ",
    "typst/chart.typ",
    "typst/layouts.typ",
    "typst/kinds/self-registration.typ",
    "typst/kinds/relaxation.typ",
    "typst/kinds/reading.typ",
    "typst/kinds/film.typ",
    "typst/kinds/assertiveness.typ",
    "typst/kinds/list.typ",
    "typst/kinds/warning-signs.typ",
    "typst/kinds/review.typ",
    "typst/kinds/self-designed.typ",
    "typst/kinds/worksheet.typ",
    "typst/kinds/sleep-diary.typ",
    "typst/kinds/questionnaire.typ",
    "assets/tarea.css",
    "assets/unlock.js",
    "assets/form.js",
    "assets/private.js",
    "fonts/Andika-Regular.ttf",
    "fonts/Andika-Bold.ttf",
    "fonts/Andika-Italic.ttf",
    "fonts/Andika-BoldItalic.ttf",
    "fonts/OFL.txt",
    "publish/_headers",
    "publish/nginx.conf",
];

/// One layout file and where it came from.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// The contents.
    pub bytes: Cow<'static, [u8]>,
    /// `templates/<name>` for a site's override, `<built-in>/<name>` otherwise.
    pub origin: PathBuf,
}

impl TemplateFile {
    /// The contents as text (layouts are UTF-8; fonts are not asked for as text).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.bytes).unwrap_or_default()
    }
}

/// The set of layout files a build uses.
#[derive(Debug, Clone)]
pub struct Templates {
    files: BTreeMap<String, TemplateFile>,
}

impl Templates {
    /// Only the built-in files.
    pub fn builtin() -> Self {
        let files = BUILTIN
            .iter()
            .map(|(name, bytes)| {
                let origin = Path::new("<built-in>").join(name);
                (name.to_string(), TemplateFile { bytes: Cow::Borrowed(*bytes), origin })
            })
            .collect();
        Templates { files }
    }

    /// The built-ins, with every file of `root/templates/` laid over them by name.
    pub fn load(root: &Path, diags: &mut Diagnostics) -> Self {
        let mut set = Self::builtin();
        let dir = root.join("templates");
        if !dir.is_dir() {
            return set;
        }
        for entry in WalkDir::new(&dir).follow_links(false).sort_by_file_name() {
            let entry = match entry {
                Ok(e) if e.file_type().is_file() => e,
                // A link could lead out of the site: overrides are read from real files only.
                Ok(e) if e.path_is_symlink() => {
                    let shown = Path::new("templates").join(e.path().strip_prefix(&dir).unwrap_or(e.path()));
                    diags.push(
                        Diagnostic::error(Some(&shown), "skipped a symbolic link")
                            .help("copy the file itself into templates/; links are not followed")
                            .warning(),
                    );
                    continue;
                }
                Ok(_) => continue,
                Err(e) => {
                    diags.push(Diagnostic::error(e.path(), format!("cannot read templates: {e}")));
                    continue;
                }
            };
            let Ok(rel) = entry.path().strip_prefix(&dir) else { continue };
            let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            if name == "README.md" || name.starts_with('.') {
                continue;
            }
            let origin = Path::new("templates").join(rel);
            match std::fs::read(entry.path()) {
                Ok(bytes) => {
                    let needs_text = !name.starts_with("fonts/");
                    if needs_text && std::str::from_utf8(&bytes).is_err() {
                        diags.push(
                            Diagnostic::error(Some(&origin), "template is not UTF-8 text")
                                .help("save the file as UTF-8"),
                        );
                        continue;
                    }
                    set.files.insert(name, TemplateFile { bytes: Cow::Owned(bytes), origin });
                }
                Err(e) => diags.push(Diagnostic::error(Some(&origin), format!("cannot read template: {e}"))),
            }
        }
        set
    }

    /// Whether `name` is one of tarea's built-in files.
    pub fn is_builtin(name: &str) -> bool {
        BUILTIN.iter().any(|(n, _)| *n == name)
    }

    /// The file called `name`, if the set has one.
    pub fn get(&self, name: &str) -> Option<&TemplateFile> {
        self.files.get(name)
    }

    /// The file called `name`; built-in names always exist.
    pub fn file(&self, name: &str) -> &TemplateFile {
        self.files.get(name).unwrap_or_else(|| panic!("built-in template {name} is missing"))
    }

    /// Every file whose name starts with `prefix`, in name order.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a TemplateFile)> + 'a {
        self.files
            .range(prefix.to_string()..)
            .take_while(move |(n, _)| n.starts_with(prefix))
            .map(|(n, f)| (n.as_str(), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_file_replaces_the_builtin_of_the_same_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates/assets")).unwrap();
        std::fs::write(dir.path().join("templates/assets/tarea.css"), "body{}").unwrap();
        let mut diags = Diagnostics::default();
        let set = Templates::load(dir.path(), &mut diags);
        assert_eq!(set.file("assets/tarea.css").text(), "body{}");
        assert_eq!(set.file("assets/tarea.css").origin, Path::new("templates/assets/tarea.css"));
        assert!(set.file("html/base.html").origin.starts_with("<built-in>"));
        assert_eq!(diags.error_count(), 0);
    }

    #[test]
    fn every_file_in_templates_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let set = Templates::builtin();
        for entry in WalkDir::new(&dir).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()) {
            let name = entry.path().strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/");
            assert!(set.get(&name).is_some(), "templates/{name} is not in BUILTIN");
        }
    }

    #[test]
    fn under_lists_one_folder() {
        let set = Templates::builtin();
        let fonts: Vec<_> = set.under("fonts/").map(|(n, _)| n).collect();
        assert!(fonts.contains(&"fonts/Andika-Regular.ttf"));
        assert!(fonts.iter().all(|n| n.starts_with("fonts/")));
    }
}
