"""What is measured and how: workload definitions, test data, timing and peak memory.

Imported by ``worker.py`` in every peer's interpreter, including the zarr 2 venv, so it
depends on the standard library and NumPy only.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Default Blosc of zarr 2 and zarrlib (the tutorial's ``Blosc(cname='lz4', clevel=5, shuffle=1)``).
BLOSC_LZ4 = {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}
BLOSC_ZSTD_BITSHUFFLE = {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0}

#: Operation names, in report order. "write"/"read" are the whole array.
WRITE_OPS = ("write",)
READ_OPS = ("read", "row", "column", "region", "points")
OP_TITLES = {
    "write": "write all",
    "read": "read all",
    "row": "read one row",
    "column": "read one column",
    "region": "read 33x21 region",
    "points": "read single elements (one call each)",
}


@dataclass(frozen=True)
class Workload:
    """One array (shape, chunks, dtype, compressor, store kind) and the operations timed on it."""

    name: str
    title: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: str
    compressor: dict[str, Any] | None
    store: str  # "directory" or "memory"
    data: str  # how the data is generated: "arange" or "ramp"
    ops: tuple[str, ...]
    npoints: int = 1000

    @property
    def nchunks(self) -> int:
        return int(np.prod([-(-s // c) for s, c in zip(self.shape, self.chunks, strict=True)]))

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Workload:
        return cls(**{**d, "shape": tuple(d["shape"]), "chunks": tuple(d["chunks"]), "ops": tuple(d["ops"])})


def workloads(quick: bool = False) -> list[Workload]:
    """The issue's workloads; ``quick`` shrinks every array ~100x for a smoke run."""
    big, big_chunk = ((1000, 1000), (100, 100)) if quick else ((10000, 10000), (1000, 1000))
    small, small_chunk = ((400, 400), (20, 20)) if quick else ((4000, 4000), (100, 100))
    npoints = 50 if quick else 1000
    side = f"{big[0]}x{big[1]} int32, {big_chunk[0]}x{big_chunk[1]} chunks"
    return [
        Workload(
            "tutorial-dir",
            f"tutorial {side}, Blosc lz4, directory",
            big,
            big_chunk,
            "int32",
            BLOSC_LZ4,
            "directory",
            "arange",
            ("write", "read", "row", "column", "region", "points"),
            npoints,
        ),
        Workload(
            "tutorial-mem",
            f"tutorial {side}, Blosc lz4, in memory",
            big,
            big_chunk,
            "int32",
            BLOSC_LZ4,
            "memory",
            "arange",
            ("write", "read"),
        ),
        Workload(
            "zstd-bitshuffle",
            f"{side}, Blosc zstd 3 bit-shuffle, directory",
            big,
            big_chunk,
            "int32",
            BLOSC_ZSTD_BITSHUFFLE,
            "directory",
            "arange",
            ("write", "read"),
        ),
        Workload(
            "small-chunks",
            f"{small[0]}x{small[1]} float64, {small_chunk[0]}x{small_chunk[1]} chunks, Blosc lz4, directory",
            small,
            small_chunk,
            "float64",
            BLOSC_LZ4,
            "directory",
            "ramp",
            ("write", "read"),
        ),
        Workload(
            "uncompressed-mem",
            f"{side}, no compressor, in memory",
            big,
            big_chunk,
            "int32",
            None,
            "memory",
            "arange",
            ("write", "read"),
        ),
    ]


def make_data(w: Workload) -> np.ndarray:
    """Deterministic test data: ``arange`` (as in the tutorial) or a float ramp with a wobble."""
    n = int(np.prod(w.shape))
    if w.data == "arange":
        return np.arange(n, dtype=w.dtype).reshape(w.shape)
    if w.data == "ramp":
        x = np.arange(n, dtype="float64")
        return (x * 0.001 + np.sin(x * 0.01)).astype(w.dtype).reshape(w.shape)
    raise ValueError(f"workload {w.name!r}: unknown data kind {w.data!r}")


@dataclass(frozen=True)
class Selections:
    """The partial-read selections, the same for every peer."""

    row: int
    column: int
    region: tuple[slice, slice]
    points: np.ndarray  # (npoints, 2) int64

    @classmethod
    def for_workload(cls, w: Workload) -> Selections:
        rows, cols = w.shape
        rng = np.random.default_rng(42)
        # 33x21 straddling a chunk corner where the array is big enough
        r0 = max(0, min(rows - 33, w.chunks[0] * 4 - 16))
        c0 = max(0, min(cols - 21, w.chunks[1] * 5 - 10))
        points = np.stack([rng.integers(0, rows, w.npoints), rng.integers(0, cols, w.npoints)], axis=1)
        return cls(rows * 2 // 3 + 7, cols // 3 + 11, (slice(r0, r0 + 33), slice(c0, c0 + 21)), points)

    def expected(self, op: str, data: np.ndarray) -> np.ndarray:
        if op == "row":
            return data[self.row, :]
        if op == "column":
            return data[:, self.column]
        if op == "region":
            return data[self.region]
        if op == "points":
            return data[self.points[:, 0], self.points[:, 1]]
        if op == "read":
            return data
        raise ValueError(op)


@dataclass
class Measurement:
    """Wall times of the repetitions of one operation, plus its peak memory when measured."""

    times: list[float] = field(default_factory=list)
    peak_rss: int | None = None
    peak_traced: int | None = None
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# -- peak memory ----------------------------------------------------------------------------
def _status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets the process's peak RSS (VmHWM) to its current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


def peak_rss(fn: Callable[[], Any]) -> int | None:
    """Peak resident memory ``fn`` adds over what the process held before (bytes). Counts
    native allocations (Rust, C++), but misses memory the allocator reuses without growing
    the resident set. None where Linux does not let us reset the peak."""
    gc.collect()
    if not _reset_peak_rss():
        return None
    before = _status_kib("VmRSS") or 0
    result = fn()
    peak = (_status_kib("VmHWM") or 0) - before
    del result
    return peak * 1024


def peak_traced(fn: Callable[[], Any]) -> int:
    """Peak of Python and NumPy allocations during ``fn`` (tracemalloc; exact for them, blind
    to native allocations such as Rust or C++ buffers)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak


def warm_memory(nbytes: int) -> None:
    """Touch and free ``nbytes`` once. In a VM whose memory the host backs lazily, the first
    touch of a page costs up to 10x a later one; without this, whichever peer or repetition
    first grows the process pays that, and timings of big arrays swing by a factor of several."""
    if nbytes > 0:
        block = np.ones(nbytes, dtype=np.uint8)
        del block


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
