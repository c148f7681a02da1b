//! The `--windows` time series: one CSV row per time window and function.
//!
//! Columns: `window_start_s`, `function`, `finished` (requests that ended in the window:
//! `warm + cold + throttled`), `warm`, `cold`, `throttled`, then `p50_ms`, `p99_ms`,
//! `p999_ms`, `max_ms` and `mean_ms` of the response times of the served (warm or cold) requests that
//! ended in the window. A request belongs to the window that contains its end (a throttled
//! one ends when it arrives). Latency columns are empty when nothing was served; counts are
//! 0. Every window from 0 to the end of the arrival horizon (and beyond, while requests are
//! still finishing) gets a row for every function, so plots have a continuous time axis.
//!
//! Warm-up pings are left out; requests arriving during the warm-up are included (the
//! series describes the whole run, not only the measured part). Percentiles come from the
//! same HDR histograms as the run's results (3 significant digits, capped at the exact
//! maximum); the mean and the maximum are exact.
//!
//! It streams: records come in order of their end time, a window is written as soon as a
//! record beyond it arrives, and memory holds one window's counters and histograms per
//! function.

use std::collections::HashMap;
use std::io::Write;

use crate::error::{Error, Result};
use crate::metrics::Latency;
use crate::sim::{Outcome, RequestLog, RequestRecord};
use crate::time::SimTime;

/// The header line of the CSV.
pub const HEADER: &str =
    "window_start_s,function,finished,warm,cold,throttled,p50_ms,p99_ms,p999_ms,max_ms,mean_ms";

#[derive(Default)]
struct Window {
    warm: u64,
    cold: u64,
    throttled: u64,
    latency: Latency,
}

/// Writes per-window counts and latency percentiles as CSV.
pub struct WindowLog<W: Write> {
    out: W,
    what: String,
    width: SimTime,
    horizon: SimTime,
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// The window being filled.
    current: u64,
    stats: Vec<Window>,
}

impl<W: Write> WindowLog<W> {
    /// Windows of `width` (at least 1 ns) for `functions` (rows in this order), written to `out` (named
    /// `what` in errors); rows run at least up to `horizon` (the arrival horizon).
    pub fn new(
        out: W,
        what: impl Into<String>,
        width: SimTime,
        horizon: SimTime,
        functions: &[&str],
    ) -> Result<Self> {
        if width == SimTime::ZERO {
            return Err(Error::Invalid {
                origin: "windows".to_owned(),
                field: "width".to_owned(),
                message: "expected a window of at least 1 ns".to_owned(),
            });
        }
        let mut log = WindowLog {
            out,
            what: what.into(),
            width,
            horizon,
            names: functions.iter().map(|s| (*s).to_owned()).collect(),
            index: functions
                .iter()
                .enumerate()
                .map(|(i, s)| ((*s).to_owned(), i))
                .collect(),
            current: 0,
            stats: functions.iter().map(|_| Window::default()).collect(),
        };
        writeln!(log.out, "{HEADER}").map_err(|e| log.fail(e))?;
        Ok(log)
    }

    fn fail(&self, source: std::io::Error) -> Error {
        Error::Output {
            what: self.what.clone(),
            source,
        }
    }

    /// Writes the current window's rows and starts the next one.
    fn close_window(&mut self) -> Result<()> {
        let start = SimTime(self.current.saturating_mul(self.width.0)).as_secs();
        for (name, w) in self.names.iter().zip(&mut self.stats) {
            let l = &w.latency;
            let ms = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.3}"));
            // One pass for the three (a small distribution is sorted once, not thrice).
            let q = l.quantiles_ms(&[0.5, 0.99, 0.999]);
            let line = format!(
                "{start},{name},{},{},{},{},{},{},{},{},{}\n",
                w.warm + w.cold + w.throttled,
                w.warm,
                w.cold,
                w.throttled,
                ms(q[0]),
                ms(q[1]),
                ms(q[2]),
                ms(l.max_ms()),
                ms(l.mean_ms()),
            );
            self.out
                .write_all(line.as_bytes())
                .map_err(|source| Error::Output {
                    what: self.what.clone(),
                    source,
                })?;
            *w = Window::default();
        }
        self.current += 1;
        Ok(())
    }

    /// Writes the remaining windows (through the horizon), flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        let last = self.horizon.0.div_ceil(self.width.0).max(self.current + 1);
        while self.current < last {
            self.close_window()?;
        }
        self.out.flush().map_err(|e| self.fail(e))?;
        Ok(self.out)
    }
}

impl<W: Write> RequestLog for WindowLog<W> {
    fn record(&mut self, r: &RequestRecord<'_>) -> Result<()> {
        if r.ping {
            return Ok(());
        }
        let window = r.end.0 / self.width.0;
        while self.current < window {
            self.close_window()?;
        }
        let f = match self.index.get(r.function) {
            Some(&f) => f,
            None => {
                // Not announced up front: it gets rows from this window on.
                self.names.push(r.function.to_owned());
                self.stats.push(Window::default());
                self.index
                    .insert(r.function.to_owned(), self.names.len() - 1);
                self.names.len() - 1
            }
        };
        let w = &mut self.stats[f];
        match r.outcome {
            Outcome::Warm => w.warm += 1,
            Outcome::Cold => w.cold += 1,
            Outcome::Throttled => {
                w.throttled += 1;
                return Ok(());
            }
        }
        w.latency.record(r.end - r.arrival);
        Ok(())
    }
}

/// Passes every record to several logs in turn (`--events` and `--windows` together).
#[derive(Default)]
pub struct FanOut<'a> {
    logs: Vec<&'a mut dyn RequestLog>,
}

impl<'a> FanOut<'a> {
    /// No logs yet.
    pub fn new() -> Self {
        FanOut { logs: Vec::new() }
    }

    /// Adds a log.
    pub fn push(&mut self, log: &'a mut dyn RequestLog) {
        self.logs.push(log);
    }

    /// Whether no log was added.
    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }
}

impl RequestLog for FanOut<'_> {
    fn record(&mut self, r: &RequestRecord<'_>) -> Result<()> {
        for log in &mut self.logs {
            log.record(r)?;
        }
        Ok(())
    }
}
