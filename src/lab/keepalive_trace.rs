//! Lab 6: keep-alive policies on an Azure 2019-format trace.

use super::*;

/// The trace's memory (GB, replay.json's template) and the Poisson function's mean gap (s).
const LAB6_GB: f64 = 0.25;
const LAB6_POISSON_GAP_S: f64 = 900.0;

pub(super) fn lab6(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let reps = match size {
        Size::Full => None,
        Size::Quick => Some(1),
    };
    let exp = experiment(dir, "policies.json", &[], reps)?;
    let runs = run_all(&exp)?;
    let policy = |p: usize| param_value(&exp, p, "traces.template.keep_alive");
    let find = |want: Value| (0..exp.point_count()).find(|&p| policy(p) == want);
    let fixed10 = find(serde_json::json!({"policy": "fixed", "idle_s": 600}));
    let hybrid = find(serde_json::json!({"policy": "hybrid_histogram"}));
    let (Some(fixed10), Some(hybrid)) = (fixed10, hybrid) else {
        return Err(Error::Invalid {
            origin: exp.origin.clone(),
            field: "grid".to_owned(),
            message: "the lab expects fixed 600 s and hybrid_histogram among the points".to_owned(),
        });
    };
    // Sums over replications of one function's field.
    let sum = |p: usize, name: &str, f: &dyn Fn(&crate::report::Summary) -> f64| -> Result<f64> {
        runs[p].iter().map(|r| function(r, name).map(f)).sum()
    };
    let cold = |s: &crate::report::Summary| s.cold_starts as f64;
    let calls = |s: &crate::report::Summary| s.invocations as f64;
    let idle = |s: &crate::report::Summary| s.instances.idle_gb_s;
    let reps = runs[fixed10].len() as f64;
    let mut figs = Vec::new();
    let t30 = "timer30/main";
    figs.push(KeyFigure::new(
        "timer30, fixed 10 min: cold-start ratio",
        sum(fixed10, t30, &cold)? / sum(fixed10, t30, &calls)?,
        1.0,
        1.0,
        "every gap is 29 to 31 minutes (one call a minute, placed uniformly), longer than 10: every call is cold",
    ));
    let want = sum(fixed10, t30, &calls)? / reps * 600.0 * LAB6_GB;
    figs.push(KeyFigure::new(
        "timer30, fixed 10 min: idle GB-s (per run)",
        sum(fixed10, t30, &idle)? / reps,
        want * 0.99,
        want * 1.01,
        format!(
            "each call's instance idles 600 s: calls x 600 s x {LAB6_GB} GB = {}",
            num(want)
        ),
    ));
    figs.push(KeyFigure::new(
        "timer30, hybrid: cold starts (per run)",
        sum(hybrid, t30, &cold)? / reps,
        0.0,
        1.0,
        "12 idle times of ~30 min in the 6-hour warm-up make a representative histogram: pre-warm at 0.9 x 29 min, keep to 1.1 x 31 min",
    ));
    figs.push(KeyFigure::new(
        "timer30, hybrid idle GB-s / fixed 10 min idle GB-s",
        sum(hybrid, t30, &idle)? / sum(fixed10, t30, &idle)?,
        0.0,
        0.8,
        "loaded from 0.9 x 29 = 26.1 to 1.1 x 31 = 34.1 minutes after each call, at most 8 minutes against 10",
    ));
    let t2 = "timer2/main";
    figs.push(KeyFigure::new(
        "timer2, fixed 10 min: cold starts (per run)",
        sum(fixed10, t2, &cold)? / reps,
        0.0,
        0.0,
        "gaps of 1 to 3 minutes, shorter than the keep-alive, and the instance is warm from the warm-up",
    ));
    let rare = "rare/main";
    figs.push(KeyFigure::new(
        "rare, fixed 10 min: cold starts (per run)",
        sum(fixed10, rare, &cold)? / reps,
        3.0,
        3.0,
        "three calls 200 and 300 minutes apart: all cold",
    ));
    figs.push(KeyFigure::new(
        "rare, hybrid: cold starts (per run)",
        sum(hybrid, rare, &cold)? / reps,
        2.0,
        2.0,
        "two idle times are not a representative histogram: the fallback keeps 4 hours, so the call 200 minutes later is warm and the one 300 minutes later cold",
    ));
    let poisson = "poisson/main";
    let n = sum(fixed10, poisson, &calls)? / reps;
    let p = (-600.0 / LAB6_POISSON_GAP_S).exp();
    let tol = 4.0 * se(p, n);
    figs.push(KeyFigure::new(
        "poisson, fixed 10 min: cold-start ratio",
        sum(fixed10, poisson, &cold)? / sum(fixed10, poisson, &calls)?,
        p - tol,
        p + tol,
        format!(
            "a Poisson count per minute spread uniformly is a Poisson process: e^(-600/900) = {}, ± 4 SE of {} calls",
            num(p),
            num(n)
        ),
    ));
    let cold_ratio = sum(hybrid, poisson, &cold)? / sum(fixed10, poisson, &cold)?.max(1.0);
    figs.push(KeyFigure::new(
        "poisson, hybrid cold starts / fixed 10 min cold starts",
        cold_ratio,
        0.0,
        0.5,
        "exponential idle times: the tail window (1.1 x their 99th percentile, about 4.6 x 15 min) keeps the instance over an hour: e^(-69/15) = 1 % cold",
    ));
    figs.push(KeyFigure::new(
        "poisson, hybrid idle GB-s / fixed 10 min idle GB-s",
        sum(hybrid, poisson, &idle)? / sum(fixed10, poisson, &idle)?,
        1.0,
        f64::INFINITY,
        "the same long window costs memory: nothing to pre-warm, so the instance stays loaded (the paper's policy spends more here)",
    ));
    Ok(figs)
}
