//! Turning a run's raw metrics into results: a JSON document, a CSV table and a terminal
//! table, plus the JSON Lines request log.
//!
//! The JSON shape is the contract that scripts rely on; it is documented field by field in
//! `docs/results.md`. Every field is deterministic for a given scenario and seed.

mod events;
mod table;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use events::JsonLinesLog;
pub use table::render_table;

use crate::metrics::{FunctionMetrics, Latency, Occupancy};
use crate::scenario::Scenario;
use crate::sim::RunOutput;

/// Percentiles reported for every latency distribution.
pub const QUANTILES: [(&str, f64); 5] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p99", 0.99),
    ("p999", 0.999),
    ("p9999", 0.9999),
];

/// The result of one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// The crate version that produced it.
    pub faassim_version: &'static str,
    /// The scenario's name.
    pub scenario: String,
    /// The seed used.
    pub seed: u64,
    /// The platform profile's name.
    pub platform: String,
    /// The arrival horizon, seconds.
    pub duration_s: f64,
    /// Unmeasured start, seconds.
    pub warmup_s: f64,
    /// Events the engine processed.
    pub events: u64,
    /// All functions together.
    pub total: Summary,
    /// Per function, in scenario order (a JSON object keyed by name).
    #[serde(serialize_with = "as_map")]
    pub functions: Vec<(String, Summary)>,
}

fn as_map<S: serde::Serializer>(v: &[(String, Summary)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(v.len()))?;
    for (k, val) in v {
        map.serialize_entry(k, val)?;
    }
    map.end()
}

/// Measured results of one function, or of all.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Requests that arrived in the measured period.
    pub invocations: u64,
    /// Served by an idle instance.
    pub warm_starts: u64,
    /// Served after a cold start.
    pub cold_starts: u64,
    /// Rejected by a concurrency limit (HTTP 429).
    pub throttled: u64,
    /// `cold_starts / (warm_starts + cold_starts)`; null when nothing was served.
    pub cold_start_ratio: Option<f64>,
    /// `throttled / invocations`; null without invocations.
    pub throttle_ratio: Option<f64>,
    /// Instances evicted by keep-alive expiry in the measured period.
    pub evictions: u64,
    /// Response time (arrival to end: cold start + execution) of every served request.
    pub latency_ms: LatencySummary,
    /// Response time of cold-started requests.
    pub cold_latency_ms: LatencySummary,
    /// Response time of warm-started requests.
    pub warm_latency_ms: LatencySummary,
    /// Duration of the cold starts themselves.
    pub cold_start_duration_ms: LatencySummary,
    /// Time-averaged instance counts over the measured period.
    pub instances: InstanceSummary,
}

/// Summary statistics of a latency distribution, milliseconds. Null when empty.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    /// Number of samples.
    pub count: u64,
    /// Exact mean.
    pub mean: Option<f64>,
    /// Median (3 significant digits).
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p999: Option<f64>,
    /// 99.99th percentile.
    pub p9999: Option<f64>,
    /// Exact maximum.
    pub max: Option<f64>,
}

impl From<&Latency> for LatencySummary {
    fn from(l: &Latency) -> Self {
        LatencySummary {
            count: l.count(),
            mean: l.mean_ms(),
            p50: l.quantile_ms(0.50),
            p90: l.quantile_ms(0.90),
            p99: l.quantile_ms(0.99),
            p999: l.quantile_ms(0.999),
            p9999: l.quantile_ms(0.9999),
            max: l.max_ms(),
        }
    }
}

/// Time-averaged instance counts.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceSummary {
    /// All instances (starting + busy + idle).
    pub mean_total: f64,
    /// Executing a request.
    pub mean_busy: f64,
    /// Warm and waiting.
    pub mean_idle: f64,
    /// In a cold start.
    pub mean_provisioning: f64,
    /// The most instances at any instant.
    pub max_total: u32,
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn summarise(m: &FunctionMetrics, occ: &Occupancy, window: crate::time::SimTime) -> Summary {
    let mut all = m.warm_latency.clone();
    all.merge(&m.cold_latency);
    let (prov, busy, idle) = occ.means(window);
    Summary {
        invocations: m.invocations,
        warm_starts: m.warm_starts,
        cold_starts: m.cold_starts,
        throttled: m.throttled,
        cold_start_ratio: ratio(m.cold_starts, m.cold_starts + m.warm_starts),
        throttle_ratio: ratio(m.throttled, m.invocations),
        evictions: m.evictions,
        latency_ms: (&all).into(),
        cold_latency_ms: (&m.cold_latency).into(),
        warm_latency_ms: (&m.warm_latency).into(),
        cold_start_duration_ms: (&m.cold_start_duration).into(),
        instances: InstanceSummary {
            mean_total: prov + busy + idle,
            mean_busy: busy,
            mean_idle: idle,
            mean_provisioning: prov,
            max_total: occ.max_total(),
        },
    }
}

impl RunResult {
    /// Summarises a run of `scenario`.
    pub fn new(scenario: &Scenario, out: &RunOutput) -> RunResult {
        let window = scenario.duration - scenario.warmup;
        let mut merged = FunctionMetrics::default();
        for m in &out.functions {
            merged.invocations += m.invocations;
            merged.warm_starts += m.warm_starts;
            merged.cold_starts += m.cold_starts;
            merged.throttled += m.throttled;
            merged.evictions += m.evictions;
            merged.cold_latency.merge(&m.cold_latency);
            merged.warm_latency.merge(&m.warm_latency);
            merged.cold_start_duration.merge(&m.cold_start_duration);
        }
        RunResult {
            faassim_version: env!("CARGO_PKG_VERSION"),
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            platform: scenario.platform.name.clone(),
            duration_s: scenario.duration.as_secs(),
            warmup_s: scenario.warmup.as_secs(),
            events: out.events,
            total: summarise(&merged, &out.total_occupancy, window),
            functions: scenario
                .functions
                .iter()
                .zip(out.functions.iter().zip(&out.occupancy))
                .map(|(f, (m, occ))| (f.name.clone(), summarise(m, occ, window)))
                .collect(),
        }
    }

    /// The result as pretty-printed JSON (with a trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("results serialise");
        s.push('\n');
        s
    }

    /// The result as CSV: a header, one row per function, then a `total` row.
    pub fn to_csv(&self) -> String {
        let mut header = vec![
            "scenario",
            "seed",
            "function",
            "invocations",
            "warm_starts",
            "cold_starts",
            "throttled",
            "cold_start_ratio",
            "throttle_ratio",
            "evictions",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        for group in [
            "latency",
            "cold_latency",
            "warm_latency",
            "cold_start_duration",
        ] {
            for stat in ["mean", "p50", "p90", "p99", "p999", "p9999", "max"] {
                header.push(format!("{group}_{stat}_ms"));
            }
        }
        for col in [
            "instances_mean_total",
            "instances_mean_busy",
            "instances_mean_idle",
            "instances_mean_provisioning",
            "instances_max_total",
        ] {
            header.push(col.to_owned());
        }
        let mut out = header.join(",");
        out.push('\n');
        let rows = self
            .functions
            .iter()
            .map(|(n, s)| (n.as_str(), s))
            .chain(std::iter::once(("total", &self.total)));
        for (name, s) in rows {
            let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
            let mut cells = vec![
                csv_field(&self.scenario),
                self.seed.to_string(),
                csv_field(name),
                s.invocations.to_string(),
                s.warm_starts.to_string(),
                s.cold_starts.to_string(),
                s.throttled.to_string(),
                opt(s.cold_start_ratio),
                opt(s.throttle_ratio),
                s.evictions.to_string(),
            ];
            for l in [
                &s.latency_ms,
                &s.cold_latency_ms,
                &s.warm_latency_ms,
                &s.cold_start_duration_ms,
            ] {
                for v in [l.mean, l.p50, l.p90, l.p99, l.p999, l.p9999, l.max] {
                    cells.push(opt(v));
                }
            }
            let i = &s.instances;
            cells.extend([
                i.mean_total.to_string(),
                i.mean_busy.to_string(),
                i.mean_idle.to_string(),
                i.mean_provisioning.to_string(),
                i.max_total.to_string(),
            ]);
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
