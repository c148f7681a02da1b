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

use crate::config::check;
use crate::cost::CostSettings;
use crate::database::{Database, DatabaseSpec};
use crate::dist::{Dist, DistSpec};
use crate::error::{Error, FieldError, Result};
use crate::json;
use crate::policy::keep_alive::{KeepAlive, KeepAliveSpec};
use crate::policy::provisioned::{Provisioned, ProvisionedSpec};
use crate::policy::warmers::{Warmers, WarmersSpec};
use crate::profile::{Arch, Kind, Platform, ProfileRef, RuntimeProfile, StartPhase};
use crate::source::{self, QueueSpec, Sources, StreamSpec, WorkflowSpec};
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
    /// Downstream databases with a connection limit (default none).
    #[serde(default)]
    pub databases: Vec<DatabaseSpec>,
    /// A public trace to replay: its functions are added after `functions`.
    #[serde(default)]
    pub traces: Option<crate::trace::TraceSpec>,
    /// Queues whose messages invoke functions in batches (default none).
    #[serde(default)]
    pub queues: Vec<QueueSpec>,
    /// Streams whose records invoke functions in batches, in order per shard.
    #[serde(default)]
    pub streams: Vec<StreamSpec>,
    /// Workflows: sequences and parallel branches of function tasks.
    #[serde(default)]
    pub workflows: Vec<WorkflowSpec>,
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

/// How a function is invoked.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Invocation {
    /// Request/response: a throttled request fails at once (HTTP 429).
    #[default]
    Sync,
    /// Event: the platform queues it and retries throttles and errors (Lambda async).
    Async,
}

/// Which instance with a free slot a request goes to when instances serve several
/// requests at once.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// The busiest instance that still has a free slot (fewest instances in use).
    #[default]
    Pack,
    /// The least busy instance (lowest per-request load).
    Spread,
}

/// Retry rules of asynchronous invocations, as written (defaults: AWS Lambda's).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AsyncSpec {
    /// Retries after a function error or timeout (Lambda: 0–2, default 2).
    #[serde(default = "d_max_retries")]
    pub max_retries: u32,
    /// Events older than this are dropped to the dead-letter queue, seconds (Lambda:
    /// 60 s to 6 h, default 6 h).
    #[serde(default = "d_max_event_age_s")]
    pub max_event_age_s: f64,
    /// Wait before each retry after an error, seconds (Lambda: 60 then 120); the last
    /// value repeats.
    #[serde(default = "d_error_delays_s")]
    pub error_delays_s: Vec<f64>,
    /// First wait after a throttle, seconds; it doubles per throttle (Lambda: 1 s).
    #[serde(default = "d_throttle_initial_s")]
    pub throttle_initial_s: f64,
    /// Longest wait after a throttle, seconds (Lambda: 5 min).
    #[serde(default = "d_throttle_max_s")]
    pub throttle_max_s: f64,
}

fn d_max_retries() -> u32 {
    2
}
fn d_max_event_age_s() -> f64 {
    21_600.0
}
fn d_error_delays_s() -> Vec<f64> {
    vec![60.0, 120.0]
}
fn d_throttle_initial_s() -> f64 {
    1.0
}
fn d_throttle_max_s() -> f64 {
    300.0
}

impl Default for AsyncSpec {
    fn default() -> Self {
        AsyncSpec {
            max_retries: d_max_retries(),
            max_event_age_s: d_max_event_age_s(),
            error_delays_s: d_error_delays_s(),
            throttle_initial_s: d_throttle_initial_s(),
            throttle_max_s: d_throttle_max_s(),
        }
    }
}

/// Validated retry rules of asynchronous invocations.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncRetry {
    /// Retries after errors.
    pub max_retries: u32,
    /// Maximum event age.
    pub max_age: SimTime,
    /// Waits before retries after errors (the last repeats).
    pub error_delays: Vec<SimTime>,
    /// First throttle back-off.
    pub throttle_initial: SimTime,
    /// Longest throttle back-off.
    pub throttle_max: SimTime,
}

impl AsyncRetry {
    /// The wait before retry number `retry` (1-based) after an error.
    pub fn error_delay(&self, retry: u32) -> SimTime {
        let i = (retry as usize)
            .saturating_sub(1)
            .min(self.error_delays.len() - 1);
        self.error_delays[i]
    }

    /// The wait after the `n`-th throttle of an event (1-based): doubling, capped.
    pub fn throttle_delay(&self, n: u32) -> SimTime {
        let factor = 1u64 << n.saturating_sub(1).min(40);
        SimTime(self.throttle_initial.0.saturating_mul(factor)).min(self.throttle_max)
    }
}

impl AsyncSpec {
    fn validate(&self, field: &str) -> Result<AsyncRetry, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        let max_age = check::seconds(self.max_event_age_s, at("max_event_age_s"))?;
        // Checked after rounding: an age below 1 ns would drop every event.
        if max_age == SimTime::ZERO {
            return Err(FieldError::new(
                at("max_event_age_s"),
                format!(
                    "expected a number of seconds > 0, got {}",
                    self.max_event_age_s
                ),
            ));
        }
        if self.error_delays_s.is_empty() {
            return Err(FieldError::new(
                at("error_delays_s"),
                "expected at least one delay in seconds",
            ));
        }
        let error_delays = self
            .error_delays_s
            .iter()
            .enumerate()
            .map(|(i, &d)| check::seconds(d, format!("{}[{i}]", at("error_delays_s"))))
            .collect::<Result<Vec<_>, _>>()?;
        let throttle_initial = check::seconds(self.throttle_initial_s, at("throttle_initial_s"))?;
        // Checked after rounding: a zero wait would retry forever at one instant.
        if throttle_initial == SimTime::ZERO {
            return Err(FieldError::new(
                at("throttle_initial_s"),
                format!(
                    "expected a number of seconds > 0, got {}",
                    self.throttle_initial_s
                ),
            ));
        }
        let throttle_max = check::seconds(self.throttle_max_s, at("throttle_max_s"))?;
        if throttle_max < throttle_initial {
            return Err(FieldError::new(
                at("throttle_max_s"),
                format!(
                    "expected at least throttle_initial_s ({}), got {}",
                    self.throttle_initial_s, self.throttle_max_s
                ),
            ));
        }
        Ok(AsyncRetry {
            max_retries: self.max_retries,
            max_age,
            error_delays,
            throttle_initial,
            throttle_max,
        })
    }
}

/// How a function calls another.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallMode {
    /// Request/response: the caller stays busy (and billed) until the callee answers.
    #[default]
    Sync,
    /// Fire and forget: the callee gets an asynchronous event.
    Async,
}

/// A call to another function, made when the caller's own work is done, as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// The callee's name.
    pub function: String,
    /// `sync` (default) or `async`.
    #[serde(default)]
    pub mode: CallMode,
    /// Probability that each of the `count` calls is made (default 1).
    #[serde(default = "d_one")]
    pub probability: f64,
    /// Calls made at once (fan-out), default 1; synchronous ones run in parallel and the
    /// caller waits for the last.
    #[serde(default = "d_count")]
    pub count: u32,
}

fn d_one() -> f64 {
    1.0
}
fn d_count() -> u32 {
    1
}

/// A validated call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Call {
    /// Index of the callee in the scenario's functions.
    pub target: usize,
    /// Sync or async.
    pub mode: CallMode,
    /// Probability of each call.
    pub probability: f64,
    /// Fan-out.
    pub count: u32,
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
    /// Arrivals (default none: the function is invoked only by sources, workflows or
    /// other functions' calls).
    #[serde(default)]
    pub workload: Option<WorkloadSpec>,
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
    /// Execution timeout, seconds (default: the platform's default timeout).
    #[serde(default)]
    pub timeout_s: Option<f64>,
    /// Probability that an execution ends in a function error (default 0).
    #[serde(default)]
    pub failure_probability: f64,
    /// `sync` (default) or `async`.
    #[serde(default)]
    pub invocation: Invocation,
    /// Retry rules of `async` invocations (default: Lambda's).
    #[serde(default, rename = "async")]
    pub async_retry: Option<AsyncSpec>,
    /// Requests one instance serves at once (default: the platform's).
    #[serde(default)]
    pub per_instance_concurrency: Option<u32>,
    /// Which instance with a free slot takes a request: `pack` (default) or `spread`.
    #[serde(default)]
    pub routing: Routing,
    /// vCPUs of an instance, for CPU sharing (default: memory / the platform's MB per vCPU).
    #[serde(default)]
    pub vcpus: Option<f64>,
    /// Whether requests on one instance share its vCPUs (default: the platform's rule).
    #[serde(default)]
    pub cpu_sharing: Option<bool>,
    /// Attached to a VPC: cold starts add the platform's `vpc_setup_ms`.
    #[serde(default)]
    pub vpc: bool,
    /// Calls to other functions when the function's own work is done (default none).
    #[serde(default)]
    pub calls: Vec<CallSpec>,
    /// The database (by name, from the scenario's `databases`) each execution needs a
    /// connection to (default none).
    #[serde(default)]
    pub database: Option<String>,
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
        /// VPC network set-up, for functions attached to a VPC.
        vpc: Option<Dist>,
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
                vpc,
            } => {
                let vpc = vpc.as_ref().map_or(0.0, Dist::mean);
                let (start, init) = match start {
                    StartPhase::Init(d) => (d.mean(), init.as_ref().map_or(0.0, Dist::mean)),
                    // A snapshot restore skips the function's init.
                    StartPhase::SnapshotRestore(d) => (d.mean(), 0.0),
                };
                sandbox.mean() + vpc + code_load_ms + start + init * init_scale
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
    /// Arrivals of its own (None: invoked only by sources, workflows or calls).
    pub workload: Option<Workload>,
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
    /// Execution timeout.
    pub timeout: Option<SimTime>,
    /// Probability of a function error per execution.
    pub failure_probability: f64,
    /// Sync or async.
    pub invocation: Invocation,
    /// Retry rules (async functions).
    pub async_retry: AsyncRetry,
    /// Requests one instance serves at once.
    pub per_instance_concurrency: u32,
    /// Instance choice among those with free slots.
    pub routing: Routing,
    /// vCPUs per instance.
    pub vcpus: f64,
    /// Requests on one instance share its vCPUs.
    pub cpu_sharing: bool,
    /// Share of the execution that is CPU-bound (and shared under `cpu_sharing`).
    pub cpu_fraction: f64,
    /// Calls to other functions.
    pub calls: Vec<Call>,
    /// Index of the database it connects to.
    pub database: Option<usize>,
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
    /// Databases.
    pub databases: Vec<Database>,
    /// Queues, streams and workflows.
    pub sources: Sources,
    /// Where the scenario came from (for messages).
    pub origin: String,
    /// What loading the `traces` section read, generated and skipped.
    pub trace: Option<crate::trace::TraceReport>,
}

impl Scenario {
    /// Whether function `i` gets asynchronous events: it is `async`, or another function
    /// calls it asynchronously.
    pub fn receives_events(&self, i: usize) -> bool {
        self.functions[i].invocation == Invocation::Async
            || self.functions.iter().any(|f| {
                f.calls
                    .iter()
                    .any(|c| c.target == i && c.mode == CallMode::Async)
            })
    }

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

impl ScenarioSpec {
    /// Validates against profiles; `origin` names the file, `base_dir` resolves paths.
    pub fn validate(&self, origin: &str, base_dir: &Path) -> Result<Scenario> {
        let inv = |e: FieldError| e.in_origin(origin);
        let duration = check::seconds(self.duration_s, "duration_s").map_err(inv)?;
        if duration == SimTime::ZERO || self.duration_s > MAX_DURATION_S {
            return Err(inv(FieldError::new(
                "duration_s",
                format!(
                    "expected a duration > 0 and at most {MAX_DURATION_S:e} s (nanosecond time runs out after 584 years), got {}",
                    self.duration_s
                ),
            )));
        }
        let warmup = check::seconds(self.warmup_s, "warmup_s").map_err(inv)?;
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
        resolve_calls(&self.functions, &mut functions).map_err(inv)?;
        let mut databases: Vec<Database> = Vec::with_capacity(self.databases.len());
        for (i, d) in self.databases.iter().enumerate() {
            let db = d.validate(&format!("databases[{i}]")).map_err(inv)?;
            if databases.iter().any(|o| o.name == db.name) {
                return Err(inv(FieldError::new(
                    format!("databases[{i}].name"),
                    format!("database names must be unique; `{}` appears twice", db.name),
                )));
            }
            databases.push(db);
        }
        for (i, f) in self.functions.iter().enumerate() {
            if let Some(name) = &f.database {
                let index = databases.iter().position(|d| &d.name == name).ok_or_else(|| {
                    inv(FieldError::new(
                        format!("functions[{i}].database"),
                        format!("expected the name of a database in the scenario's `databases`, got `{name}`"),
                    ))
                })?;
                functions[i].database = Some(index);
            }
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
        let sources = source::validate(
            &self.queues,
            &self.streams,
            &self.workflows,
            &functions,
            base_dir,
        )
        .and_then(|s| source::check_driven(&functions, &s).map(|()| s))
        .map_err(inv)?;
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
            databases,
            name: self.name.clone(),
            seed: self.seed,
            duration,
            warmup,
            platform,
            functions,
            sources,
            origin: origin.to_owned(),
            trace,
        })
    }
}

/// Resolves callee names and rejects call cycles (a cycle of calls could never end).
fn resolve_calls(specs: &[FunctionSpec], functions: &mut [Function]) -> Result<(), FieldError> {
    for (i, spec) in specs.iter().enumerate() {
        for (j, c) in spec.calls.iter().enumerate() {
            let at = |f: &str| format!("functions[{i}].calls[{j}].{f}");
            let target = specs
                .iter()
                .position(|g| g.name == c.function)
                .ok_or_else(|| {
                    FieldError::new(
                        at("function"),
                        format!(
                            "expected the name of a function in this scenario, got `{}`",
                            c.function
                        ),
                    )
                })?;
            check::probability(c.probability, at("probability"))?;
            check::at_least(c.count, 1, at("count"), "call")?;
            functions[i].calls.push(Call {
                target,
                mode: c.mode,
                probability: c.probability,
                count: c.count,
            });
        }
    }
    // Depth-first search for a cycle: 0 unvisited, 1 on the path, 2 done.
    fn visit(
        i: usize,
        functions: &[Function],
        mark: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        mark[i] = 1;
        path.push(i);
        for c in &functions[i].calls {
            match mark[c.target] {
                1 => {
                    let start = path.iter().position(|&p| p == c.target).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(c.target);
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(c.target, functions, mark, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        mark[i] = 2;
        None
    }
    let mut mark = vec![0u8; functions.len()];
    for i in 0..functions.len() {
        if mark[i] == 0
            && let Some(cycle) = visit(i, functions, &mut mark, &mut Vec::new())
        {
            let names: Vec<&str> = cycle.iter().map(|&k| functions[k].name.as_str()).collect();
            return Err(FieldError::new(
                format!("functions[{}].calls", cycle[0]),
                format!(
                    "calls form a cycle ({}); a request would never end",
                    names.join(" → ")
                ),
            ));
        }
    }
    Ok(())
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
        check::non_negative(self.package_mb, at("package_mb"), "a size in MB").map_err(inv)?;
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
                vpc: if self.vpc {
                    platform.vpc_setup.clone()
                } else {
                    None
                },
            },
        };
        if self.vpc && platform.vpc_setup.is_none() {
            return Err(inv(FieldError::new(
                at("vpc"),
                format!(
                    "platform {} has no vpc_setup_ms to add to cold starts; set it with platform_overrides",
                    platform.name
                ),
            )));
        }
        let keep_alive = match &self.keep_alive {
            Some(k) => k.validate(&at("keep_alive")).map_err(inv)?,
            None => platform.keep_alive.clone(),
        };
        // A function with 0 reserved concurrency would throttle every request.
        if let Some(reserved) = self.max_concurrency {
            check::at_least(reserved, 1, at("max_concurrency"), "concurrent execution")
                .map_err(inv)?;
        }
        let workload = self
            .workload
            .as_ref()
            .map(|w| w.validate(&at("workload"), base_dir))
            .transpose()
            .map_err(inv)?;
        check::fraction(self.cpu_fraction, at("cpu_fraction")).map_err(inv)?;
        let reference = self.reference_memory_mb.unwrap_or(memory_mb);
        check::at_least(reference, 1, at("reference_memory_mb"), "MB").map_err(inv)?;
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
        let timeout = match self.timeout_s {
            Some(t) => {
                check::positive(t, at("timeout_s"), "a number of seconds").map_err(inv)?;
                if let Some(max) = platform.max_timeout_s
                    && t > max
                {
                    return Err(inv(FieldError::new(
                        at("timeout_s"),
                        format!(
                            "expected at most {max} s (platform {}'s max_timeout_s), got {t}",
                            platform.name
                        ),
                    )));
                }
                Some(SimTime::from_secs(t))
            }
            None => platform.default_timeout,
        };
        check::probability(self.failure_probability, at("failure_probability")).map_err(inv)?;
        if self.async_retry.is_some() && self.invocation != Invocation::Async {
            return Err(inv(FieldError::new(
                at("async"),
                "retry rules apply to asynchronous functions only; add \"invocation\": \"async\"",
            )));
        }
        let async_retry = self
            .async_retry
            .clone()
            .unwrap_or_default()
            .validate(&at("async"))
            .map_err(inv)?;
        let per_instance_concurrency = self
            .per_instance_concurrency
            .unwrap_or(platform.per_instance_concurrency);
        if per_instance_concurrency == 0
            || per_instance_concurrency > platform.max_per_instance_concurrency
        {
            return Err(inv(FieldError::new(
                at("per_instance_concurrency"),
                format!(
                    "expected 1..={} requests per instance on platform {}, got {per_instance_concurrency}",
                    platform.max_per_instance_concurrency, platform.name
                ),
            )));
        }
        let vcpus = self
            .vcpus
            .unwrap_or(f64::from(memory_mb) / platform.mb_per_vcpu);
        check::positive(vcpus, at("vcpus"), "a number of vCPUs").map_err(inv)?;
        Ok(Function {
            timeout,
            failure_probability: self.failure_probability,
            invocation: self.invocation,
            async_retry,
            per_instance_concurrency,
            routing: self.routing,
            vcpus,
            cpu_sharing: self.cpu_sharing.unwrap_or(platform.cpu_sharing),
            cpu_fraction: self.cpu_fraction,
            calls: Vec::new(),
            database: None,
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
