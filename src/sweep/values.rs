//! What values a parameter takes: lists, ranges (by step, by count, log-spaced) and
//! sampled designs (Latin hypercube, uniform random).

use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::Value;

use super::invalid;
use crate::error::Result;
use crate::json;
use crate::json::Ordered;
use crate::rng::replication_seed;

/// `"sample": {"method": "lhs", "points": 20, "ranges": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleSpec {
    /// How points are placed.
    pub method: SampleMethod,
    /// How many points.
    pub points: usize,
    /// Seed of the sampling (default: the experiment's seed).
    #[serde(default)]
    pub seed: Option<u64>,
    /// path → `{"from": a, "to": b, "log": false}`.
    pub ranges: Ordered<SampleRange>,
}

/// Sampling designs.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum SampleMethod {
    /// Latin hypercube: each range is cut into `points` equal strata and every stratum is
    /// hit exactly once, in a random pairing across ranges.
    Lhs,
    /// Independent uniform draws.
    Random,
}

/// One sampled range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleRange {
    /// Lower end.
    pub from: f64,
    /// Upper end.
    pub to: f64,
    /// Uniform in the logarithm (both ends > 0).
    #[serde(default)]
    pub log: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeSpec {
    from: f64,
    to: f64,
    #[serde(default)]
    step: Option<f64>,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    log: bool,
}

/// Largest number of points an experiment may expand to (a guard against typos).
pub const MAX_POINTS: usize = 1_000_000;

/// Rounds to 12 significant digits (so 0.1 + 0.2 steps print as 0.3) and writes integral
/// values as JSON integers (so integer fields such as `max_concurrency` accept them).
fn number(x: f64) -> Value {
    let r: f64 = format!("{x:.11e}").parse().expect("formatted float parses");
    if r.fract() == 0.0 && r.abs() < 9.0e15 {
        Value::from(r as i64)
    } else {
        Value::from(r)
    }
}

/// Expands one grid or zip entry (a list or a range) into its values.
pub(super) fn values(v: &Value, origin: &str, field: &str) -> Result<Vec<Value>> {
    match v {
        Value::Array(items) if !items.is_empty() => Ok(items.clone()),
        Value::Array(_) => Err(invalid(origin, field, "expected at least one value")),
        Value::Object(_) => {
            let r: RangeSpec = json::from_value(v.clone(), origin, field)?;
            range(&r).map_err(|m| invalid(origin, field, m))
        }
        _ => Err(invalid(
            origin,
            field,
            "expected a list of values or a range {\"from\", \"to\", \"step\" | \"count\"}",
        )),
    }
}

fn range(r: &RangeSpec) -> std::result::Result<Vec<Value>, String> {
    if !r.from.is_finite() || !r.to.is_finite() {
        return Err("expected finite `from` and `to`".into());
    }
    match (r.step, r.count) {
        (Some(step), None) => {
            if r.log {
                return Err("`log` goes with `count`, not `step`".into());
            }
            if !(step.is_finite() && step > 0.0) || r.to < r.from {
                return Err(format!(
                    "expected `step` > 0 and `to` >= `from`, got from {} to {} step {step}",
                    r.from, r.to
                ));
            }
            // i·step from `from` (no accumulated rounding); `to` is included when reached
            // up to rounding.
            let n = ((r.to - r.from) / step * (1.0 + 1e-12) + 1e-9).floor() as usize + 1;
            if n > MAX_POINTS {
                return Err(format!("expected at most {MAX_POINTS} values, got {n}"));
            }
            Ok((0..n).map(|i| number(r.from + i as f64 * step)).collect())
        }
        (None, Some(count)) => {
            if count == 0 || count > MAX_POINTS {
                return Err(format!("expected `count` in 1..={MAX_POINTS}, got {count}"));
            }
            if r.log && !(r.from > 0.0 && r.to > 0.0) {
                return Err("a `log` range needs `from` > 0 and `to` > 0".into());
            }
            let at = |i: usize| {
                if count == 1 {
                    return r.from;
                }
                let u = i as f64 / (count - 1) as f64;
                if r.log {
                    r.from * (r.to / r.from).powf(u)
                } else {
                    r.from + u * (r.to - r.from)
                }
            };
            Ok((0..count).map(|i| number(at(i))).collect())
        }
        _ => Err("expected exactly one of `step` and `count`".into()),
    }
}

/// Draws the sampled points: one row of `ranges.len()` values per point.
pub(super) fn sample(spec: &SampleSpec, seed: u64) -> Vec<Vec<Value>> {
    // A stream of its own: replication seeds use r < u32::MAX, so this one is distinct
    // from every run's seed.
    let mut rng = crate::rng::SimRng::seed_from_u64(replication_seed(seed, u32::MAX));
    let n = spec.points;
    let mut unit = vec![vec![0.0; spec.ranges.0.len()]; n];
    for d in 0..spec.ranges.0.len() {
        match spec.method {
            SampleMethod::Random => {
                for row in unit.iter_mut() {
                    row[d] = uniform(&mut rng);
                }
            }
            SampleMethod::Lhs => {
                // A random permutation of the strata (Fisher–Yates), then a uniform
                // position inside each stratum.
                let mut strata: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    // Modulo bias is below 2^-40 for any allowed number of points.
                    let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                    strata.swap(i, j);
                }
                for (row, s) in unit.iter_mut().zip(strata) {
                    row[d] = (s as f64 + uniform(&mut rng)) / n as f64;
                }
            }
        }
    }
    unit.into_iter()
        .map(|row| {
            row.iter()
                .zip(&spec.ranges.0)
                .map(|(u, (_, r))| {
                    number(if r.log {
                        r.from * (r.to / r.from).powf(*u)
                    } else {
                        r.from + u * (r.to - r.from)
                    })
                })
                .collect()
        })
        .collect()
}

/// Uniform in [0, 1) from the top 53 bits.
fn uniform(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_tidy() {
        assert_eq!(number(0.1 + 0.2), Value::from(0.3));
        assert_eq!(number(5.0), Value::from(5));
        assert_eq!(number(2.5), Value::from(2.5));
    }
}
