"""Check a store after a crash: remove the temp files a killed writer left, decode every
chunk of every array, and report what failed, by key (``zarrlib.repair``, ``zarrlib verify``).

Writes never tear (a DirectoryStore writes ``.<name>.<uuid>.partial`` and renames it into
place; SQLite commits transactions), so after a crash the only debris is temp files, which
readers and listings already ignore. A chunk that fails to decode was damaged by something
else (a disk, a copy, another program) and is reported, not guessed at.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

from .chunk import decode_chunk
from .core import Array
from .errors import ChunkDecodeError, ReadOnlyError, ZarrlibError
from .metadata.v2 import ARRAY_KEY, ATTRS_KEY, GROUP_KEY, GroupMetadataV2
from .metadata.v3 import ZARR_JSON, ArrayMetadataV3, parse_node
from .storage import Store, StoreLike, normalize_prefix, normalize_store
from .storage.directory import DirectoryStore, is_temp_name

METADATA_NAMES = (ARRAY_KEY, GROUP_KEY, ATTRS_KEY, ZARR_JSON)


@dataclass(frozen=True)
class BadChunk:
    """A stored chunk (or shard) that does not decode; ``inner`` names the inner chunk of a shard."""

    key: str
    error: str
    inner: tuple[int, ...] | None = None

    def __str__(self) -> str:
        where = self.key if self.inner is None else f"{self.key} (inner chunk {self.inner})"
        return f"{where}: {self.error}"


@dataclass(frozen=True)
class BadMetadata:
    """A metadata document (``.zarray``, ``.zgroup``, ``.zattrs``, ``zarr.json``) that does not parse."""

    key: str
    error: str

    def __str__(self) -> str:
        return f"{self.key}: {self.error}"


@dataclass
class RepairReport:
    """What ``repair`` found and did.

    Attributes
    ----------
    temp_files
        Store-relative paths of the temp files found (left by interrupted writes), and of
        temp directories (ending in '/', left by an interrupted ``rmdir``).
    temp_files_removed
        Whether those temp files were deleted.
    arrays, chunks
        How many arrays were opened and how many stored chunks (or shards) decoded.
    bad_chunks, bad_metadata
        What failed to decode or parse, by key.
    deleted
        Keys of bad chunks deleted (``delete_bad=True``); they now read as the fill value.
    """

    path: str = ""
    temp_files: list[str] = field(default_factory=list)
    temp_files_removed: bool = False
    arrays: int = 0
    chunks: int = 0
    bad_chunks: list[BadChunk] = field(default_factory=list)
    bad_metadata: list[BadMetadata] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing bad left: every document parses, every chunk decodes or was deleted, no temp file remains."""
        bad_left = {bad.key for bad in self.bad_chunks} - set(self.deleted)
        return not bad_left and not self.bad_metadata and (self.temp_files_removed or not self.temp_files)

    def __str__(self) -> str:
        lines = [f"checked {self.path or '/'}: {self.arrays} arrays, {self.chunks} stored chunks"]
        if self.temp_files:
            state = "removed" if self.temp_files_removed else "found (remove them with --repair)"
            lines.append(f"temp files {state}: {len(self.temp_files)}")
            lines.extend(f"  {name}" for name in self.temp_files)
        if self.bad_metadata:
            lines.append(f"bad metadata: {len(self.bad_metadata)}")
            lines.extend(f"  {bad}" for bad in self.bad_metadata)
        if self.bad_chunks:
            lines.append(f"bad chunks: {len(self.bad_chunks)}")
            lines.extend(f"  {bad}" for bad in self.bad_chunks)
        if self.deleted:
            lines.append(f"deleted bad chunks: {len(self.deleted)}")
            lines.extend(f"  {key}" for key in self.deleted)
        lines.append("OK" if self.ok else "PROBLEMS FOUND")
        return "\n".join(lines)


def repair(
    store: StoreLike, path: str | None = None, *, remove_temp_files: bool = True, delete_bad: bool = False
) -> RepairReport:
    """Remove temp files left by killed writers, then decode every chunk of every array below ``path``.

    Run it while no writer is active: a writer's temp file in flight looks like a leftover.

    Parameters
    ----------
    store
        The store (or a path) holding the hierarchy.
    path
        Check only below this path; the whole store by default.
    remove_temp_files
        Delete the temp files found (they are reported either way).
    delete_bad
        Also delete chunks that fail to decode, so that they read as the fill value.

    Returns
    -------
    RepairReport
        The temp files, and the chunks and metadata documents that failed, by key.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> z = zarr.zeros((4,), chunks=(2,), store=zarr.MemoryStore())
    >>> z[:] = 1
    >>> z.store["0"] = b"garbage"
    >>> report = zarr.repair(z.store)
    >>> report.ok, [bad.key for bad in report.bad_chunks]
    (False, ['0'])
    """
    store_obj = normalize_store(store)
    path = normalize_prefix(path)
    if (remove_temp_files or delete_bad) and store_obj.read_only:
        raise ReadOnlyError(f"cannot repair read-only {store_obj.display_name}: use verify() to only check it")
    report = RepairReport(path="/" + path)
    report.temp_files = _temp_files(store_obj, path)
    if remove_temp_files:
        _remove_temp_files(store_obj, report.temp_files)
        report.temp_files_removed = True
    for key in _metadata_keys(store_obj, path):
        error = _check_document(store_obj, key)
        if error is not None:
            report.bad_metadata.append(BadMetadata(key, error))
        elif _is_array_document(store_obj, key):
            _check_array(store_obj, key.rpartition("/")[0], report)
    if delete_bad:
        report.deleted = sorted({bad.key for bad in report.bad_chunks})
        store_obj.delete_many(report.deleted)
    return report


def verify(store: StoreLike, path: str | None = None) -> RepairReport:
    """Check without changing anything: ``repair(store, path, remove_temp_files=False)``."""
    return repair(store, path, remove_temp_files=False)


# -- temp files -----------------------------------------------------------------------------


def _directory_store(store: Store) -> DirectoryStore | None:
    """The DirectoryStore under caches and consolidated-metadata wrappers, if there is one."""
    while not isinstance(store, DirectoryStore):
        inner = getattr(store, "store", None)
        if not isinstance(inner, Store):
            return None
        store = inner
    return store


def _temp_files(store: Store, path: str) -> list[str]:
    directory = _directory_store(store)
    if directory is None:  # only files are written via temp names; databases use transactions
        return []
    root = directory._file(path) if path else directory.path
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, directory.path)
        base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.extend(base + name for name in filenames if is_temp_name(name))
        found.extend(base + name + "/" for name in dirnames if is_temp_name(name))  # an interrupted rmdir
        dirnames[:] = [d for d in dirnames if not is_temp_name(d)]
    return sorted(found)


def _remove_temp_files(store: Store, names: list[str]) -> None:
    directory = _directory_store(store)
    for name in names:
        path = os.path.join(directory.path, *name.rstrip("/").split("/"))  # type: ignore[union-attr]
        try:
            if name.endswith("/"):
                shutil.rmtree(path)
            else:
                os.remove(path)
        except FileNotFoundError:  # its writer finished (or another repair got there first)
            pass


# -- metadata and chunks ----------------------------------------------------------------------


def _metadata_keys(store: Store, path: str) -> list[str]:
    keys = store.list_prefix(path)
    return sorted(k for k in keys if k.rpartition("/")[2] in METADATA_NAMES)


def _check_document(store: Store, key: str) -> str | None:
    """None if the document at ``key`` parses, else why not."""
    name = key.rpartition("/")[2]
    try:
        raw = store[key]
        if name == ZARR_JSON:
            parse_node(raw, key)
        elif name == GROUP_KEY:
            GroupMetadataV2.from_json(raw, key)
        elif name == ATTRS_KEY:
            if not isinstance(json.loads(raw), dict):
                return "attributes must be a JSON object"
        # .zarray is parsed when the array is opened
    except KeyError:
        return "listed but could not be read"
    except (ValueError, TypeError, UnicodeDecodeError) as e:
        return f"{type(e).__name__}: {e}"
    return None


def _is_array_document(store: Store, key: str) -> bool:
    name = key.rpartition("/")[2]
    if name == ARRAY_KEY:
        return True
    if name != ZARR_JSON:
        return False
    return isinstance(parse_node(store[key], key), ArrayMetadataV3)


def _check_array(store: Store, path: str, report: RepairReport) -> None:
    try:
        z = Array(store, path=path, read_only=True)
    except (ZarrlibError, ValueError, TypeError) as e:
        key = f"{path}/{ARRAY_KEY}" if path else ARRAY_KEY
        report.bad_metadata.append(BadMetadata(key, f"{type(e).__name__}: {e}"))
        return
    report.arrays += 1
    sharding: Any = getattr(z._codec, "sharding", None)
    for key, _coords in z._stored_chunks():
        try:
            raw = store[key]
        except KeyError:  # deleted since the listing
            continue
        report.chunks += 1
        if sharding is not None:
            for inner, message in sharding.check(raw, key):
                report.bad_chunks.append(BadChunk(key, message, inner))
            continue
        try:
            decode_chunk(z._codec, raw, key)
        except ChunkDecodeError as e:
            report.bad_chunks.append(BadChunk(key, str(e)))
