"""Exceptions raised by zarrlib.

Each one subclasses the builtin exception users already catch, so ``except KeyError``
around a lookup or ``except IndexError`` around a selection keeps working.
"""

from __future__ import annotations

from typing import Any


class ZarrlibError(Exception):
    """Base class of every zarrlib-specific error."""


#: Longest error message; a hostile document's huge value is shown by its head and tail.
MAX_MESSAGE = 1000


class MetadataError(ZarrlibError, ValueError):
    """Stored metadata is unparseable, inconsistent or names something unsupported."""

    def __init__(self, message: str = "", *args: object) -> None:
        if len(message) > MAX_MESSAGE:
            cut = len(message) - MAX_MESSAGE
            message = f"{message[: MAX_MESSAGE - 200]} [... {cut:,} characters ...] {message[-200:]}"
        super().__init__(message, *args)


class ArrayNotFoundError(ZarrlibError, KeyError):
    """No array exists at the requested path."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class GroupNotFoundError(ZarrlibError, KeyError):
    """No group exists at the requested path."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PathNotFoundError(ZarrlibError, KeyError):
    """Nothing (neither array nor group) exists at the requested path."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ContainsArrayError(ZarrlibError, ValueError):
    """An array already exists where something new was to be created."""


class ContainsGroupError(ZarrlibError, ValueError):
    """A group already exists where something new was to be created."""


class ReadOnlyError(ZarrlibError, PermissionError):
    """A write was attempted on a read-only array, group or store."""


class BoundsCheckError(ZarrlibError, IndexError):
    """A selection reaches outside the array's shape."""


class InvalidKeyError(ZarrlibError, ValueError):
    """A store key or node name is malformed or would escape the store's root."""


class ChunkDecodeError(ZarrlibError, ValueError):
    """A stored chunk could not be decoded into the array's chunk shape and dtype."""


class CodecError(ZarrlibError, ValueError):
    """A codec configuration is unknown or invalid."""


class CopyError(ZarrlibError, ValueError):
    """A copy found something in its way in the destination (``if_exists='raise'``)."""


class ChunkAlignmentError(ZarrlibError, ValueError):
    """Parallel writers' regions split a chunk (or shard) and no synchronizer guards it."""


class StoreError(ZarrlibError, OSError):
    """A store request failed (after its retries, for network errors); ``key`` names the key."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.key))


class CorruptStoreError(ZarrlibError, ValueError):
    """A store's container is damaged as a whole (a zip file without its central directory)."""


class ConcurrentWriteError(ZarrlibError, RuntimeError):
    """Two threads wrote one chunk at once without a synchronizer, and one update would be lost."""
