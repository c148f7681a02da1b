//! Billing increments of provisioned concurrency. AWS bills provisioned concurrency "from
//! the time you enable it on your function until it is disabled, rounded up to the
//! nearest 5 minutes" (aws.amazon.com/lambda/pricing); a platform states its increment as
//! `pricing.provisioned_increment_s`.
//!
//! The component follows each function's provisioned level. A rise enables that many
//! units from now; a fall disables the most recently enabled units first (a schedule that
//! goes 10 → 40 → 10 disables the 30 it added). A disabled unit's enabled period is rounded
//! up to the increment, and the rounding (instance-seconds billed after it was disabled)
//! is added for the part that falls inside the measurement window. Units still enabled
//! when the run ends are billed as allocated: their period has not ended. Replacing a
//! provisioned instance (lifetime recycling) does not change the level, so it bills
//! nothing extra.

use crate::model::{FunctionId, PerFunction};
use crate::time::SimTime;

/// One function's enabled units, oldest first: `(units, enabled at)`.
type Enabled = Vec<(u32, SimTime)>;

/// Every function's provisioned billing periods.
pub(super) struct PcBilling {
    /// The billing increment (`None`: the platform bills as allocated).
    increment: Option<SimTime>,
    /// The measurement window.
    window: (SimTime, SimTime),
    /// Per function: the level and its enabled units.
    funcs: PerFunction<(u32, Enabled)>,
    /// Per function: rounding billed inside the window, instance-seconds.
    rounding_s: PerFunction<f64>,
}

impl PcBilling {
    /// Billing for `functions` functions with `increment` (None: no rounding) over the
    /// measurement window `[start, end]`.
    pub(super) fn new(
        functions: usize,
        increment: Option<SimTime>,
        window: (SimTime, SimTime),
    ) -> Self {
        PcBilling {
            increment,
            window,
            funcs: (0..functions).map(|_| (0, Vec::new())).collect(),
            rounding_s: (0..functions).map(|_| 0.0).collect(),
        }
    }

    /// Function `f`'s provisioned level is `level` from `now` on.
    pub(super) fn level(&mut self, now: SimTime, f: FunctionId, level: u32) {
        let Some(increment) = self.increment else {
            return;
        };
        let (current, enabled) = &mut self.funcs[f];
        if level > *current {
            enabled.push((level - *current, now));
        }
        let mut excess = current.saturating_sub(level);
        while excess > 0 {
            let Some((units, since)) = enabled.last_mut() else {
                break;
            };
            let off = (*units).min(excess);
            let period = now - *since;
            let billed = SimTime(period.0.div_ceil(increment.0).max(1) * increment.0);
            let (start, end) = self.window;
            let (from, to) = (now.max(start), (now + (billed - period)).min(end));
            if to > from {
                self.rounding_s[f] += f64::from(off) * (to - from).as_secs();
            }
            *units -= off;
            excess -= off;
            if *units == 0 {
                enabled.pop();
            }
        }
        *current = level;
    }

    /// The rounding billed per function, instance-seconds, at the end of the run.
    pub(super) fn finish(self) -> PerFunction<f64> {
        self.rounding_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> SimTime {
        SimTime::from_secs(s)
    }

    /// The rounding billed to one function whose level goes through `steps` (time in s,
    /// level), with billing `increment_s` (None: no rounding) over the window [0, `end_s`].
    fn rounding(increment_s: Option<f64>, end_s: f64, steps: &[(f64, u32)]) -> f64 {
        let f = FunctionId::new(0);
        let mut b = PcBilling::new(1, increment_s.map(secs), (SimTime::ZERO, secs(end_s)));
        for &(at, level) in steps {
            b.level(secs(at), f, level);
        }
        b.finish()[f]
    }

    /// The schedule by hand: 40 units for 110 s in every 10 minutes, over an hour.
    /// Each period is billed 300 s, so 190 s × 40 of rounding per period, 6 periods.
    #[test]
    fn short_windows_are_billed_five_minutes_each() {
        let steps: Vec<(f64, u32)> = (0..6)
            .flat_map(|k| {
                let on = 600.0 * k as f64;
                [(on, 40), (on + 110.0, 0)]
            })
            .collect();
        let got = rounding(Some(300.0), 3600.0, &steps);
        assert!((got - 6.0 * 40.0 * 190.0).abs() < 1e-6, "{got}");
    }

    /// Last enabled, first disabled: 10 units from 0, 30 more from 100 s, back to 10 at
    /// 200 s (the 30 ran 100 s: 200 s of rounding each), then 0 at 1,000 s (the 10 ran
    /// 1,000 s, billed 1,200: 200 s each). A window ending at 1,100 s cuts the last
    /// rounding to 100 s.
    #[test]
    fn the_latest_units_go_first_and_the_window_clips() {
        let steps = [(0.0, 10), (100.0, 40), (200.0, 10), (1000.0, 0)];
        let got = rounding(Some(300.0), 1100.0, &steps);
        assert!((got - (30.0 * 200.0 + 10.0 * 100.0)).abs() < 1e-6, "{got}");
    }

    /// One step down that releases units enabled at two times: 1 unit from 0, 1 more from
    /// 100 s, both off at 400 s. The later one ran 300 s (whole: nothing extra), the
    /// earlier one 400 s, billed 600 s: 200 s of rounding.
    #[test]
    fn a_step_down_releases_each_unit_by_its_own_start() {
        let got = rounding(Some(300.0), 3600.0, &[(0.0, 1), (100.0, 2), (400.0, 0)]);
        assert!((got - 200.0).abs() < 1e-6, "{got}");
    }

    /// A step down releases only the units it drops; the rest stay and are billed when they
    /// go. 1 unit from 0, 1 more from 100 s; down to 1 at 400 s (the later unit ran 300 s:
    /// nothing extra); down to 0 at 800 s (the first ran 800 s, billed 900: 100 s).
    #[test]
    fn a_step_down_keeps_the_units_it_does_not_release() {
        let steps = [(0.0, 1), (100.0, 2), (400.0, 1), (800.0, 0)];
        let got = rounding(Some(300.0), 3600.0, &steps);
        assert!((got - 100.0).abs() < 1e-6, "{got}");
    }

    /// A period that is already a whole number of increments, a level that does not
    /// change, and a platform without increments bill nothing extra.
    #[test]
    fn whole_periods_and_no_increment_add_nothing() {
        let steps = [(0.0, 5), (60.0, 5), (600.0, 0)];
        assert_eq!(rounding(Some(300.0), 3600.0, &steps), 0.0);
        assert_eq!(rounding(None, 3600.0, &[(0.0, 5), (10.0, 0)]), 0.0);
    }
}
