//! The table format: aligned text tables for the terminal, one section per aspect
//! (requests, failures, events, databases, sources, response times, the latency
//! objective, instances, provisioned concurrency, pings, cost); optional sections appear
//! only when they have something to show.

mod sources;

use std::fmt::Write as _;

use super::Exporter;
use crate::report::layout::{TextTable, thousands};
use crate::report::{LatencySummary, RunResult, Summary};

/// Writes the result as aligned text tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableExporter;

impl Exporter for TableExporter {
    fn export(&self, result: &RunResult) -> String {
        render(result)
    }
}

/// Milliseconds with precision that shrinks as values grow; `-` when absent.
fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".to_owned(),
        Some(x) if x >= 1000.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{:.2}%", x * 100.0))
}

/// Groups thousands: 1234567 → "1,234,567".
fn count(n: u64) -> String {
    thousands(n)
}

/// Renders a run's results as aligned text tables.
fn render(r: &RunResult) -> String {
    let mut out = String::new();
    let what = format!(
        "faassim {} | scenario {} | platform {} | seed {}",
        r.faassim_version, r.scenario, r.platform, r.seed
    );
    let span = format!(
        "{} s simulated (first {} s not measured)",
        r.duration_s, r.warmup_s
    );
    // One line when it fits the terminal's 100 columns, else two.
    if what.len() + 3 + span.len() <= WIDTH {
        let _ = writeln!(out, "{what} | {span}");
    } else {
        let _ = writeln!(out, "{what}\n{span}");
    }
    let mut rows: Vec<(String, &Summary)> = listed(&r.functions)
        .into_iter()
        .map(|(n, s)| (short_name(n), s))
        .collect();
    if r.functions.len() > MAX_FUNCTIONS {
        let _ = writeln!(
            out,
            "(the {MAX_FUNCTIONS} busiest of {} functions, in scenario order; --format csv \
             or json lists every one)",
            r.functions.len()
        );
    }
    if r.functions.len() > 1 {
        rows.push(("TOTAL".to_owned(), &r.total));
    }
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(8).max(8);
    // Every section starts with the function's (or database's) name.
    let named = |heading| TextTable::new("  ").left(heading, width);

    out.push_str("\nrequests\n");
    let table = named("function")
        .right("invocations", 12)
        .right("warm", 12)
        .right("cold", 10)
        .right("cold %", 9)
        .right("throttled", 10)
        .right("evicted", 9);
    table.header(&mut out);
    for (name, s) in &rows {
        table.row(
            &mut out,
            &[
                name.to_string(),
                count(s.invocations),
                count(s.warm_starts),
                count(s.cold_starts),
                pct(s.cold_start_ratio),
                count(s.throttled),
                count(s.evictions),
            ],
        );
    }

    if rows
        .iter()
        .any(|(_, s)| s.throttled > 0 || s.errors > 0 || s.timeouts > 0)
    {
        out.push_str("\nfailures\n");
        let table = named("function")
            .right("429 by limit", 13)
            .right("429 by rate", 13)
            .right("429 by mem", 10)
            .right("429 queued", 12)
            .right("errors", 10)
            .right("timeouts", 10);
        table.header(&mut out);
        for (name, s) in &rows {
            let c = &s.throttle_causes;
            table.row(
                &mut out,
                &[
                    name.to_string(),
                    count(c.concurrency),
                    count(c.scale_out),
                    count(c.memory),
                    count(c.pending_timeout),
                    count(s.errors),
                    count(s.timeouts),
                ],
            );
        }
    }

    if rows.iter().any(|(_, s)| s.events.is_some()) {
        out.push_str("\nasynchronous events\n");
        let table = named("function")
            .right("events", 10)
            .right("succeeded", 10)
            .right("retries", 9)
            .right("backoffs", 9)
            .right("dead", 9)
            .right("expired", 9)
            .right("queue p99 ms", 12)
            .right("e2e p99 ms", 12);
        table.header(&mut out);
        for (name, s) in &rows {
            let Some(e) = &s.events else { continue };
            table.row(
                &mut out,
                &[
                    name.to_string(),
                    count(e.events),
                    count(e.succeeded),
                    count(e.error_retries),
                    count(e.throttle_retries),
                    count(e.dead_lettered),
                    count(e.expired),
                    ms(e.queue_delay_ms.p99),
                    ms(e.end_to_end_ms.p99),
                ],
            );
        }
    }

    if !r.databases.is_empty() {
        out.push_str("\ndatabase connections\n");
        let table = named("database")
            .right("limit", 8)
            .right("proxy", 8)
            .right("max used", 10)
            .right("mean used", 10)
            .right("waits", 9)
            .right("wait p99 ms", 12)
            .right("failed", 9);
        table.header(&mut out);
        for (name, d) in &r.databases {
            table.row(
                &mut out,
                &[
                    name.clone(),
                    d.connections.to_string(),
                    (if d.proxied { "yes" } else { "no" }).to_owned(),
                    d.max_in_use.to_string(),
                    format!("{:.2}", d.mean_in_use),
                    count(d.waits),
                    ms(d.wait_ms.p99),
                    count(d.failures),
                ],
            );
        }
    }
    sources::render(&mut out, r);

    out.push_str("\nresponse time, ms (cold start + execution)\n");
    let table = named("function")
        .left("kind", 6)
        .right("mean", 9)
        .right("p50", 9)
        .right("p90", 9)
        .right("p99", 9)
        .right("p99.9", 9)
        .right("p99.99", 9)
        .right("max", 9);
    table.header(&mut out);
    for (name, s) in &rows {
        let kinds: [(&str, &LatencySummary); 3] = [
            ("all", &s.latency_ms),
            ("warm", &s.warm_latency_ms),
            ("cold", &s.cold_latency_ms),
        ];
        for (kind, l) in kinds {
            table.row(
                &mut out,
                &[
                    name.to_string(),
                    kind.to_owned(),
                    ms(l.mean),
                    ms(l.p50),
                    ms(l.p90),
                    ms(l.p99),
                    ms(l.p999),
                    ms(l.p9999),
                    ms(l.max),
                ],
            );
        }
    }

    if let Some(objective) = r.total.slo {
        let _ = writeln!(
            out,
            "\nover the latency objective ({} ms)",
            objective.slo_ms
        );
        let table = named("function")
            .right("served", 12)
            .right("over", 12)
            .right("over %", 9);
        table.header(&mut out);
        for (name, s) in &rows {
            let Some(o) = &s.slo else { continue };
            table.row(
                &mut out,
                &[
                    name.to_string(),
                    count(s.latency_ms.count),
                    count(o.over),
                    pct(o.over_ratio),
                ],
            );
        }
    }

    out.push_str("\ninstances (time-averaged over the measured period)\n");
    let table = named("function")
        .right("mean", 10)
        .right("busy", 10)
        .right("idle", 10)
        .right("starting", 12)
        .right("max", 10);
    table.header(&mut out);
    for (name, s) in &rows {
        let i = &s.instances;
        table.row(
            &mut out,
            &[
                name.to_string(),
                format!("{:.2}", i.mean_total),
                format!("{:.2}", i.mean_busy),
                format!("{:.2}", i.mean_idle),
                format!("{:.3}", i.mean_provisioning),
                i.max_total.to_string(),
            ],
        );
    }

    if rows.iter().any(|(_, s)| s.provisioned.is_some()) {
        out.push_str("\nprovisioned concurrency\n");
        let table = named("function")
            .left("policy", 16)
            .right("utilisation", 11)
            .right("served", 10)
            .right("spill-over", 11)
            .right("allocated", 10)
            .right("final", 7);
        table.header(&mut out);
        for (name, s) in &rows {
            let Some(p) = &s.provisioned else { continue };
            table.row(
                &mut out,
                &[
                    name.to_string(),
                    p.policy.to_owned(),
                    pct(p.utilisation),
                    count(p.served),
                    count(p.spillover),
                    format!("{:.2}", p.allocated_mean),
                    p.allocated_final.to_string(),
                ],
            );
        }
    }

    if rows.iter().any(|(_, s)| s.warmers.is_some()) {
        out.push_str("\nwarm-up pings (not in the figures above)\n");
        let table = named("function")
            .right("pings", 10)
            .right("cold", 10)
            .right("throttled", 10);
        table.header(&mut out);
        for (name, s) in &rows {
            let Some(w) = &s.warmers else { continue };
            table.row(
                &mut out,
                &[
                    name.to_string(),
                    count(w.pings),
                    count(w.cold),
                    count(w.throttled),
                ],
            );
        }
    }

    out.push_str("\ncost, USD (list prices of the platform profile)\n");
    let table = named("function")
        .right("total", 12)
        .right("requests", 11)
        .right("compute", 11)
        .right("provisioned", 12)
        .right("warmers", 10)
        .right("free tier", 10);
    table.header(&mut out);
    for (name, s) in &rows {
        let c = &s.cost_usd;
        table.row(
            &mut out,
            &[
                name.to_string(),
                usd(c.total),
                usd(c.requests),
                usd(c.compute),
                usd(c.provisioned),
                usd(c.warmers),
                usd(c.free_tier_credit),
            ],
        );
    }

    out.push_str(
        "\nalways-on fleet sized for the same CPU load, USD
",
    );
    let table = named("function").right("servers", 9).right("cost", 12);
    table.header(&mut out);
    for (name, s) in &rows {
        let f = &s.cost_usd.always_on_fleet;
        let (servers, cost) = match f.instances {
            0 => ("none".to_owned(), "-".to_owned()),
            n => (count(n), usd(f.usd)),
        };
        table.row(&mut out, &[name.to_string(), servers, cost]);
    }
    if rows
        .iter()
        .any(|(_, s)| s.cost_usd.always_on_fleet.instances == 0)
    {
        out.push_str("  (none: no CPU work to size a server for, cpu_fraction 0)\n");
    }
    out.push_str("\ncharts (latency CDFs, instance timelines, cost): add --report DIR\n");
    out
}

/// The terminal width the tables are laid out for.
const WIDTH: usize = 100;

/// Most functions the tables list (a trace replay has thousands; the other formats list
/// every one).
const MAX_FUNCTIONS: usize = 20;

/// Longest function name shown whole; longer ones (trace hashes) are cut.
const MAX_NAME: usize = 24;

/// The functions the tables list: all of them, or the [`MAX_FUNCTIONS`] with the most
/// invocations (ties by position), in scenario order.
fn listed(functions: &[(String, Summary)]) -> Vec<(&str, &Summary)> {
    let mut order: Vec<usize> = (0..functions.len()).collect();
    if functions.len() > MAX_FUNCTIONS {
        order.sort_by_key(|&i| (std::cmp::Reverse(functions[i].1.invocations), i));
        order.truncate(MAX_FUNCTIONS);
        order.sort_unstable();
    }
    order
        .into_iter()
        .map(|i| (functions[i].0.as_str(), &functions[i].1))
        .collect()
}

/// A name cut to [`MAX_NAME`] characters, its end marked with `..`.
fn short_name(name: &str) -> String {
    if name.chars().count() <= MAX_NAME {
        return name.to_owned();
    }
    let head: String = name.chars().take(MAX_NAME - 2).collect();
    format!("{head}..")
}

/// Dollars with enough digits for tiny per-run amounts.
fn usd(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else if v.abs() >= 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.6}")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }
}
