"""Dask arrays from and into zarrlib arrays (the ``dask`` extra).

Reading: ``to_dask`` wraps an array with ``dask.array.from_array``; each task reads one
region with ``Array.__getitem__``. The Array travels to worker processes as its store, path
and options (``Array.__getstate__``) and reopens there, so no chunk data is pickled for a
directory (or remote) store.

Writing: ``write_dask`` runs ``dask.array.store`` with one task per dask chunk. Two tasks
whose regions share a stored chunk (a shard, when sharded) would each read, modify and
write it back, and one update would be lost; so a write whose dask chunks do not align
with the stored chunks needs a synchronizer (``ProcessSynchronizer`` for worker processes)
and is refused without one.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import Array
from ..creation import create
from ..errors import ChunkAlignmentError, ReadOnlyError
from ..storage import StoreLike
from ..sync import ThreadSynchronizer

if TYPE_CHECKING:
    import dask.array


def to_dask(
    array: Array, chunks: Any = None, *, name: str | None = None, inline_array: bool = False
) -> dask.array.Array:
    """A lazy dask array reading ``array``, one task per dask chunk.

    Parameters
    ----------
    array
        The zarrlib array to read.
    chunks
        The dask chunks; anything ``dask.array.from_array`` takes (``"auto"``, a shape,
        per-axis sizes). Default: the array's stored chunks, i.e. its shards when sharded
        (one key read per task), else its chunks.
    name
        The dask key prefix; default ``"zarrlib-<token>"`` from the store's location, the
        array's path and metadata, and ``chunks``.
    inline_array
        Put the Array object into every task rather than once into the graph.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> z = zarr.array(range(10), chunks=(4,))
    >>> x = zarr.to_dask(z)
    >>> x.chunks
    ((4, 4, 2),)
    >>> int(x.sum().compute())
    45
    """
    import dask.array as da
    from dask.base import tokenize

    if not isinstance(array, Array):
        raise TypeError(f"to_dask() reads a zarrlib Array, got {type(array).__name__}")
    if chunks is None:
        chunks = array.shards or array.chunks
    if name is None:
        name = "zarrlib-" + tokenize(_store_token(array.store), array.path, array.metadata.to_json(), chunks)
    return da.from_array(array, chunks=chunks, name=name, lock=False, asarray=True, inline_array=inline_array)


def write_dask(
    source: dask.array.Array,
    array: Array,
    *,
    region: Sequence[slice] | None = None,
    synchronizer: Any = None,
    compute: bool = True,
) -> Any:
    """Write a dask array into ``array`` (or into ``region`` of it), one task per dask chunk.

    Tasks write concurrently and without locks when every boundary between dask chunks is a
    boundary of the stored chunks (shards, when sharded). Otherwise two tasks would share a
    stored chunk, so a synchronizer is required: ``synchronizer=`` here, or the one the
    array was opened with (``ProcessSynchronizer`` for worker processes; a
    ``ThreadSynchronizer`` only guards the threads of one process).

    Parameters
    ----------
    source
        The dask array to write; its shape must be the region's.
    array
        The zarrlib array written to.
    region
        Slices (step 1) of ``array`` to write; default the whole array.
    synchronizer
        Locks for unaligned writes; overrides the array's own.
    compute
        Write now (returns None); False returns a ``dask.delayed`` that writes when computed.

    Raises
    ------
    ChunkAlignmentError
        The dask chunks split stored chunks and there is no synchronizer.
    ReadOnlyError
        The array was opened read-only (checked before any task runs).

    Examples
    --------
    >>> import dask.array as da
    >>> import zarrlib as zarr
    >>> z = zarr.zeros((8,), chunks=(4,), dtype="i8")
    >>> zarr.write_dask(da.arange(8, chunks=4), z)
    >>> z[:].tolist()
    [0, 1, 2, 3, 4, 5, 6, 7]
    >>> zarr.write_dask(da.arange(8, chunks=3), z, synchronizer=zarr.ThreadSynchronizer())
    """
    import dask.array as da

    if not isinstance(array, Array):
        raise TypeError(f"write_dask() writes into a zarrlib Array, got {type(array).__name__}")
    if array.read_only:
        raise ReadOnlyError(f"array {array.name!r} is read-only")
    if not isinstance(source, da.Array):
        source = da.asarray(source)
    slices = _normalize_region(region, array)
    region_shape = tuple(s.stop - s.start for s in slices)
    if tuple(source.shape) != region_shape:
        raise ValueError(
            f"array {array.name!r}: cannot write a dask array of shape {tuple(source.shape)} "
            f"into a region of shape {region_shape}"
        )
    grid = array.shards or array.chunks
    unaligned = _unaligned_boundaries(source.chunks, grid, [s.start for s in slices])
    target = array
    if unaligned:
        lock_source = synchronizer if synchronizer is not None else array.synchronizer
        if lock_source is None:
            axis, boundary = unaligned
            raise ChunkAlignmentError(
                f"array {array.name!r}: dask chunks {source.chunks} split stored chunks of shape {grid} "
                f"(a task boundary at index {boundary} of axis {axis}), so parallel tasks would overwrite "
                f"each other's updates; pass synchronizer=zarrlib.ProcessSynchronizer(path) "
                f"(or ThreadSynchronizer() for threads of one process), or rechunk with "
                f"source.rechunk({grid})"
            )
        _warn_if_thread_locks_cross_processes(lock_source)
        if lock_source is not array.synchronizer:
            target = _with_synchronizer(array, lock_source)
    return da.store(source, target, lock=False, regions=tuple(slices), compute=compute)


def from_dask(
    source: dask.array.Array,
    store: StoreLike = None,
    *,
    path: str | None = None,
    chunks: Any = None,
    synchronizer: Any = None,
    overwrite: bool = False,
    compute: bool = True,
    **kwargs: Any,
) -> Any:
    """Create an array shaped and typed like ``source`` and write it, one task per dask chunk.

    Parameters
    ----------
    source
        The dask array to store.
    store
        Where to create the array: a path (directory store), a Store, or None for memory.
    path
        The array's path inside ``store``.
    chunks
        The zarrlib chunks (inner chunks when ``shards=`` is given). Default: the dask chunk
        size when no ``shards`` are given, so every task writes whole chunks.
    synchronizer
        Stored with the array and used for the write; required when the dask chunks split
        stored chunks (see ``write_dask``).
    overwrite
        Replace an array or group already at ``path``.
    compute
        Write now and return the Array; False returns a ``dask.delayed`` that writes when
        computed (the array's metadata is created at once).
    **kwargs
        Passed to ``zarrlib.create``: ``compressor``, ``fill_value``, ``zarr_format=3``,
        ``shards``, ``dimension_names``, ...

    Examples
    --------
    >>> import dask.array as da
    >>> import zarrlib as zarr
    >>> z = zarr.from_dask(da.ones((6, 4), chunks=(3, 2)), zarr_format=3)
    >>> z.chunks, float(z[:].sum())
    ((3, 2), 24.0)
    """
    import dask.array as da

    if not isinstance(source, da.Array):
        raise TypeError(f"from_dask() stores a dask array, got {type(source).__name__}")
    if chunks is None and kwargs.get("shards") is None:
        chunks = tuple(max(max(c, default=0), 1) for c in source.chunks)
    elif chunks is None:
        chunks = True
    kwargs.setdefault("dtype", source.dtype)
    array = create(
        source.shape, chunks=chunks, store=store, path=path, synchronizer=synchronizer, overwrite=overwrite, **kwargs
    )
    stored = write_dask(source, array, compute=compute)
    return array if compute else stored


def _store_token(store: Any) -> Any:
    """What names a store in a dask key: its location when it has one (the same directory
    gives the same keys in every process), else the object itself (an in-memory store is
    not pickled whole just to name it)."""
    location = getattr(store, "path", None) or getattr(store, "url", None)
    return (type(store).__name__, str(location)) if location else (type(store).__name__, id(store))


def _normalize_region(region: Sequence[slice] | None, array: Array) -> tuple[slice, ...]:
    if region is None:
        return tuple(slice(0, s) for s in array.shape)
    if isinstance(region, slice):
        region = (region,)
    region = tuple(region)
    if len(region) > array.ndim or not all(isinstance(s, slice) for s in region):
        raise ValueError(f"array {array.name!r}: region must be up to {array.ndim} slices, got {region!r}")
    region = region + (slice(None),) * (array.ndim - len(region))
    out = []
    for axis, (s, n) in enumerate(zip(region, array.shape, strict=True)):
        start, stop, step = s.indices(n)
        if step != 1:
            raise ValueError(f"array {array.name!r}: region slices need step 1, got {s!r} on axis {axis}")
        out.append(slice(start, max(start, stop)))
    return tuple(out)


def _unaligned_boundaries(
    dask_chunks: tuple[tuple[int, ...], ...], grid: Sequence[int], offsets: Sequence[int]
) -> tuple[int, int] | None:
    """The first (axis, array index) where two dask chunks meet inside a stored chunk, or None.

    Only boundaries *between* tasks matter: a region edge inside a stored chunk is a partial
    write by a single task, which merges with what is stored.
    """
    for axis, (sizes, step, offset) in enumerate(zip(dask_chunks, grid, offsets, strict=True)):
        boundaries = offset + np.cumsum(sizes[:-1], dtype=np.int64)
        bad = boundaries[boundaries % step != 0]
        if bad.size:
            return axis, int(bad[0])
    return None


def _with_synchronizer(array: Array, synchronizer: Any) -> Array:
    """The same array reopened with ``synchronizer`` (cheap: one metadata read)."""
    state = array.__getstate__()
    state["synchronizer"] = synchronizer
    return Array(**state)


def _warn_if_thread_locks_cross_processes(synchronizer: Any) -> None:
    """A ThreadSynchronizer's locks do not cross processes: say so when dask would use them."""
    if not isinstance(synchronizer, ThreadSynchronizer):
        return
    import dask.local
    import dask.threaded
    from dask.base import get_scheduler

    scheduler = get_scheduler()
    if scheduler not in (None, dask.threaded.get, dask.local.get_sync):
        warnings.warn(
            f"a ThreadSynchronizer only locks within one process, and dask's scheduler ({scheduler!r}) "
            "may run tasks in other processes; use zarrlib.ProcessSynchronizer(path) there",
            UserWarning,
            stacklevel=3,
        )
