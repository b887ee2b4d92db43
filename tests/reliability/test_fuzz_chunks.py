"""Corrupt, truncated and hostile chunks and shards: a clear ChunkDecodeError naming the
array's key, or (where corruption is undetectable: flipped bits of raw bytes, no checksum)
data of the right shape and dtype; never garbage of the wrong size, never another exception.

Every read goes both ways a chunk can be decoded: whole-chunk reads decode straight into the
output (``decode_into``), part-chunk reads decode and then select.
"""

from __future__ import annotations

import json
import os

import numcodecs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zarrlib as zarr
from zarrlib.errors import ChunkDecodeError

SCALE = float(os.environ.get("ZARRLIB_HYPOTHESIS_SCALE", "1"))
FUZZ = settings(max_examples=int(50 * SCALE), deadline=None, suppress_health_check=list(HealthCheck))

COMPRESSORS = {
    "none": None,
    "blosc-lz4": numcodecs.Blosc("lz4", shuffle=numcodecs.Blosc.SHUFFLE),
    "blosc-zstd-bitshuffle": numcodecs.Blosc("zstd", shuffle=numcodecs.Blosc.BITSHUFFLE),
    "zstd": numcodecs.Zstd(3),
    "lz4": numcodecs.LZ4(),
    "zlib": numcodecs.Zlib(1),
    "gzip": numcodecs.GZip(1),
    "bz2": numcodecs.BZ2(1),
    "lzma": numcodecs.LZMA(),
}
SHAPE, CHUNKS = (8, 8), (8, 8)
DATA = np.arange(64, dtype="<i4").reshape(SHAPE) * 7919 % 1000
CHUNK_KEY = "arr/0.0"

decode_calls = {"cases": 0}


def v2_array(name: str, filters=None) -> zarr.Array:
    store = zarr.MemoryStore()
    z = zarr.zeros(
        SHAPE, chunks=CHUNKS, dtype="<i4", compressor=COMPRESSORS[name], filters=filters, store=store, path="arr"
    )
    z[...] = DATA
    return z


def read_both_ways(z: zarr.Array) -> None:
    """Read the whole array and a part of the chunk; a result must have the right shape."""
    decode_calls["cases"] += 1
    for selection in (Ellipsis, (slice(1, 4), 2)):
        try:
            got = z[selection]
        except ChunkDecodeError as e:
            assert (z.path in str(e) and "could not be decoded" in str(e)) or "shard" in str(e), str(e)
            continue
        want = DATA[selection]
        assert got.shape == want.shape and got.dtype == want.dtype


def put(z: zarr.Array, key: str, raw: bytes) -> None:
    z.store[key] = raw


# -- v2: every compressor ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_truncated_chunk_is_an_error(name):
    z = v2_array(name)
    raw = z.store[CHUNK_KEY]
    for length in sorted({0, 1, 4, 15, 16, len(raw) // 2, len(raw) - 1}):
        if length >= len(raw):
            continue
        put(z, CHUNK_KEY, raw[:length])
        for selection in (Ellipsis, (slice(1, 4), 2)):
            try:
                got = z[selection]
            except ChunkDecodeError as e:
                assert "chunk 'arr/0.0'" in str(e)
                continue
            # only a cut into a trailer the decoder does not need (gzip's) may still read: exactly
            assert name == "gzip" and length >= len(raw) - 8, (length, len(raw))
            np.testing.assert_array_equal(got, DATA[selection])
        decode_calls["cases"] += 1


@pytest.mark.parametrize("name", list(COMPRESSORS))
@pytest.mark.parametrize("nbytes", [0, 4, 252, 260, 512])
def test_chunk_of_the_wrong_size_is_an_error(name, nbytes):
    """A valid stream of the compressor that decodes to the wrong number of bytes."""
    z = v2_array(name)
    payload = np.arange(nbytes, dtype="u1").tobytes()
    codec = COMPRESSORS[name]
    put(z, CHUNK_KEY, payload if codec is None else codec.encode(payload))
    for selection in (Ellipsis, (slice(1, 4), 2)):
        with pytest.raises(ChunkDecodeError, match=r"chunk 'arr/0\.0'"):
            z[selection]
    decode_calls["cases"] += 1


@pytest.mark.parametrize("name", [n for n in COMPRESSORS if n != "none"])
def test_chunk_compressed_by_another_codec_is_an_error(name):
    z = v2_array(name)
    other = numcodecs.Zlib(1) if name not in ("zlib",) else numcodecs.BZ2(1)
    put(z, CHUNK_KEY, other.encode(DATA.tobytes()))
    for selection in (Ellipsis, (slice(1, 4), 2)):
        with pytest.raises(ChunkDecodeError, match=r"arr/0\.0"):
            z[selection]


@FUZZ
@given(st.sampled_from(list(COMPRESSORS)), st.data())
def test_bit_flips_are_detected_or_harmless(name, data):
    z = v2_array(name)
    raw = bytearray(z.store[CHUNK_KEY])
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << data.draw(st.integers(0, 7))
    put(z, CHUNK_KEY, bytes(raw))
    read_both_ways(z)


@FUZZ
@given(st.sampled_from(list(COMPRESSORS)), st.binary(max_size=400))
def test_random_bytes_are_detected_or_harmless(name, raw):
    z = v2_array(name)
    put(z, CHUNK_KEY, raw)
    read_both_ways(z)


@FUZZ
@given(st.sampled_from(["zlib", "none"]), st.binary(max_size=300))
def test_random_bytes_through_filters(name, raw):
    z = v2_array(name, filters=[numcodecs.Delta("<i4"), numcodecs.Shuffle(4)])
    put(z, CHUNK_KEY, raw)
    read_both_ways(z)


# -- v3: crc32c must catch every flip ----------------------------------------------------------------
V3_CHAINS = {
    "bytes+crc32c": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
    "bytes+zstd+crc32c": [
        {"name": "bytes", "configuration": {"endian": "little"}},
        {"name": "zstd", "configuration": {"level": 1, "checksum": False}},
        {"name": "crc32c"},
    ],
    "transpose+bytes+gzip+crc32c": [
        {"name": "transpose", "configuration": {"order": [1, 0]}},
        {"name": "bytes", "configuration": {"endian": "big"}},
        {"name": "gzip", "configuration": {"level": 1}},
        {"name": "crc32c"},
    ],
}


def v3_array(codecs) -> zarr.Array:
    store = zarr.MemoryStore()
    z = zarr.create(SHAPE, chunks=CHUNKS, dtype="<i4", zarr_format=3, codecs=codecs, store=store, path="arr")
    z[...] = DATA
    return z


@FUZZ
@given(st.sampled_from(list(V3_CHAINS)), st.data())
def test_crc32c_detects_every_bit_flip(chain, data):
    z = v3_array(V3_CHAINS[chain])
    key = "arr/c/0/0"
    raw = bytearray(z.store[key])
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= 1 << data.draw(st.integers(0, 7))
    put(z, key, bytes(raw))
    for selection in (Ellipsis, (slice(1, 4), 2)):
        with pytest.raises(ChunkDecodeError, match="arr/c/0/0"):
            z[selection]
    decode_calls["cases"] += 1


@FUZZ
@given(st.sampled_from(list(V3_CHAINS)), st.binary(max_size=300))
def test_v3_random_chunks_are_detected(chain, raw):
    z = v3_array(V3_CHAINS[chain])
    put(z, "arr/c/0/0", raw)
    read_both_ways(z)


# -- v3 shards ------------------------------------------------------------------------------------------
INNER = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1}}]
SHARD_KEY = "arr/c/0/0"


def sharded(index_codecs=None, location="end") -> zarr.Array:
    store = zarr.MemoryStore()
    config = {"chunk_shape": [4, 4], "codecs": INNER, "index_location": location}
    if index_codecs is not None:
        config["index_codecs"] = index_codecs
    z = zarr.create(
        SHAPE,
        chunks=SHAPE,
        dtype="<i4",
        zarr_format=3,
        codecs=[{"name": "sharding_indexed", "configuration": config}],
        store=store,
        path="arr",
    )
    z[...] = DATA
    return z


RAW_INDEX = [{"name": "bytes", "configuration": {"endian": "little"}}]  # no checksum: lies get through


def _with_index(z: zarr.Array, change) -> None:
    """Rewrite the (unchecksummed, end) index of the shard with ``change(index)`` applied."""
    raw = z.store[SHARD_KEY]
    index = np.frombuffer(raw[-64:], dtype="<u8").reshape(2, 2, 2).copy()
    change(index)
    put(z, SHARD_KEY, raw[:-64] + index.tobytes())


SHARD_LIES = {
    "offset-past-end": lambda ix: ix.__setitem__((1, 1, 0), 10**6),
    "length-past-end": lambda ix: ix.__setitem__((0, 0, 1), 10**6),
    "offset-plus-length-overflows": lambda ix: ix.__setitem__((0, 1), [2**64 - 2, 5]),
    "half-empty": lambda ix: ix.__setitem__((1, 0, 0), 2**64 - 1),
    "zero-length": lambda ix: ix.__setitem__((0, 0, 1), 0),
    "inner-chunk-swapped": lambda ix: ix.__setitem__((0, 0, 1), ix[0, 0, 1] - 3),
}


@pytest.mark.parametrize("lie", list(SHARD_LIES))
def test_lying_shard_index_is_an_error(lie):
    z = sharded(RAW_INDEX)
    _with_index(z, SHARD_LIES[lie])
    for selection in (Ellipsis, (slice(0, 8), slice(0, 8)), (slice(1, 4), 2), (slice(5, 7), 6), (0, 0), (7, 7)):
        try:
            got = z[selection]
        except ChunkDecodeError as e:
            assert "arr/c/0/0" in str(e)
            continue
        # only inner chunks the lie does not touch may read, and they read right
        np.testing.assert_array_equal(got, DATA[selection])
    with pytest.raises(ChunkDecodeError, match="arr/c/0/0"):
        z[...]
    decode_calls["cases"] += 1


@pytest.mark.parametrize("location", ["start", "end"])
@pytest.mark.parametrize("checked", [True, False])
def test_shard_shorter_than_its_index(location, checked):
    z = sharded(None if checked else RAW_INDEX, location)
    for length in (0, 1, 10, 63):
        put(z, SHARD_KEY, b"\x00" * length)
        for selection in (Ellipsis, (slice(1, 4), 2)):
            with pytest.raises(ChunkDecodeError, match=r"'arr/c/0/0'.*(truncated|index)"):
                z[selection]
        decode_calls["cases"] += 1


@FUZZ
@given(st.data())
def test_checksummed_shard_index_detects_flips(data):
    z = sharded()  # default index codecs: bytes + crc32c
    raw = bytearray(z.store[SHARD_KEY])
    i = data.draw(st.integers(len(raw) - 68, len(raw) - 1))
    raw[i] ^= 1 << data.draw(st.integers(0, 7))
    put(z, SHARD_KEY, bytes(raw))
    for selection in (Ellipsis, (slice(1, 4), 2)):
        with pytest.raises(ChunkDecodeError, match="arr/c/0/0"):
            z[selection]


@FUZZ
@given(st.sampled_from(["start", "end"]), st.binary(max_size=200), st.booleans())
def test_random_shards(location, raw, checked):
    z = sharded(None if checked else RAW_INDEX, location)
    put(z, SHARD_KEY, raw)
    read_both_ways(z)


@FUZZ
@given(st.data())
def test_truncated_or_flipped_shards(data):
    z = sharded(RAW_INDEX, data.draw(st.sampled_from(["start", "end"])))
    raw = bytearray(z.store[SHARD_KEY])
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << data.draw(st.integers(0, 7))
    put(z, SHARD_KEY, bytes(raw))
    read_both_ways(z)
    # a partial write into a broken shard must fail rather than build on garbage
    try:
        z[0, 0] = 1
    except ChunkDecodeError:
        return
    assert z[0, 0] == 1


def test_corrupt_chunk_is_not_overwritten_by_a_partial_write():
    """A partial write needs the old chunk: a corrupt one stops the write, the bytes stay
    (a repair tool may still recover them)."""
    z = v2_array("zstd")
    put(z, CHUNK_KEY, b"garbage")
    with pytest.raises(ChunkDecodeError):
        z[0, 0] = 5
    assert z.store[CHUNK_KEY] == b"garbage"
    z[...] = DATA  # a whole-chunk write replaces it
    np.testing.assert_array_equal(z[...], DATA)


def test_metadata_documents_are_not_chunks():
    """A JSON document stored where a chunk belongs is a decode error, not data."""
    z = v2_array("none")
    put(z, CHUNK_KEY, json.dumps({"a": 1}).encode())
    with pytest.raises(ChunkDecodeError):
        z[...]
