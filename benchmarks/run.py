"""Benchmark zarrlib against zarr-python 3 (default and zarrs pipelines), zarr-python 2.18,
TensorStore and the physical floor, and write a markdown table (and a PNG) of the results.

    python benchmarks/run.py            # the full run (several minutes)
    python benchmarks/run.py --quick    # ~100x smaller arrays: a smoke run in seconds

Each peer runs in its own process (``worker.py``); zarr 2 runs in the venv made by
``benchmarks/setup_peers.sh`` and is skipped, with a note, when that venv is missing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import cpu_count, workloads  # noqa: E402
from report import write_report  # noqa: E402

PEERS = ("floor", "zarrlib", "zarr3", "zarr3+zarrs", "zarr2", "tensorstore")
ZARR2_VENV = os.path.join(HERE, ".venv-zarr2")


def interpreter_for(peer: str) -> str | None:
    """The Python that runs ``peer``: this one, or the zarr 2 venv's (None when missing)."""
    if peer != "zarr2":
        return sys.executable
    python = os.environ.get("ZARR2_PYTHON") or os.path.join(ZARR2_VENV, "bin", "python")
    return python if os.path.exists(python) else None


def run_peer(peer: str, config_path: str, out_dir: str, timeout: float) -> dict[str, Any]:
    python = interpreter_for(peer)
    if python is None:
        return {"peer": peer, "unavailable": f"no zarr 2 venv at {ZARR2_VENV} (run benchmarks/setup_peers.sh)"}
    out = os.path.join(out_dir, f"{peer.replace('+', '_')}.json")
    cmd = [python, os.path.join(HERE, "worker.py"), "--peer", peer, "--config", config_path, "--out", out]
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(HERE), "src")
    if peer == "zarrlib" and os.path.isdir(os.path.join(src, "zarrlib")):
        # benchmark this checkout's zarrlib, installed or not
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        failure = None if proc.returncode == 0 else f"worker exited with {proc.returncode}: {proc.stderr[-2000:]}"
    except subprocess.TimeoutExpired:
        failure = f"timed out after {timeout:.0f} s"
    try:
        with open(out) as f:
            result = json.load(f)
    except (OSError, ValueError):
        result = {"peer": peer, "workloads": {}}
    if failure:
        result["failure"] = failure
    result["elapsed"] = time.perf_counter() - start
    return result


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small arrays and 2 repetitions: a smoke run")
    parser.add_argument("--repeat", type=int, help="repetitions of every operation (default 5, quick 2)")
    parser.add_argument("--peers", help=f"comma-separated subset of {','.join(PEERS)} (the floor always runs)")
    parser.add_argument("--workloads", help="comma-separated subset of workload names")
    parser.add_argument("--out", help="results directory (default benchmarks/results, quick: benchmarks/results/quick)")
    parser.add_argument("--workdir", help="where arrays are written (default: a temporary directory)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG chart")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per peer")
    args = parser.parse_args(argv)

    peers = list(PEERS) if not args.peers else ["floor", *(p for p in args.peers.split(",") if p != "floor")]
    unknown = set(peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")
    chosen = workloads(args.quick)
    if args.workloads:
        names = args.workloads.split(",")
        unknown = set(names) - {w.name for w in chosen}
        if unknown:
            parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
        chosen = [w for w in chosen if w.name in names]
    repeat = args.repeat or (2 if args.quick else 5)
    out_dir = args.out or os.path.join(HERE, "results", "quick" if args.quick else "")
    os.makedirs(out_dir, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="zarrlib-bench-", dir=args.workdir) as workdir:
        config = {
            "workloads": [w.to_json() for w in chosen],
            "repeat": repeat,
            "workdir": workdir,
            "memory": not args.no_memory,
            # enough to hold the data, its copies and the results of the biggest workload
            "warm_bytes": 0 if args.quick else 6 * max(w.nbytes for w in chosen),
        }
        config_path = os.path.join(workdir, "config.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        raw_dir = os.path.join(workdir, "raw")
        os.makedirs(raw_dir)
        run: dict[str, Any] = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
            "machine": {
                "cpus": cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "load average at start": load_average(),
            },
            "repeat": repeat,
            "workloads": config["workloads"],
            "peers": {},
        }
        for peer in peers:
            print(f"running {peer} ...", file=sys.stderr, flush=True)
            run["peers"][peer] = result = run_peer(peer, config_path, raw_dir, args.timeout)
            note = result.get("unavailable") or result.get("failure") or f"{result['elapsed']:.1f} s"
            print(f"  {peer}: {note}", file=sys.stderr, flush=True)
        run["machine"]["load average at end"] = load_average()

    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(run, f, indent=1)
    md = write_report(run, out_dir, plot=not args.no_plot)
    print(md)
    print(f"\nwritten to {out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
