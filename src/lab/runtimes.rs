//! Lab 2: runtimes and the cold-start share of p99.

use super::*;

/// Lab 2's rate (per second) and keep-alive (s): about 3 % of requests cold.
const LAB2_RATE: f64 = 0.05;
const LAB2_IDLE_S: f64 = 70.0;
/// Lab 2's execution p99, ms (base.json: lognormal, median 20, p99 60).
const LAB2_EXEC_P99: f64 = 60.0;

/// A lower bound on a Lambda cold start, ms, that holds with probability ≥ 0.998: the
/// 0.1st percentiles of the sandbox phase (aws-lambda profile: lognormal, median 90 ms,
/// σ 0.3) and of the runtime's start (its profile's published fit), added. Package size
/// and init only lengthen a cold start.
fn cold_start_floor_ms(runtime_p001: f64) -> f64 {
    90.0 * (-Z999 * 0.3).exp() + runtime_p001
}

pub(super) fn lab2(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let set = match size {
        Size::Full => vec![],
        Size::Quick => vec![("duration_s", Value::from(100_000))],
    };
    let exp = experiment(dir, "runtimes.json", &set, None)?;
    let runs = run_all(&exp)?;
    // The 0.1st percentile of each runtime's start phase, from models/runtimes/*.json:
    // nodejs LN(145 ms, 0.18); python LN(90, 0.25); java 0.97 LN(243, 0.10) + 0.03 LN(595,
    // 0.22), whose 0.1st percentile is within 1 ms of the main part's; java-snapstart's
    // restore 0.7 LN(735, 0.11) + 0.3 LN(1055, 0.11), likewise.
    let lambda_floor =
        |median: f64, sigma: f64| cold_start_floor_ms(median * (-Z999 * sigma).exp());
    let mut figs = Vec::new();
    for (p, reps) in runs.iter().enumerate() {
        let runtime = param_value(&exp, p, "functions[0].runtime")
            .as_str()
            .unwrap_or("?")
            .to_owned();
        let r = &reps[0].total;
        let served = (r.warm_starts + r.cold_starts) as f64;
        let cold = r.cold_start_ratio.unwrap_or(0.0);
        let c = (-LAB2_RATE * LAB2_IDLE_S).exp();
        figs.push(KeyFigure::new(
            format!("{runtime}: cold-start ratio (more than the 1 % beyond p99)"),
            cold,
            0.01,
            f64::INFINITY,
            format!(
                "e^(-lambda T) = e^(-{LAB2_RATE} x {LAB2_IDLE_S}) = {} ± {} (4 SE); it must exceed 1 % for cold starts to reach p99",
                num(c),
                num(4.0 * se(c, served))
            ),
        ));
        let p99 = r.latency_ms.p99.unwrap_or(0.0);
        let warm = r.warm_latency_ms.p99.unwrap_or(0.0);
        let share = if p99 > 0.0 { (p99 - warm) / p99 } else { 0.0 };
        let floor = match runtime.as_str() {
            "nodejs" => Some(lambda_floor(145.0, 0.18)),
            "python" => Some(lambda_floor(90.0, 0.25)),
            "java" => Some(lambda_floor(243.0, 0.10)),
            "java-snapstart" => Some(lambda_floor(735.0, 0.11)),
            _ => None,
        };
        match floor {
            Some(t) => {
                figs.push(KeyFigure::new(
                    format!("{runtime}: p99 of all requests, ms"),
                    p99,
                    t,
                    f64::INFINITY,
                    format!(
                        "over 1 % of requests are cold and a cold start exceeds {} ms (sandbox + runtime start, 0.1st percentiles of the profiles) with probability >= 0.998, so p99 >= {} ms",
                        num(t),
                        num(t)
                    ),
                ));
                figs.push(KeyFigure::new(
                    format!("{runtime}: cold-start share of p99, (p99 - warm p99) / p99"),
                    share,
                    1.0 - LAB2_EXEC_P99 / t,
                    1.0,
                    format!("p99 >= {} ms and warm p99 = execution p99 = {LAB2_EXEC_P99} ms: share >= 1 - {LAB2_EXEC_P99}/{}", num(t), num(t)),
                ));
            }
            None => {
                // V8 isolate on Workers: no sandbox, no code load; start LN(5 ms, 0.5),
                // whose 99.9th percentile is 5·e^(3.09·0.5) = 23.4 ms.
                let c999 = 5.0 * (Z999 * 0.5).exp();
                figs.push(KeyFigure::new(
                    format!("{runtime}: p99 - warm p99, ms (what cold starts add)"),
                    p99 - warm,
                    f64::NEG_INFINITY,
                    c999 + 0.002 * p99,
                    format!(
                        "a cold request takes its execution plus at most {} ms (99.9th percentile of the isolate's LN(5 ms, 0.5) start), so p99 exceeds the warm p99 by at most that (+0.2 % histogram precision)",
                        num(c999)
                    ),
                ));
                figs.push(KeyFigure::new(
                    format!("{runtime}: cold-start share of p99, (p99 - warm p99) / p99"),
                    share,
                    f64::NEG_INFINITY,
                    c999 / warm.max(1.0) + 0.002,
                    format!("at most {} ms / warm p99", num(c999)),
                ));
            }
        }
    }
    Ok(figs)
}
