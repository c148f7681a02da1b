//! A run's functions one by one: the table each row of `results.jsonl` carries
//! ([`FunctionRow`], [`table`]), and the distribution across functions that the `fn_*`
//! metrics read ([`across`]).
//!
//! Policy studies look at how a policy treats the population of functions: Shahrad et al.
//! ("Serverless in the Wild", ATC'20) compare keep-alive policies by the distribution of
//! the per-application cold-start percentage; Fuerst & Sharma ("FaasCache", ASPLOS'21)
//! evaluate them on traces of many functions. A run's total weighs requests, so a few busy
//! functions hide what happens to the many rare ones; these figures weigh each function
//! once.
//!
//! A distribution covers the functions with at least one invocation in the measured
//! period ([`measured`]), each once, and of those the ones that have the figure (a function
//! whose every request was throttled has no cold-start ratio and no latency); its
//! percentiles are nearest-rank ([`nearest_rank`]).

use serde::{Deserialize, Serialize};

use super::stats::nearest_rank;
use crate::report::{RunResult, SloSummary, Summary};

/// One function's headline figures in one run: an entry of a row's `functions` list, read
/// from the function's summary in the run's result (`docs/results.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionRow {
    /// The function's name.
    pub name: String,
    /// `invocations`: requests that arrived in the measured period.
    pub invocations: u64,
    /// `cold_starts`.
    pub cold_starts: u64,
    /// `cold_start_ratio`; null when nothing was served.
    pub cold_start_ratio: Option<f64>,
    /// `instances.idle_gb_s`: idle instance memory-time, GB-seconds.
    pub idle_gb_s: f64,
    /// `latency_ms.p99`; null when nothing was served.
    pub latency_p99_ms: Option<f64>,
    /// `slo`: the requests over the latency objective (left out without `slo_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<SloSummary>,
}

impl FunctionRow {
    /// The row of function `name` with summary `s`.
    pub fn new(name: &str, s: &Summary) -> FunctionRow {
        FunctionRow {
            name: name.to_owned(),
            invocations: s.invocations,
            cold_starts: s.cold_starts,
            cold_start_ratio: s.cold_start_ratio,
            idle_gb_s: s.instances.idle_gb_s,
            latency_p99_ms: s.latency_ms.p99,
            slo: s.slo,
        }
    }
}

/// Every function of `result`, in scenario order (measured or not).
pub fn table(result: &RunResult) -> Vec<FunctionRow> {
    result
        .functions
        .iter()
        .map(|(name, s)| FunctionRow::new(name, s))
        .collect()
}

/// The functions a distribution across functions covers: those with at least one
/// invocation in the measured period.
pub fn measured(functions: &[(String, Summary)]) -> impl Iterator<Item = &Summary> {
    functions
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.invocations > 0)
}

/// How many functions [`measured`] covers.
pub fn measured_count(functions: &[(String, Summary)]) -> u64 {
    measured(functions).count() as u64
}

/// The `pct`-th percentile (nearest rank) of `value` across the measured functions that
/// have one; `None` when none has.
pub fn across(
    functions: &[(String, Summary)],
    pct: u32,
    value: fn(&Summary) -> Option<f64>,
) -> Option<f64> {
    let values: Vec<f64> = measured(functions).filter_map(value).collect();
    nearest_rank(&values, pct)
}

/// A function's cold-start percentage: 100 × `cold_start_ratio`.
pub fn cold_start_pct(s: &Summary) -> Option<f64> {
    s.cold_start_ratio.map(|r| 100.0 * r)
}

/// A function's idle instance memory-time, GB-seconds (`instances.idle_gb_s`).
pub fn idle_gb_s(s: &Summary) -> Option<f64> {
    Some(s.instances.idle_gb_s)
}

/// A function's 99th-percentile response time, ms (`latency_ms.p99`).
pub fn latency_p99_ms(s: &Summary) -> Option<f64> {
    s.latency_ms.p99
}
