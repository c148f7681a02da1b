//! The core checked against queueing theory.
//!
//! Tolerances are derived from the sample size: a Bernoulli proportion's standard error
//! sqrt(p(1−p)/n), or the standard error across independent replications. Each test also
//! checks that its standard error is small enough to tell the right model from a plausibly
//! wrong one (an off-by-one limit, a keep-alive measured from the wrong instant).

use crate::common::*;

/// Erlang's loss formula B(c, a), by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)).
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

#[test]
fn erlang_b_matches_tabulated_values() {
    // Standard table values.
    assert!((erlang_b(1, 1.0) - 0.5).abs() < 1e-12);
    assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
    assert!((erlang_b(10, 8.0) - 0.121_661).abs() < 1e-6);
}

/// One function, Poisson rate λ, executions and cold starts of 1 µs, fixed keep-alive T.
/// With executions that short there is one instance, and a request is cold exactly when the
/// gap since the previous request exceeds T: probability e^(−λT), independently per request.
#[test]
fn cold_start_probability_is_exp_minus_lambda_t() {
    for (rate, idle_s, seed) in [(1.0f64, 1.0f64, 1), (0.5, 4.0, 2), (2.0, 0.25, 3)] {
        let s = scenario(&format!(
            r#"{{"name": "ka", "seed": {seed}, "duration_s": {},
              "functions": [{{"name": "f", "runtime": "nodejs",
                "exec_ms": {{"dist": "const", "value": 0.001}},
                "cold_start_ms": {{"dist": "const", "value": 0.001}},
                "keep_alive": {{"policy": "fixed", "idle_s": {idle_s}}},
                "workload": {{"kind": "poisson", "rate_per_s": {rate}}}}}]}}"#,
            200_000.0 / rate
        ));
        let r = run(&s);
        let n = (r.total.warm_starts + r.total.cold_starts) as f64;
        let p = (-rate * idle_s).exp();
        let se = (p * (1.0 - p) / n).sqrt();
        let got = r.total.cold_start_ratio.unwrap();
        assert!(
            (got - p).abs() < 4.0 * se,
            "λ={rate} T={idle_s}: cold ratio {got}, expected {p} ± {}",
            4.0 * se
        );
        // Power: a keep-alive 10 % longer or shorter would be detected.
        let shifted = (-rate * idle_s * 1.1).exp();
        assert!(4.0 * se < (p - shifted).abs() / 2.0);
    }
}

/// Mean and standard error, over `reps` replications, of `metric` of scenario `json`
/// (with `{seed}` substituted).
fn replicate(json: &str, reps: u64, metric: impl Fn(&faassim::RunResult) -> f64) -> (f64, f64) {
    let xs: Vec<f64> = (0..reps)
        .map(|seed| {
            let s = scenario(&json.replace("{seed}", &seed.to_string()));
            metric(&run(&s))
        })
        .collect();
    mean_se(&xs)
}

/// A concurrency limit c with synchronous throttling and a keep-alive long enough that
/// instances stay warm is an M/G/c/c loss system: the throttled fraction is Erlang B(c, λ·E[S])
/// whatever the service distribution (insensitivity), here exponential and lognormal (σ = 1)
/// with the same mean.
#[test]
fn throttle_ratio_is_erlang_b() {
    let (c, rate, mean_s) = (10u32, 8.0, 1.0);
    let expected = erlang_b(c, rate * mean_s);
    // Lognormal with σ = 1 and mean 1000 ms has mu = ln(1000) − 1/2.
    let lognormal = format!(
        r#"{{"dist": "lognormal", "mu": {}, "sigma": 1}}"#,
        (1000.0f64).ln() - 0.5
    );
    for exec in [
        r#"{"dist": "exponential", "mean": 1000}"#.to_owned(),
        lognormal,
    ] {
        let json = format!(
            r#"{{"name": "erlang", "seed": {{seed}}, "duration_s": 2100, "warmup_s": 100,
              "functions": [{{"name": "f", "runtime": "nodejs", "max_concurrency": {c},
                "exec_ms": {exec},
                "cold_start_ms": {{"dist": "const", "value": 0}},
                "keep_alive": {{"policy": "fixed", "idle_s": 100000}},
                "workload": {{"kind": "poisson", "rate_per_s": {rate}}}}}]}}"#
        );
        let (got, se) = replicate(&json, 20, |r| r.total.throttle_ratio.unwrap());
        assert!(
            (got - expected).abs() < 4.0 * se,
            "{exec}: throttle ratio {got}, Erlang B {expected} ± {}",
            4.0 * se
        );
        // Power: one server more or fewer would be detected.
        let nearest = (erlang_b(c + 1, rate * mean_s) - expected)
            .abs()
            .min((erlang_b(c - 1, rate * mean_s) - expected).abs());
        assert!(
            4.0 * se < nearest / 2.0,
            "se {se} too large to tell c±1 apart"
        );
    }
}

/// With no binding limit the pool is M/G/∞: the mean number of busy instances is λ·E[S].
/// And Little's law ties the time-average of in-flight requests (starting + busy) to the
/// arrival rate times the mean response time.
#[test]
fn unlimited_pool_is_m_g_infinity_and_littles_law_holds() {
    let (rate, mean_ms) = (50.0, 200.0f64);
    let json = format!(
        r#"{{"name": "mginf", "seed": {{seed}}, "duration_s": 2000,
          "functions": [{{"name": "f", "runtime": "python",
            "exec_ms": {{"dist": "lognormal", "mu": {}, "sigma": 1}},
            "keep_alive": {{"policy": "fixed", "idle_s": 30}},
            "workload": {{"kind": "poisson", "rate_per_s": {rate}}}}}]}}"#,
        mean_ms.ln() - 0.5
    );
    let expected = rate * mean_ms / 1000.0;
    let (got, se) = replicate(&json, 10, |r| r.total.instances.mean_busy);
    assert!(
        (got - expected).abs() < 4.0 * se,
        "mean busy {got}, expected λE[S] = {expected} ± {}",
        4.0 * se
    );
    assert!(
        4.0 * se < 0.05 * expected,
        "se {se} too large to detect a 5 % error"
    );

    // Little's law on one run, with the boundary effect bounded: requests in flight at the
    // window's edges are at most max_total at each edge, each for at most the longest
    // response time, so |L − λW| ≤ 2 · max_total · max_latency / window.
    let s = scenario(&json.replace("{seed}", "99"));
    let r = run(&s);
    let t = &r.total;
    let window_s = 2000.0;
    let l = t.instances.mean_busy + t.instances.mean_provisioning;
    let lambda_w = t.invocations as f64 / window_s * t.latency_ms.mean.unwrap() / 1000.0;
    let bound = 2.0 * t.instances.max_total as f64 * t.latency_ms.max.unwrap() / 1000.0 / window_s;
    assert!(
        (l - lambda_w).abs() <= bound,
        "L = {l}, λW = {lambda_w}, bound {bound}"
    );
    assert!(bound < 0.05 * l, "bound {bound} too loose to be a check");
}
