"""A store on the local file system: one file per key, '/' in keys as sub-directories."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

from ..errors import InvalidKeyError
from .base import ByteRange, Store, normalize_prefix, validate_key

TEMP_SUFFIX = ".partial"


def is_temp_name(name: str) -> bool:
    """Temp files left by an interrupted write: ``.<name>.<uuid>.partial``."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


class DirectoryStore(Store):
    """Files under a root directory. Writes are atomic: a temp file is renamed into place.

    Writes and deletes never leave the root: a key leading through a symbolic link to a
    directory outside it is refused with ``InvalidKeyError`` (a key that is itself a link is
    replaced, not written through). Reads follow links.

    Parameters
    ----------
    path
        The root directory; created on first write.
    fsync
        Also flush each file and its directory to disk before the write returns.
    read_only
        Refuse every modification.
    """

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False, read_only: bool = False) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.fsync = fsync
        self.read_only = read_only

    def _file(self, key: str) -> str:
        return os.path.join(self.path, *key.split("/"))

    def _get(self, key: str) -> bytes:
        try:
            with open(self._file(key), "rb") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise KeyError(key) from None

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        key = validate_key(key)
        try:
            with open(self._file(key), "rb") as f:
                if byte_range.start < 0:
                    f.seek(max(0, os.fstat(f.fileno()).st_size + byte_range.start))
                    return f.read()
                f.seek(byte_range.start)
                if byte_range.stop is None:
                    return f.read()
                return f.read(max(0, byte_range.stop - byte_range.start))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise KeyError(key) from None

    def _set(self, key: str, value: bytes) -> None:
        target = self._file(key)
        directory, name = os.path.split(target)
        self._check_confined(key, directory)
        if os.path.isdir(target):
            raise KeyError(f"cannot write {key!r}: a directory of that name exists in {self.path}")
        os.makedirs(directory, exist_ok=True)
        temp = os.path.join(directory, f".{name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
        try:
            with open(temp, "wb") as f:
                f.write(value)
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(temp, target)
        except BaseException:
            if os.path.exists(temp):
                os.remove(temp)
            raise
        if self.fsync:
            _fsync_dir(directory)

    def _delete(self, key: str) -> None:
        self._check_confined(key, os.path.dirname(self._file(key)))
        try:
            os.remove(self._file(key))
        except (FileNotFoundError, NotADirectoryError):
            raise KeyError(key) from None
        except IsADirectoryError:
            shutil.rmtree(self._file(key))

    def _iter_keys(self) -> Iterator[str]:
        return iter(self.list_prefix(""))

    def __contains__(self, key: object) -> bool:
        try:
            return os.path.isfile(self._file(validate_key(key)))  # type: ignore[arg-type]
        except (ValueError, TypeError):
            return False

    def list_prefix(self, prefix: str) -> list[str]:
        prefix = normalize_prefix(prefix)
        root = self._file(prefix) if prefix else self.path
        keys = []
        for dirpath, _dirnames, filenames in os.walk(root):
            rel = os.path.relpath(dirpath, self.path)
            base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            keys.extend(base + name for name in filenames if not is_temp_name(name))
        return keys

    def list_dir(self, prefix: str = "") -> list[str]:
        prefix = normalize_prefix(prefix)
        try:
            names = os.listdir(self._file(prefix) if prefix else self.path)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(n for n in names if not is_temp_name(n))

    def getsize(self, prefix: str = "") -> int:
        prefix = normalize_prefix(prefix)
        target = self._file(prefix) if prefix else self.path
        if os.path.isfile(target):
            return os.path.getsize(target)
        total = 0
        for dirpath, _, filenames in os.walk(target):
            total += sum(os.path.getsize(os.path.join(dirpath, n)) for n in filenames if not is_temp_name(n))
        return total

    def rmdir(self, prefix: str = "") -> None:
        self._check_writable(prefix)
        prefix = normalize_prefix(prefix)
        target = self._file(prefix) if prefix else self.path
        if prefix and os.path.islink(target):  # the link is the store's; what it points to is not
            self._check_confined(prefix, os.path.dirname(target))
            os.remove(target)
            return
        if prefix:
            self._check_confined(prefix, target)
        if os.path.isdir(target):
            shutil.rmtree(target)

    def _check_confined(self, key: str, directory: str) -> None:
        """Refuse to create, replace or delete files outside the root through a symbolic link
        in it (reads follow links: linking arrays in from other disks is common)."""
        root = os.path.realpath(self.path)
        real = os.path.realpath(directory)
        if real != root and not real.startswith(root + os.sep):
            raise InvalidKeyError(
                f"DirectoryStore {self.path!r}: key {key!r} leads through a symbolic link to {real!r}, "
                "outside the store's root; writes and deletes stay inside the root"
            )

    def __repr__(self) -> str:
        return f"DirectoryStore({self.path!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DirectoryStore) and other.path == self.path

    __hash__ = object.__hash__


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class NestedDirectoryStore(DirectoryStore):
    """A DirectoryStore whose new arrays default to '/'-separated (nested) chunk keys."""

    default_dimension_separator = "/"
