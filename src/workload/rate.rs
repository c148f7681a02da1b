//! Non-homogeneous Poisson arrivals with a time-varying rate λ(t): `diurnal` and
//! `flash_sale`.
//!
//! Both are generated exactly by thinning (Lewis and Shedler, 1979) against a piecewise
//! bound: the time axis is cut into pieces (hours for `diurnal`; the baseline, ramp,
//! plateau and decay of each event for `flash_sale`), each with an upper bound M of λ on the
//! piece. Candidates are Poisson with rate M and are kept with probability λ(t)/M. A
//! candidate past the end of its piece is discarded and generation restarts at the piece's
//! end with the next bound, which is exact because the Poisson process is memoryless. Where λ
//! is constant on a piece (a table hour, a baseline, a plateau) M = λ and nothing is
//! rejected; a ×30 peak therefore costs rejections only during its own ramp and decay
//! (about half the candidates there), not during the baseline.

use std::f64::consts::TAU;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use serde::Deserialize;

use super::at_secs;
use crate::config::check::{self, non_negative, positive};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::time::SimTime;

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

/// `{"kind": "diurnal", "rate_per_s": 20, "daily": {...}, "weekly": {...}}`
///
/// λ(t) = `rate_per_s` × daily(hour of day) × weekly(day of week), on a clock that reads
/// `start_hour` on `start_day` at t = 0.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiurnalSpec {
    /// The rate at multiplier 1, > 0. With sine profiles it is the mean rate.
    pub rate_per_s: f64,
    /// The daily profile.
    pub daily: DailySpec,
    /// The weekly profile (default: every day alike).
    #[serde(default)]
    pub weekly: Option<WeeklySpec>,
    /// Hour of day at t = 0, in [0, 24) (default 0, midnight).
    #[serde(default)]
    pub start_hour: f64,
    /// Day of the week at t = 0 (default `monday`).
    #[serde(default)]
    pub start_day: Weekday,
}

/// The daily profile (`"shape"`: `sine` or `hourly`). Read with `json::tagged!`, so an
/// error inside keeps its path (`…daily.amplitude`).
#[derive(Debug, Clone, PartialEq)]
pub enum DailySpec {
    /// 1 + amplitude · cos(2π (h − peak_hour) / 24).
    Sine(DailySineSpec),
    /// One multiplier per hour, from 00:00–01:00 on (24 values ≥ 0), held over the hour.
    Hourly(MultipliersSpec),
}

crate::json::tagged!(DailySpec, "shape", {
    "sine" => Sine(DailySineSpec),
    "hourly" => Hourly(MultipliersSpec),
});

/// `{"shape": "sine", "amplitude": 0.8, "peak_hour": 14}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DailySineSpec {
    /// In [0, 1].
    pub amplitude: f64,
    /// Hour of the maximum, in [0, 24) (default 12).
    #[serde(default = "noon")]
    pub peak_hour: f64,
}

/// `{"shape": "hourly", "multipliers": [...]}` or `{"shape": "daily", "multipliers": [...]}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MultipliersSpec {
    /// The multipliers.
    pub multipliers: Vec<f64>,
}

/// The weekly profile (`"shape"`: `sine` or `daily`).
#[derive(Debug, Clone, PartialEq)]
pub enum WeeklySpec {
    /// 1 + amplitude · cos(2π (d − peak_day) / 7), d in days since Monday 00:00.
    Sine(WeeklySineSpec),
    /// One multiplier per day, Monday first (7 values ≥ 0), held over the day.
    Daily(MultipliersSpec),
}

crate::json::tagged!(WeeklySpec, "shape", {
    "sine" => Sine(WeeklySineSpec),
    "daily" => Daily(MultipliersSpec),
});

/// `{"shape": "sine", "amplitude": 0.3, "peak_day": 2.5}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WeeklySineSpec {
    /// In [0, 1].
    pub amplitude: f64,
    /// Day of the maximum, in [0, 7) days since Monday 00:00 (default 2.5, Wednesday noon).
    #[serde(default = "midweek")]
    pub peak_day: f64,
}

fn noon() -> f64 {
    12.0
}

fn midweek() -> f64 {
    2.5
}

/// A day of the week.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Weekday {
    #[default]
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// A validated daily profile.
#[derive(Debug, Clone, PartialEq)]
pub enum Daily {
    /// Amplitude and peak hour.
    Sine(f64, f64),
    /// 24 multipliers.
    Hourly(Vec<f64>),
}

/// A validated weekly profile.
#[derive(Debug, Clone, PartialEq)]
pub enum Weekly {
    /// Every day alike.
    Flat,
    /// Amplitude and peak day.
    Sine(f64, f64),
    /// 7 multipliers, Monday first.
    Daily(Vec<f64>),
}

/// A validated diurnal workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Diurnal {
    rate: f64,
    daily: Daily,
    weekly: Weekly,
    /// Seconds since Monday 00:00 at t = 0.
    offset: f64,
}

/// An amplitude in [0, 1]: above 1 the rate would go below zero at the trough.
fn check_amplitude(v: f64, field: String) -> Result<f64, FieldError> {
    check::within(v, 0.0, 1.0, field, "an amplitude")
}

fn table(values: &[f64], len: usize, field: String, what: &str) -> Result<Vec<f64>, FieldError> {
    if values.len() != len {
        return Err(FieldError::new(
            field,
            format!("expected {len} multipliers ({what}), got {}", values.len()),
        ));
    }
    for (i, &v) in values.iter().enumerate() {
        non_negative(v, format!("{field}[{i}]"), "a multiplier")?;
    }
    if values.iter().all(|&v| v == 0.0) {
        return Err(FieldError::new(
            field,
            "expected at least one multiplier > 0",
        ));
    }
    Ok(values.to_vec())
}

impl DiurnalSpec {
    /// Validates.
    pub fn validate(&self, field: &str) -> Result<Diurnal, FieldError> {
        let rate = check::rate(self.rate_per_s, format!("{field}.rate_per_s"))?;
        let daily = match &self.daily {
            DailySpec::Sine(DailySineSpec {
                amplitude,
                peak_hour,
            }) => Daily::Sine(
                check_amplitude(*amplitude, format!("{field}.daily.amplitude"))?,
                check::within_excluding_high(
                    *peak_hour,
                    0.0,
                    24.0,
                    format!("{field}.daily.peak_hour"),
                    "an hour",
                )?,
            ),
            DailySpec::Hourly(MultipliersSpec { multipliers }) => Daily::Hourly(table(
                multipliers,
                24,
                format!("{field}.daily.multipliers"),
                "one per hour",
            )?),
        };
        let weekly = match &self.weekly {
            None => Weekly::Flat,
            Some(WeeklySpec::Sine(WeeklySineSpec {
                amplitude,
                peak_day,
            })) => Weekly::Sine(
                check_amplitude(*amplitude, format!("{field}.weekly.amplitude"))?,
                check::within_excluding_high(
                    *peak_day,
                    0.0,
                    7.0,
                    format!("{field}.weekly.peak_day"),
                    "a day",
                )?,
            ),
            Some(WeeklySpec::Daily(MultipliersSpec { multipliers })) => Weekly::Daily(table(
                multipliers,
                7,
                format!("{field}.weekly.multipliers"),
                "one per day, Monday first",
            )?),
        };
        let hour = check::within_excluding_high(
            self.start_hour,
            0.0,
            24.0,
            format!("{field}.start_hour"),
            "an hour",
        )?;
        Ok(Diurnal {
            rate,
            daily,
            weekly,
            offset: self.start_day as u8 as f64 * DAY + hour * HOUR,
        })
    }
}

/// The maximum of cos over [a, b] (b − a < 2π).
fn max_cos(a: f64, b: f64) -> f64 {
    if (a / TAU).ceil() * TAU <= b {
        1.0
    } else {
        a.cos().max(b.cos())
    }
}

impl Diurnal {
    /// rate × mean(daily) × mean(weekly): a daily and a weekly profile are orthogonal over
    /// a week (a day-periodic function has no component at the weekly frequency), so the
    /// mean of the product is the product of the means; a sine's mean is 1.
    pub fn mean_rate_per_s(&self) -> f64 {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let d = match &self.daily {
            Daily::Sine(..) => 1.0,
            Daily::Hourly(m) => mean(m),
        };
        let w = match &self.weekly {
            Weekly::Flat | Weekly::Sine(..) => 1.0,
            Weekly::Daily(m) => mean(m),
        };
        self.rate * d * w
    }

    /// The stated rate, per second (what `check::rate` bounds).
    pub fn stated_peak_rate_per_s(&self) -> f64 {
        self.rate
    }

    /// The rate multiplied by `factor`.
    pub fn scaled(mut self, factor: f64) -> Diurnal {
        self.rate *= factor;
        self
    }

    /// Piece `i`: local hour number k0 + i, where k0 is the hour containing t = 0.
    fn piece(&self, i: u64) -> Piece {
        let k = (self.offset / HOUR).floor() + i as f64;
        let (u0, u1) = ((k * HOUR).max(self.offset), (k + 1.0) * HOUR);
        let hour_of_day = (k as u64 % 24) as usize;
        let day_of_week = ((k as u64 / 24) % 7) as usize;
        let (d, d_exact) = match &self.daily {
            Daily::Sine(a, peak) => {
                let phase = |u: f64| TAU * (u / HOUR - peak) / 24.0;
                (1.0 + a * max_cos(phase(u0), phase(u1)), *a == 0.0)
            }
            Daily::Hourly(m) => (m[hour_of_day], true),
        };
        let (w, w_exact) = match &self.weekly {
            Weekly::Flat => (1.0, true),
            Weekly::Sine(b, peak) => {
                let phase = |u: f64| TAU * (u / DAY - peak) / 7.0;
                (1.0 + b * max_cos(phase(u0), phase(u1)), *b == 0.0)
            }
            Weekly::Daily(m) => (m[day_of_week], true),
        };
        Piece {
            start: u0 - self.offset,
            end: u1 - self.offset,
            bound: self.rate * d * w,
            exact: d_exact && w_exact,
        }
    }

    /// λ(t) inside piece `i`.
    fn rate(&self, i: u64, t: f64) -> f64 {
        let u = t + self.offset;
        let k = (self.offset / HOUR).floor() as u64 + i;
        let d = match &self.daily {
            Daily::Sine(a, peak) => 1.0 + a * (TAU * (u / HOUR - peak) / 24.0).cos(),
            Daily::Hourly(m) => m[(k % 24) as usize],
        };
        let w = match &self.weekly {
            Weekly::Flat => 1.0,
            Weekly::Sine(b, peak) => 1.0 + b * (TAU * (u / DAY - peak) / 7.0).cos(),
            Weekly::Daily(m) => m[((k / 24) % 7) as usize],
        };
        self.rate * d * w
    }
}

/// `{"kind": "flash_sale", "base_rate_per_s": 50, "peak_multiplier": 30, "start_s": 1800,
/// "ramp_s": 60, "plateau_s": 600, "decay_s": 120}`
///
/// λ(t) = base × m(t): m is 1 outside events; an event starting at s rises linearly from 1
/// to `peak_multiplier` over `ramp_s`, holds for `plateau_s`, and falls linearly back to 1
/// over `decay_s`. With `every_s` the event repeats (`events` times, default forever).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlashSaleSpec {
    /// The rate outside events, > 0.
    pub base_rate_per_s: f64,
    /// The plateau's rate over the baseline, > 0 (below 1: a dip rather than a surge).
    pub peak_multiplier: f64,
    /// Start of the first event (its ramp), seconds ≥ 0.
    pub start_s: f64,
    /// Seconds ≥ 0 (default 0: a step up).
    #[serde(default)]
    pub ramp_s: f64,
    /// Seconds ≥ 0.
    pub plateau_s: f64,
    /// Seconds ≥ 0 (default 0: a step down).
    #[serde(default)]
    pub decay_s: f64,
    /// Period of repeated events, ≥ the event's length.
    #[serde(default)]
    pub every_s: Option<f64>,
    /// Number of events, ≥ 1 (default 1, or unlimited with `every_s`).
    #[serde(default)]
    pub events: Option<u64>,
}

/// A validated flash sale.
#[derive(Debug, Clone, PartialEq)]
pub struct FlashSale {
    base: f64,
    peak: f64,
    start: f64,
    ramp: f64,
    plateau: f64,
    decay: f64,
    every: f64,
    events: u64,
}

impl FlashSaleSpec {
    /// Validates.
    pub fn validate(&self, field: &str) -> Result<FlashSale, FieldError> {
        let base = check::rate(self.base_rate_per_s, format!("{field}.base_rate_per_s"))?;
        let peak = positive(
            self.peak_multiplier,
            format!("{field}.peak_multiplier"),
            "a multiplier",
        )?;
        if base * peak > check::MAX_RATE_PER_S {
            return Err(FieldError::new(
                format!("{field}.peak_multiplier"),
                format!(
                    "the peak rate (base_rate_per_s × peak_multiplier) is too high: {}",
                    check::rate_limit_message(base * peak)
                ),
            ));
        }
        let start = non_negative(self.start_s, format!("{field}.start_s"), "seconds")?;
        let ramp = non_negative(self.ramp_s, format!("{field}.ramp_s"), "seconds")?;
        let plateau = non_negative(self.plateau_s, format!("{field}.plateau_s"), "seconds")?;
        let decay = non_negative(self.decay_s, format!("{field}.decay_s"), "seconds")?;
        let length = ramp + plateau + decay;
        if length == 0.0 {
            return Err(FieldError::new(
                format!("{field}.plateau_s"),
                "expected an event of some length: ramp_s + plateau_s + decay_s > 0",
            ));
        }
        let every = match self.every_s {
            None => f64::INFINITY,
            Some(e) => {
                let e = positive(e, format!("{field}.every_s"), "seconds")?;
                if e < length {
                    return Err(FieldError::new(
                        format!("{field}.every_s"),
                        format!(
                            "expected at least the event's length ramp_s + plateau_s + decay_s = {length} s (events must not overlap), got {e}"
                        ),
                    ));
                }
                e
            }
        };
        let events = match (self.events, self.every_s) {
            (Some(0), _) => {
                return Err(FieldError::new(
                    format!("{field}.events"),
                    "expected at least 1 event",
                ));
            }
            (Some(n), Some(_)) => n,
            (Some(n), None) if n > 1 => {
                return Err(FieldError::new(
                    format!("{field}.events"),
                    format!("{n} events need `every_s`, the period at which they repeat"),
                ));
            }
            (Some(_) | None, None) => 1,
            (None, Some(_)) => u64::MAX,
        };
        Ok(FlashSale {
            base,
            peak,
            start,
            ramp,
            plateau,
            decay,
            every,
            events,
        })
    }
}

impl FlashSale {
    /// Long-run mean: the baseline plus, for unlimited repetition, the events' excess
    /// base × (peak − 1) × (ramp/2 + plateau + decay/2) per period.
    pub fn mean_rate_per_s(&self) -> f64 {
        if self.events == u64::MAX {
            let excess = (self.peak - 1.0) * (self.ramp / 2.0 + self.plateau + self.decay / 2.0);
            self.base * (1.0 + excess / self.every)
        } else {
            self.base
        }
    }

    /// The rate at the top of a surge, per second (what `check::rate` bounds).
    pub fn stated_peak_rate_per_s(&self) -> f64 {
        self.base * self.peak
    }

    /// The base rate multiplied by `factor` (the surge keeps its multiplier).
    pub fn scaled(mut self, factor: f64) -> FlashSale {
        self.base *= factor;
        self
    }

    fn event_start(&self, e: u64) -> f64 {
        if e == 0 {
            self.start
        } else {
            self.start + e as f64 * self.every
        }
    }

    /// Piece 4e: the baseline before event e; 4e+1 its ramp, 4e+2 its plateau, 4e+3 its
    /// decay; piece 4·events: the baseline after the last event, forever.
    fn piece(&self, i: u64) -> Piece {
        let (e, phase) = (i / 4, i % 4);
        let top = self.base * self.peak.max(1.0);
        if self.events != u64::MAX && e >= self.events {
            let end_last =
                self.event_start(self.events - 1) + self.ramp + self.plateau + self.decay;
            return Piece {
                start: end_last,
                end: f64::INFINITY,
                bound: self.base,
                exact: true,
            };
        }
        let s = self.event_start(e);
        let (r_end, p_end) = (s + self.ramp, s + self.ramp + self.plateau);
        match phase {
            0 => Piece {
                start: if e == 0 {
                    0.0
                } else {
                    self.event_start(e - 1) + self.ramp + self.plateau + self.decay
                },
                end: s,
                bound: self.base,
                exact: true,
            },
            1 => Piece {
                start: s,
                end: r_end,
                bound: top,
                exact: false,
            },
            2 => Piece {
                start: r_end,
                end: p_end,
                bound: self.base * self.peak,
                exact: true,
            },
            _ => Piece {
                start: p_end,
                end: p_end + self.decay,
                bound: top,
                exact: false,
            },
        }
    }

    /// λ(t) inside piece `i` (the generator asks only on ramps and decays).
    fn rate(&self, i: u64, t: f64) -> f64 {
        if self.events != u64::MAX && i / 4 >= self.events {
            return self.base;
        }
        let s = self.event_start(i / 4);
        let m = match i % 4 {
            0 => 1.0,
            1 => 1.0 + (self.peak - 1.0) * (t - s) / self.ramp,
            3 => self.peak - (self.peak - 1.0) * (t - s - self.ramp - self.plateau) / self.decay,
            _ => self.peak,
        };
        self.base * m
    }
}

/// A stretch of time [start, end) with an upper bound of the rate on it.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: f64,
    end: f64,
    bound: f64,
    /// λ equals the bound on the whole piece: accept every candidate.
    exact: bool,
}

/// The rate functions generated by thinning.
#[derive(Debug, Clone)]
pub enum Profile {
    /// Daily and weekly profiles.
    Diurnal(Diurnal),
    /// Flash sales.
    FlashSale(FlashSale),
}

impl Profile {
    fn piece(&self, i: u64) -> Piece {
        match self {
            Profile::Diurnal(d) => d.piece(i),
            Profile::FlashSale(f) => f.piece(i),
        }
    }

    fn rate(&self, i: u64, t: f64) -> f64 {
        match self {
            Profile::Diurnal(d) => d.rate(i, t),
            Profile::FlashSale(f) => f.rate(i, t),
        }
    }
}

/// A running thinning generator.
#[derive(Debug)]
pub struct ThinningSource {
    profile: Profile,
    index: u64,
    piece: Piece,
    /// Current time, seconds.
    t: f64,
    rng: SimRng,
}

impl ThinningSource {
    /// Starts at time 0.
    pub fn new(profile: Profile, rng: SimRng) -> ThinningSource {
        let piece = profile.piece(0);
        ThinningSource {
            profile,
            index: 0,
            piece,
            t: 0.0,
            rng,
        }
    }

    /// The next arrival (never `None`: every profile has a positive rate somewhere in each
    /// day or period).
    pub fn next_arrival(&mut self) -> SimTime {
        loop {
            let bound = self.piece.bound;
            if bound > 0.0 {
                let gap: f64 = Exp1.sample(&mut self.rng);
                let candidate = self.t + gap / bound;
                if candidate < self.piece.end {
                    self.t = candidate;
                    if self.piece.exact
                        || self.rng.random::<f64>() * bound
                            < self.profile.rate(self.index, candidate)
                    {
                        return at_secs(candidate);
                    }
                    continue;
                }
            }
            self.index += 1;
            self.piece = self.profile.piece(self.index);
            self.t = self.piece.start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_cos_finds_interior_peaks() {
        assert_eq!(max_cos(-0.1, 0.1), 1.0);
        assert_eq!(max_cos(TAU - 0.1, TAU + 0.1), 1.0);
        assert!((max_cos(1.0, 2.0) - 1f64.cos()).abs() < 1e-15);
        assert!((max_cos(4.0, 5.0) - 5f64.cos()).abs() < 1e-15);
    }

    /// Pieces tile the time axis without gaps, and bounds dominate the rate.
    #[test]
    fn pieces_are_contiguous_and_bounds_hold() {
        let d = DiurnalSpec {
            rate_per_s: 3.0,
            daily: DailySpec::Sine(DailySineSpec {
                amplitude: 0.7,
                peak_hour: 15.0,
            }),
            weekly: Some(WeeklySpec::Sine(WeeklySineSpec {
                amplitude: 0.3,
                peak_day: 5.0,
            })),
            start_hour: 6.5,
            start_day: Weekday::Friday,
        }
        .validate("w")
        .unwrap();
        let f = FlashSaleSpec {
            base_rate_per_s: 2.0,
            peak_multiplier: 10.0,
            start_s: 100.0,
            ramp_s: 10.0,
            plateau_s: 20.0,
            decay_s: 30.0,
            every_s: Some(200.0),
            events: Some(3),
        }
        .validate("w")
        .unwrap();
        for p in [Profile::Diurnal(d), Profile::FlashSale(f)] {
            let mut end = 0.0;
            for i in 0..400 {
                let piece = p.piece(i);
                assert_eq!(piece.start, end, "piece {i} of {p:?}");
                assert!(piece.end >= piece.start);
                for k in 0..=10 {
                    let t = piece.start + (piece.end - piece.start).min(1e6) * k as f64 / 10.0;
                    if t < piece.end {
                        assert!(p.rate(i, t) <= piece.bound * (1.0 + 1e-12), "{i} {t}");
                    }
                }
                end = piece.end;
                if end.is_infinite() {
                    break;
                }
            }
        }
    }
}
