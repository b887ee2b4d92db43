"""User attributes: a MutableMapping persisted as JSON (``.zattrs``) next to a node's metadata."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from .errors import ReadOnlyError
from .metadata.v2 import dump_json, load_json
from .storage.base import Store


class Attributes(MutableMapping[str, Any]):
    """The attributes of an array or group. Every change is written through at once.

    Updates are read-modify-write of the whole document, under the node's synchronizer
    lock when it has one, so concurrent writers of different attributes do not clobber
    each other. ``update`` writes once for many keys.
    """

    def __init__(
        self,
        store: Store,
        key: str,
        *,
        read_only: bool = False,
        cache: bool = True,
        lock: Callable[[], Any] | None = None,
    ) -> None:
        self.store = store
        self.key = key
        self.read_only = read_only
        self.cache = cache
        self._lock = lock
        self._cached: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        try:
            raw = self.store[self.key]
        except KeyError:
            return {}
        return load_json(raw, self.key)

    def asdict(self) -> dict[str, Any]:
        """A copy of all attributes, read from the store unless cached."""
        if self.cache and self._cached is not None:
            return dict(self._cached)
        doc = self._load()
        if self.cache:
            self._cached = doc
        return dict(doc)

    def refresh(self) -> None:
        self._cached = None

    def _modify(self, change: Callable[[dict[str, Any]], None]) -> None:
        if self.read_only:
            raise ReadOnlyError(f"attributes at {self.key!r} are read-only")
        with self._lock() if self._lock is not None else contextlib.nullcontext():
            doc = self._load()
            change(doc)
            try:
                encoded = dump_json(doc)
            except (TypeError, ValueError) as e:
                raise TypeError(f"attribute values must be JSON-serialisable: {e}") from None
            self.store[self.key] = encoded
            self._cached = doc if self.cache else None

    def __getitem__(self, name: str) -> Any:
        return self.asdict()[name]

    def __setitem__(self, name: str, value: Any) -> None:
        _check_json(name, value)
        self._modify(lambda doc: doc.__setitem__(name, value))

    def __delitem__(self, name: str) -> None:
        if name not in self.asdict():
            raise KeyError(name)
        self._modify(lambda doc: doc.__delitem__(name))

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Set many attributes with a single write."""
        new = dict(*args, **kwargs)
        for name, value in new.items():
            _check_json(name, value)
        self._modify(lambda doc: doc.update(new))

    def put(self, mapping: dict[str, Any]) -> None:
        """Replace all attributes with ``mapping``."""
        new = dict(mapping)
        for name, value in new.items():
            _check_json(name, value)

        def replace_all(doc: dict[str, Any]) -> None:
            doc.clear()
            doc.update(new)

        self._modify(replace_all)

    def __iter__(self) -> Iterator[str]:
        return iter(self.asdict())

    def __len__(self) -> int:
        return len(self.asdict())

    def __contains__(self, name: object) -> bool:
        return name in self.asdict()

    def __repr__(self) -> str:
        return f"Attributes({self.asdict()!r})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(json.dumps(self.asdict(), indent=2, sort_keys=True))


def _check_json(name: Any, value: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"attribute names must be strings, got {type(name).__name__} {name!r}")
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as e:
        raise TypeError(f"attribute {name!r}: value {value!r} is not JSON-serialisable ({e})") from None


class V3Attributes(Attributes):
    """Attributes of a Zarr v3 node: the ``attributes`` member of its ``zarr.json``
    (``key``); changes rewrite that document, keeping every other member as it is."""

    def _load_document(self) -> dict[str, Any]:
        try:
            raw = self.store[self.key]
        except KeyError:
            return {}
        return load_json(raw, self.key)

    def _load(self) -> dict[str, Any]:
        attributes = self._load_document().get("attributes", {})
        return dict(attributes) if isinstance(attributes, dict) else {}

    def _modify(self, change: Callable[[dict[str, Any]], None]) -> None:
        from .metadata.v3 import dump_json_v3

        if self.read_only:
            raise ReadOnlyError(f"attributes at {self.key!r} are read-only")
        with self._lock() if self._lock is not None else contextlib.nullcontext():
            document = self._load_document()
            doc = dict(document.get("attributes", {}))
            change(doc)
            try:
                json.dumps(doc, allow_nan=True)
            except (TypeError, ValueError) as e:
                raise TypeError(f"attribute values must be JSON-serialisable: {e}") from None
            document["attributes"] = doc
            self.store[self.key] = dump_json_v3(document)
            self._cached = doc if self.cache else None
