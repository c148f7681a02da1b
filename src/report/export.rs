//! Output formats of a run's results: one [`Exporter`] per format, chosen by [`Format`].
//!
//! Each format lives in its own module and reads only the public [`RunResult`]: the
//! terminal table (`table`), pretty JSON (`json`, the documented contract of
//! `docs/results.md`) and CSV (`csv`, one row per function plus a total row). A new format
//! is a new module, a new [`Format`] variant and one arm in [`Format::exporter`].

mod csv;
mod json;
mod table;

pub use csv::{CsvExporter, RunCsvLine, run_csv_columns};
pub use json::{JsonExporter, pretty_json};
pub use table::TableExporter;

use super::RunResult;

/// Writes a run's results in one format.
///
/// Formatting cannot fail: results are plain numbers and names already in memory; only
/// writing the text out can, and that error is the caller's to report.
pub trait Exporter {
    /// The whole result as this format's text, ending with a newline.
    fn export(&self, result: &RunResult) -> String;

    /// The same text, written to `out` (a format may stream it rather than build it first:
    /// the JSON of a 46,412-function trace day is 134 MB).
    fn write(&self, result: &RunResult, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(self.export(result).as_bytes())
    }
}

/// The output formats of `faassim run` (and of `profiles` and `platforms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for the terminal.
    Table,
    /// JSON (the full result).
    Json,
    /// CSV: one row per function plus a total row.
    Csv,
}

impl Format {
    /// The exporter that writes this format.
    pub fn exporter(self) -> &'static dyn Exporter {
        match self {
            Format::Table => &TableExporter,
            Format::Json => &JsonExporter,
            Format::Csv => &CsvExporter,
        }
    }
}
