//! What a run measures: latency histograms, outcome counters and time-weighted instance
//! counts. Everything streams: memory does not depend on the number of requests.

mod latency;
mod sources;

pub use latency::Latency;
pub use sources::{QueueMetrics, SourceMetrics, StreamMetrics, WorkflowMetrics};

use crate::time::SimTime;

/// Counts of a function's instances by state, integrated over the measured window.
#[derive(Debug, Clone, Default)]
pub struct Occupancy {
    /// Starting (cold start in progress).
    pub provisioning: u32,
    /// Executing a request.
    pub busy: u32,
    /// Warm and waiting.
    pub idle: u32,
    last: SimTime,
    area_provisioning: u128,
    area_busy: u128,
    area_idle: u128,
    max_total: u32,
}

impl Occupancy {
    /// The current number of instances.
    #[inline]
    pub fn total(&self) -> u32 {
        self.provisioning + self.busy + self.idle
    }

    /// Integrates the current counts from the last change up to `now`, clipped to
    /// `[start, end]`. Call before every change of the counts.
    #[inline]
    pub fn advance(&mut self, now: SimTime, start: SimTime, end: SimTime) {
        let a = self.last.max(start);
        let b = now.min(end);
        if b > a {
            let dt = (b.0 - a.0) as u128;
            self.area_provisioning += self.provisioning as u128 * dt;
            self.area_busy += self.busy as u128 * dt;
            self.area_idle += self.idle as u128 * dt;
            self.max_total = self.max_total.max(self.total());
        }
        self.last = now;
    }

    /// Notes the counts just after a change at `now` (for the maximum).
    #[inline]
    pub fn observe(&mut self, now: SimTime, start: SimTime, end: SimTime) {
        if now >= start && now < end {
            self.max_total = self.max_total.max(self.total());
        }
    }

    /// The counts of `parts` taken together, for counts kept apart during a run and added
    /// up at its end: the areas add up exactly (integers); the largest total cannot be
    /// told from the parts, so it is given (`max_total`).
    pub(crate) fn combined<'a>(
        parts: impl IntoIterator<Item = &'a Occupancy>,
        max_total: u32,
    ) -> Occupancy {
        let mut sum = Occupancy {
            max_total,
            ..Occupancy::default()
        };
        for p in parts {
            sum.provisioning += p.provisioning;
            sum.busy += p.busy;
            sum.idle += p.idle;
            sum.last = sum.last.max(p.last);
            sum.area_provisioning += p.area_provisioning;
            sum.area_busy += p.area_busy;
            sum.area_idle += p.area_idle;
        }
        sum
    }

    /// Time averages over a window of `window` length: (provisioning, busy, idle).
    pub fn means(&self, window: SimTime) -> (f64, f64, f64) {
        let w = window.0 as f64;
        (
            self.area_provisioning as f64 / w,
            self.area_busy as f64 / w,
            self.area_idle as f64 / w,
        )
    }

    /// Largest number of instances seen in the window.
    pub fn max_total(&self) -> u32 {
        self.max_total
    }
}

/// A count that changes over time, integrated over the whole run and over the measured
/// window (for time averages) and with its maximum in the window.
#[derive(Debug, Clone, Default)]
pub struct Gauge {
    value: u32,
    last: SimTime,
    area_all: u128,
    area_window: u128,
    max_window: u32,
}

impl Gauge {
    /// The current value.
    #[inline]
    pub fn value(&self) -> u32 {
        self.value
    }

    #[inline]
    fn advance(&mut self, now: SimTime, start: SimTime, end: SimTime) {
        let v = self.value as u128;
        self.area_all += v * (now.0.saturating_sub(self.last.0)) as u128;
        let a = self.last.max(start);
        let b = now.min(end);
        if b > a {
            self.area_window += v * (b.0 - a.0) as u128;
            self.max_window = self.max_window.max(self.value);
        }
        self.last = now;
    }

    /// Sets the value at `now` (window `[start, end]`).
    #[inline]
    pub fn set(&mut self, value: u32, now: SimTime, start: SimTime, end: SimTime) {
        self.advance(now, start, end);
        self.value = value;
        if now >= start && now < end {
            self.max_window = self.max_window.max(value);
        }
    }

    /// Adds `delta` (may be negative) at `now`.
    #[inline]
    pub fn add(&mut self, delta: i32, now: SimTime, start: SimTime, end: SimTime) {
        let v = self.value as i64 + delta as i64;
        debug_assert!(v >= 0, "gauge below zero");
        self.set(v.max(0) as u32, now, start, end);
    }

    /// Integrates up to `now` without changing the value.
    pub fn close(&mut self, now: SimTime, start: SimTime, end: SimTime) {
        self.advance(now, start, end);
    }

    /// Integral of the value over the whole run so far, value × ns.
    pub fn area_all(&self) -> u128 {
        self.area_all
    }

    /// Time average over a window of length `window`.
    pub fn mean(&self, window: SimTime) -> f64 {
        self.area_window as f64 / window.0 as f64
    }

    /// Integral over the window, value × seconds.
    pub fn window_seconds(&self) -> f64 {
        self.area_window as f64 / 1e9
    }

    /// Largest value in the window.
    pub fn max(&self) -> u32 {
        self.max_window
    }
}

/// Instances evicted, by cause.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Evictions {
    /// The keep-alive policy let them go.
    pub expiry: u64,
    /// Memory pressure made room for another instance.
    pub pressure: u64,
    /// They reached the platform's maximum lifetime.
    pub lifetime: u64,
    /// Reset after an execution timed out (the platform discards the environment).
    pub reset: u64,
}

impl Evictions {
    /// All causes.
    pub fn total(&self) -> u64 {
        self.expiry + self.pressure + self.lifetime
    }

    /// Adds `other`.
    pub fn add(&mut self, other: &Evictions) {
        self.expiry += other.expiry;
        self.pressure += other.pressure;
        self.lifetime += other.lifetime;
        self.reset += other.reset;
    }
}

/// The CPU demand of a load (what an always-on fleet must carry), vCPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuDemand {
    /// In the busiest window.
    pub peak_vcpus: f64,
    /// Over the measured period.
    pub mean_vcpus: f64,
}

/// Provisioned-concurrency measurements.
#[derive(Debug, Clone, Default)]
pub struct ProvisionedMetrics {
    /// Allocated instances (initialising or ready).
    pub allocated: Gauge,
    /// Ready instances (idle or busy).
    pub ready: Gauge,
    /// Busy instances.
    pub busy: Gauge,
    /// Scaling actions that raised the count.
    pub scale_outs: u64,
    /// Scaling actions that lowered it.
    pub scale_ins: u64,
    /// Instance-seconds billed beyond the allocation, in the window: the platform rounds
    /// each enabled period up to its increment (`pricing.provisioned_increment_s`).
    pub rounding_s: f64,
}

impl ProvisionedMetrics {
    /// Instance-seconds billed in the window: allocated, plus the rounding.
    pub fn billed_s(&self) -> f64 {
        self.allocated.window_seconds() + self.rounding_s
    }
}

/// Warm-up ping counts.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct PingCounts {
    /// Pings sent in the measured period.
    pub pings: u64,
    /// Pings that needed a cold start (a new instance).
    pub cold: u64,
    /// Pings refused by a concurrency or memory limit.
    pub throttled: u64,
}

/// Billed requests and their billed durations (rounded to the platform's billing unit,
/// with billed init), as the simulator charges them. Measured here, priced by `cost`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BilledUsage {
    /// Served user requests on on-demand instances.
    pub on_demand_requests: u64,
    /// Their billed duration, ns.
    pub on_demand_billed: SimTime,
    /// Served user requests on provisioned instances.
    pub provisioned_requests: u64,
    /// Their billed duration, ns.
    pub provisioned_billed: SimTime,
    /// Warm-up pings served.
    pub pings: u64,
    /// Their billed duration, ns.
    pub pings_billed: SimTime,
}

/// Everything measured for one function.
#[derive(Debug, Clone, Default)]
pub struct FunctionMetrics {
    /// Measured arrivals.
    pub invocations: u64,
    /// Served by an idle instance (on-demand or provisioned).
    pub warm_starts: u64,
    /// Served after starting a new instance.
    pub cold_starts: u64,
    /// Rejected by a concurrency or memory limit (HTTP 429).
    pub throttled: u64,
    /// Served by a provisioned instance.
    pub provisioned_served: u64,
    /// Served on demand although the function has provisioned concurrency.
    pub spillover: u64,
    /// Instances evicted in the window, by cause.
    pub evictions: Evictions,
    /// Response time of cold-started requests.
    pub cold_latency: Latency,
    /// Response time of requests served warm by on-demand instances.
    pub warm_latency: Latency,
    /// Response time of requests served by provisioned instances (always warm).
    pub provisioned_latency: Latency,
    /// Duration of the cold start itself.
    pub cold_start_duration: Latency,
    /// Provisioned concurrency.
    pub provisioned: ProvisionedMetrics,
    /// User requests in flight (waiting for a cold start or executing).
    pub executions: Gauge,
    /// Warm-up pings.
    pub pings: PingCounts,
    /// What was billed: the cost model prices it (`report` hands it to `cost`).
    pub usage: BilledUsage,
    /// Throttles by the limit that caused them.
    pub throttle_causes: ThrottleCauses,
    /// Executions that ended in a function error.
    pub errors: u64,
    /// Executions stopped by the timeout.
    pub timeouts: u64,
    /// Asynchronous events: retries and dead letters.
    pub events: AsyncCounts,
    /// Requests that waited in the pending queue for capacity.
    pub queued: u64,
    /// How long they waited before being placed on an instance.
    pub pending_wait: Latency,
}

/// Throttled requests by cause.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct ThrottleCauses {
    /// Account, reserved or instance-count limit.
    pub concurrency: u64,
    /// Scale-out rate (no token left in a scale-out bucket).
    pub scale_out: u64,
    /// No memory for a new instance and nothing to evict.
    pub memory: u64,
    /// Waited in the pending queue as long as the platform allows.
    pub pending_timeout: u64,
}

impl ThrottleCauses {
    fn add(&mut self, o: &ThrottleCauses) {
        self.concurrency += o.concurrency;
        self.scale_out += o.scale_out;
        self.memory += o.memory;
        self.pending_timeout += o.pending_timeout;
    }
}

/// Asynchronous (event) invocations: each event is attempted until it succeeds, runs out
/// of retries or grows too old. Counted for events that arrived after the warm-up.
#[derive(Debug, Clone, Default)]
pub struct AsyncCounts {
    /// Events accepted.
    pub events: u64,
    /// Events that ended in a successful execution.
    pub succeeded: u64,
    /// Retries after a function error or timeout.
    pub error_retries: u64,
    /// Retries after a throttle.
    pub throttle_retries: u64,
    /// Events sent to the dead-letter queue after their last retry failed.
    pub dead_lettered: u64,
    /// Events sent to the dead-letter queue because they reached the maximum event age.
    pub expired: u64,
    /// From event arrival to the start of its successful attempt: time in the platform's
    /// queue, including back-off.
    pub queue_delay: Latency,
    /// From event arrival to the end of its successful attempt.
    pub end_to_end: Latency,
}

impl AsyncCounts {
    fn add(&mut self, o: &AsyncCounts) {
        self.events += o.events;
        self.succeeded += o.succeeded;
        self.error_retries += o.error_retries;
        self.throttle_retries += o.throttle_retries;
        self.dead_lettered += o.dead_lettered;
        self.expired += o.expired;
        self.queue_delay.merge(&o.queue_delay);
        self.end_to_end.merge(&o.end_to_end);
    }
}

impl FunctionMetrics {
    /// Adds `other`'s counts and distributions (for totals across functions). Gauges are
    /// not added: time-weighted counts of different functions are combined from their
    /// integrals by the caller.
    pub fn add(&mut self, other: &FunctionMetrics) {
        self.invocations += other.invocations;
        self.warm_starts += other.warm_starts;
        self.cold_starts += other.cold_starts;
        self.throttled += other.throttled;
        self.provisioned_served += other.provisioned_served;
        self.spillover += other.spillover;
        self.evictions.add(&other.evictions);
        self.cold_latency.merge(&other.cold_latency);
        self.warm_latency.merge(&other.warm_latency);
        self.provisioned_latency.merge(&other.provisioned_latency);
        self.cold_start_duration.merge(&other.cold_start_duration);
        self.pings.pings += other.pings.pings;
        self.pings.cold += other.pings.cold;
        self.pings.throttled += other.pings.throttled;
        self.provisioned.scale_outs += other.provisioned.scale_outs;
        self.provisioned.scale_ins += other.provisioned.scale_ins;
        self.throttle_causes.add(&other.throttle_causes);
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.events.add(&other.events);
        self.queued += other.queued;
        self.pending_wait.merge(&other.pending_wait);
    }

    /// Settles every distribution at the end of a run (see [`Latency::settle`]).
    pub fn settle(&mut self) {
        for l in [
            &mut self.cold_latency,
            &mut self.warm_latency,
            &mut self.provisioned_latency,
            &mut self.cold_start_duration,
            &mut self.pending_wait,
        ] {
            l.settle();
        }
    }

    /// Empty metrics whose latency histograms record in sorted batches (for runs with many
    /// functions, where each histogram is cold in cache).
    pub fn batched() -> FunctionMetrics {
        FunctionMetrics {
            cold_latency: Latency::batched(),
            warm_latency: Latency::batched(),
            provisioned_latency: Latency::batched(),
            cold_start_duration: Latency::batched(),
            ..FunctionMetrics::default()
        }
    }
}

/// A database's connections over the run (see [`crate::database`]).
#[derive(Debug, Clone, Default)]
pub struct DatabaseMetrics {
    /// Connections in use (held by instances, or by executing requests behind a proxy).
    pub in_use: Gauge,
    /// Connections handed out in the measured period.
    pub acquisitions: u64,
    /// Requests that had to wait for a connection.
    pub waits: u64,
    /// How long those waited.
    pub wait: Latency,
    /// Requests that failed for want of a connection (refused, or waited too long).
    pub failures: u64,
}
