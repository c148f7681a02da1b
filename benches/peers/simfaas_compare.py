#!/usr/bin/env python3
"""Speed and sanity comparison with SimFaaS (pip install simfaas), the Python peer.

The scenario is SimFaaS's own example (ServerlessSimulator.py, __main__): Poisson arrivals
at 0.9 requests/s, exponential warm service (mean 2.016 s), cold service mean 2.163 s,
instances expire after 600 s idle, newest idle instance first. In faassim: exponential
execution (mean 2016 ms) plus a constant 147 ms cold start (so a cold request takes
2.163 s on average, as in SimFaaS, though SimFaaS draws the whole cold service from one
exponential), fixed keep-alive 600 s, `reuse: newest`.

Both simulators are timed as whole runs; faassim runs a longer horizon (--faassim-scale
times SimFaaS's) because it finishes the same horizon in milliseconds. The script prints
requests simulated per second for each, their ratio, and both cold-start probabilities.

Usage (from a checkout, after `cargo build --release`):
    python3 -m venv /tmp/simfaas-venv && /tmp/simfaas-venv/bin/pip install simfaas
    /tmp/simfaas-venv/bin/python benches/peers/simfaas_compare.py [--max-time 1e5]
"""

import argparse
import json
import math
import os
import subprocess
import tempfile
import time

import numpy as np
from simfaas.ServerlessSimulator import ServerlessSimulator

ARRIVAL_RATE = 0.9
WARM_MEAN_S = 2.016
COLD_MEAN_S = 2.163
EXPIRATION_S = 600


def run_simfaas(max_time, seed):
    np.random.seed(seed)
    sim = ServerlessSimulator(
        arrival_rate=ARRIVAL_RATE,
        warm_service_rate=1 / WARM_MEAN_S,
        cold_service_rate=1 / COLD_MEAN_S,
        expiration_threshold=EXPIRATION_S,
        max_time=max_time,
    )
    start = time.perf_counter()
    sim.generate_trace(debug_print=False, progress=False)
    elapsed = time.perf_counter() - start
    return sim.total_req_count, sim.total_cold_count, elapsed


def run_faassim(binary, duration_s, seed):
    scenario = {
        "name": "simfaas-example",
        "seed": seed,
        "duration_s": duration_s,
        "platform": "aws-lambda",
        "functions": [{
            "name": "f",
            "runtime": "nodejs",
            "exec_ms": {"dist": "exponential", "mean": WARM_MEAN_S * 1000},
            "cold_start_ms": {"dist": "const", "value": (COLD_MEAN_S - WARM_MEAN_S) * 1000},
            "keep_alive": {"policy": "fixed", "idle_s": EXPIRATION_S},
            "reuse": "newest",
            "workload": {"kind": "poisson", "rate_per_s": ARRIVAL_RATE},
        }],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(scenario, f)
        path = f.name
    try:
        start = time.perf_counter()
        out = subprocess.run([binary, "run", path, "--format", "json", "-q"],
                             check=True, capture_output=True, text=True).stdout
        elapsed = time.perf_counter() - start
    finally:
        os.unlink(path)
    total = json.loads(out)["total"]
    return total["invocations"], total["cold_starts"], elapsed


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_bin = os.path.join(here, "..", "..", "target", "release", "faassim")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-time", type=float, default=1e5, help="SimFaaS horizon, s")
    p.add_argument("--faassim-scale", type=float, default=100,
                   help="faassim horizon = this x SimFaaS's")
    p.add_argument("--runs", type=int, default=3, help="runs of each (median time)")
    p.add_argument("--faassim", default=default_bin)
    a = p.parse_args()

    sf, fs = [], []
    for i in range(a.runs):
        sf.append(run_simfaas(a.max_time, seed=i + 1))
        fs.append(run_faassim(a.faassim, a.max_time * a.faassim_scale, seed=i + 1))

    def report(name, runs, horizon):
        reqs = sum(r[0] for r in runs)
        cold = sum(r[1] for r in runs)
        times = sorted(r[2] for r in runs)
        med = times[len(times) // 2]
        rate = runs[0][0] / med if med > 0 else float("inf")
        p = cold / reqs
        se = math.sqrt(p * (1 - p) / reqs)
        print(f"{name:8} horizon {horizon:>10.0f} s  requests/run {runs[0][0]:>10}  "
              f"median time {med:8.3f} s  ({', '.join(f'{t:.3f}' for t in times)})  "
              f"{rate:>12,.0f} requests/s  P(cold) {p:.5f} ± {1.96 * se:.5f} (95%, {a.runs} runs pooled)")
        return rate, p, se

    r_sf, p_sf, se_sf = report("SimFaaS", sf, a.max_time)
    r_fs, p_fs, se_fs = report("faassim", fs, a.max_time * a.faassim_scale)
    z = (p_sf - p_fs) / math.sqrt(se_sf ** 2 + se_fs ** 2)
    print(f"speed ratio faassim / SimFaaS: {r_fs / r_sf:,.0f}x (requests simulated per second)")
    print(f"cold-start probability difference: {p_sf - p_fs:+.5f} ({z:+.1f} standard errors)")


if __name__ == "__main__":
    main()
