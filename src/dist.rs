//! Probability distributions for durations (execution times, cold-start phases, ...).
//!
//! [`DistSpec`] is the JSON shape as written in scenario and profile files (values in
//! milliseconds); [`Dist`] is the validated form that samples. Validation happens once, at
//! load time, and reports the field path of any bad parameter.
//!
//! | `dist` | fields | meaning |
//! |---|---|---|
//! | `const` | `value` | always `value` |
//! | `exponential` | `mean` | exponential with that mean |
//! | `uniform` | `min`, `max` | uniform on `[min, max]` |
//! | `normal` | `mean`, `std` | normal truncated at 0 (resampled while negative) |
//! | `lognormal` | `median` + `p99`, `median` + `sigma`, or `mu` + `sigma` | lognormal; `sigma` is the σ of ln X |
//! | `mixture` | `parts`: `[{"weight", "dist"}]` | picks a part with probability ∝ weight |
//! | `empirical` | `values` or `percentiles` | uniform pick among `values`; or a piecewise-linear inverse CDF through `[[percent, value], ...]` from 0 to 100 |

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::Deserialize;

use crate::config::check;
use crate::error::FieldError;

/// z-score of the 99th percentile of the standard normal distribution.
const Z99: f64 = 2.326_347_874_040_841;

/// A distribution as written in a JSON file (values in milliseconds).
// Deserialize: `json::tagged!` below, so errors inside a variant keep their field path.
#[derive(Debug, Clone, PartialEq)]
pub enum DistSpec {
    /// Always the same value.
    Const(ConstSpec),
    /// Exponential.
    Exponential(ExponentialSpec),
    /// Uniform on a closed interval.
    Uniform(UniformSpec),
    /// Normal, truncated at zero.
    Normal(NormalSpec),
    /// Lognormal.
    Lognormal(LognormalSpec),
    /// Weighted mixture of other distributions.
    Mixture(MixtureSpec),
    /// Empirical: a list of values or a percentile table.
    Empirical(EmpiricalSpec),
}

crate::json::tagged!(DistSpec, "dist", {
    "const" => Const(ConstSpec),
    "exponential" => Exponential(ExponentialSpec),
    "uniform" => Uniform(UniformSpec),
    "normal" => Normal(NormalSpec),
    "lognormal" => Lognormal(LognormalSpec),
    "mixture" => Mixture(MixtureSpec),
    "empirical" => Empirical(EmpiricalSpec),
});

/// `{"dist": "const", "value": 100}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConstSpec {
    /// The value.
    pub value: f64,
}

/// `{"dist": "exponential", "mean": 200}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExponentialSpec {
    /// The mean.
    pub mean: f64,
}

/// `{"dist": "uniform", "min": 1, "max": 5}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UniformSpec {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// `{"dist": "normal", "mean": 100, "std": 10}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NormalSpec {
    /// Mean of the untruncated normal.
    pub mean: f64,
    /// Standard deviation of the untruncated normal.
    pub std: f64,
}

/// `{"dist": "lognormal", "median": 120, "p99": 800}` and the other two parametrisations.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LognormalSpec {
    /// Median (= e^mu).
    pub median: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Mean of ln X.
    pub mu: Option<f64>,
    /// Standard deviation of ln X.
    pub sigma: Option<f64>,
}

/// `{"dist": "mixture", "parts": [{"weight": 0.95, "dist": {...}}, ...]}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MixtureSpec {
    /// The parts; weights need not sum to one.
    pub parts: Vec<MixturePart>,
}

/// One part of a mixture.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MixturePart {
    /// Relative weight, > 0.
    pub weight: f64,
    /// The part's distribution.
    pub dist: DistSpec,
}

/// `{"dist": "empirical", "values": [...]}` or `{"dist": "empirical", "percentiles": [[0, 10], [100, 40]]}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmpiricalSpec {
    /// Sample values, each picked with equal probability.
    pub values: Option<Vec<f64>>,
    /// `[percent, value]` pairs, percents increasing from 0 to 100, values non-decreasing.
    pub percentiles: Option<Vec<(f64, f64)>>,
}

/// A validated distribution, ready to sample (values in milliseconds, never negative).
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always this value.
    Const(f64),
    /// Exponential with this mean.
    Exponential {
        /// The mean.
        mean: f64,
    },
    /// Uniform on `[min, min + width]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// `max - min`.
        width: f64,
    },
    /// Normal truncated at zero.
    Normal {
        /// Mean before truncation.
        mean: f64,
        /// Standard deviation before truncation.
        std: f64,
    },
    /// e^(mu + sigma·Z).
    Lognormal {
        /// Mean of ln X.
        mu: f64,
        /// Standard deviation of ln X.
        sigma: f64,
    },
    /// Mixture: `cumulative[i]` is the normalised weight of parts `0..=i`.
    Mixture {
        /// Cumulative normalised weights; the last is 1.
        cumulative: Vec<f64>,
        /// The parts.
        parts: Vec<Dist>,
    },
    /// Uniform pick among the values.
    Values(Vec<f64>),
    /// Piecewise-linear inverse CDF through `(probability, value)` points, from 0 to 1.
    Percentiles(Vec<(f64, f64)>),
}

/// The largest chance a distribution may give to a value above `MAX_MS` (100
/// years): one sample in a billion. Samples beyond are clamped there (see [`Dist::sample`]);
/// a distribution that would need clamping more often is refused, since its results would
/// be the clamp's rather than the distribution's.
pub const MAX_TAIL_ABOVE_CLOCK: f64 = 1e-9;

impl DistSpec {
    /// Validates the parameters; `field` is this distribution's path, used in errors.
    pub fn validate(&self, field: &str) -> Result<Dist, FieldError> {
        let dist = self.validate_shape(field)?;
        let tail = dist.probability_above(check::MAX_MS);
        if tail > MAX_TAIL_ABOVE_CLOCK {
            return Err(FieldError::new(
                field,
                format!(
                    "expected a distribution of durations below 100 years (faassim's clock \
                     limit), but this one exceeds {} ms with probability {tail:.3e} \
                     (at most {MAX_TAIL_ABOVE_CLOCK:e} is accepted)",
                    check::MAX_MS
                ),
            ));
        }
        Ok(dist)
    }

    fn validate_shape(&self, field: &str) -> Result<Dist, FieldError> {
        let at = |name: &str| format!("{field}.{name}");
        Ok(match self {
            DistSpec::Const(c) => Dist::Const(check::duration_ms(c.value, at("value"))?),
            DistSpec::Exponential(e) => Dist::Exponential {
                mean: check::positive(e.mean, at("mean"), "a number")?,
            },
            DistSpec::Uniform(u) => {
                let min = check::duration_ms(u.min, at("min"))?;
                let max = check::duration_ms(u.max, at("max"))?;
                if max < min {
                    return Err(FieldError::new(
                        at("max"),
                        format!("expected max >= min ({min}), got {max}"),
                    ));
                }
                Dist::Uniform {
                    min,
                    width: max - min,
                }
            }
            DistSpec::Normal(n) => {
                // A mean below zero would make the truncation reject most draws.
                let mean = check::non_negative(n.mean, at("mean"), "a number")?;
                let std = check::non_negative(n.std, at("std"), "a number")?;
                Dist::Normal { mean, std }
            }
            DistSpec::Lognormal(l) => validate_lognormal(l, field)?,
            DistSpec::Mixture(m) => {
                if m.parts.is_empty() {
                    return Err(FieldError::new(at("parts"), "expected at least one part"));
                }
                let mut parts = Vec::with_capacity(m.parts.len());
                let mut weights = Vec::with_capacity(m.parts.len());
                for (i, p) in m.parts.iter().enumerate() {
                    weights.push(check::positive(
                        p.weight,
                        format!("{field}.parts[{i}].weight"),
                        "a number",
                    )?);
                    parts.push(p.dist.validate(&format!("{field}.parts[{i}].dist"))?);
                }
                // Weights are relative: dividing by the largest first keeps the running
                // sum finite (at most the number of parts) whatever their magnitude; summed
                // as written, two weights of 1e308 made the total infinite and silently
                // gave every part a probability of 0 or NaN.
                let largest = weights.iter().copied().fold(0.0, f64::max);
                let mut total = 0.0;
                for w in &mut weights {
                    total += *w / largest;
                    *w = total;
                }
                let mut cumulative: Vec<f64> = weights.iter().map(|w| w / total).collect();
                // Guard against rounding: the last bucket must catch u close to 1.
                *cumulative.last_mut().expect("non-empty") = 1.0;
                Dist::Mixture { cumulative, parts }
            }
            DistSpec::Empirical(e) => match (&e.values, &e.percentiles) {
                (Some(values), None) => {
                    if values.is_empty() {
                        return Err(FieldError::new(at("values"), "expected at least one value"));
                    }
                    for (i, v) in values.iter().enumerate() {
                        check::duration_ms(*v, format!("{field}.values[{i}]"))?;
                    }
                    Dist::Values(values.clone())
                }
                (None, Some(table)) => validate_percentiles(table, &at("percentiles"))?,
                _ => {
                    return Err(FieldError::new(
                        field,
                        "expected exactly one of `values` or `percentiles`",
                    ));
                }
            },
        })
    }
}

fn validate_lognormal(l: &LognormalSpec, field: &str) -> Result<Dist, FieldError> {
    let at = |name: &str| format!("{field}.{name}");
    let (mu, sigma) = match (l.median, l.p99, l.mu, l.sigma) {
        (Some(median), Some(p99), None, None) => {
            let median = check::positive(median, at("median"), "a number")?;
            let p99 = check::positive(p99, at("p99"), "a number")?;
            if p99 < median {
                return Err(FieldError::new(
                    at("p99"),
                    format!("expected p99 >= median ({median}), got {p99}"),
                ));
            }
            (median.ln(), (p99 / median).ln() / Z99)
        }
        (Some(median), None, None, Some(sigma)) => (
            check::positive(median, at("median"), "a number")?.ln(),
            check::non_negative(sigma, at("sigma"), "a number")?,
        ),
        (None, None, Some(mu), Some(sigma)) => {
            if !mu.is_finite() {
                return Err(FieldError::new(
                    at("mu"),
                    format!("expected a finite number, got {mu}"),
                ));
            }
            (mu, check::non_negative(sigma, at("sigma"), "a number")?)
        }
        _ => {
            return Err(FieldError::new(
                field,
                "expected `median` with `p99`, `median` with `sigma`, or `mu` with `sigma`",
            ));
        }
    };
    Ok(Dist::Lognormal { mu, sigma })
}

fn validate_percentiles(table: &[(f64, f64)], field: &str) -> Result<Dist, FieldError> {
    if table.len() < 2 {
        return Err(FieldError::new(
            field,
            "expected at least two [percent, value] points, from 0 to 100",
        ));
    }
    let mut points = Vec::with_capacity(table.len());
    for (i, &(pct, value)) in table.iter().enumerate() {
        let here = format!("{field}[{i}]");
        check::within(pct, 0.0, 100.0, &here, "a percent")?;
        let value = check::duration_ms(value, &here)?;
        if let Some(&(prev_q, prev_v)) = points.last() {
            if pct / 100.0 <= prev_q {
                return Err(FieldError::new(here, "expected percents to increase"));
            }
            if value < prev_v {
                return Err(FieldError::new(here, "expected values not to decrease"));
            }
        }
        points.push((pct / 100.0, value));
    }
    if points[0].0 != 0.0 || points[points.len() - 1].0 != 1.0 {
        return Err(FieldError::new(
            field,
            "expected the first percent to be 0 and the last 100",
        ));
    }
    Ok(Dist::Percentiles(points))
}

impl Dist {
    /// Draws one value (milliseconds, in `[0, MAX_MS]`). Validation refuses distributions
    /// that exceed `MAX_MS` (100 years) with probability above [`MAX_TAIL_ABOVE_CLOCK`]; the
    /// rare draw beyond is clamped to it, so a sampled duration never saturates the clock.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // The commonest distribution is drawn at the call site, without the call and the
        // match of `sample_unclamped` (the same draw).
        let x = match self {
            Dist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                e * mean
            }
            _ => self.sample_unclamped(rng),
        };
        x.min(check::MAX_MS)
    }

    #[inline]
    fn sample_unclamped<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Const(v) => *v,
            Dist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                e * mean
            }
            Dist::Uniform { min, width } => min + width * rng.random::<f64>(),
            Dist::Normal { mean, std } => {
                // Rejection keeps the exact truncated shape; with mean >= 0 at least half
                // of the draws are accepted. The cap only matters for std = inf-like input.
                for _ in 0..64 {
                    let z: f64 = StandardNormal.sample(rng);
                    let x = mean + std * z;
                    if x >= 0.0 {
                        return x;
                    }
                }
                *mean
            }
            Dist::Lognormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Dist::Mixture { cumulative, parts } => {
                let u: f64 = rng.random();
                let i = cumulative.partition_point(|&c| c <= u).min(parts.len() - 1);
                parts[i].sample_unclamped(rng)
            }
            Dist::Values(values) => values[rng.random_range(0..values.len())],
            Dist::Percentiles(points) => {
                let u: f64 = rng.random();
                // First point with probability > u; interpolate from its predecessor.
                let j = points
                    .partition_point(|&(q, _)| q <= u)
                    .clamp(1, points.len() - 1);
                let (q0, v0) = points[j - 1];
                let (q1, v1) = points[j];
                v0 + (v1 - v0) * (u - q0) / (q1 - q0)
            }
        }
    }

    /// P(X > `x`), exactly where the shape allows it (the truncated normal's up to the
    /// precision of `erfc`, about 1e-7 absolute).
    pub fn probability_above(&self, x: f64) -> f64 {
        match self {
            Dist::Const(v) => f64::from(u8::from(*v > x)),
            Dist::Exponential { mean } => (-x / mean).exp(),
            Dist::Uniform { min, width } => {
                if *width == 0.0 {
                    f64::from(u8::from(*min > x))
                } else {
                    ((min + width - x) / width).clamp(0.0, 1.0)
                }
            }
            Dist::Normal { mean, std } => {
                if *std == 0.0 {
                    return f64::from(u8::from(*mean > x));
                }
                // Truncated at 0: P(X > x) / P(X > 0).
                let above = |t: f64| 0.5 * erfc((t - mean) / (std * std::f64::consts::SQRT_2));
                above(x) / above(0.0)
            }
            Dist::Lognormal { mu, sigma } => {
                if *sigma == 0.0 {
                    return f64::from(u8::from(mu.exp() > x));
                }
                0.5 * erfc((x.ln() - mu) / (sigma * std::f64::consts::SQRT_2))
            }
            Dist::Mixture { cumulative, parts } => {
                let mut previous = 0.0;
                let mut p = 0.0;
                for (c, part) in cumulative.iter().zip(parts) {
                    p += (c - previous) * part.probability_above(x);
                    previous = *c;
                }
                p
            }
            Dist::Values(values) => {
                values.iter().filter(|v| **v > x).count() as f64 / values.len() as f64
            }
            Dist::Percentiles(points) => {
                // 1 - F(x) on the piecewise-linear CDF; a flat segment (a jump of the
                // inverse) holds no values strictly inside.
                if x < points[0].1 {
                    return 1.0;
                }
                for w in points.windows(2) {
                    let ((q0, v0), (q1, v1)) = (w[0], w[1]);
                    if x < v1 {
                        let within = if v1 > v0 { (x - v0) / (v1 - v0) } else { 0.0 };
                        return 1.0 - (q0 + (q1 - q0) * within.max(0.0));
                    }
                }
                0.0
            }
        }
    }

    /// The exact mean, in milliseconds.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Const(v) => *v,
            Dist::Exponential { mean } => *mean,
            Dist::Uniform { min, width } => min + width / 2.0,
            Dist::Normal { mean, std } => {
                if *std == 0.0 {
                    return *mean;
                }
                // Mean of a normal truncated below at 0: mean + std·φ(α)/(1 − Φ(α)), α = −mean/std.
                let alpha = -mean / std;
                let pdf = (-0.5 * alpha * alpha).exp() / (2.0 * std::f64::consts::PI).sqrt();
                let tail = 0.5 * erfc(alpha / std::f64::consts::SQRT_2);
                mean + std * pdf / tail
            }
            Dist::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Mixture { cumulative, parts } => {
                let mut prev = 0.0;
                let mut m = 0.0;
                for (c, p) in cumulative.iter().zip(parts) {
                    m += (c - prev) * p.mean();
                    prev = *c;
                }
                m
            }
            Dist::Values(v) => v.iter().sum::<f64>() / v.len() as f64,
            Dist::Percentiles(points) => points
                .windows(2)
                .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
                .sum(),
        }
    }
}

/// Complementary error function (W. J. Cody's rational approximation via erfc = 1 − erf is
/// not needed here: Numerical Recipes' `erfcc`, fractional error < 1.2e-7, is plenty for a
/// reported mean).
pub(crate) fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    fn parse(json: &str) -> Result<Dist, String> {
        let spec: DistSpec = serde_json::from_str(json).map_err(|e| e.to_string())?;
        spec.validate("d")
            .map_err(|e| format!("{}: {}", e.field, e.message))
    }

    /// Sample mean of n draws, with its standard error.
    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        (m, (var / n as f64).sqrt())
    }

    #[test]
    fn shapes_parse() {
        assert_eq!(
            parse(r#"{"dist":"const","value":100}"#),
            Ok(Dist::Const(100.0))
        );
        assert_eq!(
            parse(r#"{"dist":"exponential","mean":200}"#),
            Ok(Dist::Exponential { mean: 200.0 })
        );
        let Dist::Lognormal { mu, sigma } =
            parse(r#"{"dist":"lognormal","median":120,"p99":800}"#).unwrap()
        else {
            panic!("not a lognormal")
        };
        assert!((mu - 120f64.ln()).abs() < 1e-12);
        assert!((sigma - (800f64 / 120.0).ln() / Z99).abs() < 1e-12);
    }

    #[test]
    fn bad_parameters_name_the_field() {
        assert_eq!(
            parse(r#"{"dist":"exponential","mean":-1}"#).unwrap_err(),
            "d.mean: expected a number > 0, got -1"
        );
        assert!(
            parse(r#"{"dist":"lognormal","median":120}"#)
                .unwrap_err()
                .starts_with("d: expected `median` with `p99`")
        );
        assert!(
            parse(r#"{"dist":"mixture","parts":[{"weight":0,"dist":{"dist":"const","value":1}}]}"#)
                .unwrap_err()
                .starts_with("d.parts[0].weight")
        );
        assert!(
            parse(r#"{"dist":"empirical","percentiles":[[0,1],[50,3],[90,2],[100,4]]}"#)
                .unwrap_err()
                .contains("not to decrease")
        );
        assert!(parse(r#"{"dist":"uniform","min":5,"max":1}"#).is_err());
    }

    #[test]
    fn misspelled_fields_and_kinds_are_rejected() {
        let e = parse(r#"{"dist":"exponential","mean":1,"meen":2}"#).unwrap_err();
        assert!(e.contains("unknown field `meen`"), "{e}");
        let e = parse(r#"{"dist":"gamma","shape":2}"#).unwrap_err();
        assert!(e.contains("unknown variant `gamma`"), "{e}");
    }

    /// Sample means agree with the exact means within 4 standard errors.
    #[test]
    fn sample_means_match_exact_means() {
        let cases = [
            r#"{"dist":"exponential","mean":50}"#,
            r#"{"dist":"uniform","min":10,"max":30}"#,
            r#"{"dist":"normal","mean":10,"std":10}"#,
            r#"{"dist":"lognormal","median":145,"sigma":0.5}"#,
            r#"{"dist":"mixture","parts":[{"weight":3,"dist":{"dist":"const","value":10}},{"weight":1,"dist":{"dist":"exponential","mean":100}}]}"#,
            r#"{"dist":"empirical","values":[1,2,3,10]}"#,
            r#"{"dist":"empirical","percentiles":[[0,0],[50,10],[100,100]]}"#,
        ];
        for json in cases {
            let d = parse(json).unwrap();
            let (m, se) = sample_mean(&d, 200_000);
            assert!(
                (m - d.mean()).abs() < 4.0 * se,
                "{json}: sample mean {m} vs exact {} (se {se})",
                d.mean()
            );
        }
    }

    #[test]
    fn lognormal_quantiles_match_parameters() {
        let d = parse(r#"{"dist":"lognormal","median":120,"p99":800}"#).unwrap();
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let n = 400_000;
        let below_median = (0..n).filter(|_| d.sample(&mut rng) < 120.0).count();
        let below_p99 = (0..n).filter(|_| d.sample(&mut rng) < 800.0).count();
        // Binomial standard errors: sqrt(p(1-p)/n).
        let se50 = (0.25f64 / n as f64).sqrt();
        let se99 = (0.99f64 * 0.01 / n as f64).sqrt();
        assert!((below_median as f64 / n as f64 - 0.5).abs() < 4.0 * se50);
        assert!((below_p99 as f64 / n as f64 - 0.99).abs() < 4.0 * se99);
    }

    #[test]
    fn tail_probabilities_match_hand_computation() {
        let d = parse(r#"{"dist": "empirical", "percentiles": [[0, 0], [50, 10], [100, 20]]}"#)
            .unwrap();
        // Piecewise-linear CDF: F(5) = 0.25, F(15) = 0.75.
        assert_eq!(d.probability_above(-1.0), 1.0);
        assert_eq!(d.probability_above(5.0), 0.75);
        assert_eq!(d.probability_above(15.0), 0.25);
        assert_eq!(d.probability_above(25.0), 0.0);
        let e = parse(r#"{"dist": "exponential", "mean": 2}"#).unwrap();
        assert!((e.probability_above(2.0) - (-1f64).exp()).abs() < 1e-15);
        let u = parse(r#"{"dist": "uniform", "min": 0, "max": 10}"#).unwrap();
        assert_eq!(u.probability_above(2.5), 0.75);
        let m = parse(
            r#"{"dist": "mixture", "parts": [{"weight": 1, "dist": {"dist": "const", "value": 1}},
                {"weight": 3, "dist": {"dist": "const", "value": 3}}]}"#,
        )
        .unwrap();
        assert_eq!(m.probability_above(2.0), 0.75);
        // ln X ~ N(0, 1): P(X > e) = P(Z > 1) = 0.158655 (normal tables).
        let l = parse(r#"{"dist": "lognormal", "mu": 0, "sigma": 1}"#).unwrap();
        assert!((l.probability_above(1f64.exp()) - 0.158_655).abs() < 1e-6);
        // Normal(0, 1) truncated at 0: P(X > 1) = 2 × 0.158655.
        let n = parse(r#"{"dist": "normal", "mean": 0, "std": 1}"#).unwrap();
        assert!((n.probability_above(1.0) - 0.317_311).abs() < 1e-6);
    }

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
    }
}
