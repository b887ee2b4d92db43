"""The store interface: a small mapping of string keys to bytes, plus batch and range defaults.

Every store validates keys the same way (``validate_key``) so that no key can escape the
store's root, whatever the backend. Stores that can do better than one request per key
(remote object stores) override ``get_many``/``set_many`` and set ``prefers_batch``.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass

from ..errors import InvalidKeyError, ReadOnlyError

#: Longest key segment, in UTF-8 bytes: a file name (255 bytes on most file systems) must
#: also hold a DirectoryStore temp name around it (``.<segment>.<32 hex digits>.partial``).
MAX_SEGMENT_LENGTH = 200
#: Longest whole key, in UTF-8 bytes (a path under a store root must stay under PATH_MAX).
MAX_KEY_LENGTH = 1024
_CONTROL = re.compile("[\x00-\x1f]")


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative store key, else raise ``InvalidKeyError``.

    Refused: non-strings, empty keys, a leading '/', empty segments, '.' or '..' segments,
    backslashes, NUL and other control characters, text that is not valid Unicode (lone
    surrogates), segments over 200 and keys over 1024 UTF-8 bytes.
    """
    if not isinstance(key, str):
        raise InvalidKeyError(f"store keys must be strings, got {type(key).__name__} {key!r}")
    if not key:
        raise InvalidKeyError("store key must not be empty")
    if "\\" in key:
        raise InvalidKeyError(f"store key {key!r} contains a backslash")
    if _CONTROL.search(key):
        raise InvalidKeyError(f"store key {key!r} contains a NUL or control character")
    if key.startswith("/"):
        raise InvalidKeyError(f"store key {key!r} is absolute (starts with '/')")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidKeyError(f"store key {key!r} is not valid Unicode (it holds a lone surrogate)") from None
    if size > MAX_KEY_LENGTH:
        raise InvalidKeyError(f"store key {key[:40]!r}... is {size} bytes long, over the {MAX_KEY_LENGTH}-byte limit")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKeyError(f"store key {key!r} has an empty, '.' or '..' segment")
        if len(segment) > MAX_SEGMENT_LENGTH // 4 and len(segment.encode("utf-8")) > MAX_SEGMENT_LENGTH:
            raise InvalidKeyError(
                f"store key {key[:40]!r}... has a segment longer than {MAX_SEGMENT_LENGTH} bytes (UTF-8)"
            )
    return key


def normalize_prefix(prefix: str | None) -> str:
    """A path prefix with no leading or trailing '/', validated; '' is the root."""
    if prefix is None or prefix == "":
        return ""
    if not isinstance(prefix, str):
        raise InvalidKeyError(f"store paths must be strings, got {type(prefix).__name__} {prefix!r}")
    prefix = prefix.strip("/")
    return validate_key(prefix) if prefix else ""


@dataclass(frozen=True)
class ByteRange:
    """A part of a stored value: ``[start, stop)``; a negative ``start`` with no stop is a suffix."""

    start: int
    stop: int | None = None

    @classmethod
    def suffix(cls, length: int) -> ByteRange:
        return cls(-length, None)

    def apply(self, data: bytes) -> bytes:
        return data[self.start : self.stop]


class Store(MutableMapping[str, bytes]):
    """Abstract store. Subclasses implement the five mapping methods on validated keys."""

    read_only: bool = False
    #: True when fetching many keys in one call is much cheaper than one call per key.
    prefers_batch: bool = False

    # -- the mapping a subclass provides -------------------------------------------------
    @abstractmethod
    def _get(self, key: str) -> bytes: ...

    @abstractmethod
    def _set(self, key: str, value: bytes) -> None: ...

    @abstractmethod
    def _delete(self, key: str) -> None: ...

    @abstractmethod
    def _iter_keys(self) -> Iterator[str]: ...

    # -- MutableMapping ---------------------------------------------------------------
    def __getitem__(self, key: str) -> bytes:
        return self._get(validate_key(key))

    def __setitem__(self, key: str, value: bytes) -> None:
        self._check_writable(key)
        self._set(validate_key(key), _as_bytes(value, key))

    def __delitem__(self, key: str) -> None:
        self._check_writable(key)
        self._delete(validate_key(key))

    def __iter__(self) -> Iterator[str]:
        return self._iter_keys()

    def __len__(self) -> int:
        return sum(1 for _ in self._iter_keys())

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except (KeyError, InvalidKeyError):  # a key no store may hold is in none
            return False
        return True

    # -- chunk keys an array made itself ----------------------------------------------
    def get_chunk(self, key: str) -> bytes:
        """``self[key]`` for a key zarrlib built from chunk coordinates and an array path that
        was validated when the array was opened: the per-chunk validation is skipped."""
        return self._get(key)

    def set_chunk(self, key: str, value: bytes) -> None:
        """``self[key] = value`` for a chunk key zarrlib built (see ``get_chunk``) and encoded bytes."""
        self._check_writable(key)
        self._set(key, value if type(value) is bytes else _as_bytes(value, key))

    # -- batch, range and listing defaults ----------------------------------------------
    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Values of the keys that exist; missing keys are left out."""
        found = {}
        for key in keys:
            try:
                found[key] = self[key]
            except KeyError:
                pass
        return found

    def set_many(self, items: Mapping[str, bytes]) -> None:
        for key, value in items.items():
            self[key] = value

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                del self[key]
            except KeyError:
                pass

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        """Part of one value; stores that can seek override this to avoid reading it all."""
        return byte_range.apply(self[key])

    def list_prefix(self, prefix: str) -> list[str]:
        """Every key below ``prefix`` (a path, '' for all), at any depth."""
        prefix = normalize_prefix(prefix)
        if not prefix:
            return list(self._iter_keys())
        start = prefix + "/"
        return [k for k in self._iter_keys() if k.startswith(start)]

    def list_dir(self, prefix: str = "") -> list[str]:
        """Sorted names of the immediate children (keys or sub-paths) of ``prefix``."""
        prefix = normalize_prefix(prefix)
        start = prefix + "/" if prefix else ""
        children = {k[len(start) :].split("/", 1)[0] for k in self.list_prefix(prefix)}
        return sorted(children)

    def getsize(self, prefix: str = "") -> int:
        """Total bytes stored under ``prefix`` (a key or a path)."""
        prefix = normalize_prefix(prefix)
        total = 0
        if prefix:
            try:
                total += len(self[prefix])
            except KeyError:
                pass
        for key in self.list_prefix(prefix):
            total += len(self._get(key))
        return total

    def rmdir(self, prefix: str = "") -> None:
        """Delete every key below ``prefix``."""
        self._check_writable(prefix)
        self.delete_many(self.list_prefix(prefix))

    def close(self) -> None:
        """Release resources; the default store holds none."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_writable(self, key: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"cannot modify {key!r}: {type(self).__name__} is read-only")

    @property
    def display_name(self) -> str:
        """The name shown on the ``store:`` line of array and group reports."""
        return type(self).__name__

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


def _as_bytes(value: object, key: str) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return memoryview(value).tobytes()  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"store value for {key!r} must be bytes-like, got {type(value).__name__}") from None
