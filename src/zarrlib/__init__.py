"""zarrlib: chunked, compressed, N-dimensional arrays in the Zarr format.

>>> import zarrlib as zarr
>>> z = zarr.zeros((10000, 10000), chunks=(1000, 1000), dtype="i4")
"""

from __future__ import annotations

from . import blosc, codecs, creation, storage
from .codecs import (
    BZ2,
    JSON,
    LZ4,
    LZMA,
    AsType,
    Blosc,
    Categorize,
    Delta,
    FixedScaleOffset,
    GZip,
    MsgPack,
    PackBits,
    Pickle,
    Quantize,
    VLenArray,
    VLenBytes,
    VLenUTF8,
    Zlib,
    Zstd,
)
from .core import Array
from .creation import (
    array,
    create,
    empty,
    empty_like,
    full,
    full_like,
    ones,
    ones_like,
    open_array,
    open_like,
    zeros,
    zeros_like,
)
from .errors import (
    ArrayNotFoundError,
    BoundsCheckError,
    ChunkAlignmentError,
    ChunkDecodeError,
    ConcurrentWriteError,
    ContainsArrayError,
    ContainsGroupError,
    GroupNotFoundError,
    InvalidKeyError,
    MetadataError,
    ReadOnlyError,
)
from .storage import DictStore, DirectoryStore, KVStore, MemoryStore, NestedDirectoryStore
from .sync import ProcessSynchronizer, ThreadSynchronizer

# isort: split
# Groups, stores, consolidated metadata and copying.
from . import convenience, hierarchy
from .convenience import (
    consolidate_metadata,
    copy,
    copy_all,
    copy_store,
    load,
    open,
    open_consolidated,
    save,
    save_array,
    save_group,
    tree,
)
from .errors import CopyError, CorruptStoreError, PathNotFoundError, StoreError
from .hierarchy import Group, group, open_group
from .repair import RepairReport, repair, verify
from .storage import FSStore, LRUStoreCache, SQLiteStore, ZipStore

__version__ = "0.1.0"

# Dask integration (the ``dask`` extra), imported on first use so that ``import zarrlib``
# never imports dask.
_DASK_NAMES = ("from_dask", "to_dask", "write_dask")


def __getattr__(name: str) -> object:
    if name in _DASK_NAMES:
        from .integrations import dask as _dask

        return getattr(_dask, name)
    raise AttributeError(f"module 'zarrlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_DASK_NAMES])


__all__ = [
    # dask integration (lazy)
    "ChunkAlignmentError",
    "from_dask",
    "to_dask",
    "write_dask",
    # groups, stores, consolidated metadata and copying
    "CopyError",
    "CorruptStoreError",
    "FSStore",
    "Group",
    "LRUStoreCache",
    "PathNotFoundError",
    "RepairReport",
    "SQLiteStore",
    "StoreError",
    "ZipStore",
    "consolidate_metadata",
    "convenience",
    "copy",
    "copy_all",
    "copy_store",
    "group",
    "hierarchy",
    "load",
    "open",
    "open_consolidated",
    "repair",
    "open_group",
    "save",
    "save_array",
    "save_group",
    "tree",
    "verify",
    "BZ2",
    "JSON",
    "LZ4",
    "LZMA",
    "Array",
    "ArrayNotFoundError",
    "AsType",
    "Blosc",
    "BoundsCheckError",
    "Categorize",
    "ChunkDecodeError",
    "ConcurrentWriteError",
    "ContainsArrayError",
    "ContainsGroupError",
    "Delta",
    "DictStore",
    "DirectoryStore",
    "FixedScaleOffset",
    "GZip",
    "GroupNotFoundError",
    "InvalidKeyError",
    "KVStore",
    "MemoryStore",
    "MetadataError",
    "MsgPack",
    "NestedDirectoryStore",
    "PackBits",
    "Pickle",
    "ProcessSynchronizer",
    "Quantize",
    "ReadOnlyError",
    "ThreadSynchronizer",
    "VLenArray",
    "VLenBytes",
    "VLenUTF8",
    "Zlib",
    "Zstd",
    "array",
    "blosc",
    "codecs",
    "create",
    "creation",
    "empty",
    "empty_like",
    "full",
    "full_like",
    "ones",
    "ones_like",
    "open_array",
    "open_like",
    "storage",
    "zeros",
    "zeros_like",
]
