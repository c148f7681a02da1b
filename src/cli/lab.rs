//! `faassim lab list` and `faassim lab check N [--quick]`: the teaching labs' catalogue and
//! their instructor key, run by the library's `faassim::lab`.

use std::fmt::Write as _;
use std::path::PathBuf;

use faassim::lab::{self, LABS, Size};

use super::args::LabCommand;
use super::{Failure, Printout};

/// Runs a `lab` subcommand.
pub fn lab(command: LabCommand) -> Result<Printout, Failure> {
    match command {
        LabCommand::List => Ok(Printout::stdout(list())),
        LabCommand::Check { number, quick, dir } => check(number, quick, dir),
    }
}

/// The catalogue: number, title, folder.
fn list() -> String {
    let mut out = String::new();
    for l in LABS {
        let _ = writeln!(
            out,
            "{:>2}  {:<90}  experiments/labs/{}/",
            l.number,
            l.title,
            l.folder()
        );
    }
    out
}

/// Runs lab `number`'s key and prints each figure beside its expected range.
fn check(number: u32, quick: bool, dir: Option<PathBuf>) -> Result<Printout, Failure> {
    let l = lab::lab(number)?;
    let dir = dir.unwrap_or_else(lab::default_dir);
    if !dir.join(l.folder()).is_dir() {
        return Err(Failure::Input(faassim::Error::Invalid {
            origin: "command line".to_owned(),
            field: "--dir".to_owned(),
            message: format!(
                "`{}` has no folder {}; expected the experiments/labs folder of a faassim checkout (run from the repository root, or pass --dir)",
                dir.display(),
                l.folder()
            ),
        }));
    }
    let size = if quick { Size::Quick } else { Size::Full };
    let figures = l.check(&dir, size)?;
    let mut out = format!(
        "lab {}: {} ({}{})\n\n",
        l.number,
        l.title,
        dir.join(l.folder()).display(),
        if quick { ", quick sizes" } else { "" }
    );
    for f in &figures {
        let _ = writeln!(
            out,
            "{} {}\n    measured {}   expected {}\n    from: {}",
            if f.holds { "ok  " } else { "FAIL" },
            f.name,
            lab::num(f.measured),
            f.expected(),
            f.closed_form
        );
    }
    let failed = figures.iter().filter(|f| !f.holds).count();
    let _ = writeln!(
        out,
        "\n{} of {} key figures hold",
        figures.len() - failed,
        figures.len()
    );
    if failed > 0 {
        return Err(Failure::Check {
            text: out,
            message: format!(
                "lab {number}: {failed} of {} key figure(s) do not hold (marked FAIL above)",
                figures.len()
            ),
        });
    }
    Ok(Printout::stdout(out))
}
