//! Line-by-line reading of the comma-separated trace files, with errors that name the file,
//! the line and the column.
//!
//! The public traces are plain CSV without quoting (hashes, numbers, a trigger word), so a
//! row without a double quote is split on commas, and rows are never collected: a caller
//! walks the fields of the current line as it parses them, so a 1,444-column Azure row costs
//! no allocation. A row with a double quote is read as RFC 4180 says (a field in quotes may
//! hold commas, and `""` stands for one quote), into a buffer reused from row to row; a
//! quoted field cannot span lines (each row is one line), and a quote left open, or text
//! after a closing quote, is an error at that column. Blanks around fields are dropped.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Bad rows kept as examples in the report (the count is always exact).
const EXAMPLES: usize = 5;

/// A CSV file read one line at a time.
#[derive(Debug)]
pub(crate) struct CsvReader {
    path: PathBuf,
    reader: BufReader<File>,
    line_no: u64,
    buf: String,
    /// The current row's fields when it has quotes: their text, unquoted, and each one's
    /// range in it.
    cooked: String,
    spans: Vec<(usize, usize)>,
    quoted: bool,
    /// A malformed quote in the current row: its 1-based column and what was wrong.
    bad_quote: Option<(usize, String)>,
}

impl CsvReader {
    /// Opens `path` (errors name it).
    pub(crate) fn open(path: &Path) -> Result<CsvReader> {
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(CsvReader {
            path: path.to_owned(),
            reader: BufReader::with_capacity(1 << 16, file),
            line_no: 0,
            buf: String::new(),
            cooked: String::new(),
            spans: Vec::new(),
            quoted: false,
            bad_quote: None,
        })
    }

    /// Advances to the next line that is not blank and not a `#` comment; `false` at the end.
    pub(crate) fn next_line(&mut self) -> Result<bool> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_line(&mut self.buf)
                .map_err(|source| Error::Io {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                return Ok(false);
            }
            self.line_no += 1;
            let t = self.buf.trim();
            if !t.is_empty() && !t.starts_with('#') {
                self.quoted = self.buf.contains('"');
                self.bad_quote = None;
                if self.quoted {
                    self.unquote();
                }
                return Ok(true);
            }
        }
    }

    /// The current line without its line break (and a UTF-8 byte-order mark on line 1).
    pub(crate) fn line(&self) -> &str {
        let s = self.buf.trim_end_matches(['\n', '\r']);
        if self.line_no == 1 {
            s.trim_start_matches('\u{feff}')
        } else {
            s
        }
    }

    /// Whether the current line holds a double quote (its fields are then unquoted).
    pub(crate) fn quoted(&self) -> bool {
        self.quoted
    }

    /// The current line's fields (blanks around each dropped, quotes resolved).
    pub(crate) fn fields(&self) -> Fields<'_> {
        if self.quoted {
            Fields::Quoted {
                text: &self.cooked,
                spans: self.spans.iter(),
            }
        } else {
            Fields::Plain(self.line().split(','))
        }
    }

    /// An error if the current row's quotes are malformed (checked with its width, so a
    /// lenient reader skips the row).
    pub(crate) fn check_quotes(&self, header: &[String]) -> Result<()> {
        match &self.bad_quote {
            None => Ok(()),
            Some((column, message)) => Err(self.error(
                *column,
                header.get(column - 1).map_or("(none)", String::as_str),
                message.clone(),
            )),
        }
    }

    /// Splits the current line, which holds a double quote, as RFC 4180 says.
    fn unquote(&mut self) {
        // Split borrows: the line is read from `buf` while `cooked` and `spans` are written.
        let line = {
            let s = self.buf.trim_end_matches(['\n', '\r']);
            if self.line_no == 1 {
                s.trim_start_matches('\u{feff}')
            } else {
                s
            }
        };
        self.cooked.clear();
        self.spans.clear();
        let mut chars = line.chars().peekable();
        let mut column = 1;
        loop {
            // One field: skip leading blanks, then a quoted or a plain field.
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            let start = self.cooked.len();
            if chars.next_if_eq(&'"').is_some() {
                let mut closed = false;
                while let Some(c) = chars.next() {
                    if c == '"' {
                        if chars.next_if_eq(&'"').is_some() {
                            self.cooked.push('"');
                        } else {
                            closed = true;
                            break;
                        }
                    } else {
                        self.cooked.push(c);
                    }
                }
                if !closed && self.bad_quote.is_none() {
                    self.bad_quote = Some((
                        column,
                        "expected a closing double quote before the end of the line (a quoted field cannot span lines)".to_owned(),
                    ));
                }
                while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
                let mut junk = false;
                while let Some(c) = chars.next_if(|c| *c != ',') {
                    junk = true;
                    self.cooked.push(c);
                }
                if junk && self.bad_quote.is_none() {
                    self.bad_quote = Some((
                        column,
                        "expected a comma after the closing double quote (write a quote inside a quoted field as \"\")".to_owned(),
                    ));
                }
                self.spans.push((start, self.cooked.len()));
            } else {
                while let Some(c) = chars.next_if(|c| *c != ',') {
                    self.cooked.push(c);
                }
                let end = self.cooked.trim_end().len();
                self.spans.push((start, end.max(start)));
            }
            if chars.next().is_none() {
                break;
            }
            column += 1;
        }
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// An error at `column` (1-based) of the current line.
    pub(crate) fn error(&self, column: usize, name: &str, message: impl Into<String>) -> Error {
        Error::DataField {
            path: self.path.clone(),
            line: self.line_no,
            column,
            name: name.to_owned(),
            message: message.into(),
        }
    }

    /// An error about the whole current line.
    pub(crate) fn line_error(&self, message: impl Into<String>) -> Error {
        Error::Data {
            path: self.path.clone(),
            line: self.line_no,
            message: message.into(),
        }
    }
}

/// The fields of a row: split on commas, or read from the unquoted buffer.
pub(crate) enum Fields<'a> {
    /// A row without quotes.
    Plain(std::str::Split<'a, char>),
    /// A row with quotes, unquoted.
    Quoted {
        text: &'a str,
        spans: std::slice::Iter<'a, (usize, usize)>,
    },
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Fields::Plain(split) => split.next().map(str::trim),
            Fields::Quoted { text, spans } => spans.next().map(|&(a, b)| &text[a..b]),
        }
    }
}

/// Parses a count of invocations: an integer >= 0. `1.0` is accepted (the Huawei files
/// are written by pandas, which turns integer columns with gaps into floats); an empty
/// field is 0 when `empty_is_zero` (Huawei leaves minutes without requests empty).
pub(crate) fn count(field: &str, empty_is_zero: bool) -> Result<u64, String> {
    if field.is_empty() {
        return if empty_is_zero {
            Ok(0)
        } else {
            Err("expected a count (an integer >= 0), got an empty field".to_owned())
        };
    }
    if let Ok(n) = field.parse::<u64>() {
        return Ok(n);
    }
    match field.parse::<f64>() {
        Ok(x) if x.is_finite() && x < 0.0 => Err(format!("expected a count >= 0, got {field}")),
        Ok(x) if x.is_finite() && x.fract() == 0.0 && x < 1e18 => Ok(x as u64),
        Ok(x) if x.is_nan() && empty_is_zero => Ok(0),
        _ => Err(format!("expected a count (an integer >= 0), got `{field}`")),
    }
}

/// Parses a finite number >= 0 (`what` says what it is).
pub(crate) fn non_negative(field: &str, what: &str) -> Result<f64, String> {
    match field.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Ok(x) if x.is_finite() => Err(format!("expected {what} >= 0, got {field}")),
        _ => Err(format!("expected {what} (a number), got `{field}`")),
    }
}

/// Parses a finite number (`what` says what it is).
pub(crate) fn number(field: &str, what: &str) -> Result<f64, String> {
    match field.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("expected {what} (a number), got `{field}`")),
    }
}

/// Bad rows: an error in strict mode; counted, with a few examples, in lenient mode.
#[derive(Debug, Default)]
pub(crate) struct Skips {
    /// Skip instead of failing.
    pub(crate) lenient: bool,
    /// Rows skipped so far.
    pub(crate) count: u64,
    /// The first few errors, as messages.
    pub(crate) examples: Vec<String>,
}

impl Skips {
    /// Returns `e` in strict mode; records it and returns `Ok` in lenient mode.
    pub(crate) fn skip(&mut self, e: Error) -> Result<()> {
        if !self.lenient {
            return Err(e);
        }
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(e.to_string());
        }
        Ok(())
    }
}

/// Checks the number of fields of the current row against the header's.
pub(crate) fn check_width(r: &CsvReader, found: usize, header: &[String]) -> Result<()> {
    r.check_quotes(header)?;
    if found == header.len() {
        return Ok(());
    }
    // Name the first column that is missing, or the first one too many.
    let column = found.min(header.len()) + 1;
    let name = header.get(column - 1).map_or("(none)", String::as_str);
    Err(r.error(
        column,
        name,
        format!(
            "expected {} columns as in the header, found {found}",
            header.len()
        ),
    ))
}

/// Reads the header line of `r` (an error if the file is empty).
pub(crate) fn header(r: &mut CsvReader) -> Result<Vec<String>> {
    if !r.next_line()? {
        return Err(Error::Data {
            path: r.path().to_owned(),
            line: 1,
            message: "expected a header line, the file is empty".to_owned(),
        });
    }
    r.check_quotes(&[])?;
    Ok(r.fields().map(str::to_owned).collect())
}

/// Checks that `header` starts with `expected` (exact names, in order).
pub(crate) fn expect_columns(r: &CsvReader, header: &[String], expected: &[&str]) -> Result<()> {
    for (i, want) in expected.iter().enumerate() {
        match header.get(i) {
            Some(got) if got == want => {}
            got => {
                return Err(r.error(
                    i + 1,
                    want,
                    format!(
                        "expected the header column `{want}`, found `{}`",
                        got.map_or("(end of line)", String::as_str)
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4180 quoting on a hand-written file: commas inside quotes, `""` for a quote,
    /// blanks around fields, a quoted empty field; a quote left open and text after a
    /// closing quote are errors at their column.
    #[test]
    fn quoted_fields_follow_rfc_4180() {
        let path =
            std::env::temp_dir().join(format!("faassim-csv-quotes-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "timestamp,function,duration_ms\n\
             0.5,\"api, v2\",10\n\
             1.0,\"say \"\"hi\"\"\",20\r\n\
             \u{20}2.0 , plain ,\"\"\n\
             3.0,\"open,5\n\
             4.0,\"a\"b,5\n",
        )
        .unwrap();
        let mut r = CsvReader::open(&path).unwrap();
        let header = header(&mut r).unwrap();
        assert_eq!(header, ["timestamp", "function", "duration_ms"]);
        let mut rows = Vec::new();
        while r.next_line().unwrap() {
            let fields: Vec<String> = r.fields().map(str::to_owned).collect();
            let width = check_width(&r, fields.len(), &header).map_err(|e| e.to_string());
            rows.push((fields, width));
        }
        let shown = path.display().to_string();
        let ok = |f: &[&str]| {
            (
                f.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                Ok(()),
            )
        };
        assert_eq!(rows[0], ok(&["0.5", "api, v2", "10"]));
        assert_eq!(rows[1], ok(&["1.0", "say \"hi\"", "20"]));
        assert_eq!(rows[2], ok(&["2.0", "plain", ""]));
        assert_eq!(
            rows[3].1,
            Err(format!(
                "{shown}:5: column 2 (`function`): expected a closing double quote before the end of the line (a quoted field cannot span lines)"
            ))
        );
        assert_eq!(
            rows[4].1,
            Err(format!(
                "{shown}:6: column 2 (`function`): expected a comma after the closing double quote (write a quote inside a quoted field as \"\")"
            ))
        );
        assert_eq!(rows.len(), 5);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn counts_parse() {
        assert_eq!(count("12", false), Ok(12));
        assert_eq!(count("2.0", true), Ok(2));
        assert_eq!(count("", true), Ok(0));
        assert!(count("", false).is_err());
        assert_eq!(
            count("-1", false).unwrap_err(),
            "expected a count >= 0, got -1"
        );
        assert!(count("1.5", false).is_err());
        assert!(count("x", false).unwrap_err().contains("`x`"));
    }
}
