//! Stage 4: packets become files — HTML pages and Markdown through Tera, the PDF through Typst.
//!
//! Each renderer is built once per build from the [`Templates`](crate::templates::Templates) (so
//! templates are parsed once) and then turns view models into bytes without touching the disk.

pub mod html;
pub mod pdf;

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::templates::Templates;

/// Turns a Tera error into a diagnostic that names the template file (the site's override or the
/// built-in) and, when Tera knows it, the line and column.
pub(crate) fn tera_diagnostic(templates: &Templates, name: &str, err: &tera::Error) -> Diagnostic {
    let report = match err.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => Some(r),
        _ => None,
    };
    let file_name = report.map_or(name, |r| if r.filename().is_empty() { name } else { r.filename() });
    let origin = templates.get(file_name).map_or_else(|| Path::new(file_name).to_path_buf(), |f| f.origin.clone());
    let help = "fix the template; `tarea` passes it the variables documented in README.md";
    match (report, templates.get(file_name)) {
        (Some(r), Some(file)) => Diagnostic::error_at(
            &origin,
            file.text(),
            r.span().range.clone(),
            format!("template error: {}", r.message()),
        )
        .help(help),
        _ => Diagnostic::error(Some(&origin), format!("template error: {err}")).help(help),
    }
}
