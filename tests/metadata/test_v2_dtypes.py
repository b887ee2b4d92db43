"""Zarr v2 dtype strings: parsed into NumPy dtypes, written back in the spec's form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrlib.errors import MetadataError
from zarrlib.metadata.dtypes import encode_dtype, normalize_dtype, parse_dtype

# (JSON form as the spec and zarr-python write it, the NumPy dtype it means)
CANONICAL = [
    ("|b1", np.dtype(bool)),
    ("|i1", np.dtype("int8")),
    ("|u1", np.dtype("uint8")),
    ("<i2", np.dtype("<i2")),
    ("<i4", np.dtype("<i4")),
    (">i4", np.dtype(">i4")),
    ("<u8", np.dtype("<u8")),
    ("<f2", np.dtype("float16")),
    ("<f4", np.dtype("<f4")),
    (">f8", np.dtype(">f8")),
    ("<c8", np.dtype("complex64")),
    (">c16", np.dtype(">c16")),
    ("<M8[ns]", np.dtype("datetime64[ns]")),
    (">M8[D]", np.dtype(">M8[D]")),
    ("<m8[ms]", np.dtype("timedelta64[ms]")),
    ("<m8[s]", np.dtype("timedelta64[s]")),
    ("|S12", np.dtype("S12")),
    ("<U4", np.dtype("<U4")),
    (">U4", np.dtype(">U4")),
    ("|V7", np.dtype("V7")),
    ("|O", np.dtype(object)),
    ([["r", "|u1"], ["g", "|u1"], ["b", "|u1"]], np.dtype([("r", "u1"), ("g", "u1"), ("b", "u1")])),
    ([["x", "<f4"], ["y", "<f4"], ["z", "<f4", [2, 2]]], np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4", (2, 2))])),
    (
        [["foo", "<f4"], ["bar", [["baz", "<f4"], ["qux", "<i4"]]]],
        np.dtype([("foo", "<f4"), ("bar", [("baz", "<f4"), ("qux", "<i4")])]),
    ),
    ([["a", ">i8"], ["s", "|S3", [2]]], np.dtype([("a", ">i8"), ("s", "S3", (2,))])),
]
CANONICAL_IDS = [json.dumps(j) if isinstance(j, list) else j for j, _ in CANONICAL]


@pytest.mark.parametrize(("json_form", "dtype"), CANONICAL, ids=CANONICAL_IDS)
def test_parse_spec_form(json_form, dtype):
    parsed = parse_dtype(json_form)
    assert parsed == dtype
    assert parsed.str == dtype.str  # byte order kept, not just equality of kinds


@pytest.mark.parametrize(("json_form", "dtype"), CANONICAL, ids=CANONICAL_IDS)
def test_encode_spec_form(json_form, dtype):
    encoded = encode_dtype(dtype)
    assert encoded == json_form
    assert json.loads(json.dumps(encoded)) == json_form  # JSON-serialisable as it is


@pytest.mark.parametrize(
    ("given", "expected"),
    [("int32", "<i4"), ("i4", "<i4"), ("float64", "<f8"), ("bool", "|b1"), ("M8[us]", "<M8[us]"), ("B", "|u1")],
    ids=["int32", "i4", "float64", "bool", "M8-us", "B"],
)
def test_lenient_on_read_canonical_on_write(given, expected):
    """zarr-python reads any NumPy typestr; zarrlib writes it back with its byte order."""
    assert encode_dtype(parse_dtype(given)) == expected


BAD = [
    ("<i3", "not understood"),
    ("foo", "not understood"),
    ("<M8", "need a unit"),
    ("<m8", "need a unit"),
    ("|S0", "no size"),
    ("<U0", "no size"),
    (42, "expected a string or a list"),
    (None, "expected a string or a list"),
    ({"a": "<i4"}, "expected a string or a list"),
    ([["a"]], "must be [name, dtype]"),
    ([["a", "<i4", [2], "extra"]], "must be [name, dtype]"),
    ([[1, "<i4"]], "names must be strings"),
    ([["a", 4]], "dtype must be a string or a list"),
    ([["a", "<i4", "2"]], "subarray shape must be a list of integers"),
    ([["a", "<i4", [2.5]]], "subarray shape must be a list of integers"),
    ([["a", "<i4"], ["a", "<f8"]], "a"),
    ([["t", "<M8"]], "need a unit"),
    ([["n", [["deep", "<q7"]]]], "q7"),
]


@pytest.mark.parametrize(("value", "why"), BAD, ids=[repr(v) for v, _ in BAD])
def test_bad_dtype_is_a_metadata_error_naming_the_field(value, why):
    with pytest.raises(MetadataError) as info:
        parse_dtype(value, where="'arr/.zarray': dtype")
    message = str(info.value)
    assert message.startswith("'arr/.zarray': dtype:")
    assert repr(value) in message
    assert why in message


@pytest.mark.parametrize("dtype", ["M8", "S", "U", "V0", "<i3"], ids=["M8", "S", "U", "V0", "i3"])
def test_creating_with_an_unstorable_dtype_is_a_value_error(dtype):
    with pytest.raises(ValueError, match=repr(dtype)):
        normalize_dtype(dtype)


@pytest.mark.parametrize(
    ("given", "codec_id"),
    [(str, "vlen-utf8"), ("str", "vlen-utf8"), (bytes, "vlen-bytes"), ("array:i4", "vlen-array")],
    ids=["str", "'str'", "bytes", "array:i4"],
)
def test_variable_length_shorthands(given, codec_id):
    dtype, codec = normalize_dtype(given)
    assert dtype == np.dtype(object)
    assert codec.codec_id == codec_id


def test_object_dtype_without_codec_is_refused():
    with pytest.raises(ValueError, match="object_codec"):
        normalize_dtype(object)
