"""Writer processes for the kill -9 suite (``test_crash_safety.py``).

A workload is a numbered sequence of rounds, each one logical operation (create an array
with data, write all of it, write an unaligned region, resize, append, create a group with
an array, write shards). Before round ``r`` a writer appends ``r`` to a progress file; a
writer that starts over reads the last round begun and redoes it, so a killed round is
finished by the next writer. The test replays the same rounds on a MemoryStore to know the
store's state after every round, and checks that what a kill left is, chunk by chunk, the
state before or after the round that was running.

Run one writer: ``python crash_writer.py run WORKLOAD STORE_KIND DIR ROUNDS``.
Serve writers: ``python crash_writer.py zygote`` reads ``run ...`` lines on stdin, forks one
writer per line (numpy and zarrlib already imported, so a writer starts in a millisecond),
prints its pid, then ``exit <status>`` when it ends (the test kills it with SIGKILL first).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import zarrlib as zarr

SHAPE = (40, 40)


def pattern(r: int, shape: tuple[int, ...] = SHAPE) -> np.ndarray:
    """The values written in round ``r``: distinct per element and per round."""
    return (np.arange(int(np.prod(shape)), dtype="i4").reshape(shape) + r * 1_000_000).astype("i4")


def region(r: int, shape: tuple[int, ...]) -> tuple[slice, ...]:
    """An unaligned region of ``shape`` chosen by round ``r``, crossing chunk boundaries."""
    rng = np.random.default_rng(r)
    sel = []
    for n in shape:
        a, b = sorted(int(x) for x in rng.integers(0, n + 1, size=2))
        sel.append(slice(a, max(b, a + 1)))
    return tuple(sel)


# -- workloads: round r applied to a store -------------------------------------------------------


def whole(store: Any, r: int) -> None:
    """Round 0 creates a 4x4-chunk array with data; each later round rewrites all of it."""
    if r == 0:
        zarr.array(pattern(0), chunks=(10, 10), store=store, path="a", overwrite=True)
    else:
        zarr.open_array(store, path="a", mode="r+")[:] = pattern(r)


def partial(store: Any, r: int) -> None:
    """Round 0 creates the array; each later round writes an unaligned region (partial chunks)."""
    if r == 0:
        zarr.array(pattern(0), chunks=(7, 9), store=store, path="a", overwrite=True)
    else:
        z = zarr.open_array(store, path="a", mode="r+")
        sel = region(r, z.shape)
        z[sel] = pattern(r)[sel]


def resize_shape(r: int) -> tuple[int, int]:
    rng = np.random.default_rng(10_000 + r)
    return int(rng.integers(3, 41)), int(rng.integers(3, 41))


def resize(store: Any, r: int) -> None:
    """Even rounds resize (shrinking or growing), odd rounds write an unaligned region."""
    if r == 0:
        zarr.array(pattern(0, (30, 30)), chunks=(7, 7), store=store, path="a", overwrite=True)
        return
    z = zarr.open_array(store, path="a", mode="r+")
    if r % 2 == 0:
        z.resize(resize_shape(r))
    else:
        sel = region(r, z.shape)
        z[sel] = pattern(r, z.shape)[sel]


def append_rows(r: int) -> int:
    return 3 if r == 0 else 1 + (r * 7919) % 6


def append(store: Any, r: int) -> None:
    """Round 0 creates 3 rows; each later round appends 1-6 rows (a redone round appends once)."""
    if r == 0:
        zarr.array(pattern(0, (3, 12)), chunks=(5, 4), store=store, path="a", overwrite=True)
        return
    z = zarr.open_array(store, path="a", mode="r+")
    before = sum(append_rows(i) for i in range(r))
    if z.shape[0] == before + append_rows(r):  # the killed writer had committed this round
        return
    if z.shape[0] != before:
        raise AssertionError(f"append round {r}: shape {z.shape}, expected {before} rows")
    z.append(pattern(r, (append_rows(r), 12)))


def group(store: Any, r: int) -> None:
    """Each round creates group g<r> with attributes and an array holding data."""
    root = zarr.open_group(store, mode="a")
    g = root.require_group(f"g{r}")
    g.attrs.put({"round": r})
    g.array("x", pattern(r, (12, 10)), chunks=(5, 5), overwrite=True)


def shard(store: Any, r: int) -> None:
    """A v3 array of 4 shards of 16 inner chunks: whole writes every third round, else regions."""
    if r == 0:
        zarr.array(
            pattern(0, (32, 32)), chunks=(4, 4), shards=(16, 16), store=store, path="a", zarr_format=3, overwrite=True
        )
        return
    z = zarr.open_array(store, path="a", mode="r+")
    if r % 3 == 0:
        z[:] = pattern(r, z.shape)
    else:
        sel = region(r, z.shape)
        z[sel] = pattern(r, z.shape)[sel]


WORKLOADS: dict[str, Callable[[Any, int], None]] = {
    "whole": whole,
    "partial": partial,
    "resize": resize,
    "append": append,
    "group": group,
    "shard": shard,
}


# -- stores and the writer loop -------------------------------------------------------------------


def open_store(kind: str, directory: str) -> Any:
    """The store a writer (or the checker) opens in ``directory``."""
    if kind == "dir":
        return zarr.DirectoryStore(os.path.join(directory, "store"))
    if kind == "dir-fsync":
        return zarr.DirectoryStore(os.path.join(directory, "store"), fsync=True)
    if kind == "lru":
        return zarr.LRUStoreCache(zarr.DirectoryStore(os.path.join(directory, "store")), max_size=2**20)
    if kind == "sqlite":
        return zarr.SQLiteStore(os.path.join(directory, "store.sqlite"))
    if kind == "zip":  # write-once: only the group workload writes each key once
        return zarr.ZipStore(os.path.join(directory, "store.zip"), mode="a")
    raise ValueError(f"unknown store kind {kind!r}")


def last_round_begun(directory: str) -> int:
    """The last round a writer began (-1 if none): the one a new writer redoes first."""
    try:
        with open(os.path.join(directory, "progress"), "rb") as f:
            lines = f.read().split()
    except FileNotFoundError:
        return -1
    return int(lines[-1]) if lines else -1


def write(workload: str, kind: str, directory: str, rounds: int) -> None:
    """Run rounds from the last one begun up to ``rounds`` (exclusive)."""
    fn = WORKLOADS[workload]
    store = open_store(kind, directory)
    start = max(last_round_begun(directory), 0)
    fd = os.open(os.path.join(directory, "progress"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        for r in range(start, rounds):
            os.write(fd, f"{r}\n".encode())  # one small O_APPEND write: whole or not at all
            fn(store, r)
    finally:
        os.close(fd)
        store.close()


def zygote() -> None:
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        _, workload, kind, directory, rounds = parts
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                log = os.open(os.path.join(directory, "writer.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                os.dup2(log, 1)  # stdout is the zygote's channel to the test: keep writers off it
                os.dup2(log, 2)
                write(workload, kind, directory, int(rounds))
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            os._exit(code)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {status}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "zygote":
        zygote()
    elif sys.argv[1] == "run":
        write(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(f"usage: {sys.argv[0]} zygote | run WORKLOAD KIND DIR ROUNDS")
