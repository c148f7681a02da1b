//! The report of a sweep: its `summary.csv` (per point, each metric's mean over the
//! replications and the half-width of its 95 % confidence interval) and `results.jsonl`
//! (per-function figures), drawn as metric-against-parameter charts with their bands, the
//! closed forms that apply beside them, the cost crossover, the keep-alive trade-off
//! frontier and the spread of per-function cold-start percentages.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::closed_form::{cold_start_probability, erlang_b};
use super::series::SweepSummary;
use super::table::Table;
use super::{Figure, Report, fmt_num};
use crate::error::{Error, Result};
use crate::model::Scenario;
use crate::plot::html::{Section, Table as HtmlTable};
use crate::plot::{
    Axis, Cdf, LabelledPoint, LineChart, Marker, PointGroup, Scatter, Series, SeriesStyle, Stack,
    StackedBars,
};
use crate::policy::keep_alive::KeepAlive;
use crate::sweep::experiment::Experiment;
use crate::sweep::output::Row;
use crate::workload::Workload;

mod tradeoffs;

pub use tradeoffs::crossing;

/// The per-point file of a sweep folder.
pub const SUMMARY_FILE: &str = "summary.csv";
/// The per-run file of a sweep folder.
pub const RESULTS_FILE: &str = "results.jsonl";

/// The metrics drawn against each parameter, with their axis labels, in page order.
const METRICS: [(&str, &str); 7] = [
    ("latency_p99_ms", "p99 response time (ms)"),
    ("cold_start_ratio", "cold-start ratio (cold / served)"),
    ("throttle_ratio", "throttle ratio (throttled / invocations)"),
    ("cost_usd", "cost (USD)"),
    ("idle_gb_s", "idle memory-time (GB-s)"),
    ("instances_mean", "instances (time-averaged)"),
    ("provisioned_utilisation", "provisioned utilisation"),
];

/// The metrics of the table of points (the charts have the others).
const TABLE_METRICS: [&str; 5] = [
    "latency_p99_ms",
    "cold_start_ratio",
    "throttle_ratio",
    "cost_usd",
    "idle_gb_s",
];

/// Most points of a frontier chart that get a label.
const FRONTIER_LABELS: usize = 20;

/// Most points drawn as bars (one bar per point) when a parameter's values are names.
const MAX_BARS: usize = 24;

/// Most series on one chart (one per combination of the other parameters' values).
const MAX_SERIES: usize = 6;

/// Reads a sweep folder (and its experiment file, when given) and builds its report.
pub fn report(dir: &Path, experiment: Option<&Path>) -> Result<Report> {
    let summary_path = dir.join(SUMMARY_FILE);
    let s = SweepSummary::new(Table::load(&summary_path)?).ok_or_else(|| Error::Invalid {
        origin: summary_path.display().to_string(),
        field: "header".into(),
        message: "expected a sweep summary, with the columns `point` … `replications`".into(),
    })?;
    let rows = read_rows(&dir.join(RESULTS_FILE))?;
    let exp = match experiment {
        Some(path) => Some(matching_experiment(path, &rows)?),
        None => None,
    };
    let mut r = Report {
        title: format!("faassim sweep: {}", dir.display()),
        facts: vec![
            ("folder".into(), dir.display().to_string()),
            ("points".into(), s.len().to_string()),
            (
                "replications".into(),
                rows.first()
                    .map_or("?".into(), |row| row.replications.to_string()),
            ),
            ("parameters".into(), s.params.join(", ")),
            ("faassim".into(), env!("CARGO_PKG_VERSION").into()),
        ],
        sections: Vec::new(),
        figures: Vec::new(),
    };
    if let Some(e) = &exp {
        r.facts.push(("experiment".into(), e.origin.clone()));
        r.facts.push(("seed".into(), e.seed.to_string()));
    }
    // Parameters whose values are numbers and vary: the x axes.
    let axes: Vec<&String> = s.params.iter().filter(|p| is_axis(&s, p)).collect();
    let scenarios = match &exp {
        Some(e) => Some(
            (0..s.len())
                .map(|i| e.scenario(i, 0))
                .collect::<Result<Vec<Scenario>>>()?,
        ),
        None => None,
    };
    for p in &axes {
        metric_section(&mut r, &s, p, scenarios.as_deref())?;
    }
    // Parameters that vary but are not numbers (a runtime, a policy): bars per point.
    let named_values = s
        .params
        .iter()
        .any(|p| numeric_values(&s, p).is_none() && distinct_text(&s, p) > 1);
    let bars = (named_values || axes.is_empty()) && s.len() > 1 && s.len() <= MAX_BARS;
    if bars {
        bars_section(&mut r, &s)?;
    }
    tradeoffs::crossover_section(&mut r, &s, &axes)?;
    tradeoffs::frontier_section(&mut r, &s)?;
    tradeoffs::functions_section(&mut r, &s, &rows)?;
    table_section(&mut r, &s)?;
    if axes.is_empty() && !bars {
        r.sections.insert(
            0,
            Section {
                heading: "Parameters".into(),
                text: "No parameter of this sweep takes several numeric values along a line, so \
                       there is no metric-against-parameter chart; the table below has every \
                       point."
                    .into(),
                figures: Vec::new(),
                tables: Vec::new(),
            },
        );
    }
    Ok(r)
}

/// Every line of `results.jsonl`, in file order.
fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut rows = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(&line).map_err(|e| Error::Data {
            path: path.to_owned(),
            line: i as u64 + 1,
            message: format!("expected a sweep result row: {e}"),
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// Loads the experiment and checks that the sweep's rows came from it (same hash).
fn matching_experiment(path: &Path, rows: &[Row]) -> Result<Experiment> {
    let e = Experiment::load(path)?;
    if let Some(row) = rows.first()
        && row.experiment != e.hash
    {
        return Err(Error::Invalid {
            origin: path.display().to_string(),
            field: "experiment".into(),
            message: format!(
                "this experiment (hash {}) is not the one the sweep ran (hash {} in \
                 results.jsonl): give the experiment file the sweep was run with",
                e.hash, row.experiment
            ),
        });
    }
    Ok(e)
}

/// Parameter `p`'s value at every point, if all are numbers.
fn numeric_values(s: &SweepSummary, p: &str) -> Option<Vec<f64>> {
    (0..s.len()).map(|i| s.param(i, p).parse().ok()).collect()
}

/// How many different values parameter `p` takes.
fn distinct_text(s: &SweepSummary, p: &str) -> usize {
    let mut v: Vec<&str> = (0..s.len()).map(|i| s.param(i, p)).collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// Whether parameter `p` can be an x axis: its values are numbers, and some line (the
/// points sharing the other parameters' values) has two of them or more. Zipped
/// parameters change together, so each line would be one point: they get bars instead.
fn is_axis(s: &SweepSummary, p: &str) -> bool {
    let Some(xs) = numeric_values(s, p) else {
        return false;
    };
    groups(s, p).iter().any(|(_, points)| {
        let v: Vec<f64> = points.iter().map(|&i| xs[i]).collect();
        distinct(&v) > 1
    })
}

fn distinct(v: &[f64]) -> usize {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.len()
}

/// The points grouped by the values of every parameter but `p`: `(label, points)`, groups
/// in order of first appearance.
fn groups(s: &SweepSummary, p: &str) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for i in 0..s.len() {
        let label = s
            .params
            .iter()
            .filter(|q| q.as_str() != p)
            .map(|q| format!("{} = {}", leaf(q), value_text(s.param(i, q))))
            .collect::<Vec<_>>()
            .join(", ");
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some((_, points)) => points.push(i),
            None => out.push((label, vec![i])),
        }
    }
    out
}

/// A parameter path without its section and function index, for labels
/// (`grid.functions[0].keep_alive.idle_s` → `keep_alive.idle_s`).
fn short(p: &str) -> &str {
    let p = p.rsplit_once("].").map_or(p, |(_, rest)| rest);
    p.strip_prefix("grid.")
        .or_else(|| p.strip_prefix("zip."))
        .unwrap_or(p)
}

/// The last segment of a parameter path, for legends (`keep_alive.idle_s` → `idle_s`).
fn leaf(p: &str) -> &str {
    p.rsplit('.').next().unwrap_or(p)
}

/// A parameter value as a legend or table shows it: numbers with four significant digits.
/// A JSON object or list (a whole policy, say) loses its braces and quotes:
/// `{"idle_s":600,"policy":"fixed"}` reads `idle_s: 600, policy: fixed`.
fn value_text(v: &str) -> String {
    if let Ok(x) = v.parse::<f64>() {
        return fmt_num(x);
    }
    if v.starts_with(['{', '[']) {
        return v
            .trim_matches(['{', '}', '[', ']'])
            .replace('"', "")
            .replace(',', ", ")
            .replace(':', ": ");
    }
    v.to_owned()
}

/// Whether values spread over more than a factor of 50, all positive: a log axis then.
fn wants_log(v: &[f64]) -> bool {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    lo > 0.0 && hi / lo > 50.0
}

fn axis(label: String, log: bool) -> Axis {
    if log {
        Axis::log(label)
    } else {
        Axis::linear(label)
    }
}

/// `metric` against parameter `p`, one series per group of the other parameters, with
/// 95 % bands; `(series, closed-form series)`.
fn metric_series(
    s: &SweepSummary,
    p: &str,
    metric: &str,
    scenarios: Option<&[Scenario]>,
) -> Result<(Vec<Series>, usize)> {
    let xs = numeric_values(s, p).expect("an axis parameter");
    let mut series = Vec::new();
    let mut closed = 0;
    for (g, (label, points)) in groups(s, p).into_iter().take(MAX_SERIES).enumerate() {
        let mut line = Vec::new();
        let mut band = Vec::new();
        let mut theory = Vec::new();
        for &i in &points {
            if let Some((mean, ci)) = s.metric(i, metric)? {
                line.push((xs[i], mean));
                // Every metric drawn is a count, a ratio, a time or a cost: none is negative.
                band.push((xs[i], (mean - ci).max(0.0), mean + ci));
            }
            if let Some(sc) = scenarios
                && let Some(v) = closed_form(metric, &sc[i])
            {
                theory.push((xs[i], v));
            }
        }
        let order = |v: &mut Vec<(f64, f64)>| v.sort_by(|a, b| a.0.total_cmp(&b.0));
        order(&mut line);
        order(&mut theory);
        band.sort_by(|a, b| a.0.total_cmp(&b.0));
        let name = if label.is_empty() {
            "simulated".to_owned()
        } else {
            label.clone()
        };
        if !line.is_empty() {
            series.push(Series::new(name, line).band(band).colour(g));
        }
        if !theory.is_empty() {
            let what = if metric == "cold_start_ratio" {
                "e^(−λT)"
            } else {
                "Erlang B"
            };
            // Dashed in its group's colour; one legend entry says what the dashes are.
            let name = match (closed, label.is_empty()) {
                (0, true) => what.to_owned(),
                (0, false) => format!("{what} (dashed)"),
                _ => String::new(),
            };
            series.push(
                Series::new(name, theory)
                    .style(SeriesStyle::Dashed)
                    .colour(g),
            );
            closed += 1;
        }
    }
    Ok((series, closed))
}

/// The closed form of `metric` at a point whose scenario is `sc`, when one applies: one
/// function with Poisson arrivals, and
/// - the cold-start ratio under a fixed keep-alive: e^(−λT);
/// - the throttle ratio under the function's concurrency cap `c`: Erlang B with
///   `a = λ · E[execution]`.
fn closed_form(metric: &str, sc: &Scenario) -> Option<f64> {
    let [f] = sc.functions.as_slice() else {
        return None;
    };
    let Some(Workload::Poisson { rate_per_s }) = f.workload else {
        return None;
    };
    match metric {
        "cold_start_ratio" => match f.keep_alive {
            KeepAlive::Fixed(t) => Some(cold_start_probability(rate_per_s, t.as_secs())),
            _ => None,
        },
        "throttle_ratio" => f
            .max_concurrency
            .map(|c| erlang_b(c, rate_per_s * f.exec.mean() / 1000.0)),
        _ => None,
    }
}

fn metric_section(
    r: &mut Report,
    s: &SweepSummary,
    p: &str,
    scenarios: Option<&[Scenario]>,
) -> Result<()> {
    let xs = numeric_values(s, p).expect("an axis parameter");
    let log_x = wants_log(&xs);
    let mut figures = Vec::new();
    let mut notes = Vec::new();
    for (metric, label) in METRICS {
        if !s.has_metric(metric) {
            continue;
        }
        let (series, closed) = metric_series(s, p, metric, scenarios)?;
        // A metric that is zero (or empty) everywhere says nothing here.
        if series.iter().all(|x| x.points.iter().all(|pt| pt.1 == 0.0)) {
            continue;
        }
        if closed > 0 {
            notes.push(format!(
                "{} is drawn dashed beside the simulated {}",
                if metric == "cold_start_ratio" {
                    "e^(−λT) (one instance kept T s, Poisson arrivals at λ, short executions)"
                } else {
                    "Erlang B (no queue, offered load a = λ · mean execution time)"
                },
                short(metric)
            ));
        }
        figures.push(Figure::new(
            format!("sweep-{}-{}", slug(short(p)), metric),
            LineChart {
                title: format!("{} against {}", first_upper(label), short(p)),
                x: axis(short(p).to_owned(), log_x),
                y: Axis::linear(label),
                series,
                ..Default::default()
            }
            .to_svg(),
        ));
    }
    if figures.is_empty() {
        return Ok(());
    }
    let ids = r.add_figures(figures)?;
    let mut text = format!(
        "Each metric's mean over the replications against {p}, with its 95 % confidence \
         interval (Student t) as a band; one line per combination of the other parameters."
    );
    for n in notes {
        text += &format!(" {}.", first_upper(&n));
    }
    if scenarios.is_none() {
        text += " Give --experiment FILE to draw the closed forms that apply beside them.";
    }
    r.sections.push(Section {
        heading: format!("Against {}", short(p)),
        text,
        figures: ids,
        tables: Vec::new(),
    });
    Ok(())
}

/// Each metric's mean per point, as bars named by the point's parameter values: for
/// parameters whose values are names (runtimes, policies), which have no numeric axis.
fn bars_section(r: &mut Report, s: &SweepSummary) -> Result<()> {
    // Only the parameters that vary name a bar.
    let varying: Vec<&String> = s
        .params
        .iter()
        .filter(|p| distinct_text(s, p) > 1)
        .collect();
    let names: Vec<String> = (0..s.len())
        .map(|i| {
            varying
                .iter()
                .map(|q| value_text(s.param(i, q)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let mut figures = Vec::new();
    for (metric, label) in METRICS {
        if !s.has_metric(metric) {
            continue;
        }
        let values = (0..s.len())
            .map(|i| Ok(s.metric(i, metric)?.map_or(0.0, |m| m.0)))
            .collect::<Result<Vec<f64>>>()?;
        if values.iter().all(|v| *v == 0.0) {
            continue;
        }
        figures.push(Figure::new(
            format!("sweep-bars-{metric}"),
            StackedBars {
                title: first_upper(label),
                x_label: varying
                    .iter()
                    .map(|q| leaf(q))
                    .collect::<Vec<_>>()
                    .join(", "),
                y_label: label.to_owned(),
                categories: names.clone(),
                stacks: vec![Stack {
                    name: String::new(),
                    values,
                }],
                ..Default::default()
            }
            .to_svg(),
        ));
    }
    if figures.is_empty() {
        return Ok(());
    }
    let ids = r.add_figures(figures)?;
    r.sections.push(Section {
        heading: "Per point".into(),
        text: "Each metric's mean over the replications, one bar per point, named by the \
               values of the parameters that vary; the table below gives the 95 % \
               confidence intervals."
            .into(),
        figures: ids,
        tables: Vec::new(),
    });
    Ok(())
}

/// Every point: its parameters and the headline means ± 95 % half-widths.
fn table_section(r: &mut Report, s: &SweepSummary) -> Result<()> {
    let shown: Vec<(&str, &str)> = METRICS
        .iter()
        .copied()
        .filter(|(m, _)| TABLE_METRICS.contains(m) && s.has_metric(m))
        .collect();
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(s.params.iter().map(|p| short(p).to_owned()));
    header.extend(shown.iter().map(|(m, _)| (*m).to_owned()));
    let mut rows = Vec::new();
    for i in 0..s.len() {
        let mut row = vec![i.to_string()];
        row.extend(s.params.iter().map(|p| value_text(s.param(i, p))));
        for (m, _) in &shown {
            row.push(match s.metric(i, m)? {
                Some((mean, ci)) if ci > 0.0 => format!("{} ± {}", fmt_num(mean), fmt_num(ci)),
                Some((mean, _)) => fmt_num(mean),
                None => String::new(),
            });
        }
        rows.push(row);
    }
    r.sections.push(Section {
        heading: "Every point".into(),
        text: "Means over the replications ± the half-width of their 95 % confidence \
               interval (summary.csv)."
            .into(),
        figures: Vec::new(),
        tables: vec![HtmlTable { header, rows }],
    });
    Ok(())
}

/// A file-name-safe form of a label.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn first_upper(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pay-per-use 1, 3, 5 against a fleet at 2 throughout: they cross at x = 1.5 (half
    /// way from x = 1 to x = 2, where the difference goes from −1 to +1).
    #[test]
    fn crossing_by_linear_interpolation() {
        let pay = [(1.0, 1.0), (2.0, 3.0), (3.0, 5.0)];
        let fleet = [(1.0, 2.0), (2.0, 2.0), (3.0, 2.0)];
        assert_eq!(crossing(&pay, &fleet), Some(1.5));
        assert_eq!(crossing(&fleet[..1], &pay[..1]), None);
        let never = [(1.0, 9.0), (2.0, 9.0), (3.0, 9.0)];
        assert_eq!(crossing(&pay, &never), None);
    }

    /// One Poisson function at λ = 1/s, 1 s executions, at most 2 at once, kept 3 s:
    /// e^(−3) for the cold-start ratio, and B(2, a = 1) = (1/2)/(2 + 1/2) = 1/5 for the
    /// throttle ratio, by hand. Two functions: no closed form.
    #[test]
    fn closed_forms_from_a_point_scenario() {
        let one = r#"{"name": "c", "duration_s": 60, "functions": [{"name": "f",
            "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 1000},
            "max_concurrency": 2, "keep_alive": {"policy": "fixed", "idle_s": 3},
            "workload": {"kind": "poisson", "rate_per_s": 1}}]}"#;
        let sc = Scenario::from_str(one, "c.json", Path::new(".")).unwrap();
        let cold = closed_form("cold_start_ratio", &sc).unwrap();
        assert!((cold - (-3.0f64).exp()).abs() < 1e-15);
        let throttle = closed_form("throttle_ratio", &sc).unwrap();
        assert!((throttle - 0.2).abs() < 1e-15);
        assert_eq!(closed_form("latency_p99_ms", &sc), None);
        let two = one.replace(
            r#""functions": [{"#,
            r#""functions": [{"name": "g", "runtime": "nodejs",
                "exec_ms": {"dist": "const", "value": 1},
                "workload": {"kind": "poisson", "rate_per_s": 1}}, {"#,
        );
        let sc = Scenario::from_str(&two, "c.json", Path::new(".")).unwrap();
        assert_eq!(closed_form("cold_start_ratio", &sc), None);
    }

    #[test]
    fn values_read_well() {
        assert_eq!(value_text("0.0158113883008"), "0.01581");
        assert_eq!(
            value_text(r#"{"idle_s":600,"policy":"fixed"}"#),
            "idle_s: 600, policy: fixed"
        );
        assert_eq!(value_text("python"), "python");
    }

    #[test]
    fn short_labels() {
        assert_eq!(short("functions[0].keep_alive.idle_s"), "keep_alive.idle_s");
        assert_eq!(short("duration_s"), "duration_s");
        assert_eq!(slug("keep_alive.idle_s"), "keep-alive-idle-s");
    }
}
