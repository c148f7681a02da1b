//! Lab 1: cold starts against arrival rate and keep-alive (e^(−λT) and where it stops holding).

use super::*;

/// The keep-alive's parameter path.
const IDLE: &str = "functions[0].keep_alive.idle_s";

/// Lab 1's execution time (single.json): lognormal, median and p99, ms.
const LAB1_EXEC: (f64, f64) = (20.0, 60.0);
/// busy.json's execution time.
const LAB1_BUSY_EXEC: (f64, f64) = (800.0, 3000.0);
/// busy.json's rate, per second.
const LAB1_BUSY_RATE: f64 = 2.0;

pub(super) fn lab1(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let mut figs = Vec::new();
    // Single instance: e^(−λT) with the small floor of overlapping requests.
    let (set, reps) = match size {
        Size::Full => (vec![], None),
        Size::Quick => (vec![("duration_s", Value::from(21_600))], None),
    };
    let exp = experiment(dir, "single-sweep.json", &set, reps)?;
    let runs = run_all(&exp)?;
    let mean_s = lognormal_mean(LAB1_EXEC.0, LAB1_EXEC.1) / 1000.0;
    for (p, reps) in runs.iter().enumerate() {
        let rate = param(&exp, p, "functions[0].workload.rate_per_s");
        let idle = param(&exp, p, "functions[0].keep_alive.idle_s");
        let served: u64 = reps
            .iter()
            .map(|r| r.total.warm_starts + r.total.cold_starts)
            .sum();
        let cold: u64 = reps.iter().map(|r| r.total.cold_starts).sum();
        let base = (-rate * idle).exp();
        let a = rate * mean_s;
        let floor = a / (1.0 + a) * (-rate * a * idle).exp() + erlang_b(2, a);
        let p_exp = base + floor;
        let tol = 4.0 * se(p_exp, served as f64);
        figs.push(KeyFigure::new(
            format!("single instance: cold-start ratio at rate {rate}/s, keep-alive {idle} s"),
            cold as f64 / served as f64,
            p_exp - tol,
            p_exp + tol,
            format!(
                "e^(-lambda T) = {} + floor a/(1+a) e^(-lambda a T) + B(2,a) = {} (a = lambda E[S] = {}), ± 4 SE of {served} requests",
                num(base),
                num(floor),
                num(a)
            ),
        ));
    }
    // Several instances: the closed form fails, a floor remains, and it falls with T.
    let duration = match size {
        Size::Full => None,
        Size::Quick => Some(("duration_s", Value::from(1_200))),
    };
    let exp = experiment(
        dir,
        "busy-sweep.json",
        &duration.into_iter().collect::<Vec<_>>(),
        None,
    )?;
    let runs = run_all(&exp)?;
    let mut previous: Option<(f64, f64)> = None;
    for p in sorted_points(&exp, IDLE) {
        let reps = &runs[p];
        let idle = param(&exp, p, IDLE);
        let served: u64 = reps
            .iter()
            .map(|r| r.total.warm_starts + r.total.cold_starts)
            .sum();
        let cold: u64 = reps.iter().map(|r| r.total.cold_starts).sum();
        let ratio = cold as f64 / served as f64;
        let base = (-LAB1_BUSY_RATE * idle).exp();
        // 4 SE of the closed form itself: it is near 0, so the SE of a proportion of at
        // least one event in the sample.
        let bar = base + 4.0 * se(base.max(1.0 / served as f64), served as f64);
        figs.push(KeyFigure::new(
            format!("several instances: cold-start ratio at keep-alive {idle} s (above e^(-lambda T))"),
            ratio,
            bar,
            f64::INFINITY,
            format!(
                "e^(-lambda T) = {} (lambda = {LAB1_BUSY_RATE}/s): the closed form is rejected when the ratio exceeds it by 4 SE",
                num(base)
            ),
        ));
        if let Some((prev_idle, prev)) = previous {
            figs.push(KeyFigure::new(
                format!("several instances: ratio at {idle} s minus ratio at {prev_idle} s"),
                ratio - prev,
                f64::NEG_INFINITY,
                0.0,
                "a longer keep-alive keeps more of the spare instances: the floor falls (monotone)",
            ));
        }
        previous = Some((idle, ratio));
    }
    let busy: Vec<f64> = runs
        .iter()
        .flatten()
        .map(|r| r.total.instances.mean_busy)
        .collect();
    let (m, s) = mean_se(&busy);
    let a = LAB1_BUSY_RATE * lognormal_mean(LAB1_BUSY_EXEC.0, LAB1_BUSY_EXEC.1) / 1000.0;
    figs.push(KeyFigure::new(
        "several instances: mean busy instances",
        m,
        a - 4.0 * s,
        a + 4.0 * s,
        format!(
            "M/G/inf: lambda E[S] = {LAB1_BUSY_RATE} x {} s = {}, ± 4 SE over {} runs",
            num(a / LAB1_BUSY_RATE),
            num(a),
            busy.len()
        ),
    ));
    Ok(figs)
}

/// Mean and standard error of the mean.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, (var / n).sqrt())
}
