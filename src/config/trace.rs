//! A scenario's `traces` section expanded into functions.
//!
//! The readers of the public trace formats live in [`crate::trace`]; this module builds one
//! [`Function`] per trace function (or per application with `group_by: app`) from the
//! section's `template`, each with a [`Workload::Trace`] whose arrivals come from that
//! function's counts and with an execution-time distribution built from the trace.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::function::FunctionSpec;
use crate::error::{FieldError, Result};
use crate::json;
use crate::model::Function;
use crate::profile::Platform;
use crate::trace::{TraceCache, TraceFormat, TraceReport, TraceSpec, TraceWorkload};
use crate::workload::Workload;

fn field_err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(format!("traces.{field}"), message)
}

/// The template as a validated function (with a placeholder name, workload and, when
/// it has none, execution time), and whether it gave `exec_ms`.
fn template(
    spec: &TraceSpec,
    platform: &Platform,
    origin: &str,
    base_dir: &Path,
) -> Result<(Function, bool)> {
    let inv = |e: FieldError| e.in_origin(origin);
    let Value::Object(map) = &spec.template else {
        return Err(inv(field_err(
            "template",
            "expected an object of function fields, with at least `runtime`",
        )));
    };
    let mut map = map.clone();
    for key in ["name", "workload"] {
        if map.contains_key(key) {
            return Err(inv(field_err(
                &format!("template.{key}"),
                "comes from the trace; remove it",
            )));
        }
    }
    for key in ["calls", "database"] {
        if map.contains_key(key) {
            return Err(inv(field_err(
                &format!("template.{key}"),
                "names other parts of the scenario, which generated trace functions cannot refer to; remove it",
            )));
        }
    }
    if map
        .get("cpu_fraction")
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
        != 0.0
    {
        return Err(inv(field_err(
            "template.cpu_fraction",
            "trace durations were measured at each function's own memory; cpu_fraction must stay 0",
        )));
    }
    let has_exec = map.contains_key("exec_ms");
    map.insert("name".into(), Value::from("template"));
    map.insert(
        "workload".into(),
        serde_json::json!({"kind": "constant", "interval_s": 1}),
    );
    if !has_exec {
        map.insert(
            "exec_ms".into(),
            serde_json::json!({"dist": "const", "value": 0}),
        );
    }
    let spec: FunctionSpec = json::from_value(Value::Object(map), origin, "traces.template")?;
    let f = spec.validate("traces.template", platform, origin, base_dir)?;
    Ok((f, has_exec))
}

/// Trace minutes for messages: whole, or to the hundredth.
fn minutes(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.2}")
    }
}

/// Reads the trace of `spec` and returns the functions it describes, with a report.
/// `taken` holds the names of the scenario's other functions (generated names avoid them);
/// `cache`, when given, may hold the same read already (a sweep's earlier point).
pub(super) fn expand(
    spec: &TraceSpec,
    origin: &str,
    base_dir: &Path,
    platform: &Platform,
    taken: &mut HashSet<String>,
    cache: Option<&TraceCache>,
) -> Result<(Vec<Function>, TraceReport)> {
    let inv = |e: FieldError| e.in_origin(origin);
    let plan = spec.plan(base_dir).map_err(inv)?;
    let (template, has_exec) = template(spec, platform, origin, base_dir)?;
    let needs_exec = matches!(spec.format, TraceFormat::Huawei2023);
    if needs_exec && !has_exec {
        return Err(inv(field_err(
            "template.exec_ms",
            format!(
                "format {} carries no execution times; give exec_ms in the template",
                spec.format.name()
            ),
        )));
    }
    spec.check_files(base_dir).map_err(inv)?;
    let (units, mut report) = match cache {
        Some(c) => c.read(spec, &plan, taken)?,
        None => crate::trace::read(spec, &plan, taken)?,
    };
    let range = platform.memory_mb;
    let mut functions = Vec::with_capacity(units.len());
    for u in units {
        let invocations = u.invocations();
        let exec = match u.exec {
            Some(d) => d,
            None => {
                report.without_durations += 1;
                if has_exec {
                    template.exec.clone()
                } else {
                    report.dropped += 1;
                    continue;
                }
            }
        };
        let memory_mb = match u.memory_mb {
            Some(mb) => {
                let want = mb.ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
                let got = want.clamp(range.min, range.max);
                if got != want {
                    report.memory_clamped += 1;
                }
                got
            }
            None => template.memory_mb,
        };
        report.invocations += invocations;
        functions.push(Function {
            name: u.name,
            exec,
            memory_mb,
            workload: Some(Workload::Trace(TraceWorkload {
                data: u.data,
                spread: spec.spread,
                compress: spec.compress,
                amplify: spec.amplify,
            })),
            ..template.clone()
        });
    }
    report.functions = functions.len() as u64;
    if functions.is_empty()
        && let Some((first, last)) = report.span_min
        && (plan.start_min as f64 >= last || (plan.end_min as f64) <= first)
    {
        let end = if plan.end_min == u64::MAX {
            "the end".to_owned()
        } else {
            minutes(plan.end_min as f64)
        };
        return Err(inv(field_err(
            "window",
            format!(
                "the window (trace minutes {} to {end}) misses the trace, which spans minutes {} to {}; expected a window that overlaps it (start_min, start_day, minutes and days count from the start of the first file)",
                minutes(plan.start_min as f64),
                minutes(first),
                minutes(last)
            ),
        )));
    }
    if functions.is_empty() && report.rows == 0 {
        let files: Vec<String> = plan.files.iter().map(|f| f.display().to_string()).collect();
        return Err(inv(field_err(
            "invocations",
            format!(
                "{} holds no data rows (a header at most); expected at least one invocation row",
                files.join(", ")
            ),
        )));
    }
    if functions.is_empty() {
        return Err(inv(field_err(
            "invocations",
            format!(
                "no function of the trace has an invocation in the window after selection ({} rows read, {} skipped, {} without durations and no template exec_ms)",
                report.rows, report.skipped_rows, report.dropped
            ),
        )));
    }
    Ok((functions, report))
}
