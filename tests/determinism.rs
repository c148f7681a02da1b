use crate::common::*;
use faassim::report::JsonLinesLog;
use faassim::sim::{self, RunOptions};
use faassim::{RunResult, Scenario};

const QUICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/quickstart.json");

fn json_of(s: &Scenario) -> (String, Vec<u8>) {
    let mut log = JsonLinesLog::new(Vec::new(), "memory");
    let out = sim::run(
        s,
        RunOptions {
            log: Some(&mut log),
            progress: None,
            interleaved: false,
            general_path: false,
            threads: 1,
        },
    )
    .unwrap();
    (RunResult::new(s, &out).to_json(), log.finish().unwrap())
}

#[test]
fn same_seed_gives_byte_identical_results_and_logs() {
    let mut s = Scenario::load(std::path::Path::new(QUICKSTART)).unwrap();
    s.duration = faassim::SimTime::from_secs(300.0);
    let (a, log_a) = json_of(&s);
    let (b, log_b) = json_of(&s);
    assert_eq!(a, b);
    assert_eq!(log_a, log_b);
    assert!(!log_a.is_empty());
    s.seed += 1;
    let (c, _) = json_of(&s);
    assert_ne!(a, c, "a different seed should give different results");
}

/// Each function draws from its own streams: changing one function's settings leaves the
/// other's results, and its own arrivals, untouched (common random numbers).
#[test]
fn functions_have_independent_streams() {
    let make = |idle_b: f64| {
        scenario(&format!(
            r#"{{"name": "crn", "seed": 5, "duration_s": 600,
              "functions": [
                {{"name": "a", "runtime": "python", "exec_ms": {{"dist": "exponential", "mean": 100}},
                  "workload": {{"kind": "poisson", "rate_per_s": 5}}}},
                {{"name": "b", "runtime": "nodejs", "exec_ms": {{"dist": "exponential", "mean": 100}},
                  "keep_alive": {{"policy": "fixed", "idle_s": {idle_b}}},
                  "workload": {{"kind": "poisson", "rate_per_s": 2}}}}]}}"#
        ))
    };
    let r1 = run(&make(600.0));
    let r2 = run(&make(0.5));
    let a1 = serde_json::to_string(&r1.functions[0].1).unwrap();
    let a2 = serde_json::to_string(&r2.functions[0].1).unwrap();
    assert_eq!(a1, a2, "function a changed when only b's keep-alive did");
    let (b1, b2) = (&r1.functions[1].1, &r2.functions[1].1);
    assert_eq!(
        b1.invocations, b2.invocations,
        "b's arrivals changed with its keep-alive"
    );
    assert!(b2.cold_starts > b1.cold_starts);
}

/// With 16 or more functions the latency histograms record in sorted batches; the results
/// must not change. Function 0 draws the same streams whatever follows it, and nothing
/// binds across functions here, so its summary alone and among 19 others must be equal.
#[test]
fn batched_histograms_give_the_same_results() {
    let f = |i: usize| {
        format!(
            r#"{{"name": "f{i}", "runtime": "python",
              "exec_ms": {{"dist": "lognormal", "median": 90, "p99": 900}},
              "keep_alive": {{"policy": "fixed", "idle_s": 20}},
              "workload": {{"kind": "poisson", "rate_per_s": 3}}}}"#
        )
    };
    let make = |n: usize| {
        let fs: Vec<String> = (0..n).map(f).collect();
        scenario(&format!(
            r#"{{"name": "b", "seed": 4, "duration_s": 3000, "functions": [{}]}}"#,
            fs.join(",")
        ))
    };
    let alone = run(&make(1));
    let among = run(&make(20));
    assert_eq!(
        serde_json::to_string(&alone.functions[0].1).unwrap(),
        serde_json::to_string(&among.functions[0].1).unwrap()
    );
    assert!(alone.functions[0].1.cold_starts > 0 && alone.functions[0].1.warm_starts > 1000);
}
