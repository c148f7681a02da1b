//! Simulated invocations per second of the core loop.
//!
//! `reference`: the performance reference scenario of `experiments/reference.json` (one
//! function, Poisson 100 req/s, exponential execution with mean 50 ms, 500 ms cold start,
//! 600 s keep-alive), shortened to 10^6 invocations so that criterion can repeat it.
//! `many_functions`: the same total load spread over 100 functions (1 req/s each), which
//! exercises per-function state and a larger event heap.
//!
//! Run with `cargo bench --bench core`; throughput is reported in invocations per second
//! ("elem/s"). See `docs/performance.md` for recorded figures.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faassim::{Scenario, SimTime, sim};

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

criterion_group!(benches, bench);
criterion_main!(benches);
