#!/usr/bin/env python3
"""Checks that a CSV file only gained columns at the end: every cell of OLD is in NEW,
byte for byte, at the same row and column.

Used when a results file is re-blessed after a new column (e.g. summary.csv's
cost_per_avoided_cold_start): the old header must be a prefix of the new one, both files
must have the same number of rows, and each new row must start with the old row's cells.
Cells are split on commas outside double quotes, as the sweep writes them.

Usage: python3 scripts/csv-cells-kept.py OLD.csv NEW.csv
       (e.g. OLD from `git show HEAD:tests/golden/sweep-keepalive.summary.csv > old.csv`)
Prints the cells compared and the added columns; exits 1 at the first difference.
"""

import csv
import sys


def read(path):
    """The file's lines (read once, so a pipe such as `<(git show ...)` works) and its
    rows as the csv module parses them."""
    with open(path, newline="") as f:
        text = f.read()
    return text.splitlines(), list(csv.reader(text.splitlines()))


def raw_cells(line):
    """The cells of one line as written (quotes kept), to compare bytes, not values."""
    cells, cur, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            cells.append(cur)
            cur = ""
        else:
            cur += ch
    cells.append(cur)
    return cells


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    old_path, new_path = sys.argv[1:]
    (old_lines, old_rows), (new_lines, new_rows) = read(old_path), read(new_path)
    old = [raw_cells(line) for line in old_lines]
    new = [raw_cells(line) for line in new_lines]
    # The csv module must agree on the shape (a sanity check of the splitting above).
    assert [len(r) for r in old_rows] == [len(r) for r in old], old_path
    assert [len(r) for r in new_rows] == [len(r) for r in new], new_path
    if len(old) != len(new):
        print(f"row count differs: {len(old)} old, {len(new)} new")
        return 1
    width = len(old[0])
    compared = 0
    for i, (o, n) in enumerate(zip(old, new)):
        if len(o) != width or len(n) != len(new[0]):
            print(f"line {i + 1}: ragged row ({len(o)} old cells, {len(n)} new)")
            return 1
        if n[:width] != o:
            k = next(j for j in range(width) if n[j] != o[j])
            print(f"line {i + 1}, column {k + 1} ({old[0][k]}): {o[k]!r} -> {n[k]!r}")
            return 1
        compared += width
    added = new[0][width:]
    print(f"{compared} old cells in {len(old)} lines byte-identical; added columns: {added}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
