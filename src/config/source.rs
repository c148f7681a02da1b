//! Event sources and workflows as the scenario file writes them (`queues`, `streams`,
//! `workflows`), and their validation into [`crate::model::source`]'s types.
//!
//! Every entry has its own `workload` (the same object functions use) and targets
//! functions by name; a name that is not a function of the scenario is an error naming the
//! field. Defaults follow AWS where AWS publishes one; each is cited at its field.

use std::path::Path;

use serde::Deserialize;

use super::check;
use crate::error::FieldError;
use crate::model::source::{
    MAX_QUEUE_CONCURRENCY, Queue, Retry, Sources, Step, Stream, Task, Workflow,
};
use crate::model::{Function, FunctionId};
use crate::time::SimTime;
use crate::workload::WorkloadSpec;

/// A queue as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// Unique among queues; the key in results.
    pub name: String,
    /// The function each batch invokes.
    pub function: String,
    /// Message arrivals.
    pub workload: WorkloadSpec,
    /// Most messages per batch (Lambda `BatchSize`: default 10, at most 10,000).
    #[serde(default = "d_queue_batch")]
    pub batch_size: u32,
    /// How long a partial batch may wait to fill, seconds (Lambda
    /// `MaximumBatchingWindowInSeconds`: default 0, at most 300).
    #[serde(default)]
    pub batching_window_s: f64,
    /// Most batches in flight at once (Lambda `MaximumConcurrency`: 2–1,000; without it
    /// the event source mapping's own ceiling of 1,000 applies).
    #[serde(default = "d_queue_concurrency")]
    pub max_concurrency: u32,
    /// Receives after which a message that still failed goes to the dead-letter queue
    /// (the SQS redrive policy's `maxReceiveCount`, 1–1,000); null: no dead-letter queue.
    #[serde(default)]
    pub max_receive_count: Option<u32>,
    /// How long a received message stays invisible, seconds (SQS: default 30, at most
    /// 43,200).
    #[serde(default = "d_visibility_s")]
    pub visibility_timeout_s: f64,
    /// Messages older than this are deleted, seconds (SQS `MessageRetentionPeriod`:
    /// default 4 days, 60 s to 14 days).
    #[serde(default = "d_queue_retention_s")]
    pub retention_s: f64,
    /// Execution time each message adds to its batch's, milliseconds (default 0): a
    /// batch of `n` runs its sampled `exec_ms` plus `n × per_item_ms`.
    #[serde(default)]
    pub per_item_ms: f64,
}

fn d_queue_batch() -> u32 {
    10
}
fn d_queue_concurrency() -> u32 {
    MAX_QUEUE_CONCURRENCY
}
fn d_visibility_s() -> f64 {
    30.0
}
fn d_queue_retention_s() -> f64 {
    345_600.0
}

/// A stream as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StreamSpec {
    /// Unique among streams; the key in results.
    pub name: String,
    /// The function each batch invokes.
    pub function: String,
    /// Record arrivals.
    pub workload: WorkloadSpec,
    /// Shards; records are spread over them round-robin.
    pub shards: u32,
    /// Most records per batch (Lambda `BatchSize` for streams: default 100, at most
    /// 10,000).
    #[serde(default = "d_stream_batch")]
    pub batch_size: u32,
    /// Concurrent batches per shard (Lambda `ParallelizationFactor`: 1–10, default 1).
    #[serde(default = "d_one")]
    pub parallelization_factor: u32,
    /// Retries of a failed batch before it is skipped (Lambda `MaximumRetryAttempts`:
    /// 0–10,000); null (the default, as on Lambda): retry until the records expire.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Wait before retrying a failed or throttled batch, seconds (default 1).
    #[serde(default = "d_retry_delay_s")]
    pub retry_delay_s: f64,
    /// Time between a caught-up lane's polls, seconds (default 1: Lambda docs, "How Lambda
    /// processes records from Amazon Kinesis Data Streams": "Lambda polls shards in your
    /// stream for records at a rate of once per second for each shard"). At most 300: a
    /// Kinesis shard iterator "expires 5 minutes after it is returned" (GetShardIterator).
    #[serde(default = "d_polling_interval_s")]
    pub polling_interval_s: f64,
    /// Records older than this expire, seconds (Kinesis: default 24 h, at most 365 days).
    #[serde(default = "d_stream_retention_s")]
    pub retention_s: f64,
    /// Execution time each record adds to its batch's, milliseconds (default 0): a batch
    /// of `n` runs its sampled `exec_ms` plus `n × per_item_ms`.
    #[serde(default)]
    pub per_item_ms: f64,
}

fn d_stream_batch() -> u32 {
    100
}
fn d_one() -> u32 {
    1
}
fn d_retry_delay_s() -> f64 {
    1.0
}
fn d_polling_interval_s() -> f64 {
    1.0
}
fn d_stream_retention_s() -> f64 {
    86_400.0
}

/// A workflow as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSpec {
    /// Unique among workflows; the key in results.
    pub name: String,
    /// Execution starts.
    pub workload: WorkloadSpec,
    /// The states, run in order.
    pub steps: Vec<StepSpec>,
    /// Price per 1,000 state transitions, USD (Step Functions Standard: 0.025,
    /// aws.amazon.com/step-functions/pricing, us-east-1; the monthly free tier is not
    /// credited).
    #[serde(default = "d_transition_price")]
    pub usd_per_1000_transitions: f64,
}

fn d_transition_price() -> f64 {
    0.025
}

/// One step as written: `{"task": "f", "retry": {...}}` or `{"parallel": [[...], [...]]}`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Name of the function this task calls synchronously.
    #[serde(default)]
    pub task: Option<String>,
    /// Retry rule of the task (default: no retries).
    #[serde(default)]
    pub retry: Option<RetrySpec>,
    /// Branches run at once, each a sequence of tasks.
    #[serde(default)]
    pub parallel: Option<Vec<Vec<StepSpec>>>,
}

/// A task's retry rule as written, with Step Functions' `Retrier` defaults.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Retries after the first attempt (Step Functions `MaxAttempts`, default 3; 0: none).
    #[serde(default = "d_max_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, seconds (`IntervalSeconds`, default 1).
    #[serde(default = "d_interval_s")]
    pub interval_s: f64,
    /// Multiplier of the wait per retry (`BackoffRate`, default 2, at least 1).
    #[serde(default = "d_backoff_rate")]
    pub backoff_rate: f64,
    /// Longest wait, seconds (`MaxDelaySeconds`, default none).
    #[serde(default)]
    pub max_delay_s: Option<f64>,
}

fn d_max_attempts() -> u32 {
    3
}
fn d_interval_s() -> f64 {
    1.0
}
fn d_backoff_rate() -> f64 {
    2.0
}

fn function_id(
    functions: &[Function],
    name: &str,
    field: String,
) -> Result<FunctionId, FieldError> {
    functions
        .iter()
        .position(|f| f.name == name)
        .map(FunctionId::new)
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!("expected the name of a function in this scenario, got `{name}`"),
            )
        })
}

/// Checks a source's name: non-empty and not used before by the same kind.
fn check_name<'a>(
    name: &'a str,
    field: String,
    seen: &mut Vec<&'a str>,
    kind: &str,
) -> Result<(), FieldError> {
    check::name(name, field.clone())?;
    check::unique(name, seen.iter().copied(), field, kind)?;
    seen.push(name);
    Ok(())
}

/// A per-item execution cost: milliseconds `>= 0`.
fn per_item(ms: f64, field: String) -> Result<SimTime, FieldError> {
    check::non_negative(ms, field, "a number of milliseconds per item").map(SimTime::from_ms)
}

impl QueueSpec {
    fn validate(
        &self,
        field: &str,
        functions: &[Function],
        base_dir: &Path,
    ) -> Result<Queue, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        Ok(Queue {
            name: self.name.clone(),
            function: function_id(functions, &self.function, at("function"))?,
            workload: self.workload.validate(&at("workload"), base_dir)?,
            batch_size: check::count_within(
                self.batch_size,
                1,
                10_000,
                at("batch_size"),
                "messages",
            )?,
            batching_window: check::seconds_within(
                self.batching_window_s,
                0.0,
                300.0,
                at("batching_window_s"),
            )?,
            max_concurrency: check::count_within(
                self.max_concurrency,
                2,
                MAX_QUEUE_CONCURRENCY,
                at("max_concurrency"),
                "concurrent batches",
            )?,
            max_receive_count: self
                .max_receive_count
                .map(|n| check::count_within(n, 1, 1_000, at("max_receive_count"), "receives"))
                .transpose()?,
            visibility_timeout: check::seconds_within(
                self.visibility_timeout_s,
                0.0,
                43_200.0,
                at("visibility_timeout_s"),
            )?,
            retention: check::seconds_within(
                self.retention_s,
                60.0,
                1_209_600.0,
                at("retention_s"),
            )?,
            per_item: per_item(self.per_item_ms, at("per_item_ms"))?,
        })
    }
}

impl StreamSpec {
    fn validate(
        &self,
        field: &str,
        functions: &[Function],
        base_dir: &Path,
    ) -> Result<Stream, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        let retry_delay =
            check::seconds_within(self.retry_delay_s, 0.0, 86_400.0, at("retry_delay_s"))?;
        if retry_delay == SimTime::ZERO {
            return Err(FieldError::new(
                at("retry_delay_s"),
                "expected a wait > 0 seconds (a zero wait would retry a throttled batch forever at one instant)",
            ));
        }
        let polling_interval = check::within_excluding_low(
            self.polling_interval_s,
            0.0,
            300.0,
            at("polling_interval_s"),
            "a number of seconds",
        )
        .map(SimTime::from_secs)?;
        if polling_interval == SimTime::ZERO {
            return Err(FieldError::new(
                at("polling_interval_s"),
                "expected an interval of at least 1 ns",
            ));
        }
        Ok(Stream {
            name: self.name.clone(),
            function: function_id(functions, &self.function, at("function"))?,
            workload: self.workload.validate(&at("workload"), base_dir)?,
            shards: check::count_within(self.shards, 1, 100_000, at("shards"), "shards")?,
            batch_size: check::count_within(
                self.batch_size,
                1,
                10_000,
                at("batch_size"),
                "records",
            )?,
            parallelization_factor: check::count_within(
                self.parallelization_factor,
                1,
                10,
                at("parallelization_factor"),
                "concurrent batches per shard",
            )?,
            max_retries: self
                .max_retries
                .map(|n| check::count_within(n, 0, 10_000, at("max_retries"), "retries"))
                .transpose()?,
            retry_delay,
            polling_interval,
            retention: check::seconds_within(
                self.retention_s,
                60.0,
                31_536_000.0,
                at("retention_s"),
            )?,
            per_item: per_item(self.per_item_ms, at("per_item_ms"))?,
        })
    }
}

impl RetrySpec {
    fn validate(&self, field: &str) -> Result<Retry, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        let interval = check::seconds_within(self.interval_s, 0.0, 99_999_999.0, at("interval_s"))?;
        if !(self.backoff_rate.is_finite() && self.backoff_rate >= 1.0) {
            return Err(FieldError::new(
                at("backoff_rate"),
                format!(
                    "expected a multiplier >= 1 (Step Functions' BackoffRate), got {}",
                    self.backoff_rate
                ),
            ));
        }
        let max_delay = self
            .max_delay_s
            .map(|d| check::seconds_within(d, 0.0, 31_622_400.0, at("max_delay_s")))
            .transpose()?;
        Ok(Retry {
            max_attempts: self.max_attempts,
            interval,
            backoff_rate: self.backoff_rate,
            max_delay,
        })
    }
}

impl StepSpec {
    /// Validates a step that has a `task`.
    fn validate_task(&self, field: &str, functions: &[Function]) -> Result<Task, FieldError> {
        let name = self.task.as_deref().expect("checked by the caller");
        Ok(Task {
            function: function_id(functions, name, format!("{field}.task"))?,
            retry: self
                .retry
                .as_ref()
                .map(|r| r.validate(&format!("{field}.retry")))
                .transpose()?,
        })
    }

    fn validate(&self, field: &str, functions: &[Function]) -> Result<Step, FieldError> {
        match (&self.task, &self.parallel) {
            (Some(_), None) => Ok(Step::Task(self.validate_task(field, functions)?)),
            (None, Some(branches)) => {
                if self.retry.is_some() {
                    return Err(FieldError::new(
                        format!("{field}.retry"),
                        "retries apply to tasks only; put them on the tasks inside the branches",
                    ));
                }
                if branches.is_empty() {
                    return Err(FieldError::new(
                        format!("{field}.parallel"),
                        "expected at least one branch",
                    ));
                }
                let mut out = Vec::with_capacity(branches.len());
                for (b, branch) in branches.iter().enumerate() {
                    let bf = format!("{field}.parallel[{b}]");
                    if branch.is_empty() {
                        return Err(FieldError::new(bf, "expected at least one task"));
                    }
                    let mut tasks = Vec::with_capacity(branch.len());
                    for (k, s) in branch.iter().enumerate() {
                        let sf = format!("{bf}[{k}]");
                        if s.parallel.is_some() || s.task.is_none() {
                            return Err(FieldError::new(
                                sf,
                                "expected a task step {\"task\": \"function\"}; branches are sequences of tasks (nested parallel blocks are not supported)",
                            ));
                        }
                        tasks.push(s.validate_task(&sf, functions)?);
                    }
                    out.push(tasks);
                }
                Ok(Step::Parallel(out))
            }
            _ => Err(FieldError::new(
                field,
                "expected exactly one of `task` (a function name) or `parallel` (an array of branches)",
            )),
        }
    }
}

impl WorkflowSpec {
    fn validate(
        &self,
        field: &str,
        functions: &[Function],
        base_dir: &Path,
    ) -> Result<Workflow, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        if self.steps.is_empty() {
            return Err(FieldError::new(at("steps"), "expected at least one step"));
        }
        let steps = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| s.validate(&format!("{}[{i}]", at("steps")), functions))
            .collect::<Result<Vec<_>, _>>()?;
        let price = self.usd_per_1000_transitions;
        check::non_negative(price, at("usd_per_1000_transitions"), "a price")?;
        Ok(Workflow {
            name: self.name.clone(),
            workload: self.workload.validate(&at("workload"), base_dir)?,
            steps,
            usd_per_1000_transitions: price,
        })
    }
}

/// Validates the scenario's `queues`, `streams` and `workflows` against its functions.
pub fn validate(
    queues: &[QueueSpec],
    streams: &[StreamSpec],
    workflows: &[WorkflowSpec],
    functions: &[Function],
    base_dir: &Path,
) -> Result<Sources, FieldError> {
    let mut out = Sources::default();
    let mut seen = Vec::new();
    for (i, q) in queues.iter().enumerate() {
        let field = format!("queues[{i}]");
        check_name(&q.name, format!("{field}.name"), &mut seen, "queue")?;
        out.queues.push(q.validate(&field, functions, base_dir)?);
    }
    let mut seen = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        let field = format!("streams[{i}]");
        check_name(&s.name, format!("{field}.name"), &mut seen, "stream")?;
        out.streams.push(s.validate(&field, functions, base_dir)?);
    }
    let mut seen = Vec::new();
    for (i, w) in workflows.iter().enumerate() {
        let field = format!("workflows[{i}]");
        check_name(&w.name, format!("{field}.name"), &mut seen, "workflow")?;
        out.workflows.push(w.validate(&field, functions, base_dir)?);
    }
    Ok(out)
}

/// Every function needs something that invokes it: its own workload, a source, a workflow
/// or another function's calls. A function with none would be a silent no-op, most likely
/// a forgotten `workload`.
pub fn check_driven(functions: &[Function], sources: &Sources) -> Result<(), FieldError> {
    // One pass over every call, so that the check is linear in functions + calls (a trace
    // replay has tens of thousands of functions, each with its own workload).
    let mut called = vec![false; functions.len()];
    for c in functions.iter().flat_map(|g| g.calls.iter()) {
        called[c.target.index()] = true;
    }
    for (i, f) in functions.iter().enumerate() {
        let id = FunctionId::new(i);
        if f.workload.is_none() && !called[i] && !sources.drives(id) {
            return Err(FieldError::new(
                format!("functions[{i}].workload"),
                "expected a workload: a function needs one unless a queue, stream, workflow or another function's calls invoke it",
            ));
        }
    }
    Ok(())
}
