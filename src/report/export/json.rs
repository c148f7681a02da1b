//! The JSON format: the full result, pretty-printed, field by field as `docs/results.md`
//! documents it (field order is the struct order, functions and sources in scenario order).

use std::io::Write;

use serde::Serialize;

use super::Exporter;
use crate::report::RunResult;

/// Writes the full result as pretty-printed JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn export(&self, result: &RunResult) -> String {
        pretty_json(result)
    }

    fn write(&self, result: &RunResult, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        // The same formatter as `pretty_json`, so the same bytes, never held whole. The
        // serialiser writes a few bytes at a time: through a buffer of its own type they
        // are inlined copies, not calls through `dyn Write` (a trace replay's result is
        // tens of MB).
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
        serde_json::to_writer_pretty(&mut buffered, result).map_err(std::io::Error::from)?;
        buffered.write_all(b"\n")?;
        buffered.flush()
    }
}

/// `value` as pretty-printed JSON with a trailing newline (every JSON faassim prints).
pub fn pretty_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("results serialise");
    text.push('\n');
    text
}
