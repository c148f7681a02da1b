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
    Arch, ArchPrices, Autoscaler, BilledWhile, Billing, FreeTier, MemoryRange, Platform,
    PlatformSpec, Pricing, ScaleOut, TokenBucket,
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
            ProfileRef::Inline(value) if !value.is_object() => Err(Error::Invalid {
                origin: scenario_origin.to_owned(),
                field: field.to_owned(),
                message: format!(
                    "expected a profile name, a path to a .json file or an inline object, got {}",
                    crate::json::kind_of(value)
                ),
            }),
            ProfileRef::Inline(value) => Ok(Located {
                origin: scenario_origin.to_owned(),
                prefix: field.to_owned(),
                value: value.clone(),
            }),
            ProfileRef::Name(name) if name.contains('/') || name.ends_with(".json") => {
                let path = base_dir.join(name);
                let text = std::fs::read_to_string(&path).map_err(|e| Error::Invalid {
                    origin: scenario_origin.to_owned(),
                    field: field.to_owned(),
                    message: format!("cannot read {}: {e}", path.display()),
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

/// The key rules of one platform profile (for `faassim platforms`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlatformSummary {
    /// Profile name.
    pub name: String,
    /// Account-wide concurrency limit (instances starting or executing).
    pub account_concurrency: u32,
    /// Scale-out rule in words, e.g. `1000 per 10 s per function`, or `unlimited`.
    pub scale_out: String,
    /// What happens when every instance is full: an autoscaler ahead of demand, then a
    /// pending queue or an immediate 429.
    pub when_full: String,
    /// Default requests per instance.
    pub per_instance_concurrency: u32,
    /// Largest per-instance concurrency a function may set.
    pub max_per_instance_concurrency: u32,
    /// Default keep-alive in words, e.g. `fixed 360 s`.
    pub keep_alive: String,
    /// Default execution timeout, seconds (none: no limit).
    pub default_timeout_s: Option<f64>,
    /// Longest allowed execution, seconds.
    pub max_timeout_s: Option<f64>,
    /// Billing model in words, e.g. `per request, GB-s`.
    pub billing: String,
    /// Date of the newest data behind the defaults.
    pub data_as_of: Option<String>,
    /// What the profile models.
    pub description: String,
}

/// Summarises every embedded platform profile, sorted by name.
pub fn summarise_platforms() -> Result<Vec<PlatformSummary>> {
    use crate::policy::keep_alive::KeepAlive;
    Kind::Platform
        .embedded()
        .iter()
        .map(|(name, _)| {
            let p = embedded_platform(name)?;
            // `description` and `data_as_of` are not kept by the validated platform.
            let doc = ProfileRef::Name((*name).to_owned()).locate(
                Kind::Platform,
                Path::new("."),
                "faassim",
                "platform",
            )?;
            let text = |key: &str| {
                doc.value
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let mut rules = Vec::new();
            if let Some(b) = p.scale_out.per_function {
                rules.push(format!(
                    "{} per {} s per function (burst {})",
                    b.refill,
                    b.every.as_secs(),
                    b.capacity
                ));
            }
            if let Some(b) = p.scale_out.account {
                rules.push(format!(
                    "account burst {}, +{} at each {} s",
                    b.capacity,
                    b.refill,
                    b.every.as_secs()
                ));
            }
            let mut ahead = Vec::new();
            if let Some(a) = p.autoscaler {
                ahead.push(format!("autoscaler to {:.0} % of slots", a.target * 100.0));
            }
            ahead.push(match p.pending_timeout {
                Some(t) => format!("queue up to {} s, then 429", t.as_secs()),
                None => "429 at once".to_owned(),
            });
            let keep_alive = match &p.keep_alive {
                KeepAlive::Fixed(idle) => format!("fixed {} s", idle.as_secs()),
                KeepAlive::None => "none".to_owned(),
                KeepAlive::Hybrid(_) => "hybrid histogram".to_owned(),
                KeepAlive::Custom(c) => c.name().to_owned(),
            };
            let billing = match &p.pricing {
                None => "none".to_owned(),
                Some(pr) => {
                    let mut parts = vec![match pr.billing {
                        Billing::PerRequest => "per request".to_owned(),
                        Billing::PerInstance => match pr.billed_while {
                            BilledWhile::Alive => "per instance (alive)".to_owned(),
                            BilledWhile::Busy => "per instance (busy)".to_owned(),
                        },
                    }];
                    if pr.gb_second.x86_64 > 0.0 {
                        parts.push("GB-s".to_owned());
                    }
                    if pr.vcpu_second.is_some_and(|v| v > 0.0) {
                        parts.push("vCPU-s".to_owned());
                    }
                    if pr.ghz_second.is_some() {
                        parts.push("GHz-s".to_owned());
                    }
                    if pr.cpu_ms_per_million.is_some() {
                        parts.push("CPU-ms".to_owned());
                    }
                    parts.join(", ")
                }
            };
            Ok(PlatformSummary {
                name: p.name.clone(),
                account_concurrency: p.account_concurrency,
                scale_out: if rules.is_empty() {
                    "unlimited".to_owned()
                } else {
                    rules.join("; ")
                },
                when_full: ahead.join("; "),
                per_instance_concurrency: p.per_instance_concurrency,
                max_per_instance_concurrency: p.max_per_instance_concurrency,
                keep_alive,
                default_timeout_s: p.default_timeout.map(|t| t.as_secs()),
                max_timeout_s: p.max_timeout_s,
                billing,
                data_as_of: text("data_as_of"),
                description: text("description").unwrap_or_default(),
            })
        })
        .collect()
}
