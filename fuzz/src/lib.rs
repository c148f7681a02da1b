//! The bodies of the fuzz targets, one function per target, over faassim's public API.
//!
//! Two builds use this file: the cargo-fuzz package in `fuzz/` (each `fuzz_targets/*.rs`
//! calls one function) and the integration test `tests/fuzz_corpus.rs`, which includes it
//! with `#[path]` and replays `fuzz/corpus/<target>/` and `fuzz/artifacts/<target>/`
//! through the same functions on the stable toolchain. So it uses nothing but `std`,
//! `serde_json` and `faassim`, and no crate-level attribute.
//!
//! Each returns whether the input was accepted (or the message refusing it). A target passes on an input when the parser returns `Ok` or an `Err` whose message is
//! one non-empty line; it fails by panicking (a crash for libFuzzer, a failed test for
//! `cargo test`). Hangs and huge allocations are libFuzzer's `-timeout` and `-rss_limit_mb`.
//!
//! The trace readers only read from paths, so the trace targets write the input to
//! temporary files and load a scenario whose `traces` section names them; the first byte
//! of the input chooses the section's options (see [`trace_options`]), the rest is the
//! file, or several files separated by the line [`SEPARATOR`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use faassim::rng::{Stream, stream};
use faassim::sim::{self, RunOptions};
use faassim::sweep::Experiment;
use faassim::workload::{TimestampReader, Workload};
use faassim::{RunResult, Scenario, SimTime};
use serde_json::{Value, json};

/// Splits an input into several files (Azure 2019's invocations, durations and memory;
/// Huawei's day files).
pub const SEPARATOR: &[u8] = b"\n#next-file\n";

/// The name errors give to the fuzzed scenario or experiment.
const ORIGIN: &str = "fuzz.json";

/// What a target made of an input: accepted, or refused with this message.
pub type Outcome = Result<(), String>;

/// A target's body.
pub type Target = fn(&[u8]) -> Outcome;

/// Every target, by the name of its `fuzz_targets/` file and corpus folder.
pub const TARGETS: &[(&str, Target)] = &[
    ("scenario", scenario),
    ("experiment", experiment),
    ("azure2019", azure2019),
    ("azure2021", azure2021),
    ("huawei2023", huawei2023),
    ("csv", csv),
    ("timestamps", timestamps),
];

/// The shipped experiments' folder: relative paths in a fuzzed scenario or experiment
/// resolve as they do for the seeds taken from it (`../workloads/...`, a `base` file).
pub fn experiments_dir() -> PathBuf {
    // The fuzz package's manifest is fuzz/Cargo.toml, the test's is the repository's.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if here.join("fuzz_targets").is_dir() {
        here.parent().unwrap_or(here)
    } else {
        here
    };
    root.join("experiments")
}

/// An error must be reported, not thrown: one non-empty line.
fn check_message(e: &faassim::Error) {
    let m = e.to_string();
    assert!(!m.trim().is_empty(), "empty error message: {e:?}");
    assert!(!m.contains('\n'), "error message of several lines:\n{m}");
}

/// A refused input: checks the message and returns it.
fn reject(e: &faassim::Error) -> Outcome {
    check_message(e);
    Err(e.to_string())
}

/// The scenario parser and validator; a scenario that parses is also run, with its
/// horizon cut to 10 ms, when its traffic is bounded (see [`run_short`]).
pub fn scenario(data: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(data);
    let dir = experiments_dir();
    match Scenario::from_str(&text, ORIGIN, &dir) {
        Err(e) => reject(&e),
        Ok(_) => {
            run_short(&text, &dir);
            Ok(())
        }
    }
}

/// The horizon of a fuzzed run.
const SHORT_S: f64 = 0.01;

/// Runs the scenario `text` (valid) with `duration_s` at most [`SHORT_S`] and no warm-up,
/// when every workload has a closed-form mean rate giving at most 100 arrivals in that
/// horizon and nothing else drives arrivals (no trace, queue, stream or workflow, no
/// timestamps file, spike or flash sale, whose counts the mean rate leaves out). A valid
/// scenario of 10^9 requests is not a defect, but it would stall the fuzzer.
fn run_short(text: &str, dir: &Path) {
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let duration = map
        .get("duration_s")
        .and_then(Value::as_f64)
        .unwrap_or(SHORT_S);
    map.insert("duration_s".into(), json!(duration.min(SHORT_S)));
    map.remove("warmup_s");
    let short = Value::Object(map).to_string();
    let s = match Scenario::from_str(&short, ORIGIN, dir) {
        Ok(s) => s,
        Err(e) => return check_message(&e),
    };
    if !bounded(&s) {
        return;
    }
    match sim::run(&s, RunOptions::default()) {
        Ok(out) => {
            let result = RunResult::new(&s, &out);
            assert!(
                result.total.invocations <= out.events,
                "more requests than events"
            );
        }
        Err(e) => check_message(&e),
    }
}

/// Whether a run of `s` is short (see [`run_short`]).
fn bounded(s: &Scenario) -> bool {
    fn steady(w: &Workload) -> bool {
        match w {
            Workload::Poisson { .. }
            | Workload::Constant { .. }
            | Workload::Mmpp(_)
            | Workload::Diurnal(_)
            | Workload::Hawkes(_)
            | Workload::Cron(_) => true,
            Workload::Sum(parts) => parts.iter().all(steady),
            Workload::Shift { workload, .. } => steady(workload),
            _ => false,
        }
    }
    if s.trace.is_some() || !s.sources.is_empty() || s.duration > SimTime::from_secs(SHORT_S) {
        return false;
    }
    let mut rate = 0.0;
    for f in &s.functions {
        if let Some(w) = &f.workload {
            if !steady(w) {
                return false;
            }
            rate += w.mean_rate_per_s().unwrap_or(f64::INFINITY);
        }
    }
    rate * SHORT_S <= 100.0
}

/// The experiment parser: the file, the base scenario and every point's scenario.
pub fn experiment(data: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(data);
    match Experiment::from_str(&text, ORIGIN, &experiments_dir()) {
        Ok(_) => Ok(()),
        Err(e) => reject(&e),
    }
}

/// Temporary files removed when dropped.
struct TempFiles(Vec<PathBuf>);

impl TempFiles {
    /// Writes each part to its own new file.
    fn write(parts: &[&[u8]]) -> TempFiles {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!("faassim-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the temporary folder");
        TempFiles(
            parts
                .iter()
                .map(|part| {
                    let n = NEXT.fetch_add(1, Ordering::Relaxed);
                    let path = dir.join(format!("input-{n}.csv"));
                    std::fs::write(&path, part).expect("write a temporary file");
                    path
                })
                .collect(),
        )
    }

    fn path(&self, i: usize) -> Value {
        json!(self.0[i].display().to_string())
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Up to `max` parts of `data`, split at [`SEPARATOR`] (the last part keeps any further
/// separators).
fn split(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < max {
        let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) else {
            break;
        };
        parts.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

/// The `traces` options chosen by the bits of `flags`, for `format`:
/// 1 lenient, 2 `group_by: app` (Azure formats), 4 `select.top: 3`, 8 a window of minutes
/// 1 to 30, 16 `spread: even` (per-minute formats), 32 `compress: 60`, 64
/// `replay_durations: false`, 128 no `exec_ms` in the template (Azure formats).
pub fn trace_options(format: &str, flags: u8) -> serde_json::Map<String, Value> {
    let azure = format.starts_with("azure");
    let per_minute = matches!(format, "azure2019" | "huawei2023");
    let mut o = serde_json::Map::new();
    o.insert("format".into(), json!(format));
    o.insert("lenient".into(), json!(flags & 1 != 0));
    if azure && flags & 2 != 0 {
        o.insert("group_by".into(), json!("app"));
    }
    if flags & 4 != 0 {
        o.insert("select".into(), json!({"top": 3}));
    }
    if flags & 8 != 0 {
        o.insert("window".into(), json!({"start_min": 1, "minutes": 30}));
    }
    if per_minute && flags & 16 != 0 {
        o.insert("spread".into(), json!("even"));
    }
    if flags & 32 != 0 {
        o.insert("compress".into(), json!(60));
    }
    o.insert("replay_durations".into(), json!(flags & 64 == 0));
    let mut template = json!({"runtime": "nodejs", "exec_ms": {"dist": "const", "value": 10}});
    if azure && flags & 128 != 0 {
        template
            .as_object_mut()
            .expect("an object")
            .remove("exec_ms");
    }
    o.insert("template".into(), template);
    o
}

/// Loads a scenario replaying `format` from `files` (already in the options as paths),
/// then draws the first arrivals of each generated function.
fn replay(traces: serde_json::Map<String, Value>) -> Outcome {
    let scenario = json!({"name": "fuzz", "duration_s": 86400, "traces": traces});
    let s = match Scenario::from_str(&scenario.to_string(), ORIGIN, Path::new(".")) {
        Ok(s) => s,
        Err(e) => return reject(&e),
    };
    // Arrival data are read whole when the scenario loads; the first arrivals exercise the
    // spreading of counts and the compression without replaying 10^18 invocations.
    for (i, f) in s.functions.iter().enumerate().take(64) {
        let Some(w) = &f.workload else { continue };
        let mut source = match w.start(stream(s.seed, i as u64, Stream::Arrivals)) {
            Ok(source) => source,
            Err(e) => return reject(&e),
        };
        let mut last = SimTime::ZERO;
        for _ in 0..1000 {
            match source.next_arrival() {
                Ok(Some(t)) => {
                    assert!(t >= last, "arrivals out of order: {t:?} after {last:?}");
                    last = t;
                }
                Ok(None) => break,
                Err(e) => return reject(&e),
            }
        }
    }
    Ok(())
}

/// The options byte and the file bytes of a trace target's input.
fn options_and_files(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&flags, rest)) => (flags, rest),
        None => (0, data),
    }
}

/// Azure 2019: invocations, then durations and memory files when present.
pub fn azure2019(data: &[u8]) -> Outcome {
    let (flags, rest) = options_and_files(data);
    let parts = split(rest, 3);
    let files = TempFiles::write(&parts);
    let mut o = trace_options("azure2019", flags);
    o.insert("invocations".into(), files.path(0));
    if parts.len() > 1 {
        o.insert("durations".into(), files.path(1));
    }
    if parts.len() > 2 {
        o.insert("memory".into(), files.path(2));
    }
    replay(o)
}

/// Azure 2021: one file of invocations.
pub fn azure2021(data: &[u8]) -> Outcome {
    let (flags, rest) = options_and_files(data);
    let files = TempFiles::write(&[rest]);
    let mut o = trace_options("azure2021", flags);
    o.insert("invocations".into(), files.path(0));
    replay(o)
}

/// Huawei 2023: one or two day files.
pub fn huawei2023(data: &[u8]) -> Outcome {
    let (flags, rest) = options_and_files(data);
    let parts = split(rest, 2);
    let files = TempFiles::write(&parts);
    let mut o = trace_options("huawei2023", flags);
    let paths: Vec<Value> = (0..parts.len()).map(|i| files.path(i)).collect();
    o.insert("invocations".into(), Value::Array(paths));
    replay(o)
}

/// The generic CSV of arrivals (`timestamp[,function][,duration_ms]`).
pub fn csv(data: &[u8]) -> Outcome {
    let (flags, rest) = options_and_files(data);
    let files = TempFiles::write(&[rest]);
    let mut o = trace_options("csv", flags);
    o.insert("invocations".into(), files.path(0));
    replay(o)
}

/// A `timestamps` workload's file, read through to its end or its first error.
pub fn timestamps(data: &[u8]) -> Outcome {
    let files = TempFiles::write(&[data]);
    let mut reader = match TimestampReader::open(&files.0[0]) {
        Ok(r) => r,
        Err(e) => return reject(&e),
    };
    let mut last = SimTime::ZERO;
    loop {
        match reader.next_time() {
            Ok(Some(t)) => {
                assert!(t >= last, "times out of order: {t:?} after {last:?}");
                last = t;
            }
            Ok(None) => return Ok(()),
            Err(e) => return reject(&e),
        }
    }
}
