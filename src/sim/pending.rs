//! The pending queue: requests that wait for capacity instead of a 429.
//!
//! On platforms with `pending_timeout_s` (Cloud Run, Azure), a request that finds no free
//! slot and cannot start an instance (a concurrency, scale-out or memory limit) waits in its
//! function's queue, in arrival order, for at most that long; then it is throttled
//! (`throttle_causes.pending_timeout`). The queue is served whenever a request of the
//! function ends (a slot frees) and, while it is not empty, every [`POLL`] (capacity can
//! also come back without a request ending: a scale-out token refills, another function's
//! instance goes away). New arrivals queue behind waiting ones. Warm-up pings never wait.

use std::collections::VecDeque;

use super::limits::Refusal;
use super::{Event, Incoming, Sim};
use crate::error::Result;
use crate::time::SimTime;

/// How often a non-empty queue is retried without a request ending.
const POLL: SimTime = SimTime(50_000_000);

/// One function's waiting requests.
#[derive(Debug, Default)]
pub(super) struct PendingQueue {
    /// Entries in arrival order; an entry that expired is `None` until it reaches the front.
    entries: VecDeque<Option<Incoming>>,
    /// Index (in all entries ever queued) of `entries[0]`.
    first: u64,
    /// Entries still waiting.
    waiting: usize,
    poll_armed: bool,
}

impl Sim<'_, '_> {
    pub(super) fn has_pending(&self, f: usize) -> bool {
        self.funcs[f].pending.waiting > 0
    }

    /// Queues `inc` for function `f` until capacity frees or its time runs out.
    pub(super) fn enqueue(&mut self, now: SimTime, f: usize, inc: Incoming) {
        let timeout = self
            .scenario
            .platform
            .pending_timeout
            .expect("only platforms with a pending queue queue requests");
        if inc.measured {
            self.meter.metrics(f).queued += 1;
        }
        let q = &mut self.funcs[f].pending;
        let index = q.first + q.entries.len() as u64;
        q.entries.push_back(Some(inc));
        q.waiting += 1;
        // Entry indices fit in u32 for any run that could hold them in memory at once;
        // the event carries the low 32 bits and `on_pending_expire` rebuilds the index.
        self.queue.schedule(
            inc.arrival.saturating_add(timeout).max(now),
            Event::PendingExpire {
                func: f as u32,
                entry: index as u32,
            },
        );
        self.arm_poll(now, f);
    }

    fn arm_poll(&mut self, now: SimTime, f: usize) {
        let q = &mut self.funcs[f].pending;
        if !q.poll_armed && q.waiting > 0 {
            q.poll_armed = true;
            self.queue
                .schedule(now + POLL, Event::PendingPoll { func: f as u32 });
        }
    }

    /// Places waiting requests of `f`, oldest first, while there is capacity.
    pub(super) fn drain_pending(&mut self, now: SimTime, f: usize) -> Result<()> {
        loop {
            let q = &mut self.funcs[f].pending;
            while matches!(q.entries.front(), Some(None)) {
                q.entries.pop_front();
                q.first += 1;
            }
            let Some(Some(inc)) = q.entries.front().copied() else {
                return Ok(());
            };
            let (slot, started) = match self.place(now, f) {
                Ok(placed) => placed,
                Err(_) => return Ok(()),
            };
            let q = &mut self.funcs[f].pending;
            q.entries.pop_front();
            q.first += 1;
            q.waiting -= 1;
            if inc.measured {
                self.meter.metrics(f).pending_wait.record(now - inc.arrival);
            }
            self.admit(now, f, inc, slot, started)?;
        }
    }

    pub(super) fn on_pending_poll(&mut self, now: SimTime, f: usize) -> Result<()> {
        self.funcs[f].pending.poll_armed = false;
        self.drain_pending(now, f)?;
        self.arm_poll(now, f);
        Ok(())
    }

    /// Entry `entry` (low 32 bits of its index) of `f` waited as long as it may.
    pub(super) fn on_pending_expire(&mut self, now: SimTime, f: usize, entry: u32) -> Result<()> {
        let q = &mut self.funcs[f].pending;
        // The entry is at or after the front: rebuild its full index from the low bits.
        let offset = entry.wrapping_sub(q.first as u32) as usize;
        let Some(slot) = q.entries.get_mut(offset) else {
            return Ok(()); // Already placed and popped.
        };
        let Some(inc) = slot.take() else {
            return Ok(());
        };
        q.waiting -= 1;
        self.throttle(now, f, inc, Refusal::PendingTimeout)
    }
}
