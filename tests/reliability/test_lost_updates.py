"""No lost updates: the same workload with and without locks, on v2 chunks and v3 shards,
from threads and from processes.

Workload: worker ``w`` writes, row after row, its own ``WIDTH`` columns ``[w*WIDTH, (w+1)*WIDTH)``.
Every key it writes is shared with the other workers, so every write is a read-modify-write
of a shared key:

* v2: chunks of ``(1, WORKERS*WIDTH)`` — the workers' regions are parts of one chunk per row;
* v3: inner chunks of exactly ``(1, WIDTH)`` inside shards of ``(ROWS, WORKERS*WIDTH)`` — each
  worker writes whole inner chunks, but all of them live in the one shard, which is
  rewritten whole (the lock must be the shard's).

Every element is written once with a non-zero value, so a lost update leaves a zero. With a
synchronizer the result is exact; without one, threads of one process are stopped with
``ConcurrentWriteError`` (zarrlib sees its own threads) and processes demonstrably lose
updates (nobody can see them), so each of these tests fails if the behaviour changes.
tests/test_sync.py covers unaligned v2 regions straddling chunks and attribute updates.
"""

from __future__ import annotations

import multiprocessing
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib import io as zarr_io
from zarrlib.storage import DirectoryStore, LRUStoreCache, MemoryStore
from zarrlib.sync import IN_FLIGHT, ProcessSynchronizer, ThreadSynchronizer

WORKERS, ROWS, WIDTH = 4, 6, 5
DELAY = 0.002  # seconds between a read and the write-back: unsynchronized writers reliably overlap
JOIN_TIMEOUT = 60
ROUNDS = {"without": 5}  # attempts at showing the race (each almost always shows it at once)


class _SlowChunkReads:
    """Chunk reads pause before returning, so unsynchronized read-modify-writes overlap."""

    def _get(self, key: str) -> bytes:
        try:
            return super()._get(key)  # type: ignore[misc]
        finally:
            if not key.endswith((".zarray", "zarr.json")):
                time.sleep(DELAY)


class SlowMemoryStore(_SlowChunkReads, MemoryStore):
    pass


class SlowDirectoryStore(_SlowChunkReads, DirectoryStore):
    pass


def make_array(store: Any, fmt: str, synchronizer: Any) -> zarr.Array:
    shape = (ROWS, WORKERS * WIDTH)
    if fmt == "v2":
        return zarr.zeros(shape, chunks=(1, shape[1]), dtype="i4", store=store, synchronizer=synchronizer)
    return zarr.create(
        shape,
        chunks=(1, WIDTH),
        shards=shape,
        dtype="i4",
        fill_value=0,
        zarr_format=3,
        store=store,
        synchronizer=synchronizer,
    )


def value_of(row: int, worker: int) -> int:
    return row * WORKERS + worker + 1


def expected() -> np.ndarray:
    out = np.zeros((ROWS, WORKERS * WIDTH), dtype="i4")
    for r in range(ROWS):
        for w in range(WORKERS):
            out[r, w * WIDTH : (w + 1) * WIDTH] = value_of(r, w)
    return out


def write_share(z: zarr.Array, worker: int, barrier: Any) -> None:
    barrier.wait(timeout=JOIN_TIMEOUT)
    for r in range(ROWS):
        z[r, worker * WIDTH : (worker + 1) * WIDTH] = value_of(r, worker)


def run_threads(target: Callable[..., None], z: zarr.Array) -> list[BaseException]:
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def guarded(w: int) -> None:
        try:
            target(z, w, barrier)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "worker threads did not finish"
    return errors


def run_processes(z: zarr.Array) -> None:
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    barrier = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=write_share, args=(z, w, barrier)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(JOIN_TIMEOUT)
    alive = [p for p in procs if p.is_alive()]
    for p in alive:
        p.kill()
    assert not alive and [p.exitcode for p in procs] == [0] * WORKERS


@pytest.fixture(autouse=True)
def inline_chunk_io():
    """Each writer thread does its own chunk I/O, so the race is as wide as the slow store makes it."""
    previous = zarr_io.set_num_workers(1)
    yield
    zarr_io.set_num_workers(previous)


FORMATS = ["v2", "v3-shard"]


def _fmt(name: str) -> str:
    return "v2" if name == "v2" else "v3"


# -- threads ----------------------------------------------------------------------------------
@pytest.mark.parametrize("sync", ["thread", "process"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_threads_with_lock_keep_every_update(tmp_path, fmt, sync):
    synchronizer = ThreadSynchronizer() if sync == "thread" else ProcessSynchronizer(tmp_path / "locks")
    z = make_array(SlowMemoryStore(), _fmt(fmt), synchronizer)
    assert run_threads(write_share, z) == []
    np.testing.assert_array_equal(z[...], expected())


@pytest.mark.parametrize("fmt", FORMATS)
def test_threads_without_lock_are_detected(fmt):
    """No update is silently lost: the writer that would lose one gets ConcurrentWriteError
    naming the chunk (the shard, for v3); what the others wrote is intact."""
    errors: list[BaseException] = []
    for _attempt in range(ROUNDS["without"]):
        z = make_array(SlowMemoryStore(), _fmt(fmt), None)
        errors = run_threads(write_share, z)
        if errors:
            break
    assert errors, "unsynchronized writers of one chunk/shard were never detected"
    assert all(isinstance(e, zarr.ConcurrentWriteError) for e in errors), errors
    pattern = r"chunk '\d+\.0'" if fmt == "v2" else r"chunk 'c/0/0'"  # a v2 row chunk; the one v3 shard
    assert all(re.search(pattern, str(e)) for e in errors), errors[0]
    # each worker stopped at its first refused write: its block is exact rows, then untouched
    # rows; a zero row followed by a written one would be an update lost without a word
    data, want = z[...], expected()
    for w in range(WORKERS):
        block, wanted = data[:, w * WIDTH : (w + 1) * WIDTH], want[:, w * WIDTH : (w + 1) * WIDTH]
        done = [bool(np.array_equal(block[r], wanted[r])) for r in range(ROWS)]
        untouched = [not np.any(block[r]) for r in range(ROWS)]
        assert all(d or u for d, u in zip(done, untouched, strict=True)), (w, block)
        assert done == sorted(done, reverse=True), f"worker {w}: a written row was lost: {block}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_threads_writing_disjoint_keys_need_no_lock(fmt):
    """Writers that share no key (v2 chunks, v3 shards) are not flagged."""
    shape = (WORKERS, 8)
    store = SlowMemoryStore()
    if fmt == "v2":
        z = zarr.zeros(shape, chunks=(1, 8), dtype="i4", store=store)
    else:
        z = zarr.create(shape, chunks=(1, 4), shards=(1, 8), dtype="i4", zarr_format=3, store=store)

    def own_row(z: zarr.Array, w: int, barrier: Any) -> None:
        barrier.wait(timeout=JOIN_TIMEOUT)
        for i in range(8):
            z[w, i] = w * 10 + i  # a partial write of the worker's own chunk/shard, 8 times

    assert run_threads(own_row, z) == []
    np.testing.assert_array_equal(z[...], np.arange(8) + 10 * np.arange(WORKERS)[:, None])


def test_whole_chunk_writes_of_one_key_are_not_flagged():
    """Two threads writing whole chunks of one key need no merge: the last one wins."""
    z = zarr.zeros((10,), chunks=(10,), dtype="i4", store=SlowMemoryStore())

    def whole(z: zarr.Array, w: int, barrier: Any) -> None:
        barrier.wait(timeout=JOIN_TIMEOUT)
        for _ in range(5):
            z[:] = np.full(10, w + 1)

    assert run_threads(whole, z) == []
    assert len(set(z[:].tolist())) == 1 and z[0] in range(1, WORKERS + 1)


class _GatedStore(MemoryStore):
    """Blocks the first read of ``key`` until released: a writer stops inside its read-modify-write."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.reading = threading.Event()
        self.release = threading.Event()

    def _get(self, key: str) -> bytes:
        if key == self.key and not self.reading.is_set():
            self.reading.set()
            self.release.wait(JOIN_TIMEOUT)
        return super()._get(key)


def _hold_partial_write(z: zarr.Array, store: _GatedStore) -> threading.Thread:
    thread = threading.Thread(target=z.__setitem__, args=(slice(0, 2), 7))
    thread.start()
    assert store.reading.wait(JOIN_TIMEOUT)
    return thread


@pytest.mark.parametrize(
    "second",
    ["partial", "whole", "other-array-object", "lru-wrapper"],
)
def test_write_into_an_in_flight_read_modify_write_is_refused(second):
    """Deterministic: thread A is stopped between reading chunk 0 and writing it back."""
    store = _GatedStore("0")
    z = zarr.zeros((8,), chunks=(4,), dtype="i4", store=store)
    z[:] = 1  # chunk '0' exists, so A's partial write reads it
    thread = _hold_partial_write(z, store)
    other = {
        "partial": z,
        "whole": z,
        "other-array-object": zarr.Array(store),
        "lru-wrapper": zarr.Array(LRUStoreCache(store, max_size=None)),
    }[second]
    selection = slice(0, 4) if second == "whole" else slice(2, 3)
    with pytest.raises(zarr.ConcurrentWriteError, match=r"chunk '0' is being written by another thread"):
        other[selection] = 9
    other[4:6] = 5  # chunk '1' is not in flight: no error
    store.release.set()
    thread.join(JOIN_TIMEOUT)
    assert z[:].tolist() == [7, 7, 1, 1, 5, 5, 1, 1]  # A's update kept, the refused one never applied
    z[2] = 3  # the claim ended with A's write: no stale entry refuses later writes
    assert z[:4].tolist() == [7, 7, 3, 1]
    assert not IN_FLIGHT._writers


def test_failed_write_releases_its_claim():
    class Failing(MemoryStore):
        fail = True

        def _set(self, key: str, value: bytes) -> None:
            if self.fail and key == "0":
                raise OSError("disk full")
            super()._set(key, value)

    store = Failing()
    z = zarr.zeros((8,), chunks=(4,), dtype="i4", store=store)
    with pytest.raises(OSError, match="disk full"):
        z[1:3] = 4
    store.fail = False
    z[1:3] = 4
    assert z[:4].tolist() == [0, 4, 4, 0]
    assert not IN_FLIGHT._writers


# -- processes --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_processes_with_lock_keep_every_update(tmp_path, fmt):
    store = SlowDirectoryStore(str(tmp_path / "data.zarr"))
    z = make_array(store, _fmt(fmt), ProcessSynchronizer(tmp_path / "locks"))
    run_processes(z)
    np.testing.assert_array_equal(z[...], expected())


@pytest.mark.parametrize("fmt", FORMATS)
def test_processes_without_lock_lose_updates(tmp_path, fmt):
    """What no single process can see: without a lock, updates are really lost (so the test
    above, which differs only by the synchronizer, is not passing by luck)."""
    lost = 0
    for attempt in range(ROUNDS["without"]):
        store = SlowDirectoryStore(str(tmp_path / f"data{attempt}.zarr"))
        z = make_array(store, _fmt(fmt), None)
        run_processes(z)
        lost = int(np.count_nonzero(z[...] != expected()))
        if lost:
            break
    assert lost > 0, "no update was lost by unsynchronized processes"


# -- metadata ----------------------------------------------------------------------------------
def test_v3_attribute_updates_and_resize_share_the_zarr_json_lock(tmp_path):
    """v3 keeps attributes inside zarr.json: attribute writers and resize must not undo each
    other, so both take the zarr.json lock."""
    sync = ThreadSynchronizer()
    z = zarr.create((4,), chunks=(2,), dtype="i4", zarr_format=3, store=SlowMemoryStore(), synchronizer=sync)

    def attrs_or_resize(z: zarr.Array, w: int, barrier: Any) -> None:
        barrier.wait(timeout=JOIN_TIMEOUT)
        for i in range(4):
            if w == 0:
                z.resize(4 + i + 1)
            else:
                z.attrs[f"w{w}_{i}"] = i

    assert run_threads(attrs_or_resize, z) == []
    fresh = zarr.Array(z.store)
    assert fresh.shape == (8,)
    assert fresh.attrs.asdict() == {f"w{w}_{i}": i for w in range(1, WORKERS) for i in range(4)}
