//! The express lane (`src/sim/express.rs`) serves plain functions' warm starts and request
//! ends without the general path's branches. These tests check that it changes no result:
//! every figure is byte-identical to the general path's (`RunOptions::general_path`) on
//! scenarios that take each exit back to the general path (cold starts, timeouts, errors,
//! warm-up pings, lifetimes, binding concurrency limits, memory pressure, replayed
//! durations, functions run apart), that the lane was taken where it should be, and that
//! functions or runs it does not cover never take it.

use std::path::Path;

use crate::common::*;
use faassim::sim::{self, RunOptions, RunOutput};
use faassim::{RunResult, Scenario};

/// Runs `s` on the general path only, or with the express lane.
fn run_path(s: &Scenario, general_path: bool) -> RunOutput {
    sim::run(
        s,
        RunOptions {
            general_path,
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `s` both ways; asserts byte-identical results and returns them with the number
/// of requests that took the lane.
fn assert_same(s: &Scenario) -> (RunResult, u64) {
    let general = run_path(s, true);
    assert_eq!(
        general.express_requests, 0,
        "the general path took the lane"
    );
    let express = run_path(s, false);
    assert_eq!(
        RunResult::new(s, &general).to_json(),
        RunResult::new(s, &express).to_json(),
        "the express lane changed the results"
    );
    (RunResult::new(s, &express), express.express_requests)
}

/// One function (`extra` in its object) on AWS Lambda, Poisson 40 req/s, exponential
/// executions (mean 50 ms) and 300 ms cold starts, for `duration_s` after a 60-s warm-up;
/// `platform` goes in the scenario's object.
fn one(duration_s: u32, platform: &str, extra: &str) -> Scenario {
    scenario(&format!(
        r#"{{"name": "express", "seed": 5, "duration_s": {duration_s}, "warmup_s": 60,
            "platform": "aws-lambda" {platform},
            "functions": [{{"name": "f", "runtime": "nodejs",
              "exec_ms": {{"dist": "exponential", "mean": 50}},
              "cold_start_ms": {{"dist": "const", "value": 300}},
              "workload": {{"kind": "poisson", "rate_per_s": 40}} {extra}}}]}}"#
    ))
}

/// Requests that end in an error or a timeout, cold starts after short keep-alives, and a
/// warm-up window: the lane ends the errors, the general path the timeouts and the cold
/// starts, and the totals match.
#[test]
fn errors_timeouts_and_cold_starts_give_identical_results() {
    let s = one(
        900,
        "",
        r#", "failure_probability": 0.05, "timeout_s": 0.15,
           "keep_alive": {"policy": "fixed", "idle_s": 0.05}"#,
    );
    let (r, express) = assert_same(&s);
    let t = &r.total;
    assert!(
        t.errors > 0 && t.timeouts > 0,
        "{} errors, {} timeouts",
        t.errors,
        t.timeouts
    );
    assert!(t.cold_starts > 100 && t.warm_starts > 1000, "{t:?}");
    // The lane starts warm requests only, and (in this run) most of them.
    assert!(express <= t.warm_starts + 2_400, "{express} > warm starts");
    assert!(
        express > t.warm_starts / 2,
        "only {express} of {}",
        t.warm_starts
    );
}

/// Warm-up pings (general path) share instances with the lane's requests; instances reach
/// their maximum lifetime while idle and while busy; idle instances are reused least
/// recently used first, at random, or most recently used first.
#[test]
fn pings_lifetimes_and_reuse_rules_give_identical_results() {
    for reuse in ["mru", "lru", "random"] {
        let s = one(
            1200,
            r#", "platform_overrides": {"max_instance_lifetime_s": 40}"#,
            &format!(
                r#", "reuse": "{reuse}", "warmers": {{"every_s": 5, "concurrency": 3}},
                   "keep_alive": {{"policy": "fixed", "idle_s": 30}}"#
            ),
        );
        let (r, express) = assert_same(&s);
        assert!(
            express > 10_000,
            "{reuse}: {express} requests took the lane"
        );
        assert!(
            r.total.evictions > 0,
            "{reuse}: lifetimes should recycle instances"
        );
    }
}

/// A reserved concurrency that throttles bursts (no headroom: the general path refuses),
/// and a memory capacity that evicts idle instances of other functions (the lane files
/// and unfiles idle instances in the eviction order).
#[test]
fn binding_limits_and_memory_pressure_give_identical_results() {
    let s = scenario(
        r#"{"name": "limits", "seed": 9, "duration_s": 600, "platform": "aws-lambda",
            "platform_overrides": {"memory_capacity_gb": 2},
            "functions": [
              {"name": "bursty", "runtime": "nodejs", "memory_mb": 512, "max_concurrency": 3,
               "exec_ms": {"dist": "exponential", "mean": 200},
               "keep_alive": {"policy": "fixed", "idle_s": 60},
               "workload": {"kind": "mmpp", "states": [{"rate_per_s": 2, "mean_sojourn_s": 20},
                                                  {"rate_per_s": 40, "mean_sojourn_s": 5}]}},
              {"name": "steady", "runtime": "python", "memory_mb": 1024,
               "exec_ms": {"dist": "lognormal", "mu": 4.4, "sigma": 0.8},
               "keep_alive": {"policy": "fixed", "idle_s": 120},
               "workload": {"kind": "poisson", "rate_per_s": 15}}]}"#,
    );
    let (r, express) = assert_same(&s);
    assert!(r.total.throttled > 0, "the reserved limit should bind");
    assert!(r.total.evictions > 0, "the capacity should evict");
    assert!(express > 2_000, "{express} requests took the lane");
}

/// Execution times replayed from a per-invocation trace (Azure 2021) rather than drawn.
#[test]
fn replayed_durations_give_identical_results() {
    let s = scenario_in(
        r#"{"name": "t", "seed": 1, "duration_s": 3600,
            "traces": {"format": "azure2021",
              "invocations": "azure2021/AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt",
              "replay_durations": true, "template": {"runtime": "python"}}}"#,
        Path::new("workloads/traces"),
    );
    let (_, express) = assert_same(&s);
    assert!(express > 100, "{express} requests took the lane");
}

/// Sixteen functions that share nothing run apart, one at a time, each on the lane.
#[test]
fn functions_run_apart_give_identical_results() {
    let functions: Vec<String> = (0..16)
        .map(|i| {
            format!(
                r#"{{"name": "f{i}", "runtime": "nodejs",
                    "exec_ms": {{"dist": "exponential", "mean": {}}},
                    "keep_alive": {{"policy": "fixed", "idle_s": {}}},
                    "workload": {{"kind": "poisson", "rate_per_s": {}}}}}"#,
                30 + 10 * i,
                [2, 10, 60][i % 3],
                0.5 + i as f64
            )
        })
        .collect();
    let s = scenario(&format!(
        r#"{{"name": "apart", "seed": 3, "duration_s": 900, "functions": [{}]}}"#,
        functions.join(",")
    ));
    assert!(run_path(&s, false).ran_apart);
    let (_, express) = assert_same(&s);
    assert!(express > 50_000, "{express} requests took the lane");
}

/// What the lane does not cover never takes it: several requests per instance, a learning
/// keep-alive, a platform with a pending queue, an autoscaler, a request log.
#[test]
fn functions_and_runs_outside_the_lane_never_take_it() {
    let cases = [
        one(
            300,
            r#", "platform_overrides": {"per_instance_concurrency": 4}"#,
            "",
        ),
        one(300, "", r#", "keep_alive": {"policy": "hybrid_histogram"}"#),
        one(
            300,
            r#", "platform_overrides": {"pending_timeout_s": 1}"#,
            "",
        ),
        one(
            300,
            r#", "platform_overrides": {"per_instance_concurrency": 2,
                 "autoscaler": {"target": 0.5, "interval_s": 2, "window_s": 6}}"#,
            "",
        ),
    ];
    for s in &cases {
        let (r, express) = assert_same(s);
        assert_eq!(express, 0, "{:?}", s.functions[0]);
        assert!(r.total.warm_starts > 1000);
    }
    // The same plain function takes the lane without a log, not with one.
    let s = one(300, "", "");
    assert!(run_path(&s, false).express_requests > 10_000);
    let mut log = crate::common::Collect::default();
    assert_eq!(run_with(&s, &mut log).express_requests, 0);
}
