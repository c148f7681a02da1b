//! What a run measures: latency histograms, outcome counters and time-weighted instance
//! counts. Everything streams: memory does not depend on the number of requests.

use hdrhistogram::Histogram;

use crate::time::SimTime;

/// Significant digits kept by the latency histograms.
const SIGFIG: u8 = 3;

/// A latency distribution: an HDR histogram in microseconds (3 significant digits) plus an
/// exact count, sum and maximum in nanoseconds.
#[derive(Debug, Clone)]
pub struct Latency {
    hist: Histogram<u64>,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            hist: {
                // Sized for a minute up front so that typical runs never resize; larger
                // values grow the histogram.
                let mut h = Histogram::new_with_bounds(1, 60_000_000, SIGFIG)
                    .expect("valid histogram bounds");
                h.auto(true);
                h
            },
            count: 0,
            sum_ns: 0,
            max_ns: 0,
        }
    }
}

impl Latency {
    /// Records one latency.
    #[inline]
    pub fn record(&mut self, d: SimTime) {
        // The histogram grows to fit; it can only fail past u64 bucket indices, where
        // clamping to the largest trackable value is the best we can do.
        if self.hist.record(d.as_micros()).is_err() {
            self.hist.saturating_record(d.as_micros());
        }
        self.count += 1;
        self.sum_ns += d.0 as u128;
        self.max_ns = self.max_ns.max(d.0);
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Latency) {
        self.hist
            .add(&other.hist)
            .expect("auto-resizing histograms always merge");
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean, ms.
    pub fn mean_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ns as f64 / self.count as f64 / 1e6)
    }

    /// Exact maximum, ms.
    pub fn max_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.max_ns as f64 / 1e6)
    }

    /// The `q` quantile (0..=1), ms, to 3 significant digits; capped at the exact maximum.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        (self.count > 0).then(|| {
            let us = self.hist.value_at_quantile(q);
            (us as f64 / 1e3).min(self.max_ns as f64 / 1e6)
        })
    }

    /// The underlying histogram (microseconds).
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.hist
    }
}

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

/// Everything measured for one function.
#[derive(Debug, Clone, Default)]
pub struct FunctionMetrics {
    /// Measured arrivals.
    pub invocations: u64,
    /// Served by an idle instance.
    pub warm_starts: u64,
    /// Served after starting a new instance.
    pub cold_starts: u64,
    /// Rejected by a concurrency limit (HTTP 429).
    pub throttled: u64,
    /// Instances evicted by keep-alive expiry in the window.
    pub evictions: u64,
    /// Response time of cold-started requests.
    pub cold_latency: Latency,
    /// Response time of warm-started requests.
    pub warm_latency: Latency,
    /// Duration of the cold start itself.
    pub cold_start_duration: Latency,
}
