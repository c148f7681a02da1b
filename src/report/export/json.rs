//! The JSON format: the full result, pretty-printed, field by field as `docs/results.md`
//! documents it (field order is the struct order, functions and sources in scenario order).

use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;

use super::Exporter;
use crate::report::{RunResult, Summary};

/// Functions whose entries are rendered together, in parallel, before they are written:
/// enough to keep the threads busy, few enough that the text held at once stays a few MB
/// (a replayed day's result is over 100 MB).
const FUNCTIONS_PER_ROUND: usize = 1024;

/// Writes the full result as pretty-printed JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn export(&self, result: &RunResult) -> String {
        pretty_json(result)
    }

    fn write(&self, result: &RunResult, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        // The same bytes as `pretty_json`, never held whole. The functions' entries (nearly
        // all of a trace replay's tens of MB) are rendered on every thread, round by round,
        // and written in order; the rest around them is the result without its functions.
        let skeleton = pretty_json(&result.without_functions());
        let (head, tail) = skeleton
            .split_once(EMPTY_FUNCTIONS)
            .expect("a result has a functions field");
        // Serialising writes a few bytes at a time: through a buffer of its own type they
        // are inlined copies, not calls through `dyn Write`.
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
        buffered.write_all(head.as_bytes())?;
        buffered.write_all(FUNCTIONS_KEY.as_bytes())?;
        if result.functions.is_empty() {
            buffered.write_all(b"{}")?;
        } else {
            buffered.write_all(b"{")?;
            for (round, functions) in result.functions.chunks(FUNCTIONS_PER_ROUND).enumerate() {
                let texts: Vec<Vec<u8>> = functions
                    .par_chunks(FUNCTIONS_PER_ROUND / 16)
                    .enumerate()
                    .map(|(i, part)| function_entries(part, round == 0 && i == 0))
                    .collect();
                for t in &texts {
                    buffered.write_all(t)?;
                }
            }
            buffered.write_all(b"\n  }")?;
        }
        buffered.write_all(tail.as_bytes())?;
        buffered.flush()
    }
}

/// The functions field of a result without functions, as `pretty_json` writes it: a
/// top-level key (two spaces of indent; a raw line break is never inside a JSON string).
const EMPTY_FUNCTIONS: &str = "\n  \"functions\": {}";
/// The same up to its value.
const FUNCTIONS_KEY: &str = "\n  \"functions\": ";

/// `functions`' entries of the result's functions object as `pretty_json` writes them
/// (each after a line break and four spaces; after a comma unless `first`).
fn function_entries(functions: &[(String, Summary)], mut first: bool) -> Vec<u8> {
    let mut text = Vec::with_capacity(functions.len() * 2048);
    for (name, summary) in functions {
        if !first {
            text.push(b',');
        }
        first = false;
        text.extend_from_slice(b"\n    ");
        serde_json::to_writer(&mut text, name).expect("a name serialises");
        text.extend_from_slice(b": ");
        // The summary pretty-printed on its own, then indented two levels deeper: every
        // line break in it is the formatter's (JSON strings escape theirs).
        let alone = serde_json::to_vec_pretty(summary).expect("results serialise");
        for (i, line) in alone.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                text.extend_from_slice(b"\n    ");
            }
            text.extend_from_slice(line);
        }
    }
    text
}

/// `value` as pretty-printed JSON with a trailing newline (every JSON faassim prints).
pub fn pretty_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("results serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scenario;

    /// The written bytes are `pretty_json`'s, with no functions, one, and more than a round
    /// of them (names that need escaping included).
    #[test]
    fn written_json_is_the_pretty_text() {
        for n in [0, 1, 3, FUNCTIONS_PER_ROUND + 70] {
            // A scenario needs a function: 0 drops the one function's summary afterwards.
            let n_defined = n.max(1);
            let functions: Vec<String> = (0..n_defined)
                .map(|i| {
                    format!(
                        r#"{{"name": "f{i} \"q\"\n", "runtime": "nodejs", "exec_ms": {{"dist": "const", "value": 20}},
                          "workload": {{"kind": "poisson", "rate_per_s": {}}}}}"#,
                        if i < 5 { 2.0 } else { 0.01 }
                    )
                })
                .collect();
            let text = format!(
                r#"{{"name": "w", "seed": 3, "duration_s": 60, "functions": [{}]}}"#,
                functions.join(",")
            );
            let s = Scenario::from_str(&text, "w.json", std::path::Path::new(".")).unwrap();
            let mut result = RunResult::new(&s, &crate::sim::run(&s, Default::default()).unwrap());
            if n == 0 {
                result.functions.clear();
            }
            let mut written = Vec::new();
            JsonExporter.write(&result, &mut written).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                pretty_json(&result),
                "{n} functions"
            );
        }
    }
}
