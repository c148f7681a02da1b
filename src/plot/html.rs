//! A self-contained HTML page: facts about the run, then sections of text, charts and
//! tables, in one file that references nothing outside itself.
//!
//! No scripts, no style sheets or fonts to load, no links but to the page's own sections:
//! the page opens the same from a mail attachment, an archive or a laptop without a
//! network, and shows the same in ten years. The charts go in as inline SVG (the
//! strings the charts of [`crate::plot`] return); all text is HTML-escaped. The style
//! sheet reads well on a laptop and on a projector (18 px text, dark grey on white), and
//! prints without dark backgrounds and without splitting a chart or a table row across
//! pages.
//!
//! ```
//! use faassim::plot::html::{Page, Section, Table};
//! let page = Page {
//!     title: "Keep-alive sweep".into(),
//!     facts: vec![("seed".into(), "42".into())],
//!     sections: vec![Section {
//!         heading: "Cold starts".into(),
//!         text: "Fewer cold starts as the keep-alive grows.".into(),
//!         figures: vec![],
//!         tables: vec![Table {
//!             header: vec!["keep-alive (min)".into(), "cold starts (%)".into()],
//!             rows: vec![vec!["10".into(), "3.2".into()]],
//!         }],
//!     }],
//! };
//! let html = page.to_html();
//! assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<td class=\"num\">3.2</td>"));
//! ```

use std::fmt::Write as _;

/// A report page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The page's title (the `<title>` and the heading on top).
    pub title: String,
    /// Facts about how the results were made, `(name, value)`: scenario, seed, version,
    /// command line.
    pub facts: Vec<(String, String)>,
    /// The sections, in order; with two or more the page starts with a list of links
    /// to them.
    pub sections: Vec<Section>,
}

/// A section of a [`Page`]: a heading, text, then its figures and tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    /// The heading.
    pub heading: String,
    /// Plain text; a blank line starts a new paragraph.
    pub text: String,
    /// SVG documents as returned by the charts' `to_svg`, shown in order.
    pub figures: Vec<String>,
    /// Tables, shown after the figures.
    pub tables: Vec<Table>,
}

/// A table of text cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The column headings.
    pub header: Vec<String>,
    /// The rows; a row may have fewer or more cells than the header.
    pub rows: Vec<Vec<String>>,
}

/// `text` with the characters that mean something in HTML (and XML) escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
:root { color-scheme: light; }
body { margin: 0 auto; max-width: 62rem; padding: 1.5rem; background: #fff; color: #1a1a1a;
  font-family: system-ui, -apple-system, \"Segoe UI\", Roboto, \"DejaVu Sans\", sans-serif;
  font-size: 18px; line-height: 1.5; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.5rem; margin: 2.5rem 0 0.75rem; padding-bottom: 0.25rem;
  border-bottom: 2px solid #d0d0d0; }
a { color: #0055a0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem;
  margin: 0 0 1.5rem; padding: 0.75rem 1rem; border-left: 4px solid #0072b2;
  background: #f4f7fa; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; font-family: ui-monospace, \"DejaVu Sans Mono\", monospace;
  font-size: 0.95em; overflow-wrap: anywhere; }
nav ol { margin: 0 0 1rem; padding-left: 1.5rem; }
figure { margin: 1.5rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; max-width: 800px; height: auto; margin: 0 auto; }
.table { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: 1rem; }
th, td { padding: 0.35rem 0.75rem; text-align: left; border-bottom: 1px solid #c8c8c8; }
th { background: #eef0f2; border-bottom: 2px solid #808080; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; page-break-inside: avoid; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; color: #000; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  dl.facts, th { background: none; }
  a { color: inherit; text-decoration: none; }
  .table { overflow: visible; }
}
";

impl Page {
    /// The HTML document.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        let title = escape(&self.title);
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(h, "<title>{title}</title>");
        let _ = writeln!(h, "<style>\n{STYLE}</style>\n</head>\n<body>");
        let _ = writeln!(h, "<h1>{title}</h1>");
        if !self.facts.is_empty() {
            h.push_str("<dl class=\"facts\">\n");
            for (name, value) in &self.facts {
                let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(name), escape(value));
            }
            h.push_str("</dl>\n");
        }
        if self.sections.len() > 1 {
            h.push_str("<nav>\n<ol>\n");
            for (i, s) in self.sections.iter().enumerate() {
                let _ = writeln!(
                    h,
                    "<li><a href=\"#s{}\">{}</a></li>",
                    i + 1,
                    escape(&s.heading)
                );
            }
            h.push_str("</ol>\n</nav>\n");
        }
        for (i, s) in self.sections.iter().enumerate() {
            let _ = writeln!(h, "<section id=\"s{}\">", i + 1);
            let _ = writeln!(h, "<h2>{}</h2>", escape(&s.heading));
            for para in s
                .text
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                let _ = writeln!(h, "<p>{}</p>", escape(para));
            }
            for svg in &s.figures {
                let _ = writeln!(h, "<figure>\n{}\n</figure>", inline_svg(svg));
            }
            for t in &s.tables {
                table(&mut h, t);
            }
            h.push_str("</section>\n");
        }
        h.push_str("</body>\n</html>\n");
        h
    }
}

/// An SVG document made fit to sit inside HTML: no XML declaration or document type
/// (HTML has no place for them), and no `xmlns` attribute (the HTML parser puts `<svg>`
/// in the SVG namespace itself), so the page names no outside address at all.
fn inline_svg(svg: &str) -> String {
    let mut s = svg.trim();
    while let Some(rest) = s.strip_prefix("<?").or_else(|| s.strip_prefix("<!DOCTYPE")) {
        s = rest
            .split_once('>')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    s.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

/// Whether a cell reads as a number (`12`, `-0.5`, `3.2e-4`, `12.5 %`): such columns are
/// right-aligned so their digits line up.
fn numeric(cell: &str) -> bool {
    let c = cell.trim();
    let c = c.strip_suffix('%').map_or(c, str::trim_end);
    !c.is_empty() && c.parse::<f64>().is_ok()
}

fn table(h: &mut String, t: &Table) {
    let columns = t
        .rows
        .iter()
        .map(Vec::len)
        .chain([t.header.len()])
        .max()
        .unwrap_or(0);
    // A column is numeric when each of its non-empty cells is.
    let num: Vec<bool> = (0..columns)
        .map(|c| {
            let mut cells = t
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .filter(|v| !v.trim().is_empty());
            let mut any = false;
            cells.all(|v| {
                any = true;
                numeric(v)
            }) && any
        })
        .collect();
    let class = |c: usize| if num[c] { " class=\"num\"" } else { "" };
    h.push_str("<div class=\"table\">\n<table>\n");
    if !t.header.is_empty() {
        h.push_str("<thead><tr>");
        for (c, cell) in t.header.iter().enumerate() {
            let _ = write!(h, "<th{}>{}</th>", class(c), escape(cell));
        }
        h.push_str("</tr></thead>\n");
    }
    h.push_str("<tbody>\n");
    for row in &t.rows {
        h.push_str("<tr>");
        for (c, cell) in row.iter().enumerate() {
            let _ = write!(h, "<td{}>{}</td>", class(c), escape(cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_loses_its_prolog_and_namespace_only() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\"><text>a</text></svg>";
        assert_eq!(inline_svg(svg), "<svg width=\"1\"><text>a</text></svg>");
    }

    #[test]
    fn numbers_with_or_without_a_percent_sign_are_numeric() {
        for yes in ["12", "-0.5", "3.2e-4", "12.5 %", "7%"] {
            assert!(numeric(yes), "{yes}");
        }
        for no in ["", "api", "12 ms", "%", "1,000"] {
            assert!(!numeric(no), "{no}");
        }
    }
}
