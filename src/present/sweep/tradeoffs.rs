//! The sweep report's trade-offs: pay-per-use against the always-on fleet (where the costs
//! cross), cold starts against idle memory (the frontier), and the spread of cold starts
//! across functions.

use super::*;

/// Pay-per-use cost against the always-on fleet's, with the crossing marked.
pub(super) fn crossover_section(r: &mut Report, s: &SweepSummary, axes: &[&String]) -> Result<()> {
    if !(s.has_metric("cost_usd") && s.has_metric("fleet_usd")) {
        return Ok(());
    }
    let mut figures = Vec::new();
    let mut crossings = Vec::new();
    for p in axes {
        let xs = numeric_values(s, p).expect("an axis parameter");
        for (label, points) in groups(s, p).into_iter().take(MAX_SERIES) {
            let mut pay = Vec::new();
            let mut fleet = Vec::new();
            for &i in &points {
                if let (Some(c), Some(f)) = (s.metric(i, "cost_usd")?, s.metric(i, "fleet_usd")?) {
                    pay.push((xs[i], c.0));
                    fleet.push((xs[i], f.0));
                }
            }
            pay.sort_by(|a, b| a.0.total_cmp(&b.0));
            fleet.sort_by(|a, b| a.0.total_cmp(&b.0));
            if pay.len() < 2 || fleet.iter().all(|f| f.1 == 0.0) {
                continue;
            }
            let markers: Vec<Marker> = crossing(&pay, &fleet)
                .map(|x| {
                    crossings.push(format!("{} = {}", short(p), fmt_num(x)));
                    Marker::new(x, format!("crossover at {}", fmt_num(x)))
                })
                .into_iter()
                .collect();
            let suffix = if label.is_empty() {
                String::new()
            } else {
                format!(" ({label})")
            };
            figures.push(Figure::new(
                format!("cost-crossover-{}-{}", slug(short(p)), figures.len()),
                LineChart {
                    title: format!("Pay-per-use against an always-on fleet{suffix}"),
                    x: axis(short(p).to_owned(), wants_log(&xs)),
                    y: Axis::linear("cost over the run (USD)"),
                    series: vec![
                        Series::new("pay per use", pay),
                        Series::new("always-on fleet", fleet),
                    ],
                    markers,
                    ..Default::default()
                }
                .to_svg(),
            ));
        }
    }
    if figures.is_empty() {
        return Ok(());
    }
    let ids = r.add_figures(figures)?;
    let found = if crossings.is_empty() {
        "The lines do not cross inside the swept range.".to_owned()
    } else {
        format!(
            "They cross at {} (linear interpolation between neighbouring points).",
            crossings.join("; ")
        )
    };
    r.sections.push(Section {
        heading: "Cost crossover".into(),
        text: format!(
            "The platform's pay-per-use cost (cost_usd) against a fleet of always-on \
             instances sized for the same load (fleet_usd). {found}"
        ),
        figures: ids,
        tables: Vec::new(),
    });
    Ok(())
}

/// The first x where `a − b` changes sign between neighbouring points, by linear
/// interpolation (both lists on the same xs, sorted).
pub fn crossing(a: &[(f64, f64)], b: &[(f64, f64)]) -> Option<f64> {
    let d: Vec<(f64, f64)> = a.iter().zip(b).map(|(p, q)| (p.0, p.1 - q.1)).collect();
    d.windows(2).find_map(|w| {
        let ((x0, d0), (x1, d1)) = (w[0], w[1]);
        if d0 == 0.0 {
            Some(x0)
        } else if d0 * d1 < 0.0 {
            Some(x0 + (x1 - x0) * d0 / (d0 - d1))
        } else {
            None
        }
    })
}

/// Cold-start percentage against idle memory-time, every point, with the frontier.
pub(super) fn frontier_section(r: &mut Report, s: &SweepSummary) -> Result<()> {
    if !(s.has_metric("cold_start_ratio") && s.has_metric("idle_gb_s")) || s.len() < 2 {
        return Ok(());
    }
    let mut points = Vec::new();
    // Labels only while they can be read; beyond, the table of points names them.
    let labelled = s.len() <= FRONTIER_LABELS;
    for i in 0..s.len() {
        if let (Some(c), Some(g)) = (s.metric(i, "cold_start_ratio")?, s.metric(i, "idle_gb_s")?) {
            // The point's number, which the table of points below explains: whole
            // parameter lists overlap one another.
            let label = if labelled {
                format!("#{i}")
            } else {
                String::new()
            };
            points.push(LabelledPoint::new(g.0, 100.0 * c.0, label));
        }
    }
    if points.len() < 2 {
        return Ok(());
    }
    let ids = r.add_figures(vec![Figure::new(
        "keep-alive-frontier",
        Scatter {
            title: "Trade-off: cold starts against idle memory".into(),
            x: Axis::linear("idle memory-time (GB-s)"),
            y: Axis::linear("cold starts (% of served requests)"),
            groups: vec![PointGroup {
                name: "points of the sweep".into(),
                points,
            }],
            frontier: true,
            ..Default::default()
        }
        .to_svg(),
    )])?;
    r.sections.push(Section {
        heading: "Trade-off frontier".into(),
        text: format!(
            "Every point's mean cold-start percentage against its mean idle memory-time \
             (the memory kept warm and unused). The line joins the points no other point \
             beats on both.{}",
            if labelled {
                " Each point is labelled with its number in the table below."
            } else {
                " The table below lists the points."
            }
        ),
        figures: ids,
        tables: Vec::new(),
    });
    Ok(())
}

/// Per-function cold-start percentages of a few points (replication 0), as CDFs.
pub(super) fn functions_section(r: &mut Report, s: &SweepSummary, rows: &[Row]) -> Result<()> {
    let first: Vec<&Row> = rows.iter().filter(|row| row.replication == 0).collect();
    if first.iter().all(|row| row.functions.len() < 2) {
        return Ok(());
    }
    // The first point, the last and up to two between.
    let n = first.len();
    let mut pick: Vec<usize> = vec![0, n / 3, 2 * n / 3, n - 1];
    pick.dedup();
    let series = pick
        .iter()
        .map(|&k| {
            let row = first[k];
            let mut pct: Vec<f64> = row
                .functions
                .iter()
                .filter(|f| f.invocations > 0)
                .filter_map(|f| f.cold_start_ratio.map(|c| 100.0 * c))
                .collect();
            pct.sort_by(f64::total_cmp);
            let m = pct.len() as f64;
            let points = pct
                .iter()
                .enumerate()
                .map(|(j, &v)| (v, (j + 1) as f64 / m))
                .collect();
            let label = s
                .params
                .iter()
                .map(|q| format!("{}={}", short(q), s.param(row.point, q)))
                .collect::<Vec<_>>()
                .join(" ");
            (format!("point {}: {label}", row.point), points)
        })
        .collect();
    let ids = r.add_figures(vec![Figure::new(
        "functions-cold-start-cdf",
        Cdf {
            title: "Cold-start percentage across functions".into(),
            x_label: "cold starts of a function (% of its served requests)".into(),
            log_x: false,
            series,
            ..Default::default()
        }
        .to_svg(),
    )])?;
    r.sections.push(Section {
        heading: "Across functions".into(),
        text: "The distribution over the functions invoked in the measured period of each \
               function's cold-start percentage (replication 0 of a few points): a run's \
               total weighs requests, so busy functions hide what a policy does to rare ones."
            .into(),
        figures: ids,
        tables: Vec::new(),
    });
    Ok(())
}
