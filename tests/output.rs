//! Output formats against the JSON result: every column of the run CSV and every sweep
//! metric is checked against the JSON field it stands for, named here independently of
//! the code that writes them (the column lists of `docs/results.md` and of the golden
//! sweep).

use faassim::report::Format;
use faassim::sweep::METRICS;
use serde_json::Value;

use crate::common::{run, scenario};

/// Every optional section present in the total: provisioned concurrency and warm-up pings
/// on `api`, asynchronous events that fail half the time (so some are dead-lettered) on
/// `worker`, a latency objective for both. `api` gets one request a second for 600 s: 600
/// invocations.
const EVERYTHING: &str = r#"{
  "name": "everything", "seed": 5, "duration_s": 600, "slo_ms": 40,
  "functions": [
    {"name": "api", "runtime": "nodejs",
     "exec_ms": {"dist": "const", "value": 10},
     "provisioned": {"policy": "fixed", "count": 1},
     "warmers": {"every_s": 60, "concurrency": 1},
     "workload": {"kind": "constant", "interval_s": 1}},
    {"name": "worker", "runtime": "python", "invocation": "async", "failure_probability": 0.5,
     "exec_ms": {"dist": "exponential", "mean": 50},
     "workload": {"kind": "poisson", "rate_per_s": 2}}
  ]
}"#;

/// The run CSV's columns in order, as `docs/results.md` lists them, each with the path of
/// the JSON field (inside a function's summary) that it copies.
fn run_csv_columns() -> Vec<(String, String)> {
    let mut columns: Vec<(String, String)> = [
        "invocations",
        "warm_starts",
        "cold_starts",
        "throttled",
        "cold_start_ratio",
        "throttle_ratio",
        "evictions",
    ]
    .iter()
    .map(|c| (c.to_string(), c.to_string()))
    .collect();
    for group in [
        "latency",
        "cold_latency",
        "warm_latency",
        "cold_start_duration",
    ] {
        for stat in ["mean", "p50", "p90", "p99", "p999", "p9999", "max"] {
            columns.push((format!("{group}_{stat}_ms"), format!("{group}_ms.{stat}")));
        }
    }
    let rest = [
        ("instances_mean_total", "instances.mean_total"),
        ("instances_mean_busy", "instances.mean_busy"),
        ("instances_mean_idle", "instances.mean_idle"),
        ("instances_mean_provisioning", "instances.mean_provisioning"),
        ("instances_max_total", "instances.max_total"),
        ("instances_idle_gb_s", "instances.idle_gb_s"),
        ("evictions_expiry", "evictions_by_cause.expiry"),
        ("evictions_pressure", "evictions_by_cause.pressure"),
        ("evictions_lifetime", "evictions_by_cause.lifetime"),
        ("evictions_reset", "evictions_by_cause.reset"),
        ("throttled_concurrency", "throttle_causes.concurrency"),
        ("throttled_scale_out", "throttle_causes.scale_out"),
        ("throttled_memory", "throttle_causes.memory"),
        ("errors", "errors"),
        ("timeouts", "timeouts"),
        ("events", "events.events"),
        ("events_succeeded", "events.succeeded"),
        ("events_dead_lettered", "events.dead_lettered"),
        ("events_expired", "events.expired"),
        ("provisioned_utilisation", "provisioned.utilisation"),
        ("provisioned_served", "provisioned.served"),
        ("provisioned_spillover", "provisioned.spillover"),
        ("provisioned_allocated_mean", "provisioned.allocated_mean"),
        ("pings", "warmers.pings"),
        ("cost_total_usd", "cost_usd.total"),
        ("cost_requests_usd", "cost_usd.requests"),
        ("cost_compute_usd", "cost_usd.compute"),
        ("cost_provisioned_usd", "cost_usd.provisioned"),
        ("cost_warmers_usd", "cost_usd.warmers"),
        ("cost_free_tier_credit_usd", "cost_usd.free_tier_credit"),
        ("fleet_instances", "cost_usd.always_on_fleet.instances"),
        ("fleet_usd", "cost_usd.always_on_fleet.usd"),
        ("slo_ms", "slo.slo_ms"),
        ("slo_over", "slo.over"),
        ("slo_over_ratio", "slo.over_ratio"),
    ];
    columns.extend(rest.iter().map(|(c, p)| (c.to_string(), p.to_string())));
    columns
}

/// The value at dotted `path` under `v`; `Null` when any step is missing.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .try_fold(v, |node, key| node.get(key))
        .unwrap_or(&Value::Null)
}

/// A CSV cell holds the JSON value: empty for null, else the same number.
#[track_caller]
fn assert_cell(cell: &str, json: &Value, what: &str) {
    match json {
        Value::Null => assert_eq!(cell, "", "{what}: expected an empty cell"),
        Value::Number(n) => {
            let got: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{what}: `{cell}` is not a number"));
            assert_eq!(got, n.as_f64().unwrap(), "{what}");
        }
        other => panic!("{what}: unexpected JSON {other}"),
    }
}

#[test]
fn every_run_csv_column_copies_its_json_field() {
    let result = run(&scenario(EVERYTHING));
    // Not parsed back from the JSON text: serde_json's default float parser may be one ulp
    // off, and the CSV must hold the exact value.
    let json = serde_json::to_value(&result).unwrap();
    let csv = Format::Csv.exporter().export(&result);
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let columns = run_csv_columns();
    let mut header = vec!["scenario", "seed", "function"];
    header.extend(columns.iter().map(|(c, _)| c.as_str()));
    assert_eq!(lines[0], header);
    assert_eq!(lines.len(), 4, "header, api, worker, total");
    for (line, function) in lines[1..].iter().zip(["api", "worker", "total"]) {
        assert_eq!(line[..3], ["everything", "5", function]);
        let summary = match function {
            "total" => &json["total"],
            f => &json["functions"][f],
        };
        for ((name, path), cell) in columns.iter().zip(&line[3..]) {
            assert_cell(cell, at(summary, path), &format!("{function}.{name}"));
        }
    }
    // A hand count, and the optional sections where they belong.
    assert_eq!(lines[1][3], "600");
    assert!(at(&json["total"], "events.dead_lettered").as_u64().unwrap() > 0);
    assert!(json["functions"]["api"]["events"].is_null());
    assert!(json["functions"]["worker"]["provisioned"].is_null());
    assert_eq!(json["total"]["slo"]["slo_ms"], 40.0);
    assert!(json["total"]["slo"]["over"].as_u64().unwrap() > 0);
}

/// Without `slo_ms` the run CSV keeps its columns, with empty objective cells.
#[test]
fn run_csv_objective_cells_are_empty_without_an_objective() {
    let result = run(&scenario(&EVERYTHING.replace(r#""slo_ms": 40,"#, "")));
    let csv = Format::Csv.exporter().export(&result);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header[header.len() - 3..],
        ["slo_ms", "slo_over", "slo_over_ratio"]
    );
    for line in csv.lines().skip(1) {
        assert!(line.ends_with(",,,"), "{line}");
    }
}

/// The sweep metrics that read the run's total, in column order (as in the header of
/// `tests/golden/sweep-keepalive.results.csv`), with the JSON field of the total that each
/// reads (as the dotted paths that named them before they were typed).
const SWEEP_METRICS: [(&str, &str); 26] = [
    ("invocations", "invocations"),
    ("cold_starts", "cold_starts"),
    ("cold_start_ratio", "cold_start_ratio"),
    ("throttled", "throttled"),
    ("throttle_ratio", "throttle_ratio"),
    ("throttled_scale_out", "throttle_causes.scale_out"),
    ("errors", "errors"),
    ("timeouts", "timeouts"),
    ("dead_lettered", "events.dead_lettered"),
    ("latency_mean_ms", "latency_ms.mean"),
    ("latency_p50_ms", "latency_ms.p50"),
    ("latency_p90_ms", "latency_ms.p90"),
    ("latency_p99_ms", "latency_ms.p99"),
    ("latency_p999_ms", "latency_ms.p999"),
    ("instances_mean", "instances.mean_total"),
    ("idle_gb_s", "instances.idle_gb_s"),
    ("provisioned_utilisation", "provisioned.utilisation"),
    ("provisioned_spillover", "provisioned.spillover"),
    ("cost_usd", "cost_usd.total"),
    ("cost_provisioned_usd", "cost_usd.provisioned"),
    ("cost_warmers_usd", "cost_usd.warmers"),
    ("fleet_usd", "cost_usd.always_on_fleet.usd"),
    ("cold_latency_p50_ms", "cold_latency_ms.p50"),
    ("cold_latency_p99_ms", "cold_latency_ms.p99"),
    ("slo_over", "slo.over"),
    ("slo_over_ratio", "slo.over_ratio"),
];

/// The sweep metrics across functions, after those of the total: a figure of each
/// function's summary (a JSON path, and a scale) and a percentile of it across the
/// functions with an invocation, as `docs/sweeps.md` defines them.
const FN_METRICS: [(&str, &str, f64, u32); 9] = [
    ("fn_cold_start_pct_p50", "cold_start_ratio", 100.0, 50),
    ("fn_cold_start_pct_p75", "cold_start_ratio", 100.0, 75),
    ("fn_cold_start_pct_p90", "cold_start_ratio", 100.0, 90),
    ("fn_idle_gb_s_p50", "instances.idle_gb_s", 1.0, 50),
    ("fn_idle_gb_s_p75", "instances.idle_gb_s", 1.0, 75),
    ("fn_idle_gb_s_p90", "instances.idle_gb_s", 1.0, 90),
    ("fn_latency_p99_ms_p50", "latency_ms.p99", 1.0, 50),
    ("fn_latency_p99_ms_p75", "latency_ms.p99", 1.0, 75),
    ("fn_latency_p99_ms_p90", "latency_ms.p99", 1.0, 90),
];

#[test]
fn every_sweep_metric_resolves_to_its_json_field() {
    let result = run(&scenario(EVERYTHING));
    let json: Value = serde_json::to_value(&result).unwrap();
    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    let mut expected: Vec<&str> = SWEEP_METRICS.iter().map(|(n, _)| *n).collect();
    expected.push("fn_measured");
    expected.extend(FN_METRICS.iter().map(|(n, ..)| *n));
    assert_eq!(names, expected);
    let (total, across) = METRICS.split_at(SWEEP_METRICS.len());
    for (metric, (name, path)) in total.iter().zip(SWEEP_METRICS) {
        assert!(!metric.across_functions(), "{name}");
        let want = at(&json["total"], path);
        assert!(want.is_number(), "{name}: {path} is {want} in this run");
        // The same JSON number, integer or not, as the row will store it.
        assert_eq!(&metric.json(&result), want, "{name}");
    }
    // Both functions have invocations: the distributions have two values each, so the
    // median is the smaller (rank ⌈0.5 · 2⌉ = 1) and p75 and p90 the larger (rank 2).
    let functions: Vec<&Value> = json["functions"].as_object().unwrap().values().collect();
    assert!(
        functions
            .iter()
            .all(|f| f["invocations"].as_u64().unwrap() > 0)
    );
    assert!(across.iter().all(|m| m.across_functions()));
    assert_eq!(across[0].json(&result), Value::from(2));
    for (metric, (name, path, scale, pct)) in across[1..].iter().zip(FN_METRICS) {
        let mut values: Vec<f64> = functions
            .iter()
            .map(|f| at(f, path).as_f64().unwrap() * scale)
            .collect();
        values.sort_by(f64::total_cmp);
        let want = if pct == 50 { values[0] } else { values[1] };
        assert_eq!(metric.json(&result), Value::from(want), "{name}");
    }
}

/// A metric without a value in a run (no events, no provisioned concurrency) is null,
/// never a made-up zero.
#[test]
fn absent_sweep_metrics_are_null() {
    let result = run(&scenario(
        r#"{"name": "plain", "seed": 1, "duration_s": 60,
            "functions": [{"name": "f", "runtime": "nodejs",
              "exec_ms": {"dist": "const", "value": 10},
              "workload": {"kind": "constant", "interval_s": 1}}]}"#,
    ));
    let value = |name: &str| {
        let metric = METRICS.iter().find(|m| m.name == name).unwrap();
        metric.json(&result)
    };
    assert_eq!(value("dead_lettered"), Value::Null);
    assert_eq!(value("provisioned_utilisation"), Value::Null);
    assert_eq!(value("provisioned_spillover"), Value::Null);
    assert_eq!(value("slo_over"), Value::Null);
    assert_eq!(value("slo_over_ratio"), Value::Null);
    assert_eq!(value("invocations"), Value::from(60));
    assert_eq!(value("cold_starts"), Value::from(1));
    assert!(value("cold_latency_p99_ms").is_number());
    assert_eq!(value("fn_measured"), Value::from(1));

    // Nothing arrives in the measured period: no function is measured, no cold start.
    let result = run(&scenario(
        r#"{"name": "idle", "seed": 1, "duration_s": 60, "slo_ms": 100,
            "functions": [{"name": "f", "runtime": "nodejs",
              "exec_ms": {"dist": "const", "value": 10},
              "workload": {"kind": "constant", "interval_s": 1, "start_s": 100}}]}"#,
    ));
    let value = |name: &str| {
        let metric = METRICS.iter().find(|m| m.name == name).unwrap();
        metric.json(&result)
    };
    assert_eq!(value("invocations"), Value::from(0));
    assert_eq!(value("cold_latency_p50_ms"), Value::Null);
    assert_eq!(value("slo_over"), Value::from(0));
    assert_eq!(value("slo_over_ratio"), Value::Null);
    assert_eq!(value("fn_measured"), Value::from(0));
    for m in METRICS
        .iter()
        .filter(|m| m.name.starts_with("fn_") && m.name != "fn_measured")
    {
        assert_eq!(m.json(&result), Value::Null, "{}", m.name);
    }
}
