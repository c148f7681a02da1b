//! Sweeps over trace replays read the trace once per distinct read (`docs/sweeps.md`), on
//! the sample Azure 2019 files of `tests/traces.rs`.

use std::path::Path;

use faassim::Scenario;
use faassim::workload::Workload;

use crate::common::temp_dir;
use crate::traces::{DIR, DUR19, INV19, MEM19, azure2019};
/// The arrival data of every trace function of `s`, in order.
fn trace_data(s: &Scenario) -> Vec<std::sync::Arc<faassim::trace::TraceData>> {
    s.functions
        .iter()
        .map(|f| match &f.workload {
            Some(Workload::Trace(t)) => t.data.clone(),
            other => panic!("not a trace workload: {other:?}"),
        })
        .collect()
}

/// A sweep over the template's keep-alive reads the trace once: every point's functions
/// share the arrival data of one read (the same allocation), and each point still gets its
/// own keep-alive. A grid over the window reads once per window; a file rewritten between
/// two points is read again.
#[test]
fn a_sweep_reads_its_trace_once_per_distinct_read() {
    use faassim::sweep::Experiment;
    let dir = temp_dir("sweep-trace-cache");
    std::fs::create_dir_all(dir.join("azure2019")).unwrap();
    for f in [INV19, DUR19, MEM19] {
        std::fs::copy(Path::new(DIR).join(f), dir.join(f)).unwrap();
    }
    let experiment = |grid: &str| {
        let text = format!(
            r#"{{"name": "e", "base": {{"name": "b", "seed": 1, "duration_s": 3600,
                 "traces": {}}}, "grid": {{{grid}}}}}"#,
            azure2019(r#", "window": {"minutes": 1440}"#).replace(
                r#""memory_mb": 256,"#,
                r#""memory_mb": 256, "keep_alive": {"policy": "fixed", "idle_s": 600},"#
            )
        );
        Experiment::from_str(&text, "e.json", &dir).unwrap()
    };
    let by_keep_alive = experiment(r#""traces.template.keep_alive.idle_s": [60, 600, 1200]"#);
    let points: Vec<Scenario> = (0..3)
        .map(|i| by_keep_alive.scenario(i, 0).unwrap())
        .collect();
    let first = trace_data(&points[0]);
    assert!(!first.is_empty());
    for p in &points[1..] {
        let data = trace_data(p);
        assert_eq!(data.len(), first.len());
        assert!(
            data.iter()
                .zip(&first)
                .all(|(a, b)| std::sync::Arc::ptr_eq(a, b))
        );
    }
    let idle: Vec<String> = points
        .iter()
        .map(|p| format!("{:?}", p.functions[0].keep_alive))
        .collect();
    assert!(idle[0] != idle[1] && idle[1] != idle[2], "{idle:?}");

    let by_window = experiment(r#""traces.window.minutes": [10, 20]"#);
    let (a, b) = (
        by_window.scenario(0, 0).unwrap(),
        by_window.scenario(1, 0).unwrap(),
    );
    let invocations = |s: &Scenario| s.trace.as_ref().unwrap().invocations;
    assert!(invocations(&a) < invocations(&b));
    assert!(!std::sync::Arc::ptr_eq(
        &trace_data(&a)[0],
        &trace_data(&b)[0]
    ));

    // Rewrite the invocations file without its last row: the next point reads it again.
    let text = std::fs::read_to_string(dir.join(INV19)).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(dir.join(INV19), kept[..kept.len() - 1].join("\n") + "\n").unwrap();
    let after = by_keep_alive.scenario(0, 0).unwrap();
    assert_eq!(after.functions.len() + 1, points[0].functions.len());
}
