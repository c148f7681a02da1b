use std::path::{Path, PathBuf};

use faassim::sim::{self, RequestLog, RequestRecord, RunOptions};
use faassim::{RunResult, Scenario};

/// A fresh, empty folder for one test's files.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faassim-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Loads scenario JSON whose relative paths start from `dir`.
pub fn scenario_in(json: &str, dir: &Path) -> Scenario {
    Scenario::from_str(json, "test.json", dir).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads scenario JSON with no files.
pub fn scenario(json: &str) -> Scenario {
    scenario_in(json, Path::new("."))
}

/// Runs and summarises.
pub fn run(s: &Scenario) -> RunResult {
    let out = sim::run(s, RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    RunResult::new(s, &out)
}

/// One finished request, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Rec {
    pub request: u64,
    pub function: String,
    pub instance: Option<u64>,
    pub arrival_ns: u64,
    pub start_ns: Option<u64>,
    pub end_ns: u64,
    pub outcome: sim::Outcome,
    pub status: sim::Status,
    pub cold_start_ns: Option<u64>,
    /// The cold start's phases, when it had one.
    pub cold_start: Option<faassim::sim::ColdStartPhases>,
    pub measured: bool,
}

/// Collects every finished request.
#[derive(Default)]
pub struct Collect(pub Vec<Rec>);

impl RequestLog for Collect {
    fn record(&mut self, r: &RequestRecord<'_>) -> faassim::Result<()> {
        self.0.push(Rec {
            request: r.request,
            function: r.function.to_owned(),
            instance: r.instance,
            arrival_ns: r.arrival.0,
            start_ns: r.start.map(|t| t.0),
            end_ns: r.end.0,
            outcome: r.outcome,
            status: r.status,
            cold_start_ns: r.cold_start.map(|p| p.total().0),
            cold_start: r.cold_start,
            measured: r.measured,
        });
        Ok(())
    }
}

/// Runs with a request log; returns the summary and the requests sorted by id.
pub fn run_logged(s: &Scenario) -> (RunResult, Vec<Rec>) {
    let mut log = Collect::default();
    let out = sim::run(
        s,
        RunOptions {
            log: Some(&mut log),
            progress: None,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut recs = log.0;
    recs.sort_by_key(|r| r.request);
    (RunResult::new(s, &out), recs)
}

/// Mean and standard error of the mean.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// Asserts `a == b` up to floating-point noise.
#[track_caller]
pub fn assert_close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
}

/// Milliseconds to nanoseconds.
pub const MS: u64 = 1_000_000;
/// Seconds to nanoseconds.
pub const S: u64 = 1_000_000_000;
