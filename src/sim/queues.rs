//! Queues (SQS-like) in the run: their messages, pollers and failed batches. A component:
//! it owns its state, schedules its own timers through [`SourceTimers`] and returns the
//! batch to invoke as an [`Invoke`]; the orchestrator (`sources.rs`) serves it.
//!
//! Messages wait in a FIFO buffer. A free poller takes a batch at once when `batch_size`
//! messages wait, when there is no batching window, or when the oldest waiting message
//! has waited the window; messages arriving at the same instant are visible together.
//! The number of concurrent batches (pollers) starts at 5 and is re-evaluated every
//! second while the queue is active: −5 if a batch failed or was throttled since the
//! last evaluation (Lambda "backs off" by lowering concurrency), else +5 (300 a minute)
//! if messages wait and every poller is busy, else −5 if no message waits; never below 5
//! or above `max_concurrency`. A poller whose batch failed or was throttled pauses for one
//! second before polling again. A failed or throttled batch's messages become visible
//! again when their visibility timeout (counted from the receive) runs out, go to the
//! dead-letter queue instead once received `max_receive_count` times, and are deleted
//! when older than the retention period (checked when they reach the front of the
//! buffer or become visible again).

use std::collections::VecDeque;

use super::source_events::{
    BatchRecord, Invoke, SourceEvent, SourceKind, SourceParent, SourceTimers, next_arrival,
    start_each,
};
use crate::engine::Slab;
use crate::error::Result;
use crate::metrics::QueueMetrics;
use crate::model::source::{INITIAL_POLLERS, Queue};
use crate::rng::Stream;
use crate::time::SimTime;
use crate::workload::ArrivalSource;

/// Change of a queue's poller concurrency per evaluation (300 per minute).
const POLLER_STEP: u32 = 5;
/// How often a queue's poller concurrency is re-evaluated.
const POLLER_TICK: SimTime = SimTime(1_000_000_000);
/// How long a poller pauses after a failed or throttled batch.
const POLLER_BACKOFF: SimTime = SimTime(1_000_000_000);

/// A message in a queue.
#[derive(Debug, Clone, Copy)]
struct Msg {
    id: u64,
    born: SimTime,
    /// When it (last) became visible.
    visible_at: SimTime,
    receives: u32,
    measured: bool,
}

/// A batch of messages in flight or invisible after a failure.
#[derive(Debug, Default)]
struct QueueBatch {
    queue: u32,
    request: u64,
    invoked: SimTime,
    msgs: Vec<Msg>,
}

/// One queue's running state.
struct QueueState {
    source: ArrivalSource,
    next_id: u64,
    waiting: VecDeque<Msg>,
    /// Concurrent batches allowed now.
    limit: u32,
    /// Pollers with a batch in flight or pausing after a failure.
    busy: u32,
    ticking: bool,
    failed_since_tick: bool,
    /// Pending batching-window timer.
    window_at: Option<SimTime>,
    metrics: QueueMetrics,
}

/// Every queue of the scenario, with the batches in flight.
pub(super) struct Queues<'s> {
    specs: &'s [Queue],
    /// Messages arriving before this are not counted.
    warmup: SimTime,
    /// Arrivals are generated before this.
    horizon: SimTime,
    queues: Vec<QueueState>,
    batches: Slab<QueueBatch>,
    /// Message ids of the batch being logged.
    scratch: Vec<u64>,
}

impl<'s> Queues<'s> {
    /// Starts every queue's arrival process (queue `i` on its own random stream),
    /// scheduling the first arrivals in queue order.
    pub(super) fn start(
        specs: &'s [Queue],
        seed: u64,
        (warmup, horizon): (SimTime, SimTime),
        timers: &mut impl SourceTimers,
    ) -> Result<Self> {
        let queues = start_each(
            specs,
            (seed, Stream::QueueArrivals),
            horizon,
            timers,
            |q| &q.workload,
            |queue| SourceEvent::QueueArrival { queue },
            |q, source| QueueState {
                source,
                next_id: 0,
                waiting: VecDeque::new(),
                limit: INITIAL_POLLERS.min(q.max_concurrency),
                busy: 0,
                ticking: false,
                failed_since_tick: false,
                window_at: None,
                metrics: QueueMetrics::default(),
            },
        )?;
        Ok(Queues {
            specs,
            warmup,
            horizon,
            queues,
            batches: Slab::new(),
            scratch: Vec::new(),
        })
    }

    /// None (no specs).
    pub(super) fn none() -> Self {
        Queues {
            specs: &[],
            warmup: SimTime::ZERO,
            horizon: SimTime::ZERO,
            queues: Vec::new(),
            batches: Slab::new(),
            scratch: Vec::new(),
        }
    }

    /// The measurements, at the end of the run.
    pub(super) fn finish(self) -> Vec<QueueMetrics> {
        self.queues.into_iter().map(|q| q.metrics).collect()
    }

    /// The next message(s) of queue `q` arrived (then pump it).
    pub(super) fn on_arrival(
        &mut self,
        now: SimTime,
        q: usize,
        timers: &mut impl SourceTimers,
    ) -> Result<()> {
        let measured = now >= self.warmup;
        let qs = &mut self.queues[q];
        // Messages arriving at the same instant are visible together, so a poller sees
        // them all (25 at once with batch size 10 make batches of 10, 10 and 5).
        loop {
            qs.waiting.push_back(Msg {
                id: qs.next_id,
                born: now,
                visible_at: now,
                receives: 0,
                measured,
            });
            qs.next_id += 1;
            qs.metrics.messages += u64::from(measured);
            match next_arrival(&mut qs.source, self.horizon)? {
                Some(t) if t == now => continue,
                Some(t) => {
                    let queue = q as u32;
                    timers.set(t, SourceEvent::QueueArrival { queue });
                    break;
                }
                None => break,
            }
        }
        self.waiting_changed(now, q, timers);
        Ok(())
    }

    /// Notes the backlog and makes sure the poller scaling runs while messages wait.
    fn waiting_changed(&mut self, now: SimTime, q: usize, timers: &mut impl SourceTimers) {
        let warm = now >= self.warmup;
        let qs = &mut self.queues[q];
        if warm {
            let m = &mut qs.metrics;
            m.max_backlog = m.max_backlog.max(qs.waiting.len() as u64);
            m.max_pollers = m.max_pollers.max(qs.limit);
        }
        if !qs.ticking && !qs.waiting.is_empty() {
            qs.ticking = true;
            let queue = q as u32;
            timers.set(now + POLLER_TICK, SourceEvent::QueueTick { queue });
        }
    }

    /// Re-evaluates queue `q`'s poller concurrency (then pump it).
    pub(super) fn on_tick(&mut self, now: SimTime, q: usize, timers: &mut impl SourceTimers) {
        let spec = &self.specs[q];
        let initial = INITIAL_POLLERS.min(spec.max_concurrency);
        let qs = &mut self.queues[q];
        qs.limit = if qs.failed_since_tick || qs.waiting.is_empty() {
            qs.limit.saturating_sub(POLLER_STEP).max(initial)
        } else if qs.busy >= qs.limit {
            (qs.limit + POLLER_STEP).min(spec.max_concurrency)
        } else {
            qs.limit
        };
        qs.failed_since_tick = false;
        if now >= self.warmup {
            qs.metrics.max_pollers = qs.metrics.max_pollers.max(qs.limit);
        }
        if qs.waiting.is_empty() && qs.limit == initial {
            qs.ticking = false;
        } else {
            let queue = q as u32;
            timers.set(now + POLLER_TICK, SourceEvent::QueueTick { queue });
        }
    }

    /// Queue `q`'s batching-window timer fired; returns whether it is still the pending
    /// one (then pump the queue).
    pub(super) fn on_window(&mut self, now: SimTime, q: usize) -> bool {
        let qs = &mut self.queues[q];
        if qs.window_at == Some(now) {
            qs.window_at = None;
            true
        } else {
            false
        }
    }

    /// A poller of queue `q` ends its pause after a failure (then pump the queue).
    pub(super) fn on_poller_back(&mut self, q: usize) {
        self.queues[q].busy -= 1;
    }

    /// One step of pumping queue `q`: the next batch a free poller takes now, to be
    /// invoked as request `request`, or `None` when no poller is free, no message waits
    /// or the batching window holds them (its timer is then set). Call it until `None`.
    pub(super) fn next_batch(
        &mut self,
        now: SimTime,
        q: usize,
        request: u64,
        timers: &mut impl SourceTimers,
    ) -> Option<Invoke> {
        let spec = &self.specs[q];
        let qs = &mut self.queues[q];
        if qs.busy >= qs.limit {
            return None;
        }
        while let Some(m) = qs.waiting.front()
            && now - m.born > spec.retention
        {
            qs.metrics.expired += u64::from(m.measured);
            qs.waiting.pop_front();
        }
        let head = qs.waiting.front()?;
        let full = qs.waiting.len() >= spec.batch_size as usize;
        let due = head.visible_at + spec.batching_window;
        if !full && due > now {
            // Messages join the back with the time they became visible, so the head's
            // window never ends before one already pending: set one only if none is.
            debug_assert!(qs.window_at.is_none_or(|t| due >= t));
            if qs.window_at.is_none() {
                qs.window_at = Some(due);
                let queue = q as u32;
                timers.set(due, SourceEvent::QueueWindow { queue });
            }
            return None;
        }
        let take = qs.waiting.len().min(spec.batch_size as usize);
        Some(self.dispatch(now, q, take, request))
    }

    /// Receives `take` messages from the front of queue `q` into a new batch.
    fn dispatch(&mut self, now: SimTime, q: usize, take: usize, request: u64) -> Invoke {
        let measured = now >= self.warmup;
        // A reused batch's message list was cleared when it was freed.
        let slot = self
            .batches
            .insert_with(QueueBatch::default, |_| {})
            .index();
        let qs = &mut self.queues[q];
        let b = &mut self.batches[slot];
        b.queue = q as u32;
        b.request = request;
        b.invoked = now;
        b.msgs.clear();
        for mut m in qs.waiting.drain(..take) {
            m.receives += 1;
            qs.metrics.redeliveries += u64::from(m.measured && m.receives > 1);
            b.msgs.push(m);
        }
        qs.busy += 1;
        if measured {
            qs.metrics.batches += 1;
            qs.metrics.batch_messages += take as u64;
        }
        Invoke {
            function: self.specs[q].function,
            measured,
            parent: SourceParent::Queue { batch: slot },
        }
    }

    /// The per-item cost of batch `batch` (in flight).
    pub(super) fn batch_cost(&self, batch: u32) -> SimTime {
        let b = &self.batches[batch];
        self.specs[b.queue as usize].batch_cost(b.msgs.len())
    }

    /// The log record of batch `batch`, ended at `now`.
    pub(super) fn record(
        &mut self,
        batch: u32,
        now: SimTime,
        (ok, throttled): (bool, bool),
    ) -> BatchRecord<'_> {
        let b = &self.batches[batch];
        self.scratch.clear();
        self.scratch.extend(b.msgs.iter().map(|m| m.id));
        BatchRecord {
            kind: SourceKind::Queue,
            source: &self.specs[b.queue as usize].name,
            request: b.request,
            shard: 0,
            lane: 0,
            invoked: b.invoked,
            ended: now,
            ok,
            throttled,
            items: &self.scratch,
        }
    }

    /// Batch `batch`'s request ended (`ok`: successfully; `throttled`: refused). Returns
    /// the queue to pump when a poller became free.
    pub(super) fn answer(
        &mut self,
        now: SimTime,
        batch: u32,
        (ok, throttled): (bool, bool),
        timers: &mut impl SourceTimers,
    ) -> Option<usize> {
        let (q, invoked) = {
            let b = &self.batches[batch];
            (b.queue as usize, b.invoked)
        };
        let qs = &mut self.queues[q];
        if ok {
            for m in &self.batches[batch].msgs {
                if m.measured {
                    qs.metrics.processed += 1;
                    qs.metrics.queue_delay.record(invoked - m.born);
                    qs.metrics.end_to_end.record(now - m.born);
                }
            }
            self.batches[batch].msgs.clear();
            self.batches.remove(batch);
            qs.busy -= 1;
            return Some(q);
        }
        if invoked >= self.warmup {
            if throttled {
                qs.metrics.throttled_batches += 1;
            } else {
                qs.metrics.failed_batches += 1;
            }
        }
        qs.failed_since_tick = true;
        // The messages stay invisible until the visibility timeout, counted from the
        // receive, runs out; the poller backs off before it polls again.
        let visible = (invoked + self.specs[q].visibility_timeout).max(now);
        timers.set(visible, SourceEvent::QueueVisible { batch });
        let queue = q as u32;
        timers.set(now + POLLER_BACKOFF, SourceEvent::QueuePoller { queue });
        None
    }

    /// A failed batch's messages become visible again (or go to the dead-letter queue, or
    /// expire). Returns the queue to pump.
    pub(super) fn on_visible(
        &mut self,
        now: SimTime,
        batch: u32,
        timers: &mut impl SourceTimers,
    ) -> usize {
        let q = self.batches[batch].queue as usize;
        let spec = &self.specs[q];
        let qs = &mut self.queues[q];
        for &m in &self.batches[batch].msgs {
            if spec.max_receive_count.is_some_and(|n| m.receives >= n) {
                qs.metrics.dead_lettered += u64::from(m.measured);
            } else if now - m.born > spec.retention {
                qs.metrics.expired += u64::from(m.measured);
            } else {
                qs.waiting.push_back(Msg {
                    visible_at: now,
                    ..m
                });
            }
        }
        self.batches[batch].msgs.clear();
        self.batches.remove(batch);
        self.waiting_changed(now, q, timers);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FunctionId;
    use crate::sim::source_events::test_workload;

    type Timers = Vec<(SimTime, SourceEvent)>;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s as f64)
    }

    /// A queue for function 7 with `count` messages at t = 0.
    fn queue(count: u32, batch_size: u32, window_s: u64, max_receive_count: Option<u32>) -> Queue {
        Queue {
            name: "q".into(),
            function: FunctionId::new(7),
            workload: test_workload(&format!(r#"{{"kind":"spike","at_s":0,"count":{count}}}"#)),
            batch_size,
            batching_window: secs(window_s),
            max_concurrency: 1_000,
            max_receive_count,
            visibility_timeout: secs(30),
            retention: secs(3_600),
            per_item: SimTime::ZERO,
        }
    }

    /// Pumps queue 0 at `now`: the sizes of the batches handed out.
    fn pump(queues: &mut Queues<'_>, now: SimTime, timers: &mut Timers) -> Vec<usize> {
        let mut sizes = Vec::new();
        while let Some(invoke) = queues.next_batch(now, 0, 100 + sizes.len() as u64, timers) {
            assert_eq!(invoke.function, FunctionId::new(7));
            let SourceParent::Queue { batch } = invoke.parent else {
                panic!("a queue batch");
            };
            sizes.push(queues.batches[batch].msgs.len());
        }
        sizes
    }

    /// Queues `specs` over a run to `horizon_s`, with queue 0's messages arrived at `at`.
    fn arrived(specs: &[Queue], at: SimTime, horizon_s: u64) -> (Queues<'_>, Timers) {
        let mut timers = Timers::new();
        let mut queues =
            Queues::start(specs, 1, (SimTime::ZERO, secs(horizon_s)), &mut timers).unwrap();
        queues.on_arrival(at, 0, &mut timers).unwrap();
        (queues, timers)
    }

    #[test]
    fn messages_arriving_together_make_full_batches_then_a_remainder() {
        let specs = [queue(25, 10, 0, None)];
        let mut timers = Timers::new();
        let mut queues = Queues::start(&specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        assert_eq!(
            timers,
            [(SimTime::ZERO, SourceEvent::QueueArrival { queue: 0 })]
        );
        timers.clear();
        queues.on_arrival(SimTime::ZERO, 0, &mut timers).unwrap();
        // The poller scaling starts one second later, while messages wait.
        assert_eq!(timers, [(secs(1), SourceEvent::QueueTick { queue: 0 })]);
        assert_eq!(pump(&mut queues, SimTime::ZERO, &mut timers), [10, 10, 5]);
        let m = &queues.queues[0].metrics;
        assert_eq!((m.messages, m.batches, m.batch_messages), (25, 3, 25));
    }

    #[test]
    fn a_partial_batch_waits_for_the_batching_window() {
        let specs = [queue(3, 10, 2, None)];
        let (mut queues, mut timers) = arrived(&specs, SimTime::ZERO, 60);
        timers.clear();
        assert!(pump(&mut queues, SimTime::ZERO, &mut timers).is_empty());
        assert_eq!(timers, [(secs(2), SourceEvent::QueueWindow { queue: 0 })]);
        // A stale window timer does nothing; the pending one releases the batch.
        assert!(!queues.on_window(secs(1), 0));
        assert!(queues.on_window(secs(2), 0));
        assert_eq!(pump(&mut queues, secs(2), &mut timers), [3]);
    }

    #[test]
    fn a_failed_batch_becomes_visible_after_its_timeout_and_then_goes_to_the_dlq() {
        let specs = [queue(4, 10, 0, Some(2))];
        let (mut queues, mut timers) = arrived(&specs, SimTime::ZERO, 600);
        assert_eq!(pump(&mut queues, SimTime::ZERO, &mut timers), [4]);
        // The first receive fails at 5 s: visible again 30 s after the receive, the
        // poller back after a one-second pause.
        timers.clear();
        assert_eq!(queues.answer(secs(5), 0, (false, false), &mut timers), None);
        assert_eq!(
            timers,
            [
                (secs(30), SourceEvent::QueueVisible { batch: 0 }),
                (secs(6), SourceEvent::QueuePoller { queue: 0 }),
            ]
        );
        queues.on_poller_back(0);
        assert_eq!(queues.on_visible(secs(30), 0, &mut timers), 0);
        assert_eq!(pump(&mut queues, secs(30), &mut timers), [4]);
        // The second receive fails too: with max_receive_count 2 the messages are
        // dead-lettered rather than made visible.
        queues.answer(secs(31), 0, (false, true), &mut timers);
        queues.on_visible(secs(60), 0, &mut timers);
        let m = &queues.queues[0].metrics;
        assert_eq!(m.redeliveries, 4);
        assert_eq!((m.failed_batches, m.throttled_batches), (1, 1));
        assert_eq!((m.dead_lettered, m.processed), (4, 0));
        assert!(queues.queues[0].waiting.is_empty());
    }

    /// A message waits at most the retention period from its own arrival: one that arrives
    /// at 5 s with 10 s of retention is still handed out at 14 s, and has expired at 16 s.
    #[test]
    fn retention_runs_from_each_message_s_arrival() {
        for (at, batches, expired) in [(14, 1, 0), (16, 0, 1)] {
            let specs = [Queue {
                retention: secs(10),
                ..queue(1, 1, 0, None)
            }];
            let (mut queues, mut timers) = arrived(&specs, secs(5), 60);
            assert_eq!(pump(&mut queues, secs(at), &mut timers).len(), batches);
            assert_eq!(queues.queues[0].metrics.expired, expired);
        }
    }

    /// A message that arrives at 5 s, is received at once and whose batch succeeds at 7 s
    /// waited 0 s and took 2 s end to end.
    #[test]
    fn delays_run_from_each_message_s_arrival() {
        let specs = [queue(1, 1, 0, None)];
        let (mut queues, mut timers) = arrived(&specs, secs(5), 60);
        assert_eq!(pump(&mut queues, secs(5), &mut timers), [1]);
        queues.answer(secs(7), 0, (true, false), &mut timers);
        let m = &queues.queues[0].metrics;
        assert_eq!(m.queue_delay.max_ms(), Some(0.0));
        assert_eq!(m.end_to_end.max_ms(), Some(2_000.0));
    }

    /// A message from a failed batch is visible again 30 s after the receive, as if it had
    /// just arrived: a batching window runs again from then, and the retention still from
    /// its arrival. One message at 5 s, a 10-s window: received at 15 s, failed at 16 s,
    /// visible at 45 s (40 s old), then held until 55 s by the window. With 45 s of
    /// retention it is still there at 45 s; with 38 s it has expired.
    #[test]
    fn a_failed_message_is_visible_again_as_new_but_keeps_its_age() {
        for (retention, requeued) in [(3_600, true), (45, true), (38, false)] {
            let specs = [Queue {
                retention: secs(retention),
                ..queue(1, 10, 10, None)
            }];
            let (mut queues, mut timers) = arrived(&specs, secs(5), 600);
            assert!(pump(&mut queues, secs(5), &mut timers).is_empty());
            assert_eq!(pump(&mut queues, secs(15), &mut timers), [1]);
            queues.answer(secs(16), 0, (false, false), &mut timers);
            queues.on_visible(secs(45), 0, &mut timers);
            let q = &queues.queues[0];
            assert_eq!(q.waiting.len(), usize::from(requeued), "{retention} s");
            assert_eq!(q.metrics.expired, u64::from(!requeued), "{retention} s");
            if retention == 3_600 {
                queues.on_poller_back(0);
                assert!(pump(&mut queues, secs(45), &mut timers).is_empty());
                assert_eq!(pump(&mut queues, secs(55), &mut timers), [1]);
            }
        }
    }

    /// The poller ticks set for `at`.
    fn ticks_at(timers: &Timers, at: SimTime) -> usize {
        (timers.iter())
            .filter(|(t, e)| *t == at && matches!(e, SourceEvent::QueueTick { queue: 0 }))
            .count()
    }

    /// One poller tick is pending at a time, however many arrivals come between ticks.
    #[test]
    fn one_poller_tick_is_pending_at_a_time() {
        let specs = [queue(3, 1, 0, None)];
        let (mut queues, mut timers) = arrived(&specs, SimTime::ZERO, 60);
        queues
            .on_arrival(SimTime::from_secs(0.5), 0, &mut timers)
            .unwrap();
        assert_eq!(ticks_at(&timers, secs(1)), 1);
        assert_eq!(ticks_at(&timers, SimTime::from_secs(1.5)), 0);
    }

    /// Once the backlog is gone the pollers shrink by five a tick, and the ticks stop at
    /// the initial five. 15 messages, all busy: 5 at 0, 10 after the tick at 1 s, 15 after
    /// the tick at 2 s (none left waiting). Tick at 3 s: 10, tick at 4 s: 5, then no more.
    #[test]
    fn pollers_shrink_back_to_five_once_nothing_waits() {
        let specs = [queue(15, 1, 0, None)];
        let (mut queues, mut timers) = arrived(&specs, SimTime::ZERO, 60);
        assert_eq!(pump(&mut queues, SimTime::ZERO, &mut timers).len(), 5);
        for (at, limit, handed_out) in [(1, 10, 5), (2, 15, 5), (3, 10, 0)] {
            queues.on_tick(secs(at), 0, &mut timers);
            assert_eq!(queues.queues[0].limit, limit, "{at} s");
            assert_eq!(pump(&mut queues, secs(at), &mut timers).len(), handed_out);
            assert_eq!(ticks_at(&timers, secs(at + 1)), 1, "{at} s");
        }
        queues.on_tick(secs(4), 0, &mut timers);
        assert_eq!(queues.queues[0].limit, 5);
        assert_eq!(ticks_at(&timers, secs(5)), 0);
    }

    #[test]
    fn pollers_grow_by_five_while_all_are_busy_and_shrink_after_a_failure() {
        let specs = [queue(100, 1, 0, None)];
        let (mut queues, mut timers) = arrived(&specs, SimTime::ZERO, 60);
        assert_eq!(pump(&mut queues, SimTime::ZERO, &mut timers).len(), 5);
        queues.on_tick(secs(1), 0, &mut timers);
        assert_eq!(queues.queues[0].limit, 10);
        assert_eq!(pump(&mut queues, secs(1), &mut timers).len(), 5);
        queues.answer(secs(1), 0, (false, false), &mut timers);
        queues.on_tick(secs(2), 0, &mut timers);
        assert_eq!(queues.queues[0].limit, 5);
    }
}
