//! Streams (Kinesis / DynamoDB Streams-like) in the run: their shards, lanes and blocked
//! batches. A component: it owns its state, schedules its own timers through
//! [`SourceTimers`] and returns the batch to invoke as an [`Invoke`]; the orchestrator
//! (`sources.rs`) serves it.
//!
//! Record `i` goes to shard `i mod shards`, and within the shard to lane
//! `(i div shards) mod parallelization_factor` (as if partition keys were spread evenly);
//! each lane runs one batch at a time, so records of a lane are processed strictly in
//! arrival order. A failed or throttled batch blocks its lane and is retried after
//! `retry_delay` until it succeeds, is skipped after `max_retries` retries, or its oldest
//! record would be older than the retention period at the next retry (expired).

use std::collections::VecDeque;
use std::ops::Range;

use super::source_events::{
    BatchRecord, Invoke, SourceEvent, SourceKind, SourceParent, SourceTimers, next_arrival,
    start_arrivals,
};
use crate::error::Result;
use crate::metrics::StreamMetrics;
use crate::model::source::Stream;
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
}

/// One stream's running state.
struct StreamState {
    source: ArrivalSource,
    next_id: u64,
    lanes: Vec<Lane>,
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
        let mut streams = Vec::with_capacity(specs.len());
        for (i, s) in specs.iter().enumerate() {
            let rng = rng::stream(seed, i as u64, rng::Stream::StreamArrivals);
            let (source, first) = start_arrivals(&s.workload, rng, horizon)?;
            if let Some(t) = first {
                let stream = i as u32;
                timers.set(t, SourceEvent::StreamArrival { stream });
            }
            let lanes = (s.shards * s.parallelization_factor) as usize;
            streams.push(StreamState {
                source,
                next_id: 0,
                lanes: (0..lanes).map(|_| Lane::default()).collect(),
                metrics: StreamMetrics::default(),
            });
        }
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

    /// Reads the next batch of lane `lane` of stream `s` if the lane is idle, to be
    /// invoked as request `request`.
    pub(super) fn read(
        &mut self,
        now: SimTime,
        s: usize,
        lane: usize,
        request: u64,
    ) -> Option<Invoke> {
        let spec = &self.specs[s];
        let warm = now >= self.warmup;
        let st = &mut self.streams[s];
        let l = &mut st.lanes[lane];
        if !l.batch.is_empty() {
            return None; // Busy: in flight or waiting for a retry.
        }
        while let Some(r) = l.waiting.front()
            && now - r.born > spec.retention
        {
            st.metrics.expired += u64::from(r.measured);
            l.waiting.pop_front();
        }
        if l.waiting.is_empty() {
            return None;
        }
        let take = l.waiting.len().min(spec.batch_size as usize);
        for r in l.waiting.drain(..take) {
            if r.measured {
                st.metrics.iterator_age.record(now - r.born);
            }
            l.batch.push(r);
        }
        l.retries = 0;
        if warm {
            st.metrics.batches += 1;
            st.metrics.batch_records += take as u64;
        }
        Some(self.launch(now, s, lane, request))
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
            // A retry carries the same records, so the same per-item cost.
            extra: spec.batch_cost(l.batch.len()),
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
    /// refused). Returns whether the lane is free to read its next batch now (then pump
    /// it); otherwise a retry timer is set.
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
    use super::*;
    use crate::model::FunctionId;
    use crate::sim::source_events::test_workload;

    type Timers = Vec<(SimTime, SourceEvent)>;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s as f64)
    }

    fn stream(count: u32, shards: u32, pf: u32, max_retries: Option<u32>) -> Stream {
        Stream {
            name: "s".into(),
            function: FunctionId::new(3),
            workload: test_workload(&format!(r#"{{"kind":"spike","at_s":0,"count":{count}}}"#)),
            shards,
            batch_size: 100,
            parallelization_factor: pf,
            max_retries,
            retry_delay: secs(1),
            retention: secs(86_400),
            per_item: SimTime::ZERO,
        }
    }

    #[test]
    fn records_spread_over_shards_then_lanes_in_arrival_order() {
        // 2 shards × 2 lanes: record i goes to shard i mod 2, lane (i div 2) mod 2, so
        // records 0, 1, 2, 3 open lanes (shard 0, 0), (1, 0), (0, 1), (1, 1) = 0, 2, 1, 3.
        let specs = [stream(8, 2, 2, None)];
        let mut timers = Timers::new();
        let mut streams =
            Streams::start(&specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        let lanes: Vec<usize> = streams
            .on_arrival(SimTime::ZERO, 0, &mut timers)
            .unwrap()
            .collect();
        assert_eq!(lanes, [0, 2, 1, 3]);
        for lane in lanes {
            let invoke = streams
                .read(SimTime::ZERO, 0, lane, 9)
                .expect("an idle lane");
            assert_eq!(invoke.function, FunctionId::new(3));
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
        assert!(streams.read(SimTime::ZERO, 0, 0, 10).is_none());
    }

    #[test]
    fn a_failing_batch_blocks_its_lane_until_skipped_after_max_retries() {
        let specs = [stream(5, 1, 1, Some(1))];
        let mut timers = Timers::new();
        let mut streams =
            Streams::start(&specs, 1, (SimTime::ZERO, secs(60)), &mut timers).unwrap();
        let _ = streams.on_arrival(SimTime::ZERO, 0, &mut timers).unwrap();
        streams.read(SimTime::ZERO, 0, 0, 0).expect("a batch");
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
