"""Interop with zarr-python 3 and TensorStore, both directions.

For every case zarrlib writes an array (full, partial, edge and untouched shards) and the
peers must read exactly the expected values; then each peer writes the same values into an
array with the same ``zarr.json`` and zarrlib must read them back. With zarr-python the stored
chunk and shard files must also be byte-for-byte equal (except gzip, whose header has a time).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import zarrlib

zarr = pytest.importorskip("zarr")
ts = pytest.importorskip("tensorstore")

ZSTD = {"name": "zstd", "configuration": {"level": 1, "checksum": False}}
BLOSC = {
    "name": "blosc",
    "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 8, "blocksize": 0},
}
LE = {"name": "bytes", "configuration": {"endian": "little"}}


@dataclass
class Case:
    id: str
    dtype: Any
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None = None
    codecs: list[Any] = field(default_factory=lambda: [LE, ZSTD])
    fill_value: Any = 0
    extra: dict[str, Any] = field(default_factory=dict)
    tensorstore: bool = True
    deterministic: bool = True
    zarr_python: bool = True


CASES = [
    Case("int32-zstd", "i4", (13, 9), (4, 3)),
    Case("int32-sharded-zstd", "i4", (13, 9), (2, 3), (4, 6), fill_value=-1),
    Case(
        "uint16-sharded-index-start-crc32c",
        "u2",
        (9, 10),
        (3, 2),
        (3, 4),
        [LE, {"name": "crc32c"}],
        7,
        {"index_location": "start"},
    ),
    Case("float64-blosc", "f8", (10, 10), (3, 4), None, [LE, BLOSC], np.nan),
    Case("float64-sharded-blosc", "f8", (10, 10), (2, 2), (4, 4), [LE, BLOSC], np.nan),
    Case(
        "float32-big-endian-gzip",
        "f4",
        (7, 11),
        (4, 4),
        None,
        [{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "gzip", "configuration": {"level": 5}}],
        1.5,
        deterministic=False,
    ),
    Case("uint8-raw", "u1", (6, 5), (4, 4), None, [{"name": "bytes"}], 255),
    Case("bool-sharded", "bool", (12,), (3,), (6,), [{"name": "bytes"}, ZSTD], False),
    Case(
        "int64-transpose",
        "i8",
        (6, 7, 5),
        (4, 3, 2),
        None,
        [{"name": "transpose", "configuration": {"order": [2, 0, 1]}}, LE, ZSTD],
    ),
    Case("complex128-sharded", "c16", (5, 6), (1, 2), (5, 4), [LE], 0),
    Case("float16-nan", "f2", (9,), (4,), None, [LE, ZSTD], np.nan),
    Case(
        "int16-v2-keys",
        "i2",
        (6, 6),
        (4, 4),
        None,
        [LE, ZSTD],
        0,
        {"chunk_key_encoding": {"name": "v2", "separator": "."}},
    ),
    Case(
        "int8-dot-keys-sharded",
        "i1",
        (6, 6),
        (2, 2),
        (4, 4),
        [{"name": "bytes"}],
        0,
        {"chunk_key_encoding": {"name": "default", "separator": "."}},
    ),
    Case("string-vlen-utf8", str, (7, 3), (2, 2), None, [{"name": "vlen-utf8"}, ZSTD], "", tensorstore=False),
    Case("string-sharded", str, (7, 3), (2, 2), (4, 2), [{"name": "vlen-utf8"}], "", tensorstore=False),
    Case("bytes-vlen-bytes", bytes, (5,), (2,), None, [{"name": "vlen-bytes"}], b"", tensorstore=False),
    Case("datetime64", "M8[s]", (6,), (4,), None, [LE, ZSTD], np.datetime64("NaT"), tensorstore=False),
    Case(
        "numcodecs-delta-zlib",
        "i4",
        (10,),
        (4,),
        None,
        [
            {"name": "numcodecs.delta", "configuration": {"dtype": "<i4"}},
            LE,
            {"name": "numcodecs.zlib", "configuration": {"level": 1}},
        ],
        tensorstore=False,
    ),
    Case("zero-d", "f8", (), (), None, [LE], 0.0),
    # zarr-python 3.1.6 cannot read 0-d shards (IndexError in its sharding codec): TensorStore and zarrs can
    Case("zero-d-sharded", "i4", (), (), (), [LE, ZSTD], 1, zarr_python=False),
    Case(
        "uint32-sharded-transpose-gzip",
        "u4",
        (7, 9, 5),
        (2, 3, 2),
        (4, 6, 4),
        [
            {"name": "transpose", "configuration": {"order": [1, 2, 0]}},
            LE,
            {"name": "gzip", "configuration": {"level": 1}},
        ],
        3,
        deterministic=False,
    ),
    Case(
        "uint64-big-endian-sharded-index-start",
        "u8",
        (11,),
        (2,),
        (6,),
        [{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "crc32c"}],
        2**64 - 1,
        {"index_location": "start"},
    ),
    Case(
        "complex64-zstd-checksum",
        "c8",
        (5, 5),
        (2, 3),
        None,
        [LE, {"name": "zstd", "configuration": {"level": 3, "checksum": True}}],
        0,
    ),
    Case("int8-crc32c", "i1", (9,), (4,), None, [{"name": "bytes"}, {"name": "crc32c"}], -3),
    Case(
        "int64-sharded-blosc-bitshuffle-dimension-names",
        "i8",
        (9, 10),
        (3, 5),
        (6, 10),
        [
            LE,
            {
                "name": "blosc",
                "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "typesize": 8, "blocksize": 0},
            },
        ],
        -1,
        {"dimension_names": ["y", None]},
    ),
    Case(
        "int16-v2-slash-keys",
        "i2",
        (6, 6),
        (4, 4),
        None,
        [LE, ZSTD],
        0,
        {"chunk_key_encoding": {"name": "v2", "separator": "/"}},
    ),
    Case(
        "float32-sharded-v2-dot-keys",
        "f4",
        (6, 6),
        (2, 2),
        (4, 4),
        [LE],
        0.5,
        {"chunk_key_encoding": {"name": "v2", "separator": "."}},
    ),
    Case("bytes-sharded", bytes, (7,), (2,), (4,), [{"name": "vlen-bytes"}, ZSTD], b"", tensorstore=False),
    Case("structured", [("a", "<i4"), ("b", "<f8")], (6,), (4,), None, [LE], 0, tensorstore=False),
]


def _data(case: Case) -> np.ndarray:
    rng = np.random.default_rng(7)
    size = int(np.prod(case.shape))
    if case.dtype is str:
        values = np.array([f"s{i}" * (i % 4) for i in range(size)], dtype=object)
    elif case.dtype is bytes:
        values = np.array([bytes([i]) * (i % 3) for i in range(size)], dtype=object)
    elif np.dtype(case.dtype).fields is not None:
        values = np.array([(i, i / 2) for i in range(size)], dtype=case.dtype)
    elif np.dtype(case.dtype).kind == "M":
        values = (np.arange(size) * 86400).astype("M8[s]")
    elif np.dtype(case.dtype).kind == "b":
        values = rng.random(size) > 0.5
    elif np.dtype(case.dtype).kind == "c":
        values = (rng.integers(-9, 9, size) + 1j * rng.integers(-9, 9, size)).astype(case.dtype)
    else:
        values = rng.integers(0, 100, size).astype(case.dtype)
    return values.reshape(case.shape)


def _ops(case: Case, data: np.ndarray) -> list[tuple[Any, Any]]:
    """Writes that leave untouched, partial and edge shards, with some fill-only chunks."""
    if not case.shape:
        return [((), data)]
    first = tuple([slice(1, None)] + [slice(None)] * (len(case.shape) - 1))
    second = tuple([slice(0, 1)] + [slice(0, 2)] * (len(case.shape) - 1))
    return [(first, data[first]), (second, data[second])]


def _expected(case: Case, data: np.ndarray) -> np.ndarray:
    dtype = object if case.dtype in (str, bytes) else case.dtype
    expected = np.full(case.shape, case.fill_value, dtype=dtype)
    for sel, value in _ops(case, data):
        expected[sel] = value
    return expected


def _create_zarrlib(case: Case, path: str) -> zarrlib.Array:
    kwargs = dict(case.extra)
    return zarrlib.create(
        case.shape,
        chunks=case.chunks,
        shards=case.shards,
        dtype=case.dtype,
        zarr_format=3,
        store=path,
        codecs=case.codecs,
        fill_value=case.fill_value,
        **kwargs,
    )


def _stored(path: str) -> dict[str, bytes]:
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path).replace(os.sep, "/")
            if rel != "zarr.json":
                with open(full, "rb") as f:
                    out[rel] = f.read()
    return out


def _assert_equal(actual: Any, expected: np.ndarray) -> None:
    actual = np.asarray(actual)
    if expected.dtype.kind == "c" or expected.dtype.kind == "f":
        np.testing.assert_array_equal(actual, expected)  # NaN == NaN here
    else:
        assert actual.shape == expected.shape
        assert [x for x in actual.reshape(-1).tolist()] == [x for x in expected.reshape(-1).tolist()]


ZP_CASES = [c for c in CASES if c.zarr_python]


@pytest.fixture(params=ZP_CASES, ids=[c.id for c in ZP_CASES])
def case(request):
    return request.param


def test_zarr_python_reads_zarrlib_and_writes_the_same_bytes(case, tmp_path):
    data = _data(case)
    expected = _expected(case, data)
    ours = str(tmp_path / "zarrlib")
    z = _create_zarrlib(case, ours)
    for sel, value in _ops(case, data):
        z[sel] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = zarr.open_array(ours, mode="r")
        _assert_equal(peer[...], expected)
        assert peer.chunks == case.chunks and peer.shards == case.shards
        names = case.extra.get("dimension_names")
        assert peer.metadata.dimension_names == (None if names is None else tuple(names))

        theirs = str(tmp_path / "zarr-python")
        os.makedirs(theirs)
        shutil.copy(os.path.join(ours, "zarr.json"), theirs)
        peer = zarr.open_array(theirs, mode="r+")
        for sel, value in _ops(case, data):
            peer[sel] = value
    _assert_equal(zarrlib.open_array(theirs, mode="r")[...], expected)
    ours_bytes, theirs_bytes = _stored(ours), _stored(theirs)
    assert sorted(ours_bytes) == sorted(theirs_bytes)
    if case.deterministic:
        for key in ours_bytes:
            assert ours_bytes[key] == theirs_bytes[key], f"{case.id}: stored bytes of {key!r} differ"


# TensorStore's zarr3 driver has no string, bytes, datetime or numcodecs.* support
TS_CASES = [c for c in CASES if c.tensorstore]


@pytest.mark.parametrize("ts_case", TS_CASES, ids=[c.id for c in TS_CASES])
def test_tensorstore_both_ways(ts_case, tmp_path):
    case = ts_case
    data = _data(case)
    expected = _expected(case, data)
    ours = str(tmp_path / "zarrlib")
    z = _create_zarrlib(case, ours)
    for sel, value in _ops(case, data):
        z[sel] = value
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": ours}}
    opened = ts.open(spec, open=True, read=True).result()
    _assert_equal(opened.read().result(), expected)
    names = case.extra.get("dimension_names")
    if names is not None:
        assert list(opened.domain.labels) == [n or "" for n in names]

    theirs = str(tmp_path / "tensorstore")
    os.makedirs(theirs)
    shutil.copy(os.path.join(ours, "zarr.json"), theirs)
    store = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": theirs}}, open=True, write=True).result()
    for sel, value in _ops(case, data):
        store[sel].write(value).result()
    _assert_equal(zarrlib.open_array(theirs, mode="r")[...], expected)


def test_zarrlib_reads_arrays_zarr_python_creates(tmp_path):
    path = str(tmp_path / "a")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(
            path,
            shape=(20, 30),
            chunks=(5, 5),
            shards=(10, 15),
            dtype="float32",
            fill_value=np.nan,
            dimension_names=["y", "x"],
            attributes={"units": "m"},
            compressors=[zarr.codecs.BloscCodec(cname="zstd", shuffle="bitshuffle")],
        )
        data = np.arange(600, dtype="f4").reshape(20, 30)
        a[2:, 3:] = data[2:, 3:]
        s = zarr.create_array(str(tmp_path / "s"), shape=(5,), chunks=(2,), dtype=str)
        s[...] = np.array(["a", "bb", "", "ccc", "é"])
    z = zarrlib.open_array(path, mode="r")
    assert z.chunks == (5, 5) and z.shards == (10, 15) and z.dimension_names == ("y", "x")
    assert z.attrs["units"] == "m" and np.isnan(z.fill_value)
    expected = np.full((20, 30), np.nan, "f4")
    expected[2:, 3:] = data[2:, 3:]
    np.testing.assert_array_equal(z[...], expected)
    np.testing.assert_array_equal(z[1:3, 2:5], expected[1:3, 2:5])
    assert zarrlib.open_array(str(tmp_path / "s"))[...].tolist() == ["a", "bb", "", "ccc", "é"]


def test_zarrlib_reads_arrays_tensorstore_creates(tmp_path):
    """TensorStore leaves out defaults (key separator, index location): they must be implied."""
    path = str(tmp_path / "a")
    codecs = [
        {
            "name": "sharding_indexed",
            "configuration": {"chunk_shape": [2, 3], "codecs": [LE, ZSTD], "index_codecs": [LE, {"name": "crc32c"}]},
        }
    ]
    metadata = {
        "shape": [10, 12],
        "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 6]}},
        "codecs": codecs,
    }
    store = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}, "metadata": metadata, "create": True}
    ).result()
    data = np.arange(120, dtype="i4").reshape(10, 12)
    store[...].write(data).result()
    doc = json.load(open(os.path.join(path, "zarr.json")))
    assert "index_location" not in doc["codecs"][0]["configuration"]
    z = zarrlib.open_array(path, mode="r")
    np.testing.assert_array_equal(z[...], data)
    np.testing.assert_array_equal(z[3:5, 5:8], data[3:5, 5:8])


# zarrs (Rust) as zarr-python 3's codec pipeline, in strict mode: no silent fallback to Python.
# zarrs-python leaves out string, bytes, datetime and structured types (its documented limits),
# and zarrs 0.2 has no numcodecs.delta.
ZARRS_CASES = [
    c
    for c in CASES
    if c.dtype not in (str, bytes)
    and np.dtype(c.dtype).kind not in "VSUMmO"
    and not any(str(codec.get("name", "")).startswith("numcodecs.") for codec in c.codecs)
]


@pytest.mark.parametrize("zarrs_case", ZARRS_CASES, ids=[c.id for c in ZARRS_CASES])
def test_zarrs_both_ways(zarrs_case, tmp_path):
    pytest.importorskip("zarrs")
    case = zarrs_case
    data = _data(case)
    expected = _expected(case, data)
    ours = str(tmp_path / "zarrlib")
    z = _create_zarrlib(case, ours)
    for sel, value in _ops(case, data):
        z[sel] = value
    theirs = str(tmp_path / "zarrs")
    os.makedirs(theirs)
    shutil.copy(os.path.join(ours, "zarr.json"), theirs)
    with zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline", "codec_pipeline.strict": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peer = zarr.open_array(ours, mode="r")
            assert type(peer._async_array.codec_pipeline).__module__.startswith("zarrs")
            _assert_equal(peer[...], expected)
            if case.shape:  # a partial read of edge and partial shards
                sel = tuple(slice(s // 2, None) for s in case.shape)
                _assert_equal(peer[sel], expected[sel])
            writer = zarr.open_array(theirs, mode="r+")
            for sel, value in _ops(case, data):
                writer[sel] = value
    _assert_equal(zarrlib.open_array(theirs, mode="r")[...], expected)
    assert sorted(_stored(ours)) == sorted(_stored(theirs))  # the same chunks and shards exist


@pytest.mark.parametrize("location", ["end", "start"])
def test_empty_inner_chunks_and_shards_are_left_out_as_the_peers_do(tmp_path, location):
    """Inner chunks holding only the fill value are not in the shard (index entry 2**64-1) and a
    shard of nothing but fill is not stored: the same keys and bytes as zarr-python, and
    TensorStore reads it."""
    data = np.full((8, 12), 5, dtype="i4")
    data[0:2, 0:3] = np.arange(6).reshape(2, 3)  # inner chunk (0, 0) of shard (0, 0)
    data[6:8, 9:12] = 9  # inner chunk (1, 1) of shard (1, 1)
    ours = str(tmp_path / "zarrlib")
    z = zarrlib.create(
        (8, 12),
        chunks=(2, 3),
        shards=(4, 6),
        dtype="i4",
        fill_value=5,
        zarr_format=3,
        store=ours,
        codecs=[LE, ZSTD],
        index_location=location,
    )
    z[...] = data
    theirs = str(tmp_path / "zarr-python")
    os.makedirs(theirs)
    shutil.copy(os.path.join(ours, "zarr.json"), theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.open_array(theirs, mode="r+")[...] = data
    ours_bytes, theirs_bytes = _stored(ours), _stored(theirs)
    assert sorted(ours_bytes) == sorted(theirs_bytes) == ["c/0/0", "c/1/1"]  # shards (0, 1), (1, 0): all fill
    for key in ours_bytes:
        assert ours_bytes[key] == theirs_bytes[key]
        index = np.frombuffer(ours_bytes[key][:64] if location == "start" else ours_bytes[key][-68:-4], "<u8")
        assert (index.reshape(4, 2) == 2**64 - 1).all(axis=1).sum() == 3  # one inner chunk of four stored
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": ours}}
    _assert_equal(ts.open(spec, open=True, read=True).result().read().result(), data)
