//! The command line's arguments: clap's definitions of every subcommand and option. The
//! help text comes from the doc comments here.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use faassim::report;
use faassim::sweep;

/// A discrete-event simulator of FaaS / serverless platforms.
#[derive(Debug, Parser)]
#[command(name = "faassim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// The subcommands (their doc comments are the help text).
#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Draw a run's report folder (`run --report DIR`) or a sweep's output folder as SVG
    /// charts and a self-contained index.html.
    Report(ReportArgs),
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
    /// The teaching labs (experiments/labs/): list them, or check a lab's key figures.
    #[command(subcommand)]
    Lab(LabCommand),
}

// `faassim lab` (doc comments are help text).
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// List the labs: number, title, folder.
    List,
    /// Run a lab's instructor key: each key figure beside its expected range (exit code 1
    /// when any does not hold).
    Check {
        /// The lab's number (`faassim lab list`).
        number: u32,
        /// Shorter runs (what the tests use); the tolerances widen accordingly.
        #[arg(long)]
        quick: bool,
        /// The labs folder [default: experiments/labs].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

// `faassim run` (doc comments on clap types are help text, so plain comments here).
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("window_outputs").args(["windows", "report"]).multiple(true))]
pub struct RunArgs {
    /// The scenario JSON file.
    pub scenario: PathBuf,
    /// Seed for every random stream (overrides the file's `seed`).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the results to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write every request as a JSON Lines record to this file (for small runs).
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Write a per-window time series (CSV: one row per window and function with counts and
    /// latency percentiles) to this file.
    #[arg(long, value_name = "FILE.csv")]
    pub windows: Option<PathBuf>,
    /// Window width for `--windows` and `--report`, seconds [default: 60 for `--windows`;
    /// for `--report`, a width giving at most 200 windows].
    #[arg(long, value_name = "SECONDS", requires = "window_outputs", allow_negative_numbers = true, value_parser = parse_window_s)]
    pub window_s: Option<f64>,
    /// Also write a report folder: the result (result.json), per-window series
    /// (windows.csv), latency histograms (report.json), SVG charts and a self-contained
    /// index.html to open in a browser.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Threads for a scenario whose functions run apart (they share nothing and are 16 or
    /// more); the results do not depend on it [default: the number of cores].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_threads)]
    pub threads: Option<u32>,
}

// `faassim report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A run's report folder (`faassim run SCENARIO --report DIR`) or a sweep's output
    /// folder (`faassim sweep`).
    pub input: PathBuf,
    /// Where to write the charts and index.html (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// The sweep's experiment file: draws the closed forms that apply (e^(−λT), Erlang B)
    /// beside the simulated points.
    #[arg(long)]
    pub experiment: Option<PathBuf>,
}

// `faassim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The experiment JSON file (format: experiments/README.md, "Sweeps").
    pub experiment: PathBuf,
    /// Worker threads [default: the number of cores].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_threads)]
    pub threads: Option<u32>,
    /// Output folder [default: `<experiment file stem>-results` in the current folder].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Keep the results already in the output folder and run only the missing ones.
    #[arg(long)]
    pub resume: bool,
    /// Run only slice I of N (0-based): the points whose index is I modulo N.
    #[arg(long, value_name = "I/N", value_parser = sweep::Shard::parse)]
    pub shard: Option<sweep::Shard>,
}

// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
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

/// `--window-s`: a positive number of seconds, at least 1 µs.
fn parse_window_s(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 1e-6 => Ok(v),
        _ => Err(format!("expected seconds >= 0.000001, got `{text}`")),
    }
}

/// `--seed`: a u64 (clap's own message did not say the range, and took `-1` for a flag).
fn parse_seed(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| {
        format!(
            "expected a whole number from 0 to {}, got `{text}`",
            u64::MAX
        )
    })
}

/// The number of threads `--threads` asks for, or the number of cores.
pub fn threads_or_cores(threads: Option<u32>) -> usize {
    threads.map(|t| t as usize).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    })
}

/// `--threads`: 1 to 1024.
fn parse_threads(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number from 1 to 1024, got `{text}`"
        )),
    }
}

/// The one-line message of a command line whose value a parser refused
/// (`--seed: expected a whole number from 0 to ..., got `-1``), or `None` for clap's
/// other errors (see [`usage_error`]).
pub fn value_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let ContextValue::String(arg) = e.get(ContextKind::InvalidArg)? else {
        return None;
    };
    let flag = arg.split(' ').next().unwrap_or(arg);
    let why = std::error::Error::source(e)?;
    Some(format!("{flag}: {why}"))
}

/// A usage mistake (an unknown flag, a missing argument, an unknown command) as one line:
/// clap's message, its details and tip, and the usage line, joined; `None` for help and
/// version requests, which print clap's text as asked.
pub fn usage_error(e: &clap::Error) -> Option<String> {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        return None;
    }
    let text = e.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    let mut usage = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u.to_owned());
        } else if line.starts_with("For more information") {
            continue;
        } else {
            parts.push(line.strip_prefix("error: ").unwrap_or(line).to_owned());
        }
    }
    let mut message = String::new();
    for part in parts {
        if !message.is_empty() {
            message.push_str(if part.starts_with("tip:") { "; " } else { " " });
        }
        message.push_str(&part);
    }
    if let Some(u) = usage {
        message.push_str(&format!("; usage: {u} (--help lists the options)"));
    }
    Some(message)
}
