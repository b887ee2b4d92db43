"""The v3 codec chain: each codec round-trips, configs are validated, the chain order is checked."""

from __future__ import annotations

import numcodecs
import numpy as np
import pytest

from zarrlib.codecs.v3 import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    NumcodecsCodec,
    TransposeCodec,
    V3ChunkCodec,
    VLenUTF8Codec,
    ZstdCodec,
    codec_from_user,
    parse_codec,
    parse_codecs,
)
from zarrlib.errors import CodecError

RNG = np.random.default_rng(42)

CHAINS = {
    "bytes": ("i4", [{"name": "bytes", "configuration": {"endian": "little"}}]),
    "bytes-big": ("f8", [{"name": "bytes", "configuration": {"endian": "big"}}]),
    "bytes-u1-no-endian": ("u1", [{"name": "bytes"}]),
    "transpose": ("i2", [{"name": "transpose", "configuration": {"order": [1, 0, 2]}}, {"name": "bytes"}]),
    "blosc-shuffle": (
        "f4",
        [
            "bytes",
            {"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "shuffle", "typesize": 4}},
        ],
    ),
    "blosc-bitshuffle": (
        "u2",
        [
            "bytes",
            {
                "name": "blosc",
                "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "bitshuffle", "typesize": 2, "blocksize": 0},
            },
        ],
    ),
    "blosc-noshuffle": (
        "u1",
        ["bytes", {"name": "blosc", "configuration": {"cname": "blosclz", "clevel": 1, "shuffle": "noshuffle"}}],
    ),
    "gzip": ("i8", ["bytes", {"name": "gzip", "configuration": {"level": 6}}]),
    "zstd-checksum": ("i4", ["bytes", {"name": "zstd", "configuration": {"level": 3, "checksum": True}}]),
    "crc32c": ("f4", ["bytes", "crc32c"]),
    "zstd-then-crc32c": ("c8", ["bytes", {"name": "zstd", "configuration": {"level": 1}}, {"name": "crc32c"}]),
    "numcodecs-delta": ("i4", [{"name": "numcodecs.delta", "configuration": {"dtype": "<i4"}}, "bytes"]),
    "numcodecs-fixedscaleoffset": (
        "f8",
        [
            {
                "name": "numcodecs.fixedscaleoffset",
                "configuration": {"scale": 1, "offset": 0, "dtype": "<f8", "astype": "<i8"},
            },
            "bytes",
        ],
    ),
    "numcodecs-astype": (
        "f8",
        [{"name": "numcodecs.astype", "configuration": {"encode_dtype": "<f4", "decode_dtype": "<f8"}}, "bytes"],
    ),
    "numcodecs-packbits": ("bool", [{"name": "numcodecs.packbits"}, "bytes"]),
    "numcodecs-zlib": ("i2", ["bytes", {"name": "numcodecs.zlib", "configuration": {"level": 1}}]),
    "numcodecs-shuffle": ("i4", ["bytes", {"name": "numcodecs.shuffle", "configuration": {"elementsize": 4}}]),
    "numcodecs-lz4": ("u8", ["bytes", {"name": "numcodecs.lz4", "configuration": {"acceleration": 1}}]),
    "sharded": (
        "i4",
        [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [2, 3, 2],
                    "codecs": ["bytes", {"name": "zstd", "configuration": {"level": 0}}],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, "crc32c"],
                },
            }
        ],
    ),
    "transpose-then-sharded": (
        "f4",
        [
            {"name": "transpose", "configuration": {"order": [2, 1, 0]}},
            {"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 3, 2], "index_location": "start"}},
        ],
    ),
}


def _sample(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return RNG.random(shape) > 0.5
    if dtype.kind == "c":
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)
    if dtype.kind == "f":
        return np.round(RNG.standard_normal(shape) * 100).astype(dtype)
    return RNG.integers(0, 100, shape).astype(dtype)


@pytest.mark.parametrize("name", list(CHAINS))
def test_chain_round_trip(name):
    dtype, chain = CHAINS[name]
    shape = (4, 6, 2)
    codec = V3ChunkCodec(shape, np.dtype(dtype), parse_codecs(chain), fill_value=np.zeros((), dtype)[()])
    data = _sample(dtype, shape)
    encoded = codec.encode(data)
    assert isinstance(encoded, bytes)
    decoded = codec.decode(encoded)
    np.testing.assert_array_equal(decoded, data)
    assert decoded.shape == shape and decoded.dtype == np.dtype(dtype)
    # the chain's JSON form parses back to the same codecs
    assert V3ChunkCodec(shape, np.dtype(dtype), parse_codecs(codec.to_json())).to_json() == codec.to_json()


def test_decode_into_matches_decode():
    codec = V3ChunkCodec((3, 4), np.dtype("i4"), parse_codecs(["bytes"]))
    data = np.arange(12, dtype="i4").reshape(3, 4)
    out = np.empty((3, 4), "i4")
    assert codec.decodes_into
    codec.decode_into(codec.encode(data), out)
    np.testing.assert_array_equal(out, data)


def test_big_endian_bytes_are_big_endian():
    codec = V3ChunkCodec((2,), np.dtype("u2"), parse_codecs([{"name": "bytes", "configuration": {"endian": "big"}}]))
    assert codec.encode(np.array([1, 2], "u2")) == b"\x00\x01\x00\x02"


def test_vlen_utf8_round_trip():
    codec = V3ChunkCodec((2, 2), np.dtype(object), [VLenUTF8Codec(), ZstdCodec()], fill_value="")
    data = np.array([["a", ""], ["ünï", "long" * 10]], dtype=object)
    np.testing.assert_array_equal(codec.decode(codec.encode(data)), data)


def test_blosc_typesize_filled_from_dtype():
    codec = V3ChunkCodec((8,), np.dtype("f8"), [BytesCodec(), BloscCodec()])
    assert codec.to_json()[1]["configuration"]["typesize"] == 8


def test_crc32c_detects_corruption():
    codec = V3ChunkCodec((4,), np.dtype("i4"), [BytesCodec(), Crc32cCodec()])
    raw = bytearray(codec.encode(np.arange(4, dtype="i4")))
    raw[0] ^= 0xFF
    with pytest.raises(ValueError, match="crc32c"):
        codec.decode(bytes(raw))


@pytest.mark.parametrize(
    ("chain", "match"),
    [
        (["crc32c", "bytes"], "before any array -> bytes"),
        (["bytes", "bytes"], "after the array -> bytes"),
        (["bytes", {"name": "transpose", "configuration": {"order": [0]}}], "after the array -> bytes"),
        ([{"name": "transpose", "configuration": {"order": [0]}}], "needs an array -> bytes"),
        (["vlen-utf8"], "variable-length"),
        ([{"name": "sharding_indexed", "configuration": {"chunk_shape": [3]}}], "divisible"),
    ],
    ids=["bb-first", "two-ab", "aa-after-ab", "no-ab", "vlen-on-numbers", "shard-not-divisible"],
)
def test_chain_validated_at_construction(chain, match):
    with pytest.raises(CodecError, match=match):
        V3ChunkCodec((4,), np.dtype("i4"), parse_codecs(chain), where="array '/x': ")


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"name": "gzip", "configuration": {"level": 12}}, "gzip level must be an integer 0..9, got 12"),
        ({"name": "zstd", "configuration": {"level": 99}}, "zstd level"),
        ({"name": "zstd", "configuration": {"level": 1, "bogus": 2}}, "unknown configuration keys"),
        ({"name": "blosc", "configuration": {"cname": "nope"}}, "cname"),
        ({"name": "blosc", "configuration": {"shuffle": 1}}, "shuffle"),
        ({"name": "bytes", "configuration": {"endian": "middle"}}, "endian"),
        ({"name": "transpose", "configuration": {"order": [0, 0]}}, "permutation"),
        (
            {"name": "sharding_indexed", "configuration": {"chunk_shape": [2], "index_location": "middle"}},
            "index_location",
        ),
        ({"name": "no-such-codec"}, "unknown codec 'no-such-codec'"),
        ({"name": "numcodecs.no-such-codec"}, "no-such-codec"),
    ],
    ids=[
        "gzip-level",
        "zstd-level",
        "extra-key",
        "blosc-cname",
        "blosc-shuffle-int",
        "endian",
        "transpose",
        "index-location",
        "unknown",
        "unknown-numcodecs",
    ],
)
def test_codec_config_refused(config, match):
    with pytest.raises(CodecError, match=match):
        parse_codec(config)


def test_unknown_codec_that_need_not_be_understood_is_skipped():
    assert parse_codec({"name": "fancy-hint", "must_understand": False}) is None
    assert len(parse_codecs(["bytes", {"name": "fancy-hint", "must_understand": False}])) == 1


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE),
            BloscCodec("zstd", 3, "bitshuffle", 4, 0),
        ),
        (numcodecs.Blosc(shuffle=numcodecs.Blosc.AUTOSHUFFLE), BloscCodec("lz4", 5, "shuffle", 4, 0)),
        (numcodecs.Zstd(level=5), ZstdCodec(5, False)),
        (numcodecs.GZip(level=2), GzipCodec(2)),
        (numcodecs.CRC32C(), Crc32cCodec()),
        (numcodecs.Delta(dtype="<i4"), NumcodecsCodec("delta", {"dtype": "<i4", "astype": "<i4"}, "array -> array")),
        ({"name": "transpose", "configuration": {"order": [1, 0]}}, TransposeCodec((1, 0))),
    ],
    ids=["blosc", "blosc-autoshuffle", "zstd", "gzip", "crc32c", "delta", "json"],
)
def test_codec_from_user(obj, expected):
    codec = codec_from_user(obj, itemsize=4)
    assert codec == expected
    assert codec.to_json()["name"] == expected.to_json()["name"]


def test_numcodecs_delta_json_name():
    assert codec_from_user(numcodecs.Delta(dtype="<i4")).to_json() == {
        "name": "numcodecs.delta",
        "configuration": {"dtype": "<i4", "astype": "<i4"},
    }
