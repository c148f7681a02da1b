//! A metric-based autoscaler (Cloud Run-like): instances start ahead of demand.
//!
//! Every `interval` the autoscaler compares, for each function, two loads over the last
//! `window` with what its instances can carry at the target utilisation, and wants the
//! larger number of instances:
//! - requests in flight against `target` × the per-instance concurrency;
//! - for a function whose requests share the CPU, the CPU work its executions brought
//!   (vCPU-seconds per second) against `target` × its vCPUs per instance. Cloud Run scales
//!   "to keep the average CPU utilization at 60 %" as well as concurrency at 60 % of its
//!   maximum (cloud.google.com/run/docs/about-instance-autoscaling); without this a
//!   CPU-bound function on an instance of 80 requests saturates its vCPU long before its
//!   concurrency looks busy.
//!
//! When it wants more, new on-demand instances start at once without a request (they take
//! no scale-out token: the platform starts them) and then idle under the keep-alive policy
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
    /// vCPUs of an instance when the function shares the CPU (0: no CPU target).
    vcpus: f64,
    /// CPU work brought since the last evaluation, vCPU-ns.
    cpu_work: f64,
    /// Mean vCPUs of work over each of the last `periods` intervals.
    cpu_means: VecDeque<f64>,
}

/// The autoscaler of a platform that has one, with every function's history.
pub(super) struct Autoscale {
    rules: Rules,
    funcs: PerFunction<History>,
}

/// Pushes `value` into a window of at most `periods` values; returns the window's mean.
fn windowed_mean(window: &mut VecDeque<f64>, value: f64, periods: usize) -> f64 {
    window.push_back(value);
    if window.len() > periods {
        window.pop_front();
    }
    window.iter().sum::<f64>() / window.len() as f64
}

/// Instances for `load` at `per_instance` each; a hair below an integer is that integer
/// (float noise must not start an instance).
fn instances_for(load: f64, per_instance: f64) -> u32 {
    (load / per_instance - 1e-9).ceil().max(0.0) as u32
}

impl Autoscale {
    /// An autoscaler with `rules` for functions whose instances have these vCPUs when
    /// their requests share the CPU (`None`: no CPU target).
    pub(super) fn new(rules: Rules, cpu: impl Iterator<Item = Option<f64>>) -> Self {
        Autoscale {
            rules,
            funcs: cpu
                .map(|vcpus| History {
                    vcpus: vcpus.unwrap_or(0.0),
                    ..History::default()
                })
                .collect(),
        }
    }

    /// Time between evaluations.
    pub(super) fn interval(&self) -> SimTime {
        self.rules.interval
    }

    /// An execution of `f` brought `vcpu_ns` of CPU work.
    #[inline]
    pub(super) fn note_cpu(&mut self, f: FunctionId, vcpu_ns: f64) {
        self.funcs[f].cpu_work += vcpu_ns;
    }

    /// An evaluation of function `f`: `area` is the integral of its requests in flight
    /// since the start (value × ns), `cap` its requests per instance. Returns the number
    /// of instances it should have.
    pub(super) fn desired(&mut self, f: FunctionId, area: u128, cap: u32) -> u32 {
        let (interval, periods, target) = (
            self.rules.interval.0 as f64,
            self.rules.periods,
            self.rules.target,
        );
        let h = &mut self.funcs[f];
        let mean = (area - h.last_area) as f64 / interval;
        h.last_area = area;
        let in_flight = windowed_mean(&mut h.means, mean, periods);
        let by_concurrency = instances_for(in_flight, target * f64::from(cap));
        if h.vcpus <= 0.0 {
            return by_concurrency;
        }
        let work = std::mem::take(&mut h.cpu_work) / interval;
        let cpu = windowed_mean(&mut h.cpu_means, work, periods);
        by_concurrency.max(instances_for(cpu, target * h.vcpus))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            target: 0.6,
            interval: SimTime::from_secs(5.0),
            periods: 2,
        }
    }

    /// 60 % of 10 slots = 6 requests per instance. A mean of 30 in flight over the first
    /// 5 s needs 5 instances; then 0 for 5 s: the 2-interval window averages 15 → 3.
    #[test]
    fn desired_instances_by_hand() {
        let mut a = Autoscale::new(rules(), [None].into_iter());
        let f = FunctionId::new(0);
        let area = 30 * u128::from(rules().interval.0);
        assert_eq!(a.desired(f, area, 10), 5);
        assert_eq!(a.desired(f, area, 10), 3);
        assert_eq!(a.desired(f, area, 10), 0);
    }

    /// The CPU target: 100 requests a second of 100 ms of CPU work are 10 vCPUs; at 60 % of
    /// 1 vCPU an instance carries 0.6, so 17 instances, although 10 in flight fit one
    /// instance of 80 at 60 % (48). A function off the shared CPU has no CPU target.
    /// With 2 vCPUs per instance, half as many (rounded up).
    #[test]
    fn cpu_bound_work_sets_the_instances_by_hand() {
        let mut a = Autoscale::new(rules(), [Some(1.0), None, Some(2.0)].into_iter());
        let (f, g, h) = (FunctionId::new(0), FunctionId::new(1), FunctionId::new(2));
        let interval = rules().interval;
        let area = 10 * u128::from(interval.0);
        for _ in 0..500 {
            a.note_cpu(f, 1e8);
            a.note_cpu(g, 1e8);
            a.note_cpu(h, 1e8);
        }
        assert_eq!(a.desired(f, area, 80), 17);
        assert_eq!(a.desired(g, area, 80), 1);
        // Instances of 2 vCPUs carry 1.2 each at 60 %: 10 / 1.2 = 8.3, so 9.
        assert_eq!(a.desired(h, area, 80), 9);
    }
}
