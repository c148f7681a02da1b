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

/// A count column.
macro_rules! count {
    ($name:literal, $read:expr) => {
        Metric {
            name: $name,
            read: |s: &Summary| Option::<u64>::from($read(s)).map(MetricValue::Count),
        }
    };
}

/// A measure column.
macro_rules! real {
    ($name:literal, $read:expr) => {
        Metric {
            name: $name,
            read: |s: &Summary| Option::<f64>::from($read(s)).map(MetricValue::Real),
        }
    };
}

/// The headline metrics, in column order. Adding a column is adding a line here (and to
/// the list in `docs/sweeps.md`).
pub const METRICS: [Metric; 22] = [
    count!("invocations", |s: &Summary| s.invocations),
    count!("cold_starts", |s: &Summary| s.cold_starts),
    real!("cold_start_ratio", |s: &Summary| s.cold_start_ratio),
    count!("throttled", |s: &Summary| s.throttled),
    real!("throttle_ratio", |s: &Summary| s.throttle_ratio),
    count!("throttled_scale_out", |s: &Summary| s
        .throttle_causes
        .scale_out),
    count!("errors", |s: &Summary| s.errors),
    count!("timeouts", |s: &Summary| s.timeouts),
    count!("dead_lettered", |s: &Summary| s
        .events
        .as_ref()
        .map(|e| e.dead_lettered)),
    real!("latency_mean_ms", |s: &Summary| s.latency_ms.mean),
    real!("latency_p50_ms", |s: &Summary| s.latency_ms.p50),
    real!("latency_p90_ms", |s: &Summary| s.latency_ms.p90),
    real!("latency_p99_ms", |s: &Summary| s.latency_ms.p99),
    real!("latency_p999_ms", |s: &Summary| s.latency_ms.p999),
    real!("instances_mean", |s: &Summary| s.instances.mean_total),
    real!("idle_gb_s", |s: &Summary| s.instances.idle_gb_s),
    real!("provisioned_utilisation", |s: &Summary| s
        .provisioned
        .as_ref()
        .and_then(|p| p.utilisation)),
    count!("provisioned_spillover", |s: &Summary| s
        .provisioned
        .as_ref()
        .map(|p| p.spillover)),
    real!("cost_usd", |s: &Summary| s.cost_usd.total),
    real!("cost_provisioned_usd", |s: &Summary| s.cost_usd.provisioned),
    real!("cost_warmers_usd", |s: &Summary| s.cost_usd.warmers),
    real!("fleet_usd", |s: &Summary| s.cost_usd.always_on_fleet.usd),
];
