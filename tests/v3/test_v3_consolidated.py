"""Zarr v3 consolidated metadata: ``consolidated_metadata`` inline in the group's ``zarr.json``.

zarrlib writes it byte for byte as zarr-python 3 does, each reads what the other writes, and
opening a consolidated hierarchy costs one store read for all its metadata (a store that
counts requests proves it).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import warnings

import numpy as np
import pytest

import zarrlib
from zarrlib.errors import ContainsArrayError, MetadataError, PathNotFoundError, ReadOnlyError
from zarrlib.storage import MemoryStore

zarr = pytest.importorskip("zarr")


class CountingStore(MemoryStore):
    """A MemoryStore recording every read (whole values and byte ranges) and every listing."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []
        self.listings: list[str] = []

    def _get(self, key):
        self.reads.append(key)
        return super()._get(key)

    def get_range(self, key, byte_range):
        self.reads.append(key)
        return byte_range.apply(super()._get(key))

    def list_prefix(self, prefix):
        self.listings.append(prefix)
        return super().list_prefix(prefix)

    def list_dir(self, prefix=""):
        self.listings.append(prefix)
        return super().list_dir(prefix)

    def reset(self) -> None:
        self.reads.clear()
        self.listings.clear()


def _build(store) -> dict[str, np.ndarray]:
    """A v3 hierarchy with nested groups, attributes, a sharded array and dimension names."""
    g = zarrlib.open_group(store, mode="w", zarr_format=3)
    g.attrs["title"] = "root"
    a = g.zeros("a", shape=(10,), chunks=(5,), dtype="i4")
    a.attrs["units"] = "m"
    child = g.create_group("child")
    child.attrs["kind"] = "child"
    grandchild = child.create_group("grandchild")
    grandchild.attrs["kind"] = "grandchild"
    b = grandchild.create(
        "b", shape=(6, 8), chunks=(2, 2), shards=(4, 4), dtype="f8", fill_value=np.nan, dimension_names=["y", "x"]
    )
    child.create("z", shape=(3,), chunks=(3,), dtype="u1", codecs=[{"name": "bytes"}])
    data = {"a": np.arange(10, dtype="i4"), "child/grandchild/b": np.arange(48, dtype="f8").reshape(6, 8)}
    a[...] = data["a"]
    b[...] = data["child/grandchild/b"]
    return data


@contextlib.contextmanager
def _quiet():
    """zarr-python 3 warns that v3 consolidated metadata is not in the spec yet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- writing: as zarr-python 3 writes it --------------------------------------------------------


@pytest.mark.parametrize("path", ["", "child"], ids=["root", "sub-group"])
def test_consolidated_zarr_json_is_byte_for_byte_zarr_pythons(tmp_path, path):
    ours, theirs = str(tmp_path / "ours.zarr"), str(tmp_path / "theirs.zarr")
    _build(ours)
    shutil.copytree(ours, theirs)
    zarrlib.consolidate_metadata(ours, path=path or None)
    with _quiet():
        zarr.consolidate_metadata(theirs, path=path)
    key = os.path.join(path, "zarr.json")
    with open(os.path.join(ours, key), "rb") as f, open(os.path.join(theirs, key), "rb") as g:
        mine, peer = f.read(), g.read()
    assert json.loads(mine) == json.loads(peer)
    assert mine == peer


def test_consolidated_layout_is_flat_sorted_by_depth_with_empty_maps_in_groups():
    store = MemoryStore()
    _build(store)
    zarrlib.consolidate_metadata(store)
    doc = json.loads(store["zarr.json"])
    assert list(doc) == ["attributes", "zarr_format", "consolidated_metadata", "node_type"]
    cons = doc["consolidated_metadata"]
    assert (cons["kind"], cons["must_understand"]) == ("inline", False)
    assert list(cons["metadata"]) == ["a", "child", "child/grandchild", "child/z", "child/grandchild/b"]
    assert cons["metadata"]["child"]["consolidated_metadata"] == {
        "kind": "inline",
        "must_understand": False,
        "metadata": {},
    }
    assert cons["metadata"]["a"] == json.loads(store["a/zarr.json"])
    assert "consolidated_metadata" not in json.loads(store["child/zarr.json"])  # only the root changes


def test_consolidating_an_array_or_nothing_is_refused():
    store = MemoryStore()
    zarrlib.create((3,), zarr_format=3, store=store)
    with pytest.raises(ContainsArrayError, match="array"):
        zarrlib.consolidate_metadata(store)
    with pytest.raises(PathNotFoundError):
        zarrlib.consolidate_metadata(MemoryStore())


def test_consolidating_names_a_broken_node():
    store = MemoryStore()
    _build(store)
    store["child/z/zarr.json"] = b'{"zarr_format": 3, "node_type": "array"}'
    with pytest.raises(MetadataError, match=r"child/z/zarr\.json"):
        zarrlib.consolidate_metadata(store)


# -- reading, both directions ------------------------------------------------------------------


def test_zarr_python_open_consolidated_reads_zarrlibs(tmp_path):
    path = str(tmp_path / "h.zarr")
    data = _build(path)
    zarrlib.consolidate_metadata(path)
    for node in ("a", "child/grandchild", "child/grandchild/b"):  # only the snapshot can answer now
        os.remove(os.path.join(path, node, "zarr.json"))
    with _quiet():
        g = zarr.open_consolidated(path)
        assert g.metadata.consolidated_metadata is not None
        assert g.attrs["title"] == "root" and sorted(g.keys()) == ["a", "child"]
        assert g["child/grandchild"].attrs["kind"] == "grandchild"
        assert g["a"].attrs["units"] == "m"
        b = g["child/grandchild/b"]
        assert b.shards == (4, 4) and b.chunks == (2, 2) and b.metadata.dimension_names == ("y", "x")
        np.testing.assert_array_equal(b[...], data["child/grandchild/b"])
        np.testing.assert_array_equal(g["a"][...], data["a"])


def _zarr_python_hierarchy(path: str) -> dict[str, np.ndarray]:
    with _quiet():
        g = zarr.open_group(path, mode="w", zarr_format=3, attributes={"title": "theirs"})
        a = g.create_array("a", shape=(7,), chunks=(3,), dtype="i2", attributes={"units": "s"})
        child = g.create_group("child", attributes={"kind": "child"})
        b = child.create_group("grandchild").create_array(
            "b", shape=(5, 6), chunks=(2, 3), shards=(4, 6), dtype="f4", fill_value=-1.0
        )
        data = {"a": np.arange(7, dtype="i2"), "child/grandchild/b": np.arange(30, dtype="f4").reshape(5, 6)}
        a[...] = data["a"]
        b[...] = data["child/grandchild/b"]
        zarr.consolidate_metadata(path)
    return data


@pytest.mark.parametrize("opener", ["open_consolidated", "open_group", "open"])
def test_zarrlib_reads_zarr_pythons(tmp_path, opener):
    path = str(tmp_path / "h.zarr")
    data = _zarr_python_hierarchy(path)
    for node in ("a", "child", "child/grandchild/b"):
        os.remove(os.path.join(path, node, "zarr.json"))
    g = getattr(zarrlib, opener)(path, mode="r")
    assert isinstance(g, zarrlib.Group) and g.zarr_format == 3
    assert g.attrs["title"] == "theirs" and list(g) == ["a", "child"]
    assert g["child"].attrs["kind"] == "child" and list(g["child"]) == ["grandchild"]
    assert g["a"].attrs["units"] == "s"
    b = g["child/grandchild/b"]
    assert (b.chunks, b.shards, b.fill_value) == ((2, 3), (4, 6), -1.0)
    for name, expected in data.items():
        np.testing.assert_array_equal(g[name][...], expected)
    assert sorted(g.array_keys(recurse=True)) == ["a", "child/grandchild/b"]


# -- one store read for the metadata ---------------------------------------------------------


@pytest.mark.parametrize(
    ("opener", "kwargs"),
    [("open_consolidated", {"zarr_format": 3}), ("open_group", {}), ("open", {})],
    ids=["open_consolidated", "open_group", "open"],
)
def test_opening_a_consolidated_hierarchy_reads_one_document(opener, kwargs):
    store = CountingStore()
    data = _build(store)
    zarrlib.consolidate_metadata(store)
    store.reset()
    g = getattr(zarrlib, opener)(store, mode="r", **kwargs)
    visited = []
    g.visititems(lambda name, node: visited.append((name, dict(node.attrs), getattr(node, "shape", None))))
    assert [v[0] for v in visited] == ["a", "child", "child/grandchild", "child/grandchild/b", "child/z"]
    assert visited[0][1:] == ({"units": "m"}, (10,))
    assert store.reads == ["zarr.json"] and store.listings == []
    np.testing.assert_array_equal(g["child/grandchild/b"][0:2, 0:2], data["child/grandchild/b"][0:2, 0:2])
    assert all(key.startswith("child/grandchild/b/c/") for key in store.reads[1:])  # then only the shard


def test_open_consolidated_of_unknown_format_tries_zmetadata_first():
    store = CountingStore()
    _build(store)
    zarrlib.consolidate_metadata(store)
    store.reset()
    assert list(zarrlib.open_consolidated(store, mode="r")) == ["a", "child"]
    assert store.reads == [".zmetadata", "zarr.json"]  # one miss, then the document
    with pytest.raises(PathNotFoundError, match="consolidate_metadata"):
        zarrlib.open_consolidated(MemoryStore())


def test_use_consolidated_false_reads_live_metadata_and_true_requires_it():
    store = MemoryStore()
    _build(store)
    zarrlib.consolidate_metadata(store)
    zarrlib.open_group(store, mode="r", use_consolidated=False)  # unaffected
    zarrlib.create((2,), zarr_format=3, store=store, path="late")  # added after consolidating
    assert "late" not in zarrlib.open_group(store, mode="r")
    assert "late" in zarrlib.open_group(store, mode="r", use_consolidated=False)
    assert "late" in zarrlib.open(store, mode="r", use_consolidated=False)
    with pytest.raises(PathNotFoundError, match="consolidate_metadata"):
        zarrlib.open_group(store, mode="r", path="child", use_consolidated=True)
    with pytest.raises(ValueError, match="use_consolidated"):
        zarrlib.open_group(store, use_consolidated="yes")


# -- changing a consolidated hierarchy -----------------------------------------------------------


def test_writable_group_sees_its_changes_and_leaves_the_snapshot_stale():
    store = MemoryStore()
    data = _build(store)
    zarrlib.consolidate_metadata(store)
    snapshot = json.loads(store["zarr.json"])["consolidated_metadata"]
    g = zarrlib.open_group(store, mode="a")
    new = g.require_group("child").zeros("new", shape=(4,), chunks=(2,), dtype="i1")
    new[...] = 3
    g.attrs["title"] = "changed"
    g["child"].attrs["kind"] = "changed"
    g["a"].resize(12)
    del g["child/z"]
    assert "new" in g["child"] and "z" not in g["child"] and g["a"].shape == (12,)
    np.testing.assert_array_equal(g["child/new"][...], 3)
    # written through to the store, where a live open sees it
    live = zarrlib.open_group(store, mode="r", use_consolidated=False)
    assert live.attrs["title"] == "changed" and live["child"].attrs["kind"] == "changed"
    assert sorted(live["child"]) == ["grandchild", "new"] and live["a"].shape == (12,)
    assert "consolidated_metadata" not in json.loads(store["child/zarr.json"])
    # the snapshot is left as it was (zarr-python 3 does the same) until consolidated again
    assert json.loads(store["zarr.json"])["consolidated_metadata"] == snapshot
    assert sorted(zarrlib.open_group(store, mode="r")["child"]) == ["grandchild", "z"]
    zarrlib.consolidate_metadata(g.store)  # the view of the group: its store is consolidated
    again = zarrlib.open_group(store, mode="r")
    assert sorted(again["child"]) == ["grandchild", "new"] and again.attrs["title"] == "changed"
    np.testing.assert_array_equal(again["child/grandchild/b"][...], data["child/grandchild/b"])


def test_moving_and_deleting_through_a_consolidated_group_keeps_chunks_right():
    store = CountingStore()
    data = _build(store)
    zarrlib.consolidate_metadata(store)
    g = zarrlib.open_group(store, mode="r+")
    g.move("child", "moved")
    assert list(g) == ["a", "moved"] and not any(k.startswith("child/") for k in store)
    np.testing.assert_array_equal(g["moved/grandchild/b"][...], data["child/grandchild/b"])
    live = zarrlib.open_group(store, mode="r", use_consolidated=False)
    np.testing.assert_array_equal(live["moved/grandchild/b"][...], data["child/grandchild/b"])
    assert sorted(g.store.list_prefix("a")) == ["a/c/0", "a/c/1", "a/zarr.json"]
    assert g.store.list_dir("a") == ["c", "zarr.json"]
    g.move("a", "deeper/a")  # the new parent group is a v3 group, as the hierarchy
    assert json.loads(store["deeper/zarr.json"])["node_type"] == "group" and "deeper/.zgroup" not in store
    np.testing.assert_array_equal(g["deeper/a"][...], data["a"])
    g.move("deeper/a", "a")
    del g["moved"], g["deeper"]
    assert list(g) == ["a"] and not any(k.startswith("moved/") for k in store)
    store.reset()
    assert list(g) == ["a"] and store.listings == []  # members from the view, not the store


def test_open_consolidated_metadata_is_read_only_chunks_writable():
    store = MemoryStore()
    _build(store)
    zarrlib.consolidate_metadata(store)
    g = zarrlib.open_consolidated(store, mode="r+")
    with pytest.raises(ReadOnlyError, match="consolidate_metadata"):
        g.attrs["x"] = 1
    with pytest.raises(ReadOnlyError):
        g.create_group("new")
    with pytest.raises(ReadOnlyError):
        g["a"].resize(3)
    g["a"][0:2] = -5
    np.testing.assert_array_equal(zarrlib.open_array(store, path="a", mode="r")[0:3], [-5, -5, 2])
    with pytest.raises(ReadOnlyError):
        zarrlib.open_consolidated(store, mode="r")["a"][0] = 1


def test_group_from_consolidated_metadata_pickles():
    store = MemoryStore()
    data = _build(store)
    zarrlib.consolidate_metadata(store)
    g = pickle.loads(pickle.dumps(zarrlib.open_group(store, mode="r")))
    np.testing.assert_array_equal(g["a"][...], data["a"])


def test_nchunks_initialized_through_the_view():
    store = MemoryStore()
    _build(store)
    zarrlib.consolidate_metadata(store)
    g = zarrlib.open_consolidated(store, mode="r")
    assert g["a"].nchunks_initialized == 2 and g["child/grandchild/b"].nchunks_initialized == 16


# -- bad consolidated metadata -------------------------------------------------------------------


def _root_with(consolidated) -> MemoryStore:
    store = MemoryStore()
    _build(store)
    doc = json.loads(store["zarr.json"])
    doc["consolidated_metadata"] = consolidated
    store["zarr.json"] = json.dumps(doc).encode()
    return store


@pytest.mark.parametrize(
    ("consolidated", "match"),
    [
        ({"kind": "remote", "metadata": {}}, "kind 'inline'"),
        ({"kind": "inline", "must_understand": False, "metadata": []}, "'metadata' object"),
        ({"kind": "inline", "metadata": {"../x": {"zarr_format": 3, "node_type": "group"}}}, "relative paths"),
        ({"kind": "inline", "metadata": {"x": [1]}}, r"\['x'\] must be a zarr.json document"),
        ("inline", "must be an object"),
    ],
    ids=["unknown-kind", "metadata-not-object", "escaping-key", "entry-not-object", "not-object"],
)
def test_bad_consolidated_metadata_is_a_clear_error(consolidated, match):
    store = _root_with(consolidated)
    with pytest.raises(MetadataError, match=match):
        zarrlib.open_group(store, mode="r")


def test_unknown_optional_consolidated_kind_is_ignored():
    store = _root_with({"kind": "remote", "must_understand": False, "metadata": {}})
    g = zarrlib.open_group(store, mode="r")
    assert list(g) == ["a", "child"]  # read live
    with pytest.raises(PathNotFoundError):
        zarrlib.open_group(store, mode="r", use_consolidated=True)


def test_nested_consolidated_maps_are_flattened():
    """Entries may carry their own descendants (zarr-python 3.0 wrote it so in memory)."""
    store = MemoryStore()
    _build(store)
    zarrlib.consolidate_metadata(store)
    doc = json.loads(store["zarr.json"])
    flat = doc["consolidated_metadata"]["metadata"]
    grandchild = flat.pop("child/grandchild")
    grandchild["consolidated_metadata"]["metadata"] = {"b": flat.pop("child/grandchild/b")}
    flat["child"]["consolidated_metadata"]["metadata"] = {"grandchild": grandchild}
    store["zarr.json"] = json.dumps(doc).encode()
    del store["child/grandchild/zarr.json"], store["child/grandchild/b/zarr.json"]
    g = zarrlib.open_group(store, mode="r")
    assert g["child/grandchild/b"].shards == (4, 4) and list(g["child/grandchild"]) == ["b"]


def test_a_sub_group_consolidated_on_its_own_is_opened_from_it(tmp_path):
    path = str(tmp_path / "h.zarr")
    data = _build(path)
    with _quiet():
        zarr.consolidate_metadata(path, path="child")
    os.remove(os.path.join(path, "child", "grandchild", "b", "zarr.json"))  # only the snapshot knows it
    assert zarrlib.open_group(path, mode="r").zarr_format == 3  # the root has no snapshot: read live
    g = zarrlib.open_group(path, mode="r", path="child")
    assert g.name == "/child" and list(g) == ["grandchild", "z"] and g.attrs["kind"] == "child"
    np.testing.assert_array_equal(g["grandchild/b"][...], data["child/grandchild/b"])
    assert zarrlib.open_consolidated(path, path="child", mode="r")["grandchild/b"].shards == (4, 4)
