"""Blosc threading controls, as in zarr's tutorial ("Configuring Blosc").

``use_threads``: ``None`` (default) lets Blosc use its own threads only when called from
the main thread, so chunks that zarrlib decodes on its worker threads use Blosc's
single-threaded contextual mode; ``True`` always uses Blosc's threads; ``False`` never.
The value is held by numcodecs, which does the switching; this module forwards to it.
"""

from __future__ import annotations

import sys
import types

import numcodecs.blosc as _nc_blosc


def list_compressors() -> list[str]:
    """The compression libraries built into Blosc."""
    return list(_nc_blosc.list_compressors())


def set_nthreads(nthreads: int) -> int:
    """Set the number of Blosc's internal threads; returns the previous number."""
    if not isinstance(nthreads, int) or nthreads < 1:
        raise ValueError(f"nthreads must be a positive integer, got {nthreads!r}")
    return _nc_blosc.set_nthreads(nthreads)


def get_nthreads() -> int:
    return _nc_blosc.get_nthreads()


class _BloscModule(types.ModuleType):
    """Makes ``zarrlib.blosc.use_threads = ...`` reach numcodecs."""

    @property
    def use_threads(self) -> bool | None:
        return _nc_blosc.use_threads

    @use_threads.setter
    def use_threads(self, value: bool | None) -> None:
        if value not in (None, True, False):
            raise ValueError(f"use_threads must be None, True or False, got {value!r}")
        _nc_blosc.use_threads = value


sys.modules[__name__].__class__ = _BloscModule
