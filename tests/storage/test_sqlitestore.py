"""SQLiteStore specifics: one file, transactions, read-only opening, concurrent readers."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.errors import InvalidKeyError, ReadOnlyError


def test_whole_hierarchy_in_one_file(tmp_path):
    path = tmp_path / "h.sqlite"
    with zarr.SQLiteStore(path) as store:
        g = zarr.group(store=store)
        g.attrs["title"] = "t"
        g.create_group("a").array("x", np.arange(10), chunks=4)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["h.sqlite"]
    with zarr.SQLiteStore(path, read_only=True) as store:
        g = zarr.open_group(store, mode="r")
        assert g.attrs["title"] == "t"
        np.testing.assert_array_equal(g["a/x"][:], np.arange(10))


def test_the_database_is_plain_sqlite(tmp_path):
    path = tmp_path / "s.sqlite"
    with zarr.SQLiteStore(path) as store:
        store["a/b"] = b"v"
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT k, v FROM zarr").fetchall() == [("a/b", b"v")]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_read_only_store_refuses_writes(tmp_path):
    path = tmp_path / "s.sqlite"
    zarr.SQLiteStore(path).close()
    with zarr.SQLiteStore(path, read_only=True) as store:
        with pytest.raises(ReadOnlyError):
            store["k"] = b"v"
        with pytest.raises(ReadOnlyError):
            store.rmdir("")


def test_read_only_needs_an_existing_database(tmp_path):
    with pytest.raises(FileNotFoundError, match="no database"):
        zarr.SQLiteStore(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_set_many_is_all_or_nothing(tmp_path):
    with zarr.SQLiteStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(InvalidKeyError):
            store.set_many({"good": b"1", "../bad": b"2"})
        assert len(store) == 0


def test_closed_store_gives_a_clear_error(tmp_path):
    store = zarr.SQLiteStore(tmp_path / "s.sqlite")
    store.close()
    with pytest.raises(ValueError, match="is closed"):
        store["k"]


def test_prefix_ranges_do_not_leak_to_siblings(tmp_path):
    with zarr.SQLiteStore(tmp_path / "s.sqlite") as store:
        for k in ("a/x", "a/y", "a0", "a.b", "a-b/c", "b"):
            store[k] = b"12"
        assert store.list_prefix("a") == ["a/x", "a/y"]
        assert store.getsize("a") == 4
        store.rmdir("a")
        assert sorted(store) == ["a-b/c", "a.b", "a0", "b"]


def test_concurrent_readers_while_a_writer_writes(tmp_path):
    path = tmp_path / "s.sqlite"
    writer = zarr.SQLiteStore(path)
    z = zarr.zeros((64,), chunks=(4,), dtype="i8", store=writer)
    z[:] = 1
    readers = [zarr.SQLiteStore(path, read_only=True) for _ in range(3)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def read(store):
        try:
            while not stop.is_set():
                values = zarr.Array(store, read_only=True)[:]
                # every chunk is written whole: a reader sees old or new chunks, never torn ones
                assert set(np.unique(values)) <= {1, 2}
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=read, args=(r,)) for r in readers]
    for t in threads:
        t.start()
    for i in range(0, 64, 4):
        z[i : i + 4] = 2
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    np.testing.assert_array_equal(zarr.Array(readers[0])[:], 2)
    for s in (*readers, writer):
        s.close()
