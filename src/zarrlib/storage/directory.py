"""A store on the local file system: one file per key, '/' in keys as sub-directories."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

from ..errors import InvalidKeyError
from .base import ByteRange, Store, normalize_prefix, validate_key

TEMP_SUFFIX = ".partial"
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def is_temp_name(name: str) -> bool:
    """Temp files left by an interrupted write: ``.<name>.<uuid>.partial``."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


class DirectoryStore(Store):
    """Files under a root directory. Writes are atomic: a temp file is renamed into place.

    A value is written to ``.<name>.<uuid>.partial`` in the key's directory, then renamed
    over the key's file, so a reader (or a writer killed part-way) sees the old value or the
    new one, never part of one. Temp files left by a killed writer are ignored by reads and
    listings and removed by ``zarrlib.repair``.

    Writes and deletes never leave the root: a key leading through a symbolic link to a
    directory outside it is refused with ``InvalidKeyError`` (a key that is itself a link is
    replaced, not written through). Reads follow links.

    Parameters
    ----------
    path
        The root directory; created on first write.
    fsync
        Also make each write durable against power loss before it returns: the temp file
        is fsynced before the rename, then its directory (and any directory the write
        created, through its parent) after it; deletes fsync their directory.
    read_only
        Refuse every modification.
    """

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False, read_only: bool = False) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.fsync = fsync
        self.read_only = read_only

    def _file(self, key: str) -> str:
        if os.sep == "/":  # (a valid key is already a relative path: no join per segment)
            return f"{self.path}/{key}"
        return os.path.join(self.path, *key.split("/"))

    def _get(self, key: str) -> bytes:
        try:
            with open(self._file(key), "rb", buffering=0) as f:  # (one read of the whole file)
                return f.readall()
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
        if self.fsync:  # a new directory's entry is durable once its parent is synced
            created = _missing_directories(directory)
            os.makedirs(directory, exist_ok=True)
            for new in created:
                _fsync_dir(os.path.dirname(new))
        temp = f"{directory}{os.sep}.{name}.{os.urandom(16).hex()}{TEMP_SUFFIX}"  # (uuid4's randomness, no UUID object)
        # os-level calls, not a Python file object: this runs once per chunk written
        try:
            fd = os.open(temp, _WRITE_FLAGS, 0o666)
        except FileNotFoundError:  # the first key below a new directory (not stat-ed per write)
            os.makedirs(directory, exist_ok=True)
            fd = os.open(temp, _WRITE_FLAGS, 0o666)
        try:
            try:
                view = memoryview(value)
                written = os.write(fd, view)
                while written < len(view):  # (a short write: large values, signals)
                    written += os.write(fd, view[written:])
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, target)
        except BaseException as e:
            if os.path.exists(temp):
                os.remove(temp)
            if isinstance(e, IsADirectoryError):
                raise KeyError(f"cannot write {key!r}: a directory of that name exists in {self.path}") from None
            raise
        if self.fsync:
            _fsync_dir(directory)

    def _delete(self, key: str) -> None:
        path = self._file(key)
        self._check_confined(key, os.path.dirname(path))
        try:
            os.remove(path)
        except (FileNotFoundError, NotADirectoryError):
            raise KeyError(key) from None
        except IsADirectoryError:
            _remove_tree(path)
        if self.fsync:
            _fsync_dir(os.path.dirname(path))

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
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not is_temp_name(d)]  # a removal in progress
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
        for dirpath, dirnames, filenames in os.walk(target):
            dirnames[:] = [d for d in dirnames if not is_temp_name(d)]
            total += sum(os.path.getsize(os.path.join(dirpath, n)) for n in filenames if not is_temp_name(n))
        return total

    def rmdir(self, prefix: str = "") -> None:
        """Delete everything below ``prefix``. The directory is first renamed to a temp name,
        so it vanishes at once: a writer killed while deleting leaves only a temp directory
        (ignored by listings, removed by ``zarrlib.repair``), not a half-deleted node."""
        self._check_writable(prefix)
        prefix = normalize_prefix(prefix)
        if prefix:
            target = self._file(prefix)
            if os.path.islink(target):  # the link is the store's; what it points to is not
                self._check_confined(prefix, os.path.dirname(target))
                os.remove(target)
                return
            self._check_confined(prefix, target)
            _remove_tree(target)
        elif os.path.isdir(self.path):  # the root stays; each entry in it vanishes at once
            for name in os.listdir(self.path):
                _remove_tree(os.path.join(self.path, name))
        parent = os.path.dirname(self._file(prefix)) if prefix else self.path
        if self.fsync and os.path.isdir(parent):
            _fsync_dir(parent)

    def _check_confined(self, key: str, directory: str) -> None:
        """Refuse to create, replace or delete files outside the root through a symbolic link
        in it (reads follow links: linking arrays in from other disks is common)."""
        if directory == self.path:  # the root itself (flat keys): nothing to resolve
            return
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


def _remove_tree(path: str) -> None:
    """Delete a file or a directory tree; a directory is renamed to a temp name first."""
    if os.path.isdir(path) and not os.path.islink(path):
        directory, name = os.path.split(path)
        doomed = os.path.join(directory, name if is_temp_name(name) else f".{name}.{os.urandom(16).hex()}{TEMP_SUFFIX}")
        os.replace(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _missing_directories(directory: str) -> list[str]:
    """The directories ``os.makedirs(directory)`` will create, outermost first."""
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return missing[::-1]


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class NestedDirectoryStore(DirectoryStore):
    """A DirectoryStore whose new arrays default to '/'-separated (nested) chunk keys."""

    default_dimension_separator = "/"
