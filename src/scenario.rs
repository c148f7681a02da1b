//! The scenario file: what to simulate.
//!
//! [`ScenarioSpec`] is the JSON as written (unknown fields are errors); [`Scenario`] is the
//! validated model that [`crate::sim::run`] executes. Loading resolves profiles (embedded,
//! by path or inline), applies `platform_overrides`, and checks every value, reporting the
//! file and field path of the first problem. The schema is documented in
//! `experiments/README.md`.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::cost::CostSettings;
use crate::dist::{Dist, DistSpec};
use crate::error::{Error, FieldError, Result};
use crate::json;
use crate::policy::keep_alive::{KeepAlive, KeepAliveSpec};
use crate::policy::provisioned::{Provisioned, ProvisionedSpec};
use crate::policy::warmers::{Warmers, WarmersSpec};
use crate::profile::{Arch, Kind, Platform, ProfileRef, RuntimeProfile, StartPhase};
use crate::time::SimTime;
use crate::workload::{Workload, WorkloadSpec};

/// The longest arrival horizon: 10^10 s (317 years) leaves room in u64 nanoseconds for the
/// requests and keep-alive timers that run past it.
const MAX_DURATION_S: f64 = 1e10;

fn default_platform() -> ProfileRef {
    ProfileRef::Name("aws-lambda".to_owned())
}

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Name shown in results.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Master seed of every random stream.
    #[serde(default)]
    pub seed: u64,
    /// Arrivals are generated in `[0, duration_s)`.
    pub duration_s: f64,
    /// Requests arriving before this are simulated but not measured.
    #[serde(default)]
    pub warmup_s: f64,
    /// Platform profile: name, path or inline object (default `aws-lambda`).
    #[serde(default = "default_platform")]
    pub platform: ProfileRef,
    /// Fields overlaid onto the platform profile.
    #[serde(default)]
    pub platform_overrides: Option<Value>,
    /// The functions.
    #[serde(default)]
    pub functions: Vec<FunctionSpec>,
    /// Cost-model settings (free tier, always-on fleet comparison).
    #[serde(default)]
    pub cost: CostSettings,
    /// A public trace to replay: its functions are added after `functions`.
    #[serde(default)]
    pub traces: Option<crate::trace::TraceSpec>,
}

/// Which idle instance an arriving request takes.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reuse {
    /// Most recently used (went idle last): the default, and what Lambda appears to do.
    #[default]
    Mru,
    /// Least recently used (idle longest).
    Lru,
    /// Uniformly at random.
    Random,
    /// Newest by creation time (the SimFaaS peer's rule).
    Newest,
}

/// One function, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// Unique name.
    pub name: String,
    /// Runtime profile: name, path or inline object.
    pub runtime: ProfileRef,
    /// Configured memory, MB (default: the platform's default).
    #[serde(default)]
    pub memory_mb: Option<u32>,
    /// Deployment package size, MB: drives the code-load phase (default 0).
    #[serde(default)]
    pub package_mb: f64,
    /// Warm execution time, ms.
    pub exec_ms: DistSpec,
    /// The function's own static init, ms, run on each cold start (default none).
    #[serde(default)]
    pub init_ms: Option<DistSpec>,
    /// Replaces the whole composed cold start with this distribution, ms.
    #[serde(default)]
    pub cold_start_ms: Option<DistSpec>,
    /// Keep-alive (default: the platform's).
    #[serde(default)]
    pub keep_alive: Option<KeepAliveSpec>,
    /// Arrivals.
    pub workload: WorkloadSpec,
    /// Reserved concurrency: at most this many executions of this function at once.
    #[serde(default)]
    pub max_concurrency: Option<u32>,
    /// Which idle instance a request takes (default `mru`).
    #[serde(default)]
    pub reuse: Reuse,
    /// Provisioned concurrency (default none).
    #[serde(default)]
    pub provisioned: Option<ProvisionedSpec>,
    /// Warm-up pings (default none).
    #[serde(default)]
    pub warmers: Option<WarmersSpec>,
    /// CPU architecture: `x86_64` (default) or `arm64` (sets the prices used).
    #[serde(default)]
    pub arch: Arch,
    /// Share of execution and init time that is CPU-bound and scales with the memory-set
    /// CPU share, 0..=1 (default 0: duration does not depend on memory).
    #[serde(default)]
    pub cpu_fraction: f64,
    /// Memory size at which `exec_ms` and `init_ms` were measured, MB (default: `memory_mb`).
    #[serde(default)]
    pub reference_memory_mb: Option<u32>,
}

/// How a function's cold starts are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum ColdStart {
    /// The sum of phases, each sampled independently.
    Composed {
        /// Sandbox / placement.
        sandbox: Dist,
        /// Code load, ms (package size × the platform's per-MB rate).
        code_load_ms: f64,
        /// Runtime start or snapshot restore.
        start: StartPhase,
        /// The function's own init (skipped after a snapshot restore).
        init: Option<Dist>,
    },
    /// One distribution for the whole cold start (`cold_start_ms`).
    Override(Dist),
}

impl ColdStart {
    /// Mean cold start, ms, with the function's init scaled by `init_scale` as sampled.
    pub fn mean_ms(&self, init_scale: f64) -> f64 {
        match self {
            ColdStart::Override(d) => d.mean(),
            ColdStart::Composed {
                sandbox,
                code_load_ms,
                start,
                init,
            } => {
                let (start, init) = match start {
                    StartPhase::Init(d) => (d.mean(), init.as_ref().map_or(0.0, Dist::mean)),
                    // A snapshot restore skips the function's init.
                    StartPhase::SnapshotRestore(d) => (d.mean(), 0.0),
                };
                sandbox.mean() + code_load_ms + start + init * init_scale
            }
        }
    }
}

/// A validated function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Unique name.
    pub name: String,
    /// The runtime profile's name.
    pub runtime: String,
    /// Configured memory, MB.
    pub memory_mb: u32,
    /// Warm execution time.
    pub exec: Dist,
    /// Cold-start model.
    pub cold_start: ColdStart,
    /// Keep-alive policy.
    pub keep_alive: KeepAlive,
    /// Arrivals.
    pub workload: Workload,
    /// Reserved concurrency, if any.
    pub max_concurrency: Option<u32>,
    /// Idle-instance choice.
    pub reuse: Reuse,
    /// Provisioned concurrency.
    pub provisioned: Option<Provisioned>,
    /// Warm-up pings.
    pub warmers: Option<Warmers>,
    /// CPU architecture.
    pub arch: Arch,
    /// Multiplier applied to sampled execution and init times for this memory size
    /// (1 unless `cpu_fraction` > 0 and memory differs from the reference).
    pub duration_scale: f64,
    /// Mean cold start, ms (greedy-dual eviction cost).
    pub mean_cold_start_ms: f64,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name shown in results.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// End of the arrival horizon.
    pub duration: SimTime,
    /// Start of the measured period.
    pub warmup: SimTime,
    /// The platform.
    pub platform: Platform,
    /// The functions, in file order.
    pub functions: Vec<Function>,
    /// Cost-model settings.
    pub cost: CostSettings,
    /// Where the scenario came from (for messages).
    pub origin: String,
    /// What loading the `traces` section read, generated and skipped.
    pub trace: Option<crate::trace::TraceReport>,
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::from_str(&text, &path.display().to_string(), &base)
    }

    /// Parses and validates scenario JSON; `origin` names it in errors and relative paths
    /// inside it start from `base_dir`.
    pub fn from_str(text: &str, origin: &str, base_dir: &Path) -> Result<Scenario> {
        let spec: ScenarioSpec = json::parse(text, origin)?;
        spec.validate(origin, base_dir)
    }
}

fn seconds(v: f64, field: &str) -> Result<SimTime, FieldError> {
    if v.is_finite() && v >= 0.0 {
        Ok(SimTime::from_secs(v))
    } else {
        Err(FieldError::new(
            field,
            format!("expected a number of seconds >= 0, got {v}"),
        ))
    }
}

impl ScenarioSpec {
    /// Validates against profiles; `origin` names the file, `base_dir` resolves paths.
    pub fn validate(&self, origin: &str, base_dir: &Path) -> Result<Scenario> {
        let inv = |e: FieldError| e.in_origin(origin);
        let duration = seconds(self.duration_s, "duration_s").map_err(inv)?;
        if duration == SimTime::ZERO || self.duration_s > MAX_DURATION_S {
            return Err(inv(FieldError::new(
                "duration_s",
                format!(
                    "expected a duration > 0 and at most {MAX_DURATION_S:e} s (nanosecond time runs out after 584 years), got {}",
                    self.duration_s
                ),
            )));
        }
        let warmup = seconds(self.warmup_s, "warmup_s").map_err(inv)?;
        if warmup >= duration {
            return Err(inv(FieldError::new(
                "warmup_s",
                format!(
                    "expected less than duration_s ({}), got {}",
                    self.duration_s, self.warmup_s
                ),
            )));
        }
        if let Some(o) = &self.platform_overrides
            && !o.is_object()
        {
            return Err(inv(FieldError::new(
                "platform_overrides",
                "expected an object of platform fields",
            )));
        }
        let platform = Platform::from_located(
            self.platform
                .locate(Kind::Platform, base_dir, origin, "platform")?,
            self.platform_overrides.as_ref(),
            origin,
        )?;
        if self.functions.is_empty() && self.traces.is_none() {
            return Err(inv(FieldError::new(
                "functions",
                "expected at least one function (or a `traces` section)",
            )));
        }
        let mut functions = Vec::with_capacity(self.functions.len());
        for (i, f) in self.functions.iter().enumerate() {
            let field = format!("functions[{i}]");
            if functions.iter().any(|g: &Function| g.name == f.name) {
                return Err(inv(FieldError::new(
                    format!("{field}.name"),
                    format!("function names must be unique; `{}` appears twice", f.name),
                )));
            }
            functions.push(f.validate(&field, &platform, origin, base_dir)?);
        }
        let trace = match &self.traces {
            Some(t) => {
                let mut taken = functions.iter().map(|f| f.name.clone()).collect();
                let (generated, report) =
                    crate::trace::expand(t, origin, base_dir, &platform, &mut taken)?;
                functions.extend(generated);
                Some(report)
            }
            None => None,
        };
        let reserved: u64 = functions
            .iter()
            .filter_map(|f| f.max_concurrency)
            .map(u64::from)
            .sum();
        let reservable =
            u64::from(platform.account_concurrency - platform.min_unreserved_concurrency);
        if reserved > reservable {
            return Err(inv(FieldError::new(
                "functions",
                format!(
                    "reserved concurrency (max_concurrency) sums to {reserved}, but the platform lets at most {reservable} be reserved (account_concurrency {} minus min_unreserved_concurrency {}); lower it or raise account_concurrency with platform_overrides",
                    platform.account_concurrency, platform.min_unreserved_concurrency
                ),
            )));
        }
        for (i, f) in functions.iter().enumerate() {
            let Some(p) = &f.provisioned else { continue };
            let cap = match f.max_concurrency {
                Some(r) => u64::from(r),
                None => u64::from(platform.account_concurrency) - reserved,
            };
            if u64::from(p.max_count()) > cap {
                return Err(inv(FieldError::new(
                    format!("functions[{i}].provisioned"),
                    format!(
                        "provisioned concurrency can reach {}, more than the {cap} the function may use ({}); provisioned concurrency counts against it",
                        p.max_count(),
                        if f.max_concurrency.is_some() {
                            "its max_concurrency"
                        } else {
                            "account concurrency left after reservations and min_unreserved_concurrency"
                        }
                    ),
                )));
            }
        }
        let cost = self.cost.validate().map_err(inv)?;
        Ok(Scenario {
            cost,
            name: self.name.clone(),
            seed: self.seed,
            duration,
            warmup,
            platform,
            functions,
            origin: origin.to_owned(),
            trace,
        })
    }
}

impl FunctionSpec {
    /// Validates against `platform`; `field` is this function's path in errors.
    pub(crate) fn validate(
        &self,
        field: &str,
        platform: &Platform,
        origin: &str,
        base_dir: &Path,
    ) -> Result<Function> {
        let inv = |e: FieldError| e.in_origin(origin);
        let at = |f: &str| format!("{field}.{f}");
        if self.name.trim().is_empty() {
            return Err(inv(FieldError::new(
                at("name"),
                "expected a non-empty name",
            )));
        }
        let runtime = RuntimeProfile::from_located(self.runtime.locate(
            Kind::Runtime,
            base_dir,
            origin,
            &at("runtime"),
        )?)?;
        let range = platform.memory_mb;
        let memory_mb = self.memory_mb.unwrap_or(range.default);
        if !(range.min..=range.max).contains(&memory_mb) {
            return Err(inv(FieldError::new(
                at("memory_mb"),
                format!(
                    "expected {}..={} MB on platform {}, got {memory_mb}",
                    range.min, range.max, platform.name
                ),
            )));
        }
        if !(self.package_mb.is_finite() && self.package_mb >= 0.0) {
            return Err(inv(FieldError::new(
                at("package_mb"),
                format!("expected a size in MB >= 0, got {}", self.package_mb),
            )));
        }
        let exec = self.exec_ms.validate(&at("exec_ms")).map_err(inv)?;
        let init = self
            .init_ms
            .as_ref()
            .map(|d| d.validate(&at("init_ms")))
            .transpose()
            .map_err(inv)?;
        let cold_start = match &self.cold_start_ms {
            Some(d) => ColdStart::Override(d.validate(&at("cold_start_ms")).map_err(inv)?),
            None => ColdStart::Composed {
                sandbox: runtime
                    .sandbox
                    .clone()
                    .unwrap_or_else(|| platform.sandbox.clone()),
                code_load_ms: self.package_mb * platform.code_load_ms_per_mb,
                start: runtime.start.clone(),
                init,
            },
        };
        let keep_alive = match &self.keep_alive {
            Some(k) => k.validate(&at("keep_alive")).map_err(inv)?,
            None => platform.keep_alive.clone(),
        };
        if self.max_concurrency == Some(0) {
            return Err(inv(FieldError::new(
                at("max_concurrency"),
                "expected at least 1 (a function with 0 reserved concurrency would throttle every request)",
            )));
        }
        let workload = self
            .workload
            .validate(&at("workload"), base_dir)
            .map_err(inv)?;
        if !(0.0..=1.0).contains(&self.cpu_fraction) {
            return Err(inv(FieldError::new(
                at("cpu_fraction"),
                format!("expected a fraction in [0, 1], got {}", self.cpu_fraction),
            )));
        }
        let reference = self.reference_memory_mb.unwrap_or(memory_mb);
        if reference == 0 {
            return Err(inv(FieldError::new(
                at("reference_memory_mb"),
                "expected at least 1 MB",
            )));
        }
        // CPU share ∝ memory (Lambda: one vCPU per 1,769 MB). Single-threaded work gains
        // nothing past one vCPU, so the share is capped at 1 vCPU.
        let share = |mb: u32| (f64::from(mb) / platform.mb_per_vcpu).min(1.0);
        let duration_scale =
            (1.0 - self.cpu_fraction) + self.cpu_fraction * share(reference) / share(memory_mb);
        let provisioned = self
            .provisioned
            .as_ref()
            .map(|p| p.validate(&at("provisioned")))
            .transpose()
            .map_err(inv)?;
        let warmers = self
            .warmers
            .as_ref()
            .map(|w| w.validate(&at("warmers")))
            .transpose()
            .map_err(inv)?;
        let mean_cold_start_ms = cold_start.mean_ms(duration_scale);
        Ok(Function {
            provisioned,
            warmers,
            arch: self.arch,
            duration_scale,
            mean_cold_start_ms,
            name: self.name.clone(),
            runtime: runtime.name,
            memory_mb,
            exec,
            cold_start,
            keep_alive,
            workload,
            max_concurrency: self.max_concurrency,
            reuse: self.reuse,
        })
    }
}
