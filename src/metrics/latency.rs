//! A latency distribution that costs little while it is small.
//!
//! A trace replay has tens of thousands of functions, most of which run a few times a day;
//! an HDR histogram spanning a second at 3 significant digits is about 40 KB of counts, so
//! one per distribution per function would dominate memory. A distribution therefore
//! keeps its first [`SMALL`] samples as a plain list (4 bytes each) and moves to an HDR
//! histogram only when it outgrows it. Quantiles of the list are those the histogram
//! would give for the same samples (the sample at the same rank, reported as the highest
//! value of its histogram bucket), so results do not depend on which form a distribution
//! is in; a test checks this against the `hdrhistogram` crate itself.

use std::sync::OnceLock;

use hdrhistogram::Histogram;

use crate::time::SimTime;

/// Significant digits kept by the latency histograms.
const SIGFIG: u8 = 3;

/// Samples buffered before they are sorted into the histogram.
const BATCH: usize = 256;

/// Samples kept as a plain list before a distribution gets its histogram: 4 KB at most,
/// a tenth of a histogram spanning a second.
const SMALL: usize = 1024;

/// A latency distribution: an HDR histogram in microseconds (3 significant digits), or
/// while it holds fewer than 1,024 samples the samples themselves; plus an exact
/// count, sum and maximum in nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// Allocated when the samples outgrow `pending` (or one exceeds `u32::MAX` µs).
    hist: Option<Store>,
    /// Samples (µs) not in `hist`. While `hist` is `None` they are the whole distribution,
    /// unsorted. Afterwards, when `batched`, a buffer flushed in sorted batches: with many
    /// functions a histogram is cold in cache, and sorted batches touch its buckets in
    /// address order.
    pending: Vec<u32>,
    /// Whether to batch once there is a histogram: it pays only when histograms are cold
    /// in cache (many functions); with a few it costs the sort (about 12 % on the
    /// reference run).
    batched: bool,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
}

/// Histogram storage, in the narrowest counts that cannot overflow: `u8` while no bucket
/// holds more than 255 samples, then `u16` while the distribution has fewer than 65,535
/// samples, then `u32`, then `u64`. A byte store is widened when a record would take one
/// of its buckets past 255; the wider ones when their total reaches the narrower type's
/// maximum, so that no bucket can overflow. Narrow counts halve a histogram's memory each
/// step: a trace day has thousands of functions busy enough for a histogram, each spanning
/// seconds, most with a few hundred samples in their fullest bucket
/// (`docs/performance.md`).
#[derive(Debug, Clone)]
enum Store {
    Byte(Box<Histogram<u8>>),
    Tiny(Box<Histogram<u16>>),
    Narrow(Box<Histogram<u32>>),
    Wide(Box<Histogram<u64>>),
}

/// A copy of histogram `$h` with counts of type `$to` (at least as wide as its own).
macro_rules! widened {
    ($h:expr, $to:ty) => {{
        // Sized for its largest value at once (an auto-resizing histogram grows its counts
        // as a `Vec` does, to as much as twice what they need).
        let largest = if $h.is_empty() {
            0
        } else {
            $h.highest_equivalent($h.max())
        };
        let mut w = Box::new(sized_for!($to, largest));
        for v in $h.iter_recorded() {
            // The bucket's highest equivalent value maps back to the same bucket.
            w.record_n(v.value_iterated_to(), <$to>::from(v.count_at_value()))
                .expect("auto-resizing histograms grow to fit");
        }
        w
    }};
}

/// An empty histogram of the stores' precision, for bucket arithmetic only (bucket bounds
/// depend on the precision, not on what was recorded).
fn buckets() -> &'static Histogram<u8> {
    static BUCKETS: OnceLock<Histogram<u8>> = OnceLock::new();
    BUCKETS.get_or_init(|| Histogram::new(SIGFIG).expect("valid precision"))
}

/// The `q` quantile of sorted samples, as [`Histogram::value_at_quantile`] gives it for
/// the same samples: the sample of rank ⌈q·n⌉ (at least 1), reported as the highest value
/// of its bucket (the lowest for q = 0).
fn sorted_quantile(sorted: &[u32], q: f64) -> u64 {
    let q = q.min(1.0);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    let v = u64::from(sorted[rank - 1]);
    if q == 0.0 {
        buckets().lowest_equivalent(v)
    } else {
        buckets().highest_equivalent(v)
    }
}

/// What an auto-resizing histogram of [`SIGFIG`] digits that has been made to track
/// `value` holds, as `hdrhistogram` does it: the length of its counts array (whole buckets
/// of 1,024 sub-buckets, plus one) and its highest trackable value (2 while values fit the
/// first array, then the top of the array it grew to).
fn span(value: u64) -> (usize, u64) {
    let mut untrackable: u64 = 2048;
    let mut buckets = 1;
    while untrackable <= value && untrackable <= u64::MAX / 2 {
        untrackable <<= 1;
        buckets += 1;
    }
    let high = if buckets == 1 { 2 } else { untrackable - 1 };
    ((buckets + 1) * 1024, high)
}

/// A histogram with counts `$t` that tracks up to `$largest`, its counts array exactly as
/// long as that needs, as [`span`] says the crate would leave it.
macro_rules! sized_for {
    ($t:ty, $largest:expr) => {{
        let mut h = Histogram::<$t>::new_with_bounds(1, span($largest).1, SIGFIG)
            .expect("bounds within the histogram's range");
        h.auto(true);
        h
    }};
}

/// Grows histogram `$h` (counts `$t`) to track `$us` with a counts array of exactly the
/// length it needs. Left to itself an auto-resizing histogram grows its array as a `Vec`
/// does, to as much as twice what it needs, and a trace day holds thousands of histograms.
/// The copy is what the crate's own growth would give in every other respect.
macro_rules! grow_exactly {
    ($h:expr, $t:ty, $us:expr) => {{
        // Past the highest trackable value (the top of the counts array once grown) first:
        // one comparison on the common path.
        if $us > $h.high() && span($us).0 > $h.distinct_values() {
            let mut g = sized_for!($t, $us);
            g.add(&**$h)
                .expect("the copy tracks every value of the original");
            **$h = g;
        }
    }};
}

impl Store {
    fn new() -> Store {
        // Starts small and grows to fit the largest value recorded.
        Store::Tiny(Box::new(Histogram::new(SIGFIG).expect("valid precision")))
    }

    /// An empty store whose counts array covers values up to `largest` exactly.
    fn covering(largest: u64) -> Store {
        Store::Byte(Box::new(sized_for!(u8, largest)))
    }

    /// 0 to 3 from the narrowest counts to the widest.
    fn width(&self) -> u8 {
        match self {
            Store::Byte(_) => 0,
            Store::Tiny(_) => 1,
            Store::Narrow(_) => 2,
            Store::Wide(_) => 3,
        }
    }

    /// Widens the counts one step.
    fn widen_once(&mut self) {
        *self = match self {
            Store::Byte(h) => Store::Tiny(widened!(h, u16)),
            Store::Tiny(h) => Store::Narrow(widened!(h, u32)),
            Store::Narrow(h) => Store::Wide(widened!(h, u64)),
            Store::Wide(_) => return,
        };
    }

    /// Makes sure the store can count `total_after` samples without overflowing a count
    /// (a byte store checks the bucket itself as it records).
    #[inline]
    fn reserve(&mut self, total_after: u64) {
        let limit = match self {
            Store::Byte(_) => return,
            Store::Tiny(_) => u64::from(u16::MAX),
            Store::Narrow(_) => u64::from(u32::MAX),
            Store::Wide(_) => return,
        };
        if total_after >= limit {
            self.widen_to_count(total_after);
        }
    }

    /// Widens until `total` samples fit (the rare path of [`Store::reserve`]).
    #[cold]
    fn widen_to_count(&mut self, total: u64) {
        if matches!(self, Store::Tiny(_)) && total >= u64::from(u16::MAX) {
            self.widen_once();
        }
        if matches!(self, Store::Narrow(_)) && total >= u64::from(u32::MAX) {
            self.widen_once();
        }
    }

    /// Records one sample; `total_after` bounds the samples the store holds afterwards.
    #[inline]
    fn record(&mut self, us: u64, total_after: u64) {
        self.record_n(us, 1, total_after);
    }

    /// Records `n` samples of `us`; `total_after` bounds the samples the store holds once
    /// the caller's records are done (the room a widened byte store reserves).
    #[inline]
    fn record_n(&mut self, us: u64, n: u64, total_after: u64) {
        // Growing can only fail past u64 bucket indices; clamping is the best we can do.
        // `reserve` widened the store before a count could overflow, so `n` (at most the
        // samples counted) fits the counts.
        match self {
            Store::Byte(h) => {
                grow_exactly!(h, u8, us);
                match u8::try_from(u64::from(h.count_at(us)) + n) {
                    Ok(_) => {
                        if h.record_n(us, n as u8).is_err() {
                            h.saturating_record_n(us, n as u8);
                        }
                    }
                    Err(_) => {
                        // The bucket would pass 255: widen, and make room for the total.
                        self.widen_once();
                        self.reserve(total_after);
                        self.record_n(us, n, total_after);
                    }
                }
            }
            Store::Tiny(h) => {
                grow_exactly!(h, u16, us);
                let n = n as u16;
                if h.record_n(us, n).is_err() {
                    h.saturating_record_n(us, n);
                }
            }
            Store::Narrow(h) => {
                grow_exactly!(h, u32, us);
                let n = n as u32;
                if h.record_n(us, n).is_err() {
                    h.saturating_record_n(us, n);
                }
            }
            Store::Wide(h) => {
                grow_exactly!(h, u64, us);
                if h.record_n(us, n).is_err() {
                    h.saturating_record_n(us, n);
                }
            }
        }
    }

    /// Adds `other`'s counts; `total_after` is the number of samples the sum holds.
    fn add(&mut self, other: &Store, total_after: u64) {
        // A sum's buckets are not checked one by one: it counts in two bytes at least.
        while self.width() < other.width().max(1) {
            self.widen_once();
        }
        self.reserve(total_after);
        match (&mut *self, other) {
            (Store::Tiny(a), Store::Byte(b)) => a.add(widened!(b, u16).as_ref()),
            (Store::Narrow(a), Store::Byte(b)) => a.add(widened!(b, u32).as_ref()),
            (Store::Wide(a), Store::Byte(b)) => a.add(widened!(b, u64).as_ref()),
            (Store::Tiny(a), Store::Tiny(b)) => a.add(b.as_ref()),
            (Store::Narrow(a), Store::Narrow(b)) => a.add(b.as_ref()),
            (Store::Narrow(a), Store::Tiny(b)) => a.add(widened!(b, u32).as_ref()),
            (Store::Wide(a), Store::Wide(b)) => a.add(b.as_ref()),
            (Store::Wide(a), Store::Narrow(b)) => a.add(widened!(b, u64).as_ref()),
            (Store::Wide(a), Store::Tiny(b)) => a.add(widened!(b, u64).as_ref()),
            (Store::Byte(_), _) | (Store::Tiny(_), _) | (Store::Narrow(_), Store::Wide(_)) => {
                unreachable!("widened to at least the other's counts above")
            }
        }
        .expect("auto-resizing histograms always merge");
    }

    /// The values at `qs` (sorted ascending), in one pass over the buckets.
    fn values_at_quantiles(&self, qs: &[f64]) -> Vec<u64> {
        let qs = qs.iter().copied();
        match self {
            Store::Byte(h) => h.value_at_quantiles(qs).collect(),
            Store::Tiny(h) => h.value_at_quantiles(qs).collect(),
            Store::Narrow(h) => h.value_at_quantiles(qs).collect(),
            Store::Wide(h) => h.value_at_quantiles(qs).collect(),
        }
    }

    /// The counts with `u64` counters.
    fn to_wide(&self) -> Histogram<u64> {
        match self {
            Store::Byte(h) => *widened!(h, u64),
            Store::Tiny(h) => *widened!(h, u64),
            Store::Narrow(h) => *widened!(h, u64),
            Store::Wide(h) => (**h).clone(),
        }
    }
}

impl Latency {
    /// Records one latency.
    #[inline]
    pub fn record(&mut self, d: SimTime) {
        self.count += 1;
        self.sum_ns += d.0 as u128;
        self.max_ns = self.max_ns.max(d.0);
        let us = d.as_micros();
        match (&mut self.hist, u32::try_from(us)) {
            (None, Ok(small)) => {
                self.pending.push(small);
                if self.pending.len() == SMALL {
                    self.flush();
                }
            }
            (Some(_), Ok(small)) if self.batched => {
                if self.pending.capacity() == 0 {
                    self.pending.reserve_exact(BATCH);
                }
                self.pending.push(small);
                if self.pending.len() == BATCH {
                    self.flush();
                }
            }
            // The steady state of one large distribution: straight into the histogram.
            (Some(hist), _) if self.pending.is_empty() => {
                hist.reserve(self.count);
                hist.record(us, self.count);
            }
            _ => {
                self.flush();
                let total = self.count;
                self.store(us).record(us, total);
            }
        }
    }

    /// An empty distribution that buffers samples and sorts them into the histogram in
    /// batches (same contents, better cache behaviour when there are many histograms).
    pub fn batched() -> Latency {
        Latency {
            batched: true,
            ..Latency::default()
        }
    }

    /// The histogram, created when there is none with room for values up to `largest`.
    fn store(&mut self, largest: u64) -> &mut Store {
        let hist = self.hist.get_or_insert_with(|| Store::covering(largest));
        hist.reserve(self.count);
        hist
    }

    /// Moves the pending samples into the histogram (creating it), sorted, equal values in
    /// one step.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable();
        let largest = pending.last().map_or(0, |&v| u64::from(v));
        let total = self.count;
        let store = self.store(largest);
        for run in pending.chunk_by(|a, b| a == b) {
            store.record_n(u64::from(run[0]), run.len() as u64, total);
        }
        if self.batched {
            // Keep a batch's worth of buffer, not the larger list of the small form.
            pending.clear();
            pending.shrink_to(BATCH);
            self.pending = pending;
        }
    }

    /// Moves a batch still pending into the histogram and releases the batch buffer (at
    /// the end of a run, so that summaries read the histogram in place). A small
    /// distribution stays as it is.
    pub fn settle(&mut self) {
        if self.hist.is_some() {
            self.flush();
            self.pending = Vec::new();
        }
    }

    /// This distribution with its histogram and nothing pending (a copy only when
    /// something is pending; a histogram is built when there is none).
    fn flushed(&self) -> std::borrow::Cow<'_, Latency> {
        if self.pending.is_empty() {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut c = self.clone();
            c.flush();
            std::borrow::Cow::Owned(c)
        }
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Latency) {
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
        self.pending.extend_from_slice(&other.pending);
        if self.hist.is_none() && other.hist.is_none() && self.pending.len() < SMALL {
            // Both small, and small together.
            return;
        }
        self.flush();
        if let Some(theirs) = &other.hist {
            let ours = self.hist.get_or_insert_with(Store::new);
            ours.add(theirs, self.count);
        }
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean, ms.
    pub fn mean_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ns as f64 / self.count as f64 / 1e6)
    }

    /// Exact maximum, ms.
    pub fn max_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.max_ns as f64 / 1e6)
    }

    /// The `q` quantile (0..=1), ms, to 3 significant digits; capped at the exact maximum.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        self.quantiles_ms(&[q]).pop().flatten()
    }

    /// The quantiles `qs` (each in 0..=1, sorted ascending), ms, as
    /// [`quantile_ms`](Self::quantile_ms) gives them one by one, in one pass.
    ///
    /// # Panics
    /// If `qs` is not sorted.
    pub fn quantiles_ms(&self, qs: &[f64]) -> Vec<Option<f64>> {
        assert!(qs.is_sorted(), "quantiles must be sorted: {qs:?}");
        if self.count == 0 {
            return vec![None; qs.len()];
        }
        let us: Vec<u64> = match &self.hist {
            None => {
                let mut sorted = self.pending.clone();
                sorted.sort_unstable();
                qs.iter().map(|&q| sorted_quantile(&sorted, q)).collect()
            }
            Some(_) => {
                let me = self.flushed();
                let hist = me.hist.as_ref().expect("a histogram once flushed");
                hist.values_at_quantiles(qs)
            }
        };
        let max_ms = self.max_ns as f64 / 1e6;
        us.into_iter()
            .map(|us| Some((us as f64 / 1e3).min(max_ms)))
            .collect()
    }

    /// The histogram in microseconds with `u64` counts; `None` until the first sample.
    pub fn to_histogram(&self) -> Option<Histogram<u64>> {
        if self.count == 0 && self.hist.is_none() {
            return None;
        }
        self.flushed().hist.as_ref().map(Store::to_wide)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Narrow and wide storage report the same quantiles, and merging across them keeps
    /// every sample.
    #[test]
    fn widening_keeps_samples_and_quantiles() {
        let mut a = Latency::batched();
        let mut plain = Latency::default();
        for i in 1..=10_000u64 {
            plain.record(SimTime(i * 1_000_003));
            a.record(SimTime(i * 1_000_003));
        }
        let narrow_q: Vec<_> = [0.5, 0.9, 0.99].iter().map(|&q| a.quantile_ms(q)).collect();
        // Batching changes nothing but the order of recording.
        let plain_q: Vec<_> = [0.5, 0.9, 0.99]
            .iter()
            .map(|&q| plain.quantile_ms(q))
            .collect();
        assert_eq!(narrow_q, plain_q);
        assert_eq!(a.to_histogram(), plain.to_histogram());
        let mut b = a.clone();
        let s = b.hist.as_mut().expect("10,000 samples make a histogram");
        assert!(matches!(s, Store::Byte(_)), "no bucket holds 256 samples");
        for width in 1..=3 {
            s.widen_once();
            assert_eq!(s.width(), width);
            let wider = Latency {
                hist: Some(s.clone()),
                ..a.clone()
            };
            let wider_q: Vec<_> = [0.5, 0.9, 0.99]
                .iter()
                .map(|&q| wider.quantile_ms(q))
                .collect();
            assert_eq!(narrow_q, wider_q);
        }
        assert!(matches!(s, Store::Wide(_)));
        a.merge(&b);
        assert_eq!(a.count(), 20_000);
        assert_eq!(a.to_histogram().unwrap().len(), 20_000);
        assert_eq!(a.quantile_ms(0.5), b.quantile_ms(0.5));
    }

    /// 2-byte counts widen to 4 bytes before the 65,535th sample: 70,000 samples, many in
    /// one bucket, recorded one by one, in batches and by merging a 2-byte histogram into a
    /// 4-byte one, all count every sample and give the crate's quantiles.
    #[test]
    fn two_byte_counts_widen_before_they_overflow() {
        let mut one = Latency::default();
        let mut batched = Latency::batched();
        let (mut left, mut right) = (Latency::default(), Latency::default());
        let mut expected_h = Histogram::<u64>::new(SIGFIG).unwrap();
        for i in 0..70_000u64 {
            // Two thirds in the 7 ms bucket: one count far past u16::MAX / 2.
            let us = if i % 3 == 0 { 1_000 + i } else { 7_000 };
            let d = SimTime(us * 1000);
            one.record(d);
            batched.record(d);
            if i < 1_500 {
                left.record(d)
            } else {
                right.record(d)
            }
            expected_h.record(us).unwrap();
        }
        assert!(matches!(one.hist, Some(Store::Narrow(_))));
        assert!(matches!(left.hist, Some(Store::Tiny(_))));
        left.merge(&right);
        let max_ns = 69_999_000 + 1_000_000;
        let expected: Vec<Option<f64>> = QS
            .iter()
            .map(|&q| Some((expected_h.value_at_quantile(q) as f64 / 1e3).min(max_ns as f64 / 1e6)))
            .collect();
        for l in [&one, &batched, &left] {
            assert_eq!(l.count(), 70_000);
            assert_eq!(l.to_histogram().unwrap(), expected_h);
            assert_eq!(l.quantiles_ms(&QS), expected);
        }
    }

    const QS: [f64; 9] = [0.0, 1e-9, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0];

    /// What the `hdrhistogram` crate says for the same samples, ms, capped at the maximum
    /// as `quantile_ms` caps: the independent expectation for the small form.
    fn expected(samples_us: &[u64], max_ns: u64) -> Vec<Option<f64>> {
        let mut h = Histogram::<u64>::new(SIGFIG).unwrap();
        for &v in samples_us {
            h.record(v).unwrap();
        }
        QS.iter()
            .map(|&q| Some((h.value_at_quantile(q) as f64 / 1e3).min(max_ns as f64 / 1e6)))
            .collect()
    }

    /// For every size from 1 sample up to past the switch to a histogram, and for values
    /// spread over six decades (with ties), the quantiles are the crate's, sample for sample.
    #[test]
    fn small_distributions_give_the_histograms_quantiles() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for n in (1..40).chain([255, 256, 257, 1023, 1024, 1025, 3000]) {
            for batched in [false, true] {
                let mut l = if batched {
                    Latency::batched()
                } else {
                    Latency::default()
                };
                let mut us = Vec::new();
                let mut max_ns = 0;
                for _ in 0..n {
                    // Whole microseconds (so that rounding to µs is exact), some repeated.
                    let v: u64 = if rng.random_bool(0.2) && !us.is_empty() {
                        us[rng.random_range(0..us.len())]
                    } else {
                        10u64.pow(rng.random_range(0..6)) * rng.random_range(1..1000)
                    };
                    us.push(v);
                    max_ns = max_ns.max(v * 1000);
                    l.record(SimTime(v * 1000));
                }
                assert_eq!(l.hist.is_some(), n >= SMALL, "{n} samples");
                assert_eq!(l.quantiles_ms(&QS), expected(&us, max_ns), "{n}, {batched}");
                let one_by_one: Vec<_> = QS.iter().map(|&q| l.quantile_ms(q)).collect();
                assert_eq!(one_by_one, expected(&us, max_ns));
                let mut h = Histogram::<u64>::new(SIGFIG).unwrap();
                for &v in &us {
                    h.record(v).unwrap();
                }
                assert_eq!(l.to_histogram().unwrap(), h);
            }
        }
    }

    /// Merging small with small stays small while it fits, and any merge holds every sample
    /// of both sides, with the crate's quantiles for them.
    #[test]
    fn merges_keep_every_sample() {
        let make = |n: u64, step: u64| {
            let mut l = Latency::default();
            let us: Vec<u64> = (1..=n).map(|i| i * step).collect();
            for &v in &us {
                l.record(SimTime(v * 1000));
            }
            (l, us)
        };
        for (na, nb) in [
            (0, 0),
            (0, 5),
            (5, 0),
            (10, 20),
            (600, 600),
            (1, 5000),
            (5000, 3),
        ] {
            let (mut a, mut us) = make(na, 7);
            let (b, ub) = make(nb, 13);
            a.merge(&b);
            us.extend(ub);
            assert_eq!(a.count(), na + nb);
            assert_eq!(a.hist.is_none(), na + nb < SMALL as u64, "{na} + {nb}");
            if na + nb > 0 {
                let max_ns = us.iter().max().unwrap() * 1000;
                assert_eq!(a.quantiles_ms(&QS), expected(&us, max_ns), "{na} + {nb}");
            } else {
                assert_eq!(a.quantiles_ms(&QS), vec![None; QS.len()]);
                assert!(a.to_histogram().is_none());
            }
        }
    }

    /// A value beyond `u32::MAX` µs (71 minutes) goes to the histogram at once, with the
    /// small samples before it.
    #[test]
    fn a_value_too_large_for_the_list_starts_the_histogram() {
        let mut l = Latency::default();
        l.record(SimTime::from_ms(5.0));
        l.record(SimTime::from_ms(5_000_000.0));
        assert!(l.hist.is_some() && l.pending.is_empty());
        let h = l.to_histogram().unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(l.quantile_ms(1.0), Some(5_000_000.0));
        assert_eq!(
            l.quantile_ms(0.5),
            Some(buckets().highest_equivalent(5000) as f64 / 1e3)
        );
    }

    /// Bytes `l` holds on the heap: its histogram's counts and its list of samples.
    fn heap_bytes(l: &Latency) -> usize {
        let counts = match &l.hist {
            None => 0,
            Some(Store::Byte(h)) => h.distinct_values(),
            Some(Store::Tiny(h)) => h.distinct_values() * 2,
            Some(Store::Narrow(h)) => h.distinct_values() * 4,
            Some(Store::Wide(h)) => h.distinct_values() * 8,
        };
        counts + l.pending.capacity() * 4
    }

    /// The small form is what makes a rarely invoked function cheap: a few samples hold
    /// bytes, a histogram tens of KB.
    #[test]
    fn a_few_samples_hold_a_few_bytes() {
        let mut l = Latency::batched();
        for i in 0..10 {
            l.record(SimTime::from_ms(100.0 + i as f64 * 300.0));
        }
        assert!(heap_bytes(&l) <= 64, "{}", heap_bytes(&l));
        let mut big = Latency::batched();
        for i in 0..SMALL as u64 {
            big.record(SimTime::from_ms(100.0 + i as f64 * 3.0));
        }
        // A histogram spanning 0.1–3.2 s at 3 significant digits: about 13,000 counts of
        // 1 byte (no bucket holds 256 samples).
        assert!(heap_bytes(&big) > 10_000, "{}", heap_bytes(&big));
        assert!(matches!(big.hist, Some(Store::Byte(_))));
    }

    /// Byte counts widen before a bucket passes 255, however the samples arrive: one by
    /// one, in sorted batches (a run of equal values recorded at once) and by merging two
    /// byte histograms whose buckets only overflow together. Each gives the crate's own
    /// histogram of the same samples, and one whose buckets stay small stays in bytes.
    #[test]
    fn byte_counts_widen_before_a_bucket_overflows() {
        let mut one = Latency::default();
        let mut batched = Latency::batched();
        let (mut left, mut right) = (Latency::default(), Latency::default());
        let mut expected_h = Histogram::<u64>::new(SIGFIG).unwrap();
        // 2,000 samples spread over 1–3 s, and 400 at exactly 50 ms, interleaved.
        for i in 0..2_400u64 {
            let us = if i % 6 == 5 {
                50_000
            } else {
                1_000_000 + i * 997
            };
            let d = SimTime(us * 1000);
            one.record(d);
            batched.record(d);
            // Alternate groups of six: each half has 200 at 50 ms.
            if (i / 6) % 2 == 0 {
                left.record(d)
            } else {
                right.record(d)
            }
            expected_h.record(us).unwrap();
        }
        assert_eq!(expected_h.count_at(50_000), 400);
        assert!(matches!(one.hist, Some(Store::Tiny(_))));
        assert!(matches!(batched.hist, Some(Store::Tiny(_))));
        // 200 at 50 ms each: both halves fit in bytes, their sum does not.
        assert!(matches!(left.hist, Some(Store::Byte(_))));
        assert!(matches!(right.hist, Some(Store::Byte(_))));
        left.merge(&right);
        let max_ns: u64 = (1_000_000 + 2_398 * 997) * 1000;
        let expected: Vec<Option<f64>> = QS
            .iter()
            .map(|&q| Some((expected_h.value_at_quantile(q) as f64 / 1e3).min(max_ns as f64 / 1e6)))
            .collect();
        for l in [&one, &batched, &left] {
            assert_eq!(l.count(), 2_400);
            assert_eq!(l.to_histogram().unwrap(), expected_h);
            assert_eq!(l.quantiles_ms(&QS), expected);
        }
        // 255 samples in one bucket still fit a byte.
        let mut full = Latency::default();
        let mut full_h = Histogram::<u64>::new(SIGFIG).unwrap();
        for i in 0..(SMALL as u64 + 255) {
            let us = if i < 255 { 7_000 } else { 10_000 + i * 13 };
            full.record(SimTime(us * 1000));
            full_h.record(us).unwrap();
        }
        assert!(matches!(full.hist, Some(Store::Byte(_))));
        assert_eq!(full.to_histogram().unwrap(), full_h);
    }

    /// `span` is what `hdrhistogram` gives an auto-resizing histogram that grew to track
    /// the value: the length of its counts and its highest trackable value.
    #[test]
    fn span_matches_the_crate() {
        let mut values = vec![
            0,
            1,
            2,
            3,
            2047,
            2048,
            2049,
            4095,
            4096,
            1 << 40,
            u64::MAX / 4,
        ];
        for k in 11..50 {
            values.extend([(1u64 << k) - 1, 1 << k, (1 << k) + 1, 3 << (k - 1)]);
        }
        for v in values {
            let mut h = Histogram::<u16>::new(SIGFIG).unwrap();
            h.record(v).unwrap();
            assert_eq!(span(v), (h.distinct_values(), h.high()), "value {v}");
        }
    }

    /// Sizing histograms exactly changes nothing about them: the same counts, the same
    /// highest trackable value, so the same serialised bytes as a histogram of the crate
    /// grown one value at a time. Values rise (growing the histogram bucket by bucket),
    /// then fall and rise again, past 65,535 samples (widening its counts).
    #[test]
    fn exact_sizing_gives_the_crates_histogram() {
        use hdrhistogram::serialization::{Serializer, V2Serializer};
        let mut ours = Latency::default();
        let mut crates = Histogram::<u64>::new(SIGFIG).unwrap();
        for i in 0..80_000u64 {
            let us = 1 + (i % 40_000) * (i % 40_000) / 7;
            ours.record(SimTime(us * 1_000));
            crates.record(us).unwrap();
        }
        let ours = ours.to_histogram().unwrap();
        assert_eq!(ours.high(), crates.high());
        assert_eq!(ours.len(), crates.len());
        let bytes = |h: &Histogram<u64>| {
            let mut b = Vec::new();
            V2Serializer::new().serialize(h, &mut b).unwrap();
            b
        };
        assert_eq!(bytes(&ours), bytes(&crates));
    }
}
