//! The CSV format: a header, one row per function in scenario order, then a `total` row.
//!
//! The columns are one list, [`run_csv_columns`]: each names its header and reads its cell,
//! so adding a column is adding one line (four for a latency distribution's seven
//! statistics, through `latency_columns!`). Absent values (a ratio without requests, the
//! events of a synchronous function) are empty cells. Columns are documented in
//! `docs/results.md`; their order is part of the format.

use super::Exporter;
use crate::report::csv::{Column, optional, quote, table};
use crate::report::{RunResult, Summary};

/// Writes the result as CSV.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn export(&self, result: &RunResult) -> String {
        let lines: Vec<RunCsvLine<'_>> = result
            .functions
            .iter()
            .map(|(name, summary)| (name.as_str(), summary))
            .chain(std::iter::once(("total", &result.total)))
            .map(|(function, summary)| RunCsvLine {
                result,
                function,
                summary,
            })
            .collect();
        table(&run_csv_columns(), &lines)
    }
}

/// What one CSV row is read from: a function's summary (or the total) within its result.
#[derive(Debug, Clone, Copy)]
pub struct RunCsvLine<'a> {
    /// The whole result (for the scenario name and seed).
    pub result: &'a RunResult,
    /// The function's name, or `total`.
    pub function: &'a str,
    /// Its measured results.
    pub summary: &'a Summary,
}

/// The seven statistics of a latency summary field `$field`, as columns
/// `{$group}_{stat}_ms`.
macro_rules! latency_columns {
    ($group:literal, $field:ident) => {
        [
            column!(concat!($group, "_mean_ms"), |l| optional(
                l.summary.$field.mean
            )),
            column!(concat!($group, "_p50_ms"), |l| optional(
                l.summary.$field.p50
            )),
            column!(concat!($group, "_p90_ms"), |l| optional(
                l.summary.$field.p90
            )),
            column!(concat!($group, "_p99_ms"), |l| optional(
                l.summary.$field.p99
            )),
            column!(concat!($group, "_p999_ms"), |l| optional(
                l.summary.$field.p999
            )),
            column!(concat!($group, "_p9999_ms"), |l| optional(
                l.summary.$field.p9999
            )),
            column!(concat!($group, "_max_ms"), |l| optional(
                l.summary.$field.max
            )),
        ]
    };
}

/// One column: its name and how its cell is read from a [`RunCsvLine`].
macro_rules! column {
    ($name:expr, $cell:expr) => {
        Column::<RunCsvLine<'a>> {
            name: $name,
            cell: $cell,
        }
    };
}

/// The run CSV's columns, in order.
pub fn run_csv_columns<'a>() -> Vec<Column<RunCsvLine<'a>>> {
    let mut columns = vec![
        column!("scenario", |l| quote(&l.result.scenario)),
        column!("seed", |l| l.result.seed.to_string()),
        column!("function", |l| quote(l.function)),
        column!("invocations", |l| l.summary.invocations.to_string()),
        column!("warm_starts", |l| l.summary.warm_starts.to_string()),
        column!("cold_starts", |l| l.summary.cold_starts.to_string()),
        column!("throttled", |l| l.summary.throttled.to_string()),
        column!("cold_start_ratio", |l| optional(l.summary.cold_start_ratio)),
        column!("throttle_ratio", |l| optional(l.summary.throttle_ratio)),
        column!("evictions", |l| l.summary.evictions.to_string()),
    ];
    columns.extend(latency_columns!("latency", latency_ms));
    columns.extend(latency_columns!("cold_latency", cold_latency_ms));
    columns.extend(latency_columns!("warm_latency", warm_latency_ms));
    columns.extend(latency_columns!(
        "cold_start_duration",
        cold_start_duration_ms
    ));
    columns.extend([
        column!("instances_mean_total", |l| l
            .summary
            .instances
            .mean_total
            .to_string()),
        column!("instances_mean_busy", |l| l
            .summary
            .instances
            .mean_busy
            .to_string()),
        column!("instances_mean_idle", |l| l
            .summary
            .instances
            .mean_idle
            .to_string()),
        column!("instances_mean_provisioning", |l| {
            l.summary.instances.mean_provisioning.to_string()
        }),
        column!("instances_max_total", |l| l
            .summary
            .instances
            .max_total
            .to_string()),
        column!("instances_idle_gb_s", |l| l
            .summary
            .instances
            .idle_gb_s
            .to_string()),
        column!("evictions_expiry", |l| l
            .summary
            .evictions_by_cause
            .expiry
            .to_string()),
        column!("evictions_pressure", |l| {
            l.summary.evictions_by_cause.pressure.to_string()
        }),
        column!("evictions_lifetime", |l| {
            l.summary.evictions_by_cause.lifetime.to_string()
        }),
        column!("evictions_reset", |l| l
            .summary
            .evictions_by_cause
            .reset
            .to_string()),
        column!("throttled_concurrency", |l| {
            l.summary.throttle_causes.concurrency.to_string()
        }),
        column!("throttled_scale_out", |l| {
            l.summary.throttle_causes.scale_out.to_string()
        }),
        column!("throttled_memory", |l| l
            .summary
            .throttle_causes
            .memory
            .to_string()),
        column!("errors", |l| l.summary.errors.to_string()),
        column!("timeouts", |l| l.summary.timeouts.to_string()),
        column!("events", |l| optional(
            l.summary.events.as_ref().map(|e| e.events)
        )),
        column!("events_succeeded", |l| {
            optional(l.summary.events.as_ref().map(|e| e.succeeded))
        }),
        column!("events_dead_lettered", |l| {
            optional(l.summary.events.as_ref().map(|e| e.dead_lettered))
        }),
        column!("events_expired", |l| {
            optional(l.summary.events.as_ref().map(|e| e.expired))
        }),
        column!("provisioned_utilisation", |l| {
            optional(l.summary.provisioned.as_ref().and_then(|p| p.utilisation))
        }),
        column!("provisioned_served", |l| {
            optional(l.summary.provisioned.as_ref().map(|p| p.served))
        }),
        column!("provisioned_spillover", |l| {
            optional(l.summary.provisioned.as_ref().map(|p| p.spillover))
        }),
        column!("provisioned_allocated_mean", |l| {
            optional(l.summary.provisioned.as_ref().map(|p| p.allocated_mean))
        }),
        column!("pings", |l| optional(l.summary.warmers.map(|w| w.pings))),
        column!("cost_total_usd", |l| l.summary.cost_usd.total.to_string()),
        column!("cost_requests_usd", |l| l
            .summary
            .cost_usd
            .requests
            .to_string()),
        column!("cost_compute_usd", |l| l
            .summary
            .cost_usd
            .compute
            .to_string()),
        column!("cost_provisioned_usd", |l| l
            .summary
            .cost_usd
            .provisioned
            .to_string()),
        column!("cost_warmers_usd", |l| l
            .summary
            .cost_usd
            .warmers
            .to_string()),
        column!("cost_free_tier_credit_usd", |l| {
            l.summary.cost_usd.free_tier_credit.to_string()
        }),
        column!("fleet_instances", |l| {
            l.summary.cost_usd.always_on_fleet.instances.to_string()
        }),
        column!("fleet_usd", |l| l
            .summary
            .cost_usd
            .always_on_fleet
            .usd
            .to_string()),
    ]);
    columns
}
