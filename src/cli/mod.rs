//! The commands of the `faassim` binary: their arguments (`args`), what each does
//! (`run`, `sweep`, `validate`, `profiles`, `lab`), the progress bar they share (`progress`),
//! and what they hand back to `main` to print.
//!
//! Commands never print results themselves: they return a [`Printout`], and `main` writes
//! it and turns failures into exit codes. (Warnings about a scenario's input are printed
//! when they are found, before a long run starts.)

pub mod args;
mod lab;
mod profiles;
mod progress;
mod report;
mod run;
mod sweep;
mod validate;

use std::io;
use std::path::{Path, PathBuf};

use faassim::Error;

pub use args::{Cli, Command};
pub use lab::lab;
pub use profiles::{platforms, profiles};
pub use report::report;
pub use run::run;
pub use sweep::{merge, sweep};
pub use validate::validate;

/// What a command leaves for `main` to print.
pub enum Printout {
    /// Results for stdout, or for the `--out` file when there is one.
    Results {
        /// The text.
        text: String,
        /// The file to write instead of stdout.
        to: Option<PathBuf>,
    },
    /// A run's results in a format, written (streamed) to stdout or the `--out` file.
    Run {
        /// The results.
        result: Box<faassim::RunResult>,
        /// Their format.
        format: faassim::report::Format,
        /// The file to write instead of stdout.
        to: Option<PathBuf>,
    },
    /// A closing note for stderr (what a command that writes files did).
    Note(String),
    /// Nothing to print.
    Nothing,
}

impl Printout {
    /// Results for stdout.
    fn stdout(text: String) -> Printout {
        Printout::Results { text, to: None }
    }
}

/// What went wrong, and which exit code it deserves.
pub enum Failure {
    /// Bad input (a scenario, an experiment, a trace): exit code 2.
    Input(Error),
    /// A lab's key figures that do not hold: the report for stdout, and why: exit code 1.
    Check {
        /// The report, every figure beside its expected range.
        text: String,
        /// The one-line error.
        message: String,
    },
    /// Output that cannot be written (named, with why): exit code 1.
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

/// Prints the scenario's warnings, and the malformed trace rows skipped in lenient mode,
/// on every load.
fn warn(scenario: &faassim::Scenario) {
    for w in scenario.warnings() {
        eprintln!("warning: {}: {w}", scenario.origin);
    }
    if let Some(t) = scenario.trace.as_ref().filter(|t| t.skipped_rows > 0) {
        eprintln!(
            "warning: traces: skipped {} malformed row(s) of {} (lenient mode); first: {}",
            t.skipped_rows,
            t.rows,
            t.skipped_examples.join("; ")
        );
    }
}

/// Top-level keys only an experiment has.
const EXPERIMENT_KEYS: [&str; 5] = ["base", "grid", "zip", "sample", "replications"];
/// Top-level keys only a scenario has (`name`, `description` and `seed` are shared).
const SCENARIO_KEYS: [&str; 12] = [
    "duration_s",
    "warmup_s",
    "platform",
    "platform_overrides",
    "functions",
    "cost",
    "databases",
    "traces",
    "queues",
    "streams",
    "workflows",
    "slo_ms",
];

/// Which kind of document a file holds, told by its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doc {
    /// A scenario key and no experiment key (or neither, or not an object).
    Scenario,
    /// An experiment key (this one) and no scenario key.
    Experiment(&'static str),
}

/// The kind of the document at `path`, or an error naming both keys when it mixes them.
/// Unreadable or malformed files count as the kind asked for, for its loader to report.
fn doc_kind(path: &Path, asked: Doc) -> Result<Doc, Failure> {
    let Some(serde_json::Value::Object(map)) = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
    else {
        return Ok(asked);
    };
    let exp = EXPERIMENT_KEYS.into_iter().find(|k| map.contains_key(*k));
    let scen = SCENARIO_KEYS.into_iter().find(|k| map.contains_key(*k));
    match (exp, scen) {
        (Some(e), Some(s)) => Err(Failure::Input(Error::Invalid {
            origin: path.display().to_string(),
            field: e.to_owned(),
            message: format!(
                "a file is a scenario or an experiment, but this one has both `{e}` (experiment) and `{s}` (scenario); put the scenario in the experiment's `base`, or remove `{e}`"
            ),
        })),
        (Some(e), None) => Ok(Doc::Experiment(e)),
        (None, Some(_)) => Ok(Doc::Scenario),
        (None, None) => Ok(asked),
    }
}

/// Refuses a document of the other kind than `want`, saying which command takes it.
fn expect_doc(path: &Path, want: Doc) -> Result<(), Failure> {
    let shown = path.display().to_string();
    match (doc_kind(path, want)?, want) {
        (Doc::Experiment(key), Doc::Scenario) => Err(Failure::Input(Error::Invalid {
            origin: shown.clone(),
            field: key.to_owned(),
            message: format!(
                "this is a sweep's experiment file (it has `{key}`), not a scenario; run it with `faassim sweep {shown}`"
            ),
        })),
        (Doc::Scenario, Doc::Experiment(_)) => Err(Failure::Input(Error::Invalid {
            origin: shown.clone(),
            field: ".".to_owned(),
            message: format!(
                "this is a scenario file (it has no `base`), not an experiment; run it with `faassim run {shown}`, or write an experiment whose `base` names it"
            ),
        })),
        _ => Ok(()),
    }
}
