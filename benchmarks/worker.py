"""Run every workload on one peer and write the timings as JSON.

Started by ``run.py`` once per peer, in a fresh process (and for zarr 2 in its own venv),
so that no peer's thread pools, caches or configuration leak into another's numbers.

    python benchmarks/worker.py --peer zarrlib --config config.json --out result.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import traceback
from typing import Any

import numpy as np
from harness import READ_OPS, Measurement, Selections, Workload, make_data, peak_rss, peak_traced, timed, warm_memory
from peers import Peer, make_peer, remove


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def check(peer: Peer, op: str, result: Any, data: np.ndarray, sel: Selections) -> None:
    if not peer.checks_results:
        return
    expected = sel.expected(op, data)
    got = np.asarray(result)
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise AssertionError(f"{peer.name} {op}: wrong result (shape {got.shape}, expected {expected.shape})")


def run_workload(peer: Peer, w: Workload, workdir: str, repeat: int, measure_memory: bool) -> dict[str, Any]:
    data = make_data(w)
    sel = Selections.for_workload(w)
    results: dict[str, Measurement] = {}

    def path_for(tag: str) -> str | None:
        return None if w.store == "memory" else os.path.join(workdir, peer.name, w.name, tag)

    # -- whole-array writes: a fresh array each repetition ---------------------------------
    m = results["write"] = Measurement()
    handle = None
    try:
        for rep in range(repeat):
            if handle is not None:
                peer.close(handle)
                handle = None
            path = path_for(f"rep{rep % 2}")
            remove(path)
            handle = peer.create(w, path)
            peer.prepare(handle, data)
            t, _ = timed(lambda h=handle: peer.write(h, data))
            m.times.append(t)
    except NotImplementedError as e:
        m.error = f"unsupported: {e}"
        return {op: r.to_json() for op, r in results.items()}
    except Exception as e:
        m.error = f"{type(e).__name__}: {e}"
        log(traceback.format_exc())
        return {op: r.to_json() for op, r in results.items()}

    # -- reads of what the last write stored -----------------------------------------------
    for op in (o for o in w.ops if o in READ_OPS):
        m = results[op] = Measurement()
        fn = getattr(peer, op)
        try:
            for rep in range(repeat):
                args = (handle,) if op == "read" else (handle, sel)
                t, result = timed(lambda fn=fn, args=args: fn(*args))
                if rep == 0:
                    check(peer, op, result, data, sel)
                del result
                m.times.append(t)
        except Exception as e:
            m.error = f"{type(e).__name__}: {e}"
            log(traceback.format_exc())

    # -- the floor's breakdown --------------------------------------------------------------
    if hasattr(peer, "extra_ops"):
        for label, fn in peer.extra_ops(handle).items():
            m = results[f"floor: {label}"] = Measurement()
            for _ in range(repeat):
                t, result = timed(fn)
                del result
                m.times.append(t)

    # -- peak memory of whole-array read and write, in untimed runs --------------------------
    if measure_memory and not results["read"].error:
        m = results["read"]
        m.peak_rss = peak_rss(lambda: peer.read(handle))
        m.peak_traced = peak_traced(lambda: peer.read(handle))
        peer.close(handle)
        handle = None
        m = results["write"]
        for measure in (peak_rss, peak_traced):
            path = path_for("mem")
            remove(path)
            fresh = peer.create(w, path)
            peer.prepare(fresh, data)
            peak = measure(lambda fresh=fresh: peer.write(fresh, data))
            if measure is peak_rss:
                m.peak_rss = peak
            else:
                m.peak_traced = peak
            peer.close(fresh)
            del fresh
            remove(path)
    for rep in range(2):
        remove(path_for(f"rep{rep}"))
    return {op: r.to_json() for op, r in results.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--config", required=True, help="JSON: workloads, repeat, workdir, memory")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    with open(args.config) as f:
        config = json.load(f)
    report: dict[str, Any] = {"peer": args.peer, "python": platform.python_version(), "workloads": {}}
    try:
        peer = make_peer(args.peer)
    except Exception as e:  # not installed, or wrong version in this interpreter
        report["unavailable"] = f"{type(e).__name__}: {e}"
        with open(args.out, "w") as f:
            json.dump(report, f)
        return 0
    report["versions"] = peer.versions()
    warm_memory(config.get("warm_bytes", 0))
    for wj in config["workloads"]:
        w = Workload.from_json(wj)
        log(f"[{args.peer}] {w.name}")
        report["workloads"][w.name] = run_workload(peer, w, config["workdir"], config["repeat"], config["memory"])
        gc.collect()
        with open(args.out, "w") as f:  # partial results survive a crash or a timeout
            json.dump(report, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
