//! What a run gives its caller: how each request ended ([`RequestRecord`], streamed to a
//! [`RequestLog`]), for logs that ask for them every arrival ([`ArrivalRecord`]) and every
//! change in an instance's life ([`InstanceRecord`]), the state after each event
//! ([`Snapshot`]), the run's hooks ([`RunOptions`]) and its raw output ([`RunOutput`]).
//!
//! Every hook is called at the simulated time it describes, so a log sees one stream in
//! non-decreasing time: an arrival when the request arrives, an instance change when it
//! happens, a request when it ends (a throttled one at its arrival, or when its wait in
//! the pending queue runs out).

use super::ColdStartPhases;
use super::source_events::BatchRecord;
use crate::error::Result;
use crate::metrics::{DatabaseMetrics, FunctionMetrics, Occupancy};
use crate::time::SimTime;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Served by an instance that was already running.
    Warm,
    /// Waited for a new instance's cold start.
    Cold,
    /// Rejected by a concurrency, scale-out or memory limit.
    Throttled,
}

/// The result of an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Completed.
    Ok,
    /// Ended in a function error.
    Error,
    /// Stopped by the execution timeout.
    Timeout,
    /// Not executed: throttled.
    Throttled,
}

/// Why a request was throttled (the causes of [`crate::metrics::ThrottleCauses`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleCause {
    /// A concurrency limit: the account's, the function's reserved concurrency, or the
    /// instance count.
    Concurrency,
    /// No token left in a scale-out bucket.
    ScaleOut,
    /// No memory for a new instance and nothing to evict.
    Memory,
    /// Waited in the pending queue as long as the platform allows.
    PendingTimeout,
}

/// One finished request, as given to a [`RequestLog`].
#[derive(Debug, Clone, Copy)]
pub struct RequestRecord<'a> {
    /// Request id, in arrival order across the scenario (each attempt of an asynchronous
    /// event is a request).
    pub request: u64,
    /// The function.
    pub function: &'a str,
    /// The function's position in the scenario (its `FunctionId` index): lets a log keep
    /// per-function state in a list instead of looking the name up.
    pub function_index: usize,
    /// The serving instance's serial number (none when throttled).
    pub instance: Option<u64>,
    /// Whether the serving instance is provisioned.
    pub provisioned: bool,
    /// A warm-up ping rather than a user request.
    pub ping: bool,
    /// Arrival time.
    pub arrival: SimTime,
    /// Start of execution (none when throttled).
    pub start: Option<SimTime>,
    /// End (the arrival itself when throttled).
    pub end: SimTime,
    /// How it started.
    pub outcome: Outcome,
    /// How it ended.
    pub status: Status,
    /// The cold start it waited for.
    pub cold_start: Option<ColdStartPhases>,
    /// Whether it arrived after the warm-up and counts in the results.
    pub measured: bool,
    /// Why it was throttled (none unless `outcome` is throttled).
    pub throttle_cause: Option<ThrottleCause>,
}

/// A request arriving, as given to a [`RequestLog`] that asked for lifecycle records
/// ([`RequestLog::wants_lifecycle`]). Every request gets exactly one, with the id and
/// arrival time of its [`RequestRecord`]: user requests, each attempt of an asynchronous
/// event (a retry arrives when it is attempted), calls from other functions, queue and
/// stream batches, workflow tasks, and warm-up pings (marked `ping`).
#[derive(Debug, Clone, Copy)]
pub struct ArrivalRecord<'a> {
    /// Request id (as in [`RequestRecord::request`]).
    pub request: u64,
    /// The function.
    pub function: &'a str,
    /// The function's position in the scenario (its `FunctionId` index): lets a log keep
    /// per-function state in a list instead of looking the name up.
    pub function_index: usize,
    /// Arrival time.
    pub at: SimTime,
    /// A warm-up ping rather than a user request.
    pub ping: bool,
    /// Whether it arrived after the warm-up and counts in the results.
    pub measured: bool,
}

/// Why an instance started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartCause {
    /// A request found no instance with a free slot: its cold start.
    Request,
    /// A warm-up ping found no idle instance.
    Ping,
    /// Provisioned concurrency allocated (the initial count, a schedule step, an
    /// evaluation of the policy).
    Provisioned,
    /// Hybrid keep-alive's pre-warm, before the next expected invocation.
    Prewarm,
    /// The platform's autoscaler, for the CPU load.
    Autoscaler,
    /// Replaces a provisioned instance recycled at the end of its lifetime.
    Replacement,
}

/// Why an instance went away (the keys of `evictions_by_cause`, plus `released`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvictionCause {
    /// The keep-alive policy: its deadline passed, or it keeps nothing.
    Expiry,
    /// Memory pressure: evicted to make room for a new instance.
    Pressure,
    /// The platform's maximum instance lifetime.
    Lifetime,
    /// Discarded after one of its requests timed out.
    Reset,
    /// Provisioned concurrency lowered (not counted as an eviction in the results).
    Released,
}

/// An instance's state, as seen by a [`RequestLog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceState {
    /// Starting: a cold start, or a provisioned instance's allocation and initialisation.
    Starting,
    /// Executing at least one request.
    Busy,
    /// Warm and waiting.
    Idle,
}

/// What happened to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceChange {
    /// It appeared, starting.
    Started(StartCause),
    /// Its cold start (or allocation and initialisation) is done; a `Busy`, `Idle` or
    /// `Evicted` record follows at the same instant.
    Ready,
    /// It took a request while ready or idle (a request joining an instance already busy
    /// makes no record).
    Busy,
    /// It has no request left and waits, under the keep-alive policy or in the
    /// provisioned pool.
    Idle,
    /// Its lifetime ran out while it was busy or starting: it takes no new request and
    /// goes away (`Evicted(Lifetime)`) when its requests end.
    Recycled,
    /// A busy provisioned instance released by a lower provisioned count: it finishes its
    /// requests as an on-demand instance (the record says `provisioned: false`).
    Released,
    /// It went away.
    Evicted(EvictionCause),
}

/// A change in an instance's life, as given to a [`RequestLog`] that asked for lifecycle
/// records ([`RequestLog::wants_lifecycle`]).
#[derive(Debug, Clone, Copy)]
pub struct InstanceRecord<'a> {
    /// When.
    pub at: SimTime,
    /// The function.
    pub function: &'a str,
    /// The function's position in the scenario (its `FunctionId` index): lets a log keep
    /// per-function state in a list instead of looking the name up.
    pub function_index: usize,
    /// Its serial number, in creation order (as in [`RequestRecord::instance`]).
    pub instance: u64,
    /// Whether it is provisioned (after the change: false for `Released`).
    pub provisioned: bool,
    /// What happened.
    pub change: InstanceChange,
    /// The state it was in before the change (none when it started). `Busy`, `Idle` and
    /// `Evicted` leave this state; `Ready`, `Recycled` and `Released` keep it.
    pub from: Option<InstanceState>,
}

/// Receives every finished request (the `--events` log).
pub trait RequestLog {
    /// Called once per request, in the order requests finish.
    fn record(&mut self, record: &RequestRecord<'_>) -> Result<()>;

    /// Called once per queue or stream batch attempt, when its request has ended (after
    /// [`RequestLog::record`] for it). Ignored unless implemented.
    fn batch(&mut self, _batch: &BatchRecord<'_>) -> Result<()> {
        Ok(())
    }

    /// Whether [`RequestLog::snapshot`] should be called. Asked once, when the run is
    /// built; the default (no) costs a run one untaken branch per event.
    fn wants_snapshots(&self) -> bool {
        false
    }

    /// Called after every event with the state it left, when
    /// [`RequestLog::wants_snapshots`] says so: for tests of invariants that no summary
    /// shows (event times, instance counts against the limits between events).
    fn snapshot(&mut self, _snapshot: &Snapshot<'_>) -> Result<()> {
        Ok(())
    }

    /// Whether [`RequestLog::arrival`] and [`RequestLog::instance`] should be called.
    /// Asked once, when the run is built; the default (no) costs a run one untaken branch
    /// where a request arrives or an instance changes.
    fn wants_lifecycle(&self) -> bool {
        false
    }

    /// Called once per request when it arrives, when [`RequestLog::wants_lifecycle`]
    /// says so.
    fn arrival(&mut self, _arrival: &ArrivalRecord<'_>) -> Result<()> {
        Ok(())
    }

    /// Called at every change in an instance's life, when [`RequestLog::wants_lifecycle`]
    /// says so.
    fn instance(&mut self, _instance: &InstanceRecord<'_>) -> Result<()> {
        Ok(())
    }
}

/// One function's instances and concurrency at a [`Snapshot`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstanceCounts {
    /// Instances starting (cold start or provisioned initialisation in progress).
    pub starting: u32,
    /// Instances executing at least one request.
    pub busy: u32,
    /// Instances warm and waiting.
    pub idle: u32,
    /// On-demand instances starting or executing: what counts against the concurrency
    /// limits besides the provisioned ones.
    pub on_demand_in_flight: u32,
    /// Provisioned instances allocated (initialising or ready).
    pub provisioned_allocated: u32,
}

/// The state of a run just after one event (see [`RequestLog::snapshot`]).
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    /// The event's time.
    pub at: SimTime,
    /// Requests created so far (request ids are `0..requests`).
    pub requests: u64,
    /// Per function, in scenario order.
    pub functions: &'a [InstanceCounts],
}

/// Optional hooks for a run.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Receives every finished request.
    pub log: Option<&'a mut dyn RequestLog>,
    /// Called now and then with the fraction of the arrival horizon simulated so far.
    pub progress: Option<&'a mut dyn FnMut(f64)>,
    /// Runs every function in one interleaved event queue even when they share nothing
    /// and could run apart (`sim/independent.rs`; the results are the same but for one tie
    /// rule). For checking the two against each other.
    pub interleaved: bool,
    /// Serves every request on the general request path, never on the express lane that
    /// plain functions' warm starts and request ends take otherwise (`sim/express.rs`; the
    /// results are the same). For checking the two against each other.
    pub general_path: bool,
    /// Threads among which functions that run apart are split (`sim/independent.rs`); 0
    /// and 1 both mean this thread only. The results are the same for any number.
    pub threads: usize,
}

/// What a run produced: raw metrics per function (see [`crate::report`] for the summaries).
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Per function, in scenario order.
    pub functions: Vec<FunctionMetrics>,
    /// Per function instance counts over the window.
    pub occupancy: Vec<Occupancy>,
    /// All functions together.
    pub total_occupancy: Occupancy,
    /// Provisioned instances allocated at the end of the run, per function.
    pub provisioned_final: Vec<u32>,
    /// The CPU demand of each function's executions (fleet sizing).
    pub cpu_demand: Vec<crate::metrics::CpuDemand>,
    /// The CPU demand of all functions together.
    pub total_cpu_demand: crate::metrics::CpuDemand,
    /// Per database, in scenario order.
    pub databases: Vec<DatabaseMetrics>,
    /// Queues, streams and workflows.
    pub sources: crate::metrics::SourceMetrics,
    /// Events processed.
    pub events: u64,
    /// The functions ran apart, one at a time (they share nothing: [`crate::sim::coupling`]),
    /// rather than in one interleaved event queue.
    pub ran_apart: bool,
    /// Requests that took the express lane (`sim/express.rs`) for their start; 0 with
    /// [`RunOptions::general_path`]. A diagnostic: the results do not depend on it.
    pub express_requests: u64,
}
