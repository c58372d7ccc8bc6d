//! The Markdown a therapist writes (purposes, instructions, personal notes), read once into a
//! tiny safe document model and written out for each output: HTML, Markdown, and JSON for Typst.
//!
//! Going through our own model rather than passing Markdown along is what keeps patient text
//! inert everywhere: raw HTML becomes visible text, only `http(s)`, `mailto` and `tel` links
//! survive, images become their description (a packet never fetches anything), and Typst gets
//! plain strings to place, never markup to evaluate.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

/// A block of text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Block {
    /// A paragraph (headings and quotes are read as paragraphs too).
    Paragraph {
        /// Its runs of text.
        spans: Vec<Span>,
    },
    /// A bulleted or numbered list; nested lists are flattened into it.
    List {
        /// Numbered or not.
        ordered: bool,
        /// Each item's runs of text.
        items: Vec<Vec<Span>>,
    },
}

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Span {
    /// The text, literally.
    pub text: String,
    /// Bold.
    #[serde(skip_serializing_if = "is_false")]
    pub strong: bool,
    /// Italic.
    #[serde(skip_serializing_if = "is_false")]
    pub emph: bool,
    /// Crossed out (`~~…~~`): worked examples "designed with errors" use it.
    #[serde(skip_serializing_if = "is_false")]
    pub strike: bool,
    /// A safe link target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// A line break (the text is empty).
    #[serde(skip_serializing_if = "is_false")]
    pub br: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// Reads Markdown into blocks.
pub fn parse(markdown: &str) -> Vec<Block> {
    let mut reader = Reader::default();
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        reader.event(event);
    }
    reader.flush();
    reader.blocks
}

#[derive(Default)]
struct Reader {
    blocks: Vec<Block>,
    spans: Vec<Span>,
    list: Option<(bool, Vec<Vec<Span>>)>,
    list_depth: usize,
    strong: usize,
    emph: usize,
    strike: usize,
    link: Vec<Option<String>>,
}

impl Reader {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(Tag::Strong) => self.strong += 1,
            Event::End(TagEnd::Strong) => self.strong = self.strong.saturating_sub(1),
            Event::Start(Tag::Emphasis) => self.emph += 1,
            Event::End(TagEnd::Emphasis) => self.emph = self.emph.saturating_sub(1),
            Event::Start(Tag::Strikethrough) => self.strike += 1,
            Event::End(TagEnd::Strikethrough) => self.strike = self.strike.saturating_sub(1),
            Event::Start(Tag::Heading { .. }) => self.strong += 1,
            Event::End(TagEnd::Heading(_)) => {
                self.strong = self.strong.saturating_sub(1);
                self.end_paragraph();
            }
            Event::Start(Tag::Link { dest_url, .. }) => self.link.push(safe_url(&dest_url)),
            Event::End(TagEnd::Link) => {
                self.link.pop();
            }
            Event::Start(Tag::List(first)) => {
                self.list_depth += 1;
                if self.list_depth == 1 {
                    self.end_paragraph();
                    self.list = Some((first.is_some(), Vec::new()));
                }
            }
            Event::End(TagEnd::List(_)) => {
                self.list_depth = self.list_depth.saturating_sub(1);
                if self.list_depth == 0 {
                    self.end_item();
                    if let Some((ordered, items)) = self.list.take() {
                        self.blocks.push(Block::List { ordered, items });
                    }
                }
            }
            Event::Start(Tag::Item) => self.end_item(),
            Event::End(TagEnd::Item) => self.end_item(),
            Event::End(TagEnd::Paragraph | TagEnd::BlockQuote(_) | TagEnd::CodeBlock | TagEnd::HtmlBlock) => {
                self.end_paragraph()
            }
            // Images are never loaded: their description stands in for them.
            Event::Text(text) | Event::Code(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
                self.text(&text)
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.spans.push(Span { br: true, ..Span::default() }),
            Event::FootnoteReference(text) => self.text(&text),
            Event::TaskListMarker(done) => self.text(if done { "☑ " } else { "☐ " }),
            Event::Rule | Event::Start(_) | Event::End(_) => {}
        }
    }

    fn text(&mut self, text: &str) {
        let link = self.link.last().cloned().flatten();
        let (strong, emph, strike) = (self.strong > 0, self.emph > 0, self.strike > 0);
        if let Some(last) = self.spans.last_mut()
            && !last.br
            && (last.strong, last.emph, last.strike, &last.link) == (strong, emph, strike, &link)
        {
            last.text.push_str(text);
            return;
        }
        self.spans.push(Span { text: text.to_string(), strong, emph, strike, link, br: false });
    }

    fn take_spans(&mut self) -> Vec<Span> {
        let mut spans = std::mem::take(&mut self.spans);
        while spans.last().is_some_and(|s| s.br || s.text.trim().is_empty()) {
            spans.pop();
        }
        spans
    }

    fn end_paragraph(&mut self) {
        if self.list.is_some() {
            // A paragraph inside a list item continues the item.
            if !self.spans.is_empty() && !self.spans.last().is_some_and(|s| s.br) {
                self.spans.push(Span { br: true, ..Span::default() });
            }
            return;
        }
        let spans = self.take_spans();
        if !spans.is_empty() {
            self.blocks.push(Block::Paragraph { spans });
        }
    }

    fn end_item(&mut self) {
        if self.list.is_none() {
            return;
        }
        let spans = self.take_spans();
        if let (false, Some((_, items))) = (spans.is_empty(), self.list.as_mut()) {
            items.push(spans);
        }
    }

    fn flush(&mut self) {
        self.end_item();
        self.list = None;
        self.end_paragraph();
    }
}

/// Keeps a link target only if it is a web, mail or phone address.
fn safe_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:", "tel:"].iter().any(|p| lower.starts_with(p));
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace());
    (allowed && clean).then(|| url.trim().to_string())
}

/// Writes blocks as HTML; every text is escaped.
pub fn to_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Paragraph { spans } => {
                out.push_str("<p>");
                spans_html(spans, &mut out);
                out.push_str("</p>\n");
            }
            Block::List { ordered, items } => {
                let tag = if *ordered { "ol" } else { "ul" };
                out.push_str(&format!("<{tag}>\n"));
                for item in items {
                    out.push_str("<li>");
                    spans_html(item, &mut out);
                    out.push_str("</li>\n");
                }
                out.push_str(&format!("</{tag}>\n"));
            }
        }
    }
    out
}

fn spans_html(spans: &[Span], out: &mut String) {
    for span in spans {
        if span.br {
            out.push_str("<br>");
            continue;
        }
        let mut text = escape_html(&span.text);
        if span.emph {
            text = format!("<em>{text}</em>");
        }
        if span.strike {
            text = format!("<s>{text}</s>");
        }
        if span.strong {
            text = format!("<strong>{text}</strong>");
        }
        if let Some(url) = &span.link {
            text = format!("<a href=\"{}\" rel=\"noopener noreferrer\">{text}</a>", escape_html(url));
        }
        out.push_str(&text);
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Writes blocks back as Markdown, escaped so that it renders to the same safe text.
pub fn to_markdown(blocks: &[Block]) -> String {
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph { spans } => out.push(spans_markdown(spans)),
            Block::List { ordered, items } => {
                let lines: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let marker = if *ordered { format!("{}.", i + 1) } else { "-".to_string() };
                        format!("{marker} {}", spans_markdown(item).replace('\n', "\n   "))
                    })
                    .collect();
                out.push(lines.join("\n"));
            }
        }
    }
    out.join("\n\n")
}

fn spans_markdown(spans: &[Span]) -> String {
    let mut out = String::new();
    for span in spans {
        if span.br {
            out.push_str("\\\n");
            continue;
        }
        let mut text = escape_markdown(&span.text);
        let trimmed = text.trim();
        if !trimmed.is_empty() && (span.emph || span.strong) {
            let (lead, trail) = (&text[..text.len() - text.trim_start().len()], &text[text.trim_end().len()..]);
            let mark = match (span.strong, span.emph) {
                (true, true) => "***",
                (true, false) => "**",
                _ => "*",
            };
            text = format!("{lead}{mark}{trimmed}{mark}{trail}");
        }
        if span.strike && !text.trim().is_empty() {
            text = format!("~~{text}~~");
        }
        if let Some(url) = &span.link {
            let url: String = url
                .chars()
                .map(|c| match c {
                    '(' => "%28".to_string(),
                    ')' => "%29".to_string(),
                    '<' => "%3C".to_string(),
                    '>' => "%3E".to_string(),
                    _ => c.to_string(),
                })
                .collect();
            text = format!("[{text}]({url})");
        }
        out.push_str(&text);
    }
    out
}

/// Escapes plain text so that Markdown shows it literally: inline markup characters anywhere,
/// block markers (`#`, `-`, `1.`) at the start of a line.
pub fn escape_markdown(text: &str) -> String {
    text.split('\n').map(escape_markdown_line).collect::<Vec<_>>().join("\n")
}

fn escape_markdown_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let body = line.trim_start();
    out.push_str(&line[..line.len() - body.len()]);
    // An ordered-list marker is digits then `.` or `)`: escaping the punctuation defuses it.
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    let list_dot = (digits > 0 && matches!(body.as_bytes().get(digits), Some(b'.' | b')'))).then_some(digits);
    for (i, c) in body.char_indices() {
        let block_marker = i == 0 && matches!(c, '#' | '-' | '+' | '=');
        let inline = matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '$' | '!');
        if inline || block_marker || list_dot == Some(i) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Tera's escape function for Markdown templates: every `{{ value }}` is shown literally.
pub fn tera_escape_markdown(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(escape_markdown(text).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_and_script_links_become_text() {
        let blocks = parse("Hi <script>alert(1)</script> [l](javascript:alert(1)) ![x](http://e/i.png)");
        let html = to_html(&blocks);
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("href"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains(">l") || html.contains(" l "), "{html}");
    }

    #[test]
    fn a_note_that_is_only_html_is_shown_as_text() {
        let blocks = parse("<img src=x onerror=alert(1)>");
        assert_eq!(to_html(&blocks), "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n");
    }

    #[test]
    fn keeps_emphasis_lists_and_web_links() {
        let blocks = parse("Read **chapter 2**, *slowly*.\n\n- one\n- [two](https://example.org)\n");
        let html = to_html(&blocks);
        assert!(html.contains("<strong>chapter 2</strong>"), "{html}");
        assert!(html.contains("<em>slowly</em>"), "{html}");
        assert!(
            html.contains("<li><a href=\"https://example.org\" rel=\"noopener noreferrer\">two</a></li>"),
            "{html}"
        );
        assert_eq!(blocks.len(), 2);
    }

    #[test]
    fn strikethrough_survives_every_output() {
        let blocks = parse("Me ~~equivoque~~ equivoqué");
        assert_eq!(to_html(&blocks), "<p>Me <s>equivoque</s> equivoqué</p>\n");
        assert_eq!(to_markdown(&blocks), "Me ~~equivoque~~ equivoqué");
    }

    #[test]
    fn markdown_round_trip_is_stable() {
        let source = "Read **chapter 2**, *slowly*.\n\n1. one\n2. [two](https://example.org)";
        let once = to_markdown(&parse(source));
        assert_eq!(once, source);
        assert_eq!(to_markdown(&parse(&once)), once);
    }

    #[test]
    fn escaped_markdown_reads_back_as_the_same_text() {
        let name = "#set page(width: 1cm) <script>alert(1)</script> $x$ *b* [l](javascript:alert(1))";
        let blocks = parse(&escape_markdown(name));
        assert_eq!(blocks, vec![Block::Paragraph { spans: vec![Span { text: name.into(), ..Span::default() }] }]);
        for line_start in ["- a", "1. a", "# a", "+ a"] {
            let blocks = parse(&escape_markdown(line_start));
            assert_eq!(
                blocks,
                vec![Block::Paragraph { spans: vec![Span { text: line_start.into(), ..Span::default() }] }]
            );
        }
    }
}
