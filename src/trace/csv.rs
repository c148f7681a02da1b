//! Line-by-line reading of the comma-separated trace files, with errors that name the file,
//! the line and the column.
//!
//! The public traces are plain CSV without quoting (hashes, numbers, a trigger word), so a
//! row is split on commas; a field wrapped in double quotes has them removed, but a quoted
//! field may not contain a comma. Rows are never collected: a caller walks the fields of the
//! current line as it parses them, so a 1,444-column Azure row costs no allocation.

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

    /// The current line's fields.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.line().split(',').map(clean)
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

/// A field without surrounding blanks and double quotes.
fn clean(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|g| g.strip_suffix('"'))
        .unwrap_or(f)
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
