//! Sweep throughput: a 16-point sweep (2 replications) of a short scenario, on 1 and on
//! 2 threads. The ratio of the two is the parallel speed-up of the sweep engine
//! (`docs/performance.md`, "Sweeps").

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use faassim::sweep::{self, Experiment, Shard, SweepOptions};

const EXPERIMENT: &str = r#"{
  "name": "bench", "seed": 1, "replications": 2,
  "base": {
    "name": "b", "duration_s": 2000, "platform": "aws-lambda",
    "functions": [{
      "name": "f", "runtime": "nodejs",
      "exec_ms": {"dist": "exponential", "mean": 50},
      "cold_start_ms": {"dist": "const", "value": 500},
      "keep_alive": {"policy": "fixed", "idle_s": 600},
      "workload": {"kind": "poisson", "rate_per_s": 100}
    }]
  },
  "grid": {"functions[0].keep_alive.idle_s": {"from": 1, "to": 16, "step": 1}}
}"#;

fn bench(c: &mut Criterion) {
    let exp = Experiment::from_str(EXPERIMENT, "bench.json", Path::new(".")).unwrap();
    let out = std::env::temp_dir().join(format!("faassim-bench-sweep-{}", std::process::id()));
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    for threads in [1, 2] {
        group.bench_function(format!("32_runs_{threads}_threads"), |b| {
            b.iter(|| {
                let opts = SweepOptions {
                    threads,
                    out: out.clone(),
                    shard: Shard::ALL,
                    resume: false,
                };
                let _ = std::fs::remove_dir_all(&out);
                sweep::run(&exp, &opts, &|_| {}).unwrap()
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
}

criterion_group!(benches, bench);
criterion_main!(benches);
