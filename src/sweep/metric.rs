//! The headline metrics of a sweep: the columns of `results.csv` (and their mean and
//! confidence interval in `summary.csv`), each a typed read of the run's total.
//!
//! Each metric is a name and a function of the total's [`Summary`], so a misspelt field is
//! a compile error rather than a silently empty column. The value keeps its kind: counts
//! stay integers and measures stay floating point, exactly as the run's JSON result
//! writes them, so a row holds the same number as that result.

use serde_json::Value;

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

/// One headline metric: a column name and how to read it from a run's total.
#[derive(Clone, Copy)]
pub struct Metric {
    /// The column name in `results.csv` (`_mean` and `_ci95` are appended in
    /// `summary.csv`).
    pub name: &'static str,
    /// The value in a run's total, `None` when the run has none (no events, say).
    read: fn(&Summary) -> Option<MetricValue>,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("name", &self.name).finish()
    }
}

impl Metric {
    /// The metric's value in `result`'s total.
    pub fn value(&self, result: &RunResult) -> Option<MetricValue> {
        (self.read)(&result.total)
    }

    /// The value as a result row stores it: a JSON number, or null when absent.
    pub fn json(&self, result: &RunResult) -> Value {
        self.value(result).map_or(Value::Null, Value::from)
    }
}

/// One metric: `metric!(Count | Real, "name", |s| value)`, where the value read from the
/// total `s: &Summary` is a number or an `Option` of one.
macro_rules! metric {
    ($kind:ident, $name:literal, |$s:ident| $read:expr) => {
        Metric {
            name: $name,
            read: |$s: &Summary| Option::from($read).map(MetricValue::$kind),
        }
    };
}

/// The headline metrics, in column order. Adding a column is adding a line here (and to
/// the list in `docs/sweeps.md`).
pub const METRICS: [Metric; 22] = [
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
];
