#!/usr/bin/env python3
"""Total cold-start time of each point of a sweep whose functions have constant cold starts.

    faassim sweep experiments/eviction-capacity.json --out ev
    python3 scripts/cold-start-seconds.py experiments/eviction-mix.json ev/results.jsonl

The sweep outputs count cold starts but do not add up their durations. When every function
of the base scenario sets `cold_start_ms` to a constant (`{"dist": "const", "value": ms}`),
a run's total cold-start time is exact: the sum over functions of cold starts × that
constant, read from the per-function table of each results.jsonl row (`functions`). Prints
per point the parameters, the mean over replications of the cold starts and of the total
cold-start seconds, and the replications. Python 3 standard library only.
"""

import collections
import csv
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    base = json.load(open(sys.argv[1]))
    cost = {}
    for f in base["functions"]:
        c = f.get("cold_start_ms") or {}
        if c.get("dist") != "const":
            sys.exit(f"{sys.argv[1]}: function {f['name']} has no constant cold_start_ms")
        cost[f["name"]] = c["value"] / 1000
    runs = collections.defaultdict(list)
    params = {}
    with open(sys.argv[2]) as f:
        for line in f:
            row = json.loads(line)
            params[row["point"]] = list(row["params"].values())
            cold = sum(fn["cold_starts"] for fn in row["functions"])
            seconds = sum(fn["cold_starts"] * cost[fn["name"]] for fn in row["functions"])
            runs[row["point"]].append((cold, seconds))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["point", "params", "cold_starts_mean", "cold_start_s_mean", "replications"])
    for point in sorted(runs):
        rs = runs[point]
        out.writerow([point, " ".join(str(p) for p in params[point]),
                      f"{sum(r[0] for r in rs) / len(rs):.1f}",
                      f"{sum(r[1] for r in rs) / len(rs):.2f}", len(rs)])


if __name__ == "__main__":
    main()
