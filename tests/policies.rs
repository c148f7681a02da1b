//! Provisioned concurrency, keep-alive policies, memory pressure, lifetimes and warmers,
//! each against a hand-worked trace or an analytic result.

use crate::common::*;

fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

/// One function with `extra` fields spliced in.
fn one(extra: &str, workload: &str, duration_s: f64) -> faassim::Scenario {
    scenario(&format!(
        r#"{{"name": "p", "seed": 11, "duration_s": {duration_s},
          "functions": [{{"name": "f", "runtime": "nodejs", {extra}
            "workload": {workload}}}]}}"#
    ))
}

/// Provisioned concurrency above the peak concurrency: no cold start at all, every request
/// served by a provisioned instance, none spilled.
#[test]
fn enough_provisioned_concurrency_means_no_cold_starts() {
    let s = one(
        r#""exec_ms": {"dist": "exponential", "mean": 100},
           "provisioned": {"policy": "fixed", "count": 40},"#,
        r#"{"kind": "poisson", "rate_per_s": 50}"#,
        2000.0,
    );
    let r = run(&s);
    let f = &r.functions[0].1;
    let pc = f.provisioned.as_ref().unwrap();
    // Peak concurrency of M/M/∞ with a = 5 over 10^5 requests stays far below 40
    // (P(N ≥ 40) ≈ 10^-21 for Poisson(5)).
    assert_eq!(f.cold_starts, 0);
    assert_eq!(pc.served, f.invocations);
    assert_eq!(pc.spillover, 0);
    assert_eq!(f.provisioned_latency_ms.count, f.invocations);
    assert_eq!(f.on_demand_latency_ms.count, 0);
    assert_eq!(
        (pc.allocated_mean, pc.allocated_max, pc.allocated_final),
        (40.0, 40, 40)
    );
    assert!(f.instances.max_total >= 40);
}

/// Provisioned concurrency of 0 changes nothing: same seed, same results.
#[test]
fn zero_provisioned_concurrency_is_no_policy() {
    let body = r#""exec_ms": {"dist": "lognormal", "median": 80, "p99": 600}, "keep_alive": {"policy": "fixed", "idle_s": 30},"#;
    let wl = r#"{"kind": "poisson", "rate_per_s": 3}"#;
    let a = run(&one(body, wl, 3000.0));
    let b = run(&one(
        &format!(r#"{body} "provisioned": {{"policy": "fixed", "count": 0}},"#),
        wl,
        3000.0,
    ));
    let strip = |r: &faassim::RunResult| {
        let mut v = serde_json::to_value(&r.functions[0].1).unwrap();
        v.as_object_mut().unwrap().remove("provisioned");
        v
    };
    assert_eq!(strip(&a), strip(&b));
    assert!(a.functions[0].1.cold_starts > 0);
    assert_eq!(
        b.functions[0].1.provisioned.as_ref().unwrap().spillover,
        b.functions[0].1.warm_starts + b.functions[0].1.cold_starts
    );
}

/// c provisioned instances in front of an unlimited on-demand pool form an M/G/c/c loss
/// system whose overflow goes on demand: the spill-over fraction is Erlang B(c, λ·E[S])
/// and the provisioned utilisation a·(1 − B)/c, whatever the service distribution.
#[test]
fn spillover_is_erlang_b_and_accounting_adds_up() {
    let (c, rate, mean_s) = (6u32, 5.0, 1.0);
    let a = rate * mean_s;
    let b = erlang_b(c, a);
    let mut spill = Vec::new();
    let mut util = Vec::new();
    for seed in 0..10 {
        let s = scenario(&format!(
            r#"{{"name": "spill", "seed": {seed}, "duration_s": 4100, "warmup_s": 100,
              "functions": [{{"name": "f", "runtime": "nodejs",
                "exec_ms": {{"dist": "lognormal", "mu": {}, "sigma": 1}},
                "provisioned": {{"policy": "fixed", "count": {c}}},
                "workload": {{"kind": "poisson", "rate_per_s": {rate}}}}}]}}"#,
            (1000.0f64).ln() - 0.5
        ));
        let r = run(&s);
        let f = &r.functions[0].1;
        let pc = f.provisioned.as_ref().unwrap();
        // Accounting: every served request is provisioned or spilled; nothing throttled.
        assert_eq!(pc.served + pc.spillover, f.warm_starts + f.cold_starts);
        assert_eq!(f.throttled, 0);
        assert_eq!(pc.served, f.provisioned_latency_ms.count);
        assert_eq!(pc.spillover, f.on_demand_latency_ms.count);
        let u = pc.utilisation.unwrap();
        assert!((0.0..=1.0).contains(&u));
        spill.push(pc.spillover as f64 / f.invocations as f64);
        util.push(u);
    }
    let (got, se) = mean_se(&spill);
    assert!(
        (got - b).abs() < 4.0 * se,
        "spill-over {got}, Erlang B {b} ± {}",
        4.0 * se
    );
    assert!(
        4.0 * se < (erlang_b(c + 1, a) - b).abs() / 2.0,
        "too noisy to tell c from c+1"
    );
    let (got, se) = mean_se(&util);
    let expected = a * (1.0 - b) / c as f64;
    assert!(
        (got - expected).abs() < 4.0 * se,
        "utilisation {got}, expected {expected} ± {}",
        4.0 * se
    );
}

/// Target tracking on a step of load, hand-computed.
///
/// Arrivals every 0.1 s with 1 s executions keep exactly 10 requests in flight (20 after
/// t = 600 s, when arrivals come every 0.05 s). Evaluations every 60 s, one breach is
/// enough, no cool-down, instant allocation (0 s delay, 0 s cold start). Utilisation over
/// an interval is min(C, N)/N, and each scale-out sets N = ceil(min(C, N)/0.7):
/// 1 → 2 → 3 → 5 → 8 → 12 → 15 at t = 60 … 360 s; 15 holds (10/15 = 0.67 lies between
/// the scale-in threshold 0.63 and the target 0.7). After the step, at t = 660 s:
/// 15 → ceil(15/0.7) = 22 → ceil(20/0.7) = 29 at 720 s, which holds (20/29 = 0.69).
#[test]
fn target_tracking_converges_to_load_over_target() {
    let dir = temp_dir("tracking");
    let mut times = String::new();
    let mut t = 0.0f64;
    while t < 1200.0 {
        times.push_str(&format!("{t:.3}\n"));
        t += if t < 600.0 - 1e-9 { 0.1 } else { 0.05 };
    }
    std::fs::write(dir.join("a.csv"), times).unwrap();
    let make = |duration: f64, cooldown: f64| {
        scenario_in(
            &format!(
                r#"{{"name": "tt", "duration_s": {duration},
                  "functions": [{{"name": "f", "runtime": "nodejs",
                    "exec_ms": {{"dist": "const", "value": 1000}},
                    "cold_start_ms": {{"dist": "const", "value": 0}},
                    "provisioned": {{"policy": "target_tracking", "target": 0.7, "min": 1, "max": 100,
                      "interval_s": 60, "scale_out_periods": 1, "scale_out_cooldown_s": {cooldown},
                      "allocation_delay_s": 0}},
                    "workload": {{"kind": "timestamps", "path": "a.csv"}}}}]}}"#
            ),
            &dir,
        )
    };
    let final_count = |duration: f64, cooldown: f64| {
        let r = run(&make(duration, cooldown));
        let pc = r.functions[0].1.provisioned.clone().unwrap();
        (pc.allocated_final, pc.scale_outs)
    };
    assert_eq!(final_count(359.0, 0.0), (12, 5));
    assert_eq!(final_count(361.0, 0.0), (15, 6));
    assert_eq!(final_count(599.0, 0.0), (15, 6));
    assert_eq!(final_count(661.0, 0.0), (22, 7));
    assert_eq!(final_count(1199.0, 0.0), (29, 8));
    // A 120 s scale-out cool-down lets only every other evaluation act: 1 → 2 at 60 s,
    // → 3 at 180, → 5 at 300, → 8 at 420, → 12 at 540 s; by 660 s the load has stepped to
    // 20, all 12 are busy, and N = ceil(12/0.7) = 18.
    assert_eq!(final_count(539.0, 120.0), (8, 4));
    assert_eq!(final_count(659.0, 120.0), (12, 5));
    assert_eq!(final_count(661.0, 120.0), (18, 6));
}

/// A schedule: 2 instances from the start, 5 from 600 s, 1 from 1200 s (no traffic).
/// Allocated (initialising or ready) mean over 1800 s = (2·600 + 5·600 + 1·600)/1800.
#[test]
fn scheduled_provisioned_concurrency_follows_its_steps() {
    let s = one(
        r#""exec_ms": {"dist": "const", "value": 1},
           "provisioned": {"policy": "scheduled", "allocation_delay_s": 30,
             "steps": [{"at_s": 0, "count": 2}, {"at_s": 600, "count": 5}, {"at_s": 1200, "count": 1}]},"#,
        r#"{"kind": "constant", "interval_s": 10000, "start_s": 1799}"#,
        1800.0,
    );
    let r = run(&s);
    let pc = r.functions[0].1.provisioned.clone().unwrap();
    assert_close(pc.allocated_mean, 8.0 / 3.0);
    assert_eq!(
        (
            pc.allocated_max,
            pc.allocated_final,
            pc.scale_outs,
            pc.scale_ins
        ),
        (5, 1, 1, 1)
    );
    // The request at 1799 s is served by the remaining provisioned instance.
    assert_eq!(pc.served, 1);
}

fn periodic(keep_alive: &str) -> faassim::RunResult {
    // One request every 30 minutes for two days; only the second day is measured.
    run(&one(
        &format!(
            r#""exec_ms": {{"dist": "const", "value": 100}},
               "cold_start_ms": {{"dist": "const", "value": 500}},
               "keep_alive": {keep_alive},"#
        ),
        r#"{"kind": "constant", "interval_s": 1800}"#,
        2.0 * 86400.0,
    ))
}

/// A function invoked exactly every 30 minutes.
/// - fixed 10 min: every request is cold;
/// - fixed 60 min: only the very first is cold, and the instance idles ~30 min per request;
/// - hybrid histogram: idle times all fall in the 29-minute bin, so after 10 samples the
///   policy unloads after each request and pre-warms 29 × 0.9 = 26.1 min later; the
///   pre-warmed instance (ready 0.5 s later) serves the next request warm after idling
///   1800 − 0.1 − 1566 − 0.5 = 233.4 s (before the histogram is representative it keeps
///   instances for the 4-hour fallback, also warm).
#[test]
fn hybrid_histogram_prewarms_a_periodic_function() {
    let fixed10 = periodic(r#"{"policy": "fixed", "idle_s": 600}"#);
    assert_eq!(fixed10.total.cold_start_ratio, Some(1.0));
    let fixed60 = periodic(r#"{"policy": "fixed", "idle_s": 3600}"#);
    assert_eq!(fixed60.total.cold_starts, 1);
    let idle60 =
        fixed60.total.instances.mean_idle * 2.0 * 86400.0 / fixed60.total.invocations as f64;
    assert!((idle60 - 1799.9).abs() < 1.0, "{idle60}");
    let hybrid = periodic(r#"{"policy": "hybrid_histogram"}"#);
    assert_eq!(
        hybrid.total.cold_starts, 1,
        "only the first request is cold"
    );
    // Second day only: every request was pre-warmed.
    let day2 = run(&{
        let mut s = one(
            r#""exec_ms": {"dist": "const", "value": 100},
               "cold_start_ms": {"dist": "const", "value": 500},
               "keep_alive": {"policy": "hybrid_histogram"},"#,
            r#"{"kind": "constant", "interval_s": 1800}"#,
            2.0 * 86400.0,
        );
        s.warmup = faassim::SimTime::from_secs(86400.0);
        s
    });
    assert_eq!((day2.total.invocations, day2.total.cold_starts), (48, 0));
    // Measured over the second day (window 86400 s): 48 pre-warmed idle periods of 233.4 s.
    let per = day2.total.instances.mean_idle * 86400.0 / 48.0;
    assert!((per - 233.4).abs() < 0.5, "idle per invocation {per}");
    assert_eq!(day2.total.evictions_by_cause.expiry, 48);
}

/// `none` evicts after every request: every request is cold.
#[test]
fn no_keep_alive_makes_every_request_cold() {
    let r = run(&one(
        r#""exec_ms": {"dist": "const", "value": 100}, "keep_alive": {"policy": "none"},"#,
        r#"{"kind": "constant", "interval_s": 10}"#,
        1000.0,
    ));
    assert_eq!((r.total.invocations, r.total.cold_starts), (100, 100));
    assert_eq!(r.total.evictions_by_cause.expiry, 100);
    assert!(r.total.instances.mean_idle == 0.0);
}

/// Memory pressure, hand-worked. Capacity 1 GB, three 512 MB functions, long keep-alive,
/// 0.5 s cold start, 0.1 s execution. `a` runs at 0, 1, 2 s; `b` at 3 s; `c` at 4 s needs
/// room: LRU evicts `a` (idle since 2.6 s) while greedy-dual evicts `b` (priority
/// 1 × 500/512 against `a`'s 3 × 500/512). `a` again at 5 s: cold under LRU (evicting `b`,
/// idle since 3.6 s), warm under greedy-dual.
///
/// The scenario of that trace, with eviction order `policy`, in a fresh folder named
/// after `test` (shared with `custom_policies`).
pub(crate) fn memory_pressure_scenario(test: &str, policy: &str) -> faassim::Scenario {
    let dir = temp_dir(test);
    std::fs::write(dir.join("a.csv"), "0\n1\n2\n5\n").unwrap();
    std::fs::write(dir.join("b.csv"), "3\n").unwrap();
    std::fs::write(dir.join("c.csv"), "4\n").unwrap();
    let functions = ["a", "b", "c"].map(|f| memory_function(f, Some(3600)));
    memory_scenario(
        &dir,
        &format!(r#""memory_capacity_gb": 1, "eviction": "{policy}""#),
        &functions,
    )
}

#[test]
fn memory_pressure_evicts_by_policy() {
    for (policy, cold, pressure, a_cold) in [("lru", 4, 2, 2), ("greedy_dual", 3, 1, 1)] {
        let s = memory_pressure_scenario(&format!("pressure-{policy}"), policy);
        let r = run(&s);
        assert_eq!(r.total.cold_starts, cold, "{policy}");
        assert_eq!(r.total.evictions_by_cause.pressure, pressure, "{policy}");
        assert_eq!(r.functions[0].1.cold_starts, a_cold, "{policy}");
        assert_eq!(r.total.throttled, 0);
    }
    // Nothing idle to evict: the second simultaneous request is refused.
    let dir = temp_dir("pressure-full");
    std::fs::write(dir.join("b.csv"), "3\n").unwrap();
    let functions = [
        memory_function("a", Some(3600)).replace("a.csv", "b.csv"),
        memory_function("b", Some(3600)),
    ];
    let s = memory_scenario(&dir, r#""memory_capacity_gb": 0.5"#, &functions);
    let r = run(&s);
    assert_eq!((r.total.cold_starts, r.total.throttled), (1, 1));
    assert_eq!(r.total.throttle_causes.memory, 1);
}

/// Maximum lifetime 100 s: an instance serving a request every second is recycled at its
/// first idle moment after 100 s, so requests at 0, 100, …, 900 s are cold (10) and nine
/// instances are retired inside the 999.5 s horizon.
#[test]
fn instances_are_recycled_at_their_maximum_lifetime() {
    let s = lifetime_scenario(
        999.5,
        100,
        r#""cold_start_ms": {"dist": "const", "value": 200},
           "keep_alive": {"policy": "fixed", "idle_s": 3600},
           "workload": {"kind": "constant", "interval_s": 1}"#,
    );
    let r = run(&s);
    assert_eq!(r.total.cold_starts, 10);
    assert_eq!(r.total.evictions_by_cause.lifetime, 9);
}

/// Warm-up pings every 5 minutes keep an instance warm for a function called every 20
/// minutes (keep-alive 6 min): no user cold start, against all cold without them. Pings
/// stay out of the user counts; three concurrent pings hold three instances.
#[test]
fn warmers_keep_instances_warm_and_stay_out_of_user_metrics() {
    let body = |warmers: &str| {
        format!(
            r#""exec_ms": {{"dist": "const", "value": 100}},
               "cold_start_ms": {{"dist": "const", "value": 300}},
               "keep_alive": {{"policy": "fixed", "idle_s": 360}}, {warmers}"#
        )
    };
    let wl = r#"{"kind": "constant", "interval_s": 1200, "start_s": 150}"#;
    let without = run(&one(&body(""), wl, 36000.0));
    assert_eq!(without.total.cold_start_ratio, Some(1.0));
    let with = run(&one(
        &body(r#""warmers": {"every_s": 300, "concurrency": 3},"#),
        wl,
        36000.0,
    ));
    let t = &with.total;
    assert_eq!((t.invocations, t.cold_starts), (30, 0));
    assert_eq!(t.latency_ms.count, 30);
    let w = t.warmers.unwrap();
    // 120 rounds of 3 pings; only the first round starts instances.
    assert_eq!((w.pings, w.cold, w.throttled), (360, 3, 0));
    assert_eq!(t.instances.max_total, 3);
    assert!(t.cost_usd.warmers > 0.0);
}

/// Memory sets the CPU share: with `cpu_fraction` 0.5 and `exec_ms` measured at 1,000 MB
/// (1 vCPU here), 500 MB runs the CPU half twice as long (100 → 150 ms); 2,000 MB is no
/// faster than one vCPU for single-threaded work (100 ms).
#[test]
fn memory_size_scales_the_cpu_bound_part() {
    for (memory, expected_ms) in [(500, 150.0), (1000, 100.0), (2000, 100.0)] {
        let r = run(&scenario(&format!(
            r#"{{"name": "mem", "duration_s": 100,
              "platform_overrides": {{"mb_per_vcpu": 1000}},
              "functions": [{{"name": "f", "runtime": "nodejs", "memory_mb": {memory},
                "cpu_fraction": 0.5, "reference_memory_mb": 1000,
                "exec_ms": {{"dist": "const", "value": 100}},
                "workload": {{"kind": "constant", "interval_s": 1}}}}]}}"#
        )));
        assert_eq!(
            r.total.warm_latency_ms.max,
            Some(expected_ms),
            "{memory} MB"
        );
    }
    // The function's init code scales the same way: 40 ms at 1,000 MB is 60 ms at 500 MB.
    for (memory, init_ms) in [(500, 60), (1000, 40)] {
        let (_, recs) = crate::common::run_logged(&scenario(&format!(
            r#"{{"name": "mem", "duration_s": 1,
              "platform_overrides": {{"mb_per_vcpu": 1000}},
              "functions": [{{"name": "f", "runtime": "nodejs", "memory_mb": {memory},
                "cpu_fraction": 0.5, "reference_memory_mb": 1000,
                "init_ms": {{"dist": "const", "value": 40}},
                "exec_ms": {{"dist": "const", "value": 100}},
                "workload": {{"kind": "constant", "interval_s": 10}}}}]}}"#
        )));
        let phases = recs[0]
            .cold_start
            .expect("the first request is a cold start");
        assert_eq!(phases.init.0, init_ms * crate::common::MS, "{memory} MB");
    }
}

/// The hybrid windows decide about a function's last instance only: on `function-mix`,
/// the frequent function (about 3.7 requests a second, several instances at its peaks)
/// must not lose its spare instances after its short idle-time window (about a minute),
/// so its cold starts stay those of a fixed 10-minute keep-alive (the extra instances'
/// default). Applying the windows to every instance gave 1,008 against 75.
#[test]
fn hybrid_keeps_a_busy_functions_spare_instances_like_fixed_ten_minutes() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/function-mix.json"),
    )
    .unwrap();
    let cold = |policy: &str| {
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for f in json["functions"].as_array_mut().unwrap() {
            f["keep_alive"] = serde_json::from_str(policy).unwrap();
        }
        let r = run(&scenario(&json.to_string()));
        let (name, frequent) = &r.functions[0];
        assert_eq!(name, "frequent");
        frequent.cold_starts
    };
    let fixed = cold(r#"{"policy": "fixed", "idle_s": 600}"#);
    let hybrid = cold(r#"{"policy": "hybrid_histogram"}"#);
    assert!(fixed > 20, "{fixed}");
    assert!(
        hybrid <= fixed + fixed / 5,
        "hybrid {hybrid} cold starts against fixed 10 minutes {fixed}"
    );
}

/// Provisioned instances allocated before the run are ready at time 0: a spike of 10
/// requests at 0 on 10 provisioned instances is 10 warm starts on them (it was 9 and one
/// cold start, the arrivals coming before the instances' "ready" events).
#[test]
fn provisioned_instances_serve_arrivals_at_time_zero() {
    let r = run(&scenario(
        r#"{"name": "t0", "duration_s": 60, "platform": "aws-lambda",
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 10},
            "provisioned": {"policy": "fixed", "count": 10},
            "workload": {"kind": "spike", "at_s": 0, "count": 10}}]}"#,
    ));
    let t = &r.total;
    assert_eq!((t.warm_starts, t.cold_starts), (10, 0));
    assert_eq!(t.provisioned.as_ref().unwrap().served, 10);
}

/// A recycled provisioned instance is replaced only until the end of the arrival horizon:
/// with a lifetime of 10^6 s (longer than the 60-s run) the one provisioned instance
/// retires once, after the horizon, and the run ends. Replacing it for ever ran until the
/// clock saturated (about 18,000 replacements here; 1.8 billion events with a 20-s
/// lifetime). By hand: 2 arrivals, 2 executions, 1 lifetime timer.
#[test]
fn a_run_with_provisioned_instances_and_a_lifetime_ends() {
    let r = run(&scenario(
        r#"{"name": "life", "duration_s": 60, "platform": "aws-lambda",
          "platform_overrides": {"max_instance_lifetime_s": 1000000},
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 10},
            "provisioned": {"policy": "fixed", "count": 1},
            "workload": {"kind": "constant", "interval_s": 30}}]}"#,
    ));
    assert_eq!(r.total.warm_starts, 2);
    assert!(r.events <= 6, "{} events", r.events);
    assert_eq!(
        r.total.evictions_by_cause.lifetime, 0,
        "retired after the measured period"
    );
}

/// Lowering the provisioned count while its instances are idle frees them at once, and
/// their ready time ends there. By hand: 2 from the start, 0 from 10 s; one 1-s request at
/// 5 s on a provisioned instance. Ready 2 × 10 = 20 instance-s, busy 1 s: utilisation
/// 0.05; no instance after 10 s, so a mean of 20 / 60 instances over the 60-s run.
#[test]
fn scaling_in_idle_provisioned_instances_frees_them_at_once() {
    let r = run(&scenario(
        r#"{"name": "in", "duration_s": 60, "platform": "aws-lambda",
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 1000},
            "keep_alive": {"policy": "fixed", "idle_s": 600},
            "provisioned": {"policy": "scheduled",
              "steps": [{"at_s": 0, "count": 2}, {"at_s": 10, "count": 0}]},
            "workload": {"kind": "spike", "at_s": 5, "count": 1}}]}"#,
    ));
    let f = &r.functions[0].1;
    let pc = f.provisioned.as_ref().unwrap();
    assert_eq!((f.warm_starts, f.cold_starts, pc.served), (1, 0, 1));
    assert_close(pc.utilisation.unwrap(), 1.0 / 20.0);
    assert_close(f.instances.mean_total, 20.0 / 60.0);
}

/// A provisioned instance whose request times out is discarded (reset, as Lambda does)
/// and replaced. By hand: 1 provisioned instance, a 1-s timeout, one 10-s request at 5 s:
/// busy 5–6 s, reset at 6 s, the replacement ready after its 100 ms cold start at 6.1 s.
/// Ready 6 + 53.9 = 59.9 instance-s, busy 1: utilisation 1 / 59.9.
#[test]
fn a_reset_provisioned_instance_leaves_the_busy_and_ready_counts() {
    let r = run(&scenario(
        r#"{"name": "reset", "duration_s": 60, "platform": "aws-lambda",
          "functions": [{"name": "f", "runtime": "nodejs", "timeout_s": 1,
            "exec_ms": {"dist": "const", "value": 10000},
            "cold_start_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "fixed", "count": 1},
            "workload": {"kind": "spike", "at_s": 5, "count": 1}}]}"#,
    ));
    let f = &r.functions[0].1;
    assert_eq!((f.timeouts, f.evictions_by_cause.reset), (1, 1));
    let pc = f.provisioned.as_ref().unwrap();
    assert_close(pc.utilisation.unwrap(), 1.0 / 59.9);
}

/// A provisioned instance allocated during the run (no lifetime limit) becomes ready after
/// its cold start and stays: 0 until 10 s, then 1 (no allocation delay, 100 ms cold
/// start: ready at 10.1 s); a request at 20 s runs on it warm, in exactly its 1 s, and
/// nothing is evicted. Instance time (starting counts): 50 instance-s of the 60-s run.
#[test]
fn a_provisioned_instance_added_during_the_run_serves_warm() {
    let r = run(&scenario(
        r#"{"name": "later", "duration_s": 60, "platform": "aws-lambda",
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 1000},
            "cold_start_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "scheduled", "allocation_delay_s": 0,
              "steps": [{"at_s": 0, "count": 0}, {"at_s": 10, "count": 1}]},
            "workload": {"kind": "spike", "at_s": 20, "count": 1}}]}"#,
    ));
    let f = &r.functions[0].1;
    let pc = f.provisioned.as_ref().unwrap();
    assert_eq!(
        (f.warm_starts, f.cold_starts, pc.served, f.evictions),
        (1, 0, 1, 0)
    );
    assert_eq!(f.latency_ms.max, Some(1000.0));
    assert_close(f.instances.mean_total, 50.0 / 60.0);
}

/// A provisioned instance recycled at the end of its lifetime is replaced while the run
/// goes on: 1 instance, a 20-s lifetime, 100 ms cold starts; recycled at 20 s (idle), the
/// replacement is ready at 20.1 s, so a request at 30 s runs on it warm.
#[test]
fn a_recycled_provisioned_instance_is_replaced_during_the_run() {
    let r = run(&scenario(
        r#"{"name": "recycle", "duration_s": 60, "platform": "aws-lambda",
          "platform_overrides": {"max_instance_lifetime_s": 20},
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 1000},
            "cold_start_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "fixed", "count": 1},
            "workload": {"kind": "spike", "at_s": 30, "count": 1}}]}"#,
    ));
    let f = &r.functions[0].1;
    let pc = f.provisioned.as_ref().unwrap();
    assert_eq!((f.warm_starts, f.cold_starts, pc.served), (1, 0, 1));
    assert!(f.evictions_by_cause.lifetime >= 1);
}

/// A schedule step that keeps the count is no scaling action: 2 at 0, 2 at 10 s and 3 at
/// 20 s make one scale-out (the first level is set before the run, not scaled to).
#[test]
fn a_step_to_the_same_count_is_not_a_scale_out() {
    let r = run(&scenario(
        r#"{"name": "same", "duration_s": 60, "platform": "aws-lambda",
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "scheduled", "allocation_delay_s": 0, "steps": [
              {"at_s": 0, "count": 2}, {"at_s": 10, "count": 2}, {"at_s": 20, "count": 3}]},
            "workload": {"kind": "spike", "at_s": 30, "count": 1}}]}"#,
    ));
    let pc = r.functions[0].1.provisioned.as_ref().unwrap();
    assert_eq!((pc.scale_outs, pc.scale_ins, pc.allocated_max), (1, 0, 3));
}

/// Lowering the provisioned count while its instances are busy: they become on-demand
/// instances that finish their requests, and leave the provisioned gauges at once.
///
/// By hand: a schedule of 2 from the start and 0 from 10 s; two 20-s requests at 5 s run
/// on the two provisioned instances until 25 s. Allocated: 2 over [0, 10) s, then 0, so a
/// mean of 20 / 60 over the 60-s run; ready 20 instance-s, busy 2 × 5 = 10, utilisation
/// 0.5. Billed: the 20 allocated instance-s plus AWS's rounding of each 10-s enabled period
/// up to 5 minutes, cut at the end of the window: 2 × (60 − 10) s, so 120 instance-s.
#[test]
fn scaling_in_busy_provisioned_instances_releases_them_at_once() {
    let r = run(&scenario(
        r#"{"name": "in", "duration_s": 60, "platform": "aws-lambda",
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 20000},
            "keep_alive": {"policy": "fixed", "idle_s": 600},
            "provisioned": {"policy": "scheduled",
              "steps": [{"at_s": 0, "count": 2}, {"at_s": 10, "count": 0}]},
            "workload": {"kind": "spike", "at_s": 5, "count": 2}}]}"#,
    ));
    let f = &r.functions[0].1;
    let pc = f.provisioned.as_ref().unwrap();
    assert_eq!((f.warm_starts, f.cold_starts, pc.served), (2, 0, 2));
    assert_eq!(
        (pc.allocated_max, pc.allocated_final, pc.scale_ins),
        (2, 0, 1)
    );
    assert_close(pc.allocated_mean, 20.0 / 60.0);
    assert_close(pc.utilisation.unwrap(), 0.5);
    assert_close(pc.billed_s, 120.0);
    // The two instances live on: busy to 25 s, then idle under the keep-alive.
    assert_close(f.instances.mean_total, 2.0);
    assert_close(f.instances.mean_busy, 2.0 * 20.0 / 60.0);
}

/// `repeat_s` repeats the schedule: 1 instance at 0 and 3 at 100 s, every 200 s, over
/// 600 s (no allocation delay, no cold start): 1, 3, 1, 3, 1, 3 for 100 s each, a mean of
/// 2, three scale-outs (100, 300, 500 s) and two scale-ins (200, 400 s). Without
/// `repeat_s`: 1 then 3 from 100 s, a mean of (100 + 3 × 500) / 600.
#[test]
fn a_repeating_schedule_repeats_its_steps() {
    let run_with = |repeat: &str| {
        let r = run(&one(
            &format!(
                r#""exec_ms": {{"dist": "const", "value": 1}},
                   "cold_start_ms": {{"dist": "const", "value": 0}},
                   "provisioned": {{"policy": "scheduled", "allocation_delay_s": 0, {repeat}
                     "steps": [{{"at_s": 0, "count": 1}}, {{"at_s": 100, "count": 3}}]}},"#
            ),
            r#"{"kind": "constant", "interval_s": 10000, "start_s": 599}"#,
            600.0,
        ));
        r.functions[0].1.provisioned.clone().unwrap()
    };
    let pc = run_with(r#""repeat_s": 200,"#);
    assert_close(pc.allocated_mean, 2.0);
    assert_eq!(
        (
            pc.allocated_max,
            pc.allocated_final,
            pc.scale_outs,
            pc.scale_ins
        ),
        (3, 3, 3, 2)
    );
    let pc = run_with("");
    assert_close(pc.allocated_mean, 1600.0 / 600.0);
    assert_eq!((pc.allocated_final, pc.scale_outs, pc.scale_ins), (3, 1, 0));
}

/// A provisioned instance released while it initialises leaves a stale "cold start done"
/// event; its slot is reused by the next instance, which must not become ready early.
///
/// By hand (allocation delay 0, cold start 5 s): 1 instance at 10 s (ready at 15 s), 0 at
/// 12 s (released while initialising), 1 again at 13 s (ready at 18 s, in the same slot).
/// A request at 16 s finds no ready provisioned instance: it spills over to an on-demand
/// cold start. Ready provisioned time is 40 − 18 = 22 instance-s of the 40-s run.
#[test]
fn a_stale_event_of_a_released_instance_does_not_touch_its_successor() {
    let r = run(&one(
        r#""exec_ms": {"dist": "const", "value": 100},
           "cold_start_ms": {"dist": "const", "value": 5000},
           "provisioned": {"policy": "scheduled", "allocation_delay_s": 0,
             "steps": [{"at_s": 10, "count": 1}, {"at_s": 12, "count": 0}, {"at_s": 13, "count": 1}]},"#,
        r#"{"kind": "constant", "interval_s": 10000, "start_s": 16}"#,
        40.0,
    ));
    let f = &r.functions[0].1;
    let pc = f.provisioned.as_ref().unwrap();
    assert_eq!((f.cold_starts, pc.served, pc.spillover), (1, 0, 1));
    // Allocated: [10, 12) and [13, 40): 29 instance-s.
    assert_close(pc.allocated_mean, 29.0 / 40.0);
    assert_eq!((pc.scale_outs, pc.scale_ins), (2, 1));
    // Utilisation 0 over 22 ready instance-s (none would be 0/0 and absent).
    assert_eq!(pc.utilisation, Some(0.0));
    assert_close(f.instances.mean_provisioning, (2.0 + 5.0 + 5.0) / 40.0);
}

/// An instance that reaches its maximum lifetime while busy takes no new request, even
/// with a free slot, and is recycled when its last request ends.
///
/// By hand: two requests per instance, lifetime 10 s, 15-s executions, no cold start;
/// requests at 0 and 12 s. The first instance is busy from its start past its lifetime, so
/// the request at 12 s starts a second instance (cold) instead of joining it; the first
/// retires at 15 s, the second (lifetime to 22 s) at 27 s.
#[test]
fn an_instance_past_its_lifetime_while_busy_takes_no_new_request() {
    let dir = temp_dir("lifetime-busy");
    std::fs::write(dir.join("a.csv"), "0\n12\n").unwrap();
    let json = r#"{"name": "life", "duration_s": 40,
          "platform": {"name": "p", "account_concurrency": 100,
            "keep_alive": {"policy": "fixed", "idle_s": 3600},
            "sandbox_ms": {"dist": "const", "value": 0},
            "memory_mb": {"min": 128, "max": 4096, "default": 128},
            "per_instance_concurrency": 2, "max_per_instance_concurrency": 2,
            "max_instance_lifetime_s": 10},
          "functions": [{"name": "f", "runtime": "nodejs",
            "cold_start_ms": {"dist": "const", "value": 0},
            "exec_ms": {"dist": "const", "value": 15000},
            "workload": {"kind": "timestamps", "path": "a.csv"}}]}"#;
    let (r, recs) = run_logged(&scenario_in(json, &dir));
    assert_eq!(r.total.cold_starts, 2);
    assert_ne!(recs[0].instance, recs[1].instance);
    assert_eq!(r.total.evictions_by_cause.lifetime, 2);
    // Instance time: [0, 15) and [12, 27) s.
    assert_close(r.total.instances.mean_total, 30.0 / 40.0);

    // The same after an idle spell: 3-s executions, keep-alive 2 s. The instance idles
    // over [3, 4) s (keep-alive deadline 5 s, which passes while it is busy again), then
    // overlapping requests at 4, 6 and 8 s keep it busy past its lifetime (10 s), so the
    // request at 10.5 s starts a second instance.
    std::fs::write(dir.join("a.csv"), "0\n4\n6\n8\n10.5\n").unwrap();
    let (r, recs) = run_logged(&scenario_in(
        &json
            .replace(r#""idle_s": 3600"#, r#""idle_s": 2"#)
            .replace(r#""value": 15000"#, r#""value": 3000"#),
        &dir,
    ));
    assert_eq!(r.total.cold_starts, 2);
    let first = recs[0].instance;
    assert!(recs[1..4].iter().all(|x| x.instance == first));
    assert_ne!(recs[4].instance, first);
}

/// A lifetime shorter than the cold start: the instance is recycled the moment it is
/// ready, never idle (idling it armed its lifetime timer in the past, a debug-build panic).
/// By hand: 1 provisioned instance from 10 s (no allocation delay, cold start 5 s), lifetime
/// 2 s; it is ready and recycled at 15 s, and so is each replacement, at 20, 25 and 30 s
/// (the last replacement starts at 25 s, before the end of the 30-s run). None serves: the
/// request at 12 s is an on-demand cold start.
#[test]
fn an_instance_whose_lifetime_ends_while_it_starts_is_recycled_when_ready() {
    let s = scenario(
        r#"{"name": "short", "duration_s": 30, "platform": "aws-lambda",
          "platform_overrides": {"max_instance_lifetime_s": 2},
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 100},
            "cold_start_ms": {"dist": "const", "value": 5000},
            "provisioned": {"policy": "scheduled", "allocation_delay_s": 0,
              "steps": [{"at_s": 10, "count": 1}]},
            "workload": {"kind": "constant", "interval_s": 10000, "start_s": 12}}]}"#,
    );
    let r = run(&s);
    let f = &r.functions[0].1;
    let pc = f.provisioned.as_ref().unwrap();
    assert_eq!((f.cold_starts, pc.served, pc.spillover), (1, 0, 1));
    assert_eq!(f.evictions_by_cause.lifetime, 5);
    assert_eq!(pc.utilisation, None, "never ready");
}

/// Spillover is counted for functions with provisioned concurrency only: with `a` (one
/// provisioned instance, two requests at once: one spills over to an on-demand cold start)
/// and `b` (no provisioned concurrency, one request), the total's spillover is a's 1.
#[test]
fn spillover_counts_only_functions_with_provisioned_concurrency() {
    let r = run(&scenario(
        r#"{"name": "spill", "duration_s": 60, "platform": "aws-lambda",
          "functions": [
            {"name": "a", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 100},
             "provisioned": {"policy": "fixed", "count": 1},
             "workload": {"kind": "spike", "at_s": 1, "count": 2}},
            {"name": "b", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 100},
             "workload": {"kind": "spike", "at_s": 1, "count": 1}}]}"#,
    ));
    let a = r.functions[0].1.provisioned.as_ref().unwrap();
    assert_eq!((a.served, a.spillover), (1, 1));
    assert!(r.functions[1].1.provisioned.is_none());
    assert_eq!(r.total.provisioned.as_ref().unwrap().spillover, 1);
}
