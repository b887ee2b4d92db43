"""The metadata fuzz harness, shared by the hypothesis tests and the optional atheris run.

``open_document(name, raw)`` stores ``raw`` under ``name`` in a fresh store beside valid
documents and goes through everything that reads it: the parser of that kind of document,
opening the node with the public API, and (when the array is small) reading it all and
printing its report. The only exceptions it lets out are ``DOCUMENTED``; anything else is a
bug. It also checks the promise of no huge allocation: opening never allocates more than
``MAX_OPEN_ALLOCATION`` bytes, whatever shape or chunks the document claims.
"""

from __future__ import annotations

import copy
import json
import math
import tracemalloc
from typing import Any

import numcodecs

import zarrlib as zarr
from zarrlib.errors import (
    ArrayNotFoundError,
    CodecError,
    ContainsArrayError,
    ContainsGroupError,
    GroupNotFoundError,
    MetadataError,
    PathNotFoundError,
)
from zarrlib.metadata.consolidated import ConsolidatedMetadataV2
from zarrlib.metadata.v2 import ArrayMetadataV2, GroupMetadataV2, load_json
from zarrlib.metadata.v3 import parse_node

#: What a malformed document may raise: all ValueErrors/KeyErrors naming the key.
DOCUMENTED: tuple[type[BaseException], ...] = (
    MetadataError,
    CodecError,
    ContainsGroupError,
    ContainsArrayError,
    ArrayNotFoundError,
    GroupNotFoundError,
    PathNotFoundError,
)
MAX_OPEN_ALLOCATION = 64 * 2**20
#: Arrays up to this many bytes are also read whole (their chunks are missing: fill values).
MAX_READ_BYTES = 2**16


def _valid_documents() -> dict[str, dict[str, Any]]:
    """One valid document of each kind, written by zarrlib itself."""
    store = zarr.MemoryStore()
    root = zarr.group(store=store)
    root.attrs["title"] = "t"
    root.zeros("plain", shape=(10, 10), chunks=(3, 4), dtype="f4", filters=[numcodecs.Delta("f4")])
    root.create_dataset(
        "rec", shape=(5,), chunks=(2,), dtype=[("a", "<i4"), ("b", "S3", (2,))], compressor=numcodecs.Zlib(1)
    )
    root.create_dataset("text", shape=(4,), chunks=(2,), dtype=str, fill_value="")
    zarr.consolidate_metadata(store)
    v3 = zarr.MemoryStore()
    zarr.create((10, 10), chunks=(3, 4), shards=(6, 8), dtype="f4", zarr_format=3, store=v3, path="shard")
    zarr.create((6,), chunks=(2,), dtype="M8[s]", zarr_format=3, store=v3, path="time", dimension_names=["t"])
    zarr.create((4,), chunks=(2,), dtype=str, zarr_format=3, store=v3, path="str")
    return {
        ".zarray plain": json.loads(store["plain/.zarray"]),
        ".zarray structured": json.loads(store["rec/.zarray"]),
        ".zarray text": json.loads(store["text/.zarray"]),
        ".zgroup": json.loads(store[".zgroup"]),
        ".zattrs": json.loads(store[".zattrs"]),
        ".zmetadata": json.loads(store[".zmetadata"]),
        "zarr.json sharded": json.loads(v3["shard/zarr.json"]),
        "zarr.json datetime": json.loads(v3["time/zarr.json"]),
        "zarr.json string": json.loads(v3["str/zarr.json"]),
    }


VALID = _valid_documents()
KINDS = {name: name.split(" ")[0] for name in VALID}  # label -> the key it is stored under
KIND_NAMES = sorted(set(KINDS.values()))


def valid(label: str) -> dict[str, Any]:
    return copy.deepcopy(VALID[label])


def open_document(kind: str, raw: bytes) -> None:
    """Store ``raw`` as a ``kind`` document ('.zarray', '.zgroup', '.zattrs', '.zmetadata',
    'zarr.json') at path 'x' and open it every way a user could."""
    _parse(kind, raw)
    store = zarr.MemoryStore()
    if kind == ".zmetadata":
        store[".zmetadata"] = raw
        _guard(lambda: _walk(zarr.open_consolidated(store, mode="r")))
        return
    if kind == "zarr.json":
        zarr.group(store=store, zarr_format=3)
    else:
        zarr.group(store=store)
    if kind == ".zattrs":
        zarr.zeros((2,), store=store, path="x")
    elif kind == ".zgroup":
        store["x/.zattrs"] = b"{}"
    store[f"x/{kind}"] = raw
    _guard(lambda: _walk(zarr.open_group(store, mode="r")))
    _guard(lambda: _walk(zarr.open(store, mode="r", path="x")))


def _parse(kind: str, raw: bytes) -> None:
    parser = {
        ".zarray": lambda r: ArrayMetadataV2.from_json(r, "x/.zarray"),
        ".zgroup": lambda r: GroupMetadataV2.from_json(r, "x/.zgroup"),
        ".zattrs": lambda r: load_json(r, "x/.zattrs"),
        ".zmetadata": lambda r: ConsolidatedMetadataV2.from_json(r, ".zmetadata"),
        "zarr.json": lambda r: parse_node(r, "x/zarr.json"),
    }[kind]
    _guard(lambda: parser(raw))


def _guard(action: Any) -> None:
    """Run ``action``; documented errors are fine, opening must not allocate much."""
    tracemalloc.start()
    try:
        action()
    except DOCUMENTED as e:
        if not str(e):
            raise AssertionError(f"{type(e).__name__} without a message") from e
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if peak > MAX_OPEN_ALLOCATION + MAX_READ_BYTES * 64:
        raise AssertionError(f"opening allocated {peak:,} bytes")


def _walk(node: Any) -> None:
    """Everything a user does first: list, report, attributes, and read small arrays."""
    if isinstance(node, zarr.Group):
        node.attrs.asdict()
        repr(node)
        for _, member in node.items():
            _walk(member)
        return
    node.attrs.asdict()
    repr(node)
    node.nchunks  # noqa: B018 - must be exact, not overflow
    assert node.nchunks == math.prod(-(-s // c) for s, c in zip(node.shape, node.chunks, strict=True))
    if node.nbytes <= MAX_READ_BYTES:
        data = node[...]
        assert data.shape == node.shape and data.dtype == node.dtype
