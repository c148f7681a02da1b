//! A run's results ([`RunResult`], built from its raw metrics by `summarise`) and writing
//! them out: one exporter per output format ([`export`]), CSV primitives ([`csv`]), the
//! lists of `faassim profiles` and `faassim platforms` ([`profiles`]), the JSON Lines
//! request log (`events`) and the per-window time series (`windows`).
//!
//! The JSON shape is the contract that scripts rely on; it is documented field by field in
//! `docs/results.md`. Every field is deterministic for a given scenario and seed.

pub mod csv;
mod events;
pub mod export;
pub(crate) mod layout;
pub mod profiles;
mod sources;
mod summarise;
mod windows;

use serde::{Deserialize, Serialize};

pub use events::JsonLinesLog;
pub use export::{Exporter, Format};
pub use sources::{QueueSummary, StreamSummary, WorkflowSummary};
pub use windows::{FanOut, WindowLog};

use crate::cost::CostBreakdown;
use crate::json::serialize_pairs;
use crate::metrics::{Evictions, Latency, PingCounts, ThrottleCauses};

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
    #[serde(serialize_with = "serialize_pairs")]
    pub functions: Vec<(String, Summary)>,
    /// Per database, keyed by name (absent without databases).
    #[serde(
        serialize_with = "serialize_pairs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub databases: Vec<(String, DatabaseSummary)>,
    /// What the scenario's `traces` section read and generated (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<crate::trace::TraceReport>,
    /// Per queue, keyed by name (left out when the scenario has none).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "serialize_pairs"
    )]
    pub queues: Vec<(String, QueueSummary)>,
    /// Per stream, keyed by name (left out when the scenario has none).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "serialize_pairs"
    )]
    pub streams: Vec<(String, StreamSummary)>,
    /// Per workflow, keyed by name (left out when the scenario has none).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "serialize_pairs"
    )]
    pub workflows: Vec<(String, WorkflowSummary)>,
}

/// A database's connections over the measured period.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseSummary {
    /// Connections functions may hold: `max_connections`, or the proxy's pool.
    pub connections: u32,
    /// Behind a proxy.
    pub proxied: bool,
    /// Most connections in use at once.
    pub max_in_use: u32,
    /// Time-averaged connections in use.
    pub mean_in_use: f64,
    /// Connections handed out.
    pub acquisitions: u64,
    /// Requests that waited for a connection.
    pub waits: u64,
    /// How long they waited (until they got one).
    pub wait_ms: LatencySummary,
    /// Requests that failed for want of a connection.
    pub failures: u64,
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
    /// Instances evicted in the measured period (all causes).
    pub evictions: u64,
    /// The same by cause: `expiry` (keep-alive), `pressure` (memory), `lifetime`.
    pub evictions_by_cause: Evictions,
    /// Response time (arrival to end: cold start + execution) of every served request.
    pub latency_ms: LatencySummary,
    /// The served requests over the scenario's latency objective (left out of the JSON
    /// when the scenario sets no `slo_ms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo: Option<SloSummary>,
    /// Response time of cold-started requests.
    pub cold_latency_ms: LatencySummary,
    /// Response time of warm-started requests.
    pub warm_latency_ms: LatencySummary,
    /// Response time of requests served by provisioned instances.
    pub provisioned_latency_ms: LatencySummary,
    /// Response time of requests served by on-demand instances (warm or cold).
    pub on_demand_latency_ms: LatencySummary,
    /// Duration of the cold starts themselves.
    pub cold_start_duration_ms: LatencySummary,
    /// Time-averaged instance counts over the measured period.
    pub instances: InstanceSummary,
    /// Provisioned concurrency (null without a `provisioned` policy).
    pub provisioned: Option<ProvisionedSummary>,
    /// Warm-up pings (null without `warmers`).
    pub warmers: Option<PingCounts>,
    /// Throttles by cause: `concurrency` (account, reserved or instance limit),
    /// `scale_out` (scale-out rate), `memory`.
    pub throttle_causes: ThrottleCauses,
    /// Executions that ended in a function error.
    pub errors: u64,
    /// Executions stopped by the timeout.
    pub timeouts: u64,
    /// Asynchronous events (null unless a function is `async`).
    pub events: Option<EventSummary>,
    /// Requests that waited in the pending queue for capacity (platforms with one).
    pub queued: u64,
    /// How long they waited before being placed on an instance.
    pub pending_wait_ms: LatencySummary,
    /// What it cost, in the platform's currency (USD for the shipped profiles).
    pub cost_usd: CostBreakdown,
}

/// The served requests whose response time exceeded the latency objective, counted in
/// the latency histogram the summary's `latency_ms` comes from.
///
/// Exact up to the histogram's precision (3 significant digits): latencies are recorded
/// in whole microseconds (rounded), in buckets 1 µs wide below 2,048 µs and less than
/// 1/1024 of their value wide above. A request counts as over when its bucket lies
/// entirely above the objective (rounded to the microsecond as latencies are), so no
/// request at or below the objective is ever counted, and only one less than a bucket
/// above it (under 0.1 %, or 1 µs) can be missed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloSummary {
    /// The objective, ms (the scenario's `slo_ms`).
    pub slo_ms: f64,
    /// Served requests whose response time exceeded it.
    pub over: u64,
    /// `over / latency_ms.count`; null when nothing was served.
    pub over_ratio: Option<f64>,
}

/// Asynchronous events: each is attempted until it succeeds or is dead-lettered.
#[derive(Debug, Clone, Serialize)]
pub struct EventSummary {
    /// Events that arrived in the measured period.
    pub events: u64,
    /// Ended in a successful execution.
    pub succeeded: u64,
    /// Retries after a function error or timeout.
    pub error_retries: u64,
    /// Retries after a throttle.
    pub throttle_retries: u64,
    /// Dead-lettered after the last retry failed.
    pub dead_lettered: u64,
    /// Dead-lettered on reaching the maximum event age.
    pub expired: u64,
    /// Event arrival to the start of its successful attempt.
    pub queue_delay_ms: LatencySummary,
    /// Event arrival to the end of its successful attempt.
    pub end_to_end_ms: LatencySummary,
}

/// Provisioned-concurrency results.
#[derive(Debug, Clone, Serialize)]
pub struct ProvisionedSummary {
    /// The policy (`fixed`, `scheduled`, `target_tracking`; `mixed` in a total).
    pub policy: &'static str,
    /// Busy provisioned instance-time / ready provisioned instance-time, 0..=1.
    pub utilisation: Option<f64>,
    /// Requests served by provisioned instances.
    pub served: u64,
    /// Requests that spilled over to on-demand instances.
    pub spillover: u64,
    /// Time-averaged allocated instances.
    pub allocated_mean: f64,
    /// Most instances allocated at once.
    pub allocated_max: u32,
    /// Allocated at the end of the run.
    pub allocated_final: u32,
    /// Instance-seconds billed in the measured period: allocated, plus each enabled period
    /// rounded up to the platform's increment (AWS: 5 minutes).
    pub billed_s: f64,
    /// Scaling actions that raised the count.
    pub scale_outs: u64,
    /// Scaling actions that lowered it.
    pub scale_ins: u64,
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
        let [p50, p90, p99, p999, p9999] = l
            .quantiles_ms(&[0.50, 0.90, 0.99, 0.999, 0.9999])
            .try_into()
            .expect("one value per quantile");
        LatencySummary {
            count: l.count(),
            mean: l.mean_ms(),
            p50,
            p90,
            p99,
            p999,
            p9999,
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
    /// Idle instance memory-time, GB-seconds: the memory keep-alive holds without work
    /// (the "wasted memory time" of Shahrad et al.).
    pub idle_gb_s: f64,
}

impl RunResult {
    /// The result without its functions (a copy of everything else), for writing the
    /// functions apart (`export/json.rs`).
    fn without_functions(&self) -> RunResult {
        RunResult {
            faassim_version: self.faassim_version,
            scenario: self.scenario.clone(),
            seed: self.seed,
            platform: self.platform.clone(),
            duration_s: self.duration_s,
            warmup_s: self.warmup_s,
            events: self.events,
            total: self.total.clone(),
            functions: Vec::new(),
            databases: self.databases.clone(),
            trace: self.trace.clone(),
            queues: self.queues.clone(),
            streams: self.streams.clone(),
            workflows: self.workflows.clone(),
        }
    }

    /// The result as pretty-printed JSON (with a trailing newline): what the JSON exporter
    /// writes.
    pub fn to_json(&self) -> String {
        export::JsonExporter.export(self)
    }
}
