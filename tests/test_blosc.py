"""Blosc threading controls ("Configuring Blosc"): zarrlib forwards them to numcodecs,
and numcodecs decides per call whether Blosc may use its own threads."""

from __future__ import annotations

import threading

import numcodecs.blosc as nc_blosc
import numpy as np
import pytest

import zarrlib as zarr
from zarrlib import blosc
from zarrlib.storage import MemoryStore


@pytest.fixture(autouse=True)
def _restore_blosc_settings():
    use_threads, nthreads = nc_blosc.use_threads, nc_blosc.get_nthreads()
    yield
    nc_blosc.use_threads = use_threads
    nc_blosc.set_nthreads(nthreads)


def uses_threads_here() -> bool:
    """numcodecs' own decision: would Blosc use its thread pool for a call from this thread?"""
    return bool(nc_blosc._get_use_threads())


def uses_threads_in_other_thread() -> bool:
    seen: list[bool] = []
    t = threading.Thread(target=lambda: seen.append(uses_threads_here()))
    t.start()
    t.join()
    return seen[0]


class SpyStore(MemoryStore):
    """Records, for every chunk fetched, whether Blosc would use threads in the fetching
    thread: zarrlib decodes a chunk in the thread that fetched it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, bool]] = []

    def _get(self, key: str) -> bytes:
        if not key.startswith(".z"):
            self.seen.append((threading.current_thread().name, uses_threads_here()))
        return super()._get(key)


@pytest.mark.parametrize("n", [1, 3, np.int64(2)], ids=["one", "three", "numpy-int"])
def test_set_nthreads_returns_previous_and_takes_effect(n):
    before = nc_blosc.get_nthreads()
    assert blosc.set_nthreads(n) == before
    assert nc_blosc.get_nthreads() == n
    assert blosc.get_nthreads() == n
    assert blosc.set_nthreads(before) == n


@pytest.mark.parametrize(
    "bad", [0, -1, 1.5, "2", True, 257], ids=["zero", "negative", "float", "str", "bool", "too-many"]
)
def test_set_nthreads_rejects_bad_values(bad):
    before = nc_blosc.get_nthreads()
    with pytest.raises(ValueError, match=f"nthreads must be an integer from 1 to 256, got {bad!r}"):
        blosc.set_nthreads(bad)
    assert nc_blosc.get_nthreads() == before


@pytest.mark.parametrize(
    ("value", "main", "other"),
    [(None, True, False), (True, True, True), (False, False, False)],
    ids=["auto", "always", "never"],
)
def test_use_threads_reaches_numcodecs(value, main, other):
    blosc.use_threads = value
    assert nc_blosc.use_threads is value
    assert blosc.use_threads is value
    assert uses_threads_here() is main
    assert uses_threads_in_other_thread() is other


@pytest.mark.parametrize("bad", [1, "yes", 0.0], ids=["int", "str", "float"])
def test_use_threads_rejects_other_values(bad):
    blosc.use_threads = True
    with pytest.raises(ValueError, match="use_threads must be None, True or False"):
        blosc.use_threads = bad
    assert nc_blosc.use_threads is True


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), (True, True), (False, False)], ids=["auto", "always", "never"]
)
def test_chunk_workers_use_contextual_blosc_by_default(value, expected):
    """Many chunks are decoded on zarrlib's worker threads: with the default (None) Blosc
    runs single-threaded there, so the two levels of threading do not multiply."""
    store = SpyStore()
    z = zarr.zeros((40, 40), chunks=(10, 10), dtype="i4", store=store)
    z[...] = np.arange(1600, dtype="i4").reshape(40, 40)
    blosc.use_threads = value
    store.seen.clear()
    np.testing.assert_array_equal(z[...], np.arange(1600).reshape(40, 40))
    on_workers = [uses for name, uses in store.seen if name.startswith("zarrlib-io")]
    assert len(store.seen) == 16
    assert on_workers, "no chunk was decoded on a zarrlib worker thread"
    assert set(on_workers) == {expected}


def test_single_chunk_read_in_main_thread_may_use_blosc_threads():
    store = SpyStore()
    z = zarr.zeros((40, 40), chunks=(10, 10), dtype="i4", store=store)
    z[:10, :10] = 1
    blosc.use_threads = None
    store.seen.clear()
    assert z[3, 4] == 1
    assert store.seen == [("MainThread", True)]


def test_list_compressors():
    assert set(blosc.list_compressors()) == set(nc_blosc.list_compressors())
    assert {"lz4", "zstd", "blosclz"} <= set(blosc.list_compressors())
