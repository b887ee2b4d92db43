"""Stores: where keys and bytes live. ``default_compressor`` is the compressor of new arrays.

Set ``zarrlib.storage.default_compressor`` to change the compressor that creation
functions use when none is given, as in zarr's tutorial.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

from numcodecs import Blosc

from .base import ByteRange, Store, normalize_prefix, validate_key
from .consolidated import ConsolidatedMetadataStore, ConsolidatedV3Store
from .directory import DirectoryStore, NestedDirectoryStore
from .fsspec import FSStore
from .lru import LRUStoreCache
from .memory import DictStore, KVStore, MemoryStore
from .sqlite import SQLiteStore
from .zip import ZipStore

default_compressor: Any = Blosc()

StoreLike = Store | MutableMapping | str | os.PathLike | None


def normalize_store(
    store: StoreLike,
    *,
    mode: str = "a",
    default: type[Store] = KVStore,
    storage_options: dict[str, Any] | None = None,
) -> Store:
    """Turn what a user passes as ``store`` into a Store.

    ``None`` gives a new in-memory store, a URL (``s3://bucket/path``, anything with ``://``)
    an FSStore opened with ``storage_options``, a path a DirectoryStore (a ZipStore for
    ``.zip``), a Store is used as it is, and any other MutableMapping is adapted.
    """
    if storage_options is not None:
        if not isinstance(storage_options, dict):
            raise TypeError(f"storage_options must be a dict, got {type(storage_options).__name__}")
        if not (isinstance(store, str) and "://" in store):
            raise ValueError(
                f"storage_options are for stores given as URLs ('s3://bucket/path', ...), not for store={store!r}"
            )
    if store is None:
        return default()
    if isinstance(store, Store):
        return store
    if isinstance(store, (str, os.PathLike)):
        path = os.fspath(store)
        if "://" in path:
            return FSStore(path, mode=mode, **(storage_options or {}))
        if path.endswith(".zip"):
            return ZipStore(path, mode={"r": "r", "w": "w"}.get(mode, "a"))
        return DirectoryStore(path, read_only=(mode == "r"))
    if isinstance(store, MutableMapping):
        return KVStore(store)
    raise TypeError(f"store must be a path, a MutableMapping or a zarrlib Store, got {type(store).__name__}")


__all__ = [
    "ByteRange",
    "FSStore",
    "ConsolidatedMetadataStore",
    "ConsolidatedV3Store",
    "DictStore",
    "DirectoryStore",
    "KVStore",
    "LRUStoreCache",
    "MemoryStore",
    "NestedDirectoryStore",
    "SQLiteStore",
    "Store",
    "ZipStore",
    "default_compressor",
    "normalize_prefix",
    "normalize_store",
    "validate_key",
]
