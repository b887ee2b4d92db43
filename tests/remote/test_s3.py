"""zarrlib on a real S3-compatible server (moto, started by ``conftest.py``): arrays and
groups in both formats, sharding, consolidated metadata, batched concurrent requests,
fault injection, and interop with zarr-python 3 through the same bucket."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib import io
from zarrlib.errors import StoreError
from zarrlib.storage import FSStore

sys.path.insert(0, str(Path(__file__).parents[1] / "storage"))
from test_store_contract import StoreContract  # the suite every store runs

#: s3fs options for the fault tests: botocore retries nothing itself, so FSStore's bounded
#: retries are the only ones and a refused connection fails fast.
NO_BOTO_RETRIES = {"config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 2, "read_timeout": 10}}


def data_2d(shape=(40, 50), dtype="i4"):
    return np.arange(np.prod(shape), dtype=dtype).reshape(shape)


@pytest.fixture(params=[2, 3], ids=["v2", "v3"])
def zarr_format(request):
    return request.param


# -- arrays and groups -----------------------------------------------------------------------------
def test_array_roundtrip_resize_and_append(s3, zarr_format):
    url = s3.url("arr")
    a = data_2d()
    z = zarr.array(a, chunks=(16, 16), store=url, storage_options=s3.storage_options, zarr_format=zarr_format)
    assert isinstance(z.store, FSStore)
    r = zarr.open_array(url, mode="r", storage_options=s3.storage_options)
    assert r.zarr_format == zarr_format
    np.testing.assert_array_equal(r[:], a)
    np.testing.assert_array_equal(r[5:33, 7:41], a[5:33, 7:41])
    np.testing.assert_array_equal(r.oindex[[0, 39], [1, 49]], a[np.ix_([0, 39], [1, 49])])

    z[3:20, 10:30] = -7  # partial chunks: read, merged, written back in batches
    a[3:20, 10:30] = -7
    z.resize(20, 30)
    keys = s3.filesystem().find(f"{s3.bucket}/arr")
    chunk_names = [k.rsplit("arr/", 1)[1] for k in keys if not k.endswith((".zarray", "zarr.json", ".zattrs"))]
    grid = {tuple(int(c) for c in re.split(r"[./]", n.removeprefix("c/"))) for n in chunk_names}
    assert grid == {(i, j) for i in range(2) for j in range(2)}  # chunks outside were deleted
    z.append(np.ones((5, 30), dtype="i4"))
    r = zarr.open_array(url, mode="r", storage_options=s3.storage_options)
    assert r.shape == (25, 30)
    np.testing.assert_array_equal(r[:20], a[:20, :30])
    np.testing.assert_array_equal(r[20:], 1)


def test_sharded_array(s3, s3_server):
    url = s3.url("sharded")
    a = data_2d((64, 64), "f8")
    z = zarr.create(
        (64, 64),
        chunks=(8, 8),
        shards=(32, 32),
        dtype="f8",
        store=url,
        storage_options=s3.storage_options,
        zarr_format=3,
    )
    z[:] = a
    assert sorted(s3.filesystem().ls(f"{s3.bucket}/sharded/c/0", detail=False)) == [
        f"{s3.bucket}/sharded/c/0/0",
        f"{s3.bucket}/sharded/c/0/1",
    ]
    r = zarr.open_array(url, mode="r", storage_options=s3.storage_options)
    np.testing.assert_array_equal(r[:], a)
    s3_server.log.clear()
    np.testing.assert_array_equal(r[1:3, 1:3], a[1:3, 1:3])  # one inner chunk of one shard
    gets = [p for m, p in s3_server.log.requests if m == "GET"]
    assert gets == ["/zarrlib-test/sharded/c/0/0"] * 2  # the index (a suffix range), then one inner chunk
    z[10:12, 40:60] = -1.5
    a[10:12, 40:60] = -1.5
    np.testing.assert_array_equal(r[:], a)
    z.resize(32, 32)
    assert s3.filesystem().find(f"{s3.bucket}/sharded/c") == [f"{s3.bucket}/sharded/c/0/0"]


def test_partial_reads_of_many_shards_fetch_their_indexes_in_one_batch(s3, monkeypatch):
    url = s3.url("shards")
    a = data_2d((64, 64), "i4")
    zarr.array(a, chunks=(8, 8), shards=(32, 32), store=url, storage_options=s3.storage_options, zarr_format=3)
    store = FSStore(url, **s3.storage_options)
    batches: list[int] = []
    original = store.fs.cat_ranges

    def recorded(paths, *args, **kwargs):
        batches.append(len(paths))
        return original(paths, *args, **kwargs)

    monkeypatch.setattr(store.fs, "cat_ranges", recorded)
    z = zarr.open_array(store, mode="r")
    batches.clear()
    np.testing.assert_array_equal(z[30:34, 30:34], a[30:34, 30:34])  # a corner of each of the 4 shards
    assert batches == [4, 1, 1, 1, 1]  # the 4 indexes at once, then one inner chunk per shard


def test_groups(s3, zarr_format):
    url = s3.url("tree.zarr")
    root = zarr.open_group(url, mode="w", storage_options=s3.storage_options, zarr_format=zarr_format)
    root.attrs["title"] = "on s3"
    g = root.create_group("sub/inner")
    g.zeros("z", shape=(10,), chunks=(3,), dtype="u2")[:] = np.arange(10)
    root.full("f", shape=(2, 2), fill_value=9, dtype="i8")
    again = zarr.open_group(url, mode="r", storage_options=s3.storage_options)
    assert again.attrs["title"] == "on s3"
    assert sorted(again) == ["f", "sub"]
    assert sorted(again.group_keys()) == ["sub"]
    np.testing.assert_array_equal(again["sub/inner/z"][:], np.arange(10))
    np.testing.assert_array_equal(again["f"][:], np.full((2, 2), 9))
    assert isinstance(zarr.open(url, mode="r", storage_options=s3.storage_options), zarr.Group)
    del root["sub"]
    assert sorted(zarr.open_group(url, mode="r", storage_options=s3.storage_options)) == ["f"]


def test_consolidated_metadata(s3, s3_server):
    url = s3.url("cons.zarr")
    root = zarr.open_group(url, mode="w", storage_options=s3.storage_options)
    for name in ("a", "b/c", "b/d"):
        root.zeros(name, shape=(6,), chunks=(3,), dtype="i4")[:] = 4
    zarr.consolidate_metadata(url, storage_options=s3.storage_options)
    s3_server.log.clear()
    g = zarr.open_consolidated(url, mode="r", storage_options=s3.storage_options)
    assert sorted(g["b"]) == ["c", "d"]
    assert g["b/d"].shape == (6,)
    metadata_requests = [p for _, p in s3_server.log.requests if p.endswith((".zarray", ".zgroup", ".zattrs"))]
    assert metadata_requests == []
    assert s3_server.log.count("GET", ".zmetadata") == 1
    np.testing.assert_array_equal(g["b/c"][:], 4)


def test_missing_chunks_read_as_fill_value(s3):
    url = s3.url("sparse")
    z = zarr.full((100,), fill_value=-1, chunks=(10,), dtype="i2", store=url, storage_options=s3.storage_options)
    z[25:35] = 3
    expected = np.full(100, -1, dtype="i2")
    expected[25:35] = 3
    assert len(s3.filesystem().find(f"{s3.bucket}/sparse")) == 3  # .zarray, 2.0 and 3.0... only the written chunks
    np.testing.assert_array_equal(zarr.open_array(url, mode="r", storage_options=s3.storage_options)[:], expected)


class TestFSStoreS3(StoreContract):
    persistent = True

    @pytest.fixture
    def store(self, s3):
        self._s3 = s3
        return FSStore(s3.url("contract"), **s3.storage_options)

    def reopen(self, store, tmp_path):
        return FSStore(self._s3.url("contract"), mode="r", **self._s3.storage_options)


def test_store_contract_basics_on_s3(s3):
    store = FSStore(s3.url("kv"), **s3.storage_options)
    store.set_many({"a/x": b"1", "a/y/z": b"22", "ab": b"333"})
    assert sorted(store.list_prefix("a")) == ["a/x", "a/y/z"]
    assert store.list_dir("") == ["a", "ab"]
    assert store.list_dir("a") == ["x", "y"]
    assert store.getsize("a") == 3
    assert store.getsize("") == 6
    assert "a" not in store and "a/x" in store
    with pytest.raises(KeyError):
        store["a"]
    with pytest.raises(KeyError):
        del store["missing"]
    assert store.get_range("ab", zarr.storage.ByteRange(5, 9)) == b""
    assert store.get_range("ab", zarr.storage.ByteRange.suffix(2)) == b"33"
    store.rmdir("a")
    assert sorted(store) == ["ab"]


# -- batched concurrent requests ---------------------------------------------------------------------
def test_100_chunk_read_and_write_are_batched_and_concurrent(s3, s3_server, monkeypatch):
    url = s3.url("many")
    store = FSStore(url, **s3.storage_options)
    calls: dict[str, int] = {"cat_ranges": 0, "cat_file": 0, "pipe": 0, "pipe_file": 0}
    for name in calls:
        original = getattr(store.fs, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(store.fs, name, counted)
    a = data_2d((100, 100))
    z = zarr.zeros((100, 100), chunks=(10, 10), dtype="i4", store=store)
    s3_server.log.clear()
    calls.update(pipe=0, pipe_file=0)
    z[:] = a  # 100 chunks
    assert calls["pipe"] == 1 and calls["pipe_file"] == 0
    assert s3_server.log.count("PUT", "/many/") == 100
    assert s3_server.log.max_in_flight > 1

    r = zarr.open_array(store, mode="r")
    s3_server.log.clear()
    calls.update(cat_ranges=0, cat_file=0)
    np.testing.assert_array_equal(r[:], a)
    assert calls["cat_ranges"] == 1  # one batched call for the 100 chunks...
    assert calls["cat_file"] == 0  # ...not one request per chunk
    assert s3_server.log.count("GET", "/many/") == 100
    assert s3_server.log.count("HEAD") == 0
    assert s3_server.log.max_in_flight > 1  # ...served concurrently


# -- fault injection ------------------------------------------------------------------------------
def _stop_server_on_call(monkeypatch, store, name, s3_server, on_call):
    calls = {"n": 0}
    original = getattr(store.fs, name)

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == on_call:
            s3_server.stop()
        return original(*args, **kwargs)

    monkeypatch.setattr(store.fs, name, wrapper)
    return calls


def test_server_stopped_mid_read_gives_a_clear_error_then_a_restarted_read_succeeds(s3, s3_server, monkeypatch):
    url = s3.url("faulty")
    a = data_2d((100, 100))
    zarr.array(a, chunks=(10, 10), store=url, storage_options=s3.storage_options)
    store = FSStore(url, retries=2, retry_delay=0.05, **s3.storage_options, **NO_BOTO_RETRIES)
    z = zarr.open_array(store, mode="r")
    monkeypatch.setattr(io, "BATCH_SIZE", 10)  # ten batches: the server goes away after two
    calls = _stop_server_on_call(monkeypatch, store, "cat_ranges", s3_server, on_call=3)
    with pytest.raises(
        StoreError, match=r"read of key '\d+\.\d+' in FSStore\('s3://zarrlib-test/faulty'\) failed after 3 attempts"
    ) as info:
        z[:]
    assert re.fullmatch(r"2\.\d", info.value.key)  # a chunk of the third batch
    assert calls["n"] == 2 + 3  # two good batches, then the first try and two retries
    s3_server.start()
    np.testing.assert_array_equal(z[:], a)


def test_failed_append_leaves_the_old_shape(s3, s3_server, monkeypatch):
    url = s3.url("append")
    a = data_2d((20, 10))
    zarr.array(a, chunks=(8, 10), store=url, storage_options=s3.storage_options)
    store = FSStore(url, retries=1, retry_delay=0.01, **s3.storage_options, **NO_BOTO_RETRIES)
    z = zarr.open_array(store)
    _stop_server_on_call(monkeypatch, store, "pipe", s3_server, on_call=1)  # the chunk writes fail
    with pytest.raises(StoreError, match=r"write of key '2\.0' in FSStore"):
        z.append(np.zeros((10, 10), dtype="i4"))
    s3_server.start()
    r = zarr.open_array(url, mode="r", storage_options=s3.storage_options)
    assert r.shape == (20, 10)  # no metadata points at chunks that were not written
    np.testing.assert_array_equal(r[:], a)


@pytest.mark.parametrize(("zarr_format", "metadata"), [(2, ".zarray"), (3, "zarr.json")], ids=["v2", "v3"])
def test_array_writes_its_chunks_before_its_metadata(s3, s3_server, monkeypatch, zarr_format, metadata):
    store = FSStore(s3.url("grp"), retries=1, retry_delay=0.01, **s3.storage_options, **NO_BOTO_RETRIES)
    writes: list[list[str]] = []
    original, original_file = store.fs.pipe, store.fs.pipe_file

    def recorded(values, *args, **kwargs):
        writes.append(sorted(p.rsplit("/grp/", 1)[1] for p in values))
        return original(values, *args, **kwargs)

    def recorded_file(path, value, *args, **kwargs):  # a single key's write
        writes.append([path.rsplit("/grp/", 1)[1]])
        return original_file(path, value, *args, **kwargs)

    monkeypatch.setattr(store.fs, "pipe", recorded)
    monkeypatch.setattr(store.fs, "pipe_file", recorded_file)
    a = data_2d((20, 10))
    z = zarr.array(a, chunks=(10, 10), store=store, path="sub/arr", zarr_format=zarr_format)
    assert z.store is store
    assert f"sub/arr/{metadata}" in writes[-1]  # the metadata goes last...
    first_metadata = min(i for i, batch in enumerate(writes) if any(k.endswith(metadata) for k in batch))
    chunk_batches = [
        i for i, batch in enumerate(writes) if any(k.startswith("sub/arr/") and not k.endswith(metadata) for k in batch)
    ]
    assert chunk_batches and max(chunk_batches) < first_metadata  # ...after every chunk (parent groups too)
    np.testing.assert_array_equal(zarr.open_array(store, path="sub/arr", mode="r")[:], a)

    _stop_server_on_call(monkeypatch, store, "pipe", s3_server, on_call=1)
    with pytest.raises(StoreError, match="write of key"):
        zarr.array(a, chunks=(10, 10), store=store, path="failed", zarr_format=zarr_format)
    s3_server.start()
    assert not [k for k in s3.filesystem().find(s3.bucket) if "/failed/" in k and k.endswith(metadata)]


def test_failed_shrink_delete_never_shows_stale_chunks(s3, s3_server, monkeypatch):
    """A shrink stores the new shape first, then deletes the chunks it cut off (issue 7: chunks
    still inside the shape are never deleted before it changes, which a crash would tear). A
    failed delete leaves chunks outside the shape; growing again deletes them first."""
    url = s3.url("shrink")
    a = data_2d((20, 10))
    zarr.array(a, chunks=(5, 10), store=url, storage_options=s3.storage_options)
    store = FSStore(url, retries=1, retry_delay=0.01, **s3.storage_options, **NO_BOTO_RETRIES)
    z = zarr.open_array(store)
    _stop_server_on_call(monkeypatch, store, "rm", s3_server, on_call=1)
    with pytest.raises(StoreError, match=r"delete of key '1\.0' in FSStore"):
        z.resize(5, 10)
    s3_server.start()
    reopened = zarr.open_array(url, mode="r+", storage_options=s3.storage_options)
    assert reopened.shape == (5, 10)
    np.testing.assert_array_equal(reopened[:], a[:5])
    reopened.resize(20, 10)
    np.testing.assert_array_equal(reopened[5:], np.zeros((15, 10), dtype=a.dtype))


# -- zarr-python 3 through the same bucket --------------------------------------------------------
@pytest.mark.parametrize("sharded", [False, True], ids=["chunked", "sharded"])
def test_zarr_python_reads_what_zarrlib_wrote(s3, zarr_format, sharded):
    zp = pytest.importorskip("zarr")
    if sharded and zarr_format == 2:
        pytest.skip("sharding is Zarr v3")
    url = s3.url("by-zarrlib")
    a = data_2d((30, 40), "f4")
    kwargs = {"shards": (20, 20)} if sharded else {}
    zarr.array(
        a,
        chunks=(10, 10),
        store=url,
        storage_options=s3.storage_options,
        zarr_format=zarr_format,
        fill_value=0,
        **kwargs,
    )
    z = zp.open_array(url, mode="r", storage_options=s3.storage_options)
    np.testing.assert_array_equal(z[:], a)


def test_zarrlib_reads_what_zarr_python_wrote(s3, zarr_format):
    zp = pytest.importorskip("zarr")
    url = s3.url("by-zarr-python")
    a = data_2d((30, 40), "i8")
    z = zp.create_array(
        url, shape=a.shape, chunks=(8, 16), dtype="i8", zarr_format=zarr_format, storage_options=s3.storage_options
    )
    z[:] = a
    r = zarr.open_array(url, mode="r", storage_options=s3.storage_options)
    np.testing.assert_array_equal(r[:], a)
    np.testing.assert_array_equal(r[7:9, 15:17], a[7:9, 15:17])


def test_arrays_on_s3_pickle(s3):
    """Worker processes (Dask) get arrays by pickle: the FSStore reconnects from its options."""
    import pickle

    a = data_2d((10, 10))
    z = zarr.array(a, chunks=(5, 5), store=s3.url("pickled"), storage_options=s3.storage_options)
    clone = pickle.loads(pickle.dumps(z))
    assert isinstance(clone.store, FSStore) and clone.store.url == "s3://zarrlib-test/pickled"
    np.testing.assert_array_equal(clone[:], a)
    clone[0, :] = -1
    np.testing.assert_array_equal(z[0], -1)
