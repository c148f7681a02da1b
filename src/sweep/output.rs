//! The sweep's outputs: `results.jsonl` (the record), `results.csv` and `summary.csv`
//! (both derived from it), written row by row in task order.
//!
//! Every output is a function of the JSON Lines text alone: a fresh run, a resumed run and
//! a merge of shards all feed the same lines through the same [`Sink`], which is why their
//! files are byte-identical.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::functions::FunctionRow;
use super::invalid;
use super::stats::mean_ci95;
use crate::error::{Error, Result};
use crate::json::Ordered;
use crate::report::csv::{ToCell, quote};

/// Percentiles of the merged latency histogram in `summary.csv`.
pub const MERGED_QUANTILES: [(&str, f64); 4] =
    [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p999", 0.999)];

/// The last column of `summary.csv`: what each cold start a point avoids costs, against
/// the sweep's first point ([`cost_per_avoided_cold_start`]).
pub const COST_PER_AVOIDED: &str = "cost_per_avoided_cold_start";

/// A point's cost per avoided cold start against the baseline, point 0 (the first value
/// of every grid and zip parameter):
/// `(cost_usd_mean − cost_usd_mean₀) / (cold_starts_mean₀ − cold_starts_mean)`, from the
/// means over replications of `cost_usd` and `cold_starts`, given as `(cost, cold)`
/// pairs.
///
/// `None` when the point avoids no cold start (the denominator is ≤ 0: as many or more
/// cold starts than the baseline), so a point that trades cold starts for nothing, or
/// that adds them, never shows a misleading figure. A negative value means the point
/// avoids cold starts *and* costs less than the baseline.
pub fn cost_per_avoided_cold_start(baseline: (f64, f64), point: (f64, f64)) -> Option<f64> {
    let (cost0, cold0) = baseline;
    let (cost, cold) = point;
    let avoided = cold0 - cold;
    (avoided > 0.0).then(|| (cost - cost0) / avoided)
}

/// One (point, replication) result: a line of `results.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The experiment's hash: rows of different experiments never mix.
    pub experiment: String,
    /// Points in the whole experiment.
    pub points: usize,
    /// Replications per point.
    pub replications: u32,
    /// Point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
    /// The scenario seed used.
    pub seed: u64,
    /// The point's parameter values, in column order.
    pub params: Ordered<Value>,
    /// Headline metrics (number or null), in column order.
    pub metrics: Ordered<Value>,
    /// Every function's headline figures, in scenario order (not in the CSV files).
    #[serde(default)]
    pub functions: Vec<FunctionRow>,
    /// Response times of all served requests of all functions: an HDR histogram in
    /// microseconds, V2-serialised, base64.
    pub latency_histogram: String,
}

/// Encodes a histogram for a row.
pub fn encode_histogram(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(h, &mut bytes)
        .expect("serialising to memory cannot fail");
    B64.encode(bytes)
}

/// Decodes a row's histogram; `what` names the row for errors.
pub fn decode_histogram(s: &str, what: &str) -> Result<Histogram<u64>> {
    let bad = |m: String| invalid(what, "latency_histogram", m);
    let bytes = B64
        .decode(s)
        .map_err(|e| bad(format!("expected base64: {e}")))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| bad(format!("expected a V2 HDR histogram: {e:?}")))
}

/// The rows of one point seen so far (only the point being written is held).
struct PointAcc {
    point: usize,
    params: Vec<Value>,
    metrics: Vec<Vec<f64>>,
    merged: Option<Histogram<u64>>,
    rows: u32,
}

/// Writes the three output files from rows given in task order.
pub struct Sink {
    dir: PathBuf,
    jsonl: BufWriter<File>,
    csv: BufWriter<File>,
    summary: BufWriter<File>,
    replications: u32,
    /// The metric columns of the header: every row must have exactly these.
    metrics: Vec<String>,
    acc: Option<PointAcc>,
    /// Where `cost_usd` and `cold_starts` are among the metrics (both, or none).
    cost_cold: Option<(usize, usize)>,
    /// Point 0's mean `cost_usd` and `cold_starts`, once written: the baseline of
    /// [`COST_PER_AVOIDED`]. A shard that does not own point 0 never has it, and leaves
    /// that column empty; the merged output has it.
    baseline: Option<(f64, f64)>,
}

/// The output file names inside the output folder.
pub const JSONL: &str = "results.jsonl";
/// See [`JSONL`].
pub const CSV: &str = "results.csv";
/// See [`JSONL`].
pub const SUMMARY: &str = "summary.csv";

fn create(dir: &Path, name: &str) -> Result<BufWriter<File>> {
    let path = dir.join(name);
    File::create(&path)
        .map(BufWriter::new)
        .map_err(|source| Error::Output {
            what: path.display().to_string(),
            source,
        })
}

impl Sink {
    /// Creates (truncates) the outputs in `dir` and writes the headers.
    pub fn create(
        dir: &Path,
        params: &[String],
        metrics: &[String],
        replications: u32,
    ) -> Result<Sink> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Output {
            what: dir.display().to_string(),
            source,
        })?;
        let mut sink = Sink {
            dir: dir.to_owned(),
            jsonl: create(dir, JSONL)?,
            csv: create(dir, CSV)?,
            summary: create(dir, SUMMARY)?,
            replications,
            metrics: metrics.to_vec(),
            acc: None,
            cost_cold: metrics
                .iter()
                .position(|m| m == "cost_usd")
                .zip(metrics.iter().position(|m| m == "cold_starts")),
            baseline: None,
        };
        let p: Vec<String> = params.iter().map(|p| quote(p)).collect();
        let mut h = vec!["point".to_owned(), "replication".into(), "seed".into()];
        h.extend(p.iter().cloned());
        h.extend(metrics.iter().cloned());
        writeln!(sink.csv, "{}", h.join(",")).map_err(|e| sink.err(CSV, e))?;
        let mut h = vec!["point".to_owned()];
        h.extend(p);
        h.push("replications".into());
        for m in metrics {
            h.push(format!("{m}_mean"));
            h.push(format!("{m}_ci95"));
        }
        h.push("merged_latency_count".into());
        for (q, _) in MERGED_QUANTILES {
            h.push(format!("merged_latency_{q}_ms"));
        }
        h.push(COST_PER_AVOIDED.into());
        writeln!(sink.summary, "{}", h.join(",")).map_err(|e| sink.err(SUMMARY, e))?;
        sink.flush()?;
        Ok(sink)
    }

    fn err(&self, name: &str, source: std::io::Error) -> Error {
        Error::Output {
            what: self.dir.join(name).display().to_string(),
            source,
        }
    }

    fn flush(&mut self) -> Result<()> {
        self.jsonl.flush().map_err(|e| self.err(JSONL, e))?;
        self.csv.flush().map_err(|e| self.err(CSV, e))?;
        self.summary.flush().map_err(|e| self.err(SUMMARY, e))
    }

    /// Writes one row: `line` is its JSON text (no newline), `row` the same parsed, `hist`
    /// its decoded histogram if the caller has it already (decoded here otherwise). Rows
    /// must come in task order. Returns the point index when this row completed its point.
    /// Everything is flushed before returning, so an interruption loses nothing written.
    pub fn push(
        &mut self,
        line: &str,
        row: &Row,
        hist: Option<Histogram<u64>>,
    ) -> Result<Option<usize>> {
        let what = format!(
            "{} row point {} replication {}",
            JSONL, row.point, row.replication
        );
        check_metrics(row, &self.metrics, &what)?;
        writeln!(self.jsonl, "{line}").map_err(|e| self.err(JSONL, e))?;
        let mut cells = vec![
            row.point.to_string(),
            row.replication.to_string(),
            row.seed.to_string(),
        ];
        cells.extend(row.params.0.iter().map(|(_, v)| v.to_cell()));
        cells.extend(row.metrics.0.iter().map(|(_, v)| v.to_cell()));
        writeln!(self.csv, "{}", cells.join(",")).map_err(|e| self.err(CSV, e))?;

        let hist = match hist {
            Some(h) => h,
            None => decode_histogram(&row.latency_histogram, &what)?,
        };
        let acc = match &mut self.acc {
            Some(a) if a.point == row.point => a,
            slot => {
                assert!(slot.is_none(), "a point's rows arrive together");
                slot.insert(PointAcc {
                    point: row.point,
                    params: row.params.0.iter().map(|(_, v)| v.clone()).collect(),
                    metrics: vec![Vec::new(); row.metrics.0.len()],
                    merged: None,
                    rows: 0,
                })
            }
        };
        for (slot, (_, v)) in acc.metrics.iter_mut().zip(&row.metrics.0) {
            if let Some(x) = v.as_f64() {
                slot.push(x);
            }
        }
        match &mut acc.merged {
            Some(m) => m
                .add(&hist)
                .map_err(|e| invalid(&what, "latency_histogram", format!("cannot merge: {e:?}")))?,
            None => {
                // Decoded histograms do not grow on their own; the accumulator must, since
                // a later replication may hold larger values.
                let mut first = hist;
                first.auto(true);
                acc.merged = Some(first);
            }
        }
        acc.rows += 1;
        let done = if acc.rows == self.replications {
            let acc = self.acc.take().expect("present");
            let mut cells = vec![acc.point.to_string()];
            cells.extend(acc.params.iter().map(ToCell::to_cell));
            cells.push(acc.rows.to_string());
            let mut means = Vec::with_capacity(acc.metrics.len());
            for xs in &acc.metrics {
                let (m, h) = mean_ci95(xs);
                cells.push(m.to_cell());
                cells.push(h.to_cell());
                means.push(m);
            }
            // This point's (cost, cold starts) means, when the metrics have both.
            let cost_cold = self.cost_cold.and_then(|(c, k)| means[c].zip(means[k]));
            let merged = acc.merged.expect("one histogram per row");
            cells.push(merged.len().to_string());
            for (_, q) in MERGED_QUANTILES {
                let ms = (!merged.is_empty()).then(|| merged.value_at_quantile(q) as f64 / 1e3);
                cells.push(ms.to_cell());
            }
            if acc.point == 0 {
                self.baseline = cost_cold;
                cells.push(String::new());
            } else {
                let v = self
                    .baseline
                    .zip(cost_cold)
                    .and_then(|(b, p)| cost_per_avoided_cold_start(b, p));
                cells.push(v.to_cell());
            }
            writeln!(self.summary, "{}", cells.join(",")).map_err(|e| self.err(SUMMARY, e))?;
            Some(acc.point)
        } else {
            None
        };
        self.flush()?;
        Ok(done)
    }
}

/// Checks that `row` has the metric columns `want`, in order: a row written by another
/// faassim version (resumed or merged) would otherwise shift the CSV's cells. `what` names
/// the row for errors.
pub fn check_metrics(row: &Row, want: &[String], what: &str) -> Result<()> {
    let got: Vec<&str> = row
        .metrics
        .0
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    if got == want {
        return Ok(());
    }
    // The first column where they differ (one list may be a prefix of the other).
    let k = (0..)
        .find(|&k| got.get(k) != want.get(k))
        .expect("the lists differ");
    let name = |n: Option<&&str>| n.map_or("none".to_owned(), |n| format!("`{n}`"));
    Err(invalid(
        what,
        "metrics",
        format!(
            "has other metric columns than this sweep writes (column {}: {} where this sweep has {}); was it written by another version of faassim? Use a fresh --out",
            k + 1,
            name(got.get(k)),
            name(want.get(k)),
        ),
    ))
}

/// Parses one `results.jsonl` line; `what` names it for errors.
pub fn parse_row(line: &str, what: &str) -> Result<Row> {
    serde_json::from_str(line)
        .map_err(|e| invalid(what, ".", format!("not a sweep result row: {e}")))
}

/// The complete lines of `dir/results.jsonl` (a torn last line, left by an interruption
/// mid-write, is dropped), parsed. A missing file is empty.
pub fn read_rows(dir: &Path) -> Result<Vec<(String, Row)>> {
    let path = dir.join(JSONL);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::Io { path, source }),
    };
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    let mut rows = Vec::new();
    for (i, line) in complete.lines().enumerate() {
        let what = format!("{}:{}", path.display(), i + 1);
        rows.push((line.to_owned(), parse_row(line, &what)?));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_per_avoided_cold_start_by_hand() {
        // Baseline $0.02 and 300 cold starts; $0.32 and 40: 260 avoided for $0.30, i.e.
        // $0.30 / 260 = $0.0011538… each.
        let got = cost_per_avoided_cold_start((0.02, 300.0), (0.32, 40.0)).unwrap();
        assert!((got - 0.30 / 260.0).abs() < 1e-15, "{got}");
        // Fractional means (over replications) are fine: 2.5 avoided for $1.
        assert_eq!(
            cost_per_avoided_cold_start((1.0, 10.0), (2.0, 7.5)),
            Some(0.4)
        );
        // Cheaper and fewer cold starts: negative, a saving per avoided cold start.
        assert_eq!(
            cost_per_avoided_cold_start((2.0, 10.0), (1.0, 5.0)),
            Some(-0.2)
        );
        // No cold start avoided (as many, or more): no figure.
        assert_eq!(cost_per_avoided_cold_start((1.0, 10.0), (2.0, 10.0)), None);
        assert_eq!(cost_per_avoided_cold_start((1.0, 10.0), (0.5, 12.0)), None);
    }
}
