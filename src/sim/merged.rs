//! Counts that add up over functions, rebuilt in time order when functions run apart.
//!
//! When functions share nothing, a run advances one function at a time over a stretch of
//! simulated time (`independent.rs`). What each function measures alone is unaffected, but
//! a count summed over all functions (the fleet's instances) cannot be kept as events
//! come: another function's changes in the same stretch have not happened yet. It is
//! instead kept as a list of [`Change`]s, sorted at the end of the stretch and replayed in
//! time order.
//!
//! Changes at the same instant are taken in function order, and a function's own changes in
//! the order they happened (the sort is stable). When the functions are split among
//! threads, each thread notes its own functions' changes and the lists are put together
//! before the sort: a function's changes all come from one thread, in the order made, so
//! the sorted list is the same however the functions were split.

use crate::model::FunctionId;
use crate::time::SimTime;

/// A count moved by one at `at`, by function `func`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Change {
    pub(super) at: SimTime,
    pub(super) func: FunctionId,
    pub(super) up: bool,
}

/// The changes of one stretch, in the order the functions made them (one function's in the
/// order made; different functions' in any order).
#[derive(Debug, Default)]
pub(super) struct Changes {
    list: Vec<Change>,
}

impl Changes {
    /// Notes that `func` moved the count by one at `at`.
    #[inline]
    pub(super) fn push(&mut self, at: SimTime, func: FunctionId, up: bool) {
        self.list.push(Change { at, func, up });
    }

    /// Adds changes noted elsewhere (another thread's functions), leaving `more` empty.
    pub(super) fn append(&mut self, more: &mut Vec<Change>) {
        self.list.append(more);
    }

    /// The changes noted so far, in the order made, leaving the list empty.
    pub(super) fn take(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.list)
    }

    /// The stretch's changes in time order (same instant: function order, then the order
    /// they were made), leaving the list empty for the next stretch.
    pub(super) fn drain_sorted(&mut self) -> std::vec::Drain<'_, Change> {
        // Each function's changes are already in time order: the stable sort merges runs.
        self.list.sort_by_key(|c| (c.at, c.func));
        self.list.drain(..)
    }

    /// Changes noted and not yet drained.
    pub(super) fn len(&self) -> usize {
        self.list.len()
    }
}

/// The largest value of a count over the window `[start, end]`, by the rule of
/// [`Occupancy`](crate::metrics::Occupancy): a value that lasts a while inside the window,
/// or that a rise reaches at an instant in `[start, end)`.
#[derive(Debug, Default)]
pub(super) struct Peak {
    level: u32,
    last: SimTime,
    max: u32,
}

impl Peak {
    /// Applies `change` (which must not be before the last one).
    pub(super) fn apply(&mut self, change: Change, start: SimTime, end: SimTime) {
        self.advance(change.at, start, end);
        if change.up {
            self.level += 1;
            if change.at >= start && change.at < end {
                self.max = self.max.max(self.level);
            }
        } else {
            self.level -= 1;
        }
    }

    fn advance(&mut self, now: SimTime, start: SimTime, end: SimTime) {
        if now.min(end) > self.last.max(start) {
            self.max = self.max.max(self.level);
        }
        self.last = now;
    }

    /// The largest value, once the window has closed.
    pub(super) fn finish(mut self, start: SimTime, end: SimTime) -> u32 {
        self.advance(end, start, end);
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(at: u64, func: usize, up: bool) -> Change {
        Change {
            at: SimTime(at),
            func: FunctionId::new(func),
            up,
        }
    }

    #[test]
    fn changes_come_out_by_time_then_function_then_order_made() {
        let mut c = Changes::default();
        // Function 1 first (as a run visits it), then function 0.
        c.push(SimTime(5), FunctionId::new(1), true);
        c.push(SimTime(5), FunctionId::new(1), false);
        c.push(SimTime(9), FunctionId::new(1), true);
        c.push(SimTime(5), FunctionId::new(0), true);
        c.push(SimTime(7), FunctionId::new(0), false);
        let got: Vec<Change> = c.drain_sorted().collect();
        assert_eq!(
            got,
            vec![
                change(5, 0, true),
                change(5, 1, true),
                change(5, 1, false),
                change(7, 0, false),
                change(9, 1, true),
            ]
        );
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn peak_follows_the_occupancy_rule() {
        // Window [10, 100]. Up at 0 and 5 (before the window: level 2 lasts into it), an
        // up-and-down at 50 (3 for an instant), two ups at 100 (the end: not counted).
        let mut p = Peak::default();
        let (start, end) = (SimTime(10), SimTime(100));
        for c in [
            change(0, 0, true),
            change(5, 1, true),
            change(50, 1, true),
            change(50, 1, false),
            change(100, 0, true),
            change(100, 0, true),
        ] {
            p.apply(c, start, end);
        }
        assert_eq!(p.finish(start, end), 3);
        // Only a level lasting inside the window: 2 instances from before the window.
        let mut p = Peak::default();
        p.apply(change(0, 0, true), start, end);
        p.apply(change(1, 0, true), start, end);
        assert_eq!(p.finish(start, end), 2);
        // A rise at the window's start counts at once.
        let mut p = Peak::default();
        p.apply(change(0, 0, true), start, end);
        p.apply(change(10, 0, true), start, end);
        p.apply(change(10, 0, false), start, end);
        assert_eq!(p.finish(start, end), 2);
        // A rise after the window and nothing inside: 0.
        let mut p = Peak::default();
        p.apply(change(200, 0, true), start, end);
        assert_eq!(p.finish(start, end), 0);
    }
}
