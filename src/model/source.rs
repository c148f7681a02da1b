//! Event sources and workflows, validated: queues (SQS-like), streams (Kinesis / DynamoDB
//! Streams-like) and workflows (Step Functions-like state machines), as the simulator runs
//! them.
//!
//! Each kind is an optional top-level array of the scenario (`queues`, `streams`,
//! `workflows`); the shapes as written and their validation (which resolves function names
//! against the scenario) are in [`crate::config`]. Defaults follow AWS where AWS publishes
//! one; each is cited at its field there. The semantics are described in `docs/design.md`
//! ("Event sources and workflows").

use super::FunctionId;
use crate::time::SimTime;
use crate::workload::Workload;

/// The event source mapping's ceiling on concurrent batches per queue (AWS docs
/// "Configuring scaling behavior for SQS event source mappings").
pub const MAX_QUEUE_CONCURRENCY: u32 = 1_000;

/// Batches in flight when a queue starts being polled (same source).
pub const INITIAL_POLLERS: u32 = 5;

/// The shortest time between two reads of one stream shard (all its lanes): Kinesis
/// allows five `GetRecords` calls a second per shard ("Each shard can support up to five
/// read transactions per second", Kinesis Data Streams developer guide, "Quotas and
/// limits"; "Each call to GetRecords is counted as one read transaction").
pub const SHARD_READ_GAP: SimTime = SimTime(200_000_000);

/// A validated queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    /// Name.
    pub name: String,
    /// The target function.
    pub function: FunctionId,
    /// Message arrivals.
    pub workload: Workload,
    /// Most messages per batch.
    pub batch_size: u32,
    /// Batching window.
    pub batching_window: SimTime,
    /// Ceiling on concurrent batches.
    pub max_concurrency: u32,
    /// Receives before the dead-letter queue (None: never).
    pub max_receive_count: Option<u32>,
    /// Visibility timeout.
    pub visibility_timeout: SimTime,
    /// Retention period.
    pub retention: SimTime,
    /// Execution time each message adds to its batch's.
    pub per_item: SimTime,
}

impl Queue {
    /// The per-message cost of a batch of `n` messages, added to its sampled execution
    /// time.
    pub fn batch_cost(&self, n: usize) -> SimTime {
        batch_cost(self.per_item, n)
    }
}

/// `n × per_item`, exact in nanoseconds (saturating at the end of time).
fn batch_cost(per_item: SimTime, n: usize) -> SimTime {
    SimTime(per_item.0.saturating_mul(n as u64))
}

/// A validated stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// Name.
    pub name: String,
    /// The target function.
    pub function: FunctionId,
    /// Record arrivals.
    pub workload: Workload,
    /// Shards.
    pub shards: u32,
    /// Most records per batch.
    pub batch_size: u32,
    /// Concurrent batches per shard.
    pub parallelization_factor: u32,
    /// Retries before a batch is skipped (None: until the records expire).
    pub max_retries: Option<u32>,
    /// Wait before a retry.
    pub retry_delay: SimTime,
    /// A caught-up lane's time between polls.
    pub polling_interval: SimTime,
    /// Retention period.
    pub retention: SimTime,
    /// Execution time each record adds to its batch's.
    pub per_item: SimTime,
}

impl Stream {
    /// The per-record cost of a batch of `n` records, added to its sampled execution
    /// time.
    pub fn batch_cost(&self, n: usize) -> SimTime {
        batch_cost(self.per_item, n)
    }
}

/// A validated retry rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// Retries after the first attempt.
    pub max_attempts: u32,
    /// First wait.
    pub interval: SimTime,
    /// Growth of the wait.
    pub backoff_rate: f64,
    /// Cap on the wait.
    pub max_delay: Option<SimTime>,
}

impl Retry {
    /// The wait before retry `n` (1-based): interval × rate^(n−1), capped.
    pub fn delay(&self, n: u32) -> SimTime {
        let exp = i32::try_from(n.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.interval.as_secs() * self.backoff_rate.powi(exp);
        // Past ~317 years the wait no longer fits in nanoseconds; no run lasts that long.
        let d = SimTime::from_secs(secs.min(1e10));
        self.max_delay.map_or(d, |m| d.min(m))
    }
}

/// A validated task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Task {
    /// The function it calls.
    pub function: FunctionId,
    /// Retry rule (None: a failure fails the task at once).
    pub retry: Option<Retry>,
}

/// A validated step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// One synchronous call of a function.
    Task(Task),
    /// Branches of tasks run at once; the step ends when all have ended.
    Parallel(Vec<Vec<Task>>),
}

/// A validated workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// Name.
    pub name: String,
    /// Execution starts.
    pub workload: Workload,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Price per 1,000 state transitions.
    pub usd_per_1000_transitions: f64,
}

/// Every event source and workflow of a scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    /// Queues, in file order.
    pub queues: Vec<Queue>,
    /// Streams, in file order.
    pub streams: Vec<Stream>,
    /// Workflows, in file order.
    pub workflows: Vec<Workflow>,
}

impl Sources {
    /// Whether the scenario has no source at all.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty() && self.streams.is_empty() && self.workflows.is_empty()
    }

    /// Every source's workload, for reading trace files through (`faassim validate`).
    pub fn workloads(&self) -> impl Iterator<Item = &Workload> {
        self.queues
            .iter()
            .map(|q| &q.workload)
            .chain(self.streams.iter().map(|s| &s.workload))
            .chain(self.workflows.iter().map(|w| &w.workload))
    }

    /// Whether a source or workflow invokes function `f`.
    pub fn drives(&self, f: FunctionId) -> bool {
        self.queues.iter().any(|q| q.function == f)
            || self.streams.iter().any(|s| s.function == f)
            || self.workflows.iter().any(|w| {
                w.steps.iter().any(|s| match s {
                    Step::Task(t) => t.function == f,
                    Step::Parallel(b) => b.iter().flatten().any(|t| t.function == f),
                })
            })
    }
}
