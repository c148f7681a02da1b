//! A validated function: what it runs, how it starts, how it is invoked and what it calls.
//!
//! The leaf enums [`Reuse`], [`Invocation`], [`Routing`] and [`CallMode`] are spelled in
//! the file exactly as here, so they keep `Deserialize` (and `Serialize`, for results)
//! instead of having a spec copy that would only repeat them.

use serde::{Deserialize, Serialize};

use super::FunctionId;
use crate::dist::Dist;
use crate::policy::keep_alive::KeepAlive;
use crate::policy::provisioned::Provisioned;
use crate::policy::warmers::Warmers;
use crate::profile::{Arch, StartPhase};
use crate::time::SimTime;
use crate::workload::Workload;

/// Which idle instance an arriving request takes.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reuse {
    /// Most recently used (went idle last): the default, and what Lambda appears to do.
    #[default]
    Mru,
    /// Least recently used (idle longest).
    Lru,
    /// Uniformly at random.
    Random,
    /// Newest by creation time (the SimFaaS peer's rule).
    Newest,
}

/// How a function is invoked.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Invocation {
    /// Request/response: a throttled request fails at once (HTTP 429).
    #[default]
    Sync,
    /// Event: the platform queues it and retries throttles and errors (Lambda async).
    Async,
}

/// Which instance with a free slot a request goes to when instances serve several
/// requests at once.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The busiest instance that still has a free slot (fewest instances in use).
    #[default]
    Pack,
    /// The least busy instance (lowest per-request load).
    Spread,
}

/// Validated retry rules of asynchronous invocations.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncRetry {
    /// Retries after errors.
    pub max_retries: u32,
    /// Maximum event age.
    pub max_age: SimTime,
    /// Waits before retries after errors (the last repeats).
    pub error_delays: Vec<SimTime>,
    /// First throttle back-off.
    pub throttle_initial: SimTime,
    /// Longest throttle back-off.
    pub throttle_max: SimTime,
}

impl AsyncRetry {
    /// The wait before retry number `retry` (1-based) after an error.
    pub fn error_delay(&self, retry: u32) -> SimTime {
        let i = (retry as usize)
            .saturating_sub(1)
            .min(self.error_delays.len() - 1);
        self.error_delays[i]
    }

    /// The wait after the `n`-th throttle of an event (1-based): doubling, capped.
    pub fn throttle_delay(&self, n: u32) -> SimTime {
        let factor = 1u64 << n.saturating_sub(1).min(40);
        SimTime(self.throttle_initial.0.saturating_mul(factor)).min(self.throttle_max)
    }
}

/// How a function calls another.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallMode {
    /// Request/response: the caller stays busy (and billed) until the callee answers.
    #[default]
    Sync,
    /// Fire and forget: the callee gets an asynchronous event.
    Async,
}

/// A validated call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Call {
    /// The callee.
    pub target: FunctionId,
    /// Sync or async.
    pub mode: CallMode,
    /// Probability of each call.
    pub probability: f64,
    /// Fan-out.
    pub count: u32,
}

/// How a function's cold starts are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum ColdStart {
    /// The sum of phases, each sampled independently.
    Composed {
        /// Sandbox / placement.
        sandbox: Dist,
        /// Code load, ms (package size × the platform's per-MB rate).
        code_load_ms: f64,
        /// Runtime start or snapshot restore.
        start: StartPhase,
        /// The function's own init (skipped after a snapshot restore).
        init: Option<Dist>,
        /// VPC network set-up, for functions attached to a VPC.
        vpc: Option<Dist>,
    },
    /// One distribution for the whole cold start (`cold_start_ms`).
    Override(Dist),
}

impl ColdStart {
    /// Mean cold start, ms, with the function's init scaled by `init_scale` as sampled.
    pub fn mean_ms(&self, init_scale: f64) -> f64 {
        match self {
            ColdStart::Override(d) => d.mean(),
            ColdStart::Composed {
                sandbox,
                code_load_ms,
                start,
                init,
                vpc,
            } => {
                let vpc = vpc.as_ref().map_or(0.0, Dist::mean);
                let (start, init) = match start {
                    StartPhase::Init(d) => (d.mean(), init.as_ref().map_or(0.0, Dist::mean)),
                    // A snapshot restore skips the function's init.
                    StartPhase::SnapshotRestore(d) => (d.mean(), 0.0),
                };
                sandbox.mean() + vpc + code_load_ms + start + init * init_scale
            }
        }
    }
}

/// A validated function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Unique name.
    pub name: String,
    /// The runtime profile's name.
    pub runtime: String,
    /// Configured memory, MB.
    pub memory_mb: u32,
    /// Warm execution time.
    pub exec: Dist,
    /// Cold-start model.
    pub cold_start: ColdStart,
    /// Keep-alive policy.
    pub keep_alive: KeepAlive,
    /// Arrivals of its own (None: invoked only by sources, workflows or calls).
    pub workload: Option<Workload>,
    /// Reserved concurrency, if any.
    pub max_concurrency: Option<u32>,
    /// Idle-instance choice.
    pub reuse: Reuse,
    /// Provisioned concurrency.
    pub provisioned: Option<Provisioned>,
    /// Warm-up pings.
    pub warmers: Option<Warmers>,
    /// CPU architecture.
    pub arch: Arch,
    /// Multiplier applied to sampled execution and init times for this memory size
    /// (1 unless `cpu_fraction` > 0 and memory differs from the reference).
    pub duration_scale: f64,
    /// Mean cold start, ms (greedy-dual eviction cost).
    pub mean_cold_start_ms: f64,
    /// Execution timeout.
    pub timeout: Option<SimTime>,
    /// Probability of a function error per execution.
    pub failure_probability: f64,
    /// Sync or async.
    pub invocation: Invocation,
    /// Retry rules (async functions).
    pub async_retry: AsyncRetry,
    /// Requests one instance serves at once.
    pub per_instance_concurrency: u32,
    /// Instance choice among those with free slots.
    pub routing: Routing,
    /// vCPUs per instance.
    pub vcpus: f64,
    /// Requests on one instance share its vCPUs.
    pub cpu_sharing: bool,
    /// Share of the execution that is CPU-bound (and shared under `cpu_sharing`).
    pub cpu_fraction: f64,
    /// Calls to other functions.
    pub calls: Vec<Call>,
    /// Index of the database it connects to.
    pub database: Option<usize>,
}

impl Function {
    /// The vCPUs one execution keeps busy on average while it runs: its CPU-bound share
    /// (`cpu_fraction`) of the one vCPU single-threaded code can use, or of the instance's
    /// vCPUs when it has less. CPU time = wall time × this; the one setting behind
    /// CPU-time billing (Cloudflare Workers) and the always-on fleet's CPU demand.
    pub fn cpu_share(&self) -> f64 {
        self.cpu_fraction * self.vcpus.min(1.0)
    }

    /// Requests an instance takes before its CPU is full: ⌈vcpus / cpu_fraction⌉ (at least
    /// 1, at most `per_instance_concurrency`) when its requests share the CPU, else
    /// `per_instance_concurrency`. Routing treats a CPU-full instance as full
    /// (`sim/pool.rs`).
    pub fn cpu_full_at(&self) -> u32 {
        let cap = self.per_instance_concurrency;
        if !self.cpu_sharing || self.cpu_fraction <= 0.0 {
            return cap;
        }
        let n = (self.vcpus / self.cpu_fraction - 1e-9).ceil();
        if n >= f64::from(cap) {
            cap
        } else {
            (n as u32).max(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda_defaults() -> AsyncRetry {
        AsyncRetry {
            max_retries: 2,
            max_age: SimTime::from_secs(21_600.0),
            error_delays: vec![SimTime::from_secs(60.0), SimTime::from_secs(120.0)],
            throttle_initial: SimTime::from_secs(1.0),
            throttle_max: SimTime::from_secs(300.0),
        }
    }

    #[test]
    fn error_delays_repeat_the_last_value() {
        let r = lambda_defaults();
        assert_eq!(r.error_delay(1), SimTime::from_secs(60.0));
        assert_eq!(r.error_delay(2), SimTime::from_secs(120.0));
        assert_eq!(r.error_delay(7), SimTime::from_secs(120.0));
    }

    #[test]
    fn throttle_delays_double_up_to_the_cap() {
        let r = lambda_defaults();
        // 1, 2, 4, ..., 256 s, then 512 s is capped at 300 s.
        assert_eq!(r.throttle_delay(1), SimTime::from_secs(1.0));
        assert_eq!(r.throttle_delay(2), SimTime::from_secs(2.0));
        assert_eq!(r.throttle_delay(9), SimTime::from_secs(256.0));
        assert_eq!(r.throttle_delay(10), SimTime::from_secs(300.0));
        // Far past the cap the doubling must not overflow.
        assert_eq!(r.throttle_delay(u32::MAX), SimTime::from_secs(300.0));
    }

    #[test]
    fn an_override_cold_start_is_its_distributions_mean() {
        let c = ColdStart::Override(Dist::Const(250.0));
        assert_eq!(c.mean_ms(3.0), 250.0);
    }
}
