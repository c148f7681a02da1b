//! A metric-based autoscaler (Cloud Run-like): instances start ahead of demand.
//!
//! Every `interval` the function's mean number of requests in flight over the last
//! `window` is compared with what its instances can hold at the target utilisation; when
//! it needs more, new on-demand instances start at once without a request (they take no
//! scale-out token: the platform starts them) and then idle under the keep-alive policy
//! until requests arrive. Scaling in is left to the keep-alive. Requests that find every
//! instance full still start one themselves (or wait in the pending queue), as before.

use std::collections::VecDeque;

use super::{Event, Sim};
use crate::time::SimTime;

/// One function's autoscaler history.
#[derive(Debug, Default)]
pub(super) struct AutoscaleState {
    /// Integral of requests in flight at the last evaluation (value × ns).
    last_area: u128,
    /// Mean requests in flight over each of the last `periods` intervals.
    means: VecDeque<f64>,
}

impl Sim<'_, '_> {
    /// Schedules every function's first evaluation (platforms with an autoscaler).
    pub(super) fn start_autoscaler(&mut self) {
        let Some(a) = self.scenario.platform.autoscaler else {
            return;
        };
        if a.interval < self.scenario.duration {
            for f in 0..self.funcs.len() {
                self.queue
                    .schedule(a.interval, Event::Autoscale { func: f as u32 });
            }
        }
    }

    pub(super) fn on_autoscale(&mut self, now: SimTime, f: usize) {
        let Some(a) = self.scenario.platform.autoscaler else {
            return;
        };
        let area = self.meter.gauge_area(now, f, |m| &mut m.executions);
        let fs = &mut self.funcs[f];
        let mean = (area - fs.autoscale.last_area) as f64 / a.interval.0 as f64;
        fs.autoscale.last_area = area;
        fs.autoscale.means.push_back(mean);
        if fs.autoscale.means.len() > a.periods {
            fs.autoscale.means.pop_front();
        }
        let in_flight = fs.autoscale.means.iter().sum::<f64>() / fs.autoscale.means.len() as f64;
        let per_instance = a.target * f64::from(fs.hot.cap);
        // A hair below an integer is that integer: float noise must not start an instance.
        let desired = (in_flight / per_instance - 1e-9).ceil().max(0.0) as u32;
        let o = self.meter.occupancy(f);
        let current = o.provisioning + o.busy + o.idle;
        for _ in current..desired {
            if !self.limits.has_headroom(f)
                || self.spawn(now, f, false, SimTime::ZERO, false).is_none()
            {
                break;
            }
        }
        let next = now + a.interval;
        if next < self.scenario.duration {
            self.queue
                .schedule(next, Event::Autoscale { func: f as u32 });
        }
    }
}
