//! Runtime and platform profiles: data, not code.
//!
//! Profiles live as JSON under `models/` (documented in `models/README.md`) and are embedded
//! into the binary at build time (see `build.rs`), so a scenario anywhere can name
//! `"runtime": "python"`. A scenario may instead give a path to its own profile file or an
//! inline object; [`ProfileRef`] covers the three.

mod platform;
mod runtime;

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

pub use platform::{
    Arch, ArchPrices, BilledWhile, Billing, BucketSpec, FreeTier, MemoryRange, Platform,
    PlatformSpec, PricingSpec, ScaleOut,
};
pub use runtime::{RuntimeProfile, RuntimeSpec, StartPhase};

use crate::error::{Error, Result};
use crate::json;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_models.rs"));
}

/// Which kind of profile: names the folder under `models/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `models/runtimes/`.
    Runtime,
    /// `models/platforms/`.
    Platform,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Runtime => "runtimes",
            Kind::Platform => "platforms",
        }
    }

    /// The profiles embedded in the binary, as `(name, json)` sorted by name.
    pub fn embedded(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Runtime => embedded::RUNTIMES,
            Kind::Platform => embedded::PLATFORMS,
        }
    }
}

/// How a scenario refers to a profile: by name, by path, or inline.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ProfileRef {
    /// A shipped profile's name (`"python"`) or a path to a JSON file (contains `/` or ends
    /// in `.json`; relative paths start from the scenario file's folder).
    Name(String),
    /// The profile itself.
    Inline(Value),
}

/// A profile document located and read, but not yet deserialised.
pub(crate) struct Located {
    /// Where it came from, for error messages.
    pub origin: String,
    /// The field path prefix inside `origin` (non-empty for inline profiles).
    pub prefix: String,
    /// The document.
    pub value: Value,
}

impl ProfileRef {
    /// Finds the document. `scenario_origin` and `field` locate the reference itself, for
    /// errors; `base_dir` resolves relative paths.
    pub(crate) fn locate(
        &self,
        kind: Kind,
        base_dir: &Path,
        scenario_origin: &str,
        field: &str,
    ) -> Result<Located> {
        match self {
            ProfileRef::Inline(value) => Ok(Located {
                origin: scenario_origin.to_owned(),
                prefix: field.to_owned(),
                value: value.clone(),
            }),
            ProfileRef::Name(name) if name.contains('/') || name.ends_with(".json") => {
                let path = base_dir.join(name);
                let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                let origin = path.display().to_string();
                let value = json::parse(&text, &origin)?;
                Ok(Located {
                    origin,
                    prefix: String::new(),
                    value,
                })
            }
            ProfileRef::Name(name) => {
                let Some((_, text)) = kind.embedded().iter().find(|(n, _)| n == name) else {
                    let known: Vec<&str> = kind.embedded().iter().map(|(n, _)| *n).collect();
                    return Err(Error::Invalid {
                        origin: scenario_origin.to_owned(),
                        field: field.to_owned(),
                        message: format!(
                            "unknown {} profile `{name}`; expected one of: {} (or a path to a .json file, or an inline object)",
                            &kind.folder()[..kind.folder().len() - 1],
                            known.join(", ")
                        ),
                    });
                };
                let origin = format!("models/{}/{name}.json (embedded)", kind.folder());
                Ok(Located {
                    value: json::parse(text, &origin)?,
                    origin,
                    prefix: String::new(),
                })
            }
        }
    }
}

/// Loads an embedded platform profile by name.
pub fn embedded_platform(name: &str) -> Result<Platform> {
    let doc = ProfileRef::Name(name.to_owned()).locate(
        Kind::Platform,
        Path::new("."),
        "faassim",
        "platform",
    )?;
    Platform::from_located(doc, None, "faassim")
}

/// Sampled cold-start figures of one runtime profile (for `faassim profiles`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuntimeSummary {
    /// Profile name.
    pub name: String,
    /// `runtime start` or `snapshot restore`.
    pub phase: &'static str,
    /// Median of the start phase, ms.
    pub start_p50_ms: f64,
    /// 99th percentile of the start phase, ms.
    pub start_p99_ms: f64,
    /// Median cold start on the platform (sandbox + start phase; no package, no init), ms.
    pub cold_start_p50_ms: f64,
    /// 99th percentile of the same, ms.
    pub cold_start_p99_ms: f64,
    /// Date of the data.
    pub data_as_of: Option<String>,
    /// What the profile models.
    pub description: String,
}

/// Samples every embedded runtime profile `samples` times, alone and on `platform`.
pub fn summarise_runtimes(platform: &Platform, samples: usize) -> Result<Vec<RuntimeSummary>> {
    use crate::rng::{Stream, stream};
    let samples = samples.max(1);
    let runtimes = embedded_runtimes()?;
    Ok(runtimes
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let (phase, start) = match &r.start {
                StartPhase::Init(d) => ("runtime start", d),
                StartPhase::SnapshotRestore(d) => ("snapshot restore", d),
            };
            let sandbox = r.sandbox.as_ref().unwrap_or(&platform.sandbox);
            let mut rng = stream(0, i as u64, Stream::ColdStart);
            let mut starts = Vec::with_capacity(samples);
            let mut colds = Vec::with_capacity(samples);
            for _ in 0..samples {
                let s = start.sample(&mut rng);
                starts.push(s);
                colds.push(s + sandbox.sample(&mut rng));
            }
            let (s50, s99) = median_p99(&mut starts);
            let (c50, c99) = median_p99(&mut colds);
            RuntimeSummary {
                name: r.name,
                phase,
                start_p50_ms: s50,
                start_p99_ms: s99,
                cold_start_p50_ms: c50,
                cold_start_p99_ms: c99,
                data_as_of: r.data_as_of,
                description: r.description,
            }
        })
        .collect())
}

/// Empirical median and 99th percentile (nearest rank), rounded to 0.1 ms.
fn median_p99(xs: &mut [f64]) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len()) - 1;
        (xs[i] * 10.0).round() / 10.0
    };
    (at(0.50), at(0.99))
}

/// Loads every embedded runtime profile (for `faassim profiles`).
pub fn embedded_runtimes() -> Result<Vec<RuntimeProfile>> {
    Kind::Runtime
        .embedded()
        .iter()
        .map(|(name, text)| {
            let origin = format!("models/runtimes/{name}.json (embedded)");
            RuntimeProfile::from_located(Located {
                value: json::parse(text, &origin)?,
                origin,
                prefix: String::new(),
            })
        })
        .collect()
}
