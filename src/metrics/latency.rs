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

/// The quantiles `qs` (sorted ascending) of `samples`, each as
/// [`Histogram::value_at_quantile`] gives it for the same samples: the sample of rank
/// ⌈q·n⌉ (at least 1), reported as the highest value of its bucket (the lowest for q = 0).
/// Each rank is selected in turn (`select_nth_unstable`, on what lies above the rank
/// before) rather than all samples sorted: a summary wants a few ranks, mostly high ones,
/// of tens of thousands of small lists. `samples` is left partly ordered.
fn quantiles_of(samples: &mut [u32], qs: &[f64]) -> Vec<u64> {
    let n = samples.len();
    // Every sample before `placed` is at its sorted place or below all those after it.
    let mut placed = 0;
    qs.iter()
        .map(|&q| {
            let q = q.min(1.0);
            let i = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
            if i >= placed {
                samples[placed..].select_nth_unstable(i - placed);
                placed = i + 1;
            }
            let v = u64::from(samples[i]);
            if q == 0.0 {
                buckets().lowest_equivalent(v)
            } else {
                buckets().highest_equivalent(v)
            }
        })
        .collect()
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

    /// Records one sample when that needs neither wider counts nor a longer array (the
    /// steady state of a busy distribution); records nothing and returns `false` otherwise.
    #[inline(always)]
    fn record_in_place(&mut self, us: u64, total_after: u64) -> bool {
        match self {
            Store::Narrow(h) if total_after < u64::from(u32::MAX) && us <= h.high() => {
                h.record(us).is_ok()
            }
            Store::Tiny(h) if total_after < u64::from(u16::MAX) && us <= h.high() => {
                h.record(us).is_ok()
            }
            // A bucket of a byte store holds at most 255 samples.
            Store::Byte(h) if us <= h.high() && h.count_at(us) < u8::MAX => h.record(us).is_ok(),
            _ => false,
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
                if !hist.record_in_place(us, self.count) {
                    hist.reserve(self.count);
                    hist.record(us, self.count);
                }
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
                let mut samples = self.pending.clone();
                quantiles_of(&mut samples, qs)
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
mod tests;
