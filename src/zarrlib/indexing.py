"""Selections become chunk projections.

Every kind of selection (basic, orthogonal, coordinate, mask, block) is turned into a
sequence of ``ChunkProjection``: which chunk, which part of that chunk, and where that part
goes in the output (or comes from in the value being written). Reads and writes consume
the same projections, so indexing is right or wrong in one place.

Per-dimension indexers do the arithmetic for one axis; the array indexers take their
product. Points (coordinate and mask selections) are grouped by chunk with NumPy sorts,
never with a Python loop over points.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import BoundsCheckError


@dataclass(frozen=True, slots=True)
class ChunkProjection:
    """One chunk's part in a selection.

    ``chunk_selection`` indexes the decoded chunk; ``out_selection`` indexes the output
    (or the value being written); ``is_complete`` says the selection covers every in-bounds
    element of the chunk, so a write needs no read of the old chunk.
    """

    chunk_coords: tuple[int, ...]
    chunk_selection: Any
    out_selection: Any
    is_complete: bool


@dataclass(frozen=True, slots=True)
class DimProjection:
    dim_chunk_index: int
    dim_chunk_selection: Any
    dim_out_selection: Any
    is_complete: bool


def _ceildiv(a: int, b: int) -> int:
    return -(-a // b)


def _is_integer(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _normalize_integer(index: int, dim_len: int, axis: int) -> int:
    index = int(index)
    if index < 0:
        index += dim_len
    if not 0 <= index < dim_len:
        raise BoundsCheckError(
            f"index {index if index >= 0 else index - dim_len} is out of bounds for axis {axis} with size {dim_len}"
        )
    return index


def _runs(sorted_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values of a sorted array with the [start, stop) of each one's run, in O(n)."""
    bounds = np.flatnonzero(sorted_ids[1:] != sorted_ids[:-1]) + 1
    starts = np.concatenate(([0], bounds)) if sorted_ids.size else bounds
    stops = np.concatenate((bounds, [sorted_ids.size])) if sorted_ids.size else bounds
    return sorted_ids[starts], starts, stops


# -- per-dimension indexers --------------------------------------------------------------


class IntDimIndexer:
    """A single integer: one element of one chunk; the axis is dropped from the output."""

    drops_axis = True

    def __init__(self, index: int, dim_len: int, chunk_len: int, axis: int) -> None:
        self.index = _normalize_integer(index, dim_len, axis)
        self.dim_len, self.chunk_len = dim_len, chunk_len
        self.nitems = 1

    def __iter__(self) -> Iterator[DimProjection]:
        chunk = self.index // self.chunk_len
        in_chunk = min(self.chunk_len, self.dim_len - chunk * self.chunk_len)
        yield DimProjection(chunk, self.index - chunk * self.chunk_len, None, in_chunk == 1)


class SliceDimIndexer:
    """A slice with a positive step."""

    drops_axis = False

    def __init__(self, sel: slice, dim_len: int, chunk_len: int) -> None:
        self.start, self.stop, self.step = sel.indices(dim_len)
        self.dim_len, self.chunk_len = dim_len, chunk_len
        self.nitems = max(0, _ceildiv(self.stop - self.start, self.step))

    def __iter__(self) -> Iterator[DimProjection]:
        if self.nitems == 0:
            return
        start, stop, step, chunk_len = self.start, self.stop, self.step, self.chunk_len
        for chunk in range(start // chunk_len, _ceildiv(stop, chunk_len)):
            offset = chunk * chunk_len
            limit = min(self.dim_len, offset + chunk_len)
            if start < offset:
                first = (start - offset) % step  # first selected element at or after offset
                out_offset = _ceildiv(offset - start, step)
            else:
                first = start - offset
                out_offset = 0
            last = min(stop, limit) - offset
            n = _ceildiv(last - first, step)
            if n <= 0:
                continue
            complete = step == 1 and first == 0 and last == limit - offset
            yield DimProjection(chunk, slice(first, last, step), slice(out_offset, out_offset + n), complete)


class IntArrayDimIndexer:
    """Integers in any order, repeats allowed; also negative-step slices and boolean masks."""

    drops_axis = False

    def __init__(self, indices: np.ndarray, dim_len: int, chunk_len: int, axis: int) -> None:
        indices = np.asarray(indices)
        if indices.ndim != 1:
            raise IndexError(f"orthogonal selection on axis {axis} needs a 1-d integer array, got {indices.ndim}-d")
        indices = indices.astype(np.intp, copy=True)
        if indices.size and (indices.min() < -dim_len or indices.max() >= dim_len):
            bad = indices[(indices < -dim_len) | (indices >= dim_len)][0]  # as given, before wrapping
            raise BoundsCheckError(f"index {bad} is out of bounds for axis {axis} with size {dim_len}")
        negative = indices < 0
        if negative.any():
            indices[negative] += dim_len
        self.nitems = indices.size
        self.dim_len, self.chunk_len = dim_len, chunk_len
        chunk_ids = indices // chunk_len
        if indices.size < 2 or np.all(np.diff(indices) >= 0):
            self.order = None
            sorted_ids, self.sorted_indices = chunk_ids, indices
        else:
            self.order = np.argsort(chunk_ids, kind="stable")
            sorted_ids, self.sorted_indices = chunk_ids[self.order], indices[self.order]
        self.chunks, self.starts, self.stops = _runs(sorted_ids)

    def __iter__(self) -> Iterator[DimProjection]:
        for chunk, start, stop in zip(self.chunks.tolist(), self.starts.tolist(), self.stops.tolist(), strict=True):
            offset = chunk * self.chunk_len
            in_chunk = self.sorted_indices[start:stop] - offset
            out = slice(start, stop) if self.order is None else self.order[start:stop]
            chunk_len = min(self.chunk_len, self.dim_len - offset)
            complete = (
                stop - start == chunk_len and self.order is None and np.array_equal(in_chunk, np.arange(chunk_len))
            )
            yield DimProjection(chunk, in_chunk, out, bool(complete))


def _dim_indexer(sel: Any, dim_len: int, chunk_len: int, axis: int, *, orthogonal: bool) -> Any:
    if _is_integer(sel):
        return IntDimIndexer(sel, dim_len, chunk_len, axis)
    if isinstance(sel, slice):
        if sel.step is not None and not _is_integer(sel.step):
            raise IndexError(f"slice step must be an integer, got {sel.step!r}")
        for bound in (sel.start, sel.stop):
            if bound is not None and not _is_integer(bound):
                raise IndexError(f"slice bounds must be integers or None, got {sel!r}")
        if sel.step == 0:
            raise ValueError("slice step cannot be zero")
        if sel.step is not None and sel.step < 0:
            return IntArrayDimIndexer(np.arange(*sel.indices(dim_len)), dim_len, chunk_len, axis)
        return SliceDimIndexer(sel, dim_len, chunk_len)
    if orthogonal:
        arr = np.asarray(sel)
        if arr.dtype == bool:
            if arr.shape != (dim_len,):
                raise IndexError(
                    f"boolean index on axis {axis} has length {arr.shape}, array axis has length {dim_len}"
                )
            return IntArrayDimIndexer(np.flatnonzero(arr), dim_len, chunk_len, axis)
        if arr.dtype.kind in "iu" and arr.ndim == 0:  # a 0-d integer array is an integer, as in NumPy
            return IntDimIndexer(int(arr), dim_len, chunk_len, axis)
        if arr.dtype.kind in "iu" or (arr.size == 0 and arr.dtype.kind == "f"):
            return IntArrayDimIndexer(arr.astype(np.intp), dim_len, chunk_len, axis)
    raise IndexError(
        f"unsupported selection item {sel!r} on axis {axis}: basic indexing takes integers and slices; "
        "use .oindex for integer arrays or masks per axis and .vindex for coordinates"
    )


def _expand_selection(selection: Any, ndim: int) -> tuple:
    """Make ``selection`` a tuple of length ``ndim``: expand one Ellipsis, pad with full slices."""
    if not isinstance(selection, tuple):
        selection = (selection,)
    n_ellipsis = sum(1 for s in selection if s is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("a selection can only have a single ellipsis ('...')")
    if n_ellipsis:
        i = next(i for i, s in enumerate(selection) if s is Ellipsis)
        fill = ndim - (len(selection) - 1)
        selection = selection[:i] + (slice(None),) * max(fill, 0) + selection[i + 1 :]
    if len(selection) > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but {len(selection)} were indexed")
    return selection + (slice(None),) * (ndim - len(selection))


# -- array indexers -----------------------------------------------------------------------


class _ProductIndexer:
    """The product of per-dimension indexers (basic and orthogonal selections)."""

    def __init__(self, dim_indexers: list, chunks: tuple[int, ...]) -> None:
        self.dim_indexers = dim_indexers
        self.chunks = chunks
        self.shape = tuple(d.nitems for d in dim_indexers if not d.drops_axis)
        self.advanced = any(isinstance(d, IntArrayDimIndexer) for d in dim_indexers)
        # With index arrays the chunk is indexed with np.ix_, which keeps integer axes as
        # length-1 axes: those are squeezed out (read) or added back (write).
        dropped = tuple(i for i, d in enumerate(dim_indexers) if d.drops_axis)
        self.squeeze_axes = dropped if self.advanced else ()

    def __iter__(self) -> Iterator[ChunkProjection]:
        if not self.advanced:
            yield from self._iter_basic()
            return
        for dims in itertools.product(*self.dim_indexers):
            coords = tuple(d.dim_chunk_index for d in dims)
            complete = all(d.is_complete for d in dims)
            chunk_sel = np.ix_(*[_as_index_array(d.dim_chunk_selection) for d in dims])
            out_sel = np.ix_(*[_as_index_array(d.dim_out_selection) for d in dims if d.dim_out_selection is not None])
            yield ChunkProjection(coords, chunk_sel, out_sel, complete)

    def _iter_basic(self) -> Iterator[ChunkProjection]:
        """Integers and slices: each axis's projections are made once, as plain tuples, and
        one ``zip`` per chunk turns their product into the chunk's coords and selections."""
        per_axis = [
            [(d.dim_chunk_index, d.dim_chunk_selection, d.dim_out_selection, d.is_complete) for d in dim]
            for dim in self.dim_indexers
        ]
        kept = [i for i, d in enumerate(self.dim_indexers) if not d.drops_axis]
        drops = len(kept) < len(per_axis)
        for dims in itertools.product(*per_axis):
            coords, chunk_sel, out_sel, complete = zip(*dims, strict=True) if dims else ((), (), (), ())
            if drops:
                out_sel = tuple(out_sel[i] for i in kept)
            yield ChunkProjection(coords, chunk_sel, out_sel, False not in complete)


def _as_index_array(sel: Any) -> np.ndarray:
    if isinstance(sel, slice):
        return np.arange(sel.start, sel.stop, sel.step or 1)
    if _is_integer(sel):
        return np.array([sel])
    return sel


class BasicIndexer(_ProductIndexer):
    """Integers, slices (any step) and Ellipsis, as NumPy's basic indexing."""

    def __init__(self, selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> None:
        selection = _expand_selection(selection, len(shape))
        dims = [
            _dim_indexer(s, n, c, axis, orthogonal=False)
            for axis, (s, n, c) in enumerate(zip(selection, shape, chunks, strict=True))
        ]
        super().__init__(dims, chunks)


class OrthogonalIndexer(_ProductIndexer):
    """Per axis: an integer, a slice, an integer array or a boolean mask, applied independently."""

    def __init__(self, selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> None:
        selection = _expand_selection(selection, len(shape))
        dims = [
            _dim_indexer(s, n, c, axis, orthogonal=True)
            for axis, (s, n, c) in enumerate(zip(selection, shape, chunks, strict=True))
        ]
        super().__init__(dims, chunks)


class CoordinateIndexer:
    """Points given as one integer array per axis (broadcast together), as ``.vindex``."""

    squeeze_axes: tuple[int, ...] = ()

    def __init__(self, selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> None:
        if not isinstance(selection, tuple):
            selection = (selection,)
        if len(selection) != len(shape):
            raise IndexError(
                f"coordinate selection needs one integer array per axis ({len(shape)}), got {len(selection)}"
            )
        arrays = []
        for axis, sel in enumerate(selection):
            arr = np.asarray(sel)
            if arr.dtype.kind not in "iu" and not (arr.size == 0):
                raise IndexError(f"coordinate selection on axis {axis} must be integers, got dtype {arr.dtype}")
            arrays.append(arr.astype(np.intp))
        try:
            arrays = np.broadcast_arrays(*arrays)
        except ValueError:
            raise IndexError(
                f"coordinate arrays have shapes {[a.shape for a in arrays]} that do not broadcast"
            ) from None
        self.sel_shape = arrays[0].shape if arrays else ()
        self.shape = self.sel_shape
        self._init_points([a.reshape(-1) for a in arrays], shape, chunks)

    def _init_points(self, coords: list[np.ndarray], shape: tuple[int, ...], chunks: tuple[int, ...]) -> None:
        self.chunks = chunks
        points = []
        for axis, (c, n) in enumerate(zip(coords, shape, strict=True)):
            if c.size and (c.min() < -n or c.max() >= n):
                bad = c[(c < -n) | (c >= n)][0]  # as given, before wrapping
                raise BoundsCheckError(f"index {bad} is out of bounds for axis {axis} with size {n}")
            c = c.copy()
            c[c < 0] += n
            points.append(c)
        self.points = points
        grid = tuple(_ceildiv(n, c) for n, c in zip(shape, chunks, strict=True))
        npoints = points[0].size if points else 1
        if not shape:
            self.chunk_ids = np.zeros(npoints, dtype=np.intp)
        else:
            self.chunk_ids = np.ravel_multi_index(tuple(p // c for p, c in zip(points, chunks, strict=True)), grid)
        if npoints < 2 or np.all(np.diff(self.chunk_ids) >= 0):
            self.order = None
            sorted_ids = self.chunk_ids
        else:
            self.order = np.argsort(self.chunk_ids, kind="stable")
            sorted_ids = self.chunk_ids[self.order]
        self.grid = grid
        self.unique_ids, self.starts, self.stops = _runs(sorted_ids)

    def __iter__(self) -> Iterator[ChunkProjection]:
        for chunk_id, start, stop in zip(
            self.unique_ids.tolist(), self.starts.tolist(), self.stops.tolist(), strict=True
        ):
            coords = tuple(int(i) for i in np.unravel_index(chunk_id, self.grid)) if self.grid else ()
            picked = slice(start, stop) if self.order is None else self.order[start:stop]
            chunk_sel = tuple(p[picked] - ci * c for p, ci, c in zip(self.points, coords, self.chunks, strict=True))
            yield ChunkProjection(coords, chunk_sel, picked, False)


class MaskIndexer(CoordinateIndexer):
    """A boolean array the shape of the array; selects the True elements in C order."""

    def __init__(self, selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> None:
        if isinstance(selection, tuple) and len(selection) == 1:
            selection = selection[0]
        mask = np.asarray(selection)
        if mask.dtype != bool:
            raise IndexError(f"mask selection must be a boolean array, got dtype {mask.dtype}")
        if mask.shape != shape or not shape:
            raise IndexError(f"mask of shape {mask.shape} does not match array shape {shape}")
        coords = list(np.nonzero(mask))
        self.sel_shape = (int(coords[0].size),)
        self.shape = self.sel_shape
        self._init_points(coords, shape, chunks)


class BlockIndexer(_ProductIndexer):
    """Whole chunks chosen by block index (integers or unit-step slices per axis)."""

    def __init__(self, selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> None:
        selection = _expand_selection(selection, len(shape))
        element_selection = []
        for axis, (sel, n, c) in enumerate(zip(selection, shape, chunks, strict=True)):
            nblocks = _ceildiv(n, c)
            if _is_integer(sel):
                block = _normalize_integer(sel, nblocks, axis)
                element_selection.append(slice(block * c, min(n, (block + 1) * c)))
            elif isinstance(sel, slice):
                if sel.step not in (None, 1):
                    raise IndexError(f"block selection on axis {axis} only supports step 1, got {sel!r}")
                start, stop, _ = sel.indices(nblocks)
                element_selection.append(slice(start * c, min(n, max(start, stop) * c)))
            else:
                raise IndexError(f"block selection takes integers and slices, got {sel!r} on axis {axis}")
        dims = [SliceDimIndexer(s, n, c) for s, n, c in zip(element_selection, shape, chunks, strict=True)]
        super().__init__(dims, chunks)


def point_projection(selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> ChunkProjection | None:
    """The one projection of a selection of one integer per axis (``z[i, j]``), made without
    the per-dimension indexers (their cost is most of such a read's); None for any other selection."""
    if type(selection) is not tuple:
        selection = (selection,)
    if not shape or len(selection) != len(shape):
        return None
    coords, within, complete = [], [], True
    for axis, (index, n, c) in enumerate(zip(selection, shape, chunks, strict=True)):
        if type(index) is not int and not _is_integer(index):
            return None
        index = _normalize_integer(index, n, axis)
        chunk = index // c
        coords.append(chunk)
        within.append(index - chunk * c)
        complete = complete and min(c, n - chunk * c) == 1
    return ChunkProjection(tuple(coords), tuple(within), (), complete)


def is_basic_selection(selection: Any) -> bool:
    items = selection if isinstance(selection, tuple) else (selection,)
    return all(_is_integer(s) or isinstance(s, slice) or s is Ellipsis for s in items)


def route_selection(selection: Any, shape: tuple[int, ...]) -> str:
    """Which indexer NumPy-style ``z[selection]`` means: 'basic', 'orthogonal', 'coordinate' or 'mask'."""
    if is_basic_selection(selection):
        return "basic"
    items = selection if isinstance(selection, tuple) else (selection,)
    arrays = [s for s in items if not (_is_integer(s) or isinstance(s, slice) or s is Ellipsis)]
    if (
        len(items) == 1
        and np.asarray(items[0]).dtype == bool
        and np.asarray(items[0]).shape == shape
        and len(shape) > 1
    ):
        return "mask"
    if len(arrays) == 1 and np.asarray(arrays[0]).ndim <= 1:
        return "orthogonal"
    if all(not (isinstance(s, slice) or s is Ellipsis) for s in items) and len(items) == len(shape):
        return "coordinate"
    raise IndexError(
        f"unsupported selection {selection!r}: mix at most one integer array with slices, "
        "or use .oindex (orthogonal) and .vindex (coordinates)"
    )


def selection_size(shape: tuple[int, ...]) -> int:
    return math.prod(shape)
