//! Simulated invocations per second of the core loop.
//!
//! `reference`: the performance reference scenario of `experiments/reference.json` (one
//! function, Poisson 100 req/s, exponential execution with mean 50 ms, 500 ms cold start,
//! 600 s keep-alive), shortened to 10^6 invocations so that criterion can repeat it.
//! `many_functions`: the same total load spread over 100 functions (1 req/s each), which
//! exercises per-function state and a larger event heap.
//!
//! `functions/N`: a day of N rarely invoked functions (6 invocations each, from a trace
//! file with a function column), end to end: loading the trace, the run and the summary.
//! N = 4,000 and 8,000: doubling the functions should double the time (no step of
//! loading, validation, simulation or summary is quadratic in the functions).
//!
//! Run with `cargo bench --bench core`; throughput is reported in invocations per second
//! ("elem/s"). See `docs/performance.md` for recorded figures.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faassim::{RunResult, Scenario, SimTime, sim};

fn reference(duration_s: f64) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/reference.json");
    let mut s = Scenario::load(&path).expect("reference scenario loads");
    s.duration = SimTime::from_secs(duration_s);
    s
}

fn many_functions(n: usize, duration_s: f64) -> Scenario {
    let functions: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"name": "f{i}", "runtime": "nodejs",
                  "exec_ms": {{"dist": "exponential", "mean": 50}},
                  "cold_start_ms": {{"dist": "const", "value": 500}},
                  "keep_alive": {{"policy": "fixed", "idle_s": 600}},
                  "workload": {{"kind": "poisson", "rate_per_s": {}}}}}"#,
                100.0 / n as f64
            )
        })
        .collect();
    let json = format!(
        r#"{{"name": "many", "seed": 1, "duration_s": {duration_s}, "functions": [{}]}}"#,
        functions.join(",")
    );
    Scenario::from_str(&json, "many", Path::new(".")).expect("scenario loads")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("core");
    group.sample_size(10);
    // 10^4 s at 100 req/s: about 10^6 invocations per iteration.
    let invocations = 1_000_000;
    group.throughput(Throughput::Elements(invocations));
    let s = reference(10_000.0);
    group.bench_function("reference", |b| {
        b.iter(|| black_box(sim::run(&s, Default::default()).unwrap()))
    });
    let s = many_functions(100, 10_000.0);
    group.bench_function("many_functions", |b| {
        b.iter(|| black_box(sim::run(&s, Default::default()).unwrap()))
    });
    group.finish();
}

/// Writes a day of `n` functions invoked 6 times each (a few hours apart) into `dir` and
/// returns the scenario text that replays it.
fn rare_functions(n: u64, dir: &Path) -> String {
    let mut rows = Vec::new();
    for k in 0..6u64 {
        for f in 0..n {
            rows.push((k * 14_000 + (f * 7) % 13_000, f));
        }
    }
    rows.sort();
    let text: String = rows.iter().map(|(t, f)| format!("{t},fn{f}\n")).collect();
    std::fs::write(dir.join(format!("rare-{n}.csv")), text).expect("writes the trace");
    format!(
        r#"{{"name": "rare", "seed": 1, "duration_s": 86400,
            "traces": {{"format": "csv", "invocations": "rare-{n}.csv",
              "template": {{"runtime": "nodejs", "memory_mb": 256,
                "exec_ms": {{"dist": "lognormal", "median": 80, "p99": 900}},
                "keep_alive": {{"policy": "fixed", "idle_s": 600}}}}}}}}"#
    )
}

fn bench_functions(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("faassim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates a scratch folder");
    let mut group = c.benchmark_group("functions");
    group.sample_size(10);
    for n in [4_000u64, 8_000] {
        let json = rare_functions(n, &dir);
        group.throughput(Throughput::Elements(6 * n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &json, |b, json| {
            b.iter(|| {
                let s = Scenario::from_str(json, "rare.json", &dir).expect("scenario loads");
                let out = sim::run(&s, Default::default()).expect("runs");
                black_box(RunResult::new(&s, &out))
            })
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench, bench_functions);
criterion_main!(benches);
