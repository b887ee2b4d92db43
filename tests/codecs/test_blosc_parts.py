"""Decoding only some blocks of a Blosc frame (``zarrlib.codecs.blosc_parts``) gives the same
bytes as decoding it whole, for every compressor, shuffle, type size and block position."""

from __future__ import annotations

import itertools

import numcodecs
import numcodecs.blosc
import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.codecs import blosc_parts

CASES = list(
    itertools.product(
        ["lz4", "lz4hc", "zstd", "blosclz", "zlib"],
        [numcodecs.Blosc.NOSHUFFLE, numcodecs.Blosc.SHUFFLE, numcodecs.Blosc.BITSHUFFLE],
        ["u1", "<i2", "<i4", "<f8", "S3", "S20"],
    )
)


def _data(dtype: str, nitems: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(nitems)
    if kind == "ramp":
        return np.arange(nitems).astype(dtype)
    return rng.integers(0, 8, nitems * np.dtype(dtype).itemsize, dtype="u1").view(dtype)


@pytest.mark.parametrize(("cname", "shuffle", "dtype"), CASES, ids=["-".join(map(str, c)) for c in CASES])
@pytest.mark.parametrize("kind", ["ramp", "noise"])
def test_ranges_decode_as_the_whole_frame(cname: str, shuffle: int, dtype: str, kind: str) -> None:
    # 300001 items: several blocks and a short last one; the first, middle and last items and spans across blocks
    a = _data(dtype, 300001, kind)
    raw = numcodecs.Blosc(cname, 5, shuffle).encode(a)
    whole = a.view("u1")
    size = a.dtype.itemsize
    used = 0
    for start, stop in [
        (0, size),
        (150000 * size, 150001 * size),
        (a.nbytes - size, a.nbytes),
        (5, 70000),
        (a.nbytes - 70000, a.nbytes - 3),
    ]:
        out = np.zeros(a.nbytes, dtype="u1")
        if blosc_parts.decode_range_into(raw, out, start, stop):
            used += 1
            np.testing.assert_array_equal(out[start:stop], whole[start:stop])
    assert used >= 3  # single items always take the partial path


@pytest.mark.parametrize("clevel", [0, 5], ids=["stored", "compressed"])
def test_frames_compressed_by_several_blosc_threads(clevel: int) -> None:
    previous = numcodecs.blosc.use_threads
    numcodecs.blosc.use_threads = True
    nthreads = numcodecs.blosc.set_nthreads(4)
    try:
        a = _data("<i4", 1_000_003, "noise")
        raw = numcodecs.Blosc("lz4", clevel, numcodecs.Blosc.SHUFFLE).encode(a)
    finally:
        numcodecs.blosc.set_nthreads(nthreads)
        numcodecs.blosc.use_threads = previous
    for item in [0, 1, 345678, 1_000_002]:
        out = np.zeros(a.nbytes, dtype="u1")
        assert blosc_parts.decode_range_into(raw, out, 4 * item, 4 * item + 4)
        assert out[4 * item : 4 * item + 4].view("<i4")[0] == a[item]


def test_frames_it_does_not_read_are_left_to_the_caller() -> None:
    a = np.arange(100_000, dtype="i4")
    raw = numcodecs.Blosc("lz4", 5, 1).encode(a)
    out = np.zeros(a.nbytes, dtype="u1")
    assert not blosc_parts.decode_range_into(raw[:-1], out, 0, 4)  # truncated
    assert not blosc_parts.decode_range_into(raw, out[:-4], 0, 4)  # another size
    assert not blosc_parts.decode_range_into(raw, out, 0, a.nbytes)  # every block: decode it whole
    assert not blosc_parts.decode_range_into(b"\x05" + raw[1:], out, 0, 4)  # unknown format version
    assert not out.any()


def test_single_elements_decode_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    a = np.arange(1000 * 1000, dtype="i4").reshape(1000, 1000)
    z = zarr.array(a, chunks=(1000, 1000), compressor=numcodecs.Blosc("lz4", 5, 1))
    decoded: list[int] = []
    original = numcodecs.blosc.decompress

    def counting(source, dest=None):
        decoded.append(len(dest))
        return original(source, dest)

    monkeypatch.setattr(numcodecs.blosc, "decompress", counting)
    for i, j in [(0, 0), (999, 999), (500, 3), (123, 877)]:
        assert z[i, j] == a[i, j]
    np.testing.assert_array_equal(z[400:433, 100:121], a[400:433, 100:121])
    np.testing.assert_array_equal(z[7, :], a[7, :])
    assert decoded and max(decoded) < a.nbytes // 2
    decoded.clear()
    np.testing.assert_array_equal(z[:, 5], a[:, 5])  # a column touches every block: one whole decode
    assert decoded == [a.nbytes]


@pytest.mark.parametrize("order", ["C", "F"])
def test_partial_reads_of_both_orders(order: str) -> None:
    a = np.random.default_rng(3).random((300, 200))
    z = zarr.array(a, chunks=(150, 200), order=order, compressor=numcodecs.Blosc("zstd", 3, 2, blocksize=4096))
    for sel in [
        (0, 0),
        (299, 199),
        (slice(10, 12), slice(None)),
        (slice(None), 3),
        (slice(140, 160, 3), slice(5, 180, 7)),
    ]:
        np.testing.assert_array_equal(z[sel], a[sel])
