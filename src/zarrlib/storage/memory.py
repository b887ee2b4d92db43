"""In-memory stores: a plain dict, or any MutableMapping the user hands us."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from .base import Store


class MemoryStore(Store):
    """Keys and values held in a Python dict."""

    def __init__(self, mapping: MutableMapping[str, bytes] | None = None) -> None:
        self._map: MutableMapping[str, bytes] = {} if mapping is None else mapping

    def _get(self, key: str) -> bytes:
        return self._map[key]

    def _set(self, key: str, value: bytes) -> None:
        self._map[key] = value

    def _delete(self, key: str) -> None:
        del self._map[key]

    def _iter_keys(self) -> Iterator[str]:
        return iter(list(self._map))

    def __len__(self) -> int:
        return len(self._map)

    def getsize(self, prefix: str = "") -> int:
        keys = [prefix] if prefix in self._map else []
        return sum(len(self._map[k]) for k in keys + self.list_prefix(prefix))


class DictStore(MemoryStore):
    """The default store of a new group: a dict in memory (named as in zarr's tutorial)."""


class KVStore(MemoryStore):
    """Adapts any MutableMapping (a dict, ``S3Map``, ...) to the store interface."""

    @property
    def mapping(self) -> MutableMapping[str, bytes]:
        return self._map

    @property
    def display_name(self) -> str:
        return type(self._map).__name__
