//! Simulated time: integer nanoseconds.
//!
//! Every instant in a run is a [`SimTime`], a count of nanoseconds since the start of the run.
//! Integer time orders events exactly and never drifts; a `u64` covers 584 years. Durations
//! sampled from distributions arrive as `f64` milliseconds and are rounded once, at that
//! boundary, by [`SimTime::from_ms`].

use std::fmt;
use std::ops::{Add, Sub};

/// An instant (or a duration) in simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event a run can schedule.
    pub const MAX: SimTime = SimTime(u64::MAX);

    const NS_PER_MS: f64 = 1e6;
    const NS_PER_S: f64 = 1e9;

    /// Rounds a non-negative number of milliseconds to the nearest nanosecond.
    /// Negative or NaN inputs become zero; values past the range saturate.
    #[inline]
    pub fn from_ms(ms: f64) -> SimTime {
        Self::round_ns(ms * Self::NS_PER_MS)
    }

    /// Rounds non-negative nanoseconds half up; negative and NaN give 0, values past the
    /// range saturate (`as` saturates). `f64::round` is a libm call on baseline x86-64 and
    /// showed up at 8 % of a profile; adding 0.5 and truncating is the same for x >= 0.
    #[inline]
    fn round_ns(x: f64) -> SimTime {
        if x > 0.0 {
            SimTime((x + 0.5) as u64)
        } else {
            SimTime(0)
        }
    }

    /// Rounds a non-negative number of seconds to the nearest nanosecond.
    #[inline]
    pub fn from_secs(s: f64) -> SimTime {
        Self::round_ns(s * Self::NS_PER_S)
    }

    /// This instant in milliseconds.
    #[inline]
    pub fn as_ms(self) -> f64 {
        self.0 as f64 / Self::NS_PER_MS
    }

    /// This instant in seconds.
    #[inline]
    pub fn as_secs(self) -> f64 {
        self.0 as f64 / Self::NS_PER_S
    }

    /// This instant in whole microseconds (the unit of the latency histograms), rounded.
    #[inline]
    pub fn as_micros(self) -> u64 {
        (self.0 + 500) / 1_000
    }

    /// `self + d`, saturating at [`SimTime::MAX`].
    #[inline]
    pub fn saturating_add(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

/// Saturating: a sum past the end of time stays at [`SimTime::MAX`] (an absurdly long
/// sampled duration must not wrap around to the past).
impl Add for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    #[inline]
    fn sub(self, rhs: SimTime) -> SimTime {
        SimTime(self.0 - rhs.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.9}s", self.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_once() {
        assert_eq!(SimTime::from_ms(1.5), SimTime(1_500_000));
        assert_eq!(SimTime::from_secs(2.0), SimTime(2_000_000_000));
        assert_eq!(SimTime::from_ms(0.0000004), SimTime(0));
        assert_eq!(SimTime::from_ms(0.0000006), SimTime(1));
        assert_eq!(SimTime::from_ms(-3.0), SimTime(0));
        assert_eq!(SimTime::from_ms(f64::NAN), SimTime(0));
        assert_eq!(SimTime(1_499).as_micros(), 1);
        assert_eq!(SimTime(1_500).as_micros(), 2);
        assert_eq!(SimTime(2_500_000).as_ms(), 2.5);
        assert_eq!(SimTime(u64::MAX - 1) + SimTime(5), SimTime::MAX);
    }
}
