//! The pending queue: requests that wait for capacity instead of a 429.
//!
//! On platforms with `pending_timeout_s` (Cloud Run, Azure), a request that finds no free
//! slot and cannot start an instance (a concurrency, scale-out or memory limit) waits in its
//! function's queue, in arrival order, for at most that long; then it is throttled
//! (`throttle_causes.pending_timeout`). The queue is served whenever a request of the
//! function ends (a slot frees) and, while it is not empty, every [`POLL`] (capacity can
//! also come back without a request ending: a scale-out token refills, another function's
//! instance goes away). New arrivals queue behind waiting ones. Warm-up pings never wait.
//!
//! The component keeps the queues and says when to poll; the platform places the
//! requests it hands out.

use std::collections::VecDeque;

use super::request::Incoming;
use crate::model::{FunctionId, PerFunction};
use crate::time::SimTime;

/// How often a non-empty queue is retried without a request ending.
pub(super) const POLL: SimTime = SimTime(50_000_000);

/// One function's waiting requests.
#[derive(Debug, Default)]
struct Queue {
    /// Entries in arrival order; an entry that expired is `None` until it reaches the front.
    entries: VecDeque<Option<Incoming>>,
    /// Index (in all entries ever queued) of `entries[0]`.
    first: u64,
    /// Entries still waiting.
    waiting: usize,
    poll_armed: bool,
}

/// Every function's pending queue, on a platform that has one.
pub(super) struct Pending {
    /// How long a request may wait (`None`: the platform throttles at once).
    timeout: Option<SimTime>,
    funcs: PerFunction<Queue>,
}

impl Pending {
    /// Queues for `functions` functions; `timeout` is the platform's pending timeout.
    pub(super) fn new(timeout: Option<SimTime>, functions: usize) -> Self {
        Pending {
            timeout,
            funcs: (0..functions).map(|_| Queue::default()).collect(),
        }
    }

    /// Whether refused requests wait here (the platform has a pending queue).
    #[inline]
    pub(super) fn enabled(&self) -> bool {
        self.timeout.is_some()
    }

    /// Whether requests of `f` are waiting.
    #[inline]
    pub(super) fn has_waiting(&self, f: FunctionId) -> bool {
        // Without a pending queue nobody waits: no per-function look-up on the hot path.
        self.timeout.is_some() && self.funcs[f].waiting > 0
    }

    /// Queues `inc` for `f` at `now`; returns when it expires and the low 32 bits of its
    /// index, for the expiry event. Entry indices fit in u32 for any run that could hold
    /// them in memory at once; [`expire`](Self::expire) rebuilds the full index.
    pub(super) fn push(&mut self, now: SimTime, f: FunctionId, inc: Incoming) -> (SimTime, u32) {
        let timeout = self
            .timeout
            .expect("only platforms with a pending queue queue requests");
        let q = &mut self.funcs[f];
        let index = q.first + q.entries.len() as u64;
        q.entries.push_back(Some(inc));
        q.waiting += 1;
        (inc.arrival.saturating_add(timeout).max(now), index as u32)
    }

    /// Whether a poll of `f` should be scheduled now (it has waiting requests and no
    /// poll pending); marks it pending.
    pub(super) fn arm_poll(&mut self, f: FunctionId) -> bool {
        let q = &mut self.funcs[f];
        if !q.poll_armed && q.waiting > 0 {
            q.poll_armed = true;
            return true;
        }
        false
    }

    /// The poll of `f` fired.
    pub(super) fn poll_fired(&mut self, f: FunctionId) {
        self.funcs[f].poll_armed = false;
    }

    /// The oldest request of `f` still waiting (it stays queued until
    /// [`pop_front`](Self::pop_front)).
    pub(super) fn front(&mut self, f: FunctionId) -> Option<Incoming> {
        let q = &mut self.funcs[f];
        while matches!(q.entries.front(), Some(None)) {
            q.entries.pop_front();
            q.first += 1;
        }
        q.entries.front().copied().flatten()
    }

    /// The oldest waiting request of `f` was placed.
    pub(super) fn pop_front(&mut self, f: FunctionId) {
        let q = &mut self.funcs[f];
        q.entries.pop_front();
        q.first += 1;
        q.waiting -= 1;
    }

    /// Entry `entry` (low 32 bits of its index) of `f` waited as long as it may: the
    /// request, unless it was placed already.
    pub(super) fn expire(&mut self, f: FunctionId, entry: u32) -> Option<Incoming> {
        let q = &mut self.funcs[f];
        // The entry is at or after the front: rebuild its full index from the low bits.
        let offset = entry.wrapping_sub(q.first as u32) as usize;
        let inc = q.entries.get_mut(offset)?.take()?;
        q.waiting -= 1;
        Some(inc)
    }
}
