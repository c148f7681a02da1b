//! What a run gives its caller: how each request ended ([`RequestRecord`], streamed to a
//! [`RequestLog`]), the state after each event for observers that ask for it
//! ([`Snapshot`]), the run's hooks ([`RunOptions`]) and its raw output ([`RunOutput`]).

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

/// One finished request, as given to a [`RequestLog`].
#[derive(Debug, Clone, Copy)]
pub struct RequestRecord<'a> {
    /// Request id, in arrival order across the scenario (each attempt of an asynchronous
    /// event is a request).
    pub request: u64,
    /// The function.
    pub function: &'a str,
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
}
