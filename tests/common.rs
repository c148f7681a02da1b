use std::path::{Path, PathBuf};

use faassim::sim::{self, RequestLog, RequestRecord, RunOptions, RunOutput};
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

/// Runs `s` with `log` and returns the raw output.
pub fn run_with(s: &Scenario, log: &mut dyn RequestLog) -> RunOutput {
    sim::run(
        s,
        RunOptions {
            log: Some(log),
            progress: None,
            interleaved: false,
            general_path: false,
            threads: 1,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs with a request log; returns the summary and the requests sorted by id.
pub fn run_logged(s: &Scenario) -> (RunResult, Vec<Rec>) {
    let mut log = Collect::default();
    let out = run_with(s, &mut log);
    let mut recs = log.0;
    recs.sort_by_key(|r| r.request);
    (RunResult::new(s, &out), recs)
}

/// A 512-MB function `name` (0.1-s executions, 0.5-s cold starts, a fixed keep-alive of
/// `idle_s` or else the platform's) arriving at the times in `<name>.csv`.
pub fn memory_function(name: &str, idle_s: Option<u64>) -> String {
    let keep_alive = idle_s.map_or(String::new(), |s| {
        format!(r#""keep_alive": {{"policy": "fixed", "idle_s": {s}}},"#)
    });
    format!(
        r#"{{"name": "{name}", "runtime": "nodejs", "memory_mb": 512, {keep_alive}
          "exec_ms": {{"dist": "const", "value": 100}},
          "cold_start_ms": {{"dist": "const", "value": 500}},
          "workload": {{"kind": "timestamps", "path": "{name}.csv"}}}}"#
    )
}

/// A 10-s run `mem` of `functions` with `overrides` as its `platform_overrides` fields,
/// its files in `dir`.
pub fn memory_scenario(dir: &Path, overrides: &str, functions: &[String]) -> Scenario {
    scenario_in(
        &format!(
            r#"{{"name": "mem", "duration_s": 10, "platform_overrides": {{{overrides}}},
              "functions": [{}]}}"#,
            functions.join(", ")
        ),
        dir,
    )
}

/// One provisioned instance of `f` (ready at 0) and two 1-s requests at 1 s, with 0.1-s
/// cold starts and a 10-s keep-alive, on AWS Lambda for 60 s.
pub fn provisioned_and_a_spike_of_two() -> Scenario {
    scenario(
        r#"{"name": "provisioned", "duration_s": 60, "platform": "aws-lambda",
          "functions": [{"name": "f", "runtime": "nodejs",
            "keep_alive": {"policy": "fixed", "idle_s": 10},
            "exec_ms": {"dist": "const", "value": 1000},
            "cold_start_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "fixed", "count": 1},
            "workload": {"kind": "spike", "at_s": 1, "count": 2}}]}"#,
    )
}

/// One function `f` (0.1-s executions, then `fields`) in a run of `duration_s` whose
/// instances live at most `lifetime_s`.
pub fn lifetime_scenario(duration_s: f64, lifetime_s: u64, fields: &str) -> Scenario {
    scenario(&format!(
        r#"{{"name": "lifetime", "duration_s": {duration_s},
          "platform_overrides": {{"max_instance_lifetime_s": {lifetime_s}}},
          "functions": [{{"name": "f", "runtime": "nodejs",
            "exec_ms": {{"dist": "const", "value": 100}}, {fields}}}]}}"#
    ))
}

/// Runs `faassim run s.json --windows w.csv --window-s <width_s>` in `dir`.
pub fn run_with_windows(dir: &Path, width_s: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_faassim"))
        .current_dir(dir)
        .args(["run", "s.json", "--windows", "w.csv", "--window-s", width_s])
        .output()
        .unwrap()
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
