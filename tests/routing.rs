//! Routing among instances that take several requests at once (`per_instance_concurrency`
//! above 1): which instances are open to another request. Every expected value is worked
//! out by hand from the rules in the comments.

use crate::common::{MS, run_logged, scenario_in, temp_dir};
use faassim::sim::Outcome;

/// One function, four requests per instance, executions of `exec_ms` and cold starts of
/// `cold_ms`, a 600-s keep-alive, arrivals at `arrivals_ms`, platform overrides
/// `overrides` and extra function fields `extra`.
fn four_per_instance(
    test: &str,
    arrivals_ms: &[u64],
    (exec_ms, cold_ms): (u64, u64),
    overrides: &str,
    extra: &str,
) -> faassim::Scenario {
    let dir = temp_dir(test);
    let times: String = arrivals_ms
        .iter()
        .map(|ms| format!("{}\n", *ms as f64 / 1e3))
        .collect();
    std::fs::write(dir.join("a.csv"), times).unwrap();
    scenario_in(
        &format!(
            r#"{{"name": "t", "duration_s": 100, "platform": "aws-lambda",
                "platform_overrides": {{"per_instance_concurrency": 4 {overrides}}},
                "functions": [{{"name": "f", "runtime": "nodejs",
                  "exec_ms": {{"dist": "const", "value": {exec_ms}}},
                  "cold_start_ms": {{"dist": "const", "value": {cold_ms}}},
                  "keep_alive": {{"policy": "fixed", "idle_s": 600}},
                  "workload": {{"kind": "timestamps", "path": "a.csv"}} {extra}}}]}}"#
        ),
        &dir,
    )
}

/// An instance past its lifetime takes no new request, even with free slots, and even
/// after one of its requests ends. Lifetime 10 s, 9-s executions, requests at 0, 9.5,
/// 9.6 and 18.55 s. The first starts A (0–9 s); idle at 9 s, A's timer is set for its
/// lifetime at 10 s. The next two join A (warm, to 18.5 and 18.6 s). At 10 s A is past its
/// lifetime while busy: it drains. The request at 18.55 s, after one of A's requests ended
/// at 18.5 s, starts B (cold). A is recycled when empty at 18.6 s, B idle at its
/// lifetime's end (28.55 s): two lifetime evictions.
#[test]
fn a_draining_instance_takes_no_new_request() {
    let s = four_per_instance(
        "routing-draining",
        &[0, 9_500, 9_600, 18_550],
        (9_000, 0),
        r#", "max_instance_lifetime_s": 10"#,
        "",
    );
    let (r, recs) = run_logged(&s);
    let mut by_arrival: Vec<(u64, Outcome, Option<u64>)> = (recs.iter())
        .map(|x| (x.arrival_ns / MS, x.outcome, x.instance))
        .collect();
    by_arrival.sort_unstable_by_key(|x| x.0);
    assert_eq!(
        by_arrival,
        vec![
            (0, Outcome::Cold, Some(0)),
            (9_500, Outcome::Warm, Some(0)),
            (9_600, Outcome::Warm, Some(0)),
            (18_550, Outcome::Cold, Some(1)),
        ]
    );
    assert_eq!(r.total.evictions_by_cause.lifetime, 2);
}

/// A busy provisioned instance with a free slot takes the next request before any
/// on-demand instance starts: one provisioned instance, two requests at 1 s, both on it
/// (served 2, no spillover, no cold start).
#[test]
fn a_busy_provisioned_instance_takes_requests_up_to_its_slots() {
    let s = four_per_instance(
        "routing-busy-provisioned",
        &[1_000, 1_000],
        (1_000, 0),
        "",
        r#", "provisioned": {"policy": "fixed", "count": 1}"#,
    );
    let (r, recs) = run_logged(&s);
    let pc = r.functions[0].1.provisioned.as_ref().unwrap();
    assert_eq!((pc.served, pc.spillover, r.total.cold_starts), (2, 0, 0));
    assert!(recs.iter().all(|x| x.instance == Some(0)));
}

/// An instance starting with no request (a provisioned one added by a schedule step) is
/// not open to requests: one arriving while it starts starts an on-demand instance of its
/// own. Step to 1 provisioned instance at 10 s with a 2-s cold start (no allocation delay):
/// ready at 12 s. A request at 11 s starts an on-demand instance (cold, 11–14 s with a
/// 1-s execution); a request at 13 s runs on the provisioned one (warm).
#[test]
fn a_starting_instance_without_requests_is_not_joined() {
    let s = four_per_instance(
        "routing-starting-empty",
        &[11_000, 13_000],
        (1_000, 2_000),
        "",
        r#", "provisioned": {"policy": "scheduled", "allocation_delay_s": 0,
              "steps": [{"at_s": 0, "count": 0}, {"at_s": 10, "count": 1}]}"#,
    );
    let (r, recs) = run_logged(&s);
    let mut by_arrival: Vec<(u64, Outcome, u64)> = (recs.iter())
        .map(|x| (x.arrival_ns / MS, x.outcome, x.end_ns / MS))
        .collect();
    by_arrival.sort_unstable_by_key(|x| x.0);
    assert_eq!(
        by_arrival,
        vec![
            (11_000, Outcome::Cold, 14_000),
            (13_000, Outcome::Warm, 14_000)
        ]
    );
    let pc = r.functions[0].1.provisioned.as_ref().unwrap();
    assert_eq!((pc.served, pc.spillover), (1, 1));
}
