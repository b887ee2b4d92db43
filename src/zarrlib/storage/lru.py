"""A least-recently-used cache in front of a slow store (network, zip, database)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from .base import ByteRange, Store, validate_key
from .memory import KVStore


class LRUStoreCache(Store):
    """Keep recently read values, the key listing and membership answers in memory.

    Reads are served from the cache when possible; writes and deletes go through to the
    wrapped store at once and update the cache, so a single writer never reads stale data.
    Changes made to the wrapped store by someone else are not seen until ``invalidate()``.

    Parameters
    ----------
    store
        The store to cache (a Store or any MutableMapping).
    max_size
        The most bytes of values to keep; least recently used values are dropped first.
        ``None`` keeps everything. Values larger than ``max_size`` are never cached.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> cache = zarr.LRUStoreCache(zarr.MemoryStore(), max_size=2**28)
    >>> z = zarr.zeros((100,), chunks=(10,), store=cache)
    >>> z[:] = 1
    >>> int(z[:].sum()), cache.misses
    (100, 0)
    """

    def __init__(self, store: Store | MutableMapping[str, bytes], max_size: int | None) -> None:
        if max_size is not None and (not isinstance(max_size, int) or max_size < 0):
            raise ValueError(f"max_size must be a non-negative integer or None, got {max_size!r}")
        self.store: Store = store if isinstance(store, Store) else KVStore(store)
        self.max_size = max_size
        self.hits = 0
        self.misses = 0
        self._mutex = threading.RLock()
        self._values: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._keys: list[str] | None = None
        self._keyset: frozenset[str] | None = None
        self._contains: dict[str, bool] = {}
        # Bumped by every change; a read that raced a write must not cache what it fetched.
        self._version = 0

    # -- what the wrapped store decides ------------------------------------------------------
    @property
    def read_only(self) -> bool:  # type: ignore[override]
        return self.store.read_only

    @property
    def prefers_batch(self) -> bool:  # type: ignore[override]
        return self.store.prefers_batch

    @property
    def supports_deletes(self) -> bool:
        return getattr(self.store, "supports_deletes", True)

    # -- cache bookkeeping -------------------------------------------------------------------
    def _remember(self, key: str, value: bytes, version: int) -> None:
        with self._mutex:
            if version != self._version or (self.max_size is not None and len(value) > self.max_size):
                return
            self._forget(key)
            self._values[key] = value
            self._size += len(value)
            while self.max_size is not None and self._size > self.max_size:
                _, dropped = self._values.popitem(last=False)
                self._size -= len(dropped)

    def _forget(self, key: str) -> None:
        old = self._values.pop(key, None)
        if old is not None:
            self._size -= len(old)

    def _changed(self, keys: Iterable[str], exists: bool) -> None:
        with self._mutex:
            self._version += 1
            for key in keys:
                self._forget(key)
                self._contains[key] = exists
                if self._keyset is not None and (key in self._keyset) != exists:
                    self._keys = self._keyset = None

    def invalidate(self) -> None:
        """Forget everything: values, listing and membership."""
        with self._mutex:
            self._version += 1
            self._values.clear()
            self._size = 0
            self._keys = self._keyset = None
            self._contains.clear()

    def invalidate_values(self) -> None:
        with self._mutex:
            self._version += 1
            self._values.clear()
            self._size = 0

    def invalidate_keys(self) -> None:
        with self._mutex:
            self._keys = self._keyset = None
            self._contains.clear()

    # -- reads ---------------------------------------------------------------------------------
    def _cached(self, key: str) -> bytes | None:
        with self._mutex:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                self.hits += 1
            return value

    def _get(self, key: str) -> bytes:
        value = self._cached(key)
        if value is not None:
            return value
        version = self._version
        value = self.store[key]
        with self._mutex:
            self.misses += 1
        self._remember(key, value, version)
        return value

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        missing = []
        for key in keys:
            value = self._cached(validate_key(key))
            if value is None:
                missing.append(key)
            else:
                found[key] = value
        if missing:
            version = self._version
            fetched = self.store.get_many(missing)
            with self._mutex:
                self.misses += len(missing)
            for key, value in fetched.items():
                self._remember(key, value, version)
            found.update(fetched)
        return found

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        value = self._cached(validate_key(key))
        if value is not None:
            return byte_range.apply(value)
        return self.store.get_range(key, byte_range)

    def _iter_keys(self) -> Iterator[str]:
        with self._mutex:
            keys = self._keys
        if keys is None:
            version = self._version
            keys = sorted(self.store)
            with self._mutex:
                if version == self._version:
                    self._keys, self._keyset = keys, frozenset(keys)
        return iter(keys)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        with self._mutex:
            if key in self._values:
                return True
            if self._keyset is not None:
                return key in self._keyset
            if key in self._contains:
                return self._contains[key]
        version = self._version
        exists = key in self.store
        with self._mutex:
            if version == self._version:
                self._contains[key] = exists
        return exists

    def __len__(self) -> int:
        return sum(1 for _ in self._iter_keys())

    def getsize(self, prefix: str = "") -> int:
        return self.store.getsize(prefix)

    # -- writes go through -------------------------------------------------------------------
    def _set(self, key: str, value: bytes) -> None:
        try:
            self.store[key] = value
        except BaseException:  # the store failed: what it now holds is its business, not the cache's
            self.invalidate()
            raise
        self._changed([key], exists=True)
        self._remember(key, value, self._version)

    def set_many(self, items: Mapping[str, bytes]) -> None:
        try:
            self.store.set_many(items)
        except BaseException:  # some keys may be written, others not: trust nothing cached
            self.invalidate()
            raise
        self._changed(items, exists=True)
        version = self._version
        for key, value in items.items():
            self._remember(key, bytes(value), version)

    def _delete(self, key: str) -> None:
        try:
            del self.store[key]
        except KeyError:
            self._changed([key], exists=False)
            raise
        except BaseException:  # the store refused or failed part-way: trust nothing cached
            self.invalidate()
            raise
        self._changed([key], exists=False)

    def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        try:
            self.store.delete_many(keys)
        finally:
            self.invalidate()

    def rmdir(self, prefix: str = "") -> None:
        try:
            self.store.rmdir(prefix)
        finally:
            self.invalidate()

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"LRUStoreCache({self.store!r}, max_size={self.max_size})"

    def __getstate__(self) -> dict[str, Any]:
        return {"store": self.store, "max_size": self.max_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["store"], state["max_size"])  # type: ignore[misc]
