//! What a run costs, from its measured usage and the platform's list prices.
//!
//! Pay-per-use (`billing: per_request`, Lambda-like):
//! - requests: served requests × the request fee (throttled requests are not billed);
//! - compute: GB-seconds of billed duration at the architecture's rate; each request's
//!   duration is rounded up to the billing granularity, and a cold start adds its init
//!   (runtime start or snapshot restore, plus the function's init; the sandbox and code
//!   load phases are not in Lambda's billed `Init Duration`) when `init_billed`;
//! - provisioned: billed provisioned GB-seconds (allocated, each enabled period rounded up
//!   to the platform's `provisioned_increment_s`) at the provisioned rate, plus requests
//!   served by provisioned instances at the lower provisioned duration rate;
//! - warmers: the pings' request fees and GB-seconds, billed like any request.
//!
//! Further per-request compute prices, each over the same billed duration:
//! - GHz-seconds (`ghz_second`, Cloud Functions 1st gen): the CPU clock of the function's
//!   memory tier (`cpu_ghz_by_memory`) × billed seconds;
//! - CPU-milliseconds (`cpu_ms_per_million`, Cloudflare Workers): billed milliseconds ×
//!   the function's CPU share ([`Function::cpu_share`]: `cpu_fraction` of at most one
//!   vCPU), the same share the simulator runs under `cpu_sharing` and the fleet is sized
//!   on; the scenario's `cost.cpu_time_fraction`, when set, overrides it for every
//!   function.
//!
//! Billed memory is the function's memory, rounded up to `memory_rounding_mb` when the
//! platform bills in steps (Azure Consumption: 128 MB).
//!
//! Per-instance (`billing: per_instance`, Cloud Run-like): compute is vCPU-seconds and
//! GB-seconds of instance time, while instances are alive or only while they start and
//! execute (`billed_while`), with the function's `vcpus` (default memory / `mb_per_vcpu`).
//!
//! The free tier (scenario `cost.free_tier: true`) is per account and month: the monthly
//! allowance, prorated to the measured period, is credited once, in the total (requests,
//! GB-seconds, GHz-seconds, CPU-milliseconds and vCPU-seconds of on-demand use; it does not
//! apply to provisioned concurrency). A plan that sells its allowance for a monthly fee
//! (`free_tier.monthly_fee`, Cloudflare Workers Paid) has the prorated fee charged against
//! the credit, which can then be positive.
//!
//! The always-on fleet is a comparison, not part of the total: servers of
//! `fleet.usd_per_hour` with `fleet.vcpus` each, enough to carry the load's CPU demand (the
//! executions' work × their CPU share, in the busiest `fleet.window_s` window, or on
//! average; measured by the simulator, independent of cold starts and of how the platform
//! packs requests into instances) at `fleet.target_utilisation`.

use serde::Serialize;

use crate::metrics::{BilledUsage, CpuDemand};
use crate::model::{CostSettings, Function, SizeFor};
use crate::profile::{BilledWhile, Billing, Platform, Pricing};
use crate::time::SimTime;

/// Seconds in the 30-day month the free tier is prorated against.
const MONTH_S: f64 = 30.0 * 86_400.0;

/// What one function used in the measured period, as the cost model needs it.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// Billed requests and durations, as the simulator measured them.
    pub billed: BilledUsage,
    /// Provisioned instance-time billed, instance-seconds: allocated, plus each enabled
    /// period rounded up to the platform's increment.
    pub provisioned_billed_s: f64,
    /// Instance-seconds alive (all states).
    pub instance_alive_s: f64,
    /// Instance-seconds starting or executing.
    pub instance_busy_s: f64,
    /// The CPU demand of its executions.
    pub cpu_demand: CpuDemand,
}

/// The fleet a load would need.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FleetCost {
    /// Servers.
    pub instances: u64,
    /// Their cost over the measured period.
    pub usd: f64,
    /// The load they are sized for: vCPUs of CPU demand (peak window or mean).
    pub load_vcpus: f64,
}

/// A cost breakdown in the platform's currency (USD for the shipped profiles).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CostBreakdown {
    /// Sum of the parts below (the fleet excluded).
    pub total: f64,
    /// Request fees of user requests.
    pub requests: f64,
    /// Compute of on-demand user requests (or instance time, per-instance billing).
    pub compute: f64,
    /// Provisioned concurrency: allocation plus its duration charges.
    pub provisioned: f64,
    /// Warm-up pings: their request fees and compute.
    pub warmers: f64,
    /// Free-tier credit: negative, or positive when a plan's monthly fee exceeds the
    /// allowance it buys (only in the total).
    pub free_tier_credit: f64,
    /// The always-on fleet that would carry the same load (comparison, not in `total`).
    pub always_on_fleet: FleetCost,
}

impl CostBreakdown {
    /// Adds `other`'s parts (the fleet is recomputed by the caller).
    pub fn add(&mut self, other: &CostBreakdown) {
        self.total += other.total;
        self.requests += other.requests;
        self.compute += other.compute;
        self.provisioned += other.provisioned;
        self.warmers += other.warmers;
        self.free_tier_credit += other.free_tier_credit;
    }
}

/// vCPUs an instance of `memory_mb` gets by default (memory / `mb_per_vcpu`).
pub fn vcpus(platform: &Platform, memory_mb: u32) -> f64 {
    f64::from(memory_mb) / platform.mb_per_vcpu
}

/// Billed memory, GB: `memory_mb` rounded up to the pricing's memory step, if any.
pub fn billed_gb(p: &Pricing, memory_mb: u32) -> f64 {
    let mb = match p.memory_rounding_mb {
        Some(step) if step > 1 => memory_mb.div_ceil(step) * step,
        _ => memory_mb,
    };
    f64::from(mb) / 1024.0
}

/// CPU clock billed for a function of `memory_mb`, GHz: the smallest tier of
/// `cpu_ghz_by_memory` with at least that memory (0 without tiers; validation ensures the
/// tiers cover every allowed memory size).
pub fn cpu_ghz(p: &Pricing, memory_mb: u32) -> f64 {
    p.cpu_ghz_by_memory
        .iter()
        .find(|(mb, _)| *mb >= memory_mb)
        .or(p.cpu_ghz_by_memory.last())
        .map_or(0.0, |&(_, ghz)| ghz)
}

/// Price of one second of billed duration of one on-demand request of `f`: its GB-seconds,
/// GHz-seconds and CPU-milliseconds.
fn per_billed_second(settings: &CostSettings, p: &Pricing, f: &Function) -> f64 {
    billed_gb(p, f.memory_mb) * p.gb_second.get(f.arch)
        + cpu_ghz(p, f.memory_mb) * p.ghz_second.unwrap_or(0.0)
        + 1000.0 * cpu_time_share(settings, f) * p.cpu_ms_per_million.unwrap_or(0.0) / 1e6
}

/// Share of a request's billed duration of `f` billed as CPU time.
pub fn cpu_time_share(settings: &CostSettings, f: &Function) -> f64 {
    settings.cpu_time_fraction.unwrap_or_else(|| f.cpu_share())
}

/// Servers of the fleet for a load of `vcpu_load` vCPUs, and their cost over `window`.
pub fn fleet(settings: &CostSettings, vcpu_load: f64, window: SimTime) -> FleetCost {
    let f = &settings.fleet;
    let instances = if vcpu_load > 0.0 {
        (vcpu_load / (f.vcpus * f.target_utilisation) - 1e-9)
            .ceil()
            .max(1.0) as u64
    } else {
        0
    };
    FleetCost {
        instances,
        usd: instances as f64 * f.usd_per_hour * window.as_secs() / 3600.0,
        load_vcpus: vcpu_load,
    }
}

/// The load (vCPUs) a fleet must carry for a CPU demand.
pub fn fleet_load(settings: &CostSettings, demand: &CpuDemand) -> f64 {
    match settings.fleet.size_for {
        SizeFor::Peak => demand.peak_vcpus,
        SizeFor::Mean => demand.mean_vcpus,
    }
}

/// The cost of one function (no free tier: that is credited once, in the total).
pub fn function_cost(
    settings: &CostSettings,
    platform: &Platform,
    f: &Function,
    u: &Usage,
    window: SimTime,
) -> CostBreakdown {
    let mut c = CostBreakdown {
        always_on_fleet: fleet(settings, fleet_load(settings, &u.cpu_demand), window),
        ..CostBreakdown::default()
    };
    let Some(p) = &platform.pricing else {
        return c;
    };
    let gb = billed_gb(p, f.memory_mb);
    let rate = p.gb_second.get(f.arch);
    let fee = p.request_per_million / 1e6;
    c.requests = (u.billed.on_demand_requests + u.billed.provisioned_requests) as f64 * fee;
    match p.billing {
        Billing::PerRequest => {
            let per_s = per_billed_second(settings, p, f);
            c.compute = u.billed.on_demand_billed.as_secs() * per_s;
            c.warmers = u.billed.pings as f64 * fee + u.billed.pings_billed.as_secs() * per_s;
        }
        Billing::PerInstance => {
            let cpu = f.vcpus * p.vcpu_second.unwrap_or(0.0);
            c.compute = instance_seconds(p, u) * (gb * rate + cpu);
            // Pings cost their request fees; their instance time is already in compute.
            c.warmers = u.billed.pings as f64 * fee;
        }
    }
    if let Some(alloc) = &p.provisioned_gb_second {
        c.provisioned += gb * u.provisioned_billed_s * alloc.get(f.arch);
    }
    let pc_duration_rate = p
        .provisioned_duration_gb_second
        .map_or(rate, |r| r.get(f.arch));
    c.provisioned += gb * u.billed.provisioned_billed.as_secs() * pc_duration_rate;
    c.total = c.requests + c.compute + c.provisioned + c.warmers;
    c
}

/// Instance-seconds billed under per-instance billing.
fn instance_seconds(p: &Pricing, u: &Usage) -> f64 {
    match p.billed_while {
        BilledWhile::Alive => u.instance_alive_s,
        BilledWhile::Busy => u.instance_busy_s,
    }
}

/// The free-tier credit for an account whose functions used `usages`, over `window`:
/// negative, less the prorated `monthly_fee` of the plan that includes the allowance.
pub fn free_tier_credit(
    settings: &CostSettings,
    pricing: &Pricing,
    functions: &[Function],
    usages: &[Usage],
    window: SimTime,
) -> f64 {
    let Some(ft) = pricing.free_tier else {
        return 0.0;
    };
    let share = window.as_secs() / MONTH_S;
    let fee = pricing.request_per_million / 1e6;
    let mut requests = 0.0;
    let (mut gb_s, mut gb_s_value) = (0.0, 0.0);
    let (mut ghz_s, mut cpu_ms, mut vcpu_s) = (0.0, 0.0, 0.0);
    for (f, u) in functions.iter().zip(usages) {
        let gb = billed_gb(pricing, f.memory_mb);
        requests += (u.billed.on_demand_requests + u.billed.pings) as f64;
        let used = match pricing.billing {
            Billing::PerRequest => {
                let billed_s = (u.billed.on_demand_billed + u.billed.pings_billed).as_secs();
                ghz_s += cpu_ghz(pricing, f.memory_mb) * billed_s;
                cpu_ms += 1000.0 * cpu_time_share(settings, f) * billed_s;
                gb * billed_s
            }
            Billing::PerInstance => {
                let seconds = instance_seconds(pricing, u);
                vcpu_s += f.vcpus * seconds;
                gb * seconds
            }
        };
        gb_s += used;
        gb_s_value += used * pricing.gb_second.get(f.arch);
    }
    // Credit GB-seconds at the average rate actually paid.
    let avg_rate = if gb_s > 0.0 { gb_s_value / gb_s } else { 0.0 };
    let free = |used: f64, per_month: f64| used.min(per_month * share);
    -(free(requests, ft.requests_per_month) * fee
        + free(gb_s, ft.gb_seconds_per_month) * avg_rate
        + free(ghz_s, ft.ghz_seconds_per_month) * pricing.ghz_second.unwrap_or(0.0)
        + free(cpu_ms, ft.cpu_ms_per_month) * pricing.cpu_ms_per_million.unwrap_or(0.0) / 1e6
        + free(vcpu_s, ft.vcpu_seconds_per_month) * pricing.vcpu_second.unwrap_or(0.0))
        + ft.monthly_fee * share
}

/// Rounds a duration up to the billing granularity.
#[inline]
pub fn billed(d: SimTime, granularity: SimTime) -> SimTime {
    if granularity.0 <= 1 {
        return d;
    }
    SimTime(d.0.div_ceil(granularity.0) * granularity.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scenario;

    fn cloud_run() -> Scenario {
        Scenario::from_str(
            r#"{"name": "v", "duration_s": 1, "platform": "google-cloud-run",
              "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 2048,
                "exec_ms": {"dist": "const", "value": 1},
                "workload": {"kind": "poisson", "rate_per_s": 1}}]}"#,
            "v.json",
            std::path::Path::new("."),
        )
        .unwrap()
    }

    /// Cloud Run gives 1 vCPU per 512 MB (`mb_per_vcpu`): 2,048 MB is 4 vCPUs, 256 MB half
    /// of one; a function without `vcpus` gets that default.
    #[test]
    fn default_vcpus_are_memory_over_mb_per_vcpu() {
        let s = cloud_run();
        assert_eq!(vcpus(&s.platform, 2048), 4.0);
        assert_eq!(vcpus(&s.platform, 256), 0.5);
        assert_eq!(s.functions[0].vcpus, 4.0);
    }

    /// Servers = ceil(load / (vCPUs × target utilisation)): a load that fills whole servers
    /// exactly needs no extra one (3 vCPUs on 1-vCPU servers at 100 % are 3 servers, not
    /// 4); any load at all needs one; no load, none. Cost: servers × hourly price × hours.
    #[test]
    fn the_fleet_is_the_ceiling_of_load_over_server_capacity() {
        let mut settings = cloud_run().cost;
        settings.fleet.vcpus = 1.0;
        settings.fleet.target_utilisation = 1.0;
        settings.fleet.usd_per_hour = 2.0;
        let hour = SimTime::from_secs(3600.0);
        let f = fleet(&settings, 3.0, hour);
        assert_eq!((f.instances, f.usd, f.load_vcpus), (3, 6.0, 3.0));
        assert_eq!(fleet(&settings, 3.01, hour).instances, 4);
        assert_eq!(fleet(&settings, 1e-12, hour).instances, 1);
        assert_eq!(fleet(&settings, 0.0, hour).instances, 0);
        assert_eq!(fleet(&settings, 3.0, SimTime::from_secs(1800.0)).usd, 3.0);
    }

    /// Billed durations round up to the granularity; 0 and 1 ns granularities bill the
    /// duration as it is.
    #[test]
    fn billed_durations_round_up_to_the_granularity() {
        let ms = |x: u64| SimTime(x * 1_000_000);
        assert_eq!(billed(SimTime(200_300_000), ms(1)), ms(201));
        assert_eq!(billed(ms(200), ms(100)), ms(200));
        assert_eq!(billed(ms(201), ms(100)), ms(300));
        assert_eq!(billed(SimTime(7), SimTime(1)), SimTime(7));
        assert_eq!(billed(SimTime(7), SimTime(0)), SimTime(7));
    }
}
