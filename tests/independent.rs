//! Functions that share nothing run apart, one at a time (`src/sim/independent.rs`). These
//! tests check that this changes no result: every figure of every function, and of the
//! fleet, is byte-identical to the interleaved event loop's on scenarios that exercise each
//! per-function rule; the account's concurrency limit, which functions do share, sends a
//! run back to the interleaved loop when it may bind; anything else that ties functions
//! together keeps them interleaved; and the fleet's instance count, rebuilt from the
//! functions' changes, matches a hand count. Functions run apart may be split among
//! threads: every comparison also runs with 2, 3 and 40 threads (more than the
//! functions), which must give the same bytes as one.

use crate::common::*;
use faassim::sim::{self, RunOptions, RunOutput};
use faassim::{RunResult, Scenario};

/// Runs `s` interleaved or (where it may) apart, with `threads` threads.
fn run_threads(s: &Scenario, interleaved: bool, threads: usize) -> RunOutput {
    sim::run(
        s,
        RunOptions {
            interleaved,
            threads,
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `s` interleaved or (where it may) apart, on this thread.
fn run_mode(s: &Scenario, interleaved: bool) -> RunOutput {
    run_threads(s, interleaved, 1)
}

/// Both loops' results as JSON, and whether the second ran apart. The second is the
/// same, bytes and events, on 2, 3 and 40 threads.
fn both(s: &Scenario) -> (String, String, bool) {
    let together = run_mode(s, true);
    assert!(!together.ran_apart);
    let apart = run_mode(s, false);
    let apart_json = RunResult::new(s, &apart).to_json();
    for threads in [2, 3, 40] {
        let split = run_threads(s, false, threads);
        assert_eq!(split.ran_apart, apart.ran_apart, "{threads} threads");
        assert_eq!(split.events, apart.events, "{threads} threads");
        assert_eq!(
            split.express_requests, apart.express_requests,
            "{threads} threads"
        );
        assert_eq!(
            RunResult::new(s, &split).to_json(),
            apart_json,
            "{threads} threads changed the results"
        );
    }
    (
        RunResult::new(s, &together).to_json(),
        apart_json,
        apart.ran_apart,
    )
}

/// `n` functions with Poisson arrivals of different rates and exponential executions
/// (means `slower` × 40, 55, 70 … ms), each with `extra(i)` in its object; `platform` goes
/// in the scenario's object.
fn fleet_of(
    n: usize,
    duration_s: u32,
    slower: f64,
    platform: &str,
    extra: impl Fn(usize) -> String,
) -> Scenario {
    let functions: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"name": "f{i}", "runtime": "{}",
                  "exec_ms": {{"dist": "exponential", "mean": {}}},
                  "workload": {{"kind": "poisson", "rate_per_s": {}}} {}}}"#,
                ["nodejs", "python", "java"][i % 3],
                slower * (40 + 15 * i) as f64,
                0.05 + 0.4 * i as f64,
                extra(i)
            )
        })
        .collect();
    scenario(&format!(
        r#"{{"name": "apart", "seed": 11, "duration_s": {duration_s}, "warmup_s": 60 {platform},
            "functions": [{}]}}"#,
        functions.join(",")
    ))
}

/// [`fleet_of`] with the shorter executions.
fn fleet(n: usize, duration_s: u32, platform: &str, extra: impl Fn(usize) -> String) -> Scenario {
    fleet_of(n, duration_s, 1.0, platform, extra)
}

/// Runs both ways and asserts byte-identical results, run apart.
fn assert_same_apart(s: &Scenario) {
    let (together, apart, ran_apart) = both(s);
    assert!(ran_apart, "expected this scenario to run apart");
    assert_eq!(together, apart, "running apart changed the results");
}

#[test]
fn fixed_keep_alives_and_a_warm_up_give_identical_results() {
    let s = fleet(20, 1800, "", |i| {
        format!(
            r#", "keep_alive": {{"policy": "fixed", "idle_s": {}}}"#,
            [1, 5, 30, 600][i % 4]
        )
    });
    assert_same_apart(&s);
}

#[test]
fn asynchronous_retries_errors_and_timeouts_give_identical_results() {
    let s = fleet(18, 1200, "", |i| {
        let invocation = if i % 2 == 0 { "async" } else { "sync" };
        format!(
            r#", "invocation": "{invocation}", "failure_probability": 0.1, "timeout_s": 0.2,
               "keep_alive": {{"policy": "fixed", "idle_s": 20}}"#
        )
    });
    assert_same_apart(&s);
}

#[test]
fn hybrid_keep_alive_warmers_and_lifetimes_give_identical_results() {
    let s = fleet(
        16,
        3600,
        r#", "platform_overrides": {"max_instance_lifetime_s": 300}"#,
        |i| match i % 3 {
            0 => r#", "keep_alive": {"policy": "hybrid_histogram"}"#.to_owned(),
            1 => r#", "warmers": {"every_s": 60, "concurrency": 2},
                     "keep_alive": {"policy": "fixed", "idle_s": 45}"#
                .to_owned(),
            _ => r#", "keep_alive": {"policy": "fixed", "idle_s": 2}"#.to_owned(),
        },
    );
    assert_same_apart(&s);
}

#[test]
fn reserved_concurrency_and_a_pending_queue_give_identical_results() {
    // Reserved concurrency binds (throttles) for the busy functions; their own limit is not
    // shared, so they still run apart.
    let s = fleet_of(
        16,
        900,
        20.0,
        r#", "platform_overrides": {"pending_timeout_s": 0.5}"#,
        |i| format!(r#", "max_concurrency": {}"#, 1 + i % 2),
    );
    let (together, apart, ran_apart) = both(&s);
    assert!(ran_apart);
    assert_eq!(together, apart);
    let r = run(&s);
    assert!(r.total.throttled > 0, "the reserved limits should bind");
}

#[test]
fn several_requests_per_instance_and_an_autoscaler_give_identical_results() {
    let s = fleet_of(
        16,
        900,
        10.0,
        r#", "platform_overrides": {"per_instance_concurrency": 4,
              "autoscaler": {"target": 0.5, "interval_s": 2, "window_s": 6}}"#,
        |i| format!(r#", "routing": "{}""#, ["pack", "spread"][i % 2]),
    );
    assert_same_apart(&s);
}

/// The account's concurrency is shared: when it binds, the run is done interleaved (and
/// gives the interleaved answer); when it cannot bind, the functions run apart.
#[test]
fn the_account_limit_sends_a_run_back_to_the_interleaved_loop_when_it_may_bind() {
    let busy = |account: u32| {
        fleet_of(
            16,
            600,
            20.0,
            &format!(
                r#", "platform_overrides": {{"account_concurrency": {account},
                     "min_unreserved_concurrency": 0}}"#
            ),
            |_| String::new(),
        )
    };
    // Σ rates × mean executions ≈ 190 requests in flight on average: 10 binds.
    let binding = busy(10);
    let (together, apart, ran_apart) = both(&binding);
    assert!(!ran_apart, "a binding account limit must not run apart");
    assert_eq!(together, apart);
    assert!(run(&binding).total.throttled > 0);
    // A limit far above the load: apart, and the same as interleaved.
    let loose = busy(100_000);
    let (together, apart, ran_apart) = both(&loose);
    assert!(ran_apart);
    assert_eq!(together, apart);
    assert_eq!(run(&loose).total.throttled, 0);
    // Reserved concurrency shrinks the shared pool for every function: function 1 reserves
    // 99,990 of 100,000, leaving 10 for the others (about 190 in flight) however the
    // functions are split among threads (on 2, function 1 is on the second).
    let reserving = fleet_of(
        16,
        600,
        20.0,
        r#", "platform_overrides": {"account_concurrency": 100000,
             "min_unreserved_concurrency": 0}"#,
        |i| {
            if i == 1 {
                r#", "max_concurrency": 99990"#.to_owned()
            } else {
                String::new()
            }
        },
    );
    let (together, apart, ran_apart) = both(&reserving);
    assert!(!ran_apart, "a binding shared pool must not run apart");
    assert_eq!(together, apart);
    assert!(run(&reserving).total.throttled > 0);
}

/// Anything that ties functions together keeps them in one queue.
#[test]
fn coupled_scenarios_stay_interleaved() {
    /// Platform settings, each function's extra settings, and the reason expected.
    type Case<'a> = (&'a str, &'a dyn Fn(usize) -> String, &'a str);
    let cases: [Case; 5] = [
        ("", &|_| String::new(), "few functions"),
        (
            "",
            &|i| {
                if i == 0 {
                    r#", "calls": [{"function": "f1"}]"#.to_owned()
                } else {
                    String::new()
                }
            },
            "calls between functions",
        ),
        (
            "",
            &|i| {
                if i == 3 {
                    r#", "provisioned": {"policy": "fixed", "count": 1}"#.to_owned()
                } else {
                    String::new()
                }
            },
            "provisioned concurrency",
        ),
        (
            r#", "platform_overrides": {"memory_capacity_gb": 64}"#,
            &|_| String::new(),
            "a memory capacity",
        ),
        (
            "",
            &|i| {
                if i == 5 {
                    r#", "cpu_fraction": 0.5"#.to_owned()
                } else {
                    String::new()
                }
            },
            "fleet CPU demand",
        ),
    ];
    for (k, (platform, extra, reason)) in cases.into_iter().enumerate() {
        let n = if k == 0 { 15 } else { 16 };
        let s = fleet(n, 300, platform, extra);
        assert_eq!(sim::coupling(&s), Some(reason));
        let (together, apart, ran_apart) = both(&s);
        assert!(!ran_apart, "{reason}: ran apart");
        assert_eq!(together, apart, "{reason}");
    }
    assert_eq!(sim::APART_FROM_FUNCTIONS, 16);
}

/// 16 functions with 0.5 s cold starts, 1 s executions and a 10 s keep-alive over a 40 s
/// run, function i arriving as `workload(i)` says (files in `dir`).
fn timed_fleet(dir: &std::path::Path, workload: impl Fn(usize) -> String) -> Scenario {
    let functions: Vec<String> = (0..16)
        .map(|i| {
            format!(
                r#"{{"name": "f{i}", "runtime": "nodejs",
                  "exec_ms": {{"dist": "const", "value": 1000}},
                  "cold_start_ms": {{"dist": "const", "value": 500}},
                  "keep_alive": {{"policy": "fixed", "idle_s": 10}},
                  "workload": {}}}"#,
                workload(i)
            )
        })
        .collect();
    scenario_in(
        &format!(
            r#"{{"name": "fleet", "duration_s": 40, "functions": [{}]}}"#,
            functions.join(",")
        ),
        dir,
    )
}

/// 16 functions, one request each, function i at i seconds; 0.5 s cold start, 1 s
/// execution, 10 s keep-alive: instance i lives on [i, i + 11.5). At most 12 live at once
/// (for instance just before 11.5 s: those started at 0…11), and over the 40 s window
/// the fleet averages 16 × 11.5 / 40 = 4.6 instances: 16 × 0.5 / 40 = 0.2 starting,
/// 16 × 1 / 40 = 0.4 busy, 16 × 10 / 40 = 4 idle.
#[test]
fn the_fleet_count_is_rebuilt_from_the_functions_changes() {
    let dir = temp_dir("apart-fleet");
    let s = timed_fleet(&dir, |i| {
        std::fs::write(dir.join(format!("f{i}.csv")), format!("{i}.000\n")).unwrap();
        format!(r#"{{"kind": "timestamps", "path": "f{i}.csv"}}"#)
    });
    // Apart on 2 and 3 threads, each thread holds some of the live instances: the largest
    // count needs all threads' changes.
    for (interleaved, threads) in [(true, 1), (false, 1), (false, 2), (false, 3)] {
        let out = run_threads(&s, interleaved, threads);
        assert_eq!(out.ran_apart, !interleaved);
        let r = RunResult::new(&s, &out);
        let inst = &r.total.instances;
        assert_eq!(
            inst.max_total, 12,
            "interleaved: {interleaved}, {threads} threads"
        );
        assert!((inst.mean_total - 4.6).abs() < 1e-12, "{inst:?}");
        assert!((inst.mean_provisioning - 0.2).abs() < 1e-12, "{inst:?}");
        assert!((inst.mean_busy - 0.4).abs() < 1e-12, "{inst:?}");
        assert!((inst.mean_idle - 4.0).abs() < 1e-12, "{inst:?}");
    }
}

/// The one rule where the loops may differ: instances of different functions appearing and
/// going away at the same nanosecond. Function 0's instance goes at 11.5 s (0.5 s start,
/// 1 s execution, 10 s keep-alive) just as function 1's first request starts one. The
/// interleaved loop handles the arrival first (it was scheduled first, at time 0), so for
/// an instant both exist; apart, changes at one instant are taken in function order, so
/// function 0's instance has gone first. Both are otherwise identical.
#[test]
fn simultaneous_changes_of_different_functions_are_taken_in_function_order() {
    let dir = temp_dir("apart-tie");
    std::fs::write(dir.join("late.csv"), "100.000\n").unwrap();
    std::fs::write(dir.join("f0.csv"), "0.000\n").unwrap();
    std::fs::write(dir.join("f1.csv"), "11.500\n").unwrap();
    let s = timed_fleet(&dir, |i| {
        // The others' only request comes after the end: they never start one.
        let file = ["f0.csv", "f1.csv"].get(i).unwrap_or(&"late.csv");
        format!(r#"{{"kind": "timestamps", "path": "{file}"}}"#)
    });
    let together = RunResult::new(&s, &run_mode(&s, true));
    let apart = RunResult::new(&s, &run_mode(&s, false));
    assert_eq!(together.total.instances.max_total, 2);
    assert_eq!(apart.total.instances.max_total, 1);
    // Also when functions 0 and 1 run on different threads.
    let split = RunResult::new(&s, &run_threads(&s, false, 2));
    assert_eq!(split.to_json(), apart.to_json());
    // Everything else agrees: the means, and every function's own figures.
    assert_eq!(
        together.total.instances.mean_total,
        apart.total.instances.mean_total
    );
    for (a, b) in together.functions.iter().zip(&apart.functions) {
        assert_eq!(
            serde_json::to_string(&a.1).unwrap(),
            serde_json::to_string(&b.1).unwrap()
        );
    }
}

/// A run's summary builds its per-function summaries in parallel: the result is the same
/// bytes on a pool of one thread and on a pool of four, functions in scenario order, the
/// totals (costs and idle memory-time are floating-point sums) summed in that order.
#[test]
fn summaries_do_not_depend_on_the_thread_count() {
    let s = fleet(40, 900, "", |i| {
        format!(
            r#", "keep_alive": {{"policy": "fixed", "idle_s": {}}}"#,
            [2, 30, 600][i % 3]
        )
    });
    let out = run_mode(&s, false);
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| RunResult::new(&s, &out).to_json())
    };
    let one = on(1);
    assert_eq!(one, on(4));
    let names: Vec<String> = (0..40).map(|i| format!("\"f{i}\": {{")).collect();
    let at: Vec<usize> = names
        .iter()
        .map(|n| one.find(n.as_str()).unwrap())
        .collect();
    assert!(at.is_sorted(), "functions out of scenario order");
}
