"""Hypothesis stateful tests: random create / require / delete / move / attrs / write
sequences on a group, checked after every step against a plain dict model of the
hierarchy, on memory, directory, zip and sqlite stores.

A zip archive cannot delete or replace members; there the model expects ReadOnlyError
for those operations and an unchanged hierarchy.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import zarrlib as zarr
from zarrlib.errors import ContainsArrayError, ContainsGroupError, ReadOnlyError
from zarrlib.hierarchy import Group

SEGMENTS = st.sampled_from(["a", "b", "c"])
PATHS = st.lists(SEGMENTS, min_size=1, max_size=3).map("/".join)
ATTR_VALUES = st.one_of(st.integers(-5, 5), st.text("xyz", max_size=3), st.lists(st.booleans(), max_size=2))


@dataclass
class Node:
    kind: str  # "array" | "group"
    attrs: dict = field(default_factory=dict)
    data: np.ndarray | None = None
    attrs_written: bool = False  # zip: .zattrs can be written once


def ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return [""] + ["/".join(parts[:i]) for i in range(1, len(parts))]


class HierarchyMachine(RuleBasedStateMachine):
    """Subclasses set ``make_store``; ``rewritable`` False for write-once stores (zip)."""

    rewritable = True

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="zarrlib-stateful-"))
        self.store = self.make_store(self.tmp)
        self.root = zarr.group(store=self.store)
        self.model: dict[str, Node] = {"": Node("group")}

    def make_store(self, tmp: Path):
        raise NotImplementedError

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- model helpers -------------------------------------------------------------------------
    def subtree(self, path: str) -> list[str]:
        return [p for p in self.model if p == path or p.startswith(path + "/")]

    def array_above(self, path: str) -> bool:
        return any(self.model.get(a, Node("group")).kind == "array" for a in ancestors(path))

    def add_with_parents(self, path: str, node: Node) -> None:
        for a in ancestors(path):
            self.model.setdefault(a, Node("group"))
        self.model[path] = node

    def expect(self, error: type[BaseException] | None, operation) -> object:
        if error is None:
            return operation()
        with pytest.raises(error):
            operation()
        return None

    def creation_error(self, path: str, overwrite: bool) -> type[BaseException] | None:
        if self.array_above(path):
            return ContainsArrayError
        existing = self.model.get(path)
        if existing is not None and not overwrite:
            return ContainsArrayError if existing.kind == "array" else ContainsGroupError
        if existing is not None and not self.rewritable:
            return ReadOnlyError
        return None

    # -- rules -----------------------------------------------------------------------------------
    @rule(path=PATHS, overwrite=st.booleans())
    def create_group(self, path, overwrite):
        error = self.creation_error(path, overwrite)
        self.expect(error, lambda: self.root.create_group(path, overwrite=overwrite))
        if error is None:
            for p in self.subtree(path):
                del self.model[p]
            self.add_with_parents(path, Node("group"))

    @rule(path=PATHS)
    def require_group(self, path):
        existing = self.model.get(path)
        if existing is not None and existing.kind == "group":
            assert self.root.require_group(path).path == path
            return
        error = ContainsArrayError if (self.array_above(path) or existing is not None) else None
        self.expect(error, lambda: self.root.require_group(path))
        if error is None:
            self.add_with_parents(path, Node("group"))

    @rule(path=PATHS, n=st.integers(0, 5), fill=st.integers(-3, 3), overwrite=st.booleans())
    def create_array(self, path, n, fill, overwrite):
        error = self.creation_error(path, overwrite)
        self.expect(error, lambda: self.root.full(path, fill, shape=(n,), chunks=(2,), dtype="i4", overwrite=overwrite))
        if error is None:
            for p in self.subtree(path):
                del self.model[p]
            self.add_with_parents(path, Node("array", data=np.full(n, fill, dtype="i4")))

    @rule(path=PATHS, n=st.integers(0, 5))
    def require_dataset(self, path, n):
        existing = self.model.get(path)
        if existing is not None and existing.kind == "group":
            error: type[BaseException] | None = ContainsGroupError
        elif existing is not None:
            error = None if existing.data.shape == (n,) else TypeError
        else:
            error = ContainsArrayError if self.array_above(path) else None
        result = self.expect(error, lambda: self.root.require_dataset(path, shape=(n,), dtype="i4", chunks=(2,)))
        if error is None and existing is None:
            self.add_with_parents(path, Node("array", data=np.zeros(n, dtype="i4")))
        if result is not None:
            assert result.shape == (n,)

    @rule(path=PATHS, start=st.integers(0, 4), value=st.integers(-9, 9))
    def write(self, path, start, value):
        node = self.model.get(path)
        if node is None or node.kind != "array" or not self.rewritable:
            return
        self.root[path][start : start + 2] = value
        node.data[start : start + 2] = value

    @rule(path=PATHS)
    def delete(self, path):
        if path not in self.model:
            self.expect(KeyError, lambda: self.root.__delitem__(path))
            return
        self.expect(None if self.rewritable else ReadOnlyError, lambda: self.root.__delitem__(path))
        if self.rewritable:
            for p in self.subtree(path):
                del self.model[p]

    @rule(source=PATHS, dest=PATHS)
    def move(self, source, dest):
        if source not in self.model:
            error: type[BaseException] | None = KeyError
        elif not self.rewritable:
            error = ReadOnlyError
        elif dest == source or dest.startswith(source + "/"):
            error = ValueError
        elif dest in self.model:
            error = ContainsArrayError if self.model[dest].kind == "array" else ContainsGroupError
        elif self.array_above(dest):
            error = ContainsArrayError
        else:
            error = None
        self.expect(error, lambda: self.root.move(source, dest))
        if error is None:
            moved = {dest + p[len(source) :]: self.model.pop(p) for p in self.subtree(source)}
            for a in ancestors(dest):
                self.model.setdefault(a, Node("group"))
            self.model.update(moved)

    @rule(path=st.one_of(st.just(""), PATHS), key=st.sampled_from(["k", "l"]), value=ATTR_VALUES)
    def set_attr(self, path, key, value):
        node = self.model.get(path)
        if node is None:
            return
        target = self.root if path == "" else self.root[path]
        if node.attrs_written and not self.rewritable:
            self.expect(ReadOnlyError, lambda: target.attrs.__setitem__(key, value))
            return
        target.attrs[key] = value
        node.attrs[key] = value
        node.attrs_written = True

    # -- the hierarchy equals the model ------------------------------------------------------------
    @invariant()
    def matches_model(self):
        fresh = Group(self.store)  # a new object: nothing cached from the operations
        actual = {"": fresh}
        fresh.visititems(lambda p, obj: actual.__setitem__(p, obj) and None)
        assert sorted(actual) == sorted(self.model)
        for path, node in self.model.items():
            obj = actual[path]
            assert type(obj).__name__ == ("Array" if node.kind == "array" else "Group"), path
            assert obj.attrs.asdict() == node.attrs, path
            if node.kind == "array":
                np.testing.assert_array_equal(obj[...], node.data)
        for path, node in self.model.items():
            if node.kind == "group":
                children = sorted(
                    {
                        p[len(path) + 1 if path else 0 :].split("/")[0]
                        for p in self.model
                        if p != path and (not path or p.startswith(path + "/"))
                    }
                )
                assert list(actual[path]) == children


STATEFUL_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class MemoryMachine(HierarchyMachine):
    def make_store(self, tmp):
        return zarr.MemoryStore()


class DirectoryMachine(HierarchyMachine):
    def make_store(self, tmp):
        return zarr.DirectoryStore(tmp / "d")


class ZipMachine(HierarchyMachine):
    rewritable = False

    def make_store(self, tmp):
        return zarr.ZipStore(tmp / "h.zip", mode="w")


class SQLiteMachine(HierarchyMachine):
    def make_store(self, tmp):
        return zarr.SQLiteStore(tmp / "h.sqlite")


TestMemoryHierarchy = MemoryMachine.TestCase
TestDirectoryHierarchy = DirectoryMachine.TestCase
TestZipHierarchy = ZipMachine.TestCase
TestSQLiteHierarchy = SQLiteMachine.TestCase
for _case in (TestMemoryHierarchy, TestDirectoryHierarchy, TestZipHierarchy, TestSQLiteHierarchy):
    _case.settings = STATEFUL_SETTINGS
del _case
