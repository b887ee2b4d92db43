"""Arrays end to end: the tutorial's first sections, scaled where it costs little."""

from __future__ import annotations

import numpy as np
import pytest

import zarrlib as zarr


def test_zeros_repr_and_first_write():
    z = zarr.zeros((10000, 10000), chunks=(1000, 1000), dtype="i4")
    lines = repr(z).splitlines()
    assert lines[0] == "Array((10000, 10000), int32, chunks=(1000, 1000), order=C)"
    assert lines[1].startswith("  nbytes: 381.5M; nbytes_stored: ")
    assert lines[1].endswith("initialized: 0/100")
    assert lines[2] == "  compressor: Blosc(cname='lz4', clevel=5, shuffle=1)"
    assert lines[3] == "  store: dict"
    z[:] = 42
    assert repr(z).splitlines()[1].endswith("initialized: 100/100")
    z[0, :] = np.arange(10000)
    z[:, 0] = np.arange(10000)
    assert z[0, 0] == 0
    assert z[-1, -1] == 42
    np.testing.assert_array_equal(z[0, :], np.arange(10000))
    np.testing.assert_array_equal(z[:, 0], np.arange(10000))
    expected = np.full((10000, 10000), 42, dtype="i4")
    expected[0, :] = np.arange(10000)
    expected[:, 0] = np.arange(10000)
    np.testing.assert_array_equal(z[:], expected)


def test_persistent_array_roundtrip(tmp_path):
    path = str(tmp_path / "example.zarr")
    z1 = zarr.open_array(path, mode="w", shape=(1000, 1000), chunks=(100, 100), dtype="i4", fill_value=0)
    assert repr(z1).splitlines()[-1] == "  store: DirectoryStore"
    z1[:] = 42
    z1[0, :] = np.arange(1000)
    z2 = zarr.open_array(path, mode="r")
    assert z2.read_only
    np.testing.assert_array_equal(z1[:], z2[:])
    with pytest.raises(zarr.ReadOnlyError):
        z2[0, 0] = 1
