//! Closed forms a report draws beside simulated figures, so a reader sees at once where the
//! simulation follows theory and where the model's extra rules take it away.
//!
//! - [`cold_start_probability`]: one instance kept `T` seconds after each request, Poisson
//!   arrivals at rate λ, executions short against the gaps: a request is cold exactly when
//!   the gap since the previous one exceeds `T`, which for exponential gaps happens with
//!   probability e^(−λT).
//! - [`erlang_b`]: the share of requests refused by `c` servers with no queue under offered
//!   load `a = λ · E[S]` erlangs (Erlang's loss formula; it depends on the service time only
//!   through its mean). A function capped at `c` concurrent executions with throttling
//!   instead of queueing is such a system when cold starts are rare.

/// e^(−λT): the probability that a request finds no warm instance (see the module docs).
pub fn cold_start_probability(rate_per_s: f64, keep_alive_s: f64) -> f64 {
    (-rate_per_s * keep_alive_s).exp()
}

/// Erlang B: the blocking probability of `c` servers under `a` erlangs, by the stable
/// recurrence B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tabulated values: B(1, 1) = 1/2 by hand (a/(1+a)); B(2, 1) = (1/2)/(1 + 1 + 1/2) = 1/5;
    /// B(10, 5) = 0.018385 (standard Erlang B tables).
    #[test]
    fn erlang_b_matches_hand_and_table_values() {
        assert!((erlang_b(1, 1.0) - 0.5).abs() < 1e-15);
        assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-15);
        assert!((erlang_b(10, 5.0) - 0.018385).abs() < 5e-7);
        assert_eq!(erlang_b(0, 3.0), 1.0);
    }

    #[test]
    fn cold_start_probability_is_e_to_the_minus_lambda_t() {
        assert!((cold_start_probability(0.1, 10.0) - (-1.0f64).exp()).abs() < 1e-15);
        assert_eq!(cold_start_probability(5.0, 0.0), 1.0);
    }
}
