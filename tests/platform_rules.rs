//! Platform rules against published examples and hand-worked traces: scale-out token
//! buckets (current and legacy AWS Lambda rules), several requests per instance with
//! routing and CPU sharing, VPC set-up, timeouts, function errors and asynchronous retries.

use std::path::Path;

use crate::common::{MS, S, assert_close, run, run_logged, scenario, scenario_in};
use faassim::sim::{Outcome, Status};

/// Writes arrival times (milliseconds, exact decimal text) as a `timestamps` file.
fn arrivals(dir: &Path, name: &str, ms: impl IntoIterator<Item = u64>) -> String {
    let text: String = ms
        .into_iter()
        .map(|t| format!("{}.{:03}\n", t / 1000, t % 1000))
        .collect();
    std::fs::write(dir.join(name), text).unwrap();
    name.to_owned()
}

/// A one-function scenario on aws-lambda with constant execution and cold-start times.
fn one_function(
    dir: &Path,
    file: &str,
    exec_ms: f64,
    cold_ms: f64,
    overrides: &str,
    extra: &str,
) -> faassim::Scenario {
    scenario_in(
        &format!(
            r#"{{"name": "t", "duration_s": 100000, "platform": "aws-lambda",
                "platform_overrides": {overrides},
                "functions": [{{"name": "f", "runtime": "nodejs",
                  "exec_ms": {{"dist": "const", "value": {exec_ms}}},
                  "cold_start_ms": {{"dist": "const", "value": {cold_ms}}},
                  "workload": {{"kind": "timestamps", "path": "{file}"}} {extra}}}]}}"#
        ),
        dir,
    )
}

/// The legacy rule as AWS's burst examples use it: 10,000 concurrency, a 3,000 burst, then
/// +500 per minute; no per-function rate.
const LEGACY: &str = r#"{"account_concurrency": 10000, "initial_burst": 3000,
    "burst_per_minute": 500, "scale_out_per_10s": null}"#;

/// Throttled requests per arrival minute.
fn throttled_per_minute(recs: &[crate::common::Rec], minutes: usize) -> Vec<u64> {
    let mut out = vec![0; minutes];
    for r in recs {
        if r.outcome == Outcome::Throttled {
            out[(r.arrival_ns / (60 * S)) as usize] += 1;
        }
    }
    out
}

/// 10,000 requests spread evenly over `minutes` minutes (at the midpoints of equal
/// slots, in whole milliseconds), each holding its environment for 60 s.
fn legacy_example(test: &str, minutes: u64) -> (faassim::RunResult, Vec<crate::common::Rec>) {
    let dir = crate::common::temp_dir(test);
    let n = 10_000u64;
    let span_ms = minutes * 60_000;
    let file = arrivals(
        &dir,
        "a.csv",
        (0..n).map(|i| (2 * i + 1) * span_ms / (2 * n)),
    );
    let s = one_function(&dir, &file, 60_000.0, 0.0, LEGACY, "");
    run_logged(&s)
}

/// AWS Lambda operator guide, legacy burst example (peers.md F.3): 10,000 synchronous
/// requests at once with a 3,000 burst: 3,000 start environments, 7,000 are throttled.
#[test]
fn legacy_burst_all_at_once() {
    let dir = crate::common::temp_dir("legacy-at-once");
    let file = arrivals(&dir, "a.csv", std::iter::repeat_n(0, 10_000));
    let s = one_function(&dir, &file, 60_000.0, 0.0, LEGACY, "");
    let r = run(&s).total;
    assert_eq!(r.cold_starts, 3_000);
    assert_eq!(r.throttled, 7_000);
    assert_eq!(r.throttle_causes.scale_out, 7_000);
}

/// Over 2 minutes: minute 1 serves 3,000 and throttles 2,000; minute 2 has 3,500
/// environments (the first 3,000 reused plus 500 new) and throttles 1,500.
#[test]
fn legacy_burst_over_two_minutes() {
    let (r, recs) = legacy_example("legacy-2", 2);
    assert_eq!(throttled_per_minute(&recs, 2), vec![2_000, 1_500]);
    assert_eq!(r.total.cold_starts, 3_500);
    assert_eq!(r.total.warm_starts, 3_000);
}

/// Over 3 minutes: 333 throttled in minute 1, none afterwards.
#[test]
fn legacy_burst_over_three_minutes() {
    let (r, recs) = legacy_example("legacy-3", 3);
    assert_eq!(throttled_per_minute(&recs, 3), vec![333, 0, 0]);
    assert_eq!(r.total.throttled, 333);
}

/// Over 4 minutes: nothing throttled.
#[test]
fn legacy_burst_over_four_minutes() {
    let (r, recs) = legacy_example("legacy-4", 4);
    assert_eq!(throttled_per_minute(&recs, 4), vec![0, 0, 0, 0]);
    assert_eq!(r.total.throttled, 0);
    assert_eq!(r.total.invocations, 10_000);
}

/// Current rule (AWS docs "Lambda scaling behavior"): +1,000 environments per 10 s per
/// function. 3,000 simultaneous requests to a cold function: exactly 1,000 cold starts and
/// 2,000 throttles in the first instant. One second later the bucket has refilled 100
/// tokens (continuous refill): 500 more requests give 100 cold starts and 400 throttles.
#[test]
fn current_token_bucket() {
    let dir = crate::common::temp_dir("token-bucket");
    let times = std::iter::repeat_n(0, 3_000).chain(std::iter::repeat_n(1_000, 500));
    let file = arrivals(&dir, "a.csv", times);
    let overrides = r#"{"account_concurrency": 10000, "scale_out_per_10s": 1000}"#;
    let s = one_function(&dir, &file, 60_000.0, 0.0, overrides, "");
    let (r, recs) = run_logged(&s);
    let first: Vec<_> = recs.iter().filter(|r| r.arrival_ns == 0).collect();
    assert_eq!(
        first.iter().filter(|r| r.outcome == Outcome::Cold).count(),
        1_000
    );
    assert_eq!(
        first
            .iter()
            .filter(|r| r.outcome == Outcome::Throttled)
            .count(),
        2_000
    );
    assert_eq!(r.total.cold_starts, 1_100);
    assert_eq!(r.total.throttled, 2_400);
    assert_eq!(r.total.throttle_causes.scale_out, 2_400);
    assert_eq!(r.total.throttle_causes.concurrency, 0);
    // Every request ends in exactly one outcome.
    assert_eq!(
        r.total.warm_starts + r.total.cold_starts + r.total.throttled,
        r.total.invocations
    );
}

/// The account limit binds before the bucket: 1,500 at once with account concurrency
/// 1,000 and a 3,000 burst: 1,000 served, 500 throttled by concurrency.
#[test]
fn account_limit_and_bucket_are_separate_causes() {
    let dir = crate::common::temp_dir("causes");
    let file = arrivals(&dir, "a.csv", std::iter::repeat_n(0, 1_500));
    let overrides = r#"{"account_concurrency": 1000, "initial_burst": 3000,
        "burst_per_minute": 500, "scale_out_per_10s": null}"#;
    let s = one_function(&dir, &file, 1_000.0, 0.0, overrides, "");
    let r = run(&s).total;
    assert_eq!(r.cold_starts, 1_000);
    assert_eq!(r.throttle_causes.concurrency, 500);
    assert_eq!(r.throttle_causes.scale_out, 0);
}

/// Three requests per instance, cold start 50 ms, execution 100 ms. Arrivals at 0, 10, 20
/// and 30 ms: the first starts instance A, the next two join A while it starts (all three
/// begin at 50 ms and end at 150 ms); the fourth finds A full and starts B (ends at
/// 30 + 50 + 100 = 180 ms).
#[test]
fn requests_join_a_starting_instance_up_to_its_concurrency() {
    let dir = crate::common::temp_dir("join");
    let file = arrivals(&dir, "a.csv", [0, 10, 20, 30]);
    let overrides = r#"{"per_instance_concurrency": 3}"#;
    let s = one_function(&dir, &file, 100.0, 50.0, overrides, "");
    let (r, recs) = run_logged(&s);
    let instances: Vec<_> = recs.iter().map(|r| r.instance.unwrap()).collect();
    assert_eq!(instances, vec![0, 0, 0, 1]);
    let ends: Vec<_> = recs.iter().map(|r| r.end_ns / MS).collect();
    assert_eq!(ends, vec![150, 150, 150, 180]);
    assert!(recs.iter().all(|r| r.outcome == Outcome::Cold));
    assert_eq!(r.total.cold_starts, 4);
    // One cold-start duration per started instance.
    assert_eq!(r.total.cold_start_duration_ms.count, 2);
}

/// Two warm instances (three requests at t = 0 with two per instance make A and B), then
/// two requests at 1 s: `pack` puts both on one instance, `spread` one on each.
#[test]
fn pack_fills_the_busiest_instance_and_spread_the_least_busy() {
    for (routing, same) in [("pack", true), ("spread", false)] {
        let dir = crate::common::temp_dir(&format!("routing-{routing}"));
        let file = arrivals(&dir, "a.csv", [0, 0, 0, 1_000, 1_000]);
        let overrides = r#"{"per_instance_concurrency": 2}"#;
        let extra = format!(r#", "routing": "{routing}""#);
        let s = one_function(&dir, &file, 100.0, 50.0, overrides, &extra);
        let (_, recs) = run_logged(&s);
        let inst: Vec<_> = recs.iter().map(|r| r.instance.unwrap()).collect();
        assert_eq!(&inst[..3], &[0, 0, 1], "{routing}");
        assert_eq!(inst[3] == inst[4], same, "{routing}: {inst:?}");
        assert!(recs[3..].iter().all(|r| r.outcome == Outcome::Warm));
    }
}

/// Processor sharing on one vCPU, 100 ms of work per request, no cold-start delay, on one
/// instance (`max_concurrency` 1: no second instance may start, so the requests share the
/// CPU-full instance; with room to scale they would go to new instances instead, see
/// `cpu_full_instances_take_no_more_requests_while_others_can_start`).
/// Requests at 0 and 0 run at half speed; a third at 50 ms finds each with 25 ms done and
/// all three then run at a third of the speed: the first two need 75 ms more of service,
/// 225 ms of time, ending at 275 ms; the third has 25 ms left and runs alone to 300 ms.
#[test]
fn cpu_sharing_is_processor_sharing() {
    let dir = crate::common::temp_dir("sharing");
    let file = arrivals(&dir, "a.csv", [0, 0, 50]);
    let overrides = r#"{"per_instance_concurrency": 4}"#;
    let extra = r#", "max_concurrency": 1, "cpu_sharing": true, "vcpus": 1, "cpu_fraction": 1"#;
    let s = one_function(&dir, &file, 100.0, 0.0, overrides, extra);
    let (_, recs) = run_logged(&s);
    assert!(recs.iter().all(|r| r.instance == Some(0)));
    let ends: Vec<_> = recs.iter().map(|r| r.end_ns).collect();
    assert_eq!(ends, vec![275 * MS, 275 * MS, 300 * MS]);
    // Two vCPUs: two requests run at full speed, three at 2/3. Requests at 0, 0, 50 ms:
    // at 50 ms each of the first two has 50 ms done; with three at rate 2/3 the first two
    // need 75 ms (50 ms of service) → 125 ms; the third then has 100 − 50 = 50 ms left at
    // full speed → 175 ms.
    let extra = r#", "max_concurrency": 1, "cpu_sharing": true, "vcpus": 2, "cpu_fraction": 1"#;
    let s = one_function(&dir, &file, 100.0, 0.0, overrides, extra);
    let (_, recs) = run_logged(&s);
    let ends: Vec<_> = recs.iter().map(|r| r.end_ns).collect();
    assert_eq!(ends, vec![125 * MS, 125 * MS, 175 * MS]);
    // Half CPU-bound (50 ms of CPU, then 50 ms waiting on I/O): the two requests at 0
    // share one vCPU; the third, at 50 ms, finds both still on the CPU (25 ms done each)
    // and all three share it: the first two need
    // 25 ms more of CPU at a third of the speed (75 ms, to 125 ms, then 50 ms of I/O to
    // 175 ms); the third has 50 − 25 = 25 ms of CPU left alone from 125 ms (to 150 ms),
    // then 50 ms of I/O: 200 ms.
    let extra = r#", "max_concurrency": 1, "cpu_sharing": true, "vcpus": 1, "cpu_fraction": 0.5"#;
    let s = one_function(&dir, &file, 100.0, 0.0, overrides, extra);
    let (_, recs) = run_logged(&s);
    let ends: Vec<_> = recs.iter().map(|r| r.end_ns).collect();
    assert_eq!(ends, vec![175 * MS, 175 * MS, 200 * MS]);
    // No CPU-bound part: sharing changes nothing.
    let extra = r#", "max_concurrency": 1, "cpu_sharing": true, "vcpus": 1"#;
    let s = one_function(&dir, &file, 100.0, 0.0, overrides, extra);
    let (_, recs) = run_logged(&s);
    let ends: Vec<_> = recs.iter().map(|r| r.end_ns).collect();
    assert_eq!(ends, vec![100 * MS, 100 * MS, 150 * MS]);
}

/// A VPC function's cold start adds the platform's network set-up exactly.
#[test]
fn vpc_adds_the_network_set_up_to_cold_starts() {
    let dir = crate::common::temp_dir("vpc");
    let file = arrivals(&dir, "a.csv", [0]);
    let json = |vpc: bool| {
        format!(
            r#"{{"name": "t", "duration_s": 10, "platform": "aws-lambda",
                "platform_overrides": {{"vpc_setup_ms": {{"dist": "const", "value": 1000}},
                   "sandbox_ms": {{"dist": "const", "value": 100}}}},
                "functions": [{{"name": "f", "runtime": "nodejs", "vpc": {vpc},
                  "exec_ms": {{"dist": "const", "value": 10}},
                  "workload": {{"kind": "timestamps", "path": "{file}"}}}}]}}"#
        )
    };
    let (_, without) = run_logged(&scenario_in(&json(false), &dir));
    let (_, with) = run_logged(&scenario_in(&json(true), &dir));
    // Same seed, same draws for the other phases: the difference is the set-up.
    assert_eq!(
        with[0].cold_start_ns.unwrap() - without[0].cold_start_ns.unwrap(),
        1_000 * MS
    );
}

/// Execution 5 s with a 2 s timeout: the request ends at start + 2 s with a timeout, is
/// billed 2 s, and the instance is discarded, so the next request is cold again.
#[test]
fn timeout_ends_the_request_bills_to_the_timeout_and_resets_the_instance() {
    let dir = crate::common::temp_dir("timeout");
    let file = arrivals(&dir, "a.csv", [0, 10_000]);
    let s = one_function(&dir, &file, 5_000.0, 100.0, "{}", r#", "timeout_s": 2"#);
    let (r, recs) = run_logged(&s);
    assert_eq!(recs[0].end_ns, 2_100 * MS);
    assert_eq!(recs[0].status, Status::Timeout);
    assert_eq!(recs[1].outcome, Outcome::Cold);
    assert_eq!(r.total.timeouts, 2);
    assert_eq!(r.total.evictions_by_cause.reset, 2);
    // Billed: 2 × 2,000 ms at 128 MB (the platform default), $0.0000166667 per GB-s:
    // 4 s × 0.125 GB × 0.0000166667 = $0.00000833335, plus init (overridden cold starts bill
    // their whole duration as init: 2 × 100 ms × 0.125 GB × 0.0000166667 = $0.000000416668).
    let compute = r.total.cost_usd.compute;
    let expected = 4.0 * 0.125 * 1.66667e-5 + 0.2 * 0.125 * 1.66667e-5;
    assert!(
        (compute - expected).abs() < 1e-12,
        "{compute} vs {expected}"
    );
}

/// A timeout longer than the platform allows is an input error.
#[test]
fn timeout_above_the_platform_maximum_is_rejected() {
    let dir = crate::common::temp_dir("timeout-max");
    let file = arrivals(&dir, "a.csv", [0]);
    let json = format!(
        r#"{{"name": "t", "duration_s": 10,
            "functions": [{{"name": "f", "runtime": "nodejs", "timeout_s": 1000,
              "exec_ms": {{"dist": "const", "value": 10}},
              "workload": {{"kind": "timestamps", "path": "{file}"}}}}]}}"#
    );
    let err = faassim::Scenario::from_str(&json, "t.json", &dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("functions[0].timeout_s: expected at most 900 s"),
        "{err}"
    );
}

/// Lambda's asynchronous retries on a function that always fails: each event runs 3 times
/// (the attempt and 2 retries, waiting 60 s then 120 s after each failure) and is then
/// dead-lettered.
#[test]
fn async_errors_are_retried_twice_then_dead_lettered() {
    let dir = crate::common::temp_dir("async-fail");
    let file = arrivals(&dir, "a.csv", (0..10).map(|i| i * 1_000_000));
    let extra = r#", "invocation": "async", "failure_probability": 1"#;
    let s = one_function(&dir, &file, 1_000.0, 0.0, "{}", extra);
    let (r, recs) = run_logged(&s);
    let e = r.total.events.as_ref().unwrap();
    assert_eq!(e.events, 10);
    assert_eq!(e.error_retries, 20);
    assert_eq!(e.dead_lettered, 10);
    assert_eq!(e.succeeded, 0);
    // Delays are those of successful attempts: none.
    assert_eq!((e.queue_delay_ms.count, e.end_to_end_ms.count), (0, 0));
    assert_eq!(r.total.invocations, 30);
    assert_eq!(r.total.errors, 30);
    // The first event: attempts at 0 s, 1 + 60 = 61 s and 62 + 120 = 182 s.
    let first: Vec<_> = recs
        .iter()
        .filter(|r| r.arrival_ns < 1_000 * S)
        .map(|r| r.arrival_ns / MS)
        .collect();
    assert_eq!(first, vec![0, 61_000, 182_000]);
    assert!(recs.iter().all(|r| r.status == Status::Error));
}

/// Throttled events back off 1, 2, 4, 8 s (doubling). Reserved concurrency 1, execution
/// 10 s: two events at 0 s; the second is throttled at 0, 1, 3 and 7 s and runs at 15 s.
/// The same with both events at 5 s, all 5 s later (delays run from the event's arrival).
#[test]
fn async_throttles_back_off_exponentially() {
    for t0 in [0, 5] {
        async_throttles_back_off_from(t0);
    }
}

fn async_throttles_back_off_from(t0: u64) {
    let dir = crate::common::temp_dir(&format!("async-throttle-{t0}"));
    let file = arrivals(&dir, "a.csv", [t0 * 1_000, t0 * 1_000]);
    let extra = r#", "invocation": "async", "max_concurrency": 1"#;
    let s = one_function(&dir, &file, 10_000.0, 0.0, "{}", extra);
    let (r, recs) = run_logged(&s);
    let e = r.total.events.as_ref().unwrap();
    assert_eq!(e.throttle_retries, 4);
    assert_eq!(e.succeeded, 2);
    let throttled: Vec<_> = recs
        .iter()
        .filter(|r| r.outcome == Outcome::Throttled)
        .map(|r| r.arrival_ns / S - t0)
        .collect();
    assert_eq!(throttled, vec![0, 1, 3, 7]);
    // The successful attempt of the second event starts at 15 s and ends at 25 s.
    let last = recs.last().unwrap();
    assert_eq!(
        (last.arrival_ns, last.end_ns),
        ((t0 + 15) * S, (t0 + 25) * S)
    );
    // Queue delays 0 and 15 s; end to end 10 and 25 s (histograms keep 3 significant
    // digits).
    let close = |v: Option<f64>, want: f64| (v.unwrap() - want).abs() <= want * 1e-3;
    assert!(
        close(e.queue_delay_ms.max, 15_000.0),
        "{:?}",
        e.queue_delay_ms
    );
    assert!(
        close(e.end_to_end_ms.max, 25_000.0),
        "{:?}",
        e.end_to_end_ms
    );
    assert_eq!(e.queue_delay_ms.count, 2);
    assert_eq!(r.total.invocations, 6);
}

/// An event whose next retry would be older than the maximum event age is dead-lettered
/// as expired: with a 100 s limit, an always-failing 1 s function retries once (at 61 s)
/// and the second retry (due at 182 s) is past the limit.
#[test]
fn async_events_expire_at_the_maximum_age() {
    let dir = crate::common::temp_dir("async-age");
    let file = arrivals(&dir, "a.csv", [0]);
    let extra = r#", "invocation": "async", "failure_probability": 1,
        "async": {"max_event_age_s": 100}"#;
    let s = one_function(&dir, &file, 1_000.0, 0.0, "{}", extra);
    let r = run(&s).total;
    let e = r.events.unwrap();
    assert_eq!((e.error_retries, e.expired, e.dead_lettered), (1, 1, 0));
    assert_eq!(r.invocations, 2);
}

/// Errors occur with the configured probability: a binomial count within 4 standard
/// errors (a false alarm about once in 16,000 runs; a rate off by 0.02 is outside the
/// band with probability > 0.99 at this n).
#[test]
fn failure_probability_sets_the_error_rate() {
    let json = r#"{"name": "t", "duration_s": 2000, "seed": 5,
        "functions": [{"name": "f", "runtime": "nodejs", "failure_probability": 0.3,
          "exec_ms": {"dist": "const", "value": 10},
          "workload": {"kind": "poisson", "rate_per_s": 20}}]}"#;
    let r = run(&crate::common::scenario(json)).total;
    let n = r.invocations as f64;
    let p = 0.3;
    let se = (p * (1.0 - p) / n).sqrt();
    let rate = r.errors as f64 / n;
    assert!((rate - p).abs() < 4.0 * se, "{rate} vs {p} ± {}", 4.0 * se);
    assert!(
        4.0 * se < 0.01,
        "the band must be narrow enough to catch a rate off by 0.02"
    );
}

/// M/G/1 processor sharing: one instance (reserved concurrency 1) taking every request
/// on one shared vCPU has mean response time E[S] / (1 − ρ) whatever the service-time
/// distribution (insensitivity). E[S] = 100 ms, λ = 5/s, ρ = 0.5 ⇒ 200 ms, for exponential
/// and for lognormal service. Tolerance: 4 standard errors of the mean over independent
/// replications; a check that the band would reject the FIFO M/M/1 answer's neighbour
/// (E[T] for ρ = 0.55: 222 ms) keeps the test honest about its power.
#[test]
fn single_instance_with_cpu_sharing_is_mg1_processor_sharing() {
    let service = [
        r#"{"dist": "exponential", "mean": 100}"#,
        // Lognormal with mean 100 ms: median 100·e^(−σ²/2), σ = 1.
        r#"{"dist": "lognormal", "median": 60.653065971, "sigma": 1.0}"#,
    ];
    for exec in service {
        let means: Vec<f64> = (0..10)
            .map(|seed| {
                let json = format!(
                    r#"{{"name": "t", "duration_s": 4000, "warmup_s": 200, "seed": {seed},
                        "platform_overrides": {{"per_instance_concurrency": 1000}},
                        "functions": [{{"name": "f", "runtime": "nodejs",
                          "max_concurrency": 1, "cpu_sharing": true, "vcpus": 1,
                          "cpu_fraction": 1,
                          "per_instance_concurrency": 1000,
                          "keep_alive": {{"policy": "fixed", "idle_s": 1e9}},
                          "cold_start_ms": {{"dist": "const", "value": 0}},
                          "exec_ms": {exec},
                          "workload": {{"kind": "poisson", "rate_per_s": 5}}}}]}}"#
                );
                let r = run(&crate::common::scenario(&json)).total;
                assert_eq!(r.throttled, 0);
                r.latency_ms.mean.unwrap()
            })
            .collect();
        let (m, se) = crate::common::mean_se(&means);
        assert!((m - 200.0).abs() < 4.0 * se, "{exec}: {m} ± {se} vs 200");
        assert!(
            222.0 - 200.0 > 4.0 * se,
            "{exec}: the band ({se}) is too wide"
        );
    }
}

/// Scenario with functions `a` (the entry, driven by `file`) and others given as JSON.
fn chain(dir: &Path, file: &str, a_extra: &str, others: &str) -> faassim::Scenario {
    scenario_in(
        &format!(
            r#"{{"name": "t", "duration_s": 100000, "platform": "aws-lambda",
                "functions": [
                  {{"name": "a", "runtime": "nodejs",
                    "exec_ms": {{"dist": "const", "value": 100}},
                    "cold_start_ms": {{"dist": "const", "value": 10}},
                    "workload": {{"kind": "timestamps", "path": "{file}"}} {a_extra}}}
                  {others}]}}"#
        ),
        dir,
    )
}

/// A callee that gets no traffic of its own.
fn callee(name: &str, exec_ms: u64, extra: &str) -> String {
    format!(
        r#", {{"name": "{name}", "runtime": "nodejs",
             "exec_ms": {{"dist": "const", "value": {exec_ms}}},
             "cold_start_ms": {{"dist": "const", "value": 10}},
             "workload": {{"kind": "timestamps", "path": "empty.csv"}} {extra}}}"#
    )
}

/// A → B synchronously. A: 10 ms cold start + 100 ms work; then B: 10 ms cold start + 50
/// ms. A's response time is the sum, 170 ms, and A is billed from its start to B's answer
/// (160 ms) plus its init; warm, 150 ms and 150 ms billed. B's response times are 60 and
/// 50 ms.
#[test]
fn sync_call_latency_and_billing_stack() {
    let dir = crate::common::temp_dir("chain");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", [0, 10_000]);
    let calls = r#", "calls": [{"function": "b"}]"#;
    let s = chain(&dir, &file, calls, &callee("b", 50, ""));
    let (r, recs) = run_logged(&s);
    let lat = |f: &str| -> Vec<u64> {
        recs.iter()
            .filter(|x| x.function == f)
            .map(|x| (x.end_ns - x.arrival_ns) / MS)
            .collect()
    };
    assert_eq!(lat("a"), vec![170, 150]);
    assert_eq!(lat("b"), vec![60, 50]);
    // Billed compute at 128 MB, $0.0000166667 per GB-s: a bills (160 + 10 init) + 150 ms,
    // b bills (50 + 10) + 50 ms.
    let gb_s = |ms: f64| ms / 1000.0 * 0.125 * 1.66667e-5;
    let a = r.functions[0].1.cost_usd.compute;
    let b = r.functions[1].1.cost_usd.compute;
    assert!((a - gb_s(320.0)).abs() < 1e-12, "{a}");
    assert!((b - gb_s(110.0)).abs() < 1e-12, "{b}");
    assert_eq!(r.functions[1].1.invocations, 2);
}

/// Fan-out: A calls B three times in parallel and answers when the last is done; an
/// asynchronous call to C does not delay A. B's three calls start three instances.
#[test]
fn fan_out_waits_for_the_slowest_and_async_calls_do_not_wait() {
    let dir = crate::common::temp_dir("fan-out");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", [0]);
    let calls = r#", "calls": [{"function": "b", "count": 3},
                              {"function": "c", "mode": "async"}]"#;
    let others = callee("b", 50, "") + &callee("c", 5_000, "");
    let s = chain(&dir, &file, calls, &others);
    let (r, recs) = run_logged(&s);
    let a = recs.iter().find(|x| x.function == "a").unwrap();
    assert_eq!(a.end_ns, 170 * MS);
    assert_eq!(r.functions[1].1.cold_starts, 3);
    let c = &r.functions[2].1;
    assert_eq!(c.events.as_ref().unwrap().succeeded, 1);
    // Only C receives events (it is called asynchronously): A and B, invoked directly or
    // called synchronously, have no events section; the total has one.
    assert!(r.functions[0].1.events.is_none() && r.functions[1].1.events.is_none());
    assert!(r.total.events.is_some());
    let c_end = recs.iter().find(|x| x.function == "c").unwrap().end_ns;
    assert_eq!(c_end, (110 + 10 + 5_000) * MS);
}

/// A callee that is throttled (reserved concurrency 1, two calls at once) or fails makes
/// the caller end in an error.
#[test]
fn a_failed_or_throttled_callee_fails_the_caller() {
    let dir = crate::common::temp_dir("chain-fail");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", [0, 10_000]);
    let calls = r#", "calls": [{"function": "b", "count": 2}]"#;
    let s = chain(
        &dir,
        &file,
        calls,
        &callee("b", 50, r#", "max_concurrency": 1"#),
    );
    let (r, recs) = run_logged(&s);
    assert_eq!(r.functions[0].1.errors, 2);
    assert_eq!(r.functions[1].1.throttled, 2);
    assert!(
        recs.iter()
            .filter(|x| x.function == "a")
            .all(|x| x.status == Status::Error)
    );
    let s = chain(
        &dir,
        &file,
        r#", "calls": [{"function": "b"}]"#,
        &callee("b", 50, r#", "failure_probability": 1"#),
    );
    let r = run(&s);
    assert_eq!(r.functions[0].1.errors, 2);
}

/// Neither a request that fails (its work did not finish) nor a warmer's ping makes calls:
/// B, which only A calls, never runs when A always fails, nor when A gets only pings.
#[test]
fn failed_requests_and_pings_make_no_calls() {
    let dir = crate::common::temp_dir("chain-no-calls");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", [0, 10_000]);
    let calls = r#", "failure_probability": 1, "calls": [{"function": "b"}]"#;
    let r = run(&chain(&dir, &file, calls, &callee("b", 50, "")));
    assert_eq!(r.functions[0].1.errors, 2);
    assert_eq!(r.functions[1].1.invocations, 0);
    let calls = r#", "warmers": {"every_s": 600, "concurrency": 1}, "calls": [{"function": "b"}]"#;
    let r = run(&chain(&dir, "empty.csv", calls, &callee("b", 50, "")));
    assert!(r.functions[0].1.warmers.as_ref().unwrap().pings > 100);
    assert_eq!(r.functions[1].1.invocations, 0);
}

/// A caller whose timeout ends exactly as its own work does, with a synchronous call still
/// to answer, times out there and then. A: 10 ms cold start, 100 ms of work, a 100-ms
/// timeout from the start of execution (so due at 110 ms, when the work ends). By hand,
/// events: A's arrival, cold start, end of work (it calls B and times out at once); B's
/// cold start, end, and keep-alive expiry: 6 (a timeout event scheduled for the same
/// instant would make 7).
#[test]
fn a_caller_due_to_time_out_as_it_calls_ends_at_once() {
    let dir = crate::common::temp_dir("chain-timeout-at-call");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", [0]);
    let calls = r#", "timeout_s": 0.1, "calls": [{"function": "b"}]"#;
    let (r, recs) = run_logged(&chain(&dir, &file, calls, &callee("b", 50, "")));
    let a = recs.iter().find(|x| x.function == "a").unwrap();
    assert_eq!((a.status, a.end_ns), (Status::Timeout, 110 * MS));
    assert_eq!(r.functions[1].1.invocations, 1);
    assert_eq!(r.events, 6);
}

/// A call made with certainty takes no random draw, so adding one leaves the draws of a
/// function's uncertain calls, and so which are made, as they were (same seed).
#[test]
fn a_certain_call_leaves_the_uncertain_calls_alone() {
    let dir = crate::common::temp_dir("chain-certain");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", (0..200).map(|i| i * 1_000));
    let others = callee("b", 1, "") + &callee("c", 1, "");
    // When C was called: the arrival times of its requests.
    let c_called = |calls: &str| -> Vec<u64> {
        let (_, recs) = run_logged(&chain(&dir, &file, calls, &others));
        recs.iter()
            .filter(|x| x.function == "c")
            .map(|x| x.arrival_ns)
            .collect()
    };
    let alone = c_called(r#", "calls": [{"function": "c", "probability": 0.5}]"#);
    let with_b =
        c_called(r#", "calls": [{"function": "b"}, {"function": "c", "probability": 0.5}]"#);
    assert!(!alone.is_empty() && alone.len() < 200, "{}", alone.len());
    assert_eq!(with_b, alone);
}

/// Each call is made with its probability: a binomial count within 4 standard errors.
#[test]
fn call_probability_sets_the_call_rate() {
    let dir = crate::common::temp_dir("chain-p");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", (0..20_000).map(|i| i * 1_000));
    let calls = r#", "calls": [{"function": "b", "probability": 0.25}]"#;
    let r = run(&chain(&dir, &file, calls, &callee("b", 1, "")));
    let n = r.functions[0].1.invocations as f64;
    let calls = r.functions[1].1.invocations as f64;
    let se = (0.25 * 0.75 / n).sqrt();
    assert!(
        (calls / n - 0.25).abs() < 4.0 * se,
        "{} vs 0.25 ± {}",
        calls / n,
        4.0 * se
    );
}

/// A call cycle is an input error naming it.
#[test]
fn call_cycles_are_rejected() {
    let dir = crate::common::temp_dir("chain-cycle");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", [0]);
    let json = format!(
        r#"{{"name": "t", "duration_s": 10, "functions": [
            {{"name": "a", "runtime": "nodejs", "exec_ms": {{"dist": "const", "value": 1}},
              "workload": {{"kind": "timestamps", "path": "{file}"}},
              "calls": [{{"function": "b"}}]}},
            {{"name": "b", "runtime": "nodejs", "exec_ms": {{"dist": "const", "value": 1}},
              "workload": {{"kind": "timestamps", "path": "empty.csv"}},
              "calls": [{{"function": "a", "mode": "async"}}]}}]}}"#
    );
    let err = faassim::Scenario::from_str(&json, "t.json", &dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("functions[0].calls: calls form a cycle (a → b → a)"),
        "{err}"
    );
    let bad = json.replace(r#""function": "a""#, r#""function": "z""#);
    let err = faassim::Scenario::from_str(&bad, "t.json", &dir)
        .unwrap_err()
        .to_string();
    assert!(err.contains("functions[1].calls[0].function"), "{err}");
}

/// A function `f` with a database `db` (fields `db_fields`), 100 ms executions, no
/// cold-start delay, a 600 s keep-alive.
fn with_database(dir: &Path, file: &str, db_fields: &str) -> faassim::Scenario {
    scenario_in(
        &format!(
            r#"{{"name": "t", "duration_s": 100000,
                "databases": [{{"name": "db", {db_fields}}}],
                "functions": [{{"name": "f", "runtime": "nodejs", "database": "db",
                  "keep_alive": {{"policy": "fixed", "idle_s": 600}},
                  "exec_ms": {{"dist": "const", "value": 100}},
                  "cold_start_ms": {{"dist": "const", "value": 0}},
                  "workload": {{"kind": "timestamps", "path": "{file}"}}}}]}}"#
        ),
        dir,
    )
}

/// Without a proxy each instance keeps its connection while it lives. Two connections,
/// three requests at once: two instances take them; the third waits, while the other two
/// sit idle holding theirs, until its 5 s limit and fails (billed for the wait). At 1,000 s
/// the idle instances have been evicted (600 s keep-alive), so a new request connects.
#[test]
fn without_a_proxy_idle_instances_hold_connections() {
    let dir = crate::common::temp_dir("db-direct");
    let file = arrivals(&dir, "a.csv", [0, 0, 0, 1_000_000]);
    let s = with_database(&dir, &file, r#""max_connections": 2, "max_wait_s": 5"#);
    let (r, recs) = run_logged(&s);
    let db = &r.databases[0].1;
    assert_eq!(
        (db.acquisitions, db.waits, db.failures, db.max_in_use),
        (3, 1, 1, 2)
    );
    assert_eq!(recs[2].status, Status::Error);
    assert_eq!(recs[2].end_ns, 5 * S);
    assert_eq!(recs[3].status, Status::Ok);
    assert_eq!(recs[3].end_ns - recs[3].arrival_ns, 100 * MS);
    assert_eq!(r.total.errors, 1);
    // `fail` instead of waiting: the third fails at once.
    let s = with_database(&dir, &file, r#""max_connections": 2, "on_limit": "fail""#);
    let (r, recs) = run_logged(&s);
    assert_eq!(recs[2].status, Status::Error);
    assert_eq!(recs[2].end_ns, 0);
    assert_eq!(r.databases[0].1.failures, 1);
}

/// Without a proxy an instance opens its connection once and keeps it: one connection,
/// requests at 0 and 1 s on the same (warm) instance, one acquisition and no wait.
#[test]
fn without_a_proxy_a_warm_instance_reuses_its_connection() {
    let dir = crate::common::temp_dir("db-reuse");
    let file = arrivals(&dir, "a.csv", [0, 1_000]);
    let s = with_database(&dir, &file, r#""max_connections": 1, "max_wait_s": 5"#);
    let (r, recs) = run_logged(&s);
    let db = &r.databases[0].1;
    assert_eq!((db.acquisitions, db.waits, db.failures), (1, 0, 0));
    assert!(recs.iter().all(|x| x.status == Status::Ok));
    assert_eq!(recs[1].end_ns, 1_100 * MS);
}

/// Connections go to the waiters in order, skipping those that gave up. One pooled
/// connection, held by `h` from 0 to 1 s; `a` waits from 0.1 s until its 0.2-s timeout
/// ends it at 0.3 s; `b` waits from 0.2 s and `c` from 0.5 s (100-ms executions). At 1 s
/// the connection goes to b (1–1.1 s), then to c (1.1–1.2 s).
#[test]
fn connections_go_to_waiters_in_order_skipping_those_gone() {
    let f = |name: &str, at_s: f64, exec_ms: u64, extra: &str| {
        format!(
            r#"{{"name": "{name}", "runtime": "nodejs", "database": "db",
                "exec_ms": {{"dist": "const", "value": {exec_ms}}},
                "cold_start_ms": {{"dist": "const", "value": 0}},
                "workload": {{"kind": "spike", "at_s": {at_s}, "count": 1}} {extra}}}"#
        )
    };
    let functions = [
        f("h", 0.0, 1_000, ""),
        f("a", 0.1, 100, r#", "timeout_s": 0.2"#),
        f("b", 0.2, 100, ""),
        f("c", 0.5, 100, ""),
    ];
    let s = scenario(&format!(
        r#"{{"name": "t", "duration_s": 10, "platform": "aws-lambda",
            "databases": [{{"name": "db", "max_connections": 1, "max_wait_s": 10, "proxy": {{}}}}],
            "functions": [{}]}}"#,
        functions.join(",")
    ));
    let (_, recs) = run_logged(&s);
    let end = |name: &str| {
        let x = recs.iter().find(|x| x.function == name).unwrap();
        (x.status, x.end_ns / MS)
    };
    assert_eq!(end("h"), (Status::Ok, 1_000));
    assert_eq!(end("a"), (Status::Timeout, 300));
    assert_eq!(end("b"), (Status::Ok, 1_100));
    assert_eq!(end("c"), (Status::Ok, 1_200));
}

/// Behind a proxy a request holds a pooled connection only while it executes: of three
/// requests at 5 s, the third waits for the first to finish (100 ms), then runs to
/// 5.2 s. A pool of 50 % of 4 connections is the same 2.
#[test]
fn a_proxy_lends_connections_per_request() {
    let dir = crate::common::temp_dir("db-proxy");
    let file = arrivals(&dir, "a.csv", [5_000, 5_000, 5_000]);
    for fields in [
        r#""max_connections": 2, "proxy": {}"#,
        r#""max_connections": 4, "proxy": {"max_connections_percent": 50}"#,
    ] {
        let s = with_database(&dir, &file, fields);
        let (r, recs) = run_logged(&s);
        let ends: Vec<_> = recs.iter().map(|r| r.end_ns / MS).collect();
        assert_eq!(ends, vec![5_100, 5_100, 5_200], "{fields}");
        let db = &r.databases[0].1;
        assert_eq!(
            (db.waits, db.failures, db.max_in_use),
            (1, 0, 2),
            "{fields}"
        );
        assert_eq!(db.wait_ms.count, 1);
        // It waited from its arrival at 5 s until the first request's end at 5.1 s.
        assert_eq!(db.wait_ms.mean, Some(100.0), "{fields}");
        assert!(recs.iter().all(|r| r.status == Status::Ok));
        // The third request is billed for its wait: 100 + 100 + 200 ms at 128 MB and
        // $0.0000166667 per GB-s (the zero-length cold starts add no init).
        let compute = r.total.cost_usd.compute;
        let expected = 0.4 * 0.125 * 1.66667e-5;
        assert!(
            (compute - expected).abs() < 1e-12,
            "{fields}: {compute} vs {expected}"
        );
    }
    // The proxy's overhead is added to each execution.
    let s = with_database(
        &dir,
        &file,
        r#""max_connections": 3, "proxy": {"overhead_ms": 5}"#,
    );
    let (_, recs) = run_logged(&s);
    assert!(recs.iter().all(|r| r.end_ns == 5_105 * MS));
}

/// A database name that is not defined is an input error.
#[test]
fn unknown_database_is_rejected() {
    let dir = crate::common::temp_dir("db-unknown");
    let file = arrivals(&dir, "a.csv", [0]);
    let json = format!(
        r#"{{"name": "t", "duration_s": 10,
            "functions": [{{"name": "f", "runtime": "nodejs", "database": "nope",
              "exec_ms": {{"dist": "const", "value": 1}},
              "workload": {{"kind": "timestamps", "path": "{file}"}}}}]}}"#
    );
    let err = faassim::Scenario::from_str(&json, "t.json", &dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("functions[0].database: expected the name of a database"),
        "{err}"
    );
}

/// A pending queue (Cloud Run / Azure style): one instance at most, 1 s executions,
/// requests at 0, 0.1 and 0.2 s. The second waits for the first to end (1 s) and runs to
/// 2 s; the third waits until 2 s and runs to 3 s. With a 1.5 s limit on the wait the third
/// is throttled at 1.7 s instead.
#[test]
fn pending_queue_waits_for_capacity_then_throttles() {
    let dir = crate::common::temp_dir("pending");
    let file = arrivals(&dir, "a.csv", [0, 100, 200]);
    let run_with = |limit: &str| {
        let overrides = format!(
            r#"{{"account_concurrency": 1, "min_unreserved_concurrency": 0,
                "pending_timeout_s": {limit}}}"#
        );
        run_logged(&one_function(&dir, &file, 1_000.0, 0.0, &overrides, ""))
    };
    let (r, recs) = run_with("10");
    let ends: Vec<_> = recs.iter().map(|r| r.end_ns / MS).collect();
    assert_eq!(ends, vec![1_000, 2_000, 3_000]);
    assert_eq!(r.total.throttled, 0);
    assert_eq!(r.functions[0].1.queued, 2);
    // Waits: 0.1 → 1 s and 0.2 → 2 s.
    let wait = &r.functions[0].1.pending_wait_ms;
    assert_eq!((wait.count, wait.max), (2, Some(1_800.0)));
    assert_close(wait.mean.unwrap(), 1_350.0);
    let (r, recs) = run_with("1.5");
    assert_eq!(recs[2].outcome, Outcome::Throttled);
    assert_eq!(recs[2].end_ns, 1_700 * MS);
    assert_eq!(r.total.throttle_causes.pending_timeout, 1);
    assert_eq!(recs[1].end_ns, 2_000 * MS);
    // Every request ends in exactly one outcome.
    assert_eq!(
        r.total.warm_starts + r.total.cold_starts + r.total.throttled,
        r.total.invocations
    );
}

/// Each waiting request gives up at its own time, also after the queue's head gave up
/// and left the queue. One instance at most, 3-s executions, a 1.5-s limit on the wait;
/// requests at 0, 0.1, 0.2, 0.3 and 1.65 s. The first runs to 3 s; the next three wait
/// and give up 1.5 s after arriving, at 1.6, 1.7 and 1.8 s. The last arrives after the
/// head gave up, queues behind the other two, and is placed at 3 s (waited 1.35 s): warm,
/// to 6 s.
#[test]
fn waiting_requests_give_up_in_turn() {
    let dir = crate::common::temp_dir("pending-turns");
    let file = arrivals(&dir, "a.csv", [0, 100, 200, 300, 1_650]);
    let overrides = r#"{"account_concurrency": 1, "min_unreserved_concurrency": 0,
        "pending_timeout_s": 1.5}"#;
    let (r, recs) = run_logged(&one_function(&dir, &file, 3_000.0, 0.0, overrides, ""));
    let mut ends: Vec<(u64, u64, Outcome)> = (recs.iter())
        .map(|x| (x.arrival_ns / MS, x.end_ns / MS, x.outcome))
        .collect();
    ends.sort_unstable_by_key(|&(arrival, _, _)| arrival);
    let throttled = Outcome::Throttled;
    assert_eq!(
        ends,
        vec![
            (0, 3_000, Outcome::Cold),
            (100, 1_600, throttled),
            (200, 1_700, throttled),
            (300, 1_800, throttled),
            (1_650, 6_000, Outcome::Warm)
        ]
    );
    assert_eq!(r.total.throttle_causes.pending_timeout, 3);
}

/// A request waiting for a scale-out token is placed by the queue's poll when the bucket
/// refills: burst 1 and one new instance per second, two requests at 0 with 10 s
/// executions: the second waits one second (placed by the 50 ms poll at exactly 1 s).
#[test]
fn pending_queue_waits_for_scale_out_tokens() {
    let dir = crate::common::temp_dir("pending-tokens");
    let file = arrivals(&dir, "a.csv", [0, 0]);
    let overrides = r#"{"scale_out_per_10s": 10, "scale_out_burst": 1, "pending_timeout_s": 60}"#;
    let (r, recs) = run_logged(&one_function(&dir, &file, 10_000.0, 0.0, overrides, ""));
    assert_eq!(recs[1].end_ns, 11 * S);
    assert_eq!(r.total.cold_starts, 2);
    assert_eq!(r.functions[0].1.queued, 1);
}

/// Waiting requests keep their order: one that arrives while others wait queues behind
/// them even if a token is there when it arrives. One new instance per 3.33 s (3 per 10 s),
/// burst 1, 10-s executions; requests at 0, 0 and 3.34 s. The second waits for the token
/// of 3.33 s; the third arrives before the 50-ms poll has placed the second, so the
/// arrival places the second (ends 13.34 s) and waits for the next token itself.
#[test]
fn a_request_arriving_behind_waiting_ones_waits_its_turn() {
    let dir = crate::common::temp_dir("pending-order");
    let file = arrivals(&dir, "a.csv", [0, 0, 3_340]);
    let overrides = r#"{"scale_out_per_10s": 3, "scale_out_burst": 1, "pending_timeout_s": 60}"#;
    let (r, recs) = run_logged(&one_function(&dir, &file, 10_000.0, 0.0, overrides, ""));
    assert_eq!(r.total.cold_starts, 3);
    let ends = |arrival_ms| {
        let mut ends: Vec<u64> = (recs.iter())
            .filter(|x| x.arrival_ns == arrival_ms * MS)
            .map(|x| x.end_ns)
            .collect();
        ends.sort_unstable();
        ends
    };
    assert_eq!(ends(0), vec![10_000 * MS, 13_340 * MS]);
    let third = ends(3_340);
    assert!(third[0] > 16_660 * MS, "{third:?}");
}

/// A target-concurrency autoscaler (Cloud Run-like): 10 requests per instance, target 50 %,
/// evaluated every second over the last second. A request every 10 ms holding 1 s keeps
/// exactly 100 in flight, so the autoscaler wants 100 / (0.5 × 10) = 20 instances, where
/// starting instances only for requests that find every slot taken needs 10.
#[test]
fn target_concurrency_autoscaler_keeps_spare_instances() {
    let dir = crate::common::temp_dir("autoscaler");
    let file = arrivals(&dir, "a.csv", (0..10_000).map(|i| i * 10));
    let run_with = |autoscaler: &str| {
        let json = format!(
            r#"{{"name": "t", "duration_s": 100, "warmup_s": 10,
                "platform_overrides": {{"per_instance_concurrency": 10 {autoscaler}}},
                "functions": [{{"name": "f", "runtime": "nodejs", "routing": "spread",
                  "keep_alive": {{"policy": "fixed", "idle_s": 3600}},
                  "exec_ms": {{"dist": "const", "value": 1000}},
                  "cold_start_ms": {{"dist": "const", "value": 0}},
                  "workload": {{"kind": "timestamps", "path": "{file}"}}}}]}}"#
        );
        run(&scenario_in(&json, &dir)).total
    };
    let scaled = run_with(r#", "autoscaler": {"target": 0.5, "interval_s": 1, "window_s": 1}"#);
    assert_eq!(scaled.instances.max_total, 20);
    assert!(
        (scaled.instances.mean_total - 20.0).abs() < 1e-9,
        "{:?}",
        scaled.instances
    );
    let plain = run_with("");
    assert_eq!(plain.instances.max_total, 10);
    // Spread over twice the instances, each holds about 5 requests instead of 10.
    assert!((plain.instances.mean_busy - 10.0).abs() < 0.01);
}

/// A caller's timeout covers its wait for a synchronous callee on every platform, with or
/// without CPU sharing. Caller: 10 ms of work, `timeout_s: 1`, one call to a 5,000 ms
/// callee; no cold starts. The caller must end in a timeout at exactly 1,000 ms. Cloud Run
/// shares the CPU with `cpu_fraction: 0` (the work is all I/O), which once let the caller
/// end `ok` at 5,010 ms; with `cpu_fraction: 1` the timeout was already pending.
#[test]
fn caller_timeout_covers_the_wait_for_a_callee_with_and_without_cpu_sharing() {
    for (platform, cpu_fraction) in [
        ("aws-lambda", 0.0),
        ("google-cloud-run", 0.0),
        ("google-cloud-run", 1.0),
    ] {
        let dir = crate::common::temp_dir(&format!("caller-timeout-{platform}-{cpu_fraction}"));
        std::fs::write(dir.join("empty.csv"), "").unwrap();
        let file = arrivals(&dir, "a.csv", [0]);
        let json = format!(
            r#"{{"name": "t", "duration_s": 100, "platform": "{platform}",
                "functions": [
                  {{"name": "a", "runtime": "nodejs", "timeout_s": 1,
                    "cpu_fraction": {cpu_fraction},
                    "exec_ms": {{"dist": "const", "value": 10}},
                    "cold_start_ms": {{"dist": "const", "value": 0}},
                    "workload": {{"kind": "timestamps", "path": "{file}"}},
                    "calls": [{{"function": "b"}}]}},
                  {{"name": "b", "runtime": "nodejs",
                    "exec_ms": {{"dist": "const", "value": 5000}},
                    "cold_start_ms": {{"dist": "const", "value": 0}},
                    "workload": {{"kind": "timestamps", "path": "empty.csv"}}}}]}}"#
        );
        let (_, recs) = run_logged(&scenario_in(&json, &dir));
        let a: Vec<_> = recs.iter().filter(|r| r.function == "a").collect();
        assert_eq!(a.len(), 1, "{platform}");
        assert_eq!(
            a[0].status,
            faassim::sim::Status::Timeout,
            "{platform} {cpu_fraction}"
        );
        assert_eq!(
            a[0].end_ns - a[0].arrival_ns,
            1_000 * MS,
            "{platform} {cpu_fraction}"
        );
    }
}

/// CPU-aware routing by hand, on one vCPU with room to start instances (cold starts of 0):
/// with `cpu_fraction` 1 an instance's CPU is full at one request, so requests at 0, 0 and
/// 50 ms each get an instance of their own and run at full speed (ends 100, 100, 150 ms);
/// with `cpu_fraction` 0.5 it is full at two: the two at 0 share instance 0 (50 ms of CPU
/// each at half speed to 100 ms, then 50 ms of I/O: 150 ms) and the third starts instance
/// 1 (50 + 50 ms alone: 150 ms).
#[test]
fn cpu_full_instances_take_no_more_requests_while_others_can_start() {
    let dir = crate::common::temp_dir("cpu-full");
    let file = arrivals(&dir, "a.csv", [0, 0, 50]);
    let overrides = r#"{"per_instance_concurrency": 4}"#;
    for (fraction, instances, ends) in [
        (1.0, [0, 1, 2], [100, 100, 150]),
        (0.5, [0, 0, 1], [150, 150, 150]),
    ] {
        let extra = format!(r#", "cpu_sharing": true, "vcpus": 1, "cpu_fraction": {fraction}"#);
        let s = one_function(&dir, &file, 100.0, 0.0, overrides, &extra);
        let (_, recs) = run_logged(&s);
        let got: Vec<_> = recs.iter().map(|r| r.instance.unwrap()).collect();
        assert_eq!(got, instances, "cpu_fraction {fraction}");
        let got: Vec<_> = recs.iter().map(|r| r.end_ns / MS).collect();
        assert_eq!(got, ends, "cpu_fraction {fraction}");
    }
}

/// A CPU-bound function on Cloud Run (1 vCPU, 80 requests an instance, `routing: pack`):
/// 100 requests a second of exponential 100 ms, all CPU, are 10 vCPUs of work. The
/// autoscaler's CPU target (60 %) keeps at least 10 / 0.6 = 16.7 instances, and the
/// router does not pile requests on a saturated instance, so the mean response lies
/// between the execution's own mean (100 ms, an instance each) and M/G/1 processor sharing
/// at the target utilisation, 100 / (1 − 0.6) = 250 ms (random assignment). Busy instances
/// follow Little's law, λ·E[S] = 10. Piling requests on one instance gave a mean of 7.5 s.
/// Azure Consumption has no autoscaler: at 20 requests a second a CPU-full instance makes
/// the request start another, so again no saturation (7.2 s before).
#[test]
fn cpu_bound_functions_are_served_at_the_cpu_target_not_at_saturation() {
    let load = |platform: &str, rate: f64, memory: u32| {
        run(&crate::common::scenario(&format!(
            r#"{{"name": "cpu", "seed": 3, "duration_s": 1800, "warmup_s": 300,
              "platform": "{platform}",
              "functions": [{{"name": "f", "runtime": "nodejs", "memory_mb": {memory},
                "vcpus": 1, "cpu_fraction": 1,
                "exec_ms": {{"dist": "exponential", "mean": 100}},
                "workload": {{"kind": "poisson", "rate_per_s": {rate}}}}}]}}"#
        )))
    };
    let r = load("google-cloud-run", 100.0, 2048);
    let t = &r.total;
    // The scenario is warned about: pack, CPU sharing and a CPU-bound function.
    let s = crate::common::scenario(
        r#"{"name": "w", "duration_s": 1, "platform": "google-cloud-run",
          "functions": [{"name": "f", "runtime": "nodejs", "vcpus": 1, "cpu_fraction": 1,
            "exec_ms": {"dist": "const", "value": 1},
            "workload": {"kind": "constant", "interval_s": 1}}]}"#,
    );
    let warnings = s.warnings();
    assert!(
        warnings.len() == 1 && warnings[0].contains("'f'") && warnings[0].contains("full at 1"),
        "{warnings:?}"
    );
    let n = t.latency_ms.count as f64;
    let mean = t.latency_ms.mean.unwrap();
    // Four standard errors of a mean of exponential 100 ms samples below 100 ms.
    let floor = 100.0 - 4.0 * 100.0 / n.sqrt();
    assert!((floor..250.0).contains(&mean), "mean {mean} ms");
    assert!(t.instances.mean_total >= 10.0 / 0.6, "{:?}", t.instances);
    let busy = t.instances.mean_busy;
    assert!((busy - 10.0).abs() < 0.5, "busy {busy}");

    let r = load("azure-functions", 20.0, 1536);
    let mean = r.total.latency_ms.mean.unwrap();
    assert!(mean < 250.0, "azure mean {mean} ms");
}

/// A caller waiting on several synchronous callees ends with the last answer, not the
/// first. A (10 ms cold start + 100 ms) calls B (10 + 50 ms) and C (10 + 300 ms) at once:
/// B answers at 170 ms, C at 420 ms, so A ends at 420 ms; warm, 100 + 300 = 400 ms.
#[test]
fn a_caller_waits_for_its_slowest_synchronous_callee() {
    let dir = crate::common::temp_dir("chain-two");
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let file = arrivals(&dir, "a.csv", [0, 10_000]);
    let calls = r#", "calls": [{"function": "b"}, {"function": "c"}]"#;
    let others = callee("b", 50, "") + &callee("c", 300, "");
    let (_, recs) = run_logged(&chain(&dir, &file, calls, &others));
    let a: Vec<_> = recs
        .iter()
        .filter(|x| x.function == "a")
        .map(|x| (x.end_ns - x.arrival_ns, x.status))
        .collect();
    assert_eq!(a, vec![(420 * MS, Status::Ok), (400 * MS, Status::Ok)]);
    // The same with C called first: the order of the answers does not matter.
    let calls = r#", "calls": [{"function": "c"}, {"function": "b"}]"#;
    let (_, recs) = run_logged(&chain(&dir, &file, calls, &others));
    let a = recs.iter().find(|x| x.function == "a").unwrap();
    assert_eq!(a.end_ns, 420 * MS);
}

/// Instances the autoscaler starts count against the concurrency limit while they start,
/// not once idle (idle instances never count). Reserved concurrency 3, one request per
/// instance, target 0.5, evaluated every second over the last second, no cold start,
/// requests at 0 and 1.5 s holding 100 s:
/// - 1 s: 1 in flight → wants 2: starts B, idle at once (1 executing);
/// - 1.5 s: the second request takes B (2 executing);
/// - 2 s: 1.5 in flight → wants 3: starts C (2 executing + C idle: 2 < 3 allows it);
/// - 3 s: 2 in flight → wants 4: starts D; then 4 are there.
///
/// So 4 instances while only 2 execute. Counting idle B against the limit would have stopped
/// at 2 instances.
#[test]
fn autoscaled_idle_instances_do_not_count_against_concurrency() {
    let dir = crate::common::temp_dir("autoscaler-limit");
    let file = arrivals(&dir, "a.csv", [0, 1_500]);
    let s = scenario_in(
        &format!(
            r#"{{"name": "t", "duration_s": 10,
                "platform_overrides": {{"autoscaler": {{"target": 0.5, "interval_s": 1, "window_s": 1}}}},
                "functions": [{{"name": "f", "runtime": "nodejs", "max_concurrency": 3,
                  "keep_alive": {{"policy": "fixed", "idle_s": 3600}},
                  "exec_ms": {{"dist": "const", "value": 100000}},
                  "cold_start_ms": {{"dist": "const", "value": 0}},
                  "workload": {{"kind": "timestamps", "path": "{file}"}}}}]}}"#
        ),
        &dir,
    );
    let r = run(&s).total;
    assert_eq!((r.cold_starts, r.warm_starts, r.throttled), (1, 1, 0));
    assert_eq!(r.instances.max_total, 4);
    // Instance-seconds: A 10, B 9, C 8, D 7 over 10 s.
    assert!(
        (r.instances.mean_total - 3.4).abs() < 1e-9,
        "{:?}",
        r.instances
    );
}

/// The property tests' shrunk scenario that never ended: a one-connection database on
/// Cloudflare Workers (no timeout) used by a function that also takes a queue whose
/// messages are visible again at once. Without `max_wait_s` it is now refused (corpus case
/// `database-wait-for-ever`); with one, a waiting request gives up after 1 s and the run
/// ends (it went past 11 simulated days before).
#[test]
fn a_bounded_database_wait_lets_the_shrunk_endless_run_end() {
    let s = scenario(
        r#"{"databases": [{"max_connections": 1, "name": "db", "on_limit": "wait", "max_wait_s": 1}], "duration_s": 37.65, "functions": [{"database": "db", "exec_ms": {"dist": "const", "value": 80}, "failure_probability": 0.0, "name": "f0", "per_instance_concurrency": 2, "reuse": "mru", "routing": "pack", "runtime": "v8-isolate", "workload": {"kind": "sum", "workloads": [{"interval_s": 0.05, "kind": "constant", "start_s": 18.584}, {"interval_s": 0.05, "kind": "constant", "start_s": 0.0}]}}, {"exec_ms": {"dist": "const", "value": 1}, "failure_probability": 0.0, "name": "f1", "per_instance_concurrency": 1, "reuse": "mru", "routing": "pack", "runtime": "v8-isolate", "workload": {"interval_s": 0.05, "kind": "constant", "start_s": 0.0}}], "name": "prop", "platform": "cloudflare-workers", "platform_overrides": {"account_concurrency": 7, "min_unreserved_concurrency": 0}, "queues": [{"batch_size": 1, "batching_window_s": 0.0, "function": "f0", "max_concurrency": 2, "max_receive_count": 1, "name": "q", "per_item_ms": 0.0, "retention_s": 60.0, "visibility_timeout_s": 0.0, "workload": {"kind": "sum", "workloads": [{"base_rate_per_s": 3.301, "branching_ratio": 0.0, "decay_s": 0.05, "kind": "hawkes"}, {"interval_s": 0.05, "kind": "constant", "start_s": 23.438}]}}], "seed": 743, "warmup_s": 0.0}"#,
    );
    let r = run(&s);
    assert!(r.total.invocations > 0);
    let db = &r.databases[0].1;
    assert!(db.failures > 0, "some waits ran out: {}", db.failures);
    let mut unbounded: serde_json::Value = serde_json::from_str(r#"{"databases": [{"max_connections": 1, "name": "db", "on_limit": "wait", "max_wait_s": 1}], "duration_s": 37.65, "functions": [{"database": "db", "exec_ms": {"dist": "const", "value": 80}, "failure_probability": 0.0, "name": "f0", "per_instance_concurrency": 2, "reuse": "mru", "routing": "pack", "runtime": "v8-isolate", "workload": {"kind": "sum", "workloads": [{"interval_s": 0.05, "kind": "constant", "start_s": 18.584}, {"interval_s": 0.05, "kind": "constant", "start_s": 0.0}]}}, {"exec_ms": {"dist": "const", "value": 1}, "failure_probability": 0.0, "name": "f1", "per_instance_concurrency": 1, "reuse": "mru", "routing": "pack", "runtime": "v8-isolate", "workload": {"interval_s": 0.05, "kind": "constant", "start_s": 0.0}}], "name": "prop", "platform": "cloudflare-workers", "platform_overrides": {"account_concurrency": 7, "min_unreserved_concurrency": 0}, "queues": [{"batch_size": 1, "batching_window_s": 0.0, "function": "f0", "max_concurrency": 2, "max_receive_count": 1, "name": "q", "per_item_ms": 0.0, "retention_s": 60.0, "visibility_timeout_s": 0.0, "workload": {"kind": "sum", "workloads": [{"base_rate_per_s": 3.301, "branching_ratio": 0.0, "decay_s": 0.05, "kind": "hawkes"}, {"interval_s": 0.05, "kind": "constant", "start_s": 23.438}]}}], "seed": 743, "warmup_s": 0.0}"#).unwrap();
    unbounded["databases"][0]
        .as_object_mut()
        .unwrap()
        .remove("max_wait_s");
    let e =
        faassim::Scenario::from_str(&unbounded.to_string(), "s.json", std::path::Path::new("."))
            .unwrap_err()
            .to_string();
    assert!(
        e.starts_with("s.json: databases[0].max_wait_s: expected a max_wait_s"),
        "{e}"
    );
}
