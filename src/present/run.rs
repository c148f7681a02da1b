//! The report of one run: what `faassim run --report DIR` saved (`result.json`,
//! `windows.csv`, `report.json`) turned into charts and a page.

use std::path::Path;

use serde::Deserialize;

use super::saved::{ALL_FUNCTIONS, SAVED_FILE, Saved};
use super::series::{Windows, cdf, log_bins};
use super::{Figure, Report, fmt_num, load_json};
use crate::error::Result;
use crate::json::Ordered;
use crate::plot::html::{Section, Table as HtmlTable};
use crate::plot::{Axis, Bin, Cdf, Histogram as HistogramChart, Stack, StackedBars, Timeline};
use crate::report::layout::thousands;

/// The summary file of a report folder (`faassim run --format json`).
pub const RESULT_FILE: &str = "result.json";
/// The time series of a report folder (`faassim run --windows`).
pub const WINDOWS_FILE: &str = "windows.csv";

/// A named series of `(x, y)` points, as the timeline chart takes them.
type Named = (String, Vec<(f64, f64)>);

/// Most functions listed in a table or drawn as a bar; the rest are summed as "others".
const LISTED: usize = 12;

/// The parts of `result.json` a report reads.
#[derive(Deserialize)]
struct ResultFile {
    faassim_version: String,
    scenario: String,
    seed: u64,
    platform: String,
    duration_s: f64,
    warmup_s: f64,
    total: Figures,
    functions: Ordered<Figures>,
}

/// The figures of one function (or of the total) a report shows, read from `result.json`
/// and nothing else: a trace replay's result holds tens of thousands of functions, whose
/// whole JSON trees would take gigabytes.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Figures {
    invocations: Option<f64>,
    warm_starts: Option<f64>,
    cold_starts: Option<f64>,
    cold_start_ratio: Option<f64>,
    throttled: Option<f64>,
    evictions: Option<f64>,
    latency_ms: Quantiles,
    warm_latency_ms: Quantiles,
    cold_latency_ms: Quantiles,
    cost_usd: Option<CostItems>,
}

/// A latency summary's figures, ms.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Quantiles {
    count: Option<f64>,
    mean: Option<f64>,
    p50: Option<f64>,
    p90: Option<f64>,
    p99: Option<f64>,
    p999: Option<f64>,
    p9999: Option<f64>,
    max: Option<f64>,
}

/// A cost breakdown's items, USD.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CostItems {
    total: Option<f64>,
    requests: Option<f64>,
    compute: Option<f64>,
    provisioned: Option<f64>,
    warmers: Option<f64>,
    free_tier_credit: Option<f64>,
}

/// Reads a run's report folder and builds its report.
pub fn report(dir: &Path) -> Result<Report> {
    let result: ResultFile = load_json(&dir.join(RESULT_FILE))?;
    let saved = Saved::load(dir)?;
    let windows_path = dir.join(WINDOWS_FILE);
    let windows = if windows_path.exists() {
        Windows::load(&windows_path)?
    } else {
        None
    };
    let mut r = Report {
        title: format!("faassim run: {}", result.scenario),
        facts: vec![
            ("scenario".into(), result.scenario.clone()),
            ("platform".into(), result.platform.clone()),
            ("seed".into(), result.seed.to_string()),
            (
                "simulated".into(),
                format!(
                    "{} s (the first {} s not measured)",
                    fmt_num(result.duration_s),
                    fmt_num(result.warmup_s)
                ),
            ),
            ("faassim".into(), result.faassim_version.clone()),
            ("to reproduce".into(), saved.command.clone()),
        ],
        sections: Vec::new(),
        figures: Vec::new(),
    };
    requests_section(&mut r, &result);
    latency_section(&mut r, &result, &saved)?;
    if let Some(w) = &windows {
        timeline_section(&mut r, w, saved.window_s)?;
    }
    phases_section(&mut r, &saved);
    cost_section(&mut r, &result);
    Ok(r)
}

/// The figure at `pointer` in `v` (`/latency_ms/p99`), if it has one.
fn num(v: &Figures, pointer: &str) -> Option<f64> {
    let mut parts = pointer.trim_start_matches('/').splitn(2, '/');
    let (field, inner) = (parts.next()?, parts.next());
    let quantile = |q: &Quantiles, name: &str| match name {
        "count" => q.count,
        "mean" => q.mean,
        "p50" => q.p50,
        "p90" => q.p90,
        "p99" => q.p99,
        "p999" => q.p999,
        "p9999" => q.p9999,
        "max" => q.max,
        _ => None,
    };
    match (field, inner) {
        ("invocations", None) => v.invocations,
        ("warm_starts", None) => v.warm_starts,
        ("cold_starts", None) => v.cold_starts,
        ("cold_start_ratio", None) => v.cold_start_ratio,
        ("throttled", None) => v.throttled,
        ("evictions", None) => v.evictions,
        ("latency_ms", Some(q)) => quantile(&v.latency_ms, q),
        ("warm_latency_ms", Some(q)) => quantile(&v.warm_latency_ms, q),
        ("cold_latency_ms", Some(q)) => quantile(&v.cold_latency_ms, q),
        ("cost_usd", Some(item)) => {
            let c = v.cost_usd.as_ref()?;
            match item {
                "total" => c.total,
                "requests" => c.requests,
                "compute" => c.compute,
                "provisioned" => c.provisioned,
                "warmers" => c.warmers,
                "free_tier_credit" => c.free_tier_credit,
                _ => None,
            }
        }
        _ => None,
    }
}

/// A cell: the number with its precision, or empty.
fn cell(v: Option<f64>) -> String {
    v.map(fmt_num).unwrap_or_default()
}

/// A count cell, thousands grouped (`5,906,552`); other numbers as [`fmt_num`] writes them.
fn count(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(x) if x == x.trunc() && (0.0..1e15).contains(&x) => thousands(x as u64),
        Some(x) => fmt_num(x),
    }
}

/// The functions listed in tables: the busiest [`LISTED`], in scenario order.
fn listed(result: &ResultFile) -> Vec<&(String, Figures)> {
    let fs = &result.functions.0;
    if fs.len() <= LISTED {
        return fs.iter().collect();
    }
    let mut order: Vec<usize> = (0..fs.len()).collect();
    order.sort_by(|&a, &b| {
        let inv = |i: usize| num(&fs[i].1, "/invocations").unwrap_or(0.0);
        inv(b).total_cmp(&inv(a)).then(a.cmp(&b))
    });
    order.truncate(LISTED);
    order.sort_unstable();
    order.into_iter().map(|i| &fs[i]).collect()
}

fn requests_section(r: &mut Report, result: &ResultFile) {
    let header = [
        "function",
        "invocations",
        "warm",
        "cold",
        "cold %",
        "throttled",
        "evicted",
    ];
    let row = |name: &str, v: &Figures| {
        vec![
            name.to_owned(),
            count(num(v, "/invocations")),
            count(num(v, "/warm_starts")),
            count(num(v, "/cold_starts")),
            cell(num(v, "/cold_start_ratio").map(|x| 100.0 * x)),
            count(num(v, "/throttled")),
            count(num(v, "/evictions")),
        ]
    };
    let mut rows: Vec<Vec<String>> = listed(result).iter().map(|(n, v)| row(n, v)).collect();
    if result.functions.0.len() > 1 {
        rows.push(row(ALL_FUNCTIONS, &result.total));
    }
    let mut text = String::from(
        "Every request ends warm (an instance was ready), cold (it waited for a new \
         instance's cold start) or throttled (a limit refused it).",
    );
    if result.functions.0.len() > LISTED {
        text += &format!(
            " The {LISTED} busiest of {} functions are listed.",
            result.functions.0.len()
        );
    }
    r.sections.push(Section {
        heading: "Requests".into(),
        text,
        figures: Vec::new(),
        tables: vec![HtmlTable {
            header: header.iter().map(|s| (*s).to_owned()).collect(),
            rows,
        }],
    });
}

fn latency_section(r: &mut Report, result: &ResultFile, saved: &Saved) -> Result<()> {
    let kinds = [
        ("all", "/latency_ms"),
        ("warm", "/warm_latency_ms"),
        ("cold", "/cold_latency_ms"),
    ];
    let quantiles = ["mean", "p50", "p90", "p99", "p999", "p9999", "max"];
    let mut rows = Vec::new();
    let mut add_rows = |name: &str, v: &Figures| {
        for (kind, at) in kinds {
            if num(v, &format!("{at}/count")).unwrap_or(0.0) == 0.0 {
                continue;
            }
            let mut row = vec![name.to_owned(), kind.to_owned()];
            row.extend(quantiles.iter().map(|q| cell(num(v, &format!("{at}/{q}")))));
            rows.push(row);
        }
    };
    for (n, v) in listed(result) {
        add_rows(n, v);
    }
    if result.functions.0.len() > 1 {
        add_rows(ALL_FUNCTIONS, &result.total);
    }
    let mut figures = Vec::new();
    let what = SAVED_FILE;
    for l in &saved.latency {
        let [all, warm, cold] = l.decode(what)?;
        let series: Vec<(String, Vec<(f64, f64)>)> =
            [("all", &all), ("warm", &warm), ("cold", &cold)]
                .into_iter()
                .filter_map(|(k, h)| h.as_ref().map(|h| (k.to_owned(), cdf(h))))
                .collect();
        figures.push(Figure::new(
            format!("latency-cdf-{}", figures.len()),
            Cdf {
                title: format!("Response time CDF: {}", l.function),
                x_label: "response time (ms, log scale)".into(),
                log_x: true,
                series,
                ..Default::default()
            }
            .to_svg(),
        ));
        if l.function == ALL_FUNCTIONS
            && let Some(h) = &all
        {
            figures.push(Figure::new(
                "latency-histogram",
                HistogramChart {
                    title: format!("Response times: {}", l.function),
                    x: Axis::log("response time (ms, log scale)"),
                    y_label: "requests".into(),
                    bins: log_bins(h, 10)
                        .into_iter()
                        .map(|(lo, hi, count)| Bin {
                            lo,
                            hi,
                            count: count as f64,
                        })
                        .collect(),
                    ..Default::default()
                }
                .to_svg(),
            ));
        }
    }
    let mut header = vec!["function".to_owned(), "kind".to_owned()];
    header.extend(
        ["mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"]
            .iter()
            .map(|q| format!("{q} (ms)")),
    );
    let ids = r.add_figures(figures)?;
    r.sections.push(Section {
        heading: "Response time".into(),
        text: "From arrival to the end of execution, cold start included. The CDFs read \
               the run's HDR histograms (3 significant digits); all functions together \
               first, then the busiest functions."
            .into(),
        figures: ids,
        tables: vec![HtmlTable { header, rows }],
    });
    Ok(())
}

fn timeline_section(r: &mut Report, w: &Windows, window_s: f64) -> Result<()> {
    let pick = |cols: &[(&str, &str)]| -> Vec<Named> {
        cols.iter()
            .filter_map(|(col, name)| Some(((*name).to_owned(), w.total(col)?)))
            .collect()
    };
    let per = fmt_num(window_s);
    let any = |s: &[Named]| s.iter().any(|(_, p)| p.iter().any(|q| q.1 > 0.0));
    let instances = pick(&[
        ("busy_mean", "busy"),
        ("idle_mean", "idle"),
        ("starting_mean", "starting"),
        ("provisioned_mean", "provisioned"),
    ]);
    let requests = pick(&[("arrivals", "arrivals"), ("finished", "finished")]);
    // Cold starts on their own axis: a storm of a few thousand is invisible beside
    // hundreds of thousands of requests.
    let cold = pick(&[("cold", "cold starts")]);
    let by_cause = pick(&[
        ("throttled_concurrency", "concurrency limit"),
        ("throttled_scale_out", "scale-out rate"),
        ("throttled_memory", "memory"),
        ("throttled_pending_timeout", "pending timeout"),
    ]);
    let throttles = if by_cause.is_empty() {
        pick(&[("throttled", "throttled")])
    } else {
        by_cause
    };
    // (file stem, title, y axis, series, drawn when): the series exist, or are not all 0.
    let charts = [
        (
            "timeline-instances",
            "Instances (time-averaged per window)".to_owned(),
            "instances".to_owned(),
            !instances.is_empty(),
            instances,
        ),
        (
            "timeline-requests",
            format!("Requests per {per} s window"),
            format!("requests per {per} s"),
            !requests.is_empty(),
            requests,
        ),
        (
            "timeline-cold-starts",
            format!("Cold starts per {per} s window"),
            format!("cold starts per {per} s"),
            any(&cold),
            cold,
        ),
        (
            "timeline-throttles",
            format!("Throttled requests per {per} s window, by cause"),
            format!("throttled per {per} s"),
            any(&throttles),
            throttles,
        ),
    ];
    let figures = charts
        .into_iter()
        .filter(|c| c.3)
        .map(|(name, title, y_label, _, series)| {
            let chart = Timeline {
                title,
                x_label: "time (s)".into(),
                y_label,
                series,
                ..Default::default()
            };
            Figure::new(name, chart.to_svg())
        })
        .collect();
    let ids = r.add_figures(figures)?;
    r.sections.push(Section {
        heading: "Over time".into(),
        text: format!(
            "All functions together, in windows of {per} s (windows.csv, one row per \
             window and function). A request counts in the window where it ends, an arrival \
             where it arrives; instance counts are time-averaged over each window."
        ),
        figures: ids,
        tables: Vec::new(),
    });
    Ok(())
}

fn phases_section(r: &mut Report, saved: &Saved) {
    if saved.cold_start_phases.is_empty() {
        return;
    }
    let mut names: Vec<String> = Vec::new();
    for p in &saved.cold_start_phases {
        for (phase, _) in &p.mean_ms {
            if !names.contains(phase) {
                names.push(phase.clone());
            }
        }
    }
    // Keep the order of a cold start.
    names.sort_by_key(|n| super::saved::PHASES.iter().position(|p| p == n));
    let stacks = names
        .iter()
        .map(|phase| Stack {
            name: phase.replace('_', " "),
            values: saved
                .cold_start_phases
                .iter()
                .map(|p| {
                    p.mean_ms
                        .iter()
                        .find(|(n, _)| n == phase)
                        .map_or(0.0, |x| x.1)
                })
                .collect(),
        })
        .collect();
    let chart = StackedBars {
        title: "Mean cold start by phase, per runtime".into(),
        x_label: "runtime".into(),
        y_label: "mean duration (ms)".into(),
        categories: saved
            .cold_start_phases
            .iter()
            .map(|p| format!("{} ({} cold starts)", p.runtime, p.cold_starts))
            .collect(),
        stacks,
        ..Default::default()
    };
    let figure = Figure::new("cold-start-phases", chart.to_svg());
    if let Ok(ids) = r.add_figures(vec![figure]) {
        r.sections.push(Section {
            heading: "Cold starts by phase".into(),
            text: "The mean of each phase over the cold starts requests waited for, from \
                   the runtime profiles (models/, each default cited there)."
                .into(),
            figures: ids,
            tables: Vec::new(),
        });
    }
}

fn cost_section(r: &mut Report, result: &ResultFile) {
    let items = [
        ("requests", "/cost_usd/requests"),
        ("compute", "/cost_usd/compute"),
        ("provisioned", "/cost_usd/provisioned"),
        ("warmers", "/cost_usd/warmers"),
    ];
    if num(&result.total, "/cost_usd/total").is_none() {
        return;
    }
    let fs = listed(result);
    let mut categories: Vec<String> = fs.iter().map(|(n, _)| n.clone()).collect();
    let mut stacks: Vec<Stack> = items
        .iter()
        .map(|(name, at)| Stack {
            name: (*name).to_owned(),
            values: fs.iter().map(|(_, v)| num(v, at).unwrap_or(0.0)).collect(),
        })
        .collect();
    if result.functions.0.len() > fs.len() {
        categories.push("others".into());
        for (s, (_, at)) in stacks.iter_mut().zip(items) {
            let shown: f64 = s.values.iter().sum();
            s.values
                .push((num(&result.total, at).unwrap_or(0.0) - shown).max(0.0));
        }
    }
    let header = [
        "function",
        "total",
        "requests",
        "compute",
        "provisioned",
        "warmers",
        "free tier credit",
    ];
    let row = |name: &str, v: &Figures| {
        let mut row = vec![name.to_owned(), cell(num(v, "/cost_usd/total"))];
        row.extend(items.iter().map(|(_, at)| cell(num(v, at))));
        row.push(cell(num(v, "/cost_usd/free_tier_credit")));
        row
    };
    let mut rows: Vec<Vec<String>> = fs.iter().map(|(n, v)| row(n, v)).collect();
    if result.functions.0.len() > 1 {
        rows.push(row(ALL_FUNCTIONS, &result.total));
    }
    let chart = StackedBars {
        title: "Cost by function and item".into(),
        x_label: "function".into(),
        y_label: "cost (USD)".into(),
        categories,
        stacks,
        ..Default::default()
    };
    if let Ok(ids) = r.add_figures(vec![Figure::new("cost", chart.to_svg())]) {
        r.sections.push(Section {
            heading: "Cost".into(),
            text: "At the platform profile's list prices (USD), before the free tier credit, \
                   which the table shows apart."
                .into(),
            figures: ids,
            tables: vec![HtmlTable {
                header: header.iter().map(|s| (*s).to_owned()).collect(),
                rows,
            }],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(Some(5906552.0)), "5,906,552");
        assert_eq!(count(Some(120.0)), "120");
        assert_eq!(count(Some(1000.0)), "1,000");
        assert_eq!(count(Some(-1234.0)), "-1234");
        assert_eq!(count(Some(0.5)), "0.5");
        assert_eq!(count(None), "");
    }
}
