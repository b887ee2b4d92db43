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
from .lru import LRUStoreCache
from .memory import DictStore, KVStore, MemoryStore
from .sqlite import SQLiteStore
from .zip import ZipStore

default_compressor: Any = Blosc()

StoreLike = Store | MutableMapping | str | os.PathLike | None


def normalize_store(store: StoreLike, *, mode: str = "a", default: type[Store] = KVStore) -> Store:
    """Turn what a user passes as ``store`` into a Store.

    ``None`` gives a new in-memory store, a path a DirectoryStore (a ZipStore for ``.zip``),
    a Store is used as it is, and any other MutableMapping is adapted.
    """
    if store is None:
        return default()
    if isinstance(store, Store):
        return store
    if isinstance(store, (str, os.PathLike)):
        path = os.fspath(store)
        if "://" in path:
            from .fsspec import FSStore

            return FSStore(path, mode=mode)
        if path.endswith(".zip"):
            return ZipStore(path, mode={"r": "r", "w": "w"}.get(mode, "a"))
        return DirectoryStore(path, read_only=(mode == "r"))
    if isinstance(store, MutableMapping):
        return KVStore(store)
    raise TypeError(f"store must be a path, a MutableMapping or a zarrlib Store, got {type(store).__name__}")


__all__ = [
    "ByteRange",
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
