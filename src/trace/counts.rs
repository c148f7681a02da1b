//! Compact arrival data of one replayed function, and the generator that turns it into
//! arrival times during a run.
//!
//! Per-minute traces ([`MinuteCounts`]) are mostly zeros (in Azure 2019 most functions run a
//! few times a day), and the busy ones repeat patterns (a timer: one call every minute), so
//! a function's minutes are stored as runs of `(gap in minutes, count, repeats)` in LEB128
//! varints: a timer firing every minute all day takes 4 bytes, a busy function about 2 bytes
//! a minute, an idle one none.
//! Memory grows with the number of distinct runs, never with the number of invocations.
//! Per-invocation traces ([`TimeList`]) are stored as varint nanosecond gaps between
//! sorted arrival times (about 5 bytes an arrival).

use std::sync::Arc;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::rng::SimRng;
use crate::time::SimTime;

/// Nanoseconds in a trace minute.
const MINUTE_NS: f64 = 60e9;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes a run: `reps` cells, each `gap` minutes after the previous, with `count` each.
/// The low bit of the first varint says whether a repeat count follows, so the common
/// non-repeating cell one minute after the last (a busy function) takes 2 bytes.
fn put_run(out: &mut Vec<u8>, gap: u64, count: u64, reps: u64) {
    put_varint(out, gap << 1 | u64::from(reps > 1));
    put_varint(out, count);
    if reps > 1 {
        put_varint(out, reps - 2);
    }
}

/// Reads a run written by [`put_run`]: `(gap, count, reps)`.
fn get_run(bytes: &[u8], pos: &mut usize) -> (u64, u64, u64) {
    let head = get_varint(bytes, pos);
    let count = get_varint(bytes, pos);
    let reps = if head & 1 == 1 {
        get_varint(bytes, pos) + 2
    } else {
        1
    };
    (head >> 1, count, reps)
}

/// Reads a varint at `*pos`, advancing it. The bytes were written by [`put_varint`].
fn get_varint(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// One function's invocations per minute, run-length encoded; minutes count from the start
/// of the replay window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinuteCounts {
    bytes: Vec<u8>,
    /// Sum of the counts.
    total: u64,
}

impl MinuteCounts {
    /// Total invocations (before amplification).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes used by the encoding.
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The non-zero minutes, in order, as `(minute, count)`.
    pub fn iter(&self) -> MinuteIter<'_> {
        MinuteIter {
            bytes: &self.bytes,
            pos: 0,
            minute: -1,
            gap: 0,
            count: 0,
            left: 0,
        }
    }
}

/// Walks a [`MinuteCounts`].
#[derive(Debug, Clone)]
pub struct MinuteIter<'a> {
    bytes: &'a [u8],
    pos: usize,
    minute: i64,
    gap: u64,
    count: u64,
    left: u64,
}

impl Iterator for MinuteIter<'_> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        if self.left == 0 {
            if self.pos >= self.bytes.len() {
                return None;
            }
            (self.gap, self.count, self.left) = get_run(self.bytes, &mut self.pos);
        }
        self.left -= 1;
        self.minute += self.gap as i64;
        Some((self.minute as u64, self.count))
    }
}

/// Builds a [`MinuteCounts`] from `(minute, count)` pairs.
#[derive(Debug, Clone, Default)]
pub(crate) struct MinuteBuilder {
    bytes: Vec<u8>,
    /// The last minute pushed.
    last: Option<u64>,
    /// The open run: gap, count, repeats.
    run: Option<(u64, u64, u64)>,
    total: u64,
}

impl MinuteBuilder {
    fn flush(&mut self) {
        if let Some((gap, count, reps)) = self.run.take() {
            put_run(&mut self.bytes, gap, count, reps);
        }
    }

    /// Adds `count` (> 0) invocations at `minute`. Minutes after the last pushed append in
    /// O(1); an earlier or equal minute (two rows of one function, or the functions of an
    /// app folded together) re-encodes the unit, which is rare.
    pub(crate) fn add(&mut self, minute: u64, count: u64) {
        if count == 0 {
            return;
        }
        match self.last {
            Some(last) if minute <= last => self.merge(&[(minute, count)]),
            _ => {
                // The first cell is stored relative to minute -1.
                let gap = match self.last {
                    None => minute + 1,
                    Some(last) => minute - last,
                };
                match &mut self.run {
                    Some((g, c, reps)) if *g == gap && *c == count => *reps += 1,
                    _ => {
                        self.flush();
                        self.run = Some((gap, count, 1));
                    }
                }
                self.last = Some(minute);
                self.total += count;
            }
        }
    }

    /// Adds a row's cells, sorted by minute. Cells after the last minute pushed append;
    /// otherwise (the functions of an app folded together) the row is merged into the unit
    /// in one linear pass, so that an app of k functions costs O(k · its minutes), not a
    /// re-encoding per cell.
    pub(crate) fn add_row(&mut self, cells: &[(u64, u64)]) {
        match (self.last, cells.first()) {
            (Some(last), Some(&(first, _))) if first <= last => self.merge(cells),
            _ => {
                for &(minute, count) in cells {
                    self.add(minute, count);
                }
            }
        }
    }

    /// Adds sorted `(minute, count)` cells that may fall among existing ones: one merge of
    /// two sorted sequences.
    fn merge(&mut self, cells: &[(u64, u64)]) {
        let old = std::mem::take(self).finish();
        let mut mine = old.iter().peekable();
        let mut theirs = cells.iter().copied().filter(|&(_, c)| c > 0).peekable();
        loop {
            let next = match (mine.peek(), theirs.peek()) {
                (Some(&(a, ca)), Some(&(b, cb))) => match a.cmp(&b) {
                    std::cmp::Ordering::Less => mine.next(),
                    std::cmp::Ordering::Greater => theirs.next(),
                    std::cmp::Ordering::Equal => {
                        mine.next();
                        theirs.next();
                        Some((a, ca + cb))
                    }
                },
                (Some(_), None) => mine.next(),
                (None, Some(_)) => theirs.next(),
                (None, None) => None,
            };
            match next {
                Some((minute, count)) => self.add(minute, count),
                None => break,
            }
        }
    }

    /// Releases spare capacity: called after each trace row, so that a full-size day
    /// does not carry the up-to-2× slack of vector doubling until the end of loading.
    pub(crate) fn compact(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// The finished encoding.
    pub(crate) fn finish(mut self) -> MinuteCounts {
        self.flush();
        self.bytes.shrink_to_fit();
        MinuteCounts {
            bytes: self.bytes,
            total: self.total,
        }
    }
}

/// One function's arrival times, sorted, as varint gaps in nanoseconds from the start of
/// the replay window; optionally each arrival's execution time (varint nanoseconds, in
/// the same order), to replay per request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeList {
    bytes: Vec<u8>,
    len: u64,
    durations: Option<Vec<u8>>,
}

impl TimeList {
    /// Encodes `times` (nanoseconds) and, when given, each one's execution time
    /// (nanoseconds, same length), sorting them together by time.
    pub(crate) fn from_unsorted_with(times: Vec<u64>, durations: Option<Vec<u64>>) -> TimeList {
        let len = times.len() as u64;
        let mut bytes = Vec::with_capacity(times.len() * 4);
        let mut encoded = durations.as_ref().map(|d| Vec::with_capacity(d.len() * 3));
        let mut prev = 0;
        match durations {
            None => {
                let mut times = times;
                times.sort_unstable();
                for &t in &times {
                    put_varint(&mut bytes, t - prev);
                    prev = t;
                }
            }
            Some(durations) => {
                debug_assert_eq!(durations.len(), times.len());
                // A stable sort keeps equal arrival times in file order.
                let mut pairs: Vec<(u64, u64)> = times.into_iter().zip(durations).collect();
                pairs.sort_by_key(|p| p.0);
                let out = encoded.as_mut().expect("durations given");
                for &(t, d) in &pairs {
                    put_varint(&mut bytes, t - prev);
                    put_varint(out, d);
                    prev = t;
                }
            }
        }
        bytes.shrink_to_fit();
        if let Some(e) = encoded.as_mut() {
            e.shrink_to_fit();
        }
        TimeList {
            bytes,
            len,
            durations: encoded,
        }
    }

    /// Number of arrivals (before amplification).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// How the invocations of one minute are placed inside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Spread {
    /// Independent uniform times in the minute (the default): the count is kept exactly.
    #[default]
    Uniform,
    /// Evenly spaced, at the centres of `count` equal slices of the minute: exact counts,
    /// no randomness.
    Even,
    /// A Poisson process at the minute's rate (count / 60 s): the count varies from minute
    /// to minute, with the trace's count as its mean.
    Poisson,
}

/// What a replayed function's arrivals come from.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceData {
    /// Invocations per minute, spread within each minute.
    Minutes(MinuteCounts),
    /// Explicit arrival times.
    Times(TimeList),
}

/// A replayed function's workload: its data (shared, never copied per run) and how to
/// replay it.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceWorkload {
    /// The arrivals.
    pub data: Arc<TraceData>,
    /// Placement inside a minute.
    pub spread: Spread,
    /// Time compression: trace time t is replayed at t / compress.
    pub compress: f64,
    /// Rate amplification: each count (or arrival) × amplify.
    pub amplify: f64,
}

impl TraceWorkload {
    /// Invocations in the trace window, before amplification.
    pub fn trace_invocations(&self) -> u64 {
        match &*self.data {
            TraceData::Minutes(m) => m.total(),
            TraceData::Times(t) => t.len(),
        }
    }

    /// Starts a generator drawing from `rng` (the function's arrival stream).
    pub fn start(&self, rng: SimRng) -> TraceSource {
        TraceSource {
            data: Arc::clone(&self.data),
            spread: self.spread,
            scale: 1.0 / self.compress,
            amplify: self.amplify,
            rng,
            pos: 0,
            minute: MinuteCursor {
                minute: -1,
                ..MinuteCursor::default()
            },
            time_prev: 0,
            copies_left: 0,
            copy_time: SimTime::ZERO,
            dur_pos: 0,
            last_duration: None,
        }
    }
}

/// Where a per-minute replay stands.
#[derive(Debug, Default)]
struct MinuteCursor {
    /// Run decoding state (see [`MinuteIter`]).
    minute: i64,
    gap: u64,
    count: u64,
    left: u64,
    /// The current minute, in replayed nanoseconds: `[start, end)`.
    start: u64,
    end: u64,
    /// Arrivals of the current minute: already emitted, and in all (even, uniform).
    k: u64,
    n: u64,
    /// Uniform order statistics: position of the last arrival in the minute, in [0, 1).
    u: f64,
    /// Poisson: the minute's rate per ns, and the last time.
    rate: f64,
    t: f64,
}

/// A running replay of one function (an [`crate::workload::ArrivalSource`] variant).
#[derive(Debug)]
pub struct TraceSource {
    data: Arc<TraceData>,
    spread: Spread,
    /// 1 / compress.
    scale: f64,
    amplify: f64,
    rng: SimRng,
    /// Byte position in the encoding.
    pos: usize,
    minute: MinuteCursor,
    /// Per-invocation: the previous time in the list (trace ns).
    time_prev: u64,
    /// Per-invocation amplification: copies of the current arrival still to emit.
    copies_left: u64,
    copy_time: SimTime,
    /// Byte position in the durations' encoding.
    dur_pos: usize,
    /// Execution time of the arrival returned last, when the trace has them.
    last_duration: Option<SimTime>,
}

impl TraceSource {
    /// The execution time recorded for the arrival [`TraceSource::next_arrival`] returned
    /// last (per-invocation traces with durations; amplified copies share it).
    pub fn last_duration(&self) -> Option<SimTime> {
        self.last_duration
    }

    /// The next arrival, or `None` when the trace is exhausted.
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        match &*self.data {
            TraceData::Minutes(_) => self.next_from_minutes(),
            TraceData::Times(_) => self.next_from_times(),
        }
    }

    /// Draws how many of `count` amplified invocations a minute (or an arrival) gets:
    /// `floor(count · a)` plus one with probability equal to the fractional part, so the
    /// mean is exactly `count · a` and an integer factor is exact and draws nothing.
    fn amplified(&mut self, count: u64) -> u64 {
        if self.amplify == 1.0 {
            return count;
        }
        let x = count as f64 * self.amplify;
        let whole = x.floor();
        let frac = x - whole;
        whole as u64 + u64::from(frac > 0.0 && self.rng.random::<f64>() < frac)
    }

    /// Moves to the next non-zero minute; `false` when there is none.
    fn next_minute(&mut self) -> bool {
        let TraceData::Minutes(m) = &*self.data else {
            return false;
        };
        let c = &mut self.minute;
        if c.left == 0 {
            if self.pos >= m.bytes.len() {
                return false;
            }
            (c.gap, c.count, c.left) = get_run(&m.bytes, &mut self.pos);
        }
        c.left -= 1;
        c.minute += c.gap as i64;
        let width = MINUTE_NS * self.scale;
        // Integer bounds, so consecutive minutes tile time exactly.
        c.start = (c.minute as f64 * width).round() as u64;
        c.end = ((c.minute + 1) as f64 * width).round() as u64;
        c.k = 0;
        c.u = 0.0;
        true
    }

    fn next_from_minutes(&mut self) -> Option<SimTime> {
        loop {
            if self.minute.k < self.minute.n {
                let c = &mut self.minute;
                let width = c.end - c.start;
                let k = c.k;
                c.k += 1;
                let offset = match self.spread {
                    // Centre of slice k of n: strictly inside [start, end).
                    Spread::Even => {
                        ((2 * u128::from(k) + 1) * u128::from(width) / (2 * u128::from(c.n))) as u64
                    }
                    // The next of the remaining n − k sorted uniforms (the minimum of m
                    // uniforms on [u, 1) is u + (1 − u)(1 − V^(1/m))), so no minute's
                    // times are ever held in memory.
                    _ => {
                        let left = (c.n - k) as f64;
                        let v: f64 = self.rng.random();
                        c.u += (1.0 - c.u) * (1.0 - v.powf(1.0 / left));
                        ((c.u * width as f64) as u64).min(width.saturating_sub(1))
                    }
                };
                return Some(SimTime(c.start + offset));
            }
            if self.spread == Spread::Poisson && self.minute.rate > 0.0 {
                let e: f64 = Exp1.sample(&mut self.rng);
                let c = &mut self.minute;
                c.t += e / c.rate;
                if c.t < c.end as f64 {
                    return Some(SimTime(c.t as u64));
                }
                c.rate = 0.0;
            }
            if !self.next_minute() {
                return None;
            }
            let count = self.minute.count;
            if self.spread == Spread::Poisson {
                let c = &mut self.minute;
                let width = (c.end - c.start) as f64;
                // Memoryless: restarting the process at the minute's start is exact.
                c.rate = count as f64 * self.amplify / width;
                c.t = c.start as f64;
                c.n = 0;
            } else {
                let n = self.amplified(count);
                self.minute.n = n;
            }
        }
    }

    fn next_from_times(&mut self) -> Option<SimTime> {
        if self.copies_left > 0 {
            self.copies_left -= 1;
            return Some(self.copy_time);
        }
        loop {
            let TraceData::Times(list) = &*self.data else {
                return None;
            };
            if self.pos >= list.bytes.len() {
                return None;
            }
            self.time_prev += get_varint(&list.bytes, &mut self.pos);
            self.last_duration = list
                .durations
                .as_ref()
                .map(|d| SimTime(get_varint(d, &mut self.dur_pos)));
            let t = if self.scale == 1.0 {
                SimTime(self.time_prev)
            } else {
                SimTime((self.time_prev as f64 * self.scale).round() as u64)
            };
            let n = self.amplified(1);
            if n > 0 {
                self.copies_left = n - 1;
                self.copy_time = t;
                return Some(t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    fn build(cells: &[(u64, u64)]) -> MinuteCounts {
        let mut b = MinuteBuilder::default();
        for &(m, c) in cells {
            b.add(m, c);
        }
        b.finish()
    }

    #[test]
    fn runs_round_trip_and_compress() {
        let timer: Vec<(u64, u64)> = (0..1440).map(|m| (m, 1)).collect();
        let enc = build(&timer);
        assert_eq!(enc.iter().collect::<Vec<_>>(), timer);
        assert_eq!(
            enc.encoded_len(),
            4,
            "one run: gap 1 with the repeat flag, count 1, 1,440 repeats"
        );
        let odd = [(0, 3), (5, 1), (6, 1), (7, 1), (1439, 200)];
        assert_eq!(build(&odd).iter().collect::<Vec<_>>(), odd);
        // Out of order and duplicate minutes fold together.
        let mut b = MinuteBuilder::default();
        for (m, c) in [(5, 1), (9, 2), (5, 4), (1, 1)] {
            b.add(m, c);
        }
        let m = b.finish();
        assert_eq!(m.iter().collect::<Vec<_>>(), [(1, 1), (5, 5), (9, 2)]);
        assert_eq!(m.total(), 8);
    }

    /// Rows of an app's functions folded in one by one: each row merges in one pass, and the
    /// result is the cell-by-cell sum of the rows, computed here from a dense table.
    #[test]
    fn rows_folded_together_sum_cell_by_cell() {
        let rows: Vec<Vec<(u64, u64)>> = vec![
            vec![(3, 1), (10, 2), (11, 2), (12, 2), (700, 9)],
            vec![(0, 5), (10, 1), (699, 1), (701, 1)],
            vec![],
            vec![(1439, 7)],
            vec![(0, 1), (3, 1), (12, 1), (1439, 1)],
            (0..1440).step_by(5).map(|m| (m, 1)).collect(),
        ];
        let mut dense = vec![0u64; 1440];
        let mut b = MinuteBuilder::default();
        for row in &rows {
            for &(m, c) in row {
                dense[m as usize] += c;
            }
            b.add_row(row);
        }
        let expected: Vec<(u64, u64)> = dense
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(m, &c)| (m as u64, c))
            .collect();
        let m = b.finish();
        assert_eq!(m.iter().collect::<Vec<_>>(), expected);
        assert_eq!(m.total(), dense.iter().sum::<u64>());
    }

    fn replay(cells: &[(u64, u64)], spread: Spread, compress: f64, amplify: f64) -> Vec<u64> {
        let w = TraceWorkload {
            data: Arc::new(TraceData::Minutes(build(cells))),
            spread,
            compress,
            amplify,
        };
        let mut s = w.start(stream(1, 0, Stream::Arrivals));
        std::iter::from_fn(|| s.next_arrival().map(|t| t.0)).collect()
    }

    #[test]
    fn even_and_uniform_keep_counts_in_their_minutes() {
        let cells = [(0, 2), (3, 5), (4, 1)];
        let even = replay(&cells, Spread::Even, 1.0, 1.0);
        assert_eq!(
            even,
            [15e9, 45e9, 186e9, 198e9, 210e9, 222e9, 234e9, 270e9].map(|x| x as u64)
        );
        let uni = replay(&cells, Spread::Uniform, 1.0, 1.0);
        assert_eq!(uni.len(), 8);
        assert!(uni.windows(2).all(|w| w[0] <= w[1]));
        let per_min: Vec<u64> = uni.iter().map(|t| t / 60_000_000_000).collect();
        assert_eq!(per_min, [0, 0, 3, 3, 3, 3, 3, 4]);
    }

    #[test]
    fn poisson_and_amplified_means() {
        let cells: Vec<(u64, u64)> = (0..1000).map(|m| (m, 20)).collect();
        let n = replay(&cells, Spread::Poisson, 1.0, 1.0).len() as f64;
        assert!((n - 20_000.0).abs() < 4.0 * 20_000f64.sqrt(), "{n}");
        let n = replay(&cells, Spread::Uniform, 1.0, 1.5).len();
        assert_eq!(n, 30_000, "20 × 1.5 is whole: exact");
        let n = replay(&cells, Spread::Uniform, 1.0, 1.01).len() as f64;
        // 20.2 a minute: 20 plus a Bernoulli(0.2) each minute.
        assert!(
            (n - 20_200.0).abs() < 4.0 * (1000.0f64 * 0.16).sqrt(),
            "{n}"
        );
    }
}
