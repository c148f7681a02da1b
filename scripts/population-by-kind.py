#!/usr/bin/env python3
"""Breaks a keepalive-population sweep down by kind of function (the Trigger column of the
population trace: timer, queue = infrequent Poisson, event = rare, http = frequent).

    faassim sweep experiments/keepalive-population.json --out kp
    python3 scripts/population-by-kind.py kp/results.jsonl

For each point and kind: the functions' cold starts and invocations (summed), the mean of
their cold-start percentages (each function once; a function without a served request
counts as 0), and their idle GB-s (summed); all means over the replications. Read from the
per-function table of each results.jsonl row (`functions`), matched to the trace by name
(the first 8 hex digits of HashApp/HashFunction, as the replay names functions). Python 3
standard library only.
"""

import collections
import csv
import json
import os
import sys

TRACE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads", "traces",
                     "population", "invocations_per_function_md.anon.d01.csv")
KINDS = ["timer", "queue", "event", "http"]


def label(params):
    """The point's parameters as one cell: `policy` and the other fields as key=value."""
    parts = []
    for value in params.values():
        if isinstance(value, dict):
            parts.append(" ".join([str(value.get("policy", ""))]
                                  + [f"{k}={v}" for k, v in value.items() if k != "policy"]))
        else:
            parts.append(str(value))
    return "; ".join(parts)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    kind = {}
    with open(TRACE) as f:
        next(f)
        for line in f:
            c = line.split(",", 4)
            kind[c[1][:8] + "/" + c[2][:8]] = c[3]
    functions = collections.Counter(kind.values())
    # point -> kind -> list over replications of [cold, invocations, sum of cold %, idle GB-s]
    acc = collections.defaultdict(lambda: collections.defaultdict(list))
    params = {}
    with open(sys.argv[1]) as f:
        for line in f:
            row = json.loads(line)
            params[row["point"]] = label(row["params"])
            per = collections.defaultdict(lambda: [0, 0, 0.0, 0.0])
            for fn in row["functions"]:
                p = per[kind[fn["name"]]]
                p[0] += fn["cold_starts"]
                p[1] += fn["invocations"]
                p[2] += 100 * (fn["cold_start_ratio"] or 0)
                p[3] += fn["idle_gb_s"]
            for k, p in per.items():
                acc[row["point"]][k].append(p)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["point", "params", "kind", "functions", "cold_starts", "invocations",
                  "mean_cold_start_pct", "idle_gb_s"])
    for point in sorted(acc):
        for k in KINDS:
            reps = acc[point][k]
            n = len(reps)
            mean = [sum(r[i] for r in reps) / n for i in range(4)]
            out.writerow([point, params[point], k, functions[k], f"{mean[0]:.1f}",
                          f"{mean[1]:.0f}", f"{mean[2] / functions[k]:.1f}", f"{mean[3]:.0f}"])


if __name__ == "__main__":
    main()
