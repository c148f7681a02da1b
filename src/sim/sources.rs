//! Event sources in the run: queues (SQS-like) and streams (Kinesis / DynamoDB
//! Streams-like) turning their messages and records into batch invocations, and the
//! dispatch of every source and workflow event. Workflows live in `workflow.rs`.
//!
//! A batch is one request of the target function, served like any other (limits, cold
//! starts, errors, timeouts); its `parent` tells the source how it ended. A throttled
//! request answers from inside `serve`, before it returns, and nothing else answers
//! there (even a zero-length execution ends through an event), so an answer that
//! arrives while a source is inside `serve` is a throttle.
//!
//! # Queues
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
//!
//! # Streams
//! Record `i` goes to shard `i mod shards`, and within the shard to lane
//! `(i div shards) mod parallelization_factor` (as if partition keys were spread evenly);
//! each lane runs one batch at a time, so records of a lane are processed strictly in
//! arrival order. A failed or throttled batch blocks its lane and is retried after
//! `retry_delay` until it succeeds, is skipped after `max_retries` retries, or its oldest
//! record would be older than the retention period at the next retry (expired).

use std::collections::VecDeque;

use super::{Event, Incoming, NIL, Parent, Sim};
use crate::engine::Slab;
use crate::error::Result;
use crate::metrics::{QueueMetrics, SourceMetrics, StreamMetrics};
use crate::model::Scenario;
use crate::model::source::INITIAL_POLLERS;
use crate::rng::{self, Stream};
use crate::time::SimTime;
use crate::workload::ArrivalSource;

use super::source_events::{BatchRecord, SourceEvent, SourceKind, SourceParent};
use super::workflow::Flows;

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

/// A stream record.
#[derive(Debug, Clone, Copy)]
struct Record {
    id: u64,
    born: SimTime,
    measured: bool,
}

/// One in-order lane of a shard.
#[derive(Debug, Default)]
struct Lane {
    waiting: VecDeque<Record>,
    /// The batch in flight or waiting for a retry (empty: none).
    batch: Vec<Record>,
    retries: u32,
    request: u64,
    invoked: SimTime,
}

struct StreamState {
    source: ArrivalSource,
    next_id: u64,
    lanes: Vec<Lane>,
    metrics: StreamMetrics,
}

/// The running state of every source and workflow.
#[derive(Default)]
pub(super) struct SourceState {
    queues: Vec<QueueState>,
    batches: Slab<QueueBatch>,
    streams: Vec<StreamState>,
    pub(super) flows: Flows,
    /// Inside `serve` for a source: an answer now is a throttle.
    in_serve: bool,
    /// Item ids of the batch being logged.
    scratch: Vec<u64>,
}

impl SourceState {
    /// The measurements, at the end of the run.
    pub(super) fn finish(self) -> SourceMetrics {
        SourceMetrics {
            queues: self.queues.into_iter().map(|q| q.metrics).collect(),
            streams: self.streams.into_iter().map(|s| s.metrics).collect(),
            workflows: self.flows.finish(),
        }
    }
}

/// The source's next arrival, if it comes before the horizon.
fn next_arrival(source: &mut ArrivalSource, scenario: &Scenario) -> Result<Option<SimTime>> {
    Ok(source.next_arrival()?.filter(|&t| t < scenario.duration))
}

impl Sim<'_, '_> {
    /// Starts every source's arrival process (after the functions', so their event order
    /// is as without sources).
    pub(super) fn start_sources(&mut self) -> Result<()> {
        let scenario = self.scenario;
        let seed = scenario.seed;
        for (i, q) in scenario.sources.queues.iter().enumerate() {
            let mut source =
                q.workload
                    .start(rng::stream(seed, i as u64, Stream::QueueArrivals))?;
            if let Some(t) = next_arrival(&mut source, scenario)? {
                let queue = i as u32;
                self.queue
                    .schedule(t, Event::Source(SourceEvent::QueueArrival { queue }));
            }
            self.sources.queues.push(QueueState {
                source,
                next_id: 0,
                waiting: VecDeque::new(),
                limit: INITIAL_POLLERS.min(q.max_concurrency),
                busy: 0,
                ticking: false,
                failed_since_tick: false,
                window_at: None,
                metrics: QueueMetrics::default(),
            });
        }
        for (i, s) in scenario.sources.streams.iter().enumerate() {
            let mut source =
                s.workload
                    .start(rng::stream(seed, i as u64, Stream::StreamArrivals))?;
            if let Some(t) = next_arrival(&mut source, scenario)? {
                let stream = i as u32;
                self.queue
                    .schedule(t, Event::Source(SourceEvent::StreamArrival { stream }));
            }
            let lanes = (s.shards * s.parallelization_factor) as usize;
            self.sources.streams.push(StreamState {
                source,
                next_id: 0,
                lanes: (0..lanes).map(|_| Lane::default()).collect(),
                metrics: StreamMetrics::default(),
            });
        }
        self.start_workflows()
    }

    /// Handles a source or workflow event.
    pub(super) fn on_source_event(&mut self, now: SimTime, e: SourceEvent) -> Result<()> {
        match e {
            SourceEvent::QueueArrival { queue } => self.on_queue_arrival(now, queue as usize),
            SourceEvent::QueueTick { queue } => self.on_queue_tick(now, queue as usize),
            SourceEvent::QueueWindow { queue } => {
                let q = queue as usize;
                if self.sources.queues[q].window_at == Some(now) {
                    self.sources.queues[q].window_at = None;
                    self.queue_pump(now, q)?;
                }
                Ok(())
            }
            SourceEvent::QueueVisible { batch } => self.on_queue_visible(now, batch),
            SourceEvent::QueuePoller { queue } => {
                let q = queue as usize;
                self.sources.queues[q].busy -= 1;
                self.queue_pump(now, q)
            }
            SourceEvent::StreamArrival { stream } => self.on_stream_arrival(now, stream as usize),
            SourceEvent::StreamRetry { stream, lane } => {
                let (s, lane) = (stream as usize, lane as usize);
                let st = &mut self.sources.streams[s];
                if st.lanes[lane].batch.is_empty() {
                    // The lane skipped its batch: read the next one.
                    return self.stream_pump(now, s, lane);
                }
                if now >= self.scenario.warmup {
                    st.metrics.retries += 1;
                }
                self.stream_launch(now, s, lane)
            }
            SourceEvent::WorkflowArrival { workflow } => {
                self.on_workflow_arrival(now, workflow as usize)
            }
            SourceEvent::WorkflowRetry { exec, branch } => {
                self.on_workflow_retry(now, exec, branch)
            }
        }
    }

    /// A source's batch or task request ended (`ok`: successfully).
    pub(super) fn answer_source(&mut self, now: SimTime, p: SourceParent, ok: bool) -> Result<()> {
        let throttled = self.sources.in_serve;
        match p {
            SourceParent::Queue { batch } => self.answer_queue(now, batch, ok, throttled),
            SourceParent::Stream { stream, lane } => {
                self.answer_stream(now, stream as usize, lane as usize, ok, throttled)
            }
            SourceParent::Workflow { exec, branch } => self.answer_workflow(now, exec, branch, ok),
        }
    }

    /// Invokes function `f` for a source: one synchronous request whose answer goes to
    /// `parent`. The request's id is `self.next_request` as of the call.
    pub(super) fn source_invoke(
        &mut self,
        now: SimTime,
        f: usize,
        measured: bool,
        parent: SourceParent,
    ) -> Result<()> {
        let id = self.next_request;
        self.next_request += 1;
        if measured {
            self.meter.metrics(f).invocations += 1;
        }
        self.note_invocation(now, f);
        let inc = Incoming {
            id,
            arrival: now,
            exec: crate::time::SimTime::MAX,
            ping: false,
            measured,
            event: NIL,
            parent: Parent::Source(parent),
        };
        let outer = std::mem::replace(&mut self.sources.in_serve, true);
        let served = self.serve(now, f, inc);
        self.sources.in_serve = outer;
        served
    }

    fn log_batch(&mut self, record: BatchRecord<'_>) -> Result<()> {
        match self.log.as_mut() {
            Some(log) => log.batch(&record),
            None => Ok(()),
        }
    }

    // ---- queues ----

    fn on_queue_arrival(&mut self, now: SimTime, q: usize) -> Result<()> {
        let measured = now >= self.scenario.warmup;
        let scenario = self.scenario;
        let qs = &mut self.sources.queues[q];
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
            match next_arrival(&mut qs.source, scenario)? {
                Some(t) if t == now => continue,
                Some(t) => {
                    let queue = q as u32;
                    self.queue
                        .schedule(t, Event::Source(SourceEvent::QueueArrival { queue }));
                    break;
                }
                None => break,
            }
        }
        self.queue_waiting_changed(now, q);
        self.queue_pump(now, q)
    }

    /// Notes the backlog and makes sure the poller scaling runs while messages wait.
    fn queue_waiting_changed(&mut self, now: SimTime, q: usize) {
        let warm = now >= self.scenario.warmup;
        let qs = &mut self.sources.queues[q];
        if warm {
            let m = &mut qs.metrics;
            m.max_backlog = m.max_backlog.max(qs.waiting.len() as u64);
            m.max_pollers = m.max_pollers.max(qs.limit);
        }
        if !qs.ticking && !qs.waiting.is_empty() {
            qs.ticking = true;
            let queue = q as u32;
            self.queue.schedule(
                now + POLLER_TICK,
                Event::Source(SourceEvent::QueueTick { queue }),
            );
        }
    }

    fn on_queue_tick(&mut self, now: SimTime, q: usize) -> Result<()> {
        let scenario = self.scenario;
        let spec = &scenario.sources.queues[q];
        let initial = INITIAL_POLLERS.min(spec.max_concurrency);
        let qs = &mut self.sources.queues[q];
        qs.limit = if qs.failed_since_tick || qs.waiting.is_empty() {
            qs.limit.saturating_sub(POLLER_STEP).max(initial)
        } else if qs.busy >= qs.limit {
            (qs.limit + POLLER_STEP).min(spec.max_concurrency)
        } else {
            qs.limit
        };
        qs.failed_since_tick = false;
        if now >= self.scenario.warmup {
            qs.metrics.max_pollers = qs.metrics.max_pollers.max(qs.limit);
        }
        if qs.waiting.is_empty() && qs.limit == initial {
            qs.ticking = false;
        } else {
            let queue = q as u32;
            self.queue.schedule(
                now + POLLER_TICK,
                Event::Source(SourceEvent::QueueTick { queue }),
            );
        }
        self.queue_pump(now, q)
    }

    /// Hands batches to free pollers while the batching rule allows.
    fn queue_pump(&mut self, now: SimTime, q: usize) -> Result<()> {
        let scenario = self.scenario;
        let spec = &scenario.sources.queues[q];
        loop {
            let qs = &mut self.sources.queues[q];
            if qs.busy >= qs.limit {
                return Ok(());
            }
            while let Some(m) = qs.waiting.front()
                && now - m.born > spec.retention
            {
                qs.metrics.expired += u64::from(m.measured);
                qs.waiting.pop_front();
            }
            let Some(head) = qs.waiting.front() else {
                return Ok(());
            };
            let full = qs.waiting.len() >= spec.batch_size as usize;
            let due = head.visible_at + spec.batching_window;
            if !full && due > now {
                if qs.window_at.is_none_or(|t| due < t) {
                    qs.window_at = Some(due);
                    let queue = q as u32;
                    self.queue
                        .schedule(due, Event::Source(SourceEvent::QueueWindow { queue }));
                }
                return Ok(());
            }
            let take = qs.waiting.len().min(spec.batch_size as usize);
            self.queue_dispatch(now, q, take)?;
        }
    }

    /// Receives `take` messages from the front and invokes the function with them.
    fn queue_dispatch(&mut self, now: SimTime, q: usize, take: usize) -> Result<()> {
        let measured = now >= self.scenario.warmup;
        // A reused batch's message list was cleared when it was freed.
        let slot = self
            .sources
            .batches
            .insert_with(QueueBatch::default, |_| {})
            .index();
        let request = self.next_request;
        let SourceState {
            queues, batches, ..
        } = &mut self.sources;
        let qs = &mut queues[q];
        let b = &mut batches[slot];
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
        let f = self.scenario.sources.queues[q].function;
        self.source_invoke(now, f, measured, SourceParent::Queue { batch: slot })
    }

    fn answer_queue(&mut self, now: SimTime, batch: u32, ok: bool, throttled: bool) -> Result<()> {
        let (q, invoked, request) = {
            let b = &self.sources.batches[batch];
            (b.queue as usize, b.invoked, b.request)
        };
        if self.log.is_some() {
            let mut ids = std::mem::take(&mut self.sources.scratch);
            ids.clear();
            ids.extend(self.sources.batches[batch].msgs.iter().map(|m| m.id));
            self.log_batch(BatchRecord {
                kind: SourceKind::Queue,
                source: &self.scenario.sources.queues[q].name,
                request,
                shard: 0,
                lane: 0,
                invoked,
                ended: now,
                ok,
                throttled,
                items: &ids,
            })?;
            self.sources.scratch = ids;
        }
        let SourceState {
            queues, batches, ..
        } = &mut self.sources;
        let qs = &mut queues[q];
        if ok {
            for m in &batches[batch].msgs {
                if m.measured {
                    qs.metrics.processed += 1;
                    qs.metrics.queue_delay.record(invoked - m.born);
                    qs.metrics.end_to_end.record(now - m.born);
                }
            }
            batches[batch].msgs.clear();
            batches.remove(batch);
            qs.busy -= 1;
            return self.queue_pump(now, q);
        }
        if invoked >= self.scenario.warmup {
            if throttled {
                qs.metrics.throttled_batches += 1;
            } else {
                qs.metrics.failed_batches += 1;
            }
        }
        qs.failed_since_tick = true;
        // The messages stay invisible until the visibility timeout, counted from the
        // receive, runs out; the poller backs off before it polls again.
        let scenario = self.scenario;
        let spec = &scenario.sources.queues[q];
        let visible = (invoked + spec.visibility_timeout).max(now);
        self.queue
            .schedule(visible, Event::Source(SourceEvent::QueueVisible { batch }));
        let queue = q as u32;
        self.queue.schedule(
            now + POLLER_BACKOFF,
            Event::Source(SourceEvent::QueuePoller { queue }),
        );
        Ok(())
    }

    fn on_queue_visible(&mut self, now: SimTime, batch: u32) -> Result<()> {
        let q = self.sources.batches[batch].queue as usize;
        let scenario = self.scenario;
        let spec = &scenario.sources.queues[q];
        let SourceState {
            queues, batches, ..
        } = &mut self.sources;
        let qs = &mut queues[q];
        for &m in &batches[batch].msgs {
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
        batches[batch].msgs.clear();
        batches.remove(batch);
        self.queue_waiting_changed(now, q);
        self.queue_pump(now, q)
    }

    // ---- streams ----

    fn on_stream_arrival(&mut self, now: SimTime, s: usize) -> Result<()> {
        let measured = now >= self.scenario.warmup;
        let scenario = self.scenario;
        let spec = &scenario.sources.streams[s];
        let (shards, pf) = (
            u64::from(spec.shards),
            u64::from(spec.parallelization_factor),
        );
        let first = self.sources.streams[s].next_id;
        // Records arriving at the same instant are read together.
        loop {
            let st = &mut self.sources.streams[s];
            let id = st.next_id;
            st.next_id += 1;
            let lane = (id % shards) * pf + (id / shards) % pf;
            st.lanes[lane as usize].waiting.push_back(Record {
                id,
                born: now,
                measured,
            });
            st.metrics.records += u64::from(measured);
            match next_arrival(&mut st.source, scenario)? {
                Some(t) if t == now => continue,
                Some(t) => {
                    let stream = s as u32;
                    self.queue
                        .schedule(t, Event::Source(SourceEvent::StreamArrival { stream }));
                    break;
                }
                None => break,
            }
        }
        // Pump the lanes that got records, in the order they got their first.
        let last = self.sources.streams[s].next_id;
        let lanes = self.sources.streams[s].lanes.len() as u64;
        for id in first..last.min(first + lanes) {
            let lane = (id % shards) * pf + (id / shards) % pf;
            self.stream_pump(now, s, lane as usize)?;
        }
        Ok(())
    }

    /// Reads the next batch of an idle lane and invokes the function with it.
    fn stream_pump(&mut self, now: SimTime, s: usize, lane: usize) -> Result<()> {
        let scenario = self.scenario;
        let spec = &scenario.sources.streams[s];
        let warm = now >= self.scenario.warmup;
        let st = &mut self.sources.streams[s];
        let l = &mut st.lanes[lane];
        if !l.batch.is_empty() {
            return Ok(()); // Busy: in flight or waiting for a retry.
        }
        while let Some(r) = l.waiting.front()
            && now - r.born > spec.retention
        {
            st.metrics.expired += u64::from(r.measured);
            l.waiting.pop_front();
        }
        if l.waiting.is_empty() {
            return Ok(());
        }
        let take = l.waiting.len().min(spec.batch_size as usize);
        for r in l.waiting.drain(..take) {
            if r.measured {
                st.metrics.iterator_age.record(now - r.born);
            }
            l.batch.push(r);
        }
        l.retries = 0;
        if warm {
            st.metrics.batches += 1;
            st.metrics.batch_records += take as u64;
        }
        self.stream_launch(now, s, lane)
    }

    /// Invokes the function with a lane's batch (first attempt or retry).
    fn stream_launch(&mut self, now: SimTime, s: usize, lane: usize) -> Result<()> {
        let l = &mut self.sources.streams[s].lanes[lane];
        l.request = self.next_request;
        l.invoked = now;
        let f = self.scenario.sources.streams[s].function;
        let measured = now >= self.scenario.warmup;
        let parent = SourceParent::Stream {
            stream: s as u32,
            lane: lane as u32,
        };
        self.source_invoke(now, f, measured, parent)
    }

    fn answer_stream(
        &mut self,
        now: SimTime,
        s: usize,
        lane: usize,
        ok: bool,
        throttled: bool,
    ) -> Result<()> {
        let scenario = self.scenario;
        let spec = &scenario.sources.streams[s];
        if self.log.is_some() {
            let mut ids = std::mem::take(&mut self.sources.scratch);
            ids.clear();
            let l = &self.sources.streams[s].lanes[lane];
            ids.extend(l.batch.iter().map(|r| r.id));
            let pf = spec.parallelization_factor;
            let (request, invoked) = (l.request, l.invoked);
            self.log_batch(BatchRecord {
                kind: SourceKind::Stream,
                source: &spec.name,
                request,
                shard: lane as u32 / pf,
                lane: lane as u32 % pf,
                invoked,
                ended: now,
                ok,
                throttled,
                items: &ids,
            })?;
            self.sources.scratch = ids;
        }
        let st = &mut self.sources.streams[s];
        let l = &mut st.lanes[lane];
        if ok {
            for r in &l.batch {
                if r.measured {
                    st.metrics.processed += 1;
                    st.metrics.end_to_end.record(now - r.born);
                }
            }
            l.batch.clear();
            return self.stream_pump(now, s, lane);
        }
        if l.invoked >= self.scenario.warmup {
            if throttled {
                st.metrics.throttled_batches += 1;
            } else {
                st.metrics.failed_batches += 1;
            }
        }
        l.retries += 1;
        let oldest = l.batch[0].born;
        let mut retry_at = now + spec.retry_delay;
        let give_up = spec.max_retries.is_some_and(|m| l.retries > m);
        if give_up || retry_at - oldest > spec.retention {
            let n = l.batch.iter().filter(|r| r.measured).count() as u64;
            if give_up {
                st.metrics.skipped += n;
            } else {
                st.metrics.expired += n;
            }
            l.batch.clear();
            // The lane moves on through an event: this answer may come from inside
            // `serve` (a throttle), and a lane of throttled batches read one after another
            // would otherwise recurse once per batch.
            retry_at = now;
        }
        let (stream, lane) = (s as u32, lane as u32);
        self.queue.schedule(
            retry_at,
            Event::Source(SourceEvent::StreamRetry { stream, lane }),
        );
        Ok(())
    }
}
