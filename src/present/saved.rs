//! What `faassim run --report DIR` saves beside the result so that `faassim report DIR`
//! can draw the same pictures again without re-running: `report.json`, holding the latency
//! histograms (all, warm and cold; all functions together and the busiest functions) and the
//! mean duration of each cold-start phase per runtime, tallied from the run's requests by a
//! [`PhaseTally`] (a [`RequestLog`]).
//!
//! The run's summary (`result.json`) and its time series (`windows.csv`) are the ordinary
//! `--format json` and `--windows` outputs, written beside it.

use std::collections::BTreeMap;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{FunctionMetrics, Latency};
use crate::model::Scenario;
use crate::sim::{Outcome, RequestLog, RequestRecord, RunOutput};
use crate::sweep::output::{decode_histogram, encode_histogram};

/// The file name of the saved data in a report folder.
pub const SAVED_FILE: &str = "report.json";

/// How many functions get their own latency pictures (the busiest ones), besides all
/// functions together: a trace replay has thousands, and nobody reads a thousand CDFs.
pub const FUNCTIONS_DRAWN: usize = 6;

/// The name under which all functions' latencies together are saved.
pub const ALL_FUNCTIONS: &str = "all functions";

/// The cold-start phases in the order a cold start goes through them, as saved.
pub const PHASES: [&str; 7] = [
    "sandbox",
    "network",
    "code_load",
    "runtime_start",
    "snapshot_restore",
    "init",
    "whole (set by the function)",
];

/// Everything a report needs that the summary does not hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    /// The faassim version that ran.
    pub faassim_version: String,
    /// The command that reproduces the run.
    pub command: String,
    /// Width of the windows in `windows.csv`, seconds.
    pub window_s: f64,
    /// Latency histograms: all functions together first, then the busiest functions.
    pub latency: Vec<SavedLatency>,
    /// Mean cold-start phase durations per runtime, in the order runtimes first appear.
    pub cold_start_phases: Vec<RuntimePhases>,
}

/// One function's (or all functions') response-time histograms: HDR, microseconds, 3
/// significant digits, V2 format, base64 (as in a sweep's `results.jsonl`); absent when the
/// function served no such request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedLatency {
    /// The function, or [`ALL_FUNCTIONS`].
    pub function: String,
    /// Every served request.
    pub all: Option<String>,
    /// Requests served warm (provisioned ones included).
    pub warm: Option<String>,
    /// Requests that waited for a cold start.
    pub cold: Option<String>,
}

/// A runtime's cold starts, phase by phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimePhases {
    /// The runtime profile's name.
    pub runtime: String,
    /// Cold starts that requests waited for (pings and provisioned starts have none).
    pub cold_starts: u64,
    /// Mean duration of each phase, ms, over those cold starts, in [`PHASES`] order
    /// (phases a runtime never went through are left out).
    pub mean_ms: Vec<(String, f64)>,
}

impl SavedLatency {
    /// The three histograms, decoded (`what` names the file for errors).
    pub fn decode(&self, what: &str) -> Result<[Option<Histogram<u64>>; 3]> {
        let one = |h: &Option<String>| {
            h.as_deref()
                .map(|s| decode_histogram(s, &format!("{what}, {}", self.function)))
                .transpose()
        };
        Ok([one(&self.all)?, one(&self.warm)?, one(&self.cold)?])
    }
}

/// Sums the phases of every cold start a request waited for, per function.
#[derive(Debug, Default)]
pub struct PhaseTally {
    /// Function name → (cold starts, sum of each phase in ns).
    sums: BTreeMap<String, (u64, [u64; 7])>,
}

impl PhaseTally {
    /// An empty tally.
    pub fn new() -> Self {
        Self::default()
    }
}

impl RequestLog for PhaseTally {
    fn record(&mut self, r: &RequestRecord<'_>) -> Result<()> {
        if r.outcome != Outcome::Cold || r.ping {
            return Ok(());
        }
        let Some(p) = r.cold_start else {
            return Ok(());
        };
        let entry = self
            .sums
            .entry(r.function.to_owned())
            .or_insert((0, [0; 7]));
        entry.0 += 1;
        let phases = &mut entry.1;
        if p.overridden {
            phases[6] += p.total().0;
        } else {
            phases[0] += p.sandbox.0;
            phases[1] += p.network.0;
            phases[2] += p.code_load.0;
            phases[if p.restored { 4 } else { 3 }] += p.start.0;
            phases[5] += p.init.0;
        }
        Ok(())
    }
}

impl Saved {
    /// The saved data of a finished run: the histograms of `output` and the phases in
    /// `tally`, for `scenario` run by `command`, with windows of `window_s` seconds.
    pub fn capture(
        scenario: &Scenario,
        output: &RunOutput,
        tally: &PhaseTally,
        command: String,
        window_s: f64,
    ) -> Saved {
        let mut all = [Latency::default(), Latency::default(), Latency::default()];
        for m in &output.functions {
            let [a, w, c] = function_latencies(m);
            all[0].merge(&a);
            all[1].merge(&w);
            all[2].merge(&c);
        }
        let mut latency = vec![saved_latency(ALL_FUNCTIONS, &all)];
        // The busiest functions, ties in scenario order; only when there are several.
        if output.functions.len() > 1 {
            let mut order: Vec<usize> = (0..output.functions.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(output.functions[i].invocations));
            for &i in order.iter().take(FUNCTIONS_DRAWN) {
                if output.functions[i].invocations == 0 {
                    break;
                }
                let name = &scenario.functions[i].name;
                latency.push(saved_latency(
                    name,
                    &function_latencies(&output.functions[i]),
                ));
            }
        }
        Saved {
            faassim_version: env!("CARGO_PKG_VERSION").to_owned(),
            command,
            window_s,
            latency,
            cold_start_phases: runtime_phases(scenario, tally),
        }
    }

    /// Writes `report.json` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(SAVED_FILE);
        let text = serde_json::to_string_pretty(self).expect("plain data serialises");
        std::fs::write(&path, text + "\n").map_err(|source| Error::Output {
            what: path.display().to_string(),
            source,
        })
    }

    /// Reads `report.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Saved> {
        let path = dir.join(SAVED_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        crate::json::parse(&text, &path.display().to_string())
    }
}

/// A function's all, warm and cold latencies (as its summary merges them).
fn function_latencies(m: &FunctionMetrics) -> [Latency; 3] {
    let mut warm = m.warm_latency.clone();
    warm.merge(&m.provisioned_latency);
    let mut all = warm.clone();
    all.merge(&m.cold_latency);
    [all, warm, m.cold_latency.clone()]
}

fn saved_latency(name: &str, [all, warm, cold]: &[Latency; 3]) -> SavedLatency {
    let enc = |l: &Latency| l.to_histogram().map(|h| encode_histogram(&h));
    SavedLatency {
        function: name.to_owned(),
        all: enc(all),
        warm: enc(warm),
        cold: enc(cold),
    }
}

/// The tally's sums grouped by the functions' runtimes, as means in ms.
fn runtime_phases(scenario: &Scenario, tally: &PhaseTally) -> Vec<RuntimePhases> {
    let mut by_runtime: Vec<(String, u64, [u64; 7])> = Vec::new();
    for f in &scenario.functions {
        let Some((n, sums)) = tally.sums.get(&f.name) else {
            continue;
        };
        let i = match by_runtime.iter().position(|(r, _, _)| *r == f.runtime) {
            Some(i) => i,
            None => {
                by_runtime.push((f.runtime.clone(), 0, [0; 7]));
                by_runtime.len() - 1
            }
        };
        let e = &mut by_runtime[i];
        e.1 += n;
        for (total, s) in e.2.iter_mut().zip(sums) {
            *total += s;
        }
    }
    by_runtime
        .into_iter()
        .map(|(runtime, n, sums)| RuntimePhases {
            runtime,
            cold_starts: n,
            mean_ms: PHASES
                .iter()
                .zip(sums)
                .filter(|(_, s)| *s > 0)
                .map(|(name, s)| ((*name).to_owned(), s as f64 / n as f64 / 1e6))
                .collect(),
        })
        .collect()
}
