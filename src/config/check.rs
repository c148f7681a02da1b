//! The one vocabulary of value checks that every validation uses.
//!
//! Each check takes the value, the field's path (for the message) and, where the unit is
//! not implied, what the value is (`"a rate per second"`, `"messages"`), and returns the
//! value (or its [`SimTime`]) or a [`FieldError`] worded the same way everywhere:
//!
//! | check | accepts | message |
//! |---|---|---|
//! | [`non_negative`] | finite, `>= 0` | `expected {what} >= 0, got {v}` |
//! | [`positive`] | finite, `> 0` | `expected {what} > 0, got {v}` |
//! | [`within`] | `lo <= v <= hi` | `expected {what} in [lo, hi], got {v}` |
//! | [`within_excluding_low`] | `lo < v <= hi` | `expected {what} in (lo, hi], got {v}` |
//! | [`within_excluding_high`] | `lo <= v < hi` | `expected {what} in [lo, hi), got {v}` |
//! | [`probability`] | `[0, 1]` | `expected a probability in [0, 1], got {v}` |
//! | [`fraction`] | `[0, 1]` | `expected a fraction in [0, 1], got {v}` |
//! | [`seconds`], [`positive_seconds`], [`seconds_within`] | as above, and at most [`MAX_SECONDS`] | `expected a number of seconds …` |
//! | [`rate`] | `0 < v <= MAX_RATE_PER_S` | `expected a rate per second in (0, 1e9], got {v}: …` |
//! | [`duration_ms`] | `0 <= v <=` [`MAX_MS`] | `expected a number of milliseconds in [0, …], got {v}: …` |
//! | [`count_within`] | `lo..=hi` (integers) | `expected {what} in lo..=hi, got {v}` |
//! | [`at_least`] | `>= min` (integers) | `expected at least {min} {what}, got {v}` |
//! | [`name`] | not blank | `expected a non-empty name` |
//! | [`unique`] | not among the earlier names | ``{kind} names must be unique; `{name}` appears twice`` |
//!
//! NaN and infinity fail every check, so a validated number is always usable as one. This module imports nothing but the
//! error and time types: the domain modules that validate their own `*Spec` (dist,
//! workload, policy, database, profile) use it without depending on the rest of `config`.

use crate::error::FieldError;
use crate::time::SimTime;

/// The longest time a scenario may state, in seconds: 100 Julian years. The clock counts
/// nanoseconds in a `u64` (584 years); with every stated time, every sampled duration and
/// the run's horizon each at most 100 years, a request's own latency (wait + cold start +
/// execution, after an arrival inside the horizon) stays below 400 years. Only a chain of
/// five or more calls, or a long series of retries, of century-long executions could reach
/// the clock's end, where times saturate at 584 years: an impossible number, not a
/// plausible one.
pub const MAX_SECONDS: f64 = 100.0 * 365.25 * 86_400.0;

/// [`MAX_SECONDS`] in milliseconds, the unit of distributions.
pub const MAX_MS: f64 = MAX_SECONDS * 1e3;

/// The fastest arrival stream the clock can carry: one arrival per nanosecond on average.
/// Faster streams would put several arrivals in most nanoseconds, and a run of any length
/// would take longer than anyone would wait for.
pub const MAX_RATE_PER_S: f64 = 1e9;

/// Why a number of seconds above [`MAX_SECONDS`] is refused, for messages.
const CLOCK_LIMIT: &str = "100 years, the longest time faassim's nanosecond clock accepts";

/// `v` for a message: as written for ordinary magnitudes, in exponent form beyond them
/// (`1e300` rather than its 301 digits).
pub(crate) fn shown(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() || (1e-6..1e16).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A finite number `>= 0`.
pub(crate) fn non_negative(
    v: f64,
    field: impl Into<String>,
    what: &str,
) -> Result<f64, FieldError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected {what} >= 0, got {}", shown(v)),
        ))
    }
}

/// A finite number `> 0`.
pub(crate) fn positive(v: f64, field: impl Into<String>, what: &str) -> Result<f64, FieldError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected {what} > 0, got {}", shown(v)),
        ))
    }
}

/// A number in the closed interval `[lo, hi]`.
pub(crate) fn within(
    v: f64,
    lo: f64,
    hi: f64,
    field: impl Into<String>,
    what: &str,
) -> Result<f64, FieldError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected {what} in [{lo}, {hi}], got {}", shown(v)),
        ))
    }
}

/// A number in `(lo, hi]`: a share that must not be zero.
pub(crate) fn within_excluding_low(
    v: f64,
    lo: f64,
    hi: f64,
    field: impl Into<String>,
    what: &str,
) -> Result<f64, FieldError> {
    if v.is_finite() && v > lo && v <= hi {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected {what} in ({lo}, {hi}], got {}", shown(v)),
        ))
    }
}

/// A number in `[lo, hi)`.
pub(crate) fn within_excluding_high(
    v: f64,
    lo: f64,
    hi: f64,
    field: impl Into<String>,
    what: &str,
) -> Result<f64, FieldError> {
    if v.is_finite() && (lo..hi).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected {what} in [{lo}, {hi}), got {}", shown(v)),
        ))
    }
}

/// A probability: `[0, 1]`.
pub(crate) fn probability(v: f64, field: impl Into<String>) -> Result<f64, FieldError> {
    within(v, 0.0, 1.0, field, "a probability")
}

/// A fraction of a whole: `[0, 1]`.
pub(crate) fn fraction(v: f64, field: impl Into<String>) -> Result<f64, FieldError> {
    within(v, 0.0, 1.0, field, "a fraction")
}

/// A number of seconds `>= 0` and at most [`MAX_SECONDS`], as simulated time.
pub(crate) fn seconds(v: f64, field: impl Into<String>) -> Result<SimTime, FieldError> {
    let field = field.into();
    let v = non_negative(v, field.as_str(), "a number of seconds")?;
    in_clock_range(v, field)
}

/// A number of seconds `> 0` and at most [`MAX_SECONDS`], as simulated time.
pub(crate) fn positive_seconds(v: f64, field: impl Into<String>) -> Result<SimTime, FieldError> {
    let field = field.into();
    let v = positive(v, field.as_str(), "a number of seconds")?;
    in_clock_range(v, field)
}

/// Refuses a checked number of seconds above [`MAX_SECONDS`].
fn in_clock_range(v: f64, field: String) -> Result<SimTime, FieldError> {
    if v <= MAX_SECONDS {
        Ok(SimTime::from_secs(v))
    } else {
        Err(FieldError::new(
            field,
            format!(
                "expected at most {MAX_SECONDS} seconds ({CLOCK_LIMIT}), got {}",
                shown(v)
            ),
        ))
    }
}

/// A duration in milliseconds (a distribution's parameter): `>= 0` and at most
/// [`MAX_MS`].
pub(crate) fn duration_ms(v: f64, field: impl Into<String>) -> Result<f64, FieldError> {
    let field = field.into();
    let v = non_negative(v, field.as_str(), "a number")?;
    if v <= MAX_MS {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!(
                "expected at most {MAX_MS} ms ({CLOCK_LIMIT}), got {}",
                shown(v)
            ),
        ))
    }
}

/// An arrival rate: `> 0` and at most [`MAX_RATE_PER_S`].
pub(crate) fn rate(v: f64, field: impl Into<String>) -> Result<f64, FieldError> {
    let field = field.into();
    let v = positive(v, field.as_str(), "a rate per second")?;
    rate_in_range(v, field)
}

/// An arrival rate that may be zero (a silent state): `>= 0` and at most
/// [`MAX_RATE_PER_S`].
pub(crate) fn rate_or_zero(v: f64, field: impl Into<String>) -> Result<f64, FieldError> {
    let field = field.into();
    let v = non_negative(v, field.as_str(), "a rate per second")?;
    rate_in_range(v, field)
}

fn rate_in_range(v: f64, field: String) -> Result<f64, FieldError> {
    if v <= MAX_RATE_PER_S {
        Ok(v)
    } else {
        Err(FieldError::new(field, rate_limit_message(v)))
    }
}

/// Why a rate above [`MAX_RATE_PER_S`] is refused.
pub(crate) fn rate_limit_message(v: f64) -> String {
    format!(
        "expected a rate of at most 1e9 per second, got {}: the clock counts whole \
         nanoseconds, so one arrival stream cannot average more than one arrival per ns",
        shown(v)
    )
}

/// A number of seconds in `[lo, hi]`, as simulated time.
pub(crate) fn seconds_within(
    v: f64,
    lo: f64,
    hi: f64,
    field: impl Into<String>,
) -> Result<SimTime, FieldError> {
    let field = field.into();
    let v = within(v, lo, hi, field.as_str(), "a number of seconds")?;
    in_clock_range(v, field)
}

/// A whole number in `lo..=hi`.
pub(crate) fn count_within(
    v: u32,
    lo: u32,
    hi: u32,
    field: impl Into<String>,
    what: &str,
) -> Result<u32, FieldError> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected {what} in {lo}..={hi}, got {v}"),
        ))
    }
}

/// A whole number `>= min`; `what` is the unit (`"connection"`, `"MB"`).
pub(crate) fn at_least(
    v: u32,
    min: u32,
    field: impl Into<String>,
    what: &str,
) -> Result<u32, FieldError> {
    if v >= min {
        Ok(v)
    } else {
        Err(FieldError::new(
            field,
            format!("expected at least {min} {what}, got {v}"),
        ))
    }
}

/// A name with something besides whitespace in it.
pub(crate) fn name(name: &str, field: impl Into<String>) -> Result<(), FieldError> {
    if name.trim().is_empty() {
        Err(FieldError::new(field, "expected a non-empty name"))
    } else {
        Ok(())
    }
}

/// A name that none of the `earlier` entries of the same `kind` (`"function"`,
/// `"queue"`) has.
pub(crate) fn unique<'a>(
    name: &str,
    mut earlier: impl Iterator<Item = &'a str>,
    field: impl Into<String>,
    kind: &str,
) -> Result<(), FieldError> {
    if earlier.any(|e| e == name) {
        Err(FieldError::new(
            field,
            format!("{kind} names must be unique; `{name}` appears twice"),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of a refused value.
    fn refused<T: std::fmt::Debug>(r: Result<T, FieldError>) -> String {
        let e = r.expect_err("expected the value to be refused");
        assert_eq!(e.field, "f.x");
        e.message
    }

    #[test]
    fn huge_and_tiny_values_are_shown_with_an_exponent() {
        assert_eq!(shown(1e300), "1e300");
        assert_eq!(shown(-2.5e-9), "-2.5e-9");
        assert_eq!(shown(120.5), "120.5");
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(f64::NAN), "NaN");
        assert_eq!(
            refused(positive(-1e20, "f.x", "a rate")),
            "expected a rate > 0, got -1e20"
        );
    }

    #[test]
    fn non_negative_accepts_zero_and_refuses_below_and_nan() {
        assert_eq!(non_negative(0.0, "f.x", "a size"), Ok(0.0));
        assert_eq!(
            refused(non_negative(-0.5, "f.x", "a size")),
            "expected a size >= 0, got -0.5"
        );
        assert_eq!(
            refused(non_negative(f64::NAN, "f.x", "a size")),
            "expected a size >= 0, got NaN"
        );
        assert_eq!(
            refused(non_negative(f64::INFINITY, "f.x", "a size")),
            "expected a size >= 0, got inf"
        );
    }

    #[test]
    fn positive_refuses_zero_and_accepts_the_smallest_number_above() {
        assert_eq!(
            positive(f64::MIN_POSITIVE, "f.x", "a rate"),
            Ok(f64::MIN_POSITIVE)
        );
        assert_eq!(
            refused(positive(0.0, "f.x", "a rate")),
            "expected a rate > 0, got 0"
        );
    }

    #[test]
    fn within_accepts_both_ends() {
        assert_eq!(within(2.0, 2.0, 3.0, "f.x", "a level"), Ok(2.0));
        assert_eq!(within(3.0, 2.0, 3.0, "f.x", "a level"), Ok(3.0));
        assert_eq!(
            refused(within(3.5, 2.0, 3.0, "f.x", "a level")),
            "expected a level in [2, 3], got 3.5"
        );
        assert_eq!(
            refused(within(1.5, 2.0, 3.0, "f.x", "a level")),
            "expected a level in [2, 3], got 1.5"
        );
    }

    #[test]
    fn within_excluding_low_refuses_the_low_end_and_accepts_the_high_end() {
        assert_eq!(
            within_excluding_low(1.0, 0.0, 1.0, "f.x", "a share"),
            Ok(1.0)
        );
        assert_eq!(
            refused(within_excluding_low(0.0, 0.0, 1.0, "f.x", "a share")),
            "expected a share in (0, 1], got 0"
        );
        assert_eq!(
            refused(within_excluding_low(1.01, 0.0, 1.0, "f.x", "a share")),
            "expected a share in (0, 1], got 1.01"
        );
    }

    #[test]
    fn within_excluding_high_accepts_the_low_end_and_refuses_the_high_end() {
        assert_eq!(
            within_excluding_high(0.0, 0.0, 1.0, "f.x", "a ratio"),
            Ok(0.0)
        );
        assert_eq!(
            refused(within_excluding_high(1.0, 0.0, 1.0, "f.x", "a ratio")),
            "expected a ratio in [0, 1), got 1"
        );
    }

    #[test]
    fn probability_and_fraction_are_the_unit_interval() {
        assert_eq!(probability(1.0, "f.x"), Ok(1.0));
        assert_eq!(probability(0.0, "f.x"), Ok(0.0));
        assert_eq!(
            refused(probability(-0.1, "f.x")),
            "expected a probability in [0, 1], got -0.1"
        );
        assert_eq!(fraction(1.0, "f.x"), Ok(1.0));
        assert_eq!(
            refused(fraction(2.0, "f.x")),
            "expected a fraction in [0, 1], got 2"
        );
    }

    #[test]
    fn seconds_become_nanoseconds_and_share_one_wording() {
        assert_eq!(seconds(0.0, "f.x"), Ok(SimTime::ZERO));
        assert_eq!(seconds(1.5, "f.x"), Ok(SimTime(1_500_000_000)));
        assert_eq!(
            refused(seconds(-1.0, "f.x")),
            "expected a number of seconds >= 0, got -1"
        );
        assert_eq!(positive_seconds(0.001, "f.x"), Ok(SimTime(1_000_000)));
        assert_eq!(
            refused(positive_seconds(0.0, "f.x")),
            "expected a number of seconds > 0, got 0"
        );
        assert_eq!(
            seconds_within(300.0, 0.0, 300.0, "f.x"),
            Ok(SimTime::from_secs(300.0))
        );
        assert_eq!(
            refused(seconds_within(301.0, 0.0, 300.0, "f.x")),
            "expected a number of seconds in [0, 300], got 301"
        );
    }

    #[test]
    fn whole_numbers_check_inclusive_bounds() {
        assert_eq!(count_within(10, 1, 10, "f.x", "messages"), Ok(10));
        assert_eq!(count_within(1, 1, 10, "f.x", "messages"), Ok(1));
        assert_eq!(
            refused(count_within(0, 1, 10, "f.x", "messages")),
            "expected messages in 1..=10, got 0"
        );
        assert_eq!(at_least(1, 1, "f.x", "connection"), Ok(1));
        assert_eq!(
            refused(at_least(0, 1, "f.x", "connection")),
            "expected at least 1 connection, got 0"
        );
    }

    #[test]
    fn names_must_not_be_blank_nor_repeat() {
        assert_eq!(name("a", "f.x"), Ok(()));
        assert_eq!(refused(name(" \t", "f.x")), "expected a non-empty name");
        assert_eq!(unique("a", ["b", "c"].into_iter(), "f.x", "queue"), Ok(()));
        assert_eq!(unique("a", std::iter::empty(), "f.x", "queue"), Ok(()));
        assert_eq!(
            refused(unique("c", ["b", "c"].into_iter(), "f.x", "queue")),
            "queue names must be unique; `c` appears twice"
        );
    }
}
