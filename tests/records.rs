//! What a run records beyond its requests: arrivals, every change in an instance's life,
//! throttle causes, and the `--windows` columns built from them. The record lists and
//! window values here were worked out by hand from the model's rules (see the comments).

use std::collections::HashMap;

use crate::common::*;
use faassim::SimTime;
use faassim::report::WindowLog;
use faassim::sim::{
    ArrivalRecord, InstanceChange, InstanceRecord, InstanceState, Outcome, RequestLog,
    RequestRecord, Status,
};

/// Milliseconds, as short as exact.
fn ms(t: SimTime) -> String {
    format!("{}", t.0 as f64 / 1e6)
}

fn state(s: Option<InstanceState>) -> &'static str {
    match s {
        None => "none",
        Some(InstanceState::Starting) => "starting",
        Some(InstanceState::Busy) => "busy",
        Some(InstanceState::Idle) => "idle",
    }
}

/// Every record as one line of text, in the order the run gave them, and a check that
/// they come in time order.
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    last: SimTime,
}

impl Lines {
    fn push(&mut self, at: SimTime, line: String) {
        assert!(at >= self.last, "{line} comes after {}", ms(self.last));
        self.last = at;
        self.lines.push(line);
    }
}

impl RequestLog for Lines {
    fn record(&mut self, r: &RequestRecord<'_>) -> faassim::Result<()> {
        let what = match (r.outcome, r.throttle_cause) {
            (Outcome::Throttled, Some(c)) => format!("throttled({})", json_name(&c)),
            (Outcome::Throttled, None) => "throttled(?)".to_owned(),
            (o, Some(_)) => format!("{o:?} with a throttle cause"),
            (Outcome::Warm, None) => "warm".to_owned(),
            (Outcome::Cold, None) => "cold".to_owned(),
        };
        let on = match r.instance {
            Some(i) => format!(" on i{i}{}", if r.provisioned { "P" } else { "" }),
            None => String::new(),
        };
        let status = match r.status {
            Status::Ok => " ok",
            Status::Error => " error",
            Status::Timeout => " timeout",
            Status::Throttled => "",
        };
        let ping = if r.ping { " ping" } else { "" };
        let line = format!(
            "{} {} r{} {what}{on}{status}{ping}",
            ms(r.end),
            r.function,
            r.request
        );
        self.push(r.end, line);
        Ok(())
    }

    fn wants_lifecycle(&self) -> bool {
        true
    }

    fn arrival(&mut self, a: &ArrivalRecord<'_>) -> faassim::Result<()> {
        let ping = if a.ping { " ping" } else { "" };
        let line = format!("{} {} r{} arrives{ping}", ms(a.at), a.function, a.request);
        self.push(a.at, line);
        Ok(())
    }

    fn instance(&mut self, r: &InstanceRecord<'_>) -> faassim::Result<()> {
        let what = match r.change {
            InstanceChange::Started(c) => format!("started({})", json_name(&c)),
            InstanceChange::Ready => "ready".to_owned(),
            InstanceChange::Busy => "busy".to_owned(),
            InstanceChange::Idle => "idle".to_owned(),
            InstanceChange::Recycled => "recycled".to_owned(),
            InstanceChange::Released => "released".to_owned(),
            InstanceChange::Evicted(c) => format!("evicted({})", json_name(&c)),
        };
        let from = match r.from {
            None => String::new(),
            f => format!("<{}", state(f)),
        };
        let p = if r.provisioned { "P" } else { "" };
        let line = format!(
            "{} {} i{}{p} {what}{from}",
            ms(r.at),
            r.function,
            r.instance
        );
        self.push(r.at, line);
        Ok(())
    }
}

/// The name serde gives a unit variant (what `--events` writes).
fn json_name(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// The records of a run, as lines.
fn lines_of(s: &faassim::Scenario) -> Vec<String> {
    let mut log = Lines::default();
    run_with(s, &mut log);
    log.lines
}

/// One function on an inline runtime, arrivals at `times` (s), constant execution and
/// cold start (ms), a fixed keep-alive (s); `extra` goes into the function, `platform`
/// into the scenario.
fn traced(
    test: &str,
    times: &str,
    (exec_ms, cold_ms, idle_s): (u64, u64, u64),
    extra: &str,
    platform: &str,
    duration_s: f64,
) -> faassim::Scenario {
    let dir = temp_dir(test);
    std::fs::write(dir.join("arrivals.csv"), times).unwrap();
    scenario_in(
        &format!(
            r#"{{"name": "records", "duration_s": {duration_s}, {platform}
              "functions": [{{
                "name": "f", "runtime": "nodejs", {extra}
                "exec_ms": {{"dist": "const", "value": {exec_ms}}},
                "cold_start_ms": {{"dist": "const", "value": {cold_ms}}},
                "keep_alive": {{"policy": "fixed", "idle_s": {idle_s}}},
                "workload": {{"kind": "timestamps", "path": "arrivals.csv"}}
              }}]
            }}"#
        ),
        &dir,
    )
}

/// The provisioned schedule: none, one instance from 5 s (2-s allocation delay), none from
/// 20 s; one 0.5-s request at 19.8 s (0.1-s cold starts, 5-s keep-alive, 30-s run).
fn scheduled_release(test: &str) -> faassim::Scenario {
    traced(
        test,
        "19.8\n",
        (500, 100, 5),
        r#""provisioned": {"policy": "scheduled", "allocation_delay_s": 2,
             "steps": [{"at_s": 0, "count": 0}, {"at_s": 5, "count": 1}, {"at_s": 20, "count": 0}]},"#,
        "",
        30.0,
    )
}

/// The memory-pressure trace: two 512-MB functions on one 0.5-GB host, `a` at 0 and 3.2 s,
/// `b` at 3 s, with a fixed keep-alive of `idle_s` or else the platform's.
fn pressure_trace(test: &str, idle_s: Option<u64>) -> faassim::Scenario {
    let dir = temp_dir(test);
    std::fs::write(dir.join("a.csv"), "0\n3.2\n").unwrap();
    std::fs::write(dir.join("b.csv"), "3\n").unwrap();
    let functions = [memory_function("a", idle_s), memory_function("b", idle_s)];
    memory_scenario(&dir, r#""memory_capacity_gb": 0.5"#, &functions)
}

#[track_caller]
fn assert_lines(actual: &[String], expected: &[&str]) {
    let actual: Vec<&str> = actual.iter().map(String::as_str).collect();
    assert_eq!(actual, expected, "\nactual:\n{}", actual.join("\n"));
}

/// A cold start, a warm reuse, a keep-alive expiry. Arrivals 0 and 1 s, cold start
/// 0.2 s, execution 0.5 s, keep-alive 5 s: instance 0 starts at 0 for request 0, is ready
/// and busy at 0.2, idle at 0.7 when request 0 ends (request first, then its instance),
/// busy again at 1 (request 1, warm), idle at 1.5, and expires at 1.5 + 5 = 6.5 s.
#[test]
fn a_cold_start_a_warm_reuse_and_an_expiry() {
    let s = traced("records-basic", "0\n1\n", (500, 200, 5), "", "", 10.0);
    assert_lines(
        &lines_of(&s),
        &[
            "0 f r0 arrives",
            "0 f i0 started(request)",
            "200 f i0 ready<starting",
            "200 f i0 busy<starting",
            "700 f r0 cold on i0 ok",
            "700 f i0 idle<busy",
            "1000 f r1 arrives",
            "1000 f i0 busy<idle",
            "1500 f r1 warm on i0 ok",
            "1500 f i0 idle<busy",
            "6500 f i0 evicted(expiry)<idle",
        ],
    );
}

/// Provisioned concurrency in place before the run: instance 0 is started, ready and
/// idle at time 0. Two requests at 1 s (1 s each, 0.1-s cold starts, 10-s keep-alive):
/// the first takes the provisioned instance, the second cold-starts on-demand instance 1
/// (ready at 1.1, idle at 2.1, expired at 12.1). The provisioned instance stays.
#[test]
fn provisioned_instances_are_started_ready_and_idle_before_the_run() {
    let s = provisioned_and_a_spike_of_two();
    assert_lines(
        &lines_of(&s),
        &[
            "0 f i0P started(provisioned)",
            "0 f i0P ready<starting",
            "0 f i0P idle<starting",
            "1000 f r0 arrives",
            "1000 f i0P busy<idle",
            "1000 f r1 arrives",
            "1000 f i1 started(request)",
            "1100 f i1 ready<starting",
            "1100 f i1 busy<starting",
            "2000 f r0 warm on i0P ok",
            "2000 f i0P idle<busy",
            "2100 f r1 cold on i1 ok",
            "2100 f i1 idle<busy",
            "12100 f i1 evicted(expiry)<idle",
        ],
    );
}

/// A schedule: none, one provisioned instance from 5 s (2-s allocation delay + 0.1-s
/// cold start: ready at 7.1 s), none from 20 s. A request at 19.8 s (0.5 s) is on it when
/// the count drops: it is released and finishes as an on-demand instance (its request's
/// record says so), then idles under the 5-s keep-alive (20.3 → 25.3 s).
#[test]
fn a_provisioned_allocation_and_a_release_while_busy() {
    let s = scheduled_release("records-schedule");
    assert_lines(
        &lines_of(&s),
        &[
            "5000 f i0P started(provisioned)",
            "7100 f i0P ready<starting",
            "7100 f i0P idle<starting",
            "19800 f r0 arrives",
            "19800 f i0P busy<idle",
            "20000 f i0 released<busy",
            "20300 f r0 warm on i0 ok",
            "20300 f i0 idle<busy",
            "25300 f i0 evicted(expiry)<idle",
        ],
    );
}

/// Memory pressure: one host of 512 MB, two 512-MB functions (0.5-s cold start, 0.1-s
/// execution, 1-hour keep-alive). `a` at 0 s: instance 0, idle from 0.6 s. `b` at 3 s:
/// no room, so `a`'s idle instance is evicted and `b`'s instance 1 starts. `a` again at
/// 3.2 s: the only instance is busy (not evictable), so the request is throttled for
/// memory. Instance 1 expires an hour after 3.6 s, after the horizon.
#[test]
fn memory_pressure_evicts_an_idle_instance_and_throttles_when_nothing_is_idle() {
    let s = pressure_trace("records-pressure", Some(3600));
    assert_lines(
        &lines_of(&s),
        &[
            "0 a r0 arrives",
            "0 a i0 started(request)",
            "500 a i0 ready<starting",
            "500 a i0 busy<starting",
            "600 a r0 cold on i0 ok",
            "600 a i0 idle<busy",
            "3000 b r1 arrives",
            "3000 a i0 evicted(pressure)<idle",
            "3000 b i1 started(request)",
            "3200 a r2 arrives",
            "3200 a r2 throttled(memory)",
            "3500 b i1 ready<starting",
            "3500 b i1 busy<starting",
            "3600 b r1 cold on i1 ok",
            "3600 b i1 idle<busy",
            "3603600 b i1 evicted(expiry)<idle",
        ],
    );
}

/// A timeout: 1-s limit, 2-s execution after a 0.1-s cold start. The request is stopped at
/// 1.1 s and its instance discarded (reset) at once, as Lambda does.
#[test]
fn a_timed_out_request_resets_its_instance() {
    let s = traced(
        "records-timeout",
        "0\n",
        (2000, 100, 60),
        r#""timeout_s": 1,"#,
        "",
        10.0,
    );
    assert_lines(
        &lines_of(&s),
        &[
            "0 f r0 arrives",
            "0 f i0 started(request)",
            "100 f i0 ready<starting",
            "100 f i0 busy<starting",
            "1100 f r0 cold on i0 timeout",
            "1100 f i0 evicted(reset)<busy",
        ],
    );
}

/// A 2-s maximum lifetime (0.1-s cold starts, 1.5-s executions, 60-s keep-alive).
/// Instance 0 (from 0 s) is busy again from 1.7 s when its lifetime ends at 2 s: recycled,
/// so the request at 2.5 s starts instance 1, and instance 0 goes away when its request
/// ends (3.2 s). Instance 1 (from 2.5 s) is idle when its lifetime ends at 4.5 s.
#[test]
fn a_lifetime_recycles_a_busy_instance_when_its_request_ends() {
    let s = traced(
        "records-lifetime",
        "0\n1.7\n2.5\n",
        (1500, 100, 60),
        "",
        r#""platform_overrides": {"max_instance_lifetime_s": 2},"#,
        10.0,
    );
    assert_lines(
        &lines_of(&s),
        &[
            "0 f r0 arrives",
            "0 f i0 started(request)",
            "100 f i0 ready<starting",
            "100 f i0 busy<starting",
            "1600 f r0 cold on i0 ok",
            "1600 f i0 idle<busy",
            "1700 f r1 arrives",
            "1700 f i0 busy<idle",
            "2000 f i0 recycled<busy",
            "2500 f r2 arrives",
            "2500 f i1 started(request)",
            "2600 f i1 ready<starting",
            "2600 f i1 busy<starting",
            "3200 f r1 warm on i0 ok",
            "3200 f i0 evicted(lifetime)<busy",
            "4100 f r2 cold on i1 ok",
            "4100 f i1 idle<busy",
            "4500 f i1 evicted(lifetime)<idle",
        ],
    );
}

/// A provisioned instance recycled at the end of its 10-s lifetime is replaced (a cold
/// start of 0.1 s) until the 25-s horizon: instances 0 (0-10 s), 1 (10-20 s), 2 (20-30 s,
/// not replaced). One request at 24.9 s (0.1 s) runs on instance 2.
#[test]
fn a_recycled_provisioned_instance_is_replaced_until_the_horizon() {
    let s = lifetime_scenario(
        25.0,
        10,
        r#""cold_start_ms": {"dist": "const", "value": 100},
           "provisioned": {"policy": "fixed", "count": 1},
           "workload": {"kind": "spike", "at_s": 24.9, "count": 1}"#,
    );
    assert_lines(
        &lines_of(&s),
        &[
            "0 f i0P started(provisioned)",
            "0 f i0P ready<starting",
            "0 f i0P idle<starting",
            "10000 f i0P evicted(lifetime)<idle",
            "10000 f i1P started(replacement)",
            "10100 f i1P ready<starting",
            "10100 f i1P idle<starting",
            "20000 f i1P evicted(lifetime)<idle",
            "20000 f i2P started(replacement)",
            "20100 f i2P ready<starting",
            "20100 f i2P idle<starting",
            "24900 f r0 arrives",
            "24900 f i2P busy<idle",
            "25000 f r0 warm on i2P ok",
            "25000 f i2P idle<busy",
            "30000 f i2P evicted(lifetime)<idle",
        ],
    );
}

/// Warm-up pings every 5 s from 0 (1-ms executions) until the 12-s horizon: the first
/// starts the instance (cause `ping`), the others find it idle. Pings arrive and end like
/// requests, marked as pings. A user request at 11 s (0.1 s) finds the instance warm.
#[test]
fn warm_up_pings_start_and_keep_an_instance() {
    let s = scenario(
        r#"{"name": "records", "duration_s": 12,
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "const", "value": 100},
            "cold_start_ms": {"dist": "const", "value": 100},
            "keep_alive": {"policy": "fixed", "idle_s": 60},
            "warmers": {"every_s": 5, "concurrency": 1},
            "workload": {"kind": "spike", "at_s": 11, "count": 1}}]}"#,
    );
    assert_lines(
        &lines_of(&s),
        &[
            "0 f r0 arrives ping",
            "0 f i0 started(ping)",
            "100 f i0 ready<starting",
            "100 f i0 busy<starting",
            "101 f r0 cold on i0 ok ping",
            "101 f i0 idle<busy",
            "5000 f r1 arrives ping",
            "5000 f i0 busy<idle",
            "5001 f r1 warm on i0 ok ping",
            "5001 f i0 idle<busy",
            "10000 f r2 arrives ping",
            "10000 f i0 busy<idle",
            "10001 f r2 warm on i0 ok ping",
            "10001 f i0 idle<busy",
            "11000 f r3 arrives",
            "11000 f i0 busy<idle",
            "11100 f r3 warm on i0 ok",
            "11100 f i0 idle<busy",
            "71100 f i0 evicted(expiry)<idle",
        ],
    );
}

/// Concurrency and scale-out throttles carry their cause: reserved concurrency 1 refuses
/// the second of two simultaneous requests; a scale-out bucket of one token refuses the
/// second new instance.
#[test]
fn throttled_requests_carry_their_cause() {
    let spike = r#"{"kind": "spike", "at_s": 1, "count": 2}"#;
    let make = |extra: &str, platform: &str| {
        scenario(&format!(
            r#"{{"name": "records", "duration_s": 10, {platform}
              "functions": [{{"name": "f", "runtime": "nodejs", {extra}
                "exec_ms": {{"dist": "const", "value": 100}},
                "cold_start_ms": {{"dist": "const", "value": 100}},
                "workload": {spike}}}]}}"#
        ))
    };
    let reserved = make(r#""max_concurrency": 1,"#, "");
    let bucket = make(
        "",
        r#""platform_overrides": {"scale_out_per_10s": 1, "scale_out_burst": 1},"#,
    );
    for (s, cause) in [(reserved, "concurrency"), (bucket, "scale_out")] {
        let lines = lines_of(&s);
        let throttled: Vec<&String> = lines.iter().filter(|l| l.contains("thrott")).collect();
        assert_eq!(throttled, [&format!("1000 f r1 throttled({cause})")]);
    }
}

/// One function's `--windows` rows, by column name.
fn windows_of(s: &faassim::Scenario, width_s: f64) -> Vec<HashMap<String, String>> {
    let names: Vec<&str> = s.functions.iter().map(|f| f.name.as_str()).collect();
    let mut log = WindowLog::new(
        Vec::new(),
        "memory",
        SimTime::from_secs(width_s),
        s.duration,
        &names,
    )
    .unwrap();
    run_with(s, &mut log);
    let csv = String::from_utf8(log.finish().unwrap()).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| ((*h).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Checks the named columns of `row` (`name=value` pairs).
#[track_caller]
fn assert_row(row: &HashMap<String, String>, expected: &str) {
    for pair in expected.split_whitespace() {
        let (k, v) = pair.split_once('=').unwrap();
        assert_eq!(
            row.get(k).map(String::as_str),
            Some(v),
            "{k} in window {}",
            row["window_start_s"]
        );
    }
}

/// One-second windows over a hand-worked trace. Arrivals 0.5, 1.3, 1.4 s; 0.2-s cold
/// starts, 0.5-s executions, 5-s keep-alive.
///
/// - instance 0: starting 0.5-0.7, busy 0.7-1.2 (r0), idle 1.2-1.3, busy 1.3-1.8 (r1,
///   warm), idle 1.8-6.8, expired at 6.8;
/// - instance 1 (r2 finds instance 0 busy): starting 1.4-1.6, busy 1.6-2.1, idle 2.1-7.1.
///
/// Window 0: starting 0.2 s, busy 0.3 s, one instance from 0.5 s (mean 0.5); r0 arrives
/// here but ends in window 1. Window 1: busy 0.2 + 0.5 + 0.4 = 1.1, idle 0.1 + 0.2 = 0.3,
/// starting 0.2, instances 1 + 0.6 = 1.6; both busy during 1.6-1.8 (max 2). Window 2:
/// busy 0.1, idle 1 + 0.9 = 1.9. Windows 3-5: two idle. Window 6: idle 1 + 0.8; window
/// 7: 0.1; then nothing.
#[test]
fn windows_integrate_instance_levels_exactly() {
    let s = traced(
        "records-windows",
        "0.5\n1.3\n1.4\n",
        (500, 200, 5),
        "",
        "",
        10.0,
    );
    let rows = windows_of(&s, 1.0);
    assert_eq!(rows.len(), 10);
    let empty = "provisioned_mean=0 provisioned_max=0 provisioned_utilisation=";
    assert_row(
        &rows[0],
        "arrivals=1 finished=0 instances_mean=0.5 instances_max=1 busy_mean=0.3 busy_max=1 \
         idle_mean=0 idle_max=0 starting_mean=0.2 starting_max=1",
    );
    assert_row(&rows[0], empty);
    assert_row(
        &rows[1],
        "arrivals=2 finished=2 warm=1 cold=1 max_ms=700.000 mean_ms=600.000 \
         instances_mean=1.6 instances_max=2 busy_mean=1.1 busy_max=2 idle_mean=0.3 \
         idle_max=1 starting_mean=0.2 starting_max=1",
    );
    assert_row(
        &rows[2],
        "arrivals=0 finished=1 cold=1 instances_mean=2 instances_max=2 busy_mean=0.1 \
         busy_max=1 idle_mean=1.9 idle_max=2 starting_mean=0 starting_max=0",
    );
    for row in &rows[3..6] {
        assert_row(row, "finished=0 instances_mean=2 idle_mean=2 busy_max=0");
    }
    assert_row(&rows[6], "instances_mean=1.8 instances_max=2 idle_mean=1.8");
    assert_row(&rows[7], "instances_mean=0.1 instances_max=1 idle_max=1");
    for row in &rows[8..] {
        assert_row(row, "instances_mean=0 instances_max=0 arrivals=0");
    }
    for row in &rows {
        assert_row(row, empty);
    }
}

/// Provisioned columns in 10-s windows over the schedule of
/// [`a_provisioned_allocation_and_a_release_while_busy`]. Window 0: the provisioned
/// instance starts at 5 s (starting 2.1 s, idle 2.9 s: provisioned mean 0.5, nothing
/// busy: utilisation 0 of 2.9 ready seconds). Window 1: ready all along, busy 0.2 s
/// (19.8-20): utilisation 0.02. Window 2: released at 20 s, the window's very start (so
/// the provisioned level carried in is not its maximum), then on demand: busy 0.3 s, idle
/// 5 s; no provisioned instance ready, so no utilisation.
#[test]
fn windows_give_provisioned_levels_and_utilisation() {
    let s = scheduled_release("records-windows-pc");
    let rows = windows_of(&s, 10.0);
    assert_eq!(rows.len(), 3);
    assert_row(
        &rows[0],
        "provisioned_mean=0.5 provisioned_max=1 provisioned_utilisation=0 \
         starting_mean=0.21 idle_mean=0.29 instances_mean=0.5",
    );
    assert_row(
        &rows[1],
        "provisioned_mean=1 provisioned_max=1 provisioned_utilisation=0.02 busy_mean=0.02 \
         idle_mean=0.98 arrivals=1",
    );
    assert_row(
        &rows[2],
        "provisioned_mean=0 provisioned_max=0 provisioned_utilisation= busy_mean=0.03 \
         idle_mean=0.5 instances_mean=0.53 finished=1",
    );
}

/// The memory-pressure trace in 1-s windows: the throttle counts in its window (3-4 s)
/// under its cause; `a`'s instance, evicted at 3 s, is not in that window at all.
#[test]
fn windows_count_throttles_by_cause() {
    let s = pressure_trace("records-windows-throttle", None);
    let rows = windows_of(&s, 1.0);
    let row = |start: &str, f: &str| {
        rows.iter()
            .find(|r| r["window_start_s"] == start && r["function"] == f)
            .unwrap()
            .clone()
    };
    assert_row(
        &row("3", "a"),
        "arrivals=1 throttled=1 throttled_memory=1 throttled_concurrency=0 \
         throttled_scale_out=0 throttled_pending_timeout=0 instances_mean=0 instances_max=0",
    );
    assert_row(
        &row("2", "a"),
        "instances_mean=1 instances_max=1 idle_max=1",
    );
    assert_row(
        &row("3", "b"),
        "arrivals=1 throttled=0 instances_max=1 starting_mean=0.5",
    );
}

/// A Poisson run (20 requests/s, exponential executions of mean 100 ms, 1,000 s, 10-s
/// windows): the windows' busy instance-time over the horizon is the run's (mean busy ×
/// duration, exactly up to rounding), and over all windows it is the sum of the
/// executions, close to Little's law λ × E[S] × T = 2,000 s within 4.5 standard
/// deviations of a compound Poisson sum, √(λT · E[S²]) = √(20,000 × 0.02) = 20 s. Arrivals
/// add up to the requests, throttles by cause to the throttles.
#[test]
fn windows_add_up_to_the_run_and_to_littles_law() {
    let s = scenario(
        r#"{"name": "little", "seed": 7, "duration_s": 1000,
          "functions": [{"name": "f", "runtime": "nodejs",
            "exec_ms": {"dist": "exponential", "mean": 100},
            "keep_alive": {"policy": "fixed", "idle_s": 30},
            "workload": {"kind": "poisson", "rate_per_s": 20}}]}"#,
    );
    let rows = windows_of(&s, 10.0);
    let r = run(&s);
    let t = &r.total;
    let sum = |rows: &[HashMap<String, String>], col: &str| -> f64 {
        rows.iter().map(|r| r[col].parse::<f64>().unwrap()).sum()
    };
    let horizon = &rows[..100];
    let busy_s = sum(horizon, "busy_mean") * 10.0;
    assert!(
        (busy_s - t.instances.mean_busy * 1000.0).abs() < 1e-6,
        "{busy_s}"
    );
    let total_s = sum(horizon, "instances_mean") * 10.0;
    assert!((total_s - t.instances.mean_total * 1000.0).abs() < 1e-6);
    let all_busy_s = sum(&rows, "busy_mean") * 10.0;
    assert!((all_busy_s - 2000.0).abs() < 4.5 * 20.0, "{all_busy_s}");
    assert_eq!(sum(&rows, "arrivals") as u64, t.invocations);
    assert_eq!(sum(&rows, "finished") as u64, t.invocations);
    let causes: f64 = [
        "throttled_concurrency",
        "throttled_scale_out",
        "throttled_memory",
        "throttled_pending_timeout",
    ]
    .iter()
    .map(|c| sum(&rows, c))
    .sum();
    assert_eq!(causes, sum(&rows, "throttled"));
}

/// The records of the shipped experiments (reduced in length) keep their invariants:
/// time order; every request arrives once and ends once with the same arrival time; each
/// instance starts first, goes away last, and its changes follow its states; the
/// instances left at the end are idle and provisioned.
#[test]
fn records_of_shipped_experiments_are_consistent() {
    #[derive(Default)]
    struct Check {
        last: SimTime,
        arrivals: HashMap<u64, SimTime>,
        ended: u64,
        states: HashMap<u64, (Option<InstanceState>, bool)>,
    }
    impl RequestLog for Check {
        fn record(&mut self, r: &RequestRecord<'_>) -> faassim::Result<()> {
            assert!(r.end >= self.last);
            self.last = r.end;
            let at = self.arrivals.remove(&r.request);
            assert_eq!(at, Some(r.arrival), "request {}", r.request);
            assert_eq!(r.throttle_cause.is_some(), r.outcome == Outcome::Throttled);
            self.ended += 1;
            Ok(())
        }
        fn wants_lifecycle(&self) -> bool {
            true
        }
        fn arrival(&mut self, a: &ArrivalRecord<'_>) -> faassim::Result<()> {
            assert!(a.at >= self.last);
            self.last = a.at;
            assert!(self.arrivals.insert(a.request, a.at).is_none());
            Ok(())
        }
        fn instance(&mut self, r: &InstanceRecord<'_>) -> faassim::Result<()> {
            use InstanceChange as C;
            use InstanceState as S;
            assert!(r.at >= self.last);
            self.last = r.at;
            let now = self.states.get(&r.instance).map(|s| s.0);
            assert_eq!(now.flatten(), r.from, "{r:?}");
            let to = match r.change {
                C::Started(_) => {
                    assert!(now.is_none(), "{r:?}");
                    Some(S::Starting)
                }
                C::Ready => {
                    assert_eq!(r.from, Some(S::Starting));
                    r.from
                }
                C::Busy => Some(S::Busy),
                C::Idle => Some(S::Idle),
                C::Recycled => r.from,
                C::Released => {
                    assert_eq!(r.from, Some(S::Busy));
                    r.from
                }
                C::Evicted(_) => None,
            };
            if matches!(r.change, C::Busy | C::Idle) {
                assert_ne!(to, r.from, "{r:?}");
            }
            match to {
                Some(s) => {
                    self.states.insert(r.instance, (Some(s), r.provisioned));
                }
                None => {
                    self.states.remove(&r.instance);
                }
            }
            Ok(())
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    for (name, duration) in [
        ("event-sources", 600.0),
        ("connection-storm", 120.0),
        ("flash-sale-pc", 900.0),
        ("function-mix", 600.0),
    ] {
        let mut s = faassim::Scenario::load(&root.join(format!("{name}.json"))).unwrap();
        s.duration = SimTime::from_secs(duration);
        s.warmup = SimTime::ZERO;
        let mut check = Check::default();
        let out = run_with(&s, &mut check);
        assert!(check.arrivals.is_empty(), "{name}: requests never ended");
        assert!(check.ended > 0, "{name}");
        let left: u32 = out.provisioned_final.iter().sum();
        assert_eq!(check.states.len() as u32, left, "{name}");
        assert!(
            check
                .states
                .values()
                .all(|&(s, p)| s == Some(InstanceState::Idle) && p),
            "{name}"
        );
    }
    // A pending queue that times out (Azure), asynchronous events retried after errors and
    // throttles, synchronous calls, reserved concurrency and a burst beyond the scale-out
    // rate, warm-up pings and a lifetime.
    let s = scenario(
        r#"{"name": "mix", "duration_s": 120, "platform": "azure-functions",
          "platform_overrides": {"max_instance_lifetime_s": 30, "pending_timeout_s": 2,
            "per_instance_concurrency": 1},
          "functions": [
            {"name": "a", "runtime": "nodejs", "invocation": "async", "max_concurrency": 3,
             "failure_probability": 0.3, "exec_ms": {"dist": "exponential", "mean": 200},
             "calls": [{"function": "b", "mode": "sync"}],
             "workload": {"kind": "poisson", "rate_per_s": 20}},
            {"name": "b", "runtime": "python", "exec_ms": {"dist": "const", "value": 50},
             "warmers": {"every_s": 10, "concurrency": 2},
             "workload": {"kind": "spike", "at_s": 60, "count": 500}}]}"#,
    );
    let mut check = Check::default();
    run_with(&s, &mut check);
    assert!(check.arrivals.is_empty());
    assert!(check.states.is_empty());
    let r = run(&s);
    let c = &r.total.throttle_causes;
    assert!(c.pending_timeout > 0, "{c:?}");
}

/// The row cap counts windows × functions before anything runs, and says what would fit:
/// 100 s in 10-µs windows for two functions is 2·10^7 rows; 5·10^6 rows fit with 40-µs
/// windows.
#[test]
fn too_many_window_rows_are_refused_with_what_would_fit() {
    let dir = temp_dir("records-cap");
    let f = |n: &str| {
        format!(
            r#"{{"name": "{n}", "runtime": "nodejs",
              "exec_ms": {{"dist": "const", "value": 1}},
              "workload": {{"kind": "constant", "interval_s": 1}}}}"#
        )
    };
    std::fs::write(
        dir.join("s.json"),
        format!(
            r#"{{"name": "t", "duration_s": 100, "functions": [{}, {}]}}"#,
            f("a"),
            f("b")
        ),
    )
    .unwrap();
    let out = run_with_windows(&dir, "0.00001");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: command line: --window-s: 0.00001 s windows over 100 s and 2 function(s) make \
         20000000 rows; expected at most 5000000: use --window-s 0.00004 or more\n"
    );
    assert!(!dir.join("w.csv").exists());
}
