//! Warm-up pings: the home-made "keep it warm" mitigation.
//!
//! Every `every_s` seconds (the first at `start_s`) the function receives `concurrency`
//! simultaneous pings. Each ping is an invocation like any other for the platform: it takes
//! an idle instance or starts one (so k simultaneous pings keep k instances warm), it
//! occupies the instance for `exec_ms`, and it is billed; but pings are counted apart and
//! kept out of the user's latency figures.

use serde::Deserialize;

use crate::config::check;
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
        let every = check::positive_seconds(self.every_s, format!("{field}.every_s"))?;
        check::at_least(
            self.concurrency,
            1,
            format!("{field}.concurrency"),
            "concurrent ping",
        )?;
        let start = check::seconds(self.start_s, format!("{field}.start_s"))?;
        Ok(Warmers {
            // A period below 1 ns rounds to 1 ns, so pings always move time forward.
            every: every.max(SimTime(1)),
            concurrency: self.concurrency,
            start,
            exec: match &self.exec_ms {
                Some(d) => d.validate(&format!("{field}.exec_ms"))?,
                None => Dist::Const(1.0),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Left out, the fields take their documented defaults: one ping per round, the first
    /// round at 0, pings of 1 ms.
    #[test]
    fn defaults_are_one_ping_from_time_zero() {
        let spec: WarmersSpec = serde_json::from_str(r#"{"every_s": 300}"#).unwrap();
        let w = spec.validate("warmers").unwrap();
        assert_eq!(w.every, SimTime::from_secs(300.0));
        assert_eq!(w.concurrency, 1);
        assert_eq!(w.start, SimTime::ZERO);
        assert_eq!(w.exec, Dist::Const(1.0));
    }
}
