//! The library's error type.
//!
//! Every error a user can cause names where it happened: the file, and inside it the field
//! path (`functions[0].workload.rate_per_s`) or the line, plus what was expected. Messages
//! are lowercase and carry no trailing period, so the CLI can print them as `error: {err}`.

use std::fmt::{self, Write as _};
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong when loading or running a scenario.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A JSON document is malformed or does not match the expected shape.
    Parse {
        /// The document (a file path, or the name of an embedded profile).
        origin: String,
        /// Field path inside the document, `.` when the error is at the top.
        field: String,
        /// 1-based line and column of the error.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde reported (what was expected).
        message: String,
    },
    /// A document parsed, but a value is out of range or inconsistent.
    Invalid {
        /// The document.
        origin: String,
        /// Field path inside the document.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A line of a data file (an arrival trace, say) is malformed.
    Data {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A field of a data file (a row of a public trace, say) is malformed.
    DataField {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// The column's name (from the header, or what it should hold).
        name: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The output could not be written.
    Output {
        /// Where we were writing.
        what: String,
        /// Why.
        source: io::Error,
    },
}

impl fmt::Display for Error {
    /// One line, always: messages quote values from the user's files, and a JSON string
    /// may hold a newline (`"runtime": "node\njs"`), so control characters are written
    /// escaped (`\n`, `\u{1b}`). Found by the `scenario` fuzz target.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = Unescaped(self).to_string();
        for c in line.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// The message as its parts read, before [`Error`]'s `Display` escapes control characters.
struct Unescaped<'a>(&'a Error);

impl fmt::Display for Unescaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Io { path, source } => write!(f, "{}: cannot read: {source}", path.display()),
            Error::Parse {
                origin,
                field,
                line,
                column,
                message,
            } => write!(f, "{origin}:{line}:{column}: {field}: {message}"),
            Error::Invalid {
                origin,
                field,
                message,
            } => write!(f, "{origin}: {field}: {message}"),
            Error::Data {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Error::DataField {
                path,
                line,
                column,
                name,
                message,
            } => write!(
                f,
                "{}:{line}: column {column} (`{name}`): {message}",
                path.display()
            ),
            Error::Output { what, source } => write!(f, "cannot write {what}: {source}"),
        }
    }
}

impl Error {
    /// The same error without a line and column: for a document that is not the user's own
    /// text (a sweep point, re-serialised from the base), where a position would point
    /// nowhere the user can look.
    pub fn without_position(self) -> Error {
        match self {
            Error::Parse {
                origin,
                field,
                message,
                ..
            } => Error::Invalid {
                origin,
                field,
                message,
            },
            other => other,
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Output { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A validation failure inside one document, before we know which file it came from.
///
/// Validation code returns this; the loader that knows the file turns it into
/// [`Error::Invalid`] with [`FieldError::in_origin`].
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Field path, e.g. `functions[0].exec_ms.median`.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl FieldError {
    /// A failure at `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Attaches the document the field belongs to.
    pub fn in_origin(self, origin: impl Into<String>) -> Error {
        Error::Invalid {
            origin: origin.into(),
            field: self.field,
            message: self.message,
        }
    }
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_one_line_even_when_a_value_holds_control_characters() {
        let e = FieldError::new("functions[0].runtime", "unknown runtime `node\njs\t\u{1b}`")
            .in_origin("s.json");
        assert_eq!(
            e.to_string(),
            r"s.json: functions[0].runtime: unknown runtime `node\njs\t\u{1b}`"
        );
    }
}
