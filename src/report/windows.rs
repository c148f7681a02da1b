//! The `--windows` time series: one CSV row per time window and function.
//!
//! Columns: `window_start_s`, `function`, `finished` (requests that ended in the window:
//! `warm + cold + throttled`), `warm`, `cold`, `throttled`, then `p50_ms`, `p99_ms`,
//! `p999_ms`, `max_ms` and `mean_ms` of the response times of the served (warm or cold)
//! requests that ended in the window; `arrivals` (requests that arrived in the window),
//! the throttles by cause `throttled_concurrency`, `throttled_scale_out`,
//! `throttled_memory`, `throttled_pending_timeout` (they add up to `throttled`); and the
//! instances, each as its time average over the window and the most at once within it:
//! `instances_mean`, `instances_max` (starting + busy + idle), `busy_mean`, `busy_max`,
//! `idle_mean`, `idle_max`, `starting_mean`, `starting_max`, `provisioned_mean`,
//! `provisioned_max` (provisioned instances allocated: starting or ready), and
//! `provisioned_utilisation` (busy provisioned instance-time / ready provisioned
//! instance-time in the window, as the run's `provisioned.utilisation`).
//!
//! A request belongs to the window that contains its end (a throttled one ends when it
//! arrives) in the request columns, and to the window of its arrival in `arrivals`.
//! Latency columns are empty when nothing was served, `provisioned_utilisation` when no
//! provisioned instance was ready; counts are 0. Instance levels are piecewise constant
//! and integrated exactly, in integer nanoseconds, across window boundaries. A maximum is
//! the most at any instant of the window: it counts a level reached and left at one
//! instant (an instance started and another evicted at the same time), as the run's
//! `max_total` does, but not the level carried in when it changes at the window's very
//! start. Every window from 0 to the end of the arrival
//! horizon, and beyond it while requests finish or instances change (the last keep-alive
//! expiries), gets a row for every function, so plots have a continuous time axis.
//!
//! Warm-up pings are left out of the request columns and `arrivals`, but the instances
//! they start or keep busy count; requests arriving during the warm-up are included (the
//! series describes the whole run, not only the measured part). Every attempt of an
//! asynchronous event, every call and every batch is a request, so over the whole run the
//! `arrivals` add up to `finished`. Percentiles come from the same HDR histograms as the
//! run's results (3 significant digits, capped at the exact maximum); the mean and the
//! maximum are exact.
//!
//! It streams: records come in time order (arrivals and instance changes when they happen,
//! requests when they end), a window is written as soon as a record beyond it arrives, and
//! memory holds one window's counters, histograms and instance levels per function.

use std::collections::HashMap;
use std::io::Write;

use crate::error::{Error, Result};
use crate::metrics::Latency;
use crate::sim::{
    ArrivalRecord, InstanceChange, InstanceRecord, InstanceState, Outcome, RequestLog,
    RequestRecord, ThrottleCause,
};
use crate::time::SimTime;

/// The header line of the CSV.
pub const HEADER: &str = "window_start_s,function,finished,warm,cold,throttled,p50_ms,p99_ms,\
p999_ms,max_ms,mean_ms,arrivals,throttled_concurrency,throttled_scale_out,throttled_memory,\
throttled_pending_timeout,instances_mean,instances_max,busy_mean,busy_max,idle_mean,idle_max,\
starting_mean,starting_max,provisioned_mean,provisioned_max,provisioned_utilisation";

/// One function's request counts in the window being filled.
#[derive(Default)]
struct Counts {
    warm: u64,
    cold: u64,
    throttled: u64,
    latency: Latency,
    arrivals: u64,
    /// Throttles by cause, in the order of the columns.
    causes: [u64; 4],
}

/// The instance quantities a row integrates, in this order: all, busy, idle, starting,
/// provisioned (allocated), then (for the utilisation only) provisioned busy and
/// provisioned ready.
const QUANTITIES: usize = 7;

/// One function's instances, by state (starting, busy, idle) and kind (on demand,
/// provisioned).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Levels([[u32; 2]; 3]);

impl Levels {
    fn row(state: InstanceState) -> usize {
        match state {
            InstanceState::Starting => 0,
            InstanceState::Busy => 1,
            InstanceState::Idle => 2,
        }
    }

    /// The instance moves from `from` to `to` (none: it appears or goes away).
    fn shift(&mut self, provisioned: bool, from: Option<InstanceState>, to: Option<InstanceState>) {
        let k = usize::from(provisioned);
        if let Some(s) = from {
            // A record out of step (a log fed by hand) cannot take a level below zero.
            let n = &mut self.0[Self::row(s)][k];
            *n = n.saturating_sub(1);
        }
        if let Some(s) = to {
            self.0[Self::row(s)][k] += 1;
        }
    }

    /// Applies one instance record.
    fn apply(&mut self, r: &InstanceRecord<'_>) {
        match r.change {
            InstanceChange::Started(_) => {
                self.shift(r.provisioned, None, Some(InstanceState::Starting))
            }
            InstanceChange::Ready | InstanceChange::Recycled => {}
            InstanceChange::Busy => self.shift(r.provisioned, r.from, Some(InstanceState::Busy)),
            InstanceChange::Idle => self.shift(r.provisioned, r.from, Some(InstanceState::Idle)),
            InstanceChange::Released => {
                let busy = Some(InstanceState::Busy);
                self.shift(true, busy, None);
                self.shift(false, None, busy);
            }
            InstanceChange::Evicted(_) => self.shift(r.provisioned, r.from, None),
        }
    }

    /// The quantities, in [`QUANTITIES`] order.
    fn quantities(&self) -> [u32; QUANTITIES] {
        let [starting, busy, idle] = self.0;
        let sum = |x: [u32; 2]| x[0] + x[1];
        [
            sum(starting) + sum(busy) + sum(idle),
            sum(busy),
            sum(idle),
            sum(starting),
            starting[1] + busy[1] + idle[1],
            busy[1],
            busy[1] + idle[1],
        ]
    }
}

/// One function's row in the making.
struct Function {
    name: String,
    counts: Counts,
    levels: Levels,
    /// Each quantity's level × ns over the window so far.
    area: [u128; QUANTITIES],
    /// Each quantity's most at once in the window so far.
    max: [u32; QUANTITIES],
    /// Time up to which `area` is integrated, ns (inside the window being filled).
    since: u64,
}

impl Function {
    fn new(name: &str, since: u64) -> Self {
        Function {
            name: name.to_owned(),
            counts: Counts::default(),
            levels: Levels::default(),
            area: [0; QUANTITIES],
            max: [0; QUANTITIES],
            since,
        }
    }

    /// Integrates the levels up to `t` (ns, not before `since`). Levels held for some
    /// time count in the maxima; levels replaced at the instant they were reached (the
    /// level carried into a window and changed at its very start) do not.
    fn integrate(&mut self, t: u64) {
        if t <= self.since {
            return;
        }
        let dt = u128::from(t - self.since);
        let levels = self.levels.quantities();
        for ((a, m), q) in self.area.iter_mut().zip(&mut self.max).zip(levels) {
            *a += u128::from(q) * dt;
            *m = (*m).max(q);
        }
        self.since = t;
    }
}

/// Writes per-window counts, latency percentiles and instance levels as CSV.
pub struct WindowLog<W: Write> {
    out: W,
    what: String,
    width: SimTime,
    horizon: SimTime,
    funcs: Vec<Function>,
    index: HashMap<String, usize>,
    /// The window being filled.
    current: u64,
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
            funcs: functions.iter().map(|s| Function::new(s, 0)).collect(),
            index: functions
                .iter()
                .enumerate()
                .map(|(i, s)| ((*s).to_owned(), i))
                .collect(),
            current: 0,
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

    /// Start of window `k`, ns (saturating at the end of the clock).
    fn start_of(&self, k: u64) -> u64 {
        k.saturating_mul(self.width.0)
    }

    /// Writes the windows before the one holding `t`: records come in time order.
    fn advance(&mut self, t: SimTime) -> Result<()> {
        let window = t.0 / self.width.0;
        while self.current < window {
            self.close_window()?;
        }
        Ok(())
    }

    /// Function `name`'s index (at `position` in the scenario); a function not announced
    /// up front gets rows from the current window on.
    fn function(&mut self, position: usize, name: &str) -> usize {
        // The functions are usually announced in scenario order: one comparison of names
        // instead of hashing one per record (a fifth of a trace replay's time).
        if self.funcs.get(position).is_some_and(|f| f.name == name) {
            return position;
        }
        if let Some(&f) = self.index.get(name) {
            return f;
        }
        let since = self.start_of(self.current);
        self.funcs.push(Function::new(name, since));
        self.index.insert(name.to_owned(), self.funcs.len() - 1);
        self.funcs.len() - 1
    }

    /// Writes the current window's rows and starts the next one.
    fn close_window(&mut self) -> Result<()> {
        let start = SimTime(self.start_of(self.current)).as_secs();
        let end = self.start_of(self.current + 1);
        let width = self.width.0 as f64;
        let mut text = String::new();
        for f in &mut self.funcs {
            f.integrate(end);
            let w = &f.counts;
            let l = &w.latency;
            let ms = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.3}"));
            // One pass for the three (a small distribution is sorted once, not thrice).
            let q = l.quantiles_ms(&[0.5, 0.99, 0.999]);
            let mean = |i: usize| f.area[i] as f64 / width;
            let utilisation = match f.area[6] {
                0 => String::new(),
                ready => format!("{}", f.area[5] as f64 / ready as f64),
            };
            use std::fmt::Write as _;
            let _ = writeln!(
                text,
                "{start},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{utilisation}",
                f.name,
                w.warm + w.cold + w.throttled,
                w.warm,
                w.cold,
                w.throttled,
                ms(q[0]),
                ms(q[1]),
                ms(q[2]),
                ms(l.max_ms()),
                ms(l.mean_ms()),
                w.arrivals,
                w.causes[0],
                w.causes[1],
                w.causes[2],
                w.causes[3],
                mean(0),
                f.max[0],
                mean(1),
                f.max[1],
                mean(2),
                f.max[2],
                mean(3),
                f.max[3],
                mean(4),
                f.max[4],
            );
            f.counts = Counts::default();
            f.area = [0; QUANTITIES];
            f.max = [0; QUANTITIES];
        }
        self.out
            .write_all(text.as_bytes())
            .map_err(|source| Error::Output {
                what: self.what.clone(),
                source,
            })?;
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
        self.advance(r.end)?;
        let f = self.function(r.function_index, r.function);
        let w = &mut self.funcs[f].counts;
        match r.outcome {
            Outcome::Warm => w.warm += 1,
            Outcome::Cold => w.cold += 1,
            Outcome::Throttled => {
                w.throttled += 1;
                if let Some(cause) = r.throttle_cause {
                    w.causes[match cause {
                        ThrottleCause::Concurrency => 0,
                        ThrottleCause::ScaleOut => 1,
                        ThrottleCause::Memory => 2,
                        ThrottleCause::PendingTimeout => 3,
                    }] += 1;
                }
                return Ok(());
            }
        }
        w.latency.record(r.end - r.arrival);
        Ok(())
    }

    fn wants_lifecycle(&self) -> bool {
        true
    }

    fn arrival(&mut self, a: &ArrivalRecord<'_>) -> Result<()> {
        if a.ping {
            return Ok(());
        }
        self.advance(a.at)?;
        let f = self.function(a.function_index, a.function);
        self.funcs[f].counts.arrivals += 1;
        Ok(())
    }

    fn instance(&mut self, r: &InstanceRecord<'_>) -> Result<()> {
        self.advance(r.at)?;
        let f = self.function(r.function_index, r.function);
        let func = &mut self.funcs[f];
        func.integrate(r.at.0);
        let before = func.levels;
        func.levels.apply(r);
        if func.levels != before {
            // Reached now, if only for an instant.
            for (m, q) in func.max.iter_mut().zip(func.levels.quantities()) {
                *m = (*m).max(q);
            }
        }
        Ok(())
    }
}

/// Passes every record to several logs in turn (`--events` and `--windows` together);
/// arrivals and instance changes go to the logs that asked for them.
#[derive(Default)]
pub struct FanOut<'a> {
    /// Each log, and whether it wants lifecycle records (asked once, when added).
    logs: Vec<(&'a mut dyn RequestLog, bool)>,
}

impl<'a> FanOut<'a> {
    /// No logs yet.
    pub fn new() -> Self {
        FanOut { logs: Vec::new() }
    }

    /// Adds a log.
    pub fn push(&mut self, log: &'a mut dyn RequestLog) {
        let lifecycle = log.wants_lifecycle();
        self.logs.push((log, lifecycle));
    }

    /// Whether no log was added.
    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
    }
}

impl RequestLog for FanOut<'_> {
    fn record(&mut self, r: &RequestRecord<'_>) -> Result<()> {
        for (log, _) in &mut self.logs {
            log.record(r)?;
        }
        Ok(())
    }

    fn wants_lifecycle(&self) -> bool {
        self.logs.iter().any(|(_, wants)| *wants)
    }

    fn arrival(&mut self, a: &ArrivalRecord<'_>) -> Result<()> {
        for (log, _) in self.logs.iter_mut().filter(|(_, wants)| *wants) {
            log.arrival(a)?;
        }
        Ok(())
    }

    fn instance(&mut self, r: &InstanceRecord<'_>) -> Result<()> {
        for (log, _) in self.logs.iter_mut().filter(|(_, wants)| *wants) {
            log.instance(r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{EvictionCause, StartCause, Status};

    const MS: u64 = 1_000_000;

    fn instance(
        at_ms: u64,
        instance: u64,
        provisioned: bool,
        change: InstanceChange,
        from: Option<InstanceState>,
    ) -> InstanceRecord<'static> {
        InstanceRecord {
            at: SimTime(at_ms * MS),
            function: "f",
            function_index: 0,
            instance,
            provisioned,
            change,
            from,
        }
    }

    fn throttled(at_ms: u64, cause: ThrottleCause) -> RequestRecord<'static> {
        RequestRecord {
            request: 0,
            function: "f",
            function_index: 0,
            instance: None,
            provisioned: false,
            ping: false,
            arrival: SimTime(at_ms * MS),
            start: None,
            end: SimTime(at_ms * MS),
            outcome: Outcome::Throttled,
            status: Status::Throttled,
            cold_start: None,
            measured: true,
            throttle_cause: Some(cause),
        }
    }

    fn arrival(at_ms: u64, ping: bool) -> ArrivalRecord<'static> {
        ArrivalRecord {
            request: 0,
            function: "f",
            function_index: 0,
            at: SimTime(at_ms * MS),
            ping,
            measured: true,
        }
    }

    /// The instance columns of every row: instances, busy, idle, starting, provisioned
    /// (mean, max) and the utilisation.
    fn instance_columns(csv: &str) -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').skip(16).collect::<Vec<_>>().join(","))
            .collect()
    }

    /// 1-s windows. On-demand instance 0 starts at 0.5 s, is ready and busy at 1.25 s and
    /// idle at 1.5 s, evicted at 3.75 s. Provisioned instance 1 starts at 0.75 s, ready
    /// and idle at 1 s, busy 2-2.5 s, released while busy at 2.25 s (from then on demand),
    /// idle at 2.5 s, evicted at 2.75 s.
    ///
    /// Window 0: starting 0.5 + 0.25 = 0.75; provisioned 0.25 (starting), no ready
    /// provisioned time: no utilisation. Window 1: instance 0 starting 0.25, busy 0.25,
    /// idle 0.5; instance 1 idle 1 (provisioned, ready): instances 2, busy 0.25, idle 1.5,
    /// starting 0.25, provisioned 1, utilisation 0; both were starting until the window's
    /// very start, but only one is after it (starting maximum 1). Window 2: instance 0
    /// idle 1; instance 1 busy 2-2.5 (provisioned until 2.25), idle 2.5-2.75: busy 0.5,
    /// idle 1.25, instances 1.75; provisioned 0.25, all of it busy: utilisation 1.
    /// Window 3: instance 0 idle 0.75.
    #[test]
    fn levels_are_integrated_across_windows_by_hand() {
        use InstanceChange as C;
        use InstanceState as S;
        let mut log = WindowLog::new(
            Vec::new(),
            "mem",
            SimTime::from_secs(1.0),
            SimTime::from_secs(4.0),
            &["f"],
        )
        .unwrap();
        let records = [
            instance(500, 0, false, C::Started(StartCause::Request), None),
            instance(750, 1, true, C::Started(StartCause::Provisioned), None),
            instance(1000, 1, true, C::Ready, Some(S::Starting)),
            instance(1000, 1, true, C::Idle, Some(S::Starting)),
            instance(1250, 0, false, C::Ready, Some(S::Starting)),
            instance(1250, 0, false, C::Busy, Some(S::Starting)),
            instance(1500, 0, false, C::Idle, Some(S::Busy)),
            instance(2000, 1, true, C::Busy, Some(S::Idle)),
            instance(2250, 1, false, C::Released, Some(S::Busy)),
            instance(2500, 1, false, C::Idle, Some(S::Busy)),
            instance(
                2750,
                1,
                false,
                C::Evicted(EvictionCause::Expiry),
                Some(S::Idle),
            ),
            instance(
                3750,
                0,
                false,
                C::Evicted(EvictionCause::Expiry),
                Some(S::Idle),
            ),
        ];
        for r in &records {
            log.instance(r).unwrap();
        }
        let csv = String::from_utf8(log.finish().unwrap()).unwrap();
        assert_eq!(
            instance_columns(&csv),
            [
                "0.75,2,0,0,0,0,0.75,2,0.25,1,",
                "2,2,0.25,1,1.5,2,0.25,1,1,1,0",
                "1.75,2,0.5,1,1.25,2,0,0,0.25,1,1",
                "0.75,1,0,0,0.75,1,0,0,0,0,",
            ]
        );
    }

    /// Arrivals count in their own window, pings not at all; throttles by cause in the
    /// window they happen.
    #[test]
    fn arrivals_and_throttle_causes_by_hand() {
        let mut log = WindowLog::new(
            Vec::new(),
            "mem",
            SimTime::from_secs(1.0),
            SimTime::from_secs(2.0),
            &["f"],
        )
        .unwrap();
        log.arrival(&arrival(100, false)).unwrap();
        log.arrival(&arrival(200, true)).unwrap();
        log.record(&throttled(300, ThrottleCause::ScaleOut))
            .unwrap();
        log.arrival(&arrival(999, false)).unwrap();
        log.record(&throttled(1000, ThrottleCause::Concurrency))
            .unwrap();
        log.record(&throttled(1500, ThrottleCause::Memory)).unwrap();
        log.record(&throttled(1600, ThrottleCause::PendingTimeout))
            .unwrap();
        log.record(&throttled(1700, ThrottleCause::PendingTimeout))
            .unwrap();
        let csv = String::from_utf8(log.finish().unwrap()).unwrap();
        let counts: Vec<String> = csv
            .lines()
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                // finished, throttled, arrivals and the four causes.
                [c[2], c[5], c[11], c[12], c[13], c[14], c[15]].join(",")
            })
            .collect();
        assert_eq!(counts, ["1,1,2,0,1,0,0", "4,4,0,1,0,1,2"]);
    }

    /// The header names 27 columns, and every row has as many.
    #[test]
    fn rows_have_as_many_columns_as_the_header() {
        let mut log = WindowLog::new(
            Vec::new(),
            "mem",
            SimTime::from_secs(1.0),
            SimTime::from_secs(3.0),
            &["f", "g"],
        )
        .unwrap();
        log.instance(&instance(
            100,
            0,
            true,
            InstanceChange::Started(StartCause::Provisioned),
            None,
        ))
        .unwrap();
        let csv = String::from_utf8(log.finish().unwrap()).unwrap();
        assert_eq!(HEADER.split(',').count(), 27);
        assert!(csv.lines().all(|l| l.split(',').count() == 27), "{csv}");
        assert_eq!(csv.lines().count(), 1 + 3 * 2);
    }
}
