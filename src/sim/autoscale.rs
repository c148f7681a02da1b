//! A metric-based autoscaler (Cloud Run-like): instances start ahead of demand.
//!
//! Every `interval` the function's mean number of requests in flight over the last
//! `window` is compared with what its instances can hold at the target utilisation; when
//! it needs more, new on-demand instances start at once without a request (they take no
//! scale-out token: the platform starts them) and then idle under the keep-alive policy
//! until requests arrive. Scaling in is left to the keep-alive. Requests that find every
//! instance full still start one themselves (or wait in the pending queue), as before.
//!
//! The component decides how many instances a function should have; the platform starts
//! the missing ones within its limits.

use std::collections::VecDeque;

use crate::model::{FunctionId, PerFunction};
use crate::profile::Autoscaler as Rules;
use crate::time::SimTime;

/// One function's autoscaler history.
#[derive(Debug, Default)]
struct History {
    /// Integral of requests in flight at the last evaluation (value × ns).
    last_area: u128,
    /// Mean requests in flight over each of the last `periods` intervals.
    means: VecDeque<f64>,
}

/// The autoscaler of a platform that has one, with every function's history.
pub(super) struct Autoscale {
    rules: Rules,
    funcs: PerFunction<History>,
}

impl Autoscale {
    /// An autoscaler with `rules` for `functions` functions.
    pub(super) fn new(rules: Rules, functions: usize) -> Self {
        Autoscale {
            rules,
            funcs: (0..functions).map(|_| History::default()).collect(),
        }
    }

    /// Time between evaluations.
    pub(super) fn interval(&self) -> SimTime {
        self.rules.interval
    }

    /// An evaluation of function `f`: `area` is the integral of its requests in flight
    /// since the start (value × ns), `cap` its requests per instance. Returns the number
    /// of instances it should have.
    pub(super) fn desired(&mut self, f: FunctionId, area: u128, cap: u32) -> u32 {
        let h = &mut self.funcs[f];
        let mean = (area - h.last_area) as f64 / self.rules.interval.0 as f64;
        h.last_area = area;
        h.means.push_back(mean);
        if h.means.len() > self.rules.periods {
            h.means.pop_front();
        }
        let in_flight = h.means.iter().sum::<f64>() / h.means.len() as f64;
        let per_instance = self.rules.target * f64::from(cap);
        // A hair below an integer is that integer: float noise must not start an instance.
        (in_flight / per_instance - 1e-9).ceil().max(0.0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 % of 10 slots = 6 requests per instance. A mean of 30 in flight over the first
    /// 5 s needs 5 instances; then 0 for 5 s: the 2-interval window averages 15 → 3.
    #[test]
    fn desired_instances_by_hand() {
        let interval = SimTime::from_secs(5.0);
        let mut a = Autoscale::new(
            Rules {
                target: 0.6,
                interval,
                periods: 2,
            },
            1,
        );
        let area = 30 * u128::from(interval.0);
        let f = FunctionId::new(0);
        assert_eq!(a.desired(f, area, 10), 5);
        assert_eq!(a.desired(f, area, 10), 3);
        assert_eq!(a.desired(f, area, 10), 0);
    }
}
