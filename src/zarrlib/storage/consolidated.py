"""Views of a hierarchy's metadata served from its consolidated metadata: Zarr v2's
``.zmetadata`` (read-only) and Zarr v3's ``consolidated_metadata`` inside the group's
``zarr.json`` (``ConsolidatedV3Store``).

``open_consolidated`` opens groups and arrays on this view (one read of the underlying
store for all metadata) with the underlying store as their chunk store, so chunk data
stays readable and, in mode ``r+``, writable. Metadata and attributes cannot change
through the view: write to the underlying store and consolidate again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..errors import ContainsArrayError, InvalidKeyError, MetadataError, PathNotFoundError, ReadOnlyError
from ..metadata.consolidated import ConsolidatedMetadataV2
from ..metadata.v2 import ARRAY_KEY, ATTRS_KEY, CONSOLIDATED_KEY, GROUP_KEY
from ..metadata.v3 import ZARR_JSON, GroupMetadataV3, dump_json_v3, parse_node
from .base import Store, normalize_prefix, validate_key


class ConsolidatedMetadataStore(Store):
    """The metadata keys of ``store`` as recorded in its ``.zmetadata`` (read once, here).

    Keys are the underlying store's keys: for a hierarchy consolidated at ``path``, the
    entries appear under ``path/``.
    """

    def __init__(
        self, store: Store, metadata_key: str = CONSOLIDATED_KEY, path: str | None = None, *, raw: bytes | None = None
    ) -> None:
        self.store = store
        prefix = normalize_prefix(path)
        key = f"{prefix}/{metadata_key}" if prefix else metadata_key
        if raw is None:
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


#: Names of metadata documents (v2 and v3): below a consolidated v3 group, the snapshot alone
#: answers for them, so opening nodes costs no store request.
_METADATA_NAMES = frozenset({ZARR_JSON, ARRAY_KEY, GROUP_KEY, ATTRS_KEY, CONSOLIDATED_KEY})


def _join(prefix: str, key: str) -> str:
    return f"{prefix}/{key}" if prefix else key


class ConsolidatedV3Store(Store):
    """A Zarr v3 hierarchy seen through the ``consolidated_metadata`` of its group's
    ``zarr.json`` (read once, here), as zarr-python 3 writes it.

    Metadata documents at and below ``path`` come from that snapshot: opening and listing
    nodes costs no store request. Every other key (chunks, shards) is the underlying store's.
    With ``metadata_read_only`` (``open_consolidated``), metadata cannot change through the
    view; otherwise (``open_group`` in a writable mode) metadata writes go to the underlying
    store and into this view, so the hierarchy sees its own changes, while the snapshot
    stored in ``zarr.json`` stays as it was, as in zarr-python 3: run
    ``consolidate_metadata`` again to refresh it.
    """

    def __init__(
        self, store: Store, path: str | None = None, *, raw: bytes | None = None, metadata_read_only: bool = True
    ) -> None:
        self.store = store
        self.prefix = prefix = normalize_prefix(path)
        self.metadata_key = key = _join(prefix, ZARR_JSON)
        self.metadata_read_only = metadata_read_only
        self.read_only = store.read_only
        if raw is None:
            try:
                raw = store[key]
            except KeyError:
                raise PathNotFoundError(f"no Zarr v3 group at {'/' + prefix!r} in {store.display_name}") from None
        meta = parse_node(raw, key)
        if not isinstance(meta, GroupMetadataV3):
            raise ContainsArrayError(
                f"{'/' + prefix!r} is an array: consolidated metadata lives in the zarr.json of a group"
            )
        if meta.consolidated_metadata is None:
            raise PathNotFoundError(
                f"no consolidated metadata in {key!r} of {store.display_name}; call consolidate_metadata first"
            )
        self._docs: dict[str, bytes | dict] = {key: raw}
        for rel, doc in meta.consolidated_documents().items():
            if doc["node_type"] == "group":  # the view answers for it; its own (empty) map would hide members
                doc = {k: v for k, v in doc.items() if k != "consolidated_metadata"}
            self._docs[validate_key(_join(_join(prefix, rel), ZARR_JSON))] = doc
        self._arrays = {k[: -len(ZARR_JSON) - 1] for k, d in self._docs.items() if _is_array_doc(d)}

    def _in_snapshot(self, key: str) -> bool:
        """A metadata document at or below the consolidated group: the snapshot's to answer."""
        parent, _, name = key.rpartition("/")
        return name in _METADATA_NAMES and (
            not self.prefix or parent == self.prefix or key.startswith(self.prefix + "/")
        )

    def _get(self, key: str) -> bytes:
        if not self._in_snapshot(key):
            return self.store[key]
        doc = self._docs.get(key)
        if doc is None:
            raise KeyError(key)
        if isinstance(doc, dict):
            doc = self._docs[key] = dump_json_v3(doc)
        return doc

    def _refuse(self, key: str) -> None:
        raise ReadOnlyError(
            f"cannot modify {key!r}: metadata opened from the consolidated metadata of {self.metadata_key!r} "
            "is read-only; change the underlying store and call consolidate_metadata again"
        )

    def _set(self, key: str, value: bytes) -> None:
        if self._in_snapshot(key):
            if self.metadata_read_only:
                self._refuse(key)
            self.store[key] = value
            self._docs[key] = value
            if key.endswith("/" + ZARR_JSON) or key == ZARR_JSON:
                node = key[: -len(ZARR_JSON)].rstrip("/")
                (self._arrays.add if _is_array_doc(value) else self._arrays.discard)(node)
            return
        self.store[key] = value

    def _delete(self, key: str) -> None:
        if self._in_snapshot(key):
            if self.metadata_read_only:
                self._refuse(key)
            known = self._docs.pop(key, None) is not None
            try:
                del self.store[key]
            except KeyError:
                if not known:
                    raise
            return
        del self.store[key]

    def rmdir(self, prefix: str = "") -> None:
        self._check_writable(prefix)
        prefix = normalize_prefix(prefix)
        below = [k for k in list(self._docs) if not prefix or k.startswith(prefix + "/")]
        if below and self.metadata_read_only:
            self._refuse(prefix or "/")
        for k in below:
            del self._docs[k]
        self._arrays = {a for a in self._arrays if prefix and not (a + "/").startswith(prefix + "/")}
        self.store.rmdir(prefix)

    def _iter_keys(self) -> Iterator[str]:
        return iter(sorted(self._docs))

    def _touches_array(self, prefix: str, *, below: bool) -> bool:
        """An array at or above ``prefix`` (or, with ``below``, anywhere under it)."""
        for a in list(self._arrays):
            if prefix == a or prefix.startswith(a + "/") or (below and (not prefix or a.startswith(prefix + "/"))):
                return True
        return False

    def list_prefix(self, prefix: str) -> list[str]:
        """Metadata keys from the snapshot, and the chunk keys of the arrays there from the store
        (so moving or copying a group moves its chunks too)."""
        prefix = normalize_prefix(prefix)
        keys = [k for k in sorted(list(self._docs)) if not prefix or k.startswith(prefix + "/")]
        if self._touches_array(prefix, below=True):
            keys += [k for k in self.store.list_prefix(prefix) if not self._in_snapshot(k)]
        return keys

    def list_dir(self, prefix: str = "") -> list[str]:
        """Member names from the snapshot alone (no store listing); inside an array, the store's."""
        prefix = normalize_prefix(prefix)
        start = prefix + "/" if prefix else ""
        names = {k[len(start) :].split("/", 1)[0] for k in list(self._docs) if k.startswith(start)}
        if self._touches_array(prefix, below=False):
            names.update(n for n in self.store.list_dir(prefix) if not self._in_snapshot(start + n))
        return sorted(names)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str) and self._in_snapshot(key):
            return key in self._docs
        return key in self.store

    def __len__(self) -> int:
        return len(self._docs)

    def getsize(self, prefix: str = "") -> int:
        """0: metadata and chunks are counted once, in the underlying (chunk) store."""
        return 0

    @property
    def display_name(self) -> str:
        return self.store.display_name

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"ConsolidatedV3Store({self.store!r}, {self.prefix!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConsolidatedV3Store) and other.store == self.store and other.prefix == self.prefix

    __hash__ = object.__hash__


def _is_array_doc(doc: bytes | dict) -> bool:
    if isinstance(doc, dict):
        return doc.get("node_type") == "array"
    try:
        return json.loads(doc).get("node_type") == "array"
    except (ValueError, AttributeError):
        return False
