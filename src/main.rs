//! The `faassim` command line: a thin layer over the library.
//!
//! It parses arguments, hands them to a command (`cli`) and prints what the command
//! returns. Results go to stdout (or `--out`); progress, notes and errors go to stderr.
//! Exit codes: 0 success, 2 bad input or usage, 1 when output cannot be written.

#![forbid(unsafe_code)]

mod cli;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, Failure, Printout};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => match cli::args::value_error(&e) {
            // A refused value: one line naming the flag, the value and what was expected.
            Some(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
            None => match cli::args::usage_error(&e) {
                // A usage mistake: one line too, with the usage.
                Some(message) => {
                    eprintln!("error: command line: {message}");
                    return ExitCode::from(2);
                }
                // Help and version: clap's text, as asked.
                None => e.exit(),
            },
        },
    };
    let printed = match cli.command {
        Command::Run(args) => cli::run(args),
        Command::Validate { scenario } => cli::validate(&scenario),
        Command::Sweep(args) => cli::sweep(args),
        Command::Merge { out, shards } => cli::merge(&out, &shards),
        Command::Report(args) => cli::report(args),
        Command::Profiles { format } => cli::profiles(format),
        Command::Platforms { format } => cli::platforms(format),
        Command::Lab(command) => cli::lab(command),
    }
    .and_then(print);
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`faassim run ... | head`) is not an error.
        Err(Failure::Output(_, e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(what, e)) => {
            eprintln!("error: cannot write {what}: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Check { text, message }) => {
            // The report first (stdout), then why the command fails (stderr).
            let _ = write_output(None, &text);
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Input(e)) => {
            // Every message already carries its cause (`Error::Io` prints the OS error), so
            // the source chain is not printed again.
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes what a command returned where it belongs.
fn print(printout: Printout) -> Result<(), Failure> {
    match printout {
        Printout::Results { text, to } => write_output(to.as_deref(), &text),
        Printout::Run { result, format, to } => {
            write_with(to.as_deref(), |out| format.exporter().write(&result, out))
        }
        Printout::Note(note) => {
            eprintln!("{note}");
            Ok(())
        }
        Printout::Nothing => Ok(()),
    }
}

/// Runs `write` on the file `out` (created, buffered), or on stdout, and flushes it.
fn write_with(
    out: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let (what, result) = match out {
        Some(path) => (
            path.display().to_string(),
            std::fs::File::create(path).and_then(|f| {
                let mut w = io::BufWriter::new(f);
                write(&mut w).and_then(|()| w.flush())
            }),
        ),
        None => {
            let mut w = io::BufWriter::new(io::stdout().lock());
            ("stdout".to_owned(), write(&mut w).and_then(|()| w.flush()))
        }
    };
    result.map_err(|e| Failure::Output(what, e))
}

/// Writes `text` to the file `out`, or to stdout.
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
