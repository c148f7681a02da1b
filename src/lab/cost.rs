//! Lab 5: pay-per-use against an always-on fleet.

use super::*;

/// AWS Lambda x86_64 list prices (models/platforms/aws-lambda.json, aws.amazon.com/lambda/pricing).
const REQUEST_USD: f64 = 0.2e-6;
const GB_S_USD: f64 = 1.66667e-5;
/// steady.json: execution (lognormal median, p99; ms), memory (GB), fleet server.
const LAB5_EXEC: (f64, f64) = (90.0, 250.0);
const LAB5_GB: f64 = 1.0;
const FLEET_USD_H: f64 = 0.0416;
/// CPU share of one execution: cpu_fraction 1 × 1,024 MB / 1,769 MB per vCPU (Lambda).
const LAB5_CPU_SHARE: f64 = 1024.0 / 1769.0;

/// The rate's parameter path.
const RATE: &str = "functions[0].workload.rate_per_s";

pub(super) fn lab5(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let measured_s = match size {
        Size::Full => 3600.0,
        Size::Quick => 600.0,
    };
    let set = [("duration_s", Value::from(measured_s + 60.0))];
    let exp = experiment(dir, "crossover.json", &set, None)?;
    let runs = run_all(&exp)?;
    let hours = measured_s / 3600.0;
    let mean_s = lognormal_mean(LAB5_EXEC.0, LAB5_EXEC.1) / 1000.0;
    // Billed duration: rounded up to the millisecond, +0.5 ms on average.
    let per_request = REQUEST_USD + (mean_s + 0.0005) * LAB5_GB * GB_S_USD;
    let sigma = lognormal_sigma(LAB5_EXEC.0, LAB5_EXEC.1);
    let sd_request = mean_s * ((sigma * sigma).exp() - 1.0).sqrt() * LAB5_GB * GB_S_USD;
    let mut figs = Vec::new();
    let mut rows = Vec::new();
    for p in sorted_points(&exp, RATE) {
        let reps = &runs[p];
        let rate = param(&exp, p, RATE);
        let n = reps.len() as f64;
        let cost = reps.iter().map(|r| r.total.cost_usd.total).sum::<f64>() / n;
        let fleet = reps
            .iter()
            .map(|r| r.total.cost_usd.always_on_fleet.usd)
            .sum::<f64>()
            / n;
        let invocations = reps.iter().map(|r| r.total.invocations).sum::<u64>() as f64;
        rows.push((rate, cost, fleet));
        if rate == 10.0 || rate == 1000.0 {
            let got = reps.iter().map(|r| r.total.cost_usd.total).sum::<f64>() / invocations;
            let tol = 4.0 * sd_request / invocations.sqrt();
            figs.push(KeyFigure::new(
                format!("pay-per-use cost per request at {rate} req/s, USD"),
                got,
                per_request - tol,
                per_request + tol,
                format!(
                    "$0.20/M + (E[S] {} s + 0.5 ms rounding) x {LAB5_GB} GB x ${GB_S_USD}/GB-s = {}, ± 4 SE",
                    num(mean_s),
                    num(per_request)
                ),
            ));
        }
        if rate <= 10.0 {
            figs.push(KeyFigure::new(
                format!("fleet cost at {rate} req/s, USD"),
                fleet,
                FLEET_USD_H * hours * 0.9999,
                FLEET_USD_H * hours * 1.0001,
                format!(
                    "one t3.medium: demand {} x {} s x {} vCPU = {} vCPU < 2 x 0.6",
                    num(rate),
                    num(mean_s),
                    num(LAB5_CPU_SHARE),
                    num(rate * mean_s * LAB5_CPU_SHARE)
                ),
            ));
        }
        if rate == 1000.0 {
            let demand = rate * mean_s * LAB5_CPU_SHARE;
            let servers = (demand / 1.2).ceil();
            figs.push(KeyFigure::new(
                "fleet servers at 1,000 req/s",
                fleet / (FLEET_USD_H * hours),
                servers,
                servers + 2.0,
                format!(
                    "ceil(mean demand {} vCPU / (2 x 0.6)) = {}; the busiest minute adds about 1 %",
                    num(demand),
                    num(servers)
                ),
            ));
        }
    }
    let crossing = rows.windows(2).find_map(|w| {
        let ((r0, c0, f0), (r1, c1, f1)) = (w[0], w[1]);
        let (d0, d1) = (c0 - f0, c1 - f1);
        (d0 < 0.0 && d1 >= 0.0).then(|| r0 + (r1 - r0) * (-d0) / (d1 - d0))
    });
    let star = FLEET_USD_H / (3600.0 * per_request);
    // The pay-per-use cost at the crossing has a relative SE of sd/mean/sqrt(n).
    let rel = 4.0 * sd_request / per_request / (star * measured_s * 2.0).sqrt();
    figs.push(KeyFigure::new(
        "crossing rate, req/s (interpolated between the sweep's points)",
        crossing.unwrap_or(f64::NAN),
        star * (1.0 - rel),
        star * (1.0 + rel),
        format!(
            "$0.0416 an hour / (3,600 x ${} a request) = {} req/s (one server suffices up to ~20 req/s), ± 4 SE",
            num(per_request),
            num(star)
        ),
    ));
    Ok(figs)
}
