"""Groups: h5py-style containers of arrays and other groups (``.zgroup`` in the store).

A Group is a MutableMapping of member names to arrays and groups. Arrays are created by
the functions of ``creation`` with the group's store and a path below the group, so a
group never re-implements array creation. Member names are validated: relative,
'/'-separated, with no empty, '.' or '..' segments, no NUL or backslash, and no segment
named like a metadata key, so nothing can be written outside the group's store root.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import numcodecs
import numpy as np

from . import creation, storage
from .attrs import Attributes, V3Attributes
from .core import Array
from .errors import (
    CodecError,
    ContainsArrayError,
    ContainsGroupError,
    GroupNotFoundError,
    InvalidKeyError,
    PathNotFoundError,
    ReadOnlyError,
)
from .metadata.dtypes import normalize_dtype
from .metadata.v2 import ARRAY_KEY, ATTRS_KEY, CONSOLIDATED_KEY, GROUP_KEY, GroupMetadataV2
from .metadata.v3 import ZARR_JSON, GroupMetadataV3, parse_node
from .nodes import (
    check_vacant,
    clear_node,
    contains_array,
    contains_group,
    ensure_parent_groups,
    explain_missing,
    join_path,
)
from .storage import DictStore, Store, StoreLike, normalize_prefix, normalize_store, validate_key

#: Segment names that would collide with the metadata documents of a node (v2 and v3).
RESERVED_NAMES = frozenset({ARRAY_KEY, GROUP_KEY, ATTRS_KEY, CONSOLIDATED_KEY, ZARR_JSON})

#: Widest ``arrays:``/``groups:`` line of a group's repr (zarr's convention).
REPR_LINE_WIDTH = 80


def normalize_member_name(name: Any, where: str = "group '/'") -> str:
    """Return ``name`` if it is a safe relative member path, else raise ``InvalidKeyError``."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: member names must be strings, got {type(name).__name__} {name!r}")
    if name.startswith("/"):
        raise InvalidKeyError(f"{where}: member name {name!r} must be relative (no leading '/')")
    try:
        validate_key(name)
    except InvalidKeyError as e:
        raise InvalidKeyError(f"{where}: invalid member name {name!r}: {e}") from None
    for segment in name.split("/"):
        if segment in RESERVED_NAMES:
            raise InvalidKeyError(f"{where}: member name {name!r} uses the reserved metadata name {segment!r}")
    return name


def init_group(
    store: Store,
    path: str = "",
    overwrite: bool = False,
    chunk_store: Store | None = None,
    zarr_format: int = 2,
) -> None:
    """Write a new group's ``.zgroup`` (``zarr.json`` for Zarr v3) at ``path``, creating
    parent groups of the same format.

    Without ``overwrite``, refuses if an array or group is already there; with it, deletes
    whatever is there first. An array above ``path`` is always refused, before any change.
    """
    path = normalize_prefix(path)
    if zarr_format not in (2, 3):
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    if store.read_only:
        raise ReadOnlyError(f"cannot create a group in read-only {store.display_name}")
    _check_no_array_above(store, path)
    if overwrite:
        clear_node(store, path)
        if chunk_store is not None:
            clear_node(chunk_store, path)
    else:
        check_vacant(store, path)
    ensure_parent_groups(store, path, zarr_format=zarr_format)
    if zarr_format == 3:
        store[join_path(path, ZARR_JSON)] = GroupMetadataV3().to_json()
    else:
        store[join_path(path, GROUP_KEY)] = GroupMetadataV2().to_json()


def _check_no_array_above(store: Store, path: str) -> None:
    parts = path.split("/") if path else []
    for ancestor in ("/".join(parts[:i]) for i in range(len(parts))):
        if contains_array(store, ancestor):
            raise ContainsArrayError(f"cannot create a node at {path!r}: the array at {ancestor or '/'!r} is above it")


class Group(MutableMapping[str, Any]):
    """A group of arrays and groups in a Zarr store, used like an h5py Group.

    Open an existing group with ``Group(store, path=...)``; create one with ``group()``
    or ``open_group()``. Members are reached by name (``g['a/b']``), listed in sorted order,
    and created with ``create_group``, ``create_dataset`` and the array creation methods.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> root = zarr.group()
    >>> z = root.zeros("foo/bar", shape=(4,), chunks=(2,), dtype="i4")
    >>> list(root), root["foo"]["bar"].shape
    (['foo'], (4,))
    """

    def __init__(
        self,
        store: StoreLike,
        path: str | None = None,
        read_only: bool = False,
        chunk_store: StoreLike = None,
        cache_attrs: bool = True,
        synchronizer: Any = None,
        allow_pickle: bool = False,
    ) -> None:
        self._store = normalize_store(store, mode="r" if read_only else "a")
        self._allow_pickle = allow_pickle
        self._chunk_store = None if chunk_store is None else normalize_store(chunk_store)
        self._path = normalize_prefix(path)
        self._read_only = read_only
        self._cache_attrs = cache_attrs
        self._synchronizer = synchronizer
        self._zarr_format = self._load_metadata()
        attrs_class, attrs_key = (Attributes, ATTRS_KEY) if self._zarr_format == 2 else (V3Attributes, ZARR_JSON)
        self._attrs = attrs_class(
            self._store,
            join_path(self._path, attrs_key),
            read_only=read_only,
            cache=cache_attrs,
            lock=lambda: self._lock(attrs_key),
        )

    def _load_metadata(self) -> int:
        """Check the group's metadata document; returns its Zarr format (2: ``.zgroup``, 3: ``zarr.json``)."""
        key = join_path(self._path, GROUP_KEY)
        try:
            GroupMetadataV2.from_json(self._store[key], key)
            return 2
        except KeyError:
            pass
        key = join_path(self._path, ZARR_JSON)
        try:
            raw = self._store[key]
        except KeyError:
            if contains_array(self._store, self._path):
                raise ContainsArrayError(f"path {self.name!r} holds an array, not a group") from None
            raise GroupNotFoundError(f"no group at path {self.name!r} in {self._store.display_name}") from None
        if not isinstance(parse_node(raw, key), GroupMetadataV3):
            raise ContainsArrayError(f"path {self.name!r} holds an array, not a group")
        return 3

    # -- properties -------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return self._store

    @property
    def chunk_store(self) -> Store | None:
        return self._chunk_store

    @property
    def path(self) -> str:
        return self._path

    @property
    def name(self) -> str:
        """The absolute path of the group in its hierarchy, e.g. ``/foo/bar``."""
        return "/" + self._path

    @property
    def basename(self) -> str:
        return self._path.split("/")[-1] if self._path else ""

    @property
    def read_only(self) -> bool:
        return self._read_only or self._store.read_only

    @property
    def synchronizer(self) -> Any:
        return self._synchronizer

    @property
    def zarr_format(self) -> int:
        """2 or 3: the format of this group, and of the groups and arrays it creates by default."""
        return self._zarr_format

    @property
    def attrs(self) -> Attributes:
        return self._attrs

    @property
    def info(self) -> GroupInfo:
        return GroupInfo(self)

    # -- members ----------------------------------------------------------------------------
    def _child_path(self, name: Any) -> str:
        return join_path(self._path, normalize_member_name(name, f"group {self.name!r}"))

    def _members(self) -> Iterator[tuple[str, str]]:
        """(name, 'array' | 'group') of the direct members, sorted by name."""
        for name in self._store.list_dir(self._path):
            if name in RESERVED_NAMES:
                continue
            try:
                path = self._child_path(name)
            except (InvalidKeyError, TypeError):  # a foreign key no member could be named by
                continue
            if contains_array(self._store, path):
                yield name, "array"
            elif contains_group(self._store, path):
                yield name, "group"

    def _open(self, path: str, kind: str) -> Array | Group:
        if kind == "array":
            return Array(
                self._store,
                path=path,
                read_only=self._read_only,
                chunk_store=self._chunk_store,
                synchronizer=self._synchronizer,
                cache_attrs=self._cache_attrs,
                allow_pickle=self._allow_pickle,
            )
        return Group(
            self._store,
            path=path,
            read_only=self._read_only,
            chunk_store=self._chunk_store,
            cache_attrs=self._cache_attrs,
            synchronizer=self._synchronizer,
            allow_pickle=self._allow_pickle,
        )

    def _kind(self, path: str) -> str | None:
        if contains_array(self._store, path):
            return "array"
        if contains_group(self._store, path):
            return "group"
        return None

    def __getitem__(self, name: str) -> Array | Group:
        path = self._child_path(name)
        kind = self._kind(path)
        if kind is None:
            raise PathNotFoundError(f"no array or group named {name!r} in group {self.name!r}")
        return self._open(path, kind)

    def __contains__(self, name: object) -> bool:
        try:
            path = self._child_path(name)
        except (InvalidKeyError, TypeError):
            return False
        return self._kind(path) is not None

    def __iter__(self) -> Iterator[str]:
        for name, _ in self._members():
            yield name

    def __len__(self) -> int:
        return sum(1 for _ in self._members())

    def _ipython_key_completions_(self) -> list[str]:
        return list(self)

    def group_keys(self) -> Iterator[str]:
        """Names of the member groups, sorted."""
        return (name for name, kind in self._members() if kind == "group")

    def groups(self) -> Iterator[tuple[str, Group]]:
        """(name, Group) for each member group, sorted by name."""
        for name, kind in self._members():
            if kind == "group":
                yield name, self._open(join_path(self._path, name), kind)  # type: ignore[misc]

    def array_keys(self, recurse: bool = False) -> Iterator[str]:
        """Names of the member arrays; with ``recurse``, also those of sub-groups as relative paths."""
        return (name for name, _ in self.arrays(recurse=recurse))

    def arrays(self, recurse: bool = False) -> Iterator[tuple[str, Array]]:
        """(name, Array) for each member array; with ``recurse``, every array below, by relative path."""
        for name, kind in self._members():
            path = join_path(self._path, name)
            if kind == "array":
                yield name, self._open(path, kind)  # type: ignore[misc]
            elif recurse:
                for sub, array in self._open(path, kind).arrays(recurse=True):  # type: ignore[union-attr]
                    yield f"{name}/{sub}", array

    # -- visiting (h5py semantics: stop at the first non-None return) ----------------------
    def _walk(self, prefix: str = "") -> Iterator[tuple[str, Array | Group]]:
        for name, kind in self._members():
            obj = self._open(join_path(self._path, name), kind)
            rel = join_path(prefix, name)
            yield rel, obj
            if isinstance(obj, Group):
                yield from obj._walk(rel)

    def visitvalues(self, func: Callable[[Array | Group], Any]) -> Any:
        """Call ``func(member)`` on every member below, depth first, in sorted order."""
        for _, obj in self._walk():
            result = func(obj)
            if result is not None:
                return result
        return None

    def visit(self, func: Callable[[str], Any]) -> Any:
        """Call ``func(relative_path)`` on every member below; a non-None return stops the walk."""
        for rel, _ in self._walk():
            result = func(rel)
            if result is not None:
                return result
        return None

    visitkeys = visit

    def visititems(self, func: Callable[[str, Array | Group], Any]) -> Any:
        """Call ``func(relative_path, member)`` on every member below."""
        for rel, obj in self._walk():
            result = func(rel, obj)
            if result is not None:
                return result
        return None

    def tree(self, expand: bool = False, level: int | None = None) -> Any:
        """The hierarchy drawn as text (and as collapsible HTML in Jupyter)."""
        from .tree import TreeView

        return TreeView(self, expand=expand, level=level)

    # -- creating groups --------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyError(f"group {self.name!r} is read-only")

    def _new_member_path(self, name: str) -> str:
        path = self._child_path(name)
        self._check_writable()
        _check_no_array_above(self._store, path)
        return path

    def _lock(self, key: str) -> Any:
        if self._synchronizer is None:
            return contextlib.nullcontext()
        return self._synchronizer[join_path(self._path, key)]

    def create_group(self, name: str, overwrite: bool = False) -> Group:
        """Create a sub-group (and any missing groups on the way, for 'a/b/c' names)."""
        path = self._new_member_path(name)
        with self._lock(GROUP_KEY):
            init_group(self._store, path, overwrite, self._chunk_store, self._zarr_format)
        return self._open(path, "group")  # type: ignore[return-value]

    def require_group(self, name: str, overwrite: bool = False) -> Group:
        """The sub-group ``name``, created if missing; an array there is an error unless ``overwrite``."""
        path = self._child_path(name)
        if not contains_group(self._store, path):
            self._new_member_path(name)
            with self._lock(GROUP_KEY):
                init_group(self._store, path, overwrite, self._chunk_store, self._zarr_format)
        return self._open(path, "group")  # type: ignore[return-value]

    def require_groups(self, *names: str) -> tuple[Group, ...]:
        return tuple(self.require_group(name) for name in names)

    # -- creating arrays (delegated to ``creation``) -----------------------------------------
    def _new_array(self, factory: Callable[..., Array], name: str, *args: Any, **kwargs: Any) -> Array:
        path = self._new_member_path(name)
        for reserved in ("store", "path"):
            if reserved in kwargs:
                raise TypeError(f"group {self.name!r}: {reserved!r} is set by the group, do not pass it")
        kwargs.setdefault("synchronizer", self._synchronizer)
        kwargs.setdefault("cache_attrs", self._cache_attrs)
        kwargs.setdefault("zarr_format", self._zarr_format)
        if self._chunk_store is not None:
            kwargs.setdefault("chunk_store", self._chunk_store)
        with self._lock(GROUP_KEY):
            return factory(*args, store=self._store, path=path, **kwargs)

    def create(self, name: str, **kwargs: Any) -> Array:
        """Create an array at ``name``; keywords as ``zarrlib.create``."""
        return self._new_array(creation.create, name, **kwargs)

    def empty(self, name: str, **kwargs: Any) -> Array:
        return self._new_array(creation.empty, name, **kwargs)

    def zeros(self, name: str, **kwargs: Any) -> Array:
        return self._new_array(creation.zeros, name, **kwargs)

    def ones(self, name: str, **kwargs: Any) -> Array:
        return self._new_array(creation.ones, name, **kwargs)

    def full(self, name: str, fill_value: Any, **kwargs: Any) -> Array:
        return self._new_array(creation.full, name, fill_value=fill_value, **kwargs)

    def array(self, name: str, data: Any, **kwargs: Any) -> Array:
        """Create an array at ``name`` holding a copy of ``data`` (copied chunk by chunk)."""
        return self._new_array(creation.array, name, data, **kwargs)

    def empty_like(self, name: str, data: Any, **kwargs: Any) -> Array:
        return self._new_array(creation.empty_like, name, data, **kwargs)

    def zeros_like(self, name: str, data: Any, **kwargs: Any) -> Array:
        return self._new_array(creation.zeros_like, name, data, **kwargs)

    def ones_like(self, name: str, data: Any, **kwargs: Any) -> Array:
        return self._new_array(creation.ones_like, name, data, **kwargs)

    def full_like(self, name: str, data: Any, **kwargs: Any) -> Array:
        return self._new_array(creation.full_like, name, data, **kwargs)

    def create_dataset(self, name: str, shape: Any = None, dtype: Any = None, data: Any = None, **kwargs: Any) -> Array:
        """Create an array, accepting h5py's keywords as well as zarrlib's.

        ``compression`` ('gzip' (a zlib stream, as HDF5's deflate), 'blosc', 'zstd', 'lz4',
        'bz2', 'lzma', any numcodecs id, or a codec) with ``compression_opts`` (a level, a
        tuple or a dict of codec arguments); ``shuffle`` (byte shuffle); ``fillvalue``;
        ``data`` (shape and dtype default to the data's); ``maxshape`` is accepted and
        ignored (every Zarr array can be resized).

        Examples
        --------
        >>> import zarrlib as zarr
        >>> z = zarr.group().create_dataset("x", shape=(100,), dtype="i4", compression="gzip", compression_opts=1)
        >>> z.compressor
        Zlib(level=1)
        """
        if data is not None and not hasattr(data, "shape"):
            data = np.asarray(data)
        if dtype is None and data is not None:
            dtype = data.dtype
        where = f"group {self.name!r}: dataset {name!r}"
        kwargs = h5py_creation_kwargs(kwargs, dtype, where, kwargs.get("zarr_format", self._zarr_format))
        if data is not None:
            if shape is not None and creation.normalize_shape(shape) != tuple(data.shape):
                raise ValueError(
                    f"group {self.name!r}: dataset {name!r} given shape {shape} but data of shape {tuple(data.shape)}"
                )
            return self.array(name, data, dtype=dtype, **kwargs)
        return self.create(name, shape=shape, dtype=dtype, **kwargs)

    def require_dataset(self, name: str, shape: Any, dtype: Any = None, exact: bool = False, **kwargs: Any) -> Array:
        """The array at ``name`` if its shape matches and ``dtype`` casts safely to its dtype (equals
        it, with ``exact``); created with ``create_dataset`` when nothing is there."""
        path = self._child_path(name)
        kind = self._kind(path)
        if kind == "group":
            raise ContainsGroupError(f"group {self.name!r}: {name!r} is a group, not an array")
        if kind is None:
            return self.create_dataset(name, shape=shape, dtype=dtype, **kwargs)
        existing: Array = self._open(path, kind)  # type: ignore[assignment]
        wanted = creation.normalize_shape(shape)
        if existing.shape != wanted:
            raise TypeError(f"array {existing.name!r} exists with shape {existing.shape}, not the requested {wanted}")
        if dtype is not None:
            wanted_dtype, _ = normalize_dtype(dtype, kwargs.get("object_codec") or numcodecs.JSON())
            ok = wanted_dtype == existing.dtype if exact else np.can_cast(wanted_dtype, existing.dtype)
            if not ok:
                how = "is not" if exact else "cannot be safely cast to"
                raise TypeError(
                    f"array {existing.name!r} exists with dtype {existing.dtype}; requested {wanted_dtype} {how} it"
                )
        return existing

    def __setitem__(self, name: str, value: Any) -> None:
        """``g[name] = data`` stores a copy of ``data`` as an array, replacing what was there."""
        self.array(name, value, overwrite=True)

    # -- deleting and moving ----------------------------------------------------------------
    def _check_deletable(self, what: str) -> None:
        self._check_writable()
        for store in (self._store, self._chunk_store):
            if store is not None and not getattr(store, "supports_deletes", True):
                raise ReadOnlyError(f"group {self.name!r}: cannot {what}; {store!r} cannot delete keys")

    def __delitem__(self, name: str) -> None:
        """Delete a member and everything below it."""
        path = self._child_path(name)
        if self._kind(path) is None:
            raise PathNotFoundError(f"no array or group named {name!r} in group {self.name!r}")
        self._check_deletable(f"delete {name!r}")
        with self._lock(GROUP_KEY):
            self._store.rmdir(path)
            if self._chunk_store is not None:
                self._chunk_store.rmdir(path)

    def move(self, source: str, dest: str) -> None:
        """Move (rename) the member ``source`` to ``dest``, both relative to this group.

        Keys are copied one at a time and the source removed afterwards, so an interrupted
        move leaves both copies rather than neither.
        """
        src, dst = self._child_path(source), self._child_path(dest)
        if self._kind(src) is None:
            raise PathNotFoundError(f"no array or group named {source!r} in group {self.name!r}")
        self._check_deletable(f"move {source!r}")
        if dst == src or dst.startswith(src + "/"):
            raise ValueError(f"group {self.name!r}: cannot move {source!r} into itself ({dest!r})")
        check_vacant(self._store, dst)
        _check_no_array_above(self._store, dst)
        with self._lock(GROUP_KEY):
            ensure_parent_groups(self._store, dst, zarr_format=self._zarr_format)
            for store in (self._store, self._chunk_store):
                if store is None:
                    continue
                for key in store.list_prefix(src):
                    store[dst + key[len(src) :]] = store[key]
                store.rmdir(src)

    # -- representation, comparison, pickling -----------------------------------------------
    def __repr__(self) -> str:
        members = list(self._members())
        lines = [f"Group({self.name}, {len(members)})"]
        for label, kind in (("arrays", "array"), ("groups", "group")):
            names = [name for name, k in members if k == kind]
            if names:
                line = f"  {label}: {len(names)}; {', '.join(names)}"
                if len(line) > REPR_LINE_WIDTH:
                    line = line[: REPR_LINE_WIDTH - 3] + "..."
                lines.append(line)
        store_line = f"  store: {self._store.display_name}"
        if self._chunk_store is not None:
            store_line += f"; chunk_store: {self._chunk_store.display_name}"
        if self._synchronizer is not None:
            store_line += f"; synchronizer: {type(self._synchronizer).__name__}"
        lines.append(store_line)
        return "\n".join(lines)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Group) and self._store == other._store and self._path == other._path

    __hash__ = None  # type: ignore[assignment]

    def __enter__(self) -> Group:
        return self

    def __exit__(self, *exc: object) -> None:
        """Leaving a ``with`` block closes the store (a ZipStore writes its directory)."""
        self._store.close()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "store": self._store,
            "path": self._path,
            "read_only": self._read_only,
            "chunk_store": self._chunk_store,
            "cache_attrs": self._cache_attrs,
            "synchronizer": self._synchronizer,
            "allow_pickle": self._allow_pickle,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]


class GroupInfo:
    """What ``group.info`` returns: a short report, computed when shown."""

    def __init__(self, group: Group) -> None:
        self._group = group

    def rows(self) -> list[tuple[str, str]]:
        g = self._group
        members = list(g._members())
        arrays = [name for name, kind in members if kind == "array"]
        groups = [name for name, kind in members if kind == "group"]
        rows = [
            ("Name", g.name),
            ("Type", f"{type(g).__module__}.{type(g).__name__}"),
            ("Read-only", str(g.read_only)),
            ("Store type", g.store.display_name),
        ]
        if g.chunk_store is not None:
            rows.append(("Chunk store type", g.chunk_store.display_name))
        rows += [("No. members", str(len(arrays) + len(groups))), ("No. arrays", str(len(arrays)))]
        rows.append(("No. groups", str(len(groups))))
        if arrays:
            rows.append(("Arrays", ", ".join(arrays)))
        if groups:
            rows.append(("Groups", ", ".join(groups)))
        return rows

    def __repr__(self) -> str:
        rows = self.rows()
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}} : {v}" for k, v in rows)

    def _repr_html_(self) -> str:
        import html

        cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self.rows())
        return f'<table class="zarrlib-info">{cells}</table>'


def h5py_creation_kwargs(kwargs: dict[str, Any], dtype: Any, where: str = "", zarr_format: int = 2) -> dict[str, Any]:
    """Translate h5py's dataset keywords into zarrlib's creation keywords."""
    kw = dict(kwargs)
    if "fillvalue" in kw:
        if "fill_value" in kw:
            raise TypeError(f"{where}: give fill_value or fillvalue, not both")
        kw["fill_value"] = kw.pop("fillvalue")
    kw.pop("maxshape", None)  # every Zarr array can be resized
    given = "compression" in kw or "compression_opts" in kw  # compression=None means uncompressed, as in h5py
    compression = kw.pop("compression", None)
    opts = kw.pop("compression_opts", None)
    shuffle = kw.pop("shuffle", False)
    if given:
        if "compressor" in kw:
            raise TypeError(f"{where}: give compressor or compression, not both")
        kw["compressor"] = compression_codec(compression, opts, where, zarr_format)
    if shuffle:
        compressor = kw.get("compressor", "default")
        if isinstance(compressor, str) and compressor == "default":
            compressor = storage.default_compressor
        if isinstance(compressor, numcodecs.Blosc):
            config = {**compressor.get_config(), "shuffle": numcodecs.Blosc.SHUFFLE}
            kw["compressor"] = numcodecs.get_codec(config)
        else:
            resolved, _ = normalize_dtype(dtype, kw.get("object_codec") or numcodecs.JSON())
            if resolved.hasobject:
                raise ValueError(f"{where}: shuffle does not apply to object dtype {resolved}")
            kw["filters"] = [numcodecs.Shuffle(elementsize=resolved.itemsize), *(kw.get("filters") or [])]
    return kw


#: HDF5 filters with no numcodecs codec.
H5PY_ONLY_FILTERS = frozenset({"lzf", "szip", "scaleoffset"})
#: h5py's default gzip level.
H5PY_GZIP_LEVEL = 4


def compression_codec(compression: Any, opts: Any = None, where: str = "", zarr_format: int = 2) -> Any:
    """A numcodecs compressor for h5py's ``compression``/``compression_opts`` (None: uncompressed).

    'gzip' gives ``Zlib`` in Zarr v2 (HDF5's deflate filter writes zlib streams, and zarr 2
    did the same) and ``GZip`` in v3, whose standard ``gzip`` codec every reader knows.
    """
    if compression is None and opts is not None:
        compression = "gzip"  # h5py: an option without a filter name means gzip
    if compression is None or compression is False or compression == "none":
        return None
    if hasattr(compression, "get_config"):
        return compression
    deflate = numcodecs.Zlib if zarr_format == 2 else numcodecs.GZip
    if isinstance(compression, (int, np.integer)) and not isinstance(compression, bool):
        return deflate(level=int(compression))
    if not isinstance(compression, str):
        raise CodecError(f"{where}: compression must be a name or a numcodecs codec, got {compression!r}")
    if compression in H5PY_ONLY_FILTERS:
        raise CodecError(
            f"{where}: compression {compression!r} is an HDF5 filter with no numcodecs codec; "
            "use 'gzip', 'blosc', 'zstd', 'lz4', 'bz2' or 'lzma'"
        )
    if compression in ("gzip", "zlib"):
        cls: Any = deflate if compression == "gzip" else numcodecs.Zlib
        if opts is None:
            opts = H5PY_GZIP_LEVEL
    else:
        cls = numcodecs.registry.codec_registry.get(compression)
        if cls is None:
            raise CodecError(f"{where}: unknown compression {compression!r} (not a numcodecs codec id)")
    try:
        if isinstance(opts, dict):
            return cls(**opts)
        if isinstance(opts, (list, tuple)):
            return cls(*opts)
        return cls() if opts is None else cls(opts)
    except (TypeError, ValueError) as e:
        raise CodecError(f"{where}: compression {compression!r} with options {opts!r} is invalid ({e})") from None


def group(
    store: StoreLike = None,
    overwrite: bool = False,
    chunk_store: StoreLike = None,
    cache_attrs: bool = True,
    synchronizer: Any = None,
    path: str | None = None,
    zarr_format: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Group:
    """Create a group, or open the one already in ``store`` (a new in-memory DictStore by default).

    ``zarr_format`` (2 or 3) is the format of a new group; an existing group is opened in its
    own format, and a different ``zarr_format`` is an error.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> zarr.group()
    Group(/, 0)
      store: DictStore
    """
    store_obj = normalize_store(store, default=DictStore, storage_options=storage_options)
    chunk_store_obj = None if chunk_store is None else normalize_store(chunk_store)
    path = normalize_prefix(path)
    if overwrite or not contains_group(store_obj, path):
        init_group(store_obj, path, overwrite, chunk_store_obj, zarr_format or 2)
    g = Group(store_obj, path=path, chunk_store=chunk_store_obj, cache_attrs=cache_attrs, synchronizer=synchronizer)
    return _check_format(g, zarr_format)


def consolidated_view(
    store: Store, path: str, *, required: bool = False, metadata_read_only: bool = True
) -> Store | None:
    """The store to open the group at ``path`` on when it has consolidated metadata: a
    ``ConsolidatedV3Store`` for a v3 group (one read: its ``zarr.json``), else None.

    With ``required``, a missing snapshot is an error, and a v2 group's ``.zmetadata`` is
    used too (read-only metadata, as ``open_consolidated``).
    """
    key = join_path(path, ZARR_JSON)
    try:
        raw = store[key]
    except KeyError:
        raw = None
    if raw is not None and b"consolidated_metadata" in raw:
        meta = parse_node(raw, key)
        if isinstance(meta, GroupMetadataV3) and meta.consolidated_metadata is not None:
            return storage.ConsolidatedV3Store(store, path, raw=raw, metadata_read_only=metadata_read_only)
    if not required:
        return None
    if raw is None and join_path(path, CONSOLIDATED_KEY) in store:
        return storage.ConsolidatedMetadataStore(store, CONSOLIDATED_KEY, path)
    raise PathNotFoundError(
        f"no consolidated metadata for the group at {'/' + path!r} in {store.display_name} "
        "(use_consolidated=True); call consolidate_metadata first"
    )


def _check_format(g: Group, zarr_format: int | None) -> Group:
    if zarr_format is not None and g.zarr_format != zarr_format:
        raise ValueError(f"group {g.name!r} is a Zarr v{g.zarr_format} group, not zarr_format={zarr_format}")
    return g


GROUP_MODES = ("r", "r+", "a", "w", "w-", "x")


def open_group(
    store: StoreLike = None,
    mode: str = "a",
    cache_attrs: bool = True,
    synchronizer: Any = None,
    path: str | None = None,
    chunk_store: StoreLike = None,
    zarr_format: int | None = None,
    use_consolidated: bool | None = None,
    storage_options: dict[str, Any] | None = None,
    allow_pickle: bool = False,
) -> Group:
    """Open a group, creating it if the mode allows.

    Modes: ``r`` read only (must exist); ``r+`` read/write (must exist); ``a`` read/write,
    create if missing; ``w`` create, replacing anything there; ``w-`` (or ``x``) create,
    fail if something is there. ``zarr_format`` (2 or 3) is the format of a new group;
    an existing group is opened in its own format (a different ``zarr_format`` is an error).
    ``store`` may be a URL (``"s3://bucket/data.zarr"``) with the fsspec ``storage_options``
    to open it with.

    A Zarr v3 group whose ``zarr.json`` holds ``consolidated_metadata`` (see
    ``consolidate_metadata``) is opened from it, as zarr-python 3 does: one store read for the
    metadata of the whole hierarchy. ``use_consolidated=False`` reads each node's own
    ``zarr.json`` instead (the live metadata); ``True`` requires consolidated metadata (a
    v2 ``.zmetadata`` too, whose metadata then opens read-only). Changes made through the
    group are visible to it, but the snapshot in ``zarr.json`` is left as it was (as in
    zarr-python 3): consolidate again after changing the hierarchy.

    Member arrays whose codecs include pickle open only with ``allow_pickle=True``.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> g = zarr.open_group("example", mode="w")
    >>> zarr.open_group("example", mode="r").read_only
    True
    """
    if mode not in GROUP_MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, GROUP_MODES))}; got {mode!r}")
    if use_consolidated not in (None, True, False):
        raise ValueError(f"use_consolidated must be None, True or False, got {use_consolidated!r}")
    store_obj = normalize_store(store, mode=mode, default=DictStore, storage_options=storage_options)
    chunk_store_obj = None if chunk_store is None else normalize_store(chunk_store, mode=mode)
    path = normalize_prefix(path)
    if mode not in ("w", "w-", "x") and use_consolidated is not False and (zarr_format != 2 or use_consolidated):
        view = consolidated_view(store_obj, path, required=bool(use_consolidated), metadata_read_only=False)
        if view is not None:  # metadata from the snapshot, chunks from the store
            store_obj, chunk_store_obj = view, store_obj if chunk_store_obj is None else chunk_store_obj
    if mode in ("r", "r+"):
        if not contains_group(store_obj, path):
            if contains_array(store_obj, path):
                raise ContainsArrayError(f"path {'/' + path!r} holds an array, not a group")
            explain_missing(store_obj, path)
            raise GroupNotFoundError(f"no group at path {'/' + path!r} in {store_obj.display_name}")
    elif mode == "w":
        init_group(store_obj, path, True, chunk_store_obj, zarr_format or 2)
    elif mode in ("w-", "x") or not contains_group(store_obj, path):
        init_group(store_obj, path, False, chunk_store_obj, zarr_format or 2)
    g = Group(
        store_obj,
        path=path,
        read_only=mode == "r",
        chunk_store=chunk_store_obj,
        cache_attrs=cache_attrs,
        synchronizer=synchronizer,
        allow_pickle=allow_pickle,
    )
    return _check_format(g, zarr_format)
