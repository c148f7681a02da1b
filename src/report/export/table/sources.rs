//! The terminal tables of queues, streams and workflows (nothing without sources).

use super::{count, ms};
use crate::report::RunResult;
use crate::report::layout::TextTable;

/// A mean batch size with two decimals, `-` without batches.
fn batch_size(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}

/// Appends the queue, stream and workflow tables (nothing without sources).
pub(super) fn render(out: &mut String, r: &RunResult) {
    let names = r
        .queues
        .iter()
        .map(|(n, _)| n.len())
        .chain(r.streams.iter().map(|(n, _)| n.len()))
        .chain(r.workflows.iter().map(|(n, _)| n.len()));
    let width = names.max().unwrap_or(8).max(8);
    if !r.queues.is_empty() {
        out.push_str("\nqueues (message counts; delays from message arrival)\n");
        let table = TextTable::new("  ")
            .left("queue", width)
            .right("messages", 10)
            .right("processed", 10)
            .right("DLQ", 8)
            .right("expired", 8)
            .right("batches", 9)
            .right("size", 7)
            .right("failed", 8)
            .right("backlog", 8)
            .right("pollers", 8)
            .right("delay p50", 11)
            .right("delay p99", 11)
            .right("delay max", 11);
        table.header(out);
        for (name, q) in &r.queues {
            table.row(
                out,
                &[
                    name.clone(),
                    count(q.messages),
                    count(q.processed),
                    count(q.dead_lettered),
                    count(q.expired),
                    count(q.batches),
                    batch_size(q.mean_batch_size),
                    count(q.failed_batches + q.throttled_batches),
                    count(q.max_backlog),
                    q.max_pollers.to_string(),
                    ms(q.queue_delay_ms.p50),
                    ms(q.queue_delay_ms.p99),
                    ms(q.queue_delay_ms.max),
                ],
            );
        }
    }
    if !r.streams.is_empty() {
        out.push_str("\nstreams (record counts; iterator age at read, ms)\n");
        let table = TextTable::new("  ")
            .left("stream", width)
            .right("records", 10)
            .right("processed", 10)
            .right("skipped", 8)
            .right("expired", 8)
            .right("batches", 9)
            .right("size", 7)
            .right("retries", 8)
            .right("age p99", 11)
            .right("age max", 11);
        table.header(out);
        for (name, s) in &r.streams {
            table.row(
                out,
                &[
                    name.clone(),
                    count(s.records),
                    count(s.processed),
                    count(s.skipped),
                    count(s.expired),
                    count(s.batches),
                    batch_size(s.mean_batch_size),
                    count(s.retries),
                    ms(s.iterator_age_ms.p99),
                    ms(s.iterator_age_ms.max),
                ],
            );
        }
    }
    if !r.workflows.is_empty() {
        out.push_str("\nworkflows (end-to-end latency of succeeded executions, ms)\n");
        let table = TextTable::new("  ")
            .left("workflow", width)
            .right("executions", 10)
            .right("succeeded", 10)
            .right("failed", 8)
            .right("retries", 8)
            .right("transitions", 11)
            .right("p50", 9)
            .right("p99", 9)
            .right("max", 9)
            .right("transit. USD", 12);
        table.header(out);
        for (name, w) in &r.workflows {
            table.row(
                out,
                &[
                    name.clone(),
                    count(w.executions),
                    count(w.succeeded),
                    count(w.failed),
                    count(w.retries),
                    count(w.transitions),
                    ms(w.latency_ms.p50),
                    ms(w.latency_ms.p99),
                    ms(w.latency_ms.max),
                    format!("{:.6}", w.transition_cost_usd),
                ],
            );
        }
    }
}
