"""What lives at a path in a store (an array, a group, nothing), and the rules for
creating nodes there. Shared by array creation and groups."""

from __future__ import annotations

import json

from .errors import ContainsArrayError, ContainsGroupError
from .metadata.v2 import ARRAY_KEY, ATTRS_KEY, GROUP_KEY, GroupMetadataV2
from .metadata.v3 import ZARR_JSON, ArrayMetadataV3, GroupMetadataV3, parse_node
from .storage.base import Store, normalize_prefix


def join_path(path: str, key: str) -> str:
    """``path/key``, or ``key`` at the root."""
    return f"{path}/{key}" if path else key


def contains_array(store: Store, path: str = "") -> bool:
    return join_path(normalize_prefix(path), ARRAY_KEY) in store or v3_node_type(store, path) == "array"


def contains_group(store: Store, path: str = "") -> bool:
    return join_path(normalize_prefix(path), GROUP_KEY) in store or v3_node_type(store, path) == "group"


def check_vacant(store: Store, path: str) -> None:
    """Refuse to create a node where an array or group already is."""
    if contains_array(store, path):
        raise ContainsArrayError(f"an array already exists at path {path or '/'!r}")
    if contains_group(store, path):
        raise ContainsGroupError(f"a group already exists at path {path or '/'!r}")


def ensure_parent_groups(store: Store, path: str, zarr_format: int = 2, *, write: bool = True) -> None:
    """Create the missing groups above ``path``; refuse if an ancestor is an array.
    With ``write=False`` only check (new arrays create their parents after their chunks)."""
    path = normalize_prefix(path)
    if not path:  # the root has no ancestors (a root array must not get a root .zgroup)
        return
    segments = path.split("/")[:-1]
    ancestors = [""] + ["/".join(segments[: i + 1]) for i in range(len(segments))]
    for ancestor in ancestors:
        if contains_array(store, ancestor):
            raise ContainsArrayError(f"cannot create a node below the array at path {ancestor or '/'!r}")
        if write and not contains_group(store, ancestor):
            if zarr_format == 3:
                store[join_path(ancestor, ZARR_JSON)] = GroupMetadataV3().to_json()
            else:
                store[join_path(ancestor, GROUP_KEY)] = GroupMetadataV2().to_json()


def clear_node(store: Store, path: str) -> None:
    """Delete a node and everything below it (``overwrite=True``)."""
    path = normalize_prefix(path)
    if path:
        store.rmdir(path)
    else:
        for key in (ARRAY_KEY, GROUP_KEY, ATTRS_KEY, ZARR_JSON):
            if key in store:
                del store[key]
        store.rmdir("")


# -- Zarr v3 nodes: one ``zarr.json`` whose ``node_type`` says array or group --------------


def v3_node_type(store: Store, path: str = "") -> str | None:
    """``"array"`` or ``"group"`` when ``path`` holds a v3 ``zarr.json``, else None (cheap:
    the document is not validated here)."""
    try:
        raw = store[join_path(normalize_prefix(path), ZARR_JSON)]
    except KeyError:
        return None
    try:
        node_type = json.loads(raw).get("node_type")
    except (ValueError, AttributeError, RecursionError):
        return None
    return node_type if node_type in ("array", "group") else None


def explain_missing(store: Store, path: str = "") -> None:
    """Before reporting that nothing is at ``path``: a ``zarr.json`` that is there but broken
    is a MetadataError naming it, not an absent node."""
    read_v3_metadata(store, path)


def node_zarr_format(store: Store, path: str = "") -> int | None:
    """3 if ``path`` holds a v3 node, 2 if a v2 array or group, None if nothing."""
    path = normalize_prefix(path)
    if v3_node_type(store, path) is not None:
        return 3
    if join_path(path, ARRAY_KEY) in store or join_path(path, GROUP_KEY) in store:
        return 2
    return None


def read_v3_metadata(store: Store, path: str = "") -> ArrayMetadataV3 | GroupMetadataV3 | None:
    """The parsed ``zarr.json`` at ``path`` (array or group), or None if there is none."""
    key = join_path(normalize_prefix(path), ZARR_JSON)
    try:
        raw = store[key]
    except KeyError:
        return None
    return parse_node(raw, key)


def write_v3_group(store: Store, path: str = "", attributes: dict | None = None) -> GroupMetadataV3:
    """Write the ``zarr.json`` of a v3 group (no checks: call ``check_vacant`` first)."""
    meta = GroupMetadataV3(attributes=dict(attributes or {}))
    store[join_path(normalize_prefix(path), ZARR_JSON)] = meta.to_json()
    return meta
