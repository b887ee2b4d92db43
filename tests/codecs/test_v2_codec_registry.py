"""numcodecs glue: building codecs from stored configs, their one-line reports, the LZMA
adapter, the pickle guard, and custom codecs registered with numcodecs."""

from __future__ import annotations

import lzma

import numcodecs
import numpy as np
import pytest
from numcodecs.abc import Codec
from numcodecs.compat import ensure_ndarray, ndarray_copy

import zarrlib
from zarrlib.codecs import registry
from zarrlib.codecs.registry import build_codec, describe_codec
from zarrlib.errors import CodecError

TUTORIAL_LZMA_FILTERS = [dict(id=lzma.FILTER_DELTA, dist=4), dict(id=lzma.FILTER_LZMA2, preset=1)]

DESCRIPTIONS = [
    # the tutorial's forms
    (numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1), "Blosc(cname='lz4', clevel=5, shuffle=1)"),
    (numcodecs.Blosc(), "Blosc(cname='lz4', clevel=5, shuffle=1)"),
    (numcodecs.Blosc(cname="zstd", clevel=3, shuffle=2), "Blosc(cname='zstd', clevel=3, shuffle=2)"),
    (numcodecs.Zlib(level=1), "Zlib(level=1)"),
    (numcodecs.Delta(dtype="i4"), "Delta(dtype=int32)"),
    (
        numcodecs.LZMA(filters=TUTORIAL_LZMA_FILTERS),
        "LZMA(format=1, check=-1, preset=None, filters=[{'dist': 4, 'id': 3}, {'preset': 1, 'id': 33}])",
    ),
    # the same rules for the rest
    (
        numcodecs.Blosc(cname="zstd", clevel=1, shuffle=0, blocksize=256),
        "Blosc(cname='zstd', clevel=1, shuffle=0, blocksize=256)",
    ),
    (numcodecs.LZMA(preset=6), "LZMA(format=1, check=-1, preset=6, filters=None)"),
    (numcodecs.Delta(dtype="<i8", astype="<i2"), "Delta(dtype=int64, astype=int16)"),
    (numcodecs.Delta(dtype=">i4"), "Delta(dtype='>i4')"),  # byte order shown when not native
    (
        numcodecs.FixedScaleOffset(offset=1000, scale=10, dtype="f8", astype="u1"),
        "FixedScaleOffset(scale=10, offset=1000, dtype=float64, astype=uint8)",
    ),
    (numcodecs.Quantize(digits=1, dtype="f8"), "Quantize(digits=1, dtype=float64)"),
    (numcodecs.AsType(encode_dtype="f4", decode_dtype="f8"), "AsType(encode_dtype=float32, decode_dtype=float64)"),
    (
        numcodecs.Categorize(labels=["a", "b"], dtype=object),
        "Categorize(dtype=object, astype=uint8, labels=['a', 'b'])",
    ),
    (numcodecs.PackBits(), "PackBits()"),
    (numcodecs.GZip(level=5), "GZip(level=5)"),
    (numcodecs.BZ2(level=9), "BZ2(level=9)"),
    (numcodecs.Zstd(level=3), "Zstd(level=3)"),
    (numcodecs.LZ4(acceleration=1), "LZ4(acceleration=1)"),
    (numcodecs.VLenUTF8(), "VLenUTF8()"),
    (numcodecs.VLenArray("<i4"), "VLenArray(dtype=int32)"),
]


@pytest.mark.parametrize(("codec", "text"), DESCRIPTIONS, ids=[t for _, t in DESCRIPTIONS])
def test_describe_codec(codec, text):
    assert describe_codec(codec) == text


def test_describe_codec_is_one_line():
    text = describe_codec(numcodecs.JSON())
    assert "\n" not in text and "  " not in text
    assert text.startswith("JSON(encoding='utf-8', ")


def test_tutorial_lzma_example_round_trips():
    """The tutorial's LZMA-with-delta array (scaled down) writes, reads back and reports as shown."""
    data = np.arange(400_000, dtype="i4").reshape(400, 1000)
    z = zarrlib.array(data, chunks=(100, 100), compressor=zarrlib.LZMA(filters=TUTORIAL_LZMA_FILTERS))
    lines = repr(z).splitlines()
    assert lines[2] == (
        "  compressor: LZMA(format=1, check=-1, preset=None, filters=[{'dist': 4, 'id': 3}, {'preset': 1, 'id': 33}])"
    )
    assert z.nbytes_stored < z.nbytes / 100  # the delta filter makes arange compress very well
    np.testing.assert_array_equal(z[...], data)
    again = zarrlib.Array(z.store)  # a fresh open builds the codec from the stored config
    np.testing.assert_array_equal(again[...], data)
    # the chunks are plain xz streams that name their own filters
    chunk = np.frombuffer(lzma.decompress(z.store["1.2"]), dtype="i4").reshape(100, 100)
    np.testing.assert_array_equal(chunk, data[100:200, 200:300])


def test_tutorial_filters_report():
    z = zarrlib.array(
        np.arange(10_000, dtype="i4").reshape(100, 100),
        chunks=(10, 10),
        filters=[zarrlib.Delta(dtype="i4")],
        compressor=zarrlib.Blosc(cname="zstd", clevel=1, shuffle=1),
    )
    lines = repr(z).splitlines()
    assert lines[2:4] == ["  filters: Delta(dtype=int32)", "  compressor: Blosc(cname='zstd', clevel=1, shuffle=1)"]


def test_lzma_adapter_only_where_needed():
    config = numcodecs.LZMA(filters=TUTORIAL_LZMA_FILTERS).get_config()
    adapted = build_codec(config)
    assert isinstance(adapted, numcodecs.LZMA)
    assert adapted.get_config() == config  # stores exactly what the user asked for
    assert repr(adapted).startswith("LZMA(format=1,")
    assert type(build_codec(numcodecs.LZMA().get_config())) is numcodecs.LZMA
    raw_format = {
        "id": "lzma",
        "format": lzma.FORMAT_RAW,
        "check": -1,
        "preset": None,
        "filters": TUTORIAL_LZMA_FILTERS,
    }
    raw_codec = build_codec(raw_format)  # raw streams need the filters to decode: numcodecs as is
    assert type(raw_codec) is numcodecs.LZMA
    data = np.arange(1000, dtype="i4")
    assert np.array_equal(np.frombuffer(raw_codec.decode(raw_codec.encode(data)), "i4"), data)
    out = np.empty(1000, dtype="i4")
    adapted.decode(adapted.encode(data), out=out)  # decode into a buffer works too
    assert np.array_equal(out, data)


@pytest.mark.parametrize(
    ("config", "allow", "ok"),
    [({"id": "pickle"}, False, False), ({"id": "pickle"}, True, True), ({"id": "zlib", "level": 1}, False, True)],
    ids=["pickle-refused", "pickle-allowed", "zlib"],
)
def test_pickle_guard(config, allow, ok):
    if ok:
        assert build_codec(config, allow_pickle=allow).codec_id == config["id"]
    else:
        with pytest.raises(CodecError, match=r"compressor: codec 'pickle' runs code .* allow_pickle=True"):
            build_codec(config, allow_pickle=allow, where="compressor: ")


@pytest.mark.parametrize(
    ("config", "why"),
    [
        ({"id": "no-such-codec"}, "filters[0]: unknown codec id 'no-such-codec'"),
        ({"id": "zlib", "lvl": 1}, "filters[0]: invalid config {'id': 'zlib', 'lvl': 1} for codec 'zlib'"),
    ],
    ids=["unknown", "bad-argument"],
)
def test_bad_config_is_a_codec_error(config, why):
    with pytest.raises(CodecError) as info:
        build_codec(config, where="filters[0]: ")
    assert why in str(info.value)
    assert isinstance(info.value, ValueError)


class AddConstant(Codec):
    """A custom filter written only against numcodecs' interface: adds ``k`` on encode."""

    codec_id = "zarrlib-test-add-constant"

    def __init__(self, k: int, dtype: str) -> None:
        self.k = k
        self.dtype = np.dtype(dtype).str

    def encode(self, buf):
        return ensure_ndarray(buf).view(self.dtype) + self.k

    def decode(self, buf, out=None):
        decoded = ensure_ndarray(buf).view(self.dtype) - self.k
        return ndarray_copy(decoded, out)

    def get_config(self):
        return {"id": self.codec_id, "k": self.k, "dtype": self.dtype}


@pytest.fixture
def add_constant_registered():
    numcodecs.register_codec(AddConstant)
    yield AddConstant
    numcodecs.registry.codec_registry.pop(AddConstant.codec_id, None)


def test_custom_registered_filter(add_constant_registered, tmp_path):
    data = np.arange(24, dtype="i4").reshape(4, 6)
    path = str(tmp_path / "custom.zarr")
    z = zarrlib.open_array(
        path, mode="w", shape=data.shape, chunks=(2, 3), dtype="i4", compressor=None, filters=[AddConstant(100, "<i4")]
    )
    z[...] = data
    assert repr(z).splitlines()[2] == "  filters: AddConstant(dtype=int32, k=100)"  # numcodecs' repr, dtype named
    # the stored chunk is what the filter made of it
    stored = np.frombuffer((tmp_path / "custom.zarr" / "1.1").read_bytes(), dtype="<i4").reshape(2, 3)
    np.testing.assert_array_equal(stored, data[2:4, 3:6] + 100)
    # a fresh open finds the codec through numcodecs' registry
    again = zarrlib.open_array(path, mode="r")
    assert isinstance(again.filters[0], AddConstant) and again.filters[0].k == 100
    np.testing.assert_array_equal(again[...], data)


def test_unregistered_custom_filter_is_a_clear_error(tmp_path):
    numcodecs.register_codec(AddConstant)
    path = str(tmp_path / "custom.zarr")
    z = zarrlib.open_array(path, mode="w", shape=4, chunks=2, dtype="i4", filters=[AddConstant(1, "<i4")])
    z[...] = 5
    numcodecs.registry.codec_registry.pop(AddConstant.codec_id)
    with pytest.raises(zarrlib.MetadataError, match="filters\\[0\\]: unknown codec id 'zarrlib-test-add-constant'"):
        zarrlib.open_array(path, mode="r")


TUTORIAL_NAMES = [
    "Blosc", "Zlib", "GZip", "BZ2", "LZMA", "Zstd", "LZ4", "Delta", "FixedScaleOffset", "Quantize",
    "PackBits", "Categorize", "AsType", "VLenUTF8", "VLenBytes", "VLenArray", "JSON", "MsgPack", "Pickle",
]  # fmt: skip


@pytest.mark.parametrize("name", TUTORIAL_NAMES)
def test_numcodecs_classes_exported_as_they_are(name):
    assert getattr(zarrlib.codecs, name) is getattr(numcodecs, name)
    assert getattr(zarrlib, name) is getattr(numcodecs, name)


def test_registry_module_names():
    assert "pickle" in registry.UNSAFE_CODEC_IDS
    assert registry.codec_config(numcodecs.Zlib(level=3)) == {"id": "zlib", "level": 3}
