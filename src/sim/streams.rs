//! Streams (Kinesis / DynamoDB Streams-like) in the run: their shards, lanes and blocked
//! batches. A component: it owns its state, schedules its own timers through
//! [`SourceTimers`] and returns the batch to invoke as an [`Invoke`]; the orchestrator
//! (`sources.rs`) serves it.
//!
//! Record `i` goes to shard `i mod shards`, and within the shard to lane
//! `(i div shards) mod parallelization_factor` (as if partition keys were spread evenly);
//! each lane runs one batch at a time, so records of a lane are processed strictly in
//! arrival order.
//!
//! A lane reads (takes up to `batch_size` waiting records) when it polls. A read that
//! left records waiting finds the lane *behind*: it polls again as soon as its batch has
//! succeeded. A read that took every waiting record finds it *caught up*: it polls again
//! one polling interval after that read, or when its batch ends if that is later; a poll
//! that would find nothing is not simulated, so an idle lane polls every interval from
//! there and the first record to arrive waits for the next of those polls. The reads of
//! one shard (all its lanes) are at least [`SHARD_READ_GAP`] apart (Kinesis: five read
//! transactions a second per shard); a read that would come sooner waits.
//!
//! A failed or throttled batch blocks its lane and is retried (the same records, no new
//! read) after `retry_delay` until it succeeds, is skipped after `max_retries` retries, or
//! its oldest record would be older than the retention period at the next retry
//! (expired).

use std::collections::VecDeque;
use std::ops::Range;

use super::source_events::{
    BatchRecord, Invoke, SourceEvent, SourceKind, SourceParent, SourceTimers, next_arrival,
    start_each,
};
use crate::error::Result;
use crate::metrics::StreamMetrics;
use crate::model::source::{SHARD_READ_GAP, Stream};
use crate::rng;
use crate::time::SimTime;
use crate::workload::ArrivalSource;

/// A stream record.
#[derive(Debug, Clone, Copy)]
struct Record {
    id: u64,
    born: SimTime,
    measured: bool,
}

/// One in-order lane of a shard.
#[derive(Debug, Default)]
struct Lane {
    waiting: VecDeque<Record>,
    /// The batch in flight or waiting for a retry (empty: none).
    batch: Vec<Record>,
    retries: u32,
    request: u64,
    invoked: SimTime,
    /// Its next poll once it is free: its last read when that read left records waiting
    /// (behind), else one polling interval after it; moved to the time the lane became
    /// free if that is later. Idle, it polls every interval from here. Every lane polled
    /// at time zero.
    poll: SimTime,
    /// A [`SourceEvent::StreamPoll`] timer is set: the lane has records and waits for its
    /// poll, or for its shard's next permitted read.
    polling: bool,
}

/// One stream's running state.
struct StreamState {
    source: ArrivalSource,
    next_id: u64,
    lanes: Vec<Lane>,
    /// Per shard: the earliest time of its next read ([`SHARD_READ_GAP`] after the last).
    shard_free: Vec<SimTime>,
    metrics: StreamMetrics,
}

/// The lane of a stream that record `id` goes to.
fn lane_of(spec: &Stream, id: u64) -> usize {
    let (shards, pf) = (
        u64::from(spec.shards),
        u64::from(spec.parallelization_factor),
    );
    ((id % shards) * pf + (id / shards) % pf) as usize
}

/// The first poll at or after `now` of a lane whose polls come every `interval` from
/// `poll`.
fn next_poll(poll: SimTime, now: SimTime, interval: SimTime) -> SimTime {
    if now <= poll {
        return poll;
    }
    let k = (now - poll).0.div_ceil(interval.0);
    poll + SimTime(k.saturating_mul(interval.0))
}

/// What a stream lane's retry timer leads to.
pub(super) enum RetryNext {
    /// The lane dropped its batch: read the next one (pump the lane).
    Read,
    /// Invoke the blocked batch again.
    Invoke(Invoke),
}

/// Every stream of the scenario.
pub(super) struct Streams<'s> {
    specs: &'s [Stream],
    /// Records arriving before this are not counted.
    warmup: SimTime,
    /// Arrivals are generated before this.
    horizon: SimTime,
    streams: Vec<StreamState>,
    /// Record ids of the batch being logged.
    scratch: Vec<u64>,
}

impl<'s> Streams<'s> {
    /// Starts every stream's arrival process (stream `i` on its own random stream),
    /// scheduling the first arrivals in stream order.
    pub(super) fn start(
        specs: &'s [Stream],
        seed: u64,
        (warmup, horizon): (SimTime, SimTime),
        timers: &mut impl SourceTimers,
    ) -> Result<Self> {
        let streams = start_each(
            specs,
            (seed, rng::Stream::StreamArrivals),
            horizon,
            timers,
            |s| &s.workload,
            |stream| SourceEvent::StreamArrival { stream },
            |s, source| StreamState {
                source,
                next_id: 0,
                lanes: (0..s.shards * s.parallelization_factor)
                    .map(|_| Lane::default())
                    .collect(),
                shard_free: vec![SimTime::ZERO; s.shards as usize],
                metrics: StreamMetrics::default(),
            },
        )?;
        Ok(Streams {
            specs,
            warmup,
            horizon,
            streams,
            scratch: Vec::new(),
        })
    }

    /// None (no specs).
    pub(super) fn none() -> Self {
        Streams {
            specs: &[],
            warmup: SimTime::ZERO,
            horizon: SimTime::ZERO,
            streams: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The measurements, at the end of the run.
    pub(super) fn finish(self) -> Vec<StreamMetrics> {
        self.streams.into_iter().map(|s| s.metrics).collect()
    }

    /// The next record(s) of stream `s` arrived. Returns the lanes that got records, in
    /// the order they got their first (pump each).
    pub(super) fn on_arrival<T: SourceTimers>(
        &mut self,
        now: SimTime,
        s: usize,
        timers: &mut T,
    ) -> Result<impl Iterator<Item = usize> + use<'s, T>> {
        let measured = now >= self.warmup;
        let spec: &'s Stream = &self.specs[s];
        let st = &mut self.streams[s];
        let first = st.next_id;
        // Records arriving at the same instant are read together.
        loop {
            let id = st.next_id;
            st.next_id += 1;
            st.lanes[lane_of(spec, id)].waiting.push_back(Record {
                id,
                born: now,
                measured,
            });
            st.metrics.records += u64::from(measured);
            match next_arrival(&mut st.source, self.horizon)? {
                Some(t) if t == now => continue,
                Some(t) => {
                    let stream = s as u32;
                    timers.set(t, SourceEvent::StreamArrival { stream });
                    break;
                }
                None => break,
            }
        }
        let ids: Range<u64> = first..st.next_id.min(first + st.lanes.len() as u64);
        Ok(ids.map(move |id| lane_of(spec, id)))
    }

    /// Lane `lane` of stream `s` got records or became free: it reads its next batch now
    /// if it is idle, has records and its poll is due, to be invoked as request
    /// `request`; if its poll (or its shard's next permitted read) is later, a
    /// [`SourceEvent::StreamPoll`] timer is set for it.
    pub(super) fn read(
        &mut self,
        now: SimTime,
        s: usize,
        lane: usize,
        request: u64,
        timers: &mut impl SourceTimers,
    ) -> Option<Invoke> {
        let spec = &self.specs[s];
        let st = &mut self.streams[s];
        let l = &mut st.lanes[lane];
        if !l.batch.is_empty() || l.polling {
            return None; // Busy (in flight or waiting for a retry), or its timer is set.
        }
        if !self.expire_waiting(now, s, lane) {
            return None;
        }
        let st = &mut self.streams[s];
        let l = &mut st.lanes[lane];
        let shard = lane / spec.parallelization_factor as usize;
        let at = next_poll(l.poll, now, spec.polling_interval).max(st.shard_free[shard]);
        if at > now {
            l.polling = true;
            let (stream, lane) = (s as u32, lane as u32);
            timers.set(at, SourceEvent::StreamPoll { stream, lane });
            return None;
        }
        Some(self.take(now, s, lane, request))
    }

    /// The poll timer of lane `lane` of stream `s` fired: it reads now, to be invoked as
    /// request `request`, unless another lane of its shard has read since the timer was
    /// set too recently (then the timer is set again for the shard's next permitted
    /// read) or its records have expired.
    pub(super) fn on_poll(
        &mut self,
        now: SimTime,
        s: usize,
        lane: usize,
        request: u64,
        timers: &mut impl SourceTimers,
    ) -> Option<Invoke> {
        let spec = &self.specs[s];
        let st = &mut self.streams[s];
        let shard = lane / spec.parallelization_factor as usize;
        let at = st.shard_free[shard];
        let l = &mut st.lanes[lane];
        debug_assert!(l.polling && l.batch.is_empty());
        if at > now {
            let (stream, lane) = (s as u32, lane as u32);
            timers.set(at, SourceEvent::StreamPoll { stream, lane });
            return None;
        }
        l.polling = false;
        if !self.expire_waiting(now, s, lane) {
            return None;
        }
        Some(self.take(now, s, lane, request))
    }

    /// Drops lane `lane`'s waiting records older than the retention period from its
    /// front; returns whether any record is left.
    fn expire_waiting(&mut self, now: SimTime, s: usize, lane: usize) -> bool {
        let retention = self.specs[s].retention;
        let st = &mut self.streams[s];
        let l = &mut st.lanes[lane];
        while let Some(r) = l.waiting.front()
            && now - r.born > retention
        {
            st.metrics.expired += u64::from(r.measured);
            l.waiting.pop_front();
        }
        !l.waiting.is_empty()
    }

    /// Lane `lane` of stream `s` reads up to `batch_size` waiting records now (its
    /// shard's read is permitted) and invokes them as request `request`.
    fn take(&mut self, now: SimTime, s: usize, lane: usize, request: u64) -> Invoke {
        let spec = &self.specs[s];
        let warm = now >= self.warmup;
        let st = &mut self.streams[s];
        let l = &mut st.lanes[lane];
        let take = l.waiting.len().min(spec.batch_size as usize);
        for r in l.waiting.drain(..take) {
            if r.measured {
                st.metrics.iterator_age.record(now - r.born);
            }
            l.batch.push(r);
        }
        l.retries = 0;
        // Behind (records left): poll again as soon as the batch is done; caught up: one
        // polling interval after this read.
        l.poll = if l.waiting.is_empty() {
            now + spec.polling_interval
        } else {
            now
        };
        st.shard_free[lane / spec.parallelization_factor as usize] = now + SHARD_READ_GAP;
        if warm {
            st.metrics.batches += 1;
            st.metrics.batch_records += take as u64;
        }
        self.launch(now, s, lane, request)
    }

    /// Invokes a lane's batch (first attempt or retry) as request `request`.
    fn launch(&mut self, now: SimTime, s: usize, lane: usize, request: u64) -> Invoke {
        let spec = &self.specs[s];
        let l = &mut self.streams[s].lanes[lane];
        l.request = request;
        l.invoked = now;
        Invoke {
            function: spec.function,
            measured: now >= self.warmup,
            parent: SourceParent::Stream {
                stream: s as u32,
                lane: lane as u32,
            },
        }
    }

    /// The retry timer of lane `lane` of stream `s` fired; the retry, if any, is invoked
    /// as request `request`.
    pub(super) fn on_retry(
        &mut self,
        now: SimTime,
        s: usize,
        lane: usize,
        request: u64,
    ) -> RetryNext {
        let st = &mut self.streams[s];
        if st.lanes[lane].batch.is_empty() {
            return RetryNext::Read;
        }
        if now >= self.warmup {
            st.metrics.retries += 1;
        }
        RetryNext::Invoke(self.launch(now, s, lane, request))
    }

    /// The per-item cost of the batch of lane `lane` of stream `s` (in flight).
    pub(super) fn batch_cost(&self, s: usize, lane: usize) -> SimTime {
        self.specs[s].batch_cost(self.streams[s].lanes[lane].batch.len())
    }

    /// The log record of the batch of lane `lane` of stream `s`, ended at `now`.
    pub(super) fn record(
        &mut self,
        s: usize,
        lane: usize,
        now: SimTime,
        (ok, throttled): (bool, bool),
    ) -> BatchRecord<'_> {
        let spec = &self.specs[s];
        let l = &self.streams[s].lanes[lane];
        self.scratch.clear();
        self.scratch.extend(l.batch.iter().map(|r| r.id));
        let pf = spec.parallelization_factor;
        BatchRecord {
            kind: SourceKind::Stream,
            source: &spec.name,
            request: l.request,
            shard: lane as u32 / pf,
            lane: lane as u32 % pf,
            invoked: l.invoked,
            ended: now,
            ok,
            throttled,
            items: &self.scratch,
        }
    }

    /// The batch of lane `lane` of stream `s` ended (`ok`: successfully; `throttled`:
    /// refused). Returns whether the lane is free to read its next batch (then call
    /// [`Streams::read`]); otherwise a retry timer is set.
    pub(super) fn answer(
        &mut self,
        now: SimTime,
        s: usize,
        lane: usize,
        (ok, throttled): (bool, bool),
        timers: &mut impl SourceTimers,
    ) -> bool {
        let spec = &self.specs[s];
        let st = &mut self.streams[s];
        let l = &mut st.lanes[lane];
        if ok {
            for r in &l.batch {
                if r.measured {
                    st.metrics.processed += 1;
                    st.metrics.end_to_end.record(now - r.born);
                }
            }
            l.batch.clear();
            // A poll that fell due while the batch ran happens now.
            l.poll = l.poll.max(now);
            return true;
        }
        if l.invoked >= self.warmup {
            if throttled {
                st.metrics.throttled_batches += 1;
            } else {
                st.metrics.failed_batches += 1;
            }
        }
        l.retries += 1;
        let oldest = l.batch[0].born;
        let mut retry_at = now + spec.retry_delay;
        let give_up = spec.max_retries.is_some_and(|m| l.retries > m);
        if give_up || retry_at - oldest > spec.retention {
            let n = l.batch.iter().filter(|r| r.measured).count() as u64;
            if give_up {
                st.metrics.skipped += n;
            } else {
                st.metrics.expired += n;
            }
            l.batch.clear();
            l.poll = l.poll.max(now);
            // The lane moves on through an event: this answer may come from inside
            // `serve` (a throttle), and a lane of throttled batches read one after another
            // would otherwise recurse once per batch.
            retry_at = now;
        }
        let (stream, lane) = (s as u32, lane as u32);
        timers.set(retry_at, SourceEvent::StreamRetry { stream, lane });
        false
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::FunctionId;
    use crate::sim::source_events::test_workload;

    type Timers = Vec<(SimTime, SourceEvent)>;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s as f64)
    }

    fn ms(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    /// A stream of `count` records at t = 0 for function 3.
    fn stream(count: u32, shards: u32, pf: u32, max_retries: Option<u32>) -> Stream {
        let spike = format!(r#"{{"kind":"spike","at_s":0,"count":{count}}}"#);
        stream_of(&spike, shards, pf, max_retries)
    }

    /// A stream with this workload, batch size 100, polling once a second.
    fn stream_of(workload: &str, shards: u32, pf: u32, max_retries: Option<u32>) -> Stream {
        Stream {
            name: "s".into(),
            function: FunctionId::new(3),
            workload: test_workload(workload),
            shards,
            batch_size: 100,
            parallelization_factor: pf,
            max_retries,
            retry_delay: secs(1),
            polling_interval: secs(1),
            retention: secs(86_400),
            per_item: SimTime::ZERO,
        }
    }

    /// One read of a driven run.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Read {
        at: SimTime,
        lane: usize,
        records: usize,
    }

    /// Runs stream 0 of `specs` (arrivals before `horizon`) the way the orchestrator does,
    /// every batch succeeding `exec` after it was read. Events run in (time, order set),
    /// as in the event queue. Returns the reads in order, and the streams at the end.
    fn drive(specs: &[Stream], exec: SimTime, horizon: SimTime) -> (Vec<Read>, Streams<'_>) {
        /// A pending event: a source timer or the end of a lane's batch.
        #[derive(Debug)]
        enum Ev {
            Timer(SourceEvent),
            End(usize),
        }
        let mut timers = Timers::new();
        let mut streams = Streams::start(specs, 1, (SimTime::ZERO, horizon), &mut timers).unwrap();
        let mut queue: BTreeMap<(SimTime, u64), Ev> = BTreeMap::new();
        let mut seq = 0u64;
        let mut reads = Vec::new();
        let mut push = |queue: &mut BTreeMap<_, _>, at: SimTime, ev: Ev| {
            queue.insert((at, seq), ev);
            seq += 1;
        };
        loop {
            for (at, e) in timers.drain(..) {
                push(&mut queue, at, Ev::Timer(e));
            }
            let Some(((now, _), ev)) = queue.pop_first() else {
                break;
            };
            // The lanes to read now, and whether each comes from its poll timer.
            let mut lanes: Vec<(usize, bool)> = Vec::new();
            match ev {
                Ev::Timer(SourceEvent::StreamArrival { stream: 0 }) => {
                    let got = streams.on_arrival(now, 0, &mut timers).unwrap();
                    lanes.extend(got.map(|lane| (lane, false)));
                }
                Ev::Timer(SourceEvent::StreamPoll { stream: 0, lane }) => {
                    lanes.push((lane as usize, true));
                }
                Ev::End(lane) => {
                    if streams.answer(now, 0, lane, (true, false), &mut timers) {
                        lanes.push((lane, false));
                    }
                }
                Ev::Timer(e) => panic!("unexpected {e:?}"),
            }
            for (lane, polled) in lanes {
                let request = reads.len() as u64;
                let invoke = if polled {
                    streams.on_poll(now, 0, lane, request, &mut timers)
                } else {
                    streams.read(now, 0, lane, request, &mut timers)
                };
                for (at, e) in timers.drain(..) {
                    push(&mut queue, at, Ev::Timer(e));
                }
                if invoke.is_some() {
                    let records = streams.streams[0].lanes[lane].batch.len();
                    reads.push(Read {
                        at: now,
                        lane,
                        records,
                    });
                    push(&mut queue, now + exec, Ev::End(lane));
                }
            }
        }
        (reads, streams)
    }

    #[test]
    fn records_spread_over_shards_then_lanes_in_arrival_order() {
        // 2 shards × 2 lanes: record i goes to shard i mod 2, lane (i div 2) mod 2, so
        // records 0, 1, 2, 3 open lanes (shard 0, 0), (1, 0), (0, 1), (1, 1) = 0, 2, 1, 3.
        let specs = [stream(8, 2, 2, None)];
        let mut timers = Timers::new();
        let mut streams =
            Streams::start(&specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        timers.clear();
        let lanes: Vec<usize> = streams
            .on_arrival(SimTime::ZERO, 0, &mut timers)
            .unwrap()
            .collect();
        assert_eq!(lanes, [0, 2, 1, 3]);
        // Every lane polled at 0, so the first lane of each shard reads at once; the
        // second waits for its shard's next permitted read, 200 ms later.
        for lane in lanes {
            let read = streams.read(SimTime::ZERO, 0, lane, 9, &mut timers);
            assert_eq!(read.is_some(), lane % 2 == 0, "lane {lane}");
        }
        let poll = |lane| SourceEvent::StreamPoll { stream: 0, lane };
        assert_eq!(timers, [(ms(200), poll(1)), (ms(200), poll(3))]);
        for lane in [1, 3] {
            let invoke = streams
                .on_poll(ms(200), 0, lane, 10, &mut timers)
                .expect("the shard may be read again");
            assert_eq!(invoke.function, FunctionId::new(3));
        }
        for lane in 0..4 {
            // Every lane got two records, in id order.
            let record = streams.record(0, lane, secs(1), (true, false));
            assert_eq!(record.items.len(), 2);
            assert!(record.items[0] < record.items[1]);
            assert_eq!(
                (record.shard, record.lane),
                (lane as u32 / 2, lane as u32 % 2)
            );
        }
        // A lane with a batch in flight reads nothing more.
        assert!(streams.read(secs(1), 0, 0, 11, &mut timers).is_none());
    }

    /// Records every 100 ms from 50 ms, 300 ms executions, batch size 100: the lane is
    /// caught up after every read (it took all that waited), so it reads at its polls,
    /// once a second (1, 2, …, 10 s), 10 records each, although records arrive while each
    /// batch runs. Reading as soon as it is free, it would read record 0 alone at 50 ms.
    #[test]
    fn a_caught_up_lane_reads_once_a_second() {
        // Arrivals before 10 s: 100 records, 0.05 … 9.95 s.
        let constant = r#"{"kind":"constant","interval_s":0.1,"start_s":0.05}"#;
        let specs = [stream_of(constant, 1, 1, None)];
        let (reads, streams) = drive(&specs, ms(300), secs(10));
        let expected: Vec<Read> = (1..=10)
            .map(|k| Read {
                at: secs(k),
                lane: 0,
                records: 10,
            })
            .collect();
        assert_eq!(reads, expected);
        let m = &streams.streams[0].metrics;
        assert_eq!((m.records, m.batches, m.processed), (100, 10, 100));
        // Record j of a second (at k − 1 + 0.05 + 0.1 j) waits 0.95 − 0.1 j s for the
        // poll at k: ages 950, 850, …, 50 ms.
        assert_eq!(m.iterator_age.max_ms(), Some(950.0));
        assert_eq!(m.iterator_age.mean_ms(), Some(500.0));
    }

    /// 250 records at 0.5 s, batch size 100, 300 ms executions: the poll at 1 s reads 100
    /// and leaves 150 (behind), so the lane reads again as soon as each batch ends: 100
    /// at 1.3 s, then the last 50 at 1.6 s (caught up). Its next poll is one interval
    /// after that read, 2.6 s: a record arriving at 2 s waits for it.
    #[test]
    fn a_lane_behind_reads_as_soon_as_its_batch_ends() {
        let burst = r#"{"kind":"sum","workloads":[{"kind":"spike","at_s":0.5,"count":250},
            {"kind":"spike","at_s":2,"count":1}]}"#;
        let specs = [stream_of(burst, 1, 1, None)];
        let (reads, streams) = drive(&specs, ms(300), secs(10));
        let read = |at, records| Read {
            at,
            lane: 0,
            records,
        };
        assert_eq!(
            reads,
            [
                read(secs(1), 100),
                read(ms(1_300), 100),
                read(ms(1_600), 50),
                read(ms(2_600), 1)
            ]
        );
        assert_eq!(streams.streams[0].metrics.processed, 251);
    }

    /// One shard, parallelisation factor 3, 30 records at 0 (10 a lane), batch size 2,
    /// 100 ms executions: every lane is behind until its last batch, but the shard's
    /// reads are at least 200 ms apart, so the lanes take turns at 0, 0.2, 0.4, … s: 15
    /// reads over 2.8 s (five a second) rather than three every 100 ms.
    #[test]
    fn a_shards_reads_are_at_least_200_ms_apart() {
        let mut specs = [stream(30, 1, 3, None)];
        specs[0].batch_size = 2;
        let (reads, _) = drive(&specs, ms(100), secs(10));
        let expected: Vec<Read> = (0..15)
            .map(|k| Read {
                at: ms(200 * k as u64),
                lane: k % 3,
                records: 2,
            })
            .collect();
        assert_eq!(reads, expected);
    }

    /// The polls of an idle lane: every interval from its last, the first at or after now.
    #[test]
    fn next_poll_is_the_first_on_the_lanes_grid() {
        let i = secs(1);
        assert_eq!(next_poll(secs(3), secs(2), i), secs(3));
        assert_eq!(next_poll(secs(3), secs(3), i), secs(3));
        assert_eq!(next_poll(secs(3), ms(3_001), i), secs(4));
        assert_eq!(next_poll(secs(3), ms(7_500), i), secs(8));
        assert_eq!(next_poll(secs(3), secs(8), i), secs(8));
    }

    /// One record arriving at 5 s on a stream that keeps records 10 s.
    fn one_record_at_five_seconds(specs: &[Stream]) -> (Streams<'_>, Timers) {
        let mut timers = Timers::new();
        let mut streams = Streams::start(specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        let _ = streams.on_arrival(secs(5), 0, &mut timers).unwrap();
        timers.clear();
        (streams, timers)
    }

    /// A waiting record is read until it is older than the retention period, counted from
    /// its own arrival: at 5 s with 10 s of retention, it is read at 14 s and at exactly
    /// 15 s, and has expired at 16 s.
    #[test]
    fn a_waiting_record_expires_after_the_retention_from_its_arrival() {
        let specs = [Stream {
            retention: secs(10),
            ..stream(1, 1, 1, None)
        }];
        for (at, read) in [(14, true), (15, true), (16, false)] {
            let (mut streams, mut timers) = one_record_at_five_seconds(&specs);
            let got = streams.read(secs(at), 0, 0, 0, &mut timers);
            assert_eq!(got.is_some(), read, "{at} s");
            assert_eq!(
                streams.streams[0].metrics.expired,
                u64::from(!read),
                "{at} s"
            );
        }
    }

    /// A failed batch is retried 1 s later unless its oldest record would then be older
    /// than the retention: the record of 5 s (10 s of retention) read at 5 s and failing at
    /// 13 or 14 s is retried at 14 or 15 s (at most 10 s old); failing at 15 s, it would
    /// be 11 s old at 16 s: expired, and the lane moves on at once.
    #[test]
    fn a_failed_batch_expires_when_its_retry_would_be_past_the_retention() {
        let specs = [Stream {
            retention: secs(10),
            ..stream(1, 1, 1, None)
        }];
        let retry = SourceEvent::StreamRetry { stream: 0, lane: 0 };
        for (failed_at, retry_at, expired) in [(13, 14, 0), (14, 15, 0), (15, 15, 1)] {
            let (mut streams, mut timers) = one_record_at_five_seconds(&specs);
            streams
                .read(secs(5), 0, 0, 0, &mut timers)
                .expect("a batch");
            timers.clear();
            assert!(!streams.answer(secs(failed_at), 0, 0, (false, false), &mut timers));
            assert_eq!(timers, [(secs(retry_at), retry)], "{failed_at} s");
            assert_eq!(streams.streams[0].metrics.expired, expired, "{failed_at} s");
        }
    }

    #[test]
    fn a_failing_batch_blocks_its_lane_until_skipped_after_max_retries() {
        let specs = [stream(5, 1, 1, Some(1))];
        let mut timers = Timers::new();
        let mut streams =
            Streams::start(&specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        let _ = streams.on_arrival(SimTime::ZERO, 0, &mut timers).unwrap();
        streams
            .read(SimTime::ZERO, 0, 0, 0, &mut timers)
            .expect("a batch");
        timers.clear();
        // The first failure retries after retry_delay.
        assert!(!streams.answer(secs(2), 0, 0, (false, false), &mut timers));
        let retry = SourceEvent::StreamRetry { stream: 0, lane: 0 };
        assert_eq!(timers, [(secs(3), retry)]);
        assert!(matches!(
            streams.on_retry(secs(3), 0, 0, 1),
            RetryNext::Invoke(_)
        ));
        // The second exceeds max_retries 1: the batch is skipped and the lane moves on
        // at once.
        timers.clear();
        assert!(!streams.answer(secs(4), 0, 0, (false, true), &mut timers));
        assert_eq!(timers, [(secs(4), retry)]);
        assert!(matches!(
            streams.on_retry(secs(4), 0, 0, 2),
            RetryNext::Read
        ));
        let m = &streams.streams[0].metrics;
        assert_eq!((m.records, m.batches, m.retries), (5, 1, 1));
        assert_eq!((m.failed_batches, m.throttled_batches), (1, 1));
        assert_eq!((m.skipped, m.processed), (5, 0));
    }
}
