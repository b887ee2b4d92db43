"""Blosc threading controls, as in zarr's tutorial ("Configuring Blosc").

``use_threads``: ``None`` (default) lets Blosc use its own threads only when called from
the main thread, so chunks that zarrlib decodes on its worker threads use Blosc's
single-threaded contextual mode; ``True`` always uses Blosc's threads; ``False`` never.
The value is held by numcodecs, which does the switching; this module forwards to it.
"""

from __future__ import annotations

import operator
import sys
import types

import numcodecs.blosc as _nc_blosc


def list_compressors() -> list[str]:
    """The compression libraries built into Blosc."""
    return list(_nc_blosc.list_compressors())


def set_nthreads(nthreads: int) -> int:
    """Set the number of Blosc's internal threads; returns the previous number.

    Examples
    --------
    >>> from zarrlib import blosc
    >>> previous = blosc.set_nthreads(2)
    >>> blosc.set_nthreads(previous)
    2
    """
    try:
        n = operator.index(nthreads)
    except TypeError:
        n = 0
    if isinstance(nthreads, bool) or not 1 <= n <= _nc_blosc.MAX_THREADS:
        raise ValueError(f"nthreads must be an integer from 1 to {_nc_blosc.MAX_THREADS}, got {nthreads!r}")
    return _nc_blosc.set_nthreads(n)


def get_nthreads() -> int:
    """The number of Blosc's internal threads (used only when ``use_threads`` allows)."""
    return _nc_blosc.get_nthreads()


class _BloscModule(types.ModuleType):
    """Makes ``zarrlib.blosc.use_threads = ...`` reach numcodecs."""

    @property
    def use_threads(self) -> bool | None:
        return _nc_blosc.use_threads

    @use_threads.setter
    def use_threads(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):  # not `in (...)`: 1 == True
            raise ValueError(f"use_threads must be None, True or False, got {value!r}")
        _nc_blosc.use_threads = value


sys.modules[__name__].__class__ = _BloscModule


def check_frame(data: object) -> None:
    """Raise ValueError when a Blosc frame is shorter than its header says (or has no header).

    Blosc's decompressor is not told the input's length: a truncated chunk, as a torn
    write or a damaged copy leaves it, would be decoded from whatever lies past its end.
    """
    buf = memoryview(data).cast("B")  # type: ignore[arg-type]
    if len(buf) < 16:
        raise ValueError(f"a Blosc frame needs a 16-byte header, got {len(buf)} bytes")
    declared = int.from_bytes(bytes(buf[12:16]), "little")
    if len(buf) < declared:
        raise ValueError(f"truncated Blosc frame: its header declares {declared} bytes, only {len(buf)} are stored")
