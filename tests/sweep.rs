use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faassim::sweep::{self, Experiment, Shard, SweepOptions, replication_seed};
use serde_json::{Value, json};

use crate::common::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_faassim");

/// A short scenario: one function, Poisson 2 req/s, 200 s, constant 100 ms cold start.
const BASE: &str = r#"{
  "name": "base", "seed": 5, "duration_s": 200, "platform": "aws-lambda",
  "functions": [{
    "name": "f", "runtime": "nodejs",
    "exec_ms": {"dist": "exponential", "mean": 50},
    "cold_start_ms": {"dist": "const", "value": 100},
    "keep_alive": {"policy": "fixed", "idle_s": 1},
    "workload": {"kind": "poisson", "rate_per_s": 2}
  }]
}"#;

/// Writes `base.json` and `exp.json` (with `body` spliced into the experiment object).
fn experiment_files(test: &str, body: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(test);
    std::fs::write(dir.join("base.json"), BASE).unwrap();
    let exp = dir.join("exp.json");
    std::fs::write(
        &exp,
        format!(r#"{{"name": "t", "seed": 3, "base": "base.json", {body}}}"#),
    )
    .unwrap();
    (dir, exp)
}

fn load(test: &str, body: &str) -> Experiment {
    let (_, exp) = experiment_files(test, body);
    Experiment::load(&exp).unwrap_or_else(|e| panic!("{e}"))
}

fn load_err(test: &str, body: &str) -> String {
    let (_, exp) = experiment_files(test, body);
    Experiment::load(&exp).unwrap_err().to_string()
}

fn points(e: &Experiment) -> Vec<Vec<Value>> {
    (0..e.point_count()).map(|i| e.point(i)).collect()
}

fn faassim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

const FILES: [&str; 3] = ["results.jsonl", "results.csv", "summary.csv"];

#[track_caller]
fn assert_same_outputs(a: &Path, b: &Path) {
    for f in FILES {
        assert!(
            read(a, f) == read(b, f),
            "{f} differs: {} vs {}",
            a.display(),
            b.display()
        );
    }
}

fn run_lib(
    e: &Experiment,
    out: &Path,
    threads: usize,
    shard: Shard,
    resume: bool,
) -> sweep::SweepReport {
    let opts = SweepOptions {
        threads,
        out: out.to_owned(),
        shard,
        resume,
    };
    sweep::run(e, &opts, &|_| {}).unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn grid_crosses_parameters_in_file_order() {
    let e = load(
        "sweep-grid",
        r#""grid": {"functions[0].workload.rate_per_s": [1, 2.5],
                    "functions[0].keep_alive.idle_s": {"from": 10, "to": 30, "step": 10}}"#,
    );
    assert_eq!(
        e.params,
        [
            "functions[0].workload.rate_per_s",
            "functions[0].keep_alive.idle_s"
        ]
    );
    // First parameter slowest.
    let want = vec![
        vec![json!(1), json!(10)],
        vec![json!(1), json!(20)],
        vec![json!(1), json!(30)],
        vec![json!(2.5), json!(10)],
        vec![json!(2.5), json!(20)],
        vec![json!(2.5), json!(30)],
    ];
    assert_eq!(points(&e), want);
    let s = e.scenario(4, 0).unwrap();
    let v = e.point_json(4).unwrap();
    assert_eq!(v["functions"][0]["workload"]["rate_per_s"], json!(2.5));
    assert_eq!(v["functions"][0]["keep_alive"]["idle_s"], json!(20));
    assert_eq!(s.name, "base");
}

#[test]
fn ranges_by_step_count_and_log() {
    let e = load(
        "sweep-ranges",
        r#""grid": {"functions[0].workload.rate_per_s": {"from": 0.1, "to": 0.3, "step": 0.1}}"#,
    );
    assert_eq!(
        points(&e),
        vec![vec![json!(0.1)], vec![json!(0.2)], vec![json!(0.3)]]
    );
    let e = load(
        "sweep-ranges",
        r#""grid": {"functions[0].keep_alive.idle_s": {"from": 0, "to": 1, "count": 5}}"#,
    );
    assert_eq!(
        points(&e),
        [0.0, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|x| vec![if *x == 0.0 || *x == 1.0 {
                json!(*x as i64)
            } else {
                json!(x)
            }])
            .collect::<Vec<_>>()
    );
    let e = load(
        "sweep-ranges",
        r#""grid": {"functions[0].keep_alive.idle_s": {"from": 1, "to": 1000, "count": 4, "log": true}}"#,
    );
    assert_eq!(
        points(&e),
        vec![
            vec![json!(1)],
            vec![json!(10)],
            vec![json!(100)],
            vec![json!(1000)]
        ]
    );
}

#[test]
fn zip_varies_together_and_crosses_the_grid() {
    let e = load(
        "sweep-zip",
        r#""grid": {"functions[0].keep_alive.idle_s": [1, 2]},
           "zip": {"functions[0].workload.rate_per_s": [1, 2, 3],
                   "functions[0].max_concurrency": {"from": 5, "to": 7, "step": 1}}"#,
    );
    assert_eq!(e.params.len(), 3);
    let want: Vec<Vec<Value>> = [
        (1, 1, 5),
        (1, 2, 6),
        (1, 3, 7),
        (2, 1, 5),
        (2, 2, 6),
        (2, 3, 7),
    ]
    .iter()
    .map(|&(a, b, c)| vec![json!(a), json!(b), json!(c)])
    .collect();
    assert_eq!(points(&e), want);
    // `max_concurrency` is absent from the base: a new leaf under an existing parent.
    assert_eq!(
        e.scenario(5, 0).unwrap().functions[0].max_concurrency,
        Some(7)
    );
    let err = load_err(
        "sweep-zip",
        r#""zip": {"functions[0].workload.rate_per_s": [1, 2, 3],
                   "functions[0].keep_alive.idle_s": [1, 2]}"#,
    );
    assert!(
        err.contains("exp.json: zip.functions[0].keep_alive.idle_s:"),
        "{err}"
    );
    assert!(err.contains("(3), got 2"), "{err}");
}

#[test]
fn latin_hypercube_hits_every_stratum_once() {
    let body = r#""sample": {"method": "lhs", "points": 8, "ranges": {
            "functions[0].workload.rate_per_s": {"from": 1, "to": 9},
            "functions[0].keep_alive.idle_s": {"from": 1, "to": 256, "log": true}}}"#;
    let e = load("sweep-lhs", body);
    assert_eq!(e.point_count(), 8);
    let mut rate_strata: Vec<usize> = points(&e)
        .iter()
        .map(|p| ((p[0].as_f64().unwrap() - 1.0) / 1.0) as usize)
        .collect();
    rate_strata.sort();
    assert_eq!(rate_strata, (0..8).collect::<Vec<_>>());
    // Log scale: stratum k of 8 over [1, 256] is [2^k, 2^(k+1)).
    let mut idle_strata: Vec<usize> = points(&e)
        .iter()
        .map(|p| p[1].as_f64().unwrap().log2() as usize)
        .collect();
    idle_strata.sort();
    assert_eq!(idle_strata, (0..8).collect::<Vec<_>>());
    // Seeded: the same file gives the same points, another seed others.
    assert_eq!(points(&load("sweep-lhs", body)), points(&e));
    let other = load(
        "sweep-lhs",
        &body.replace("\"points\": 8", "\"points\": 8, \"seed\": 99"),
    );
    assert_ne!(points(&other), points(&e));

    let e = load(
        "sweep-random",
        r#""sample": {"method": "random", "points": 50, "ranges": {
            "functions[0].workload.rate_per_s": {"from": 2, "to": 3}}}"#,
    );
    let xs: Vec<f64> = points(&e).iter().map(|p| p[0].as_f64().unwrap()).collect();
    assert!(xs.iter().all(|x| (2.0..=3.0).contains(x)), "{xs:?}");
    // Not all in one half: random draws spread over the range.
    assert!(
        xs.iter().any(|x| *x < 2.5) && xs.iter().any(|x| *x > 2.5),
        "{xs:?}"
    );
}

#[test]
fn bad_paths_and_values_name_file_parameter_and_point() {
    let err = load_err("sweep-bad", r#""grid": {"functions[0].nope.idle_s": [1]}"#);
    assert!(
        err.contains("exp.json: grid.functions[0].nope.idle_s: at point 0:"),
        "{err}"
    );
    assert!(err.contains("`functions[0].nope` does not exist"), "{err}");
    let err = load_err(
        "sweep-bad",
        r#""grid": {"functions[1].keep_alive.idle_s": [1]}"#,
    );
    assert!(
        err.contains(
            "exp.json: grid.functions[1].keep_alive.idle_s: at point 0: index 1 is out of range"
        ),
        "{err}"
    );
    let err = load_err(
        "sweep-bad",
        r#""grid": {"functions[0].workload.rate_per_s": [1, -5]}"#,
    );
    assert!(
        err.contains("exp.json: point 1 (grid.functions[0].workload.rate_per_s = -5)")
            && err.contains("base.json: functions[0].workload.rate_per_s"),
        "{err}"
    );
    let err = load_err(
        "sweep-bad",
        r#""grid": {"functions[0].workload.rate_per_s": 5}"#,
    );
    assert!(
        err.contains("grid.functions[0].workload.rate_per_s: expected a list"),
        "{err}"
    );
    let err = load_err(
        "sweep-bad",
        r#""grid": {"functions[0].keep_alive.idle_s": {"from": 1, "to": 2}}"#,
    );
    assert!(err.contains("exactly one of `step` and `count`"), "{err}");
    let err = load_err("sweep-bad", r#""grid": {"functions[0]..x": [1]}"#);
    assert!(
        err.contains("`functions[0]..x` is not a field path"),
        "{err}"
    );
    let err = Experiment::from_str(
        r#"{"name": "t", "base": "missing.json"}"#,
        "e.json",
        Path::new("/nonexistent"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("e.json: base: cannot read the base scenario /nonexistent/missing.json"),
        "{err}"
    );
    let err = load_err("sweep-bad", r#""replications": 0"#);
    assert!(
        err.contains("exp.json: replications: expected at least 1"),
        "{err}"
    );

    // Through the binary: one line, exit code 2.
    let (dir, exp) = experiment_files(
        "sweep-bad-cli",
        r#""grid": {"functions[0].workload.rate_per_s": [1, -5]}"#,
    );
    let out = dir.join("out");
    let o = faassim(&[
        "sweep",
        exp.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("point 1 (grid.functions[0].workload.rate_per_s = -5)"),
        "{stderr}"
    );
    let o = faassim(&["sweep", exp.to_str().unwrap(), "--shard", "3/3"]);
    assert_eq!(o.status.code(), Some(2));
    let o = faassim(&[
        "merge",
        "--out",
        out.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("results.jsonl: not found; expected the --out folder"),
        "{stderr}"
    );
}

#[test]
fn replications_share_arrival_streams_across_points() {
    let (dir, exp) = experiment_files(
        "sweep-crn",
        r#""grid": {"functions[0].keep_alive.idle_s": [0, 1, 5]}, "replications": 2"#,
    );
    let e = Experiment::load(&exp).unwrap();
    let out = dir.join("out");
    run_lib(&e, &out, 2, Shard::ALL, false);
    let rows: Vec<Value> = String::from_utf8(read(&out, "results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    for r in &rows {
        let rep = r["replication"].as_u64().unwrap() as u32;
        assert_eq!(r["seed"].as_u64().unwrap(), replication_seed(3, rep));
    }
    // Same replication ⇒ same arrivals ⇒ same invocation count at every keep-alive; the
    // two replications draw different streams.
    let inv = |p: usize, r: usize| rows[p * 2 + r]["metrics"]["invocations"].as_u64().unwrap();
    for p in 1..3 {
        assert_eq!(inv(p, 0), inv(0, 0));
        assert_eq!(inv(p, 1), inv(0, 1));
    }
    assert_ne!(inv(0, 0), inv(0, 1));
    // Keep-alive 0 makes every request cold; longer keep-alives fewer.
    let cold = |p: usize| rows[p * 2]["metrics"]["cold_start_ratio"].as_f64().unwrap();
    assert_eq!(cold(0), 1.0);
    assert!(
        cold(1) < 1.0 && cold(2) < cold(1),
        "{} {}",
        cold(1),
        cold(2)
    );
}

const DET_BODY: &str = r#""grid": {"functions[0].workload.rate_per_s": [1, 2, 4],
    "functions[0].keep_alive.idle_s": [0.5, 2]}, "replications": 3"#;

#[test]
fn outputs_are_byte_identical_for_any_thread_count() {
    let (dir, exp) = experiment_files("sweep-threads", DET_BODY);
    let e = Experiment::load(&exp).unwrap();
    run_lib(&e, &dir.join("one"), 1, Shard::ALL, false);
    run_lib(&e, &dir.join("two"), 2, Shard::ALL, false);
    run_lib(&e, &dir.join("five"), 5, Shard::ALL, false);
    assert_same_outputs(&dir.join("one"), &dir.join("two"));
    assert_same_outputs(&dir.join("one"), &dir.join("five"));
    let csv = String::from_utf8(read(&dir.join("one"), "results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6 * 3);
    let summary = String::from_utf8(read(&dir.join("one"), "summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 6);
}

#[test]
fn shards_run_as_processes_merge_into_the_unsharded_output() {
    let (dir, exp) = experiment_files("sweep-shards", DET_BODY);
    let exp = exp.to_str().unwrap();
    let all = dir.join("all");
    let o = faassim(&[
        "sweep",
        exp,
        "--out",
        all.to_str().unwrap(),
        "--threads",
        "2",
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Four shards of six points: shard 3 gets one point (3), the others two.
    let mut children = Vec::new();
    let mut dirs = Vec::new();
    for i in 0..4 {
        let d = dir.join(format!("shard{i}"));
        let shard = format!("{i}/4");
        children.push(
            Command::new(BIN)
                .args([
                    "sweep",
                    exp,
                    "--out",
                    d.to_str().unwrap(),
                    "--shard",
                    &shard,
                ])
                .args(["--threads", "1", "-q"])
                .spawn()
                .unwrap(),
        );
        dirs.push(d);
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let shard3 = String::from_utf8(read(&dirs[3], "results.csv")).unwrap();
    assert_eq!(shard3.lines().count(), 1 + 3);
    let merged = dir.join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    // Order of the shard folders does not matter.
    let names: Vec<String> = dirs
        .iter()
        .rev()
        .map(|d| d.to_str().unwrap().to_owned())
        .collect();
    args.extend(names.iter().map(String::as_str));
    let o = faassim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_outputs(&all, &merged);

    // A missing shard is reported, naming the first missing task.
    let o = faassim(&[
        "merge",
        "--out",
        dir.join("m2").to_str().unwrap(),
        &names[0],
        &names[1],
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("point 0 replication 0 is missing"),
        "{stderr}"
    );
}

#[test]
fn resume_after_interruption_equals_an_uninterrupted_run() {
    let (dir, exp) = experiment_files("sweep-resume", DET_BODY);
    let e = Experiment::load(&exp).unwrap();
    let full = dir.join("full");
    run_lib(&e, &full, 2, Shard::ALL, false);
    let jsonl = String::from_utf8(read(&full, "results.jsonl")).unwrap();
    let lines: Vec<&str> = jsonl.lines().collect();
    for k in [0, 1, 4, 17] {
        // As a kill leaves it: k complete rows, then half a row; the CSV files behind.
        let part = dir.join(format!("part{k}"));
        std::fs::create_dir_all(&part).unwrap();
        let mut text: String = lines[..k].iter().map(|l| format!("{l}\n")).collect();
        text.push_str(&lines[k][..lines[k].len() / 2]);
        std::fs::write(part.join("results.jsonl"), text).unwrap();
        std::fs::write(part.join("results.csv"), "point,rep\n0,0\n").unwrap();
        // Without --resume, existing results are not overwritten.
        if k > 0 {
            let opts = SweepOptions {
                threads: 1,
                out: part.clone(),
                shard: Shard::ALL,
                resume: false,
            };
            let err = sweep::run(&e, &opts, &|_| {}).unwrap_err().to_string();
            assert!(err.contains("pass --resume"), "{err}");
        }
        let report = run_lib(&e, &part, 2, Shard::ALL, true);
        assert_eq!(report.resumed, k, "the finished rows are kept, not rerun");
        assert_same_outputs(&full, &part);
    }
    // Results of another experiment are refused.
    let (_, other) = experiment_files(
        "sweep-resume-other",
        &DET_BODY.replace("[1, 2, 4]", "[1, 2, 3]"),
    );
    let other = Experiment::load(&other).unwrap();
    let opts = SweepOptions {
        threads: 1,
        out: full.clone(),
        shard: Shard::ALL,
        resume: true,
    };
    let err = sweep::run(&other, &opts, &|_| {}).unwrap_err().to_string();
    assert!(err.contains("belong to another experiment"), "{err}");
}

#[test]
fn summary_confidence_intervals_match_a_hand_computation() {
    let (dir, exp) = experiment_files(
        "sweep-ci",
        r#""grid": {"functions[0].keep_alive.idle_s": [0.5, 3]}, "replications": 3"#,
    );
    let e = Experiment::load(&exp).unwrap();
    let out = dir.join("out");
    run_lib(&e, &out, 2, Shard::ALL, false);
    let csv = String::from_utf8(read(&out, "results.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let summary = String::from_utf8(read(&out, "summary.csv")).unwrap();
    let sh: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let scol = |name: &str| sh.iter().position(|h| *h == name).unwrap();
    for point in 0..2 {
        let rows: Vec<Vec<&str>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|r| r[0] == point.to_string())
            .collect();
        assert_eq!(rows.len(), 3);
        let srow: Vec<&str> = summary.lines().nth(1 + point).unwrap().split(',').collect();
        for metric in [
            "cold_start_ratio",
            "latency_p99_ms",
            "instances_mean",
            "cost_usd",
        ] {
            let xs: Vec<f64> = rows
                .iter()
                .map(|r| r[col(metric)].parse().unwrap())
                .collect();
            let mean = (xs[0] + xs[1] + xs[2]) / 3.0;
            let s = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
            // t(0.975, 2) = 4.303 from a printed table.
            let half = 4.303 * s / 3f64.sqrt();
            let got_mean: f64 = srow[scol(&format!("{metric}_mean"))].parse().unwrap();
            let got_half: f64 = srow[scol(&format!("{metric}_ci95"))].parse().unwrap();
            assert!((got_mean - mean).abs() <= 1e-12 * mean.abs().max(1.0));
            assert!(
                (got_half - half).abs() <= 2e-4 * half,
                "{metric}: {got_half} vs {half}"
            );
            assert!(half > 0.0, "{metric}: replications should differ");
        }
        // The merged histogram holds every served request of the three replications.
        let served: u64 = rows
            .iter()
            .map(|r| {
                r[col("invocations")].parse::<u64>().unwrap()
                    - r[col("throttled")].parse::<u64>().unwrap()
            })
            .sum();
        assert_eq!(srow[scol("merged_latency_count")], served.to_string());
        // Pooled percentiles lie within the replications' own range (3 digits).
        let p99s: Vec<f64> = rows
            .iter()
            .map(|r| r[col("latency_p99_ms")].parse().unwrap())
            .collect();
        let merged: f64 = srow[scol("merged_latency_p99_ms")].parse().unwrap();
        let (lo, hi) = p99s
            .iter()
            .fold((f64::MAX, 0f64), |(a, b), x| (a.min(*x), b.max(*x)));
        assert!(
            merged >= lo * 0.999 && merged <= hi * 1.001,
            "{merged} not in [{lo}, {hi}]"
        );
    }
}

#[test]
fn a_killed_sweep_resumes_to_the_same_bytes() {
    // 40 runs of a 50,000 s scenario at 2 req/s: long enough to kill the process midway.
    let (dir, exp) = experiment_files(
        "sweep-kill",
        r#""grid": {"functions[0].keep_alive.idle_s": {"from": 1, "to": 20, "step": 1},
                    "duration_s": [50000]}, "replications": 2"#,
    );
    let exp = exp.to_str().unwrap();
    let full = dir.join("full");
    let o = faassim(&["sweep", exp, "--out", full.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let total = String::from_utf8(read(&full, "results.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(total, 40);

    let part = dir.join("part");
    let mut child = Command::new(BIN)
        .args([
            "sweep",
            exp,
            "--out",
            part.to_str().unwrap(),
            "--threads",
            "1",
            "-q",
        ])
        .spawn()
        .unwrap();
    let jsonl = part.join("results.jsonl");
    let lines = || {
        std::fs::read_to_string(&jsonl)
            .map(|t| t.matches('\n').count())
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while lines() < 3 && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = lines();
    assert!(
        (3..total).contains(&at_kill),
        "killed after {at_kill} of {total} rows: the kill should land midway"
    );
    let o = faassim(&[
        "sweep",
        exp,
        "--out",
        part.to_str().unwrap(),
        "--resume",
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_outputs(&full, &part);
}

#[test]
fn progress_counts_finished_points() {
    let (dir, exp) = experiment_files("sweep-progress", DET_BODY);
    let e = Experiment::load(&exp).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let opts = SweepOptions {
        threads: 2,
        out: dir.join("out"),
        shard: Shard { index: 1, count: 2 },
        resume: false,
    };
    let report = sweep::run(&e, &opts, &|n| seen.lock().unwrap().push(n)).unwrap();
    // Shard 1 of 2 owns points 1, 3 and 5, each with 3 replications.
    assert_eq!(report.points, 3);
    assert_eq!(report.tasks, 9);
    assert_eq!(*seen.lock().unwrap(), vec![1, 2, 3]);
    let csv = String::from_utf8(read(&dir.join("out"), "summary.csv")).unwrap();
    let points: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(points, ["1", "3", "5"]);
    // Without point 0 (the baseline) the shard leaves `cost_per_avoided_cold_start` empty
    // (`merge` fills it).
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",cost_per_avoided_cold_start")
    );
    assert!(csv.lines().skip(1).all(|l| l.ends_with(',')));
}

#[test]
fn relative_paths_start_from_the_experiment_and_the_base() {
    let dir = temp_dir("sweep-paths");
    std::fs::create_dir_all(dir.join("scen")).unwrap();
    // Arrivals at 0, 10, 20, 30, 40 s; the trace sits next to the base, not the experiment.
    std::fs::write(dir.join("scen/arrivals.csv"), "0\n10\n20\n30\n40\n").unwrap();
    std::fs::write(
        dir.join("scen/base.json"),
        r#"{"name": "trace", "duration_s": 60, "functions": [{
            "name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 1},
            "cold_start_ms": {"dist": "const", "value": 100},
            "keep_alive": {"policy": "fixed", "idle_s": 1},
            "workload": {"kind": "timestamps", "path": "arrivals.csv"}}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("exp.json"),
        r#"{"name": "p", "base": "scen/base.json",
            "grid": {"functions[0].keep_alive.idle_s": [5, 15]}}"#,
    )
    .unwrap();
    let e = Experiment::load(&dir.join("exp.json")).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out");
    run_lib(&e, &out, 1, Shard::ALL, false);
    let rows: Vec<Value> = String::from_utf8(read(&out, "results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Gaps of 10 s: a 5 s keep-alive makes all five cold, 15 s only the first.
    for (row, cold) in rows.iter().zip([1.0, 0.2]) {
        assert_eq!(row["metrics"]["invocations"], 5);
        assert_eq!(row["metrics"]["cold_start_ratio"], json!(cold));
    }
}

/// `summary.csv`'s last column, `cost_per_avoided_cold_start`, on a tiny sweep worked by
/// hand: `(cost − cost₀) / (cold₀ − cold)` against point 0, empty for point 0 and for points
/// that avoid no cold start; the header and every row have the same number of cells.
#[test]
fn cost_per_avoided_cold_start_by_hand() {
    let dir = temp_dir("sweep-cost-per-avoided");
    // Five requests 10 s apart (1, 11, …, 41 s), 100 ms each, a 200 ms cold start (billed
    // as init on Lambda), 1 GB.
    std::fs::write(dir.join("arrivals.csv"), "1\n11\n21\n31\n41\n").unwrap();
    std::fs::write(
        dir.join("base.json"),
        r#"{"name": "hand", "duration_s": 60, "functions": [{
            "name": "f", "runtime": "nodejs", "memory_mb": 1024,
            "exec_ms": {"dist": "const", "value": 100},
            "cold_start_ms": {"dist": "const", "value": 200},
            "keep_alive": {"policy": "fixed", "idle_s": 15},
            "provisioned": {"policy": "fixed", "count": 0},
            "workload": {"kind": "timestamps", "path": "arrivals.csv"}}]}"#,
    )
    .unwrap();
    // Point 0 (the baseline): 15 s keep-alive, 1 cold start. Point 1: 2 s, all 5 cold.
    // Point 2: 60 s, still 1 cold. Point 3: one provisioned instance, no cold start.
    std::fs::write(
        dir.join("exp.json"),
        r#"{"name": "hand", "base": "base.json", "replications": 2, "zip": {
            "functions[0].keep_alive.idle_s": [15, 2, 60, 15],
            "functions[0].provisioned.count": [0, 0, 0, 1]}}"#,
    )
    .unwrap();
    let e = Experiment::load(&dir.join("exp.json")).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out");
    run_lib(&e, &out, 2, Shard::ALL, false);
    let summary = String::from_utf8(read(&out, "summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.last(), Some(&"cost_per_avoided_cold_start"));
    assert_eq!(header[header.len() - 2], "merged_latency_p999_ms");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert_eq!(r.len(), header.len());
    }
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let num = |p: usize, name: &str| -> f64 { rows[p][col(name)].parse().unwrap() };
    let cpa = |p: usize| rows[p][col("cost_per_avoided_cold_start")];
    let cold: Vec<f64> = (0..4).map(|p| num(p, "cold_starts_mean")).collect();
    assert_eq!(cold, [1.0, 5.0, 1.0, 0.0]);
    // Point 0 is the baseline; points 1 (more cold starts) and 2 (as many) avoid none.
    assert_eq!(cpa(0), "");
    assert_eq!(cpa(1), "");
    assert_eq!(cpa(2), "");
    // Point 3 from the means, as defined.
    let got: f64 = cpa(3).parse().unwrap();
    let want = (num(3, "cost_usd_mean") - num(0, "cost_usd_mean")) / (1.0 - 0.0);
    assert_eq!(got, want);
    // And by hand from the Lambda prices. Point 0: 5 requests ($0.2/M) and 1 GB billed for
    // 1 × (200 + 100) ms + 4 × 100 ms = 0.7 GB-s at $0.0000166667: $0.0000126667. Point 3:
    // the requests, the provisioned GB-s for the 60 s (1 GB × 60 s at $0.0000041667) and
    // 5 × 100 ms at the provisioned duration price $0.0000097222: $0.0002558611. One cold
    // start avoided for $0.0002431944.
    let base = 5.0 * 0.2e-6 + 0.7 * 1.66667e-5;
    let pc = 5.0 * 0.2e-6 + 60.0 * 4.1667e-6 + 0.5 * 9.7222e-6;
    assert!((num(0, "cost_usd_mean") - base).abs() < 1e-12);
    assert!((got - (pc - base)).abs() < 1e-12, "{got} vs {}", pc - base);
}

/// Up to 10^4 points every point is built at load; above, each value is checked once in a
/// real point (the other axes at their first entry), so `validate` of 10^6 points takes
/// a fraction of a second instead of 32 s and 264 MB. Axis order: duration_s, warmup_s,
/// rate. Hand-listed checks for 2 × 2 × 2501 = 10,004 points: (100, 0, 1), (10, 0, 1),
/// (100, 50, 1) and (100, 0, k) for every rate k: all valid, though (10, 50, ·) is not
/// (warm-up >= duration), which is reported when such a point is built.
#[test]
fn large_experiments_check_each_value_once() {
    let body = r#""grid": {"duration_s": [100, 10], "warmup_s": [0, 50],
        "functions[0].workload.rate_per_s": {"from": 1, "to": 2501, "step": 1}}"#;
    let e = load("sweep-large", body);
    assert_eq!(e.point_count(), 10_004);
    assert!(!e.every_point_checked);
    // Point numbering, first axis slowest: (10, 50, rate 1) is 1 × 5002 + 1 × 2501.
    assert_eq!(e.point(7503), vec![json!(10), json!(50), json!(1)]);
    let err = e.scenario(7503, 0).unwrap_err().to_string();
    assert!(
        err.contains(
            "point 7503 (grid.duration_s = 10, grid.warmup_s = 50, grid.functions[0].workload.rate_per_s = 1"
        ) && err.contains("warmup_s: expected less than duration_s (10), got 50"),
        "{err}"
    );
    // A value invalid in the point it is checked in fails at load, naming that point.
    let err = load_err(
        "sweep-large-bad",
        &body.replace("\"warmup_s\": [0, 50]", "\"warmup_s\": [0, 150]"),
    );
    assert!(err.contains("grid.warmup_s = 150"), "{err}");
    assert!(
        err.contains("expected less than duration_s (100), got 150"),
        "{err}"
    );
    // At 10^4 points or fewer every combination is built, so (10, 50) is refused at load.
    let err = load_err(
        "sweep-small-bad",
        r#""grid": {"duration_s": [100, 10], "warmup_s": [0, 50]}"#,
    );
    assert!(
        err.contains("grid.duration_s = 10, grid.warmup_s = 50"),
        "{err}"
    );
}

/// Every number in results.csv is the number written in results.jsonl. The CSV is built
/// from parsed rows, and serde_json's default float parser can be one ulp off; 83 of the
/// 3,255 metric cells of the keep-alive golden sweep differed. The JSON tokens here are
/// read as text and parsed by Rust's own correctly rounded `str::parse`, independently
/// of serde_json.
#[test]
fn csv_cells_are_the_jsonl_numbers_exactly() {
    let e = load(
        "sweep-csv-exact",
        r#""replications": 3, "grid": {"functions[0].workload.rate_per_s": [0.7, 3.3],
            "functions[0].keep_alive.idle_s": [1.1, 7.7]}"#,
    );
    let out = temp_dir("sweep-csv-exact-out");
    run_lib(&e, &out, 2, Shard::ALL, false);
    let jsonl = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    rows.sort_by_key(|r| (r[0].parse::<u64>().unwrap(), r[1].parse::<u64>().unwrap()));
    let mut compared = 0;
    for line in jsonl.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let (point, rep) = (
            row["point"].as_u64().unwrap(),
            row["replication"].as_u64().unwrap(),
        );
        let cells = &rows[(point * 3 + rep) as usize];
        let metrics = &line[line.find("\"metrics\":{").unwrap() + 11..];
        let metrics = &metrics[..metrics.find('}').unwrap()];
        for pair in metrics.split(',') {
            let (name, token) = pair.split_once(':').unwrap();
            let name = name.trim_matches('"');
            if token == "null" {
                continue;
            }
            let column = header.iter().position(|h| *h == name).unwrap();
            let want: f64 = token.parse().unwrap();
            let got: f64 = cells[column].parse().unwrap();
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{name} at {point}/{rep}: {token}"
            );
            compared += 1;
        }
    }
    assert!(compared > 300, "{compared} cells compared");
}
