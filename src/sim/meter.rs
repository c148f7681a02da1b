//! The meter: what a run measures about functions and their instances, over the
//! measurement window `[warmup, duration]`.
//!
//! It owns each function's [`FunctionMetrics`] (counters, histograms, time-weighted gauges)
//! and instance [`Occupancy`] (instances by state, time-averaged), and the total occupancy
//! across functions. Other components report to it; it never decides anything.

use super::instance::State;
use super::merged::{Change, Changes};
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
    /// Per function: counters and histograms.
    metrics: PerFunction<FunctionMetrics>,
    /// Per function: instance counts. Kept apart from `metrics` so that each is handed
    /// back at the end as it is, without a second copy of tens of thousands of entries.
    occupancy: PerFunction<Occupancy>,
    /// All functions together (with one function, that function's occupancy, copied at
    /// the end; with functions run apart, left to `independent.rs`).
    total: Occupancy,
    /// Functions run apart: instances appearing and going away in the current stretch,
    /// handed to `independent.rs`, which replays them for the largest total.
    apart: Option<Changes>,
    /// Whether `total` is left alone during the run: with one function it is that
    /// function's occupancy, copied at the end; with functions run apart it is built by
    /// `independent.rs` from every function's.
    own_only: bool,
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
            metrics: (0..functions)
                .map(|_| {
                    if batched {
                        FunctionMetrics::batched()
                    } else {
                        FunctionMetrics::default()
                    }
                })
                .collect(),
            occupancy: (0..functions).map(|_| Occupancy::default()).collect(),
            total: Occupancy::default(),
            apart: None,
            own_only: functions == 1,
        }
    }

    /// Functions will run apart: the total is left alone; `independent.rs` sums it at the
    /// end and replays its largest value from each stretch's changes
    /// ([`take_changes`](Self::take_changes)).
    pub(super) fn run_apart(&mut self) {
        self.apart = Some(Changes::default());
        self.own_only = true;
        // A function's histograms stay in cache while it runs: batching would only cost.
        for m in &mut self.metrics {
            *m = FunctionMetrics::default();
        }
    }

    /// Whether functions run apart.
    pub(super) fn ran_apart(&self) -> bool {
        self.apart.is_some()
    }

    /// Functions run apart: the instance changes noted since the last call, in the order
    /// they were made (empty when functions do not run apart).
    pub(super) fn take_changes(&mut self) -> Vec<Change> {
        self.apart.as_mut().map_or_else(Vec::new, Changes::take)
    }

    /// The measurement window `[start, end]`.
    pub(super) fn window(&self) -> (SimTime, SimTime) {
        (self.start, self.end)
    }

    /// Whether `now` is inside the measurement window.
    #[inline]
    pub(super) fn in_window(&self, now: SimTime) -> bool {
        now >= self.start && now <= self.end
    }

    /// Function `f`'s counters and histograms.
    #[inline]
    pub(super) fn metrics(&mut self, f: FunctionId) -> &mut FunctionMetrics {
        &mut self.metrics[f]
    }

    /// Function `f`'s instance counts.
    #[inline]
    pub(super) fn occupancy(&self, f: FunctionId) -> &Occupancy {
        &self.occupancy[f]
    }

    /// One of function `f`'s instances appears (`from` is `None`), goes away (`to` is
    /// `None`) or moves between states; the counts are integrated up to `now` first.
    pub(super) fn shift(
        &mut self,
        now: SimTime,
        f: FunctionId,
        from: Option<State>,
        to: Option<State>,
    ) {
        if let Some(a) = self.apart.as_mut()
            && from.is_none() != to.is_none()
        {
            // The total is rebuilt later from appearances and removals.
            a.push(now, f, to.is_some());
        }
        self.count_move(now, f, from, to);
    }

    /// [`Meter::shift`] for an instance that moves from state `from` to `to`: the path of
    /// every request (idle to busy, and back), so it is inlined where the states are
    /// constants. The number of instances does not change, so functions run apart have
    /// nothing to note for the total.
    #[inline(always)]
    pub(super) fn exchange(&mut self, now: SimTime, f: FunctionId, from: State, to: State) {
        self.count_move(now, f, Some(from), Some(to));
    }

    /// Moves one instance in the counts of `f` and, while it is kept during the run, in the
    /// total.
    #[inline(always)]
    fn count_move(&mut self, now: SimTime, f: FunctionId, from: Option<State>, to: Option<State>) {
        let (start, end) = (self.start, self.end);
        move_one(&mut self.occupancy[f], (now, start, end), from, to);
        if !self.own_only {
            move_one(&mut self.total, (now, start, end), from, to);
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
        which(&mut self.metrics[f]).add(d, now, self.start, self.end);
    }

    /// Brings one of function `f`'s gauges up to `now` and returns its area over the whole
    /// run so far (for controllers that look at a recent average).
    pub(super) fn gauge_area(
        &mut self,
        now: SimTime,
        f: FunctionId,
        which: fn(&mut FunctionMetrics) -> &mut Gauge,
    ) -> u128 {
        let g = which(&mut self.metrics[f]);
        g.close(now, self.start, self.end);
        g.area_all()
    }

    /// Closes the window: integrates what is left up to its end.
    pub(super) fn finish(mut self) -> Measured {
        let (start, end) = (self.start, self.end);
        for occ in &mut self.occupancy {
            occ.advance(end, start, end);
        }
        for m in &mut self.metrics {
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
        if let Some(a) = self.apart.take() {
            debug_assert_eq!(a.len(), 0, "a stretch's changes were not taken");
            // The total is built by `independent.rs` from every function's counts.
        } else if self.occupancy.len() == 1 {
            self.total = self.occupancy[FunctionId::new(0)].clone();
        } else {
            self.total.advance(end, start, end);
        }
        Measured {
            metrics: self.metrics.into_vec(),
            occupancy: self.occupancy.into_vec(),
            total: self.total,
        }
    }
}

/// Moves one instance of `o` out of state `from` and into state `to` at `now` (`None`:
/// it appears or goes away), integrating the counts over the window `[start, end]` first.
#[inline(always)]
fn move_one(
    o: &mut Occupancy,
    (now, start, end): (SimTime, SimTime, SimTime),
    from: Option<State>,
    to: Option<State>,
) {
    o.advance(now, start, end);
    if let Some(s) = from {
        *count(o, s) -= 1;
    }
    if let Some(s) = to {
        *count(o, s) += 1;
        o.observe(now, start, end);
    }
}

/// The count of instances in `state` (free instances are not counted).
#[inline]
fn count(o: &mut Occupancy, state: State) -> &mut u32 {
    match state {
        State::Provisioning => &mut o.provisioning,
        State::Busy => &mut o.busy,
        State::Idle => &mut o.idle,
        State::Free => unreachable!("free instances are not counted"),
    }
}
