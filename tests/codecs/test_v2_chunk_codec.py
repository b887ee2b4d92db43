"""The v2 chunk encoding: filters in order, then the compressor, over C- or F-ordered bytes."""

from __future__ import annotations

import json

import numcodecs
import numpy as np
import pytest

from zarrlib.codecs.v2 import V2ChunkCodec
from zarrlib.metadata.v2 import ArrayMetadataV2

SHAPE = (3, 4)


def codec(dtype="<i4", order="C", compressor=None, filters=(), shape=SHAPE) -> V2ChunkCodec:
    return V2ChunkCodec(shape, np.dtype(dtype), order, compressor, list(filters))


@pytest.mark.parametrize("order", ["C", "F"])
def test_uncompressed_bytes_are_the_chunk_in_its_order(order):
    chunk = np.arange(12, dtype="<i4").reshape(SHAPE)
    raw = codec(order=order).encode(chunk)
    assert raw == chunk.tobytes(order=order)
    decoded = codec(order=order).decode(raw)
    np.testing.assert_array_equal(decoded, chunk)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(
    "compressor",
    [None, numcodecs.Zlib(level=1), numcodecs.Blosc(cname="zstd", clevel=1, shuffle=2), numcodecs.LZ4()],
    ids=["none", "zlib", "blosc", "lz4"],
)
def test_round_trip_any_input_layout(order, compressor):
    base = np.arange(48, dtype="<f8").reshape(6, 8)
    views = {"c": base[:3, :4].copy(), "f": np.asfortranarray(base[:3, :4]), "strided": base[::2, ::2]}
    c = codec("<f8", order, compressor)
    for name, view in views.items():
        raw = c.encode(view)
        np.testing.assert_array_equal(c.decode(raw), view, err_msg=name)
        # whatever the input layout, the stored bytes are those of the chunk in the array's order
        # (Blosc gets the array, not bytes: it takes its shuffle typesize from the itemsize)
        plain = np.asarray(view, order=order)
        assert raw == (plain.tobytes(order=order) if compressor is None else compressor.encode(plain)), name


def test_filters_apply_in_order_then_reverse():
    delta = numcodecs.Delta(dtype="<i4", astype="<i2")
    scale = numcodecs.FixedScaleOffset(offset=0, scale=1, dtype="<i2", astype="<i2")
    zlib = numcodecs.Zlib(level=1)
    chunk = np.arange(12, dtype="<i4").reshape(SHAPE) * 3
    c = codec(filters=[delta, scale], compressor=zlib)
    raw = c.encode(chunk)
    assert raw == zlib.encode(scale.encode(delta.encode(chunk)))
    np.testing.assert_array_equal(c.decode(raw), chunk)


def test_decoded_size_is_checked():
    c = codec(compressor=numcodecs.Zlib())
    short = numcodecs.Zlib().encode(np.arange(5, dtype="<i4"))
    with pytest.raises(ValueError, match=r"decoded to 5 items of int32, expected 12 for chunk shape \(3, 4\)"):
        c.decode(short)


def test_decode_into_checks_blosc_header():
    blosc = numcodecs.Blosc()
    c = codec(compressor=blosc)
    assert c.decodes_into
    out = np.empty(SHAPE, dtype="<i4")
    c.decode_into(blosc.encode(np.arange(12, dtype="<i4")), out)
    np.testing.assert_array_equal(out, np.arange(12).reshape(SHAPE))
    with pytest.raises(ValueError, match="decoded to 20 bytes, expected 48"):
        c.decode_into(blosc.encode(np.arange(5, dtype="<i4")), out)
    with pytest.raises(ValueError, match="16-byte header"):
        c.decode_into(b"short", out)


def test_decodes_into_only_without_filters():
    assert not codec(compressor=None).decodes_into
    assert not codec(compressor=numcodecs.Zlib(), filters=[numcodecs.Delta("<i4")]).decodes_into
    assert not codec("|O", compressor=numcodecs.Zlib(), filters=[numcodecs.VLenUTF8()]).decodes_into


def _object_chunk(values, shape=SHAPE, order="C") -> np.ndarray:
    flat = np.empty(len(values), dtype=object)
    flat[:] = values
    return flat.reshape(shape, order=order)


@pytest.mark.parametrize("order", ["C", "F"])
def test_object_codecs_see_the_chunk_shape(order):
    """zarr-python hands filters the chunk in its shape; JSON stores it, so the bytes depend on it."""
    chunk = _object_chunk(list(range(12)), order=order)
    json_codec = numcodecs.JSON()
    raw = codec("|O", order, filters=[json_codec]).encode(chunk)
    items = json.loads(raw)
    assert items[-1] == list(SHAPE)
    np.testing.assert_array_equal(codec("|O", order, filters=[json_codec]).decode(raw), chunk)


@pytest.mark.parametrize("order", ["C", "F"])
def test_vlen_items_are_stored_in_the_array_order(order):
    chunk = _object_chunk([f"s{i}" for i in range(12)])
    raw = codec("|O", order, filters=[numcodecs.VLenUTF8()]).encode(chunk)
    items = numcodecs.VLenUTF8().decode(raw)
    assert list(items) == list(chunk.ravel(order=order))


@pytest.mark.parametrize(
    "object_codec",
    [numcodecs.VLenBytes(), numcodecs.VLenArray("<i4"), numcodecs.VLenUTF8()],
    ids=["vlen-bytes", "vlen-array", "vlen-utf8"],
)
def test_read_only_object_chunk_encodes(object_codec):
    values = {
        "vlen-bytes": [b"a", b""] * 6,
        "vlen-array": [np.arange(i % 3, dtype="<i4") for i in range(12)],
        "vlen-utf8": ["x", ""] * 6,
    }[object_codec.codec_id]
    chunk = _object_chunk(values)
    chunk.flags.writeable = False
    c = codec("|O", filters=[object_codec])
    decoded = c.decode(c.encode(chunk))
    for got, want in zip(decoded.ravel(), chunk.ravel(), strict=True):
        assert np.array_equal(got, want) if isinstance(want, np.ndarray) else got == want


def test_from_metadata_builds_codecs_and_names_the_field():
    meta = ArrayMetadataV2.from_json(
        json.dumps(
            {
                "zarr_format": 2,
                "shape": [10],
                "chunks": [5],
                "dtype": "<i4",
                "compressor": {"id": "zlib", "level": 1},
                "fill_value": 0,
                "order": "F",
                "filters": [{"id": "delta", "dtype": "<i4"}],
            }
        ).encode()
    )
    c = V2ChunkCodec.from_metadata(meta)
    assert (c.chunk_shape, c.order, c.dtype) == ((5,), "F", np.dtype("<i4"))
    assert isinstance(c.compressor, numcodecs.Zlib) and isinstance(c.filters[0], numcodecs.Delta)
    bad = ArrayMetadataV2(meta.shape, meta.chunks, meta.dtype, {"id": "pickle"}, 0)
    with pytest.raises(ValueError, match="compressor: codec 'pickle'"):
        V2ChunkCodec.from_metadata(bad)
    assert V2ChunkCodec.from_metadata(bad, allow_pickle=True).compressor.codec_id == "pickle"


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", ["<f8", "<i2", "|u1", "<M8[s]", "|S5", "<c16", [("a", "<i4"), ("b", "<f8")]], ids=str)
@pytest.mark.parametrize("typesize", [None, 4], ids=["typesize-default", "typesize-4"])
def test_blosc_chunks_encode_to_the_bytes_of_blosc_encode(dtype, order, typesize):
    """encode calls Blosc's compress() directly: the stored bytes must stay Blosc.encode's."""
    blosc = numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE, typesize=typesize)
    c = codec(dtype=dtype, order=order, compressor=blosc, shape=(30, 40))
    nbytes = 30 * 40 * np.dtype(dtype).itemsize
    data = (np.arange(nbytes, dtype=np.uint64) * 7 % 251).astype(np.uint8)
    chunk = np.asarray(data.view(dtype).reshape(30, 40), order=order)
    assert c.encode(chunk) == blosc.encode(np.asarray(chunk, order=order))
    strided = np.zeros((60, 40), dtype=dtype)[::2]  # (a view of the value being written)
    strided[...] = chunk
    assert c.encode(strided) == blosc.encode(np.asarray(strided, order=order))
    decoded = np.empty((30, 40), dtype=dtype, order=order)
    c.decode_into(c.encode(chunk), decoded)
    assert decoded.tobytes() == chunk.tobytes()
