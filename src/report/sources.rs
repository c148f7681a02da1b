//! Results of queues, streams and workflows: the `queues`, `streams` and `workflows`
//! sections of the JSON result (present only when the scenario has such sources, so
//! other results are unchanged). Fields are documented in `docs/results.md`; the terminal
//! tables are `export::table::sources`.

use serde::Serialize;

use super::LatencySummary;
use crate::metrics::{QueueMetrics, SourceMetrics, StreamMetrics, WorkflowMetrics};
use crate::model::{FunctionId, Scenario};

fn mean(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// One queue's results.
#[derive(Debug, Clone, Serialize)]
pub struct QueueSummary {
    /// The target function.
    pub function: String,
    /// Messages that arrived in the measured period.
    pub messages: u64,
    /// Processed by a successful batch.
    pub processed: u64,
    /// Moved to the dead-letter queue.
    pub dead_lettered: u64,
    /// Deleted unprocessed at the end of the retention period.
    pub expired: u64,
    /// Batch invocations.
    pub batches: u64,
    /// Messages per batch invocation.
    pub mean_batch_size: Option<f64>,
    /// Batches that ended in a function error or timeout.
    pub failed_batches: u64,
    /// Batches that were throttled.
    pub throttled_batches: u64,
    /// Receives of messages after their first.
    pub redeliveries: u64,
    /// Most messages visible and waiting at once.
    pub max_backlog: u64,
    /// Highest poller concurrency reached.
    pub max_pollers: u32,
    /// Message arrival to the invocation of its successful batch.
    pub queue_delay_ms: LatencySummary,
    /// Message arrival to the end of its successful batch.
    pub end_to_end_ms: LatencySummary,
}

/// One stream's results.
#[derive(Debug, Clone, Serialize)]
pub struct StreamSummary {
    /// The target function.
    pub function: String,
    /// Records that arrived in the measured period.
    pub records: u64,
    /// Processed by a successful batch.
    pub processed: u64,
    /// Skipped after `max_retries`.
    pub skipped: u64,
    /// Dropped at the end of the retention period.
    pub expired: u64,
    /// Batches read (first attempts).
    pub batches: u64,
    /// Records per batch.
    pub mean_batch_size: Option<f64>,
    /// Retries of batches.
    pub retries: u64,
    /// Attempts that ended in a function error or timeout.
    pub failed_batches: u64,
    /// Attempts that were throttled.
    pub throttled_batches: u64,
    /// Record arrival to the first invocation of the batch that read it.
    pub iterator_age_ms: LatencySummary,
    /// Record arrival to the end of its successful batch.
    pub end_to_end_ms: LatencySummary,
}

/// One workflow's results.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowSummary {
    /// Executions started in the measured period.
    pub executions: u64,
    /// Ended with every step successful.
    pub succeeded: u64,
    /// Ended with a failed task.
    pub failed: u64,
    /// State transitions (task attempts and parallel states).
    pub transitions: u64,
    /// Task retries.
    pub retries: u64,
    /// Start to end of succeeded executions.
    pub latency_ms: LatencySummary,
    /// Transitions × the workflow's price per 1,000.
    pub transition_cost_usd: f64,
}

fn queue(m: &QueueMetrics, function: &str) -> QueueSummary {
    QueueSummary {
        function: function.to_owned(),
        messages: m.messages,
        processed: m.processed,
        dead_lettered: m.dead_lettered,
        expired: m.expired,
        batches: m.batches,
        mean_batch_size: mean(m.batch_messages, m.batches),
        failed_batches: m.failed_batches,
        throttled_batches: m.throttled_batches,
        redeliveries: m.redeliveries,
        max_backlog: m.max_backlog,
        max_pollers: m.max_pollers,
        queue_delay_ms: (&m.queue_delay).into(),
        end_to_end_ms: (&m.end_to_end).into(),
    }
}

fn stream(m: &StreamMetrics, function: &str) -> StreamSummary {
    StreamSummary {
        function: function.to_owned(),
        records: m.records,
        processed: m.processed,
        skipped: m.skipped,
        expired: m.expired,
        batches: m.batches,
        mean_batch_size: mean(m.batch_records, m.batches),
        retries: m.retries,
        failed_batches: m.failed_batches,
        throttled_batches: m.throttled_batches,
        iterator_age_ms: (&m.iterator_age).into(),
        end_to_end_ms: (&m.end_to_end).into(),
    }
}

fn workflow(m: &WorkflowMetrics, usd_per_1000: f64) -> WorkflowSummary {
    WorkflowSummary {
        executions: m.executions,
        succeeded: m.succeeded,
        failed: m.failed,
        transitions: m.transitions,
        retries: m.retries,
        latency_ms: (&m.latency).into(),
        transition_cost_usd: m.transitions as f64 * usd_per_1000 / 1000.0,
    }
}

/// The three sections, keyed by source name in scenario order.
pub(super) type Sections = (
    Vec<(String, QueueSummary)>,
    Vec<(String, StreamSummary)>,
    Vec<(String, WorkflowSummary)>,
);

/// Summarises every source of a run.
pub(super) fn summarise(scenario: &Scenario, m: &SourceMetrics) -> Sections {
    let fname = |f: FunctionId| scenario.function(f).name.as_str();
    let s = &scenario.sources;
    (
        s.queues
            .iter()
            .zip(&m.queues)
            .map(|(q, m)| (q.name.clone(), queue(m, fname(q.function))))
            .collect(),
        s.streams
            .iter()
            .zip(&m.streams)
            .map(|(st, m)| (st.name.clone(), stream(m, fname(st.function))))
            .collect(),
        s.workflows
            .iter()
            .zip(&m.workflows)
            .map(|(w, m)| (w.name.clone(), workflow(m, w.usd_per_1000_transitions)))
            .collect(),
    )
}
