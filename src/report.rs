//! Turning a run's raw metrics into results ([`RunResult`]) and writing them out: one
//! exporter per output format ([`export`]), CSV primitives ([`csv`]), the lists of
//! `faassim profiles` and `faassim platforms` ([`profiles`]), the JSON Lines request log
//! (`events`) and the per-window time series (`windows`).
//!
//! The JSON shape is the contract that scripts rely on; it is documented field by field in
//! `docs/results.md`. Every field is deterministic for a given scenario and seed.

pub mod csv;
mod events;
pub mod export;
mod layout;
pub mod profiles;
mod sources;
mod windows;

use serde::Serialize;

pub use events::JsonLinesLog;
pub use export::{Exporter, Format};
pub use sources::{QueueSummary, StreamSummary, WorkflowSummary};
pub use windows::{FanOut, WindowLog};

use crate::cost::{self, CostBreakdown, Usage};
use crate::json::serialize_pairs;
use crate::metrics::{Evictions, FunctionMetrics, Latency, Occupancy, PingCounts, ThrottleCauses};
use crate::scenario::Scenario;
use crate::sim::RunOutput;
use crate::time::SimTime;

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
    /// Idle instance memory-time, GB-seconds: the memory keep-alive holds without work
    /// (the "wasted memory time" of Shahrad et al.).
    pub idle_gb_s: f64,
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The cost model's inputs for one function: what it billed, and its instance time.
fn usage_of(m: &FunctionMetrics, occ: &Occupancy, window: SimTime) -> Usage {
    let (prov, busy, idle) = occ.means(window);
    let w = window.as_secs();
    let billed = &m.usage;
    Usage {
        on_demand_requests: billed.on_demand_requests,
        on_demand_billed: billed.on_demand_billed,
        provisioned_requests: billed.provisioned_requests,
        provisioned_billed: billed.provisioned_billed,
        pings: billed.pings,
        pings_billed: billed.pings_billed,
        provisioned_allocated_s: m.provisioned.allocated.window_seconds(),
        instance_alive_s: (prov + busy + idle) * w,
        instance_busy_s: (prov + busy) * w,
        peak_executions: m.executions.max(),
        mean_executions: m.executions.mean(window),
    }
}

fn latency(parts: &[&Latency]) -> LatencySummary {
    let mut all = parts[0].clone();
    for p in &parts[1..] {
        all.merge(p);
    }
    (&all).into()
}

/// Which optional sections a summary has.
#[derive(Debug, Clone, Copy)]
struct Optional {
    /// Warm-up pings.
    warmers: bool,
    /// Asynchronous events.
    events: bool,
}

fn summarise(
    m: &FunctionMetrics,
    occ: &Occupancy,
    window: SimTime,
    idle_gb_s: f64,
    provisioned: Option<(&'static str, u32)>,
    optional: Optional,
    cost_usd: CostBreakdown,
) -> Summary {
    let Optional {
        warmers: has_warmers,
        events: has_async,
    } = optional;
    let (prov, busy, idle) = occ.means(window);
    let pc = &m.provisioned;
    Summary {
        invocations: m.invocations,
        warm_starts: m.warm_starts,
        cold_starts: m.cold_starts,
        throttled: m.throttled,
        cold_start_ratio: ratio(m.cold_starts, m.cold_starts + m.warm_starts),
        throttle_ratio: ratio(m.throttled, m.invocations),
        evictions: m.evictions.total(),
        evictions_by_cause: m.evictions,
        latency_ms: latency(&[&m.warm_latency, &m.provisioned_latency, &m.cold_latency]),
        cold_latency_ms: (&m.cold_latency).into(),
        warm_latency_ms: latency(&[&m.warm_latency, &m.provisioned_latency]),
        provisioned_latency_ms: (&m.provisioned_latency).into(),
        on_demand_latency_ms: latency(&[&m.warm_latency, &m.cold_latency]),
        cold_start_duration_ms: (&m.cold_start_duration).into(),
        instances: InstanceSummary {
            mean_total: prov + busy + idle,
            mean_busy: busy,
            mean_idle: idle,
            mean_provisioning: prov,
            max_total: occ.max_total(),
            idle_gb_s,
        },
        provisioned: provisioned.map(|(policy, allocated_final)| {
            let ready = pc.ready.window_seconds();
            ProvisionedSummary {
                policy,
                utilisation: (ready > 0.0).then(|| pc.busy.window_seconds() / ready),
                served: m.provisioned_served,
                spillover: m.spillover,
                allocated_mean: pc.allocated.mean(window),
                allocated_max: pc.allocated.max(),
                allocated_final,
                scale_outs: pc.scale_outs,
                scale_ins: pc.scale_ins,
            }
        }),
        warmers: has_warmers.then_some(m.pings),
        throttle_causes: m.throttle_causes,
        queued: m.queued,
        pending_wait_ms: LatencySummary::from(&m.pending_wait),
        errors: m.errors,
        timeouts: m.timeouts,
        events: has_async.then(|| {
            let e = &m.events;
            EventSummary {
                events: e.events,
                succeeded: e.succeeded,
                error_retries: e.error_retries,
                throttle_retries: e.throttle_retries,
                dead_lettered: e.dead_lettered,
                expired: e.expired,
                queue_delay_ms: LatencySummary::from(&e.queue_delay),
                end_to_end_ms: LatencySummary::from(&e.end_to_end),
            }
        }),
        cost_usd,
    }
}

impl RunResult {
    /// Summarises a run of `scenario`.
    pub fn new(scenario: &Scenario, out: &RunOutput) -> RunResult {
        let window = scenario.duration - scenario.warmup;
        let platform = &scenario.platform;
        let settings = &scenario.cost;
        let usages: Vec<Usage> = out
            .functions
            .iter()
            .zip(&out.occupancy)
            .map(|(m, occ)| usage_of(m, occ, window))
            .collect();
        let mut functions = Vec::with_capacity(scenario.functions.len());
        let mut merged = FunctionMetrics::default();
        let mut total_cost = CostBreakdown::default();
        let mut fleet_load = 0.0;
        let mut pc_policies: Vec<&'static str> = Vec::new();
        let mut total_idle_gb_s = 0.0;
        for (i, f) in scenario.functions.iter().enumerate() {
            let m = &out.functions[i];
            let cost = cost::function_cost(settings, platform, f, &usages[i], window);
            total_cost.add(&cost);
            fleet_load += cost::fleet_load(settings, f, &usages[i]);
            let pc = f
                .provisioned
                .as_ref()
                .map(|p| (p.name(), out.provisioned_final[i]));
            if let Some((name, _)) = pc {
                pc_policies.push(name);
            }
            let idle_gb_s =
                out.occupancy[i].means(window).2 * window.as_secs() * f64::from(f.memory_mb)
                    / 1024.0;
            total_idle_gb_s += idle_gb_s;
            functions.push((
                f.name.clone(),
                summarise(
                    m,
                    &out.occupancy[i],
                    window,
                    idle_gb_s,
                    pc,
                    Optional {
                        warmers: f.warmers.is_some(),
                        events: scenario.receives_events(i),
                    },
                    cost,
                ),
            ));
            merged.add(m);
        }
        if settings.free_tier
            && let Some(p) = &platform.pricing
        {
            total_cost.free_tier_credit =
                cost::free_tier_credit(settings, p, &scenario.functions, &usages, window);
            total_cost.total += total_cost.free_tier_credit;
        }
        total_cost.always_on_fleet = cost::fleet(settings, fleet_load, window);
        let total_pc = (!pc_policies.is_empty()).then(|| {
            let policy = if pc_policies.iter().all(|p| *p == pc_policies[0]) {
                pc_policies[0]
            } else {
                "mixed"
            };
            (policy, out.provisioned_final.iter().sum())
        });
        let mut total = summarise(
            &merged,
            &out.total_occupancy,
            window,
            total_idle_gb_s,
            total_pc,
            Optional {
                warmers: scenario.functions.iter().any(|f| f.warmers.is_some()),
                events: (0..scenario.functions.len()).any(|i| scenario.receives_events(i)),
            },
            total_cost,
        );
        // Provisioned gauges do not add across functions; sum their integrals instead.
        if let Some(pc) = total.provisioned.as_mut() {
            let (mut busy, mut ready, mut alloc) = (0.0, 0.0, 0.0);
            for m in &out.functions {
                busy += m.provisioned.busy.window_seconds();
                ready += m.provisioned.ready.window_seconds();
                alloc += m.provisioned.allocated.window_seconds();
            }
            pc.utilisation = (ready > 0.0).then(|| busy / ready);
            pc.allocated_mean = alloc / window.as_secs();
            pc.allocated_max = out
                .functions
                .iter()
                .map(|m| m.provisioned.allocated.max())
                .sum();
        }
        let (queues, streams, workflows) = sources::summarise(scenario, &out.sources);
        RunResult {
            queues,
            streams,
            workflows,
            faassim_version: env!("CARGO_PKG_VERSION"),
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            platform: scenario.platform.name.clone(),
            duration_s: scenario.duration.as_secs(),
            warmup_s: scenario.warmup.as_secs(),
            events: out.events,
            total,
            functions,
            databases: scenario
                .databases
                .iter()
                .zip(&out.databases)
                .map(|(d, m)| {
                    (
                        d.name.clone(),
                        DatabaseSummary {
                            connections: d.connections,
                            proxied: d.proxied,
                            max_in_use: m.in_use.max(),
                            mean_in_use: m.in_use.mean(window),
                            acquisitions: m.acquisitions,
                            waits: m.waits,
                            wait_ms: LatencySummary::from(&m.wait),
                            failures: m.failures,
                        },
                    )
                })
                .collect(),
            trace: scenario.trace.clone(),
        }
    }

    /// The result as pretty-printed JSON (with a trailing newline): what the JSON exporter
    /// writes.
    pub fn to_json(&self) -> String {
        export::JsonExporter.export(self)
    }
}
