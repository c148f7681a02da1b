//! Keep-alive: what happens to an instance when it goes idle.
//!
//! A policy returns a [`Decision`] each time an instance finishes a request; the platform
//! applies it (keeps the instance until a deadline, evicts it, or evicts it and pre-warms a
//! new one later). Policies never touch instances themselves.
//!
//! - `fixed`: keep for `idle_s` seconds.
//! - `none`: evict at once (scale to zero after every request).
//! - `hybrid_histogram`: the hybrid histogram policy of Shahrad et al., "Serverless in the
//!   Wild" (USENIX ATC 2020), as described below.
//!
//! # The hybrid histogram policy, as implemented
//! Per function, idle times (IT: from the moment the function last had no request in
//! flight to its next arrival) go into a histogram of 1-minute bins over a 4-hour range;
//! longer ones are counted as out of range. When an instance goes idle:
//! - while the histogram is not representative (fewer than `min_samples` in-range idle
//!   times, a coefficient of variation of the bin counts below `cv_threshold`, or more than
//!   `max_out_of_range` of the idle times out of range), keep the instance for
//!   `fallback_idle_s` (default: the 4-hour range);
//! - otherwise take the head (`head_percentile`, 5th) and tail (`tail_percentile`, 99th)
//!   percentiles of the histogram (at bin edges: the head's lower edge, the tail's upper
//!   edge), shrink the head and stretch the tail by `margin` (10 %): pre-warm window
//!   PW = head × (1 − margin), keep-alive end KA = tail × (1 + margin);
//! - PW = 0: keep the instance until KA after it went idle; PW > 0: evict it now, start a
//!   new instance in the background PW after it went idle, and keep that one until KA.
//!
//! The windows decide about the function's last instance: whether the application stays
//! loaded, which is the question the paper answers (it models one instance per
//! application). An instance that goes idle while other instances of the function are in
//! memory is extra capacity for concurrent requests, which the paper does not cover; it is
//! kept for `extra_idle_s` (default 600 s, the paper's fixed 10-minute baseline: our
//! choice), so a busy function's instances do not all expire after its short idle-time
//! window, and the windows take over when only one is left.
//!
//! # Policies of your own
//! A library user adds a policy without forking: implement [`KeepAlivePolicy`] (a name and
//! a fresh per-function [`KeepAliveRun`] state) and put it in a function's
//! `keep_alive` as [`KeepAlive::Custom`]; `examples/custom_keep_alive.rs` runs one. The
//! built-in policies stay enum variants, so they pay nothing for this.
//!
//! Simplifications (documented in `docs/design.md`): the paper's ARIMA forecast for
//! functions whose idle times fall out of range is replaced by the fixed fallback; the
//! policy is applied per function, which is per application when a trace is replayed with
//! `group_by: app` (one function per application).

use std::sync::Arc;

use serde::Deserialize;

use crate::config::check;
use crate::error::FieldError;
use crate::time::SimTime;

/// The `keep_alive` object of a platform or function, as written.
// Deserialize: `json::tagged!` below, so errors inside a variant keep their field path.
#[derive(Debug, Clone, PartialEq)]
pub enum KeepAliveSpec {
    /// `{"policy": "fixed", "idle_s": 600}`: evict after `idle_s` seconds idle.
    Fixed(FixedKeepAliveSpec),
    /// `{"policy": "none"}`: evict as soon as the instance idles.
    None(NoKeepAliveSpec),
    /// `{"policy": "hybrid_histogram"}`: Shahrad et al. (ATC 2020), parameters defaulted.
    HybridHistogram(HybridSpec),
}

crate::json::tagged!(KeepAliveSpec, "policy", {
    "fixed" => Fixed(FixedKeepAliveSpec),
    "none" => None(NoKeepAliveSpec),
    "hybrid_histogram" => HybridHistogram(HybridSpec),
});

/// Parameters of the fixed keep-alive.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FixedKeepAliveSpec {
    /// Idle time before eviction, seconds (>= 0; 0 evicts as soon as the instance idles).
    pub idle_s: f64,
}

/// `none` takes no parameters.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NoKeepAliveSpec {}

fn d_bin_s() -> f64 {
    60.0
}
fn d_range_s() -> f64 {
    4.0 * 3600.0
}
fn d_head() -> f64 {
    5.0
}
fn d_tail() -> f64 {
    99.0
}
fn d_margin() -> f64 {
    0.10
}
fn d_min_samples() -> u32 {
    10
}
fn d_cv() -> f64 {
    2.0
}
fn d_oob() -> f64 {
    0.5
}

/// Parameters of the hybrid histogram policy (defaults from the paper where it gives them).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HybridSpec {
    /// Histogram bin width, seconds (paper: 1 minute).
    #[serde(default = "d_bin_s")]
    pub bin_s: f64,
    /// Histogram range, seconds (paper: 4 hours).
    #[serde(default = "d_range_s")]
    pub range_s: f64,
    /// Head percentile for the pre-warm window (paper: 5th).
    #[serde(default = "d_head")]
    pub head_percentile: f64,
    /// Tail percentile for the keep-alive window (paper: 99th).
    #[serde(default = "d_tail")]
    pub tail_percentile: f64,
    /// Safety margin (paper: 10 %).
    #[serde(default = "d_margin")]
    pub margin: f64,
    /// In-range idle times needed before the histogram is trusted (our choice).
    #[serde(default = "d_min_samples")]
    pub min_samples: u32,
    /// Minimum coefficient of variation of the bin counts (paper: 2).
    #[serde(default = "d_cv")]
    pub cv_threshold: f64,
    /// Largest fraction of out-of-range idle times before falling back (our choice).
    #[serde(default = "d_oob")]
    pub max_out_of_range: f64,
    /// Keep-alive while not representative, seconds (default: the range).
    #[serde(default)]
    pub fallback_idle_s: Option<f64>,
    /// Keep-alive of an instance that goes idle while other instances of the function are
    /// in memory, seconds (default 600, the paper's fixed baseline; our choice).
    #[serde(default = "d_extra")]
    pub extra_idle_s: f64,
}

fn d_extra() -> f64 {
    600.0
}

/// A validated keep-alive policy.
#[derive(Debug, Clone)]
pub enum KeepAlive {
    /// Evict an instance once it has been idle this long.
    Fixed(SimTime),
    /// Evict as soon as it idles.
    None,
    /// The hybrid histogram policy.
    Hybrid(HybridParams),
    /// A policy of the library user's own (not in scenario files).
    Custom(Arc<dyn KeepAlivePolicy>),
}

impl PartialEq for KeepAlive {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (KeepAlive::Fixed(a), KeepAlive::Fixed(b)) => a == b,
            (KeepAlive::None, KeepAlive::None) => true,
            (KeepAlive::Hybrid(a), KeepAlive::Hybrid(b)) => a == b,
            // The same policy object.
            (KeepAlive::Custom(a), KeepAlive::Custom(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A keep-alive policy of one's own: what [`KeepAlive::Custom`] carries.
///
/// The policy object is shared by every run of a scenario (a sweep runs them on several
/// threads); each function of each run gets its own state from [`start`](Self::start).
pub trait KeepAlivePolicy: std::fmt::Debug + Send + Sync {
    /// A short name, for listings.
    fn name(&self) -> &'static str;
    /// A fresh state for one function, at the start of a run.
    fn start(&self) -> Box<dyn KeepAliveRun>;
}

/// One function's state under a custom keep-alive policy, over one run.
pub trait KeepAliveRun {
    /// A request of the function arrives at `now`, after the function had no request in
    /// flight for `idle` (the idle times the hybrid policy learns from). Not called when
    /// a request was in flight, nor before the function's first request ended.
    fn on_idle_time(&mut self, now: SimTime, idle: SimTime) {
        let _ = (now, idle);
    }
    /// What to do with an on-demand instance of the function that went idle at `now`,
    /// while `others` other instances of the function (any kind, in any state) are in
    /// memory.
    fn decide(&mut self, now: SimTime, others: u32) -> Decision;
}

/// A keep-alive policy's state for one function over a run: the policy and what it has
/// learnt (the hybrid policy's idle-time histogram, a custom policy's own state).
pub enum KeepAliveState {
    /// Keep for a fixed time.
    Fixed(SimTime),
    /// Evict at once.
    None,
    /// The hybrid histogram policy and its histogram (boxed: the fixed policy's state
    /// stays one word, which keeps a function's state compact).
    Hybrid(Box<HybridState>),
    /// A custom policy's state.
    Custom(Box<dyn KeepAliveRun>),
}

/// The hybrid policy's parameters and what it has seen.
pub struct HybridState {
    /// The policy's parameters.
    pub params: HybridParams,
    /// Idle times seen so far.
    pub hist: IdleHistogram,
}

impl KeepAlive {
    /// A fresh state of this policy for one function.
    pub fn start(&self) -> KeepAliveState {
        match self {
            KeepAlive::Fixed(t) => KeepAliveState::Fixed(*t),
            KeepAlive::None => KeepAliveState::None,
            KeepAlive::Hybrid(p) => KeepAliveState::Hybrid(Box::new(HybridState {
                params: p.clone(),
                hist: IdleHistogram::default(),
            })),
            KeepAlive::Custom(p) => KeepAliveState::Custom(p.start()),
        }
    }

    /// Short name for listings.
    pub fn name(&self) -> &'static str {
        match self {
            KeepAlive::Fixed(_) => "fixed",
            KeepAlive::None => "none",
            KeepAlive::Hybrid(_) => "hybrid_histogram",
            KeepAlive::Custom(p) => p.name(),
        }
    }
}

impl KeepAliveState {
    /// Whether the policy learns from idle times (the caller can skip measuring them).
    #[inline]
    pub fn learns(&self) -> bool {
        matches!(self, KeepAliveState::Hybrid(_) | KeepAliveState::Custom(_))
    }

    /// The function was idle for `idle` before a request arrived at `now`.
    #[inline]
    pub fn on_idle_time(&mut self, now: SimTime, idle: SimTime) {
        match self {
            KeepAliveState::Hybrid(h) => h.hist.record(&h.params, idle),
            KeepAliveState::Custom(run) => run.on_idle_time(now, idle),
            KeepAliveState::Fixed(_) | KeepAliveState::None => {}
        }
    }

    /// The decision for an instance of the function that went idle at `now`, while
    /// `others` other instances of the function are in memory.
    #[inline]
    pub fn decide(&mut self, now: SimTime, others: u32) -> Decision {
        match self {
            KeepAliveState::Fixed(ttl) => Decision::KeepUntil(now + *ttl),
            KeepAliveState::None => Decision::EvictNow,
            // Extra capacity: the windows are about the last instance.
            KeepAliveState::Hybrid(h) if others > 0 => Decision::KeepUntil(now + h.params.extra),
            KeepAliveState::Hybrid(h) => match h.hist.windows() {
                None => Decision::KeepUntil(now + h.params.fallback),
                Some((pw, ka)) if pw == SimTime::ZERO => Decision::KeepUntil(now + ka),
                Some((pw, ka)) => Decision::EvictAndPrewarm {
                    prewarm_at: now + pw,
                    until: now + ka,
                },
            },
            KeepAliveState::Custom(run) => run.decide(now, others),
        }
    }
}

/// Validated hybrid parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridParams {
    /// Bin width.
    pub bin: SimTime,
    /// Number of bins.
    pub bins: usize,
    /// Head percentile, 0..=100.
    pub head_percentile: f64,
    /// Tail percentile, 0..=100.
    pub tail_percentile: f64,
    /// Margin, 0..1.
    pub margin: f64,
    /// Samples needed.
    pub min_samples: u32,
    /// CV threshold.
    pub cv_threshold: f64,
    /// Out-of-range fraction threshold.
    pub max_out_of_range: f64,
    /// Fallback keep-alive.
    pub fallback: SimTime,
    /// Keep-alive of an instance that is not the function's last.
    pub extra: SimTime,
}

/// What to do with an instance that just went idle at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Keep it warm until this instant.
    KeepUntil(SimTime),
    /// Evict it now.
    EvictNow,
    /// Evict it now; start a new instance at `prewarm_at` and keep that one until `until`.
    EvictAndPrewarm {
        /// When to start the new instance.
        prewarm_at: SimTime,
        /// When the pre-warmed instance expires.
        until: SimTime,
    },
}

impl KeepAliveSpec {
    /// Validates; `field` is the spec's path for errors.
    pub fn validate(&self, field: &str) -> Result<KeepAlive, FieldError> {
        let at = |f: &str| format!("{field}.{f}");
        match self {
            KeepAliveSpec::Fixed(f) => {
                Ok(KeepAlive::Fixed(check::seconds(f.idle_s, at("idle_s"))?))
            }
            KeepAliveSpec::None(_) => Ok(KeepAlive::None),
            KeepAliveSpec::HybridHistogram(h) => {
                let bin = check::positive_seconds(h.bin_s, at("bin_s"))?;
                let range = check::positive_seconds(h.range_s, at("range_s"))?;
                let bins = (range.0 / bin.0) as usize;
                check::count_within(
                    u32::try_from(bins).unwrap_or(u32::MAX),
                    1,
                    100_000,
                    at("range_s"),
                    "range_s / bin_s",
                )?;
                let head = check::within(
                    h.head_percentile,
                    0.0,
                    100.0,
                    at("head_percentile"),
                    "a percentile",
                )?;
                let tail = check::within(
                    h.tail_percentile,
                    0.0,
                    100.0,
                    at("tail_percentile"),
                    "a percentile",
                )?;
                if tail < head {
                    return Err(FieldError::new(
                        at("tail_percentile"),
                        format!("expected at least head_percentile ({head}), got {tail}"),
                    ));
                }
                let fallback = match h.fallback_idle_s {
                    Some(s) => check::seconds(s, at("fallback_idle_s"))?,
                    None => range,
                };
                check::non_negative(h.cv_threshold, at("cv_threshold"), "a number")?;
                Ok(KeepAlive::Hybrid(HybridParams {
                    bin,
                    bins,
                    head_percentile: head,
                    tail_percentile: tail,
                    margin: check::fraction(h.margin, at("margin"))?,
                    min_samples: h.min_samples,
                    cv_threshold: h.cv_threshold,
                    max_out_of_range: check::fraction(h.max_out_of_range, at("max_out_of_range"))?,
                    fallback,
                    extra: check::seconds(h.extra_idle_s, at("extra_idle_s"))?,
                }))
            }
        }
    }
}

/// Per-function state of the hybrid policy: the idle-time histogram.
#[derive(Debug, Clone, Default)]
pub struct IdleHistogram {
    counts: Vec<u32>,
    in_range: u64,
    out_of_range: u64,
    /// (pre-warm window, keep-alive end) from the current histogram, or `None` while it is
    /// not representative. Recomputed when a sample is added.
    windows: Option<(SimTime, SimTime)>,
}

impl IdleHistogram {
    /// Records one idle time.
    pub fn record(&mut self, p: &HybridParams, idle: SimTime) {
        if self.counts.is_empty() {
            self.counts = vec![0; p.bins];
        }
        let bin = (idle.0 / p.bin.0) as usize;
        if bin < p.bins {
            self.counts[bin] += 1;
            self.in_range += 1;
        } else {
            self.out_of_range += 1;
        }
        self.windows = self.compute(p);
    }

    fn compute(&self, p: &HybridParams) -> Option<(SimTime, SimTime)> {
        let total = self.in_range + self.out_of_range;
        if self.in_range < u64::from(p.min_samples.max(1))
            || self.out_of_range as f64 > p.max_out_of_range * total as f64
        {
            return None;
        }
        let n = self.counts.len() as f64;
        let mean = self.in_range as f64 / n;
        let var = self
            .counts
            .iter()
            .map(|&c| (c as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        if var.sqrt() / mean < p.cv_threshold {
            return None;
        }
        // The bin holding the q-th percentile: first bin whose cumulative count reaches
        // q% of the in-range samples.
        let bin_of = |q: f64| {
            let need = (q / 100.0 * self.in_range as f64).max(1.0);
            let mut cum = 0u64;
            for (i, &c) in self.counts.iter().enumerate() {
                cum += u64::from(c);
                if cum as f64 >= need {
                    return i;
                }
            }
            self.counts.len() - 1
        };
        let head = p.bin.0 as f64 * bin_of(p.head_percentile) as f64;
        let tail = p.bin.0 as f64 * (bin_of(p.tail_percentile) + 1) as f64;
        Some((
            SimTime((head * (1.0 - p.margin)).round() as u64),
            SimTime((tail * (1.0 + p.margin)).round() as u64),
        ))
    }

    /// The current (pre-warm, keep-alive end) windows, `None` while not representative.
    pub fn windows(&self) -> Option<(SimTime, SimTime)> {
        self.windows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hybrid policy's decision at time 0 with histogram `hist`, for the function's
    /// last instance.
    fn decide_with(params: HybridParams, hist: IdleHistogram) -> Decision {
        KeepAliveState::Hybrid(Box::new(HybridState { params, hist })).decide(SimTime::ZERO, 0)
    }

    fn hybrid() -> HybridParams {
        let spec: KeepAliveSpec =
            serde_json::from_str(r#"{"policy": "hybrid_histogram"}"#).unwrap();
        match spec.validate("k").unwrap() {
            KeepAlive::Hybrid(p) => p,
            _ => unreachable!(),
        }
    }

    fn hybrid_with(extra: &str) -> HybridParams {
        let spec: KeepAliveSpec =
            serde_json::from_str(&format!(r#"{{"policy": "hybrid_histogram"{extra}}}"#)).unwrap();
        match spec.validate("k").unwrap() {
            KeepAlive::Hybrid(p) => p,
            _ => unreachable!(),
        }
    }

    /// The defaults are the paper's (Shahrad et al., ATC 2020, section 4.2: 1-minute bins
    /// over 4 hours, 5th and 99th percentiles, a 10 % margin, a CV threshold of 2) and the
    /// documented ones where it gives none (10 samples, half out of range at most; the
    /// fallback keeps an instance the whole range).
    #[test]
    fn hybrid_defaults_are_the_papers() {
        let p = hybrid();
        assert_eq!(p.bin, SimTime::from_secs(60.0));
        assert_eq!(p.bins, 240);
        assert_eq!((p.head_percentile, p.tail_percentile), (5.0, 99.0));
        assert_eq!(p.margin, 0.10);
        assert_eq!(p.cv_threshold, 2.0);
        assert_eq!(p.min_samples, 10);
        assert_eq!(p.max_out_of_range, 0.5);
        assert_eq!(p.fallback, SimTime::from_secs(4.0 * 3600.0));
    }

    /// Equal percentiles are a valid (one-bin) window; a tail below the head is refused.
    #[test]
    fn the_tail_may_equal_the_head_but_not_fall_below_it() {
        let p = hybrid_with(r#", "head_percentile": 50, "tail_percentile": 50"#);
        assert_eq!((p.head_percentile, p.tail_percentile), (50.0, 50.0));
        let spec: KeepAliveSpec = serde_json::from_str(
            r#"{"policy": "hybrid_histogram", "head_percentile": 50, "tail_percentile": 49}"#,
        )
        .unwrap();
        let e = spec.validate("k").unwrap_err();
        assert_eq!(e.field, "k.tail_percentile");
        assert!(
            e.message.contains("expected at least head_percentile (50)"),
            "{}",
            e.message
        );
    }

    /// Five 1-minute bins. Ten idle times in bin 0 give counts [10, 0, 0, 0, 0]: mean 2,
    /// variance (64 + 4·4) / 5 = 16, CV exactly 2, which reaches a threshold of 2 (the
    /// histogram is representative) but not one of 2.01. An idle time of exactly 5 minutes
    /// lies past the last bin: out of range. With ten in range and ten out (half, the
    /// limit) the histogram still counts; an eleventh out of range tips it over.
    #[test]
    fn representativeness_boundaries_by_hand() {
        let p = hybrid_with(r#", "range_s": 300, "margin": 0.5"#);
        assert_eq!(p.bins, 5);
        let mut h = IdleHistogram::default();
        for _ in 0..10 {
            h.record(&p, SimTime::from_secs(30.0));
        }
        // Head and tail in bin 0: PW = 0 × 0.5, KA = 60 s × (1 + 0.5).
        assert_eq!(h.windows(), Some((SimTime::ZERO, SimTime::from_secs(90.0))));
        let stricter = hybrid_with(r#", "range_s": 300, "margin": 0.5, "cv_threshold": 2.01"#);
        assert_eq!(h.compute(&stricter), None, "CV 2 is below 2.01");
        for _ in 0..10 {
            h.record(&p, SimTime::from_secs(300.0));
        }
        assert_eq!(
            (h.in_range, h.out_of_range),
            (10, 10),
            "5 min is past the last bin"
        );
        assert!(h.windows().is_some(), "half out of range is allowed");
        h.record(&p, SimTime::from_secs(300.0));
        assert_eq!(h.windows(), None, "11 of 21 out of range is over half");
    }

    /// Head and tail in different bins: ten idle times of 2.5 min and ten of 3.5 min with a
    /// 5 % head and a 95 % tail: head bin 2, tail bin 3, so PW = 120 s × (1 − 0.25) = 90 s
    /// and KA = 240 s × 1.25 = 300 s (CV of [0, 0, 10, 10, 0] is √6 / 2 ≈ 1.22, over a
    /// threshold of 1).
    #[test]
    fn windows_with_a_margin_by_hand() {
        let p = hybrid_with(
            r#", "range_s": 300, "margin": 0.25, "cv_threshold": 1, "tail_percentile": 95"#,
        );
        let mut h = IdleHistogram::default();
        for _ in 0..10 {
            h.record(&p, SimTime::from_secs(150.0));
            h.record(&p, SimTime::from_secs(210.0));
        }
        assert_eq!(
            h.windows(),
            Some((SimTime::from_secs(90.0), SimTime::from_secs(300.0)))
        );
    }

    /// Policies compare by kind and parameters; custom ones by identity (the same object).
    #[test]
    fn keep_alive_equality() {
        #[derive(Debug)]
        struct Mine;
        impl KeepAlivePolicy for Mine {
            fn name(&self) -> &'static str {
                "mine"
            }
            fn start(&self) -> Box<dyn KeepAliveRun> {
                unreachable!()
            }
        }
        let fixed = |s: f64| KeepAlive::Fixed(SimTime::from_secs(s));
        let mine: Arc<dyn KeepAlivePolicy> = Arc::new(Mine);
        let custom = KeepAlive::Custom(mine.clone());
        assert_eq!(fixed(60.0), fixed(60.0));
        assert_ne!(fixed(60.0), fixed(61.0));
        assert_eq!(KeepAlive::None, KeepAlive::None);
        assert_ne!(KeepAlive::None, fixed(0.0));
        assert_eq!(KeepAlive::Hybrid(hybrid()), KeepAlive::Hybrid(hybrid()));
        assert_ne!(
            KeepAlive::Hybrid(hybrid()),
            KeepAlive::Hybrid(hybrid_with(r#", "margin": 0.2"#))
        );
        assert_eq!(custom, KeepAlive::Custom(mine));
        assert_ne!(custom, KeepAlive::Custom(Arc::new(Mine)));
        let names: Vec<&str> = [
            fixed(1.0),
            KeepAlive::None,
            KeepAlive::Hybrid(hybrid()),
            custom,
        ]
        .iter()
        .map(KeepAlive::name)
        .collect();
        assert_eq!(names, ["fixed", "none", "hybrid_histogram", "mine"]);
    }

    /// Idle times all in the 29-minute bin: head edge 29 min, tail edge 30 min, so
    /// PW = 29 × 0.9 = 26.1 min and KA = 30 × 1.1 = 33 min (hand-computed).
    #[test]
    fn windows_come_from_bin_edges_with_margin() {
        let p = hybrid();
        let mut h = IdleHistogram::default();
        for i in 0..9 {
            h.record(&p, SimTime::from_secs(29.0 * 60.0 + i as f64));
            assert_eq!(h.windows(), None, "not representative before 10 samples");
        }
        h.record(&p, SimTime::from_secs(29.5 * 60.0));
        assert_eq!(
            h.windows(),
            Some((
                SimTime::from_secs(26.1 * 60.0),
                SimTime::from_secs(33.0 * 60.0)
            ))
        );
        let d = decide_with(p, h);
        assert_eq!(
            d,
            Decision::EvictAndPrewarm {
                prewarm_at: SimTime::from_secs(1566.0),
                until: SimTime::from_secs(1980.0)
            }
        );
    }

    /// The windows decide only about the last instance: with another instance in memory,
    /// one going idle is kept `extra_idle_s` (600 s by default), whatever the histogram says
    /// (here it would pre-warm after 26.1 minutes).
    #[test]
    fn an_instance_that_is_not_the_last_keeps_the_extra_keep_alive() {
        let p = hybrid();
        let mut h = IdleHistogram::default();
        for _ in 0..10 {
            h.record(&p, SimTime::from_secs(29.5 * 60.0));
        }
        let mut state = KeepAliveState::Hybrid(Box::new(HybridState { params: p, hist: h }));
        let now = SimTime::from_secs(100.0);
        assert_eq!(
            state.decide(now, 2),
            Decision::KeepUntil(SimTime::from_secs(700.0))
        );
        assert!(matches!(
            state.decide(now, 0),
            Decision::EvictAndPrewarm { .. }
        ));
    }

    /// Short idle times: head in bin 0 gives PW = 0, so the instance is kept until KA.
    #[test]
    fn short_idle_times_keep_the_instance() {
        let p = hybrid();
        let mut h = IdleHistogram::default();
        for i in 0..20 {
            h.record(&p, SimTime::from_secs(5.0 + i as f64 * 5.0)); // 5..100 s: bins 0 and 1
        }
        // 99th percentile falls in bin 1 (60..120 s): KA = 120 × 1.1 = 132 s.
        assert_eq!(
            decide_with(p, h),
            Decision::KeepUntil(SimTime::from_secs(132.0))
        );
    }

    /// Mostly out-of-range idle times fall back to the fixed keep-alive (4 h by default).
    #[test]
    fn out_of_range_idle_times_fall_back() {
        let p = hybrid();
        let mut h = IdleHistogram::default();
        for _ in 0..10 {
            h.record(&p, SimTime::from_secs(60.0));
        }
        for _ in 0..11 {
            h.record(&p, SimTime::from_secs(5.0 * 3600.0));
        }
        assert_eq!(
            decide_with(p, h),
            Decision::KeepUntil(SimTime::from_secs(4.0 * 3600.0))
        );
    }
}
