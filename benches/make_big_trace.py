#!/usr/bin/env python3
"""Writes a full-size synthetic Azure Functions 2019 trace (the real files' format) to measure
that loading and replaying it takes bounded memory (docs/performance.md, "Trace replay").

    python3 benches/make_big_trace.py --rows 46412 --days 2 --out /tmp/faassim-big
    python3 benches/make_big_trace.py --rows 46412 --days 1 --scale 10 --out /tmp/faassim-big-x10

Writes invocations_per_function_md.anon.dNN.csv for each day, plus one durations and one
memory file, into the folder `--out`, and a scenario that replays every day beside it, at
`<out>.json` (/tmp/faassim-big.json above): the folder holds only trace files, so tools
that read a whole trace folder accept it (dslab-faas's Azure 2019 loader stops at any other
file name). The scenario's paths are relative to its own folder, where faassim resolves
them.

The mix follows the real day 1 in shape (peers.md F.6: most functions run rarely): 45 % of
functions run a few times a day, 36 % up to about once a minute (timers, light traffic),
19 % are busy (1 to 20 a minute). `--scale` multiplies every count, so the same cells hold
more invocations. Python 3 standard library only; seeded.
"""

import argparse
import hashlib
import json
import os
import random


def h(label):
    return hashlib.sha256(label.encode()).hexdigest()


def row_counts(rng, kind, scale):
    counts = ["0"] * 1440
    if kind == "rare":
        for _ in range(rng.randint(1, 6)):
            counts[rng.randrange(1440)] = str(scale)
    elif kind == "light":
        if rng.random() < 0.5:
            period = rng.choice([1, 5, 10, 15, 30, 60])
            for m in range(rng.randrange(period), 1440, period):
                counts[m] = str(scale)
        else:
            p = rng.uniform(0.02, 0.9)
            for m in range(1440):
                if rng.random() < p:
                    counts[m] = str(scale)
    else:
        rate = rng.uniform(1, 20)
        counts = [str(int(rate * (0.5 + rng.random())) * scale) for _ in range(1440)]
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=46412)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    # The scenario goes beside the folder; its trace paths start from the folder's parent.
    folder = os.path.basename(out)
    if not folder:
        ap.error("--out must name a folder other than /")
    scenario_path = out + ".json"
    os.makedirs(out, exist_ok=True)
    apps = max(1, a.rows // 3)
    header = "HashOwner,HashApp,HashFunction,Trigger," + ",".join(str(m) for m in range(1, 1441))
    triggers = ["http", "queue", "event", "timer", "orchestration", "others"]
    ids = []
    for i in range(a.rows):
        app = i * apps // a.rows
        ids.append((h(f"o{app % 997}"), h(f"a{app}"), h(f"f{i}"), triggers[i % len(triggers)]))
    total = 0
    for day in range(a.days):
        rng = random.Random(a.seed * 1000 + day)
        path = os.path.join(out, f"invocations_per_function_md.anon.d{day + 1:02d}.csv")
        with open(path, "w") as f:
            f.write(header + "\n")
            for i, (owner, app, func, trig) in enumerate(ids):
                u = (i * 7919 % 100) / 100
                kind = "rare" if u < 0.45 else ("light" if u < 0.81 else "busy")
                counts = row_counts(rng, kind, a.scale)
                total += sum(map(int, counts))
                f.write(f"{owner},{app},{func},{trig}," + ",".join(counts) + "\n")
    rng = random.Random(a.seed)
    with open(os.path.join(out, "function_durations_percentiles.anon.d01.csv"), "w") as f:
        f.write("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,"
                "percentile_Average_0,percentile_Average_1,percentile_Average_25,"
                "percentile_Average_50,percentile_Average_75,percentile_Average_99,"
                "percentile_Average_100\n")
        for owner, app, func, _ in ids:
            m = rng.uniform(5, 500)
            p = [m * x for x in (0.2, 0.3, 0.7, 1.0, 1.5, 4.0, 6.0)]
            f.write(f"{owner},{app},{func},{m:.1f},100,{p[0]:.2f},{p[6]:.2f},"
                    + ",".join(f"{x:.2f}" for x in p) + "\n")
    with open(os.path.join(out, "app_memory_percentiles.anon.d01.csv"), "w") as f:
        f.write("HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,"
                "AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,"
                "AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,"
                "AverageAllocatedMb_pct100\n")
        seen = set()
        for owner, app, _, _ in ids:
            if app in seen:
                continue
            seen.add(app)
            mb = rng.randint(100, 800)
            f.write(f"{owner},{app},1000,{mb}," + ",".join(str(mb) for _ in range(8)) + "\n")
    scenario = {
        "name": f"big-trace-{a.rows}x{a.days}d-x{a.scale}",
        "seed": 1,
        "duration_s": 86400 * a.days,
        "platform_overrides": {"account_concurrency": 1000000},
        "traces": {
            "format": "azure2019",
            "invocations": [f"{folder}/invocations_per_function_md.anon.d{d + 1:02d}.csv"
                            for d in range(a.days)],
            "durations": f"{folder}/function_durations_percentiles.anon.d01.csv",
            "memory": f"{folder}/app_memory_percentiles.anon.d01.csv",
            "template": {"runtime": "nodejs", "keep_alive": {"policy": "fixed", "idle_s": 600}},
        },
    }
    with open(scenario_path, "w") as f:
        json.dump(scenario, f, indent=2)
        f.write("\n")
    print(f"{a.rows} functions x {a.days} day(s), {total} invocations -> {out}, "
          f"scenario {scenario_path}")


if __name__ == "__main__":
    main()
