#!/usr/bin/env python3
"""Writes invocations.csv, a one-day trace in the Azure Functions 2019 format
(HashOwner,HashApp,HashFunction,Trigger,1..1440: invocations per minute), for lab 6.

Five functions, one per application, each with a pattern whose cold starts can be worked
out by hand:
- timer30/main: a timer, one call at minutes 0, 30, 60, ... (48 calls);
- timer2/main: a timer, one call every 2 minutes (720 calls);
- poisson/main: HTTP, Poisson counts of mean 1/15 a minute (a call every 15 minutes on
  average; seed 2026);
- rare/main: HTTP, three calls, at minutes 500, 700 and 1000;
- frequent/main: HTTP, 30 calls every minute.

Run from this folder: python3 make_trace.py (standard library only; deterministic).
"""

import math
import random

MINUTES = 1440


def poisson(rng, mean):
    # Knuth's method: fine for a small mean.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


def main():
    rng = random.Random(2026)
    rows = {
        ("timer30", "timer"): [1 if m % 30 == 0 else 0 for m in range(MINUTES)],
        ("timer2", "timer"): [1 if m % 2 == 0 else 0 for m in range(MINUTES)],
        ("poisson", "http"): [poisson(rng, 1 / 15) for _ in range(MINUTES)],
        ("rare", "http"): [1 if m in (500, 700, 1000) else 0 for m in range(MINUTES)],
        ("frequent", "http"): [30] * MINUTES,
    }
    with open("invocations.csv", "w") as out:
        out.write("HashOwner,HashApp,HashFunction,Trigger,")
        out.write(",".join(str(m) for m in range(1, MINUTES + 1)) + "\n")
        for (app, trigger), counts in rows.items():
            out.write(f"lab06,{app},main,{trigger},")
            out.write(",".join(str(c) for c in counts) + "\n")


if __name__ == "__main__":
    main()
