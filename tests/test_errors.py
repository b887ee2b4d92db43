"""Bad input gets a clear, typed exception naming what was wrong, and the store is left as it was."""

from __future__ import annotations

import json
import os

import numcodecs
import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.storage import DirectoryStore, MemoryStore


def snapshot(store) -> dict:
    return {k: store[k] for k in store}


@pytest.mark.parametrize("dtype", ["i9", "foo", "<q7"], ids=["i9", "foo", "q7"])
def test_wrong_dtype_string(dtype):
    with pytest.raises((ValueError, TypeError), match="dtype"):
        zarr.zeros(10, dtype=dtype)


def test_object_dtype_needs_object_codec():
    with pytest.raises(ValueError, match="object_codec"):
        zarr.zeros(10, dtype=object)


def test_out_of_bounds_index():
    z = zarr.zeros((10, 10), chunks=5)
    with pytest.raises(IndexError, match="out of bounds for axis 1"):
        z[0, 10]
    with pytest.raises(zarr.BoundsCheckError):
        z[-11, 0] = 1


def test_shape_mismatch_on_assignment_changes_nothing():
    z = zarr.zeros((10, 10), chunks=5, dtype="i4")
    z[:] = 1
    before = snapshot(z.store)
    with pytest.raises(ValueError, match=r"does not broadcast.*\(10, 10\)"):
        z[:] = np.ones((3, 7))
    assert snapshot(z.store) == before


def test_uncastable_value_changes_nothing():
    z = zarr.zeros(10, chunks=5, dtype="i4")
    before = snapshot(z.store)
    with pytest.raises(ValueError, match="dtype int32"):
        z[:] = "not a number"
    assert snapshot(z.store) == before


def test_read_only_array_refuses_writes_and_resize():
    z = zarr.zeros(10, chunks=5)
    z[:] = 3
    ro = zarr.Array(z.store, read_only=True)
    for action in (lambda: ro.__setitem__(0, 1), lambda: ro.resize(20), lambda: ro.attrs.__setitem__("a", 1)):
        with pytest.raises(zarr.ReadOnlyError):
            action()
    assert z[0] == 3 and z.shape == (10,)


@pytest.mark.parametrize(
    "document, field",
    [
        (b"{not json", "valid JSON"),
        (b"[1, 2]", "JSON object"),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [10],
                    "chunks": [5, 5],
                    "dtype": "<i4",
                    "compressor": None,
                    "fill_value": 0,
                    "order": "C",
                    "filters": None,
                }
            ).encode(),
            "differ in length",
        ),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [10],
                    "chunks": [0],
                    "dtype": "<i4",
                    "compressor": None,
                    "fill_value": 0,
                    "order": "C",
                    "filters": None,
                }
            ).encode(),
            "chunks",
        ),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [-1],
                    "chunks": [5],
                    "dtype": "<i4",
                    "compressor": None,
                    "fill_value": 0,
                    "order": "C",
                    "filters": None,
                }
            ).encode(),
            "shape",
        ),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [10],
                    "chunks": [5],
                    "dtype": "<i9",
                    "compressor": None,
                    "fill_value": 0,
                    "order": "C",
                    "filters": None,
                }
            ).encode(),
            "dtype",
        ),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [10],
                    "chunks": [5],
                    "dtype": "<i4",
                    "compressor": {"id": "nope"},
                    "fill_value": 0,
                    "order": "C",
                    "filters": None,
                }
            ).encode(),
            "nope",
        ),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [10],
                    "chunks": [5],
                    "dtype": "<i4",
                    "compressor": None,
                    "fill_value": "x",
                    "order": "C",
                    "filters": None,
                }
            ).encode(),
            "fill_value",
        ),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [10],
                    "chunks": [5],
                    "dtype": "<i4",
                    "compressor": None,
                    "fill_value": 0,
                    "order": "Q",
                    "filters": None,
                }
            ).encode(),
            "order",
        ),
        (
            json.dumps(
                {
                    "zarr_format": 2,
                    "shape": [10],
                    "dtype": "<i4",
                    "compressor": None,
                    "fill_value": 0,
                    "order": "C",
                    "filters": None,
                }
            ).encode(),
            "chunks",
        ),
    ],
    ids=[
        "unparseable",
        "not-object",
        "chunks-vs-shape",
        "zero-chunk",
        "negative-shape",
        "bad-dtype",
        "unknown-codec",
        "bad-fill",
        "bad-order",
        "missing-chunks",
    ],
)
def test_corrupt_metadata_names_key_and_field(document, field):
    store = MemoryStore()
    store["arr/.zarray"] = document
    with pytest.raises((zarr.MetadataError, ValueError)) as info:
        zarr.Array(store, path="arr")
    assert "arr/.zarray" in str(info.value)
    assert field in str(info.value)


def test_chunk_decoding_to_wrong_size_names_key():
    z = zarr.zeros(100, chunks=10, dtype="i4", compressor=numcodecs.Zlib())
    z[:] = 7
    z.store["3"] = numcodecs.Zlib().encode(np.arange(5, dtype="i4"))
    with pytest.raises(zarr.ChunkDecodeError, match="'3'"):
        z[:]
    np.testing.assert_array_equal(z[:30], 7)


@pytest.mark.parametrize(
    "compressor",
    [zarr.Blosc(), zarr.Zlib(), zarr.Zstd(), zarr.LZ4(), None],
    ids=["blosc", "zlib", "zstd", "lz4", "raw"],
)
def test_corrupt_or_truncated_chunk_is_an_error_not_garbage(compressor):
    z = zarr.array(np.arange(1000, dtype="f8"), chunks=100, compressor=compressor)
    raw = z.store["4"]
    z.store["4"] = raw[: len(raw) // 2]
    with pytest.raises(zarr.ChunkDecodeError, match="'4'"):
        z[400:500]
    with pytest.raises(zarr.ChunkDecodeError, match="'4'"):
        z[450] = 1.0  # a partial write must read the chunk first, and refuse to overwrite it with garbage
    assert z.store["4"] == raw[: len(raw) // 2]


def test_pickle_codec_refused_unless_allowed():
    z = zarr.zeros(4, chunks=2, dtype=object, object_codec=numcodecs.Pickle())
    with pytest.raises(ValueError, match="allow_pickle"):
        zarr.Array(z.store)
    assert zarr.Array(z.store, allow_pickle=True).shape == (4,)


@pytest.mark.parametrize(
    "path",
    ["../evil", "a//b", "a\\b", "a\x00b", "a/../../b"],
    ids=["dotdot", "empty-segment", "backslash", "nul", "nested-dotdot"],
)
def test_paths_escaping_the_store_are_refused(tmp_path, path):
    root = tmp_path / "root"
    store = DirectoryStore(str(root))
    with pytest.raises(zarr.InvalidKeyError):
        zarr.zeros(10, store=store, path=path)
    assert not (tmp_path / "evil").exists()
    assert not any(p.name == "b" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    "key",
    ["../x", "/etc/passwd", "a/./b", "", "a\\..\\x", "x" * 300],
    ids=["dotdot", "absolute", "dot", "empty", "backslash", "too-long"],
)
def test_store_keys_are_validated(tmp_path, key):
    store = DirectoryStore(str(tmp_path / "root"))
    with pytest.raises(zarr.InvalidKeyError):
        store[key] = b"x"
    assert os.listdir(tmp_path) == [] or not os.path.exists(tmp_path / "x")


def test_open_modes(tmp_path):
    path = str(tmp_path / "a.zarr")
    with pytest.raises(zarr.ArrayNotFoundError):
        zarr.open_array(path, mode="r")
    with pytest.raises(zarr.ArrayNotFoundError):
        zarr.open_array(path, mode="r+")
    z = zarr.open_array(path, mode="w-", shape=10, chunks=5)
    z[:] = 1
    with pytest.raises(zarr.ContainsArrayError):
        zarr.open_array(path, mode="w-", shape=10)
    assert zarr.open_array(path, mode="a")[0] == 1
    assert zarr.open_array(path, mode="w", shape=4)[0] == 0
    with pytest.raises(ValueError, match="mode"):
        zarr.open_array(path, mode="q")


def test_create_over_existing_array_refused_without_overwrite():
    store = MemoryStore()
    zarr.zeros(10, store=store)[:] = 5
    before = snapshot(store)
    with pytest.raises(zarr.ContainsArrayError):
        zarr.zeros(20, store=store)
    assert snapshot(store) == before
    zarr.zeros(20, store=store, overwrite=True)
    assert "0" not in store


def test_invalid_fill_value_writes_nothing():
    store = MemoryStore()
    with pytest.raises(ValueError, match="fill_value"):
        zarr.full(10, fill_value=300, dtype="u1", store=store)
    assert len(store) == 0
