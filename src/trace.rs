//! Replaying public FaaS traces: a scenario's `traces` section.
//!
//! This module owns the readers of the public trace formats, the section as written
//! ([`TraceSpec`], checked on its own fields) and the arrival data a replay runs from
//! ([`TraceWorkload`], [`TraceSource`]). `read` streams the files row by row and returns
//! one unit per trace function (or per application with `group_by: app`), with its
//! arrivals and, when the trace has them, its execution times and memory; turning those
//! into functions from the section's `template` is [`crate::config`]'s job. The simulator
//! itself knows nothing of traces.
//!
//! | `format` | files | arrivals | execution time | memory |
//! |---|---|---|---|---|
//! | `azure2019` | `invocations_per_function_md.anon.dNN.csv` (one or more days), `function_durations_percentiles.anon.dNN.csv`, `app_memory_percentiles.anon.dNN.csv` | per-minute counts, spread in the minute | the function's percentile table | the app's, split evenly among its functions |
//! | `azure2021` | `AzureFunctionsInvocationTraceForTwoWeeksJan2021` (`app,func,end_timestamp,duration`) | `end_timestamp − duration` | percentiles of the function's durations | template |
//! | `huawei2023` | `requests_minute/day_NN.csv` (`day,time,<function ids>`) | per-minute counts | template | template |
//! | `csv` | `timestamp[,function][,duration_ms]` | the timestamps | percentiles of `duration_ms`, else template | template |
//!
//! Memory: per-minute formats keep, per replayed function, a run-length encoding of its
//! non-zero minutes (`counts.rs`), so memory grows with the number of functions and their
//! distinct runs, not with the number of invocations; per-invocation formats keep about five
//! bytes per arrival in the window (they must be sorted by arrival time, and the files are
//! sorted by end time). The design notes are in `docs/design.md`, "Trace replay".

mod azure2019;
mod cache;
mod counts;
pub(crate) mod csv;
mod huawei;
mod ids;
mod invocations;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use cache::TraceCache;
pub use counts::{MinuteCounts, Spread, TimeList, TraceData, TraceSource, TraceWorkload};

use crate::config::check;
use crate::dist::Dist;
use crate::error::{FieldError, Result};
use crate::rng::SimRng;

/// Minutes in a day, the length of an Azure 2019 / Huawei day file.
const DAY_MIN: u64 = 1440;

/// Which public trace format the files are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceFormat {
    /// Azure Functions 2019: invocations per function per minute, duration percentiles,
    /// app memory percentiles.
    Azure2019,
    /// Azure Functions 2021: one row per invocation (`app, func, end_timestamp, duration`).
    Azure2021,
    /// Huawei Cloud 2023 public: requests per minute, one column per function.
    Huawei2023,
    /// Generic CSV: `timestamp[,function][,duration_ms]`, with or without a header.
    Csv,
}

impl TraceFormat {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TraceFormat::Azure2019 => "azure2019",
            TraceFormat::Azure2021 => "azure2021",
            TraceFormat::Huawei2023 => "huawei2023",
            TraceFormat::Csv => "csv",
        }
    }
}

/// One path or several.
// Deserialize by hand: serde's untagged enums say only "data did not match any variant".
#[derive(Debug, Clone, PartialEq)]
pub enum Paths {
    /// A single file.
    One(PathBuf),
    /// Several files, in time order (consecutive days).
    Many(Vec<PathBuf>),
}

impl<'de> Deserialize<'de> for Paths {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(p) => Ok(Paths::One(p.into())),
            list @ Value::Array(_) => {
                crate::json::variant::<Vec<PathBuf>, D::Error>(list).map(Paths::Many)
            }
            other => Err(serde::de::Error::custom(format!(
                "expected a file path or a list of file paths, got {}",
                crate::json::kind_of(&other)
            ))),
        }
    }
}

/// Which functions to replay.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SelectSpec {
    /// The N functions (or apps) with the most invocations in the window.
    pub top: Option<usize>,
    /// N functions (or apps) drawn uniformly without replacement.
    pub sample: Option<usize>,
    /// Seed of the `sample` draw (default 0; independent of the scenario seed, so
    /// replications replay the same functions).
    #[serde(default)]
    pub seed: u64,
    /// Keep only functions with these triggers (Azure 2019: http, timer, event, queue,
    /// storage, orchestration, others).
    pub trigger: Option<Vec<String>>,
}

/// The part of the trace to replay, in trace minutes from the start of the first file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// First minute (default 0).
    pub start_min: Option<u64>,
    /// First day (adds 1,440 minutes each; default 0).
    pub start_day: Option<u64>,
    /// Length in minutes (default: to the end of the files).
    pub minutes: Option<u64>,
    /// Length in days.
    pub days: Option<u64>,
}

/// How trace functions become simulated functions.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One simulated function per trace function (instances are per function, as on AWS
    /// Lambda).
    #[default]
    Function,
    /// One per application: its functions share instances, as Azure Functions allocates
    /// per app. Execution time is the mixture of the functions' tables weighted by their
    /// invocations.
    App,
}

/// Which column of the Azure 2019 app memory file becomes memory.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MemoryStat {
    /// `AverageAllocatedMb` (the default).
    #[default]
    Average,
    /// `AverageAllocatedMb_pct1`.
    P1,
    /// `AverageAllocatedMb_pct5`.
    P5,
    /// `AverageAllocatedMb_pct25`.
    P25,
    /// `AverageAllocatedMb_pct50`.
    P50,
    /// `AverageAllocatedMb_pct75`.
    P75,
    /// `AverageAllocatedMb_pct95`.
    P95,
    /// `AverageAllocatedMb_pct99`.
    P99,
    /// `AverageAllocatedMb_pct100`.
    P100,
}

fn yes() -> bool {
    true
}

fn one() -> f64 {
    1.0
}

/// A scenario's `traces` section, as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// The file format.
    pub format: TraceFormat,
    /// The invocation (request) file or files, in time order. Relative paths start from
    /// the scenario file's folder.
    pub invocations: Paths,
    /// Azure 2019: the duration percentiles file.
    #[serde(default)]
    pub durations: Option<PathBuf>,
    /// Azure 2019: the app memory percentiles file.
    #[serde(default)]
    pub memory: Option<PathBuf>,
    /// Which functions to replay (default: all with an invocation in the window).
    #[serde(default)]
    pub select: SelectSpec,
    /// The part of the trace to replay (default: all of it).
    #[serde(default)]
    pub window: WindowSpec,
    /// Placement of a minute's invocations inside it (per-minute formats).
    #[serde(default)]
    pub spread: Spread,
    /// Time compression: 24 replays a day in an hour (default 1).
    #[serde(default = "one")]
    pub compress: f64,
    /// Rate amplification: counts × this (default 1).
    #[serde(default = "one")]
    pub amplify: f64,
    /// One simulated function per trace function or per application.
    #[serde(default)]
    pub group_by: GroupBy,
    /// Skip and count malformed rows instead of stopping at the first.
    #[serde(default)]
    pub lenient: bool,
    /// Azure 2019: which memory column to use.
    #[serde(default)]
    pub memory_stat: MemoryStat,
    /// Per-invocation traces with durations (Azure 2021, CSV with `duration_ms`): each
    /// request executes for its own recorded duration (default true); false samples from
    /// the function's duration table instead.
    #[serde(default = "yes")]
    pub replay_durations: bool,
    /// Function fields applied to every generated function (`runtime` is required;
    /// `exec_ms` is the fallback for functions without durations; `memory_mb` the fallback
    /// without memory data). `name` and `workload` come from the trace.
    pub template: Value,
}

/// What loading a trace did: reported by the CLI and in run results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TraceReport {
    /// The format.
    pub format: &'static str,
    /// Data rows read (all files, all passes counted once).
    pub rows: u64,
    /// Malformed rows skipped (lenient mode).
    pub skipped_rows: u64,
    /// The first few skipped rows' errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_examples: Vec<String>,
    /// Functions (or apps) with at least one invocation in the window, after the trigger
    /// filter.
    pub candidates: u64,
    /// Simulated functions generated.
    pub functions: u64,
    /// Selected functions without execution-time data: they use the template's `exec_ms`,
    /// or are left out when it has none.
    pub without_durations: u64,
    /// Of those, left out.
    pub dropped: u64,
    /// Functions whose trace memory was outside the platform's range and was clamped.
    pub memory_clamped: u64,
    /// Invocations of the generated functions in the window, before amplification.
    pub invocations: u64,
    /// The trace's time range in trace minutes (from the start of the first file to the
    /// end of the last, or from the first arrival to the last), when known: for the message
    /// about a window that misses it. Not part of the results.
    #[serde(skip)]
    pub span_min: Option<(f64, f64)>,
}

/// Validated options, shared by the readers.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) durations: Option<PathBuf>,
    pub(crate) memory: Option<PathBuf>,
    /// Window start, trace minutes.
    pub(crate) start_min: u64,
    /// Window end (exclusive), trace minutes.
    pub(crate) end_min: u64,
    pub(crate) select: SelectSpec,
    pub(crate) by_app: bool,
    pub(crate) memory_stat: MemoryStat,
    /// Replay each invocation's own duration (per-invocation formats).
    pub(crate) replay_durations: bool,
}

impl Plan {
    /// The window-relative minute of trace minute `m`, if inside the window.
    #[inline]
    pub(crate) fn window_minute(&self, m: u64) -> Option<u64> {
        (m >= self.start_min && m < self.end_min).then(|| m - self.start_min)
    }

    /// Whether top-N or sampling needs a first pass to rank functions.
    pub(crate) fn ranks(&self) -> bool {
        self.select.top.is_some() || self.select.sample.is_some()
    }

    /// Whether `trigger` passes the trigger filter.
    pub(crate) fn trigger_ok(&self, trigger: &str) -> bool {
        self.select
            .trigger
            .as_ref()
            .is_none_or(|ts| ts.iter().any(|t| t == trigger))
    }
}

/// One trace function (or app) as read, before it becomes a [`crate::model::Function`].
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// Name in results (unique).
    pub(crate) name: String,
    /// Arrivals in the window (shared by every scenario built from the same read).
    pub(crate) data: Arc<TraceData>,
    /// Execution time from the trace, if any.
    pub(crate) exec: Option<Dist>,
    /// Memory from the trace, MB, if any.
    pub(crate) memory_mb: Option<f64>,
}

impl Unit {
    /// Invocations in the window.
    pub(crate) fn invocations(&self) -> u64 {
        match &*self.data {
            TraceData::Minutes(m) => m.total(),
            TraceData::Times(t) => t.len(),
        }
    }
}

/// The first pass of `top` / `sample`: invocations in the window per unit key (a function,
/// an app or a column), keys in file order.
#[derive(Debug, Default)]
pub(crate) struct Ranking {
    index: ids::IdMap<String, usize>,
    keys: Vec<String>,
    totals: Vec<u64>,
}

impl Ranking {
    /// Adds `n` invocations to `key` (a key seen for the first time joins at the end).
    pub(crate) fn add(&mut self, key: &str, n: u64) {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.to_owned(), self.totals.len());
                self.keys.push(key.to_owned());
                self.totals.push(0);
                self.totals.len() - 1
            }
        };
        self.totals[i] += n;
    }

    /// Every key's total, in file order.
    pub(crate) fn totals(&self) -> &[u64] {
        &self.totals
    }

    /// The keys `select` picks, each with its rank (its place in the selection).
    pub(crate) fn select(mut self, select: &SelectSpec) -> ids::IdMap<String, usize> {
        choose(select, &self.totals)
            .iter()
            .enumerate()
            .map(|(rank, &i)| (std::mem::take(&mut self.keys[i]), rank))
            .collect()
    }
}

/// Picks among candidates (by index, with their invocation totals, in file order): all of
/// them, the top N (most invocations first, ties in file order), or a seeded uniform sample
/// of N (in file order). Candidates with no invocation are never picked.
pub(crate) fn choose(select: &SelectSpec, totals: &[u64]) -> Vec<usize> {
    let live: Vec<usize> = (0..totals.len()).filter(|&i| totals[i] > 0).collect();
    if let Some(n) = select.top {
        let mut order = live;
        order.sort_by_key(|&i| (std::cmp::Reverse(totals[i]), i));
        order.truncate(n);
        order
    } else if let Some(n) = select.sample {
        let mut pool = live;
        let n = n.min(pool.len());
        let mut rng = SimRng::seed_from_u64(select.seed);
        // Partial Fisher–Yates: the first n places hold a uniform sample.
        for i in 0..n {
            let j = rand::RngExt::random_range(&mut rng, i..pool.len());
            pool.swap(i, j);
        }
        pool.truncate(n);
        pool.sort_unstable();
        pool
    } else {
        live
    }
}

/// A short, readable name: the first 8 characters of each hash.
pub(crate) fn short(hash: &str) -> &str {
    let end = hash.char_indices().nth(8).map_or(hash.len(), |(i, _)| i);
    &hash[..end]
}

/// Makes `name` unique among `taken` by appending `#2`, `#3`, ...
pub(crate) fn unique_name(name: String, taken: &mut HashSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    let mut k = 2;
    loop {
        let candidate = format!("{name}#{k}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        k += 1;
    }
}

/// A percentile table from sorted samples (ms): the value at every whole percent, by
/// linear interpolation between order statistics.
pub(crate) fn percentile_table(sorted: &[f64]) -> Dist {
    let n = sorted.len();
    let points = (0..=100)
        .map(|p| {
            let pos = p as f64 / 100.0 * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let v = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64);
            (p as f64 / 100.0, v)
        })
        .collect();
    Dist::Percentiles(points)
}

fn field_err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(format!("traces.{field}"), message)
}

impl TraceSpec {
    /// Checks that every file named can be opened, naming the field of one that cannot (the
    /// readers open them later, where the field is not known).
    pub(crate) fn check_files(&self, base_dir: &Path) -> Result<(), FieldError> {
        let files: Vec<PathBuf> = match &self.invocations {
            Paths::One(p) => vec![base_dir.join(p)],
            Paths::Many(ps) => ps.iter().map(|p| base_dir.join(p)).collect(),
        };
        let many = matches!(self.invocations, Paths::Many(_));
        let named = files.iter().enumerate().map(|(i, f)| {
            let field = if many {
                format!("invocations[{i}]")
            } else {
                "invocations".to_owned()
            };
            (field, f.clone())
        });
        let extra = [("durations", &self.durations), ("memory", &self.memory)]
            .into_iter()
            .filter_map(|(field, p)| Some((field.to_owned(), base_dir.join(p.as_ref()?))));
        for (field, path) in named.chain(extra) {
            if let Err(e) = std::fs::File::open(&path) {
                return Err(field_err(
                    &field,
                    format!("cannot read {}: {e}", path.display()),
                ));
            }
        }
        Ok(())
    }

    /// Checks the options and resolves the paths against `base_dir`.
    pub(crate) fn plan(&self, base_dir: &Path) -> Result<Plan, FieldError> {
        let files: Vec<PathBuf> = match &self.invocations {
            Paths::One(p) => vec![base_dir.join(p)],
            Paths::Many(ps) => ps.iter().map(|p| base_dir.join(p)).collect(),
        };
        if files.is_empty() {
            return Err(field_err("invocations", "expected at least one file"));
        }
        let per_minute = matches!(
            self.format,
            TraceFormat::Azure2019 | TraceFormat::Huawei2023
        );
        if files.len() > 1 && !per_minute {
            return Err(field_err(
                "invocations",
                format!(
                    "expected one file for format {} (several day files are for azure2019 and huawei2023)",
                    self.format.name()
                ),
            ));
        }
        if self.format != TraceFormat::Azure2019 {
            for (field, given) in [
                ("durations", self.durations.is_some()),
                ("memory", self.memory.is_some()),
            ] {
                if given {
                    return Err(field_err(
                        field,
                        format!("only azure2019 has a separate {field} file"),
                    ));
                }
            }
            if self.select.trigger.is_some() {
                return Err(field_err(
                    "select.trigger",
                    format!("format {} has no trigger column", self.format.name()),
                ));
            }
        }
        if self.group_by == GroupBy::App
            && matches!(self.format, TraceFormat::Huawei2023 | TraceFormat::Csv)
        {
            return Err(field_err(
                "group_by",
                format!(
                    "format {} has no applications; use `function`",
                    self.format.name()
                ),
            ));
        }
        if !per_minute && self.spread != Spread::Uniform {
            return Err(field_err(
                "spread",
                format!(
                    "format {} has arrival times, not counts per minute: there is nothing to spread",
                    self.format.name()
                ),
            ));
        }
        let s = &self.select;
        if s.top.is_some() && s.sample.is_some() {
            return Err(field_err(
                "select",
                "expected at most one of `top` and `sample`",
            ));
        }
        if s.top == Some(0) || s.sample == Some(0) {
            return Err(field_err("select", "expected at least 1 function"));
        }
        if s.trigger.as_ref().is_some_and(Vec::is_empty) {
            return Err(field_err("select.trigger", "expected at least one trigger"));
        }
        let w = &self.window;
        if w.minutes.is_some() && w.days.is_some() {
            return Err(field_err(
                "window",
                "expected at most one of `minutes` and `days`",
            ));
        }
        let start_min = w.start_min.unwrap_or(0) + w.start_day.unwrap_or(0) * DAY_MIN;
        let length = w.minutes.or(w.days.map(|d| d * DAY_MIN));
        if length == Some(0) {
            return Err(field_err(
                "window",
                "expected a window of at least 1 minute",
            ));
        }
        let end_min = length.map_or(u64::MAX, |l| start_min.saturating_add(l));
        for (field, v) in [("compress", self.compress), ("amplify", self.amplify)] {
            check::positive(v, format!("traces.{field}"), "a factor")?;
        }
        Ok(Plan {
            files,
            durations: self.durations.as_ref().map(|p| base_dir.join(p)),
            memory: self.memory.as_ref().map(|p| base_dir.join(p)),
            start_min,
            end_min,
            select: self.select.clone(),
            by_app: self.group_by == GroupBy::App,
            memory_stat: self.memory_stat,
            replay_durations: self.replay_durations,
        })
    }
}

/// Reads the trace files of `spec` as `plan` says, and returns one unit per replayed
/// function (or app) with a report of what was read. `taken` holds the names already in
/// use (generated names avoid them).
pub(crate) fn read(
    spec: &TraceSpec,
    plan: &Plan,
    taken: &mut HashSet<String>,
) -> Result<(Vec<Unit>, TraceReport)> {
    let mut skips = csv::Skips {
        lenient: spec.lenient,
        ..csv::Skips::default()
    };
    let mut report = TraceReport {
        format: spec.format.name(),
        ..TraceReport::default()
    };
    let units = match spec.format {
        TraceFormat::Azure2019 => azure2019::load(plan, &mut skips, &mut report, taken)?,
        TraceFormat::Huawei2023 => huawei::load(plan, &mut skips, &mut report, taken)?,
        TraceFormat::Azure2021 => invocations::load(
            invocations::Kind::Azure2021,
            plan,
            &mut skips,
            &mut report,
            taken,
        )?,
        TraceFormat::Csv => invocations::load(
            invocations::Kind::Generic,
            plan,
            &mut skips,
            &mut report,
            taken,
        )?,
    };
    if spec.format == TraceFormat::Azure2019 {
        // Day files: each covers 1,440 minutes, whether read or skipped.
        report.span_min = Some((0.0, (plan.files.len() as u64 * DAY_MIN) as f64));
    }
    report.skipped_rows = skips.count;
    report.skipped_examples = skips.examples;
    Ok((units, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_top_and_sample() {
        let totals = [5, 0, 9, 5, 1];
        let all = SelectSpec::default();
        assert_eq!(choose(&all, &totals), [0, 2, 3, 4]);
        let top = SelectSpec {
            top: Some(3),
            ..SelectSpec::default()
        };
        assert_eq!(choose(&top, &totals), [2, 0, 3]);
        let sample = SelectSpec {
            sample: Some(2),
            seed: 7,
            ..SelectSpec::default()
        };
        let a = choose(&sample, &totals);
        assert_eq!(a, choose(&sample, &totals), "same seed, same sample");
        assert_eq!(a.len(), 2);
        assert!(a.iter().all(|&i| totals[i] > 0));
    }

    #[test]
    fn ranking_sums_per_key_and_ranks_the_selection() {
        let mut r = Ranking::default();
        for (key, n) in [("a", 2), ("b", 0), ("c", 4), ("a", 3), ("d", 1)] {
            r.add(key, n);
        }
        assert_eq!(r.totals(), [5, 0, 4, 1]);
        let top = SelectSpec {
            top: Some(2),
            ..SelectSpec::default()
        };
        let chosen = r.select(&top);
        assert_eq!(chosen.len(), 2);
        assert_eq!(chosen["a"], 0);
        assert_eq!(chosen["c"], 1);
    }

    #[test]
    fn percentile_table_interpolates() {
        let Dist::Percentiles(p) = percentile_table(&[10.0, 20.0, 30.0]) else {
            panic!()
        };
        assert_eq!(p.len(), 101);
        assert_eq!(p[0], (0.0, 10.0));
        assert_eq!(p[50], (0.5, 20.0));
        assert_eq!(p[100], (1.0, 30.0));
        assert!((p[25].1 - 15.0).abs() < 1e-12);
    }
}
