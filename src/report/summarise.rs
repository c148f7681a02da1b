//! Building a [`RunResult`] from a run's raw metrics: per-function and total summaries,
//! latency merges, time averages, and prices. This is where measurement meets pricing:
//! `metrics` measures, `cost` prices what this module hands it, and the exporters render
//! the result.

use rayon::prelude::*;

use super::sources;
use super::{
    DatabaseSummary, EventSummary, InstanceSummary, LatencySummary, ProvisionedSummary, RunResult,
    SloSummary, Summary,
};
use crate::cost::{self, CostBreakdown, Usage};
use crate::metrics::{CpuDemand, FunctionMetrics, Latency, Occupancy};
use crate::model::Scenario;
use crate::sim::RunOutput;
use crate::time::SimTime;

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// What the run's totals take from one function's summary.
struct FunctionTotals {
    cost: CostBreakdown,
    provisioned: Option<&'static str>,
    idle_gb_s: f64,
}

/// The cost model's inputs for one function: what it billed, and its instance time.
fn usage_of(m: &FunctionMetrics, occ: &Occupancy, cpu_demand: CpuDemand, window: SimTime) -> Usage {
    let (prov, busy, idle) = occ.means(window);
    let w = window.as_secs();
    Usage {
        billed: m.usage,
        provisioned_billed_s: m.provisioned.billed_s(),
        instance_alive_s: (prov + busy + idle) * w,
        instance_busy_s: (prov + busy) * w,
        cpu_demand,
    }
}

/// The distributions `parts` merged into one.
fn merged(parts: &[&Latency]) -> Latency {
    let mut all = parts[0].clone();
    for p in &parts[1..] {
        all.merge(p);
    }
    all
}

fn latency(parts: &[&Latency]) -> LatencySummary {
    (&merged(parts)).into()
}

/// The objective in whole microseconds, rounded half up as `SimTime::as_micros` rounds
/// latencies, so that a latency at or below the objective is never recorded above it
/// (`as` saturates absurdly large objectives).
fn objective_us(slo_ms: f64) -> u64 {
    (slo_ms * 1e3).round() as u64
}

/// The requests of `all` over the objective `slo_ms`: those recorded in a histogram
/// bucket that lies entirely above it (see [`SloSummary`]).
fn slo(all: &Latency, slo_ms: f64) -> SloSummary {
    let over = all.to_histogram().map_or(0, |h| {
        // `count_between` counts every bucket up to and including the objective's (all of
        // them when the objective is beyond the largest value recorded).
        h.len()
            .saturating_sub(h.count_between(0, objective_us(slo_ms)))
    });
    SloSummary {
        slo_ms,
        over,
        over_ratio: ratio(over, all.count()),
    }
}

/// Which optional sections a summary has.
#[derive(Debug, Clone, Copy)]
struct Optional {
    /// Warm-up pings.
    warmers: bool,
    /// Asynchronous events.
    events: bool,
    /// The latency objective, ms, when the scenario sets one.
    slo_ms: Option<f64>,
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
        slo_ms,
    } = optional;
    let all = merged(&[&m.warm_latency, &m.provisioned_latency, &m.cold_latency]);
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
        latency_ms: (&all).into(),
        slo: slo_ms.map(|ms| slo(&all, ms)),
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
                billed_s: pc.billed_s(),
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
            .zip(&out.cpu_demand)
            .map(|((m, occ), demand)| usage_of(m, occ, *demand, window))
            .collect();
        let receivers = scenario.event_receivers();
        // Each function's summary reads only its own metrics: they are built in parallel
        // (in function order, so the result does not depend on the threads), while the
        // metrics are merged into the total beside them.
        let (per_function, merged) = rayon::join(
            || -> (Vec<(String, Summary)>, Vec<FunctionTotals>) {
                scenario
                    .functions
                    .par_iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let cost = cost::function_cost(settings, platform, f, &usages[i], window);
                        let provisioned = f
                            .provisioned
                            .as_ref()
                            .map(|p| (p.name(), out.provisioned_final[i]));
                        let idle_gb_s = out.occupancy[i].means(window).2
                            * window.as_secs()
                            * f64::from(f.memory_mb)
                            / 1024.0;
                        let totals = FunctionTotals {
                            cost: cost.clone(),
                            provisioned: provisioned.map(|(name, _)| name),
                            idle_gb_s,
                        };
                        let summary = summarise(
                            &out.functions[i],
                            &out.occupancy[i],
                            window,
                            idle_gb_s,
                            provisioned,
                            Optional {
                                warmers: f.warmers.is_some(),
                                events: receivers[i],
                                slo_ms: scenario.slo_ms,
                            },
                            cost,
                        );
                        ((f.name.clone(), summary), totals)
                    })
                    .unzip()
            },
            || {
                let mut merged = FunctionMetrics::default();
                for m in &out.functions {
                    merged.add(m);
                }
                merged
            },
        );
        let (functions, totals) = per_function;
        let mut total_cost = CostBreakdown::default();
        let mut pc_policies: Vec<&'static str> = Vec::new();
        let mut total_idle_gb_s = 0.0;
        // Summed in function order: the same floating-point sums whatever the threads.
        for t in &totals {
            total_cost.add(&t.cost);
            pc_policies.extend(t.provisioned);
            total_idle_gb_s += t.idle_gb_s;
        }
        if settings.free_tier
            && let Some(p) = &platform.pricing
        {
            total_cost.free_tier_credit =
                cost::free_tier_credit(settings, p, &scenario.functions, &usages, window);
            total_cost.total += total_cost.free_tier_credit;
        }
        // The fleet carries all functions' demand together (their peaks need not coincide).
        let fleet_load = cost::fleet_load(settings, &out.total_cpu_demand);
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
                events: receivers.iter().any(|&r| r),
                slo_ms: scenario.slo_ms,
            },
            total_cost,
        );
        // Provisioned gauges do not add across functions; sum their integrals instead.
        if let Some(pc) = total.provisioned.as_mut() {
            let (mut busy, mut ready, mut alloc, mut billed) = (0.0, 0.0, 0.0, 0.0);
            for m in &out.functions {
                busy += m.provisioned.busy.window_seconds();
                ready += m.provisioned.ready.window_seconds();
                alloc += m.provisioned.allocated.window_seconds();
                billed += m.provisioned.billed_s();
            }
            pc.billed_s = billed;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three requests of 100 ms and two of 500 ms.
    fn five() -> Latency {
        let mut l = Latency::default();
        for ms in [100.0, 500.0, 100.0, 500.0, 100.0] {
            l.record(SimTime::from_ms(ms));
        }
        l
    }

    #[test]
    fn requests_over_the_objective_are_counted_strictly_above_it() {
        let over = |slo_ms: f64| {
            let s = slo(&five(), slo_ms);
            (s.over, s.over_ratio)
        };
        assert_eq!(over(300.0), (2, Some(0.4)));
        // Exactly at a latency: not over it.
        assert_eq!(over(100.0), (2, Some(0.4)));
        assert_eq!(over(500.0), (0, Some(0.0)));
        // 99.9 ms is a bucket below 100 ms (buckets are 64 µs wide there).
        assert_eq!(over(99.9), (5, Some(1.0)));
        // Beyond everything recorded, and below everything.
        assert_eq!(over(1e300), (0, Some(0.0)));
        assert_eq!(over(1e-9), (5, Some(1.0)));
        // Nothing served: nothing over, and no ratio.
        let none = slo(&Latency::default(), 300.0);
        assert_eq!((none.over, none.over_ratio), (0, None));
    }

    #[test]
    fn the_objective_is_rounded_to_the_microsecond_as_latencies_are() {
        assert_eq!(objective_us(250.0), 250_000);
        assert_eq!(objective_us(0.0004), 0);
        assert_eq!(objective_us(0.0005), 1);
        assert_eq!(objective_us(1e300), u64::MAX);
        // A latency of 1.0006 ms is recorded as 1,001 µs: over an objective of 1.0004 ms
        // (1,000 µs, a bucket below), not over one of 1.0006 ms (the same microsecond).
        let mut l = Latency::default();
        l.record(SimTime::from_ms(1.0006));
        assert_eq!(slo(&l, 1.0004).over, 1);
        assert_eq!(slo(&l, 1.0006).over, 0);
    }
}
