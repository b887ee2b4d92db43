"""What lives at a path in a store (an array, a group, nothing), and the rules for
creating nodes there. Shared by array creation and groups."""

from __future__ import annotations

from .errors import ContainsArrayError, ContainsGroupError
from .metadata.v2 import ARRAY_KEY, ATTRS_KEY, GROUP_KEY, GroupMetadataV2
from .storage.base import Store, normalize_prefix


def join_path(path: str, key: str) -> str:
    """``path/key``, or ``key`` at the root."""
    return f"{path}/{key}" if path else key


def contains_array(store: Store, path: str = "") -> bool:
    return join_path(normalize_prefix(path), ARRAY_KEY) in store


def contains_group(store: Store, path: str = "") -> bool:
    return join_path(normalize_prefix(path), GROUP_KEY) in store


def check_vacant(store: Store, path: str) -> None:
    """Refuse to create a node where an array or group already is."""
    if contains_array(store, path):
        raise ContainsArrayError(f"an array already exists at path {path or '/'!r}")
    if contains_group(store, path):
        raise ContainsGroupError(f"a group already exists at path {path or '/'!r}")


def ensure_parent_groups(store: Store, path: str) -> None:
    """Create the missing groups above ``path``; refuse if an ancestor is an array."""
    path = normalize_prefix(path)
    if not path:  # the root has no ancestors (a root array must not get a root .zgroup)
        return
    segments = path.split("/")[:-1]
    ancestors = [""] + ["/".join(segments[: i + 1]) for i in range(len(segments))]
    for ancestor in ancestors:
        if contains_array(store, ancestor):
            raise ContainsArrayError(f"cannot create a node below the array at path {ancestor or '/'!r}")
        if not contains_group(store, ancestor):
            store[join_path(ancestor, GROUP_KEY)] = GroupMetadataV2().to_json()


def clear_node(store: Store, path: str) -> None:
    """Delete a node and everything below it (``overwrite=True``)."""
    path = normalize_prefix(path)
    if path:
        store.rmdir(path)
    else:
        for key in (ARRAY_KEY, GROUP_KEY, ATTRS_KEY):
            if key in store:
                del store[key]
        store.rmdir("")
