//! Statistics across replications (mean and Student-t confidence intervals) and across
//! functions (nearest-rank percentiles).
//!
//! The t quantile is computed, not tabulated, so any number of replications works: the
//! Student-t CDF is written through the regularised incomplete beta function (evaluated by
//! its continued fraction) and inverted by bisection.

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine terms; ~15 digits).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1].
fn inc_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    // The continued fraction converges fast only below the mean; use the symmetry
    // I_x(a, b) = 1 − I_{1−x}(b, a) above it.
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - inc_beta(1.0 - x, b, a);
    }
    let ln_front = a * x.ln() + b * (1.0 - x).ln() - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b));
    // Modified Lentz evaluation of 1 / (1 + d1 / (1 + d2 / (1 + ...))).
    const TINY: f64 = 1e-300;
    let (mut f, mut c, mut d) = (1.0, 1.0, 0.0);
    for i in 0..400 {
        let m = (i / 2) as f64;
        let num = if i == 0 {
            1.0
        } else if i % 2 == 1 {
            -((a + m) * (a + b + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
        } else {
            (m * (b - m) * x) / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        };
        d = 1.0 + num * d;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        c = 1.0 + num / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let cd = c * d;
        f *= cd;
        if (1.0 - cd).abs() < 1e-15 {
            break;
        }
    }
    ln_front.exp() * (f - 1.0) / a
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * inc_beta(df / (df + t * t), df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The `p` quantile (0.5 < p < 1) of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    assert!(p > 0.5 && p < 1.0 && df > 0.0, "t_quantile({p}, {df})");
    let mut hi = 1.0;
    while t_cdf(hi, df) < p {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    // 200 halvings reach the resolution of f64 from any starting bracket.
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Mean and half-width of the 95% Student-t confidence interval of `xs`.
///
/// The half-width is `t(0.975, n−1) · s / √n` with `s` the sample standard deviation; it
/// is `None` for fewer than two values, and the mean is `None` for none.
pub fn mean_ci95(xs: &[f64]) -> (Option<f64>, Option<f64>) {
    let n = xs.len();
    if n == 0 {
        return (None, None);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (Some(mean), None);
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile(0.975, (n - 1) as f64) * (var / n as f64).sqrt();
    (Some(mean), Some(half))
}

/// The `pct`-th percentile (`1..=100`) of `xs` by the nearest-rank rule: sorted
/// ascending, the value of rank `⌈pct · n / 100⌉` (1-based, computed in integers), so
/// always one of the values; `None` for no values.
///
/// Nearest rank needs no interpolation, which suits small sets (a scenario's functions)
/// and keeps every reported value one that some function actually has.
pub fn nearest_rank(xs: &[f64], pct: u32) -> Option<f64> {
    debug_assert!((1..=100).contains(&pct), "percentile {pct}");
    if xs.is_empty() {
        return None;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let rank = (pct as usize * n).div_ceil(100).clamp(1, n);
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_by_hand() {
        // Five values, in any order: ranks ⌈2.5⌉ = 3, ⌈3.75⌉ = 4, ⌈4.5⌉ = 5.
        let five = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(nearest_rank(&five, 50), Some(3.0));
        assert_eq!(nearest_rank(&five, 75), Some(4.0));
        assert_eq!(nearest_rank(&five, 90), Some(5.0));
        // Four: ranks 2, 3 and ⌈3.6⌉ = 4.
        let four = [40.0, 10.0, 30.0, 20.0];
        assert_eq!(nearest_rank(&four, 50), Some(20.0));
        assert_eq!(nearest_rank(&four, 75), Some(30.0));
        assert_eq!(nearest_rank(&four, 90), Some(40.0));
        // Ten (1 to 10): ranks exactly 5, ⌈7.5⌉ = 8 and exactly 9, with no rounding up
        // from floating point (0.9 · 10 is not computed).
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(5.0));
        assert_eq!(nearest_rank(&ten, 75), Some(8.0));
        assert_eq!(nearest_rank(&ten, 90), Some(9.0));
        assert_eq!(nearest_rank(&ten, 100), Some(10.0));
        assert_eq!(nearest_rank(&ten, 1), Some(1.0));
        // One value is every percentile; none has none.
        assert_eq!(nearest_rank(&[7.5], 50), Some(7.5));
        assert_eq!(nearest_rank(&[7.5], 90), Some(7.5));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn t_quantiles_match_printed_tables() {
        // Two-sided 95% critical values as printed in statistics tables.
        for (df, t) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (4.0, 2.776),
            (9.0, 2.262),
            (30.0, 2.042),
            (120.0, 1.980),
        ] {
            let got = t_quantile(0.975, df);
            assert!((got - t).abs() < 5e-4, "df {df}: {got} vs {t}");
        }
        // Far out, t tends to the normal's 1.959964.
        assert!((t_quantile(0.975, 1e6) - 1.959964).abs() < 1e-5);
        // The Cauchy case (df = 1) has a closed form: tan(π(p − 1/2)).
        let exact = (std::f64::consts::PI * 0.475).tan();
        assert!((t_quantile(0.975, 1.0) - exact).abs() < 1e-9);
    }

    #[test]
    fn ci_by_hand() {
        // 1, 2, 3: mean 2, s = 1, half-width 4.3027 / √3 = 2.4841.
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0]);
        assert_eq!(m, Some(2.0));
        assert!((h.unwrap() - 4.302_652_7 / 3f64.sqrt()).abs() < 1e-6);
        assert_eq!(mean_ci95(&[5.0]), (Some(5.0), None));
        assert_eq!(mean_ci95(&[]), (None, None));
    }
}
