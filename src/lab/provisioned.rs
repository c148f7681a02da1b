//! Lab 3: provisioned concurrency, held or scheduled, and its cost.

use super::*;

/// Lab 3's execution (lognormal median and p99, ms), memory (GB) and burst rate (/s).
const LAB3_EXEC: (f64, f64) = (80.0, 400.0);
const LAB3_GB: f64 = 0.5;
const LAB3_BURST_RATE: f64 = 200.0;
/// AWS Lambda's provisioned-concurrency price, x86_64, per GB-second
/// (models/platforms/aws-lambda.json, aws.amazon.com/lambda/pricing).
const PC_GB_S: f64 = 4.1667e-6;

/// Arrivals of `workloads/bursty-api.csv` before `until_s`: (in the bursts, outside).
/// The bursts are 200 req/s for 10 s from 120 s every 600 s (the file's header).
fn bursty_counts(dir: &Path, until_s: f64) -> Result<(u64, u64)> {
    let path = dir.join("../../../workloads/bursty-api.csv");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let (mut burst, mut other) = (0, 0);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let t: f64 = line.trim().parse().map_err(|_| Error::Data {
            path: path.clone(),
            line: 0,
            message: format!("expected a time in seconds, got `{line}`"),
        })?;
        if t >= until_s {
            break;
        }
        if (120.0..130.0).contains(&(t % 600.0)) {
            burst += 1;
        } else {
            other += 1;
        }
    }
    Ok((burst, other))
}

pub(super) fn lab3(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let duration = match size {
        Size::Full => 3600.0,
        Size::Quick => 1800.0,
    };
    let set = [("duration_s", Value::from(duration))];
    let held = experiment(dir, "held-sweep.json", &set, None)?;
    let sched = experiment(dir, "scheduled-sweep.json", &set, None)?;
    let held_runs = run_all(&held)?;
    let sched_runs = run_all(&sched)?;
    let level = |exp: &Experiment, l: f64| {
        (0..exp.point_count()).find(|&p| {
            param(exp, p, "functions[0].provisioned.count") == l
                || param(exp, p, "functions[0].provisioned.steps[1].count") == l
        })
    };
    let at = |exp: &Experiment, runs: &[Vec<RunResult>], l: f64| -> Result<Vec<RunResult>> {
        level(exp, l)
            .map(|p| runs[p].clone())
            .ok_or_else(|| Error::Invalid {
                origin: exp.origin.clone(),
                field: "grid".to_owned(),
                message: format!("the lab expects level {l} among the points"),
            })
    };
    let (n_burst, n_other) = bursty_counts(dir, duration)?;
    let mean_s = lognormal_mean(LAB3_EXEC.0, LAB3_EXEC.1) / 1000.0;
    let a_burst = LAB3_BURST_RATE * mean_s;
    let a_base = mean_s; // 1 req/s between the bursts
    let mut figs = Vec::new();
    for c in [10u32, 20] {
        let runs = at(&held, &held_runs, f64::from(c))?;
        let reps = runs.len() as f64;
        let spill: f64 = runs
            .iter()
            .map(|r| r.total.provisioned.as_ref().map_or(0, |p| p.spillover) as f64)
            .sum::<f64>()
            / reps;
        let b = erlang_b(c, a_burst);
        let hi = n_burst as f64 * b + n_other as f64 * erlang_b(c, a_base);
        // Each burst starts with every provisioned instance free: in its first 0.5 s (5 mean
        // executions) fewer requests spill than in steady state, hence the lower end.
        let lo = n_burst as f64 * b * (1.0 - 0.5 / 10.0);
        let tol = 4.0 * (n_burst as f64 * b * (1.0 - b) / reps).sqrt();
        figs.push(KeyFigure::new(
            format!("held {c}: requests spilling over to on-demand instances (mean of {reps} runs)"),
            spill,
            lo - tol,
            hi + tol,
            format!(
                "Erlang B(c = {c}, a = 200/s x {} s = {}) = {} of the {n_burst} burst requests, less up to 5 % for each burst's first 0.5 s, ± 4 SE",
                num(mean_s),
                num(a_burst),
                num(b)
            ),
        ));
    }
    let held40 = at(&held, &held_runs, 40.0)?;
    let expected_spill = n_burst as f64 * erlang_b(40, a_burst);
    let max_cold = held40
        .iter()
        .map(|r| r.total.cold_starts)
        .max()
        .unwrap_or(0);
    figs.push(KeyFigure::new(
        "held 40: cold starts (most in a run)",
        max_cold as f64,
        0.0,
        (expected_spill + 4.0 * expected_spill.sqrt()).ceil(),
        format!(
            "a spill-over is the only way to a cold start: {n_burst} x B(40, {}) = {} expected, + 4 SE",
            num(a_burst),
            num(expected_spill)
        ),
    ));
    let floor = lognormal_tail(LAB3_EXEC.0, LAB3_EXEC.1, 300.0);
    let pooled = |runs: &[RunResult]| -> (f64, f64) {
        let over: u64 = runs.iter().map(|r| r.total.slo.map_or(0, |s| s.over)).sum();
        let n: u64 = runs.iter().map(|r| r.total.latency_ms.count).sum();
        (over as f64 / n as f64, n as f64)
    };
    let (share40, n40) = pooled(&held40);
    let tol = 4.0 * se(floor, n40);
    figs.push(KeyFigure::new(
        "held 40: share of requests over 300 ms",
        share40,
        floor - tol,
        floor + tol,
        format!(
            "no cold start left: P(S > 300 ms) for the lognormal execution (median 80, p99 400) = {}, ± 4 SE",
            num(floor)
        ),
    ));
    let (share0, n0) = pooled(&at(&held, &held_runs, 0.0)?);
    figs.push(KeyFigure::new(
        "level 0: share of requests over 300 ms",
        share0,
        floor + 4.0 * se(floor, n0),
        f64::INFINITY,
        format!(
            "cold starts add to the execution floor {}: above it by more than 4 SE",
            num(floor)
        ),
    ));
    let cost = |runs: &[RunResult]| {
        runs.iter().map(|r| r.total.cost_usd.total).sum::<f64>() / runs.len() as f64
    };
    let held_diff = cost(&at(&held, &held_runs, 60.0)?) - cost(&held40);
    let want = 20.0 * LAB3_GB * duration * PC_GB_S;
    figs.push(KeyFigure::new(
        "held: cost at 60 minus cost at 40, USD",
        held_diff,
        want * 0.999,
        want * 1.001,
        format!("20 instances x {LAB3_GB} GB x {duration} s x ${PC_GB_S}/GB-s = {} (the same requests on provisioned instances)", num(want)),
    ));
    let sched40 = at(&sched, &sched_runs, 40.0)?;
    let periods = (duration / 600.0).floor();
    let sched_diff = cost(&at(&sched, &sched_runs, 60.0)?) - cost(&sched40);
    let want = 20.0 * LAB3_GB * 300.0 * periods * PC_GB_S;
    figs.push(KeyFigure::new(
        "scheduled: cost at 60 minus cost at 40, USD",
        sched_diff,
        want * 0.999,
        want * 1.001,
        format!(
            "20 instances x {LAB3_GB} GB x {periods} periods x 300 s (120 s enabled, billed as AWS's 5-minute minimum) x ${PC_GB_S} = {}",
            num(want)
        ),
    ));
    let ratio = cost(&sched40) / cost(&held40);
    let (alloc_s, alloc_h) = (300.0 * periods, duration);
    figs.push(KeyFigure::new(
        "scheduled 40 cost / held 40 cost",
        ratio,
        f64::NEG_INFINITY,
        alloc_s / alloc_h + 0.1,
        format!(
            "the allocation dominates: {} s billed against {} s, a ratio of {} (+0.1 for the requests' own cost)",
            num(alloc_s),
            num(alloc_h),
            num(alloc_s / alloc_h)
        ),
    ));
    Ok(figs)
}
