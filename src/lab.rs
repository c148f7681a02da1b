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

mod cold_starts;
mod cost;
mod flash_sale;
mod keepalive_trace;
mod provisioned;
mod runtimes;

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
        check: cold_starts::lab1,
    },
    Lab {
        number: 2,
        slug: "runtimes",
        title: "Runtimes: what cold starts add to p99 on Node.js, Python, Java, SnapStart and V8 isolates",
        files: &["README.md", "base.json", "runtimes.json"],
        check: runtimes::lab2,
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
        check: provisioned::lab3,
    },
    Lab {
        number: 4,
        slug: "flash-sale",
        title: "Flash sale: scale-out limits, throttling and the cold-start storm in 10-second windows",
        files: &["README.md", "sale.json", "sale-pc.json"],
        check: flash_sale::lab4,
    },
    Lab {
        number: 5,
        slug: "cost",
        title: "Cost: pay-per-use against an always-on fleet, and where the lines cross",
        files: &["README.md", "steady.json", "crossover.json"],
        check: cost::lab5,
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
        check: keepalive_trace::lab6,
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

/// Erlang's loss formula B(c, a): the reports' closed form.
pub use crate::present::closed_form::erlang_b;

/// Standard error of a proportion p estimated from n trials.
fn se(p: f64, n: f64) -> f64 {
    (p * (1.0 - p) / n.max(1.0)).sqrt()
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
