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
//! Replication `r` of every point runs with the seed [`crate::rng::replication_seed`]`(seed, r)`: it
//! depends on the experiment seed and the replication index only, never on the point. Since
//! a scenario's random streams are keyed by seed, function and purpose (`rng`), the same
//! replication sees the same arrival stream at every point, so differences between points
//! come from the settings and not from sampling noise.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::invalid;
use super::path::{self, Segment};
use super::values::{MAX_POINTS, SampleSpec, sample, values};
use crate::error::{Error, Result};
use crate::json;
use crate::json::Ordered;
use crate::model::Scenario;
use crate::rng::replication_seed;
use crate::trace::TraceCache;

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

/// Experiments of at most this many points have every point built at load; larger ones
/// have each parameter value checked once (see [`Experiment::from_str`]). 10^4 points take
/// about 0.3 s to build; 10^6 took 32 s and 264 MB only to say "ok".
pub const CHECK_EVERY_POINT_UP_TO: usize = 10_000;

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
    /// The axes: for each, its entries, each one value per parameter of the axis. Points
    /// are computed from them on demand ([`Experiment::point`]), so an experiment of a
    /// million points holds its few hundred values, not a million rows.
    axes: Vec<Vec<Vec<Value>>>,
    /// The number of points: the product of the axes' lengths.
    point_count: usize,
    /// Whether every point was built at load (else each value was checked once).
    pub every_point_checked: bool,
    /// A hash of everything that determines the results (hex), stored in every output row.
    pub hash: String,
    parsed: Vec<Vec<Segment>>,
    /// The section of each parameter (`grid`, `zip`, `sample.ranges`), for messages.
    sections: Vec<&'static str>,
    base: Value,
    base_origin: String,
    base_dir: PathBuf,
    /// Shared by every point's scenario: a trace the points all replay is read once.
    traces: TraceCache,
}

/// FNV-1a, 64 bits: a stable hash (std's hasher may change between Rust releases). It is
/// a `fmt::Write`, so the identity text streams through it without being built.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl std::fmt::Write for Fnv1a {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for b in s.bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
    }
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
        // Created before the base is checked, so that the check's read of a trace serves the
        // points too.
        let traces = TraceCache::default();
        // The base alone must be a valid scenario; its errors name its own fields, at their
        // line and column in the file the user wrote (never in re-serialised JSON).
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
                Scenario::from_str_cached(&text, &shown, &base_dir, &traces)?;
                (value, shown, base_dir)
            }
            Value::Object(_) => {
                Scenario::from_str_cached(&spec.base.to_string(), origin, dir, &traces)
                    .map_err(|e| inline_base_error(e, text, origin))?;
                (spec.base.clone(), format!("{origin}: base"), dir.to_owned())
            }
            _ => {
                return Err(invalid(
                    origin,
                    "base",
                    "expected a scenario file path or an inline scenario object",
                ));
            }
        };

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
        let mut sections = Vec::new();
        for (i, p) in params.iter().enumerate() {
            let section = section_of(&spec, i);
            sections.push(section);
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
        let every_point_checked = total <= CHECK_EVERY_POINT_UP_TO;
        let mut exp = Experiment {
            name: spec.name,
            origin: origin.to_owned(),
            seed: spec.seed,
            replications: spec.replications,
            params,
            axes,
            point_count: total,
            every_point_checked,
            hash: String::new(),
            parsed,
            sections,
            base,
            base_origin,
            base_dir,
            traces,
        };
        exp.hash = exp.identity_hash(spec.seed);
        if every_point_checked {
            for i in 0..total {
                exp.scenario(i, 0)?;
            }
        } else {
            // Each value once, with the other axes at their first entry: every check is a
            // real point, so a value valid only beside another one is not refused, and a
            // million points cost a few hundred checks. A combination that only fails
            // together fails when its point runs, naming the point.
            for (a, axis) in exp.axes.iter().enumerate() {
                for k in 0..axis.len() {
                    exp.scenario(exp.point_with(a, k), 0)?;
                }
            }
        }
        Ok(exp)
    }

    /// The point whose axis `a` is at entry `k` and every other axis at entry 0.
    fn point_with(&self, a: usize, k: usize) -> usize {
        let stride: usize = self.axes[a + 1..].iter().map(Vec::len).product();
        k * stride
    }

    /// The number of points.
    pub fn point_count(&self) -> usize {
        self.point_count
    }

    /// One value per parameter for point `point` (in [`Experiment::params`] order): the
    /// Cartesian product of the axes, first axis slowest.
    pub fn point(&self, point: usize) -> Vec<Value> {
        let mut idx = vec![0; self.axes.len()];
        let mut k = point;
        for (a, axis) in self.axes.iter().enumerate().rev() {
            idx[a] = k % axis.len();
            k /= axis.len();
        }
        self.axes
            .iter()
            .zip(&idx)
            .flat_map(|(axis, &i)| axis[i].iter().cloned())
            .collect()
    }

    /// A hash of everything that determines the results: the version, name, seed,
    /// replications, base, parameters and every point's values, streamed (the text is
    /// what earlier versions built in memory, so hashes, and resumes, are unchanged).
    fn identity_hash(&self, seed: u64) -> String {
        let mut h = Fnv1a::new();
        write!(
            h,
            "faassim {}\n{}\n{}\n{}\n{}\n{}\n[",
            env!("CARGO_PKG_VERSION"),
            self.name,
            seed,
            self.replications,
            self.base,
            serde_json::to_string(&self.params).expect("serialises"),
        )
        .expect("hashing cannot fail");
        for i in 0..self.point_count {
            if i > 0 {
                h.write_str(",").expect("hashing cannot fail");
            }
            let point = serde_json::to_string(&self.point(i)).expect("serialises");
            h.write_str(&point).expect("hashing cannot fail");
        }
        h.write_str("]\n").expect("hashing cannot fail");
        format!("{:016x}", h.0)
    }

    /// The scenario JSON of point `point` (the base with the point's values set).
    pub fn point_json(&self, point: usize) -> Result<Value> {
        let values = self.point(point);
        let mut v = self.base.clone();
        for (j, segs) in self.parsed.iter().enumerate() {
            let value = values[j].clone();
            path::set(&mut v, segs, value).map_err(|m| {
                invalid(
                    &self.origin,
                    &format!("{}.{}", self.sections[j], self.params[j]),
                    format!("at point {point}: {m}"),
                )
            })?;
        }
        Ok(v)
    }

    /// The scenario of `point`, replication `replication` (its seed set).
    pub fn scenario(&self, point: usize, replication: u32) -> Result<Scenario> {
        let v = self.point_json(point)?;
        let mut s = Scenario::from_str_cached(
            &v.to_string(),
            &self.base_origin,
            &self.base_dir,
            &self.traces,
        )
        .map_err(|e| {
            // The point's JSON is the base with the grid's values set, re-serialised: a
            // line and column in it would point nowhere, so the message names the
            // point's values instead.
            let values = self
                .params
                .iter()
                .zip(&self.sections)
                .zip(self.point(point))
                .map(|((p, s), v)| format!("{s}.{p} = {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            invalid(
                &self.origin,
                &format!("point {point} ({values})"),
                e.without_position().to_string(),
            )
        })?;
        s.seed = replication_seed(self.seed, replication);
        Ok(s)
    }

    /// `path = value, ...` for messages.
    pub fn describe(&self, point: usize) -> String {
        self.params
            .iter()
            .zip(self.point(point))
            .map(|(p, v)| format!("{p} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An error of an inline `base` (validated from its re-serialised JSON) moved to where it
/// is in the experiment file `origin` (whose text is `text`): the field under `base`, at its
/// line and column.
fn inline_base_error(e: Error, text: &str, origin: &str) -> Error {
    let moved = |field: &str| {
        if field == "." || field.is_empty() {
            "base".to_owned()
        } else {
            json::join_path("base", field)
        }
    };
    match e {
        Error::Parse { field, message, .. } => {
            let field = moved(&field);
            // Where the field is, or else where `base` starts: never the position in the
            // re-serialised JSON that `line` and `column` refer to.
            let (line, column) = json::locate(text, &field)
                .or_else(|| json::locate(text, "base"))
                .unwrap_or((1, 1));
            Error::Parse {
                origin: origin.to_owned(),
                field,
                line,
                column,
                message,
            }
        }
        Error::Invalid {
            origin: o,
            field,
            message,
        } if o == origin => Error::Invalid {
            origin: o,
            field: moved(&field),
            message,
        },
        other => other,
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
