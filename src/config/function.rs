//! A function as written (`functions[i]`, and a trace's `template`), its calls and its
//! asynchronous retry rules, and their validation against the platform.

use std::path::Path;

use serde::Deserialize;

use super::check;
use crate::dist::DistSpec;
use crate::error::{FieldError, Result};
use crate::model::{
    AsyncRetry, Call, CallMode, ColdStart, Function, FunctionId, Invocation, Reuse, Routing,
};
use crate::policy::keep_alive::KeepAliveSpec;
use crate::policy::provisioned::ProvisionedSpec;
use crate::policy::warmers::WarmersSpec;
use crate::profile::{Arch, Kind, Platform, ProfileRef, RuntimeProfile};
use crate::time::SimTime;
use crate::workload::WorkloadSpec;

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

/// Resolves callee names and rejects call cycles (a cycle of calls could never end).
pub(super) fn resolve_calls(
    specs: &[FunctionSpec],
    functions: &mut [Function],
) -> Result<(), FieldError> {
    for (i, spec) in specs.iter().enumerate() {
        for (j, c) in spec.calls.iter().enumerate() {
            let at = |f: &str| format!("functions[{i}].calls[{j}].{f}");
            let target = specs
                .iter()
                .position(|g| g.name == c.function)
                .map(FunctionId::new)
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
            let target = c.target.index();
            match mark[target] {
                1 => {
                    let start = path.iter().position(|&p| p == target).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(target);
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(target, functions, mark, path) {
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
        let at = |f: &str| format!("{field}.{f}");
        check::name(&self.name, at("name")).map_err(|e| e.in_origin(origin))?;
        let runtime = RuntimeProfile::from_located(self.runtime.locate(
            Kind::Runtime,
            base_dir,
            origin,
            &at("runtime"),
        )?)?;
        self.checked(field, platform, runtime, base_dir)
            .map_err(|e| e.in_origin(origin))
    }

    /// The checks of every field but the name and the runtime profile (which may fail in
    /// another document).
    fn checked(
        &self,
        field: &str,
        platform: &Platform,
        runtime: RuntimeProfile,
        base_dir: &Path,
    ) -> Result<Function, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        let range = platform.memory_mb;
        let memory_mb = self.memory_mb.unwrap_or(range.default);
        if !(range.min..=range.max).contains(&memory_mb) {
            return Err(FieldError::new(
                at("memory_mb"),
                format!(
                    "expected {}..={} MB on platform {}, got {memory_mb}",
                    range.min, range.max, platform.name
                ),
            ));
        }
        check::non_negative(self.package_mb, at("package_mb"), "a size in MB")?;
        let exec = self.exec_ms.validate(&at("exec_ms"))?;
        let init = self
            .init_ms
            .as_ref()
            .map(|d| d.validate(&at("init_ms")))
            .transpose()?;
        let cold_start = match &self.cold_start_ms {
            Some(d) => ColdStart::Override(d.validate(&at("cold_start_ms"))?),
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
            return Err(FieldError::new(
                at("vpc"),
                format!(
                    "platform {} has no vpc_setup_ms to add to cold starts; set it with platform_overrides",
                    platform.name
                ),
            ));
        }
        let keep_alive = match &self.keep_alive {
            Some(k) => k.validate(&at("keep_alive"))?,
            None => platform.keep_alive.clone(),
        };
        // A function with 0 reserved concurrency would throttle every request.
        if let Some(reserved) = self.max_concurrency {
            check::at_least(reserved, 1, at("max_concurrency"), "concurrent execution")?;
        }
        let workload = self
            .workload
            .as_ref()
            .map(|w| w.validate(&at("workload"), base_dir))
            .transpose()?;
        check::fraction(self.cpu_fraction, at("cpu_fraction"))?;
        let reference = self.reference_memory_mb.unwrap_or(memory_mb);
        check::at_least(reference, 1, at("reference_memory_mb"), "MB")?;
        // CPU share ∝ memory (Lambda: one vCPU per 1,769 MB). Single-threaded work gains
        // nothing past one vCPU, so the share is capped at 1 vCPU.
        let share = |mb: u32| (f64::from(mb) / platform.mb_per_vcpu).min(1.0);
        let duration_scale =
            (1.0 - self.cpu_fraction) + self.cpu_fraction * share(reference) / share(memory_mb);
        let provisioned = self
            .provisioned
            .as_ref()
            .map(|p| p.validate(&at("provisioned")))
            .transpose()?;
        let warmers = self
            .warmers
            .as_ref()
            .map(|w| w.validate(&at("warmers")))
            .transpose()?;
        let mean_cold_start_ms = cold_start.mean_ms(duration_scale);
        let timeout = match self.timeout_s {
            Some(t) => {
                check::positive_seconds(t, at("timeout_s"))?;
                if let Some(max) = platform.max_timeout_s
                    && t > max
                {
                    return Err(FieldError::new(
                        at("timeout_s"),
                        format!(
                            "expected at most {max} s (platform {}'s max_timeout_s), got {t}",
                            platform.name
                        ),
                    ));
                }
                Some(SimTime::from_secs(t))
            }
            None => platform.default_timeout,
        };
        check::probability(self.failure_probability, at("failure_probability"))?;
        if self.async_retry.is_some() && self.invocation != Invocation::Async {
            return Err(FieldError::new(
                at("async"),
                "retry rules apply to asynchronous functions only; add \"invocation\": \"async\"",
            ));
        }
        let async_retry = self
            .async_retry
            .clone()
            .unwrap_or_default()
            .validate(&at("async"))?;
        if async_retry.max_retries > platform.max_async_retries {
            return Err(FieldError::new(
                at("async.max_retries"),
                format!(
                    "expected 0..={} retries on platform {} (its max_async_retries), got {}",
                    platform.max_async_retries, platform.name, async_retry.max_retries
                ),
            ));
        }
        let per_instance_concurrency = self
            .per_instance_concurrency
            .unwrap_or(platform.per_instance_concurrency);
        if per_instance_concurrency == 0
            || per_instance_concurrency > platform.max_per_instance_concurrency
        {
            return Err(FieldError::new(
                at("per_instance_concurrency"),
                format!(
                    "expected 1..={} requests per instance on platform {}, got {per_instance_concurrency}",
                    platform.max_per_instance_concurrency, platform.name
                ),
            ));
        }
        let vcpus = self
            .vcpus
            .unwrap_or(f64::from(memory_mb) / platform.mb_per_vcpu);
        check::positive(vcpus, at("vcpus"), "a number of vCPUs")?;
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
