"""Synchronizers: per-chunk locks so that writers whose regions share a chunk do not lose
each other's updates. Give one to any creation or open function (``synchronizer=``).
Without one, ``IN_FLIGHT`` detects the lost updates this process can see (``io`` uses it)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, Protocol

from .errors import ConcurrentWriteError
from .storage.base import Store


class Synchronizer(Protocol):
    def __getitem__(self, key: str) -> contextlib.AbstractContextManager: ...


class ThreadSynchronizer:
    """One lock per store key, shared by all threads of this process.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> z = zarr.zeros((60,), chunks=(20,), synchronizer=zarr.ThreadSynchronizer())
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._locks: defaultdict[str, threading.RLock] = defaultdict(threading.RLock)

    def __getitem__(self, key: str) -> threading.RLock:
        with self._mutex:
            return self._locks[key]

    def __repr__(self) -> str:
        return "ThreadSynchronizer()"

    def __getstate__(self) -> dict:
        # locks cannot cross a pickle; an unpickled copy starts with fresh ones
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()


class ProcessSynchronizer:
    """One lock file per store key in a directory every process can reach.

    Locks are ``flock`` advisory locks, so they work between processes (and threads) on one
    machine and on shared file systems that support them.

    Parameters
    ----------
    path
        The directory holding the lock files; created if missing.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.path.abspath(os.fspath(path))
        os.makedirs(self.path, exist_ok=True)

    def __getitem__(self, key: str) -> contextlib.AbstractContextManager:
        return self._locked(os.path.join(self.path, lock_file_name(key)))

    @contextlib.contextmanager
    def _locked(self, lock_path: str) -> Iterator[None]:
        import fcntl

        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __repr__(self) -> str:
        return f"ProcessSynchronizer({self.path!r})"


#: Longest lock file name kept readable; longer keys are hashed (file systems cap names at 255).
_MAX_LOCK_NAME = 200


def lock_file_name(key: str) -> str:
    """The lock file of a store key: the key with '/' and other unsafe characters quoted,
    or a SHA-1 of the key when the quoted form would be too long for a file name."""
    name = urllib.parse.quote(key, safe="")
    if len(name) > _MAX_LOCK_NAME:
        name = hashlib.sha1(key.encode()).hexdigest()
    return name + ".lock"


# -- without a synchronizer: detect what this process can see -----------------------------
class InFlightWrites:
    """The chunk keys this process is writing without a synchronizer, per store.

    A partial write reads the stored chunk, merges and writes it back; another write of the
    same key landing in between is lost. Without a lock zarrlib cannot prevent that, but it
    can see it when both writers are threads of this process: a partial write of a key that
    is in flight, or any write of a key whose partial write is in flight, is refused with
    ``ConcurrentWriteError`` instead of silently dropping one update. Whole-chunk writes of
    the same key by two threads need no merge (the last one wins) and are allowed.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._writers: dict[tuple[Any, str], list[int]] = {}  # -> [partial writers, whole writers]

    def claim(self, store_id: Any, key: str, partial: bool, array_name: str = "") -> _Claim:
        """A context manager around one write of ``key`` in the store ``store_identity`` names."""
        return _Claim(self, store_id, key, partial, array_name)


class _Claim:
    """``with`` one write of one key; a plain class (not a generator): it runs for every chunk."""

    __slots__ = ("array_name", "entry", "key", "partial", "registry")

    def __init__(self, registry: InFlightWrites, store_id: Any, key: str, partial: bool, array_name: str) -> None:
        self.registry, self.key, self.partial, self.array_name = registry, key, partial, array_name
        self.entry = (store_id, key)

    def __enter__(self) -> None:
        registry = self.registry
        with registry._mutex:
            counts = registry._writers.get(self.entry)
            if counts is None:
                registry._writers[self.entry] = [1, 0] if self.partial else [0, 1]
                return
            if counts[0] or (self.partial and counts[1]):
                raise self._conflict()
            counts[0 if self.partial else 1] += 1

    def __exit__(self, *exc: object) -> None:
        registry = self.registry
        with registry._mutex:
            counts = registry._writers[self.entry]
            counts[0 if self.partial else 1] -= 1
            if counts == [0, 0]:
                del registry._writers[self.entry]

    def _conflict(self) -> ConcurrentWriteError:
        when = "needs to read it before the other lands" if self.partial else "lands inside its read-modify-write"
        return ConcurrentWriteError(
            f"array {self.array_name or '/'!r}: chunk {self.key!r} is being written by another thread of this "
            f"process without a synchronizer, and one of the two updates would be lost (this write {when}); pass "
            "synchronizer=zarrlib.ThreadSynchronizer() (or ProcessSynchronizer) to writers that share "
            "chunks, or align their writes to chunk boundaries. Chunks written before this one are kept"
        )


def store_identity(store: Any) -> Any:
    """Stores that hold the same data compare equal here: one directory, one dict."""
    inner = getattr(store, "store", None)  # LRU caches (and other wrappers) write through to .store
    if isinstance(inner, Store):
        return store_identity(inner)
    path = getattr(store, "path", None)
    if isinstance(path, str) and path != ":memory:":
        return ("path", path)
    mapping = getattr(store, "_map", None)
    return ("object", id(mapping if mapping is not None else store))


#: The process's registry of unsynchronized writes in flight.
IN_FLIGHT = InFlightWrites()
