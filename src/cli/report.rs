//! `faassim report`: draws a run's report folder or a sweep's output folder as SVG charts
//! and a self-contained `index.html` (the library's [`faassim::present`] does the work).

use faassim::present;

use super::args::ReportArgs;
use super::{Failure, Printout};

/// Builds the report of `args.input` into `args.out`.
pub fn report(args: ReportArgs) -> Result<Printout, Failure> {
    let report = present::report(&args.input, args.experiment.as_deref())?;
    let written = report.write(&args.out)?;
    Ok(Printout::Note(format!(
        "report: {} ({} charts); open it in a browser",
        written[0].display(),
        written.len() - 1
    )))
}
