"""A read-only view of a hierarchy's metadata, served from its consolidated ``.zmetadata``.

``open_consolidated`` opens groups and arrays on this view (one read of the underlying
store for all metadata) with the underlying store as their chunk store, so chunk data
stays readable and, in mode ``r+``, writable. Metadata and attributes cannot change
through the view: write to the underlying store and consolidate again.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import InvalidKeyError, MetadataError, PathNotFoundError, ReadOnlyError
from ..metadata.consolidated import ConsolidatedMetadataV2
from ..metadata.v2 import CONSOLIDATED_KEY
from .base import Store, normalize_prefix, validate_key


class ConsolidatedMetadataStore(Store):
    """The metadata keys of ``store`` as recorded in its ``.zmetadata`` (read once, here).

    Keys are the underlying store's keys: for a hierarchy consolidated at ``path``, the
    entries appear under ``path/``.
    """

    def __init__(self, store: Store, metadata_key: str = CONSOLIDATED_KEY, path: str | None = None) -> None:
        self.store = store
        prefix = normalize_prefix(path)
        key = f"{prefix}/{metadata_key}" if prefix else metadata_key
        try:
            raw = store[key]
        except KeyError:
            raise PathNotFoundError(
                f"no consolidated metadata at key {key!r} in {store.display_name}; call consolidate_metadata first"
            ) from None
        meta = ConsolidatedMetadataV2.from_json(raw, key)
        self.metadata_key = key
        self._docs = {}
        for name in meta.metadata:
            try:
                full = validate_key(f"{prefix}/{name}" if prefix else name)
            except InvalidKeyError as e:
                raise MetadataError(f"{key!r}: entry {name!r} is not a valid key: {e}") from None
            self._docs[full] = meta.metadata[name]
        self._encoded: dict[str, bytes] = {}

    def _get(self, key: str) -> bytes:
        encoded = self._encoded.get(key)
        if encoded is None:
            if key not in self._docs:
                raise KeyError(key)
            encoded = self._encoded[key] = ConsolidatedMetadataV2(self._docs).document(key)
        return encoded

    def _refuse(self, key: str) -> None:
        raise ReadOnlyError(
            f"cannot modify {key!r}: metadata opened from consolidated {self.metadata_key!r} is read-only; "
            "change the underlying store and call consolidate_metadata again"
        )

    def _set(self, key: str, value: bytes) -> None:
        self._refuse(key)

    def _delete(self, key: str) -> None:
        self._refuse(key)

    def rmdir(self, prefix: str = "") -> None:
        self._refuse(prefix)

    def _iter_keys(self) -> Iterator[str]:
        return iter(sorted(self._docs))

    def __contains__(self, key: object) -> bool:
        return key in self._docs

    def __len__(self) -> int:
        return len(self._docs)

    def getsize(self, prefix: str = "") -> int:
        """0: the same metadata is counted once, in the underlying (chunk) store."""
        normalize_prefix(prefix)  # still refuse a hostile prefix
        return 0

    @property
    def display_name(self) -> str:
        return self.store.display_name

    def __repr__(self) -> str:
        return f"ConsolidatedMetadataStore({self.store!r}, {self.metadata_key!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ConsolidatedMetadataStore)
            and other.store == self.store
            and other.metadata_key == self.metadata_key
        )

    __hash__ = object.__hash__
