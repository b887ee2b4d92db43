"""One behaviour suite, run against every store: ``StoreContract`` states what a store
promises, and each subclass says how to make that store and what it cannot do (a zip
archive cannot replace or delete members)."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.errors import InvalidKeyError, ReadOnlyError
from zarrlib.storage import ByteRange, Store

HOSTILE_KEYS = [
    pytest.param("..", id="dotdot"),
    pytest.param("../escape", id="dotdot-prefix"),
    pytest.param("a/../../escape", id="dotdot-inside"),
    pytest.param("/etc/passwd", id="absolute"),
    pytest.param("a//b", id="empty-segment"),
    pytest.param("a/", id="trailing-slash"),
    pytest.param("", id="empty"),
    pytest.param(".", id="dot"),
    pytest.param("a/./b", id="dot-segment"),
    pytest.param("a\\..\\b", id="backslash"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("x" * 256, id="long-segment"),
]


class StoreContract:
    """Behaviour every zarrlib store must have. Subclasses define ``make``."""

    #: Writing an existing key replaces it (False: refused with ReadOnlyError).
    rewritable = True
    #: Keys can be deleted (False: refused with ReadOnlyError).
    deletable = True
    #: ``reopen`` gives a new store object over the same data.
    persistent = False

    def make(self, tmp_path) -> Store:
        raise NotImplementedError

    def reopen(self, store: Store, tmp_path) -> Store:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path):
        s = self.make(tmp_path)
        yield s
        s.close()

    # -- the mapping ------------------------------------------------------------------------
    def test_set_then_get(self, store):
        store["a"] = b"1"
        store["b/c/d"] = b"22"
        assert store["a"] == b"1"
        assert store["b/c/d"] == b"22"

    def test_missing_key_is_key_error(self, store):
        with pytest.raises(KeyError):
            store["nope"]
        store["a/b"] = b"x"
        with pytest.raises(KeyError):
            store["a"]  # a path, not a key

    def test_contains(self, store):
        store["a/b"] = b"x"
        assert "a/b" in store
        assert "a" not in store
        assert "a/c" not in store

    def test_empty_value(self, store):
        store["empty"] = b""
        assert store["empty"] == b""
        assert "empty" in store

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(bytearray(b"abc"), id="bytearray"),
            pytest.param(memoryview(b"abc"), id="memoryview"),
            pytest.param(np.frombuffer(b"abc", dtype="u1"), id="ndarray"),
        ],
    )
    def test_bytes_like_values_stored_as_bytes(self, store, value):
        store["k"] = value
        assert store["k"] == b"abc"
        assert type(store["k"]) is bytes

    def test_non_bytes_value_refused(self, store):
        with pytest.raises(TypeError, match="bytes-like"):
            store["k"] = 3.5
        assert "k" not in store

    def test_unicode_keys(self, store):
        store["grüße/データ"] = b"u"
        assert store["grüße/データ"] == b"u"
        assert "grüße/データ" in list(store)

    def test_overwrite(self, store):
        store["k"] = b"old"
        if self.rewritable:
            store["k"] = b"new"
            assert store["k"] == b"new"
        else:
            with pytest.raises(ReadOnlyError, match="'k'"):
                store["k"] = b"new"
            assert store["k"] == b"old"

    def test_delete(self, store):
        store["k"] = b"v"
        if self.deletable:
            del store["k"]
            assert "k" not in store
            with pytest.raises(KeyError):
                store["k"]
        else:
            with pytest.raises(ReadOnlyError):
                del store["k"]
            assert store["k"] == b"v"

    def test_delete_missing_is_key_error(self, store):
        with pytest.raises(KeyError):
            del store["nope"]

    def test_iteration_and_len(self, store):
        keys = {"a", "b/c", "b/d/e", "f.0.1"}
        for k in keys:
            store[k] = k.encode()
        assert set(store) == keys
        assert len(store) == len(keys)

    # -- listing and sizes --------------------------------------------------------------------
    def test_list_prefix(self, store):
        for k in ("a/x", "a/y/z", "ab/x", "b"):
            store[k] = b"."
        assert sorted(store.list_prefix("a")) == ["a/x", "a/y/z"]
        assert sorted(store.list_prefix("a/y")) == ["a/y/z"]
        assert sorted(store.list_prefix("")) == ["a/x", "a/y/z", "ab/x", "b"]
        assert store.list_prefix("missing") == []

    def test_list_dir(self, store):
        for k in ("a/x", "a/y/z", "ab/x", "b"):
            store[k] = b"."
        assert store.list_dir("") == ["a", "ab", "b"]
        assert store.list_dir("a") == ["x", "y"]
        assert store.list_dir("missing") == []

    def test_getsize(self, store):
        store["a/x"] = b"123"
        store["a/y/z"] = b"4567"
        store["b"] = b"89"
        assert store.getsize("a") == 7
        assert store.getsize("a/x") == 3
        assert store.getsize("") == 9
        assert store.getsize("missing") == 0

    def test_rmdir(self, store):
        store["a/x"] = b"1"
        store["a/y/z"] = b"2"
        store["ab"] = b"3"
        if self.deletable:
            store.rmdir("a")
            assert sorted(store) == ["ab"]
        else:
            with pytest.raises(ReadOnlyError):
                store.rmdir("a")
            assert sorted(store) == ["a/x", "a/y/z", "ab"]

    # -- batches and ranges ----------------------------------------------------------------------
    def test_get_many_leaves_out_missing(self, store):
        store.set_many({"a": b"1", "b/c": b"2"})
        assert store.get_many(["a", "b/c", "nope"]) == {"a": b"1", "b/c": b"2"}

    def test_delete_many(self, store):
        store.set_many({"a": b"1", "b": b"2", "c": b"3"})
        if self.deletable:
            store.delete_many(["a", "c", "missing"])
            assert sorted(store) == ["b"]
        else:
            with pytest.raises(ReadOnlyError):
                store.delete_many(["a"])

    @pytest.mark.parametrize(
        ("byte_range", "expected"),
        [
            pytest.param(ByteRange(2, 5), b"234", id="middle"),
            pytest.param(ByteRange(0, None), b"0123456789", id="all"),
            pytest.param(ByteRange(7, None), b"789", id="to-end"),
            pytest.param(ByteRange.suffix(4), b"6789", id="suffix"),
            pytest.param(ByteRange(8, 100), b"89", id="past-end"),
            pytest.param(ByteRange(20, 30), b"", id="beyond"),
        ],
    )
    def test_get_range(self, store, byte_range, expected):
        store["r"] = b"0123456789"
        assert store.get_range("r", byte_range) == expected

    def test_get_range_missing_is_key_error(self, store):
        with pytest.raises(KeyError):
            store.get_range("nope", ByteRange(0, 1))

    # -- safety ---------------------------------------------------------------------------------------
    @pytest.mark.parametrize("key", HOSTILE_KEYS)
    def test_hostile_keys_refused(self, store, key, tmp_path):
        before = sorted(tmp_path.rglob("*"))
        with pytest.raises(InvalidKeyError):
            store[key] = b"evil"
        with pytest.raises(InvalidKeyError):
            store[key]
        assert len(store) == 0
        assert sorted(tmp_path.rglob("*")) == before

    def test_chunk_access_reads_and_writes_what_the_mapping_does(self, store):
        store.set_chunk("a/0.1", b"chunk")  # (the arrays' own keys, not validated per chunk)
        assert store["a/0.1"] == b"chunk"
        assert store.get_chunk("a/0.1") == b"chunk"
        store.set_chunk("a/0.2", memoryview(b"view"))
        assert store["a/0.2"] == b"view"
        with pytest.raises(KeyError):
            store.get_chunk("a/9.9")

    def test_hostile_keys_are_not_contained(self, store):
        assert "../x" not in store
        assert 3 not in store

    # -- persistence ------------------------------------------------------------------------------
    def test_reopen_sees_data(self, store, tmp_path):
        if not self.persistent:
            pytest.skip("in-memory store")
        store["a/b"] = b"kept"
        store.close()
        again = self.reopen(store, tmp_path)
        try:
            assert again["a/b"] == b"kept"
        finally:
            again.close()

    def test_array_roundtrip(self, store, tmp_path):
        z = zarr.zeros((20, 7), chunks=(6, 3), dtype="i4", store=store)
        data = np.arange(140, dtype="i4").reshape(20, 7)
        z[:] = data
        np.testing.assert_array_equal(zarr.Array(store)[:], data)
        assert z.nchunks_initialized == z.nchunks


class TestMemoryStore(StoreContract):
    def make(self, tmp_path):
        return zarr.MemoryStore()


class TestKVStoreOverDict(StoreContract):
    def make(self, tmp_path):
        return zarr.KVStore({})


class TestDirectoryStore(StoreContract):
    persistent = True

    def make(self, tmp_path):
        return zarr.DirectoryStore(tmp_path / "store")

    def reopen(self, store, tmp_path):
        return zarr.DirectoryStore(tmp_path / "store")


class TestZipStore(StoreContract):
    rewritable = False
    deletable = False
    persistent = True

    def make(self, tmp_path):
        return zarr.ZipStore(tmp_path / "store.zip", mode="w")

    def reopen(self, store, tmp_path):
        return zarr.ZipStore(tmp_path / "store.zip", mode="r")


class TestSQLiteStore(StoreContract):
    persistent = True

    def make(self, tmp_path):
        return zarr.SQLiteStore(tmp_path / "store.sqlite")

    def reopen(self, store, tmp_path):
        return zarr.SQLiteStore(tmp_path / "store.sqlite", read_only=True)


class TestSQLiteStoreInMemory(StoreContract):
    def make(self, tmp_path):
        return zarr.SQLiteStore(":memory:")


class TestLRUStoreCache(StoreContract):
    def make(self, tmp_path):
        return zarr.LRUStoreCache(zarr.MemoryStore(), max_size=2**20)


class TestLRUStoreCacheOverDirectory(StoreContract):
    persistent = True

    def make(self, tmp_path):
        return zarr.LRUStoreCache(zarr.DirectoryStore(tmp_path / "store"), max_size=64)

    def reopen(self, store, tmp_path):
        return zarr.LRUStoreCache(zarr.DirectoryStore(tmp_path / "store"), max_size=64)


class TestLRUStoreCacheOverZip(StoreContract):
    rewritable = False
    deletable = False

    def make(self, tmp_path):
        return zarr.LRUStoreCache(zarr.ZipStore(tmp_path / "store.zip", mode="w"), max_size=None)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: zarr.DirectoryStore(p / "s"), id="directory"),
        pytest.param(lambda p: zarr.SQLiteStore(p / "s.sqlite"), id="sqlite"),
        pytest.param(lambda p: zarr.LRUStoreCache(zarr.DirectoryStore(p / "s"), max_size=None), id="lru"),
    ],
)
def test_stores_pickle_to_the_same_data(tmp_path, make):
    store = make(tmp_path)
    store["a/b"] = b"x"
    clone = pickle.loads(pickle.dumps(store))
    assert clone["a/b"] == b"x"
    clone.close()
    store.close()


def test_directory_store_writes_nothing_outside_root(tmp_path):
    root = tmp_path / "root"
    store = zarr.DirectoryStore(root)
    store["ok/key"] = b"1"
    for key in ("../outside", "ok/../../outside", "/tmp/outside"):
        with pytest.raises(InvalidKeyError):
            store[key] = b"x"
    assert sorted(os.listdir(tmp_path)) == ["root"]
