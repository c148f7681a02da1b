//! Lab 4: the flash sale in 10-second windows.

use super::*;

/// Per 10-second window (by the end of each request): cold starts, throttles and the
/// response times of the served requests.
#[derive(Default)]
struct Windows {
    bins: Vec<(u64, u64, Vec<f32>)>,
}

/// Width of a window, ns.
const WINDOW_NS: u64 = 10_000_000_000;

impl RequestLog for Windows {
    fn record(&mut self, r: &RequestRecord<'_>) -> Result<()> {
        if r.ping || !r.measured {
            return Ok(());
        }
        let w = (r.end.0 / WINDOW_NS) as usize;
        if self.bins.len() <= w {
            self.bins.resize_with(w + 1, Default::default);
        }
        let bin = &mut self.bins[w];
        match r.outcome {
            Outcome::Throttled => bin.1 += 1,
            Outcome::Cold => {
                bin.0 += 1;
                bin.2.push((r.end.0 - r.arrival.0) as f32 / 1e6);
            }
            Outcome::Warm => bin.2.push((r.end.0 - r.arrival.0) as f32 / 1e6),
        }
        Ok(())
    }
}

/// The 99th percentile (nearest rank) of `xs`.
fn p99(xs: &mut [f32]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let k = ((xs.len() as f64 * 0.99).ceil() as usize).clamp(1, xs.len()) - 1;
    let (_, v, _) = xs.select_nth_unstable_by(k, f32::total_cmp);
    f64::from(*v)
}

fn run_windows(s: &Scenario) -> Result<(RunResult, Windows)> {
    let mut w = Windows::default();
    let out = sim::run(
        s,
        RunOptions {
            log: Some(&mut w),
            progress: None,
            interleaved: false,
            general_path: false,
            threads: 1,
        },
    )?;
    Ok((RunResult::new(s, &out), w))
}

/// Lab 4's sale: start (s), peak rate (/s), base rate (/s), account quota, execution.
const LAB4_START_S: f64 = 300.0;
const LAB4_PEAK: f64 = 8000.0;
const LAB4_BASE: f64 = 200.0;
const LAB4_QUOTA: f64 = 3000.0;
const LAB4_EXEC: (f64, f64) = (250.0, 1000.0);

pub(super) fn lab4(dir: &Path, size: Size) -> Result<Vec<KeyFigure>> {
    let set = match size {
        Size::Full => vec![],
        Size::Quick => vec![
            ("duration_s", Value::from(480)),
            ("functions[0].workload.plateau_s", Value::from(60)),
        ],
    };
    let sale = scenario(dir, "sale.json", &set)?;
    let pc = scenario(dir, "sale-pc.json", &set)?;
    let (on_demand, provisioned) = rayon::join(|| run_windows(&sale), || run_windows(&pc));
    let ((r, mut w), (rpc, wpc)) = (on_demand?, provisioned?);
    let start = (LAB4_START_S * 1e9) as u64 / WINDOW_NS;
    let storm = start as usize..(start as usize + 3).min(w.bins.len());
    let mean_s = lognormal_mean(LAB4_EXEC.0, LAB4_EXEC.1) / 1000.0;
    let (a_peak, a_base) = (LAB4_PEAK * mean_s, LAB4_BASE * mean_s);
    let mut figs = Vec::new();
    let t = &r.total;
    figs.push(KeyFigure::new(
        "on demand: throttled by the concurrency quota",
        t.throttle_causes.concurrency as f64,
        0.0,
        0.0,
        format!(
            "peak need 8,000/s x {} s = {} concurrent executions < quota {LAB4_QUOTA}",
            num(mean_s),
            num(a_peak)
        ),
    ));
    let in_storm: u64 = w.bins[storm.clone()].iter().map(|b| b.1).sum();
    let total_thr: u64 = w.bins.iter().map(|b| b.1).sum();
    figs.push(KeyFigure::new(
        "on demand: throttled in the sale's first 30 s (scale-out rate)",
        in_storm as f64,
        1.0,
        f64::INFINITY,
        format!(
            "by the end of the 10 s ramp at most ~{} + 1,000 + 10 x 100 = {} environments exist, fewer than the {} needed",
            num((a_base + 4.0 * a_base.sqrt()).ceil()),
            num((a_base + 4.0 * a_base.sqrt()).ceil() + 2000.0),
            num(a_peak)
        ),
    ));
    figs.push(KeyFigure::new(
        "on demand: throttled outside the sale's first 30 s",
        (total_thr - in_storm) as f64,
        0.0,
        0.0,
        format!(
            "the bucket refills at 100/s: the {} missing environments are there within {} s of the bucket running dry",
            num(a_peak + 4.0 * a_peak.sqrt() - 1000.0),
            num((a_peak + 4.0 * a_peak.sqrt() - 1000.0) / 100.0)
        ),
    ));
    let storm_cold: u64 = w.bins[storm.clone()].iter().map(|b| b.0).sum();
    let lo = a_peak - 4.0 * a_peak.sqrt() - (a_base + 4.0 * a_base.sqrt());
    figs.push(KeyFigure::new(
        "on demand: cold starts in the sale's first 30 s",
        storm_cold as f64,
        lo,
        LAB4_QUOTA,
        format!(
            "peak need {} - 4 sqrt, less the ~{} instances warm before the sale; at most the quota",
            num(a_peak),
            num(a_base + 4.0 * a_base.sqrt())
        ),
    ));
    let worst = storm
        .clone()
        .max_by_key(|&i| w.bins[i].0)
        .unwrap_or(start as usize);
    let storm_p99 = p99(&mut w.bins[worst].2);
    let before = (start as usize).saturating_sub(6)..start as usize;
    let before_p99 = before.map(|i| p99(&mut w.bins[i].2)).fold(0.0, f64::max);
    figs.push(KeyFigure::new(
        "on demand: p99 of the stormiest 10 s window / highest p99 of the minute before",
        storm_p99 / before_p99.max(1.0),
        1.0,
        f64::INFINITY,
        "several % of that window's requests wait for a cold start (about 1 s: sandbox + Node.js + 800 ms init): its p99 rises above every window before the sale",
    ));
    figs.push(KeyFigure::new(
        "provisioned 2,500: throttled",
        rpc.total.throttled as f64,
        0.0,
        0.0,
        format!(
            "2,500 provisioned > {} needed; the spill-over (Erlang B(2500, {}) = {}) needs a few on-demand instances, far under the 1,000-token bucket",
            num(a_peak),
            num(a_peak),
            num(erlang_b(2500, a_peak))
        ),
    ));
    let pc_cold: u64 = wpc.bins[storm].iter().map(|b| b.0).sum();
    let spill_rate = LAB4_PEAK * erlang_b(2500, a_peak);
    figs.push(KeyFigure::new(
        "provisioned 2,500: cold starts in the sale's first 30 s",
        pc_cold as f64,
        0.0,
        (4.0 * spill_rate * mean_s).ceil() + 10.0,
        format!(
            "spill-over {} req/s x {} s keeps about {} on-demand instances busy; each starts cold once (allowance 4x + 10)",
            num(spill_rate),
            num(mean_s),
            num(spill_rate * mean_s)
        ),
    ));
    Ok(figs)
}
