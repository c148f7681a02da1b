//! Every expected value here was worked out by hand from the model's rules (see the comments),
//! not read off the simulator.

use crate::common::*;
use faassim::SimTime;
use faassim::sim::{
    InstanceCounts, Outcome, RequestLog, RequestRecord, RunOptions, Snapshot, Status,
};

/// One function on an inline runtime, arrivals from a file, constant durations.
fn trace_scenario(dir: &std::path::Path, times: &str, extra: &str) -> faassim::Scenario {
    std::fs::write(dir.join("arrivals.csv"), times).unwrap();
    scenario_in(
        &format!(
            r#"{{
              "name": "micro", "duration_s": 35, {extra}
              "functions": [{{
                "name": "f", "runtime": "nodejs",
                "exec_ms": {{"dist": "const", "value": 500}},
                "cold_start_ms": {{"dist": "const", "value": 200}},
                "keep_alive": {{"policy": "fixed", "idle_s": 5}},
                "workload": {{"kind": "timestamps", "path": "arrivals.csv"}}
              }}]
            }}"#
        ),
        dir,
    )
}

/// Arrivals 0, 1, 2, 10, 10.5, 30 s; cold start 0.2 s, execution 0.5 s, keep-alive 5 s.
///
/// - 0: cold, instance 0 ready at 0.2, done 0.7 (latency 0.7)
/// - 1: instance 0 idle since 0.7: warm, done 1.5 (0.5)
/// - 2: instance 0 idle since 1.5: warm, done 2.5 (0.5)
/// - instance 0 evicted at 2.5 + 5 = 7.5
/// - 10: cold, instance 1 ready 10.2, done 10.7 (0.7)
/// - 10.5: instance 1 busy: cold, instance 2 ready 10.7, done 11.2 (0.7)
/// - instance 1 evicted 15.7, instance 2 evicted 16.2
/// - 30: cold, instance 3, done 30.7 (0.7); its eviction at 35.7 is after the horizon.
///
/// Instance-time in [0, 35]: 7.5 + 5.7 + 5.7 + 5 = 23.9 s, of which busy 6 × 0.5 = 3 s,
/// starting 4 × 0.2 = 0.8 s, idle 20.1 s.
#[test]
fn hand_worked_trace_gives_exact_counts_latencies_and_instance_time() {
    let dir = temp_dir("micro-trace");
    let s = trace_scenario(&dir, "0\n1\n2\n10\n10.5\n30\n", "");
    let (r, recs) = run_logged(&s);
    let t = &r.total;
    assert_eq!(
        (
            t.invocations,
            t.warm_starts,
            t.cold_starts,
            t.throttled,
            t.evictions
        ),
        (6, 2, 4, 0, 3)
    );
    assert_eq!(t.cold_start_ratio, Some(4.0 / 6.0));
    assert_close(
        t.latency_ms.mean.unwrap(),
        (4.0 * 700.0 + 2.0 * 500.0) / 6.0,
    );
    assert_eq!(t.latency_ms.max, Some(700.0));
    assert_eq!(t.warm_latency_ms.p99, Some(500.0));
    assert_eq!(t.cold_latency_ms.p50, Some(700.0));
    assert_eq!(t.cold_start_duration_ms.mean, Some(200.0));
    let i = &t.instances;
    assert_close(i.mean_total, 23.9 / 35.0);
    assert_close(i.mean_busy, 3.0 / 35.0);
    assert_close(i.mean_provisioning, 0.8 / 35.0);
    assert_close(i.mean_idle, 20.1 / 35.0);
    assert_eq!(i.max_total, 2);

    let expect = [
        // (arrival, instance, start, end, outcome)
        (0, 0, 200 * MS, 700 * MS, Outcome::Cold),
        (S, 0, S, 1500 * MS, Outcome::Warm),
        (2 * S, 0, 2 * S, 2500 * MS, Outcome::Warm),
        (10 * S, 1, 10200 * MS, 10700 * MS, Outcome::Cold),
        (10500 * MS, 2, 10700 * MS, 11200 * MS, Outcome::Cold),
        (30 * S, 3, 30200 * MS, 30700 * MS, Outcome::Cold),
    ];
    assert_eq!(recs.len(), expect.len());
    for (rec, (arrival, inst, start, end, outcome)) in recs.iter().zip(expect) {
        assert_eq!(
            (
                rec.arrival_ns,
                rec.instance,
                rec.start_ns,
                rec.end_ns,
                rec.outcome
            ),
            (arrival, Some(inst), Some(start), end, outcome),
            "{rec:?}"
        );
    }
}

/// A keep-alive timer that fires while its instance is busy must not evict it, and the
/// re-armed timer counts from the end of the latest idle start.
///
/// Arrivals 0, 5.4, 10.5 s (keep-alive 5 s, execution 0.5 s): instance 0 idles at 0.7, is
/// reused at 5.4 (before 5.7), idles at 5.9; the first timer (5.7) finds it busy; the new
/// deadline is 10.9, so the arrival at 10.5 is warm.
#[test]
fn reuse_before_expiry_pushes_the_deadline() {
    let dir = temp_dir("micro-rearm");
    let s = trace_scenario(&dir, "0\n5.4\n10.5\n", "");
    let r = run(&s);
    assert_eq!((r.total.cold_starts, r.total.warm_starts), (1, 2));
    // Same, but the last arrival comes 1 ns after the new deadline (5.9 + 5 = 10.9): the
    // instance was evicted at 10.9 and the request is cold; its new instance idles from
    // 11.600000001 and is evicted 5 s later, inside the 35 s horizon.
    let s = trace_scenario(&dir, "0\n5.4\n10.900000001\n", "");
    let r = run(&s);
    assert_eq!(
        (r.total.cold_starts, r.total.warm_starts, r.total.evictions),
        (2, 1, 2)
    );
}

/// Requests arriving before `warmup_s` are simulated (they warm the instance) but not counted.
#[test]
fn warmup_requests_are_simulated_but_not_measured() {
    let dir = temp_dir("micro-warmup");
    let s = trace_scenario(&dir, "0\n1\n6\n", r#""warmup_s": 2,"#);
    let (r, recs) = run_logged(&s);
    // 0 is cold, 1 warm (both unmeasured); 6 is warm (idle since 1.5, deadline 6.5).
    assert_eq!(
        (
            r.total.invocations,
            r.total.warm_starts,
            r.total.cold_starts
        ),
        (1, 1, 0)
    );
    assert_eq!(
        recs.iter().map(|r| r.measured).collect::<Vec<_>>(),
        vec![false, false, true]
    );
    // Instance time counts from 2 s: one instance from 2 s until its eviction at 11.5 s
    // (idle from 6.5 s, plus 5 s), then none: 9.5 s of 33 s.
    assert_close(r.total.instances.mean_total, 9.5 / 33.0);
}

/// Which idle instance a request takes, per `reuse`.
///
/// Arrivals 0, 0.1, 0.2 start instances 0, 1, 2 (done at 0.7, 0.8, 0.9). The arrival at
/// 0.75 finds only instance 0 idle (done 1.25). At 1.3 the idle instances are 1 (idle since
/// 0.8), 2 (0.9) and 0 (1.25): most recently used is 0, least recently used 1, newest by
/// creation 2.
#[test]
fn reuse_rules_pick_the_expected_instance() {
    let dir = temp_dir("micro-reuse");
    std::fs::write(dir.join("a.csv"), "0\n0.1\n0.2\n0.75\n1.3\n").unwrap();
    for (reuse, expected) in [("mru", 0), ("lru", 1), ("newest", 2)] {
        let s = scenario_in(
            &format!(
                r#"{{"name": "reuse", "duration_s": 10, "functions": [{{
                  "name": "f", "runtime": "nodejs", "reuse": "{reuse}",
                  "exec_ms": {{"dist": "const", "value": 500}},
                  "cold_start_ms": {{"dist": "const", "value": 200}},
                  "workload": {{"kind": "timestamps", "path": "a.csv"}}}}]}}"#
            ),
            &dir,
        );
        let (_, recs) = run_logged(&s);
        assert_eq!(recs[3].instance, Some(0), "{reuse}");
        assert_eq!(recs[4].instance, Some(expected), "{reuse}");
    }
}

/// `reuse: random` picks each of three idle instances with probability 1/3: over 600 seeds
/// each count is Binomial(600, 1/3), mean 200, sd 11.5.
#[test]
fn random_reuse_is_uniform() {
    let dir = temp_dir("micro-random");
    std::fs::write(dir.join("a.csv"), "0\n0.1\n0.2\n1.3\n").unwrap();
    let base = scenario_in(
        r#"{"name": "reuse", "duration_s": 10, "functions": [{
          "name": "f", "runtime": "nodejs", "reuse": "random",
          "exec_ms": {"dist": "const", "value": 500},
          "cold_start_ms": {"dist": "const", "value": 200},
          "workload": {"kind": "timestamps", "path": "a.csv"}}]}"#,
        &dir,
    );
    let n = 600;
    let mut counts = [0u32; 3];
    for seed in 0..n {
        let mut s = base.clone();
        s.seed = seed;
        let (_, recs) = run_logged(&s);
        counts[recs[3].instance.unwrap() as usize] += 1;
    }
    let sd = (n as f64 / 3.0 * 2.0 / 3.0).sqrt();
    for c in counts {
        assert!((c as f64 - n as f64 / 3.0).abs() < 4.0 * sd, "{counts:?}");
    }
}

/// Concurrency counts starting and executing instances, never idle ones.
///
/// Account limit 2 (overridden): arrivals at 0, 0.1, 0.2 overlap (each busy 0.7 s), so the
/// third is throttled; at 1.0 both instances are idle again and the request is warm.
#[test]
fn account_limit_throttles_and_counts_only_in_flight_instances() {
    let dir = temp_dir("micro-account");
    std::fs::write(dir.join("a.csv"), "0\n0.1\n0.2\n1.0\n").unwrap();
    let s = scenario_in(
        r#"{"name": "limit", "duration_s": 10,
          "platform_overrides": {"account_concurrency": 2, "min_unreserved_concurrency": 0},
          "functions": [{
          "name": "f", "runtime": "nodejs",
          "exec_ms": {"dist": "const", "value": 500},
          "cold_start_ms": {"dist": "const", "value": 200},
          "workload": {"kind": "timestamps", "path": "a.csv"}}]}"#,
        &dir,
    );
    let (r, recs) = run_logged(&s);
    let t = &r.total;
    assert_eq!(
        (t.invocations, t.cold_starts, t.warm_starts, t.throttled),
        (4, 2, 1, 1)
    );
    assert_eq!(t.throttle_ratio, Some(0.25));
    assert_eq!(recs[2].outcome, Outcome::Throttled);
    assert_eq!((recs[2].instance, recs[2].end_ns), (None, 200 * MS));
}

/// Reserved concurrency caps its function and is taken out of the shared pool.
///
/// Account 3, `a` reserves 1: `a` may run 1, `b` (unreserved) may run 3 − 1 = 2. Both get
/// three overlapping requests: `a` throttles two, `b` one.
#[test]
fn reserved_concurrency_caps_and_shrinks_the_shared_pool() {
    let dir = temp_dir("micro-reserved");
    std::fs::write(dir.join("a.csv"), "0\n0.1\n0.2\n").unwrap();
    let f = |name: &str, reserved: &str| {
        format!(
            r#"{{"name": "{name}", "runtime": "nodejs", {reserved}
              "exec_ms": {{"dist": "const", "value": 500}},
              "cold_start_ms": {{"dist": "const", "value": 200}},
              "workload": {{"kind": "timestamps", "path": "a.csv"}}}}"#
        )
    };
    let s = scenario_in(
        &format!(
            r#"{{"name": "reserved", "duration_s": 10,
              "platform_overrides": {{"account_concurrency": 3, "min_unreserved_concurrency": 0}},
              "functions": [{}, {}]}}"#,
            f("a", r#""max_concurrency": 1,"#),
            f("b", "")
        ),
        &dir,
    );
    let r = run(&s);
    let (a, b) = (&r.functions[0].1, &r.functions[1].1);
    assert_eq!((a.cold_starts, a.throttled), (1, 2));
    assert_eq!((b.cold_starts, b.throttled), (2, 1));
    assert_eq!((r.total.invocations, r.total.throttled), (6, 3));
}

/// A composed cold start is the sum of its phases: platform sandbox + package × per-MB
/// code load + runtime start + the function's init; a snapshot runtime skips the init.
#[test]
fn composed_cold_start_sums_its_phases() {
    let platform = r#"{"name": "p", "account_concurrency": 10,
        "keep_alive": {"policy": "fixed", "idle_s": 60},
        "sandbox_ms": {"dist": "const", "value": 90},
        "code_load_ms_per_mb": 35,
        "memory_mb": {"min": 128, "max": 1024, "default": 128}}"#;
    let cases = [
        // runtime start 145, init 20, package 2 MB: 90 + 70 + 145 + 20
        (
            r#"{"name": "r", "runtime_start_ms": {"dist": "const", "value": 145}}"#,
            325,
        ),
        // snapshot restore 700 replaces start and init: 90 + 70 + 700
        (
            r#"{"name": "s", "snapshot_restore_ms": {"dist": "const", "value": 700}}"#,
            860,
        ),
        // the runtime's own sandbox (0) replaces the platform's: 0 + 70 + 5 + 20
        (
            r#"{"name": "i", "runtime_start_ms": {"dist": "const", "value": 5}, "sandbox_ms": {"dist": "const", "value": 0}}"#,
            95,
        ),
    ];
    for (runtime, expected_ms) in cases {
        let s = scenario(&format!(
            r#"{{"name": "phases", "duration_s": 1, "platform": {platform},
              "functions": [{{"name": "f", "runtime": {runtime}, "package_mb": 2,
                "init_ms": {{"dist": "const", "value": 20}},
                "exec_ms": {{"dist": "const", "value": 1}},
                "workload": {{"kind": "constant", "interval_s": 10}}}}]}}"#
        ));
        let (r, recs) = run_logged(&s);
        assert_eq!(recs[0].cold_start_ns, Some(expected_ms * MS), "{runtime}");
        assert_eq!(r.total.cold_start_duration_ms.max, Some(expected_ms as f64));
        assert!(!recs[0].cold_start.unwrap().overridden);
    }
    // A function's own `cold_start_ms` overrides the composition: one phase, marked as
    // such (the request log then shows only its total).
    let s = scenario(&format!(
        r#"{{"name": "phases", "duration_s": 1, "platform": {platform},
          "functions": [{{"name": "f", "runtime": "nodejs",
            "cold_start_ms": {{"dist": "const", "value": 300}},
            "exec_ms": {{"dist": "const", "value": 1}},
            "workload": {{"kind": "constant", "interval_s": 10}}}}]}}"#
    ));
    let (_, recs) = run_logged(&s);
    let p = recs[0].cold_start.unwrap();
    assert!(p.overridden);
    assert_eq!((p.total().0, p.start.0), (300 * MS, 300 * MS));
}

/// Several functions share one clock; every request ends in exactly one outcome.
#[test]
fn every_request_ends_in_exactly_one_outcome() {
    let s = scenario(
        r#"{"name": "mix", "seed": 3, "duration_s": 600,
          "platform_overrides": {"account_concurrency": 120, "min_unreserved_concurrency": 0},
          "functions": [
            {"name": "a", "runtime": "python", "exec_ms": {"dist": "exponential", "mean": 900},
             "workload": {"kind": "poisson", "rate_per_s": 80}, "max_concurrency": 40},
            {"name": "b", "runtime": "java", "exec_ms": {"dist": "lognormal", "median": 300, "p99": 3000},
             "keep_alive": {"policy": "fixed", "idle_s": 1},
             "workload": {"kind": "poisson", "rate_per_s": 150}},
            {"name": "c", "runtime": "go", "exec_ms": {"dist": "const", "value": 50},
             "workload": {"kind": "constant", "interval_s": 0.5}}
          ]}"#,
    );
    let (r, recs) = run_logged(&s);
    for (name, f) in &r.functions {
        assert_eq!(
            f.invocations,
            f.warm_starts + f.cold_starts + f.throttled,
            "{name}"
        );
        assert!(
            f.throttled > 0 || name == "c",
            "{name} should hit its limit"
        );
    }
    // One log line per request, ids 0..n, each once.
    assert_eq!(recs.len() as u64, r.total.invocations);
    assert!(
        recs.iter()
            .enumerate()
            .all(|(i, rec)| rec.request == i as u64)
    );
    // Constant arrivals every 0.5 s over [0, 600): exactly 1,200.
    assert_eq!(r.functions[2].1.invocations, 1200);
}

/// A profile can be a file next to the scenario: a relative path resolves from the
/// scenario's folder, and its values are used (cold start = platform sandbox 0 + 42 ms).
#[test]
fn profiles_given_by_path_resolve_from_the_scenario_folder() {
    let dir = temp_dir("micro-profile-path");
    std::fs::create_dir_all(dir.join("profiles")).unwrap();
    std::fs::write(
        dir.join("profiles/mine.json"),
        r#"{"name": "mine", "runtime_start_ms": {"dist": "const", "value": 42}, "sources": ["test"]}"#,
    )
    .unwrap();
    let s = scenario_in(
        r#"{"name": "path", "duration_s": 1,
          "platform_overrides": {"sandbox_ms": {"dist": "const", "value": 0}},
          "functions": [{"name": "f", "runtime": "profiles/mine.json",
            "exec_ms": {"dist": "const", "value": 1},
            "workload": {"kind": "constant", "interval_s": 10}}]}"#,
        &dir,
    );
    assert_eq!(s.functions[0].runtime, "mine");
    let (_, recs) = run_logged(&s);
    assert_eq!(recs[0].cold_start_ns, Some(42 * MS));
}

/// The platform-wide instance counts add up the functions' over time. By hand (cold start
/// 1 s, execution 1 s, keep-alive 2 s, 10-s run): `a` at 0 s is starting over [0, 1), busy
/// [1, 2), idle [2, 4); `b` at 1 s is starting [1, 2), busy [2, 3), idle [3, 5). Together:
/// starting 2 s, busy 2 s, idle 4 s of instance time, and 2 instances at once over [1, 4).
#[test]
fn platform_wide_instance_counts_add_up_the_functions() {
    let dir = temp_dir("micro-total-occupancy");
    std::fs::write(dir.join("a.csv"), "0\n").unwrap();
    std::fs::write(dir.join("b.csv"), "1\n").unwrap();
    let f = |name: &str| {
        format!(
            r#"{{"name": "{name}", "runtime": "nodejs",
              "exec_ms": {{"dist": "const", "value": 1000}},
              "cold_start_ms": {{"dist": "const", "value": 1000}},
              "keep_alive": {{"policy": "fixed", "idle_s": 2}},
              "workload": {{"kind": "timestamps", "path": "{name}.csv"}}}}"#
        )
    };
    let s = scenario_in(
        &format!(
            r#"{{"name": "total", "duration_s": 10, "functions": [{}, {}]}}"#,
            f("a"),
            f("b")
        ),
        &dir,
    );
    let r = run(&s);
    let i = &r.total.instances;
    assert!((i.mean_provisioning - 0.2).abs() < 1e-12, "{i:?}");
    assert!((i.mean_busy - 0.2).abs() < 1e-12, "{i:?}");
    assert!((i.mean_idle - 0.4).abs() < 1e-12, "{i:?}");
    assert!((i.mean_total - 0.8).abs() < 1e-12, "{i:?}");
    assert_eq!(i.max_total, 2);
    for (name, f) in &r.functions {
        assert_eq!(f.instances.max_total, 1, "{name}");
        assert!((f.instances.mean_total - 0.4).abs() < 1e-12, "{name}");
    }
}

/// The progress callback comes every 2^16 events with the fraction of the horizon
/// simulated. Requests every 10 ms of 1 ms each are two events apiece (arrival, end), so
/// event 65,536·k falls at about 65,536·k × 5 ms; the cold starts of the first 0.5 s and
/// the keep-alive timers add at most a few hundred events (under 2 s, a fraction of 2e-4
/// of the 10^4 s horizon).
#[test]
fn progress_is_reported_every_65536_events_as_a_fraction_of_the_horizon() {
    let s = scenario(
        r#"{"name": "progress", "duration_s": 10000,
            "functions": [{"name": "f", "runtime": "nodejs",
              "exec_ms": {"dist": "const", "value": 1},
              "cold_start_ms": {"dist": "const", "value": 500},
              "keep_alive": {"policy": "fixed", "idle_s": 600},
              "workload": {"kind": "constant", "interval_s": 0.01}}]}"#,
    );
    let mut seen = Vec::new();
    let mut tick = |f: f64| seen.push(f);
    let out = faassim::sim::run(
        &s,
        RunOptions {
            log: None,
            progress: Some(&mut tick),
            interleaved: false,
            general_path: false,
            threads: 1,
        },
    )
    .unwrap();
    assert_eq!(
        seen.len() as u64,
        out.events / 65_536,
        "{} events",
        out.events
    );
    for (k, f) in seen.iter().enumerate() {
        let expected = (65_536 * (k as u64 + 1)) as f64 * 0.005 / 10_000.0;
        assert!(
            (f - expected.min(1.0)).abs() < 2e-4,
            "tick {k}: {f}, expected {expected}"
        );
    }
}

/// Nothing is started at the end of the arrival horizon. One provisioned instance, ready
/// at 0, with a 30-s lifetime in a 60-s run: recycled at 30 s and replaced (its successor
/// starts at 30 s, so it is due at 60 s); recycled again at exactly 60 s, where no request
/// can come, so not replaced. A request at 10 s runs warm. By hand: events = arrival,
/// done, timer 30 s, the replacement's cold start, timer 60 s = 5; two lifetime
/// evictions; nothing allocated at the end.
#[test]
fn a_provisioned_instance_recycled_at_the_horizon_is_not_replaced() {
    let r = run(&scenario(
        r#"{"name": "edge", "duration_s": 60, "platform": "aws-lambda",
          "platform_overrides": {"max_instance_lifetime_s": 30},
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 100},
            "cold_start_ms": {"dist": "const", "value": 100},
            "provisioned": {"policy": "fixed", "count": 1},
            "workload": {"kind": "spike", "at_s": 10, "count": 1}}]}"#,
    ));
    let f = &r.functions[0].1;
    assert_eq!((f.warm_starts, f.evictions_by_cause.lifetime), (1, 2));
    assert_eq!(f.provisioned.as_ref().unwrap().allocated_final, 0);
    assert_eq!(r.events, 5);
}

/// The autoscaler is evaluated every `interval_s` strictly inside the run. A 60-s run
/// evaluated every 15 s: at 15, 30 and 45 s (not at 60 s, the horizon, where no request
/// can come). One request at 59 s, no cold start, 100 ms, a 10-s keep-alive: arrival,
/// ready, done, expiry (at 69.1 s, after the measured window). By hand: 3 + 4 = 7 events.
#[test]
fn the_autoscaler_is_not_evaluated_at_the_horizon() {
    let r = run(&scenario(
        r#"{"name": "edge", "duration_s": 60,
          "platform_overrides": {"autoscaler": {"target": 0.5, "interval_s": 15, "window_s": 15}},
          "functions": [{"name": "f", "runtime": "nodejs",
            "keep_alive": {"policy": "fixed", "idle_s": 10},
            "exec_ms": {"dist": "const", "value": 100},
            "cold_start_ms": {"dist": "const", "value": 0},
            "workload": {"kind": "spike", "at_s": 59, "count": 1}}]}"#,
    ));
    assert_eq!((r.total.cold_starts, r.total.evictions), (1, 0));
    assert_eq!(r.events, 7);
}

/// Keeps the instance counts after every event.
#[derive(Default)]
struct Snapshots(Vec<(SimTime, InstanceCounts)>);

impl RequestLog for Snapshots {
    fn record(&mut self, _: &RequestRecord<'_>) -> faassim::Result<()> {
        Ok(())
    }
    fn wants_snapshots(&self) -> bool {
        true
    }
    fn snapshot(&mut self, s: &Snapshot<'_>) -> faassim::Result<()> {
        self.0.push((s.at, s.functions[0]));
        Ok(())
    }
}

/// The instance counts between events, by hand. One provisioned instance (ready at 0),
/// two requests at 1 s of 1 s each, 100 ms cold starts, a 10-s keep-alive: the first runs
/// on the provisioned instance, the second cold-starts an on-demand one (starting to
/// 1.1 s, busy to 2.1 s, idle to 12.1 s). Columns: starting, busy, idle, on-demand in
/// flight (starting or busy), provisioned allocated.
#[test]
fn instance_counts_after_each_event_by_hand() {
    let s = provisioned_and_a_spike_of_two();
    let mut log = Snapshots::default();
    run_with(&s, &mut log);
    let counts =
        |starting, busy, idle, on_demand_in_flight, provisioned_allocated| InstanceCounts {
            starting,
            busy,
            idle,
            on_demand_in_flight,
            provisioned_allocated,
        };
    let t = SimTime::from_secs;
    let expected = vec![
        (t(1.0), counts(0, 1, 0, 0, 1)), // first request: the provisioned instance
        (t(1.0), counts(1, 1, 0, 1, 1)), // second: a cold start
        (t(1.1), counts(0, 2, 0, 1, 1)), // ready, executing
        (t(2.0), counts(0, 1, 1, 1, 1)), // the provisioned one is done
        (t(2.1), counts(0, 0, 2, 0, 1)), // the on-demand one is done
        (t(12.1), counts(0, 0, 1, 0, 1)), // its keep-alive ends
    ];
    assert_eq!(log.0, expected);
}

/// An execution that takes exactly its timeout finishes (the platform stops it only when
/// it runs past the limit); one a millisecond longer is stopped at the limit. Timeout 1 s,
/// cold start 100 ms (not counted against the timeout).
#[test]
fn an_execution_as_long_as_its_timeout_finishes() {
    for (exec_ms, status, end_ms) in [(1000, Status::Ok, 1100), (1001, Status::Timeout, 1100)] {
        let s = scenario(&format!(
            r#"{{"name": "edge", "duration_s": 10, "platform": "aws-lambda",
              "functions": [{{"name": "f", "runtime": "nodejs", "timeout_s": 1,
                "exec_ms": {{"dist": "const", "value": {exec_ms}}},
                "cold_start_ms": {{"dist": "const", "value": 100}},
                "workload": {{"kind": "spike", "at_s": 0, "count": 1}}}}]}}"#
        ));
        let (r, recs) = run_logged(&s);
        assert_eq!(recs[0].status, status, "{exec_ms} ms");
        assert_eq!(recs[0].end_ns, end_ms * MS, "{exec_ms} ms");
        assert_eq!(r.total.timeouts, u64::from(status == Status::Timeout));
    }
}

/// A request on the shared CPU with no I/O part ends when its CPU work does, with no
/// further event. One request at 1 s, 100 ms of CPU work on one vCPU, no cold-start
/// delay, a 30-s timeout: events by hand are its arrival, its cold start, the end of its
/// CPU work (where it ends, at 1.1 s), its instance's keep-alive expiry at 61.1 s and the
/// timeout check set when it started (at 31 s, finding it gone): 5.
#[test]
fn a_cpu_only_request_ends_with_its_cpu_work() {
    let s = scenario(
        r#"{"name": "cpu", "duration_s": 10, "platform": "aws-lambda",
          "platform_overrides": {"per_instance_concurrency": 4},
          "functions": [{"name": "f", "runtime": "nodejs",
            "cpu_sharing": true, "vcpus": 1, "cpu_fraction": 1, "timeout_s": 30,
            "keep_alive": {"policy": "fixed", "idle_s": 60},
            "exec_ms": {"dist": "const", "value": 100},
            "cold_start_ms": {"dist": "const", "value": 0},
            "workload": {"kind": "spike", "at_s": 1, "count": 1}}]}"#,
    );
    let (r, recs) = run_logged(&s);
    assert_eq!(recs[0].end_ns, 1_100 * MS);
    assert_eq!(r.events, 5);
}
