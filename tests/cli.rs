use std::path::Path;
use std::process::{Command, Output};

use crate::common::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_faassim");
const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/quickstart.json");

fn faassim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `faassim run` on `json` and returns the one-line error; asserts exit code 2.
fn run_error(test: &str, json: &str) -> String {
    let dir = temp_dir(test);
    let path = dir.join("s.json");
    std::fs::write(&path, json).unwrap();
    let o = faassim(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "expected one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains("s.json"),
        "{err}"
    );
    err
}

const GOOD_FUNCTION: &str = r#""name": "f", "runtime": "nodejs",
    "exec_ms": {"dist": "const", "value": 1}"#;

#[test]
fn quickstart_prints_a_readable_table() {
    let o = faassim(&["run", QUICKSTART]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "scenario quickstart",
        "requests",
        "response time",
        "instances",
        "api",
        "p99",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
}

#[test]
fn json_and_csv_outputs_are_complete() {
    let o = faassim(&["run", QUICKSTART, "--format", "json", "--seed", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["seed"], 7);
    assert_eq!(v["scenario"], "quickstart");
    assert!(v["faassim_version"].is_string());
    let api = &v["functions"]["api"];
    for key in [
        "invocations",
        "warm_starts",
        "cold_starts",
        "throttled",
        "cold_start_ratio",
    ] {
        assert!(api[key].is_number(), "{key}");
    }
    for group in ["latency_ms", "cold_latency_ms", "warm_latency_ms"] {
        for stat in ["mean", "p50", "p90", "p99", "p999", "max"] {
            assert!(api[group][stat].is_number(), "{group}.{stat}");
        }
    }
    for key in ["mean_total", "mean_busy", "mean_idle", "max_total"] {
        assert!(api["instances"][key].is_number(), "instances.{key}");
    }
    assert_eq!(v["total"]["invocations"], api["invocations"]);

    let dir = temp_dir("cli-csv");
    let out = dir.join("r.csv");
    let o = faassim(&[
        "run",
        QUICKSTART,
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success() && o.stdout.is_empty());
    let csv = std::fs::read_to_string(out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "header, api, total");
    let width = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == width));
    assert!(lines[1].starts_with("quickstart,42,api,"));
    assert!(lines[2].starts_with("quickstart,42,total,"));
}

#[test]
fn events_log_has_one_line_per_request() {
    let dir = temp_dir("cli-events");
    std::fs::write(dir.join("a.csv"), "0\n0.1\n5\n").unwrap();
    let s = dir.join("s.json");
    std::fs::write(
        &s,
        r#"{"name": "ev", "duration_s": 10, "functions": [{"name": "f", "runtime": "python",
            "exec_ms": {"dist": "const", "value": 100},
            "workload": {"kind": "timestamps", "path": "a.csv"}}]}"#,
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    let o = faassim(&[
        "run",
        s.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let all: Vec<serde_json::Value> = std::fs::read_to_string(events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every line says what it records; instance lines come between the requests. Two
    // instances (the request at 0.1 s arrives during the first one's cold start), each
    // started for a request and evicted when its keep-alive ends.
    assert!(
        all.iter()
            .all(|l| l["record"] == "request" || l["record"] == "instance")
    );
    let (lines, instances): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|l| l["record"] == "request");
    assert_eq!(lines.len(), 3);
    let events_of = |event: &str| {
        instances
            .iter()
            .filter(|l| l["event"] == event)
            .map(|l| {
                (
                    l["instance"].as_u64().unwrap(),
                    l["cause"].as_str().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(events_of("started"), [(0, "request"), (1, "request")]);
    assert_eq!(events_of("evicted").len(), 2);
    assert!(events_of("evicted").iter().all(|&(_, c)| c == "expiry"));
    let first = lines.iter().find(|l| l["request"] == 0).unwrap();
    assert_eq!(first["outcome"], "cold");
    let phases = &first["cold_start"];
    let sum: f64 = ["sandbox_ms", "code_load_ms", "runtime_start_ms", "init_ms"]
        .iter()
        .map(|k| phases[k].as_f64().unwrap())
        .sum();
    let start = first["start_ms"].as_f64().unwrap();
    assert!(
        (sum - start).abs() < 1e-6,
        "phases sum to {sum}, execution starts at {start}"
    );
    assert_eq!(
        lines.iter().find(|l| l["request"] == 2).unwrap()["outcome"],
        "warm"
    );
}

#[test]
fn validate_and_profiles_work() {
    let o = faassim(&["validate", QUICKSTART]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: "));
    let o = faassim(&["profiles"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    for name in ["nodejs", "python", "java-snapstart", "v8-isolate", "rust"] {
        assert!(out.lines().any(|l| l.starts_with(name)), "{name} missing");
    }
}

/// `faassim platforms` lists every file of `models/platforms/` in all three formats, with
/// the rules the profiles publish (checked for two of them against their sources).
#[test]
fn platforms_lists_every_platform_profile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/platforms");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "json").then(|| p.file_stem().unwrap().to_str().unwrap().to_owned())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");

    let o = faassim(&["platforms"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8(o.stdout).unwrap();
    for name in &files {
        assert!(
            table
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing from:\n{table}"
        );
    }

    let o = faassim(&["platforms", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, files.iter().map(String::as_str).collect::<Vec<_>>());
    let row = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap();
    // Legacy Lambda: 3,000 environments at once, then +500 per minute, account-wide.
    let legacy = row("aws-lambda-legacy-burst");
    assert_eq!(legacy["account_concurrency"], 1000);
    assert_eq!(legacy["scale_out"], "account burst 3000, +500 at each 60 s");
    // Azure Consumption: +1 instance per second, 100 concurrent HTTP requests per host.
    let azure = row("azure-functions");
    assert_eq!(azure["scale_out"], "10 per 10 s per function (burst 1)");
    assert_eq!(azure["per_instance_concurrency"], 100);
    assert_eq!(azure["default_timeout_s"], 300.0);
    assert_eq!(azure["max_timeout_s"], 600.0);
    assert_eq!(azure["when_full"], "queue up to 230 s, then 429");
    let run = row("google-cloud-run");
    assert_eq!(
        run["when_full"],
        "autoscaler to 60 % of slots; queue up to 30 s, then 429"
    );
    assert_eq!(legacy["when_full"], "429 at once");
    for r in &rows {
        assert!(r["data_as_of"].is_string(), "{r}");
        assert!(!r["description"].as_str().unwrap().is_empty(), "{r}");
    }

    let o = faassim(&["platforms", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = String::from_utf8(o.stdout).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("name,account_concurrency,scale_out,")
    );
    let first: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(first, files.iter().map(String::as_str).collect::<Vec<_>>());
    // A billing description with a comma is quoted.
    assert!(csv.contains(",\"per request, GB-s, GHz-s\","), "{csv}");
}

#[test]
fn works_from_any_folder() {
    // Profiles are embedded: a scenario elsewhere resolves "nodejs" and "aws-lambda".
    let dir = temp_dir("cli-anywhere");
    let s = dir.join("s.json");
    std::fs::write(
        &s,
        format!(
            r#"{{"name": "x", "duration_s": 10, "functions": [{{{GOOD_FUNCTION},
            "workload": {{"kind": "poisson", "rate_per_s": 1}}}}]}}"#
        ),
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["run", "s.json", "--format", "json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn missing_file_is_a_one_line_error() {
    let o = faassim(&["run", "/nonexistent/s.json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: /nonexistent/s.json: cannot read"),
        "{err}"
    );
}

#[test]
fn malformed_json_names_line_and_column() {
    let err = run_error("cli-malformed", "{\"name\": \"x\",\n \"duration_s\": }");
    assert!(err.contains("s.json:2:"), "{err}");
}

#[test]
fn unknown_runtime_lists_the_known_ones() {
    let err = run_error(
        "cli-runtime",
        r#"{"name": "x", "duration_s": 10, "functions": [{"name": "f", "runtime": "pyhton",
            "exec_ms": {"dist": "const", "value": 1}, "workload": {"kind": "poisson", "rate_per_s": 1}}]}"#,
    );
    assert!(
        err.contains("functions[0].runtime: unknown runtime profile `pyhton`"),
        "{err}"
    );
    assert!(err.contains("python"), "{err}");
}

#[test]
fn negative_rate_names_the_field() {
    let err = run_error(
        "cli-rate",
        &format!(
            r#"{{"name": "x", "duration_s": 10, "functions": [{{{GOOD_FUNCTION},
            "workload": {{"kind": "poisson", "rate_per_s": -5}}}}]}}"#
        ),
    );
    assert!(
        err.contains("functions[0].workload.rate_per_s: expected a rate per second > 0, got -5"),
        "{err}"
    );
}

#[test]
fn unknown_fields_are_errors_at_every_level() {
    let cases = [
        (r#""duration": 10"#, "unknown field `duration`"),
        (
            r#""duration_s": 10, "functions": [{"name": "f", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 1}, "workload": {"kind": "poisson", "rate_per_s": 1, "burst": 3}}]"#,
            "functions[0].workload.burst: unknown field `burst`",
        ),
        (
            r#""duration_s": 10, "functions": [{"name": "f", "runtime": "nodejs", "exec_ms": {"dist": "const", "valeu": 1}, "workload": {"kind": "poisson", "rate_per_s": 1}}]"#,
            "functions[0].exec_ms.valeu: unknown field `valeu`",
        ),
        (
            r#""duration_s": 10, "platform_overrides": {"acount_concurrency": 5}, "functions": [{"name": "f", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 1}, "workload": {"kind": "poisson", "rate_per_s": 1}}]"#,
            "unknown field `acount_concurrency`",
        ),
    ];
    for (i, (body, needle)) in cases.into_iter().enumerate() {
        let err = run_error(
            &format!("cli-unknown-{i}"),
            &format!(r#"{{"name": "x", {body}}}"#),
        );
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn bad_trace_line_names_file_and_line() {
    let dir = temp_dir("cli-trace");
    std::fs::write(dir.join("a.csv"), "0\n1\n0.5\n").unwrap();
    let s = dir.join("s.json");
    std::fs::write(
        &s,
        format!(
            r#"{{"name": "x", "duration_s": 10, "functions": [{{{GOOD_FUNCTION},
            "workload": {{"kind": "timestamps", "path": "a.csv"}}}}]}}"#
        ),
    )
    .unwrap();
    for cmd in ["run", "validate"] {
        let o = faassim(&[cmd, s.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            err.contains(&format!(
                "{}:3: arrival times must not decrease",
                dir.join("a.csv").display()
            )),
            "{err}"
        );
    }
    assert!(Path::new(BIN).exists());
}

/// Every scenario shipped in `experiments/` loads, and every trace it names is well formed.
#[test]
fn shipped_experiments_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let o = faassim(&["validate", path.to_str().unwrap()]);
            assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
            n += 1;
        }
    }
    assert!(n >= 4);
}

/// The warmers-vs-provisioned experiment runs in one command and says what it should: both
/// mitigations remove nearly all cold starts; provisioned concurrency costs far more than
/// pings. Also a regression test: replications whose latency ranges differ must merge
/// (decoded histograms do not grow by themselves), and the merged histogram must hold the
/// requests served by provisioned instances too.
#[test]
fn warmers_vs_pc_sweep_runs_and_compares() {
    let dir = temp_dir("cli-warmers-vs-pc");
    let exp = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/warmers-vs-pc.json");
    let o = faassim(&[
        "sweep",
        exp.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header = split_csv(lines.next().unwrap());
    let rows: Vec<Vec<String>> = lines.map(split_csv).collect();
    let get = |row: usize, col: &str| -> f64 {
        let i = header
            .iter()
            .position(|h| h == col)
            .unwrap_or_else(|| panic!("{col}"));
        rows[row][i].parse().unwrap_or(0.0)
    };
    assert_eq!(rows.len(), 3);
    let (nothing, warmers, pc) = (
        get(0, "cold_starts_mean"),
        get(1, "cold_starts_mean"),
        get(2, "cold_starts_mean"),
    );
    assert!(
        nothing > 20.0 && warmers < nothing / 10.0 && pc < nothing / 10.0,
        "{nothing} {warmers} {pc}"
    );
    assert!(get(2, "cost_provisioned_usd_mean") > 100.0 * get(1, "cost_warmers_usd_mean"));
    for row in 0..3 {
        let served = 5.0 * (get(row, "invocations_mean") - get(row, "throttled_mean"));
        assert_eq!(get(row, "merged_latency_count"), served, "point {row}");
    }
}

/// Splits one CSV line, honouring double-quoted fields (RFC 4180).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

/// Progress bars draw only on a terminal: with stderr captured, `run` writes nothing there
/// and `sweep` only its closing note, even without `--quiet`.
#[test]
fn progress_bars_stay_off_when_stderr_is_not_a_terminal() {
    let o = faassim(&["run", QUICKSTART]);
    assert!(o.status.success());
    assert_eq!(stderr(&o), "");

    let dir = temp_dir("cli-progress");
    let exp = dir.join("e.json");
    std::fs::write(
        &exp,
        format!(
            r#"{{"name": "tiny", "base": "{}", "grid": {{"duration_s": [60, 120]}}}}"#,
            QUICKSTART
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let o = faassim(&[
        "sweep",
        exp.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "tiny: 2 point(s) × 1 replication(s) of shard 0/1 (0 resumed) -> {}\n",
            out.display()
        )
    );
    let o = faassim(&[
        "sweep",
        exp.to_str().unwrap(),
        "--out",
        dir.join("quiet").to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success());
    assert_eq!(stderr(&o), "");
}

/// Two outputs on one file are refused before anything runs (`--out` and `--events` on one
/// path silently lost the events): exit code 2, and the message names both flags.
#[test]
fn two_outputs_on_one_file_are_refused() {
    let dir = temp_dir("same-output");
    let same = dir.join("out.json");
    let same = same.to_str().unwrap();
    let dotted = dir.join(".").join("out.json");
    let o = faassim(&[
        "run",
        QUICKSTART,
        "--out",
        same,
        "--events",
        dotted.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("--events") && e.contains("--out"), "{e}");
    assert!(!std::path::Path::new(same).exists(), "nothing was written");
}

/// A function may not be named `total`: the CSV would have two `total` rows.
#[test]
fn a_function_named_total_is_refused() {
    let json = r#"{"name": "t", "duration_s": 10,
      "functions": [{"name": "total", "runtime": "nodejs",
        "exec_ms": {"dist": "const", "value": 10},
        "workload": {"kind": "constant", "interval_s": 1}}]}"#;
    let e = faassim::Scenario::from_str(json, "t.json", std::path::Path::new("."))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.json") && e.contains("functions[0].name") && e.contains("`total`"),
        "{e}"
    );
}

/// Runs `faassim` in `dir` (so messages show the relative paths written here) and returns
/// the exit code and stderr.
fn in_dir(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (o.status.code(), stderr(&o))
}

/// Writes `files` (name, text) into a fresh folder for `test`.
fn files(test: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = temp_dir(test);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// A 12-line scenario whose workload's rate is the string "x" on line 9, column 53.
const BASE_BAD_RATE: &str = r#"{
  "name": "b",
  "duration_s": 60,
  "functions": [
    {
      "name": "api",
      "runtime": "nodejs",
      "exec_ms": {"dist": "const", "value": 10},
      "workload": {"kind": "poisson", "rate_per_s": "x"}
    }
  ]
}
"#;

/// Issue 12: a type error inside a workload (an internally tagged enum) stopped at
/// `functions[0].workload`, and a sweep's base was reported at a line and column of
/// re-serialised JSON (`base.json:1:148`). Column 53 is where `"x"` starts on line 9.
#[test]
fn errors_inside_tagged_objects_name_the_inner_field_at_its_place() {
    let exp = r#"{"name": "e", "base": "base.json", "grid": {"functions[0].memory_mb": [128]}}"#;
    let dir = files(
        "cli-inner-path",
        &[("base.json", BASE_BAD_RATE), ("exp.json", exp)],
    );
    let want = "error: base.json:9:53: functions[0].workload.rate_per_s: invalid type: string \"x\", expected f64\n";
    assert_eq!(in_dir(&dir, &["run", "base.json"]), (Some(2), want.into()));
    assert_eq!(in_dir(&dir, &["sweep", "exp.json"]), (Some(2), want.into()));
    assert_eq!(
        in_dir(&dir, &["validate", "exp.json"]),
        (Some(2), want.into())
    );
    // Nested: a mixture's part inside the execution time, and a workload inside a sum.
    let nested = r#"{"name": "n", "duration_s": 5, "functions": [{"name": "a", "runtime": "nodejs",
 "exec_ms": {"dist": "mixture", "parts": [{"weight": 1, "dist": {"dist": "const", "value": true}}]},
 "workload": {"kind": "sum", "workloads": [{"kind": "constan"}]}}]}"#;
    let dir = files("cli-inner-nested", &[("n.json", nested)]);
    assert_eq!(
        in_dir(&dir, &["run", "n.json"]),
        (
            Some(2),
            "error: n.json:2:92: functions[0].exec_ms.parts[0].dist.value: invalid type: boolean `true`, expected f64\n".into()
        )
    );
}

/// An inline `base` is reported inside the experiment file, under `base.`; a value that a
/// grid substitutes is named by its grid parameter and value, with no position (the point's
/// JSON is not a file the user wrote).
#[test]
fn sweep_errors_point_into_the_users_own_file_or_name_the_grid_value() {
    let exp = r#"{"name": "e",
 "base": {"name": "b", "duration_s": 60,
   "functions": [{"name": "api", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 10},
      "workload": {"kind": "poisson", "rate_per_s": "x"}}]}}"#;
    let good = BASE_BAD_RATE.replace("\"x\"", "1");
    let grid = r#"{"name": "g", "base": "base.json", "grid": {"functions[0].workload.rate_per_s": [1, -2]}}"#;
    let dir = files(
        "cli-sweep-positions",
        &[("exp.json", exp), ("base.json", &good), ("grid.json", grid)],
    );
    assert_eq!(
        in_dir(&dir, &["sweep", "exp.json"]),
        (
            Some(2),
            "error: exp.json:4:53: base.functions[0].workload.rate_per_s: invalid type: string \"x\", expected f64\n".into()
        )
    );
    assert_eq!(
        in_dir(&dir, &["sweep", "grid.json"]),
        (
            Some(2),
            "error: grid.json: point 1 (grid.functions[0].workload.rate_per_s = -2): base.json: functions[0].workload.rate_per_s: expected a rate per second > 0, got -2\n".into()
        )
    );
}

/// `platform_overrides.account_concurrency: 50` made aws-lambda's own
/// `min_unreserved_concurrency` (100) invalid, and the message blamed the embedded profile.
#[test]
fn an_override_that_conflicts_with_the_profile_is_blamed() {
    let s = r#"{"name": "b", "duration_s": 60, "platform_overrides": {"account_concurrency": 50},
 "functions": [{"name": "api", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 10},
  "workload": {"kind": "poisson", "rate_per_s": 1}}]}"#;
    let dir = files("cli-override-blame", &[("s.json", s)]);
    assert_eq!(
        in_dir(&dir, &["run", "s.json"]),
        (
            Some(2),
            "error: s.json: platform_overrides.account_concurrency: 50 conflicts with the platform profile (models/platforms/aws-lambda.json (embedded)): its min_unreserved_concurrency: expected at most account_concurrency (50), got 100; override min_unreserved_concurrency as well, or choose another value\n".into()
        )
    );
}

/// A missing timestamps, runtime or trace file is named with its field, and the OS error is
/// printed once (it was printed again as "caused by").
#[test]
fn missing_files_are_named_by_their_field_once() {
    let s = |runtime: &str, workload: &str| {
        format!(
            r#"{{"name": "b", "duration_s": 60, "functions": [{{"name": "api", "runtime": "{runtime}",
 "exec_ms": {{"dist": "const", "value": 10}}, "workload": {workload}}}]}}"#
        )
    };
    let trace = r#"{"name": "t", "duration_s": 60, "traces": {"format": "azure2019",
 "invocations": ["d01.csv", "d02.csv"], "template": {"runtime": "nodejs"}}}"#;
    let dir = files(
        "cli-missing-files",
        &[
            (
                "ts.json",
                &s("nodejs", r#"{"kind": "timestamps", "path": "nope.csv"}"#),
            ),
            (
                "rt.json",
                &s("my/node.json", r#"{"kind": "poisson", "rate_per_s": 1}"#),
            ),
            ("tr.json", trace),
            ("d01.csv", ""),
        ],
    );
    let enoent = "No such file or directory (os error 2)";
    for (file, want) in [
        (
            "ts.json",
            format!("error: ts.json: functions[0].workload.path: cannot read nope.csv: {enoent}\n"),
        ),
        (
            "rt.json",
            format!("error: rt.json: functions[0].runtime: cannot read my/node.json: {enoent}\n"),
        ),
        (
            "tr.json",
            format!("error: tr.json: traces.invocations[1]: cannot read d02.csv: {enoent}\n"),
        ),
    ] {
        assert_eq!(in_dir(&dir, &["run", file]), (Some(2), want.clone()));
        assert_eq!(in_dir(&dir, &["validate", file]), (Some(2), want));
    }
}

/// Each command recognises the other kind of document and names the command that takes
/// it; a file with both kinds of keys is refused by all three; a top-level array is not an
/// object (it read "`[0]`: expected a string").
#[test]
fn commands_recognise_the_other_kind_of_document() {
    let scenario = BASE_BAD_RATE.replace("\"x\"", "1");
    let dir = files(
        "cli-doc-kinds",
        &[
            ("s.json", &scenario),
            ("e.json", r#"{"name": "e", "base": "s.json"}"#),
            ("g.json", r#"{"name": "e", "grid": {}}"#),
            ("both.json", r#"{"name": "x", "base": 1, "duration_s": 5}"#),
            ("array.json", "[1, 2]"),
            ("empty.json", "\n"),
        ],
    );
    assert_eq!(
        in_dir(&dir, &["run", "e.json"]),
        (Some(2), "error: e.json: base: this is a sweep's experiment file (it has `base`), not a scenario; run it with `faassim sweep e.json`\n".into())
    );
    assert_eq!(
        in_dir(&dir, &["run", "g.json"]),
        (Some(2), "error: g.json: grid: this is a sweep's experiment file (it has `grid`), not a scenario; run it with `faassim sweep g.json`\n".into())
    );
    assert_eq!(
        in_dir(&dir, &["sweep", "s.json"]),
        (Some(2), "error: s.json: .: this is a scenario file (it has no `base`), not an experiment; run it with `faassim run s.json`, or write an experiment whose `base` names it\n".into())
    );
    let both = "error: both.json: base: a file is a scenario or an experiment, but this one has both `base` (experiment) and `duration_s` (scenario); put the scenario in the experiment's `base`, or remove `base`\n";
    for cmd in ["run", "sweep", "validate"] {
        assert_eq!(
            in_dir(&dir, &[cmd, "both.json"]),
            (Some(2), both.into()),
            "{cmd}"
        );
        assert_eq!(
            in_dir(&dir, &[cmd, "array.json"]),
            (
                Some(2),
                "error: array.json:1:1: .: expected a JSON object {...}, got an array\n".into()
            ),
            "{cmd}"
        );
        assert_eq!(
            in_dir(&dir, &[cmd, "empty.json"]),
            (
                Some(2),
                "error: empty.json:1:1: .: the file is empty; expected a JSON object {...}\n"
                    .into()
            ),
            "{cmd}"
        );
    }
    let (code, err) = in_dir(&dir, &["validate", "e.json"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
}

/// A refused value names the flag, the value and the range on one line (`--seed -1` gave
/// clap's "unexpected argument '-1' found" and a usage block).
#[test]
fn refused_flag_values_name_the_flag_value_and_range() {
    let dir = files("cli-flag-values", &[]);
    let seed_range = "expected a whole number from 0 to 18446744073709551615";
    for (args, want) in [
        (
            &["run", QUICKSTART, "--seed", "-1"][..],
            format!("error: --seed: {seed_range}, got `-1`\n"),
        ),
        (
            &["run", QUICKSTART, "--seed", "18446744073709551616"][..],
            format!("error: --seed: {seed_range}, got `18446744073709551616`\n"),
        ),
        (
            &["run", QUICKSTART, "--threads", "0"][..],
            "error: --threads: expected a whole number from 1 to 1024, got `0`\n".to_owned(),
        ),
        (
            &["sweep", "e.json", "--threads", "0"][..],
            "error: --threads: expected a whole number from 1 to 1024, got `0`\n".to_owned(),
        ),
        (
            &["sweep", "e.json", "--shard", "3/2"][..],
            "error: --shard: expected I/N with 0 <= I < N (e.g. 0/4), got `3/2`\n".to_owned(),
        ),
    ] {
        assert_eq!(in_dir(&dir, args), (Some(2), want), "{args:?}");
    }
}

/// `sweep --out` naming a file is an output problem (exit code 1, "cannot write"), not bad
/// input (it exited 2 with "cannot read", from looking for results to resume).
#[test]
fn sweep_out_on_a_file_is_an_output_error() {
    let base = BASE_BAD_RATE.replace("\"x\"", "1");
    let dir = files(
        "cli-sweep-out-file",
        &[
            ("base.json", &base),
            ("e.json", r#"{"name": "e", "base": "base.json"}"#),
            ("taken", "not a folder"),
        ],
    );
    let file = "error: cannot write --out taken: it is a file; expected a folder (made if missing) for results.jsonl, results.csv and summary.csv\n";
    assert_eq!(
        in_dir(&dir, &["sweep", "e.json", "--out", "taken"]),
        (Some(1), file.to_owned())
    );
    assert_eq!(
        in_dir(&dir, &["merge", "--out", "taken", "."]),
        (Some(1), file.to_owned())
    );
    assert_eq!(
        in_dir(&dir, &["sweep", "e.json", "--out", "taken/sub"]),
        (
            Some(1),
            "error: cannot write --out taken/sub: Not a directory (os error 20)\n".to_owned()
        )
    );
}

/// A CSV trace with RFC 4180 quoting (a comma inside quotes, a doubled quote) replays as
/// two functions named `api, v2` (two arrivals) and `say "hi"` (one); quoted commas were
/// refused as extra columns.
#[test]
fn csv_traces_accept_quoted_fields() {
    let dir = files(
        "cli-csv-quotes",
        &[
            (
                "q.csv",
                "timestamp,function,duration_ms\n0.5,\"api, v2\",10\n1.0,\"say \"\"hi\"\"\",20\n2.0,\"api, v2\",30\n",
            ),
            (
                "t.json",
                r#"{"name": "t", "duration_s": 60, "traces": {"format": "csv", "invocations": "q.csv", "template": {"runtime": "nodejs"}}}"#,
            ),
        ],
    );
    let o = Command::new(BIN)
        .args(["run", "t.json", "--format", "json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<(&str, u64)> = v["functions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, f)| (k.as_str(), f["invocations"].as_u64().unwrap()))
        .collect();
    assert_eq!(names, [("api, v2", 2), ("say \"hi\"", 1)]);
}

/// A window past the end of a trace said only "0 rows read"; it now says the window, the
/// trace's span and what was expected. Arrivals at 0, 30 and 600 s span minutes 0 to 10;
/// an Azure 2019 day file spans minutes 0 to 1440, so `start_day: 2` (minute 2880) misses
/// it although the file is never read.
#[test]
fn a_window_past_the_trace_names_both_ranges() {
    let expected = "expected a window that overlaps it (start_min, start_day, minutes and days count from the start of the first file)";
    let azure = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workloads/traces/azure2019/invocations_per_function_md.anon.d01.csv"
    );
    let dir = files(
        "cli-trace-window",
        &[
            ("a.csv", "0\n30\n600\n"),
            (
                "t.json",
                r#"{"name": "t", "duration_s": 60, "traces": {"format": "csv", "invocations": "a.csv",
                    "window": {"start_min": 60, "minutes": 5}, "template": {"runtime": "nodejs"}}}"#,
            ),
            (
                "z.json",
                &format!(
                    r#"{{"name": "t", "duration_s": 60, "traces": {{"format": "azure2019", "invocations": "{azure}",
                    "window": {{"start_day": 2}}, "template": {{"runtime": "nodejs"}}}}}}"#
                ),
            ),
        ],
    );
    assert_eq!(
        in_dir(&dir, &["validate", "t.json"]),
        (
            Some(2),
            format!(
                "error: t.json: traces.window: the window (trace minutes 60 to 65) misses the trace, which spans minutes 0 to 10; {expected}\n"
            )
        )
    );
    assert_eq!(
        in_dir(&dir, &["validate", "z.json"]),
        (
            Some(2),
            format!(
                "error: z.json: traces.window: the window (trace minutes 2880 to the end) misses the trace, which spans minutes 0 to 1440; {expected}\n"
            )
        )
    );
}

/// The terminal table fits 100 columns (a long header line splits in two, the always-on
/// fleet has its own table) and points to `--report` for charts.
#[test]
fn the_table_fits_100_columns_and_points_to_the_report() {
    for scenario in ["quickstart.json", "function-mix.json", "flash-sale-pc.json"] {
        let path = format!("{}/experiments/{scenario}", env!("CARGO_MANIFEST_DIR"));
        let o = faassim(&["run", &path, "-q"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = String::from_utf8(o.stdout).unwrap();
        for line in out.lines() {
            assert!(
                line.chars().count() <= 100,
                "{scenario}: {} columns: {line}",
                line.len()
            );
        }
        assert!(
            out.contains("add --report DIR"),
            "{scenario}: no pointer to the report"
        );
    }
}

/// 25 functions, function k invoked every (k + 1) s for 100 s (so 100, 50, 34, 25, ...
/// invocations: ⌈100 / (k + 1)⌉; f19 and f20 both have 5, and a tie goes to the earlier
/// function): the table lists the 20 busiest, f0 to f19, says so, and
/// the TOTAL row still counts all 25.
#[test]
fn the_table_lists_the_20_busiest_of_many_functions() {
    let dir = temp_dir("table-many");
    let functions: Vec<String> = (0..25)
        .map(|k| {
            format!(
                r#"{{"name": "f{k}", "runtime": "nodejs", "exec_ms": {{"dist": "const", "value": 1}},
                   "workload": {{"kind": "constant", "interval_s": {}}}}}"#,
                k + 1
            )
        })
        .collect();
    let path = dir.join("many.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"name": "many", "duration_s": 100, "functions": [{}]}}"#,
            functions.join(",")
        ),
    )
    .unwrap();
    let o = faassim(&["run", path.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("the 20 busiest of 25 functions"), "{out}");
    let requests: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "requests")
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    let names: Vec<&str> = requests
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut expected: Vec<String> = (0..20).map(|k| format!("f{k}")).collect();
    expected.push("TOTAL".into());
    assert_eq!(names, expected);
    // Σ ⌈100 / (k + 1)⌉ for k = 0..25.
    let total: u64 = (1..=25u64).map(|n| 100u64.div_ceil(n)).sum();
    let total_row = requests.last().unwrap();
    let invocations = total_row
        .split_whitespace()
        .nth(1)
        .unwrap()
        .replace(',', "");
    assert_eq!(invocations, total.to_string());
}
