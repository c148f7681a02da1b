//! `faassim profiles` and `faassim platforms`: the shipped profiles, listed by the library's
//! `report::profiles`.

use faassim::profile;
use faassim::report;

use super::args::Format;
use super::{Failure, Printout};

/// Samples drawn per profile for `faassim profiles`.
const PROFILE_SAMPLES: usize = 100_000;

/// The runtime profiles with cold-start percentiles sampled on AWS Lambda's sandbox.
pub fn profiles(format: Format) -> Result<Printout, Failure> {
    let platform = profile::embedded_platform("aws-lambda")?;
    let rows = profile::summarise_runtimes(&platform, PROFILE_SAMPLES)?;
    Ok(Printout::stdout(report::profiles::runtimes(
        &rows,
        &platform.name,
        PROFILE_SAMPLES,
        format.into(),
    )))
}

/// The platform profiles with their key rules.
pub fn platforms(format: Format) -> Result<Printout, Failure> {
    let rows = profile::summarise_platforms()?;
    Ok(Printout::stdout(report::profiles::platforms(
        &rows,
        format.into(),
    )))
}
