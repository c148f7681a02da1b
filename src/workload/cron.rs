//! Fixed schedules: `cron`.
//!
//! Either a five-field cron expression evaluated on a UTC calendar (no daylight saving) that
//! reads `start` at t = 0, or a plain period (`every_s`, `offset_s`). Each firing produces
//! `count` simultaneous arrivals, at exact times.
//!
//! The supported cron subset: fields `minute hour day-of-month month day-of-week` with
//! ranges 0–59, 0–23, 1–31, 1–12, 0–7 (0 and 7 are Sunday); each field a comma-separated
//! list of `*`, `N`, `N-M`, `*/S`, `N-M/S` or `N/S` (from N to the field's maximum in steps
//! of S). Numbers only (no `JAN`, `MON`), no `L`, `W`, `#`, `?` or `@daily`-style macros.
//! As in Vixie cron, when both day-of-month and day-of-week are restricted (neither starts
//! with `*`) a day matches if *either* does; otherwise both must.

use serde::Deserialize;

use crate::config::check::{non_negative, positive};
use crate::error::FieldError;
use crate::time::SimTime;

/// The default calendar origin: Monday 2024-01-01 00:00 UTC.
const DEFAULT_START: &str = "2024-01-01T00:00";

/// A schedule that fires less often than this is looking for a date that does not exist
/// (`0 0 30 2 *`); 9 years cover the longest gap between 29 Februaries (8 years, across a
/// century that is not a leap year).
const SEARCH_DAYS: i64 = 9 * 366;

/// `{"kind": "cron", "schedule": "*/5 9-17 * * 1-5", "start": "2024-01-01T00:00", "count": 1}`
/// or `{"kind": "cron", "every_s": 3600, "offset_s": 0}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CronSpec {
    /// A five-field cron expression.
    #[serde(default)]
    pub schedule: Option<String>,
    /// The UTC date and time at t = 0, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or
    /// `YYYY-MM-DDTHH:MM:SS` (default `2024-01-01T00:00`, a Monday). Only with `schedule`.
    #[serde(default)]
    pub start: Option<String>,
    /// A plain period, seconds > 0 (instead of `schedule`).
    #[serde(default)]
    pub every_s: Option<f64>,
    /// With `every_s`: the first firing, seconds ≥ 0 (default 0).
    #[serde(default)]
    pub offset_s: Option<f64>,
    /// Arrivals per firing, ≥ 1 (default 1).
    #[serde(default = "one")]
    pub count: u64,
}

fn one() -> u64 {
    1
}

/// A parsed cron expression: one bit per allowed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Day-of-month / day-of-week written with a leading `*` (the OR rule does not apply).
    days_star: bool,
    weekdays_star: bool,
}

/// A validated schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Cron {
    /// A cron expression on a calendar.
    Schedule {
        /// What fires.
        schedule: Schedule,
        /// Seconds since 1970-01-01 00:00 UTC at t = 0.
        start_epoch_s: i64,
        /// Arrivals per firing.
        count: u64,
    },
    /// offset, offset + every, …
    Every {
        /// The period.
        every: SimTime,
        /// The first firing.
        offset: SimTime,
        /// Arrivals per firing.
        count: u64,
    },
}

impl CronSpec {
    /// Validates.
    pub fn validate(&self, field: &str) -> Result<Cron, FieldError> {
        if self.count == 0 {
            return Err(FieldError::new(
                format!("{field}.count"),
                "expected at least 1 arrival per firing",
            ));
        }
        match (&self.schedule, self.every_s) {
            (Some(text), None) => {
                if self.offset_s.is_some() {
                    return Err(FieldError::new(
                        format!("{field}.offset_s"),
                        "`offset_s` goes with `every_s`; a schedule's origin is `start`",
                    ));
                }
                let schedule = Schedule::parse(text)
                    .map_err(|m| FieldError::new(format!("{field}.schedule"), m))?;
                let start = self.start.as_deref().unwrap_or(DEFAULT_START);
                let start_epoch_s = parse_datetime(start).map_err(|m| {
                    FieldError::new(
                        format!("{field}.start"),
                        format!("expected a UTC date and time like `2024-01-01T09:30`: {m}"),
                    )
                })?;
                let cron = Cron::Schedule {
                    schedule,
                    start_epoch_s,
                    count: self.count,
                };
                if CronSource::new(cron.clone()).next_arrival().is_none() {
                    return Err(FieldError::new(
                        format!("{field}.schedule"),
                        format!("`{text}` never fires (no such date within 9 years of {start})"),
                    ));
                }
                Ok(cron)
            }
            (None, Some(every)) => {
                if self.start.is_some() {
                    return Err(FieldError::new(
                        format!("{field}.start"),
                        "`start` goes with `schedule`; with `every_s` use `offset_s`",
                    ));
                }
                let every = positive(every, format!("{field}.every_s"), "seconds")?;
                let offset = non_negative(
                    self.offset_s.unwrap_or(0.0),
                    format!("{field}.offset_s"),
                    "seconds",
                )?;
                let every = SimTime::from_secs(every);
                if every == SimTime::ZERO {
                    return Err(FieldError::new(
                        format!("{field}.every_s"),
                        "expected a period of at least 1 ns",
                    ));
                }
                Ok(Cron::Every {
                    every,
                    offset: SimTime::from_secs(offset),
                    count: self.count,
                })
            }
            (Some(_), Some(_)) => Err(FieldError::new(
                format!("{field}.every_s"),
                "expected either `schedule` or `every_s`, not both",
            )),
            (None, None) => Err(FieldError::new(
                field,
                "expected `schedule` (a cron expression) or `every_s` (a period)",
            )),
        }
    }
}

const FIELDS: [(&str, u32, u32); 5] = [
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

fn parse_number(s: &str, name: &str, min: u32, max: u32) -> Result<u32, String> {
    let v: u32 = s
        .parse()
        .map_err(|_| format!("{name}: expected a number, got `{s}`"))?;
    if !(min..=max).contains(&v) {
        return Err(format!("{name}: expected {min}-{max}, got {v}"));
    }
    Ok(v)
}

/// One field to a bit mask.
fn parse_field(text: &str, name: &str, min: u32, max: u32) -> Result<u64, String> {
    let mut mask = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("{name}: expected a step number after `/`, got `{s}`"))?;
                if step == 0 {
                    return Err(format!("{name}: a step must be at least 1"));
                }
                (r, Some(step))
            }
            None => (item, None),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (
                parse_number(a, name, min, max)?,
                parse_number(b, name, min, max)?,
            );
            if a > b {
                return Err(format!("{name}: range `{range}` runs backwards"));
            }
            (a, b)
        } else {
            let a = parse_number(range, name, min, max)?;
            (a, if step.is_some() { max } else { a })
        };
        for v in (lo..=hi).step_by(step.unwrap_or(1) as usize) {
            mask |= 1 << v;
        }
    }
    Ok(mask)
}

impl Schedule {
    /// Parses a five-field expression.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), got {} in `{text}`",
                parts.len()
            ));
        }
        let mut masks = [0u64; 5];
        for (i, ((name, min, max), part)) in FIELDS.iter().zip(&parts).enumerate() {
            masks[i] = parse_field(part, name, *min, *max)
                .map_err(|m| format!("in `{text}`, field {} ({m})", i + 1))?;
        }
        // Day of week 7 is Sunday, like 0.
        let weekdays = (masks[4] | (masks[4] >> 7)) & 0x7f;
        Ok(Schedule {
            minutes: masks[0],
            hours: masks[1],
            days: masks[2],
            months: masks[3],
            weekdays,
            days_star: parts[2].starts_with('*'),
            weekdays_star: parts[4].starts_with('*'),
        })
    }

    /// Whether the schedule fires on the day `days` after 1970-01-01.
    fn day_matches(&self, days: i64) -> bool {
        let (_, month, day) = civil_from_days(days);
        if self.months & (1 << month) == 0 {
            return false;
        }
        // 1970-01-01 was a Thursday (4, counting from Sunday = 0).
        let weekday = (days + 4).rem_euclid(7);
        let dom = self.days & (1 << day) != 0;
        let dow = self.weekdays & (1 << weekday) != 0;
        if self.days_star || self.weekdays_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first firing minute of a matching day at or after `minute` (of the day).
    fn first_minute_from(&self, minute: u32) -> Option<u32> {
        let (h0, m0) = (minute / 60, minute % 60);
        for h in h0..24 {
            if self.hours & (1 << h) == 0 {
                continue;
            }
            let mask = if h == h0 {
                self.minutes & (!0u64 << m0)
            } else {
                self.minutes
            };
            if mask != 0 {
                return Some(h * 60 + mask.trailing_zeros());
            }
        }
        None
    }

    /// Firings per day on a matching day.
    fn per_day(&self) -> u32 {
        self.hours.count_ones() * self.minutes.count_ones()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `z` days after 1970-01-01: (year, month 1–12, day 1–31).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// `YYYY-MM-DD[THH:MM[:SS]]` (UTC) to seconds since the Unix epoch.
fn parse_datetime(s: &str) -> Result<i64, String> {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let num = |x: &str, what: &str| -> Result<i64, String> {
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{x}` is not a {what}"));
        }
        x.parse().map_err(|_| format!("`{x}` is not a {what}"))
    };
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 {
        return Err(format!("`{date}` is not YYYY-MM-DD"));
    }
    let (y, m, day) = (num(d[0], "year")?, num(d[1], "month")?, num(d[2], "day")?);
    if !(1970..=9999).contains(&y) {
        return Err(format!("year {y} is outside 1970-9999"));
    }
    if !(1..=12).contains(&m) {
        return Err(format!("month {m} is outside 1-12"));
    }
    let month_len = [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=month_len[m as usize - 1]).contains(&day) {
        return Err(format!("{date} has no day {day}"));
    }
    let mut secs = days_from_civil(y, m as u32, day as u32) * 86_400;
    if let Some(t) = time {
        let p: Vec<&str> = t.split(':').collect();
        if !(2..=3).contains(&p.len()) {
            return Err(format!("`{t}` is not HH:MM or HH:MM:SS"));
        }
        let (h, mi) = (num(p[0], "hour")?, num(p[1], "minute")?);
        let sec = if p.len() == 3 {
            num(p[2], "second")?
        } else {
            0
        };
        if h > 23 || mi > 59 || sec > 59 {
            return Err(format!("`{t}` is not a time of day"));
        }
        secs += h * 3600 + mi * 60 + sec;
    }
    Ok(secs)
}

impl Cron {
    /// Firings per second over a 400-year Gregorian cycle (which is a whole number of
    /// weeks, so the calendar and the weekdays both repeat), times `count`.
    pub fn mean_rate_per_s(&self) -> f64 {
        match self {
            Cron::Every { every, count, .. } => *count as f64 / every.as_secs(),
            Cron::Schedule {
                schedule, count, ..
            } => {
                const CYCLE_DAYS: i64 = 146_097;
                let days = (0..CYCLE_DAYS).filter(|&d| schedule.day_matches(d)).count();
                let firings = days as f64 * f64::from(schedule.per_day());
                *count as f64 * firings / (CYCLE_DAYS as f64 * 86_400.0)
            }
        }
    }
}

/// A running schedule.
#[derive(Debug)]
pub struct CronSource {
    cron: Cron,
    /// Calendar cursor (schedules): the day and the first minute of it not yet examined.
    day: i64,
    minute: u32,
    /// Period cursor (`every_s`): the next firing.
    next: SimTime,
    /// The current firing and the arrivals of it still to give.
    current: SimTime,
    left: u64,
}

impl CronSource {
    /// Starts at t = 0: the first firing at or after the start.
    pub fn new(cron: Cron) -> CronSource {
        let (day, minute, next) = match &cron {
            Cron::Schedule { start_epoch_s, .. } => {
                // The first whole minute at or after the start.
                let first = start_epoch_s.div_euclid(60) + i64::from(start_epoch_s % 60 != 0);
                (
                    first.div_euclid(1440),
                    first.rem_euclid(1440) as u32,
                    SimTime::ZERO,
                )
            }
            Cron::Every { offset, .. } => (0, 0, *offset),
        };
        CronSource {
            cron,
            day,
            minute,
            next,
            current: SimTime::ZERO,
            left: 0,
        }
    }

    fn next_firing(&mut self) -> Option<SimTime> {
        match &self.cron {
            Cron::Every { every, .. } => {
                let t = self.next;
                self.next = self.next.saturating_add(*every);
                Some(t)
            }
            Cron::Schedule {
                schedule,
                start_epoch_s,
                ..
            } => {
                for _ in 0..SEARCH_DAYS {
                    if schedule.day_matches(self.day)
                        && let Some(m) = schedule.first_minute_from(self.minute)
                    {
                        let epoch = self.day * 86_400 + i64::from(m) * 60;
                        self.minute = m + 1;
                        let secs = (epoch - start_epoch_s) as u64;
                        return Some(SimTime(secs.saturating_mul(1_000_000_000)));
                    }
                    self.day += 1;
                    self.minute = 0;
                }
                None
            }
        }
    }

    /// The next arrival; `None` if the schedule stops firing.
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        if self.left == 0 {
            self.current = self.next_firing()?;
            self.left = match self.cron {
                Cron::Schedule { count, .. } | Cron::Every { count, .. } => count,
            };
        }
        self.left -= 1;
        Some(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 1, 1), 19_723);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for z in (-1000..100_000).step_by(7) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(parse_datetime("2024-01-01T00:00"), Ok(19_723 * 86_400));
        assert!(parse_datetime("2023-02-29").is_err());
        assert!(parse_datetime("2024-01-01T24:00").is_err());
    }

    #[test]
    fn fields_parse_to_masks() {
        let s = Schedule::parse("*/15 9-11,13 1,15 */6 5-7").unwrap();
        assert_eq!(s.minutes, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(s.hours, 1 << 9 | 1 << 10 | 1 << 11 | 1 << 13);
        assert_eq!(s.days, 1 << 1 | 1 << 15);
        assert_eq!(s.months, 1 << 1 | 1 << 7);
        assert_eq!(s.weekdays, 1 | 1 << 5 | 1 << 6);
        assert!(!s.days_star && !s.weekdays_star);
        let s = Schedule::parse("5/20 0 * * *").unwrap();
        assert_eq!(s.minutes, 1 << 5 | 1 << 25 | 1 << 45);
        for bad in [
            "* * * *",
            "60 * * * *",
            "* * 0 * *",
            "*/0 * * * *",
            "5-1 * * * *",
            "MON * * * *",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
