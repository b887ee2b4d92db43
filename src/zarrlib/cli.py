"""The ``zarrlib`` command: ``zarrlib demo [PATH] [--compare]`` runs the tutorial's opening
workflow; ``zarrlib verify PATH [--repair] [--delete-bad]`` checks a store after a crash."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

SHAPE = (10000, 10000)
CHUNKS = (1000, 1000)


def _timed(label: str, fn: Callable[[], Any], nbytes: int | None, times: dict[str, float]) -> Any:
    """Run one step, showing it while it runs and its time (and throughput) when done."""
    live = sys.stdout.isatty()
    if live:
        print(f"  {label} ...", end="", flush=True)
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    times[label] = elapsed
    rate = f", {nbytes / elapsed / 2**20:,.0f} MiB/s" if nbytes and elapsed > 0 else ""
    prefix = "\r" if live else ""
    print(f"{prefix}  {label}: {elapsed * 1000:,.1f} ms{rate}")
    return result


def _workflow(open_array: Callable[..., Any], root: str, show: bool) -> dict[str, float]:
    """The tutorial's steps with one library's ``open_array``; returns each step's seconds."""
    times: dict[str, float] = {}
    nbytes = SHAPE[0] * SHAPE[1] * 4
    path = f"{root}/example.zarr"
    z1 = _timed(
        "create 10000x10000 int32, 1000x1000 chunks",
        lambda: open_array(path, mode="w", shape=SHAPE, chunks=CHUNKS, dtype="i4", fill_value=0),
        None,
        times,
    )
    if show:
        print(_indent(repr(z1)))
    _timed("z1[:] = 42 (write all 100 chunks)", lambda: z1.__setitem__(slice(None), 42), nbytes, times)
    _timed("z1[0, :] = np.arange(10000)", lambda: z1.__setitem__((0, slice(None)), np.arange(10000)), None, times)
    _timed("z1[:, 0] = np.arange(10000)", lambda: z1.__setitem__((slice(None), 0), np.arange(10000)), None, times)
    data = np.arange(SHAPE[0] * SHAPE[1], dtype="i4").reshape(SHAPE)
    z3 = open_array(f"{root}/arange.zarr", mode="w", shape=SHAPE, chunks=CHUNKS, dtype="i4", fill_value=0)
    _timed("write arange data (100M int32)", lambda: z3.__setitem__(Ellipsis, data), nbytes, times)
    z2 = _timed("reopen read-only", lambda: open_array(path, mode="r"), None, times)
    if show:
        print(_indent(repr(z2)))
    a = _timed("read all: z2[:]", lambda: z2[:], nbytes, times)
    b = _timed("read all: arange array", lambda: z3[:], nbytes, times)
    _timed("read one row: z2[5000, :]", lambda: z2[5000, :], None, times)
    _timed("read one column: z2[:, 5000]", lambda: z2[:, 5000], None, times)
    expected_row = np.arange(10000)
    ok = (
        a[0, 0] == 0
        and a[-1, -1] == 42
        and np.array_equal(a[0], expected_row)
        and np.array_equal(a[:, 0], expected_row)
    )
    if not (ok and np.array_equal(b, data)):
        raise RuntimeError("the data read back differs from what was written")
    if show:
        print(_indent(repr(a)))
    return times


def _zarr_python_open_array() -> Callable[..., Any] | None:
    try:
        import zarr
    except ImportError:
        return None

    def open_array(path: str, **kwargs: Any) -> Any:
        if kwargs.get("mode") == "w":
            kwargs.setdefault("zarr_format", 2)
        return zarr.open_array(path, **kwargs)

    return open_array


def demo(path: str | None = None, compare: bool = False) -> int:
    """The tutorial's first steps on a directory store, timed (optionally next to zarr-python)."""
    import zarrlib as zarr

    owned = path is None
    root = tempfile.mkdtemp(prefix="zarrlib-demo-") if owned else path
    try:
        print(f"zarrlib {zarr.__version__} demo: the tutorial's workflow in {root}\n")
        try:
            ours = _workflow(zarr.open_array, root, show=True)
        except RuntimeError as e:
            print(f"FAILED: {e}", file=sys.stderr)
            return 1
        if compare:
            peer = _zarr_python_open_array()
            if peer is None:
                print("\n(--compare: zarr-python is not installed; pip install zarr)")
            else:
                import zarr as zarr_python

                print(f"\nThe same steps with zarr-python {zarr_python.__version__}:")
                theirs = _workflow(peer, f"{root}/zarr-python", show=False)
                print(f"\n  {'step':<45} {'zarrlib':>10} {'zarr-python':>12} {'speed-up':>9}")
                for step, t in ours.items():
                    print(f"  {step:<45} {t * 1000:>8.1f}ms {theirs[step] * 1000:>10.1f}ms {theirs[step] / t:>8.1f}x")
        total = SHAPE[0] * SHAPE[1] * 4 * 4 / 2**20
        print(f"\nSuccess: zarrlib wrote and read back {total:,.0f} MiB; all data verified.")
        return 0
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def verify(path: str, repair: bool = False, delete_bad: bool = False) -> int:
    """Print the ``zarrlib.repair`` report of the store at ``path``; 1 when anything is bad."""
    import zarrlib as zarr
    from zarrlib.errors import CorruptStoreError

    writes = repair or delete_bad
    try:
        if path.endswith((".sqlite", ".sqlite3", ".db")):
            store: Any = zarr.SQLiteStore(path, read_only=not writes)
        elif path.endswith(".zip"):
            store = zarr.ZipStore(path, mode="r")
            if writes:
                print("zip members cannot be removed: checking only", file=sys.stderr)
                writes = repair = delete_bad = False
        else:
            if not os.path.isdir(path):
                print(f"zarrlib verify: no store at {path!r}", file=sys.stderr)
                return 2
            store = zarr.DirectoryStore(path, read_only=not writes)
    except (CorruptStoreError, FileNotFoundError) as e:
        print(f"zarrlib verify: {e}", file=sys.stderr)
        return 1
    with store:
        report = zarr.repair(store, remove_temp_files=repair, delete_bad=delete_bad)
    print(str(report).replace("checked /", f"checked {path}", 1))
    return 0 if report.ok else 1


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zarrlib", description="Chunked, compressed arrays in the Zarr format.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="run the tutorial's opening workflow, timed")
    p_demo.add_argument("path", nargs="?", help="directory to write into (default: a temporary directory)")
    p_demo.add_argument("--compare", action="store_true", help="also time the same steps with zarr-python")
    p_verify = sub.add_parser("verify", help="decode every chunk of a store and report what fails, by key")
    p_verify.add_argument("path", help="a directory store, a .zip or a .sqlite file")
    p_verify.add_argument("--repair", action="store_true", help="remove the temp files of interrupted writes")
    p_verify.add_argument("--delete-bad", action="store_true", help="delete chunks that fail to decode")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.path, compare=args.compare)
    if args.command == "verify":
        return verify(args.path, repair=args.repair, delete_bad=args.delete_bad)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
