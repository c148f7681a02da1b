//! Aligned text tables for the terminal: one list of columns gives both the header line
//! and the layout of every row (alignment, width, the gap before each column), so a
//! column's heading and its cells cannot drift apart.

use std::fmt::Write as _;

/// How a cell sits in its column.
#[derive(Debug, Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// One column: the text before it, its heading, alignment and width.
#[derive(Debug, Clone)]
struct Column {
    gap: &'static str,
    heading: &'static str,
    align: Align,
    width: usize,
}

/// The columns of one text table. Build it with [`TextTable::new`] and the `left` /
/// `right` / `gap` steps, then write [`TextTable::header`] and one
/// [`TextTable::row`] per line. Cells wider than their column push the rest of the line
/// right (nothing is cut).
#[derive(Debug, Clone)]
pub(crate) struct TextTable {
    indent: &'static str,
    columns: Vec<Column>,
    next_gap: &'static str,
}

impl TextTable {
    /// A table whose lines start with `indent`.
    pub(crate) fn new(indent: &'static str) -> TextTable {
        TextTable {
            indent,
            columns: Vec::new(),
            next_gap: "",
        }
    }

    /// Sets the text between the previous column and the next one (one space by default).
    pub(crate) fn gap(mut self, gap: &'static str) -> TextTable {
        self.next_gap = gap;
        self
    }

    fn push(mut self, heading: &'static str, align: Align, width: usize) -> TextTable {
        let gap = if self.columns.is_empty() {
            ""
        } else if self.next_gap.is_empty() {
            " "
        } else {
            self.next_gap
        };
        self.columns.push(Column {
            gap,
            heading,
            align,
            width,
        });
        self.next_gap = "";
        self
    }

    /// A left-aligned column `width` wide (0: as wide as its text).
    pub(crate) fn left(self, heading: &'static str, width: usize) -> TextTable {
        self.push(heading, Align::Left, width)
    }

    /// A right-aligned column `width` wide.
    pub(crate) fn right(self, heading: &'static str, width: usize) -> TextTable {
        self.push(heading, Align::Right, width)
    }

    /// Appends the header line: the headings, laid out as cells.
    pub(crate) fn header(&self, out: &mut String) {
        let headings: Vec<&str> = self.columns.iter().map(|c| c.heading).collect();
        self.row(out, &headings);
    }

    /// Appends one line of `cells`, one per column.
    pub(crate) fn row<S: AsRef<str>>(&self, out: &mut String, cells: &[S]) {
        debug_assert_eq!(cells.len(), self.columns.len(), "one cell per column");
        out.push_str(self.indent);
        for (c, cell) in self.columns.iter().zip(cells) {
            let (cell, width) = (cell.as_ref(), c.width);
            let _ = match c.align {
                Align::Left => write!(out, "{}{cell:<width$}", c.gap),
                Align::Right => write!(out, "{}{cell:>width$}", c.gap),
            };
        }
        out.push('\n');
    }
}

/// Groups thousands: 1234567 → "1,234,567".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_rows_share_the_layout() {
        let table = TextTable::new("  ")
            .left("name", 6)
            .right("n", 4)
            .gap("   ")
            .left("note", 0);
        let mut out = String::new();
        table.header(&mut out);
        table.row(&mut out, &["a", "12", "x"]);
        table.row(&mut out, &["longname", "1", ""]);
        assert_eq!(
            out,
            "  name      n   note\n  a        12   x\n  longname    1   \n"
        );
    }
}
