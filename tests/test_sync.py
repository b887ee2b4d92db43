"""Synchronizers: concurrent writers of unaligned regions keep every update with a lock,
and the same workload demonstrably loses updates without one (so these tests can fail).

Workload: an array of ROWS x (WORKERS * REGION) with chunks (4, 20). Worker ``w`` writes
``row r, columns [w*30, (w+1)*30)`` for every round ``r``: 30-wide regions straddle the
20-wide chunks, so neighbouring workers share a chunk in every row, and consecutive rounds
share chunks too. Every element is written exactly once, so a lost update leaves a zero.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib import io as zarr_io
from zarrlib.storage import DirectoryStore, MemoryStore
from zarrlib.sync import ProcessSynchronizer, ThreadSynchronizer, lock_file_name

REGION = 30
CHUNKS = (4, 20)
#: Seconds a slow store waits between handing out a value and the caller's write-back.
DELAY = 0.002
JOIN_TIMEOUT = 60


class SlowMemoryStore(MemoryStore):
    """Sleeps after every read (found or not) except of ``.zarray``: this widens the gap
    between a writer's read and its write-back, so unsynchronized writers reliably race."""

    def __init__(self, delay: float = DELAY) -> None:
        super().__init__()
        self.delay = delay

    def _get(self, key: str) -> bytes:
        try:
            return super()._get(key)
        finally:
            if not key.endswith(".zarray"):
                time.sleep(self.delay)


class SlowDirectoryStore(DirectoryStore):
    """The same race-widening delay on a directory shared by several processes."""

    def __init__(self, path: str, delay: float = DELAY) -> None:
        super().__init__(path)
        self.delay = delay

    def _get(self, key: str) -> bytes:
        try:
            return super()._get(key)
        finally:
            if not key.endswith(".zarray"):
                time.sleep(self.delay)


def value_of(row: int, worker: int, workers: int) -> int:
    return row * workers + worker + 1


def expected_array(rows: int, workers: int) -> np.ndarray:
    expected = np.zeros((rows, workers * REGION), dtype="i4")
    for r in range(rows):
        for w in range(workers):
            expected[r, w * REGION : (w + 1) * REGION] = value_of(r, w, workers)
    return expected


def make_array(store: Any, rows: int, workers: int, synchronizer: Any) -> zarr.Array:
    return zarr.zeros(
        (rows, workers * REGION), chunks=CHUNKS, dtype="i4", store=store, synchronizer=synchronizer, overwrite=True
    )


def write_rows(z: zarr.Array, worker: int, workers: int, barrier: Any, region: int = REGION) -> None:
    """One worker's share of the workload: its columns in every row, one row at a time."""
    barrier.wait(timeout=JOIN_TIMEOUT)
    for r in range(z.shape[0]):
        z[r, worker * region : (worker + 1) * region] = value_of(r, worker, workers)


def set_attrs(z: zarr.Array | zarr.Group, worker: int, workers: int, barrier: Any, count: int) -> None:
    """One worker's share of an attribute workload: distinct names, one update each."""
    barrier.wait(timeout=JOIN_TIMEOUT)
    for i in range(count):
        z.attrs[f"w{worker}_{i}"] = i


def run_threads(target: Callable[..., None], workers: int, *args: Any) -> None:
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def guarded(w: int) -> None:
        try:
            target(*args[:1], w, workers, barrier, *args[1:])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "worker threads did not finish"
    if errors:
        raise errors[0]


def run_processes(method: str, target: Callable[..., None], workers: int, *args: Any) -> None:
    """Run ``target`` in ``workers`` separate processes; the array travels by pickle."""
    ctx = multiprocessing.get_context(method)
    barrier = ctx.Barrier(workers)
    procs = [ctx.Process(target=target, args=(*args[:1], w, workers, barrier, *args[1:])) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(JOIN_TIMEOUT)
    alive = [p for p in procs if p.is_alive()]
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} worker processes did not finish within {JOIN_TIMEOUT} s"
    assert [p.exitcode for p in procs] == [0] * workers


def start_methods() -> list[str]:
    return [m for m in ("fork", "spawn") if m in multiprocessing.get_all_start_methods()]


@pytest.fixture
def inline_chunk_io():
    """Each writer thread does its own chunk I/O (no shared pool serialising the writers),
    so the unsynchronized race is as wide as the slow store makes it."""
    previous = zarr_io.set_num_workers(1)
    yield
    zarr_io.set_num_workers(previous)


SYNCHRONIZERS = {
    "thread": lambda tmp_path: ThreadSynchronizer(),
    "process": lambda tmp_path: ProcessSynchronizer(tmp_path / "locks"),
}


# -- threads -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(SYNCHRONIZERS), ids=[f"{k}-sync" for k in SYNCHRONIZERS])
def test_threads_unaligned_writes_keep_every_update(tmp_path, kind, inline_chunk_io):
    workers, rows = 4, 8
    z = make_array(SlowMemoryStore(), rows, workers, SYNCHRONIZERS[kind](tmp_path))
    run_threads(write_rows, workers, z)
    np.testing.assert_array_equal(z[...], expected_array(rows, workers))


@pytest.mark.parametrize("kind", list(SYNCHRONIZERS), ids=[f"{k}-sync" for k in SYNCHRONIZERS])
def test_threads_hammer_without_delay(tmp_path, kind):
    """Real contention (no sleeps): many threads, many rounds, chunk codecs in the window."""
    workers, rows = 8, 40
    z = make_array(MemoryStore(), rows, workers, SYNCHRONIZERS[kind](tmp_path))
    run_threads(write_rows, workers, z)
    np.testing.assert_array_equal(z[...], expected_array(rows, workers))


def test_threads_without_synchronizer_race_is_detected(inline_chunk_io):
    """The workload above is a real race: with no synchronizer a thread that would lose an
    update is stopped with ConcurrentWriteError, naming the chunk (zarrlib sees its own threads).
    The delay makes the overlap near certain in one attempt; a few attempts rule out luck."""
    workers, rows = 4, 8
    detected = None
    for _attempt in range(5):
        z = make_array(SlowMemoryStore(), rows, workers, None)
        try:
            run_threads(write_rows, workers, z)
        except zarr.ConcurrentWriteError as e:
            detected = e
            break
    assert detected is not None, "5 unsynchronized attempts raced undetected"
    assert "chunk '" in str(detected) and "synchronizer" in str(detected)


def test_threads_aligned_writes_need_no_synchronizer(inline_chunk_io):
    """Regions aligned to chunk boundaries share no chunk, so no lock is needed."""
    workers, rows = 4, 8
    z = zarr.zeros((rows, workers * 20), chunks=CHUNKS, dtype="i4", store=SlowMemoryStore())
    run_threads(write_rows, workers, z, 20)
    expected = np.zeros((rows, workers * 20), dtype="i4")
    for r in range(rows):
        for w in range(workers):
            expected[r, w * 20 : (w + 1) * 20] = value_of(r, w, workers)
    np.testing.assert_array_equal(z[...], expected)


@pytest.mark.parametrize(
    ("kind", "expect_loss"),
    [("thread", False), ("process", False), (None, True)],
    ids=["thread-sync", "process-sync", "no-sync-loses"],
)
def test_threads_attribute_updates(tmp_path, kind, expect_loss, inline_chunk_io):
    """Attribute updates are read-modify-write of one JSON document under the node's lock."""
    workers, count = 4, 6
    sync = SYNCHRONIZERS[kind](tmp_path) if kind else None
    missing = 0
    for _attempt in range(5 if expect_loss else 1):
        z = make_array(SlowMemoryStore(), 1, workers, sync)
        run_threads(set_attrs, workers, z, count)
        z.attrs.refresh()
        stored = z.attrs.asdict()
        wanted = {f"w{w}_{i}": i for w in range(workers) for i in range(count)}
        missing = len(set(wanted) - set(stored))
        if expect_loss and missing:
            break
        if not expect_loss:
            assert stored == wanted
    if expect_loss:
        assert missing > 0, "no attribute update was lost without a synchronizer"


# -- processes -----------------------------------------------------------------------------
@pytest.mark.parametrize("method", start_methods())
def test_processes_unaligned_writes_keep_every_update(tmp_path, method):
    workers, rows = 4, 8
    store = SlowDirectoryStore(str(tmp_path / "data.zarr"))
    z = make_array(store, rows, workers, ProcessSynchronizer(tmp_path / "locks"))
    z[0, 0]  # the parent has used the chunk thread pool before forking
    run_processes(method, write_rows, workers, z)
    np.testing.assert_array_equal(z[...], expected_array(rows, workers))


def test_processes_without_synchronizer_lose_updates(tmp_path):
    workers, rows = 4, 8
    expected = expected_array(rows, workers)
    lost = []
    for attempt in range(4):
        store = SlowDirectoryStore(str(tmp_path / f"data{attempt}.zarr"))
        z = make_array(store, rows, workers, None)
        run_processes(start_methods()[0], write_rows, workers, z)
        lost.append(int(np.count_nonzero(z[...] != expected)))
        if lost[-1]:
            break
    assert lost[-1] > 0, f"no update was lost in {len(lost)} unsynchronized multi-process attempts"


def test_processes_attribute_updates(tmp_path):
    workers, count = 3, 6
    store = SlowDirectoryStore(str(tmp_path / "data.zarr"))
    z = make_array(store, 1, workers, ProcessSynchronizer(tmp_path / "locks"))
    run_processes(start_methods()[0], set_attrs, workers, z, count)
    reopened = zarr.open_array(str(tmp_path / "data.zarr"), mode="r")
    assert reopened.attrs.asdict() == {f"w{w}_{i}": i for w in range(workers) for i in range(count)}


# -- the synchronizer objects ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "store", "line"),
    [
        (lambda p: ThreadSynchronizer(), None, "  store: dict; synchronizer: ThreadSynchronizer"),
        (
            lambda p: ProcessSynchronizer(p / "example.sync"),
            "example",
            "  store: DirectoryStore; synchronizer: ProcessSynchronizer",
        ),
    ],
    ids=["thread", "process"],
)
def test_repr_names_synchronizer(tmp_path, make, store, line):
    sync = make(tmp_path)
    if store is None:
        z = zarr.zeros((10000, 10000), chunks=(1000, 1000), dtype="i4", synchronizer=sync)
    else:
        z = zarr.open_array(
            str(tmp_path / store), mode="w", shape=(10000, 10000), chunks=(1000, 1000), dtype="i4", synchronizer=sync
        )
    assert z.synchronizer is sync
    assert repr(z).splitlines()[-1] == line
    assert repr(z).splitlines()[1].endswith("initialized: 0/100")


def test_open_array_accepts_synchronizer(tmp_path):
    zarr.open_array(str(tmp_path / "a"), mode="w", shape=(10,), chunks=(5,), dtype="i4")
    sync = ProcessSynchronizer(tmp_path / "locks")
    z = zarr.open_array(str(tmp_path / "a"), mode="r+", synchronizer=sync)
    assert z.synchronizer is sync
    z[3:7] = 1
    assert z[...].tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]


def test_thread_synchronizer_one_lock_per_key():
    sync = ThreadSynchronizer()
    assert sync["a/0.0"] is sync["a/0.0"]
    assert sync["a/0.0"] is not sync["a/0.1"]
    with sync["a/0.0"]:
        acquired = []
        t = threading.Thread(target=lambda: acquired.append(sync["a/0.0"].acquire(timeout=0.05)))
        t.start()
        t.join()
        assert acquired == [False]


def test_thread_synchronizer_pickles_to_fresh_locks():
    sync = ThreadSynchronizer()
    with sync["k"]:
        copy = pickle.loads(pickle.dumps(sync))
        assert copy["k"].acquire(timeout=0.05)
        copy["k"].release()


def test_process_synchronizer_excludes_other_holders(tmp_path):
    """flock locks belong to an open file, so even two threads of one process exclude each other."""
    sync = ProcessSynchronizer(tmp_path / "locks")
    entered = threading.Event()
    order: list[str] = []

    def other() -> None:
        with sync["arr/0.0"]:
            order.append("other")
            entered.set()

    with sync["arr/0.0"]:
        t = threading.Thread(target=other)
        t.start()
        assert not entered.wait(0.1)
        order.append("first")
    t.join(5)
    assert order == ["first", "other"]
    copy = pickle.loads(pickle.dumps(sync))
    assert copy.path == sync.path


@pytest.mark.parametrize(
    ("key", "name"),
    [("0.0", "0.0.lock"), ("foo/bar/0.0", "foo%2Fbar%2F0.0.lock"), ("a/.zattrs", "a%2F.zattrs.lock")],
    ids=["plain", "nested", "attrs"],
)
def test_lock_file_names(key, name):
    assert lock_file_name(key) == name


def test_long_keys_get_hashed_lock_names(tmp_path):
    long_key = "/".join(["x" * 100] * 4) + "/0.0"
    name = lock_file_name(long_key)
    assert len(name) < 255
    assert name != lock_file_name(long_key[:-1] + "1")
    sync = ProcessSynchronizer(tmp_path / "locks")
    with sync[long_key]:
        pass


# -- groups share their synchronizer -----------------------------------------------------------
@pytest.mark.parametrize("kind", list(SYNCHRONIZERS), ids=[f"{k}-sync" for k in SYNCHRONIZERS])
def test_group_members_share_the_synchronizer(tmp_path, kind):
    sync = SYNCHRONIZERS[kind](tmp_path)
    root = zarr.group(store=MemoryStore(), synchronizer=sync)
    made = root.zeros("a", shape=(10,), chunks=(5,), dtype="i4")
    sub = root.create_group("sub")
    nested = sub.create_dataset("b", shape=(4,), chunks=(2,), dtype="i4")
    assert made.synchronizer is sync and sub.synchronizer is sync and nested.synchronizer is sync
    assert root["a"].synchronizer is sync and root["sub/b"].synchronizer is sync
    assert repr(root["a"]).splitlines()[-1] == f"  store: MemoryStore; synchronizer: {type(sync).__name__}"


def test_group_array_from_processes_keeps_every_update(tmp_path):
    """Processes open the same group on disk, each with its own ProcessSynchronizer on one
    lock directory, and write unaligned regions of an array inside it."""
    workers, rows = 3, 8
    store = SlowDirectoryStore(str(tmp_path / "data.zarr"))
    root = zarr.group(store=store, synchronizer=ProcessSynchronizer(tmp_path / "locks"))
    z = root.zeros("x/y", shape=(rows, workers * REGION), chunks=CHUNKS, dtype="i4")
    run_processes(start_methods()[0], write_rows, workers, z)
    reopened = zarr.open_group(str(tmp_path / "data.zarr"), mode="r")
    np.testing.assert_array_equal(reopened["x/y"][...], expected_array(rows, workers))


def test_group_attribute_updates_under_threads(tmp_path, inline_chunk_io):
    workers, count = 4, 6
    root = zarr.group(store=SlowMemoryStore(), synchronizer=ThreadSynchronizer())
    run_threads(set_attrs, workers, root, count)
    root.attrs.refresh()
    assert root.attrs.asdict() == {f"w{w}_{i}": i for w in range(workers) for i in range(count)}
