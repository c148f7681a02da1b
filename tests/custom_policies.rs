//! Policies of a library user's own, carried by the `Custom` variants: custom keep-alive,
//! provisioned-concurrency and eviction policies run inside the simulator and are checked
//! against hand-worked traces.

use std::sync::{Arc, Mutex};

use faassim::SimTime;
use faassim::policy::eviction::{Eviction, EvictionPolicy, IdleInstance};
use faassim::policy::keep_alive::{Decision, KeepAlive, KeepAlivePolicy, KeepAliveRun};
use faassim::policy::provisioned::{
    Provisioned, ProvisionedLoad, ProvisionedPolicy, ProvisionedRun,
};

use crate::common::{run, run_logged, scenario_in, temp_dir};

/// Keeps an idle instance for a fixed time, and writes down the idle times it is shown.
#[derive(Debug)]
struct KeepFor {
    keep: SimTime,
    seen: Arc<Mutex<Vec<SimTime>>>,
}

struct KeepForRun {
    keep: SimTime,
    seen: Arc<Mutex<Vec<SimTime>>>,
}

impl KeepAlivePolicy for KeepFor {
    fn name(&self) -> &'static str {
        "keep_for"
    }
    fn start(&self) -> Box<dyn KeepAliveRun> {
        Box::new(KeepForRun {
            keep: self.keep,
            seen: Arc::clone(&self.seen),
        })
    }
}

impl KeepAliveRun for KeepForRun {
    fn on_idle_time(&mut self, _now: SimTime, idle: SimTime) {
        self.seen.lock().unwrap().push(idle);
    }
    fn decide(&mut self, now: SimTime, _others: u32) -> Decision {
        Decision::KeepUntil(now + self.keep)
    }
}

fn one_function(dir: &std::path::Path, arrivals_s: &[u64], extra: &str) -> faassim::Scenario {
    let text: String = arrivals_s.iter().map(|t| format!("{t}\n")).collect();
    std::fs::write(dir.join("a.csv"), text).unwrap();
    scenario_in(
        &format!(
            r#"{{"name": "custom", "duration_s": 100, "platform": "aws-lambda",
                "functions": [{{"name": "f", "runtime": "nodejs",
                  "exec_ms": {{"dist": "const", "value": 100}},
                  "cold_start_ms": {{"dist": "const", "value": 10}},
                  "workload": {{"kind": "timestamps", "path": "a.csv"}} {extra}}}]}}"#
        ),
        dir,
    )
}

/// Arrivals at 0, 3, 10 and 20 s; 10 ms cold start, 100 ms execution; keep for 5 s.
/// 0: cold, ends 0.11, kept to 5.11. 3: warm, ends 3.1, kept to 8.1. 10: cold (8.1 < 10),
/// ends 10.11, kept to 15.11. 20: cold. The idle times shown to the policy are the gaps
/// with no request in flight: 2.89, 6.9 and 9.89 s.
#[test]
fn a_custom_keep_alive_policy_decides_and_learns_by_hand() {
    let dir = temp_dir("custom-keep-alive");
    let mut s = one_function(&dir, &[0, 3, 10, 20], "");
    let seen = Arc::new(Mutex::new(Vec::new()));
    s.functions[0].keep_alive = KeepAlive::Custom(Arc::new(KeepFor {
        keep: SimTime::from_secs(5.0),
        seen: Arc::clone(&seen),
    }));
    let (r, recs) = run_logged(&s);
    let cold: Vec<bool> = recs.iter().map(|x| x.cold_start_ns.is_some()).collect();
    assert_eq!(cold, vec![true, false, true, true]);
    assert_eq!(r.total.cold_starts, 3);
    let ms = |t: &SimTime| t.0 / 1_000_000;
    let seen: Vec<u64> = seen.lock().unwrap().iter().map(ms).collect();
    assert_eq!(seen, vec![2_890, 6_900, 9_890]);
    // Three instances started; two expired within the run (at 5.11 and 15.11 s), the
    // third at 25.12 s, also within the 100 s.
    assert_eq!(r.total.evictions, 3);
}

/// Starts with `initial`, then asks for `then` at its first evaluation; writes down what
/// it is shown.
#[derive(Debug)]
struct StepOnce {
    initial: u32,
    then: u32,
    loads: Arc<Mutex<Vec<(u64, ProvisionedLoad)>>>,
}

struct StepOnceRun {
    then: Option<u32>,
    loads: Arc<Mutex<Vec<(u64, ProvisionedLoad)>>>,
}

impl ProvisionedPolicy for StepOnce {
    fn name(&self) -> &'static str {
        "step_once"
    }
    fn initial(&self) -> u32 {
        self.initial
    }
    fn interval(&self) -> SimTime {
        SimTime::from_secs(10.0)
    }
    fn start(&self) -> Box<dyn ProvisionedRun> {
        Box::new(StepOnceRun {
            then: Some(self.then),
            loads: Arc::clone(&self.loads),
        })
    }
}

impl ProvisionedRun for StepOnceRun {
    fn evaluate(&mut self, now: SimTime, load: ProvisionedLoad) -> Option<u32> {
        self.loads
            .lock()
            .unwrap()
            .push((now.0 / 1_000_000_000, load));
        self.then.take()
    }
}

/// No traffic, 100 s: 2 provisioned instances from the start, 5 from the first evaluation
/// at 10 s. The policy is consulted every 10 s up to 90 s (9 times); at 10 s it saw 2
/// ready and none busy over the last interval, from 20 s on 5 allocated. Allocated mean
/// over 100 s: (2 × 10 + 5 × 90) / 100 = 4.7.
#[test]
fn a_custom_provisioned_policy_is_consulted_every_interval_by_hand() {
    let dir = temp_dir("custom-provisioned");
    let mut s = one_function(&dir, &[], "");
    let loads = Arc::new(Mutex::new(Vec::new()));
    s.functions[0].provisioned = Some(Provisioned::Custom(Arc::new(StepOnce {
        initial: 2,
        then: 5,
        loads: Arc::clone(&loads),
    })));
    let r = run(&s);
    let loads = loads.lock().unwrap().clone();
    let times: Vec<u64> = loads.iter().map(|l| l.0).collect();
    assert_eq!(times, (1..10).map(|i| i * 10).collect::<Vec<_>>());
    assert_eq!(
        loads[0].1,
        ProvisionedLoad {
            busy: 0.0,
            ready: 2.0,
            allocated: 2
        }
    );
    assert!(loads[1..].iter().all(|l| l.1.allocated == 5), "{loads:?}");
    let pc = r.functions[0].1.provisioned.clone().unwrap();
    assert_eq!((pc.allocated_final, pc.scale_outs), (5, 1));
    crate::common::assert_close(pc.allocated_mean, 4.7);
}

/// Least recently used, written as a custom order: the priority is the time it went idle.
#[derive(Debug)]
struct OldestFirst;

impl EvictionPolicy for OldestFirst {
    fn name(&self) -> &'static str {
        "oldest_first"
    }
    fn priority(&self, idle: IdleInstance) -> f64 {
        idle.idle_since.0 as f64
    }
}

/// FaasCache's greedy-dual, written as a custom order: clock + frequency × cost / size.
#[derive(Debug)]
struct GreedyDualAgain;

impl EvictionPolicy for GreedyDualAgain {
    fn name(&self) -> &'static str {
        "greedy_dual_again"
    }
    fn priority(&self, i: IdleInstance) -> f64 {
        i.clock + i.frequency as f64 * i.cold_start_ms / i.memory_mb.max(1.0)
    }
    fn ages(&self) -> bool {
        true
    }
}

/// The hand-worked memory-pressure trace of `policies::memory_pressure_evicts_by_policy`
/// (three 512 MB functions in 1 GB; `a` at 0, 1, 2 and 5 s, `b` at 3 s, `c` at 4 s), run
/// with the two orders written as custom policies: LRU gives 4 cold starts, 2 pressure
/// evictions and 2 cold starts of `a`; greedy-dual 3, 1 and 1.
#[test]
fn a_custom_eviction_order_decides_under_memory_pressure_by_hand() {
    // Each custom order replaces the other built-in order written in the file, so a run
    // that ignored the custom order would give the other counts.
    let orders: [(Eviction, &str, (u64, u64, u64)); 2] = [
        (
            Eviction::Custom(Arc::new(OldestFirst)),
            "greedy_dual",
            (4, 2, 2),
        ),
        (
            Eviction::Custom(Arc::new(GreedyDualAgain)),
            "lru",
            (3, 1, 1),
        ),
    ];
    for (i, (order, in_file, (cold, pressure, a_cold))) in orders.into_iter().enumerate() {
        let mut s =
            crate::policies::memory_pressure_scenario(&format!("custom-eviction-{i}"), in_file);
        s.platform.eviction = order;
        let r = run(&s);
        let got = (
            r.total.cold_starts,
            r.total.evictions_by_cause.pressure,
            r.functions[0].1.cold_starts,
        );
        assert_eq!(got, (cold, pressure, a_cold), "{:?}", s.platform.eviction);
    }
}

/// A stateless keep-alive policy given by its decision rule (`decide(now, others)`).
#[derive(Debug)]
struct DecideWith(fn(SimTime, u32) -> Decision);

impl KeepAlivePolicy for DecideWith {
    fn name(&self) -> &'static str {
        "decide_with"
    }
    fn start(&self) -> Box<dyn KeepAliveRun> {
        Box::new(DecideWith(self.0))
    }
}

impl KeepAliveRun for DecideWith {
    fn decide(&mut self, now: SimTime, others: u32) -> Decision {
        (self.0)(now, others)
    }
}

/// Evicts an instance and asks for a pre-warmed one 1 s later when another instance is
/// in memory; keeps the function's last instance for 60 s.
fn prewarm_unless_last(now: SimTime, others: u32) -> Decision {
    if others > 0 {
        Decision::EvictAndPrewarm {
            prewarm_at: now + SimTime::from_secs(1.0),
            until: now + SimTime::from_secs(30.0),
        }
    } else {
        Decision::KeepUntil(now + SimTime::from_secs(60.0))
    }
}

/// Evicts every instance that goes idle and asks for a pre-warmed one whose keep-alive
/// ends before it would start (a policy's mistake the simulator must absorb).
fn prewarm_too_late(now: SimTime, _others: u32) -> Decision {
    Decision::EvictAndPrewarm {
        prewarm_at: now + SimTime::from_secs(2.0),
        until: now + SimTime::from_secs(1.0),
    }
}

/// One function with 10 ms cold starts and 100 ms executions, arrivals at `times_s`,
/// under the keep-alive rule `decide`.
fn under_rule(
    test: &str,
    times_s: &str,
    decide: fn(SimTime, u32) -> Decision,
) -> faassim::Scenario {
    let dir = temp_dir(test);
    std::fs::write(dir.join("a.csv"), times_s).unwrap();
    let mut s = scenario_in(
        r#"{"name": "custom", "duration_s": 100, "platform": "aws-lambda",
            "functions": [{"name": "f", "runtime": "nodejs",
              "exec_ms": {"dist": "const", "value": 100},
              "cold_start_ms": {"dist": "const", "value": 10},
              "workload": {"kind": "timestamps", "path": "a.csv"}}]}"#,
        &dir,
    );
    s.functions[0].keep_alive = KeepAlive::Custom(Arc::new(DecideWith(decide)));
    s
}

/// A pre-warm finds the function already warm and starts nothing. Two requests at 0 (10 ms
/// cold start, 100 ms: two instances, A and B). At 0.11 s A goes idle with B in memory:
/// evicted, pre-warm due at 1.11 s. Then B goes idle as the last: kept to 60.11 s. At
/// 1.11 s B is idle, so the pre-warm starts nothing. The request at 5 s is warm on B, which
/// is kept to 65.1 s: two evictions in all (a pre-warmed instance would have taken the
/// request at 5 s, most recently idle, and been evicted too: three).
#[test]
fn a_prewarm_starts_nothing_while_an_instance_is_idle() {
    let s = under_rule("custom-prewarm-idle", "0\n0\n5\n", prewarm_unless_last);
    let (r, recs) = run_logged(&s);
    assert_eq!(r.total.cold_starts, 2);
    assert_eq!(r.total.evictions, 2);
    assert_eq!(r.total.instances.max_total, 2);
    assert_eq!(recs[2].cold_start_ns, None, "the request at 5 s is warm");
}

/// A pre-warm due after the end of its own keep-alive starts nothing: one request, one
/// instance, evicted when it goes idle; no second instance ever exists.
#[test]
fn a_prewarm_past_its_keep_alive_starts_nothing() {
    let s = under_rule("custom-prewarm-late", "0\n", prewarm_too_late);
    let r = run(&s);
    assert_eq!((r.total.cold_starts, r.total.evictions), (1, 1));
    // The one instance lived 0.11 s of the 100-s run.
    assert!((r.total.instances.mean_total - 0.11 / 100.0).abs() < 1e-12);
}

/// Keeps every idle instance for an hour, and writes down when it decided and how many
/// other instances of the function were in memory.
#[derive(Debug, Clone)]
struct KeepNotingOthers(Arc<Mutex<Vec<(SimTime, u32)>>>);

impl KeepAlivePolicy for KeepNotingOthers {
    fn name(&self) -> &'static str {
        "keep_noting_others"
    }
    fn start(&self) -> Box<dyn KeepAliveRun> {
        Box::new(self.clone())
    }
}

impl KeepAliveRun for KeepNotingOthers {
    fn decide(&mut self, now: SimTime, others: u32) -> Decision {
        self.0.lock().unwrap().push((now, others));
        Decision::KeepUntil(now + SimTime::from_secs(3600.0))
    }
}

/// An instance the autoscaler starts is idle under the keep-alive policy, which is told
/// how many other instances are in memory. Target 0.5, one request per instance,
/// evaluated every second over the last second, no cold start, requests at 0 and 1.5 s
/// holding 100 s (as in `platform_rules::autoscaled_idle_instances_do_not_count_against_concurrency`):
/// B starts at 1 s beside A (1 other), C at 2 s (A, B: 2 others), D at 3 s (3 others).
/// No instance goes idle after a request within the 10-s run.
#[test]
fn an_autoscaled_instance_is_kept_alive_knowing_the_others() {
    let dir = temp_dir("custom-autoscaled-others");
    std::fs::write(dir.join("a.csv"), "0\n1.5\n").unwrap();
    let mut s = scenario_in(
        r#"{"name": "t", "duration_s": 10,
            "platform_overrides": {"autoscaler": {"target": 0.5, "interval_s": 1, "window_s": 1}},
            "functions": [{"name": "f", "runtime": "nodejs",
              "exec_ms": {"dist": "const", "value": 100000},
              "cold_start_ms": {"dist": "const", "value": 0},
              "workload": {"kind": "timestamps", "path": "a.csv"}}]}"#,
        &dir,
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    s.functions[0].keep_alive = KeepAlive::Custom(Arc::new(KeepNotingOthers(Arc::clone(&seen))));
    let r = run(&s);
    assert_eq!(r.total.instances.max_total, 4);
    let s = SimTime::from_secs;
    let seen = seen.lock().unwrap();
    assert_eq!(seen[..3], [(s(1.0), 1), (s(2.0), 2), (s(3.0), 3)]);
    assert!(seen[3..].iter().all(|&(at, _)| at >= s(100.0)), "{seen:?}");
}

/// Keeps an instance 60 s before 5 s, 1 s until 6.3 s, then 100 s.
fn shorter_then_longer(now: SimTime, _others: u32) -> Decision {
    let keep = match now.as_secs() {
        t if t < 5.0 => 60.0,
        t if t < 6.3 => 1.0,
        _ => 100.0,
    };
    Decision::KeepUntil(now + SimTime::from_secs(keep))
}

/// A timer superseded by a sooner one is left to fire and ignored. Requests at 0, 6 and
/// 6.5 s (10 ms cold start, 100 ms): idle at 0.11 s kept to 60.11 s (a timer then); idle
/// at 6.1 s kept to 7.1 s (a sooner timer); idle at 6.6 s kept to 106.6 s (no timer: one
/// is due sooner). At 7.1 s it is idle with time left: a timer for 106.6 s. At 60.11 s the
/// first timer is stale: nothing. Evicted at 106.6 s. By hand: 3 arrivals, 1 cold start,
/// 3 ends, 3 timers = 10 events, one instance.
#[test]
fn a_superseded_timer_is_ignored() {
    let s = under_rule(
        "custom-superseded-timer",
        "0\n6\n6.5\n",
        shorter_then_longer,
    );
    let r = run(&s);
    assert_eq!((r.total.cold_starts, r.total.warm_starts), (1, 2));
    assert_eq!(r.events, 10);
}
