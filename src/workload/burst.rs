//! Bursts: `spike` (N requests at once, or spread uniformly over a short interval) and
//! `hawkes` (a self-exciting process: each arrival raises the rate for a while, so arrivals
//! cluster).

use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use serde::Deserialize;

use super::at_secs;
use crate::config::check::{self, non_negative, positive};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::time::SimTime;

/// `{"kind": "spike", "at_s": 0, "count": 10000, "spread_s": 0, "every_s": 600, "events": 3}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpikeSpec {
    /// Time of the (first) burst, seconds ≥ 0 (default 0).
    #[serde(default)]
    pub at_s: f64,
    /// Requests per burst, ≥ 1.
    pub count: u64,
    /// The burst's requests fall uniformly in [at, at + spread_s) (default 0: all at once).
    #[serde(default)]
    pub spread_s: f64,
    /// Period of repeated bursts, ≥ `spread_s`.
    #[serde(default)]
    pub every_s: Option<f64>,
    /// Number of bursts, ≥ 1 (default 1, or unlimited with `every_s`).
    #[serde(default)]
    pub events: Option<u64>,
}

/// A validated spike.
#[derive(Debug, Clone, PartialEq)]
pub struct Spike {
    at: f64,
    count: u64,
    spread: f64,
    every: f64,
    events: u64,
}

impl SpikeSpec {
    /// Validates.
    pub fn validate(&self, field: &str) -> Result<Spike, FieldError> {
        let at = non_negative(self.at_s, format!("{field}.at_s"), "seconds")?;
        if self.count == 0 {
            return Err(FieldError::new(
                format!("{field}.count"),
                "expected at least 1 request",
            ));
        }
        let spread = non_negative(self.spread_s, format!("{field}.spread_s"), "seconds")?;
        let every = match self.every_s {
            None => f64::INFINITY,
            Some(e) => {
                let e = positive(e, format!("{field}.every_s"), "seconds")?;
                if e < spread {
                    return Err(FieldError::new(
                        format!("{field}.every_s"),
                        format!(
                            "expected at least spread_s = {spread} (bursts must not overlap), got {e}"
                        ),
                    ));
                }
                let mean_rate = self.count as f64 / e;
                if mean_rate > check::MAX_RATE_PER_S {
                    return Err(FieldError::new(
                        format!("{field}.every_s"),
                        format!(
                            "count / every_s is too high: {}",
                            check::rate_limit_message(mean_rate)
                        ),
                    ));
                }
                e
            }
        };
        let events = match (self.events, self.every_s) {
            (Some(0), _) => {
                return Err(FieldError::new(
                    format!("{field}.events"),
                    "expected at least 1 burst",
                ));
            }
            (Some(n), Some(_)) => n,
            (Some(n), None) if n > 1 => {
                return Err(FieldError::new(
                    format!("{field}.events"),
                    format!("{n} bursts need `every_s`, the period at which they repeat"),
                ));
            }
            (Some(_) | None, None) => 1,
            (None, Some(_)) => u64::MAX,
        };
        Ok(Spike {
            at,
            count: self.count,
            spread,
            every,
            events,
        })
    }
}

impl Spike {
    /// count / every_s for endless repetition; 0 for a finite number of bursts.
    pub fn mean_rate_per_s(&self) -> f64 {
        if self.events == u64::MAX {
            self.count as f64 / self.every
        } else {
            0.0
        }
    }

    /// `count × factor`, rounded to the nearest integer; `None` if that is 0.
    pub fn scaled(mut self, factor: f64) -> Option<Spike> {
        let n = (self.count as f64 * factor).round();
        if n < 1.0 {
            return None;
        }
        self.count = n as u64;
        Some(self)
    }
}

/// A running spike.
#[derive(Debug)]
pub struct SpikeSource {
    spec: Spike,
    /// Current burst.
    burst: u64,
    /// Requests of the current burst already given.
    given: u64,
    /// The last uniform order statistic of this burst, in [0, 1].
    x: f64,
    rng: SimRng,
}

impl SpikeSource {
    /// Starts before the first burst.
    pub fn new(spec: Spike, rng: SimRng) -> SpikeSource {
        SpikeSource {
            spec,
            burst: 0,
            given: 0,
            x: 0.0,
            rng,
        }
    }

    /// The next arrival, `None` after the last burst.
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        let s = &self.spec;
        if self.burst >= s.events {
            return None;
        }
        let start = if self.burst == 0 {
            s.at
        } else {
            s.at + self.burst as f64 * s.every
        };
        let t = if s.spread > 0.0 {
            // Sorted uniforms one at a time: given the previous order statistic x, the
            // next of the k = n − i remaining ones is 1 − (1 − x)·V^(1/k), V uniform on
            // (0, 1] (the minimum of k uniforms on (x, 1)). O(1) memory per burst.
            let k = (s.count - self.given) as f64;
            let v = 1.0 - self.rng.random::<f64>();
            self.x = 1.0 - (1.0 - self.x) * v.powf(1.0 / k);
            start + s.spread * self.x.min(1.0)
        } else {
            start
        };
        self.given += 1;
        if self.given == s.count {
            self.given = 0;
            self.x = 0.0;
            self.burst += 1;
        }
        Some(at_secs(t))
    }
}

/// `{"kind": "hawkes", "base_rate_per_s": 1, "branching_ratio": 0.8, "decay_s": 5}`
///
/// λ(t) = μ + Σ_{tᵢ < t} (n/τ) e^(−(t − tᵢ)/τ): every arrival triggers on average n further
/// arrivals, at exponentially distributed delays with mean τ.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HawkesSpec {
    /// μ, the rate of spontaneous arrivals, > 0.
    pub base_rate_per_s: f64,
    /// n, the mean number of arrivals each arrival triggers, in [0, 1) (stationarity).
    pub branching_ratio: f64,
    /// τ, the mean delay of a triggered arrival, > 0.
    pub decay_s: f64,
}

/// A validated Hawkes process.
#[derive(Debug, Clone, PartialEq)]
pub struct Hawkes {
    mu: f64,
    n: f64,
    tau: f64,
}

impl HawkesSpec {
    /// Validates.
    pub fn validate(&self, field: &str) -> Result<Hawkes, FieldError> {
        let mu = check::rate(self.base_rate_per_s, format!("{field}.base_rate_per_s"))?;
        let n = self.branching_ratio;
        // At 1 or more each event begets at least one more on average: bursts never end.
        check::within_excluding_high(n, 0.0, 1.0, format!("{field}.branching_ratio"), "a value")?;
        let tau = positive(self.decay_s, format!("{field}.decay_s"), "seconds")?;
        Ok(Hawkes { mu, n, tau })
    }
}

impl Hawkes {
    /// μ / (1 − n).
    pub fn mean_rate_per_s(&self) -> f64 {
        self.mu / (1.0 - self.n)
    }

    /// The base rate μ, per second (what `check::rate` bounds).
    pub fn stated_peak_rate_per_s(&self) -> f64 {
        self.mu
    }

    /// μ multiplied by `factor`: the mean rate scales by the same factor, the clustering
    /// (n, τ) is kept.
    pub fn scaled(mut self, factor: f64) -> Hawkes {
        self.mu *= factor;
        self
    }
}

/// A running Hawkes process, by Ogata's thinning: between arrivals the intensity only
/// decays, so its current value bounds it until the next candidate.
#[derive(Debug)]
pub struct HawkesSource {
    mu: f64,
    jump: f64,
    tau: f64,
    t: f64,
    /// The excited part of the intensity at `t`.
    excess: f64,
    rng: SimRng,
}

impl HawkesSource {
    /// Starts at time 0 with no history.
    pub fn new(h: &Hawkes, rng: SimRng) -> HawkesSource {
        HawkesSource {
            mu: h.mu,
            jump: h.n / h.tau,
            tau: h.tau,
            t: 0.0,
            excess: 0.0,
            rng,
        }
    }

    /// The next arrival.
    pub fn next_arrival(&mut self) -> SimTime {
        loop {
            let bound = self.mu + self.excess;
            let gap: f64 = Exp1.sample(&mut self.rng);
            let w = gap / bound;
            self.t += w;
            self.excess *= (-w / self.tau).exp();
            if self.rng.random::<f64>() * bound < self.mu + self.excess {
                self.excess += self.jump;
                return at_secs(self.t);
            }
        }
    }
}
