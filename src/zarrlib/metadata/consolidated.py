"""Consolidated metadata (``.zmetadata``): every metadata document of a hierarchy in one.

The format is zarr-python's convention (no spec defines it)::

    {"metadata": {".zgroup": {...}, "a/.zarray": {...}, "a/.zattrs": {...}},
     "zarr_consolidated_format": 1}

Keys are store keys relative to the consolidated group, file name included; values are the
parsed JSON of those keys. zarrlib writes it as zarr-python 2 did (sorted keys, 4-space
indent) and reads what zarr-python 3 writes too (compact JSON, extra members in entries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import MetadataError
from .v2 import ARRAY_KEY, ATTRS_KEY, CONSOLIDATED_KEY, GROUP_KEY, dump_json, load_json

CONSOLIDATED_FORMAT = 1
METADATA_NAMES = frozenset({ARRAY_KEY, GROUP_KEY, ATTRS_KEY})


def is_metadata_key(key: str) -> bool:
    """A ``.zarray``, ``.zgroup`` or ``.zattrs`` key, at any depth."""
    return key.rsplit("/", 1)[-1] in METADATA_NAMES


@dataclass(frozen=True)
class ConsolidatedMetadataV2:
    """A parsed ``.zmetadata`` document: metadata key -> parsed JSON object."""

    metadata: Mapping[str, dict[str, Any]]

    @classmethod
    def from_documents(cls, raw: Mapping[str, bytes]) -> ConsolidatedMetadataV2:
        """Consolidate stored metadata values (key -> bytes); each is checked to be a JSON object."""
        return cls({key: load_json(value, key) for key, value in sorted(raw.items())})

    @classmethod
    def from_json(cls, raw: bytes, key: str = CONSOLIDATED_KEY) -> ConsolidatedMetadataV2:
        doc = load_json(raw, key)
        fmt = doc.get("zarr_consolidated_format")
        if fmt != CONSOLIDATED_FORMAT:
            raise MetadataError(f"{key!r}: zarr_consolidated_format must be {CONSOLIDATED_FORMAT}, got {fmt!r}")
        metadata = doc.get("metadata")
        if not isinstance(metadata, dict):
            raise MetadataError(f"{key!r}: 'metadata' must be a JSON object, got {type(metadata).__name__}")
        for name, entry in metadata.items():
            if not is_metadata_key(name):
                raise MetadataError(f"{key!r}: entry {name!r} is not a .zarray, .zgroup or .zattrs key")
            if not isinstance(entry, dict):
                raise MetadataError(f"{key!r}: entry {name!r} must be a JSON object, got {type(entry).__name__}")
        return cls(metadata)

    def to_json(self) -> bytes:
        return dump_json({"metadata": dict(self.metadata), "zarr_consolidated_format": CONSOLIDATED_FORMAT})

    def document(self, key: str) -> bytes:
        """One entry serialised as it would be stored under its own key."""
        return dump_json(self.metadata[key])
