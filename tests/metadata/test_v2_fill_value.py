"""Fill values in the JSON forms of the Zarr v2 spec, both directions."""

from __future__ import annotations

import base64
import json
import math

import numcodecs
import numpy as np
import pytest

from zarrlib.errors import MetadataError
from zarrlib.metadata.fill_value import decode_fill_value, encode_fill_value, normalize_fill_value

STRUCT = np.dtype([("a", "<i4"), ("b", "<f8")])
NESTED = np.dtype([("p", [("x", "u1"), ("y", ">i2")]), ("q", "<f4", (2,))])


def b64(raw: bytes) -> str:
    return base64.standard_b64encode(raw).decode("ascii")


# (dtype, value as given to create(), the JSON the spec and zarr-python write)
ENCODINGS = [
    ("<f8", math.nan, "NaN"),
    ("<f4", math.inf, "Infinity"),
    (">f8", -math.inf, "-Infinity"),
    ("<f2", -0.5, -0.5),
    ("<f8", 0, 0.0),
    ("<f4", 0.1, float(np.float32(0.1))),
    ("<c16", complex(1.5, -2), [1.5, -2.0]),
    ("<c8", complex(math.nan, math.inf), ["NaN", "Infinity"]),
    ("<i4", -7, -7),
    ("<u8", 2**64 - 1, 2**64 - 1),
    ("<i8", -(2**63), -(2**63)),
    ("|b1", True, True),
    ("|b1", 0, False),
    ("<M8[s]", "2020-01-02T03:04:05", 1577934245),
    (">M8[ms]", np.datetime64(1, "ms"), 1),
    ("<M8[ns]", "NaT", -(2**63)),
    ("<m8[D]", np.timedelta64(-3, "D"), -3),
    ("|S4", b"ab\x00c", b64(b"ab\x00c")),
    ("|S4", b"ab", b64(b"ab")),  # the bytes value, trailing NULs dropped, as zarr-python writes
    ("|S4", 0, ""),
    ("<U3", "zé", "zé"),
    ("<U3", 0, ""),
    (STRUCT, (3, 2.5), b64(np.array((3, 2.5), dtype=STRUCT).tobytes())),
    (STRUCT, 0, b64(bytes(12))),
    (NESTED, ((1, -2), [0.5, 1.5]), b64(np.array(((1, -2), [0.5, 1.5]), dtype=NESTED).tobytes())),
    ("<i4", None, None),
    (STRUCT, None, None),
]
ENCODING_IDS = [f"{np.dtype(d).str if np.dtype(d).fields is None else 'struct'}-{v!r}" for d, v, _ in ENCODINGS]


@pytest.mark.parametrize(("dtype", "value", "expected"), ENCODINGS, ids=ENCODING_IDS)
def test_encode(dtype, value, expected):
    dtype = np.dtype(dtype)
    encoded = encode_fill_value(normalize_fill_value(value, dtype), dtype)
    assert json.dumps(encoded) == json.dumps(expected)  # also: no numpy types left, NaN as a string


@pytest.mark.parametrize(("dtype", "value", "expected"), ENCODINGS, ids=ENCODING_IDS)
def test_decode_round_trips_bit_for_bit(dtype, value, expected):
    dtype = np.dtype(dtype)
    decoded = decode_fill_value(json.loads(json.dumps(expected)), dtype)
    if value is None:
        assert decoded is None
        return
    want = normalize_fill_value(value, dtype)
    assert np.asarray(decoded, dtype=dtype).tobytes() == np.asarray(want, dtype=dtype).tobytes()


@pytest.mark.parametrize(
    ("dtype", "encoded", "expected"),
    [
        ("<f8", "0x7ff8000000000000", math.nan),  # zarr v3's hex form, accepted on read
        ("<f4", "0x3fc00000", 1.5),
        ("<i4", 7.0, 7),  # integral float
        ("|b1", 1, True),
        ("<M8[D]", "2001-02-03", np.datetime64("2001-02-03")),
        ("|S3", 0, b""),  # arrays from before base64, as zarr-python 2 accepts
    ],
    ids=["hex-nan", "hex-f4", "int-as-float", "bool-as-int", "datetime-string", "bytes-legacy-0"],
)
def test_lenient_decoding(dtype, encoded, expected):
    decoded = decode_fill_value(encoded, np.dtype(dtype))
    assert np.asarray(decoded, dtype=dtype).tobytes() == np.asarray(expected, dtype=dtype).tobytes()


BAD_DECODE = [
    ("<i4", "abc", "expected an integer"),
    ("<i4", 1.5, "expected an integer"),
    ("<i4", True, "expected an integer"),
    ("|u1", 256, "out of range"),
    ("|i1", -129, "out of range"),
    ("<f8", "nan", "unrecognised float"),
    ("<f8", [1.0], "expected a number"),
    ("<c16", 1.0, "expected [real, imag]"),
    ("<c16", [1.0], "expected [real, imag]"),
    ("|b1", "yes", "expected a boolean"),
    ("|S3", "not base64!", "cannot decode"),
    (STRUCT, b64(b"short"), "expected 12 bytes"),
    (STRUCT, 0, "cannot decode"),
]


@pytest.mark.parametrize(
    ("dtype", "encoded", "why"), BAD_DECODE, ids=[f"{np.dtype(d).str}-{e!r}" for d, e, _ in BAD_DECODE]
)
def test_bad_fill_value_is_a_metadata_error_naming_key_and_field(dtype, encoded, why):
    with pytest.raises(MetadataError) as info:
        decode_fill_value(encoded, np.dtype(dtype), where="'arr/.zarray': fill_value")
    message = str(info.value)
    assert message.startswith("'arr/.zarray': fill_value:")
    assert repr(encoded) in message
    assert why in message


@pytest.mark.parametrize(
    ("dtype", "value"),
    [("|u1", 256), ("|u1", -1), ("<i4", "x"), ("<f8", "1.5x"), ("<i4", math.nan), ("<i2", math.inf)],
    ids=["u1-256", "u1-neg", "i4-str", "f8-str", "i4-nan", "i2-inf"],
)
def test_unstorable_fill_value_on_create(dtype, value):
    with pytest.raises(ValueError, match="fill_value"):
        normalize_fill_value(value, np.dtype(dtype))


# Object arrays: zarr-python 2 stores the fill value as plain JSON, zarr-python 3 stores a
# VLenBytes fill value as base64 of the bytes.
OBJECT = [
    (numcodecs.VLenUTF8(), "", ""),
    (numcodecs.VLenUTF8(), "zé", "zé"),
    (numcodecs.JSON(), 0, 0),
    (numcodecs.MsgPack(), 1.5, 1.5),
    (numcodecs.VLenBytes(), b"", ""),
    (numcodecs.VLenBytes(), b"\x00ab", b64(b"\x00ab")),
    (numcodecs.VLenUTF8(), None, None),
]


@pytest.mark.parametrize(("codec", "value", "encoded"), OBJECT, ids=[f"{c.codec_id}-{v!r}" for c, v, _ in OBJECT])
def test_object_fill_values(codec, value, encoded):
    dtype = np.dtype(object)
    assert encode_fill_value(value, dtype, codec) == encoded
    assert encode_fill_value(value, dtype, codec.get_config()) == encoded  # config dicts work too
    decoded = decode_fill_value(encoded, dtype, codec.get_config())
    assert type(decoded) is type(value) and decoded == value


@pytest.mark.parametrize(
    ("codec", "value"),
    [(numcodecs.VLenUTF8(), b"raw"), (numcodecs.JSON(), [1, 2]), (numcodecs.JSON(), object())],
    ids=["bytes-without-vlen-bytes", "list", "object"],
)
def test_object_fill_value_without_json_form(codec, value):
    with pytest.raises(ValueError, match="fill value"):
        encode_fill_value(value, np.dtype(object), codec)


def test_object_fill_value_must_be_a_scalar_in_json():
    with pytest.raises(MetadataError, match="fill_value"):
        decode_fill_value({"a": 1}, np.dtype(object), {"id": "json2"})
    with pytest.raises(MetadataError, match="base64"):
        decode_fill_value(5, np.dtype(object), {"id": "vlen-bytes"})
