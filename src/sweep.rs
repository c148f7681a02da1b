//! Parameter sweeps: many runs of one base scenario over a grid of settings and
//! replications, in parallel, resumable, and split into shards for a cluster.
//!
//! - [`Experiment`] (`experiment`): the experiment file, expanded into numbered points.
//! - [`run`]: runs the (point, replication) tasks of one shard on a local rayon pool and
//!   writes each result as soon as it and all earlier ones are done ([`output`]).
//! - [`merge`]: combines shard outputs into exactly what one unsharded run writes.
//! - [`METRICS`] (`metric`): the headline metrics each row records, typed reads of a run's
//!   total or statistics across its functions; [`stats`]: their confidence intervals
//!   across replications, and nearest-rank percentiles across functions.
//! - [`functions`]: the per-function table each row carries ([`FunctionRow`]) and the
//!   distributions across functions.
//!
//! # Tasks, order and memory
//! Tasks are numbered point-major: (point 0, replication 0), (0, 1), … A worker claims the
//! next task only while it is fewer than [`WINDOW_PER_THREAD`] × threads tasks ahead of the
//! oldest unwritten one, so finished-but-unwritten results stay bounded by the in-flight
//! work, whatever the sweep's size. Results are written strictly in task order, so the
//! files are byte-identical for any thread count.
//!
//! # Shards
//! `Shard { index: i, count: n }` owns the points whose index `p` satisfies `p % n == i`
//! (round robin, so slow regions of a grid spread over all shards), with all their
//! replications.
//!
//! # Resume
//! Each row stores the experiment's hash. With `resume`, the rows already in
//! `results.jsonl` are checked (same experiment, the first tasks of this shard, in order),
//! replayed into fresh `results.csv` and `summary.csv`, and only the remaining tasks run.

pub mod experiment;
pub mod functions;
pub mod metric;
pub mod output;
mod path;
pub mod stats;
pub mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

pub use crate::json::Ordered;
pub use crate::rng::replication_seed;
pub use experiment::Experiment;
pub use functions::FunctionRow;
pub use metric::{METRICS, Metric, MetricValue};
use output::{Row, Sink};

use crate::error::{Error, Result};
use crate::metrics::Latency;
use crate::report::RunResult;
use crate::sim;

/// How far ahead of the oldest unwritten task workers may run, per thread.
pub const WINDOW_PER_THREAD: usize = 4;

/// One slice of a sweep: points with `point % count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based slice index, `< count`.
    pub index: usize,
    /// Number of slices, >= 1.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`.
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let err = || format!("expected I/N with 0 <= I < N (e.g. 0/4), got `{s}`");
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let index = i.trim().parse().map_err(|_| err())?;
        let count = n.trim().parse().map_err(|_| err())?;
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard owns `point`.
    pub fn owns(&self, point: usize) -> bool {
        point % self.count == self.index
    }
}

/// Settings of a sweep run.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Worker threads (>= 1).
    pub threads: usize,
    /// The output folder.
    pub out: PathBuf,
    /// Which slice to run.
    pub shard: Shard,
    /// Keep the results already in `out` and run only the rest.
    pub resume: bool,
}

/// What a sweep run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Points owned by this shard.
    pub points: usize,
    /// Tasks (point × replication) owned by this shard.
    pub tasks: usize,
    /// Tasks found done in the output and skipped.
    pub resumed: usize,
}

/// An `Invalid` error at `field` of the document `origin`.
fn invalid(origin: &str, field: &str, message: impl Into<String>) -> Error {
    Error::Invalid {
        origin: origin.to_owned(),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A finished task: its JSON line, parsed, and its decoded histogram.
type Prepared = (String, Row, hdrhistogram::Histogram<u64>);

/// Runs one task and returns its JSON Lines text.
pub fn run_task(exp: &Experiment, point: usize, replication: u32) -> Result<String> {
    let scenario = exp.scenario(point, replication)?;
    let out = sim::run(&scenario, sim::RunOptions::default())?;
    let result = RunResult::new(&scenario, &out);
    let mut all = Latency::default();
    for f in &out.functions {
        all.merge(&f.cold_latency);
        all.merge(&f.warm_latency);
        all.merge(&f.provisioned_latency);
    }
    let row = Row {
        experiment: exp.hash.clone(),
        points: exp.point_count(),
        replications: exp.replications,
        point,
        replication,
        seed: scenario.seed,
        params: Ordered(exp.params.iter().cloned().zip(exp.point(point)).collect()),
        metrics: Ordered(
            METRICS
                .iter()
                .map(|m| (m.name.to_owned(), m.json(&result)))
                .collect(),
        ),
        functions: functions::table(&result),
        latency_histogram: match all.to_histogram() {
            Some(h) => output::encode_histogram(&h),
            // Nothing served: an empty histogram keeps every row mergeable.
            None => {
                output::encode_histogram(&hdrhistogram::Histogram::new(3).expect("valid precision"))
            }
        },
    };
    Ok(serde_json::to_string(&row).expect("serialises"))
}

fn metric_names() -> Vec<String> {
    METRICS.iter().map(|m| m.name.to_owned()).collect()
}

/// Runs the tasks of `opts.shard` and writes the outputs to `opts.out`. `on_point` is
/// called with the number of this shard's points finished so far (including resumed ones)
/// each time a point completes.
pub fn run(
    exp: &Experiment,
    opts: &SweepOptions,
    on_point: &(dyn Fn(usize) + Sync),
) -> Result<SweepReport> {
    let owned: Vec<usize> = (0..exp.point_count())
        .filter(|p| opts.shard.owns(*p))
        .collect();
    let tasks: Vec<(usize, u32)> = owned
        .iter()
        .flat_map(|&p| (0..exp.replications).map(move |r| (p, r)))
        .collect();
    let jsonl = opts.out.join(output::JSONL);
    let existing = output::read_rows(&opts.out)?;
    if !opts.resume && !existing.is_empty() {
        return Err(invalid(
            &format!("--out {}", opts.out.display()),
            output::JSONL,
            "already holds results; pass --resume to continue that sweep, or choose another --out",
        ));
    }
    for (k, (_, row)) in existing.iter().enumerate() {
        let at = format!("{}:{}", jsonl.display(), k + 1);
        if row.experiment != exp.hash {
            return Err(invalid(
                &at,
                "experiment",
                format!(
                    "these results belong to another experiment (hash {}, expected {} for {}); use another --out",
                    row.experiment, exp.hash, exp.origin
                ),
            ));
        }
        // Checked here, before the outputs are rewritten, so a refused resume loses nothing.
        output::check_metrics(row, &metric_names(), &at)?;
        if tasks.get(k) != Some(&(row.point, row.replication)) {
            return Err(invalid(
                &at,
                "point",
                format!(
                    "row (point {}, replication {}) is not task {k} of shard {}/{}; was it written with another --shard?",
                    row.point, row.replication, opts.shard.index, opts.shard.count
                ),
            ));
        }
    }
    let mut sink = Sink::create(&opts.out, &exp.params, &metric_names(), exp.replications)?;
    let mut done_points = 0;
    for (line, row) in &existing {
        if sink.push(line, row, None)?.is_some() {
            done_points += 1;
        }
    }
    if done_points > 0 {
        on_point(done_points);
    }
    let resumed = existing.len();
    drop(existing);
    execute(
        exp,
        &tasks,
        resumed,
        sink,
        done_points,
        opts.threads,
        on_point,
    )?;
    Ok(SweepReport {
        points: owned.len(),
        tasks: tasks.len(),
        resumed,
    })
}

/// Runs `tasks[first..]` on a pool of `threads` workers, writing each result to `sink` in
/// task order.
///
/// Why not `par_iter().collect()`: that would hold every result until the end. Workers
/// here claim tasks one by one (never more than the window ahead of the oldest unwritten
/// one) and whoever finishes the oldest task writes it and any finished successors, so
/// memory holds only in-flight work and each row reaches the disk as soon as it can.
fn execute(
    exp: &Experiment,
    tasks: &[(usize, u32)],
    first: usize,
    sink: Sink,
    done_points: usize,
    threads: usize,
    on_point: &(dyn Fn(usize) + Sync),
) -> Result<()> {
    struct State {
        sink: Sink,
        next_claim: usize,
        next_write: usize,
        ready: BTreeMap<usize, Result<Prepared>>,
        error: Option<Error>,
        done_points: usize,
    }
    let state = Mutex::new(State {
        sink,
        next_claim: first,
        next_write: first,
        ready: BTreeMap::new(),
        error: None,
        done_points,
    });
    let wake = Condvar::new();
    let threads = threads.max(1);
    let window = WINDOW_PER_THREAD * threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| {
            invalid(
                "--threads",
                ".",
                format!("cannot start {threads} threads: {e}"),
            )
        })?;
    let worker = || {
        loop {
            let task = {
                let mut s = state.lock().expect("no worker panics");
                loop {
                    if s.error.is_some() || s.next_claim >= tasks.len() {
                        return;
                    }
                    if s.next_claim < s.next_write + window {
                        s.next_claim += 1;
                        break s.next_claim - 1;
                    }
                    s = wake.wait(s).expect("no worker panics");
                }
            };
            let (p, r) = tasks[task];
            // Parsing and decoding happen here, outside the lock, so that the writer's
            // critical section is only the writing.
            let line = run_task(exp, p, r).and_then(|line| {
                let row = output::parse_row(&line, "a fresh result")?;
                let hist = output::decode_histogram(&row.latency_histogram, "a fresh result")?;
                Ok((line, row, hist))
            });
            let mut s = state.lock().expect("no worker panics");
            s.ready.insert(task, line);
            loop {
                let next = s.next_write;
                let Some(line) = s.ready.remove(&next) else {
                    break;
                };
                let written =
                    line.and_then(|(line, row, hist)| s.sink.push(&line, &row, Some(hist)));
                match written {
                    Ok(Some(_)) => {
                        s.done_points += 1;
                        on_point(s.done_points);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        s.error.get_or_insert(e);
                        break;
                    }
                }
                s.next_write += 1;
            }
            wake.notify_all();
        }
    };
    pool.scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|_| worker());
        }
    });
    match state.into_inner().expect("no worker panics").error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Combines the outputs of shard runs (`shards`: their output folders) into `out`,
/// byte-identical to an unsharded run: rows are put back in task order, every task must be
/// present exactly once, and the summaries merge the rows' histograms.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<usize> {
    let mut rows = Vec::new();
    for dir in shards {
        let file = dir.join(output::JSONL);
        if !file.is_file() {
            return Err(invalid(
                &dir.display().to_string(),
                output::JSONL,
                "not found; expected the --out folder of a `faassim sweep --shard` run",
            ));
        }
        for (k, (line, row)) in output::read_rows(dir)?.into_iter().enumerate() {
            rows.push((file.display().to_string(), k + 1, line, row));
        }
    }
    let Some((first_file, _, _, first)) = rows.first() else {
        return Err(invalid("merge", ".", "the shard folders hold no results"));
    };
    let (hash, points, reps) = (first.experiment.clone(), first.points, first.replications);
    let params: Vec<String> = first.params.0.iter().map(|(k, _)| k.clone()).collect();
    let metrics: Vec<String> = first.metrics.0.iter().map(|(k, _)| k.clone()).collect();
    let first_file = first_file.clone();
    for (file, line, _, row) in &rows {
        output::check_metrics(row, &metrics, &format!("{file}:{line}"))?;
        if row.experiment != hash || row.points != points || row.replications != reps {
            return Err(invalid(
                &format!("{file}:{line}"),
                "experiment",
                format!(
                    "belongs to another experiment (hash {}) than {first_file} (hash {hash})",
                    row.experiment
                ),
            ));
        }
    }
    rows.sort_by_key(|(_, _, _, r)| (r.point, r.replication));
    let mut expected = (0..points).flat_map(|p| (0..reps).map(move |r| (p, r)));
    for (file, line, _, row) in &rows {
        let want = expected.next();
        let got = (row.point, row.replication);
        if want != Some(got) {
            let what = match want {
                Some((p, r)) if (p, r) < got => {
                    format!("point {p} replication {r} is missing (did every shard finish?)")
                }
                _ => format!("point {} replication {} appears twice", got.0, got.1),
            };
            return Err(invalid(&format!("{file}:{line}"), "point", what));
        }
    }
    if let Some((p, r)) = expected.next() {
        return Err(invalid(
            "merge",
            "point",
            format!("point {p} replication {r} is missing (did every shard finish?)"),
        ));
    }
    let mut sink = Sink::create(out, &params, &metrics, reps)?;
    for (_, _, line, row) in &rows {
        sink.push(line, row, None)?;
    }
    Ok(rows.len())
}
