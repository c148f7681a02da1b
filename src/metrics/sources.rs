//! What a run measures for queues, streams and workflows. Items (messages, records,
//! executions) count when they *arrive* in the measured period, like requests; batch
//! counts go by the time a batch is invoked. Every item ends in exactly one of the final
//! counts (the run goes on after `duration_s` until every source has drained).

use super::Latency;

/// One queue.
#[derive(Debug, Clone, Default)]
pub struct QueueMetrics {
    /// Messages that arrived.
    pub messages: u64,
    /// Deleted after a successful batch.
    pub processed: u64,
    /// Moved to the dead-letter queue after `max_receive_count` receives.
    pub dead_lettered: u64,
    /// Deleted unprocessed at the end of the retention period.
    pub expired: u64,
    /// Batch invocations (each receive of a batch, retries of its messages included).
    pub batches: u64,
    /// Messages in those batches.
    pub batch_messages: u64,
    /// Batches whose invocation ended in a function error or timeout.
    pub failed_batches: u64,
    /// Batches whose invocation was throttled.
    pub throttled_batches: u64,
    /// Receives of a message after its first.
    pub redeliveries: u64,
    /// Most messages visible and waiting at once.
    pub max_backlog: u64,
    /// Highest poller concurrency reached (concurrent batches allowed).
    pub max_pollers: u32,
    /// Message arrival to the invocation of the batch that processed it successfully.
    pub queue_delay: Latency,
    /// Message arrival to the end of that batch.
    pub end_to_end: Latency,
}

/// One stream.
#[derive(Debug, Clone, Default)]
pub struct StreamMetrics {
    /// Records that arrived.
    pub records: u64,
    /// Processed by a successful batch.
    pub processed: u64,
    /// Skipped with their batch after `max_retries` retries.
    pub skipped: u64,
    /// Dropped because they outlived the retention period before a batch succeeded.
    pub expired: u64,
    /// Batches read (first attempts).
    pub batches: u64,
    /// Records in those batches.
    pub batch_records: u64,
    /// Retries of batches.
    pub retries: u64,
    /// Attempts that ended in a function error or timeout.
    pub failed_batches: u64,
    /// Attempts that were throttled.
    pub throttled_batches: u64,
    /// Record arrival to the first invocation of the batch that read it (the iterator
    /// age at read time).
    pub iterator_age: Latency,
    /// Record arrival to the end of the successful batch.
    pub end_to_end: Latency,
}

/// One workflow.
#[derive(Debug, Clone, Default)]
pub struct WorkflowMetrics {
    /// Executions started.
    pub executions: u64,
    /// Ended with every step successful.
    pub succeeded: u64,
    /// Ended with a task that failed after its retries.
    pub failed: u64,
    /// State transitions (each task attempt and each parallel state entered).
    pub transitions: u64,
    /// Task retries.
    pub retries: u64,
    /// Start to end of succeeded executions.
    pub latency: Latency,
}

/// Every source's measurements, in scenario order.
#[derive(Debug, Clone, Default)]
pub struct SourceMetrics {
    /// Per queue.
    pub queues: Vec<QueueMetrics>,
    /// Per stream.
    pub streams: Vec<StreamMetrics>,
    /// Per workflow.
    pub workflows: Vec<WorkflowMetrics>,
}
