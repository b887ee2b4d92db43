"""Fuzz the metadata parsers (.zarray, .zgroup, .zattrs, .zmetadata, zarr.json, with their
dtype, fill value and codec parts) with random JSON, mutations of valid documents and
random bytes: only the documented exceptions may come out, and opening never allocates
much (see metadata_harness.py). Deterministic adversarial documents follow, each checking
that the error names the key and the field.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zarrlib as zarr
from zarrlib.errors import MetadataError

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from metadata_harness import KINDS, VALID, open_document, valid

#: ZARRLIB_HYPOTHESIS_SCALE=20 multiplies the example counts for a deep local run.
SCALE = float(os.environ.get("ZARRLIB_HYPOTHESIS_SCALE", "1"))
FUZZ = settings(max_examples=int(80 * SCALE), deadline=None, suppress_health_check=list(HealthCheck))

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, -1, 2**31, 2**62, 2**63, 2**64, -(2**63)])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "<i4", "|O", "float32", "blosc", "C", "F", ".", "/", "NaN", "Infinity", "0x7fc00000"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
#: Values people get wrong: booleans for ints, strings for lists, NaN for numbers, huge sizes.
evil_values = (
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            2**62,
            2**63,
            2**64,
            float("nan"),
            float("inf"),
            "",
            "x" * 10000,
            [],
            [True],
            [0],
            [-1],
            [2**62],
            [2**63],
            [2**31, 2**31, 2**31],
            [1.5],
            ["1"],
            [[1]],
            {},
            {"id": 5},
            {"name": 5},
            {"id": "zlib", "level": 2**70},
            {"id": "blosc", "cname": "nope"},
            {"name": "numcodecs.pickle"},
            "[1, 2]",
        ]
    )
    | json_values
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a JSON document."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: Any) -> tuple[str, bytes]:
    """A valid document with one to three values replaced, removed or added."""
    label = draw(st.sampled_from(sorted(VALID)))
    doc = valid(label)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = copy.deepcopy(draw(evil_values))
        else:
            parent[path[-1]] = copy.deepcopy(draw(evil_values))
    return KINDS[label], json.dumps(doc).encode()


KIND_NAMES = sorted(set(KINDS.values()))


@FUZZ
@given(st.sampled_from(KIND_NAMES), json_values)
def test_random_json_documents(kind, doc):
    open_document(kind, json.dumps(doc).encode())


@FUZZ
@given(mutated())
def test_mutated_valid_documents(case):
    open_document(*case)


@FUZZ
@given(st.sampled_from(KIND_NAMES), st.binary(max_size=64))
def test_random_bytes(kind, raw):
    open_document(kind, raw)


@settings(max_examples=int(40 * SCALE), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(VALID)), st.data())
def test_truncated_and_flipped_documents(label, data):
    raw = bytearray(json.dumps(valid(label)).encode())
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << data.draw(st.integers(0, 7))
    open_document(KINDS[label], bytes(raw))


V2_DTYPES = ["|b1", "<i1", "<i4", ">u8", "<f2", "<f8", ">c16", "<M8[ns]", "<m8[s]", "|S4", "<U3", "|V8"]
V3_TYPES = ["bool", "int8", "uint64", "float16", "float64", "complex128", "r16", "string", "bytes"]
V3_TYPES += [{"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}]


@FUZZ
@given(json_values | evil_values)
def test_dtype_parsers(value):
    from zarrlib.metadata.dtypes import parse_dtype
    from zarrlib.metadata.v3 import parse_data_type

    for parse in (parse_dtype, parse_data_type):
        try:
            dtype = parse(value)
        except MetadataError:
            continue
        assert isinstance(dtype, np.dtype)


@FUZZ
@given(st.sampled_from(V2_DTYPES), st.sampled_from(range(len(V3_TYPES))), json_values | evil_values)
def test_fill_value_parsers(v2_dtype, v3_index, value):
    """Any JSON value as the fill value of any dtype: a value of that dtype, or MetadataError."""
    from zarrlib.metadata.fill_value import decode_fill_value
    from zarrlib.metadata.v3 import parse_data_type, parse_fill_value

    dtype = np.dtype(v2_dtype)
    try:
        decoded = decode_fill_value(value, dtype)
    except MetadataError:
        pass
    else:
        assert decoded is None or np.asarray(decoded, dtype=dtype).shape == ()
    data_type = V3_TYPES[v3_index]
    dtype3 = parse_data_type(data_type)
    try:
        parsed = parse_fill_value(value, dtype3, data_type)
    except MetadataError:
        return
    if not dtype3.hasobject:
        assert np.asarray(parsed, dtype=dtype3).shape == ()


# -- deterministic adversarial documents --------------------------------------------------------
def zarray(**changes: Any) -> bytes:
    doc = valid(".zarray plain")
    for k, v in changes.items():
        if v is _DELETE:
            del doc[k]
        else:
            doc[k] = v
    return json.dumps(doc).encode()


def zarr_json(**changes: Any) -> bytes:
    doc = valid("zarr.json sharded")
    for k, v in changes.items():
        if v is _DELETE:
            del doc[k]
        else:
            doc[k] = v
    return json.dumps(doc).encode()


_DELETE = object()
GRID = {"name": "regular", "configuration": {"chunk_shape": [1]}}

#: (id, key, raw document, words the error must contain)
ADVERSARIAL = [
    ("v2-not-json", ".zarray", b"{", ["not hold valid JSON"]),
    ("v2-not-utf8", ".zarray", b'{"a": "\xff\xfe"}', ["valid JSON"]),
    ("v2-deep-lists", ".zarray", b"[" * 100000 + b"]" * 100000, ["valid JSON"]),
    ("v2-deep-objects", ".zarray", b'{"a":' * 100000 + b"1" + b"}" * 100000, ["valid JSON"]),
    ("v2-top-list", ".zarray", b"[1, 2]", ["JSON object", "list"]),
    ("v2-top-string", ".zarray", b'"x"', ["JSON object"]),
    ("v2-missing-shape", ".zarray", zarray(shape=_DELETE), ["'shape'", "missing"]),
    ("v2-shape-string", ".zarray", zarray(shape="10,10"), ["shape"]),
    ("v2-shape-bool", ".zarray", zarray(shape=[True, 10]), ["shape"]),
    ("v2-shape-negative", ".zarray", zarray(shape=[-1, 10]), ["shape"]),
    ("v2-shape-float", ".zarray", zarray(shape=[10.0, 10]), ["shape"]),
    ("v2-shape-nan", ".zarray", zarray(shape=[float("nan"), 10]), ["shape"]),
    ("v2-shape-over-int64", ".zarray", zarray(shape=[2**63, 10]), ["shape"]),
    ("v2-size-over-int64", ".zarray", zarray(shape=[2**40, 2**40]), ["shape", "elements"]),
    ("v2-chunks-zero", ".zarray", zarray(chunks=[0, 4]), ["chunks"]),
    ("v2-chunks-bool", ".zarray", zarray(chunks=[True, 4]), ["chunks"]),
    ("v2-chunks-product", ".zarray", zarray(chunks=[2**32, 2**32]), ["chunks"]),
    ("v2-chunks-length", ".zarray", zarray(chunks=[3]), ["chunks", "shape"]),
    ("v2-dtype-unknown", ".zarray", zarray(dtype="<x9"), ["dtype"]),
    ("v2-dtype-number", ".zarray", zarray(dtype=4), ["dtype"]),
    ("v2-dtype-huge", ".zarray", zarray(dtype="S99999999999999999999"), ["dtype"]),
    ("v2-dtype-huge-subarray", ".zarray", zarray(dtype=[["a", "<i4", [2**40]]]), ["dtype"]),
    ("v2-dtype-deep", ".zarray", zarray(dtype=json.loads("[" * 500 + '["a", "<i4"]' + "]" * 500)), ["dtype"]),
    ("v2-dtype-long", ".zarray", zarray(dtype="<i" + "4" * 100000), ["dtype"]),
    ("v2-order", ".zarray", zarray(order="X"), ["order"]),
    ("v2-compressor-string", ".zarray", zarray(compressor="zlib"), ["compressor"]),
    ("v2-compressor-id-number", ".zarray", zarray(compressor={"id": 5}), ["compressor"]),
    ("v2-compressor-unknown", ".zarray", zarray(compressor={"id": "nope"}), ["compressor", "nope"]),
    ("v2-compressor-bad-param", ".zarray", zarray(compressor={"id": "zlib", "nope": 1}), ["compressor"]),
    ("v2-filters-string", ".zarray", zarray(filters="delta"), ["filters"]),
    ("v2-filters-bad-dtype", ".zarray", zarray(filters=[{"id": "delta", "dtype": "<x"}]), ["filters[0]"]),
    ("v2-fill-nan-int", ".zarray", zarray(dtype="<i4", fill_value="NaN"), ["fill_value"]),
    ("v2-fill-huge-int", ".zarray", zarray(dtype="<i4", fill_value=2**100), ["fill_value"]),
    ("v2-fill-string-float", ".zarray", zarray(fill_value="zero"), ["fill_value"]),
    ("v2-fill-list", ".zarray", zarray(fill_value=[1]), ["fill_value"]),
    ("v2-fill-float-overflow", ".zarray", zarray(dtype="<f2", fill_value=1e300), ["fill_value", "out of range"]),
    ("v3-fill-float-overflow", "zarr.json", zarr_json(fill_value=1e300), ["fill_value", "out of range"]),
    ("v2-separator", ".zarray", zarray(dimension_separator="\\"), ["dimension_separator"]),
    ("v2-format", ".zarray", zarray(zarr_format=True), ["zarr_format"]),
    ("zgroup-format", ".zgroup", b'{"zarr_format": "2"}', ["zarr_format"]),
    ("zattrs-list", ".zattrs", b"[]", ["JSON object"]),
    ("zattrs-deep", ".zattrs", b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}", ["valid JSON"]),
    ("zmetadata-format", ".zmetadata", b'{"zarr_consolidated_format": 2, "metadata": {}}', ["format"]),
    ("zmetadata-list", ".zmetadata", b'{"zarr_consolidated_format": 1, "metadata": []}', ["metadata"]),
    (
        "zmetadata-escape-key",
        ".zmetadata",
        b'{"zarr_consolidated_format": 1, "metadata": {"../../.zarray": {}}}',
        ["../../.zarray"],
    ),
    (
        "zmetadata-entry-type",
        ".zmetadata",
        b'{"zarr_consolidated_format": 1, "metadata": {".zgroup": [1]}}',
        [".zgroup"],
    ),
    ("v3-top-list", "zarr.json", b"[]", ["JSON object"]),
    ("v3-node-type", "zarr.json", zarr_json(node_type="file"), ["node_type"]),
    ("v3-shape-bool", "zarr.json", zarr_json(shape=[True, 10]), ["shape"]),
    ("v3-shape-over-int64", "zarr.json", zarr_json(shape=[2**64, 10]), ["shape"]),
    ("v3-size-over-int64", "zarr.json", zarr_json(shape=[2**40, 2**40]), ["shape", "elements"]),
    (
        "v3-grid-zero",
        "zarr.json",
        zarr_json(chunk_grid={"name": "regular", "configuration": {"chunk_shape": [0, 8]}}),
        ["chunk_shape"],
    ),
    ("v3-grid-string", "zarr.json", zarr_json(chunk_grid="regular"), ["chunk"]),
    ("v3-dtype-unknown", "zarr.json", zarr_json(data_type="float128"), ["data_type"]),
    ("v3-dtype-list", "zarr.json", zarr_json(data_type=["float32"]), ["data_type"]),
    ("v3-fill-bool-for-float", "zarr.json", zarr_json(fill_value=True), ["fill_value"]),
    ("v3-fill-nan-string-bad", "zarr.json", zarr_json(fill_value="nan"), ["fill_value"]),
    ("v3-codecs-empty", "zarr.json", zarr_json(codecs=[]), ["codecs"]),
    ("v3-codecs-string", "zarr.json", zarr_json(codecs="bytes"), ["codecs"]),
    ("v3-codec-unknown", "zarr.json", zarr_json(codecs=[{"name": "nope"}]), ["nope"]),
    (
        "v3-shard-huge-index",
        "zarr.json",
        zarr_json(
            shape=[2**40],
            data_type="int8",
            fill_value=0,
            chunk_grid={"name": "regular", "configuration": {"chunk_shape": [2**40]}},
            codecs=[{"name": "sharding_indexed", "configuration": {"chunk_shape": [1]}}],
        ),
        ["shard", "inner chunks"],
    ),
    ("v3-attributes-list", "zarr.json", zarr_json(attributes=[]), ["attributes"]),
    ("v3-dimension-names", "zarr.json", zarr_json(dimension_names=[1, 2]), ["dimension_names"]),
    ("v3-extension", "zarr.json", zarr_json(storage_transformers=[{"name": "x"}]), ["storage transformer"]),
]


@pytest.mark.parametrize(("key", "raw", "words"), [a[1:] for a in ADVERSARIAL], ids=[a[0] for a in ADVERSARIAL])
def test_adversarial_document_is_a_clear_metadata_error(key, raw, words):
    store = zarr.MemoryStore()
    zarr.group(store=store, zarr_format=3 if key == "zarr.json" else 2)
    if key == ".zattrs":
        zarr.zeros((2,), store=store, path="x")
    if key == ".zmetadata":
        store[".zmetadata"] = raw
        opener = lambda: zarr.open_consolidated(store, mode="r")  # noqa: E731
        where = ".zmetadata"
    else:
        store[f"x/{key}"] = raw
        opener = lambda: _open_all(zarr.open(store, mode="r", path="x"))  # noqa: E731
        where = f"x/{key}"
    tracemalloc.start()
    try:
        with pytest.raises(MetadataError) as info:
            opener()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    message = str(info.value)
    assert where in message, message[:300]
    for word in words:
        assert word in message, message[:300]
    assert peak < 64 * 2**20, f"{peak:,} bytes allocated"
    assert len(message) < 2000, "the error repeats a huge value in full"


def _open_all(node: Any) -> None:
    node.attrs.asdict()


def test_huge_shape_opens_without_allocating():
    """shape (2**62,) with chunks (1,): 2**62 chunks exist only in arithmetic."""
    store = zarr.MemoryStore()
    store[".zarray"] = zarray(shape=[2**62], chunks=[1], dtype="<i8", filters=None, compressor=None)
    tracemalloc.start()
    try:
        z = zarr.open_array(store, mode="r")
        assert z.nchunks == 2**62 and z.cdata_shape == (2**62,)
        assert z.nbytes == 2**65
        assert z[0] == 0 and z[2**62 - 1] == 0
        assert z[2**62 - 3 :].tolist() == [0, 0, 0]
        repr(z), z.info
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_huge_v3_shape_opens_without_allocating():
    store = zarr.MemoryStore()
    store["zarr.json"] = zarr_json(
        shape=[2**62],
        data_type="int8",
        fill_value=0,
        chunk_grid={"name": "regular", "configuration": {"chunk_shape": [2**20]}},
        codecs=[{"name": "sharding_indexed", "configuration": {"chunk_shape": [2**10]}}],
    )
    tracemalloc.start()
    try:
        z = zarr.open_array(store, mode="r")
        assert z.nchunks == 2**52
        assert z[2**62 - 1] == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_adversarial_count():
    """How many fixed adversarial documents this module tries (besides the fuzzed ones)."""
    assert len(ADVERSARIAL) >= 55
    assert math.prod([1]) == 1 and np.dtype("<i4").itemsize == 4
