//! Markov-modulated Poisson arrivals: `mmpp` (any number of states) and `on_off` (two).
//!
//! A continuous-time Markov chain moves between states; in state i arrivals are Poisson with
//! rate λᵢ, and the chain stays an exponential time with mean mᵢ before it jumps to another
//! state (uniformly chosen among the others unless a `transitions` matrix says otherwise).
//! The chain starts in its stationary distribution unless `initial_state` is given, so that
//! the arrival rate is the long-run rate Σ πᵢ λᵢ from time 0 on.

use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use serde::Deserialize;

use super::at_secs;
use crate::config::check::{self, non_negative};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::time::SimTime;

/// `{"kind": "mmpp", "states": [...], "transitions": [[...]], "initial_state": 0}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MmppSpec {
    /// At least two states.
    pub states: Vec<StateSpec>,
    /// Row i: the probabilities of jumping from state i to each state (the diagonal must
    /// be 0, rows must sum to 1). Default: uniform over the other states.
    #[serde(default)]
    pub transitions: Option<Vec<Vec<f64>>>,
    /// The state at time 0. Default: drawn from the stationary distribution.
    #[serde(default)]
    pub initial_state: Option<usize>,
}

/// One state of an MMPP.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StateSpec {
    /// Poisson rate in this state, ≥ 0.
    pub rate_per_s: f64,
    /// Mean time spent in the state per visit (exponential), > 0.
    pub mean_sojourn_s: f64,
}

/// `{"kind": "on_off", "on_rate_per_s": 100, "off_rate_per_s": 0, "mean_on_s": 10, "mean_off_s": 290}`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OnOffSpec {
    /// Rate while on, > 0.
    pub on_rate_per_s: f64,
    /// Rate while off, ≥ 0 (default 0).
    #[serde(default)]
    pub off_rate_per_s: f64,
    /// Mean length of an on period (exponential), > 0.
    pub mean_on_s: f64,
    /// Mean length of an off period (exponential), > 0.
    pub mean_off_s: f64,
    /// `"on"` or `"off"` at time 0. Default: on with probability mean_on / (mean_on + mean_off).
    #[serde(default)]
    pub initial_state: Option<OnOff>,
}

/// The two states of `on_off`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnOff {
    /// The high rate.
    On,
    /// The low rate.
    Off,
}

/// A validated MMPP.
#[derive(Debug, Clone, PartialEq)]
pub struct Mmpp {
    rates: Vec<f64>,
    sojourn_s: Vec<f64>,
    /// Cumulative transition probabilities per row; `None`: uniform over the others.
    cumulative: Option<Vec<Vec<f64>>>,
    initial: Option<usize>,
    /// Long-run fraction of time in each state.
    stationary: Vec<f64>,
}

/// The shortest mean sojourn: 1 ms. The process keeps its clock in `f64` seconds, whose
/// resolution after 100 years is half a microsecond; shorter sojourns would mostly not
/// advance it (a run that never ends), and no traffic changes state that fast.
const MIN_SOJOURN_S: f64 = 1e-3;

/// A mean sojourn in seconds, in `[MIN_SOJOURN_S, MAX_SECONDS]`.
fn sojourn_s(v: f64, field: String) -> Result<f64, FieldError> {
    // Range-checked as seconds, kept as written (1e-12 s rounds to 0 ns).
    check::positive_seconds(v, field.as_str())?;
    if v < MIN_SOJOURN_S {
        return Err(FieldError::new(
            field,
            format!(
                "expected a mean sojourn of at least {MIN_SOJOURN_S} s (the process's clock \
                 cannot resolve faster switching over a long run), got {}",
                check::shown(v)
            ),
        ));
    }
    Ok(v)
}

impl OnOffSpec {
    /// Validates into a two-state MMPP (state 0 on, state 1 off).
    pub fn validate(&self, field: &str) -> Result<Mmpp, FieldError> {
        let on = check::rate(self.on_rate_per_s, format!("{field}.on_rate_per_s"))?;
        let off = check::rate_or_zero(self.off_rate_per_s, format!("{field}.off_rate_per_s"))?;
        let mean_on = sojourn_s(self.mean_on_s, format!("{field}.mean_on_s"))?;
        let mean_off = sojourn_s(self.mean_off_s, format!("{field}.mean_off_s"))?;
        Ok(Mmpp::new(
            vec![on, off],
            vec![mean_on, mean_off],
            None,
            self.initial_state.map(|s| match s {
                OnOff::On => 0,
                OnOff::Off => 1,
            }),
        ))
    }
}

impl MmppSpec {
    /// Validates: rates ≥ 0 (one > 0), sojourns > 0, a stochastic irreducible matrix.
    pub fn validate(&self, field: &str) -> Result<Mmpp, FieldError> {
        let n = self.states.len();
        if n < 2 {
            return Err(FieldError::new(
                format!("{field}.states"),
                format!("expected at least 2 states, got {n} (one state is `poisson`)"),
            ));
        }
        let mut rates = Vec::with_capacity(n);
        let mut sojourn = Vec::with_capacity(n);
        for (i, s) in self.states.iter().enumerate() {
            rates.push(check::rate_or_zero(
                s.rate_per_s,
                format!("{field}.states[{i}].rate_per_s"),
            )?);
            sojourn.push(sojourn_s(
                s.mean_sojourn_s,
                format!("{field}.states[{i}].mean_sojourn_s"),
            )?);
        }
        if rates.iter().all(|&r| r == 0.0) {
            return Err(FieldError::new(
                format!("{field}.states"),
                "expected at least one state with rate_per_s > 0",
            ));
        }
        let cumulative = match &self.transitions {
            None => None,
            Some(rows) => Some(validate_matrix(rows, n, &format!("{field}.transitions"))?),
        };
        if let Some(i) = self.initial_state
            && i >= n
        {
            return Err(FieldError::new(
                format!("{field}.initial_state"),
                format!("expected a state index below {n}, got {i}"),
            ));
        }
        Ok(Mmpp::new(rates, sojourn, cumulative, self.initial_state))
    }
}

/// Checks a transition matrix and returns its rows as cumulative sums.
fn validate_matrix(rows: &[Vec<f64>], n: usize, field: &str) -> Result<Vec<Vec<f64>>, FieldError> {
    if rows.len() != n {
        return Err(FieldError::new(
            field,
            format!("expected {n} rows (one per state), got {}", rows.len()),
        ));
    }
    let mut cumulative = Vec::with_capacity(n);
    for (i, row) in rows.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if row.len() != n {
            return Err(FieldError::new(
                at,
                format!("expected {n} probabilities, got {}", row.len()),
            ));
        }
        for (j, &p) in row.iter().enumerate() {
            non_negative(p, format!("{at}[{j}]"), "a probability")?;
        }
        if row[i] != 0.0 {
            return Err(FieldError::new(
                format!("{at}[{i}]"),
                "expected 0: a jump from a state to itself is not a jump (lengthen its mean_sojourn_s instead)",
            ));
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > 1e-9 {
            return Err(FieldError::new(
                at,
                format!("expected probabilities summing to 1, got {sum}"),
            ));
        }
        let mut acc = 0.0;
        cumulative.push(
            row.iter()
                .map(|p| {
                    acc += p / sum;
                    acc
                })
                .collect(),
        );
    }
    // Irreducible: every state reachable from state 0, and state 0 from every state.
    let reach = |forward: bool| {
        let mut seen = vec![false; n];
        let mut stack = vec![0];
        seen[0] = true;
        while let Some(i) = stack.pop() {
            for j in 0..n {
                let p = if forward { rows[i][j] } else { rows[j][i] };
                if p > 0.0 && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        seen
    };
    let (fwd, back) = (reach(true), reach(false));
    if let Some(j) = (0..n).find(|&j| !(fwd[j] && back[j])) {
        return Err(FieldError::new(
            field,
            format!(
                "expected every state to be reachable from every other, but state {j} is not connected both ways with state 0"
            ),
        ));
    }
    Ok(cumulative)
}

/// Solves ν P = ν, Σ ν = 1 for the embedded jump chain (Gaussian elimination with partial
/// pivoting; n is small).
fn embedded_stationary(cumulative: &[Vec<f64>]) -> Vec<f64> {
    let n = cumulative.len();
    let p = |i: usize, j: usize| cumulative[i][j] - if j == 0 { 0.0 } else { cumulative[i][j - 1] };
    // Rows of the system: (Pᵀ − I) ν = 0, with the last equation replaced by Σ ν = 1.
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|r| {
            let mut row: Vec<f64> = (0..n)
                .map(|c| p(c, r) - if c == r { 1.0 } else { 0.0 })
                .collect();
            row.push(0.0);
            row
        })
        .collect();
    a[n - 1] = vec![1.0; n + 1];
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .expect("non-empty");
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col && pivot_row[col] != 0.0 {
                let f = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    (0..n).map(|i| a[i][n] / a[i][i]).collect()
}

impl Mmpp {
    fn new(
        rates: Vec<f64>,
        sojourn_s: Vec<f64>,
        cumulative: Option<Vec<Vec<f64>>>,
        initial: Option<usize>,
    ) -> Mmpp {
        let n = rates.len();
        // Time-stationary π ∝ ν_i m_i (ν: the jump chain's stationary law; uniform when
        // jumps go uniformly to the other states, whose matrix is doubly stochastic).
        let nu = match &cumulative {
            None => vec![1.0 / n as f64; n],
            Some(c) => embedded_stationary(c),
        };
        let weights: Vec<f64> = nu.iter().zip(&sojourn_s).map(|(v, m)| v * m).collect();
        let total: f64 = weights.iter().sum();
        Mmpp {
            rates,
            sojourn_s,
            cumulative,
            initial,
            stationary: weights.iter().map(|w| w / total).collect(),
        }
    }

    /// Σ πᵢ λᵢ.
    pub fn mean_rate_per_s(&self) -> f64 {
        self.stationary
            .iter()
            .zip(&self.rates)
            .map(|(p, r)| p * r)
            .sum()
    }

    /// The long-run fraction of time spent in each state.
    pub fn stationary(&self) -> &[f64] {
        &self.stationary
    }

    /// The highest state rate, per second (what `check::rate` bounds).
    pub fn stated_peak_rate_per_s(&self) -> f64 {
        self.rates.iter().copied().fold(0.0, f64::max)
    }

    /// Every state's rate multiplied by `factor`.
    pub fn scaled(mut self, factor: f64) -> Mmpp {
        for r in &mut self.rates {
            *r *= factor;
        }
        self
    }
}

/// A running MMPP.
#[derive(Debug)]
pub struct MmppSource {
    model: Mmpp,
    state: usize,
    /// Current time, seconds.
    t: f64,
    /// When the current state ends.
    switch_at: f64,
    rng: SimRng,
}

impl MmppSource {
    /// Starts at time 0 in the initial (or a stationary-drawn) state.
    pub fn new(model: Mmpp, mut rng: SimRng) -> MmppSource {
        let state = match model.initial {
            Some(i) => i,
            None => pick(&model.stationary, rng.random::<f64>()),
        };
        // Exponential sojourns are memoryless: the residual sojourn of a stationary start
        // is again exponential with the same mean.
        let first: f64 = Exp1.sample(&mut rng);
        let switch_at = first * model.sojourn_s[state];
        MmppSource {
            model,
            state,
            t: 0.0,
            switch_at,
            rng,
        }
    }

    fn jump(&mut self) {
        let n = self.model.rates.len();
        let u = self.rng.random::<f64>();
        self.state = match &self.model.cumulative {
            Some(c) => c[self.state]
                .iter()
                .position(|&acc| u < acc)
                .unwrap_or(n - 1),
            None => {
                // Uniform over the n − 1 other states.
                let k = ((u * (n - 1) as f64) as usize).min(n - 2);
                if k >= self.state { k + 1 } else { k }
            }
        };
        let e: f64 = Exp1.sample(&mut self.rng);
        self.switch_at = self.t + e * self.model.sojourn_s[self.state];
    }

    /// The next arrival (the process never ends: some state has a positive rate and every
    /// state is visited).
    pub fn next_arrival(&mut self) -> SimTime {
        loop {
            let rate = self.model.rates[self.state];
            if rate > 0.0 {
                let gap: f64 = Exp1.sample(&mut self.rng);
                let candidate = self.t + gap / rate;
                if candidate < self.switch_at {
                    self.t = candidate;
                    return at_secs(candidate);
                }
            }
            // No arrival before the switch; by memorylessness, restart the clock there.
            self.t = self.switch_at;
            self.jump();
        }
    }
}

/// The index i with Σ_{j<i} p_j ≤ u < Σ_{j≤i} p_j.
fn pick(p: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, x) in p.iter().enumerate() {
        acc += x;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stationary_law_of_a_cycle_weights_sojourns() {
        // A deterministic cycle 0 → 1 → 2 → 0 visits each state equally often: ν uniform,
        // so π ∝ sojourn means.
        let spec = MmppSpec {
            states: [1.0, 2.0, 5.0]
                .iter()
                .map(|&m| StateSpec {
                    rate_per_s: 1.0,
                    mean_sojourn_s: m,
                })
                .collect(),
            transitions: Some(vec![
                vec![0.0, 1.0, 0.0],
                vec![0.0, 0.0, 1.0],
                vec![1.0, 0.0, 0.0],
            ]),
            initial_state: None,
        };
        let m = spec.validate("w").unwrap();
        for (got, want) in m.stationary().iter().zip([0.125, 0.25, 0.625]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }
}
