"""Writes that cannot tear, in the order that keeps every intermediate state readable:
temp file + rename (+ fsync), chunks before the metadata that makes them visible, chunks
cut off by a shrink deleted only after the new metadata, temp files ignored everywhere."""

from __future__ import annotations

import json
import os
import uuid
import zipfile

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.storage.directory import TEMP_SUFFIX


class RecordingStore(zarr.MemoryStore):
    """A MemoryStore that logs every change, in order: ('set' | 'del', key)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str]] = []

    def _set(self, key: str, value: bytes) -> None:
        self.log.append(("set", key))
        super()._set(key, value)

    def _delete(self, key: str) -> None:
        self.log.append(("del", key))
        super()._delete(key)

    def position(self, op: str, key: str) -> int:
        return max(i for i, entry in enumerate(self.log) if entry == (op, key))


def is_chunk(key: str, path: str = "a") -> bool:
    name = key[len(path) + 1 :]
    return key.startswith(path + "/") and (name[:1].isdigit() or name.startswith("c/"))


# -- DirectoryStore: temp file, rename, fsync --------------------------------------------------


def test_directory_write_goes_through_a_temp_file_in_the_same_directory(tmp_path, monkeypatch):
    store = zarr.DirectoryStore(tmp_path / "s")
    store["a/b"] = b"old"
    seen = []
    real_replace = os.replace

    def replace(src, dst):
        seen.append((os.path.dirname(src), os.path.basename(src), dst, open(src, "rb").read()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    store["a/b"] = b"new"
    [(directory, name, dst, content)] = seen
    assert directory == str(tmp_path / "s" / "a") and dst == str(tmp_path / "s" / "a" / "b")
    assert name.startswith(".b.") and name.endswith(TEMP_SUFFIX) and content == b"new"
    assert store["a/b"] == b"new" and os.listdir(tmp_path / "s" / "a") == ["b"]


def test_directory_failed_write_keeps_the_old_value_and_no_temp_file(tmp_path, monkeypatch):
    store = zarr.DirectoryStore(tmp_path / "s")
    store["k"] = b"old"

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        store["k"] = b"new"
    assert store["k"] == b"old" and os.listdir(tmp_path / "s") == ["k"]


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name fsynced descriptors")
def test_directory_fsync_syncs_file_then_renames_then_syncs_directories(tmp_path, monkeypatch):
    store = zarr.DirectoryStore(tmp_path / "s", fsync=True)
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", _fd_path(fd))), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda s, d: (events.append(("replace", d)), real_replace(s, d))[1])
    root = str(tmp_path / "s")
    store["x/y/k"] = b"data"  # creates s, s/x and s/x/y
    kinds = [e[0] for e in events]
    replaced = kinds.index("replace")
    file_syncs = [p for k, p in events[:replaced] if k == "fsync" and TEMP_SUFFIX in os.path.basename(p)]
    assert len(file_syncs) == 1  # the temp file's content is on disk before it is renamed
    dir_syncs_before = {p for k, p in events[:replaced] if k == "fsync" and TEMP_SUFFIX not in p}
    assert dir_syncs_before == {str(tmp_path), root, root + "/x"}  # parents of the new directories
    assert events[replaced + 1 :] == [("fsync", root + "/x/y")]  # the rename itself, before returning
    events.clear()
    del store["x/y/k"]
    assert events == [("fsync", root + "/x/y")]


def test_directory_without_fsync_never_syncs(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "fsync", calls.append)
    store = zarr.DirectoryStore(tmp_path / "s")
    store["a/b"] = b"1"
    del store["a/b"]
    assert calls == []


# -- metadata after the chunks it describes -------------------------------------------------------


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_array_with_data_writes_every_chunk_before_the_metadata(zarr_format):
    store = RecordingStore()
    zarr.array(np.arange(20), chunks=5, store=store, path="a", zarr_format=zarr_format)
    meta = "a/.zarray" if zarr_format == 2 else "a/zarr.json"
    chunks = [k for op, k in store.log if op == "set" and is_chunk(k)]
    assert len(chunks) == 4
    assert all(store.position("set", k) < store.position("set", meta) for k in chunks)
    assert zarr.open_array(store, path="a")[:].tolist() == list(range(20))


def test_array_with_data_that_fails_leaves_no_array():
    store = zarr.MemoryStore()

    class Source:  # a lazy source that breaks half-way, like a dying network read
        shape, dtype, chunks = (20,), np.dtype("i8"), (5,)

        def __getitem__(self, sel):
            if sel[0].start >= 10:
                raise OSError("source went away")
            return np.arange(20)[sel]

    with pytest.raises(OSError, match="went away"):
        zarr.array(Source(), chunks=5, store=store, path="a")
    assert "a/.zarray" not in store
    with pytest.raises(zarr.ArrayNotFoundError):
        zarr.open_array(store, path="a", mode="r")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_append_writes_the_new_chunks_before_the_grown_metadata(zarr_format):
    store = RecordingStore()
    z = zarr.array(np.arange(7), chunks=3, store=store, path="a", zarr_format=zarr_format)
    store.log.clear()
    z.append(np.arange(7, 15))
    meta = "a/.zarray" if zarr_format == 2 else "a/zarr.json"
    written = [k for op, k in store.log if op == "set" and is_chunk(k)]
    assert len(written) == 3  # the edge chunk 2 (rewritten) and the new chunks 3 and 4
    assert all(store.position("set", k) < store.position("set", meta) for k in written)
    assert z[:].tolist() == list(range(15)) and zarr.open_array(store, path="a").shape == (15,)


def test_append_that_fails_leaves_the_array_as_it_was():
    z = zarr.array(np.arange(6), chunks=4, store=zarr.MemoryStore())

    class Source:
        shape, dtype, chunks = (6,), np.dtype("i8"), (4,)

        def __getitem__(self, sel):
            raise OSError("source went away")

    with pytest.raises(OSError):
        z.append(Source())
    assert z.shape == (6,) and zarr.open_array(z.store).shape == (6,)
    assert z[:].tolist() == list(range(6))


def test_shrink_deletes_cut_off_chunks_only_after_the_new_metadata():
    store = RecordingStore()
    z = zarr.array(np.arange(20), chunks=5, store=store, path="a")
    store.log.clear()
    z.resize(7)
    meta = store.position("set", "a/.zarray")
    deleted = [k for op, k in store.log if op == "del"]
    assert sorted(deleted) == ["a/2", "a/3"]
    assert all(store.position("del", k) > meta for k in deleted)


def test_grow_does_not_expose_chunks_left_outside_the_shape():
    """An append killed before its metadata leaves chunks past the end; a later resize that
    grows over them must show the fill value, as if the append had never started."""
    store = RecordingStore()
    z = zarr.array(np.arange(10), chunks=5, store=store, path="a", fill_value=-1)
    store["a/3"] = store["a/0"]  # an orphan: chunk 3 lies outside shape (10,)
    store.log.clear()
    z.resize(20)
    assert store.position("del", "a/3") < store.position("set", "a/.zarray")
    assert z[10:].tolist() == [-1] * 10


@pytest.mark.parametrize("kind", ["whole", "partial"])
def test_shard_writes_replace_the_whole_shard_value(kind):
    store = RecordingStore()
    z = zarr.zeros((16,), chunks=(2,), shards=(8,), dtype="i4", store=store, path="a", zarr_format=3)
    store.log.clear()
    if kind == "whole":
        z[:] = np.arange(16)
    else:
        z[3:6] = 7
    sets = sorted(k for op, k in store.log if op == "set")
    assert sets == (["a/c/0", "a/c/1"] if kind == "whole" else ["a/c/0"])  # each shard once, as one value
    expected = np.arange(16) if kind == "whole" else np.where((np.arange(16) >= 3) & (np.arange(16) < 6), 7, 0)
    assert z[:].tolist() == expected.tolist()


# -- temp files are invisible ----------------------------------------------------------------------


def _plant_temp(directory, name: str, content: bytes = b"torn") -> str:
    temp = os.path.join(directory, f".{name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
    with open(temp, "wb") as f:
        f.write(content)
    return temp


def test_temp_files_are_ignored_by_reads_and_listings(tmp_path):
    root = tmp_path / "s.zarr"
    g = zarr.open_group(str(root), mode="w")
    z = g.zeros("a", shape=(10,), chunks=(5,), dtype="i4")
    z[:5] = 3
    for name in ("0", "1", ".zarray", ".zattrs"):
        _plant_temp(root / "a", name)
    _plant_temp(root, ".zgroup")
    _plant_temp(root, "b")  # a temp file where a member would be
    os.makedirs(root / "c")  # a directory whose first write was killed: no metadata in it
    store = zarr.DirectoryStore(root)
    assert sorted(store.list_prefix("a")) == ["a/.zarray", "a/0"]
    assert store.list_dir("a") == [".zarray", "0"]
    assert store.list_dir("") == [".zgroup", "a", "c"]
    assert z.nchunks_initialized == 1
    reopened = zarr.open_group(str(root), mode="r")
    assert list(reopened) == ["a"] and list(reopened.group_keys()) == []
    assert reopened["a"][:].tolist() == [3] * 5 + [0] * 5
    zarr.consolidate_metadata(str(root))
    documents = json.loads(store[".zmetadata"])["metadata"]
    assert sorted(documents) == [".zgroup", "a/.zarray"]
    assert store.getsize("a") == sum(len(store[k]) for k in store.list_prefix("a"))
    report = zarr.repair(store)
    assert len(report.temp_files) == 6 and report.ok
    assert not [n for _, _, files in os.walk(root) for n in files if n.endswith(TEMP_SUFFIX)]


# -- ZipStore: a killed writer leaves no central directory ------------------------------------------


def _truncated_zip(tmp_path) -> str:
    path = str(tmp_path / "data.zip")
    with zarr.ZipStore(path, mode="w") as store:
        zarr.array(np.arange(100), chunks=10, store=store)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)  # what a writer killed before close() leaves
    return path


@pytest.mark.parametrize("mode", ["r", "a"])
def test_truncated_zip_is_refused_with_a_clear_error(tmp_path, mode):
    path = _truncated_zip(tmp_path)
    size = os.path.getsize(path)
    with pytest.raises(zarr.CorruptStoreError, match=r"data\.zip.*central directory"):
        zarr.ZipStore(path, mode=mode)
    assert os.path.getsize(path) == size  # mode 'a' did not append a second archive after it
    with pytest.raises(ValueError, match="not a complete zip archive"):  # CorruptStoreError is a ValueError
        zarr.open_array(path, mode="r")


def test_unclosed_zip_members_are_unreadable_until_close(tmp_path):
    path = str(tmp_path / "data.zip")
    store = zarr.ZipStore(path, mode="w")
    zarr.array(np.arange(10), chunks=5, store=store)
    assert not zipfile.is_zipfile(path) or zipfile.ZipFile(path).namelist() == []
    store.close()
    assert zarr.open_array(zarr.ZipStore(path, mode="r"))[:].tolist() == list(range(10))


def test_zip_mode_w_replaces_a_truncated_zip(tmp_path):
    path = _truncated_zip(tmp_path)
    with zarr.ZipStore(path, mode="w") as store:
        store["k"] = b"v"
    with zarr.ZipStore(path, mode="r") as store:
        assert list(store) == ["k"]


# -- removal: the node vanishes at once ---------------------------------------------------------------


def test_overwrite_removes_the_old_node_at_once_even_if_deletion_is_cut_short(tmp_path, monkeypatch):
    """rmdir renames the node's directory to a temp name before deleting it; a writer killed
    while deleting (simulated: rmtree does nothing) leaves no half-deleted array behind."""
    store = zarr.DirectoryStore(tmp_path / "s")
    g = zarr.group(store=store)
    g.array("x", np.arange(20), chunks=5)
    monkeypatch.setattr("shutil.rmtree", lambda *a, **k: None)
    g.array("x", np.arange(8) * 10, chunks=4, overwrite=True)
    assert sorted(store.list_prefix("x")) == ["x/.zarray", "x/0", "x/1"]
    assert g["x"][:].tolist() == list(range(0, 80, 10))
    monkeypatch.undo()
    report = zarr.verify(store)
    [leftover] = report.temp_files
    assert leftover.startswith(".x.") and leftover.endswith(TEMP_SUFFIX + "/")
    assert zarr.repair(store).ok and zarr.verify(store).temp_files == []
    assert sorted(os.listdir(tmp_path / "s")) == [".zgroup", "x"]


def test_lru_cache_forgets_values_when_the_store_write_fails(monkeypatch):
    backing = zarr.MemoryStore()
    cache = zarr.LRUStoreCache(backing, max_size=None)
    cache["a"], cache["b"] = b"1", b"1"
    real_set = zarr.MemoryStore._set

    def half_set(self, key, value):
        if key == "b":
            raise OSError("disk full")
        real_set(self, key, value)

    monkeypatch.setattr(zarr.MemoryStore, "_set", half_set)
    with pytest.raises(OSError):
        cache.set_many({"a": b"2", "b": b"2"})
    monkeypatch.undo()
    assert cache["a"] == b"2" and cache["b"] == b"1"  # what the store holds, not the cache's old "a"
