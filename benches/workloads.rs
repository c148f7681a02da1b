//! Arrivals generated per second by each workload kind (no simulation around them).
//!
//! Run with `cargo bench --bench workloads`; throughput is in arrivals per second
//! ("elem/s"). Every generator should stay well above the simulation's own rate (a few
//! million invocations per second), so that arrivals never dominate a run.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faassim::rng::{self, Stream};
use faassim::workload::{Workload, WorkloadSpec};

const N: u64 = 1_000_000;

const KINDS: [(&str, &str); 7] = [
    ("poisson", r#"{"kind": "poisson", "rate_per_s": 100}"#),
    (
        "on_off",
        r#"{"kind": "on_off", "on_rate_per_s": 200, "off_rate_per_s": 1, "mean_on_s": 10, "mean_off_s": 290}"#,
    ),
    (
        "diurnal_sine",
        r#"{"kind": "diurnal", "rate_per_s": 100, "daily": {"shape": "sine", "amplitude": 0.8},
            "weekly": {"shape": "sine", "amplitude": 0.3}}"#,
    ),
    (
        "flash_sale",
        r#"{"kind": "flash_sale", "base_rate_per_s": 100, "peak_multiplier": 30, "start_s": 600,
            "ramp_s": 600, "plateau_s": 600, "decay_s": 600, "every_s": 3600}"#,
    ),
    (
        "hawkes",
        r#"{"kind": "hawkes", "base_rate_per_s": 20, "branching_ratio": 0.8, "decay_s": 1}"#,
    ),
    ("cron", r#"{"kind": "cron", "schedule": "* * * * *"}"#),
    (
        "sum_of_4",
        r#"{"kind": "sum", "workloads": [{"kind": "poisson", "rate_per_s": 100},
            {"kind": "poisson", "rate_per_s": 100}, {"kind": "poisson", "rate_per_s": 100},
            {"kind": "poisson", "rate_per_s": 100}]}"#,
    ),
];

fn workload(json: &str) -> Workload {
    let spec: WorkloadSpec = serde_json::from_str(json).expect("valid JSON");
    spec.validate("w", Path::new(".")).expect("valid workload")
}

fn generators(c: &mut Criterion) {
    let mut g = c.benchmark_group("workloads");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    for (name, json) in KINDS {
        let w = workload(json);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut s = w.start(rng::stream(1, 0, Stream::Arrivals)).unwrap();
                let mut last = None;
                for _ in 0..N {
                    last = s.next_arrival().unwrap();
                }
                black_box(last)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, generators);
criterion_main!(benches);
