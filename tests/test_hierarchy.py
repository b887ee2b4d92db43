"""Groups: the tutorial's "Groups" section, the h5py-style API, and bad input."""

from __future__ import annotations

import json
import pickle

import numcodecs
import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.errors import (
    CodecError,
    ContainsArrayError,
    ContainsGroupError,
    GroupNotFoundError,
    InvalidKeyError,
    MetadataError,
    ReadOnlyError,
)
from zarrlib.hierarchy import Group


# -- the tutorial ----------------------------------------------------------------------------------
def test_tutorial_groups_section():
    root_group = zarr.group()
    assert repr(root_group) == "Group(/, 0)\n  store: DictStore"
    foo_group = root_group.create_group("foo")
    bar_group = foo_group.create_group("bar")
    z1 = bar_group.zeros(
        "baz",
        shape=(10000, 10000),
        chunks=(1000, 1000),
        dtype="i4",
        compressor=zarr.Blosc(cname="zstd", clevel=1, shuffle=1),
    )
    lines = repr(z1).splitlines()
    assert lines[0] == "Array(/foo/bar/baz, (10000, 10000), int32, chunks=(1000, 1000), order=C)"
    assert lines[1].startswith("  nbytes: 381.5M; nbytes_stored: ") and lines[1].endswith("initialized: 0/100")
    assert lines[2:] == ["  compressor: Blosc(cname='zstd', clevel=1, shuffle=1)", "  store: DictStore"]

    z = bar_group.create_dataset(
        "quux",
        shape=(10000, 10000),
        chunks=(1000, 1000),
        dtype="i4",
        fill_value=0,
        compression="gzip",
        compression_opts=1,
    )
    lines = repr(z).splitlines()
    assert lines[0] == "Array(/foo/bar/quux, (10000, 10000), int32, chunks=(1000, 1000), order=C)"
    assert lines[2:] == ["  compressor: Zlib(level=1)", "  store: DictStore"]

    assert repr(root_group["foo"]) == "Group(/foo, 1)\n  groups: 1; bar\n  store: DictStore"
    assert repr(root_group["foo/bar"]) == "Group(/foo/bar, 2)\n  arrays: 2; baz, quux\n  store: DictStore"
    assert repr(root_group["foo/bar/baz"]) == repr(z1)


def test_tutorial_persistent_group():
    persistent_group = zarr.open_group("example", mode="w")
    assert repr(persistent_group) == "Group(/, 0)\n  store: DirectoryStore"
    z = persistent_group.create_dataset(
        "foo/bar/baz", shape=(10000, 10000), chunks=(1000, 1000), dtype="i4", fill_value=0
    )
    lines = repr(z).splitlines()
    assert lines[0] == "Array(/foo/bar/baz, (10000, 10000), int32, chunks=(1000, 1000), order=C)"
    assert lines[2:] == ["  compressor: Blosc(cname='lz4', clevel=5, shuffle=1)", "  store: DirectoryStore"]
    reopened = zarr.open_group("example", mode="r")
    assert list(reopened.group_keys()) == ["foo"]
    assert reopened["foo/bar/baz"].shape == (10000, 10000)


# -- creating and opening --------------------------------------------------------------------------
def test_group_reopens_an_existing_group_and_keeps_members():
    store = zarr.MemoryStore()
    zarr.group(store=store).create_group("a")
    assert list(zarr.group(store=store)) == ["a"]
    assert list(zarr.group(store=store, overwrite=True)) == []


def test_group_refuses_an_array_at_its_path():
    store = zarr.MemoryStore()
    zarr.zeros((3,), store=store)
    with pytest.raises(ContainsArrayError):
        zarr.group(store=store)
    with pytest.raises(ContainsArrayError, match="holds an array"):
        Group(store)
    assert sorted(store) == [".zarray"]


def test_group_constructor_needs_a_group():
    with pytest.raises(GroupNotFoundError, match="no group at path '/'"):
        Group(zarr.MemoryStore())


@pytest.mark.parametrize(
    ("mode", "existing", "outcome"),
    [
        pytest.param("r", None, GroupNotFoundError, id="r-missing"),
        pytest.param("r+", None, GroupNotFoundError, id="r+-missing"),
        pytest.param("r", "array", ContainsArrayError, id="r-array"),
        pytest.param("r", "group", "kept", id="r-group"),
        pytest.param("r+", "group", "kept", id="r+-group"),
        pytest.param("a", None, "new", id="a-missing"),
        pytest.param("a", "group", "kept", id="a-group"),
        pytest.param("a", "array", ContainsArrayError, id="a-array"),
        pytest.param("w", "group", "new", id="w-group"),
        pytest.param("w", "array", "new", id="w-array"),
        pytest.param("w-", None, "new", id="w--missing"),
        pytest.param("w-", "group", ContainsGroupError, id="w--group"),
        pytest.param("x", "array", ContainsArrayError, id="x-array"),
    ],
)
def test_open_group_modes(tmp_path, mode, existing, outcome):
    path = str(tmp_path / "g")
    if existing == "group":
        zarr.open_group(path, mode="w").zeros("member", shape=(2,))
    elif existing == "array":
        zarr.open_array(path, mode="w", shape=(2,))
    if isinstance(outcome, type):
        with pytest.raises(outcome):
            zarr.open_group(path, mode=mode)
        return
    g = zarr.open_group(path, mode=mode)
    assert list(g) == (["member"] if outcome == "kept" else [])
    assert g.read_only == (mode == "r")


def test_open_group_bad_mode():
    with pytest.raises(ValueError, match="mode must be one of"):
        zarr.open_group(mode="rw")


def test_open_group_at_a_path_inside_a_store():
    store = zarr.MemoryStore()
    g = zarr.open_group(store, mode="a", path="x/y")
    assert g.name == "/x/y" and g.path == "x/y" and g.basename == "y"
    assert list(zarr.open_group(store, mode="r")) == ["x"]


def test_read_only_group_refuses_every_change():
    store = zarr.MemoryStore()
    zarr.group(store=store).zeros("a", shape=(2,))
    g = zarr.open_group(store, mode="r")
    before = dict(store.items())
    changes = [
        lambda: g.create_group("b"),
        lambda: g.require_group("b"),
        lambda: g.zeros("b", shape=(2,)),
        lambda: g.create_dataset("b", shape=(2,)),
        lambda: g.__setitem__("b", [1, 2]),
        lambda: g.__delitem__("a"),
        lambda: g.move("a", "b"),
        lambda: g.attrs.__setitem__("k", 1),
        lambda: g["a"].__setitem__(0, 5),
    ]
    for change in changes:
        with pytest.raises(ReadOnlyError):
            change()
    assert dict(store.items()) == before


# -- members ---------------------------------------------------------------------------------------
@pytest.fixture
def hierarchy():
    """/ -> zeta (array), beta/ (group: gamma (array), delta/ (group: eps (array))), alpha (array)."""
    g = zarr.group()
    g.zeros("zeta", shape=(2,))
    g.zeros("beta/gamma", shape=(3,))
    g.ones("beta/delta/eps", shape=(4,))
    g.zeros("alpha", shape=(5,))
    return g


def test_members_listed_in_sorted_order(hierarchy):
    assert list(hierarchy) == ["alpha", "beta", "zeta"]
    assert list(hierarchy.keys()) == ["alpha", "beta", "zeta"]
    assert len(hierarchy) == 3
    assert list(hierarchy.group_keys()) == ["beta"]
    assert list(hierarchy.array_keys()) == ["alpha", "zeta"]
    assert [name for name, _ in hierarchy.groups()] == ["beta"]
    assert [(n, a.shape) for n, a in hierarchy.arrays()] == [("alpha", (5,)), ("zeta", (2,))]
    assert list(hierarchy.array_keys(recurse=True)) == ["alpha", "beta/delta/eps", "beta/gamma", "zeta"]
    assert [type(v).__name__ for v in hierarchy.values()] == ["Array", "Group", "Array"]
    assert [(k, v.name) for k, v in hierarchy.items()] == [("alpha", "/alpha"), ("beta", "/beta"), ("zeta", "/zeta")]


def test_access_by_path(hierarchy):
    eps = hierarchy["beta/delta/eps"]
    assert eps.name == "/beta/delta/eps" and eps.basename == "eps"
    np.testing.assert_array_equal(eps[:], 1)
    assert hierarchy["beta"]["delta/eps"] == eps
    assert "beta/delta" in hierarchy and "beta/delta/eps" in hierarchy
    assert "beta/nope" not in hierarchy
    with pytest.raises(KeyError, match="'nope'"):
        hierarchy["nope"]
    assert hierarchy.get("nope") is None


def test_intermediate_groups_are_created(hierarchy):
    assert isinstance(hierarchy["beta/delta"], Group)
    hierarchy.create_group("p/q/r")
    assert list(hierarchy["p"]) == ["q"] and list(hierarchy["p/q"]) == ["r"]


def test_visit_family(hierarchy):
    paths = ["alpha", "beta", "beta/delta", "beta/delta/eps", "beta/gamma", "zeta"]
    seen = []
    assert hierarchy.visit(seen.append) is None
    assert seen == paths
    seen = []
    hierarchy.visitkeys(seen.append)
    assert seen == paths
    names = []
    hierarchy.visitvalues(lambda obj: names.append(obj.name))
    assert names == ["/" + p for p in paths]
    items = []
    hierarchy.visititems(lambda p, obj: items.append((p, type(obj).__name__)))
    assert items[:2] == [("alpha", "Array"), ("beta", "Group")]


def test_visit_stops_at_the_first_non_none_result(hierarchy):
    calls = []

    def find_eps(path):
        calls.append(path)
        return path if path.endswith("eps") else None

    assert hierarchy.visit(find_eps) == "beta/delta/eps"
    assert calls[-1] == "beta/delta/eps" and "zeta" not in calls
    assert hierarchy.visititems(lambda p, o: o if isinstance(o, Group) else None).name == "/beta"


def test_delete_removes_a_member_and_everything_below(hierarchy):
    store = hierarchy.store
    del hierarchy["beta"]
    assert list(hierarchy) == ["alpha", "zeta"]
    assert not any(k.startswith("beta") for k in store)
    with pytest.raises(KeyError):
        del hierarchy["beta"]


def test_move_array_and_group(hierarchy):
    hierarchy["alpha"][:] = np.arange(5)
    hierarchy.move("alpha", "new/home/alpha2")
    assert "alpha" not in hierarchy
    np.testing.assert_array_equal(hierarchy["new/home/alpha2"][:], np.arange(5))
    hierarchy["beta"].attrs["k"] = "v"
    hierarchy.move("beta", "omega")
    assert list(hierarchy) == ["new", "omega", "zeta"]
    assert hierarchy["omega"].attrs["k"] == "v"
    np.testing.assert_array_equal(hierarchy["omega/delta/eps"][:], 1)
    assert not any(k.startswith("beta") for k in hierarchy.store)


@pytest.mark.parametrize(
    ("source", "dest", "error"),
    [
        pytest.param("nope", "x", KeyError, id="missing-source"),
        pytest.param("alpha", "zeta", ContainsArrayError, id="dest-array"),
        pytest.param("alpha", "beta", ContainsGroupError, id="dest-group"),
        pytest.param("beta", "beta/inner", ValueError, id="into-itself"),
        pytest.param("alpha", "zeta/under", ContainsArrayError, id="below-array"),
        pytest.param("alpha", "../out", InvalidKeyError, id="hostile-dest"),
    ],
)
def test_move_errors_change_nothing(hierarchy, source, dest, error):
    before = dict(hierarchy.store.items())
    with pytest.raises(error):
        hierarchy.move(source, dest)
    assert dict(hierarchy.store.items()) == before


def test_setitem_stores_an_array():
    g = zarr.group()
    g["x"] = np.arange(6).reshape(2, 3)
    g["x"] = np.ones(4)  # replaces
    np.testing.assert_array_equal(g["x"][:], np.ones(4))


# -- groups: create and require ------------------------------------------------------------------
def test_require_group_is_idempotent():
    g = zarr.group()
    a = g.require_group("a/b")
    a.attrs["k"] = 1
    again = g.require_group("a/b")
    assert again == a and again.attrs["k"] == 1
    x, y = g.require_groups("x", "y")
    assert (x.name, y.name) == ("/x", "/y")


def test_require_group_where_an_array_is():
    g = zarr.group()
    g.zeros("a", shape=(2,))
    with pytest.raises(ContainsArrayError):
        g.require_group("a")
    assert isinstance(g.require_group("a", overwrite=True), Group)


def test_create_over_existing_raises_unless_overwrite():
    g = zarr.group()
    g.create_group("grp")
    g.zeros("arr", shape=(2,))
    with pytest.raises(ContainsGroupError):
        g.create_group("grp")
    with pytest.raises(ContainsArrayError):
        g.create_group("arr")
    with pytest.raises(ContainsGroupError):
        g.zeros("grp", shape=(2,))
    with pytest.raises(ContainsArrayError):
        g.create_dataset("arr", shape=(2,))
    assert isinstance(g.create_group("arr", overwrite=True), Group)
    assert g.zeros("grp", shape=(3,), overwrite=True).shape == (3,)


def test_nothing_below_an_array():
    g = zarr.group()
    g.zeros("arr", shape=(2,))
    before = dict(g.store.items())
    with pytest.raises(ContainsArrayError):
        g.create_group("arr/sub")
    with pytest.raises(ContainsArrayError):
        g.zeros("arr/sub", shape=(2,), overwrite=True)
    assert dict(g.store.items()) == before


# -- arrays in groups -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "args", "fill"),
    [
        pytest.param("zeros", (), 0, id="zeros"),
        pytest.param("ones", (), 1, id="ones"),
        pytest.param("full", (7,), 7, id="full"),
        pytest.param("create", (), 0, id="create"),
    ],
)
def test_creation_methods(method, args, fill):
    g = zarr.group()
    z = getattr(g, method)("a/b", *args, shape=(4,), chunks=(2,), dtype="i4")
    assert z.name == "/a/b" and z.store is g.store
    np.testing.assert_array_equal(g["a/b"][:], np.full(4, fill))


def test_array_and_like_methods():
    g = zarr.group()
    src = g.array("src", np.arange(10, dtype="i2"), chunks=5)
    assert (src.dtype, src.chunks) == (np.dtype("i2"), (5,))
    for method, fill in (("zeros_like", 0), ("ones_like", 1), ("empty_like", None)):
        z = getattr(g, method)(method, src)
        assert (z.shape, z.chunks, z.dtype) == (src.shape, src.chunks, src.dtype)
        if fill is not None:
            np.testing.assert_array_equal(z[:], fill)
    assert g.full_like("f", src, fill_value=3)[0] == 3


def test_store_and_path_are_set_by_the_group():
    g = zarr.group()
    with pytest.raises(TypeError, match="set by the group"):
        g.zeros("a", shape=(2,), store=zarr.MemoryStore())


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"compression": "gzip", "compression_opts": 1}, numcodecs.Zlib(level=1), id="gzip-1"),
        pytest.param({"compression": "gzip"}, numcodecs.Zlib(level=4), id="gzip-default-level"),
        pytest.param({"compression": 6}, numcodecs.Zlib(level=6), id="int-level"),
        pytest.param({"compression_opts": 2}, numcodecs.Zlib(level=2), id="opts-only"),
        pytest.param({"compression": "zstd", "compression_opts": 3}, numcodecs.Zstd(level=3), id="zstd"),
        pytest.param(
            {"compression": "blosc", "compression_opts": ("zstd", 2, 2)},
            numcodecs.Blosc(cname="zstd", clevel=2, shuffle=2),
            id="blosc-tuple",
        ),
        pytest.param(
            {"compression": "blosc", "compression_opts": {"cname": "lz4", "clevel": 9}},
            numcodecs.Blosc(cname="lz4", clevel=9),
            id="blosc-dict",
        ),
        pytest.param({"compression": numcodecs.BZ2(level=3)}, numcodecs.BZ2(level=3), id="codec"),
        pytest.param({"compression": None}, None, id="none-uncompressed"),
        pytest.param({}, "default", id="absent-default"),
        pytest.param({"compression": "none"}, None, id="none-string"),
    ],
)
def test_create_dataset_h5py_compression(kwargs, expected):
    g = zarr.group()
    z = g.create_dataset("x", shape=(100,), chunks=(10,), dtype="i4", **kwargs)
    if expected == "default":
        expected = zarr.storage.default_compressor
    assert z.compressor == expected
    z[:] = np.arange(100)
    np.testing.assert_array_equal(g["x"][:], np.arange(100))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"compression": "lzf"}, CodecError, "'lzf' is an HDF5 filter", id="lzf"),
        pytest.param({"compression": "szip"}, CodecError, "'szip'", id="szip"),
        pytest.param({"compression": "nonesuch"}, CodecError, "unknown compression 'nonesuch'", id="unknown"),
        pytest.param({"compression": "zstd", "compression_opts": {"bogus": 1}}, CodecError, "invalid", id="bad-opts"),
        pytest.param({"compression": "gzip", "compressor": None}, TypeError, "not both", id="both"),
        pytest.param({"fillvalue": 1, "fill_value": 2}, TypeError, "not both", id="two-fills"),
        pytest.param({"nonsense_keyword": 1}, TypeError, "nonsense_keyword", id="unknown-keyword"),
    ],
)
def test_create_dataset_bad_keywords_change_nothing(kwargs, error, match):
    g = zarr.group()
    before = dict(g.store.items())
    with pytest.raises(error, match=match):
        g.create_dataset("x", shape=(10,), **kwargs)
    assert dict(g.store.items()) == before


def test_create_dataset_shuffle():
    g = zarr.group()
    z = g.create_dataset("z", shape=(50,), dtype="i4", compression="gzip", shuffle=True)
    assert z.filters == [numcodecs.Shuffle(elementsize=4)]
    z[:] = np.arange(50)
    np.testing.assert_array_equal(g["z"][:], np.arange(50))
    b = g.create_dataset(
        "b", shape=(50,), dtype="i4", compression="blosc", compression_opts={"shuffle": 0}, shuffle=True
    )
    assert b.compressor.shuffle == numcodecs.Blosc.SHUFFLE and b.filters is None


def test_create_dataset_fillvalue_data_and_maxshape():
    g = zarr.group()
    f = g.create_dataset("f", shape=(3,), dtype="f8", fillvalue=-1.5, maxshape=(None,))
    np.testing.assert_array_equal(f[:], -1.5)
    d = g.create_dataset("d", data=np.arange(12).reshape(3, 4), chunks=(2, 2))
    assert (d.shape, d.dtype) == ((3, 4), np.arange(1).dtype)
    np.testing.assert_array_equal(d[:], np.arange(12).reshape(3, 4))
    s = g.create_dataset("s", data=["a", "bb"], dtype=str)
    assert s[:].tolist() == ["a", "bb"]
    with pytest.raises(ValueError, match="shape"):
        g.create_dataset("bad", shape=(5,), data=np.arange(4))
    assert "bad" not in g


def test_require_dataset():
    g = zarr.group()
    z = g.require_dataset("x", shape=(10,), dtype="i4", chunks=(5,))
    z[:] = 3
    again = g.require_dataset("x", shape=10, dtype="i2")  # i2 casts safely to i4
    assert again == z
    np.testing.assert_array_equal(again[:], 3)
    assert g.require_dataset("x", shape=(10,), dtype="i4", exact=True) == z
    with pytest.raises(TypeError, match=r"shape \(10,\), not the requested \(11,\)"):
        g.require_dataset("x", shape=(11,), dtype="i4")
    with pytest.raises(TypeError, match="cannot be safely cast"):
        g.require_dataset("x", shape=(10,), dtype="f8")
    with pytest.raises(TypeError, match="is not"):
        g.require_dataset("x", shape=(10,), dtype="i2", exact=True)
    g.create_group("grp")
    with pytest.raises(ContainsGroupError):
        g.require_dataset("grp", shape=(10,), dtype="i4")


# -- hostile names and broken metadata -------------------------------------------------------------
HOSTILE_NAMES = [
    pytest.param("..", id="dotdot"),
    pytest.param("../escape", id="dotdot-prefix"),
    pytest.param("a/../../escape", id="dotdot-inside"),
    pytest.param("/abs", id="leading-slash"),
    pytest.param("a//b", id="empty-segment"),
    pytest.param("a/", id="trailing-slash"),
    pytest.param("", id="empty"),
    pytest.param(".", id="dot"),
    pytest.param("a\\b", id="backslash"),
    pytest.param("a\x00b", id="nul"),
    pytest.param(".zarray", id="reserved-zarray"),
    pytest.param("a/.zgroup", id="reserved-zgroup"),
    pytest.param(".zattrs/x", id="reserved-zattrs"),
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda g, n: g.create_group(n), id="create_group"),
        pytest.param(lambda g, n: g.require_group(n), id="require_group"),
        pytest.param(lambda g, n: g.zeros(n, shape=(2,)), id="zeros"),
        pytest.param(lambda g, n: g.create_dataset(n, shape=(2,)), id="create_dataset"),
        pytest.param(lambda g, n: g.__setitem__(n, [1]), id="setitem"),
        pytest.param(lambda g, n: g[n], id="getitem"),
        pytest.param(lambda g, n: g.move("ok", n), id="move-dest"),
    ],
)
def test_hostile_names_refused_and_nothing_written(tmp_path, name, operation):
    g = zarr.open_group(tmp_path / "root", mode="w")
    g.zeros("ok", shape=(2,))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(InvalidKeyError):
        operation(g, name)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert name not in g


def test_non_string_names():
    g = zarr.group()
    with pytest.raises(TypeError, match="must be strings"):
        g.create_group(3)
    assert 3 not in g


def test_corrupt_zgroup_gives_metadata_error_and_changes_nothing():
    store = zarr.MemoryStore()
    zarr.group(store=store).create_group("sub")
    store["sub/.zgroup"] = b"{not json"
    before = dict(store.items())
    with pytest.raises(MetadataError, match=r"sub/\.zgroup"):
        zarr.group(store=store)["sub"]
    with pytest.raises(MetadataError, match=r"sub/\.zgroup"):
        zarr.open_group(store, mode="r", path="sub")
    store["sub/.zgroup"] = b'{"zarr_format": 3}'
    with pytest.raises(MetadataError, match="zarr_format must be 2"):
        Group(store, path="sub")
    store["sub/.zgroup"] = before["sub/.zgroup"]
    assert dict(store.items()) == before


def test_corrupt_zattrs_gives_metadata_error():
    store = zarr.MemoryStore()
    g = zarr.group(store=store)
    store[".zattrs"] = b"[1, 2]"
    with pytest.raises(MetadataError, match=r"\.zattrs"):
        dict(g.attrs)
    with pytest.raises(MetadataError):
        g.attrs["k"] = 1
    assert store[".zattrs"] == b"[1, 2]"


def test_group_where_an_array_is_expected_and_the_reverse():
    g = zarr.group()
    g.create_group("grp")
    g.zeros("arr", shape=(2,))
    with pytest.raises(ContainsGroupError, match="holds a group"):
        zarr.open_array(g.store, mode="r", path="grp")
    with pytest.raises(ContainsArrayError, match="holds an array"):
        zarr.open_group(g.store, mode="r", path="arr")
    with pytest.raises(ContainsArrayError, match="holds an array"):
        Group(g.store, path="arr")


# -- sharing: synchronizer, chunk store, pickling ----------------------------------------------------
def test_arrays_share_the_group_synchronizer():
    sync = zarr.ThreadSynchronizer()
    g = zarr.group(synchronizer=sync)
    z = g.zeros("a/b", shape=(10,), chunks=(5,))
    assert z.synchronizer is sync
    assert g["a/b"].synchronizer is sync
    assert g["a"].synchronizer is sync
    assert repr(g).endswith("store: DictStore; synchronizer: ThreadSynchronizer")
    g.attrs["k"] = 1
    assert g.attrs["k"] == 1


def test_chunk_store_receives_chunks_and_follows_moves_and_deletes():
    store, chunks = zarr.MemoryStore(), zarr.MemoryStore()
    g = zarr.group(store=store, chunk_store=chunks)
    g.array("a/x", np.arange(10), chunks=5)
    assert sorted(chunks) == ["a/x/0", "a/x/1"]
    assert not any(k.endswith(("/0", "/1")) for k in store)
    g.move("a", "b")
    assert sorted(chunks) == ["b/x/0", "b/x/1"]
    np.testing.assert_array_equal(g["b/x"][:], np.arange(10))
    del g["b"]
    assert list(chunks) == []
    assert repr(g).endswith("store: MemoryStore; chunk_store: MemoryStore")


def test_pickle_roundtrip(tmp_path):
    g = zarr.open_group(tmp_path / "g", mode="w")
    g.create_group("a").attrs["k"] = "v"
    clone = pickle.loads(pickle.dumps(g["a"]))
    assert clone == g["a"] and clone.attrs["k"] == "v"


# -- reports ---------------------------------------------------------------------------------------
def test_repr_lines_are_truncated_to_80_characters():
    g = zarr.group()
    for i in range(30):
        g.zeros(f"array_number_{i:02d}", shape=(1,))
    line = repr(g).splitlines()[1]
    assert len(line) == 80 and line.startswith("  arrays: 30; array_number_00, ") and line.endswith("...")


def test_tree_text_and_html(hierarchy):
    assert repr(hierarchy.tree()) == "\n".join(
        [
            "/",
            " ├── alpha (5,) float64",
            " ├── beta",
            " │   ├── delta",
            " │   │   └── eps (4,) float64",
            " │   └── gamma (3,) float64",
            " └── zeta (2,) float64",
        ]
    )
    assert repr(hierarchy.tree(level=1)).splitlines() == [
        "/",
        " ├── alpha (5,) float64",
        " ├── beta",
        " └── zeta (2,) float64",
    ]
    assert repr(hierarchy["beta"].tree()).splitlines()[0] == "beta"
    hierarchy.create_group("<b>")
    html = hierarchy.tree(expand=True)._repr_html_()
    assert "<details open><summary>beta</summary>" in html
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "<details open>" not in hierarchy.tree()._repr_html_()


def test_info(hierarchy):
    text = repr(hierarchy["beta"].info)
    assert "Name        : /beta" in text
    assert "No. members : 2" in text
    assert "Arrays      : gamma" in text and "Groups      : delta" in text
    assert "<th>Store type</th><td>DictStore</td>" in hierarchy.info._repr_html_()


# -- Zarr v3 groups ----------------------------------------------------------------------------------
def test_v3_group_hierarchy():
    store = zarr.MemoryStore()
    g = zarr.group(store=store, zarr_format=3)
    g.attrs["title"] = "v3"
    z = g.array("a/b", np.arange(10), chunks=5)
    g.create_group("c").attrs["k"] = 1
    assert (g.zarr_format, g["a"].zarr_format, z.zarr_format) == (3, 3, 3)
    assert sorted(store) == ["a/b/c/0", "a/b/c/1", "a/b/zarr.json", "a/zarr.json", "c/zarr.json", "zarr.json"]
    reopened = zarr.open_group(store, mode="r")
    assert reopened.zarr_format == 3 and reopened.attrs["title"] == "v3" and reopened["c"].attrs["k"] == 1
    assert list(reopened) == ["a", "c"]
    np.testing.assert_array_equal(reopened["a/b"][:], np.arange(10))
    g.move("a", "moved")
    del g["c"]
    assert sorted(store) == ["moved/b/c/0", "moved/b/c/1", "moved/b/zarr.json", "moved/zarr.json", "zarr.json"]


def test_v3_group_format_mismatch_and_detection():
    store = zarr.MemoryStore()
    zarr.group(store=store, zarr_format=3)
    with pytest.raises(ValueError, match="is a Zarr v3 group, not zarr_format=2"):
        zarr.open_group(store, mode="a", zarr_format=2)
    assert zarr.open(store).zarr_format == 3
    with pytest.raises(ValueError, match="zarr_format must be 2 or 3"):
        zarr.group(zarr_format=4)
    array_store = zarr.MemoryStore()
    zarr.zeros((2,), store=array_store, zarr_format=3)
    with pytest.raises(ContainsArrayError, match="holds an array"):
        Group(array_store)


def test_v3_create_dataset_gzip_is_the_standard_codec():
    g = zarr.group(zarr_format=3)
    z = g.create_dataset("x", shape=(8,), chunks=(4,), dtype="i2", compression="gzip", compression_opts=2)
    assert [c["name"] for c in json.loads(g.store["x/zarr.json"])["codecs"]] == ["bytes", "gzip"]
    z[:] = 3
    np.testing.assert_array_equal(g["x"][:], 3)
