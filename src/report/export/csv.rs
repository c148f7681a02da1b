//! The CSV format: a header, one row per function in scenario order, then a `total` row.
//!
//! The columns are one list, [`run_csv_columns`]: each names its header and reads its cell,
//! so adding a column is adding one line (one `latency!` line adds a latency
//! distribution's seven statistics). Absent values (a ratio without requests, the
//! events of a synchronous function) are empty cells. Columns are documented in
//! `docs/results.md`; their order is part of the format.

use super::Exporter;
use crate::report::csv::{Column, column, table};
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

/// A column read from the row's summary `s`: `summary!("name", |s| value)`, where the
/// value is a number or an `Option` of one (empty when absent).
macro_rules! summary {
    ($name:expr, |$s:ident| $read:expr) => {
        column!($name, |line: RunCsvLine<'_>| {
            let $s = line.summary;
            $read
        })
    };
}

/// The seven statistics of the latency summary `s.$field`, as columns
/// `{$group}_{stat}_ms`.
macro_rules! latency {
    ($group:literal, $field:ident) => {
        [
            summary!(concat!($group, "_mean_ms"), |s| s.$field.mean),
            summary!(concat!($group, "_p50_ms"), |s| s.$field.p50),
            summary!(concat!($group, "_p90_ms"), |s| s.$field.p90),
            summary!(concat!($group, "_p99_ms"), |s| s.$field.p99),
            summary!(concat!($group, "_p999_ms"), |s| s.$field.p999),
            summary!(concat!($group, "_p9999_ms"), |s| s.$field.p9999),
            summary!(concat!($group, "_max_ms"), |s| s.$field.max),
        ]
    };
}

/// The run CSV's columns, in order.
pub fn run_csv_columns<'a>() -> Vec<Column<RunCsvLine<'a>>> {
    let mut columns: Vec<Column<RunCsvLine<'a>>> = vec![
        column!("scenario", |l: RunCsvLine<'_>| l.result.scenario),
        column!("seed", |l: RunCsvLine<'_>| l.result.seed),
        column!("function", |l: RunCsvLine<'_>| l.function),
        summary!("invocations", |s| s.invocations),
        summary!("warm_starts", |s| s.warm_starts),
        summary!("cold_starts", |s| s.cold_starts),
        summary!("throttled", |s| s.throttled),
        summary!("cold_start_ratio", |s| s.cold_start_ratio),
        summary!("throttle_ratio", |s| s.throttle_ratio),
        summary!("evictions", |s| s.evictions),
    ];
    columns.extend(latency!("latency", latency_ms));
    columns.extend(latency!("cold_latency", cold_latency_ms));
    columns.extend(latency!("warm_latency", warm_latency_ms));
    columns.extend(latency!("cold_start_duration", cold_start_duration_ms));
    columns.extend([
        summary!("instances_mean_total", |s| s.instances.mean_total),
        summary!("instances_mean_busy", |s| s.instances.mean_busy),
        summary!("instances_mean_idle", |s| s.instances.mean_idle),
        summary!("instances_mean_provisioning", |s| s
            .instances
            .mean_provisioning),
        summary!("instances_max_total", |s| s.instances.max_total),
        summary!("instances_idle_gb_s", |s| s.instances.idle_gb_s),
        summary!("evictions_expiry", |s| s.evictions_by_cause.expiry),
        summary!("evictions_pressure", |s| s.evictions_by_cause.pressure),
        summary!("evictions_lifetime", |s| s.evictions_by_cause.lifetime),
        summary!("evictions_reset", |s| s.evictions_by_cause.reset),
        summary!("throttled_concurrency", |s| s.throttle_causes.concurrency),
        summary!("throttled_scale_out", |s| s.throttle_causes.scale_out),
        summary!("throttled_memory", |s| s.throttle_causes.memory),
        summary!("errors", |s| s.errors),
        summary!("timeouts", |s| s.timeouts),
        summary!("events", |s| s.events.as_ref().map(|e| e.events)),
        summary!("events_succeeded", |s| s
            .events
            .as_ref()
            .map(|e| e.succeeded)),
        summary!("events_dead_lettered", |s| s
            .events
            .as_ref()
            .map(|e| e.dead_lettered)),
        summary!("events_expired", |s| s.events.as_ref().map(|e| e.expired)),
        summary!("provisioned_utilisation", |s| s
            .provisioned
            .as_ref()
            .and_then(|p| p.utilisation)),
        summary!("provisioned_served", |s| s
            .provisioned
            .as_ref()
            .map(|p| p.served)),
        summary!("provisioned_spillover", |s| s
            .provisioned
            .as_ref()
            .map(|p| p.spillover)),
        summary!("provisioned_allocated_mean", |s| s
            .provisioned
            .as_ref()
            .map(|p| p.allocated_mean)),
        summary!("pings", |s| s.warmers.map(|w| w.pings)),
        summary!("cost_total_usd", |s| s.cost_usd.total),
        summary!("cost_requests_usd", |s| s.cost_usd.requests),
        summary!("cost_compute_usd", |s| s.cost_usd.compute),
        summary!("cost_provisioned_usd", |s| s.cost_usd.provisioned),
        summary!("cost_warmers_usd", |s| s.cost_usd.warmers),
        summary!("cost_free_tier_credit_usd", |s| s.cost_usd.free_tier_credit),
        summary!("fleet_instances", |s| s.cost_usd.always_on_fleet.instances),
        summary!("fleet_usd", |s| s.cost_usd.always_on_fleet.usd),
        summary!("slo_ms", |s| s.slo.map(|o| o.slo_ms)),
        summary!("slo_over", |s| s.slo.map(|o| o.over)),
        summary!("slo_over_ratio", |s| s.slo.and_then(|o| o.over_ratio)),
    ]);
    columns
}
