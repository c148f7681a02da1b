//! The teaching labs of `experiments/labs/` and their instructor key.
//!
//! [`LABS`] is the catalogue: each lab's number, folder, title and files. Each lab's
//! [`Lab::check`] runs the lab's own scenario and experiment files (shortened in
//! [`Size::Quick`]) through the library, and returns its key figures: what the sheet asks
//! students to find, each beside a range worked out without the simulator (closed forms such
//! as e^(−λT), Erlang B and the cost formulas applied to the profiles' list prices, or
//! bounds derived by hand from the runtime profiles' published cold-start figures), with
//! tolerances of a few standard errors of the sample. The sheets (`README.md` in each lab's
//! folder) give the same derivations in words, so the key and the sheet must agree.
//!
//! The key is not a regression test of the code's own numbers: a figure holds when it lies
//! in its independently derived range, so a wrong model fails it.

use std::f64::consts::SQRT_2;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::Scenario;
use crate::error::{Error, Result};
use crate::report::RunResult;
use crate::sim::{self, Outcome, RequestLog, RequestRecord, RunOptions};
use crate::sweep::Experiment;

/// How large the runs of a check are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The files as the sheet runs them.
    Full,
    /// Shorter simulated durations (and fewer replications): what the tests run. The
    /// tolerances widen with the smaller samples, as they are derived from them.
    Quick,
}

/// One figure of a lab's key: measured, and the range it must lie in.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFigure {
    /// What is measured, as the sheet names it.
    pub name: String,
    /// The measured value.
    pub measured: f64,
    /// Lowest value that holds (−∞ when only an upper bound applies).
    pub lo: f64,
    /// Highest value that holds (+∞ when only a lower bound applies).
    pub hi: f64,
    /// Where the range comes from (the closed form or the hand derivation, with numbers).
    pub closed_form: String,
    /// Whether `measured` lies in `[lo, hi]`.
    pub holds: bool,
}

impl KeyFigure {
    /// A figure that holds when `lo <= measured <= hi`.
    pub fn new(
        name: impl Into<String>,
        measured: f64,
        lo: f64,
        hi: f64,
        why: impl Into<String>,
    ) -> Self {
        KeyFigure {
            name: name.into(),
            measured,
            lo,
            hi,
            closed_form: why.into(),
            holds: measured >= lo && measured <= hi,
        }
    }

    /// The expected range as text: `[lo, hi]`, `>= lo` or `<= hi`.
    pub fn expected(&self) -> String {
        match (self.lo.is_finite(), self.hi.is_finite()) {
            (true, true) if self.lo == self.hi => format!("= {}", num(self.lo)),
            (true, true) => format!("[{}, {}]", num(self.lo), num(self.hi)),
            (true, false) => format!(">= {}", num(self.lo)),
            (false, true) => format!("<= {}", num(self.hi)),
            (false, false) => "any".to_owned(),
        }
    }
}

/// A number with 4 significant digits (whole numbers as they are).
pub fn num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e9 {
        format!("{x:.0}")
    } else if x.abs() >= 1e-3 && x.abs() < 1e5 {
        let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
        format!("{x:.digits$}")
    } else {
        format!("{x:.3e}")
    }
}

/// A lab of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Lab {
    /// Its number (1-based), the first part of its folder's name.
    pub number: u32,
    /// The rest of its folder's name.
    pub slug: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The files of its folder (the sheet `README.md` first).
    pub files: &'static [&'static str],
    check: fn(&Path, Size) -> Result<Vec<KeyFigure>>,
}

impl Lab {
    /// The lab's folder name, `NN-slug`.
    pub fn folder(&self) -> String {
        format!("{:02}-{}", self.number, self.slug)
    }

    /// Runs the lab's files from `labs_dir` (the `experiments/labs` folder) and returns its
    /// key figures.
    pub fn check(&self, labs_dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
        (self.check)(&labs_dir.join(self.folder()), size)
    }
}

/// The catalogue of labs, in order.
pub const LABS: &[Lab] = &[
    Lab {
        number: 1,
        slug: "cold-starts",
        title: "Cold starts against arrival rate and keep-alive: e^(-lambda T) and where it stops holding",
        files: &[
            "README.md",
            "single.json",
            "single-sweep.json",
            "busy.json",
            "busy-sweep.json",
        ],
        check: lab1,
    },
    Lab {
        number: 2,
        slug: "runtimes",
        title: "Runtimes: what cold starts add to p99 on Node.js, Python, Java, SnapStart and V8 isolates",
        files: &["README.md", "base.json", "runtimes.json"],
        check: lab2,
    },
    Lab {
        number: 3,
        slug: "provisioned",
        title: "Provisioned concurrency and p99: how much is enough, held or scheduled, and what it costs",
        files: &[
            "README.md",
            "held.json",
            "held-sweep.json",
            "scheduled.json",
            "scheduled-sweep.json",
        ],
        check: lab3,
    },
    Lab {
        number: 4,
        slug: "flash-sale",
        title: "Flash sale: scale-out limits, throttling and the cold-start storm in 10-second windows",
        files: &["README.md", "sale.json", "sale-pc.json"],
        check: lab4,
    },
    Lab {
        number: 5,
        slug: "cost",
        title: "Cost: pay-per-use against an always-on fleet, and where the lines cross",
        files: &["README.md", "steady.json", "crossover.json"],
        check: lab5,
    },
    Lab {
        number: 6,
        slug: "keepalive-trace",
        title: "Keep-alive policies on an Azure 2019-format trace: fixed against hybrid histogram, per function",
        files: &[
            "README.md",
            "replay.json",
            "policies.json",
            "invocations.csv",
            "make_trace.py",
        ],
        check: lab6,
    },
];

/// The lab numbered `number`, or an error listing the numbers there are.
pub fn lab(number: u32) -> Result<&'static Lab> {
    LABS.iter().find(|l| l.number == number).ok_or_else(|| Error::Invalid {
        origin: "command line".to_owned(),
        field: "lab".to_owned(),
        message: format!(
            "there is no lab {number}; expected a lab number from 1 to {} (`faassim lab list` lists them)",
            LABS.len()
        ),
    })
}

// ---------------------------------------------------------------------------------------
// Loading and running the labs' files.

/// Sets `path` (`a.b[0].c`) in `doc` to `value`; every step but the last must exist.
fn set_path(doc: &mut Value, path: &str, value: Value, origin: &str) -> Result<()> {
    let missing = || Error::Invalid {
        origin: origin.to_owned(),
        field: path.to_owned(),
        message: "not found; the lab's quick settings expect this field".to_owned(),
    };
    let mut steps: Vec<(String, Option<usize>)> = Vec::new();
    for part in path.split('.') {
        match part.split_once('[') {
            Some((key, idx)) => {
                let i = idx.trim_end_matches(']').parse().map_err(|_| missing())?;
                steps.push((key.to_owned(), Some(i)));
            }
            None => steps.push((part.to_owned(), None)),
        }
    }
    let mut at = doc;
    let last = steps.len() - 1;
    for (k, (key, idx)) in steps.into_iter().enumerate() {
        let obj = at.as_object_mut().ok_or_else(missing)?;
        if k == last && idx.is_none() {
            obj.insert(key, value);
            return Ok(());
        }
        at = obj.get_mut(&key).ok_or_else(missing)?;
        if let Some(i) = idx {
            at = at.get_mut(i).ok_or_else(missing)?;
            if k == last {
                *at = value;
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Reads a JSON file of a lab.
fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        origin: path.display().to_string(),
        field: ".".to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Loads the scenario `file` of the lab folder `dir` with `set` applied (quick sizes).
fn scenario(dir: &Path, file: &str, set: &[(&str, Value)]) -> Result<Scenario> {
    let path = dir.join(file);
    let origin = path.display().to_string();
    let mut doc = read_json(&path)?;
    for (p, v) in set {
        set_path(&mut doc, p, v.clone(), &origin)?;
    }
    Scenario::from_str(&doc.to_string(), &origin, dir)
}

/// Loads the experiment `file` of the lab folder `dir`; `set` are base-scenario fields
/// added as one-value grid axes (after the file's own, so points keep their numbers), and
/// `replications` overrides the file's.
fn experiment(
    dir: &Path,
    file: &str,
    set: &[(&str, Value)],
    replications: Option<u32>,
) -> Result<Experiment> {
    let path = dir.join(file);
    let origin = path.display().to_string();
    let mut doc = read_json(&path)?;
    let obj = doc.as_object_mut().ok_or_else(|| Error::Invalid {
        origin: origin.clone(),
        field: ".".to_owned(),
        message: "expected an experiment object".to_owned(),
    })?;
    let grid = obj
        .entry("grid")
        .or_insert_with(|| Value::Object(Default::default()));
    for (p, v) in set {
        if let Some(g) = grid.as_object_mut() {
            g.insert((*p).to_owned(), Value::Array(vec![v.clone()]));
        }
    }
    if let Some(r) = replications {
        obj.insert("replications".to_owned(), Value::from(r));
    }
    Experiment::from_str(&doc.to_string(), &origin, dir)
}

/// Runs one scenario.
fn run(s: &Scenario) -> Result<RunResult> {
    let out = sim::run(s, RunOptions::default())?;
    Ok(RunResult::new(s, &out))
}

/// Runs every (point, replication) of `exp` on rayon's pool: `[point][replication]`.
fn run_all(exp: &Experiment) -> Result<Vec<Vec<RunResult>>> {
    let tasks: Vec<(usize, u32)> = (0..exp.point_count())
        .flat_map(|p| (0..exp.replications).map(move |r| (p, r)))
        .collect();
    let results: Vec<RunResult> = tasks
        .par_iter()
        .map(|&(p, r)| run(&exp.scenario(p, r)?))
        .collect::<Result<_>>()?;
    let reps = exp.replications as usize;
    Ok(results.chunks(reps).map(<[RunResult]>::to_vec).collect())
}

/// The experiment's value of the parameter `path` at `point` (null when it has none).
/// Looked up by name: a file's grid, read into a `serde_json::Value`, comes back with its
/// axes in key order, not the file's.
fn param_value(exp: &Experiment, point: usize, path: &str) -> Value {
    exp.params
        .iter()
        .position(|p| p == path)
        .map_or(Value::Null, |k| exp.point(point)[k].clone())
}

/// The same as a number (NaN when it is not one).
fn param(exp: &Experiment, point: usize, path: &str) -> f64 {
    param_value(exp, point, path).as_f64().unwrap_or(f64::NAN)
}

/// The points of `exp` in increasing order of the parameter `path`.
fn sorted_points(exp: &Experiment, path: &str) -> Vec<usize> {
    let mut points: Vec<usize> = (0..exp.point_count()).collect();
    points.sort_by(|&a, &b| param(exp, a, path).total_cmp(&param(exp, b, path)));
    points
}

/// The summary of the function `name` in `r`.
fn function<'a>(r: &'a RunResult, name: &str) -> Result<&'a crate::report::Summary> {
    r.functions
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s)
        .ok_or_else(|| Error::Invalid {
            origin: r.scenario.clone(),
            field: "functions".to_owned(),
            message: format!("no function `{name}` in the results; the lab expects it"),
        })
}

// ---------------------------------------------------------------------------------------
// Closed forms.

/// The standard normal's upper tail 1 − Φ(z) = erfc(z/√2)/2, with the erfc the
/// distributions use (`dist.rs`: Numerical Recipes' `erfcc`, relative error below 1.2e-7).
pub fn normal_tail(z: f64) -> f64 {
    crate::dist::erfc(z / SQRT_2) / 2.0
}

/// z of the 99th percentile of the standard normal.
const Z99: f64 = 2.326_347_874;
/// z of the 99.9th percentile.
const Z999: f64 = 3.090_232_306;

/// σ of a lognormal given its median and 99th percentile.
fn lognormal_sigma(median: f64, p99: f64) -> f64 {
    (p99 / median).ln() / Z99
}

/// Mean of a lognormal given its median and 99th percentile.
fn lognormal_mean(median: f64, p99: f64) -> f64 {
    let s = lognormal_sigma(median, p99);
    median * (s * s / 2.0).exp()
}

/// P(S > x) for a lognormal S given its median and 99th percentile.
fn lognormal_tail(median: f64, p99: f64, x: f64) -> f64 {
    normal_tail((x / median).ln() / lognormal_sigma(median, p99))
}

/// Erlang's loss formula B(c, a), by the recursion B(k) = a·B(k−1) / (k + a·B(k−1)).
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Standard error of a proportion p estimated from n trials.
fn se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n.max(1.0)).sqrt()
}

// ---------------------------------------------------------------------------------------
// Lab 1: cold starts against rate and keep-alive.

/// The keep-alive's parameter path.
const IDLE: &str = "functions[0].keep_alive.idle_s";

/// Lab 1's execution time (single.json): lognormal, median and p99, ms.
const LAB1_EXEC: (f64, f64) = (20.0, 60.0);
/// busy.json's execution time.
const LAB1_BUSY_EXEC: (f64, f64) = (800.0, 3000.0);
/// busy.json's rate, per second.
const LAB1_BUSY_RATE: f64 = 2.0;

fn lab1(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let mut figs = Vec::new();
    // Single instance: e^(−λT) with the small floor of overlapping requests.
    let (set, reps) = match size {
        Size::Full => (vec![], None),
        Size::Quick => (vec![("duration_s", Value::from(21_600))], None),
    };
    let exp = experiment(dir, "single-sweep.json", &set, reps)?;
    let runs = run_all(&exp)?;
    let mean_s = lognormal_mean(LAB1_EXEC.0, LAB1_EXEC.1) / 1000.0;
    for (p, reps) in runs.iter().enumerate() {
        let rate = param(&exp, p, "functions[0].workload.rate_per_s");
        let idle = param(&exp, p, "functions[0].keep_alive.idle_s");
        let served: u64 = reps
            .iter()
            .map(|r| r.total.warm_starts + r.total.cold_starts)
            .sum();
        let cold: u64 = reps.iter().map(|r| r.total.cold_starts).sum();
        let base = (-rate * idle).exp();
        let a = rate * mean_s;
        let floor = a / (1.0 + a) * (-rate * a * idle).exp() + erlang_b(2, a);
        let p_exp = base + floor;
        let tol = 4.0 * se(p_exp, served as f64);
        figs.push(KeyFigure::new(
            format!("single instance: cold-start ratio at rate {rate}/s, keep-alive {idle} s"),
            cold as f64 / served as f64,
            p_exp - tol,
            p_exp + tol,
            format!(
                "e^(-lambda T) = {} + floor a/(1+a) e^(-lambda a T) + B(2,a) = {} (a = lambda E[S] = {}), ± 4 SE of {served} requests",
                num(base),
                num(floor),
                num(a)
            ),
        ));
    }
    // Several instances: the closed form fails, a floor remains, and it falls with T.
    let duration = match size {
        Size::Full => None,
        Size::Quick => Some(("duration_s", Value::from(1_200))),
    };
    let exp = experiment(
        dir,
        "busy-sweep.json",
        &duration.into_iter().collect::<Vec<_>>(),
        None,
    )?;
    let runs = run_all(&exp)?;
    let mut previous: Option<(f64, f64)> = None;
    for p in sorted_points(&exp, IDLE) {
        let reps = &runs[p];
        let idle = param(&exp, p, IDLE);
        let served: u64 = reps
            .iter()
            .map(|r| r.total.warm_starts + r.total.cold_starts)
            .sum();
        let cold: u64 = reps.iter().map(|r| r.total.cold_starts).sum();
        let ratio = cold as f64 / served as f64;
        let base = (-LAB1_BUSY_RATE * idle).exp();
        // 4 SE of the closed form itself: it is near 0, so the SE of a proportion of at
        // least one event in the sample.
        let bar = base + 4.0 * se(base.max(1.0 / served as f64), served as f64);
        figs.push(KeyFigure::new(
            format!("several instances: cold-start ratio at keep-alive {idle} s (above e^(-lambda T))"),
            ratio,
            bar,
            f64::INFINITY,
            format!(
                "e^(-lambda T) = {} (lambda = {LAB1_BUSY_RATE}/s): the closed form is rejected when the ratio exceeds it by 4 SE",
                num(base)
            ),
        ));
        if let Some((prev_idle, prev)) = previous {
            figs.push(KeyFigure::new(
                format!("several instances: ratio at {idle} s minus ratio at {prev_idle} s"),
                ratio - prev,
                f64::NEG_INFINITY,
                0.0,
                "a longer keep-alive keeps more of the spare instances: the floor falls (monotone)",
            ));
        }
        previous = Some((idle, ratio));
    }
    let busy: Vec<f64> = runs
        .iter()
        .flatten()
        .map(|r| r.total.instances.mean_busy)
        .collect();
    let (m, s) = mean_se(&busy);
    let a = LAB1_BUSY_RATE * lognormal_mean(LAB1_BUSY_EXEC.0, LAB1_BUSY_EXEC.1) / 1000.0;
    figs.push(KeyFigure::new(
        "several instances: mean busy instances",
        m,
        a - 4.0 * s,
        a + 4.0 * s,
        format!(
            "M/G/inf: lambda E[S] = {LAB1_BUSY_RATE} x {} s = {}, ± 4 SE over {} runs",
            num(a / LAB1_BUSY_RATE),
            num(a),
            busy.len()
        ),
    ));
    Ok(figs)
}

/// Mean and standard error of the mean.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, (var / n).sqrt())
}

// ---------------------------------------------------------------------------------------
// Lab 2: runtimes.

/// Lab 2's rate (per second) and keep-alive (s): about 3 % of requests cold.
const LAB2_RATE: f64 = 0.05;
const LAB2_IDLE_S: f64 = 70.0;
/// Lab 2's execution p99, ms (base.json: lognormal, median 20, p99 60).
const LAB2_EXEC_P99: f64 = 60.0;

/// A lower bound on a Lambda cold start, ms, that holds with probability ≥ 0.998: the
/// 0.1st percentiles of the sandbox phase (aws-lambda profile: lognormal, median 90 ms,
/// σ 0.3) and of the runtime's start (its profile's published fit), added. Package size
/// and init only lengthen a cold start.
fn cold_start_floor_ms(runtime_p001: f64) -> f64 {
    90.0 * (-Z999 * 0.3).exp() + runtime_p001
}

fn lab2(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let set = match size {
        Size::Full => vec![],
        Size::Quick => vec![("duration_s", Value::from(100_000))],
    };
    let exp = experiment(dir, "runtimes.json", &set, None)?;
    let runs = run_all(&exp)?;
    // The 0.1st percentile of each runtime's start phase, from models/runtimes/*.json:
    // nodejs LN(145 ms, 0.18); python LN(90, 0.25); java 0.97 LN(243, 0.10) + 0.03 LN(595,
    // 0.22), whose 0.1st percentile is within 1 ms of the main part's; java-snapstart's
    // restore 0.7 LN(735, 0.11) + 0.3 LN(1055, 0.11), likewise.
    let lambda_floor =
        |median: f64, sigma: f64| cold_start_floor_ms(median * (-Z999 * sigma).exp());
    let mut figs = Vec::new();
    for (p, reps) in runs.iter().enumerate() {
        let runtime = param_value(&exp, p, "functions[0].runtime")
            .as_str()
            .unwrap_or("?")
            .to_owned();
        let r = &reps[0].total;
        let served = (r.warm_starts + r.cold_starts) as f64;
        let cold = r.cold_start_ratio.unwrap_or(0.0);
        let c = (-LAB2_RATE * LAB2_IDLE_S).exp();
        figs.push(KeyFigure::new(
            format!("{runtime}: cold-start ratio (more than the 1 % beyond p99)"),
            cold,
            0.01,
            f64::INFINITY,
            format!(
                "e^(-lambda T) = e^(-{LAB2_RATE} x {LAB2_IDLE_S}) = {} ± {} (4 SE); it must exceed 1 % for cold starts to reach p99",
                num(c),
                num(4.0 * se(c, served))
            ),
        ));
        let p99 = r.latency_ms.p99.unwrap_or(0.0);
        let warm = r.warm_latency_ms.p99.unwrap_or(0.0);
        let share = if p99 > 0.0 { (p99 - warm) / p99 } else { 0.0 };
        let floor = match runtime.as_str() {
            "nodejs" => Some(lambda_floor(145.0, 0.18)),
            "python" => Some(lambda_floor(90.0, 0.25)),
            "java" => Some(lambda_floor(243.0, 0.10)),
            "java-snapstart" => Some(lambda_floor(735.0, 0.11)),
            _ => None,
        };
        match floor {
            Some(t) => {
                figs.push(KeyFigure::new(
                    format!("{runtime}: p99 of all requests, ms"),
                    p99,
                    t,
                    f64::INFINITY,
                    format!(
                        "over 1 % of requests are cold and a cold start exceeds {} ms (sandbox + runtime start, 0.1st percentiles of the profiles) with probability >= 0.998, so p99 >= {} ms",
                        num(t),
                        num(t)
                    ),
                ));
                figs.push(KeyFigure::new(
                    format!("{runtime}: cold-start share of p99, (p99 - warm p99) / p99"),
                    share,
                    1.0 - LAB2_EXEC_P99 / t,
                    1.0,
                    format!("p99 >= {} ms and warm p99 = execution p99 = {LAB2_EXEC_P99} ms: share >= 1 - {LAB2_EXEC_P99}/{}", num(t), num(t)),
                ));
            }
            None => {
                // V8 isolate on Workers: no sandbox, no code load; start LN(5 ms, 0.5),
                // whose 99.9th percentile is 5·e^(3.09·0.5) = 23.4 ms.
                let c999 = 5.0 * (Z999 * 0.5).exp();
                figs.push(KeyFigure::new(
                    format!("{runtime}: p99 - warm p99, ms (what cold starts add)"),
                    p99 - warm,
                    f64::NEG_INFINITY,
                    c999 + 0.002 * p99,
                    format!(
                        "a cold request takes its execution plus at most {} ms (99.9th percentile of the isolate's LN(5 ms, 0.5) start), so p99 exceeds the warm p99 by at most that (+0.2 % histogram precision)",
                        num(c999)
                    ),
                ));
                figs.push(KeyFigure::new(
                    format!("{runtime}: cold-start share of p99, (p99 - warm p99) / p99"),
                    share,
                    f64::NEG_INFINITY,
                    c999 / warm.max(1.0) + 0.002,
                    format!("at most {} ms / warm p99", num(c999)),
                ));
            }
        }
    }
    Ok(figs)
}

// ---------------------------------------------------------------------------------------
// Lab 3: provisioned concurrency.

/// Lab 3's execution (lognormal median and p99, ms), memory (GB) and burst rate (/s).
const LAB3_EXEC: (f64, f64) = (80.0, 400.0);
const LAB3_GB: f64 = 0.5;
const LAB3_BURST_RATE: f64 = 200.0;
/// AWS Lambda's provisioned-concurrency price, x86_64, per GB-second
/// (models/platforms/aws-lambda.json, aws.amazon.com/lambda/pricing).
const PC_GB_S: f64 = 4.1667e-6;

/// Arrivals of `workloads/bursty-api.csv` before `until_s`: (in the bursts, outside).
/// The bursts are 200 req/s for 10 s from 120 s every 600 s (the file's header).
fn bursty_counts(dir: &Path, until_s: f64) -> Result<(u64, u64)> {
    let path = dir.join("../../../workloads/bursty-api.csv");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let (mut burst, mut other) = (0, 0);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let t: f64 = line.trim().parse().map_err(|_| Error::Data {
            path: path.clone(),
            line: 0,
            message: format!("expected a time in seconds, got `{line}`"),
        })?;
        if t >= until_s {
            break;
        }
        if (120.0..130.0).contains(&(t % 600.0)) {
            burst += 1;
        } else {
            other += 1;
        }
    }
    Ok((burst, other))
}

fn lab3(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let duration = match size {
        Size::Full => 3600.0,
        Size::Quick => 1800.0,
    };
    let set = [("duration_s", Value::from(duration))];
    let held = experiment(dir, "held-sweep.json", &set, None)?;
    let sched = experiment(dir, "scheduled-sweep.json", &set, None)?;
    let held_runs = run_all(&held)?;
    let sched_runs = run_all(&sched)?;
    let level = |exp: &Experiment, l: f64| {
        (0..exp.point_count()).find(|&p| {
            param(exp, p, "functions[0].provisioned.count") == l
                || param(exp, p, "functions[0].provisioned.steps[1].count") == l
        })
    };
    let at = |exp: &Experiment, runs: &[Vec<RunResult>], l: f64| -> Result<Vec<RunResult>> {
        level(exp, l)
            .map(|p| runs[p].clone())
            .ok_or_else(|| Error::Invalid {
                origin: exp.origin.clone(),
                field: "grid".to_owned(),
                message: format!("the lab expects level {l} among the points"),
            })
    };
    let (n_burst, n_other) = bursty_counts(dir, duration)?;
    let mean_s = lognormal_mean(LAB3_EXEC.0, LAB3_EXEC.1) / 1000.0;
    let a_burst = LAB3_BURST_RATE * mean_s;
    let a_base = mean_s; // 1 req/s between the bursts
    let mut figs = Vec::new();
    for c in [10u32, 20] {
        let runs = at(&held, &held_runs, f64::from(c))?;
        let reps = runs.len() as f64;
        let spill: f64 = runs
            .iter()
            .map(|r| r.total.provisioned.as_ref().map_or(0, |p| p.spillover) as f64)
            .sum::<f64>()
            / reps;
        let b = erlang_b(c, a_burst);
        let hi = n_burst as f64 * b + n_other as f64 * erlang_b(c, a_base);
        // Each burst starts with every provisioned instance free: in its first 0.5 s (5 mean
        // executions) fewer requests spill than in steady state, hence the lower end.
        let lo = n_burst as f64 * b * (1.0 - 0.5 / 10.0);
        let tol = 4.0 * (n_burst as f64 * b * (1.0 - b) / reps).sqrt();
        figs.push(KeyFigure::new(
            format!("held {c}: requests spilling over to on-demand instances (mean of {reps} runs)"),
            spill,
            lo - tol,
            hi + tol,
            format!(
                "Erlang B(c = {c}, a = 200/s x {} s = {}) = {} of the {n_burst} burst requests, less up to 5 % for each burst's first 0.5 s, ± 4 SE",
                num(mean_s),
                num(a_burst),
                num(b)
            ),
        ));
    }
    let held40 = at(&held, &held_runs, 40.0)?;
    let expected_spill = n_burst as f64 * erlang_b(40, a_burst);
    let max_cold = held40
        .iter()
        .map(|r| r.total.cold_starts)
        .max()
        .unwrap_or(0);
    figs.push(KeyFigure::new(
        "held 40: cold starts (most in a run)",
        max_cold as f64,
        0.0,
        (expected_spill + 4.0 * expected_spill.sqrt()).ceil(),
        format!(
            "a spill-over is the only way to a cold start: {n_burst} x B(40, {}) = {} expected, + 4 SE",
            num(a_burst),
            num(expected_spill)
        ),
    ));
    let floor = lognormal_tail(LAB3_EXEC.0, LAB3_EXEC.1, 300.0);
    let pooled = |runs: &[RunResult]| -> (f64, f64) {
        let over: u64 = runs.iter().map(|r| r.total.slo.map_or(0, |s| s.over)).sum();
        let n: u64 = runs.iter().map(|r| r.total.latency_ms.count).sum();
        (over as f64 / n as f64, n as f64)
    };
    let (share40, n40) = pooled(&held40);
    let tol = 4.0 * se(floor, n40);
    figs.push(KeyFigure::new(
        "held 40: share of requests over 300 ms",
        share40,
        floor - tol,
        floor + tol,
        format!(
            "no cold start left: P(S > 300 ms) for the lognormal execution (median 80, p99 400) = {}, ± 4 SE",
            num(floor)
        ),
    ));
    let (share0, n0) = pooled(&at(&held, &held_runs, 0.0)?);
    figs.push(KeyFigure::new(
        "level 0: share of requests over 300 ms",
        share0,
        floor + 4.0 * se(floor, n0),
        f64::INFINITY,
        format!(
            "cold starts add to the execution floor {}: above it by more than 4 SE",
            num(floor)
        ),
    ));
    let cost = |runs: &[RunResult]| {
        runs.iter().map(|r| r.total.cost_usd.total).sum::<f64>() / runs.len() as f64
    };
    let held_diff = cost(&at(&held, &held_runs, 60.0)?) - cost(&held40);
    let want = 20.0 * LAB3_GB * duration * PC_GB_S;
    figs.push(KeyFigure::new(
        "held: cost at 60 minus cost at 40, USD",
        held_diff,
        want * 0.999,
        want * 1.001,
        format!("20 instances x {LAB3_GB} GB x {duration} s x ${PC_GB_S}/GB-s = {} (the same requests on provisioned instances)", num(want)),
    ));
    let sched40 = at(&sched, &sched_runs, 40.0)?;
    let periods = (duration / 600.0).floor();
    let sched_diff = cost(&at(&sched, &sched_runs, 60.0)?) - cost(&sched40);
    let want = 20.0 * LAB3_GB * 300.0 * periods * PC_GB_S;
    figs.push(KeyFigure::new(
        "scheduled: cost at 60 minus cost at 40, USD",
        sched_diff,
        want * 0.999,
        want * 1.001,
        format!(
            "20 instances x {LAB3_GB} GB x {periods} periods x 300 s (120 s enabled, billed as AWS's 5-minute minimum) x ${PC_GB_S} = {}",
            num(want)
        ),
    ));
    let ratio = cost(&sched40) / cost(&held40);
    let (alloc_s, alloc_h) = (300.0 * periods, duration);
    figs.push(KeyFigure::new(
        "scheduled 40 cost / held 40 cost",
        ratio,
        f64::NEG_INFINITY,
        alloc_s / alloc_h + 0.1,
        format!(
            "the allocation dominates: {} s billed against {} s, a ratio of {} (+0.1 for the requests' own cost)",
            num(alloc_s),
            num(alloc_h),
            num(alloc_s / alloc_h)
        ),
    ));
    Ok(figs)
}

// ---------------------------------------------------------------------------------------
// Lab 4: flash sale.

/// Per 10-second window (by the end of each request): cold starts, throttles and the
/// response times of the served requests.
#[derive(Default)]
struct Windows {
    bins: Vec<(u64, u64, Vec<f32>)>,
}

/// Width of a window, ns.
const WINDOW_NS: u64 = 10_000_000_000;

impl RequestLog for Windows {
    fn record(&mut self, r: &RequestRecord<'_>) -> Result<()> {
        if r.ping || !r.measured {
            return Ok(());
        }
        let w = (r.end.0 / WINDOW_NS) as usize;
        if self.bins.len() <= w {
            self.bins.resize_with(w + 1, Default::default);
        }
        let bin = &mut self.bins[w];
        match r.outcome {
            Outcome::Throttled => bin.1 += 1,
            Outcome::Cold => {
                bin.0 += 1;
                bin.2.push((r.end.0 - r.arrival.0) as f32 / 1e6);
            }
            Outcome::Warm => bin.2.push((r.end.0 - r.arrival.0) as f32 / 1e6),
        }
        Ok(())
    }
}

/// The 99th percentile (nearest rank) of `xs`.
fn p99(xs: &mut [f32]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let k = ((xs.len() as f64 * 0.99).ceil() as usize).clamp(1, xs.len()) - 1;
    let (_, v, _) = xs.select_nth_unstable_by(k, f32::total_cmp);
    f64::from(*v)
}

fn run_windows(s: &Scenario) -> Result<(RunResult, Windows)> {
    let mut w = Windows::default();
    let out = sim::run(
        s,
        RunOptions {
            log: Some(&mut w),
            progress: None,
        },
    )?;
    Ok((RunResult::new(s, &out), w))
}

/// Lab 4's sale: start (s), peak rate (/s), base rate (/s), account quota, execution.
const LAB4_START_S: f64 = 300.0;
const LAB4_PEAK: f64 = 8000.0;
const LAB4_BASE: f64 = 200.0;
const LAB4_QUOTA: f64 = 3000.0;
const LAB4_EXEC: (f64, f64) = (250.0, 1000.0);

fn lab4(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let set = match size {
        Size::Full => vec![],
        Size::Quick => vec![
            ("duration_s", Value::from(480)),
            ("functions[0].workload.plateau_s", Value::from(60)),
        ],
    };
    let sale = scenario(dir, "sale.json", &set)?;
    let pc = scenario(dir, "sale-pc.json", &set)?;
    let (on_demand, provisioned) = rayon::join(|| run_windows(&sale), || run_windows(&pc));
    let ((r, mut w), (rpc, wpc)) = (on_demand?, provisioned?);
    let start = (LAB4_START_S * 1e9) as u64 / WINDOW_NS;
    let storm = start as usize..(start as usize + 3).min(w.bins.len());
    let mean_s = lognormal_mean(LAB4_EXEC.0, LAB4_EXEC.1) / 1000.0;
    let (a_peak, a_base) = (LAB4_PEAK * mean_s, LAB4_BASE * mean_s);
    let mut figs = Vec::new();
    let t = &r.total;
    figs.push(KeyFigure::new(
        "on demand: throttled by the concurrency quota",
        t.throttle_causes.concurrency as f64,
        0.0,
        0.0,
        format!(
            "peak need 8,000/s x {} s = {} concurrent executions < quota {LAB4_QUOTA}",
            num(mean_s),
            num(a_peak)
        ),
    ));
    let in_storm: u64 = w.bins[storm.clone()].iter().map(|b| b.1).sum();
    let total_thr: u64 = w.bins.iter().map(|b| b.1).sum();
    figs.push(KeyFigure::new(
        "on demand: throttled in the sale's first 30 s (scale-out rate)",
        in_storm as f64,
        1.0,
        f64::INFINITY,
        format!(
            "by the end of the 10 s ramp at most ~{} + 1,000 + 10 x 100 = {} environments exist, fewer than the {} needed",
            num((a_base + 4.0 * a_base.sqrt()).ceil()),
            num((a_base + 4.0 * a_base.sqrt()).ceil() + 2000.0),
            num(a_peak)
        ),
    ));
    figs.push(KeyFigure::new(
        "on demand: throttled outside the sale's first 30 s",
        (total_thr - in_storm) as f64,
        0.0,
        0.0,
        format!(
            "the bucket refills at 100/s: the {} missing environments are there within {} s of the bucket running dry",
            num(a_peak + 4.0 * a_peak.sqrt() - 1000.0),
            num((a_peak + 4.0 * a_peak.sqrt() - 1000.0) / 100.0)
        ),
    ));
    let storm_cold: u64 = w.bins[storm.clone()].iter().map(|b| b.0).sum();
    let lo = a_peak - 4.0 * a_peak.sqrt() - (a_base + 4.0 * a_base.sqrt());
    figs.push(KeyFigure::new(
        "on demand: cold starts in the sale's first 30 s",
        storm_cold as f64,
        lo,
        LAB4_QUOTA,
        format!(
            "peak need {} - 4 sqrt, less the ~{} instances warm before the sale; at most the quota",
            num(a_peak),
            num(a_base + 4.0 * a_base.sqrt())
        ),
    ));
    let worst = storm
        .clone()
        .max_by_key(|&i| w.bins[i].0)
        .unwrap_or(start as usize);
    let storm_p99 = p99(&mut w.bins[worst].2);
    let before = (start as usize).saturating_sub(6)..start as usize;
    let before_p99 = before.map(|i| p99(&mut w.bins[i].2)).fold(0.0, f64::max);
    figs.push(KeyFigure::new(
        "on demand: p99 of the stormiest 10 s window / highest p99 of the minute before",
        storm_p99 / before_p99.max(1.0),
        1.0,
        f64::INFINITY,
        "several % of that window's requests wait for a cold start (about 1 s: sandbox + Node.js + 800 ms init): its p99 rises above every window before the sale",
    ));
    figs.push(KeyFigure::new(
        "provisioned 2,500: throttled",
        rpc.total.throttled as f64,
        0.0,
        0.0,
        format!(
            "2,500 provisioned > {} needed; the spill-over (Erlang B(2500, {}) = {}) needs a few on-demand instances, far under the 1,000-token bucket",
            num(a_peak),
            num(a_peak),
            num(erlang_b(2500, a_peak))
        ),
    ));
    let pc_cold: u64 = wpc.bins[storm].iter().map(|b| b.0).sum();
    let spill_rate = LAB4_PEAK * erlang_b(2500, a_peak);
    figs.push(KeyFigure::new(
        "provisioned 2,500: cold starts in the sale's first 30 s",
        pc_cold as f64,
        0.0,
        (4.0 * spill_rate * mean_s).ceil() + 10.0,
        format!(
            "spill-over {} req/s x {} s keeps about {} on-demand instances busy; each starts cold once (allowance 4x + 10)",
            num(spill_rate),
            num(mean_s),
            num(spill_rate * mean_s)
        ),
    ));
    Ok(figs)
}

// ---------------------------------------------------------------------------------------
// Lab 5: cost.

/// AWS Lambda x86_64 list prices (models/platforms/aws-lambda.json, aws.amazon.com/lambda/pricing).
const REQUEST_USD: f64 = 0.2e-6;
const GB_S_USD: f64 = 1.66667e-5;
/// steady.json: execution (lognormal median, p99; ms), memory (GB), fleet server.
const LAB5_EXEC: (f64, f64) = (90.0, 250.0);
const LAB5_GB: f64 = 1.0;
const FLEET_USD_H: f64 = 0.0416;
/// CPU share of one execution: cpu_fraction 1 × 1,024 MB / 1,769 MB per vCPU (Lambda).
const LAB5_CPU_SHARE: f64 = 1024.0 / 1769.0;

/// The rate's parameter path.
const RATE: &str = "functions[0].workload.rate_per_s";

fn lab5(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let measured_s = match size {
        Size::Full => 3600.0,
        Size::Quick => 600.0,
    };
    let set = [("duration_s", Value::from(measured_s + 60.0))];
    let exp = experiment(dir, "crossover.json", &set, None)?;
    let runs = run_all(&exp)?;
    let hours = measured_s / 3600.0;
    let mean_s = lognormal_mean(LAB5_EXEC.0, LAB5_EXEC.1) / 1000.0;
    // Billed duration: rounded up to the millisecond, +0.5 ms on average.
    let per_request = REQUEST_USD + (mean_s + 0.0005) * LAB5_GB * GB_S_USD;
    let sigma = lognormal_sigma(LAB5_EXEC.0, LAB5_EXEC.1);
    let sd_request = mean_s * ((sigma * sigma).exp() - 1.0).sqrt() * LAB5_GB * GB_S_USD;
    let mut figs = Vec::new();
    let mut rows = Vec::new();
    for p in sorted_points(&exp, RATE) {
        let reps = &runs[p];
        let rate = param(&exp, p, RATE);
        let n = reps.len() as f64;
        let cost = reps.iter().map(|r| r.total.cost_usd.total).sum::<f64>() / n;
        let fleet = reps
            .iter()
            .map(|r| r.total.cost_usd.always_on_fleet.usd)
            .sum::<f64>()
            / n;
        let invocations = reps.iter().map(|r| r.total.invocations).sum::<u64>() as f64;
        rows.push((rate, cost, fleet));
        if rate == 10.0 || rate == 1000.0 {
            let got = reps.iter().map(|r| r.total.cost_usd.total).sum::<f64>() / invocations;
            let tol = 4.0 * sd_request / invocations.sqrt();
            figs.push(KeyFigure::new(
                format!("pay-per-use cost per request at {rate} req/s, USD"),
                got,
                per_request - tol,
                per_request + tol,
                format!(
                    "$0.20/M + (E[S] {} s + 0.5 ms rounding) x {LAB5_GB} GB x ${GB_S_USD}/GB-s = {}, ± 4 SE",
                    num(mean_s),
                    num(per_request)
                ),
            ));
        }
        if rate <= 10.0 {
            figs.push(KeyFigure::new(
                format!("fleet cost at {rate} req/s, USD"),
                fleet,
                FLEET_USD_H * hours * 0.9999,
                FLEET_USD_H * hours * 1.0001,
                format!(
                    "one t3.medium: demand {} x {} s x {} vCPU = {} vCPU < 2 x 0.6",
                    num(rate),
                    num(mean_s),
                    num(LAB5_CPU_SHARE),
                    num(rate * mean_s * LAB5_CPU_SHARE)
                ),
            ));
        }
        if rate == 1000.0 {
            let demand = rate * mean_s * LAB5_CPU_SHARE;
            let servers = (demand / 1.2).ceil();
            figs.push(KeyFigure::new(
                "fleet servers at 1,000 req/s",
                fleet / (FLEET_USD_H * hours),
                servers,
                servers + 2.0,
                format!(
                    "ceil(mean demand {} vCPU / (2 x 0.6)) = {}; the busiest minute adds about 1 %",
                    num(demand),
                    num(servers)
                ),
            ));
        }
    }
    let crossing = rows.windows(2).find_map(|w| {
        let ((r0, c0, f0), (r1, c1, f1)) = (w[0], w[1]);
        let (d0, d1) = (c0 - f0, c1 - f1);
        (d0 < 0.0 && d1 >= 0.0).then(|| r0 + (r1 - r0) * (-d0) / (d1 - d0))
    });
    let star = FLEET_USD_H / (3600.0 * per_request);
    // The pay-per-use cost at the crossing has a relative SE of sd/mean/sqrt(n).
    let rel = 4.0 * sd_request / per_request / (star * measured_s * 2.0).sqrt();
    figs.push(KeyFigure::new(
        "crossing rate, req/s (interpolated between the sweep's points)",
        crossing.unwrap_or(f64::NAN),
        star * (1.0 - rel),
        star * (1.0 + rel),
        format!(
            "$0.0416 an hour / (3,600 x ${} a request) = {} req/s (one server suffices up to ~20 req/s), ± 4 SE",
            num(per_request),
            num(star)
        ),
    ));
    Ok(figs)
}

// ---------------------------------------------------------------------------------------
// Lab 6: keep-alive policies on a trace.

/// The trace's memory (GB, replay.json's template) and the Poisson function's mean gap (s).
const LAB6_GB: f64 = 0.25;
const LAB6_POISSON_GAP_S: f64 = 900.0;

fn lab6(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let reps = match size {
        Size::Full => None,
        Size::Quick => Some(1),
    };
    let exp = experiment(dir, "policies.json", &[], reps)?;
    let runs = run_all(&exp)?;
    let policy = |p: usize| param_value(&exp, p, "traces.template.keep_alive");
    let find = |want: Value| (0..exp.point_count()).find(|&p| policy(p) == want);
    let fixed10 = find(serde_json::json!({"policy": "fixed", "idle_s": 600}));
    let hybrid = find(serde_json::json!({"policy": "hybrid_histogram"}));
    let (Some(fixed10), Some(hybrid)) = (fixed10, hybrid) else {
        return Err(Error::Invalid {
            origin: exp.origin.clone(),
            field: "grid".to_owned(),
            message: "the lab expects fixed 600 s and hybrid_histogram among the points".to_owned(),
        });
    };
    // Sums over replications of one function's field.
    let sum = |p: usize, name: &str, f: &dyn Fn(&crate::report::Summary) -> f64| -> Result<f64> {
        runs[p].iter().map(|r| function(r, name).map(f)).sum()
    };
    let cold = |s: &crate::report::Summary| s.cold_starts as f64;
    let calls = |s: &crate::report::Summary| s.invocations as f64;
    let idle = |s: &crate::report::Summary| s.instances.idle_gb_s;
    let reps = runs[fixed10].len() as f64;
    let mut figs = Vec::new();
    let t30 = "timer30/main";
    figs.push(KeyFigure::new(
        "timer30, fixed 10 min: cold-start ratio",
        sum(fixed10, t30, &cold)? / sum(fixed10, t30, &calls)?,
        1.0,
        1.0,
        "every gap is 29 to 31 minutes (one call a minute, placed uniformly), longer than 10: every call is cold",
    ));
    let want = sum(fixed10, t30, &calls)? / reps * 600.0 * LAB6_GB;
    figs.push(KeyFigure::new(
        "timer30, fixed 10 min: idle GB-s (per run)",
        sum(fixed10, t30, &idle)? / reps,
        want * 0.99,
        want * 1.01,
        format!(
            "each call's instance idles 600 s: calls x 600 s x {LAB6_GB} GB = {}",
            num(want)
        ),
    ));
    figs.push(KeyFigure::new(
        "timer30, hybrid: cold starts (per run)",
        sum(hybrid, t30, &cold)? / reps,
        0.0,
        1.0,
        "12 idle times of ~30 min in the 6-hour warm-up make a representative histogram: pre-warm at 0.9 x 29 min, keep to 1.1 x 31 min",
    ));
    figs.push(KeyFigure::new(
        "timer30, hybrid idle GB-s / fixed 10 min idle GB-s",
        sum(hybrid, t30, &idle)? / sum(fixed10, t30, &idle)?,
        0.0,
        0.8,
        "loaded from 0.9 x 29 = 26.1 to 1.1 x 31 = 34.1 minutes after each call, at most 8 minutes against 10",
    ));
    let t2 = "timer2/main";
    figs.push(KeyFigure::new(
        "timer2, fixed 10 min: cold starts (per run)",
        sum(fixed10, t2, &cold)? / reps,
        0.0,
        0.0,
        "gaps of 1 to 3 minutes, shorter than the keep-alive, and the instance is warm from the warm-up",
    ));
    let rare = "rare/main";
    figs.push(KeyFigure::new(
        "rare, fixed 10 min: cold starts (per run)",
        sum(fixed10, rare, &cold)? / reps,
        3.0,
        3.0,
        "three calls 200 and 300 minutes apart: all cold",
    ));
    figs.push(KeyFigure::new(
        "rare, hybrid: cold starts (per run)",
        sum(hybrid, rare, &cold)? / reps,
        2.0,
        2.0,
        "two idle times are not a representative histogram: the fallback keeps 4 hours, so the call 200 minutes later is warm and the one 300 minutes later cold",
    ));
    let poisson = "poisson/main";
    let n = sum(fixed10, poisson, &calls)? / reps;
    let p = (-600.0 / LAB6_POISSON_GAP_S).exp();
    let tol = 4.0 * se(p, n);
    figs.push(KeyFigure::new(
        "poisson, fixed 10 min: cold-start ratio",
        sum(fixed10, poisson, &cold)? / sum(fixed10, poisson, &calls)?,
        p - tol,
        p + tol,
        format!(
            "a Poisson count per minute spread uniformly is a Poisson process: e^(-600/900) = {}, ± 4 SE of {} calls",
            num(p),
            num(n)
        ),
    ));
    let cold_ratio = sum(hybrid, poisson, &cold)? / sum(fixed10, poisson, &cold)?.max(1.0);
    figs.push(KeyFigure::new(
        "poisson, hybrid cold starts / fixed 10 min cold starts",
        cold_ratio,
        0.0,
        0.5,
        "exponential idle times: the tail window (1.1 x their 99th percentile, about 4.6 x 15 min) keeps the instance over an hour: e^(-69/15) = 1 % cold",
    ));
    figs.push(KeyFigure::new(
        "poisson, hybrid idle GB-s / fixed 10 min idle GB-s",
        sum(hybrid, poisson, &idle)? / sum(fixed10, poisson, &idle)?,
        1.0,
        f64::INFINITY,
        "the same long window costs memory: nothing to pre-warm, so the instance stays loaded (the paper's policy spends more here)",
    ));
    Ok(figs)
}

/// The default labs folder: `experiments/labs` under the current folder when it exists,
/// else under the source tree this binary was built from.
pub fn default_dir() -> PathBuf {
    let here = PathBuf::from("experiments/labs");
    if here.is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/labs")
}
