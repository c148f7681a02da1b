//! The cost model against published prices and hand computations.

use crate::common::*;

const X86_GB_S: f64 = 0.0000166667;
const REQUEST: f64 = 0.20 / 1e6;

fn warm_only(memory: u32, exec_ms: f64, extra: &str, n: u64) -> faassim::RunResult {
    // One request per second after a 10 s warm-up: the instance is warm for every
    // measured request.
    run(&scenario(&format!(
        r#"{{"name": "c", "duration_s": {}, "warmup_s": 10, {extra}
          "functions": [{{"name": "f", "runtime": "nodejs", "memory_mb": {memory},
            "exec_ms": {{"dist": "const", "value": {exec_ms}}},
            "keep_alive": {{"policy": "fixed", "idle_s": 600}},
            "workload": {{"kind": "constant", "interval_s": 1}}}}]}}"#,
        10 + n
    )))
}

/// The worked check: 512 MB for 200 ms = 0.5 GB × 0.2 s × $0.0000166667 = $0.0000016667
/// of compute plus $0.0000002 per request, so 10 million invocations cost $18.67.
#[test]
fn worked_check_512_mb_200_ms() {
    let r = warm_only(512, 200.0, "", 10_000);
    let c = &r.total.cost_usd;
    assert_eq!(r.total.invocations, 10_000);
    let per = c.total / 10_000.0;
    assert!((c.compute / 10_000.0 - 0.5 * 0.2 * X86_GB_S).abs() < 1e-15);
    assert!((c.requests / 10_000.0 - REQUEST).abs() < 1e-15);
    assert_eq!(format!("{:.2}", per * 10_000_000.0), "18.67");
}

/// Billed duration is rounded up to 1 ms per request: 200.3 ms bills as 201 ms.
#[test]
fn duration_rounds_up_to_the_millisecond() {
    let r = warm_only(1024, 200.3, "", 1000);
    let expected = 1000.0 * 1.0 * 0.201 * X86_GB_S;
    assert!(
        (r.total.cost_usd.compute - expected).abs() < 1e-12,
        "{}",
        r.total.cost_usd.compute
    );
}

/// arm64 uses its own rate ($0.0000133334 per GB-s).
#[test]
fn arm64_is_billed_at_its_rate() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 110, "warmup_s": 10,
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 2048, "arch": "arm64",
            "exec_ms": {"dist": "const", "value": 1000},
            "workload": {"kind": "constant", "interval_s": 2}}]}"#,
    ));
    let expected = 50.0 * 2.0 * 1.0 * 0.0000133334;
    assert!((r.total.cost_usd.compute - expected).abs() < 1e-12);
}

/// Init is billed on cold starts (since 2025-08): runtime start + function init, not the
/// sandbox phase. Cold start = sandbox 90 + start 145 + init 55 ms; billed 145 + 55 + 100.
#[test]
fn init_is_billed_on_cold_starts() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 10,
          "platform_overrides": {"sandbox_ms": {"dist": "const", "value": 90}},
          "functions": [{"name": "f", "runtime": {"name": "r", "runtime_start_ms": {"dist": "const", "value": 145}},
            "memory_mb": 1024, "init_ms": {"dist": "const", "value": 55},
            "exec_ms": {"dist": "const", "value": 100},
            "workload": {"kind": "constant", "interval_s": 100}}]}"#,
    ));
    assert_eq!(r.total.cold_latency_ms.max, Some(390.0));
    let expected = 0.300 * X86_GB_S;
    assert!((r.total.cost_usd.compute - expected).abs() < 1e-15);
}

/// Provisioned concurrency, hand-computed: 2 instances of 1 GB for an hour at
/// $0.0000041667 per GB-s, plus one 100 ms request on them at $0.0000097222 per GB-s and
/// its request fee.
#[test]
fn provisioned_charges_are_allocation_plus_duration() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 3600,
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 1024,
            "exec_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "fixed", "count": 2},
            "workload": {"kind": "constant", "interval_s": 10000, "start_s": 60}}]}"#,
    ));
    let c = &r.total.cost_usd;
    let expected = 2.0 * 3600.0 * 0.0000041667 + 0.1 * 0.0000097222;
    assert!(
        (c.provisioned - expected).abs() < 1e-12,
        "{}",
        c.provisioned
    );
    assert_eq!(c.compute, 0.0);
    assert!((c.requests - REQUEST).abs() < 1e-18);
    assert!((c.total - (expected + REQUEST)).abs() < 1e-12);
}

/// The free tier, prorated to the measured period, credits usage under the allowance:
/// one 50 ms request of 128 MB every 10 s is 259,200 requests a month, under the 1M free
/// requests, and its GB-seconds are far under 400,000.
#[test]
fn free_tier_credits_usage_under_the_allowance() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 10000, "cost": {"free_tier": true},
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 128,
            "exec_ms": {"dist": "const", "value": 50},
            "workload": {"kind": "constant", "interval_s": 10}}]}"#,
    ));
    let c = &r.total.cost_usd;
    assert!(c.free_tier_credit < 0.0);
    assert!((c.free_tier_credit + c.requests + c.compute).abs() < 1e-15);
    assert!(c.total.abs() < 1e-15);
    // Above the allowance only the prorated share is free: 10,000 requests of 10 GB-s in
    // 10,000 s (allowances: 1M × 10,000 / 2,592,000 = 3,858 requests, and 1,543.2 GB-s).
    let r = warm_only(10240, 1000.0, r#""cost": {"free_tier": true},"#, 10_000);
    let c = &r.total.cost_usd;
    let share = 10_000.0 / 2_592_000.0;
    let expected = -(1e6 * share * REQUEST) - 400_000.0 * share * X86_GB_S;
    assert!(
        (c.free_tier_credit - expected).abs() < 1e-9,
        "{} vs {expected}",
        c.free_tier_credit
    );
}

/// Per-instance billing (Cloud Run-like), hand-worked: one request at t = 0 (cold start
/// 0.5 s, execution 1 s), keep-alive 60 s, so the instance lives 61.5 s, 1.5 s of it
/// starting or busy. 2 GiB, 1 vCPU (mb_per_vcpu 2048).
#[test]
fn per_instance_billing_charges_instance_time() {
    let platform = |while_: &str| {
        format!(
            r#"{{"name": "cr", "account_concurrency": 100,
              "keep_alive": {{"policy": "fixed", "idle_s": 60}},
              "sandbox_ms": {{"dist": "const", "value": 0}},
              "memory_mb": {{"min": 128, "max": 32768, "default": 2048}},
              "mb_per_vcpu": 2048,
              "pricing": {{"currency": "USD", "request_per_million": 0.40, "billing": "per_instance",
                "billed_while": "{while_}", "gb_second": {{"x86_64": 0.0000025}}, "vcpu_second": 0.000024,
                "billing_granularity_ms": 100}}}}"#
        )
    };
    for (while_, seconds) in [("alive", 61.5), ("busy", 1.5)] {
        let r = run(&scenario(&format!(
            r#"{{"name": "c", "duration_s": 100, "platform": {},
              "functions": [{{"name": "f", "runtime": "nodejs",
                "cold_start_ms": {{"dist": "const", "value": 500}},
                "exec_ms": {{"dist": "const", "value": 1000}},
                "workload": {{"kind": "constant", "interval_s": 1000}}}}]}}"#,
            platform(while_)
        )));
        let c = &r.total.cost_usd;
        let expected = seconds * (2.0 * 0.0000025 + 1.0 * 0.000024);
        assert!(
            (c.compute - expected).abs() < 1e-12,
            "{while_}: {} vs {expected}",
            c.compute
        );
        assert!((c.requests - 0.4e-6).abs() < 1e-18);
    }
}

/// The always-on fleet: 10 executions in flight at all times (arrivals every 0.1 s, 1 s
/// each) of 1,769 MB (1 vCPU each) need 10 vCPUs; t3.medium servers (2 vCPUs) at 60 %
/// carry 1.2 vCPUs each, so 9 servers, for an hour: 9 × $0.0416.
#[test]
fn always_on_fleet_is_sized_for_the_load() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 3610, "warmup_s": 10,
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 1769,
            "exec_ms": {"dist": "const", "value": 1000},
            "workload": {"kind": "constant", "interval_s": 0.1}}]}"#,
    ));
    let fleet = &r.total.cost_usd.always_on_fleet;
    assert_eq!(fleet.instances, 9);
    assert!((fleet.usd - 9.0 * 0.0416).abs() < 1e-12);
}
