//! Numerical care: extreme rates, long runs, tiny and huge durations, many busy instances
//! and many functions, against counts and times worked out by hand.
//!
//! The clock counts nanoseconds in a `u64` (584 years). faassim refuses any stated time
//! above 100 years and any arrival stream above 10^9 per second, so no sum of times
//! saturates; these tests show both the refusals (with the field named) and the exact
//! answers just inside the limits. Count tolerances are 4.5 standard deviations of a
//! Poisson count (√E): a correct generator fails one run in about 150,000.

use std::path::Path;

use faassim::SimTime;
use faassim::rng::{self, Stream};
use faassim::workload::WorkloadSpec;

use crate::common::*;

/// Arrivals of a workload in `[0, horizon_s)`, counted straight from its generator.
fn arrivals_before(json: &str, horizon_s: f64) -> u64 {
    let spec: WorkloadSpec = serde_json::from_str(json).unwrap();
    let w = spec
        .validate("w", Path::new("."))
        .unwrap_or_else(|e| panic!("{}: {}", e.field, e.message));
    let mut s = w.start(rng::stream(7, 0, Stream::Arrivals)).unwrap();
    let horizon = SimTime::from_secs(horizon_s);
    let mut n = 0;
    let mut last = SimTime::ZERO;
    while let Some(t) = s.next_arrival().unwrap() {
        assert!(t >= last, "arrivals went back from {last} to {t}");
        last = t;
        if t >= horizon {
            break;
        }
        n += 1;
    }
    n
}

/// The validation error of a workload, as `field: message`.
fn workload_error(json: &str) -> String {
    let spec: WorkloadSpec = serde_json::from_str(json).unwrap();
    let e = spec
        .validate("w", Path::new("."))
        .expect_err("expected the workload to be refused");
    format!("{}: {}", e.field, e.message)
}

/// The load error of a scenario.
fn scenario_error(json: &str) -> String {
    match faassim::Scenario::from_str(json, "s.json", Path::new(".")) {
        Ok(_) => panic!("expected the scenario to be refused: {json}"),
        Err(e) => e.to_string(),
    }
}

#[track_caller]
fn assert_poisson_count(n: u64, expected: f64) {
    let tolerance = 4.5 * expected.sqrt();
    assert!(
        (n as f64 - expected).abs() <= tolerance,
        "{n} arrivals, expected {expected} ± {tolerance}"
    );
}

/// Each Poisson gap used to be rounded to a whole nanosecond on its own: at 10^9 per
/// second the mean gap is 1 ns and gaps below 0.5 ns became 0, so 4 % too many arrivals
/// (10^7 expected, 1.04·10^7 counted: 126 standard deviations off). Carrying the fraction
/// makes each arrival its exact time rounded once.
#[test]
fn poisson_counts_are_exact_up_to_a_billion_per_second() {
    for (rate, horizon_s) in [(1e9, 0.01), (3e8, 0.02), (1e6, 5.0), (0.5, 2e7)] {
        let n = arrivals_before(
            &format!(r#"{{"kind": "poisson", "rate_per_s": {rate}}}"#),
            horizon_s,
        );
        assert_poisson_count(n, rate * horizon_s);
    }
}

#[test]
fn rates_the_nanosecond_clock_cannot_carry_are_refused() {
    let limit = "expected a rate of at most 1e9 per second";
    for (json, field) in [
        (r#"{"kind": "poisson", "rate_per_s": 1e10}"#, "w.rate_per_s"),
        (
            r#"{"kind": "on_off", "on_rate_per_s": 2e9, "mean_on_s": 1, "mean_off_s": 1}"#,
            "w.on_rate_per_s",
        ),
        (
            r#"{"kind": "mmpp", "states": [{"rate_per_s": 1, "mean_sojourn_s": 1}, {"rate_per_s": 5e9, "mean_sojourn_s": 1}]}"#,
            "w.states[1].rate_per_s",
        ),
        (
            r#"{"kind": "diurnal", "rate_per_s": 1.5e9, "daily": {"shape": "sine", "amplitude": 0.5}}"#,
            "w.rate_per_s",
        ),
        (
            r#"{"kind": "hawkes", "base_rate_per_s": 1e12, "branching_ratio": 0.5, "decay_s": 1}"#,
            "w.base_rate_per_s",
        ),
        (
            r#"{"kind": "flash_sale", "base_rate_per_s": 1e8, "peak_multiplier": 20, "start_s": 10, "ramp_s": 1, "plateau_s": 1, "decay_s": 1}"#,
            "w.peak_multiplier",
        ),
        (
            r#"{"kind": "spike", "at_s": 0, "count": 1000, "spread_s": 0, "every_s": 1e-7}"#,
            "w.every_s",
        ),
        (
            r#"{"kind": "transform", "scale": 1000, "workload": {"kind": "poisson", "rate_per_s": 1e7}}"#,
            "w.scale",
        ),
    ] {
        let e = workload_error(json);
        assert!(e.starts_with(&format!("{field}: ")), "{json}: {e}");
        assert!(e.contains(limit), "{json}: {e}");
    }
    // The limit itself is accepted.
    assert_poisson_count(
        arrivals_before(r#"{"kind": "poisson", "rate_per_s": 1e9}"#, 0.001),
        1e6,
    );
}

/// An MMPP keeps its clock in f64 seconds; a sojourn of 10^-12 s never advanced it.
#[test]
fn sojourns_shorter_than_a_millisecond_are_refused() {
    let e = workload_error(
        r#"{"kind": "mmpp", "states": [{"rate_per_s": 1, "mean_sojourn_s": 1e-12}, {"rate_per_s": 2, "mean_sojourn_s": 1}]}"#,
    );
    assert!(
        e.starts_with("w.states[0].mean_sojourn_s: expected a mean sojourn of at least 0.001 s"),
        "{e}"
    );
}

const FUNCTION: &str = r#""name": "f", "runtime": "nodejs",
    "cold_start_ms": {"dist": "const", "value": 0}"#;

/// An execution of 10^15 ms (31,700 years) used to run and report a 584-year latency and
/// $153,723; now every stated duration above 100 years is refused, naming the field.
#[test]
fn durations_beyond_the_clock_are_refused_naming_the_field() {
    let base = |exec: &str, extra: &str| {
        format!(
            r#"{{"name": "t", "duration_s": 10, {extra} "functions": [{{{FUNCTION},
              "exec_ms": {exec}, "workload": {{"kind": "constant", "interval_s": 1}}}}]}}"#
        )
    };
    let e = scenario_error(&base(r#"{"dist": "const", "value": 1e15}"#, ""));
    assert_eq!(
        e,
        "s.json: functions[0].exec_ms.value: expected at most 3155760000000 ms (100 years, \
         the longest time faassim's nanosecond clock accepts), got 1000000000000000"
    );
    let e = scenario_error(&base(
        r#"{"dist": "empirical", "percentiles": [[0, 1], [100, 1e16]]}"#,
        "",
    ));
    assert!(
        e.starts_with("s.json: functions[0].exec_ms.percentiles[1]: expected at most"),
        "{e}"
    );
    // A heavy tail: P(X > 100 years) for ln X ~ N(0, 10²) is P(Z > ln(3.156e12)/10 = 2.878)
    // = 0.00200 (normal tables).
    let e = scenario_error(&base(r#"{"dist": "lognormal", "mu": 0, "sigma": 10}"#, ""));
    assert!(
        e.starts_with(
            "s.json: functions[0].exec_ms: expected a distribution of durations below 100 years"
        ),
        "{e}"
    );
    assert!(e.contains("probability 2.00"), "{e}");
    // An exponential with a mean of 1 year exceeds 100 years with probability e^-100: fine.
    faassim::Scenario::from_str(
        &base(r#"{"dist": "exponential", "mean": 3.15576e10}"#, ""),
        "s.json",
        Path::new("."),
    )
    .unwrap();
    let e = scenario_error(&base(
        r#"{"dist": "const", "value": 1}"#,
        r#""platform_overrides": {"pricing": {"billing_granularity_ms": 1e20}},"#,
    ));
    assert!(
        e.contains("pricing.billing_granularity_ms: expected at most 3155760000000 ms"),
        "{e}"
    );
    let e = scenario_error(&base(
        r#"{"dist": "const", "value": 1}"#,
        r#""platform_overrides": {"max_instance_lifetime_s": 1e12},"#,
    ));
    assert!(
        e.contains("max_instance_lifetime_s: expected at most 3155760000 seconds"),
        "{e}"
    );
    let e = scenario_error(
        &base(r#"{"dist": "const", "value": 1}"#, "")
            .replace(r#""duration_s": 10"#, r#""duration_s": 5e9"#),
    );
    assert!(
        e.starts_with("s.json: duration_s: expected at most 3155760000 seconds"),
        "{e}"
    );
}

/// Just inside the limit the answer is exact: one request executing for 99 years.
#[test]
fn a_99_year_execution_is_reported_exactly() {
    let year_ms = 365.25 * 86_400_000.0;
    let s = scenario(&format!(
        r#"{{"name": "t", "duration_s": 1, "platform_overrides": {{"max_timeout_s": 3155760000}},
          "functions": [{{{FUNCTION},
          "exec_ms": {{"dist": "const", "value": {}}},
          "workload": {{"kind": "spike", "at_s": 0, "count": 1, "spread_s": 0}}}}]}}"#,
        99.0 * year_ms
    ));
    let r = run(&s);
    let l = &r.total.latency_ms;
    assert_eq!(l.count, 1);
    assert_eq!(l.mean, Some(99.0 * year_ms));
    assert_eq!(l.max, Some(99.0 * year_ms));
    // The histogram holds 3 significant digits: its p50 is within 0.1 % of the value.
    let p50 = l.p50.unwrap();
    assert!((p50 / (99.0 * year_ms) - 1.0).abs() < 1e-3, "{p50}");
}

/// Weights are relative; two weights of 1e308 used to sum to infinity and drop both parts.
#[test]
fn mixture_weights_of_any_magnitude_keep_their_ratio() {
    let s = scenario(&format!(
        r#"{{"name": "t", "duration_s": 1000, "functions": [{{{FUNCTION},
          "exec_ms": {{"dist": "mixture", "parts": [
            {{"weight": 1e308, "dist": {{"dist": "const", "value": 1}}}},
            {{"weight": 1.7e308, "dist": {{"dist": "const", "value": 3}}}}]}},
          "workload": {{"kind": "constant", "interval_s": 0.1}}}}]}}"#
    ));
    let (_, recs) = run_logged(&s);
    let n = recs.len() as f64;
    assert_eq!(n, 10_000.0);
    let ones = recs
        .iter()
        .filter(|r| r.end_ns - r.start_ns.unwrap() == MS)
        .count() as f64;
    let threes = recs
        .iter()
        .filter(|r| r.end_ns - r.start_ns.unwrap() == 3 * MS)
        .count() as f64;
    assert_eq!(ones + threes, n, "every execution is 1 or 3 ms");
    // P(1 ms) = 1 / 2.7; binomial standard deviation √(n p (1 − p)).
    let p = 1.0 / 2.7;
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!((ones - n * p).abs() <= 4.5 * sd, "{ones} of {n}");
}

/// Lambda allows 0–2 retries of an asynchronous event; a platform that publishes no
/// bound allows 100.
#[test]
fn async_retries_are_bounded_by_the_platform() {
    let with = |platform: &str, retries: u32| {
        format!(
            r#"{{"name": "t", "duration_s": 10, "platform": "{platform}", "functions": [{{{FUNCTION},
              "exec_ms": {{"dist": "const", "value": 1}}, "invocation": "async",
              "async": {{"max_retries": {retries}}},
              "workload": {{"kind": "constant", "interval_s": 1}}}}]}}"#
        )
    };
    assert_eq!(
        scenario_error(&with("aws-lambda", 3)),
        "s.json: functions[0].async.max_retries: expected 0..=2 retries on platform aws-lambda \
         (its max_async_retries), got 3"
    );
    scenario(&with("aws-lambda", 2));
    scenario(&with("google-cloud-functions", 100));
    assert!(
        scenario_error(&with("google-cloud-functions", 101))
            .contains("expected 0..=100 retries on platform google-cloud-functions")
    );
}

/// 100,000 requests at one instant with the scale-out and account limits raised: 100,000
/// instances busy at once, every request cold, each latency exactly cold start + execution.
#[test]
fn a_hundred_thousand_instances_busy_at_once() {
    let s = scenario(
        r#"{"name": "t", "duration_s": 1,
          "platform_overrides": {"account_concurrency": 200000, "scale_out_per_10s": 1000000},
          "functions": [{"name": "f", "runtime": "nodejs",
            "cold_start_ms": {"dist": "const", "value": 100},
            "exec_ms": {"dist": "const", "value": 1000},
            "workload": {"kind": "spike", "at_s": 0, "count": 100000, "spread_s": 0}}]}"#,
    );
    let r = run(&s);
    let t = &r.total;
    assert_eq!(
        (t.invocations, t.cold_starts, t.throttled),
        (100_000, 100_000, 0)
    );
    assert_eq!(t.instances.max_total, 100_000);
    assert_eq!(t.latency_ms.mean, Some(1100.0));
    assert_eq!(t.latency_ms.max, Some(1100.0));
}

/// One microsecond executions, warm: the latency is exactly 1 µs.
#[test]
fn microsecond_executions_are_exact() {
    let s = scenario(&format!(
        r#"{{"name": "t", "duration_s": 1, "functions": [{{{FUNCTION},
          "exec_ms": {{"dist": "const", "value": 0.001}},
          "workload": {{"kind": "constant", "interval_s": 0.000002}}}}]}}"#
    ));
    let r = run(&s);
    let t = &r.total;
    assert_eq!(t.invocations, 500_000);
    assert_eq!(t.cold_starts, 1);
    assert_eq!(t.warm_latency_ms.mean, Some(0.001));
    assert_eq!(t.warm_latency_ms.max, Some(0.001));
    assert_eq!(t.instances.max_total, 1);
}

/// A one-year run: one request an hour, each warm after the first (keep-alive 2 h), so
/// 8,766 requests (365.25 days × 24) and exactly one cold start.
#[test]
fn a_one_year_run_counts_every_hour() {
    let s = scenario(&format!(
        r#"{{"name": "t", "duration_s": 31557600, "functions": [{{{FUNCTION},
          "exec_ms": {{"dist": "const", "value": 10}},
          "keep_alive": {{"policy": "fixed", "idle_s": 7200}},
          "workload": {{"kind": "constant", "interval_s": 3600}}}}]}}"#
    ));
    let r = run(&s);
    let t = &r.total;
    assert_eq!((t.invocations, t.cold_starts), (8766, 1));
    assert_eq!(t.latency_ms.max, Some(10.0));
}

/// 10,000 functions, each with one request: each has its own row and one cold start.
#[test]
fn ten_thousand_functions_each_keep_their_own_counts() {
    let functions: Vec<String> = (0..10_000)
        .map(|i| {
            format!(
                r#"{{"name": "f{i}", "runtime": "nodejs",
                  "cold_start_ms": {{"dist": "const", "value": 5}},
                  "exec_ms": {{"dist": "const", "value": 1}},
                  "workload": {{"kind": "spike", "at_s": {}, "count": 1, "spread_s": 0}}}}"#,
                i as f64 * 0.001
            )
        })
        .collect();
    let s = scenario(&format!(
        r#"{{"name": "t", "duration_s": 20, "platform_overrides": {{"account_concurrency": 20000}},
          "functions": [{}]}}"#,
        functions.join(",")
    ));
    let r = run(&s);
    assert_eq!(r.functions.len(), 10_000);
    assert!(
        r.functions
            .iter()
            .all(|(_, f)| f.invocations == 1 && f.cold_starts == 1)
    );
    assert_eq!(r.total.cold_starts, 10_000);
    assert_eq!(r.total.latency_ms.mean, Some(6.0));
}

/// `--window-s 0.000001` on a 60 s run asked for 6·10^7 rows (9 GB); the row count is
/// checked before anything is written, and the message says which width would do: 60 s
/// over the 5·10^6 rows allowed is 12 µs.
#[test]
fn windows_too_narrow_to_write_are_refused_before_the_run() {
    let dir = temp_dir("numerics-windows");
    std::fs::write(
        dir.join("s.json"),
        format!(
            r#"{{"name": "t", "duration_s": 60, "functions": [{{{FUNCTION},
              "exec_ms": {{"dist": "const", "value": 1}},
              "workload": {{"kind": "constant", "interval_s": 1}}}}]}}"#
        ),
    )
    .unwrap();
    let out = run_with_windows(&dir, "0.000001");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: command line: --window-s: 0.000001 s windows over 60 s and 1 function(s) make \
         60000000 rows; expected at most 5000000: use --window-s 0.000012 or more\n"
    );
    assert!(!dir.join("w.csv").exists(), "nothing is written");
}

/// 10^6 requests per second for half a second, 1 ms executions, limits raised: an M/D/∞
/// system. The count is Poisson (5·10^5 ± 4.5√(5·10^5)); every warm request takes exactly
/// 1 ms and every cold one 1 ms + the 5 ms cold start; about λ × 6 ms = 6,000 instances
/// at most are ever starting or busy, below the raised limits, so nothing is throttled.
#[test]
fn a_million_requests_per_second() {
    let s = scenario(
        r#"{"name": "t", "duration_s": 0.5,
          "platform_overrides": {"account_concurrency": 100000, "scale_out_per_10s": 1000000},
          "functions": [{"name": "f", "runtime": "nodejs",
            "cold_start_ms": {"dist": "const", "value": 5},
            "exec_ms": {"dist": "const", "value": 1},
            "workload": {"kind": "poisson", "rate_per_s": 1000000}}]}"#,
    );
    let r = run(&s);
    let t = &r.total;
    assert_poisson_count(t.invocations, 5e5);
    assert_eq!(t.throttled, 0);
    assert_eq!(t.warm_starts + t.cold_starts, t.invocations);
    assert_eq!(t.warm_latency_ms.max, Some(1.0));
    assert_eq!(t.warm_latency_ms.mean, Some(1.0));
    assert_eq!(t.cold_latency_ms.mean, Some(6.0));
}
