#!/usr/bin/env python3
"""Writes the small sample traces in workloads/traces/: synthetic content in the exact file
formats of the public FaaS traces (headers and column order as published).

    python3 workloads/traces/make_samples.py        # rewrites the samples (seeded: same bytes)

Files:
  azure2019/invocations_per_function_md.anon.d01.csv    20 functions in 8 apps, 1,440 minutes
  azure2019/function_durations_percentiles.anon.d01.csv one row per function but one
  azure2019/app_memory_percentiles.anon.d01.csv         one row per app but one
  azure2021/AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt   one hour of invocations
  huawei2023/requests_minute/day_00.csv, day_01.csv     8 functions, two days
  generic.csv                                           timestamp,function,duration_ms

Python 3 standard library only. The content is made up; see workloads/README.md for where the
real traces come from.
"""

import hashlib
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 2019


def h(label):
    """A 64-hex-digit hash, like the traces' anonymised HMAC-SHA256 names."""
    return hashlib.sha256(label.encode()).hexdigest()


def poisson(rng, lam):
    """Knuth's method for small means, a rounded normal for large ones."""
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def diurnal(minute, base, peak):
    """A rate that peaks at 14:00 and is lowest at 02:00."""
    return base + (peak - base) * 0.5 * (1 - math.cos(2 * math.pi * (minute - 120) / 1440))


# (owner, app, function label, trigger, pattern, parameters, median duration ms)
FUNCTIONS = [
    ("o1", "shop", "checkout", "http", "diurnal", (8, 40), 120),
    ("o1", "shop", "cart", "http", "diurnal", (4, 20), 45),
    ("o1", "shop", "nightly-report", "timer", "every", (1440, 0), 9000),
    ("o1", "shop", "inventory-sync", "timer", "every", (15, 0), 800),
    ("o2", "media", "thumbnail", "queue", "bursts", (0.5, 30), 350),
    ("o2", "media", "transcode", "queue", "bursts", (0.1, 6), 20000),
    ("o2", "media", "cleanup", "timer", "every", (60, 0), 150),
    ("o3", "iot", "ingest", "event", "poisson", (25,), 12),
    ("o3", "iot", "aggregate", "timer", "every", (1, 0), 60),
    ("o3", "iot", "alert", "event", "poisson", (0.05,), 30),
    ("o4", "auth", "login", "http", "diurnal", (2, 12), 80),
    ("o4", "auth", "refresh", "http", "diurnal", (1, 6), 25),
    ("o5", "blob", "on-upload", "storage", "poisson", (0.3,), 400),
    ("o5", "blob", "virus-scan", "storage", "poisson", (0.3,), 1500),
    ("o6", "orders", "saga", "orchestration", "poisson", (1.5,), 200),
    ("o6", "orders", "step-pay", "orchestration", "poisson", (1.5,), 90),
    ("o6", "orders", "step-ship", "orchestration", "poisson", (1.4,), 110),
    ("o7", "misc", "webhook", "others", "sparse", (6,), 70),
    ("o7", "misc", "ping", "http", "sparse", (3,), 5),
    ("o8", "legacy", "soap-bridge", "http", "sparse", (40,), 2500),
]
# This function has no row in the durations file, and this app none in the memory file:
# the loader must fall back to the scenario template for them.
NO_DURATIONS = "ping"
NO_MEMORY = "legacy"
APP_MEMORY_MB = {"shop": 310, "media": 900, "iot": 140, "auth": 160, "blob": 520,
                 "orders": 230, "misc": 95}


def minute_counts(rng, pattern, params):
    counts = [0] * 1440
    if pattern == "diurnal":
        base, peak = params
        counts = [poisson(rng, diurnal(m, base, peak)) for m in range(1440)]
    elif pattern == "every":
        period, _ = params
        start = 0 if period == 1 else rng.randrange(period)
        for m in range(start, 1440, period):
            counts[m] = 1
    elif pattern == "bursts":
        rate, burst = params
        on = False
        for m in range(1440):
            # Two-state bursts: on for ~10 minutes about every 3 hours.
            on = rng.random() < (0.9 if on else 0.006)
            counts[m] = poisson(rng, burst if on else rate)
    elif pattern == "poisson":
        (rate,) = params
        counts = [poisson(rng, rate) for _ in range(1440)]
    elif pattern == "sparse":
        (n,) = params
        for _ in range(n):
            counts[rng.randrange(1440)] += 1
    return counts


def percentiles(rng, median):
    """A consistent duration table: Minimum <= p0 <= p1 <= ... <= p100 <= Maximum."""
    sigma = rng.uniform(0.3, 1.2)
    z = {0: -3.0, 1: -2.326, 25: -0.674, 50: 0.0, 75: 0.674, 99: 2.326, 100: 3.5}
    p = {q: round(median * math.exp(sigma * zq), 3) for q, zq in z.items()}
    minimum = round(p[0] * 0.8, 3)
    maximum = round(p[100] * 1.3, 3)
    average = round(median * math.exp(sigma * sigma / 2), 3)
    return average, minimum, maximum, p


def write_azure2019(rng):
    out = os.path.join(HERE, "azure2019")
    os.makedirs(out, exist_ok=True)
    inv = ["HashOwner,HashApp,HashFunction,Trigger," + ",".join(str(m) for m in range(1, 1441))]
    dur = ["HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
           "percentile_Average_0,percentile_Average_1,percentile_Average_25,"
           "percentile_Average_50,percentile_Average_75,percentile_Average_99,"
           "percentile_Average_100"]
    for owner, app, label, trigger, pattern, params, median in FUNCTIONS:
        counts = minute_counts(rng, pattern, params)
        ids = [h("owner:" + owner), h("app:" + app), h("function:" + app + "/" + label)]
        inv.append(",".join(ids + [trigger] + [str(c) for c in counts]))
        average, minimum, maximum, p = percentiles(rng, median)
        if label != NO_DURATIONS:
            dur.append(",".join(ids + [str(average), str(sum(counts)), str(minimum), str(maximum)]
                                + [str(p[q]) for q in (0, 1, 25, 50, 75, 99, 100)]))
    mem = ["HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
           "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
           "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
           "AverageAllocatedMb_pct100"]
    seen = []
    for owner, app, *_ in FUNCTIONS:
        if app in seen or app == NO_MEMORY:
            continue
        seen.append(app)
        avg = APP_MEMORY_MB[app]
        pct = sorted(round(avg * f) for f in (0.6, 0.7, 0.85, 0.98, 1.1, 1.3, 1.45, 1.6))
        mem.append(",".join([h("owner:" + owner), h("app:" + app), str(rng.randrange(500, 17000)),
                             str(avg)] + [str(x) for x in pct]))
    for name, rows in [("invocations_per_function_md.anon.d01.csv", inv),
                       ("function_durations_percentiles.anon.d01.csv", dur),
                       ("app_memory_percentiles.anon.d01.csv", mem)]:
        with open(os.path.join(out, name), "w", newline="") as f:
            f.write("\n".join(rows) + "\n")


def write_azure2021(rng):
    out = os.path.join(HERE, "azure2021")
    os.makedirs(out, exist_ok=True)
    # (app, func, rate per s, median duration s, sigma)
    funcs = [("a1", "f1", 0.15, 0.031, 1.0), ("a1", "f2", 0.05, 0.4, 0.8),
             ("a2", "f3", 0.08, 2.5, 1.2), ("a2", "f4", 0.02, 0.9, 0.5),
             ("a3", "f5", 0.1, 0.012, 0.6), ("a3", "f6", 0.01, 45.0, 0.7)]
    rows = []
    for app, func, rate, median, sigma in funcs:
        t = 0.0
        while True:
            t += rng.expovariate(rate)
            if t >= 3600:
                break
            d = median * math.exp(sigma * rng.gauss(0, 1))
            rows.append((t + d, h("app2021:" + app), h("func2021:" + app + func), d))
    rows.sort()  # the real file is ordered by end time, so arrivals are not sorted
    with open(os.path.join(out, "AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt"), "w",
              newline="") as f:
        f.write("app,func,end_timestamp,duration\n")
        for end, app, func, d in rows:
            f.write(f"{app},{func},{end:.6f},{d:.6f}\n")


def write_huawei(rng):
    out = os.path.join(HERE, "huawei2023", "requests_minute")
    os.makedirs(out, exist_ok=True)
    ids = [0, 3, 4, 6, 17, 42, 118, 5092]
    rates = {0: 0.02, 3: 120, 4: 60, 6: 15, 17: 0.5, 42: 3, 118: 0.005, 5092: 8}
    for day in range(2):
        lines = ["day,time," + ",".join(str(i) for i in ids)]
        cols = {i: [poisson(rng, diurnal(m, 0.3 * rates[i], 1.7 * rates[i])) for m in range(1440)]
                for i in ids}
        for m in range(1440):
            cells = []
            for i in ids:
                c = cols[i][m]
                # pandas writes a column with gaps (NaN) as floats and the gaps as empty fields
                if 0 in cols[i]:
                    cells.append("" if c == 0 else f"{c}.0")
                else:
                    cells.append(str(c))
            lines.append(f"{day},{(day * 1440 + m) * 60}," + ",".join(cells))
        with open(os.path.join(out, f"day_{day:02d}.csv"), "w", newline="") as f:
            f.write("\n".join(lines) + "\n")


def write_generic(rng):
    rows = []
    for name, rate, median in [("api", 0.5, 40.0), ("worker", 0.1, 900.0), ("cron", 0.0, 300.0)]:
        if rate > 0:
            t = 0.0
            while True:
                t += rng.expovariate(rate)
                if t >= 600:
                    break
                rows.append((t, name, median * math.exp(0.5 * rng.gauss(0, 1))))
        else:
            rows.extend((float(t), name, median) for t in range(0, 600, 60))
    rows.sort()
    with open(os.path.join(HERE, "generic.csv"), "w", newline="") as f:
        f.write("timestamp,function,duration_ms\n")
        for t, name, d in rows:
            f.write(f"{t:.3f},{name},{d:.1f}\n")


def main():
    rng = random.Random(SEED)
    write_azure2019(rng)
    write_azure2021(rng)
    write_huawei(rng)
    write_generic(rng)


if __name__ == "__main__":
    main()
