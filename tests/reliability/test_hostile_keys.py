"""Hostile keys and names against every store and every entry point that takes a name.

Each test runs one operation with every name of ``HOSTILE`` (and the non-strings of
``NOT_STRINGS``) on one store, in a store root ``tmp_path/parent/root`` holding a group with
an array ``keep``. For every name it checks that

* the operation is refused with ``InvalidKeyError`` (``TypeError`` for non-strings), except
  that ``name in store`` is False and path arguments may normalise a leading or trailing '/'
  (zarr's hierarchy-absolute paths: ``path='/a'`` is ``'a'``, inside the store);
* nothing outside the root changed (the whole tree around it is snapshotted, file by file);
* nothing inside the store changed (every key and value compared) unless the name was a
  benign hierarchy path, in which case only keys below the normalised path were added.

All failures of a test are collected and reported together. ``HOSTILE_INPUTS_TRIED`` counts
(name, store, operation) cases; test_zz_report prints the total.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.errors import InvalidKeyError, ZarrlibError
from zarrlib.storage import ByteRange, ConsolidatedMetadataStore, KVStore, LRUStoreCache, Store

HOSTILE: list[str] = [
    "..",
    "../x",
    "../../outside.txt",
    "a/../../x",
    "a/..",
    "a/../b",
    ".",
    "./a",
    "a/./b",
    "/abs",
    "/etc/passwd",
    "//x",
    "a//b",
    "a/",
    "",
    "/",
    "a\\b",
    "..\\x",
    "..\\..\\x",
    "\\\\server\\share\\x",
    "C:\\x",
    "a\x00b",
    "\x00",
    "..\x00",
    "a\nb",
    "\r",
    "\x1b[31m",
    "x" * 256,
    "x" * 201,  # one byte over the segment limit
    "a/" + "y" * 300,
    "é" * 200,  # 200 characters, 400 UTF-8 bytes: over the 255-byte file-name limit
    "\udc80",  # a lone surrogate: not encodable as UTF-8
    "a/\ud800b",
    "a/" * 1100 + "a",  # every segment short, the whole key longer than any file system path
]
NOT_STRINGS: list[Any] = [1, None, b"a", ("a",), 1.5, ["a"], object()]

#: Hierarchy paths (``path=`` arguments, prefixes) that zarr normalises by stripping '/'.
BENIGN_PATHS = {"/abs": "abs", "/etc/passwd": "etc/passwd", "//x": "x", "a/": "a", "/": "", "": ""}

#: Names that mean the store's root where a path is expected.
ROOT_PATHS = ("", "/", None)

HOSTILE_INPUTS_TRIED = [0]


# -- stores ------------------------------------------------------------------------------------
def _populate(store: Store) -> None:
    g = zarr.group(store=store)
    z = g.zeros("keep", shape=(4,), chunks=(2,), dtype="i4")
    z[:] = [1, 2, 3, 4]
    z.attrs["a"] = 1


def _directory(root: str) -> Store:
    return zarr.DirectoryStore(root)


def _nested(root: str) -> Store:
    return zarr.NestedDirectoryStore(root)


def _zip(root: str) -> Store:
    return zarr.ZipStore(root + ".zip", mode="a")


def _sqlite(root: str) -> Store:
    return zarr.SQLiteStore(root + ".sqlite")


def _memory(root: str) -> Store:
    return zarr.MemoryStore()


def _dict(root: str) -> Store:
    return KVStore({})


def _lru(root: str) -> Store:
    return LRUStoreCache(zarr.DirectoryStore(root), max_size=2**20)


STORES: dict[str, Callable[[str], Store]] = {
    "directory": _directory,
    "nested": _nested,
    "zip": _zip,
    "sqlite": _sqlite,
    "memory": _memory,
    "dict": _dict,
    "lru": _lru,
}


class Env:
    """A populated store in ``parent/root`` plus before/after snapshots."""

    def __init__(self, tmp_path: Any, kind: str) -> None:
        self.top = str(tmp_path)
        self.parent = os.path.join(self.top, "parent")
        os.makedirs(self.parent)
        with open(os.path.join(self.top, "outside.txt"), "w") as f:
            f.write("precious")
        self.root = os.path.join(self.parent, "root")
        self.kind = kind
        base = STORES["directory" if kind == "consolidated" else kind](self.root)
        _populate(base)
        if kind == "consolidated":
            zarr.consolidate_metadata(base)
            self.store: Store = ConsolidatedMetadataStore(base)
        else:
            self.store = base
        self.base = base

    def outside(self) -> dict[str, str]:
        """Every path around the store (not inside its root or files), with a content digest."""
        mine = (self.root, self.root + ".zip", self.root + ".sqlite")
        snap = {}
        for dirpath, dirnames, filenames in os.walk(self.top):
            dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in mine]
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if path.startswith(mine) and path not in (self.root,):
                    continue  # the store's own files (sqlite -wal/-shm, zip)
                if os.path.islink(path):
                    snap[path] = "link:" + os.readlink(path)
                elif os.path.isfile(path):
                    with open(path, "rb") as f:
                        snap[path] = hashlib.sha1(f.read()).hexdigest()
                else:
                    snap[path] = "dir"
        return snap

    def inside(self) -> dict[str, bytes]:
        return {k: self.base[k] for k in self.base}

    def close(self) -> None:
        self.base.close()


@pytest.fixture(params=[*STORES, "consolidated"])
def env(request, tmp_path):
    e = Env(tmp_path, request.param)
    yield e
    e.close()


#: Entry points reach stores only through the store interface tested above with every store;
#: they run on one store of each backend (nested directories and the LRU cache add nothing).
ENTRY_STORES = ["directory", "zip", "sqlite", "memory", "dict", "consolidated"]


@pytest.fixture(params=ENTRY_STORES)
def entry_env(request, tmp_path):
    e = Env(tmp_path, request.param)
    yield e
    e.close()


# -- the check -----------------------------------------------------------------------------------
REFUSED = (InvalidKeyError, TypeError)


def _name_label(name: Any) -> str:
    text = repr(name)
    return text if len(text) < 40 else text[:37] + "..."


def try_all(
    env: Env,
    op: Callable[[Store, Any], Any],
    *,
    names: list[Any] | None = None,
    benign: dict[str, str] | None = None,
    allowed: Callable[[Any, Any], bool] | None = None,
    extra_errors: tuple[type[BaseException], ...] = (),
) -> None:
    """Run ``op(store, name)`` for every hostile name; collect every broken promise."""
    failures = []
    for name in HOSTILE + NOT_STRINGS if names is None else names:
        HOSTILE_INPUTS_TRIED[0] += 1
        before_out, before_in = env.outside(), env.inside()
        outcome: Any
        try:
            outcome = ("ok", op(env.store, name))
        except REFUSED + extra_errors as e:
            outcome = ("refused", e)
        except Exception as e:
            outcome = ("crashed", e)
        after_out, after_in = env.outside(), env.inside()
        label = _name_label(name)
        if after_out != before_out:
            changed = sorted(set(after_out.items()) ^ set(before_out.items()))
            failures.append(f"{label}: changed files outside the store: {changed[:4]}")
        normalized = None
        if benign is not None:  # None as a path is the root, as '' is
            normalized = benign.get(name) if isinstance(name, str) else ("" if name is None else None)
        if normalized is not None:
            added = set(after_in) - set(before_in)
            if any(after_in.get(k) != v for k, v in before_in.items() if k in after_in) or not set(after_in) >= set(
                before_in
            ):
                failures.append(f"{label}: benign path changed existing keys")
            parents = {f"{normalized.rsplit('/', 1)[0]}/{m}" for m in (".zgroup", "zarr.json") if "/" in normalized}
            if normalized and any(not k.startswith(normalized + "/") and k not in parents for k in added):
                failures.append(f"{label}: wrote outside {normalized!r}: {sorted(added)[:4]}")
            if outcome[0] == "crashed":
                failures.append(f"{label}: {type(outcome[1]).__name__}: {outcome[1]}")
            continue
        if after_in != before_in:
            failures.append(f"{label}: store contents changed: {sorted(set(after_in) ^ set(before_in))[:4]}")
        if outcome[0] == "ok" and not (allowed is not None and allowed(name, outcome[1])):
            failures.append(f"{label}: accepted (returned {outcome[1]!r:.60})")
        if outcome[0] == "crashed":
            failures.append(f"{label}: unclear error {type(outcome[1]).__name__}: {outcome[1]}")
        if outcome[0] == "refused":
            message = str(outcome[1])
            if isinstance(outcome[1], InvalidKeyError) and not message:
                failures.append(f"{label}: InvalidKeyError without a message")
    assert not failures, f"{env.kind}: {len(failures)} hostile names mishandled:\n" + "\n".join(failures)


# -- store operations ------------------------------------------------------------------------------
STORE_OPS: dict[str, Callable[[Store, Any], Any]] = {
    "setitem": lambda s, k: s.__setitem__(k, b"evil"),
    "getitem": lambda s, k: s[k],
    "delitem": lambda s, k: s.__delitem__(k),
    "get_many": lambda s, k: s.get_many([k]),
    "set_many": lambda s, k: s.set_many({k: b"evil"}),
    "delete_many": lambda s, k: s.delete_many([k]),
    "get_range": lambda s, k: s.get_range(k, ByteRange(0, 4)),
}
PREFIX_OPS: dict[str, Callable[[Store, Any], Any]] = {
    "list_prefix": lambda s, k: s.list_prefix(k),
    "list_dir": lambda s, k: s.list_dir(k),
    "getsize": lambda s, k: s.getsize(k),
    "rmdir": lambda s, k: s.rmdir(k),
}


@pytest.mark.parametrize("op", list(STORE_OPS))
def test_store_refuses_hostile_keys(env, op):
    # a read-only view may refuse a write before looking at the key: that is refusal too
    try_all(env, STORE_OPS[op], extra_errors=(zarr.ReadOnlyError,) if env.kind == "consolidated" else ())


def test_store_contains_is_false_for_hostile_keys(env):
    try_all(env, lambda s, k: s.__contains__(k), allowed=lambda name, result: result is False)


@pytest.mark.parametrize("op", list(PREFIX_OPS))
def test_store_refuses_hostile_prefixes(env, op):
    # '', '/' and None are the root: rmdir('') empties the store by definition, so it is not tried
    names = [n for n in HOSTILE + NOT_STRINGS if not (op == "rmdir" and n in ROOT_PATHS)]
    try_all(env, PREFIX_OPS[op], names=names, benign=BENIGN_PATHS, extra_errors=(zarr.ReadOnlyError,))


# -- group, array and copy entry points --------------------------------------------------------------
def _group(s: Store) -> zarr.Group:
    return zarr.open_group(s, mode="a")


MEMBER_OPS: dict[str, Callable[[Store, Any], Any]] = {
    "create_group": lambda s, n: _group(s).create_group(n),
    "require_group": lambda s, n: _group(s).require_group(n),
    "create_dataset": lambda s, n: _group(s).create_dataset(n, shape=(2,), dtype="i4"),
    "group.zeros": lambda s, n: _group(s).zeros(n, shape=(2,)),
    "group.array": lambda s, n: _group(s).array(n, np.arange(2)),
    "group.full": lambda s, n: _group(s).full(n, 5, shape=(2,)),
    "group[name] = array": lambda s, n: _group(s).__setitem__(n, np.arange(2)),
    "del group[name]": lambda s, n: _group(s).__delitem__(n),
    "move(keep, name)": lambda s, n: _group(s).move("keep", n),
    "move(name, new)": lambda s, n: _group(s).move(n, "new"),
    "copy(name=)": lambda s, n: zarr.copy(zarr.array(np.arange(2)), _group(s), name=n),
}
PATH_OPS: dict[str, Callable[[Store, Any], Any]] = {
    "zeros(path=)": lambda s, n: zarr.zeros((2,), store=s, path=n),
    "create(path=)": lambda s, n: zarr.create((2,), store=s, path=n, zarr_format=3),
    "open_array(path=)": lambda s, n: zarr.open_array(s, mode="a", path=n, shape=(2,)),
    "open_array(w, path=)": lambda s, n: zarr.open_array(s, mode="w", path=n, shape=(2,)),
    "open_group(path=)": lambda s, n: zarr.open_group(s, mode="a", path=n),
    "group(path=)": lambda s, n: zarr.group(store=s, path=n),
    "open(path=)": lambda s, n: zarr.open(s, mode="a", path=n),
    "copy_store(dest_path=)": lambda s, n: zarr.copy_store(_source(), s, dest_path=n),
    "save_array(path=)": lambda s, n: zarr.save_array(s, np.arange(2), path=n),
}
READ_OPS: dict[str, Callable[[Store, Any], Any]] = {
    "group[name]": lambda s, n: zarr.open_group(s, mode="r")[n],
    "name in group": lambda s, n: n in zarr.open_group(s, mode="r"),
    "Array(path=)": lambda s, n: zarr.Array(s, path=n),
    "open_array(r, path=)": lambda s, n: zarr.open_array(s, mode="r", path=n),
    "copy_store(source_path=)": lambda s, n: zarr.copy_store(s, zarr.MemoryStore(), source_path=n),
}


def _source() -> Store:
    src = zarr.MemoryStore()
    zarr.zeros((2,), chunks=(1,), store=src)[:] = 1
    return src


def _writable(env: Env) -> None:
    if env.kind == "consolidated":
        pytest.skip("metadata opened from .zmetadata is read-only")


@pytest.mark.parametrize("op", list(MEMBER_OPS))
def test_member_names_refused(entry_env, op):
    env = entry_env
    _writable(env)
    # a zip member cannot be deleted or rewritten: ReadOnlyError is a refusal there too
    extra = (zarr.ReadOnlyError,) if env.kind == "zip" else ()
    try_all(env, MEMBER_OPS[op], extra_errors=extra)


@pytest.mark.parametrize("op", list(PATH_OPS))
def test_path_arguments_refused_or_normalised(entry_env, op):
    env = entry_env
    _writable(env)
    # '/a' is the hierarchy path 'a'; '' and '/' the root (a group is there, so array
    # creation at the root fails with ContainsGroupError: refused, nothing changed)
    extra = (zarr.ContainsGroupError, zarr.ReadOnlyError, zarr.CopyError)
    # mode 'w' at the root means "replace the whole hierarchy": asked for, not hostile
    replaces = op in ("open_array(w, path=)", "save_array(path=)")
    names = [n for n in HOSTILE + NOT_STRINGS if not (replaces and n in ROOT_PATHS)]
    try_all(env, PATH_OPS[op], names=names, benign=BENIGN_PATHS, extra_errors=extra)


@pytest.mark.parametrize("op", list(READ_OPS))
def test_read_entry_points_refuse_hostile_names(entry_env, op):
    env = entry_env
    allowed = (lambda name, result: result is False) if op == "name in group" else None
    extra = (KeyError, zarr.ContainsGroupError, ValueError)
    if env.kind == "consolidated":
        READ_OPS_C = {
            "group[name]": lambda s, n: zarr.open_consolidated(env.base, mode="r")[n],
            "name in group": lambda s, n: n in zarr.open_consolidated(env.base, mode="r"),
        }
        if op not in READ_OPS_C:
            pytest.skip("covered on the underlying store")
        try_all(env, READ_OPS_C[op], allowed=allowed, extra_errors=extra, benign=_read_benign(op))
        return
    try_all(env, READ_OPS[op], allowed=allowed, extra_errors=extra, benign=_read_benign(op))


def _read_benign(op: str) -> dict[str, str] | None:
    return BENIGN_PATHS if "path" in op else None


VALID_ODD_NAMES = ["é x", "...", "a:b", "~user", "%2e%2e", ".hidden", "x" * 200, "名前", "a b/c-d_e.f", "é" * 100]


@pytest.mark.parametrize("kind", ["directory", "zip", "sqlite", "memory"])
def test_unusual_but_valid_names_work(tmp_path, kind):
    """The refusals above are not over-broad: odd but safe names round-trip in every store."""
    store = STORES[kind](str(tmp_path / "root"))
    g = zarr.group(store=store)
    for i, name in enumerate(VALID_ODD_NAMES):
        g.create_group(name).zeros("z", shape=(2,), chunks=(2,), dtype="i4")[:] = i
    for i, name in enumerate(VALID_ODD_NAMES):
        assert g[name]["z"][:].tolist() == [i, i]
        assert name.split("/")[0] in g
    store.close()


def test_read_refusals_are_invalid_key_errors(tmp_path):
    """Reads may answer KeyError for benign misses, but a hostile name is named as such."""
    g = zarr.group(store=zarr.DirectoryStore(tmp_path / "r"))
    for name in ["../x", "a\\b", "a\x00b", "a//b", "x" * 256]:
        with pytest.raises(InvalidKeyError, match=r"member name|store key"):
            g[name]
        with pytest.raises(InvalidKeyError):
            zarr.Array(g.store, path=name)


# -- symlinks inside a DirectoryStore root -----------------------------------------------------------
@pytest.fixture
def linked(tmp_path):
    """A store whose root holds 'out' -> a directory outside, and 'c/0' -> a file outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"precious")
    root = tmp_path / "root"
    store = zarr.DirectoryStore(root)
    _populate(store)
    os.symlink(outside, root / "out")
    return store, outside


def test_writes_through_a_symlink_out_of_the_root_are_refused(linked):
    store, outside = linked
    before = sorted(os.listdir(outside))
    for key in ["out/new", "out/secret", "out/sub/deep", "out/.zgroup"]:
        with pytest.raises(InvalidKeyError, match="symbolic link"):
            store[key] = b"evil"
        with pytest.raises(InvalidKeyError, match="symbolic link"):
            del store[key]
    with pytest.raises(InvalidKeyError, match="symbolic link"):
        store.rmdir("out/sub")
    with pytest.raises(InvalidKeyError, match="symbolic link"):
        zarr.zeros((2,), store=store, path="out/arr")
    with pytest.raises(InvalidKeyError, match="symbolic link"):
        zarr.open_group(store, mode="a").create_group("out/g")
    assert sorted(os.listdir(outside)) == before
    assert (outside / "secret").read_bytes() == b"precious"


def test_rmdir_of_the_link_itself_removes_only_the_link(linked):
    store, outside = linked
    store.rmdir("out")
    assert not os.path.lexists(os.path.join(store.path, "out"))
    assert (outside / "secret").read_bytes() == b"precious"


def test_writing_a_key_that_is_a_symlink_replaces_the_link_not_its_target(linked, tmp_path):
    store, outside = linked
    os.remove(os.path.join(store.path, "keep", "0"))
    os.symlink(outside / "secret", os.path.join(store.path, "keep", "0"))
    store["keep/0"] = b"new"
    assert not os.path.islink(os.path.join(store.path, "keep", "0"))
    assert store["keep/0"] == b"new"
    assert (outside / "secret").read_bytes() == b"precious"


def test_symlinks_inside_the_root_and_a_linked_root_work(tmp_path):
    """Links that stay inside the root are followed; a root that is itself a link is the root."""
    real = tmp_path / "real"
    store = zarr.DirectoryStore(real)
    _populate(store)
    os.symlink(real / "keep", real / "alias")
    store["alias/extra"] = b"x"
    assert store["keep/extra"] == b"x"
    os.symlink(real, tmp_path / "link")
    linked_root = zarr.DirectoryStore(tmp_path / "link")
    linked_root["keep/more"] = b"y"
    assert store["keep/more"] == b"y"


def test_reads_follow_links_as_documented(linked):
    """Reads follow links (linking big arrays in from other disks is common); only writes and
    deletes are confined to the root."""
    store, _ = linked
    assert store["out/secret"] == b"precious"


def test_zz_report_hostile_inputs(capsys):
    """The count of (name, store, operation) cases this module tried (printed with -s)."""
    with capsys.disabled():
        sys.stdout.write(f"\nhostile key/name inputs tried: {HOSTILE_INPUTS_TRIED[0]}\n")
    assert HOSTILE_INPUTS_TRIED[0] > 0 or os.environ.get("PYTEST_XDIST_WORKER")


# Every public error is a ZarrlibError: a caller can catch them all in one clause.
assert issubclass(InvalidKeyError, ZarrlibError)


def test_hostile_zip_members_are_not_extracted(tmp_path):
    """A zip whose members escape ('zip slip'): listing skips them, copying refuses before
    writing anything, wherever the bad member sorts."""
    import zipfile

    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(".zgroup", '{"zarr_format": 2}')
        zf.writestr("a/.zgroup", '{"zarr_format": 2}')
        zf.writestr("a/../../escaped", "x")
        zf.writestr("z/../../../escaped2", "x")
        zf.writestr("/abs_escaped", "x")
    source = zarr.ZipStore(path, mode="r")
    assert list(zarr.open_group(source, mode="r")) == ["a"]
    dest = tmp_path / "dest" / "root"
    with pytest.raises(InvalidKeyError, match="cannot be copied"):
        zarr.copy_store(source, zarr.DirectoryStore(dest))
    assert not dest.exists()
    assert sorted(os.listdir(tmp_path)) == ["evil.zip"]
    zarr.copy_all(zarr.open_group(source, mode="r"), zarr.group(store=zarr.DirectoryStore(dest)))
    assert sorted(os.listdir(dest)) == [".zgroup", "a"]
    source.close()
