//! CSV writing shared by every CSV faassim writes (run results, sweeps, profile lists):
//! RFC 4180 quoting, and tables whose header and rows come from one list of columns, so a
//! column's name and its value cannot drift apart.

/// Quotes a CSV field when it needs it (RFC 4180): fields holding a comma, a quote or a line
/// break are wrapped in quotes, with inner quotes doubled; others are left as they are.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// A value as a CSV cell: numbers as Rust writes them (the shortest form that reads back
/// to the same value), absent values as an empty cell.
pub trait ToCell {
    /// The cell's text.
    fn to_cell(&self) -> String;
}

/// Numbers are written with `Display`.
macro_rules! display_cells {
    ($($t:ty),*) => {
        $(impl ToCell for $t {
            fn to_cell(&self) -> String {
                self.to_string()
            }
        })*
    };
}
display_cells!(u32, u64, usize, f64);

/// Text is quoted when it needs it.
impl ToCell for str {
    fn to_cell(&self) -> String {
        quote(self)
    }
}

impl ToCell for String {
    fn to_cell(&self) -> String {
        quote(self)
    }
}

/// A JSON value (a sweep's parameter or metric): a number as the run CSV writes the same
/// number (an integer as itself, a float with `f64`'s `Display`, so 0.0 is `0` in both
/// files), text quoted when it needs it, null empty, anything else as its JSON text.
impl ToCell for serde_json::Value {
    fn to_cell(&self) -> String {
        match self {
            serde_json::Value::Null => String::new(),
            serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => u.to_string(),
                (None, Some(i), _) => i.to_string(),
                (None, None, Some(x)) => x.to_cell(),
                (None, None, None) => n.to_string(),
            },
            serde_json::Value::String(s) => quote(s),
            other => quote(&other.to_string()),
        }
    }
}

impl<T: ToCell + ?Sized> ToCell for &T {
    fn to_cell(&self) -> String {
        (**self).to_cell()
    }
}

impl<T: ToCell> ToCell for Option<T> {
    fn to_cell(&self) -> String {
        self.as_ref().map_or_else(String::new, ToCell::to_cell)
    }
}

/// One column of a table of `T`s: its header name and how to read its cell from a row.
pub struct Column<T: ?Sized> {
    /// The header name (written as it is: names are plain identifiers).
    pub name: &'static str,
    /// The cell of one row, already quoted where it needs to be.
    pub cell: fn(&T) -> String,
}

/// A column of rows of type `$t`: `column!("name", |row: Type| value)`, where the value
/// is anything [`ToCell`] writes (a number, text, or an `Option` of one).
macro_rules! column {
    ($name:expr, |$row:ident: $t:ty| $read:expr) => {
        $crate::report::csv::Column {
            name: $name,
            cell: |$row: &$t| $crate::report::csv::ToCell::to_cell(&$read),
        }
    };
}
pub(crate) use column;

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
            column!("n", |r: (u32, &str)| r.0),
            column!("label", |r: (u32, &str)| r.1),
        ];
        let text = table(&columns, &[(1, "x"), (22, "y,z")]);
        assert_eq!(text, "n,label\n1,x\n22,\"y,z\"\n");
        assert_eq!(None::<f64>.to_cell(), "");
        assert_eq!(Some(0.5).to_cell(), "0.5");
        assert_eq!(Some(2u64).to_cell(), "2");
        let json: serde_json::Value =
            serde_json::from_str(r#"[null, 1.5, "a,b", [1, 2]]"#).unwrap();
        let cells: Vec<String> = json
            .as_array()
            .unwrap()
            .iter()
            .map(ToCell::to_cell)
            .collect();
        assert_eq!(cells, ["", "1.5", "\"a,b\"", "\"[1,2]\""]);
    }
}
