//! The scenario file as written ([`ScenarioSpec`]) and its validation into a
//! [`Scenario`]: profiles resolved (embedded, by path or inline), `platform_overrides`
//! applied, every value checked, names resolved. The schema is documented in
//! `experiments/README.md`.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::check;
use super::cost::CostSpec;
use super::function::{FunctionSpec, resolve_calls};
use super::source::{self, QueueSpec, StreamSpec, WorkflowSpec};
use super::trace;
use crate::database::{Database, DatabaseSpec, OnLimit};
use crate::error::{Error, FieldError, Result};
use crate::json;
use crate::model::{Function, FunctionId, Scenario};
use crate::profile::{Kind, Platform, ProfileRef};
use crate::time::SimTime;
use crate::trace::{TraceCache, TraceSpec};

fn default_platform() -> ProfileRef {
    ProfileRef::Name("aws-lambda".to_owned())
}

/// Every function needs a [`FunctionId`]: at most [`FunctionId::MAX_FUNCTIONS`] of them
/// (checked for the functions as written, and again with those a trace adds).
fn check_function_count(n: usize) -> Result<(), FieldError> {
    if n > FunctionId::MAX_FUNCTIONS {
        return Err(FieldError::new(
            "functions",
            format!(
                "expected at most {} functions (ids are 32-bit), got {n}",
                FunctionId::MAX_FUNCTIONS
            ),
        ));
    }
    Ok(())
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
    pub cost: CostSpec,
    /// Downstream databases with a connection limit (default none).
    #[serde(default)]
    pub databases: Vec<DatabaseSpec>,
    /// A public trace to replay: its functions are added after `functions`.
    #[serde(default)]
    pub traces: Option<TraceSpec>,
    /// Queues whose messages invoke functions in batches (default none).
    #[serde(default)]
    pub queues: Vec<QueueSpec>,
    /// Streams whose records invoke functions in batches, in order per shard.
    #[serde(default)]
    pub streams: Vec<StreamSpec>,
    /// Workflows: sequences and parallel branches of function tasks.
    #[serde(default)]
    pub workflows: Vec<WorkflowSpec>,
    /// A latency objective, ms: results count the requests whose response time exceeded
    /// it (default none).
    #[serde(default)]
    pub slo_ms: Option<f64>,
}

impl ScenarioSpec {
    /// Validates against profiles; `origin` names the file, `base_dir` resolves paths.
    pub fn validate(&self, origin: &str, base_dir: &Path) -> Result<Scenario> {
        self.validate_with(origin, base_dir, None)
    }

    /// [`validate`](Self::validate), reading the `traces` section through `cache` when
    /// one is given (the scenarios of a sweep share one).
    pub fn validate_with(
        &self,
        origin: &str,
        base_dir: &Path,
        cache: Option<&TraceCache>,
    ) -> Result<Scenario> {
        let inv = |e: FieldError| e.in_origin(origin);
        let (duration, warmup) = self.horizon().map_err(inv)?;
        let slo_ms = self
            .slo_ms
            .map(|v| check::positive(v, "slo_ms", "a latency objective in ms"))
            .transpose()
            .map_err(inv)?;
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
        check_function_count(self.functions.len()).map_err(inv)?;
        let mut functions = Vec::with_capacity(self.functions.len());
        for (i, f) in self.functions.iter().enumerate() {
            let field = format!("functions[{i}]");
            if f.name == "total" {
                // The CSV's and the table's total row is named `total`: two rows would share it.
                return Err(inv(FieldError::new(
                    format!("{field}.name"),
                    "expected a name other than `total`, which the results' total row uses",
                )));
            }
            check::unique(
                &f.name,
                functions.iter().map(|g: &Function| g.name.as_str()),
                format!("{field}.name"),
                "function",
            )
            .map_err(inv)?;
            functions.push(f.validate(&field, &platform, origin, base_dir)?);
        }
        resolve_calls(&self.functions, &mut functions).map_err(inv)?;
        let databases = self.databases(&mut functions, &platform).map_err(inv)?;
        let trace = match &self.traces {
            Some(t) => {
                let mut taken = functions.iter().map(|f| f.name.clone()).collect();
                let (generated, report) =
                    trace::expand(t, origin, base_dir, &platform, &mut taken, cache)?;
                functions.extend(generated);
                check_function_count(functions.len()).map_err(inv)?;
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
        check_concurrency(&functions, &platform).map_err(inv)?;
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
            slo_ms,
        })
    }

    /// The arrival horizon and the warm-up, and that `platform_overrides` is an object.
    fn horizon(&self) -> Result<(SimTime, SimTime), FieldError> {
        let duration = check::seconds(self.duration_s, "duration_s")?;
        // `seconds` bounds it at 100 years, which leaves room in the clock for the
        // requests and keep-alive timers that run past the horizon.
        if duration == SimTime::ZERO {
            return Err(FieldError::new(
                "duration_s",
                format!(
                    "expected a duration > 0 (at least 1 ns), got {}",
                    check::shown(self.duration_s)
                ),
            ));
        }
        let warmup = check::seconds(self.warmup_s, "warmup_s")?;
        if warmup >= duration {
            return Err(FieldError::new(
                "warmup_s",
                format!(
                    "expected less than duration_s ({}), got {}",
                    self.duration_s, self.warmup_s
                ),
            ));
        }
        if let Some(o) = &self.platform_overrides
            && !o.is_object()
        {
            return Err(FieldError::new(
                "platform_overrides",
                "expected an object of platform fields",
            ));
        }
        Ok((duration, warmup))
    }

    /// The databases, and each function's `database` name resolved to an index.
    fn databases(
        &self,
        functions: &mut [Function],
        platform: &Platform,
    ) -> Result<Vec<Database>, FieldError> {
        let mut databases: Vec<Database> = Vec::with_capacity(self.databases.len());
        for (i, d) in self.databases.iter().enumerate() {
            let db = d.validate(&format!("databases[{i}]"))?;
            check::unique(
                &db.name,
                databases.iter().map(|o| o.name.as_str()),
                format!("databases[{i}].name"),
                "database",
            )?;
            databases.push(db);
        }
        for (i, f) in self.functions.iter().enumerate() {
            if let Some(name) = &f.database {
                let index = databases.iter().position(|d| &d.name == name).ok_or_else(|| {
                    FieldError::new(
                        format!("functions[{i}].database"),
                        format!("expected the name of a database in the scenario's `databases`, got `{name}`"),
                    )
                })?;
                let db = &databases[index];
                // Without either bound a request could wait for a connection for ever: the
                // holders may be instances no event frees (provisioned, or idle under a long
                // keep-alive), and event sources would then redeliver without end (a run of
                // 38 s went past 11 simulated days).
                if db.on_limit == OnLimit::Wait
                    && db.max_wait.is_none()
                    && functions[i].timeout.is_none()
                {
                    return Err(FieldError::new(
                        format!("databases[{index}].max_wait_s"),
                        format!(
                            "expected a max_wait_s: function `{}` has no timeout (platform {} \
                             sets none), so a request waiting for a connection could wait \
                             for ever; set max_wait_s here or timeout_s on the function",
                            f.name, platform.name
                        ),
                    ));
                }
                functions[i].database = Some(index);
            }
        }
        Ok(databases)
    }
}

/// Reserved concurrency must leave the platform's unreservable part free, and provisioned
/// concurrency must fit in what each function may use.
fn check_concurrency(functions: &[Function], platform: &Platform) -> Result<(), FieldError> {
    let reserved: u64 = functions
        .iter()
        .filter_map(|f| f.max_concurrency)
        .map(u64::from)
        .sum();
    let reservable = u64::from(platform.account_concurrency - platform.min_unreserved_concurrency);
    if reserved > reservable {
        return Err(FieldError::new(
            "functions",
            format!(
                "reserved concurrency (max_concurrency) sums to {reserved}, but the platform lets at most {reservable} be reserved (account_concurrency {} minus min_unreserved_concurrency {}); lower it or raise account_concurrency with platform_overrides",
                platform.account_concurrency, platform.min_unreserved_concurrency
            ),
        ));
    }
    for (i, f) in functions.iter().enumerate() {
        let Some(p) = &f.provisioned else { continue };
        let cap = match f.max_concurrency {
            Some(r) => u64::from(r),
            None => u64::from(platform.account_concurrency) - reserved,
        };
        if u64::from(p.max_count()) > cap {
            return Err(FieldError::new(
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
            ));
        }
    }
    Ok(())
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

    /// [`from_str`](Self::from_str), reading the `traces` section through `cache`: the
    /// scenarios of a sweep that all replay the same trace read its files once.
    pub fn from_str_cached(
        text: &str,
        origin: &str,
        base_dir: &Path,
        cache: &TraceCache,
    ) -> Result<Scenario> {
        let spec: ScenarioSpec = json::parse(text, origin)?;
        spec.validate_with(origin, base_dir, Some(cache))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = r#""runtime": "nodejs", "exec_ms": {"dist": "const", "value": 10},
        "workload": {"kind": "constant", "interval_s": 1}"#;

    /// The one-line error of loading `json` as `s.json`.
    fn error(json: &str) -> String {
        Scenario::from_str(json, "s.json", Path::new("."))
            .expect_err("expected the scenario to be refused")
            .to_string()
    }

    #[test]
    fn a_valid_scenario_keeps_its_horizon_and_functions() {
        let json = format!(
            r#"{{"name": "t", "duration_s": 60, "warmup_s": 10,
                "functions": [{{"name": "a", {F}}}, {{"name": "b", {F}}}]}}"#
        );
        let s = Scenario::from_str(&json, "s.json", Path::new(".")).unwrap();
        assert_eq!(s.duration, SimTime::from_secs(60.0));
        assert_eq!(s.warmup, SimTime::from_secs(10.0));
        let names: Vec<&str> = s.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(s.origin, "s.json");
    }

    #[test]
    fn the_horizon_is_checked_before_anything_else() {
        let json =
            format!(r#"{{"name": "t", "duration_s": 0, "functions": [{{"name": "", {F}}}]}}"#);
        assert!(error(&json).starts_with("s.json: duration_s: expected a duration > 0"));
        let json = format!(
            r#"{{"name": "t", "duration_s": 5, "warmup_s": 5, "functions": [{{"name": "a", {F}}}]}}"#
        );
        assert_eq!(
            error(&json),
            "s.json: warmup_s: expected less than duration_s (5), got 5"
        );
    }

    #[test]
    fn the_latency_objective_is_optional_and_must_be_positive() {
        let json = |slo: &str| {
            format!(
                r#"{{"name": "t", "duration_s": 5, {slo} "functions": [{{"name": "a", {F}}}]}}"#
            )
        };
        let s = Scenario::from_str(&json(""), "s.json", Path::new(".")).unwrap();
        assert_eq!(s.slo_ms, None);
        let s = Scenario::from_str(&json(r#""slo_ms": 250.5,"#), "s.json", Path::new(".")).unwrap();
        assert_eq!(s.slo_ms, Some(250.5));
        for (bad, shown) in [("0", "0"), ("-5", "-5")] {
            assert_eq!(
                error(&json(&format!(r#""slo_ms": {bad},"#))),
                format!("s.json: slo_ms: expected a latency objective in ms > 0, got {shown}")
            );
        }
        assert!(
            error(&json(r#""slo_ms": "fast","#)).contains("slo_ms"),
            "{}",
            error(&json(r#""slo_ms": "fast","#))
        );
    }

    #[test]
    fn repeated_names_and_unknown_databases_name_the_field() {
        let json = format!(
            r#"{{"name": "t", "duration_s": 5, "functions": [{{"name": "a", {F}}}, {{"name": "a", {F}}}]}}"#
        );
        assert_eq!(
            error(&json),
            "s.json: functions[1].name: function names must be unique; `a` appears twice"
        );
        let json = format!(
            r#"{{"name": "t", "duration_s": 5, "functions": [{{"name": "a", "database": "db", {F}}}]}}"#
        );
        assert_eq!(
            error(&json),
            "s.json: functions[0].database: expected the name of a database in the scenario's `databases`, got `db`"
        );
    }

    #[test]
    fn reserved_concurrency_must_leave_the_unreservable_part() {
        // aws-lambda: 1,000 concurrent executions, 100 of which cannot be reserved.
        let json = format!(
            r#"{{"name": "t", "duration_s": 5,
                "functions": [{{"name": "a", "max_concurrency": 901, {F}}}]}}"#
        );
        assert!(
            error(&json).starts_with(
                "s.json: functions: reserved concurrency (max_concurrency) sums to 901, but the platform lets at most 900 be reserved"
            ),
            "{}",
            error(&json)
        );
        let json = format!(
            r#"{{"name": "t", "duration_s": 5,
                "functions": [{{"name": "a", "max_concurrency": 900, {F}}}]}}"#
        );
        assert!(Scenario::from_str(&json, "s.json", Path::new(".")).is_ok());
    }
}
