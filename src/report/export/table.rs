//! The table format: aligned text tables for the terminal, one section per aspect
//! (requests, failures, events, databases, sources, response times, instances,
//! provisioned concurrency, pings, cost); optional sections appear only when they have
//! something to show.

mod sources;

use std::fmt::Write as _;

use super::Exporter;
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
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Renders a run's results as aligned text tables.
fn render(r: &RunResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "faassim {} | scenario {} | platform {} | seed {} | {} s simulated (first {} s not measured)",
        r.faassim_version, r.scenario, r.platform, r.seed, r.duration_s, r.warmup_s
    );
    let mut rows: Vec<(&str, &Summary)> =
        r.functions.iter().map(|(n, s)| (n.as_str(), s)).collect();
    if rows.len() > 1 {
        rows.push(("TOTAL", &r.total));
    }
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(8).max(8);

    let _ = writeln!(out, "\nrequests");
    let _ = writeln!(
        out,
        "  {:<width$} {:>12} {:>12} {:>10} {:>9} {:>10} {:>9}",
        "function", "invocations", "warm", "cold", "cold %", "throttled", "evicted"
    );
    for (name, s) in &rows {
        let _ = writeln!(
            out,
            "  {:<width$} {:>12} {:>12} {:>10} {:>9} {:>10} {:>9}",
            name,
            count(s.invocations),
            count(s.warm_starts),
            count(s.cold_starts),
            pct(s.cold_start_ratio),
            count(s.throttled),
            count(s.evictions)
        );
    }

    if rows
        .iter()
        .any(|(_, s)| s.throttled > 0 || s.errors > 0 || s.timeouts > 0)
    {
        let _ = writeln!(out, "\nfailures");
        let _ = writeln!(
            out,
            "  {:<width$} {:>13} {:>13} {:>10} {:>12} {:>10} {:>10}",
            "function",
            "429 by limit",
            "429 by rate",
            "429 by mem",
            "429 queued",
            "errors",
            "timeouts"
        );
        for (name, s) in &rows {
            let c = &s.throttle_causes;
            let _ = writeln!(
                out,
                "  {:<width$} {:>13} {:>13} {:>10} {:>12} {:>10} {:>10}",
                name,
                count(c.concurrency),
                count(c.scale_out),
                count(c.memory),
                count(c.pending_timeout),
                count(s.errors),
                count(s.timeouts)
            );
        }
    }

    if rows.iter().any(|(_, s)| s.events.is_some()) {
        let _ = writeln!(out, "\nasynchronous events");
        let _ = writeln!(
            out,
            "  {:<width$} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>12} {:>12}",
            "function",
            "events",
            "succeeded",
            "retries",
            "backoffs",
            "dead",
            "expired",
            "queue p99 ms",
            "e2e p99 ms"
        );
        for (name, s) in &rows {
            let Some(e) = &s.events else { continue };
            let _ = writeln!(
                out,
                "  {:<width$} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>12} {:>12}",
                name,
                count(e.events),
                count(e.succeeded),
                count(e.error_retries),
                count(e.throttle_retries),
                count(e.dead_lettered),
                count(e.expired),
                ms(e.queue_delay_ms.p99),
                ms(e.end_to_end_ms.p99)
            );
        }
    }

    if !r.databases.is_empty() {
        let _ = writeln!(out, "\ndatabase connections");
        let _ = writeln!(
            out,
            "  {:<width$} {:>8} {:>8} {:>10} {:>10} {:>9} {:>12} {:>9}",
            "database", "limit", "proxy", "max used", "mean used", "waits", "wait p99 ms", "failed"
        );
        for (name, d) in &r.databases {
            let _ = writeln!(
                out,
                "  {:<width$} {:>8} {:>8} {:>10} {:>10.2} {:>9} {:>12} {:>9}",
                name,
                d.connections,
                if d.proxied { "yes" } else { "no" },
                d.max_in_use,
                d.mean_in_use,
                count(d.waits),
                ms(d.wait_ms.p99),
                count(d.failures)
            );
        }
    }
    sources::render(&mut out, r);

    let _ = writeln!(out, "\nresponse time, ms (cold start + execution)");
    let _ = writeln!(
        out,
        "  {:<width$} {:<6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "function", "kind", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"
    );
    for (name, s) in &rows {
        let kinds: [(&str, &LatencySummary); 3] = [
            ("all", &s.latency_ms),
            ("warm", &s.warm_latency_ms),
            ("cold", &s.cold_latency_ms),
        ];
        for (kind, l) in kinds {
            let _ = writeln!(
                out,
                "  {:<width$} {:<6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                name,
                kind,
                ms(l.mean),
                ms(l.p50),
                ms(l.p90),
                ms(l.p99),
                ms(l.p999),
                ms(l.p9999),
                ms(l.max)
            );
        }
    }

    let _ = writeln!(out, "\ninstances (time-averaged over the measured period)");
    let _ = writeln!(
        out,
        "  {:<width$} {:>10} {:>10} {:>10} {:>12} {:>10}",
        "function", "mean", "busy", "idle", "starting", "max"
    );
    for (name, s) in &rows {
        let i = &s.instances;
        let _ = writeln!(
            out,
            "  {:<width$} {:>10.2} {:>10.2} {:>10.2} {:>12.3} {:>10}",
            name, i.mean_total, i.mean_busy, i.mean_idle, i.mean_provisioning, i.max_total
        );
    }

    if rows.iter().any(|(_, s)| s.provisioned.is_some()) {
        let _ = writeln!(out, "\nprovisioned concurrency");
        let _ = writeln!(
            out,
            "  {:<width$} {:<16} {:>11} {:>10} {:>11} {:>10} {:>7}",
            "function", "policy", "utilisation", "served", "spill-over", "allocated", "final"
        );
        for (name, s) in &rows {
            let Some(p) = &s.provisioned else { continue };
            let _ = writeln!(
                out,
                "  {:<width$} {:<16} {:>11} {:>10} {:>11} {:>10.2} {:>7}",
                name,
                p.policy,
                pct(p.utilisation),
                count(p.served),
                count(p.spillover),
                p.allocated_mean,
                p.allocated_final
            );
        }
    }

    if rows.iter().any(|(_, s)| s.warmers.is_some()) {
        let _ = writeln!(out, "\nwarm-up pings (not in the figures above)");
        let _ = writeln!(
            out,
            "  {:<width$} {:>10} {:>10} {:>10}",
            "function", "pings", "cold", "throttled"
        );
        for (name, s) in &rows {
            let Some(w) = &s.warmers else { continue };
            let _ = writeln!(
                out,
                "  {:<width$} {:>10} {:>10} {:>10}",
                name,
                count(w.pings),
                count(w.cold),
                count(w.throttled)
            );
        }
    }

    let _ = writeln!(out, "\ncost, USD (list prices of the platform profile)");
    let _ = writeln!(
        out,
        "  {:<width$} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}   always-on fleet",
        "function", "total", "requests", "compute", "provisioned", "warmers", "free tier"
    );
    for (name, s) in &rows {
        let c = &s.cost_usd;
        let _ = writeln!(
            out,
            "  {:<width$} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}   {} x ${}",
            name,
            usd(c.total),
            usd(c.requests),
            usd(c.compute),
            usd(c.provisioned),
            usd(c.warmers),
            usd(c.free_tier_credit),
            c.always_on_fleet.instances,
            usd(c.always_on_fleet.usd)
        );
    }
    out
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
