"""Turn the JSON of a run into ``results.md`` (tables, ratios, targets) and ``results.png``."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from typing import Any

from harness import OP_TITLES, Workload

REFERENCE = "zarrlib"


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}x"


def fmt_mib(n: float | None) -> str:
    if n is None:
        return "n/a"
    return f"{n / 2**20:.1f} MiB" if abs(n) < 10 * 2**20 else f"{n / 2**20:.0f} MiB"


class Results:
    """Lookups into one run's JSON."""

    def __init__(self, run: dict[str, Any]) -> None:
        self.run = run
        self.workloads = [Workload.from_json(w) for w in run["workloads"]]
        self.peers = list(run["peers"])

    def available(self, peer: str) -> bool:
        return not self.run["peers"][peer].get("unavailable")

    def entry(self, peer: str, workload: str, op: str) -> dict[str, Any] | None:
        e = self.run["peers"].get(peer, {}).get("workloads", {}).get(workload, {}).get(op)
        return e if e and e.get("times") and not e.get("error") else None

    def median(self, peer: str, workload: str, op: str) -> float | None:
        e = self.entry(peer, workload, op)
        return statistics.median(e["times"]) if e else None

    def cell(self, peer: str, workload: str, op: str) -> str:
        raw = self.run["peers"].get(peer, {}).get("workloads", {}).get(workload, {}).get(op)
        if raw and raw.get("error"):
            return "unsupported" if raw["error"].startswith("unsupported") else "error"
        e = self.entry(peer, workload, op)
        if not e:
            return "n/a"
        t = e["times"]
        if len(t) == 1:
            return fmt_time(t[0])
        return f"{fmt_time(statistics.median(t))} ({fmt_time(min(t))}-{fmt_time(max(t))})"

    def ratio(self, num: tuple[str, str, str], den: tuple[str, str, str]) -> float | None:
        a, b = self.median(*num), self.median(*den)
        return None if a is None or b is None or b == 0 else a / b


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def targets(res: Results) -> list[list[str]]:
    """The issue's targets, each with what this run measured and whether it was met."""
    rows: list[list[str]] = []

    def add(goal: str, value: float | None, shown: str, ok: Callable[[float], bool]) -> None:
        rows.append(
            [
                goal,
                shown if value is not None else "n/a",
                "n/a" if value is None else ("yes" if ok(value) else "**no**"),
            ]
        )

    z = REFERENCE
    for op in ("read", "write"):
        r = res.ratio(("zarr3+zarrs", "tutorial-dir", op), (z, "tutorial-dir", op))
        add(
            f"tutorial {op} all (directory): no slower than zarr3+zarrs",
            r,
            f"zarrs ÷ zarrlib = {fmt_ratio(r)}",
            lambda v: v >= 1,
        )
        r = res.ratio(("zarr3", "tutorial-dir", op), (z, "tutorial-dir", op))
        add(
            f"tutorial {op} all (directory): ≥2x faster than zarr3",
            r,
            f"zarr3 ÷ zarrlib = {fmt_ratio(r)}",
            lambda v: v >= 2,
        )
    r = res.ratio(("tensorstore", "tutorial-dir", "read"), (z, "tutorial-dir", "read"))
    add(
        "tutorial read all (directory): ≥2x faster than TensorStore",
        r,
        f"tensorstore ÷ zarrlib = {fmt_ratio(r)}",
        lambda v: v >= 2,
    )
    for op, limit in (("write", 3.0), ("read", 1.5)):
        r = res.ratio((z, "small-chunks", op), ("floor", "small-chunks", op))
        add(
            f"small chunks {op}: within {limit}x of the floor",
            r,
            f"zarrlib ÷ floor = {fmt_ratio(r)}",
            lambda v, lim=limit: v <= lim,
        )
    small = next((w for w in res.workloads if w.name == "small-chunks"), None)
    if small is not None:
        for op in ("write", "read"):
            a, b = res.median(z, "small-chunks", op), res.median("floor", "small-chunks", op)
            over = None if a is None or b is None else (a - b) / small.nchunks
            shown = "n/a" if over is None else f"{over * 1e6:.1f} µs per chunk (wall, over the floor)"
            add(f"small chunks {op}: overhead < 20 µs per chunk", over, shown, lambda v: v < 20e-6)
    r = res.ratio(("zarr3", "tutorial-dir", "points"), (z, "tutorial-dir", "points"))
    add("single-element reads: ≥10x faster than zarr3", r, f"zarr3 ÷ zarrlib = {fmt_ratio(r)}", lambda v: v >= 10)
    r = res.ratio((z, "tutorial-dir", "points"), ("floor", "tutorial-dir", "points"))
    add(
        "single-element reads: below one whole-chunk decode per element",
        r,
        f"zarrlib ÷ floor = {fmt_ratio(r)}",
        lambda v: v < 1,
    )
    for op, limit in (("read", 1.2), ("write", 1.5)):
        r = res.ratio((z, "uncompressed-mem", op), ("floor", "uncompressed-mem", op))
        add(
            f"uncompressed in memory {op}: within {limit}x of one NumPy copy",
            r,
            f"zarrlib ÷ copy = {fmt_ratio(r)}",
            lambda v, lim=limit: v <= lim,
        )
    return rows


def memory_rows(res: Results) -> list[list[str]]:
    rows = []
    for w in res.workloads:
        chunk_bytes = w.nbytes / w.nchunks
        for op in ("write", "read"):
            cells, extra = [], "n/a"
            for peer in res.peers:
                e = res.entry(peer, w.name, op) or {}
                rss, traced = e.get("peak_rss"), e.get("peak_traced")
                cells.append(f"{fmt_mib(rss)} / {fmt_mib(traced)}")
                if peer == REFERENCE and traced is not None:
                    held = traced - (w.nbytes if op == "read" else 0)
                    if not (w.store == "memory" and op == "write"):
                        extra = f"{held / chunk_bytes:.1f}"
            rows.append([w.name, OP_TITLES[op], fmt_mib(w.nbytes), *cells, extra])
    return rows


def write_report(run: dict[str, Any], out_dir: str, plot: bool = True) -> str:
    res = Results(run)
    peers = [p for p in res.peers if res.available(p)]
    others = [p for p in peers if p not in ("floor", REFERENCE)]
    m = run["machine"]
    lines = [
        "# zarrlib benchmarks",
        "",
        f"Run {run['date']} with `{run['command']}`: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}; "
        f"load average {m['load average at start']} at start, {m['load average at end']} at end. "
        f"Every time is the median of {run['repeat']} repetitions, (min-max) after it.",
        "",
        "## Peers",
        "",
    ]
    peer_rows = []
    for p in res.peers:
        info = run["peers"][p]
        status = info.get("unavailable") or info.get("failure") or f"ran in {info.get('elapsed', 0):.0f} s"
        versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
        peer_rows.append([p, versions or "", status.replace("\n", " ")[:300]])
    lines += table(["peer", "versions", "status"], peer_rows)
    lines += [
        "",
        "`floor`: the same chunks encoded/decoded by numcodecs with no array logic, in a thread pool, "
        "plus plain file writes/reads of the same bytes (a dict for in-memory workloads). Whole-array reads "
        "decode each chunk into its own slot of one fresh output of the array's size (no assembly copy), "
        "partial reads into a reused buffer. For the uncompressed in-memory array the floor is one NumPy copy; "
        "for single-element reads, one whole-chunk read and decode per element. `unsupported`: the peer "
        "cannot run that workload as asked (zarrs handles local files only; zarr falls back to its default "
        "pipeline for in-memory stores).",
        "",
        "## Targets (from the issue)",
        "",
    ]
    lines += table(["target", "measured", "met"], targets(res))
    lines += [
        "",
        "## Ratios",
        "",
        "`zarrlib ÷ floor` (1.0 is the floor) and `peer ÷ zarrlib` (above 1: zarrlib is faster).",
        "",
    ]
    ratio_rows = []
    for w in res.workloads:
        for op in w.ops:
            row = [w.name, OP_TITLES[op], fmt_ratio(res.ratio((REFERENCE, w.name, op), ("floor", w.name, op)))]
            row += [fmt_ratio(res.ratio((p, w.name, op), (REFERENCE, w.name, op))) for p in others]
            ratio_rows.append(row)
    lines += table(["workload", "operation", "zarrlib ÷ floor", *(f"{p} ÷ zarrlib" for p in others)], ratio_rows)
    lines += ["", "## Times", ""]
    for w in res.workloads:
        lines += [f"### {w.name}: {w.title}", ""]
        rows = [[OP_TITLES[op], *(res.cell(p, w.name, op) for p in peers)] for op in w.ops]
        lines += table(["operation", *peers], rows)
        lines.append("")
    lines += ["## Floor breakdown", ""]
    breakdown_ops = sorted(
        {
            op
            for w in res.workloads
            for op in run["peers"].get("floor", {}).get("workloads", {}).get(w.name, {})
            if op.startswith("floor: ")
        }
    )
    rows = [[w.name, *(res.cell("floor", w.name, op) for op in breakdown_ops)] for w in res.workloads]
    lines += table(["workload", *(op.removeprefix("floor: ") for op in breakdown_ops)], rows)
    lines += [
        "",
        "## Peak memory",
        "",
        "Memory a whole-array read or write adds to the process at its peak, as `resident set / traced`: "
        "the resident set counts native (Rust, C++) allocations but misses memory the allocator reuses; "
        "tracemalloc sees exactly the Python and NumPy allocations and nothing native. An in-memory store's "
        "write includes the stored bytes. The last column is zarrlib's traced peak beyond the output, in chunks "
        "(in flight at once).",
        "",
    ]
    lines += table(["workload", "operation", "array", *res.peers, "zarrlib extra (chunks)"], memory_rows(res))
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(md)
    if plot:
        plot_png(res, peers, os.path.join(out_dir, "results.png"))
    return md


def plot_png(res: Results, peers: list[str], path: str) -> bool:
    """Grouped bars of median time per operation, one panel per workload (log scale)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    n = len(res.workloads)
    cols = 2
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(14, 4.2 * rows), squeeze=False)
    width = 0.8 / max(len(peers), 1)
    for ax, w in zip(axes.flat, res.workloads, strict=False):
        for k, peer in enumerate(peers):
            xs, ys, lo, hi = [], [], [], []
            for i, op in enumerate(w.ops):
                e = res.entry(peer, w.name, op)
                if e:
                    med = statistics.median(e["times"])
                    xs.append(i + (k - (len(peers) - 1) / 2) * width)
                    ys.append(med)
                    lo.append(med - min(e["times"]))
                    hi.append(max(e["times"]) - med)
            ax.bar(xs, ys, width, yerr=[lo, hi], label=peer, hatch="//" if peer == "floor" else None, capsize=2)
        ax.set_xticks(range(len(w.ops)))
        ax.set_xticklabels(
            [OP_TITLES[o].replace(" (one call each)", "") for o in w.ops], fontsize=8, rotation=15, ha="right"
        )
        ax.set_yscale("log")
        ax.set_ylabel("seconds (median, min-max)")
        ax.set_title(w.title, fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


if __name__ == "__main__":
    # re-render a finished run: python benchmarks/report.py benchmarks/results/results.json
    import json
    import sys

    with open(sys.argv[1]) as f:
        write_report(json.load(f), os.path.dirname(os.path.abspath(sys.argv[1])))
