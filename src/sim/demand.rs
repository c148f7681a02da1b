//! The CPU demand of the load, for sizing the always-on fleet a run is compared with.
//!
//! The demand of an execution is its sampled work (without cold starts, queueing or
//! sharing) × the function's CPU share ([`crate::model::Function::cpu_share`]:
//! `cpu_fraction` of the vCPUs it runs on, up to one), counted in the window in which it
//! starts. The measured period is cut into `n = max(1, ⌊period / window⌋)` equal windows
//! (so no window is a short remnant); the peak is the busiest window's vCPU-seconds over
//! its length and the mean the whole period's. Neither depends on cold starts or on how
//! the platform packs requests into instances: it is the load itself. Pings are not load.

use crate::metrics::CpuDemand;
use crate::model::{FunctionId, PerFunction};
use crate::time::SimTime;

/// One series of windows (a function's, or all functions').
#[derive(Debug, Clone, Copy, Default)]
struct Windows {
    /// The window now being filled.
    index: u64,
    /// Its vCPU-ns so far.
    current: f64,
    /// The busiest closed window's vCPU-ns.
    peak: f64,
    /// vCPU-ns in all.
    total: f64,
}

impl Windows {
    #[inline]
    fn add(&mut self, index: u64, vcpu_ns: f64) {
        if index != self.index {
            self.peak = self.peak.max(self.current);
            self.current = 0.0;
            self.index = index;
        }
        self.current += vcpu_ns;
        self.total += vcpu_ns;
    }

    fn finish(&self, window_ns: f64, period_ns: f64) -> CpuDemand {
        if period_ns <= 0.0 {
            return CpuDemand::default();
        }
        CpuDemand {
            peak_vcpus: self.peak.max(self.current) / window_ns,
            mean_vcpus: self.total / period_ns,
        }
    }
}

/// Every function's CPU demand, and all functions' together.
pub(super) struct Demand {
    start: SimTime,
    end: SimTime,
    /// Window length, ns (the period divided into whole windows).
    window: u64,
    /// Windows in the period.
    windows: u64,
    /// Per function: its CPU share and its windows.
    funcs: PerFunction<(f64, Windows)>,
    total: Windows,
    /// Some function has a CPU share (else nothing is ever recorded).
    any: bool,
}

impl Demand {
    /// Demand over the measured period `[start, end)` in windows of about `window`, for
    /// functions of these CPU shares.
    pub(super) fn new(
        shares: impl Iterator<Item = f64>,
        (start, end): (SimTime, SimTime),
        window: SimTime,
    ) -> Self {
        let period = end.0.saturating_sub(start.0);
        let windows = (period / window.0.max(1)).max(1);
        let funcs: PerFunction<(f64, Windows)> = shares.map(|s| (s, Windows::default())).collect();
        let any = funcs.iter().any(|(s, _)| *s > 0.0);
        Demand {
            any,
            start,
            end,
            window: (period / windows).max(1),
            windows,
            funcs,
            total: Windows::default(),
        }
    }

    /// An execution of `f` with `work` starts at `now`.
    #[inline]
    pub(super) fn record(&mut self, now: SimTime, f: FunctionId, work: SimTime) {
        if !self.any || now < self.start || now >= self.end {
            return;
        }
        let (share, windows) = &mut self.funcs[f];
        if *share == 0.0 {
            return;
        }
        let index = ((now.0 - self.start.0) / self.window).min(self.windows - 1);
        let vcpu_ns = work.0 as f64 * *share;
        windows.add(index, vcpu_ns);
        self.total.add(index, vcpu_ns);
    }

    /// Per function, and in all, at the end of the run.
    pub(super) fn finish(self) -> (Vec<CpuDemand>, CpuDemand) {
        let period = self.end.0.saturating_sub(self.start.0) as f64;
        let window = self.window as f64;
        let per = self
            .funcs
            .iter()
            .map(|(_, w)| w.finish(window, period))
            .collect();
        (per, self.total.finish(window, period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> SimTime {
        SimTime::from_secs(s)
    }

    /// 150 s measured in windows of about 60 s: 2 windows of 75 s. Function 0 (share 0.5)
    /// starts 10 s of work at 10 s and 20 s at 80 s (window 2: 10 vCPU-s); function 1
    /// (share 1) 30 s at 100 s. Peaks: 0: 10 / 75; 1: 30 / 75; in all (window 2: 40) 40 /
    /// 75. Means: 15 / 150, 30 / 150, 45 / 150. Work before the window or after it does
    /// not count, nor does a function of share 0.
    #[test]
    fn peak_and_mean_by_hand() {
        let mut d = Demand::new(
            [0.5, 1.0, 0.0].into_iter(),
            (secs(0.0), secs(150.0)),
            secs(60.0),
        );
        let (f0, f1, f2) = (FunctionId::new(0), FunctionId::new(1), FunctionId::new(2));
        d.record(secs(10.0), f0, secs(10.0));
        d.record(secs(80.0), f0, secs(20.0));
        d.record(secs(100.0), f1, secs(30.0));
        d.record(secs(120.0), f2, secs(30.0));
        d.record(secs(150.0), f1, secs(99.0));
        let (per, total) = d.finish();
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} != {b}");
        close(per[0].peak_vcpus, 10.0 / 75.0);
        close(per[1].peak_vcpus, 30.0 / 75.0);
        close(total.peak_vcpus, 40.0 / 75.0);
        close(per[0].mean_vcpus, 15.0 / 150.0);
        close(total.mean_vcpus, 45.0 / 150.0);
        assert_eq!(per[2].peak_vcpus, 0.0);
    }

    /// A measured period that starts after a warm-up, [100 s, 250 s) in windows of 75 s:
    /// work starting exactly at 100 s counts, in the first window (10 s at share 1), and
    /// work at 200 s falls in the second (30 s); work at 99 s does not count.
    #[test]
    fn windows_count_from_the_start_of_the_measured_period() {
        let mut d = Demand::new([1.0].into_iter(), (secs(100.0), secs(250.0)), secs(75.0));
        let f = FunctionId::new(0);
        d.record(secs(99.0), f, secs(1000.0));
        d.record(secs(100.0), f, secs(10.0));
        d.record(secs(200.0), f, secs(30.0));
        let (per, total) = d.finish();
        assert!(
            (per[0].peak_vcpus - 30.0 / 75.0).abs() < 1e-12,
            "{}",
            per[0].peak_vcpus
        );
        assert!(
            (total.mean_vcpus - 40.0 / 150.0).abs() < 1e-12,
            "{}",
            total.mean_vcpus
        );
    }
}
