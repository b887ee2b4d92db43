"""Hierarchy interop with zarr-python: groups, attributes, consolidated metadata and zip
archives written by one side and read by the other (Zarr format 2).

zarr-python 3.1 is the installed peer. When a zarr-python 2 interpreter is available
(see ``zp2.py``: the suite builds ``.venv-zp2`` when it is missing),
``.zmetadata`` written by zarrlib must also be byte-identical to zarr-python 2's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from zp2 import zarr2_python

import zarrlib

zarr = pytest.importorskip("zarr", minversion="3")


ROOT_ATTRS = {"title": "héllo", "nested": {"a": [1, 2.5, None], "b": True}}
BAR = np.arange(30, dtype="i4").reshape(5, 6)
TEXT = ["\u03b1", "", "longer text"]


@pytest.fixture(autouse=True)
def _quiet_zarr_python():
    """zarr-python 3 warns that v2 stores are legacy; that is not what these tests look at."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def write_with_zarrlib(path: Path) -> None:
    g = zarrlib.open_group(str(path), mode="w")
    g.attrs.update(ROOT_ATTRS)
    foo = g.create_group("foo")
    foo.attrs["level"] = 1
    bar = foo.array("bar", BAR, chunks=(2, 4))
    bar.attrs["units"] = "m"
    g.create_group("empty")
    g.create_dataset("text", data=TEXT, dtype=str, chunks=2)


def write_with_zarr_python(store) -> None:
    g = zarr.group(store=store, zarr_format=2, overwrite=True)
    g.attrs.update(ROOT_ATTRS)
    foo = g.create_group("foo")
    foo.attrs["level"] = 1
    bar = foo.create_array("bar", shape=BAR.shape, chunks=(2, 4), dtype=BAR.dtype)
    bar[:] = BAR
    bar.attrs["units"] = "m"
    g.create_group("empty")
    text = g.create_array("text", shape=(3,), chunks=(2,), dtype=str)
    text[:] = np.array(TEXT, dtype=object)


def check_read_by_zarr_python(g) -> None:
    assert g.attrs.asdict() == ROOT_ATTRS
    assert sorted(g.group_keys()) == ["empty", "foo"]
    assert sorted(g.array_keys()) == ["text"]
    assert g["foo"].attrs["level"] == 1
    assert g["foo/bar"].attrs.asdict() == {"units": "m"}
    np.testing.assert_array_equal(g["foo/bar"][:], BAR)
    assert [str(s) for s in g["text"][:]] == TEXT


def check_read_by_zarrlib(g) -> None:
    assert g.attrs.asdict() == ROOT_ATTRS
    assert list(g) == ["empty", "foo", "text"]
    assert list(g.group_keys()) == ["empty", "foo"]
    assert g["foo"].attrs["level"] == 1
    assert g["foo/bar"].attrs.asdict() == {"units": "m"}
    np.testing.assert_array_equal(g["foo/bar"][:], BAR)
    assert g["text"][:].tolist() == TEXT
    assert repr(g.tree()).splitlines() == [
        "/",
        " ├── empty",
        " ├── foo",
        " │   └── bar (5, 6) int32",
        " └── text (3,) object",
    ]


# -- plain hierarchies -----------------------------------------------------------------------------
def test_zarr_python_reads_zarrlib_hierarchy(tmp_path):
    write_with_zarrlib(tmp_path / "h.zarr")
    check_read_by_zarr_python(zarr.open_group(str(tmp_path / "h.zarr"), mode="r", zarr_format=2))


def test_zarrlib_reads_zarr_python_hierarchy(tmp_path):
    write_with_zarr_python(zarr.storage.LocalStore(str(tmp_path / "h.zarr")))
    check_read_by_zarrlib(zarrlib.open_group(str(tmp_path / "h.zarr"), mode="r"))


def test_zarrlib_extends_a_zarr_python_hierarchy_and_zarr_python_reads_it(tmp_path):
    path = tmp_path / "h.zarr"
    write_with_zarr_python(zarr.storage.LocalStore(str(path)))
    g = zarrlib.open_group(str(path), mode="r+")
    g.zeros("foo/deeper/new", shape=(3,), dtype="u2")
    g.move("empty", "moved")
    del g["text"]
    again = zarr.open_group(str(path), mode="r", zarr_format=2)
    assert sorted(again.group_keys()) == ["foo", "moved"]
    np.testing.assert_array_equal(again["foo/deeper/new"][:], np.zeros(3, dtype="u2"))


# -- consolidated metadata --------------------------------------------------------------------------
def test_zarr_python_reads_zarrlib_consolidated_metadata(tmp_path):
    path = tmp_path / "h.zarr"
    write_with_zarrlib(path)
    zarrlib.consolidate_metadata(str(path))
    # Prove zarr-python takes the metadata from .zmetadata: remove a document it would otherwise read.
    os.remove(path / "foo" / "bar" / ".zattrs")
    g = zarr.open_group(str(path), mode="r", zarr_format=2, use_consolidated=True)
    assert g.metadata.consolidated_metadata is not None
    check_read_by_zarr_python(g)


def test_zarrlib_reads_zarr_python_consolidated_metadata(tmp_path):
    path = tmp_path / "h.zarr"
    store = zarr.storage.LocalStore(str(path))
    write_with_zarr_python(store)
    zarr.consolidate_metadata(store)
    os.remove(path / "foo" / "bar" / ".zattrs")
    g = zarrlib.open_consolidated(str(path), mode="r")
    check_read_by_zarrlib(g)


def test_same_consolidated_documents_as_zarr_python(tmp_path):
    """Both consolidate the same store: the same keys and the same parsed documents
    (zarr-python 3 adds an inline 'consolidated_metadata' member to child groups; dropped here)."""
    path = tmp_path / "h.zarr"
    write_with_zarrlib(path)
    zarr.consolidate_metadata(zarr.storage.LocalStore(str(path)))
    theirs = json.loads((path / ".zmetadata").read_bytes())
    (path / ".zmetadata").unlink()
    zarrlib.consolidate_metadata(str(path))
    ours = json.loads((path / ".zmetadata").read_bytes())
    for entry in theirs["metadata"].values():
        entry.pop("consolidated_metadata", None)
    for key in [k for k, v in theirs["metadata"].items() if k.endswith(".zattrs") and not v]:
        if key not in ours["metadata"]:  # zarr-python 3 records empty attributes that were never written
            del theirs["metadata"][key]
    assert ours["zarr_consolidated_format"] == theirs["zarr_consolidated_format"] == 1
    assert ours["metadata"] == theirs["metadata"]


def test_zmetadata_bytes_identical_to_zarr_python_2(tmp_path):
    python = zarr2_python()
    if python is None:
        pytest.skip("no zarr-python 2 interpreter and none could be built (see zp2.py)")
    ours, theirs = tmp_path / "ours.zarr", tmp_path / "theirs.zarr"
    write_with_zarrlib(ours)
    shutil.copytree(ours, theirs)
    zarrlib.consolidate_metadata(str(ours))
    script = (
        "import sys, zarr; zarr.consolidate_metadata(sys.argv[1]); g = zarr.open_consolidated(sys.argv[2]);"
        "assert g['foo/bar'].attrs['units'] == 'm' and g.attrs['title'] == 'h\\u00e9llo'"
    )
    subprocess.run([python, "-c", script, str(theirs), str(ours)], check=True, capture_output=True, timeout=120)
    assert (ours / ".zmetadata").read_bytes() == (theirs / ".zmetadata").read_bytes()


# -- zip archives ------------------------------------------------------------------------------------
def test_zarr_python_reads_a_zarrlib_zip(tmp_path):
    path = tmp_path / "h.zip"
    with zarrlib.ZipStore(path, mode="w") as store:
        g = zarrlib.group(store=store)
        g.attrs.update(ROOT_ATTRS)
        foo = g.create_group("foo")
        foo.attrs["level"] = 1
        foo.array("bar", BAR, chunks=(2, 4)).attrs["units"] = "m"
        g.create_group("empty")
        g.create_dataset("text", data=TEXT, dtype=str, chunks=2)
    store = zarr.storage.ZipStore(str(path), mode="r")
    check_read_by_zarr_python(zarr.open_group(store, mode="r", zarr_format=2))
    store.close()


def test_zarrlib_reads_a_zarr_python_zip(tmp_path):
    path = tmp_path / "h.zip"
    store = zarr.storage.ZipStore(str(path), mode="w")
    write_with_zarr_python(store)
    store.close()
    with zarrlib.ZipStore(path, mode="r") as ours:
        check_read_by_zarrlib(zarrlib.open_group(ours, mode="r"))


# -- Zarr v3 groups --------------------------------------------------------------------------------
def test_zarr_python_reads_a_zarrlib_v3_hierarchy(tmp_path):
    g = zarrlib.open_group(str(tmp_path / "h.zarr"), mode="w", zarr_format=3)
    g.attrs.update(ROOT_ATTRS)
    g.array("foo/bar", BAR, chunks=(2, 4)).attrs["units"] = "m"
    theirs = zarr.open_group(str(tmp_path / "h.zarr"), mode="r", zarr_format=3)
    assert theirs.attrs.asdict() == ROOT_ATTRS
    assert list(theirs.group_keys()) == ["foo"]
    assert theirs["foo/bar"].attrs.asdict() == {"units": "m"}
    np.testing.assert_array_equal(theirs["foo/bar"][:], BAR)


def test_zarrlib_reads_a_zarr_python_v3_hierarchy(tmp_path):
    g = zarr.open_group(str(tmp_path / "h.zarr"), mode="w", zarr_format=3)
    g.attrs.update(ROOT_ATTRS)
    bar = g.create_array("foo/bar", shape=BAR.shape, chunks=(2, 4), dtype=BAR.dtype)
    bar[:] = BAR
    bar.attrs["units"] = "m"
    ours = zarrlib.open_group(str(tmp_path / "h.zarr"), mode="r")
    assert ours.zarr_format == 3 and ours.attrs.asdict() == ROOT_ATTRS
    assert list(ours.group_keys()) == ["foo"]
    assert ours["foo/bar"].attrs.asdict() == {"units": "m"}
    np.testing.assert_array_equal(ours["foo/bar"][:], BAR)
