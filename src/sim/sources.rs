//! The orchestrator's side of queues, streams and workflows: it routes their events to
//! the components (`queues.rs`, `streams.rs`, `workflow.rs`), serves the invocations they
//! return, and tells them how each ended. The rules live in the components; this file is
//! only the glue that applies their answers, in order.
//!
//! A batch or task is one request of the target function, served like any other (limits,
//! cold starts, errors, timeouts); its `parent` tells the source how it ended. A throttled
//! request answers from inside `serve`, before it returns, and nothing else answers there
//! (even a zero-length execution ends through an event), so an answer that arrives while
//! a source is inside `serve` is a throttle. Because such an answer changes the
//! component's state at once, a component hands out one invocation at a time (a queue's
//! next batch, a lane's next read, a parallel step's next branch) and is asked again
//! after it is served.

use super::queues::Queues;
use super::source_events::{Invoke, SourceEvent, SourceParent, SourceTimers};
use super::streams::{RetryNext, Streams};
use super::workflow::{Entered, Flows, Next};
use super::{Event, Incoming, NIL, Parent, Sim};
use crate::engine::EventQueue;
use crate::error::Result;
use crate::metrics::SourceMetrics;
use crate::model::Scenario;
use crate::time::SimTime;

impl SourceTimers for EventQueue<Event> {
    #[inline]
    fn set(&mut self, at: SimTime, event: SourceEvent) {
        self.schedule(at, Event::Source(event));
    }
}

/// Every source and workflow of the run.
pub(super) struct Sources<'s> {
    queues: Queues<'s>,
    streams: Streams<'s>,
    flows: Flows<'s>,
    /// Inside `serve` for a source: an answer now is a throttle.
    in_serve: bool,
}

impl<'s> Sources<'s> {
    /// Starts every source's arrival process: queues, then streams, then workflows (after
    /// the functions', so their event order is as without sources).
    pub(super) fn start(scenario: &'s Scenario, timers: &mut impl SourceTimers) -> Result<Self> {
        let window = (scenario.warmup, scenario.duration);
        let seed = scenario.seed;
        let specs = &scenario.sources;
        Ok(Sources {
            queues: Queues::start(&specs.queues, seed, window, timers)?,
            streams: Streams::start(&specs.streams, seed, window, timers)?,
            flows: Flows::start(&specs.workflows, seed, window, timers)?,
            in_serve: false,
        })
    }

    /// No sources: a placeholder until [`Sources::start`] runs, at its place in the
    /// set-up order.
    pub(super) fn none() -> Self {
        Sources {
            queues: Queues::none(),
            streams: Streams::none(),
            flows: Flows::none(),
            in_serve: false,
        }
    }

    /// The per-item cost of the batch a request carries (`n × per_item_ms`; zero for a
    /// workflow task), while the request is served.
    #[inline]
    pub(super) fn batch_cost(&self, p: SourceParent) -> SimTime {
        match p {
            SourceParent::Queue { batch } => self.queues.batch_cost(batch),
            SourceParent::Stream { stream, lane } => {
                self.streams.batch_cost(stream as usize, lane as usize)
            }
            SourceParent::Workflow { .. } => SimTime::ZERO,
        }
    }

    /// The measurements, at the end of the run.
    pub(super) fn finish(self) -> SourceMetrics {
        SourceMetrics {
            queues: self.queues.finish(),
            streams: self.streams.finish(),
            workflows: self.flows.finish(),
        }
    }
}

impl Sim<'_, '_> {
    /// Handles a source or workflow event.
    pub(super) fn on_source_event(&mut self, now: SimTime, e: SourceEvent) -> Result<()> {
        let timers = &mut self.queue;
        let sources = &mut self.sources;
        match e {
            SourceEvent::QueueArrival { queue } => {
                let q = queue as usize;
                sources.queues.on_arrival(now, q, timers)?;
                self.pump_queue(now, q)
            }
            SourceEvent::QueueTick { queue } => {
                let q = queue as usize;
                sources.queues.on_tick(now, q, timers);
                self.pump_queue(now, q)
            }
            SourceEvent::QueueWindow { queue } => {
                let q = queue as usize;
                if sources.queues.on_window(now, q) {
                    self.pump_queue(now, q)?;
                }
                Ok(())
            }
            SourceEvent::QueueVisible { batch } => {
                let q = sources.queues.on_visible(now, batch, timers);
                self.pump_queue(now, q)
            }
            SourceEvent::QueuePoller { queue } => {
                let q = queue as usize;
                sources.queues.on_poller_back(q);
                self.pump_queue(now, q)
            }
            SourceEvent::StreamArrival { stream } => {
                let s = stream as usize;
                for lane in sources.streams.on_arrival(now, s, timers)? {
                    self.read_lane(now, s, lane)?;
                }
                Ok(())
            }
            SourceEvent::StreamRetry { stream, lane } => {
                let (s, lane) = (stream as usize, lane as usize);
                match sources.streams.on_retry(now, s, lane, self.next_request) {
                    RetryNext::Read => self.read_lane(now, s, lane),
                    RetryNext::Invoke(invoke) => self.source_invoke(now, invoke),
                }
            }
            SourceEvent::StreamPoll { stream, lane } => {
                let (s, lane) = (stream as usize, lane as usize);
                match sources
                    .streams
                    .on_poll(now, s, lane, self.next_request, timers)
                {
                    Some(invoke) => self.source_invoke(now, invoke),
                    None => Ok(()),
                }
            }
            SourceEvent::WorkflowArrival { workflow } => {
                let e = sources.flows.on_arrival(now, workflow as usize, timers)?;
                self.enter_step(now, e)
            }
            SourceEvent::WorkflowRetry { exec, branch } => {
                match sources.flows.on_retry(exec, branch) {
                    Some(invoke) => self.source_invoke(now, invoke),
                    None => Ok(()),
                }
            }
        }
    }

    /// A source's batch or task request ended (`ok`: successfully).
    pub(super) fn answer_source(&mut self, now: SimTime, p: SourceParent, ok: bool) -> Result<()> {
        let ended = (ok, self.sources.in_serve);
        let timers = &mut self.queue;
        let sources = &mut self.sources;
        match p {
            SourceParent::Queue { batch } => {
                if let Some(log) = self.log.as_mut() {
                    log.batch(&sources.queues.record(batch, now, ended))?;
                }
                match sources.queues.answer(now, batch, ended, timers) {
                    Some(q) => self.pump_queue(now, q),
                    None => Ok(()),
                }
            }
            SourceParent::Stream { stream, lane } => {
                let (s, lane) = (stream as usize, lane as usize);
                if let Some(log) = self.log.as_mut() {
                    log.batch(&sources.streams.record(s, lane, now, ended))?;
                }
                if sources.streams.answer(now, s, lane, ended, timers) {
                    self.read_lane(now, s, lane)?;
                }
                Ok(())
            }
            SourceParent::Workflow { exec, branch } => {
                match sources.flows.answer(now, exec, branch, ok, timers) {
                    Next::Wait => Ok(()),
                    Next::EnterStep => self.enter_step(now, exec),
                    Next::Invoke(invoke) => self.source_invoke(now, invoke),
                }
            }
        }
    }

    /// Hands queue `q`'s batches to its free pollers while the batching rule allows.
    fn pump_queue(&mut self, now: SimTime, q: usize) -> Result<()> {
        while let Some(invoke) =
            self.sources
                .queues
                .next_batch(now, q, self.next_request, &mut self.queue)
        {
            self.source_invoke(now, invoke)?;
        }
        Ok(())
    }

    /// Reads the next batch of lane `lane` of stream `s`, if it is idle and its poll is
    /// due, and serves it (a later poll sets its timer).
    fn read_lane(&mut self, now: SimTime, s: usize, lane: usize) -> Result<()> {
        let timers = &mut self.queue;
        match self
            .sources
            .streams
            .read(now, s, lane, self.next_request, timers)
        {
            Some(invoke) => self.source_invoke(now, invoke),
            None => Ok(()),
        }
    }

    /// Enters workflow execution `e`'s current step, serving its task or starting its
    /// parallel branches in order.
    fn enter_step(&mut self, now: SimTime, e: u32) -> Result<()> {
        match self.sources.flows.enter_step(now, e) {
            Entered::Task(invoke) => self.source_invoke(now, invoke),
            Entered::Parallel(n) => {
                for branch in 0..n {
                    // A branch throttled at once may have failed the execution.
                    if self.sources.flows.done(e) {
                        break;
                    }
                    let invoke = self.sources.flows.start_task(e, branch);
                    self.source_invoke(now, invoke)?;
                }
                self.sources.flows.release_hold(e);
                Ok(())
            }
            Entered::Ended => Ok(()),
        }
    }

    /// Serves a source's invocation: one synchronous request whose answer goes to its
    /// parent. The request's id is `self.next_request` as of the call (the components
    /// were told it when they made the invocation).
    fn source_invoke(&mut self, now: SimTime, invoke: Invoke) -> Result<()> {
        let Invoke {
            function: f,
            measured,
            parent,
        } = invoke;
        let id = self.new_request(now, f, measured);
        let inc = Incoming {
            id,
            arrival: now,
            exec: SimTime::MAX,
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
}
