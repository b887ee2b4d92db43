"""The Array API on Zarr v3 arrays, sharded and not: creation, format detection, resize,
attributes in zarr.json, chunk keys, empty chunks, synchronised partial writes."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.codecs.v3 import TransposeCodec
from zarrlib.errors import ArrayNotFoundError, ContainsArrayError, ContainsGroupError, MetadataError
from zarrlib.nodes import contains_array, contains_group, node_zarr_format, read_v3_metadata
from zarrlib.storage import MemoryStore

LAYOUTS = {
    "plain": {"chunks": (3, 4)},
    "sharded": {"chunks": (3, 4), "shards": (6, 8)},
    "sharded-index-start": {"chunks": (2, 2), "shards": (4, 8), "index_location": "start"},
    "one-inner-chunk": {"chunks": (3, 4), "shards": (3, 4)},
}


@pytest.fixture(params=list(LAYOUTS), ids=list(LAYOUTS))
def layout(request):
    return LAYOUTS[request.param]


def _create(store=None, shape=(10, 13), dtype="i4", **kwargs):
    return zarr.create(shape, dtype=dtype, zarr_format=3, store=store if store is not None else MemoryStore(), **kwargs)


def test_round_trip_every_selection_kind(layout):
    data = np.arange(130, dtype="i4").reshape(10, 13)
    z = _create(fill_value=-1, **layout)
    z[...] = data
    np.testing.assert_array_equal(z[...], data)
    np.testing.assert_array_equal(z[2:9:3, 11:1:-2], data[2:9:3, 11:1:-2])
    np.testing.assert_array_equal(z[7], data[7])
    assert z[9, 12] == data[9, 12]
    rows, cols = [9, 0, 4, 4], [12, 1, 5]
    np.testing.assert_array_equal(z.oindex[rows, cols], data[np.ix_(rows, cols)])
    np.testing.assert_array_equal(z.vindex[[9, 0, 4], [12, 1, 5]], data[[9, 0, 4], [12, 1, 5]])
    mask = data % 7 == 0
    np.testing.assert_array_equal(z.vindex[mask], data[mask])
    np.testing.assert_array_equal(z.blocks[1, 0], data[z._grid_chunks[0] : 2 * z._grid_chunks[0], : z._grid_chunks[1]])


def test_partial_writes_of_every_kind(layout):
    expected = np.full((10, 13), -1, dtype="i4")
    z = _create(fill_value=-1, **layout)
    z[1:4, 2:11] = 5
    expected[1:4, 2:11] = 5
    z[9, :] = np.arange(13)
    expected[9, :] = np.arange(13)
    z.oindex[[0, 7], [3, 12]] = [[1, 2], [3, 4]]
    expected[np.ix_([0, 7], [3, 12])] = [[1, 2], [3, 4]]
    z.vindex[[5, 6, 8], [0, 12, 6]] = [7, 8, 9]
    expected[[5, 6, 8], [0, 12, 6]] = [7, 8, 9]
    z[4:6, 1] = 0
    expected[4:6, 1] = 0
    np.testing.assert_array_equal(z[...], expected)
    # a fresh handle reads the same from the store
    np.testing.assert_array_equal(zarr.Array(z.store)[...], expected)


def test_format_detected_when_opening(tmp_path, layout):
    z = _create(str(tmp_path / "a"), **layout)
    z[...] = 3
    assert (tmp_path / "a" / "zarr.json").exists() and not (tmp_path / "a" / ".zarray").exists()
    opened = zarr.open_array(str(tmp_path / "a"), mode="r")
    assert opened.zarr_format == 3
    assert opened.chunks == layout["chunks"] and opened.shards == layout.get("shards")
    assert int(opened[4, 4]) == 3
    v2 = zarr.create((4,), chunks=2, store=str(tmp_path / "b"))
    assert zarr.open_array(str(tmp_path / "b")).zarr_format == 2 == v2.zarr_format


def test_default_chunk_keys_and_v2_encoding(tmp_path):
    z = _create(str(tmp_path / "a"), shape=(4, 4), chunks=(2, 2))
    z[...] = 1
    assert (tmp_path / "a" / "c" / "1" / "1").is_file()
    z = _create(str(tmp_path / "b"), shape=(4, 4), chunks=(2, 2), chunk_key_encoding={"name": "v2", "separator": "."})
    z[...] = 1
    assert (tmp_path / "b" / "1.1").is_file()
    assert z.nchunks_initialized == 4
    z = _create(str(tmp_path / "c"), shape=(4, 4), chunks=(2, 2), chunk_key_encoding="v2", dimension_separator="/")
    z[...] = 1
    assert (tmp_path / "c" / "1.1").is_file()
    z = _create(str(tmp_path / "d"), shape=(), chunks=())
    z[...] = 7
    assert (tmp_path / "d" / "c").is_file() and int(z[...]) == 7


def test_empty_chunks_and_shards_not_written(tmp_path):
    z = _create(str(tmp_path / "a"), shape=(8, 8), chunks=(2, 2), shards=(4, 4), fill_value=0)
    z[...] = 0
    assert z.nchunks_initialized == 0 and not (tmp_path / "a" / "c").exists()
    z[0, 0] = 1
    assert z.nchunks_initialized == 4  # one shard holding 4 inner chunks
    shard = (tmp_path / "a" / "c" / "0" / "0").read_bytes()
    assert len(shard) == 16 * 4 + 4 + len(z._codec.sharding.inner.encode(np.array([[1, 0], [0, 0]], "i4")))
    z[0, 0] = 0  # the shard is all fill again: deleted
    assert not (tmp_path / "a" / "c" / "0" / "0").exists()


def test_write_empty_chunks_keeps_inner_chunks(tmp_path):
    z = _create(str(tmp_path / "a"), shape=(4, 4), chunks=(2, 2), shards=(4, 4), write_empty_chunks=True)
    z[0:2, 0:2] = 0  # only fill values, stored all the same
    index = z._codec.sharding.fetch_index(lambda r: z.store.get_range("c/0/0", r), "c/0/0")
    assert index[0, 0, 0] != 2**64 - 1 and index[1, 1, 0] == 2**64 - 1
    np.testing.assert_array_equal(z[...], 0)


def test_resize_deletes_shards_outside(tmp_path):
    z = _create(str(tmp_path / "a"), shape=(8, 8), chunks=(2, 2), shards=(4, 4))
    z[...] = 1
    z.attrs["kept"] = True
    z.resize(4, 8)
    assert z.shape == (4, 8) and z.nchunks_initialized == 8
    assert sorted(k for k in z.store.list_prefix("c")) == ["c/0/0", "c/0/1"]
    doc = json.loads((tmp_path / "a" / "zarr.json").read_text())
    assert doc["shape"] == [4, 8] and doc["attributes"] == {"kept": True}
    z.append(np.full((4, 8), 2, dtype="i4"))
    assert z.shape == (8, 8) and int(z[7, 7]) == 2 and int(z[0, 0]) == 1


def test_attributes_live_in_zarr_json(tmp_path):
    z = _create(str(tmp_path / "a"), shape=(2,), chunks=(2,), attributes={"a": 1}, dimension_names=["x"])
    z.attrs["b"] = [1, 2]
    z.attrs.update(c="d")
    del z.attrs["a"]
    doc = json.loads((tmp_path / "a" / "zarr.json").read_text())
    assert doc["attributes"] == {"b": [1, 2], "c": "d"}
    assert doc["dimension_names"] == ["x"] and not (tmp_path / "a" / ".zattrs").exists()
    reopened = zarr.open_array(str(tmp_path / "a"))
    assert reopened.attrs.asdict() == {"b": [1, 2], "c": "d"} and reopened.dimension_names == ("x",)


@pytest.mark.parametrize(
    ("dtype", "values", "fill"),
    [
        (str, ["a", "", "ünï", "x" * 40], ""),
        (bytes, [b"a", b"", b"\x00\xff", b"y" * 30], b""),
        ("M8[s]", np.array(["2020-01-01", "NaT", "1970-01-01", "2000-02-29"], dtype="M8[s]"), np.datetime64("NaT")),
        ("<U3", ["abc", "", "d", "ef"], ""),
        (
            [("a", "<i2"), ("b", "<f4")],
            np.array([(1, 2.5), (3, 4.5), (0, 0), (-1, -1)], dtype=[("a", "<i2"), ("b", "<f4")]),
            None,
        ),
        ("bool", [True, False, True, True], False),
        ("c16", [1 + 2j, np.nan, 0, -1j], 0),
    ],
    ids=["string", "bytes", "datetime64", "utf32", "structured", "bool", "complex"],
)
def test_dtypes_round_trip(dtype, values, fill, layout):
    z = _create(shape=(4,), dtype=dtype, chunks=(2,), shards=(4,) if "shards" in layout else None)
    z[...] = values
    reopened = zarr.Array(z.store)
    np.testing.assert_array_equal(reopened[...], np.asarray(values, dtype=z.dtype))
    if fill is not None and not (isinstance(fill, np.datetime64) and np.isnat(fill)):
        assert reopened.fill_value == fill


def test_filters_compressors_and_codecs_arguments():
    data = np.arange(24, dtype="i4").reshape(4, 6)
    z = _create(
        shape=(4, 6),
        chunks=(2, 3),
        filters=[zarr.Delta(dtype="<i4")],
        compressors=[zarr.Zstd(level=1)],
        dimension_names=("y", "x"),
    )
    z[...] = data
    names = [c["name"] for c in json.loads(z.store["zarr.json"])["codecs"]]
    assert names == ["numcodecs.delta", "bytes", "zstd"]
    np.testing.assert_array_equal(z[...], data)
    z = _create(shape=(4, 6), chunks=(2, 3), codecs=[TransposeCodec((1, 0)), {"name": "bytes"}, "crc32c"])
    z[...] = data
    np.testing.assert_array_equal(zarr.Array(z.store)[...], data)
    assert [c["name"] for c in json.loads(z.store["zarr.json"])["codecs"]] == ["transpose", "bytes", "crc32c"]
    z = _create(shape=(4, 6), chunks=(2, 3), compressor=None)
    assert [c["name"] for c in json.loads(z.store["zarr.json"])["codecs"]] == ["bytes"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shards": (6, 8)}, ValueError, "multiple of chunks"),
        ({"dtype": object, "object_codec": zarr.JSON()}, ValueError, "variable-length"),
        ({"codecs": ["bytes"], "compressors": [zarr.Zstd()]}, ValueError, "either codecs"),
        ({"dimension_names": ["x"]}, ValueError, "dimension_names"),
        ({"codecs": [{"name": "nope"}]}, ValueError, "unknown codec 'nope'"),
    ],
    ids=["shards", "object-codec", "codecs-and-compressors", "dim-names", "unknown-codec"],
)
def test_creation_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        _create(shape=(10, 16), chunks=(5, 4), **{k: v for k, v in kwargs.items()})


def test_nodes_helpers_see_v3(tmp_path):
    store = zarr.DirectoryStore(str(tmp_path))
    _create(store, shape=(2,), chunks=(2,), path="g/a")
    assert contains_array(store, "g/a") and contains_group(store, "g") and contains_group(store, "")
    assert node_zarr_format(store, "g") == 3 and node_zarr_format(store, "nothing") is None
    assert read_v3_metadata(store, "g/a").shape == (2,)
    with pytest.raises(ContainsGroupError):
        zarr.Array(store, path="g")
    with pytest.raises(ContainsArrayError):
        _create(store, shape=(2,), chunks=(2,), path="g/a")
    with pytest.raises(ArrayNotFoundError):
        zarr.open_array(store, path="g/b", mode="r")
    _create(store, shape=(3,), chunks=(3,), path="g/a", overwrite=True)
    assert zarr.Array(store, path="g/a").shape == (3,)


def test_unknown_codec_error_names_the_key():
    store = MemoryStore()
    _create(store, shape=(2,), chunks=(2,), path="grp/arr")
    doc = json.loads(store["grp/arr/zarr.json"])
    doc["codecs"].append({"name": "mystery"})
    store["grp/arr/zarr.json"] = json.dumps(doc).encode()
    with pytest.raises(MetadataError, match="unknown codec 'mystery'") as info:
        zarr.Array(store, path="grp/arr")
    assert "grp/arr/zarr.json" in str(info.value)


def test_info_shows_codecs_and_shards():
    z = _create(shape=(8, 8), chunks=(2, 2), shards=(4, 4), compressors=[zarr.Zstd(level=2)])
    text = repr(z)
    assert "shards=(4, 4)" in text and "zarr_format=3" in text
    assert "ShardingCodec(chunk_shape=(2, 2)" in text and "ZstdCodec(level=2" in text
    assert "index_codecs=[BytesCodec(endian='little'), Crc32cCodec()]" in text
    assert "dimension_names" not in text
    named = _create(shape=(8, 8), chunks=(2, 2), dimension_names=["y", None])
    assert "  dimension_names: 'y', None" in repr(named.info).splitlines()


def test_synchronized_partial_shard_writes_lose_nothing():
    z = _create(shape=(64,), chunks=(4,), shards=(64,), fill_value=0, synchronizer=zarr.ThreadSynchronizer())

    def write(i: int) -> None:
        z[i] = i + 1  # every write is a read-modify-write of the same shard

    threads = [threading.Thread(target=write, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(z[...], np.arange(1, 65))


@pytest.mark.parametrize("func", ["zeros_like", "empty_like", "full_like"])
def test_like_functions_keep_the_v3_layout(func):
    a = _create(
        shape=(8, 8), chunks=(2, 2), shards=(4, 4), dimension_names=("y", "x"), compressors=[zarr.GZip(level=3)]
    )
    kwargs = {"fill_value": 5} if func == "full_like" else {}
    b = getattr(zarr, func)(a, **kwargs)
    assert b.zarr_format == 3 and b.shards == (4, 4) and b.chunks == (2, 2) and b.dimension_names == ("y", "x")
    assert json.loads(b.store["zarr.json"])["codecs"] == json.loads(a.store["zarr.json"])["codecs"]
    s = zarr.zeros_like(_create(shape=(3,), chunks=(2,), dtype=str))
    assert s.zarr_format == 3 and s[...].tolist() == ["", "", ""]
