"""The ``zarrlib`` command: ``zarrlib demo [PATH]`` runs the tutorial's opening workflow."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _progress(label: str, fn: Callable[[], Any], nbytes: int | None = None) -> Any:
    """Run one step, showing it while it runs and its time (and throughput) when done."""
    live = sys.stdout.isatty()
    if live:
        print(f"  {label} ...", end="", flush=True)
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    rate = f", {nbytes / elapsed / 2**20:,.0f} MiB/s" if nbytes and elapsed > 0 else ""
    prefix = "\r" if live else ""
    print(f"{prefix}  {label}: {elapsed * 1000:,.1f} ms{rate}")
    return result


def demo(path: str | None = None) -> int:
    """The tutorial's first steps on a directory store, timed."""
    import zarrlib as zarr

    owned = path is None
    root = tempfile.mkdtemp(prefix="zarrlib-demo-") if owned else path
    store_path = f"{root}/example.zarr" if owned else root
    try:
        print(f"zarrlib {zarr.__version__} demo: the tutorial's workflow on {store_path}\n")
        z1 = _progress(
            "create 10000x10000 int32, 1000x1000 chunks",
            lambda: zarr.open_array(
                store_path, mode="w", shape=(10000, 10000), chunks=(1000, 1000), dtype="i4", fill_value=0
            ),
        )
        print(_indent(repr(z1)))
        nbytes = z1.nbytes
        _progress("z1[:] = 42 (write all 100 chunks)", lambda: z1.__setitem__(slice(None), 42), nbytes)
        _progress("z1[0, :] = np.arange(10000)", lambda: z1.__setitem__((0, slice(None)), np.arange(10000)))
        _progress("z1[:, 0] = np.arange(10000)", lambda: z1.__setitem__((slice(None), 0), np.arange(10000)))
        data = np.arange(100_000_000, dtype="i4").reshape(10000, 10000)
        z3 = zarr.open_array(f"{store_path}-arange", mode="w", shape=data.shape, chunks=(1000, 1000), dtype="i4")
        _progress("write np.arange data (100M int32)", lambda: z3.__setitem__(Ellipsis, data), nbytes)
        z2 = _progress("reopen read-only", lambda: zarr.open_array(store_path, mode="r"))
        print(_indent(repr(z2)))
        a = _progress("read all: z2[:]", lambda: z2[:], nbytes)
        b = _progress("read all: arange array", lambda: z3[:], nbytes)
        _progress("read one row: z2[5000, :]", lambda: z2[5000, :])
        _progress("read one column: z2[:, 5000]", lambda: z2[:, 5000])
        ok = bool(
            a[0, 0] == 0 and a[-1, -1] == 42 and np.array_equal(a[0], np.arange(10000)) and np.array_equal(b, data)
        )
        print(_indent(repr(a)))
        if not ok:
            print("FAILED: the data read back differs from what was written", file=sys.stderr)
            return 1
        print(f"\nSuccess: wrote and read back {nbytes * 2 / 2**20:,.0f} MiB through zarrlib; data verified.")
        return 0
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zarrlib", description="Chunked, compressed arrays in the Zarr format.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="run the tutorial's opening workflow, timed")
    p_demo.add_argument("path", nargs="?", help="directory store to write (default: a temporary directory)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.path)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
