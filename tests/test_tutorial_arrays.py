"""The tutorial's array sections, as written (sizes scaled down where the full size costs seconds)."""

from __future__ import annotations

import lzma
import tracemalloc

import numpy as np
import pytest

import zarrlib as zarr
import zarrlib.storage


def report_line(z, prefix: str) -> str:
    return next(line for line in repr(z).splitlines() if line.strip().startswith(prefix))


def test_resize_keeps_data_and_deletes_chunks_outside():
    z = zarr.zeros(shape=(10000, 10000), chunks=(1000, 1000))
    z[:] = 42
    z.resize(20000, 10000)
    lines = repr(z).splitlines()
    assert lines[0] == "Array((20000, 10000), float64, chunks=(1000, 1000), order=C)"
    assert lines[1].startswith("  nbytes: 1.5G;") and lines[1].endswith("initialized: 100/200")
    assert z[9999, 9999] == 42 and z[10000, 0] == 0
    z.resize(5000, 5000)
    assert z.nchunks_initialized == 25
    assert len([k for k in z.store if not k.startswith(".")]) == 25
    z.resize(10000, 10000)
    assert z[6000, 6000] == 0, "growing again must not resurrect deleted chunks"


def test_append_along_both_axes():
    a = np.arange(10000000, dtype="i4").reshape(10000, 1000)
    z = zarr.array(a, chunks=(1000, 100))
    assert repr(z).splitlines()[0] == "Array((10000, 1000), int32, chunks=(1000, 100), order=C)"
    assert z.append(a) == (20000, 1000)
    assert z.append(np.vstack([a, a]), axis=1) == (20000, 2000)
    assert z.nchunks_initialized == 400
    np.testing.assert_array_equal(z[:10000, :1000], a)
    np.testing.assert_array_equal(z[10000:, :1000], a)
    np.testing.assert_array_equal(z[:, 1000:], np.vstack([a, a]))
    with pytest.raises(ValueError, match="cannot append"):
        z.append(np.zeros((5, 3), dtype="i4"))


@pytest.mark.parametrize(
    "compressor, line",
    [
        (zarr.Blosc(cname="zstd", clevel=3, shuffle=2), "compressor: Blosc(cname='zstd', clevel=3, shuffle=2)"),
        (zarr.Zlib(level=1), "compressor: Zlib(level=1)"),
        (zarr.BZ2(level=1), "compressor: BZ2(level=1)"),
        (zarr.Zstd(level=1), "compressor: Zstd(level=1"),
        (zarr.LZ4(), "compressor: LZ4("),
        (zarr.GZip(level=1), "compressor: GZip(level=1)"),
    ],
    ids=["blosc-zstd-bitshuffle", "zlib", "bz2", "zstd", "lz4", "gzip"],
)
def test_compressors_roundtrip(compressor, line):
    data = (np.arange(1000000, dtype="i4") // 100).reshape(1000, 1000)
    z = zarr.array(data, chunks=(100, 100), compressor=compressor)
    assert report_line(z, "compressor:").strip().startswith(line.split("(")[0])
    assert line in repr(z)
    np.testing.assert_array_equal(z[:], data)
    assert z.nbytes_stored < z.nbytes / 2


def test_lzma_with_builtin_delta_filter():
    lzma_filters = [dict(id=lzma.FILTER_DELTA, dist=4), dict(id=lzma.FILTER_LZMA2, preset=1)]
    z = zarr.array(
        np.arange(1000000, dtype="i4").reshape(1000, 1000),
        chunks=(100, 100),
        compressor=zarr.LZMA(filters=lzma_filters),
    )
    np.testing.assert_array_equal(z[:], np.arange(1000000, dtype="i4").reshape(1000, 1000))
    assert z.nbytes / z.nbytes_stored > 100


def test_default_compressor_switch(monkeypatch):
    monkeypatch.setattr(zarrlib.storage, "default_compressor", zarr.Blosc(cname="zstd", clevel=1, shuffle=1))
    z = zarr.zeros(100000000, chunks=1000000)
    assert repr(z).splitlines()[0] == "Array((100000000,), float64, chunks=(1000000,), order=C)"
    assert report_line(z, "compressor:") == "  compressor: Blosc(cname='zstd', clevel=1, shuffle=1)"
    monkeypatch.setattr(zarrlib.storage, "default_compressor", zarr.Blosc())
    assert report_line(zarr.zeros(10), "compressor:") == "  compressor: Blosc(cname='lz4', clevel=5, shuffle=1)"


def test_no_compressor_stores_raw_bytes():
    z = zarr.zeros(100000000, chunks=1000000, compressor=None)
    assert "compressor" not in repr(z)
    assert z.compressor is None
    z[:1000000] = 1.5
    assert len(z.store["0"]) == 8 * 1000000
    np.testing.assert_array_equal(np.frombuffer(z.store["0"], dtype="<f8"), 1.5)


def test_delta_filter():
    data = np.arange(1000000, dtype="i4").reshape(1000, 1000)
    z = zarr.array(
        data,
        chunks=(100, 100),
        filters=[zarr.Delta(dtype="i4")],
        compressor=zarr.Blosc(cname="zstd", clevel=1, shuffle=1),
    )
    assert report_line(z, "filters:").startswith("  filters: Delta(")
    np.testing.assert_array_equal(z[:], data)


def test_user_attributes():
    z = zarr.zeros((10000, 10000), chunks=(1000, 1000), dtype="i4")
    z.attrs["foo"] = "bar"
    z.attrs["baz"] = 42
    assert sorted(z.attrs) == ["baz", "foo"]
    assert "foo" in z.attrs and z.attrs["foo"] == "bar" and z.attrs["baz"] == 42
    with pytest.raises(TypeError, match="JSON"):
        z.attrs["bad"] = object()
    assert sorted(z.attrs) == ["baz", "foo"], "a refused value must change nothing"
    z.attrs.update(a=1, b=[1, 2])
    assert zarr.Array(z.store).attrs.asdict() == {"foo": "bar", "baz": 42, "a": 1, "b": [1, 2]}


def test_copy_large_array_chunk_by_chunk_bounded_memory():
    z1 = zarr.empty((4000, 4000), chunks=(500, 500), dtype="i4")
    z1[:] = 42
    z2 = zarr.empty_like(z1)
    assert z2.chunks == z1.chunks and z2.dtype == z1.dtype
    tracemalloc.start()
    z2[:] = z1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < z1.nbytes / 4, f"copy allocated {peak} bytes for a {z1.nbytes}-byte array"
    np.testing.assert_array_equal(z2[:], 42)


def test_copy_from_h5py_dataset(tmp_path):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "data.h5", "w") as f:
        dset = f.create_dataset("x", data=np.arange(600 * 700, dtype="f4").reshape(600, 700), chunks=(100, 100))
        z = zarr.empty((600, 700), chunks=(200, 300), dtype="f4")
        z[:] = dset
        np.testing.assert_array_equal(z[:], dset[:])


def test_fortran_order_compresses_transposed_data_better():
    a = np.arange(4000000, dtype="i4").reshape(2000, 2000).T
    zc = zarr.array(a, chunks=(500, 500))
    zf = zarr.array(a, chunks=(500, 500), order="F")
    assert repr(zf).splitlines()[0] == "Array((2000, 2000), int32, chunks=(500, 500), order=F)"
    np.testing.assert_array_equal(zf[:], a)
    np.testing.assert_array_equal(zc[:], a)
    assert zf.nbytes_stored < zc.nbytes_stored


@pytest.mark.parametrize(
    "chunks, expected",
    [
        ((100, None), (100, 10000)),
        ((None, 100), (10000, 100)),
        ((1000, 1000), (1000, 1000)),
        ((-1, 100), (10000, 100)),
        (500, (500, 500)),
        (None, (313, 313)),
        (True, (313, 313)),
    ],
    ids=["none-second", "none-first", "explicit", "minus-one", "int", "guess-none", "guess-true"],
)
def test_chunk_shapes(chunks, expected):
    assert zarr.zeros((10000, 10000), chunks=chunks, dtype="i4").chunks == expected


def test_guessed_chunks_when_omitted():
    assert zarr.zeros((10000, 10000), dtype="i4").chunks == (313, 313)


@pytest.mark.parametrize(
    "chunks", [0, -2, (0, 10), (10, -5), (1.5, 2)], ids=["zero", "negative", "zero-tuple", "neg-tuple", "float"]
)
def test_bad_chunks_rejected(chunks):
    with pytest.raises(ValueError, match="chunk"):
        zarr.zeros((100, 100), chunks=chunks)


def test_blosc_configuration():
    from zarrlib import blosc

    assert "lz4" in blosc.list_compressors() and "zstd" in blosc.list_compressors()
    previous = blosc.set_nthreads(2)
    try:
        assert blosc.set_nthreads(previous) == 2
    finally:
        blosc.set_nthreads(previous)
