//! The headline metrics of a sweep: the columns of `results.csv` (and their mean and
//! confidence interval in `summary.csv`), each a typed read of the run's total or, for the
//! `fn_*` columns, a statistic across the run's functions.
//!
//! Each metric is a name and a function of the total's [`Summary`] (or of the functions'
//! summaries), so a misspelt field is a compile error rather than a silently empty column.
//! The value keeps its kind: counts stay integers and measures stay floating point, exactly
//! as the run's JSON result writes them, so a row holds the same number as that result.

use serde_json::Value;

use super::functions::{across, cold_start_pct, idle_gb_s, latency_p99_ms, measured_count};
use crate::report::{RunResult, Summary};

/// A metric's value in one run: a count or a measure (time, ratio, money).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    /// A count of requests, events or instances.
    Count(u64),
    /// A measured quantity.
    Real(f64),
}

impl From<MetricValue> for Value {
    /// As the JSON result writes it: a non-finite measure is null.
    fn from(v: MetricValue) -> Value {
        match v {
            MetricValue::Count(n) => Value::from(n),
            MetricValue::Real(x) => Value::from(x),
        }
    }
}

/// What a metric reads in a run's result.
#[derive(Clone, Copy)]
enum Read {
    /// A figure of the run's total.
    Total(fn(&Summary) -> Option<MetricValue>),
    /// A statistic across the run's functions (their summaries, in scenario order).
    Functions(fn(&[(String, Summary)]) -> Option<MetricValue>),
}

/// One headline metric: a column name and how to read it from a run's result.
#[derive(Clone, Copy)]
pub struct Metric {
    /// The column name in `results.csv` (`_mean` and `_ci95` are appended in
    /// `summary.csv`).
    pub name: &'static str,
    /// The value in a run, `None` when the run has none (no events, say).
    read: Read,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("name", &self.name).finish()
    }
}

impl Metric {
    /// The metric's value in `result`.
    pub fn value(&self, result: &RunResult) -> Option<MetricValue> {
        match self.read {
            Read::Total(read) => read(&result.total),
            Read::Functions(read) => read(&result.functions),
        }
    }

    /// Whether the metric is a statistic across the functions (a `fn_*` column) rather
    /// than a figure of the run's total.
    pub fn across_functions(&self) -> bool {
        matches!(self.read, Read::Functions(_))
    }

    /// The value as a result row stores it: a JSON number, or null when absent.
    pub fn json(&self, result: &RunResult) -> Value {
        self.value(result).map_or(Value::Null, Value::from)
    }
}

/// One metric of the total: `metric!(Count | Real, "name", |s| value)`, where the value
/// read from the total `s: &Summary` is a number or an `Option` of one.
macro_rules! metric {
    ($kind:ident, $name:literal, |$s:ident| $read:expr) => {
        Metric {
            name: $name,
            read: Read::Total(|$s: &Summary| Option::from($read).map(MetricValue::$kind)),
        }
    };
}

/// One statistic across functions: `across_functions!("name", pct, figure)` is the
/// `pct`-th percentile (nearest rank) of `figure(&Summary) -> Option<f64>` across the
/// measured functions ([`across`]).
macro_rules! across_functions {
    ($name:literal, $pct:literal, $figure:path) => {
        Metric {
            name: $name,
            read: Read::Functions(|fs| across(fs, $pct, $figure).map(MetricValue::Real)),
        }
    };
}

/// The headline metrics, in column order. Adding a column is adding a line here (and to
/// the list in `docs/sweeps.md`); new columns go at the end, so that the order of the
/// existing ones never changes.
pub const METRICS: [Metric; 36] = [
    metric!(Count, "invocations", |s| s.invocations),
    metric!(Count, "cold_starts", |s| s.cold_starts),
    metric!(Real, "cold_start_ratio", |s| s.cold_start_ratio),
    metric!(Count, "throttled", |s| s.throttled),
    metric!(Real, "throttle_ratio", |s| s.throttle_ratio),
    metric!(Count, "throttled_scale_out", |s| s
        .throttle_causes
        .scale_out),
    metric!(Count, "errors", |s| s.errors),
    metric!(Count, "timeouts", |s| s.timeouts),
    metric!(Count, "dead_lettered", |s| s
        .events
        .as_ref()
        .map(|e| e.dead_lettered)),
    metric!(Real, "latency_mean_ms", |s| s.latency_ms.mean),
    metric!(Real, "latency_p50_ms", |s| s.latency_ms.p50),
    metric!(Real, "latency_p90_ms", |s| s.latency_ms.p90),
    metric!(Real, "latency_p99_ms", |s| s.latency_ms.p99),
    metric!(Real, "latency_p999_ms", |s| s.latency_ms.p999),
    metric!(Real, "instances_mean", |s| s.instances.mean_total),
    metric!(Real, "idle_gb_s", |s| s.instances.idle_gb_s),
    metric!(Real, "provisioned_utilisation", |s| s
        .provisioned
        .as_ref()
        .and_then(|p| p.utilisation)),
    metric!(Count, "provisioned_spillover", |s| s
        .provisioned
        .as_ref()
        .map(|p| p.spillover)),
    metric!(Real, "cost_usd", |s| s.cost_usd.total),
    metric!(Real, "cost_provisioned_usd", |s| s.cost_usd.provisioned),
    metric!(Real, "cost_warmers_usd", |s| s.cost_usd.warmers),
    metric!(Real, "fleet_usd", |s| s.cost_usd.always_on_fleet.usd),
    metric!(Real, "cold_latency_p50_ms", |s| s.cold_latency_ms.p50),
    metric!(Real, "cold_latency_p99_ms", |s| s.cold_latency_ms.p99),
    metric!(Count, "slo_over", |s| s.slo.map(|o| o.over)),
    metric!(Real, "slo_over_ratio", |s| s.slo.and_then(|o| o.over_ratio)),
    // The distribution across functions: how many are measured, then the median, 75th
    // and 90th percentile (nearest rank) of three per-function figures.
    Metric {
        name: "fn_measured",
        read: Read::Functions(|fs| Some(MetricValue::Count(measured_count(fs)))),
    },
    across_functions!("fn_cold_start_pct_p50", 50, cold_start_pct),
    across_functions!("fn_cold_start_pct_p75", 75, cold_start_pct),
    across_functions!("fn_cold_start_pct_p90", 90, cold_start_pct),
    across_functions!("fn_idle_gb_s_p50", 50, idle_gb_s),
    across_functions!("fn_idle_gb_s_p75", 75, idle_gb_s),
    across_functions!("fn_idle_gb_s_p90", 90, idle_gb_s),
    across_functions!("fn_latency_p99_ms_p50", 50, latency_p99_ms),
    across_functions!("fn_latency_p99_ms_p75", 75, latency_p99_ms),
    across_functions!("fn_latency_p99_ms_p90", 90, latency_p99_ms),
];
