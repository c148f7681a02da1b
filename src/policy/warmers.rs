//! Warm-up pings: the home-made "keep it warm" mitigation.
//!
//! Every `every_s` seconds (the first at `start_s`) the function receives `concurrency`
//! simultaneous pings. Each ping is an invocation like any other for the platform: it takes
//! an idle instance or starts one (so k simultaneous pings keep k instances warm), it
//! occupies the instance for `exec_ms`, and it is billed; but pings are counted apart and
//! kept out of the user's latency figures.

use serde::Deserialize;

use crate::dist::{Dist, DistSpec};
use crate::error::FieldError;
use crate::time::SimTime;

/// `{"every_s": 300, "concurrency": 5}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WarmersSpec {
    /// Period, seconds.
    pub every_s: f64,
    /// Simultaneous pings per round (default 1).
    #[serde(default = "one")]
    pub concurrency: u32,
    /// Time of the first round, seconds (default 0).
    #[serde(default)]
    pub start_s: f64,
    /// Duration of a ping's execution, ms (default 1 ms: a handler that returns at once).
    #[serde(default)]
    pub exec_ms: Option<DistSpec>,
}

fn one() -> u32 {
    1
}

/// Validated warmers.
#[derive(Debug, Clone, PartialEq)]
pub struct Warmers {
    /// Period.
    pub every: SimTime,
    /// Pings per round.
    pub concurrency: u32,
    /// First round.
    pub start: SimTime,
    /// Ping execution time.
    pub exec: Dist,
}

impl WarmersSpec {
    /// Validates; `field` is the spec's path for errors.
    pub fn validate(&self, field: &str) -> Result<Warmers, FieldError> {
        if !(self.every_s.is_finite() && self.every_s > 0.0) {
            return Err(FieldError::new(
                format!("{field}.every_s"),
                format!("expected a period in seconds > 0, got {}", self.every_s),
            ));
        }
        if self.concurrency == 0 {
            return Err(FieldError::new(
                format!("{field}.concurrency"),
                "expected at least 1",
            ));
        }
        if !(self.start_s.is_finite() && self.start_s >= 0.0) {
            return Err(FieldError::new(
                format!("{field}.start_s"),
                "expected seconds >= 0",
            ));
        }
        Ok(Warmers {
            every: SimTime::from_secs(self.every_s).max(SimTime(1)),
            concurrency: self.concurrency,
            start: SimTime::from_secs(self.start_s),
            exec: match &self.exec_ms {
                Some(d) => d.validate(&format!("{field}.exec_ms"))?,
                None => Dist::Const(1.0),
            },
        })
    }
}
