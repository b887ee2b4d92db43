"""Whole-hierarchy conveniences: ``open`` whatever is at a path, ``save``/``load``, copying
between stores and hierarchies (zarrlib or h5py), and consolidated metadata."""

from __future__ import annotations

import builtins
import io
import itertools
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from . import creation
from .core import Array
from .errors import ContainsArrayError, CopyError, InvalidKeyError, PathNotFoundError
from .hierarchy import RESERVED_NAMES, Group, consolidated_view, open_group
from .metadata.consolidated import ConsolidatedMetadataV2, is_metadata_key
from .metadata.v2 import CONSOLIDATED_KEY
from .metadata.v3 import ZARR_JSON, ArrayMetadataV3, GroupMetadataV3, consolidate, parse_node
from .nodes import contains_array, contains_group, explain_missing, join_path
from .storage import Store, StoreLike, normalize_prefix, normalize_store, validate_key
from .storage.consolidated import ConsolidatedMetadataStore, ConsolidatedV3Store
from .tree import TreeView, is_array_like

#: Most bytes of array data held in memory at once while copying an array.
COPY_BUFFER_BYTES = 64 * 2**20
#: Keys moved per batch by ``copy_store`` (one ``get_many``/``set_many`` each).
COPY_STORE_BATCH = 32
IF_EXISTS = ("raise", "replace", "skip", "skip_initialized")


# -- opening whatever is there -----------------------------------------------------------------
def open(
    store: StoreLike = None,
    mode: str = "a",
    *,
    path: str | None = None,
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Array | Group:
    """Open the array or group at ``path`` in ``store``, or create one if the mode allows.

    With ``shape`` among the keywords a new node is an array (``open_array``), else a group
    (``open_group``). Modes as ``open_array``: r, r+, a, w, w- (x). ``store`` may be a URL
    (``"s3://bucket/data.zarr"``) with the fsspec ``storage_options`` to open it with.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> z = zarr.open("data.zarr", mode="w", shape=(3,), dtype="i4")
    >>> type(zarr.open("data.zarr", mode="r")).__name__
    'Array'
    """
    if store is None and storage_options is None:
        store_obj = None
    else:
        store_obj = normalize_store(store, mode=mode, storage_options=storage_options)
    path = normalize_prefix(path)
    use_consolidated = kwargs.pop("use_consolidated", None)
    if store_obj is not None and mode not in ("w", "w-", "x"):
        view = None if use_consolidated is False else consolidated_view(store_obj, path, metadata_read_only=False)
        if view is not None:  # a v3 group with consolidated metadata: opened from it, as open_group does
            kwargs["chunk_store"] = kwargs.get("chunk_store") or store_obj
            return open_group(view, mode=mode, path=path, use_consolidated=False, **kwargs)
        if contains_array(store_obj, path):
            return creation.open_array(store_obj, mode=mode, path=path, **kwargs)
        if contains_group(store_obj, path):
            return open_group(store_obj, mode=mode, path=path, use_consolidated=use_consolidated, **kwargs)
        if mode in ("r", "r+"):
            explain_missing(store_obj, path)
            raise PathNotFoundError(f"nothing (no array or group) at path {'/' + path!r} in {store_obj.display_name}")
    if "shape" in kwargs:
        return creation.open_array(store_obj, mode=mode, path=path, **kwargs)
    return open_group(store_obj, mode=mode, path=path, use_consolidated=use_consolidated, **kwargs)


def tree(grp: Any, expand: bool = False, level: int | None = None) -> TreeView:
    """Draw the hierarchy of a zarrlib or h5py group as text (HTML in Jupyter)."""
    return TreeView(grp, expand=expand, level=level)


# -- save and load -----------------------------------------------------------------------------
def save_array(store: StoreLike, arr: Any, **kwargs: Any) -> None:
    """Store one NumPy array at the root of ``store`` (replacing what is there)."""
    store_obj = normalize_store(store, mode="w")
    try:
        creation.array(arr, store=store_obj, overwrite=True, **kwargs)
    finally:
        _close_if_opened_here(store_obj, store)


def save_group(store: StoreLike, *args: Any, zarr_format: int | None = None, **kwargs: Any) -> None:
    """Store arrays in a new root group: positional ones as ``arr_0``, ``arr_1``, ..., others by
    keyword (``zarr_format`` is the format, 2 by default, as in zarr-python 3)."""
    if not args and not kwargs:
        raise ValueError("save_group needs at least one array")
    store_obj = normalize_store(store, mode="w")
    try:
        g = open_group(store_obj, mode="w", zarr_format=zarr_format)
        for i, arr in enumerate(args):
            g.array(f"arr_{i}", arr)
        for name, arr in kwargs.items():
            g.array(name, arr)
    finally:
        _close_if_opened_here(store_obj, store)


def _close_if_opened_here(store_obj: Store, given: StoreLike) -> None:
    """Close a store this module opened from a path (a zip writes its directory on close)."""
    if isinstance(given, (str, os.PathLike)):
        store_obj.close()


def save(store: StoreLike, *args: Any, zarr_format: int | None = None, **kwargs: Any) -> None:
    """``save_array`` for a single positional array, else ``save_group``."""
    if len(args) == 1 and not kwargs:
        save_array(store, args[0], **({} if zarr_format is None else {"zarr_format": zarr_format}))
    else:
        save_group(store, *args, zarr_format=zarr_format, **kwargs)


class LazyLoader(Mapping[str, np.ndarray]):
    """The arrays of a group, each read into memory when first accessed."""

    def __init__(self, grp: Group) -> None:
        self._group = grp
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            node = self._group[name]
            if not isinstance(node, Array):
                raise KeyError(f"{name!r} is a group, not an array")
            self._cache[name] = node[...]
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return self._group.array_keys()

    def __len__(self) -> int:
        return sum(1 for _ in self._group.array_keys())

    def __repr__(self) -> str:
        return f"<LazyLoader: {', '.join(self)}>"


def load(store: StoreLike) -> np.ndarray | LazyLoader:
    """Read what ``save`` stored: an ndarray for an array, a lazy mapping of arrays for a group."""
    node = open(store, mode="r")
    return node[...] if isinstance(node, Array) else LazyLoader(node)


# -- consolidated metadata ---------------------------------------------------------------------
def consolidate_metadata(
    store: StoreLike,
    metadata_key: str = CONSOLIDATED_KEY,
    path: str | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """Gather the metadata of a whole hierarchy below ``path`` into one document.

    Zarr v2: every ``.zgroup``, ``.zarray`` and ``.zattrs`` into ``metadata_key``
    (``.zmetadata``), as zarr-python 2 does. Zarr v3: the ``zarr.json`` of every node below
    the group into the ``consolidated_metadata`` member of the group's own ``zarr.json``, as
    zarr-python 3 does (``metadata_key`` is not used). Returns the hierarchy opened from it.
    The document is a snapshot: run it again after changing the hierarchy.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> g = zarr.open_group("data.zarr", mode="w")
    >>> _ = g.zeros("x", shape=(10,), chunks=(5,))
    >>> zarr.consolidate_metadata("data.zarr")["x"].shape
    (10,)
    """
    store_obj = normalize_store(store, storage_options=storage_options)
    if isinstance(store_obj, (ConsolidatedV3Store, ConsolidatedMetadataStore)):
        store_obj = store_obj.store  # ``g.store`` of a group opened from a snapshot: gather the live metadata
    path = normalize_prefix(path)
    v3_key = join_path(path, ZARR_JSON)
    raw_root = store_obj.get(v3_key)
    if raw_root is not None:
        return _consolidate_v3(store_obj, path, raw_root)
    if not (contains_group(store_obj, path) or contains_array(store_obj, path)):
        raise PathNotFoundError(f"nothing to consolidate: no group or array at {'/' + path!r}")
    keys = [k for k in store_obj.list_prefix(path) if is_metadata_key(k)]
    strip = len(path) + 1 if path else 0
    documents = {key[strip:]: value for key, value in store_obj.get_many(keys).items()}
    store_obj[join_path(path, metadata_key)] = ConsolidatedMetadataV2.from_documents(documents).to_json()
    return open_consolidated(store_obj, metadata_key=metadata_key, path=path)


def _consolidate_v3(store: Store, path: str, raw_root: bytes) -> Group:
    key = join_path(path, ZARR_JSON)
    root = parse_node(raw_root, key)
    if not isinstance(root, GroupMetadataV3):
        raise ContainsArrayError(
            f"cannot consolidate {'/' + path!r}: it is a Zarr v3 array; consolidated metadata lives in a group's zarr.json"
        )
    nodes = _v3_descendants(store, path)
    store[key] = root.with_consolidated(consolidate(nodes)).to_json()
    return open_consolidated(store, path=path)


def _v3_descendants(store: Store, path: str) -> dict[str, ArrayMetadataV3 | GroupMetadataV3]:
    """Every v3 node below the group at ``path``, by relative path, found as zarr-python 3
    does: listing groups level by level (never the chunks of arrays), one batch read per level."""
    found: dict[str, ArrayMetadataV3 | GroupMetadataV3] = {}
    groups = [""]
    while groups:
        candidates = [
            join_path(rel, name)
            for rel in groups
            for name in store.list_dir(join_path(path, rel))
            if name not in RESERVED_NAMES
        ]
        keys = {c: join_path(join_path(path, c), ZARR_JSON) for c in candidates}
        raws = store.get_many(keys.values())
        groups = []
        for child, child_key in keys.items():
            if child_key in raws:
                node = found[child] = parse_node(raws[child_key], child_key)
                if isinstance(node, GroupMetadataV3):
                    groups.append(child)
    return found


def open_consolidated(
    store: StoreLike,
    metadata_key: str = CONSOLIDATED_KEY,
    mode: str = "r+",
    path: str | None = None,
    chunk_store: StoreLike = None,
    zarr_format: int | None = None,
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Array | Group:
    """Open a hierarchy using its consolidated metadata: one store read for all metadata.

    Reads the v2 ``metadata_key`` (``.zmetadata``) or else a v3 group's inline
    ``consolidated_metadata`` (in its ``zarr.json``); ``zarr_format=3`` goes straight to
    the latter. Metadata and attributes are read-only (consolidate again after changing
    them through the store); chunk data is writable in mode ``r+``.
    """
    if mode not in ("r", "r+"):
        raise ValueError(f"open_consolidated opens existing hierarchies: mode must be 'r' or 'r+', got {mode!r}")
    if zarr_format not in (None, 2, 3):
        raise ValueError(f"zarr_format must be 2, 3 or None, got {zarr_format!r}")
    store_obj = normalize_store(store, mode=mode, storage_options=storage_options)
    path = normalize_prefix(path)
    v2_key = join_path(path, metadata_key)
    raw_v2 = None if zarr_format == 3 else store_obj.get(v2_key)
    if zarr_format == 2 or raw_v2 is not None:
        meta_store: Store = ConsolidatedMetadataStore(store_obj, metadata_key, path, raw=raw_v2)
    else:
        raw = store_obj.get(join_path(path, ZARR_JSON))
        if raw is None:
            raise PathNotFoundError(
                f"no consolidated metadata at {'/' + path!r} in {store_obj.display_name} "
                f"(no {v2_key!r}, no v3 zarr.json); call consolidate_metadata first"
            )
        meta_store = ConsolidatedV3Store(store_obj, path, raw=raw, metadata_read_only=True)
    chunk_store_obj = store_obj if chunk_store is None else normalize_store(chunk_store, mode=mode)
    return open(meta_store, mode=mode, path=path, chunk_store=chunk_store_obj, use_consolidated=False, **kwargs)


# -- copying -----------------------------------------------------------------------------------
class _Log:
    """Where copy messages go: nowhere, a callable, an open file-like, or a file path."""

    def __init__(self, log: Any) -> None:
        self._file: io.TextIOBase | None = None
        if log is None:
            self._emit: Callable[[str], Any] = lambda message: None
        elif callable(log):
            self._emit = log
        elif isinstance(log, (str, os.PathLike)):
            self._file = builtins.open(log, "w")
            self._emit = lambda message: self._file.write(message + "\n")  # type: ignore[union-attr]
        elif hasattr(log, "write"):
            self._emit = lambda message: log.write(message + "\n")
        else:
            raise TypeError(f"log must be None, a callable, a file path or a file-like object, got {log!r}")

    def __call__(self, message: str) -> None:
        self._emit(message)

    def summary(self, dry_run: bool, n_copied: int, n_skipped: int, n_bytes: int) -> None:
        head = "dry run" if dry_run else "all done"
        self(f"{head}: {n_copied:,} copied, {n_skipped:,} skipped, {n_bytes:,} bytes copied")

    def __enter__(self) -> _Log:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def _check_if_exists(if_exists: str) -> None:
    if if_exists not in IF_EXISTS:
        raise ValueError(f"if_exists must be one of {', '.join(map(repr, IF_EXISTS))}; got {if_exists!r}")


def copy_store(
    source: StoreLike,
    dest: StoreLike,
    source_path: str = "",
    dest_path: str = "",
    excludes: str | list[str] | None = None,
    includes: str | list[str] | None = None,
    flags: int = 0,
    if_exists: str = "raise",
    dry_run: bool = False,
    log: Any = None,
) -> tuple[int, int, int]:
    """Copy the keys below ``source_path`` in one store to ``dest_path`` in another, as stored
    (no decoding), a few keys at a time.

    ``excludes``/``includes`` are regular expressions searched in each source key: a key
    matching an exclude is left out unless it also matches an include. Returns
    ``(n_copied, n_skipped, n_bytes_copied)``.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> src = zarr.MemoryStore()
    >>> z = zarr.array([1, 2, 3, 4], chunks=2, store=src)
    >>> zarr.copy_store(src, zarr.MemoryStore())[0]
    3
    """
    _check_if_exists(if_exists)
    if if_exists == "skip_initialized":
        raise ValueError("if_exists='skip_initialized' applies to arrays (copy), not to keys (copy_store)")
    source_obj = normalize_store(source, mode="r")
    dest_obj = normalize_store(dest)
    try:
        return _copy_keys(
            source_obj, dest_obj, source_path, dest_path, excludes, includes, flags, if_exists, dry_run, log
        )
    finally:
        _close_if_opened_here(source_obj, source)
        _close_if_opened_here(dest_obj, dest)


def _copy_keys(
    source_obj: Store,
    dest_obj: Store,
    source_path: str,
    dest_path: str,
    excludes: str | list[str] | None,
    includes: str | list[str] | None,
    flags: int,
    if_exists: str,
    dry_run: bool,
    log: Any,
) -> tuple[int, int, int]:
    source_path, dest_path = normalize_prefix(source_path), normalize_prefix(dest_path)
    exclude_res = [re.compile(p, flags) for p in _as_list(excludes)]
    include_res = [re.compile(p, flags) for p in _as_list(includes)]
    strip = len(source_path) + 1 if source_path else 0
    n_copied = n_skipped = n_bytes = 0
    with _Log(log) as logger:
        keys = []
        for key in sorted(source_obj.list_prefix(source_path)):
            if any(r.search(key) for r in exclude_res) and not any(r.search(key) for r in include_res):
                continue
            dest_key = join_path(dest_path, key[strip:])
            try:  # a hostile source (a zip with '../x' members) is refused before anything is copied
                validate_key(dest_key)
            except InvalidKeyError as e:
                raise InvalidKeyError(f"source key {key!r} cannot be copied: {e}") from None
            if dest_key in dest_obj:
                if if_exists == "raise":
                    raise CopyError(f"key {dest_key!r} already exists in destination {dest_obj.display_name}")
                if if_exists == "skip":
                    logger(f"skip {key}")
                    n_skipped += 1
                    continue
            keys.append((key, dest_key))
        for start in range(0, len(keys), COPY_STORE_BATCH):
            batch = keys[start : start + COPY_STORE_BATCH]
            for key, dest_key in batch:
                logger(f"copy {key}" if key == dest_key else f"copy {key} -> {dest_key}")
            if dry_run:
                n_bytes += sum(source_obj.getsize(key) for key, _ in batch)
            else:
                values = source_obj.get_many([key for key, _ in batch])
                missing = [key for key, _ in batch if key not in values]
                if missing:
                    raise KeyError(f"keys vanished from the source during the copy: {missing}")
                dest_obj.set_many({dest_key: values[key] for key, dest_key in batch})
                n_bytes += sum(len(values[key]) for key, _ in batch)
            n_copied += len(batch)
        logger.summary(dry_run, n_copied, n_skipped, n_bytes)
    return n_copied, n_skipped, n_bytes


def _as_list(patterns: str | list[str] | None) -> list[str]:
    if patterns is None:
        return []
    return [patterns] if isinstance(patterns, str) else list(patterns)


def copy(
    source: Any,
    dest: Any,
    name: str | None = None,
    shallow: bool = False,
    without_attrs: bool = False,
    log: Any = None,
    if_exists: str = "raise",
    dry_run: bool = False,
    progress: bool = False,
    **create_kws: Any,
) -> tuple[int, int, int]:
    """Copy an array or group (zarrlib or h5py) into the group ``dest``, chunk by chunk.

    Parameters
    ----------
    source
        A zarrlib Array or Group, or an h5py Dataset, Group or File.
    dest
        A zarrlib Group (or an h5py Group).
    name
        The name in ``dest``; defaults to the source's own name.
    shallow
        Copy only the immediate children of a source group.
    without_attrs
        Leave user attributes behind.
    log
        A callable, file-like object or file path that receives one line per item.
    if_exists
        When ``name`` exists in ``dest``: ``raise`` (CopyError), ``replace`` it, ``skip``
        it, or ``skip_initialized`` (skip arrays whose every chunk is stored).
    dry_run
        Only report what would be copied.
    progress
        Show a progress bar per array (needs ``tqdm`` or ``rich``).
    **create_kws
        Passed on to ``create_dataset`` for each array (e.g. ``compressor=``, ``chunks=``).

    Returns
    -------
    (n_copied, n_skipped, n_bytes_copied), bytes counted uncompressed.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> src = zarr.group()
    >>> _ = src.ones("foo/bar", shape=(100,), chunks=(10,), dtype="i8")
    >>> zarr.copy(src["foo"], zarr.group())
    (2, 0, 800)
    """
    _check_if_exists(if_exists)
    _check_dest_is_group(dest)
    if name is None:
        name = _basename(source)
        if not name:
            raise TypeError("copying a root group needs name=, or use copy_all to copy its members")
    with _Log(log) as logger:
        copier = _Copier(logger, shallow, without_attrs, if_exists, dry_run, progress, create_kws)
        counts = copier.copy(source, dest, name, root=True)
        logger.summary(dry_run, *counts)
    return counts


def copy_all(
    source: Any,
    dest: Any,
    shallow: bool = False,
    without_attrs: bool = False,
    log: Any = None,
    if_exists: str = "raise",
    dry_run: bool = False,
    progress: bool = False,
    **create_kws: Any,
) -> tuple[int, int, int]:
    """Copy every member of the group ``source`` (zarrlib or h5py) into the group ``dest``;
    the source group's own attributes are copied too unless ``without_attrs``.
    Arguments and result as ``copy``."""
    _check_if_exists(if_exists)
    _check_dest_is_group(dest)
    if not _is_group(source):
        raise TypeError(f"copy_all copies the members of a group; got {type(source).__name__}")
    totals = [0, 0, 0]
    with _Log(log) as logger:
        copier = _Copier(logger, shallow, without_attrs, if_exists, dry_run, progress, create_kws)
        for key in sorted(source.keys()):
            for i, n in enumerate(copier.copy(source[key], dest, key, root=False)):
                totals[i] += n
        if not without_attrs and not dry_run:
            _copy_attrs(source, dest)
        logger.summary(dry_run, *totals)
    return totals[0], totals[1], totals[2]


def _is_group(obj: Any) -> bool:
    return hasattr(obj, "keys") and hasattr(obj, "attrs") and not hasattr(obj, "dtype")


def _is_h5py(obj: Any) -> bool:
    return type(obj).__module__.startswith("h5py")


def _basename(obj: Any) -> str:
    return (getattr(obj, "name", None) or "").rstrip("/").split("/")[-1]


def _check_dest_is_group(dest: Any) -> None:
    if not _is_group(dest):
        raise TypeError(f"the destination of a copy must be a group, got {type(dest).__name__}")


class _Copier:
    """One copy operation's options, applied recursively."""

    def __init__(
        self,
        log: _Log,
        shallow: bool,
        without_attrs: bool,
        if_exists: str,
        dry_run: bool,
        progress: bool,
        create_kws: dict[str, Any],
    ) -> None:
        self.log = log
        self.shallow = shallow
        self.without_attrs = without_attrs
        self.if_exists = if_exists
        self.dry_run = dry_run
        self.progress = progress
        self.create_kws = create_kws
        self.warned_progress = False

    def copy(self, source: Any, dest: Any, name: str, root: bool) -> tuple[int, int, int]:
        if is_array_like(source):
            return self.copy_array(source, dest, name)
        if _is_group(source):
            if root or not self.shallow:
                return self.copy_group(source, dest, name)
            return 0, 0, 0
        raise TypeError(f"cannot copy {type(source).__name__}: not an array or group (zarrlib or h5py)")

    def _existing(self, dest: Any, name: str) -> str | None:
        if dest is None or name not in dest:
            return None
        return "array" if is_array_like(dest[name]) else "group"

    def copy_array(self, source: Any, dest: Any, name: str) -> tuple[int, int, int]:
        shape, dtype = tuple(source.shape), np.dtype(source.dtype)
        described = f"{source.name} {shape} {dtype}"
        existing = self._existing(dest, name)
        if existing is not None:
            if self.if_exists == "raise":
                raise CopyError(f"an {existing} named {name!r} already exists in destination group {dest.name!r}")
            if self.if_exists == "skip_initialized" and _is_h5py(dest):
                raise ValueError("if_exists='skip_initialized' needs a zarrlib destination")
            if self.if_exists == "skip" or (
                self.if_exists == "skip_initialized" and existing == "array" and _fully_initialized(dest[name])
            ):
                self.log(f"skip {described}")
                return 0, 1, 0
        self.log(f"copy {described}")
        nbytes = math.prod(shape) * dtype.itemsize
        if self.dry_run:
            return 1, 0, nbytes
        if existing is not None:
            del dest[name]
        target = dest.create_dataset(name, **_creation_kwargs(source, dest, self.create_kws))
        self._copy_data(source, target)
        if not self.without_attrs:
            _copy_attrs(source, target)
        return 1, 0, nbytes

    def _copy_data(self, source: Any, target: Any) -> None:
        reader = _reader(source)
        regions = list(_regions(tuple(target.shape), target.chunks or target.shape, target.dtype.itemsize))
        bar = self._bar(len(regions), target.name)
        try:
            for region in regions:
                target[region] = reader[region]
                bar.update(1)
        finally:
            bar.close()

    def _bar(self, total: int, desc: str) -> Any:
        if not self.progress or total <= 1:
            return _NoBar()
        bar = _progress_bar(total, desc)
        if bar is None:
            if not self.warned_progress:
                warnings.warn("progress=True needs tqdm or rich installed; copying without a bar", stacklevel=4)
                self.warned_progress = True
            return _NoBar()
        return bar

    def copy_group(self, source: Any, dest: Any, name: str) -> tuple[int, int, int]:
        existing = self._existing(dest, name)
        if existing == "array":
            if self.if_exists == "raise":
                raise CopyError(f"an array named {name!r} already exists in destination group {dest.name!r}")
            if self.if_exists in ("skip", "skip_initialized"):
                self.log(f"skip {source.name}")
                return 0, 1, 0
        self.log(f"copy {source.name}")
        if self.dry_run:
            target = dest[name] if existing == "group" else None
        else:
            if existing == "array":
                del dest[name]
            target = dest.require_group(name)
            if not self.without_attrs:
                _copy_attrs(source, target)
        totals = [1, 0, 0]
        for key in sorted(source.keys()):
            for i, n in enumerate(self.copy(source[key], target, key, root=False)):
                totals[i] += n
        return totals[0], totals[1], totals[2]


def _fully_initialized(array: Any) -> bool:
    return isinstance(array, Array) and array.nchunks_initialized == array.nchunks


def _regions(shape: tuple[int, ...], chunks: tuple[int, ...], itemsize: int) -> Iterator[tuple[slice, ...]]:
    """Slabs of whole destination chunks, each at most COPY_BUFFER_BYTES (or one chunk)."""
    if not shape:
        yield ()
        return
    block = [max(1, min(c, s)) for c, s in zip(chunks, shape, strict=True)]
    nbytes = math.prod(block) * max(itemsize, 1)
    # Grow the block along the last axes first, so a slab is contiguous in C order.
    for axis in reversed(range(len(shape))):
        n_chunks = max(1, -(-shape[axis] // block[axis]))
        k = max(1, min(n_chunks, COPY_BUFFER_BYTES // max(nbytes, 1)))
        block[axis] *= k
        nbytes *= k
        if k < n_chunks:
            break
    starts = [range(0, s, b) for s, b in zip(shape, block, strict=True)]
    for offset in itertools.product(*starts):
        yield tuple(slice(o, min(o + b, s)) for o, b, s in zip(offset, block, shape, strict=True))


def _reader(source: Any) -> Any:
    """What to slice to read ``source``: h5py string datasets read as str, not bytes."""
    if _is_h5py(source) and source.dtype.kind == "O":
        import h5py

        info = h5py.check_string_dtype(source.dtype)
        if info is not None and info.encoding == "utf-8":
            return source.asstr()
    return source


def _creation_kwargs(source: Any, dest: Any, create_kws: dict[str, Any]) -> dict[str, Any]:
    """How to create the copy of ``source`` in ``dest``: the source's encoding when both are
    zarrlib, zarrlib's defaults from other sources (h5py), gzip level 1 for h5py destinations."""
    kws = dict(create_kws)
    if isinstance(source, Array) and not _is_h5py(dest):
        if source.zarr_format == getattr(dest, "zarr_format", 2):
            return creation._like_kwargs(source, kws)
        return _cross_format_kwargs(source, kws)  # v2 <-> v3: data, not encoding
    dtype = np.dtype(source.dtype)
    fill_value = getattr(source, "fill_value", getattr(source, "fillvalue", None))
    kws.setdefault("shape", tuple(source.shape))
    kws.setdefault("chunks", source.chunks or True)
    if _is_h5py(dest):
        import h5py

        kws.setdefault("dtype", h5py.string_dtype() if dtype.kind == "O" else dtype)
        if _is_h5py(source):
            for key in ("compression", "compression_opts", "shuffle", "fletcher32", "fillvalue"):
                kws.setdefault(key, getattr(source, key))
        else:
            kws.setdefault("compression", "gzip")
            kws.setdefault("compression_opts", 1)
            kws.setdefault("shuffle", False)
            if dtype.kind != "O" and fill_value is not None:
                kws.setdefault("fillvalue", fill_value)
        return kws
    if dtype.kind == "O" and _is_h5py(source):
        import h5py

        info = h5py.check_string_dtype(dtype)
        if info is None:
            raise TypeError(f"cannot copy h5py dataset {source.name!r}: variable-length dtype {dtype} is not a string")
        kws.setdefault("dtype", str if info.encoding == "utf-8" else bytes)
        kws.setdefault("fill_value", None)
        return kws
    kws.setdefault("dtype", dtype)
    if fill_value is not None:
        kws.setdefault("fill_value", fill_value)
    return kws


def _cross_format_kwargs(source: Array, kws: dict[str, Any]) -> dict[str, Any]:
    """Creation keywords for copying between Zarr v2 and v3: shape, chunks, fill value and
    dtype carry over; the destination format's default codecs encode the data."""
    kws.setdefault("shape", source.shape)
    kws.setdefault("chunks", source.chunks)
    kws.setdefault("fill_value", source.fill_value)
    if source.dtype.kind != "O":
        kws.setdefault("dtype", source.dtype)
        return kws
    if source.zarr_format == 3:
        kind = getattr(source.metadata, "data_type", None)
    else:
        kind = {"vlen-utf8": "string", "vlen-bytes": "bytes"}.get(source.filters[0].codec_id if source.filters else "")
    if kind not in ("string", "bytes"):
        raise TypeError(f"cannot copy object array {source.name!r} across Zarr formats: only strings and bytes convert")
    kws.setdefault("dtype", str if kind == "string" else bytes)
    return kws


def _copy_attrs(source: Any, target: Any) -> None:
    attrs = {key: _json_value(value) for key, value in source.attrs.items()}
    if not attrs:
        return
    if _is_h5py(target):
        for key, value in attrs.items():
            target.attrs[key] = value if isinstance(value, (str, int, float, bool)) else json.dumps(value)
    else:
        target.attrs.update(attrs)


def _json_value(value: Any) -> Any:
    """An attribute value as JSON can hold it (h5py gives NumPy scalars, arrays and bytes)."""
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # h5py Empty, object references: keep something readable


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


class _RichBar:
    def __init__(self, total: int, desc: str) -> None:
        from rich.progress import Progress

        self._progress = Progress()
        self._progress.start()
        self._task = self._progress.add_task(desc, total=total)

    def update(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def close(self) -> None:
        self._progress.stop()


def _progress_bar(total: int, desc: str) -> Any:
    """A tqdm or rich progress bar, whichever is installed (None if neither)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        pass
    else:
        return tqdm(total=total, desc=desc, unit="slab")
    try:
        return _RichBar(total, desc)
    except ImportError:
        return None


__all__ = [
    "LazyLoader",
    "consolidate_metadata",
    "copy",
    "copy_all",
    "copy_store",
    "load",
    "open",
    "open_consolidated",
    "save",
    "save_array",
    "save_group",
    "tree",
]
