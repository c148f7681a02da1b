//! Event sources and workflows against hand-worked traces: queue batching, the batching
//! window, poller scaling, visibility timeouts, dead letters and retention; stream order
//! per shard, parallelisation factor, polling once a second when caught up, the per-shard
//! read limit, iterator age, retries and skipping; per-item execution cost; workflow
//! latency over sequences and parallel branches, retries with back-off, failing branches;
//! the outcome identities of every source, common random numbers, and input errors.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{Collect, MS, Rec, S, assert_close, scenario_in};
use faassim::sim::{self, BatchRecord, RequestLog, RequestRecord, RunOptions, SourceKind, Status};
use faassim::{RunResult, Scenario};

/// Writes arrival times (milliseconds, exact decimal text) as a `timestamps` file.
fn arrivals(dir: &Path, name: &str, ms: impl IntoIterator<Item = u64>) -> String {
    let text: String = ms
        .into_iter()
        .map(|t| format!("{}.{:03}\n", t / 1000, t % 1000))
        .collect();
    std::fs::write(dir.join(name), text).unwrap();
    name.to_owned()
}

/// A function with constant execution and cold-start times and no workload of its own.
fn func(name: &str, exec_ms: f64, cold_ms: f64, extra: &str) -> String {
    format!(
        r#"{{"name": "{name}", "runtime": "nodejs",
            "exec_ms": {{"dist": "const", "value": {exec_ms}}},
            "cold_start_ms": {{"dist": "const", "value": {cold_ms}}} {extra}}}"#
    )
}

/// A scenario on aws-lambda with these functions and top-level source fields.
fn scenario(dir: &Path, functions: &[String], sources: &str) -> Scenario {
    scenario_in(
        &format!(
            r#"{{"name": "t", "duration_s": 100000, "platform": "aws-lambda",
                "functions": [{}], {sources}}}"#,
            functions.join(",")
        ),
        dir,
    )
}

/// One ended batch attempt, owned.
#[derive(Debug, Clone)]
struct Batch {
    kind: SourceKind,
    shard: u32,
    lane: u32,
    request: u64,
    invoked_ns: u64,
    ended_ns: u64,
    ok: bool,
    throttled: bool,
    items: Vec<u64>,
}

/// Collects requests and batches.
#[derive(Default)]
struct Log {
    reqs: Collect,
    batches: Vec<Batch>,
}

impl RequestLog for Log {
    fn record(&mut self, r: &RequestRecord<'_>) -> faassim::Result<()> {
        self.reqs.record(r)
    }

    fn batch(&mut self, b: &BatchRecord<'_>) -> faassim::Result<()> {
        self.batches.push(Batch {
            kind: b.kind,
            shard: b.shard,
            lane: b.lane,
            request: b.request,
            invoked_ns: b.invoked.0,
            ended_ns: b.ended.0,
            ok: b.ok,
            throttled: b.throttled,
            items: b.items.to_vec(),
        });
        Ok(())
    }
}

/// Runs with a log: the summary, requests sorted by id, batches sorted by invocation.
fn run_traced(s: &Scenario) -> (RunResult, Vec<Rec>, Vec<Batch>) {
    let mut log = Log::default();
    let out = sim::run(
        s,
        RunOptions {
            log: Some(&mut log),
            progress: None,
            interleaved: false,
            general_path: false,
            threads: 1,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut recs = log.reqs.0;
    recs.sort_by_key(|r| r.request);
    let mut batches = log.batches;
    batches.sort_by_key(|b| (b.invoked_ns, b.request));
    (RunResult::new(s, &out), recs, batches)
}

/// Batch compositions and invocation times (ms).
fn composition(batches: &[Batch]) -> Vec<(Vec<u64>, u64)> {
    batches
        .iter()
        .map(|b| (b.items.clone(), b.invoked_ns / MS))
        .collect()
}

/// Every function's requests each end in exactly one outcome.
#[track_caller]
fn one_outcome_each(r: &RunResult) {
    for (name, f) in &r.functions {
        assert_eq!(
            f.warm_starts + f.cold_starts + f.throttled,
            f.invocations,
            "{name}"
        );
    }
}

// ---- queues ----

/// 25 messages at once, batch size 10, no window: the five starting pollers take batches
/// of 10, 10 and 5 at once.
/// Messages arrive in `[0, duration)`, as requests do: a constant stream every 25,000 s in
/// a 100,000-s run brings 4 (at 0, 25,000, 50,000 and 75,000 s; not one at the end).
#[test]
fn no_message_arrives_at_the_end_of_the_run() {
    let dir = crate::common::temp_dir("q-horizon");
    let s = scenario(
        &dir,
        &[func("worker", 1000.0, 0.0, "")],
        r#""queues": [{"name": "q", "function": "worker", "batch_size": 1,
            "workload": {"kind": "constant", "interval_s": 25000}}]"#,
    );
    let (r, _, _) = run_traced(&s);
    assert_eq!(r.queues[0].1.messages, 4);
}

#[test]
fn queue_batches_of_ten_ten_five() {
    let dir = crate::common::temp_dir("q-25");
    let file = arrivals(&dir, "m.csv", std::iter::repeat_n(0, 25));
    let s = scenario(
        &dir,
        &[func("worker", 1000.0, 0.0, "")],
        &format!(
            r#""queues": [{{"name": "q", "function": "worker", "batch_size": 10,
                "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
        ),
    );
    let (r, recs, batches) = run_traced(&s);
    assert_eq!(
        composition(&batches),
        vec![
            ((0..10).collect(), 0),
            ((10..20).collect(), 0),
            ((20..25).collect(), 0)
        ]
    );
    assert!(batches.iter().all(|b| b.ok && b.kind == SourceKind::Queue));
    assert_eq!(recs.len(), 3);
    let q = &r.queues[0].1;
    assert_eq!((q.messages, q.processed, q.batches), (25, 25, 3));
    assert_close(q.mean_batch_size.unwrap(), 25.0 / 3.0);
    assert_eq!(q.queue_delay_ms.max, Some(0.0));
    assert_eq!(q.end_to_end_ms.max, Some(1000.0));
    assert_eq!(q.max_backlog, 25);
    assert_eq!(r.functions[0].1.invocations, 3);
    one_outcome_each(&r);
}

/// Batch size 3 and a 2 s window on a trickle at 0, 0.5, 1, 1.5, 5, 10 and 10.2 s:
/// [0,1,2] leaves when the third arrives (1 s, full); [3] when its window runs out (3.5 s);
/// [4] at 7 s; [5,6] at 12 s.
#[test]
fn batching_window_waits_for_a_full_batch_or_the_window() {
    let dir = crate::common::temp_dir("q-window");
    let file = arrivals(&dir, "m.csv", [0, 500, 1000, 1500, 5000, 10000, 10200]);
    let s = scenario(
        &dir,
        &[func("worker", 100.0, 0.0, "")],
        &format!(
            r#""queues": [{{"name": "q", "function": "worker", "batch_size": 3,
                "batching_window_s": 2,
                "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
        ),
    );
    let (r, _, batches) = run_traced(&s);
    assert_eq!(
        composition(&batches),
        vec![
            (vec![0, 1, 2], 1000),
            (vec![3], 3500),
            (vec![4], 7000),
            (vec![5, 6], 12000)
        ]
    );
    let q = &r.queues[0].1;
    assert_close(q.mean_batch_size.unwrap(), 7.0 / 4.0);
    // Waits: 1, 0.5, 0, 2, 2, 2, 1.8 s.
    assert_close(q.queue_delay_ms.mean.unwrap(), 9_300.0 / 7.0);
    assert_eq!(q.queue_delay_ms.max, Some(2000.0));
}

/// 50 messages at once, batch size 1, 250 ms executions: five batches at a time (the
/// 6th starts when the 1st ends, at 250 ms) until the first evaluation at 1 s finds
/// messages waiting with every poller busy and allows 10.
#[test]
fn pollers_start_at_five_and_grow_by_five_a_second() {
    let dir = crate::common::temp_dir("q-pollers");
    let file = arrivals(&dir, "m.csv", std::iter::repeat_n(0, 50));
    let s = scenario(
        &dir,
        &[func("worker", 250.0, 0.0, "")],
        &format!(
            r#""queues": [{{"name": "q", "function": "worker", "batch_size": 1,
                "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
        ),
    );
    let (r, recs, batches) = run_traced(&s);
    let starts: Vec<u64> = batches.iter().map(|b| b.invoked_ns / MS).collect();
    let mut expected = Vec::new();
    for (t, n) in [
        (0, 5),
        (250, 5),
        (500, 5),
        (750, 5),
        (1000, 10),
        (1250, 10),
        (1500, 10),
    ] {
        expected.extend(std::iter::repeat_n(t, n));
    }
    assert_eq!(starts, expected);
    // In order: message i is in the i-th batch.
    let items: Vec<u64> = batches.iter().map(|b| b.items[0]).collect();
    assert_eq!(items, (0..50).collect::<Vec<_>>());
    // Never more than 5 executions at once before 1 s.
    let before: Vec<&Rec> = recs.iter().filter(|r| r.arrival_ns < S).collect();
    for t in [0, 250, 500, 750] {
        let running = before
            .iter()
            .filter(|r| r.start_ns.unwrap() <= t * MS && r.end_ns > t * MS)
            .count();
        assert_eq!(running, 5, "at {t} ms");
    }
    let q = &r.queues[0].1;
    assert_eq!(q.max_pollers, 10);
    assert_eq!(r.functions[0].1.instances.max_total, 10);
    assert_eq!(q.processed, 50);
}

/// A message whose batch always fails: received at 0, 30 and 60 s (the visibility timeout
/// counts from the receive), then dead-lettered when it would become visible at 90 s.
/// Without a dead-letter queue and with a 60 s retention, the same message is received
/// at 0, 30 and 60 s (60 s old is not older than the retention) and deleted at 90 s.
#[test]
fn failed_batches_return_after_the_visibility_timeout_then_dead_letter() {
    for (extra, dead, expired) in [
        (r#""max_receive_count": 3"#, 1, 0),
        (r#""retention_s": 60"#, 0, 1),
    ] {
        let dir = crate::common::temp_dir("q-dlq");
        let file = arrivals(&dir, "m.csv", [0]);
        let s = scenario(
            &dir,
            &[func("worker", 1000.0, 0.0, r#", "failure_probability": 1"#)],
            &format!(
                r#""queues": [{{"name": "q", "function": "worker", "batch_size": 1,
                    "visibility_timeout_s": 30, {extra},
                    "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
            ),
        );
        let (r, recs, batches) = run_traced(&s);
        assert_eq!(
            composition(&batches),
            vec![(vec![0], 0), (vec![0], 30_000), (vec![0], 60_000)],
            "{extra}"
        );
        assert!(recs.iter().all(|r| r.status == Status::Error));
        assert!(batches.iter().all(|b| !b.ok && !b.throttled));
        let q = &r.queues[0].1;
        assert_eq!(
            (q.dead_lettered, q.expired, q.processed),
            (dead, expired, 0)
        );
        assert_eq!((q.failed_batches, q.redeliveries), (3, 2));
        assert_eq!(q.messages, q.processed + q.dead_lettered + q.expired);
    }
}

/// Reserved concurrency 1, two messages at once, batch size 1, 10 s executions: the
/// second batch is throttled at 0, becomes visible at 30 s and succeeds then (ends 40 s).
#[test]
fn a_throttled_batch_is_received_again_after_the_visibility_timeout() {
    let dir = crate::common::temp_dir("q-throttle");
    let file = arrivals(&dir, "m.csv", [0, 0]);
    let s = scenario(
        &dir,
        &[func("worker", 10_000.0, 0.0, r#", "max_concurrency": 1"#)],
        &format!(
            r#""queues": [{{"name": "q", "function": "worker", "batch_size": 1,
                "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
        ),
    );
    let (r, _, batches) = run_traced(&s);
    assert_eq!(
        composition(&batches),
        vec![(vec![0], 0), (vec![1], 0), (vec![1], 30_000)]
    );
    assert!(batches[1].throttled && !batches[1].ok);
    assert_eq!(batches[2].ended_ns, 40 * S);
    let q = &r.queues[0].1;
    assert_eq!(
        (q.processed, q.throttled_batches, q.failed_batches),
        (2, 1, 0)
    );
    assert_eq!(q.queue_delay_ms.max, Some(30_000.0));
    assert_eq!(q.end_to_end_ms.max, Some(40_000.0));
    let f = &r.functions[0].1;
    assert_eq!((f.invocations, f.throttled), (3, 1));
    one_outcome_each(&r);
}

// ---- streams ----

/// Records spread round-robin over 3 shards with random execution times and 20 % of
/// batches failing (retried until they succeed): every shard processes exactly its
/// records, in arrival order, one batch at a time, and each retry carries the same batch.
#[test]
fn stream_order_is_preserved_per_shard() {
    let dir = crate::common::temp_dir("s-order");
    let s = scenario_in(
        r#"{"name": "t", "seed": 7, "duration_s": 20,
            "functions": [{"name": "f", "runtime": "python", "failure_probability": 0.2,
                "exec_ms": {"dist": "exponential", "mean": 50}}],
            "streams": [{"name": "clicks", "function": "f", "shards": 3, "batch_size": 7,
                "retry_delay_s": 0.1, "workload": {"kind": "poisson", "rate_per_s": 100}}]}"#,
        &dir,
    );
    let (r, _, batches) = run_traced(&s);
    let st = &r.streams[0].1;
    assert!(st.records > 1_500, "{}", st.records);
    assert!(st.failed_batches > 50, "{}", st.failed_batches);
    assert_eq!(st.processed, st.records);
    let mut per_shard: BTreeMap<u32, Vec<&Batch>> = BTreeMap::new();
    for b in &batches {
        per_shard.entry(b.shard).or_default().push(b);
    }
    for (shard, bs) in &per_shard {
        // One at a time: each attempt starts after the previous one ended.
        for w in bs.windows(2) {
            assert!(w[1].invoked_ns >= w[0].ended_ns, "shard {shard}");
            if !w[0].ok {
                assert_eq!(w[1].items, w[0].items, "a retry carries the same batch");
            }
        }
        let processed: Vec<u64> = bs
            .iter()
            .filter(|b| b.ok)
            .flat_map(|b| b.items.iter().copied())
            .collect();
        let expected: Vec<u64> = (0..st.records)
            .filter(|i| i % 3 == u64::from(*shard))
            .collect();
        assert_eq!(processed, expected, "shard {shard}");
    }
    assert_eq!(per_shard.len(), 3);
    one_outcome_each(&r);
}

/// One shard, 30 records at once, batch size 2, 1 s executions. With a parallelisation
/// factor of 3, record i goes to lane i mod 3; the lanes run side by side, each behind
/// until its last batch, but the shard's reads are at least 200 ms apart: lane l's k-th
/// batch starts at k + 0.2 l s (the last at 4.4 s), and 3 instances suffice. With factor
/// 1 the 15 batches run one after another, at 0, 1, …, 14 s.
#[test]
fn parallelization_factor_runs_lanes_side_by_side() {
    for (pf, last_start_ms, instances) in [(3u32, 4_400u64, 3u32), (1, 14_000, 1)] {
        let dir = crate::common::temp_dir("s-pf");
        let file = arrivals(&dir, "r.csv", std::iter::repeat_n(0, 30));
        let s = scenario(
            &dir,
            &[func("f", 1000.0, 0.0, "")],
            &format!(
                r#""streams": [{{"name": "s", "function": "f", "shards": 1, "batch_size": 2,
                    "parallelization_factor": {pf},
                    "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
            ),
        );
        let (r, _, batches) = run_traced(&s);
        assert_eq!(batches.len(), 15);
        for b in &batches {
            let k = b.invoked_ns / S;
            let lane = u64::from(b.lane);
            assert_eq!(b.invoked_ns, k * S + lane * 200 * MS, "pf {pf}");
            let pf = u64::from(pf);
            // Lane `lane`'s k-th batch holds its records 2k and 2k+1.
            let expected = vec![lane + 2 * k * pf, lane + (2 * k + 1) * pf];
            assert_eq!(b.items, expected, "pf {pf}");
        }
        assert_eq!(batches.last().unwrap().invoked_ns, last_start_ms * MS);
        assert_eq!(r.functions[0].1.instances.max_total, instances);
        assert_eq!(r.streams[0].1.processed, 30);
    }
}

/// One shard, a record every 100 ms from 50 ms to 59.95 s (600), batch size 100, 200 ms
/// executions plus 5 ms a record. Every lane polled at 0; record 0 arrives at 50 ms, so
/// the first read is the poll at 1 s, and each read takes all that waited (caught up),
/// so the lane reads at its polls: 60 batches, at 1, 2, …, 60 s, of 10 records each
/// (rate × polling interval), each running 200 + 10 × 5 = 250 ms. Record j of a second
/// waits 950 − 100 j ms for its poll (iterator age: mean 500, max 950 ms). Reading
/// whenever the lane is free would read record 0 alone at 50 ms.
#[test]
fn a_caught_up_stream_reads_at_its_polls_once_a_second() {
    let dir = crate::common::temp_dir("s-poll");
    let s = scenario_in(
        &format!(
            r#"{{"name": "t", "duration_s": 60, "platform": "aws-lambda",
                "functions": [{}],
                "streams": [{{"name": "s", "function": "f", "shards": 1, "per_item_ms": 5,
                    "workload": {{"kind": "constant", "interval_s": 0.1, "start_s": 0.05}}}}]}}"#,
            func("f", 200.0, 0.0, "")
        ),
        &dir,
    );
    let (r, recs, batches) = run_traced(&s);
    let expected: Vec<(Vec<u64>, u64)> = (0..60)
        .map(|k| ((10 * k..10 * k + 10).collect(), (k + 1) * 1000))
        .collect();
    assert_eq!(composition(&batches), expected);
    // Each batch of 10 runs exactly 200 ms + 10 × 5 ms.
    assert_eq!(recs.len(), 60);
    for rec in &recs {
        assert_eq!(rec.status, Status::Ok);
        assert_eq!(rec.end_ns - rec.start_ns.unwrap(), 250 * MS);
    }
    let st = &r.streams[0].1;
    assert_eq!((st.records, st.processed, st.batches), (600, 600, 60));
    assert_eq!(st.mean_batch_size, Some(10.0));
    assert_eq!(st.iterator_age_ms.mean, Some(500.0));
    assert_eq!(st.iterator_age_ms.max, Some(950.0));
    assert_eq!(st.end_to_end_ms.max, Some(1200.0));
    assert_eq!(r.functions[0].1.invocations, 60);
}

/// Batch size 2, 1 s executions, records at 0, 0.2, 0.4, 0.6 and 2.5 s on one shard
/// polled once a second from 0: [0] at the poll at 0 (it took all: caught up, next poll
/// 1 s), [1,2] at 1 s (the poll and the batch's end; 3 waited: behind), [3] at 2 s as
/// that batch ends, [4] at the poll at 3 s; iterator ages 0, 0.8, 0.6, 1.4 and 0.5 s.
#[test]
fn iterator_age_by_hand() {
    let dir = crate::common::temp_dir("s-age");
    let file = arrivals(&dir, "r.csv", [0, 200, 400, 600, 2500]);
    let s = scenario(
        &dir,
        &[func("f", 1000.0, 0.0, "")],
        &format!(
            r#""streams": [{{"name": "s", "function": "f", "shards": 1, "batch_size": 2,
                "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
        ),
    );
    let (r, _, batches) = run_traced(&s);
    assert_eq!(
        composition(&batches),
        vec![
            (vec![0], 0),
            (vec![1, 2], 1000),
            (vec![3], 2000),
            (vec![4], 3000)
        ]
    );
    let st = &r.streams[0].1;
    assert_eq!(st.iterator_age_ms.max, Some(1400.0));
    assert_eq!(st.iterator_age_ms.count, 5);
    assert_close(st.iterator_age_ms.mean.unwrap(), 660.0);
    assert_eq!(st.iterator_age_ms.p99, Some(1400.0));
    assert_close(st.mean_batch_size.unwrap(), 5.0 / 4.0);
}

/// A batch that always fails, `max_retries` 2, retries 1 s after each failure, 0.5 s
/// executions, batch size 2, three records at 0: [0,1] runs at 0, 1.5 and 3 s, is
/// skipped at 3.5 s; [2] (left waiting by the first read: behind) is read at once at
/// 3.5 s and runs at 3.5, 5 and 6.5 s, then is skipped.
#[test]
fn a_failing_stream_batch_blocks_its_shard_until_skipped() {
    let dir = crate::common::temp_dir("s-skip");
    let file = arrivals(&dir, "r.csv", [0, 0, 0]);
    let s = scenario(
        &dir,
        &[func("f", 500.0, 0.0, r#", "failure_probability": 1"#)],
        &format!(
            r#""streams": [{{"name": "s", "function": "f", "shards": 1, "batch_size": 2,
                "max_retries": 2,
                "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
        ),
    );
    let (r, _, batches) = run_traced(&s);
    assert_eq!(
        composition(&batches),
        vec![
            (vec![0, 1], 0),
            (vec![0, 1], 1500),
            (vec![0, 1], 3000),
            (vec![2], 3500),
            (vec![2], 5000),
            (vec![2], 6500)
        ]
    );
    let st = &r.streams[0].1;
    assert_eq!(
        (st.records, st.processed, st.skipped, st.expired),
        (3, 0, 3, 0)
    );
    assert_eq!((st.batches, st.retries, st.failed_batches), (2, 4, 6));
    // Record 2 was read at 3.5 s.
    assert_eq!(st.iterator_age_ms.max, Some(3500.0));
}

// ---- per-item cost ----

/// Groups of 25, 7 and 13 items at 0, 100 and 200.5 s, batch size 10, into a queue and a
/// one-shard stream whose functions draw lognormal execution times: the batches are
/// 10, 10, 5 | 7 | 10, 3 whatever the times, so two runs that differ only in
/// `per_item_ms` (0 and 2.5) invoke the same batches in the same order, draw the same
/// execution times, and each batch of n items runs exactly n × 2.5 ms longer.
#[test]
fn per_item_ms_adds_exactly_n_times_it_to_each_batch() {
    let dir = crate::common::temp_dir("per-item");
    let times = std::iter::repeat_n(0, 25)
        .chain(std::iter::repeat_n(100_000, 7))
        .chain(std::iter::repeat_n(200_500, 13));
    let file = arrivals(&dir, "x.csv", times);
    let run = |per_item: &str| {
        let f = |name: &str| {
            format!(
                r#"{{"name": "{name}", "runtime": "nodejs",
                    "exec_ms": {{"dist": "lognormal", "median": 100, "p99": 400}},
                    "cold_start_ms": {{"dist": "const", "value": 100}}}}"#
            )
        };
        let s = scenario(
            &dir,
            &[f("worker"), f("agg")],
            &format!(
                r#""queues": [{{"name": "q", "function": "worker", "batch_size": 10,
                    "per_item_ms": {per_item},
                    "workload": {{"kind": "timestamps", "path": "{file}"}}}}],
                   "streams": [{{"name": "s", "function": "agg", "shards": 1, "batch_size": 10,
                    "per_item_ms": {per_item},
                    "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
            ),
        );
        run_traced(&s)
    };
    let (r0, recs0, batches0) = run("0");
    let (r1, recs1, batches1) = run("2.5");
    for kind in [SourceKind::Queue, SourceKind::Stream] {
        let sizes: Vec<usize> = batches1
            .iter()
            .filter(|b| b.kind == kind)
            .map(|b| b.items.len())
            .collect();
        assert_eq!(sizes, [10, 10, 5, 7, 10, 3], "{kind:?}");
    }
    assert_eq!(batches0.len(), batches1.len());
    // Execution time (start to end) of request `id`.
    let exec = |recs: &[Rec], id: u64| {
        let r = recs.iter().find(|r| r.request == id).unwrap();
        assert_eq!(r.status, Status::Ok);
        r.end_ns - r.start_ns.unwrap()
    };
    for (b0, b1) in batches0.iter().zip(&batches1) {
        assert_eq!((b0.kind, &b0.items), (b1.kind, &b1.items));
        let n = b1.items.len() as u64;
        assert_eq!(
            exec(&recs1, b1.request),
            exec(&recs0, b0.request) + n * 2_500_000,
            "{:?} batch {:?}",
            b1.kind,
            b1.items
        );
    }
    // The draws differ between batches (lognormal), so the check is not vacuous.
    let distinct: std::collections::BTreeSet<u64> =
        batches0.iter().map(|b| exec(&recs0, b.request)).collect();
    assert!(distinct.len() > 6, "{distinct:?}");
    // 90 items × 2.5 ms more compute, the same requests.
    for ((_, f0), (_, f1)) in r0.functions.iter().zip(&r1.functions) {
        assert_eq!(f0.invocations, f1.invocations);
    }
}

/// A function timeout applies to the whole execution, per-item cost included: 900 ms
/// plus 50 ms a message under a 1 s timeout: a batch of 1 (950 ms) succeeds; a batch of 3
/// (1,050 ms) times out at 1 s and its messages go to the dead-letter queue.
#[test]
fn a_timeout_applies_to_the_execution_with_its_per_item_cost() {
    let dir = crate::common::temp_dir("per-item-timeout");
    let file = arrivals(&dir, "m.csv", [0, 10_000, 10_000, 10_000]);
    let s = scenario(
        &dir,
        &[func("worker", 900.0, 0.0, r#", "timeout_s": 1"#)],
        &format!(
            r#""queues": [{{"name": "q", "function": "worker", "batch_size": 10,
                "per_item_ms": 50, "max_receive_count": 1,
                "workload": {{"kind": "timestamps", "path": "{file}"}}}}]"#
        ),
    );
    let (r, recs, _) = run_traced(&s);
    let ran: Vec<(Status, u64, u64)> = recs
        .iter()
        .map(|r| (r.status, r.start_ns.unwrap() / MS, r.end_ns / MS))
        .collect();
    assert_eq!(
        ran,
        [(Status::Ok, 0, 950), (Status::Timeout, 10_000, 11_000)]
    );
    let q = &r.queues[0].1;
    assert_eq!((q.processed, q.dead_lettered, q.failed_batches), (1, 3, 1));
}

// ---- workflows ----

/// A; parallel [[B, C], [D]]; E with constant times and 100 ms cold starts. The first
/// execution (t = 0) is all cold: A ends at 150 ms; B ends at 350 and C at 480, D at 450,
/// so the parallel step ends at 480; E ends at 590 ms. The second (t = 10 s) is all warm:
/// 50 + max(100 + 30, 200) + 10 = 260 ms.
#[test]
fn workflow_latency_is_the_sequence_plus_the_longest_branch() {
    let dir = crate::common::temp_dir("w-latency");
    let file = arrivals(&dir, "x.csv", [0, 10_000]);
    let s = scenario(
        &dir,
        &[
            func("a", 50.0, 100.0, ""),
            func("b", 100.0, 100.0, ""),
            func("c", 30.0, 100.0, ""),
            func("d", 200.0, 100.0, ""),
            func("e", 10.0, 100.0, ""),
        ],
        &format!(
            r#""workflows": [{{"name": "w",
                "workload": {{"kind": "timestamps", "path": "{file}"}},
                "steps": [{{"task": "a"}},
                          {{"parallel": [[{{"task": "b"}}, {{"task": "c"}}], [{{"task": "d"}}]]}},
                          {{"task": "e"}}]}}]"#
        ),
    );
    let (r, recs, _) = run_traced(&s);
    let first: Vec<(&str, u64, u64)> = recs
        .iter()
        .filter(|r| r.arrival_ns < 10 * S)
        .map(|r| (r.function.as_str(), r.arrival_ns / MS, r.end_ns / MS))
        .collect();
    assert_eq!(
        first,
        vec![
            ("a", 0, 150),
            ("b", 150, 350),
            ("d", 150, 450),
            ("c", 350, 480),
            ("e", 480, 590)
        ]
    );
    let w = &r.workflows[0].1;
    assert_eq!((w.executions, w.succeeded, w.failed), (2, 2, 0));
    assert_eq!(w.latency_ms.max, Some(590.0));
    assert_close(w.latency_ms.mean.unwrap(), (590.0 + 260.0) / 2.0);
    // Five task attempts and one parallel state per execution.
    assert_eq!(w.transitions, 12);
    assert_close(w.transition_cost_usd, 12.0 * 0.025 / 1000.0);
    one_outcome_each(&r);
}

/// A task that always fails (100 ms) with Step Functions' default retrier (3 retries,
/// 1 s, backoff 2): attempts at 0, 1.1, 3.2 and 7.3 s; the execution fails at 7.4 s and
/// the next step never runs. With `max_delay_s` 1.5 the waits are 1, 1.5, 1.5 s.
#[test]
fn task_retries_back_off_then_fail_the_execution() {
    for (retry, expected) in [
        ("{}", vec![0, 1100, 3200, 7300]),
        (r#"{"max_delay_s": 1.5}"#, vec![0, 1100, 2700, 4300]),
    ] {
        let dir = crate::common::temp_dir("w-retry");
        let file = arrivals(&dir, "x.csv", [0]);
        let s = scenario(
            &dir,
            &[
                func("flaky", 100.0, 0.0, r#", "failure_probability": 1"#),
                func("next", 10.0, 0.0, ""),
            ],
            &format!(
                r#""workflows": [{{"name": "w",
                    "workload": {{"kind": "timestamps", "path": "{file}"}},
                    "steps": [{{"task": "flaky", "retry": {retry}}}, {{"task": "next"}}]}}]"#
            ),
        );
        let (r, recs, _) = run_traced(&s);
        let starts: Vec<u64> = recs.iter().map(|r| r.arrival_ns / MS).collect();
        assert_eq!(starts, expected, "{retry}");
        assert!(recs.iter().all(|r| r.function == "flaky"));
        let w = &r.workflows[0].1;
        assert_eq!(
            (w.succeeded, w.failed, w.retries, w.transitions),
            (0, 1, 3, 4)
        );
        assert_eq!(w.latency_ms.count, 0);
        assert_eq!(r.functions[1].1.invocations, 0);
    }
}

/// A failing branch fails the execution at once (100 ms); the other branch's running
/// task still finishes (500 ms) but nothing after the parallel step runs.
#[test]
fn a_failed_branch_fails_the_workflow() {
    let dir = crate::common::temp_dir("w-branch");
    let file = arrivals(&dir, "x.csv", [0]);
    let s = scenario(
        &dir,
        &[
            func("bad", 100.0, 0.0, r#", "failure_probability": 1"#),
            func("slow", 500.0, 0.0, ""),
            func("after", 10.0, 0.0, ""),
        ],
        &format!(
            r#""workflows": [{{"name": "w",
                "workload": {{"kind": "timestamps", "path": "{file}"}},
                "steps": [{{"parallel": [[{{"task": "bad"}}], [{{"task": "slow"}}, {{"task": "after"}}]]}},
                          {{"task": "after"}}]}}]"#
        ),
    );
    let (r, recs, _) = run_traced(&s);
    let ran: Vec<(&str, Status, u64)> = recs
        .iter()
        .map(|r| (r.function.as_str(), r.status, r.end_ns / MS))
        .collect();
    assert_eq!(
        ran,
        vec![("bad", Status::Error, 100), ("slow", Status::Ok, 500)]
    );
    let w = &r.workflows[0].1;
    assert_eq!((w.executions, w.succeeded, w.failed), (1, 0, 1));
    assert_eq!(r.functions[2].1.invocations, 0);
}

/// Each execution runs its own workflow's steps and counts there: `w0` runs `a` (50 ms),
/// `w1` runs `b` (200 ms), one execution each at 0 (no cold-start delay).
#[test]
fn each_workflow_runs_its_own_steps() {
    let dir = crate::common::temp_dir("w-two");
    let file = arrivals(&dir, "x.csv", [0]);
    let s = scenario(
        &dir,
        &[func("a", 50.0, 0.0, ""), func("b", 200.0, 0.0, "")],
        &format!(
            r#""workflows": [
                {{"name": "w0", "workload": {{"kind": "timestamps", "path": "{file}"}},
                  "steps": [{{"task": "a"}}]}},
                {{"name": "w1", "workload": {{"kind": "timestamps", "path": "{file}"}},
                  "steps": [{{"task": "b"}}]}}]"#
        ),
    );
    let (r, _, _) = run_traced(&s);
    let invocations: Vec<u64> = r.functions.iter().map(|f| f.1.invocations).collect();
    assert_eq!(invocations, vec![1, 1]);
    for (w, latency) in [(0, 50.0), (1, 200.0)] {
        let m = &r.workflows[w].1;
        assert_eq!((m.executions, m.succeeded), (1, 1), "w{w}");
        assert_eq!(m.latency_ms.max, Some(latency), "w{w}");
    }
}

/// A branch throttled as it starts fails the execution there and then: the branches
/// after it in the parallel step never start. `blocked` runs one at a time (10 s), with
/// no retrier. The execution at 0 runs both branches; the one at 0.5 s finds `blocked`
/// busy: throttled, failed, and `other` is not started for it.
#[test]
fn a_branch_throttled_at_once_stops_the_other_branches_starting() {
    let dir = crate::common::temp_dir("w-throttled-branch");
    let file = arrivals(&dir, "x.csv", [0, 500]);
    let s = scenario(
        &dir,
        &[
            func("blocked", 10_000.0, 0.0, r#", "max_concurrency": 1"#),
            func("other", 100.0, 0.0, ""),
        ],
        &format!(
            r#""workflows": [{{"name": "w",
                "workload": {{"kind": "timestamps", "path": "{file}"}},
                "steps": [{{"parallel": [[{{"task": "blocked"}}], [{{"task": "other"}}]]}}]}}]"#
        ),
    );
    let (r, _, _) = run_traced(&s);
    let w = &r.workflows[0].1;
    assert_eq!((w.executions, w.succeeded, w.failed), (2, 1, 1));
    assert_eq!(r.functions[0].1.throttled, 1);
    assert_eq!(r.functions[1].1.invocations, 1);
}

// ---- all together ----

/// A queue, a stream and a workflow with errors, throttles (low reserved concurrency) and
/// a warm-up: every request ends in one outcome, every message, record and execution in
/// one final count, and the functions' invocations are exactly the sources' attempts.
#[test]
fn every_item_ends_in_exactly_one_outcome() {
    let json = r#"{"name": "t", "seed": 3, "duration_s": 120, "warmup_s": 20,
        "functions": [
          {"name": "worker", "runtime": "nodejs", "exec_ms": {"dist": "exponential", "mean": 300},
           "failure_probability": 0.2, "max_concurrency": 4},
          {"name": "f", "runtime": "nodejs", "exec_ms": {"dist": "exponential", "mean": 80},
           "failure_probability": 0.1, "max_concurrency": 3},
          {"name": "t1", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 50},
           "failure_probability": 0.3, "max_concurrency": 2},
          {"name": "t2", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 20}}
        ],
        "queues": [{"name": "q", "function": "worker", "batch_size": 5, "batching_window_s": 0.5,
                    "max_receive_count": 2, "visibility_timeout_s": 5,
                    "workload": {"kind": "poisson", "rate_per_s": 40}}],
        "streams": [{"name": "s", "function": "f", "shards": 2, "batch_size": 10,
                     "parallelization_factor": 2, "max_retries": 1, "retry_delay_s": 0.2,
                     "workload": {"kind": "poisson", "rate_per_s": 100}}],
        "workflows": [{"name": "w", "workload": {"kind": "poisson", "rate_per_s": 4},
                       "steps": [{"task": "t2"},
                                 {"parallel": [[{"task": "t1", "retry": {"max_attempts": 1}}],
                                               [{"task": "t2"}, {"task": "t2"}]]}]}]}"#;
    let s = crate::common::scenario(json);
    let (r, _, _) = run_traced(&s);
    one_outcome_each(&r);
    let q = &r.queues[0].1;
    assert_eq!(q.messages, q.processed + q.dead_lettered + q.expired);
    assert!(q.dead_lettered > 0 && q.throttled_batches > 0 && q.failed_batches > 0);
    let st = &r.streams[0].1;
    assert_eq!(st.records, st.processed + st.skipped + st.expired);
    assert!(st.skipped > 0 && st.throttled_batches > 0);
    let w = &r.workflows[0].1;
    assert_eq!(w.executions, w.succeeded + w.failed);
    assert!(w.failed > 0 && w.succeeded > 0);
    let inv = |name: &str| {
        r.functions
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .invocations
    };
    assert_eq!(inv("worker"), q.batches);
    assert_eq!(inv("f"), st.batches + st.retries);
    // Task attempts: transitions less one parallel state per execution (the first step
    // cannot fail, so every execution reaches the parallel step).
    assert_eq!(inv("t1") + inv("t2"), w.transitions - w.executions);
    // Same seed, same bytes.
    assert_eq!(run_traced(&s).0.to_json(), r.to_json());
}

/// Adding sources leaves every function's own arrivals (and so its results) unchanged:
/// sources draw from their own random streams.
#[test]
fn sources_do_not_disturb_other_random_streams() {
    let base = r#"{"name": "t", "seed": 11, "duration_s": 300,
        "functions": [{"name": "api", "runtime": "nodejs",
            "exec_ms": {"dist": "lognormal", "median": 100, "p99": 600},
            "workload": {"kind": "poisson", "rate_per_s": 20}},
          {"name": "worker", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 100}}]
        SOURCES}"#;
    let with = base.replace(
        "SOURCES",
        r#", "queues": [{"name": "q", "function": "worker",
              "workload": {"kind": "poisson", "rate_per_s": 30}}],
            "workflows": [{"name": "w", "workload": {"kind": "poisson", "rate_per_s": 3},
              "steps": [{"task": "worker"}]}]"#,
    );
    let without = base.replace(
        "SOURCES",
        r#", "streams": [{"name": "s", "function": "worker", "shards": 2,
              "workload": {"kind": "poisson", "rate_per_s": 50}}]"#,
    );
    let a = crate::common::run(&crate::common::scenario(&with));
    let b = crate::common::run(&crate::common::scenario(&without));
    let api = |r: &RunResult| serde_json::to_string(&r.functions[0].1).unwrap();
    assert_eq!(api(&a), api(&b));
    assert!(a.queues[0].1.messages > 0 && b.streams[0].1.records > 0);
}

/// Bad input names the field and says what was expected; nothing panics.
#[test]
fn bad_sources_are_rejected_with_the_field() {
    let worker =
        r#"{"name": "worker", "runtime": "nodejs", "exec_ms": {"dist": "const", "value": 1}}"#;
    let wl = r#""workload": {"kind": "constant", "interval_s": 1}"#;
    let cases = [
        (
            format!(r#""queues": [{{"name": "q", "function": "worker", "batch_size": 0, {wl}}}]"#),
            "queues[0].batch_size: expected messages in 1..=10000, got 0",
        ),
        (
            format!(r#""queues": [{{"name": "q", "function": "nope", {wl}}}]"#),
            "queues[0].function: expected the name of a function in this scenario, got `nope`",
        ),
        (
            format!(
                r#""queues": [{{"name": "q", "function": "worker", "max_concurrency": 1, {wl}}}]"#
            ),
            "queues[0].max_concurrency: expected concurrent batches in 2..=1000, got 1",
        ),
        (
            format!(
                r#""queues": [{{"name": "q", "function": "worker", "batching_window_s": 301, {wl}}}]"#
            ),
            "queues[0].batching_window_s: expected a number of seconds in [0, 300], got 301",
        ),
        (
            format!(
                r#""queues": [{{"name": "q", "function": "worker", {wl}}}, {{"name": "q", "function": "worker", {wl}}}]"#
            ),
            "queues[1].name: queue names must be unique; `q` appears twice",
        ),
        (
            format!(
                r#""queues": [{{"name": "q", "function": "worker", "per_item_ms": -1, {wl}}}]"#
            ),
            "queues[0].per_item_ms: expected a number of milliseconds per item >= 0, got -1",
        ),
        (
            format!(
                r#""streams": [{{"name": "s", "function": "worker", "shards": 1, "per_item_ms": -0.5, {wl}}}]"#
            ),
            "streams[0].per_item_ms: expected a number of milliseconds per item >= 0, got -0.5",
        ),
        (
            format!(r#""streams": [{{"name": "s", "function": "worker", "shards": 0, {wl}}}]"#),
            "streams[0].shards: expected shards in 1..=100000, got 0",
        ),
        (
            format!(
                r#""streams": [{{"name": "s", "function": "worker", "shards": 1, "parallelization_factor": 11, {wl}}}]"#
            ),
            "streams[0].parallelization_factor: expected concurrent batches per shard in 1..=10, got 11",
        ),
        (
            format!(
                r#""streams": [{{"name": "s", "function": "worker", "shards": 1, "retry_delay_s": 0, {wl}}}]"#
            ),
            "streams[0].retry_delay_s: expected a wait > 0 seconds",
        ),
        (
            format!(
                r#""streams": [{{"name": "s", "function": "worker", "shards": 1, "polling_interval_s": 0, {wl}}}]"#
            ),
            "streams[0].polling_interval_s: expected a number of seconds in (0, 300], got 0",
        ),
        (
            format!(
                r#""streams": [{{"name": "s", "function": "worker", "shards": 1, "polling_interval_s": 301, {wl}}}]"#
            ),
            "streams[0].polling_interval_s: expected a number of seconds in (0, 300], got 301",
        ),
        (
            format!(
                r#""streams": [{{"name": "s", "function": "worker", "shards": 1, "polling_interval_s": 1e-12, {wl}}}]"#
            ),
            "streams[0].polling_interval_s: expected an interval of at least 1 ns",
        ),
        (
            format!(r#""workflows": [{{"name": "w", "steps": [], {wl}}}]"#),
            "workflows[0].steps: expected at least one step",
        ),
        (
            format!(r#""workflows": [{{"name": "w", "steps": [{{"task": "x"}}], {wl}}}]"#),
            "workflows[0].steps[0].task: expected the name of a function in this scenario, got `x`",
        ),
        (
            format!(
                r#""workflows": [{{"name": "w", "steps": [{{"task": "worker", "parallel": [[{{"task": "worker"}}]]}}], {wl}}}]"#
            ),
            "workflows[0].steps[0]: expected exactly one of `task`",
        ),
        (
            format!(
                r#""workflows": [{{"name": "w", "steps": [{{"parallel": [[{{"parallel": [[{{"task": "worker"}}]]}}]]}}], {wl}}}]"#
            ),
            "workflows[0].steps[0].parallel[0][0]: expected a task step",
        ),
        (
            format!(
                r#""workflows": [{{"name": "w", "steps": [{{"task": "worker", "retry": {{"backoff_rate": 0.5}}}}], {wl}}}]"#
            ),
            "workflows[0].steps[0].retry.backoff_rate: expected a multiplier >= 1",
        ),
        (
            format!(r#""queues": [{{"name": "q", "function": "worker", "batch": 3, {wl}}}]"#),
            "queues[0]",
        ),
        (
            r#""queues": []"#.to_owned(),
            "functions[0].workload: expected a workload",
        ),
    ];
    for (sources, expected) in cases {
        let json =
            format!(r#"{{"name": "t", "duration_s": 10, "functions": [{worker}], {sources}}}"#);
        let err = Scenario::from_str(&json, "x.json", Path::new("."))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{sources}\n got: {err}");
    }
}
