#!/usr/bin/env python3
"""Fails if the library's modules import each other in a circle.

A node is a module file under src/ (`sim/pool.rs` is `sim::pool`; `mod.rs` and the
`name.rs` beside a `name/` folder are the folder's module). An edge a -> b is any path
`crate::b::...` (or `super::...`, `self::...` resolved against a) in a's code, outside
comments, resolved to the longest module that exists. Edges from a module to one of its
ancestors are left out: a child reading its parent's items is how Rust nests modules, and
the parent's `mod child;` is not an import. Every other cycle, between siblings or across
the tree, is reported with its path, and the script exits with 1.

Usage: python3 scripts/check-imports.py [SRC_DIR]   (prints the graph's size and any cycle)
"""

import re
import sys
from pathlib import Path

ROOTS = {"lib.rs", "main.rs"}


def module_of(path: Path, src: Path) -> tuple[str, ...]:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts.pop()
    if len(parts) == 1 and parts[0] in ("lib", "main"):
        return ()
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def expand_use_groups(text: str) -> list[str]:
    """Full paths named by `use` items, braces expanded (one level of nesting is enough
    for this code base, deeper levels are expanded recursively)."""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(_expand(m.group(1).replace("\n", " ").replace(" ", "")))
    return paths


def _expand(item: str) -> list[str]:
    brace = item.find("{")
    if brace < 0:
        return [item.split(" as ")[0]]
    prefix, inner = item[:brace], item[brace + 1 : item.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p:
            out.extend(_expand(prefix + p))
    return out


def resolve(path: str, here: tuple[str, ...], modules: set) -> tuple[str, ...] | None:
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
        rest = segs
    else:
        # A path relative to this module (a child module `use child::X`).
        base, rest = here, segs
        if not rest or (here + (rest[0],)) not in modules:
            return None
    best = None
    for i in range(len(rest) + 1):
        cand = base + tuple(rest[:i])
        if cand in modules:
            best = cand
    return best


def main() -> int:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    files = [p for p in sorted(src.rglob("*.rs")) if p.relative_to(src).as_posix() != "main.rs"]
    modules = {module_of(p, src): p for p in files}
    edges: dict[tuple, set] = {m: set() for m in modules}
    for m, p in modules.items():
        text = strip_comments(p.read_text())
        paths = expand_use_groups(text)
        paths += re.findall(r"\b((?:crate|super)(?:::\w+)+)", text)
        for path in paths:
            target = resolve(path, m, set(modules))
            if target is None or target == m or m[: len(target)] == target:
                continue  # itself, or an ancestor
            edges[m].add(target)

    # Tarjan's strongly connected components.
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(modules):
        if v not in index:
            visit(v)

    name = lambda m: "::".join(m) or "crate"
    n_edges = sum(len(e) for e in edges.values())
    print(f"import graph: {len(modules)} modules, {n_edges} edges (ancestor edges left out)")
    for comp in sccs:
        members = set(comp)
        inner = [f"{name(a)} -> {name(b)}" for a in comp for b in sorted(edges[a]) if b in members]
        print(f"import circle among {', '.join(map(name, comp))}:")
        for e in inner:
            print(f"  {e}")
    if sccs:
        return 1
    print("no import circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
