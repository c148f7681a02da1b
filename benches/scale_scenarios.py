"""Writes the scale scenarios of docs/performance.md into target/scale/.

- many-functions.json: the reference load (100 req/s, exponential 50 ms, 500 ms cold start,
  600 s keep-alive, 10^7 invocations) spread over 1,000 functions of 0.1 req/s each.
- busy-10k.json: one function at 10,000 req/s with 1 s executions, so about 10,000
  instances are busy at once (10^7 invocations).

Usage: python3 benches/scale_scenarios.py
"""

import json
from pathlib import Path

out = Path(__file__).resolve().parent.parent / "target" / "scale"
out.mkdir(parents=True, exist_ok=True)


def function(name, rate, exec_mean_ms):
    return {
        "name": name,
        "runtime": "nodejs",
        "exec_ms": {"dist": "exponential", "mean": exec_mean_ms},
        "cold_start_ms": {"dist": "const", "value": 500},
        "keep_alive": {"policy": "fixed", "idle_s": 600},
        "workload": {"kind": "poisson", "rate_per_s": rate},
    }


many = {
    "name": "many-functions",
    "seed": 1,
    "duration_s": 100000,
    "functions": [function(f"f{i}", 0.1, 50) for i in range(1000)],
}
busy = {
    "name": "busy-10k",
    "seed": 1,
    "duration_s": 1000,
    "platform_overrides": {"account_concurrency": 20000},
    "functions": [function("f", 10000, 1000)],
}
for name, scenario in [("many-functions", many), ("busy-10k", busy)]:
    path = out / f"{name}.json"
    path.write_text(json.dumps(scenario))
    print(path)
