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

/// The always-on fleet: arrivals every 0.1 s of 1 s of CPU work (`cpu_fraction` 1) at
/// 1,769 MB (1 vCPU each) are 10 vCPU-seconds a second; t3.medium servers (2 vCPUs) at 60 %
/// carry 1.2 vCPUs each, so 9 servers, for an hour: 9 × $0.0416.
#[test]
fn always_on_fleet_is_sized_for_the_load() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 3610, "warmup_s": 10,
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 1769, "cpu_fraction": 1,
            "exec_ms": {"dist": "const", "value": 1000},
            "workload": {"kind": "constant", "interval_s": 0.1}}]}"#,
    ));
    let fleet = &r.total.cost_usd.always_on_fleet;
    assert_eq!(fleet.instances, 9);
    assert!((fleet.usd - 9.0 * 0.0416).abs() < 1e-12);
}

/// `n` measured requests, one per second after a 10 s warm-up, on `platform`, with
/// function fields `fields` (the instance stays warm: every platform keeps it ≥ 300 s).
fn warm_on(platform: &str, runtime: &str, fields: &str, extra: &str, n: u64) -> faassim::RunResult {
    run(&scenario(&format!(
        r#"{{"name": "c", "duration_s": {}, "warmup_s": 10, "platform": "{platform}", {extra}
          "functions": [{{"name": "f", "runtime": "{runtime}", {fields}
            "workload": {{"kind": "constant", "interval_s": 1}}}}]}}"#,
        10 + n
    )))
}

/// Cloudflare Workers bill CPU time: the billed duration times the function's CPU share
/// (`cpu_fraction` of one vCPU), or `cost.cpu_time_fraction` when the scenario overrides it.
/// By hand: 1,000 requests of 20 ms at a CPU share of 0.25 are
/// 1,000 × 5 = 5,000 CPU-ms × $0.02 / 1M = $0.0001, plus 1,000 × $0.30 / 1M = $0.0003 of
/// requests; memory is free.
#[test]
fn cloudflare_bills_cpu_milliseconds() {
    let fields = r#""exec_ms": {"dist": "const", "value": 20},"#;
    let cpu_bound_quarter = r#""exec_ms": {"dist": "const", "value": 20}, "cpu_fraction": 0.25,"#;
    for (fields, cost) in [
        (fields, r#""cost": {"cpu_time_fraction": 0.25},"#),
        (cpu_bound_quarter, ""),
    ] {
        let r = warm_on("cloudflare-workers", "v8-isolate", fields, cost, 1000);
        let c = &r.total.cost_usd;
        assert_eq!(r.total.warm_starts + r.total.cold_starts, 1000);
        assert_close(c.compute, 0.0001);
        assert_close(c.requests, 0.0003);
        assert_close(c.total, 0.0004);
    }
    // An I/O-bound Worker (cpu_fraction 0, the default) is billed no CPU time.
    let r = warm_on("cloudflare-workers", "v8-isolate", fields, "", 1000);
    assert_eq!(r.total.cost_usd.compute, 0.0);
    assert_close(r.total.cost_usd.total, 0.0003);

    // With the plan's allowance: over 1,000 s it is 10M × 1,000 / 2,592,000 = 3,858
    // requests and 11,574 CPU-ms, both above the use, so everything is credited, and the
    // $5 monthly fee prorated to 5 × 1,000 / 2,592,000 = $0.00192901 is charged instead.
    let r = warm_on(
        "cloudflare-workers",
        "v8-isolate",
        fields,
        r#""cost": {"cpu_time_fraction": 0.25, "free_tier": true},"#,
        1000,
    );
    let c = &r.total.cost_usd;
    let fee = 5.0 * 1000.0 / 2_592_000.0;
    assert_close(c.free_tier_credit, -0.0004 + fee);
    assert_close(c.total, fee);
}

/// Azure Consumption rounds billed memory up to 128 MB steps. By hand, 1,000 requests of
/// 100 ms at $0.000016 per GB-s: 200 MB bills as 256 MB = 0.25 GB → 1,000 × 0.1 × 0.25 ×
/// 0.000016 = $0.0004; 257 MB bills as 384 MB = 0.375 GB → $0.0006; requests 1,000 ×
/// $0.20 / 1M = $0.0002.
#[test]
fn azure_rounds_memory_up_to_128_mb() {
    for (memory, compute) in [(200, 0.0004), (256, 0.0004), (257, 0.0006)] {
        let r = warm_on(
            "azure-functions",
            "nodejs",
            &format!(
                r#""memory_mb": {memory}, "vcpus": 1,
                  "exec_ms": {{"dist": "const", "value": 100}},"#
            ),
            "",
            1000,
        );
        let c = &r.total.cost_usd;
        assert_close(c.compute, compute);
        assert_close(c.requests, 0.0002);
    }
}

/// Cloud Functions 1st gen bills GB-s and GHz-s of the duration rounded up to 100 ms. By
/// hand, 1,000 requests of 260 ms (billed 300 ms) at 512 MB, whose tier runs at 800 MHz:
/// 0.5 GB × 0.3 s × $0.0000025 + 0.8 GHz × 0.3 s × $0.00001 = $0.000002775 each, so
/// $0.002775; requests 1,000 × $0.40 / 1M = $0.0004.
#[test]
fn cloud_functions_bill_ghz_seconds() {
    let fields = r#""memory_mb": 512, "exec_ms": {"dist": "const", "value": 260},"#;
    let r = warm_on("google-cloud-functions", "nodejs", fields, "", 1000);
    let c = &r.total.cost_usd;
    assert_close(c.compute, 0.002775);
    assert_close(c.requests, 0.0004);

    // The free tier over 1,000 s (share 1,000 / 2,592,000): 771.6 of the 1,000 requests
    // (2M a month) = $0.00030864; all 150 GB-s used (allowance 154.3) = $0.000375; 77.16 of
    // the 240 GHz-s used (200,000 a month) = $0.0007716.
    let r = warm_on(
        "google-cloud-functions",
        "nodejs",
        fields,
        r#""cost": {"free_tier": true},"#,
        1000,
    );
    let share = 1000.0 / 2_592_000.0;
    let expected = -(2e6 * share * 0.4e-6 + 150.0 * 0.0000025 + 200_000.0 * share * 0.00001);
    assert_close(r.total.cost_usd.free_tier_credit, expected);
    assert!((expected + 0.00145525).abs() < 1e-8);
}

/// A memory size between tiers gets the next tier's clock: 600 MB runs (and bills) at the
/// 1 GB tier's 1.4 GHz; the tiers end at 8 GB, 4.8 GHz.
#[test]
fn cpu_clock_comes_from_the_next_memory_tier() {
    let p = faassim::profile::embedded_platform("google-cloud-functions").unwrap();
    let pricing = p.pricing.unwrap();
    for (mb, ghz) in [(128, 0.2), (129, 0.4), (600, 1.4), (2048, 2.4), (8192, 4.8)] {
        assert_eq!(faassim::cost::cpu_ghz(&pricing, mb), ghz, "{mb} MB");
    }
    assert_eq!(faassim::cost::billed_gb(&pricing, 600), 600.0 / 1024.0);
}

/// Per-instance billing uses the function's vCPUs, set apart from memory on Cloud Run. By
/// hand: one request, cold start 0.5 s + 1 s execution = 1.5 s of busy instance time at 2
/// GiB and 1 vCPU: 1.5 × (2 × $0.0000025 + 1 × $0.000024) = $0.0000435. Without `vcpus`
/// the default of 2,048 / 512 = 4 vCPUs would cost 1.5 × (0.000005 + 0.000096).
#[test]
fn cloud_run_bills_the_functions_vcpus() {
    for (vcpus, expected) in [(r#""vcpus": 1,"#, 0.0000435), ("", 1.5 * 0.000101)] {
        let r = run(&scenario(&format!(
            r#"{{"name": "c", "duration_s": 100, "platform": "google-cloud-run",
              "functions": [{{"name": "f", "runtime": "nodejs", "memory_mb": 2048, {vcpus}
                "cold_start_ms": {{"dist": "const", "value": 500}},
                "exec_ms": {{"dist": "const", "value": 1000}},
                "workload": {{"kind": "constant", "interval_s": 1000}}}}]}}"#
        )));
        assert_close(r.total.cost_usd.compute, expected);
    }
}

/// Bad pricing and cost settings are refused with the field named.
#[test]
fn bad_pricing_fields_are_named() {
    let err = |json: &str| {
        faassim::Scenario::from_str(json, "s.json", std::path::Path::new("."))
            .unwrap_err()
            .to_string()
    };
    let f = r#""functions": [{"name": "f", "runtime": "nodejs",
        "exec_ms": {"dist": "const", "value": 1},
        "workload": {"kind": "poisson", "rate_per_s": 1}}]"#;
    let e = err(&format!(
        r#"{{"name": "x", "duration_s": 1, "platform": "google-cloud-functions",
           "platform_overrides": {{"pricing": {{"cpu_ghz_by_memory": [[128, 0.2], [128, 0.4]]}}}}, {f}}}"#
    ));
    assert!(
        e.contains("platform_overrides.pricing.cpu_ghz_by_memory[1]") && e.contains("increasing"),
        "{e}"
    );
    let e = err(&format!(
        r#"{{"name": "x", "duration_s": 1, "platform": "google-cloud-functions",
           "platform_overrides": {{"pricing": {{"cpu_ghz_by_memory": [[128, 0.2], [1024, 1.4]]}}}}, {f}}}"#
    ));
    assert!(
        e.contains("pricing.cpu_ghz_by_memory") && e.contains("8192"),
        "{e}"
    );
    let e = err(&format!(
        r#"{{"name": "x", "duration_s": 1, "platform": "azure-functions",
           "platform_overrides": {{"pricing": {{"memory_rounding_mb": 0}}}}, {f}}}"#
    ));
    assert!(e.contains("pricing.memory_rounding_mb"), "{e}");
    let e = err(&format!(
        r#"{{"name": "x", "duration_s": 1, "cost": {{"cpu_time_fraction": 1.5}}, {f}}}"#
    ));
    assert!(
        e.contains("cost.cpu_time_fraction") && e.contains("1.5"),
        "{e}"
    );
}

/// `cost.cpu_time_fraction` overrides each function's CPU share for CPU-time billing; a
/// scenario where the two disagree gets a warning naming the function, and only on a
/// platform that bills CPU time.
#[test]
fn a_cpu_time_override_that_disagrees_with_the_function_is_warned_about() {
    let load = |platform: &str, fraction: f64| {
        scenario(&format!(
            r#"{{"name": "c", "duration_s": 10, "platform": "{platform}",
              "cost": {{"cpu_time_fraction": 0.25}},
              "functions": [{{"name": "f", "runtime": "nodejs", "cpu_fraction": {fraction},
                "exec_ms": {{"dist": "const", "value": 20}},
                "workload": {{"kind": "constant", "interval_s": 1}}}}]}}"#
        ))
    };
    let warnings = load("cloudflare-workers", 0.0).warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("cost.cpu_time_fraction 0.25") && warnings[0].contains("'f'"),
        "{}",
        warnings[0]
    );
    assert!(load("cloudflare-workers", 0.25).warnings().is_empty());
    assert!(load("aws-lambda", 0.0).warnings().is_empty());
}

/// AWS bills provisioned concurrency "from the time you enable it on your function until it
/// is disabled, rounded up to the nearest 5 minutes". By hand: 40 instances of 512 MB for
/// 110 s in every 10 minutes, over an hour, are 6 periods billed 300 s each: 6 × 300 × 40 ×
/// 0.5 GB × $0.0000041667 = $0.1500 (billed as allocated it would be 6 × 110 × 40 × 0.5 ×
/// $0.0000041667 = $0.0550). A fixed level for the whole run is not rounded.
#[test]
fn provisioned_concurrency_is_billed_in_five_minute_periods() {
    let load = |provisioned: &str| {
        run(&scenario(&format!(
            r#"{{"name": "pc", "duration_s": 3600, "platform": "aws-lambda",
              "functions": [{{"name": "f", "runtime": "nodejs", "memory_mb": 512,
                "exec_ms": {{"dist": "const", "value": 10}},
                "provisioned": {provisioned},
                "workload": {{"kind": "constant", "interval_s": 60}}}}]}}"#
        )))
    };
    let r = load(
        r#"{"policy": "scheduled", "repeat_s": 600,
            "steps": [{"at_s": 0, "count": 40}, {"at_s": 110, "count": 0}]}"#,
    );
    let pc = r.total.provisioned.as_ref().expect("provisioned summary");
    assert!(
        (pc.billed_s - 6.0 * 300.0 * 40.0).abs() < 1e-6,
        "{}",
        pc.billed_s
    );
    let allocation = 6.0 * 300.0 * 40.0 * 0.5 * 4.1667e-6;
    let duration = r.total.cost_usd.provisioned - allocation;
    // The rest of the provisioned line is the duration of the requests they served.
    assert!(
        (0.0..1e-4).contains(&duration),
        "{}",
        r.total.cost_usd.provisioned
    );
    assert!((r.total.cost_usd.provisioned - 0.15).abs() < 0.001);

    let fixed = load(r#"{"policy": "fixed", "count": 3}"#);
    let pc = fixed
        .total
        .provisioned
        .as_ref()
        .expect("provisioned summary");
    assert!((pc.billed_s - 3.0 * 3600.0).abs() < 1e-6, "{}", pc.billed_s);
}

/// The always-on fleet is sized on the load's CPU demand, not on in-flight executions: 100
/// requests a second of 100 ms, all CPU on one vCPU, are 10 vCPUs in every 60-s window;
/// t3.medium servers of 2 vCPUs at 60 % carry 1.2 each, so ceil(10 / 1.2) = 9 servers,
/// $0.0416 × 9 for the 10 minutes. The same on Lambda and on Cloud Run (80 requests an
/// instance), with or without 5-s cold starts; an I/O-bound function (cpu_fraction 0)
/// needs no CPU at all.
#[test]
fn the_fleet_is_sized_on_cpu_demand_whatever_the_platform() {
    let load = |platform: &str, fields: &str| {
        run(&scenario(&format!(
            r#"{{"name": "fleet", "duration_s": 600, "platform": "{platform}",
              "functions": [{{"name": "f", "runtime": "nodejs", "memory_mb": 2048,
                "vcpus": 1, {fields}
                "exec_ms": {{"dist": "const", "value": 100}},
                "workload": {{"kind": "constant", "interval_s": 0.01}}}}]}}"#
        )))
    };
    let cold = r#""cold_start_ms": {"dist": "const", "value": 5000},"#;
    for (platform, fields) in [
        ("aws-lambda", r#""cpu_fraction": 1,"#.to_string()),
        ("aws-lambda", format!(r#""cpu_fraction": 1, {cold}"#)),
        ("google-cloud-run", r#""cpu_fraction": 1,"#.to_string()),
    ] {
        let r = load(platform, &fields);
        let fleet = &r.total.cost_usd.always_on_fleet;
        assert!(
            (10.0..10.2).contains(&fleet.load_vcpus),
            "{platform} {fields}: {fleet:?}"
        );
        assert_eq!(fleet.instances, 9, "{platform} {fields}");
        assert_close(fleet.usd, 9.0 * 0.0416 / 6.0);
    }
    let io_bound = load("aws-lambda", "");
    let fleet = &io_bound.total.cost_usd.always_on_fleet;
    assert_eq!((fleet.instances, fleet.load_vcpus), (0, 0.0));
}

/// Every price is ≥ 0: negative provisioned prices were accepted and gave a negative total
/// cost. The error names the override and the value.
#[test]
fn negative_provisioned_prices_are_refused() {
    for field in ["provisioned_gb_second", "provisioned_duration_gb_second"] {
        let json = format!(
            r#"{{"name": "neg", "duration_s": 60, "platform": "aws-lambda",
              "platform_overrides": {{"pricing": {{"{field}": {{"x86_64": -0.5}}}}}},
              "functions": [{{"name": "f", "runtime": "nodejs",
                "exec_ms": {{"dist": "const", "value": 10}},
                "workload": {{"kind": "constant", "interval_s": 30}}}}]}}"#
        );
        let e = faassim::Scenario::from_str(&json, "neg.json", std::path::Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("pricing.{field}.x86_64")) && e.contains("-0.5"),
            "{e}"
        );
    }
}

/// Each function's always-on fleet is sized on its own CPU demand; the total's on the sum.
/// By hand (1,769 MB is one vCPU, `cpu_fraction` 1, 1 s executions, one hour measured):
/// `a` every 0.1 s is 10 vCPUs → ceil(10 / 1.2) = 9 servers; `b` every 1 s is 1 vCPU → 1
/// server; together 11 vCPUs → ceil(11 / 1.2) = 10 servers, $0.0416 each for the hour.
#[test]
fn each_function_has_its_own_fleet_and_the_total_is_sized_on_the_sum() {
    let f = |name: &str, every: f64| {
        format!(
            r#"{{"name": "{name}", "runtime": "nodejs", "memory_mb": 1769, "cpu_fraction": 1,
              "exec_ms": {{"dist": "const", "value": 1000}},
              "workload": {{"kind": "constant", "interval_s": {every}}}}}"#
        )
    };
    let r = run(&scenario(&format!(
        r#"{{"name": "c", "duration_s": 3610, "warmup_s": 10, "functions": [{}, {}]}}"#,
        f("a", 0.1),
        f("b", 1.0)
    )));
    let fleet = |i: usize| r.functions[i].1.cost_usd.always_on_fleet.clone();
    assert_eq!(fleet(0).instances, 9);
    assert_close(fleet(0).usd, 9.0 * 0.0416);
    assert_eq!(fleet(1).instances, 1);
    assert_close(fleet(1).usd, 0.0416);
    assert_eq!(r.total.cost_usd.always_on_fleet.instances, 10);
    assert_close(r.total.cost_usd.always_on_fleet.usd, 10.0 * 0.0416);
}

/// A per-instance platform (Cloud Run-like, billed while busy) with only warm-up pings:
/// a round of one ping every 10 s from 0 over 100 s is 10 pings. Each costs its request
/// fee ($0.40 / 1M) in `warmers`; its instance time is in `compute`, not counted twice.
/// The instance starts once (cold start 0.5 s) and each ping holds it 1 ms: 0.51 s of
/// busy instance time.
#[test]
fn warmer_pings_cost_their_request_fees_under_per_instance_billing() {
    let dir = temp_dir("cost-warmers-per-instance");
    std::fs::write(dir.join("none.csv"), "").unwrap();
    let r = run(&scenario_in(
        r#"{"name": "c", "duration_s": 100,
          "platform": {"name": "cr", "account_concurrency": 100,
            "keep_alive": {"policy": "fixed", "idle_s": 60},
            "sandbox_ms": {"dist": "const", "value": 0},
            "memory_mb": {"min": 128, "max": 32768, "default": 2048},
            "mb_per_vcpu": 2048,
            "pricing": {"currency": "USD", "request_per_million": 0.40, "billing": "per_instance",
              "billed_while": "busy", "gb_second": {"x86_64": 0.0000025}, "vcpu_second": 0.000024,
              "billing_granularity_ms": 100}},
          "functions": [{"name": "f", "runtime": "nodejs",
            "cold_start_ms": {"dist": "const", "value": 500},
            "exec_ms": {"dist": "const", "value": 1000},
            "warmers": {"every_s": 10, "concurrency": 1},
            "workload": {"kind": "timestamps", "path": "none.csv"}}]}"#,
        &dir,
    ));
    let c = &r.total.cost_usd;
    assert_eq!(r.total.warmers.unwrap().pings, 10);
    assert_close(c.warmers, 10.0 * 0.4e-6);
    assert_eq!(c.requests, 0.0);
    // 2 GiB and 1 vCPU busy for the cold start and ten 1-ms pings.
    assert_close(
        c.compute,
        (0.5 + 10.0 * 0.001) * (2.0 * 0.0000025 + 0.000024),
    );
    assert_close(c.total, c.compute + c.warmers);
}

/// The free tier covers warm-up pings like any on-demand use: on Lambda, one user request
/// and pings every minute for an hour are far under the allowance, so the credit is minus
/// everything billed (requests, compute and warmers) and the total is 0.
#[test]
fn the_free_tier_covers_warmer_pings() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 3600, "cost": {"free_tier": true},
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 1024,
            "exec_ms": {"dist": "const", "value": 100},
            "warmers": {"every_s": 60, "concurrency": 2},
            "workload": {"kind": "constant", "interval_s": 10000}}]}"#,
    ));
    let c = &r.total.cost_usd;
    assert!(c.warmers > 0.0 && c.requests > 0.0);
    assert!(
        (c.free_tier_credit + c.requests + c.compute + c.warmers).abs() < 1e-15,
        "{c:?}"
    );
    assert!(c.total.abs() < 1e-15, "{c:?}");
}

/// Cloud Run's free tier includes vCPU-seconds (180,000 a month): one request of a 2-vCPU,
/// 1 GiB function (cold start 0.5 s + 1 s, billed while busy) costs 1.5 s × ($0.0000025
/// for the GiB plus 2 × $0.000024), all of it under the prorated allowance, so the total is
/// 0. Over it, only the prorated share is free: a 4-vCPU function busy all the time for
/// 10,000 s uses 40,000 vCPU-s against 180,000 × 10,000 / 2,592,000 = 694.4 free.
#[test]
fn the_free_tier_credits_vcpu_seconds_under_per_instance_billing() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 100, "platform": "google-cloud-run",
          "cost": {"free_tier": true},
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 1024, "vcpus": 2,
            "cold_start_ms": {"dist": "const", "value": 500},
            "exec_ms": {"dist": "const", "value": 1000},
            "workload": {"kind": "constant", "interval_s": 1000}}]}"#,
    ));
    let c = &r.total.cost_usd;
    assert_close(c.compute, 1.5 * (0.0000025 + 2.0 * 0.000024));
    assert!(
        (c.free_tier_credit + c.requests + c.compute).abs() < 1e-15,
        "{c:?}"
    );
    // Over every allowance: a request every second holding a 512 MB, 4-vCPU instance 1 s
    // for 10,000 s (10,000 requests, about 40,000 vCPU-s and 5,000 GB-s): the credit is
    // the prorated allowances, 2M requests, 360,000 GB-s and 180,000 vCPU-s a month.
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 10000, "platform": "google-cloud-run",
          "cost": {"free_tier": true},
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 512, "vcpus": 4,
            "exec_ms": {"dist": "const", "value": 1000},
            "workload": {"kind": "constant", "interval_s": 1}}]}"#,
    ));
    let share = 10_000.0 / 2_592_000.0;
    let expected = -(2e6 * 0.4e-6 + 360_000.0 * 0.0000025 + 180_000.0 * 0.000024) * share;
    assert_close(r.total.cost_usd.free_tier_credit, expected);
}

/// The fleet's servers must have vCPUs (> 0: the fleet divides the load by them) and a
/// price ≥ 0; the error names the field and the value.
#[test]
fn fleet_servers_need_vcpus_and_a_price() {
    let err = |cost: &str| {
        let json = format!(
            r#"{{"name": "x", "duration_s": 1, "cost": {cost},
              "functions": [{{"name": "f", "runtime": "nodejs",
                "exec_ms": {{"dist": "const", "value": 1}},
                "workload": {{"kind": "poisson", "rate_per_s": 1}}}}]}}"#
        );
        faassim::Scenario::from_str(&json, "s.json", std::path::Path::new("."))
            .err()
            .map(|e| e.to_string())
    };
    for vcpus in ["0", "-2"] {
        let e = err(&format!(r#"{{"fleet": {{"vcpus": {vcpus}}}}}"#)).expect(vcpus);
        assert!(
            e.contains("s.json") && e.contains("cost.fleet.vcpus") && e.contains(vcpus),
            "{e}"
        );
    }
    let e = err(r#"{"fleet": {"usd_per_hour": -1}}"#).unwrap();
    assert!(
        e.contains("cost.fleet.usd_per_hour") && e.contains("-1"),
        "{e}"
    );
    assert_eq!(err(r#"{"fleet": {"vcpus": 0.5, "usd_per_hour": 0}}"#), None);
}

/// The total adds up every function's parts. By hand, on Lambda over 1,000 s: `a` (1 GB)
/// has one provisioned instance all along (1,000 GB-s at $0.0000041667) and one 100-ms
/// request on it ($0.0000097222 per GB-s); `b` (2 GB) gets one on-demand 100-ms request
/// every 100 s (10 of them, each billed its 100 ms, the first also its init) and a warm-up
/// ping every 250 s (4, each a 1-ms request fee and GB-s).
#[test]
fn the_total_adds_up_every_functions_parts() {
    let r = run(&scenario(
        r#"{"name": "sum", "duration_s": 1000, "platform": "aws-lambda",
          "functions": [
            {"name": "a", "runtime": "nodejs", "memory_mb": 1024,
             "exec_ms": {"dist": "const", "value": 100},
             "provisioned": {"policy": "fixed", "count": 1},
             "workload": {"kind": "constant", "interval_s": 10000, "start_s": 500}},
            {"name": "b", "runtime": "nodejs", "memory_mb": 2048,
             "exec_ms": {"dist": "const", "value": 100},
             "cold_start_ms": {"dist": "const", "value": 0},
             "keep_alive": {"policy": "fixed", "idle_s": 3600},
             "warmers": {"every_s": 250, "concurrency": 1},
             "workload": {"kind": "constant", "interval_s": 100, "start_s": 50}}]}"#,
    ));
    let (a, b, t) = (
        &r.functions[0].1.cost_usd,
        &r.functions[1].1.cost_usd,
        &r.total.cost_usd,
    );
    assert_close(a.provisioned, 1000.0 * 4.1667e-6 + 0.1 * 9.7222e-6);
    assert_eq!((b.provisioned, a.warmers, a.compute), (0.0, 0.0, 0.0));
    assert_close(b.compute, 10.0 * 0.1 * 2.0 * X86_GB_S);
    assert_close(b.warmers, 4.0 * (REQUEST + 0.001 * 2.0 * X86_GB_S));
    assert_close(t.provisioned, a.provisioned);
    assert_close(t.compute, b.compute);
    assert_close(t.warmers, b.warmers);
    assert_close(t.requests, 11.0 * REQUEST);
    assert_close(t.total, t.provisioned + t.compute + t.warmers + t.requests);
}

/// Under every allowance the free tier credits all of the usage, GHz-seconds included: on
/// Cloud Functions 1st gen, 100 requests of 260 ms at 512 MB in 10,000 s use about 24
/// GHz-s (0.8 GHz × 0.3 s billed each) of the 771.6 free in that time (200,000 a month),
/// 15 GB-s and 100 requests, so the total is 0.
#[test]
fn the_free_tier_credits_ghz_seconds_under_the_allowance() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 10000, "platform": "google-cloud-functions",
          "cost": {"free_tier": true},
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 512,
            "exec_ms": {"dist": "const", "value": 260},
            "workload": {"kind": "constant", "interval_s": 100}}]}"#,
    ));
    let c = &r.total.cost_usd;
    assert!(c.compute > 100.0 * 0.8 * 0.3 * 0.00001, "{c:?}");
    assert!(
        (c.free_tier_credit + c.requests + c.compute).abs() < 1e-15,
        "{c:?}"
    );
    assert!(c.total.abs() < 1e-15, "{c:?}");
}

/// The free tier does not apply to provisioned concurrency: a function whose only request
/// is served by a provisioned instance gets no credit (0, not NaN from an average rate over
/// zero on-demand GB-seconds), and pays its provisioned line in full.
#[test]
fn the_free_tier_credits_nothing_without_on_demand_use() {
    let r = run(&scenario(
        r#"{"name": "c", "duration_s": 100, "platform": "aws-lambda",
          "cost": {"free_tier": true},
          "functions": [{"name": "f", "runtime": "nodejs", "memory_mb": 1024,
            "exec_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "fixed", "count": 1},
            "workload": {"kind": "constant", "interval_s": 1000, "start_s": 50}}]}"#,
    ));
    let c = &r.total.cost_usd;
    assert_eq!(c.free_tier_credit, 0.0);
    assert_eq!(c.compute, 0.0);
    assert_close(c.provisioned, 100.0 * 4.1667e-6 + 0.1 * 9.7222e-6);
    assert_close(c.total, c.provisioned + c.requests);
}
