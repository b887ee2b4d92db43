"""The pickle codec runs code stored in the data: arrays naming it open only when the caller
opts in (``allow_pickle=True`` or ``ZARRLIB_ALLOW_PICKLE=1``), through every open function,
and a refused open never unpickles anything."""

from __future__ import annotations

import json
import os
import pickle

import numcodecs
import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.errors import MetadataError


class _Exploit:
    """Unpickling this creates the file named in it: the proof that code ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _v2_pickle_store(tmp_path, marker):
    """A v2 object array whose compressor-less chunk is a hostile pickle."""
    store = zarr.DirectoryStore(tmp_path / "data")
    g = zarr.group(store=store)
    g.create_dataset("a", shape=(2,), chunks=(2,), dtype=object, object_codec=numcodecs.Pickle(), compressor=None)
    store["a/0"] = pickle.dumps(_Exploit(str(marker)))
    return store


def _v3_pickle_store(tmp_path, marker, *, sharded=False):
    """A v3 array whose codec chain holds 'numcodecs.pickle' (inside a shard when sharded)."""
    store = zarr.DirectoryStore(tmp_path / "data3")
    zarr.group(store=store, zarr_format=3)
    codecs = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "numcodecs.pickle"}]
    if sharded:
        codecs = [{"name": "sharding_indexed", "configuration": {"chunk_shape": [2], "codecs": codecs}}]
    doc = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [2],
        "data_type": "int8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": codecs,
        "attributes": {},
    }
    store["a/zarr.json"] = json.dumps(doc).encode()
    store["a/c/0"] = pickle.dumps(_Exploit(str(marker)))
    return store


def _openers(store):
    path = store.path
    return {
        "Array": lambda **kw: zarr.Array(store, path="a", **kw),
        "open_array": lambda **kw: zarr.open_array(path, mode="r", path="a", **kw),
        "open": lambda **kw: zarr.open(path, mode="r", path="a", **kw),
        "open_group-member": lambda **kw: zarr.open_group(path, mode="r", **kw)["a"],
        "group-getitem": lambda **kw: zarr.Group(store, **kw)["a"],
    }


OPENERS = ["Array", "open_array", "open", "open_group-member", "group-getitem"]


@pytest.mark.parametrize("opener", OPENERS)
@pytest.mark.parametrize("fmt", ["v2", "v3", "v3-sharded"])
def test_pickle_codec_refused_without_opt_in(tmp_path, opener, fmt):
    marker = tmp_path / "pwned"
    if fmt == "v2":
        store = _v2_pickle_store(tmp_path, marker)
    else:
        store = _v3_pickle_store(tmp_path, marker, sharded=fmt == "v3-sharded")
    with pytest.raises(MetadataError, match="allow_pickle=True") as info:
        _openers(store)[opener]()[:]
    assert "can run any code" in str(info.value)
    assert not marker.exists()


def test_open_consolidated_refuses_pickle(tmp_path):  # v3 consolidation is not implemented
    marker = tmp_path / "pwned"
    store = _v2_pickle_store(tmp_path, marker)
    zarr.consolidate_metadata(store)
    with pytest.raises(MetadataError, match="allow_pickle"):
        zarr.open_consolidated(store, mode="r")["a"][:]
    assert not marker.exists()


def test_opt_in_reads_what_was_pickled(tmp_path):
    """The opt-in is real: a trusted pickle array reads back (and runs the payload, as warned)."""
    marker = tmp_path / "pwned"
    store = _v2_pickle_store(tmp_path, marker)
    with pytest.raises(ValueError):  # the payload is a file object, not a 2-item array
        zarr.open_array(store, mode="r", path="a", allow_pickle=True)[:]
    assert marker.exists()


@pytest.mark.parametrize("opener", OPENERS)
def test_opt_in_reaches_every_opener(tmp_path, opener):
    store = zarr.DirectoryStore(tmp_path / "ok")
    g = zarr.group(store=store)
    z = g.create_dataset("a", shape=(2,), chunks=(2,), dtype=object, object_codec=numcodecs.Pickle())
    z[:] = np.array([{"k": 1}, [2]], dtype=object)
    assert _openers(store)[opener](allow_pickle=True)[:].tolist() == [{"k": 1}, [2]]
    with pytest.raises(MetadataError, match="allow_pickle"):
        _openers(store)[opener]()


def test_environment_opt_in(tmp_path, monkeypatch):
    store = zarr.DirectoryStore(tmp_path / "ok")
    z = zarr.zeros((2,), chunks=(2,), dtype=object, object_codec=numcodecs.Pickle(), store=store)
    z[:] = np.array([1, "x"], dtype=object)
    with pytest.raises(MetadataError, match="ZARRLIB_ALLOW_PICKLE"):
        zarr.open_array(store, mode="r")
    monkeypatch.setenv("ZARRLIB_ALLOW_PICKLE", "1")
    assert zarr.open_array(store, mode="r")[:].tolist() == [1, "x"]


def test_creator_of_a_v3_pickle_array_can_use_it(tmp_path):
    """Whoever passes the pickle codec at creation has chosen it (v2 did this already)."""
    z = zarr.create(
        (4,), chunks=(2,), dtype="i4", zarr_format=3, compressors=[numcodecs.Pickle()], store=tmp_path / "c"
    )
    z[:] = [1, 2, 3, 4]
    assert z[:].tolist() == [1, 2, 3, 4]
    with pytest.raises(MetadataError, match="allow_pickle"):
        zarr.open_array(tmp_path / "c", mode="r")
    assert os.listdir(tmp_path / "c")
