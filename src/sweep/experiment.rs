//! The experiment file: a base scenario plus the settings to vary. Owns parsing, validation
//! and the expansion of a grid, zipped lists and sampled ranges into numbered points.
//!
//! # Points
//! Each `grid` parameter is an axis; the `zip` parameters together form one axis (their
//! lists have equal lengths and advance together); a `sample` block forms one axis of
//! `points` sampled points. The points are the Cartesian product of the axes in that order
//! (grid parameters in file order, then zip, then sample), the first axis varying slowest,
//! and are numbered from 0.
//!
//! # Seeds: common random numbers
//! Replication `r` of every point runs with the seed [`replication_seed`]`(seed, r)`: it
//! depends on the experiment seed and the replication index only, never on the point. Since
//! a scenario's random streams are keyed by seed, function and purpose (`rng`), the same
//! replication sees the same arrival stream at every point, so differences between points
//! come from the settings and not from sampling noise.

use std::fmt::Write as _;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::path::{self, Segment};
use crate::error::{Error, Result};
use crate::json;
use crate::scenario::Scenario;

/// A JSON object whose key order is kept (serde_json's map sorts its keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V_<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V_<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Ordered<V>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V_(PhantomData))
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The experiment file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// Shown in outputs.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Master seed; replication seeds derive from it.
    #[serde(default)]
    pub seed: u64,
    /// The base scenario: a path (relative to the experiment's folder) or an inline object.
    pub base: Value,
    /// Parameters crossed with each other: path → list or range.
    #[serde(default)]
    pub grid: Ordered<Value>,
    /// Parameters that vary together: path → list or range, all of one length.
    #[serde(default)]
    pub zip: Ordered<Value>,
    /// Sampled ranges.
    #[serde(default)]
    pub sample: Option<SampleSpec>,
    /// Runs per point (different seeds).
    #[serde(default = "one")]
    pub replications: u32,
}

fn one() -> u32 {
    1
}

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

/// A validated experiment: the base scenario and the numbered points.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The experiment's name.
    pub name: String,
    /// The experiment file (for messages).
    pub origin: String,
    /// Master seed.
    pub seed: u64,
    /// Runs per point.
    pub replications: u32,
    /// The varied parameters (paths), in column order.
    pub params: Vec<String>,
    /// One value per parameter for every point.
    pub points: Vec<Vec<Value>>,
    /// A hash of everything that determines the results (hex), stored in every output row.
    pub hash: String,
    parsed: Vec<Vec<Segment>>,
    base: Value,
    base_origin: String,
    base_dir: PathBuf,
}

/// The seed of replication `r` under the experiment seed `seed` (SplitMix64 of both);
/// independent of the point, see the module docs.
pub fn replication_seed(seed: u64, r: u32) -> u64 {
    let mut z = seed ^ (u64::from(r).wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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

fn invalid(origin: &str, field: &str, message: impl Into<String>) -> Error {
    Error::Invalid {
        origin: origin.to_owned(),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Expands one grid or zip entry (a list or a range) into its values.
fn values(v: &Value, origin: &str, field: &str) -> Result<Vec<Value>> {
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
fn sample(spec: &SampleSpec, seed: u64) -> Vec<Vec<Value>> {
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

/// FNV-1a, 64 bits: a stable hash (std's hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn parse_json<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T> {
    json::parse(text, origin)
}

impl Experiment {
    /// Reads and validates an experiment file; a relative `base` path starts from its folder.
    pub fn load(path: &Path) -> Result<Experiment> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Experiment::from_str(&text, &path.display().to_string(), &dir)
    }

    /// Parses and validates experiment JSON named `origin`, whose relative paths start
    /// from `dir`. Every point is built once, so a value the scenario rejects fails here,
    /// before anything runs.
    pub fn from_str(text: &str, origin: &str, dir: &Path) -> Result<Experiment> {
        let spec: ExperimentSpec = parse_json(text, origin)?;
        if spec.replications == 0 {
            return Err(invalid(
                origin,
                "replications",
                "expected at least 1, got 0",
            ));
        }
        let (base, base_origin, base_dir) = match &spec.base {
            Value::String(p) => {
                let path = dir.join(p);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    invalid(
                        origin,
                        "base",
                        format!("cannot read the base scenario {}: {e}", path.display()),
                    )
                })?;
                let shown = path.display().to_string();
                let value: Value = parse_json(&text, &shown)?;
                let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (value, shown, base_dir)
            }
            Value::Object(_) => (spec.base.clone(), format!("{origin}: base"), dir.to_owned()),
            _ => {
                return Err(invalid(
                    origin,
                    "base",
                    "expected a scenario file path or an inline scenario object",
                ));
            }
        };
        // The base alone must be a valid scenario; its errors name its own fields.
        Scenario::from_str(&base.to_string(), &base_origin, &base_dir)?;

        let mut params = Vec::new();
        let mut axes: Vec<Vec<Vec<Value>>> = Vec::new();
        for (p, v) in &spec.grid.0 {
            let field = format!("grid.{p}");
            let vals = values(v, origin, &field)?;
            params.push(p.clone());
            axes.push(vals.into_iter().map(|x| vec![x]).collect());
        }
        if !spec.zip.0.is_empty() {
            let mut columns = Vec::new();
            for (p, v) in &spec.zip.0 {
                let field = format!("zip.{p}");
                let vals = values(v, origin, &field)?;
                if let Some(first) = columns.first().map(Vec::len)
                    && vals.len() != first
                {
                    return Err(invalid(
                        origin,
                        &field,
                        format!(
                            "zipped parameters vary together, so they need as many values as `{}` ({first}), got {}",
                            spec.zip.0[0].0,
                            vals.len()
                        ),
                    ));
                }
                params.push(p.clone());
                columns.push(vals);
            }
            let len = columns[0].len();
            axes.push(
                (0..len)
                    .map(|i| columns.iter().map(|c| c[i].clone()).collect())
                    .collect(),
            );
        }
        if let Some(s) = &spec.sample {
            if s.points == 0 || s.points > MAX_POINTS {
                return Err(invalid(
                    origin,
                    "sample.points",
                    format!("expected 1..={MAX_POINTS}, got {}", s.points),
                ));
            }
            if s.ranges.0.is_empty() {
                return Err(invalid(
                    origin,
                    "sample.ranges",
                    "expected at least one range",
                ));
            }
            for (p, r) in &s.ranges.0 {
                let ok = r.from.is_finite()
                    && r.to.is_finite()
                    && r.from <= r.to
                    && (!r.log || r.from > 0.0);
                if !ok {
                    return Err(invalid(
                        origin,
                        &format!("sample.ranges.{p}"),
                        format!(
                            "expected finite `from` <= `to` (both > 0 when `log`), got from {} to {}",
                            r.from, r.to
                        ),
                    ));
                }
                params.push(p.clone());
            }
            axes.push(sample(s, s.seed.unwrap_or(spec.seed)));
        }

        let mut parsed = Vec::new();
        for (i, p) in params.iter().enumerate() {
            let section = section_of(&spec, i);
            let field = format!("{section}.{p}");
            if params[..i].contains(p) {
                return Err(invalid(origin, &field, "this parameter is given twice"));
            }
            let segs = path::parse(p).map_err(|m| invalid(origin, &field, m))?;
            if segs == [Segment::Key("seed".into())] {
                return Err(invalid(
                    origin,
                    &field,
                    "the scenario seed is derived per replication from the experiment's `seed`; vary `replications` instead",
                ));
            }
            parsed.push(segs);
        }

        let total = axes
            .iter()
            .try_fold(1usize, |acc, a| acc.checked_mul(a.len()));
        let total = match total {
            Some(t) if t <= MAX_POINTS => t,
            _ => {
                return Err(invalid(
                    origin,
                    "grid",
                    format!("the experiment expands to more than {MAX_POINTS} points"),
                ));
            }
        };
        // Cartesian product, first axis slowest.
        let mut points = Vec::with_capacity(total);
        for mut k in 0..total {
            let mut idx = vec![0; axes.len()];
            for (a, axis) in axes.iter().enumerate().rev() {
                idx[a] = k % axis.len();
                k /= axis.len();
            }
            points.push(
                axes.iter()
                    .zip(&idx)
                    .flat_map(|(axis, &i)| axis[i].iter().cloned())
                    .collect::<Vec<Value>>(),
            );
        }

        let mut identity = String::new();
        write!(
            identity,
            "faassim {}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            env!("CARGO_PKG_VERSION"),
            spec.name,
            spec.seed,
            spec.replications,
            base,
            serde_json::to_string(&params).expect("serialises"),
            serde_json::to_string(&points).expect("serialises"),
        )
        .expect("write to string");
        let hash = format!("{:016x}", fnv1a(identity.as_bytes()));

        let exp = Experiment {
            name: spec.name,
            origin: origin.to_owned(),
            seed: spec.seed,
            replications: spec.replications,
            params,
            points,
            hash,
            parsed,
            base,
            base_origin,
            base_dir,
        };
        for i in 0..exp.points.len() {
            exp.scenario(i, 0)?;
        }
        Ok(exp)
    }

    /// The scenario JSON of point `point` (the base with the point's values set).
    pub fn point_json(&self, point: usize) -> Result<Value> {
        let mut v = self.base.clone();
        for (j, segs) in self.parsed.iter().enumerate() {
            let value = self.points[point][j].clone();
            path::set(&mut v, segs, value).map_err(|m| {
                invalid(
                    &self.origin,
                    &self.params[j],
                    format!("at point {point}: {m}"),
                )
            })?;
        }
        Ok(v)
    }

    /// The scenario of `point`, replication `replication` (its seed set).
    pub fn scenario(&self, point: usize, replication: u32) -> Result<Scenario> {
        let v = self.point_json(point)?;
        let mut s =
            Scenario::from_str(&v.to_string(), &self.base_origin, &self.base_dir).map_err(|e| {
                invalid(
                    &self.origin,
                    &format!("point {point} ({})", self.describe(point)),
                    e.to_string(),
                )
            })?;
        s.seed = replication_seed(self.seed, replication);
        Ok(s)
    }

    /// `path = value, ...` for messages.
    pub fn describe(&self, point: usize) -> String {
        self.params
            .iter()
            .zip(&self.points[point])
            .map(|(p, v)| format!("{p} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Which section of the file parameter `i` came from (for messages).
fn section_of(spec: &ExperimentSpec, i: usize) -> &'static str {
    let g = spec.grid.0.len();
    let z = spec.zip.0.len();
    if i < g {
        "grid"
    } else if i < g + z {
        "zip"
    } else {
        "sample.ranges"
    }
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

    #[test]
    fn replication_seeds_differ() {
        assert_ne!(replication_seed(1, 0), replication_seed(1, 1));
        assert_ne!(replication_seed(1, 0), replication_seed(2, 0));
        assert_eq!(replication_seed(1, 3), replication_seed(1, 3));
    }
}
