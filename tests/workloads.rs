//! Synthetic workloads checked against their defining properties, and the `--windows`
//! time series against a hand-worked trace.
//!
//! Tolerances come from the sample size. Counts of a (non-homogeneous) Poisson process in
//! disjoint windows are independent Poisson variables with mean ∫λ, so a per-window
//! comparison uses Pearson's χ² = Σ (O − E)² / E over k windows, which has mean k and
//! standard deviation √(2k) (every E here is ≥ 50, where the normal approximation holds);
//! we accept below k + 4√(2k). Single counts use 4 standard deviations of their own
//! distribution: √E for Poisson counts, the derived variance for over-dispersed ones (MMPP,
//! Hawkes), or the standard error across independent seeds (batch means). Each test also
//! checks its power: the same statistic against a plausibly wrong model must fail.

use std::path::Path;

use faassim::SimTime;
use faassim::report::{FanOut, WindowLog};
use faassim::rng::{self, Stream};
use faassim::sim::{Outcome, RequestLog, RequestRecord, Status, ThrottleCause};
use faassim::workload::{Workload, WorkloadSpec};

use crate::common::*;

fn workload(json: &str) -> Workload {
    let spec: WorkloadSpec = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    spec.validate("w", Path::new("."))
        .unwrap_or_else(|e| panic!("{}: {}", e.field, e.message))
}

/// The validation error (field, message) of `json`.
fn invalid(json: &str) -> (String, String) {
    let spec: WorkloadSpec = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let e = spec
        .validate("w", Path::new("."))
        .expect_err("expected a validation error");
    (e.field, e.message)
}

/// Arrival counts in `bins` consecutive windows of `width_s` seconds from 0. Checks that
/// arrivals never decrease.
fn counts(w: &Workload, seed: u64, width_s: f64, bins: usize) -> Vec<u64> {
    let mut s = w.start(rng::stream(seed, 0, Stream::Arrivals)).unwrap();
    let horizon = SimTime::from_secs(width_s * bins as f64);
    let width = SimTime::from_secs(width_s);
    let mut c = vec![0u64; bins];
    let mut last = SimTime::ZERO;
    while let Some(t) = s.next_arrival().unwrap() {
        assert!(t >= last, "arrivals decreased: {t} after {last}");
        last = t;
        if t >= horizon {
            break;
        }
        c[(t.0 / width.0) as usize] += 1;
    }
    c
}

/// The first `n` arrival times (fewer if the source ends), seconds.
fn times(w: &Workload, seed: u64, n: usize) -> Vec<f64> {
    let mut s = w.start(rng::stream(seed, 0, Stream::Arrivals)).unwrap();
    let mut v = Vec::new();
    while v.len() < n {
        match s.next_arrival().unwrap() {
            Some(t) => v.push(t.as_secs()),
            None => break,
        }
    }
    v
}

fn chi2(observed: &[u64], expected: &[f64]) -> f64 {
    observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| (o as f64 - e).powi(2) / e)
        .sum()
}

/// k + 4√(2k): about 4 standard deviations above χ²'s mean.
fn chi2_limit(k: usize) -> f64 {
    k as f64 + 4.0 * (2.0 * k as f64).sqrt()
}

/// Checks observed counts against `expected` and that `wrong` (a plausible mistake) would
/// have been rejected.
#[track_caller]
fn assert_counts_fit(observed: &[u64], expected: &[f64], wrong: &[f64], what: &str) {
    assert!(
        expected.iter().all(|&e| e >= 50.0),
        "{what}: bins too small"
    );
    let (x, limit) = (chi2(observed, expected), chi2_limit(expected.len()));
    assert!(
        x < limit,
        "{what}: χ² = {x:.1} over {} bins, limit {limit:.1}",
        expected.len()
    );
    let y = chi2(observed, wrong);
    assert!(
        y > 2.0 * limit,
        "{what}: no power, χ² against the wrong model is only {y:.1}"
    );
}

/// A stationary two-state MMPP (on/off) has long-run rate λ̄ = π_on λ_on + π_off λ_off with
/// π_on = m_on / (m_on + m_off), and its counts are over-dispersed. With switching rate
/// r = 1/m_on + 1/m_off, Cov(Λ(0), Λ(s)) = π_on π_off (λ_on − λ_off)² e^(−rs) =: c e^(−rs),
/// and a doubly stochastic Poisson count has
/// Var N(T) = λ̄T + Var ∫Λ = λ̄T + 2c (rT − 1 + e^(−rT)) / r².
#[test]
fn on_off_matches_stationary_mean_and_mmpp_variance() {
    let w = workload(
        r#"{"kind": "on_off", "on_rate_per_s": 50, "off_rate_per_s": 2,
            "mean_on_s": 10, "mean_off_s": 30}"#,
    );
    let (on, off, m_on, m_off) = (50.0, 2.0, 10.0, 30.0);
    let p_on = m_on / (m_on + m_off);
    let mean = p_on * on + (1.0 - p_on) * off; // 14 per second
    assert_close(w.mean_rate_per_s().unwrap(), mean);
    let r = 1.0 / m_on + 1.0 / m_off;
    let c = p_on * (1.0 - p_on) * (on - off) * (on - off);
    let var = |t: f64| mean * t + 2.0 * c * (r * t - 1.0 + (-r * t).exp()) / (r * r);

    // 400 windows of 1,000 s: the total, and the spread of the window counts.
    let (width, k) = (1000.0, 400);
    let n = counts(&w, 3, width, k);
    let total: u64 = n.iter().sum();
    let t = width * k as f64;
    let sd = var(t).sqrt();
    assert!(
        (total as f64 - mean * t).abs() < 4.0 * sd,
        "{total} arrivals in {t} s, expected {} ± {}",
        mean * t,
        4.0 * sd
    );
    // Power: forgetting the off-state rate (12.5/s) would be rejected.
    assert!(4.0 * sd < (mean - p_on * on) * t / 2.0);

    // Windows 1,000 s apart are nearly independent (correlation time 1/r = 7.5 s), so the
    // sample variance estimates Var N(1000) with relative standard error √(2/(k−1)).
    let xs: Vec<f64> = n.iter().map(|&x| x as f64).collect();
    let m = xs.iter().sum::<f64>() / k as f64;
    let s2 = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1) as f64;
    let rel = (2.0 / (k - 1) as f64).sqrt();
    let ratio = s2 / var(width);
    assert!(
        (ratio - 1.0).abs() < 4.0 * rel,
        "window variance {s2:.0}, expected {:.0} (ratio {ratio:.3})",
        var(width)
    );
    // Power: a Poisson process of the same mean (variance λ̄W) is far outside.
    assert!((mean * width / var(width) - 1.0).abs() > 8.0 * rel);
}

/// Three states with an explicit jump matrix. The embedded jump chain
/// P = [[0, 1, 0], [½, 0, ½], [1, 0, 0]] has stationary law ν = (0.4, 0.4, 0.2) (ν₁ = ν₀,
/// ν₂ = ν₁/2); time shares are π ∝ νᵢ mᵢ = (24, 8, 1)/33, so λ̄ = (0·24 + 10·8 + 100·1)/33
/// = 180/33. Counts are over-dispersed: the tolerance is the standard error of the mean
/// count over 40 independent seeds (batch means).
#[test]
fn mmpp_long_run_rate_is_sum_of_pi_lambda() {
    let w = workload(
        r#"{"kind": "mmpp", "states": [
              {"rate_per_s": 0, "mean_sojourn_s": 60},
              {"rate_per_s": 10, "mean_sojourn_s": 20},
              {"rate_per_s": 100, "mean_sojourn_s": 5}],
            "transitions": [[0, 1, 0], [0.5, 0, 0.5], [1, 0, 0]]}"#,
    );
    let expected = 180.0 / 33.0;
    assert_close(w.mean_rate_per_s().unwrap(), expected);
    let t = 5000.0;
    let per_seed: Vec<f64> = (0..40)
        .map(|seed| counts(&w, seed, t, 1)[0] as f64 / t)
        .collect();
    let (got, se) = mean_se(&per_seed);
    assert!(
        (got - expected).abs() < 4.0 * se,
        "rate {got}, expected {expected} ± {}",
        4.0 * se
    );
    // Power: with jumps uniform over the other states (π ∝ m), λ̄ would be 700/85.
    assert!(4.0 * se < (700.0 / 85.0 - expected) / 2.0, "se {se}");
}

/// ∫ over [u0, u1] of (1 + a cos(2π(u/3600 − p)/24)) du, u in seconds.
fn sine_hours_integral(a: f64, peak_hour: f64, u0: f64, u1: f64) -> f64 {
    let k = std::f64::consts::TAU / 86_400.0;
    let theta = |u: f64| k * (u - peak_hour * 3600.0);
    (u1 - u0) + a * ((theta(u1)).sin() - (theta(u0)).sin()) / k
}

/// A daily sine times a weekly table, starting on a Saturday at 18:00: hourly counts over
/// two weeks against the integral of λ over each hour.
#[test]
fn diurnal_sine_counts_follow_the_integrated_profile() {
    let weekly = [1.0, 1.0, 1.0, 1.0, 1.2, 0.5, 0.3];
    let json = |peak: f64| {
        format!(
            r#"{{"kind": "diurnal", "rate_per_s": 2,
                "daily": {{"shape": "sine", "amplitude": 0.8, "peak_hour": {peak}}},
                "weekly": {{"shape": "daily", "multipliers": {weekly:?}}},
                "start_day": "saturday", "start_hour": 18}}"#
        )
    };
    let w = workload(&json(14.0));
    // Weekly mean of a day-periodic profile times a per-day table: mean(table) (the sine
    // averages to 1 over every day).
    assert_close(
        w.mean_rate_per_s().unwrap(),
        2.0 * weekly.iter().sum::<f64>() / 7.0,
    );
    let offset = 5.0 * 86_400.0 + 18.0 * 3600.0;
    let expect = |peak: f64| -> Vec<f64> {
        (0..336)
            .map(|h| {
                let u0 = offset + h as f64 * 3600.0;
                let day = ((u0 / 86_400.0).floor() as usize) % 7;
                2.0 * weekly[day] * sine_hours_integral(0.8, peak, u0, u0 + 3600.0)
            })
            .collect()
    };
    let observed = counts(&w, 11, 3600.0, 336);
    assert_counts_fit(&observed, &expect(14.0), &expect(15.0), "diurnal sine");
}

/// An hourly table with a start at 06:30: half-hour counts over two days.
#[test]
fn diurnal_table_holds_each_hour_from_an_offset_start() {
    let mut table = vec![0.2; 6];
    table.extend([1.0; 12]);
    table.extend([0.5; 6]);
    let w = workload(&format!(
        r#"{{"kind": "diurnal", "rate_per_s": 1,
            "daily": {{"shape": "hourly", "multipliers": {table:?}}}, "start_hour": 6.5}}"#
    ));
    assert_close(
        w.mean_rate_per_s().unwrap(),
        table.iter().sum::<f64>() / 24.0,
    );
    let expect = |shift_h: f64| -> Vec<f64> {
        (0..96)
            .map(|b| {
                let hour = (6.5 + shift_h + b as f64 * 0.5).floor() as usize % 24;
                1800.0 * table[hour]
            })
            .collect()
    };
    let observed = counts(&w, 5, 1800.0, 96);
    // Power: a clock that ignored the half-hour of the start.
    assert_counts_fit(&observed, &expect(0.0), &expect(-0.5), "diurnal table");
}

/// The flash-sale rate written out independently: 1 outside events, linear ramp, plateau,
/// linear decay, events at 600 s and 2,400 s only.
fn flash_rate(t: f64, step: bool) -> f64 {
    let (base, peak) = (5.0, 30.0);
    for s in [600.0, 2400.0] {
        let x = t - s;
        let m = if (0.0..60.0).contains(&x) {
            if step {
                peak
            } else {
                1.0 + (peak - 1.0) * x / 60.0
            }
        } else if (60.0..360.0).contains(&x) {
            peak
        } else if (360.0..480.0).contains(&x) {
            if step {
                1.0
            } else {
                peak - (peak - 1.0) * (x - 360.0) / 120.0
            }
        } else {
            continue;
        };
        return base * m;
    }
    base
}

/// Counts per 10-s window against ∫λ over the window. Every breakpoint is a multiple of
/// 10 s, so λ is linear within each window and the trapezoid rule is exact. The run goes
/// past where a third event would start (4,200 s) to check that `events` stops them.
#[test]
fn flash_sale_follows_its_shape_per_window() {
    let w = workload(
        r#"{"kind": "flash_sale", "base_rate_per_s": 5, "peak_multiplier": 30,
            "start_s": 600, "ramp_s": 60, "plateau_s": 300, "decay_s": 120,
            "every_s": 1800, "events": 2}"#,
    );
    assert_close(w.mean_rate_per_s().unwrap(), 5.0);
    let bins = 540;
    let expect = |step: bool| -> Vec<f64> {
        (0..bins)
            .map(|i| {
                let (a, b) = (i as f64 * 10.0, (i + 1) as f64 * 10.0);
                // The step model is piecewise constant on the windows: λ at the midpoint.
                if step {
                    10.0 * flash_rate((a + b) / 2.0, true)
                } else {
                    5.0 * (flash_rate(a, false) + flash_rate(b - 1e-9, false))
                }
            })
            .collect()
    };
    let observed = counts(&w, 2, 10.0, bins);
    assert_counts_fit(&observed, &expect(false), &expect(true), "flash sale");

    // Repeating forever: the long-run mean adds base·(peak − 1)·(ramp/2 + plateau +
    // decay/2) per period: 5 + 5·29·390/1800.
    let w = workload(
        r#"{"kind": "flash_sale", "base_rate_per_s": 5, "peak_multiplier": 30,
            "start_s": 600, "ramp_s": 60, "plateau_s": 300, "decay_s": 120, "every_s": 1800}"#,
    );
    assert_close(
        w.mean_rate_per_s().unwrap(),
        5.0 + 5.0 * 29.0 * 390.0 / 1800.0,
    );
    let n: u64 = counts(&w, 4, 1800.0 * 20.0, 1)[0];
    let e = w.mean_rate_per_s().unwrap() * 36_000.0;
    assert!((n as f64 - e).abs() < 4.0 * e.sqrt(), "{n} vs {e}");
}

#[test]
fn spike_gives_exact_bursts_and_uniform_spreads() {
    let w = workload(r#"{"kind": "spike", "at_s": 5, "count": 10000}"#);
    let t = times(&w, 1, 20_000);
    assert_eq!(t.len(), 10_000);
    assert!(t.iter().all(|&x| x == 5.0));

    let w = workload(r#"{"kind": "spike", "at_s": 60, "count": 3, "every_s": 600, "events": 2}"#);
    assert_eq!(
        times(&w, 1, 10),
        vec![60.0, 60.0, 60.0, 660.0, 660.0, 660.0]
    );

    // Spread: sorted, inside [10, 12), uniform. Kolmogorov–Smirnov: P(√n·D > 1.95) ≈ 0.001.
    let n = 100_000;
    let w = workload(r#"{"kind": "spike", "at_s": 10, "count": 100000, "spread_s": 2}"#);
    let t = times(&w, 7, n + 1);
    assert_eq!(t.len(), n);
    assert!(t.windows(2).all(|p| p[0] <= p[1]));
    assert!(t[0] >= 10.0 && t[n - 1] < 12.0);
    let ks = |cdf: &dyn Fn(f64) -> f64| {
        t.iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf((x - 10.0) / 2.0);
                (f - i as f64 / n as f64)
                    .abs()
                    .max(((i + 1) as f64 / n as f64 - f).abs())
            })
            .fold(0.0, f64::max)
    };
    let limit = 1.95 / (n as f64).sqrt();
    let d = ks(&|u| u);
    assert!(d < limit, "KS distance {d} ≥ {limit}");
    // Power: a slightly skewed law (u^1.05) would be rejected.
    assert!(ks(&|u: f64| u.powf(1.05)) > 2.0 * limit);
}

/// Hawkes with μ = 10/s, n = 0.5, τ = 1 s, from an empty history. The mean intensity
/// m(t) solves m' = −((1 − n)/τ) m + μ/τ, m(0) = μ, so
/// E N(T) = μT/(1 − n) − μnτ/(1 − n)² (1 − e^(−(1−n)T/τ)). In the stationary regime
/// (reached after a few τ/(1 − n) = 2 s) the Bartlett spectrum λ̄/|1 − n/(1 + iωτ)|² gives
/// the covariance density λ̄δ(u) + A e^(−β|u|) with λ̄ = μ/(1 − n), β = (1 − n)/τ and
/// A = λ̄ n(2 − n) / (2τ(1 − n)), hence Var N(W) = λ̄W + 2A (W/β − (1 − e^(−βW))/β²),
/// which tends to μW/(1 − n)³.
#[test]
fn hawkes_mean_and_dispersion_match_theory() {
    let (mu, n, tau) = (10.0, 0.5, 1.0);
    let w = workload(
        r#"{"kind": "hawkes", "base_rate_per_s": 10, "branching_ratio": 0.5, "decay_s": 1}"#,
    );
    assert_close(w.mean_rate_per_s().unwrap(), mu / (1.0 - n));
    let (width, k) = (50.0, 400);
    let c = counts(&w, 8, width, k);
    let t = width * k as f64;
    let total = c.iter().sum::<u64>() as f64;
    let expected = mu * t / (1.0 - n)
        - mu * n * tau / (1.0 - n).powi(2) * (1.0 - (-(1.0 - n) * t / tau).exp());
    let sd = (mu * t / (1.0 - n).powi(3)).sqrt();
    assert!(
        (total - expected).abs() < 4.0 * sd,
        "{total} vs {expected} ± {}",
        4.0 * sd
    );
    // Power: a branching ratio of 0.45 instead of 0.5 would be rejected.
    assert!(4.0 * sd < (expected - mu * t / 0.55) / 2.0);
    // Window counts: 50-s windows are nearly independent (correlation time 2 s), so the
    // sample variance estimates Var N(50) with relative standard error √(2/(k−1)).
    let lambda = mu / (1.0 - n);
    let (a, beta) = (
        lambda * n * (2.0 - n) / (2.0 * tau * (1.0 - n)),
        (1.0 - n) / tau,
    );
    let v =
        lambda * width + 2.0 * a * (width / beta - (1.0 - (-beta * width).exp()) / beta.powi(2));
    let xs: Vec<f64> = c.iter().map(|&x| x as f64).collect();
    let m = xs.iter().sum::<f64>() / k as f64;
    let s2 = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1) as f64;
    let rel = (2.0 / (k - 1) as f64).sqrt();
    assert!(
        (s2 / v - 1.0).abs() < 4.0 * rel,
        "variance {s2}, expected {v}"
    );
    // Power: a Poisson process of the same mean (variance λ̄W) would be rejected.
    assert!((lambda * width / v - 1.0).abs() > 8.0 * rel);
}

#[test]
fn cron_fires_at_the_hand_listed_times() {
    // Friday 2024-01-05 10:40 UTC; every 15 minutes from 9:00 to 10:45, Monday to Friday.
    let w = workload(
        r#"{"kind": "cron", "schedule": "*/15 9-10 * * 1-5", "start": "2024-01-05T10:40"}"#,
    );
    // 10:45 that Friday, then Monday 09:00 (2 days 22 h 20 min later) onwards.
    let monday = 2.0 * 86_400.0 + 22.0 * 3600.0 + 20.0 * 60.0;
    let mut expected = vec![300.0];
    expected.extend((0..8).map(|i| monday + i as f64 * 900.0));
    expected.push(monday + 86_400.0);
    assert_eq!(times(&w, 0, 10), expected);
    // 5 days × 2 hours × 4 firings a week.
    assert_close(w.mean_rate_per_s().unwrap(), 40.0 / 604_800.0);

    // Both day fields restricted: the 13th OR a Friday. From Sunday 2024-09-01: Fridays
    // 6, 13 (also the 13th: once), 20, 27 September, 4 and 11 October, Sunday 13 October,
    // Friday 18 October; at 12:00.
    let w = workload(r#"{"kind": "cron", "schedule": "0 12 13 * 5", "start": "2024-09-01"}"#);
    let days = [5.0, 12.0, 19.0, 26.0, 33.0, 40.0, 42.0, 47.0];
    let expected: Vec<f64> = days.iter().map(|d| d * 86_400.0 + 43_200.0).collect();
    assert_eq!(times(&w, 0, 8), expected);

    // 29 February: from 2023-03-01, 365 days to 2024-02-29, then 4 years (1,461 days).
    let w = workload(r#"{"kind": "cron", "schedule": "30 6 29 2 *", "start": "2023-03-01"}"#);
    let first = 365.0 * 86_400.0 + 6.5 * 3600.0;
    assert_eq!(times(&w, 0, 2), vec![first, first + 1461.0 * 86_400.0]);

    // Seconds in the start: the first firing is the next whole minute; `count` repeats it;
    // day of week 7 is Sunday.
    let w = workload(
        r#"{"kind": "cron", "schedule": "45 10 * * 7", "start": "2024-01-07T10:44:30", "count": 2}"#,
    );
    assert_eq!(times(&w, 0, 3), vec![30.0, 30.0, 30.0 + 7.0 * 86_400.0]);

    let w = workload(r#"{"kind": "cron", "every_s": 3600, "offset_s": 120, "count": 2}"#);
    assert_eq!(times(&w, 0, 5), vec![120.0, 120.0, 3720.0, 3720.0, 7320.0]);

    let (field, message) = invalid(r#"{"kind": "cron", "schedule": "0 0 30 2 *"}"#);
    assert_eq!(field, "w.schedule");
    assert!(message.contains("never fires"), "{message}");
    let (field, message) = invalid(r#"{"kind": "cron", "schedule": "0 25 * * *"}"#);
    assert_eq!(field, "w.schedule");
    assert!(
        message.contains("field 2 (hour: expected 0-23, got 25)"),
        "{message}"
    );
}

#[test]
fn sum_superposes_and_keeps_each_parts_stream() {
    let w = workload(
        r#"{"kind": "sum", "workloads": [{"kind": "poisson", "rate_per_s": 5},
                                          {"kind": "poisson", "rate_per_s": 7}]}"#,
    );
    assert_close(w.mean_rate_per_s().unwrap(), 12.0);
    let n = counts(&w, 1, 20_000.0, 1)[0] as f64;
    let e = 12.0 * 20_000.0;
    assert!((n - e).abs() < 4.0 * e.sqrt(), "{n} vs {e}");
    // Power: losing one part would be rejected.
    assert!(4.0 * e.sqrt() < 5.0 * 20_000.0 / 2.0);

    // Deterministic parts merge exactly (ties: both arrivals).
    let w = workload(
        r#"{"kind": "sum", "workloads": [{"kind": "constant", "interval_s": 3},
                                          {"kind": "cron", "every_s": 5}]}"#,
    );
    assert_eq!(
        times(&w, 0, 9),
        vec![0.0, 0.0, 3.0, 5.0, 6.0, 9.0, 10.0, 12.0, 15.0]
    );

    // A part's arrivals do not depend on its siblings: the Poisson part is the same next
    // to two different constant parts (whose times are known and removed).
    let with = |interval: f64, start: f64| {
        let w = workload(&format!(
            r#"{{"kind": "sum", "workloads": [{{"kind": "poisson", "rate_per_s": 1}},
                {{"kind": "constant", "interval_s": {interval}, "start_s": {start}}}]}}"#
        ));
        let is_constant = |t: f64| ((t - start) / interval).fract() == 0.0 && t >= start;
        times(&w, 9, 3000)
            .into_iter()
            .filter(|&t| !is_constant(t))
            .take(2000)
            .collect::<Vec<_>>()
    };
    assert_eq!(with(1000.0, 0.5), with(999.0, 0.25));
}

#[test]
fn transform_scales_rates_and_shifts_times() {
    let w = workload(
        r#"{"kind": "transform", "scale": 3, "workload": {"kind": "poisson", "rate_per_s": 2}}"#,
    );
    assert_close(w.mean_rate_per_s().unwrap(), 6.0);
    let n = counts(&w, 1, 10_000.0, 1)[0] as f64;
    assert!((n - 60_000.0).abs() < 4.0 * 60_000f64.sqrt(), "{n}");

    // The identity transform leaves the stream untouched.
    let plain =
        workload(r#"{"kind": "on_off", "on_rate_per_s": 9, "mean_on_s": 2, "mean_off_s": 3}"#);
    let same = workload(
        r#"{"kind": "transform", "workload":
            {"kind": "on_off", "on_rate_per_s": 9, "mean_on_s": 2, "mean_off_s": 3}}"#,
    );
    assert_eq!(times(&plain, 4, 1000), times(&same, 4, 1000));
    // Scaling an MMPP scales every state's rate.
    let double = workload(
        r#"{"kind": "transform", "scale": 2, "workload":
            {"kind": "on_off", "on_rate_per_s": 9, "mean_on_s": 2, "mean_off_s": 3}}"#,
    );
    assert_close(double.mean_rate_per_s().unwrap(), 2.0 * 9.0 * 0.4);

    let shifted = |shift: f64| {
        workload(&format!(
            r#"{{"kind": "transform", "shift_s": {shift},
                "workload": {{"kind": "constant", "interval_s": 10}}}}"#
        ))
    };
    assert_eq!(times(&shifted(100.0), 0, 3), vec![100.0, 110.0, 120.0]);
    assert_eq!(times(&shifted(-25.0), 0, 3), vec![5.0, 15.0, 25.0]);
    // A constant source at double rate; a spike's count rounded.
    let w = workload(
        r#"{"kind": "transform", "scale": 2, "workload": {"kind": "constant", "interval_s": 10}}"#,
    );
    assert_eq!(times(&w, 0, 3), vec![0.0, 5.0, 10.0]);
    let w = workload(
        r#"{"kind": "transform", "scale": 1.5, "workload": {"kind": "spike", "count": 3}}"#,
    );
    assert_eq!(times(&w, 0, 10).len(), 5);

    // Cron has no rate: the error names the scale and the offending part.
    let (field, message) = invalid(
        r#"{"kind": "transform", "scale": 2, "workload": {"kind": "sum", "workloads": [
            {"kind": "poisson", "rate_per_s": 1}, {"kind": "cron", "every_s": 60}]}}"#,
    );
    assert_eq!(field, "w.scale");
    assert!(
        message.starts_with("`w.workload.workloads[1]` (cron) cannot be scaled"),
        "{message}"
    );
}

/// Validation errors name the field inside nested workloads; serde errors name the kinds.
#[test]
fn bad_workloads_name_the_field() {
    let scenario_error = |workload: &str| {
        let json = format!(
            r#"{{"name": "w", "duration_s": 10, "functions": [{{"name": "f", "runtime": "nodejs",
                "exec_ms": {{"dist": "const", "value": 1}}, "workload": {workload}}}]}}"#
        );
        faassim::Scenario::from_str(&json, "s.json", Path::new("."))
            .expect_err("expected an error")
            .to_string()
    };
    let err = scenario_error(
        r#"{"kind": "mmpp", "states": [{"rate_per_s": 1, "mean_sojourn_s": 5},
            {"rate_per_s": -2, "mean_sojourn_s": 5}]}"#,
    );
    assert_eq!(
        err,
        "s.json: functions[0].workload.states[1].rate_per_s: expected a rate per second >= 0, got -2"
    );
    let err = scenario_error(
        r#"{"kind": "sum", "workloads": [{"kind": "poisson", "rate_per_s": 1},
            {"kind": "flash_sale", "base_rate_per_s": 1, "peak_multiplier": 10, "start_s": 0,
             "ramp_s": 60, "plateau_s": 60, "every_s": 100}]}"#,
    );
    assert!(
        err.starts_with("s.json: functions[0].workload.workloads[1].every_s: expected at least the event's length"),
        "{err}"
    );
    let err = scenario_error(
        r#"{"kind": "diurnal", "rate_per_s": 1, "daily": {"shape": "hourly", "multipliers": [1, 2]}}"#,
    );
    assert_eq!(
        err,
        "s.json: functions[0].workload.daily.multipliers: expected 24 multipliers (one per hour), got 2"
    );
    let err = scenario_error(
        r#"{"kind": "hawkes", "base_rate_per_s": 1, "branching_ratio": 1, "decay_s": 1}"#,
    );
    assert!(
        err.contains("functions[0].workload.branching_ratio: expected a value in [0, 1)"),
        "{err}"
    );
    let err = scenario_error(r#"{"kind": "bursty", "rate_per_s": 1}"#);
    assert!(
        err.contains("unknown variant `bursty`") && err.contains("flash_sale"),
        "{err}"
    );
    let err = scenario_error(r#"{"kind": "spike", "count": 10, "at": 5}"#);
    assert!(err.contains("unknown field `at`"), "{err}");
    let err = scenario_error(
        r#"{"kind": "mmpp", "states": [{"rate_per_s": 1, "mean_sojourn_s": 1},
            {"rate_per_s": 1, "mean_sojourn_s": 1}, {"rate_per_s": 1, "mean_sojourn_s": 1}],
            "transitions": [[0, 1, 0], [1, 0, 0], [0.5, 0.5, 0]]}"#,
    );
    assert!(
        err.contains("functions[0].workload.transitions: expected every state to be reachable"),
        "{err}"
    );
}

/// Every example in `workloads/` is a valid workload; the same seed gives the same
/// arrivals, in non-decreasing order.
#[test]
fn shipped_examples_are_valid_and_deterministic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let spec: WorkloadSpec =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let w = spec
            .validate("workload", &dir)
            .unwrap_or_else(|e| panic!("{}: {}: {}", path.display(), e.field, e.message));
        let a = times(&w, 1, 5000);
        assert!(!a.is_empty(), "{}", path.display());
        assert!(a.windows(2).all(|p| p[0] <= p[1]), "{}", path.display());
        assert_eq!(a, times(&w, 1, 5000), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 9, "only {seen} examples");
}

fn record(function: &str, arrival_ns: u64, end_ns: u64, outcome: Outcome) -> RequestRecord<'_> {
    RequestRecord {
        request: 0,
        function,
        // Every record claims position 0: the log must still file each under its name.
        function_index: 0,
        instance: None,
        provisioned: false,
        ping: false,
        arrival: SimTime(arrival_ns),
        start: None,
        end: SimTime(end_ns),
        outcome,
        status: if outcome == Outcome::Throttled {
            Status::Throttled
        } else {
            Status::Ok
        },
        cold_start: None,
        measured: true,
        throttle_cause: (outcome == Outcome::Throttled).then_some(ThrottleCause::Concurrency),
    }
}

/// A hand-worked trace through 10-s windows: counts by the window of each request's end,
/// empty windows as rows of zeros, pings left out, percentiles of small exact latencies.
#[test]
fn windows_of_a_hand_worked_trace() {
    let mut log = WindowLog::new(
        Vec::new(),
        "mem",
        SimTime(10 * S),
        SimTime(30 * S),
        &["a", "b"],
    )
    .unwrap();
    let mut ping = record("a", 9 * S + 500 * MS, 9 * S + 501 * MS, Outcome::Warm);
    ping.ping = true;
    for r in [
        record("a", S, S + MS, Outcome::Warm),
        record("a", 2 * S, 2 * S + 2 * MS, Outcome::Cold),
        record("a", 5 * S, 5 * S, Outcome::Throttled),
        record("b", 9 * S, 9 * S + 1_500_000, Outcome::Warm),
        ping,
        // Ends exactly at 10 s: the second window.
        record("a", 9 * S + 900 * MS, 10 * S, Outcome::Cold),
        // Past the horizon: its window still gets rows.
        record("b", 35 * S, 35 * S + 500_000, Outcome::Warm),
    ] {
        log.record(&r).unwrap();
    }
    let csv = String::from_utf8(log.finish().unwrap()).unwrap();
    // Only request records were given: no arrivals, no instances; the throttle's cause
    // is counted.
    let none = ",0,0,0,0,0,0,0,0,0,0,";
    let expected = [
        format!("0,a,3,1,1,1,1.000,2.000,2.000,2.000,1.500,0,1,0,0,0{none}"),
        format!("0,b,1,1,0,0,1.500,1.500,1.500,1.500,1.500,0,0,0,0,0{none}"),
        format!("10,a,1,0,1,0,100.000,100.000,100.000,100.000,100.000,0,0,0,0,0{none}"),
        format!("10,b,0,0,0,0,,,,,,0,0,0,0,0{none}"),
        format!("20,a,0,0,0,0,,,,,,0,0,0,0,0{none}"),
        format!("20,b,0,0,0,0,,,,,,0,0,0,0,0{none}"),
        format!("30,a,0,0,0,0,,,,,,0,0,0,0,0{none}"),
        format!("30,b,1,1,0,0,0.500,0.500,0.500,0.500,0.500,0,0,0,0,0{none}"),
    ];
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with(
        "window_start_s,function,finished,warm,cold,throttled,p50_ms,p99_ms,p999_ms,max_ms,mean_ms,"
    ));
    assert_eq!(lines[1..], expected);

    // With nothing at all, the rows still cover the horizon.
    let empty = WindowLog::new(Vec::new(), "mem", SimTime(20 * S), SimTime(50 * S), &["x"])
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(String::from_utf8(empty).unwrap().lines().count(), 1 + 3);

    // A fan-out gives both logs every record.
    let mut one = Collect::default();
    let mut two = Collect::default();
    let mut fan = FanOut::new();
    fan.push(&mut one);
    fan.push(&mut two);
    fan.record(&record("a", S, 2 * S, Outcome::Warm)).unwrap();
    drop(fan);
    assert_eq!(one.0, two.0);
    assert_eq!(one.0.len(), 1);
}

/// `faassim run --windows` next to `--events`: the windows add up to the run's totals, and
/// the request log is complete.
#[test]
fn cli_windows_compose_with_events() {
    let dir = temp_dir("windows");
    let (csv, events) = (dir.join("w.csv"), dir.join("e.jsonl"));
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/quickstart.json");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_faassim"))
        .args([
            "run",
            scenario,
            "--format",
            "json",
            "--window-s",
            "300",
            "--windows",
        ])
        .arg(&csv)
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let invocations = v["total"]["invocations"].as_u64().unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // 3,600 s in 300-s windows, then the windows while the last requests finish and the
    // last instances idle out (a 600-s keep-alive: at most 3 more windows), where nothing
    // arrives.
    assert!((12..=15).contains(&rows.len()), "{} rows", rows.len());
    assert!(rows[12..].iter().all(|r| r[11] == "0"));
    let col = |i: usize| {
        rows.iter()
            .map(|r| r[i].parse::<u64>().unwrap())
            .sum::<u64>()
    };
    assert_eq!(col(2), invocations);
    assert_eq!(col(4), v["total"]["cold_starts"].as_u64().unwrap());
    let lines = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with(r#"{"record":"request","#))
        .count() as u64;
    assert_eq!(lines, invocations);
    // Every request arrives in some window: the arrivals add up to the same total.
    assert_eq!(col(11), invocations);
}

/// The flash-sale experiments load, and their sale (about 8,000 req/s × 0.3 s ≈ 2,400
/// concurrent executions) needs more new environments than Lambda's scale-out burst of
/// 1,000 while fitting in the raised account quota: what they are meant to show is the
/// scale-out rate, not the quota.
#[test]
fn flash_sale_experiments_load() {
    for file in ["flash-sale.json", "flash-sale-pc.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("experiments")
            .join(file);
        let s = faassim::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let f = &s.functions[0];
        assert!(matches!(f.workload, Some(Workload::FlashSale(_))), "{file}");
        let peak = 200.0 * 40.0 * 0.3;
        let burst = s.platform.scale_out.per_function.unwrap().capacity;
        assert!(peak > burst, "{file}");
        assert!(peak < f64::from(s.platform.account_concurrency), "{file}");
    }
}
