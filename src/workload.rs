//! Arrival processes.
//!
//! A [`WorkloadSpec`] is the `workload` object of a function as written; [`Workload`] is
//! the validated description; [`ArrivalSource`] is the running generator. Sources are lazy:
//! the simulation asks for the next arrival only when the previous one fires, so memory does
//! not grow with simulated time, and trace files are read as a stream.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use rand_distr::{Distribution, Exp1};
use serde::Deserialize;

use crate::error::{Error, FieldError, Result};
use crate::rng::SimRng;
use crate::time::SimTime;

/// A function's `workload`, as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkloadSpec {
    /// `{"kind": "poisson", "rate_per_s": 20}`
    Poisson(PoissonSpec),
    /// `{"kind": "constant", "interval_s": 30}`
    Constant(ConstantSpec),
    /// `{"kind": "timestamps", "path": "arrivals.csv"}`
    Timestamps(TimestampsSpec),
}

/// Poisson arrivals.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PoissonSpec {
    /// Mean arrivals per second, > 0.
    pub rate_per_s: f64,
}

/// Evenly spaced arrivals.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConstantSpec {
    /// Seconds between arrivals, > 0.
    pub interval_s: f64,
    /// Time of the first arrival, seconds (default 0).
    #[serde(default)]
    pub start_s: f64,
}

/// Arrival times read from a file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimestampsSpec {
    /// A text file with one arrival time (seconds from the start of the run) per line, in
    /// non-decreasing order; blank lines and lines starting with `#` are skipped. Relative
    /// paths start from the scenario file's folder.
    pub path: PathBuf,
}

/// A validated workload.
#[derive(Debug, Clone, PartialEq)]
pub enum Workload {
    /// Poisson with this rate (per second).
    Poisson {
        /// Mean arrivals per second.
        rate_per_s: f64,
    },
    /// One arrival every `interval`, the first at `start`.
    Constant {
        /// The gap.
        interval: SimTime,
        /// The first arrival.
        start: SimTime,
    },
    /// Arrival times from this file (already resolved against the scenario's folder).
    Timestamps {
        /// The file.
        path: PathBuf,
    },
}

fn positive(v: f64, field: String, what: &str) -> Result<f64, FieldError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected {what} > 0, got {v}"),
        ))
    }
}

impl WorkloadSpec {
    /// Validates; relative trace paths are resolved against `base_dir`.
    pub fn validate(&self, field: &str, base_dir: &Path) -> Result<Workload, FieldError> {
        Ok(match self {
            WorkloadSpec::Poisson(p) => Workload::Poisson {
                rate_per_s: positive(
                    p.rate_per_s,
                    format!("{field}.rate_per_s"),
                    "a rate per second",
                )?,
            },
            WorkloadSpec::Constant(c) => {
                let interval = positive(
                    c.interval_s,
                    format!("{field}.interval_s"),
                    "an interval in seconds",
                )?;
                if !(c.start_s.is_finite() && c.start_s >= 0.0) {
                    return Err(FieldError::new(
                        format!("{field}.start_s"),
                        format!("expected a time in seconds >= 0, got {}", c.start_s),
                    ));
                }
                let interval = SimTime::from_secs(interval);
                if interval == SimTime::ZERO {
                    return Err(FieldError::new(
                        format!("{field}.interval_s"),
                        "expected an interval of at least 1 ns",
                    ));
                }
                Workload::Constant {
                    interval,
                    start: SimTime::from_secs(c.start_s),
                }
            }
            WorkloadSpec::Timestamps(t) => Workload::Timestamps {
                path: base_dir.join(&t.path),
            },
        })
    }
}

impl Workload {
    /// Mean arrival rate per second, when the workload has one in closed form.
    pub fn mean_rate_per_s(&self) -> Option<f64> {
        match self {
            Workload::Poisson { rate_per_s } => Some(*rate_per_s),
            Workload::Constant { interval, .. } => Some(1.0 / interval.as_secs()),
            Workload::Timestamps { .. } => None,
        }
    }

    /// Starts a generator. Opens trace files (errors name the file).
    pub fn start(&self, rng: SimRng) -> Result<ArrivalSource> {
        Ok(match self {
            Workload::Poisson { rate_per_s } => ArrivalSource::Poisson {
                mean_gap_s: 1.0 / rate_per_s,
                last: SimTime::ZERO,
                rng,
            },
            Workload::Constant { interval, start } => ArrivalSource::Constant {
                interval: *interval,
                next: *start,
            },
            Workload::Timestamps { path } => {
                ArrivalSource::Timestamps(TimestampReader::open(path)?)
            }
        })
    }
}

/// A running arrival generator.
#[derive(Debug)]
pub enum ArrivalSource {
    /// Exponential gaps.
    Poisson {
        /// 1 / rate, seconds.
        mean_gap_s: f64,
        /// The previous arrival.
        last: SimTime,
        /// The arrival stream.
        rng: SimRng,
    },
    /// Fixed gaps.
    Constant {
        /// The gap.
        interval: SimTime,
        /// The next arrival.
        next: SimTime,
    },
    /// A file read line by line.
    Timestamps(TimestampReader),
    /// No arrivals (a function invoked only by event sources, workflows or calls).
    Empty,
}

impl ArrivalSource {
    /// The next arrival time, or `None` when the source is exhausted.
    #[inline]
    pub fn next_arrival(&mut self) -> Result<Option<SimTime>> {
        match self {
            ArrivalSource::Poisson {
                mean_gap_s,
                last,
                rng,
            } => {
                let gap: f64 = Exp1.sample(rng);
                *last = last.saturating_add(SimTime::from_secs(gap * *mean_gap_s));
                Ok(Some(*last))
            }
            ArrivalSource::Constant { interval, next } => {
                let t = *next;
                *next = next.saturating_add(*interval);
                Ok(Some(t))
            }
            ArrivalSource::Timestamps(r) => r.next_time(),
            ArrivalSource::Empty => Ok(None),
        }
    }
}

/// Streams arrival times from a text file, checking order as it goes.
#[derive(Debug)]
pub struct TimestampReader {
    path: PathBuf,
    reader: BufReader<File>,
    line_no: u64,
    last: SimTime,
    buf: String,
}

impl TimestampReader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<TimestampReader> {
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(TimestampReader {
            path: path.to_owned(),
            reader: BufReader::with_capacity(1 << 16, file),
            line_no: 0,
            last: SimTime::ZERO,
            buf: String::new(),
        })
    }

    /// The next time in the file, or `None` at its end.
    pub fn next_time(&mut self) -> Result<Option<SimTime>> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_line(&mut self.buf)
                .map_err(|source| Error::Io {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let text = self.buf.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let bad = |message: String| Error::Data {
                path: self.path.clone(),
                line: self.line_no,
                message,
            };
            let secs: f64 = text.parse().map_err(|_| {
                bad(format!(
                    "expected an arrival time in seconds (a number), got `{text}`"
                ))
            })?;
            if !(secs.is_finite() && secs >= 0.0) {
                return Err(bad(format!(
                    "expected an arrival time in seconds >= 0, got {secs}"
                )));
            }
            let t = SimTime::from_secs(secs);
            if t < self.last {
                return Err(bad(format!(
                    "arrival times must not decrease: {secs} s comes after {} s",
                    self.last.as_secs()
                )));
            }
            self.last = t;
            return Ok(Some(t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    #[test]
    fn constant_source_is_evenly_spaced() {
        let w = Workload::Constant {
            interval: SimTime::from_secs(30.0),
            start: SimTime::from_secs(5.0),
        };
        let mut s = w.start(stream(0, 0, Stream::Arrivals)).unwrap();
        let times: Vec<f64> = (0..3)
            .map(|_| s.next_arrival().unwrap().unwrap().as_secs())
            .collect();
        assert_eq!(times, vec![5.0, 35.0, 65.0]);
    }

    /// The number of Poisson arrivals in [0, T] has mean and variance λT.
    #[test]
    fn poisson_count_matches_rate() {
        let rate = 50.0;
        let horizon = SimTime::from_secs(2_000.0);
        let w = Workload::Poisson { rate_per_s: rate };
        let mut s = w.start(stream(9, 0, Stream::Arrivals)).unwrap();
        let mut n = 0u64;
        while s.next_arrival().unwrap().unwrap() < horizon {
            n += 1;
        }
        let expected = rate * horizon.as_secs();
        assert!(
            (n as f64 - expected).abs() < 4.0 * expected.sqrt(),
            "{n} arrivals, expected {expected} ± {}",
            4.0 * expected.sqrt()
        );
    }

    #[test]
    fn timestamp_errors_name_file_and_line() {
        let dir = std::env::temp_dir().join(format!("faassim-ts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.csv");
        std::fs::write(&path, "# header\n0.5\n\n1.5\n1.0\n").unwrap();
        let mut r = TimestampReader::open(&path).unwrap();
        assert_eq!(r.next_time().unwrap(), Some(SimTime::from_secs(0.5)));
        assert_eq!(r.next_time().unwrap(), Some(SimTime::from_secs(1.5)));
        let err = r.next_time().unwrap_err().to_string();
        assert!(
            err.ends_with("a.csv:5: arrival times must not decrease: 1 s comes after 1.5 s"),
            "{err}"
        );
        std::fs::write(&path, "0.5\nabc\n").unwrap();
        let mut r = TimestampReader::open(&path).unwrap();
        r.next_time().unwrap();
        let err = r.next_time().unwrap_err().to_string();
        assert!(
            err.ends_with("a.csv:2: expected an arrival time in seconds (a number), got `abc`"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
