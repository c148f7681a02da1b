//! The `faassim` command line: a thin layer over the library.
//!
//! It parses arguments, calls the library and prints. Results go to stdout (or `--out`);
//! progress and errors go to stderr. Exit codes: 0 success, 2 bad input or usage, 1 when
//! output cannot be written.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use faassim::profile;
use faassim::report::{self as report, FanOut, JsonLinesLog, WindowLog};
use faassim::sim::{self, RunOptions};
use faassim::sweep::{self, Experiment, SweepOptions};
use faassim::workload::TimestampReader;
use faassim::{Error, RunResult, Scenario, SimTime};

/// A discrete-event simulator of FaaS / serverless platforms.
#[derive(Debug, Parser)]
#[command(name = "faassim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario and report latency, cold starts and instances.
    Run(RunArgs),
    /// Check a scenario file (and the files it names), or a sweep's experiment file (and
    /// every point), without running it.
    Validate {
        /// The scenario (or experiment) JSON file.
        scenario: PathBuf,
    },
    /// Run a parameter sweep: an experiment file's grid of settings × replications.
    Sweep(SweepArgs),
    /// Combine the output folders of `sweep --shard` runs into one, as an unsharded run.
    Merge {
        /// The merged output folder.
        #[arg(long)]
        out: PathBuf,
        /// The shards' output folders.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
    },
    /// List the runtime profiles shipped with faassim, with sampled cold-start percentiles.
    Profiles {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List the platform profiles shipped with faassim, with their key rules.
    Platforms {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario JSON file.
    scenario: PathBuf,
    /// Seed for every random stream (overrides the file's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the results to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write every request as a JSON Lines record to this file (for small runs).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Write a per-window time series (CSV: one row per window and function with counts and
    /// latency percentiles) to this file.
    #[arg(long, value_name = "FILE.csv")]
    windows: Option<PathBuf>,
    /// Window width for `--windows`, seconds [default: 60].
    #[arg(long, value_name = "SECONDS", requires = "windows", value_parser = parse_window_s)]
    window_s: Option<f64>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct SweepArgs {
    /// The experiment JSON file (format: experiments/README.md, "Sweeps").
    experiment: PathBuf,
    /// Worker threads [default: the number of cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Output folder [default: `<experiment file stem>-results` in the current folder].
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Keep the results already in the output folder and run only the missing ones.
    #[arg(long)]
    resume: bool,
    /// Run only slice I of N (0-based): the points whose index is I modulo N.
    #[arg(long, value_name = "I/N", value_parser = sweep::Shard::parse)]
    shard: Option<sweep::Shard>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned text for the terminal.
    Table,
    /// JSON (the full result).
    Json,
    /// CSV: one row per function plus a total row.
    Csv,
}

impl From<Format> for report::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Table => report::Format::Table,
            Format::Json => report::Format::Json,
            Format::Csv => report::Format::Csv,
        }
    }
}

/// What went wrong, and which exit code it deserves.
enum Failure {
    Input(Error),
    Output(String, io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Output { what, source } => Failure::Output(what, source),
            other => Failure::Input(other),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { scenario } => validate(&scenario),
        Command::Sweep(args) => run_sweep(args),
        Command::Merge { out, shards } => merge(&out, &shards),
        Command::Profiles { format } => profiles(format),
        Command::Platforms { format } => platforms(format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`faassim run ... | head`) is not an error.
        Err(Failure::Output(_, e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(what, e)) => {
            eprintln!("error: cannot write {what}: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Input(e)) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::from(2)
        }
    }
}

fn write_output(out: Option<&Path>, text: &str) -> Result<(), Failure> {
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| Failure::Output(path.display().to_string(), e))
        }
        None => {
            let mut stdout = io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Failure::Output("stdout".to_owned(), e))
        }
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating [{bar:40}] {percent}% of simulated time, ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

/// `--window-s`: a positive number of seconds, at least 1 µs.
fn parse_window_s(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 1e-6 => Ok(v),
        _ => Err(format!("expected seconds >= 0.000001, got `{text}`")),
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, Failure> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| Failure::Output(path.display().to_string(), e))
}

/// Malformed trace rows skipped in lenient mode are worth a warning on every load.
fn warn_trace_skips(scenario: &Scenario) {
    if let Some(t) = scenario.trace.as_ref().filter(|t| t.skipped_rows > 0) {
        eprintln!(
            "warning: traces: skipped {} malformed row(s) of {} (lenient mode); first: {}",
            t.skipped_rows,
            t.rows,
            t.skipped_examples.join("; ")
        );
    }
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let mut scenario = Scenario::load(&args.scenario)?;
    warn_trace_skips(&scenario);
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let bar = progress_bar(args.quiet);
    let mut on_progress = |fraction: f64| bar.set_position((fraction * 1000.0) as u64);
    let mut events = match &args.events {
        Some(path) => Some(JsonLinesLog::new(create(path)?, path.display().to_string())),
        None => None,
    };
    let mut windows = match &args.windows {
        Some(path) => {
            let names: Vec<&str> = scenario.functions.iter().map(|f| f.name.as_str()).collect();
            Some(WindowLog::new(
                create(path)?,
                path.display().to_string(),
                SimTime::from_secs(args.window_s.unwrap_or(60.0)),
                scenario.duration,
                &names,
            )?)
        }
        None => None,
    };
    let mut logs = FanOut::new();
    if let Some(log) = events.as_mut() {
        logs.push(log);
    }
    if let Some(log) = windows.as_mut() {
        logs.push(log);
    }
    let log: Option<&mut dyn sim::RequestLog> = if logs.is_empty() {
        None
    } else {
        Some(&mut logs)
    };
    let output = sim::run(
        &scenario,
        RunOptions {
            log,
            progress: Some(&mut on_progress),
        },
    )?;
    drop(logs);
    if let Some(log) = events {
        log.finish()?;
    }
    if let Some(log) = windows {
        log.finish()?;
    }
    bar.finish_and_clear();
    let result = RunResult::new(&scenario, &output);
    let text = report::Format::from(args.format).exporter().export(&result);
    write_output(args.out.as_deref(), &text)
}

fn run_sweep(args: SweepArgs) -> Result<(), Failure> {
    let exp = Experiment::load(&args.experiment)?;
    let shard = args.shard.unwrap_or(sweep::Shard::ALL);
    let out = args.out.unwrap_or_else(|| {
        let stem = args
            .experiment
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy();
        PathBuf::from(format!("{stem}-results"))
    });
    let threads = args.threads.map(|t| t as usize).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let owned = (0..exp.points.len()).filter(|p| shard.owns(*p)).count();
    let bar = if args.quiet || !io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(owned as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} sweeping [{bar:40}] {pos}/{len} points, {elapsed} elapsed, ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    };
    let opts = SweepOptions {
        threads,
        out: out.clone(),
        shard,
        resume: args.resume,
    };
    let report = sweep::run(&exp, &opts, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    if !args.quiet {
        eprintln!(
            "{}: {} point(s) × {} replication(s) of shard {}/{} ({} resumed) -> {}",
            exp.name,
            report.points,
            exp.replications,
            shard.index,
            shard.count,
            report.resumed,
            out.display()
        );
    }
    Ok(())
}

fn merge(out: &Path, shards: &[PathBuf]) -> Result<(), Failure> {
    let rows = sweep::merge(shards, out)?;
    eprintln!(
        "merged {rows} row(s) from {} shard(s) -> {}",
        shards.len(),
        out.display()
    );
    Ok(())
}

/// Whether `path` holds a sweep's experiment file (an object with a `base`) rather than a
/// scenario; unreadable or malformed files are left for the scenario loader to report.
fn is_experiment(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("base").is_some())
}

fn validate(path: &Path) -> Result<(), Failure> {
    if is_experiment(path) {
        let exp = Experiment::load(path)?;
        let text = format!(
            "ok: {}: experiment `{}`, {} point(s) × {} replication(s), parameters: {}\n",
            path.display(),
            exp.name,
            exp.points.len(),
            exp.replications,
            exp.params.join(", ")
        );
        return write_output(None, &text);
    }
    let scenario = Scenario::load(path)?;
    warn_trace_skips(&scenario);
    // Trace files are read lazily during a run; read them through now.
    let own = scenario
        .functions
        .iter()
        .filter_map(|f| f.workload.as_ref());
    for w in own.chain(scenario.sources.workloads()) {
        for path in w.timestamp_files() {
            let mut reader = TimestampReader::open(path)?;
            while reader.next_time()?.is_some() {}
        }
    }
    let mut text = format!(
        "ok: {}: scenario `{}`, platform {}, {} function(s), {} s\n",
        path.display(),
        scenario.name,
        scenario.platform.name,
        scenario.functions.len(),
        scenario.duration.as_secs()
    );
    if let Some(t) = &scenario.trace {
        text.push_str(&format!(
            "traces: {} row(s) read ({} skipped), {} function(s) generated from {} candidate(s), {} invocation(s) in the window\n",
            t.rows, t.skipped_rows, t.functions, t.candidates, t.invocations
        ));
    }
    write_output(None, &text)
}

/// Samples drawn per profile for `faassim profiles`.
const PROFILE_SAMPLES: usize = 100_000;

fn profiles(format: Format) -> Result<(), Failure> {
    let platform = profile::embedded_platform("aws-lambda")?;
    let rows = profile::summarise_runtimes(&platform, PROFILE_SAMPLES)?;
    let text = report::profiles::runtimes(&rows, &platform.name, PROFILE_SAMPLES, format.into());
    write_output(None, &text)
}

fn platforms(format: Format) -> Result<(), Failure> {
    let rows = profile::summarise_platforms()?;
    write_output(None, &report::profiles::platforms(&rows, format.into()))
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
