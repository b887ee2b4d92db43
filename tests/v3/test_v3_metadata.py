"""zarr.json parsing and writing: data types, fill values, chunk key encodings, refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from zarrlib.errors import MetadataError
from zarrlib.metadata.v3 import (
    ArrayMetadataV3,
    ChunkKeyEncoding,
    GroupMetadataV3,
    consolidate,
    encode_data_type,
    encode_fill_value,
    parse_data_type,
    parse_fill_value,
    parse_node,
)


def _doc(**over):
    doc = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [4, 6],
        "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 3]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    }
    doc.update(over)
    return json.dumps(doc).encode()


DTYPES = [
    ("bool", "bool"),
    ("i1", "int8"),
    ("i2", "int16"),
    ("i4", "int32"),
    ("i8", "int64"),
    ("u1", "uint8"),
    ("u2", "uint16"),
    ("u4", "uint32"),
    ("u8", "uint64"),
    ("f2", "float16"),
    ("f4", "float32"),
    ("f8", "float64"),
    ("c8", "complex64"),
    ("c16", "complex128"),
    ("<U3", {"name": "fixed_length_utf32", "configuration": {"length_bytes": 12}}),
    ("S5", {"name": "null_terminated_bytes", "configuration": {"length_bytes": 5}}),
    ("V3", {"name": "raw_bytes", "configuration": {"length_bytes": 3}}),
    ("M8[ns]", {"name": "numpy.datetime64", "configuration": {"unit": "ns", "scale_factor": 1}}),
    ("m8[10s]", {"name": "numpy.timedelta64", "configuration": {"unit": "s", "scale_factor": 10}}),
    (
        [("a", "<i4"), ("b", "<f8")],
        {"name": "structured", "configuration": {"fields": [["a", "int32"], ["b", "float64"]]}},
    ),
]


@pytest.mark.parametrize(("dtype", "json_form"), DTYPES, ids=[str(d[0]) for d in DTYPES])
def test_data_type_round_trip(dtype, json_form):
    assert encode_data_type(np.dtype(dtype)) == json_form
    assert parse_data_type(json_form) == np.dtype(dtype)


@pytest.mark.parametrize(
    ("json_form", "expected"),
    [
        ("string", object),
        ("bytes", object),
        ("variable_length_bytes", object),
        ({"name": "int16"}, "i2"),
        ("r16", "V2"),
        (
            {"name": "struct", "configuration": {"fields": [{"name": "x", "data_type": "float32"}]}},
            [("x", "<f4")],
        ),
    ],
    ids=["string", "bytes", "zp3-bytes-name", "object-form", "raw-bits", "struct"],
)
def test_data_type_other_forms(json_form, expected):
    assert parse_data_type(json_form) == np.dtype(expected)


@pytest.mark.parametrize(
    "bad",
    ["int128", {"name": "numpy.datetime64", "configuration": {"unit": "parsec", "scale_factor": 1}}, 7],
    ids=["unknown", "bad-unit", "not-a-name"],
)
def test_data_type_refused(bad):
    with pytest.raises(MetadataError, match="data_type"):
        parse_data_type(bad)


FILLS = [
    ("f8", "NaN", math.nan),
    ("f4", "Infinity", math.inf),
    ("f2", "-Infinity", -math.inf),
    ("f8", 1.5, 1.5),
    ("c16", [1.0, "NaN"], complex(1, math.nan)),
    ("i2", -7, -7),
    ("u8", 2**64 - 1, 2**64 - 1),
    ("bool", True, True),
    ("M8[s]", -(2**63), np.datetime64("NaT")),
    ("<U4", "abc", "abc"),
]


@pytest.mark.parametrize(("dtype", "encoded", "value"), FILLS, ids=[f"{d}-{e}" for d, e, _ in FILLS])
def test_fill_value_round_trip(dtype, encoded, value):
    dtype = np.dtype(dtype)
    data_type = encode_data_type(dtype)
    decoded = parse_fill_value(encoded, dtype, data_type)
    np.testing.assert_array_equal(np.array(decoded, dtype=dtype), np.array(value, dtype=dtype))
    assert encode_fill_value(decoded, dtype, data_type) == encoded


def test_fill_value_hex_nan_payload_survives():
    dtype = np.dtype("f4")
    decoded = parse_fill_value("0x7fc00001", dtype, "float32")
    assert np.isnan(decoded)
    assert encode_fill_value(decoded, dtype, "float32") == "0x7fc00001"


def test_fill_value_nat_string_and_vlen_forms():
    assert np.isnat(parse_fill_value("NaT", np.dtype("M8[s]"), {"name": "numpy.datetime64"}))
    assert parse_fill_value([1, 2, 3], np.dtype(object), "bytes") == b"\x01\x02\x03"
    assert parse_fill_value("AQID", np.dtype(object), "bytes") == b"\x01\x02\x03"
    assert parse_fill_value("x", np.dtype(object), "string") == "x"


def test_fill_value_struct_object_form():
    dtype = np.dtype([("x", "<f4"), ("y", "<i2")])
    data_type = {
        "name": "struct",
        "configuration": {"fields": [{"name": "x", "data_type": "float32"}, {"name": "y", "data_type": "int16"}]},
    }
    value = parse_fill_value({"x": 1.5, "y": -2}, dtype, data_type)
    assert value["x"] == 1.5 and value["y"] == -2


@pytest.mark.parametrize(
    ("dtype", "bad"),
    [("i1", 300), ("i4", 1.5), ("bool", 1), ("f4", "0x7fc0"), ("f8", None)],
    ids=["out-of-range", "float-for-int", "int-for-bool", "short-hex", "null"],
)
def test_fill_value_refused(dtype, bad):
    with pytest.raises(MetadataError, match="fill_value"):
        parse_fill_value(bad, np.dtype(dtype), encode_data_type(np.dtype(dtype)))


@pytest.mark.parametrize(
    ("encoding", "coords", "key"),
    [
        (ChunkKeyEncoding("default", "/"), (1, 23), "c/1/23"),
        (ChunkKeyEncoding("default", "."), (1, 23), "c.1.23"),
        (ChunkKeyEncoding("default", "/"), (), "c"),
        (ChunkKeyEncoding("v2", "."), (1, 23), "1.23"),
        (ChunkKeyEncoding("v2", "/"), (1, 23), "1/23"),
        (ChunkKeyEncoding("v2", "."), (), "0"),
    ],
    ids=["default-slash", "default-dot", "default-0d", "v2-dot", "v2-slash", "v2-0d"],
)
def test_chunk_key_encodings(encoding, coords, key):
    assert encoding.encode(coords) == key
    assert encoding.decode(key, len(coords)) == coords


def test_chunk_key_decode_rejects_other_keys():
    enc = ChunkKeyEncoding("default", "/")
    assert enc.decode("zarr.json", 2) is None
    assert enc.decode("c/1", 2) is None
    assert enc.decode("c/1/x", 2) is None


def test_chunk_key_encoding_defaults():
    assert ChunkKeyEncoding.from_json({"name": "default"}, "k") == ChunkKeyEncoding("default", "/")
    assert ChunkKeyEncoding.from_json("v2", "k") == ChunkKeyEncoding("v2", ".")


def test_array_metadata_round_trip_keeps_everything():
    raw = _doc(
        attributes={"a": [1, 2]},
        dimension_names=["y", None],
        fill_value="NaN",
        data_type="float64",
        codecs=[
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [1, 3],
                    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, "crc32c"],
                    "index_location": "start",
                },
            }
        ],
        extension_thing={"must_understand": False, "x": 1},
    )
    meta = ArrayMetadataV3.from_json(raw, "arr/zarr.json")
    assert meta.chunks == (1, 3) and meta.shards == (2, 3) and meta.chunk_grid_shape == (2, 3)
    assert meta.dimension_names == ("y", None)
    assert np.isnan(meta.fill_value)
    again = json.loads(meta.to_json())
    assert again["extension_thing"] == {"must_understand": False, "x": 1}
    assert again["attributes"] == {"a": [1, 2]}
    assert ArrayMetadataV3.from_json(meta.to_json()).to_json() == meta.to_json()


def test_optional_storage_transformers_are_ignored_and_kept():
    optional = {"name": "fancy-cache", "must_understand": False, "configuration": {"x": 1}}
    meta = ArrayMetadataV3.from_json(_doc(storage_transformers=[optional]), "arr/zarr.json")
    assert meta.chunks == (2, 3)
    assert json.loads(meta.with_shape((8, 6)).to_json())["storage_transformers"] == [optional]
    with pytest.raises(MetadataError, match=r"arr/zarr\.json.*storage transformer 'other'"):
        ArrayMetadataV3.from_json(_doc(storage_transformers=[optional, {"name": "other"}]), "arr/zarr.json")


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"zarr_format": 2}, "zarr_format"),
        ({"node_type": "group"}, "node_type"),
        ({"storage_transformers": [{"name": "sharding"}]}, "storage transformer 'sharding'"),
        ({"chunk_grid": {"name": "rectilinear", "configuration": {}}}, "chunk grid"),
        ({"future_field": {"x": 1}}, "future_field"),
        ({"future_field": {"must_understand": True}}, "future_field"),
        ({"chunk_key_encoding": {"name": "v9"}}, "chunk key encoding"),
        ({"dimension_names": ["x"]}, "dimension_names"),
        ({"shape": [4, -1]}, "shape"),
        ({"codecs": []}, "codecs"),
    ],
    ids=[
        "format",
        "node-type",
        "storage-transformer",
        "chunk-grid",
        "unknown-member",
        "must-understand-true",
        "key-encoding",
        "dim-names",
        "negative-shape",
        "no-codecs",
    ],
)
def test_array_metadata_refused_with_key(over, match):
    with pytest.raises(MetadataError, match=match) as info:
        ArrayMetadataV3.from_json(_doc(**over), "some/array/zarr.json")
    assert "some/array/zarr.json" in str(info.value)


def test_shorthand_codec_names_are_normalised():
    meta = ArrayMetadataV3.from_json(_doc(codecs=["bytes", "crc32c"]))
    assert meta.codecs == ({"name": "bytes"}, {"name": "crc32c"})


def test_group_metadata_and_consolidated():
    group = GroupMetadataV3(attributes={"title": "t"})
    child = ArrayMetadataV3.from_json(_doc())
    doc = group.to_dict()
    doc["consolidated_metadata"] = consolidate({"b/c": GroupMetadataV3(), "a": child, "b": GroupMetadataV3()})
    parsed = parse_node(json.dumps(doc).encode())
    assert isinstance(parsed, GroupMetadataV3) and parsed.attributes == {"title": "t"}
    assert list(parsed.consolidated_metadata["metadata"]) == ["a", "b", "b/c"]
    nodes = parsed.consolidated_nodes()
    assert nodes["a"] == child and isinstance(nodes["b/c"], GroupMetadataV3)
    assert json.loads(parsed.to_json())["consolidated_metadata"]["kind"] == "inline"


def test_group_refuses_other_consolidated_kind():
    raw = json.dumps({"zarr_format": 3, "node_type": "group", "consolidated_metadata": {"kind": "file"}}).encode()
    with pytest.raises(MetadataError, match="inline"):
        parse_node(raw, "g/zarr.json")
