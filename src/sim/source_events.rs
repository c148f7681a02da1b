//! What queues, streams and workflows add to the simulation's vocabulary: their events,
//! who waits for a batch or task request, the invocation a source asks for, the timer
//! interface the source components schedule through, and the batch records given to a
//! request log. Shared by the components `queues.rs`, `streams.rs` and `workflow.rs` and by
//! the orchestrator `sources.rs`, so that no component imports another or the orchestrator.

use crate::error::Result;
use crate::model::FunctionId;
use crate::time::SimTime;
use crate::workload::{ArrivalSource, Workload};

/// Source and workflow events (one variant of the simulation's `Event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceEvent {
    /// The next message(s) of a queue arrive.
    QueueArrival { queue: u32 },
    /// Re-evaluation of a queue's poller concurrency.
    QueueTick { queue: u32 },
    /// A queue's batching window ran out.
    QueueWindow { queue: u32 },
    /// The messages of a failed batch become visible again (or go to the DLQ).
    QueueVisible { batch: u32 },
    /// A queue poller's pause after a failure ends.
    QueuePoller { queue: u32 },
    /// The next record(s) of a stream arrive.
    StreamArrival { stream: u32 },
    /// Retry of the batch blocking a stream lane (or, if the lane dropped it, reading the
    /// next one).
    StreamRetry { stream: u32, lane: u32 },
    /// A stream lane with records waiting polls (its poll is due, or its shard may be
    /// read again).
    StreamPoll { stream: u32, lane: u32 },
    /// A workflow execution starts.
    WorkflowArrival { workflow: u32 },
    /// Retry of a workflow task (`branch`: NIL outside a parallel step).
    WorkflowRetry { exec: u32, branch: u32 },
}

/// Where a source component schedules its events: the simulation's event queue (the
/// orchestrator implements it), or a plain list in unit tests.
pub(super) trait SourceTimers {
    /// Schedules `event` at `at`.
    fn set(&mut self, at: SimTime, event: SourceEvent);
}

/// A request a source asks the orchestrator to serve: one synchronous invocation of
/// `function` whose answer goes to `parent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Invoke {
    /// The function invoked.
    pub function: FunctionId,
    /// Counted in the results (started at or after the warm-up).
    pub measured: bool,
    /// Who waits for the answer.
    pub parent: SourceParent,
}

/// Starts each source's arrival process (source `i` on random stream `(seed, i, kind)`),
/// sets the timer of its first arrival before `horizon`, in source order, and builds its
/// state from its spec and its arrivals with `state`.
pub(super) fn start_each<S, T>(
    specs: &[S],
    (seed, kind): (u64, crate::rng::Stream),
    horizon: SimTime,
    timers: &mut impl SourceTimers,
    workload: impl Fn(&S) -> &Workload,
    arrival: impl Fn(u32) -> SourceEvent,
    mut state: impl FnMut(&S, ArrivalSource) -> T,
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let mut source = workload(spec).start(crate::rng::stream(seed, i as u64, kind))?;
        if let Some(t) = next_arrival(&mut source, horizon)? {
            timers.set(t, arrival(i as u32));
        }
        out.push(state(spec, source));
    }
    Ok(out)
}

/// The source's next arrival, if it comes before `horizon`.
pub(super) fn next_arrival(
    source: &mut ArrivalSource,
    horizon: SimTime,
) -> Result<Option<SimTime>> {
    Ok(source.next_arrival()?.filter(|&t| t < horizon))
}

/// Who waits for a batch or task request (one variant of the simulation's `Parent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceParent {
    /// Queue batch `batch`.
    Queue { batch: u32 },
    /// The batch of a stream lane.
    Stream { stream: u32, lane: u32 },
    /// A task of workflow execution `exec` (`branch`: NIL outside a parallel step).
    Workflow { exec: u32, branch: u32 },
}

/// What kind of source a [`BatchRecord`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A queue.
    Queue,
    /// A stream.
    Stream,
}

/// One ended batch attempt, as given to [`super::RequestLog::batch`].
#[derive(Debug, Clone, Copy)]
pub struct BatchRecord<'a> {
    /// Queue or stream.
    pub kind: SourceKind,
    /// The source's name.
    pub source: &'a str,
    /// The request that carried the batch (its id in the request log).
    pub request: u64,
    /// Stream shard (0 for queues).
    pub shard: u32,
    /// Lane within the shard (parallelisation factor; 0 for queues).
    pub lane: u32,
    /// When the batch was invoked.
    pub invoked: SimTime,
    /// When its request ended (the invocation itself when throttled).
    pub ended: SimTime,
    /// Whether it succeeded.
    pub ok: bool,
    /// Whether it was throttled.
    pub throttled: bool,
    /// The messages or records in it, by id (arrival order within the source, from 0).
    pub items: &'a [u64],
}

/// Unit tests' timers: the events set, in order.
#[cfg(test)]
impl SourceTimers for Vec<(SimTime, SourceEvent)> {
    fn set(&mut self, at: SimTime, event: SourceEvent) {
        self.push((at, event));
    }
}

/// A validated workload from its JSON, for unit tests.
#[cfg(test)]
pub(super) fn test_workload(json: &str) -> Workload {
    serde_json::from_str::<crate::workload::WorkloadSpec>(json)
        .expect("a workload spec")
        .validate("workload", std::path::Path::new("."))
        .expect("a valid workload")
}
