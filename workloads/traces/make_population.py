#!/usr/bin/env python3
"""Writes workloads/traces/population/: a synthetic population of 300 functions over two
days in the exact Azure Functions 2019 format, for keep-alive studies across many
functions (experiments/keepalive-population.json).

    python3 workloads/traces/make_population.py     # rewrites the files (seeded: same bytes)

Shahrad et al. ("Serverless in the Wild", ATC'20) found most applications invoked rarely
(45 % once an hour or less, 81 % once a minute or less) and many driven by timers. This
population follows that shape with four kinds of function, each keeping its pattern over
both days (one function per application; the Trigger column names the kind):

  timer  75 functions (25 %): every P minutes at a fixed phase, P drawn from 5 minutes to
         a day (5, 10, 15, 30, 60, 120, 240, 360, 720 or 1,440)
  queue 105 functions (35 %): infrequent Poisson, mean gap log-uniform in [2 min, 8 h]
  event  60 functions (20 %): rare, 1 to 4 invocations a day at random minutes
  http   60 functions (20 %): frequent Poisson, 1 to 30 a minute (log-uniform)

Execution times: a lognormal percentile table per function, median log-uniform in
[20 ms, 2 s]. Memory: per application, lognormal with median 192 MB, within [128, 1,536] MB.
Files: invocations_per_function_md.anon.d01.csv and .d02.csv (one row per function, 1,440
minute columns), function_durations_percentiles.anon.d01.csv,
app_memory_percentiles.anon.d01.csv. Python 3 standard library only; the content is made up.
"""

import hashlib
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "population")
SEED = 2020
DAYS = 2
MINUTES = 1440 * DAYS
KINDS = [("timer", 75), ("queue", 105), ("event", 60), ("http", 60)]
# Timer periods in minutes and their weights.
PERIODS = [(5, 2), (10, 2), (15, 3), (30, 3), (60, 4), (120, 2), (240, 1), (360, 1),
           (720, 1), (1440, 1)]


def h(label):
    """A 64-hex-digit hash, like the traces' anonymised HMAC-SHA256 names."""
    return hashlib.sha256(label.encode()).hexdigest()


def poisson(rng, lam):
    """Knuth's method (the means here are at most 30)."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def log_uniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def counts(rng, kind):
    """Invocations per minute over both days."""
    c = [0] * MINUTES
    if kind == "timer":
        period = rng.choices([p for p, _ in PERIODS], [w for _, w in PERIODS])[0]
        for m in range(rng.randrange(period), MINUTES, period):
            c[m] = 1
    elif kind == "queue":
        per_minute = 1.0 / log_uniform(rng, 2, 480)
        c = [poisson(rng, per_minute) for _ in range(MINUTES)]
    elif kind == "event":
        for day in range(DAYS):
            for _ in range(rng.randint(1, 4)):
                c[day * 1440 + rng.randrange(1440)] += 1
    else:
        per_minute = log_uniform(rng, 1, 30)
        c = [poisson(rng, per_minute) for _ in range(MINUTES)]
    return c


def percentiles(rng, median):
    """A consistent duration table: Minimum <= p0 <= p1 <= ... <= p100 <= Maximum."""
    sigma = rng.uniform(0.3, 1.0)
    z = {0: -3.0, 1: -2.326, 25: -0.674, 50: 0.0, 75: 0.674, 99: 2.326, 100: 3.5}
    p = {q: round(median * math.exp(sigma * zq), 3) for q, zq in z.items()}
    average = round(median * math.exp(sigma * sigma / 2), 3)
    return average, round(p[0] * 0.8, 3), round(p[100] * 1.3, 3), p


def main():
    rng = random.Random(SEED)
    os.makedirs(OUT, exist_ok=True)
    header = "HashOwner,HashApp,HashFunction,Trigger,"
    days = [[header + ",".join(str(m) for m in range(1, 1441))] for _ in range(DAYS)]
    dur = ["HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
           "percentile_Average_0,percentile_Average_1,percentile_Average_25,"
           "percentile_Average_50,percentile_Average_75,percentile_Average_99,"
           "percentile_Average_100"]
    mem = ["HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
           "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
           "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
           "AverageAllocatedMb_pct100"]
    total = 0
    i = 0
    for kind, n in KINDS:
        for _ in range(n):
            ids = [h(f"population:owner:{i % 60}"), h(f"population:app:{i}"),
                   h(f"population:function:{i}")]
            c = counts(rng, kind)
            total += sum(c)
            for d in range(DAYS):
                day = c[d * 1440:(d + 1) * 1440]
                days[d].append(",".join(ids + [kind] + [str(x) for x in day]))
            average, minimum, maximum, p = percentiles(rng, log_uniform(rng, 20, 2000))
            dur.append(",".join(ids + [str(average), str(sum(c)), str(minimum), str(maximum)]
                                + [str(p[q]) for q in (0, 1, 25, 50, 75, 99, 100)]))
            mb = round(min(1536, max(128, 192 * math.exp(rng.gauss(0, 0.6)))))
            pct = sorted(round(mb * f) for f in (0.6, 0.7, 0.85, 0.98, 1.1, 1.3, 1.45, 1.6))
            mem.append(",".join(ids[:2] + [str(rng.randrange(500, 17000)), str(mb)]
                                + [str(x) for x in pct]))
            i += 1
    files = [(f"invocations_per_function_md.anon.d{d + 1:02d}.csv", days[d])
             for d in range(DAYS)]
    files += [("function_durations_percentiles.anon.d01.csv", dur),
              ("app_memory_percentiles.anon.d01.csv", mem)]
    for name, rows in files:
        with open(os.path.join(OUT, name), "w", newline="") as f:
            f.write("\n".join(rows) + "\n")
    print(f"{i} functions x {DAYS} days, {total} invocations -> {OUT}")


if __name__ == "__main__":
    main()
