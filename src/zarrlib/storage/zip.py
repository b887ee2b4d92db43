"""A store inside one zip file: every key is a member of the archive.

Zip members cannot be replaced or removed in place, so a ZipStore is write-once: writing
a key that is already in the archive, or deleting one, raises ``ReadOnlyError`` instead of
silently appending a duplicate member (which readers would resolve differently). Write each
chunk once, with writes aligned to chunk boundaries, set each node's attributes in one
``attrs.update({...})``, then ``close()`` the store so that the zip's central directory is
written. Group deletes and moves are refused before anything changes.

Crash safety: a zip is only readable once ``close()`` has written its central directory, so
a writer killed before that leaves a file no zip reader can open (in mode ``a`` that includes
the members written before: new members overwrite the old central directory). Opening such a file (in any
mode) raises ``CorruptStoreError`` rather than appending a second archive after it. Write to
a DirectoryStore or SQLiteStore when a writer may be interrupted, and zip the finished result.
"""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Iterator
from typing import Any

from ..errors import CorruptStoreError, ReadOnlyError
from .base import ByteRange, Store, normalize_prefix, validate_key

MODES = ("r", "w", "a", "x")


class ZipStore(Store):
    """Keys and values as the members of a zip file.

    Parameters
    ----------
    path
        The zip file.
    mode
        ``r`` read only; ``w`` create a new archive (truncating an existing one);
        ``a`` add to an existing archive or create one; ``x`` create, failing if it exists.
    compression
        A ``zipfile`` compression constant; the default stores members uncompressed,
        since chunks are compressed already.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> with zarr.ZipStore("data.zip", mode="w") as store:
    ...     z = zarr.zeros((4, 4), chunks=(2, 2), store=store)
    ...     z[:] = 1
    >>> with zarr.ZipStore("data.zip", mode="r") as store:
    ...     int(zarr.Array(store)[:].sum())
    16
    """

    #: Members cannot be replaced or removed; hierarchy operations that delete check this first.
    supports_deletes = False

    def __init__(
        self,
        path: str | os.PathLike,
        mode: str = "a",
        compression: int = zipfile.ZIP_STORED,
        allowZip64: bool = True,  # zipfile's spelling
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"ZipStore mode must be one of {', '.join(MODES)}; got {mode!r}")
        self.path = os.path.abspath(os.fspath(path))
        self.mode = mode
        self.compression = compression
        self.read_only = mode == "r"
        self._mutex = threading.RLock()
        if (
            mode == "a"
            and os.path.isfile(self.path)
            and os.path.getsize(self.path)
            and not zipfile.is_zipfile(self.path)
        ):
            # zipfile would append a new archive after the damaged one, hiding every member in it
            raise _corrupt(self.path, None)
        try:
            self._zf: zipfile.ZipFile | None = zipfile.ZipFile(
                self.path, mode=mode, compression=compression, allowZip64=allowZip64
            )
        except zipfile.BadZipFile as e:
            raise _corrupt(self.path, e) from e
        self._names: set[str] = set(self._zf.namelist())

    # -- the open archive -----------------------------------------------------------------
    def _archive(self) -> zipfile.ZipFile:
        if self._zf is None:
            raise ValueError(f"ZipStore {self.path!r} is closed")
        return self._zf

    @property
    def closed(self) -> bool:
        return self._zf is None

    def close(self) -> None:
        """Write the zip's central directory and close the file; further use raises ValueError."""
        with self._mutex:
            if self._zf is not None:
                self._zf.close()
                self._zf = None

    # -- the store interface --------------------------------------------------------------
    def _get(self, key: str) -> bytes:
        with self._mutex:
            zf = self._archive()
            if key not in self._names:
                raise KeyError(key)
            return zf.read(key)

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        key = validate_key(key)
        with self._mutex:
            zf = self._archive()
            if key not in self._names:
                raise KeyError(key)
            size = zf.getinfo(key).file_size
            start = max(0, size + byte_range.start) if byte_range.start < 0 else byte_range.start
            stop = size if byte_range.stop is None or byte_range.start < 0 else min(byte_range.stop, size)
            with zf.open(key) as f:
                f.seek(start)
                return f.read(max(0, stop - start))

    def _set(self, key: str, value: bytes) -> None:
        with self._mutex:
            zf = self._archive()
            if key in self._names:
                raise ReadOnlyError(
                    f"ZipStore {self.path!r}: key {key!r} was already written and zip members cannot be "
                    "replaced; write each key once (whole chunks, aligned to chunk boundaries) or use another store"
                )
            info = zipfile.ZipInfo(key, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = self.compression
            info.external_attr = 0o644 << 16  # a regular file, rw-r--r--, when extracted
            zf.writestr(info, value)
            self._names.add(key)

    def _delete(self, key: str) -> None:
        with self._mutex:
            self._archive()
            if key not in self._names:
                raise KeyError(key)
        raise ReadOnlyError(f"ZipStore {self.path!r}: cannot delete {key!r}; zip members cannot be removed")

    def _iter_keys(self) -> Iterator[str]:
        with self._mutex:
            self._archive()
            return iter(sorted(self._names))

    def __contains__(self, key: object) -> bool:
        with self._mutex:
            self._archive()
            return isinstance(key, str) and key in self._names

    def __len__(self) -> int:
        with self._mutex:
            self._archive()
            return len(self._names)

    def getsize(self, prefix: str = "") -> int:
        """Uncompressed bytes of the members at or under ``prefix``."""
        prefix = normalize_prefix(prefix)
        start = prefix + "/" if prefix else ""
        with self._mutex:
            zf = self._archive()
            return sum(
                zf.getinfo(name).file_size
                for name in self._names
                if not prefix or name == prefix or name.startswith(start)
            )

    def rmdir(self, prefix: str = "") -> None:
        self._check_writable(prefix)
        if self.list_prefix(prefix):
            raise ReadOnlyError(
                f"ZipStore {self.path!r}: cannot delete {prefix or '/'!r}; zip members cannot be removed"
            )

    def _check_writable(self, key: str) -> None:
        self._archive()
        if self.read_only:
            raise ReadOnlyError(f"cannot modify {key!r}: ZipStore {self.path!r} is open read-only (mode='r')")

    def __repr__(self) -> str:
        state = "closed" if self._zf is None else f"mode={self.mode!r}"
        return f"ZipStore({self.path!r}, {state})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ZipStore) and other.path == self.path

    __hash__ = object.__hash__

    def __getstate__(self) -> dict[str, Any]:
        if self.mode != "r":
            raise TypeError(f"ZipStore {self.path!r} can only be pickled when open read-only (mode='r')")
        return {"path": self.path, "compression": self.compression}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], mode="r", compression=state["compression"])  # type: ignore[misc]


def _corrupt(path: str, error: Exception | None) -> CorruptStoreError:
    detail = f" ({error})" if error is not None else ""
    return CorruptStoreError(
        f"ZipStore {path!r} is not a complete zip archive{detail}: its central directory is missing or "
        "damaged, as when a writer is killed before ZipStore.close(); the members cannot be read reliably"
    )
