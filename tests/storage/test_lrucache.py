"""LRUStoreCache specifics: what is cached, eviction order, write-through, invalidation."""

from __future__ import annotations

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.storage import MemoryStore


class CountingStore(MemoryStore):
    """A MemoryStore that counts reads, and can run a hook in the middle of one."""

    def __init__(self):
        super().__init__()
        self.reads = 0
        self.listings = 0
        self.during_read = None

    def _get(self, key):
        self.reads += 1
        value = super()._get(key)
        if self.during_read is not None:
            hook, self.during_read = self.during_read, None
            hook()
        return value

    def _iter_keys(self):
        self.listings += 1
        return super()._iter_keys()


def test_repeated_reads_hit_the_cache():
    inner = CountingStore()
    inner["a"] = b"1"
    cache = zarr.LRUStoreCache(inner, max_size=100)
    assert cache["a"] == b"1"
    assert cache["a"] == b"1"
    assert (inner.reads, cache.hits, cache.misses) == (1, 1, 1)


def test_least_recently_used_values_are_evicted_first():
    inner = CountingStore()
    inner.set_many({"a": b"11", "b": b"22", "c": b"33"})
    cache = zarr.LRUStoreCache(inner, max_size=4)
    cache["a"], cache["b"]
    cache["a"]  # a is now more recent than b
    cache["c"]  # evicts b
    inner.reads = 0
    cache["a"], cache["c"]
    assert inner.reads == 0
    cache["b"]
    assert inner.reads == 1


def test_values_larger_than_max_size_are_not_cached():
    inner = CountingStore()
    inner["big"] = b"x" * 10
    cache = zarr.LRUStoreCache(inner, max_size=5)
    cache["big"], cache["big"]
    assert inner.reads == 2


def test_writes_go_through_and_are_seen():
    inner = CountingStore()
    cache = zarr.LRUStoreCache(inner, max_size=None)
    cache["a"] = b"1"
    assert inner["a"] == b"1"
    cache["a"] = b"2"
    assert cache["a"] == b"2"
    assert list(cache) == ["a"]
    del cache["a"]
    assert "a" not in cache and "a" not in inner
    with pytest.raises(KeyError):
        cache["a"]


def test_listing_is_cached_until_a_write_changes_it():
    inner = CountingStore()
    inner.set_many({"a/x": b"1", "b": b"2"})
    cache = zarr.LRUStoreCache(inner, max_size=None)
    assert cache.list_dir("") == ["a", "b"]
    assert cache.list_prefix("a") == ["a/x"]
    assert inner.listings == 1
    cache["c"] = b"3"
    assert cache.list_dir("") == ["a", "b", "c"]


def test_external_changes_seen_after_invalidate():
    inner = CountingStore()
    inner["a"] = b"old"
    cache = zarr.LRUStoreCache(inner, max_size=None)
    assert cache["a"] == b"old"
    assert sorted(cache) == ["a"]
    inner["a"] = b"new"
    inner["b"] = b"added"
    assert cache["a"] == b"old"  # documented: the cache does not watch the store
    cache.invalidate()
    assert cache["a"] == b"new"
    assert sorted(cache) == ["a", "b"]


def test_a_read_racing_a_write_does_not_cache_the_stale_value():
    inner = CountingStore()
    inner["a"] = b"old"
    cache = zarr.LRUStoreCache(inner, max_size=None)
    inner.during_read = lambda: cache.__setitem__("a", b"new")  # another thread writes meanwhile
    assert cache["a"] == b"old"  # what this read fetched
    assert cache["a"] == b"new"  # but the stale value was not cached over the new one


def test_cached_array_reads_touch_the_store_once():
    inner = CountingStore()
    z = zarr.array(np.arange(100), chunks=10, store=inner)
    cache = zarr.LRUStoreCache(inner, max_size=2**20)
    cached = zarr.Array(cache, read_only=True)
    np.testing.assert_array_equal(cached[:], np.arange(100))
    first = inner.reads
    for _ in range(3):
        np.testing.assert_array_equal(cached[:], np.arange(100))
    assert inner.reads == first
    assert cache.hits >= 30
    del z


def test_bad_max_size():
    with pytest.raises(ValueError, match="max_size"):
        zarr.LRUStoreCache(MemoryStore(), max_size=-1)


def test_wraps_a_plain_mapping():
    backing = {"a": b"1"}
    cache = zarr.LRUStoreCache(backing, max_size=None)
    assert cache["a"] == b"1"
    cache["b"] = b"2"
    assert backing == {"a": b"1", "b": b"2"}
