//! The commands of the `faassim` binary: their arguments (`args`), what each does
//! (`run`, `sweep`, `validate`, `profiles`), the progress bar they share (`progress`),
//! and what they hand back to `main` to print.
//!
//! Commands never print results themselves: they return a [`Printout`], and `main` writes
//! it and turns failures into exit codes. (Warnings about a scenario's input are printed
//! when they are found, before a long run starts.)

pub mod args;
mod profiles;
mod progress;
mod run;
mod sweep;
mod validate;

use std::io;
use std::path::PathBuf;

use faassim::Error;

pub use args::{Cli, Command};
pub use profiles::{platforms, profiles};
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
