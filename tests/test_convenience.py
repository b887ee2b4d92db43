"""open / save / load, and consolidated metadata (.zmetadata)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.errors import MetadataError, PathNotFoundError, ReadOnlyError
from zarrlib.storage import MemoryStore


class CountingStore(MemoryStore):
    """Counts reads (values fetched) and listings."""

    def __init__(self):
        super().__init__()
        self.reads: list[str] = []

    def _get(self, key):
        self.reads.append(key)
        return super()._get(key)


# -- open ----------------------------------------------------------------------------------------
def test_open_finds_what_is_there(tmp_path):
    path = str(tmp_path / "h")
    g = zarr.open_group(path, mode="w")
    g.zeros("arr", shape=(3,))
    assert isinstance(zarr.open(path), zarr.Group)
    assert isinstance(zarr.open(path, mode="r", path="arr"), zarr.Array)
    assert zarr.open(path, mode="r", path="arr").read_only


def test_open_creates_by_keywords(tmp_path):
    assert isinstance(zarr.open(str(tmp_path / "g")), zarr.Group)
    z = zarr.open(str(tmp_path / "a"), mode="w", shape=(4,), chunks=(2,), dtype="i4")
    assert isinstance(z, zarr.Array) and z.shape == (4,)
    assert isinstance(zarr.open(mode="w"), zarr.Group)


@pytest.mark.parametrize("mode", ["r", "r+"])
def test_open_missing_is_path_not_found(tmp_path, mode):
    with pytest.raises(PathNotFoundError, match="no array or group"):
        zarr.open(str(tmp_path / "missing"), mode=mode)
    assert not (tmp_path / "missing").exists()


# -- save and load ---------------------------------------------------------------------------------
def test_save_and_load_one_array(tmp_path):
    data = np.arange(20).reshape(4, 5)
    zarr.save(str(tmp_path / "a.zarr"), data)
    np.testing.assert_array_equal(zarr.load(str(tmp_path / "a.zarr")), data)


def test_save_and_load_a_group_in_a_zip(tmp_path):
    path = str(tmp_path / "g.zip")
    zarr.save(path, np.arange(3), np.ones(2), extra=np.zeros(4))
    loaded = zarr.load(path)
    assert sorted(loaded) == ["arr_0", "arr_1", "extra"] and len(loaded) == 3
    np.testing.assert_array_equal(loaded["arr_0"], np.arange(3))
    np.testing.assert_array_equal(loaded["extra"], np.zeros(4))


def test_save_group_needs_arrays(tmp_path):
    with pytest.raises(ValueError, match="at least one array"):
        zarr.save_group(str(tmp_path / "g"))


# -- consolidated metadata --------------------------------------------------------------------------
@pytest.fixture
def hierarchy_store():
    store = MemoryStore()
    g = zarr.group(store=store)
    g.attrs["title"] = "héllo"
    a = g.create_group("foo").array("bar", np.arange(10, dtype="i4"), chunks=5)
    a.attrs["units"] = "m"
    g.create_group("spam")
    return store


def test_zmetadata_is_written_as_zarr_python_does(hierarchy_store):
    zarr.consolidate_metadata(hierarchy_store)
    raw = hierarchy_store[".zmetadata"]
    doc = json.loads(raw)
    # zarr-python 2's json_dumps: sorted keys, 4-space indent, ASCII escapes
    assert raw == json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=True, separators=(",", ": ")).encode()
    assert doc["zarr_consolidated_format"] == 1
    expected_keys = [".zattrs", ".zgroup", "foo/.zgroup", "foo/bar/.zarray", "foo/bar/.zattrs", "spam/.zgroup"]
    assert sorted(doc["metadata"]) == expected_keys
    for key in expected_keys:
        assert doc["metadata"][key] == json.loads(hierarchy_store[key])
    assert doc["metadata"][".zattrs"] == {"title": "héllo"}


def test_open_consolidated_reads_all_metadata_with_one_store_read(hierarchy_store):
    zarr.consolidate_metadata(hierarchy_store)
    counting = CountingStore()
    counting.set_many(dict(hierarchy_store.items()))
    g = zarr.open_consolidated(counting, mode="r")
    assert g.attrs["title"] == "héllo"
    assert list(g) == ["foo", "spam"]
    bar = g["foo/bar"]
    assert bar.attrs["units"] == "m"
    assert repr(g.tree()).count("\n") == 3
    assert counting.reads == [".zmetadata"]
    np.testing.assert_array_equal(bar[:], np.arange(10))
    assert all(k == ".zmetadata" or k.startswith("foo/bar/") for k in counting.reads)


def test_consolidated_metadata_is_read_only_but_chunks_are_writable(hierarchy_store):
    g = zarr.consolidate_metadata(hierarchy_store)  # mode r+
    bar = g["foo/bar"]
    bar[:] = 7
    np.testing.assert_array_equal(zarr.open_group(hierarchy_store)["foo/bar"][:], 7)
    before = {k: v for k, v in hierarchy_store.items() if k.rsplit("/", 1)[-1].startswith(".z")}
    for change in (
        lambda: g.attrs.__setitem__("k", 1),
        lambda: bar.attrs.__setitem__("k", 1),
        lambda: g.create_group("new"),
        lambda: g.zeros("new", shape=(2,)),
        lambda: bar.resize(20),
        lambda: g.__delitem__("spam"),
    ):
        with pytest.raises(ReadOnlyError, match="consolidate_metadata again"):
            change()
    assert {k: hierarchy_store[k] for k in before} == before


def test_open_consolidated_read_only_mode(hierarchy_store):
    zarr.consolidate_metadata(hierarchy_store)
    g = zarr.open_consolidated(hierarchy_store, mode="r")
    with pytest.raises(ReadOnlyError):
        g["foo/bar"][0] = 1


def test_consolidated_metadata_is_a_snapshot(hierarchy_store):
    zarr.consolidate_metadata(hierarchy_store)
    zarr.open_group(hierarchy_store).create_group("later")
    assert "later" not in zarr.open_consolidated(hierarchy_store)
    assert "later" in zarr.consolidate_metadata(hierarchy_store)


def test_consolidate_a_sub_hierarchy(hierarchy_store):
    foo = zarr.consolidate_metadata(hierarchy_store, path="foo")
    doc = json.loads(hierarchy_store["foo/.zmetadata"])
    assert sorted(doc["metadata"]) == [".zgroup", "bar/.zarray", "bar/.zattrs"]
    assert foo.name == "/foo" and list(foo) == ["bar"]
    np.testing.assert_array_equal(zarr.open_consolidated(hierarchy_store, path="foo")["bar"][:], np.arange(10))


def test_consolidate_an_array_at_the_root():
    store = MemoryStore()
    zarr.array(np.arange(4), store=store)
    z = zarr.consolidate_metadata(store)
    assert isinstance(z, zarr.Array)
    np.testing.assert_array_equal(z[:], np.arange(4))


def test_open_consolidated_errors(hierarchy_store):
    with pytest.raises(PathNotFoundError, match="consolidate_metadata first"):
        zarr.open_consolidated(hierarchy_store)
    with pytest.raises(ValueError, match="mode must be 'r' or 'r\\+'"):
        zarr.open_consolidated(hierarchy_store, mode="w")
    with pytest.raises(PathNotFoundError, match="nothing to consolidate"):
        zarr.consolidate_metadata(hierarchy_store, path="nope")
    assert ".zmetadata" not in hierarchy_store and "nope/.zmetadata" not in hierarchy_store


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        pytest.param(b"{broken", "valid JSON", id="not-json"),
        pytest.param(b'{"metadata": {}}', "zarr_consolidated_format must be 1", id="no-format"),
        pytest.param(b'{"zarr_consolidated_format": 1, "metadata": []}', "must be a JSON object", id="list"),
        pytest.param(
            b'{"zarr_consolidated_format": 1, "metadata": {"a/chunk": {}}}', "not a .zarray", id="non-metadata-key"
        ),
        pytest.param(b'{"zarr_consolidated_format": 1, "metadata": {".zgroup": 3}}', "'.zgroup' must be", id="entry"),
        pytest.param(b'{"zarr_consolidated_format": 1, "metadata": {"../.zgroup": {}}}', "'..'", id="hostile-key"),
    ],
)
def test_corrupt_zmetadata(hierarchy_store, raw, match):
    hierarchy_store[".zmetadata"] = raw
    with pytest.raises(ValueError, match=match) as info:
        zarr.open_consolidated(hierarchy_store)
    assert isinstance(info.value, (MetadataError, zarr.InvalidKeyError))


def test_zarr_python_3_extras_in_entries_are_ignored(hierarchy_store):
    zarr.consolidate_metadata(hierarchy_store)
    doc = json.loads(hierarchy_store[".zmetadata"])
    doc["metadata"]["spam/.zgroup"]["consolidated_metadata"] = {
        "metadata": {},
        "must_understand": False,
        "kind": "inline",
    }
    hierarchy_store[".zmetadata"] = json.dumps(doc, separators=(",", ":")).encode()
    g = zarr.open_consolidated(hierarchy_store)
    assert isinstance(g["spam"], zarr.Group)


def test_tree_function():
    g = zarr.group()
    g.zeros("a/b", shape=(2,), dtype="u1")
    assert repr(zarr.tree(g)) == "/\n └── a\n     └── b (2,) uint8"


def test_consolidating_a_v3_hierarchy_writes_no_zmetadata():
    store = MemoryStore()
    zarr.group(store=store, zarr_format=3).zeros("x", shape=(2,))
    zarr.consolidate_metadata(store)
    assert ".zmetadata" not in store
    assert list(json.loads(store["zarr.json"])["consolidated_metadata"]["metadata"]) == ["x"]


# -- the docstring examples of the hierarchy modules run as written ----------------------------------
@pytest.mark.parametrize(
    "module",
    [
        "zarrlib.hierarchy",
        "zarrlib.convenience",
        "zarrlib.tree",
        "zarrlib.storage.zip",
        "zarrlib.storage.sqlite",
        "zarrlib.storage.lru",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("how", ["save-one", "save-many", "save_group", "save_array"])
def test_save_takes_zarr_format_as_the_format_not_an_array(tmp_path, how):
    path = str(tmp_path / "s")
    data = np.arange(3)
    {
        "save-one": lambda: zarr.save(path, data, zarr_format=3),
        "save-many": lambda: zarr.save(path, data, b=data, zarr_format=3),
        "save_group": lambda: zarr.save_group(path, data, zarr_format=3),
        "save_array": lambda: zarr.save_array(path, data, zarr_format=3),
    }[how]()
    node = zarr.open(path, mode="r")
    assert node.zarr_format == 3
    if isinstance(node, zarr.Group):
        assert "zarr_format" not in node and all(node[k].zarr_format == 3 for k in node)
    np.testing.assert_array_equal(zarr.load(path) if how.endswith(("one", "array")) else zarr.load(path)["arr_0"], data)
