//! CSV writing shared by every CSV faassim writes (run results, sweeps, profile lists):
//! RFC 4180 quoting, and tables whose header and rows come from one list of columns, so a
//! column's name and its value cannot drift apart.

use std::fmt::Display;

/// Quotes a CSV field when it needs it (RFC 4180): fields holding a comma, a quote or a line
/// break are wrapped in quotes, with inner quotes doubled; others are left as they are.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// An optional value as a cell: empty when absent.
pub fn optional<T: Display>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// One column of a table of `T`s: its header name and how to read its cell from a row.
pub struct Column<T: ?Sized> {
    /// The header name (written as it is: names are plain identifiers).
    pub name: &'static str,
    /// The cell of one row, already quoted where it needs to be.
    pub cell: fn(&T) -> String,
}

/// The table as CSV text: a header line of the column names, then one line per row.
pub fn table<'a, T: 'a>(columns: &[Column<T>], rows: impl IntoIterator<Item = &'a T>) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let mut out = names.join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = columns.iter().map(|c| (c.cell)(row)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn header_and_rows_come_from_the_same_columns() {
        let columns: [Column<(u32, &str)>; 2] = [
            Column {
                name: "n",
                cell: |r| r.0.to_string(),
            },
            Column {
                name: "label",
                cell: |r| quote(r.1),
            },
        ];
        let text = table(&columns, &[(1, "x"), (22, "y,z")]);
        assert_eq!(text, "n,label\n1,x\n22,\"y,z\"\n");
        assert_eq!(optional(None::<f64>), "");
        assert_eq!(optional(Some(0.5)), "0.5");
    }
}
