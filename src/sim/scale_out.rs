//! Scale-out rate limits: token buckets of new execution environments.
//!
//! Each on-demand instance started for a request takes one token from every bucket that
//! applies (the function's and the account's); with less than one token in any of them the
//! request is throttled. Two refill rules cover the published AWS Lambda behaviour:
//! continuous refill (current rule: +1,000 environments per 10 s per function, "refilled
//! continuously, not accumulated" beyond the bucket) and a step at each whole multiple of
//! the period since the start of the run (legacy rule: +500 per minute after an initial
//! burst). Buckets start full.

use crate::profile::TokenBucket;
use crate::time::SimTime;

/// A token bucket's state.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    spec: TokenBucket,
    tokens: f64,
    updated: SimTime,
}

impl Bucket {
    pub(super) fn new(spec: TokenBucket) -> Bucket {
        Bucket {
            spec,
            tokens: spec.capacity,
            updated: SimTime::ZERO,
        }
    }

    /// Adds what accrued since the last update, up to the capacity.
    fn refill(&mut self, now: SimTime) {
        if now <= self.updated {
            return;
        }
        let added = if self.spec.continuous {
            self.spec.refill * ((now - self.updated).0 as f64 / self.spec.every.0 as f64)
        } else {
            let steps = now.0 / self.spec.every.0 - self.updated.0 / self.spec.every.0;
            self.spec.refill * steps as f64
        };
        self.tokens = (self.tokens + added).min(self.spec.capacity);
        self.updated = now;
    }

    /// Whether a whole token is available at `now`.
    pub(super) fn ready(&mut self, now: SimTime) -> bool {
        self.refill(now);
        self.tokens >= 1.0
    }

    /// Takes one token (call after [`Bucket::ready`] said yes at the same instant).
    pub(super) fn take(&mut self) {
        self.tokens -= 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> SimTime {
        SimTime::from_secs(s)
    }

    fn drain(b: &mut Bucket, now: SimTime) -> u32 {
        let mut n = 0;
        while b.ready(now) {
            b.take();
            n += 1;
        }
        n
    }

    #[test]
    fn continuous_bucket_refills_at_its_rate_and_never_beyond_capacity() {
        let mut b = Bucket::new(TokenBucket {
            capacity: 1000.0,
            refill: 1000.0,
            every: secs(10.0),
            continuous: true,
        });
        assert_eq!(drain(&mut b, SimTime::ZERO), 1000);
        // 100 per second: 2.5 s later, 250 more.
        assert_eq!(drain(&mut b, secs(2.5)), 250);
        // Accrual runs from the last update, not from the start: 0.5 s after 2.5 s, 50.
        assert_eq!(drain(&mut b, secs(3.0)), 50);
        // An hour of quiet refills to the capacity, not beyond.
        assert_eq!(drain(&mut b, secs(3600.0)), 1000);
    }

    #[test]
    fn stepped_bucket_adds_only_at_whole_periods() {
        let mut b = Bucket::new(TokenBucket {
            capacity: 3000.0,
            refill: 500.0,
            every: secs(60.0),
            continuous: false,
        });
        assert_eq!(drain(&mut b, secs(1.0)), 3000);
        assert_eq!(drain(&mut b, secs(59.999)), 0);
        assert_eq!(drain(&mut b, secs(60.0)), 500);
        assert_eq!(drain(&mut b, secs(119.0)), 0);
        // Two boundaries (120 s, 180 s) passed.
        assert_eq!(drain(&mut b, secs(185.0)), 1000);
        assert_eq!(drain(&mut b, secs(100_000.0)), 3000);
    }
}
