"""ZipStore specifics: the tutorial's example, write-once members, modes, closing."""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.errors import ReadOnlyError


def test_tutorial_example(tmp_path):
    path = tmp_path / "example.zip"
    store = zarr.ZipStore(path, mode="w")
    z = zarr.zeros((1000, 1000), chunks=(100, 100), dtype="i4", store=store)
    lines = repr(z).splitlines()
    assert lines[0] == "Array((1000, 1000), int32, chunks=(100, 100), order=C)"
    assert lines[1].endswith("initialized: 0/100")
    assert lines[-1] == "  store: ZipStore"
    z[:] = 42
    assert repr(z).splitlines()[1].endswith("initialized: 100/100")
    store.close()
    assert path.stat().st_size > 100 * 20  # 100 chunks and the metadata made it to disk

    store = zarr.ZipStore(path, mode="r")
    z = zarr.Array(store)
    assert repr(z).splitlines()[1].endswith("initialized: 100/100")
    np.testing.assert_array_equal(z[:], np.full((1000, 1000), 42, dtype="i4"))
    store.close()


def test_archive_is_a_plain_zip_of_the_keys(tmp_path):
    path = tmp_path / "a.zip"
    with zarr.ZipStore(path, mode="w") as store:
        z = zarr.array(np.arange(16, dtype="u1").reshape(4, 4), chunks=(2, 2), store=store, compressor=None)
        z.attrs["k"] = "v"
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == [".zarray", ".zattrs", "0.0", "0.1", "1.0", "1.1"]
        assert zf.read("1.1") == bytes([10, 11, 14, 15])
        assert zf.testzip() is None


def test_writing_a_key_twice_is_refused_and_keeps_the_first(tmp_path):
    with zarr.ZipStore(tmp_path / "a.zip", mode="w") as store:
        store["k"] = b"first"
        with pytest.raises(ReadOnlyError, match=r"'k' was already written.*cannot be replaced"):
            store["k"] = b"second"
        assert store["k"] == b"first"
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert zf.namelist() == ["k"]  # no duplicate member


def test_unaligned_second_write_to_an_array_is_refused(tmp_path):
    with zarr.ZipStore(tmp_path / "a.zip", mode="w") as store:
        z = zarr.zeros((10,), chunks=(5,), dtype="i4", store=store)
        z[:5] = 1
        with pytest.raises(ReadOnlyError, match="'0' was already written"):
            z[2:4] = 7
        np.testing.assert_array_equal(z[:5], 1)


def test_read_only_mode_refuses_writes(tmp_path):
    with zarr.ZipStore(tmp_path / "a.zip", mode="w") as store:
        store["k"] = b"v"
    with zarr.ZipStore(tmp_path / "a.zip", mode="r") as store:
        assert store.read_only
        with pytest.raises(ReadOnlyError, match="read-only"):
            store["new"] = b"x"
        with pytest.raises(ReadOnlyError, match="read-only"):
            del store["k"]
        assert store["k"] == b"v"


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s["k"], id="read"),
        pytest.param(lambda s: s.__setitem__("n", b"x"), id="write"),
        pytest.param(lambda s: list(s), id="list"),
        pytest.param(lambda s: "k" in s, id="contains"),
    ],
)
def test_closed_store_gives_a_clear_error(tmp_path, operation):
    store = zarr.ZipStore(tmp_path / "a.zip", mode="w")
    store["k"] = b"v"
    store.close()
    assert store.closed
    with pytest.raises(ValueError, match="is closed"):
        operation(store)
    store.close()  # closing twice is harmless


def test_missing_key_is_key_error(tmp_path):
    with zarr.ZipStore(tmp_path / "a.zip", mode="w") as store:
        with pytest.raises(KeyError):
            store["nope"]


def test_append_mode_adds_members(tmp_path):
    path = tmp_path / "a.zip"
    with zarr.ZipStore(path, mode="w") as store:
        store["a"] = b"1"
    with zarr.ZipStore(path, mode="a") as store:
        store["b"] = b"2"
        with pytest.raises(ReadOnlyError):
            store["a"] = b"again"
    with zarr.ZipStore(path, mode="r") as store:
        assert dict(store.items()) == {"a": b"1", "b": b"2"}


def test_exclusive_mode_refuses_an_existing_file(tmp_path):
    path = tmp_path / "a.zip"
    zarr.ZipStore(path, mode="w").close()
    with pytest.raises(FileExistsError):
        zarr.ZipStore(path, mode="x")


def test_bad_mode(tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        zarr.ZipStore(tmp_path / "a.zip", mode="rw")


def test_zip_path_opens_a_zip_store_and_a_group_closes_it(tmp_path):
    path = str(tmp_path / "h.zip")
    with zarr.open_group(path, mode="w") as g:
        assert isinstance(g.store, zarr.ZipStore)
        g.create_group("a").array("x", np.arange(6), chunks=3)
    assert g.store.closed
    g = zarr.open_group(path, mode="r")
    np.testing.assert_array_equal(g["a/x"][:], np.arange(6))
    assert g.read_only
    g.store.close()


def test_group_delete_and_move_refused_before_any_change(tmp_path):
    with zarr.ZipStore(tmp_path / "a.zip", mode="w") as store:
        g = zarr.group(store=store)
        g.zeros("x", shape=(3,))
        before = sorted(store)
        with pytest.raises(ReadOnlyError, match="cannot delete keys"):
            del g["x"]
        with pytest.raises(ReadOnlyError, match="cannot delete keys"):
            g.move("x", "y")
        assert sorted(store) == before


def test_pickle_read_only_store(tmp_path):
    path = tmp_path / "a.zip"
    with zarr.ZipStore(path, mode="w") as store:
        store["k"] = b"v"
        with pytest.raises(TypeError, match="read-only"):
            pickle.dumps(store)
    with zarr.ZipStore(path, mode="r") as store:
        clone = pickle.loads(pickle.dumps(store))
        assert clone["k"] == b"v"
        clone.close()
