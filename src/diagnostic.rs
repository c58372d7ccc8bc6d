//! Problems found in a site's input, reported the way rustc and typst do: what is wrong, where
//! (`--> file:line:col`), the offending line with a caret, and what to do about it.
//!
//! Every stage pushes into one [`Diagnostics`] collection so that a build reports *all* of its
//! problems at once and then fails once, instead of making the therapist fix them one by one.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// How serious a problem is: errors stop the build, warnings are printed and the build goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The build cannot produce correct output.
    Error,
    /// Worth knowing, but the output is still right.
    Warning,
}

/// A place in a source file: its path as shown to the user, and a byte range in its text.
#[derive(Debug, Clone)]
pub struct Location {
    /// The file, relative to the site root where possible.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The whole offending line, for the snippet.
    pub line_text: String,
    /// How many characters to underline (at least one).
    pub width: usize,
}

impl Location {
    /// Locates a byte range of `text`, the contents of `file`.
    pub fn new(file: &Path, text: &str, span: Range<usize>) -> Self {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(text, span.end.clamp(start, line_end));
        let width = text[start..end].chars().count().max(1);
        let line_text = text[line_start..line_end].trim_end_matches('\r').to_string();
        Location { file: file.to_path_buf(), line, column, line_text, width }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem: what it is, where, and how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one line.
    pub message: String,
    /// Where, when the problem is in a file; a whole-file problem has a file but no line.
    pub location: Option<Box<Location>>,
    /// The file, when there is no precise location.
    pub file: Option<PathBuf>,
    /// What to do about it.
    pub help: Option<String>,
    /// How it came about, one line each (a layout's call-site trace), printed after the snippet.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error at a byte range of a file.
    pub fn error_at(file: &Path, text: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: Some(Box::new(Location::new(file, text, span))),
            file: Some(file.to_path_buf()),
            help: None,
            notes: Vec::new(),
        }
    }

    /// An error about a whole file (or none).
    pub fn error(file: Option<&Path>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            file: file.map(Path::to_path_buf),
            help: None,
            notes: Vec::new(),
        }
    }

    /// Turns this into a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Adds the "what to do" line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a line on how the problem came about.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Everything shown may come from a hostile file (its path, a value quoted in the message,
        // the offending line itself): control characters are shown escaped, never sent to the
        // terminal, where they could clear the screen or overprint the report.
        writeln!(f, "{label}: {}", Visible(&self.message))?;
        // The lines under the snippet (or the file) line up with its gutter.
        let pad = match (&self.location, &self.file) {
            (Some(loc), _) => {
                let num = loc.line.to_string();
                let pad = " ".repeat(num.len());
                writeln!(f, "{pad}--> {}:{}:{}", Visible(&loc.file.to_string_lossy()), loc.line, loc.column)?;
                writeln!(f, "{pad} |")?;
                let (shown, caret_at, width) = snippet_window(&loc.line_text, loc.column - 1, loc.width);
                // The caret line mirrors the snippet's tabs, and an escaped character is as wide
                // as its escape.
                let mut code = String::new();
                let mut before = String::new();
                let mut carets = 0;
                for (i, c) in shown.chars().enumerate() {
                    let start = code.len();
                    if c == '\t' {
                        code.push(c);
                    } else {
                        push_visible(&mut code, c);
                    }
                    let shown_width = code[start..].chars().count();
                    if i < caret_at {
                        before.extend(std::iter::repeat_n(if c == '\t' { '\t' } else { ' ' }, shown_width));
                    } else if i < caret_at + width {
                        carets += shown_width;
                    }
                }
                writeln!(f, "{num} | {code}")?;
                writeln!(f, "{pad} | {before}{}", "^".repeat(carets.max(1)))?;
                pad
            }
            (None, Some(file)) => {
                writeln!(f, " --> {}", Visible(&file.to_string_lossy()))?;
                " ".to_string()
            }
            (None, None) => " ".to_string(),
        };
        for note in &self.notes {
            writeln!(f, "{pad} = note: {}", Visible(note))?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {}", Visible(help))?;
        }
        Ok(())
    }
}

/// `text` with the characters a terminal would act on escaped (`\u{1b}`, `\r`, …), for messages
/// printed outside a [`Diagnostic`] that may quote a hostile file.
pub fn visible(text: &str) -> String {
    Visible(text).to_string()
}

/// Text shown with its control characters escaped (see [`push_visible`]).
struct Visible<'a>(&'a str);

impl fmt::Display for Visible<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.0.len());
        for c in self.0.chars() {
            push_visible(&mut out, c);
        }
        f.write_str(&out)
    }
}

/// Whether a terminal would act on `c` instead of showing it: C0 and C1 controls and DEL, line and
/// paragraph separators, and the bidirectional overrides that reorder what is shown.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Appends `c`, or its escape (`\t`, `\r`, `\n`, `\u{1b}`) when a terminal would act on it.
fn push_visible(out: &mut String, c: char) {
    use fmt::Write as _;
    match c {
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        c if is_hidden(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// At most this many characters of a line are shown in a snippet.
const SNIPPET_CHARS: usize = 100;

/// The part of a long line around `at` (a character index): the text to show, where the caret goes
/// in it, and how wide the caret is.
fn snippet_window(line: &str, at: usize, width: usize) -> (String, usize, usize) {
    let total = line.chars().count();
    if total <= SNIPPET_CHARS {
        return (line.to_string(), at, width);
    }
    let start = at.saturating_sub(SNIPPET_CHARS / 3);
    let end = (start + SNIPPET_CHARS).min(total);
    let mut shown: String = line.chars().skip(start).take(end - start).collect();
    let mut caret_at = at - start;
    if start > 0 {
        shown.insert(0, '…');
        caret_at += 1;
    }
    if end < total {
        shown.push('…');
    }
    (shown, caret_at, width.min(end.saturating_sub(at)).max(1))
}

/// All the problems of one build, in the order they were found.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Records many problems.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    /// How many errors (not warnings) there are.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Every problem, errors and warnings.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Warning)
    }

    /// Every problem, in the order found.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }

    /// Fails with every error found so far (warnings included in the report), or returns the
    /// warnings for the caller to print when there were no errors.
    pub fn into_result(self) -> Result<Vec<Diagnostic>, Failed> {
        self.into_result_with(None)
    }

    /// Like [`Diagnostics::into_result`], for a build that wrote what the problems did not touch.
    pub fn into_result_with(self, partial: Option<Partial>) -> Result<Vec<Diagnostic>, Failed> {
        if self.error_count() == 0 { Ok(self.items) } else { Err(Failed { diagnostics: self.items, partial }) }
    }
}

/// A build stopped by one or more problems in its input; `Display` prints them all.
#[derive(Debug)]
pub struct Failed {
    /// Every problem found, errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// When the problems touched some patients only: what was built all the same.
    pub partial: Option<Partial>,
}

/// What a build with problems in some plans (or in the homework they use) still did.
#[derive(Debug, Clone)]
pub struct Partial {
    /// The patients whose packets were not built (their last built packets stay as they were).
    pub skipped: Vec<String>,
    /// The packets built all the same.
    pub built: usize,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        let errors = self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        let noun = if errors == 1 { "problem" } else { "problems" };
        match &self.partial {
            None => write!(f, "{errors} {noun} found; nothing was written"),
            Some(Partial { skipped, built }) if skipped.is_empty() => {
                write!(f, "{errors} {noun} found; the {built} packets were built all the same")
            }
            Some(Partial { skipped, built }) => {
                let others = match built {
                    0 => "nothing else was built".to_string(),
                    1 => "the other packet was built".to_string(),
                    n => format!("the other {n} packets were built"),
                };
                write!(
                    f,
                    "{errors} {noun} found; not built: the packets of {} (their last built packets are left as \
                     they were); {others}",
                    skipped.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for Failed {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_column_and_underlines_the_span() {
        let text = "name = \"x\"\nlevel = 9\n";
        let at = text.find('9').unwrap();
        let d = Diagnostic::error_at(Path::new("plans/a.toml"), text, at..at + 1, "level 9 is out of range")
            .help("use 1 to 5");
        let shown = d.to_string();
        assert!(shown.contains("--> plans/a.toml:2:9"), "{shown}");
        assert!(shown.contains("2 | level = 9"), "{shown}");
        assert!(shown.contains("  |         ^\n"), "{shown}");
        assert!(shown.contains("= help: use 1 to 5"), "{shown}");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "title = \"Situación\" x";
        let at = text.find('x').unwrap();
        let loc = Location::new(Path::new("a"), text, at..at + 1);
        assert_eq!(loc.column, 21);
    }

    #[test]
    fn long_lines_are_cut_around_the_problem() {
        let text = format!("a = {}x{}", "[".repeat(5000), "]".repeat(5000));
        let at = text.find('x').unwrap();
        let shown = Diagnostic::error_at(Path::new("p.toml"), &text, at..at + 1, "bad").to_string();
        assert!(shown.len() < 600, "{shown}");
        let lines: Vec<&str> = shown.lines().collect();
        let code = lines.iter().find(|l| l.starts_with("1 | ")).unwrap();
        let caret = lines.iter().find(|l| l.trim_end().ends_with('^')).unwrap();
        assert_eq!(code.chars().nth(caret.chars().count() - 1), Some('x'), "{shown}");
    }

    /// Whether `shown` holds anything a terminal would act on besides new lines and tabs.
    fn has_hidden(shown: &str) -> bool {
        shown.chars().any(|c| c != '\n' && c != '\t' && is_hidden(c))
    }

    #[test]
    fn control_characters_are_shown_escaped_everywhere() {
        let text = "therapist = \"La\x1b[2J\rFAKE\x07\u{9b}\u{202e}ura\" x\n";
        let at = text.find('x').unwrap();
        let d = Diagnostic::error_at(Path::new("plans/\x1b]0;t\x07.toml"), text, at..at + 1, "bad `\x1b[2J`\r\u{85}")
            .help("not \u{7f}\u{202e}this\nline");
        let shown = d.to_string();
        assert!(!has_hidden(&shown), "{shown:?}");
        assert!(shown.contains("error: bad `\\u{1b}[2J`\\r\\u{85}\n"), "{shown}");
        assert!(shown.contains("--> plans/\\u{1b}]0;t\\u{7}.toml:1:"), "{shown}");
        assert!(shown.contains("1 | therapist = \"La\\u{1b}[2J\\rFAKE\\u{7}\\u{9b}\\u{202e}ura\" x\n"), "{shown}");
        assert!(shown.contains("= help: not \\u{7f}\\u{202e}this\\nline\n"), "{shown}");
        let whole = Diagnostic::error(Some(Path::new("a\x1b[2Jb.json")), "x\u{2066}").to_string();
        assert!(!has_hidden(&whole), "{whole:?}");
        assert!(whole.contains(" --> a\\u{1b}[2Jb.json\n"), "{whole}");
    }

    #[test]
    fn the_caret_stays_under_the_problem_after_escapes_and_keeps_tabs() {
        let text = "\ta = \"\x1b[31m\r\" \u{202e}x";
        let at = text.find('x').unwrap();
        let shown = Diagnostic::error_at(Path::new("p.toml"), text, at..at + 1, "bad").to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let code = lines.iter().find(|l| l.starts_with("1 | ")).unwrap();
        let caret = lines.iter().find(|l| l.trim_end().ends_with('^')).unwrap();
        assert!(code.starts_with("1 | \ta = "), "the tab is kept: {shown}");
        assert!(caret.starts_with("  | \t "), "the caret line mirrors the tab: {shown}");
        assert_eq!(code.chars().count(), caret.chars().count(), "{shown}");
        assert_eq!(code.chars().last(), Some('x'), "{shown}");
        // The caret under an escaped character covers its whole escape.
        let at = text.find('\x1b').unwrap();
        let shown = Diagnostic::error_at(Path::new("p.toml"), text, at..at + 1, "bad").to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let code = lines.iter().find(|l| l.starts_with("1 | ")).unwrap();
        let caret = lines.iter().find(|l| l.trim_end().ends_with('^')).unwrap();
        let from = caret.find('^').unwrap();
        assert_eq!(&code[from..from + "\\u{1b}".len()], "\\u{1b}", "{shown}");
        assert_eq!(caret[from..].len(), "\\u{1b}".len(), "{shown}");
    }

    #[test]
    fn failure_counts_errors_only() {
        let mut all = Diagnostics::default();
        all.push(Diagnostic::error(None, "bad").warning());
        assert!(all.into_result().is_ok());
        let mut all = Diagnostics::default();
        all.push(Diagnostic::error(None, "bad"));
        all.push(Diagnostic::error(None, "worse"));
        let failed = all.into_result().unwrap_err();
        assert!(failed.to_string().ends_with("2 problems found; nothing was written"));
    }
}
