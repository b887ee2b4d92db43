"""Synchronizers: per-chunk locks so that writers whose regions share a chunk do not lose
each other's updates. Give one to any creation or open function (``synchronizer=``)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from typing import Protocol


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
