//! Results for comparing policies, against hand-worked runs: the requests over a latency
//! objective (`slo_ms`), the distribution across functions of the sweep's `fn_*` columns,
//! and the per-function table of a sweep row (and rows of another version refused).
//!
//! Apart from one random run checked against its request log, every function here
//! executes for a constant time, cold-starts in exactly 400 ms (`cold_start_ms`) and gets
//! one request a second for 60 s (arrivals 0, 1, …, 59 s), so each figure follows from the
//! keep-alive rules by hand, as the comments work out.

use faassim::sweep::{self, Experiment, METRICS, SweepOptions};
use serde_json::Value;

use crate::common::{MS, assert_close, run, run_logged, scenario, temp_dir};

/// A function `name` on 1 GB with constant `exec_ms`, cold starts of 400 ms, keep-alive
/// `keep_alive` (a policy object) and one request a second; `extra` is spliced into its
/// fields.
fn function(name: &str, exec_ms: u32, keep_alive: &str, extra: &str) -> String {
    format!(
        r#"{{"name": "{name}", "runtime": "nodejs", "memory_mb": 1024, {extra}
            "exec_ms": {{"dist": "const", "value": {exec_ms}}},
            "cold_start_ms": {{"dist": "const", "value": 400}},
            "keep_alive": {keep_alive},
            "workload": {{"kind": "constant", "interval_s": 1}}}}"#
    )
}

/// A 60-second scenario of `functions`, with `top` spliced into the top level.
fn scenario_json(top: &str, functions: &[String]) -> String {
    format!(
        r#"{{"name": "results", "seed": 1, "duration_s": 60, {top}
            "functions": [{}]}}"#,
        functions.join(", ")
    )
}

const KEEP: &str = r#"{"policy": "fixed", "idle_s": 600}"#;
const NONE: &str = r#"{"policy": "none"}"#;

/// Constant 100 ms executions, cold starts of 400 ms: a warm request takes 100 ms, a cold
/// one 500 ms.
/// - `kept` (keep-alive 10 minutes): the request at 0 s is cold, the other 59 are warm;
/// - `fresh` (no keep-alive): every instance goes as soon as it idles, so all 60 are cold.
///
/// An objective of 300 ms lies between the two latencies: exactly the cold-started requests
/// exceed it, 1 of `kept`'s 60, 60 of `fresh`'s, 61 of the 120 in total.
fn two_functions(top: &str) -> String {
    scenario_json(
        top,
        &[
            function("kept", 100, KEEP, ""),
            function("fresh", 100, NONE, ""),
        ],
    )
}

#[test]
fn requests_over_the_objective_are_the_cold_starts() {
    let r = run(&scenario(&two_functions(r#""slo_ms": 300,"#)));
    let kept = &r.functions[0].1;
    let fresh = &r.functions[1].1;
    assert_eq!((kept.invocations, kept.cold_starts), (60, 1));
    assert_eq!((fresh.invocations, fresh.cold_starts), (60, 60));
    let slo = |s: &faassim::report::Summary| {
        let o = s.slo.expect("an objective is set");
        assert_eq!(o.slo_ms, 300.0);
        (o.over, o.over_ratio)
    };
    assert_eq!(slo(kept), (1, Some(1.0 / 60.0)));
    assert_eq!(slo(fresh), (60, Some(1.0)));
    assert_eq!(slo(&r.total), (61, Some(61.0 / 120.0)));
    assert_eq!(slo(&r.total).0, r.total.cold_starts);

    // "Exceeded" is strict: at the warm latency only the cold requests are over, at the
    // cold latency none. Just below the warm latency (99.9 ms, a histogram bucket below
    // 100 ms) every request is over.
    for (objective, over) in [(100.0, 61), (500.0, 0), (99.9, 120), (499.9, 61)] {
        let r = run(&scenario(&two_functions(&format!(
            r#""slo_ms": {objective},"#
        ))));
        assert_eq!(r.total.slo.unwrap().over, over, "slo_ms {objective}");
    }
    // The precision limit `docs/results.md` states: 499.99 ms shares the histogram bucket
    // of 500 ms (256 µs wide there), so the cold requests, 0.002 % above it, are missed.
    let r = run(&scenario(&two_functions(r#""slo_ms": 499.99,"#)));
    assert_eq!(r.total.slo.unwrap().over, 0);
}

/// On a random run, against each request's exact latency from the request log: the count
/// misses at most the requests less than one histogram bucket (1/1024 of the objective)
/// above the objective, and never counts one at or below it.
#[test]
fn over_matches_exact_latencies_up_to_one_bucket() {
    let s = scenario(
        r#"{"name": "random", "seed": 7, "duration_s": 600, "slo_ms": 300,
            "functions": [{"name": "api", "runtime": "nodejs",
              "exec_ms": {"dist": "lognormal", "median": 120, "p99": 800},
              "keep_alive": {"policy": "fixed", "idle_s": 30},
              "workload": {"kind": "poisson", "rate_per_s": 20}}]}"#,
    );
    let (r, recs) = run_logged(&s);
    let latencies: Vec<u64> = recs
        .iter()
        .filter(|q| q.measured && q.start_ns.is_some())
        .map(|q| q.end_ns - q.arrival_ns)
        .collect();
    assert_eq!(latencies.len() as u64, r.total.latency_ms.count);
    let slo_ns = 300 * MS;
    let exact = latencies.iter().filter(|&&l| l > slo_ns).count() as u64;
    let near = latencies
        .iter()
        .filter(|&&l| l > slo_ns && l <= slo_ns + slo_ns / 1024)
        .count() as u64;
    let over = r.total.slo.unwrap().over;
    assert!(exact > 1000, "a meaningful test: {exact} over");
    assert!(
        over <= exact && exact - over <= near,
        "{over} {exact} {near}"
    );
}

/// The objective only adds the `slo` objects: the rest of the JSON is the same, and
/// without it there is no `slo` key at all.
#[test]
fn the_objective_adds_its_section_and_changes_nothing_else() {
    let plain = run(&scenario(&two_functions("")));
    let with = run(&scenario(&two_functions(r#""slo_ms": 300,"#)));
    let plain_json = plain.to_json();
    assert!(!plain_json.contains("\"slo\""));
    let mut v: Value = serde_json::from_str(&with.to_json()).unwrap();
    assert!(v["total"]["slo"].is_object());
    v["total"].as_object_mut().unwrap().remove("slo");
    for f in v["functions"].as_object_mut().unwrap().values_mut() {
        assert!(f.as_object_mut().unwrap().remove("slo").is_some());
    }
    assert_eq!(v, serde_json::from_str::<Value>(&plain_json).unwrap());
}

/// Four measured functions and one without invocations:
///
/// | function | exec | keep-alive | cold | cold % | idle GB-s | p99 ms |
/// |---|---|---|---|---|---|---|
/// | `a` | 100 ms | 10 min | 1 of 60 | 1.667 | 60 − 0.4 − 60 × 0.1 = 53.6 | 500 (the one cold request: rank ⌈0.99 · 60⌉ = 60) |
/// | `b` | 200 ms | none | 60 | 100 | 0 | 600 |
/// | `c` | 300 ms | 0.2 s (gone at +0.9 s, before the next arrival) | 60 | 100 | 60 × 0.2 = 12 | 700 |
/// | `d` | 50 ms, 2 GB | 10 min | 1 of 60 | 1.667 | (60 − 0.4 − 60 × 0.05) × 2 = 113.2 | 450 |
/// | `e` | one provisioned instance, no request | | | | 60 | |
///
/// Nearest rank over the four measured ones (rank ⌈p · 4 / 100⌉: 2, 3, 4):
/// - cold %: 1.667, 1.667, 100, 100 → p50 1.667, p75 100, p90 100;
/// - idle GB-s: 0, 12, 53.6, 113.2 → 12, 53.6, 113.2 (with `e`'s 60 among them, p50 and
///   p75 would be 53.6 and 60);
/// - p99: 450, 500, 600, 700 → 500, 600, 700.
fn five_functions() -> String {
    scenario_json(
        r#""slo_ms": 300,"#,
        &[
            function("a", 100, KEEP, ""),
            function("b", 200, NONE, ""),
            function("c", 300, r#"{"policy": "fixed", "idle_s": 0.2}"#, ""),
            function("d", 50, KEEP, "").replace("1024", "2048"),
            function(
                "e",
                100,
                KEEP,
                r#""provisioned": {"policy": "fixed", "count": 1},"#,
            )
            .replace(r#""interval_s": 1"#, r#""interval_s": 1, "start_s": 100"#),
        ],
    )
}

#[test]
fn distributions_across_functions_by_hand() {
    let r = run(&scenario(&five_functions()));
    // The per-function figures the table above works out.
    let f = |i: usize| &r.functions[i].1;
    let idle: Vec<f64> = (0..5).map(|i| f(i).instances.idle_gb_s).collect();
    for (got, want) in idle.iter().zip([53.6, 0.0, 12.0, 113.2, 60.0]) {
        assert_close(*got, want);
    }
    let p99: Vec<Option<f64>> = (0..5).map(|i| f(i).latency_ms.p99).collect();
    assert_eq!(
        p99,
        [Some(500.0), Some(600.0), Some(700.0), Some(450.0), None]
    );
    let cold: Vec<u64> = (0..5).map(|i| f(i).cold_starts).collect();
    assert_eq!(cold, [1, 60, 60, 1, 0]);
    assert_eq!(f(4).invocations, 0);

    let metric = |name: &str| {
        let m = METRICS.iter().find(|m| m.name == name).unwrap();
        assert!(m.across_functions(), "{name}");
        m.json(&r)
    };
    assert_eq!(metric("fn_measured"), Value::from(4));
    let real = |name: &str| metric(name).as_f64().unwrap();
    assert_close(real("fn_cold_start_pct_p50"), 100.0 / 60.0);
    assert_close(real("fn_cold_start_pct_p75"), 100.0);
    assert_close(real("fn_cold_start_pct_p90"), 100.0);
    assert_close(real("fn_idle_gb_s_p50"), 12.0);
    assert_close(real("fn_idle_gb_s_p75"), 53.6);
    assert_close(real("fn_idle_gb_s_p90"), 113.2);
    assert_eq!(real("fn_latency_p99_ms_p50"), 500.0);
    assert_eq!(real("fn_latency_p99_ms_p75"), 600.0);
    assert_eq!(real("fn_latency_p99_ms_p90"), 700.0);
}

/// A sweep row carries every function's figures (the measured and the unmeasured), as a
/// list of records (`pd.json_normalize(rows, "functions", ["point", "replication"])`),
/// and the new columns reach `results.csv` and `summary.csv`.
#[test]
fn sweep_rows_carry_the_per_function_table() {
    let dir = temp_dir("results-sweep");
    std::fs::write(dir.join("base.json"), five_functions()).unwrap();
    let exp = dir.join("exp.json");
    // Two points: the objective at 300 ms and at 550 ms (only the 600 and 700 ms requests
    // of `b` and `c` exceed it).
    std::fs::write(
        &exp,
        r#"{"name": "t", "seed": 3, "base": "base.json", "grid": {"slo_ms": [300, 550]}}"#,
    )
    .unwrap();
    let e = Experiment::load(&exp).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out");
    sweep::run(
        &e,
        &SweepOptions {
            threads: 1,
            out: out.clone(),
            shard: sweep::Shard::ALL,
            resume: false,
        },
        &|_| {},
    )
    .unwrap();
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    let table = rows[0]["functions"].as_array().unwrap();
    let names: Vec<&str> = table.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    // The fields in this order in the text (serde_json's `Value` sorts them).
    let first = &text[text.find(r#""functions":[{"#).unwrap()..];
    assert!(
        first.starts_with(
            r#""functions":[{"name":"a","invocations":60,"cold_starts":1,"cold_start_ratio":0.016666666666666666,"idle_gb_s":"#
        ),
        "{}",
        &first[..200]
    );
    let keys: Vec<&str> = table[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "cold_start_ratio",
            "cold_starts",
            "idle_gb_s",
            "invocations",
            "latency_p99_ms",
            "name",
            "slo"
        ]
    );
    assert_eq!(
        table[0]["slo"],
        serde_json::json!({"slo_ms": 300.0, "over": 1, "over_ratio": 1.0 / 60.0})
    );
    let col = |key: &str| -> Vec<Value> { table.iter().map(|f| f[key].clone()).collect() };
    assert_eq!(col("invocations"), [60, 60, 60, 60, 0].map(Value::from));
    assert_eq!(col("cold_starts"), [1, 60, 60, 1, 0].map(Value::from));
    assert_eq!(
        col("latency_p99_ms"),
        [
            Value::from(500.0),
            Value::from(600.0),
            Value::from(700.0),
            Value::from(450.0),
            Value::Null
        ]
    );
    assert_eq!(table[4]["cold_start_ratio"], Value::Null);
    let over = |row: &Value| -> Vec<Value> {
        row["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["slo"]["over"].clone())
            .collect()
    };
    assert_eq!(over(&rows[0]), [1, 60, 60, 1, 0].map(Value::from));
    assert_eq!(over(&rows[1]), [0, 60, 60, 0, 0].map(Value::from));
    assert_eq!(table[4]["slo"]["over_ratio"], Value::Null);
    assert_eq!(rows[0]["metrics"]["slo_over"], 122);
    assert_eq!(rows[1]["metrics"]["slo_over"], 120);
    assert_close(
        rows[0]["metrics"]["slo_over_ratio"].as_f64().unwrap(),
        122.0 / 240.0,
    );
    assert_eq!(rows[0]["metrics"]["fn_measured"], 4);

    // The CSV files: the same values under the new columns.
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let cell = |line: usize, name: &str| {
        let k = header.iter().position(|h| *h == name).unwrap();
        csv.lines()
            .nth(line)
            .unwrap()
            .split(',')
            .nth(k)
            .unwrap()
            .to_owned()
    };
    assert_eq!(cell(1, "slo_over"), "122");
    assert_eq!(cell(2, "slo_over"), "120");
    assert_eq!(cell(1, "fn_latency_p99_ms_p50"), "500");
    assert_eq!(cell(1, "fn_measured"), "4");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let head = summary.lines().next().unwrap();
    assert!(head.contains(",fn_idle_gb_s_p90_mean,fn_idle_gb_s_p90_ci95,"));
    assert!(head.contains(",slo_over_mean,slo_over_ci95,"));
}

/// Rows written with other metric columns (an older faassim) are refused on resume and
/// by merge, rather than shifting the CSV's cells, and a refused resume keeps them.
#[test]
fn rows_with_other_metric_columns_are_refused() {
    let dir = temp_dir("results-other-columns");
    std::fs::write(dir.join("base.json"), two_functions("")).unwrap();
    let exp = dir.join("exp.json");
    std::fs::write(
        &exp,
        r#"{"name": "t", "base": "base.json", "replications": 2}"#,
    )
    .unwrap();
    let e = Experiment::load(&exp).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out");
    let opts = |resume| SweepOptions {
        threads: 1,
        out: out.clone(),
        shard: sweep::Shard::ALL,
        resume,
    };
    sweep::run(&e, &opts(false), &|_| {}).unwrap();
    // Keep the first row, without its last metric, as an older version would have written.
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let line = text.lines().next().unwrap();
    let last = METRICS.last().unwrap().name;
    let from = line.find(&format!(r#","{last}":"#)).unwrap();
    let to = from + line[from..].find('}').unwrap();
    let old = format!("{}{}\n", &line[..from], &line[to..]);
    std::fs::write(out.join("results.jsonl"), &old).unwrap();
    let want = format!(
        "results.jsonl:1: metrics: has other metric columns than this sweep writes (column {}: none where this sweep has `{last}`)",
        METRICS.len()
    );
    let err = sweep::run(&e, &opts(true), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains(&want), "{err}");
    // Refused before anything was rewritten: the old row is still there.
    assert_eq!(
        std::fs::read_to_string(out.join("results.jsonl")).unwrap(),
        old
    );
    // A merge with a shard of this version refuses it too.
    let shard = dir.join("shard");
    std::fs::create_dir_all(&shard).unwrap();
    let fresh = text.lines().nth(1).unwrap();
    std::fs::write(shard.join("results.jsonl"), format!("{fresh}\n")).unwrap();
    let err = sweep::merge(&[shard, out.clone()], &dir.join("merged"))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&want), "{err}");
}
