//! The meter: what a run measures about functions and their instances, over the
//! measurement window `[warmup, duration]`.
//!
//! It owns each function's [`FunctionMetrics`] (counters, histograms, time-weighted gauges)
//! and instance [`Occupancy`] (instances by state, time-averaged), and the total occupancy
//! across functions. Other components report to it; it never decides anything.

use super::instance::State;
use crate::metrics::{FunctionMetrics, Gauge, Occupancy};
use crate::model::{FunctionId, PerFunction};
use crate::time::SimTime;

/// From this many functions on, latency histograms record in sorted batches: 1,000
/// functions ran 1.6× faster, one function 12 % slower (`docs/performance.md`).
const BATCH_FROM_FUNCTIONS: usize = 16;

/// Measurements of every function, and of all together.
pub(super) struct Meter {
    start: SimTime,
    end: SimTime,
    /// Per function, side by side: a request touches both.
    funcs: PerFunction<(FunctionMetrics, Occupancy)>,
    /// All functions together (with one function, that function's occupancy, copied at
    /// the end).
    total: Occupancy,
}

/// What the meter measured, handed back at the end of a run.
pub(super) struct Measured {
    pub(super) metrics: Vec<FunctionMetrics>,
    pub(super) occupancy: Vec<Occupancy>,
    pub(super) total: Occupancy,
}

impl Meter {
    /// A meter for `functions` functions over the window `[start, end]`.
    pub(super) fn new(functions: usize, start: SimTime, end: SimTime) -> Self {
        let batched = functions >= BATCH_FROM_FUNCTIONS;
        Meter {
            start,
            end,
            funcs: (0..functions)
                .map(|_| {
                    let m = if batched {
                        FunctionMetrics::batched()
                    } else {
                        FunctionMetrics::default()
                    };
                    (m, Occupancy::default())
                })
                .collect(),
            total: Occupancy::default(),
        }
    }

    /// Whether `now` is inside the measurement window.
    #[inline]
    pub(super) fn in_window(&self, now: SimTime) -> bool {
        now >= self.start && now <= self.end
    }

    /// Function `f`'s counters and histograms.
    #[inline]
    pub(super) fn metrics(&mut self, f: FunctionId) -> &mut FunctionMetrics {
        &mut self.funcs[f].0
    }

    /// Function `f`'s instance counts.
    #[inline]
    pub(super) fn occupancy(&self, f: FunctionId) -> &Occupancy {
        &self.funcs[f].1
    }

    /// One of function `f`'s instances moves between states (`None`: it appears or goes
    /// away); the counts are integrated up to `now` first.
    #[inline]
    pub(super) fn shift(
        &mut self,
        now: SimTime,
        f: FunctionId,
        from: Option<State>,
        to: Option<State>,
    ) {
        let (start, end) = (self.start, self.end);
        let single = self.funcs.len() == 1;
        let occ = &mut self.funcs[f].1;
        occ.advance(now, start, end);
        if !single {
            self.total.advance(now, start, end);
        }
        fn count(o: &mut Occupancy, state: State) -> &mut u32 {
            match state {
                State::Provisioning => &mut o.provisioning,
                State::Busy => &mut o.busy,
                State::Idle => &mut o.idle,
                State::Free => unreachable!("free instances are not counted"),
            }
        }
        if let Some(s) = from {
            *count(occ, s) -= 1;
            if !single {
                *count(&mut self.total, s) -= 1;
            }
        }
        if let Some(s) = to {
            *count(occ, s) += 1;
            occ.observe(now, start, end);
            if !single {
                *count(&mut self.total, s) += 1;
                self.total.observe(now, start, end);
            }
        }
    }

    /// Adds `d` to one of function `f`'s time-weighted gauges at `now`.
    #[inline]
    pub(super) fn gauge(
        &mut self,
        now: SimTime,
        f: FunctionId,
        which: fn(&mut FunctionMetrics) -> &mut Gauge,
        d: i32,
    ) {
        which(&mut self.funcs[f].0).add(d, now, self.start, self.end);
    }

    /// Brings one of function `f`'s gauges up to `now` and returns its area over the whole
    /// run so far (for controllers that look at a recent average).
    pub(super) fn gauge_area(
        &mut self,
        now: SimTime,
        f: FunctionId,
        which: fn(&mut FunctionMetrics) -> &mut Gauge,
    ) -> u128 {
        let g = which(&mut self.funcs[f].0);
        g.close(now, self.start, self.end);
        g.area_all()
    }

    /// Closes the window: integrates what is left up to its end.
    pub(super) fn finish(mut self) -> Measured {
        let (start, end) = (self.start, self.end);
        for (m, occ) in &mut self.funcs {
            occ.advance(end, start, end);
            m.settle();
            for g in [
                &mut m.executions,
                &mut m.provisioned.allocated,
                &mut m.provisioned.ready,
                &mut m.provisioned.busy,
            ] {
                g.close(end, start, end);
            }
        }
        if self.funcs.len() == 1 {
            self.total = self.funcs[FunctionId::new(0)].1.clone();
        } else {
            self.total.advance(end, start, end);
        }
        let (metrics, occupancy) = self.funcs.into_iter().unzip();
        Measured {
            metrics,
            occupancy,
            total: self.total,
        }
    }
}
