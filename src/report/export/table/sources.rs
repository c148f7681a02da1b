//! The terminal tables of queues, streams and workflows (nothing without sources).

use std::fmt::Write as _;

use super::{count, ms};
use crate::report::RunResult;

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
        let _ = writeln!(
            out,
            "\nqueues (message counts; delays from message arrival)"
        );
        let _ = writeln!(
            out,
            "  {:<width$} {:>10} {:>10} {:>8} {:>8} {:>9} {:>7} {:>8} {:>8} {:>8} {:>11} {:>11} {:>11}",
            "queue",
            "messages",
            "processed",
            "DLQ",
            "expired",
            "batches",
            "size",
            "failed",
            "backlog",
            "pollers",
            "delay p50",
            "delay p99",
            "delay max"
        );
        for (name, q) in &r.queues {
            let _ = writeln!(
                out,
                "  {:<width$} {:>10} {:>10} {:>8} {:>8} {:>9} {:>7} {:>8} {:>8} {:>8} {:>11} {:>11} {:>11}",
                name,
                count(q.messages),
                count(q.processed),
                count(q.dead_lettered),
                count(q.expired),
                count(q.batches),
                q.mean_batch_size
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}")),
                count(q.failed_batches + q.throttled_batches),
                count(q.max_backlog),
                q.max_pollers,
                ms(q.queue_delay_ms.p50),
                ms(q.queue_delay_ms.p99),
                ms(q.queue_delay_ms.max)
            );
        }
    }
    if !r.streams.is_empty() {
        let _ = writeln!(out, "\nstreams (record counts; iterator age at read, ms)");
        let _ = writeln!(
            out,
            "  {:<width$} {:>10} {:>10} {:>8} {:>8} {:>9} {:>7} {:>8} {:>11} {:>11}",
            "stream",
            "records",
            "processed",
            "skipped",
            "expired",
            "batches",
            "size",
            "retries",
            "age p99",
            "age max"
        );
        for (name, s) in &r.streams {
            let _ = writeln!(
                out,
                "  {:<width$} {:>10} {:>10} {:>8} {:>8} {:>9} {:>7} {:>8} {:>11} {:>11}",
                name,
                count(s.records),
                count(s.processed),
                count(s.skipped),
                count(s.expired),
                count(s.batches),
                s.mean_batch_size
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.2}")),
                count(s.retries),
                ms(s.iterator_age_ms.p99),
                ms(s.iterator_age_ms.max)
            );
        }
    }
    if !r.workflows.is_empty() {
        let _ = writeln!(
            out,
            "\nworkflows (end-to-end latency of succeeded executions, ms)"
        );
        let _ = writeln!(
            out,
            "  {:<width$} {:>10} {:>10} {:>8} {:>8} {:>11} {:>9} {:>9} {:>9} {:>12}",
            "workflow",
            "executions",
            "succeeded",
            "failed",
            "retries",
            "transitions",
            "p50",
            "p99",
            "max",
            "transit. USD"
        );
        for (name, w) in &r.workflows {
            let _ = writeln!(
                out,
                "  {:<width$} {:>10} {:>10} {:>8} {:>8} {:>11} {:>9} {:>9} {:>9} {:>12.6}",
                name,
                count(w.executions),
                count(w.succeeded),
                count(w.failed),
                count(w.retries),
                count(w.transitions),
                ms(w.latency_ms.p50),
                ms(w.latency_ms.p99),
                ms(w.latency_ms.max),
                w.transition_cost_usd
            );
        }
    }
}
