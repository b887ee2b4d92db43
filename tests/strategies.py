"""Hypothesis strategies: arrays (shape, chunks, dtype, order, fill value, compressor) and
selections of every kind, each selection carrying its NumPy meaning.

A ``Selection`` knows how to apply itself to a zarrlib array (through the explicit
``get_*_selection`` method or through the ``oindex``/``vindex``/``blocks`` view) and to a
NumPy array, so a property test is "zarrlib agrees with the NumPy model" and nothing else.
The NumPy side never calls zarrlib's indexing code: orthogonal selections are applied one
axis at a time, blocks become element slices, coordinates and masks are NumPy's own.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numcodecs
import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import zarrlib as zarr

#: Multiplies every property test's max_examples: ZARRLIB_HYPOTHESIS_SCALE=20 for a deep local run.
SCALE = float(os.environ.get("ZARRLIB_HYPOTHESIS_SCALE", "1"))


def property_settings(max_examples: int, **kwargs: Any) -> settings:
    """Settings for a property test: no deadline (CI machines are slow), scaled example count."""
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **kwargs,
    )


# Every dtype family of the v2 format except structured and object, in both byte orders.
DTYPES: tuple[str, ...] = (
    "|b1",
    "|i1",
    "<i2",
    "<i4",
    "<i8",
    ">i4",
    "|u1",
    "<u2",
    ">u4",
    "<u8",
    "<f2",
    "<f4",
    "<f8",
    ">f8",
    "<c8",
    ">c16",
    "<M8[s]",
    ">M8[ns]",
    "<m8[ms]",
    "|S1",
    "|S5",
    "<U1",
    "<U4",
    ">U3",
)

COMPRESSORS: tuple[Any, ...] = (None, numcodecs.Blosc(cname="lz4", clevel=1), numcodecs.Zlib(level=1))


def dtypes() -> st.SearchStrategy[np.dtype]:
    return st.sampled_from(DTYPES).map(np.dtype)


@st.composite
def shapes(draw: st.DrawFn, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 6) -> tuple:
    """Small shapes, including 0-d and zero-length axes (unless ``min_side`` > 0).

    Hypothesis draws boundary values (0) often; left alone, a third of all arrays would be
    0-d or empty, so both get a second chance to be something larger.
    """

    def rare_zero(lo: int, hi: int) -> int:
        n = draw(st.integers(lo, hi))
        return draw(st.integers(max(lo, 1), hi)) if n == 0 and draw(st.integers(0, 3)) else n

    ndim = rare_zero(min_dims, max_dims)
    return tuple(rare_zero(min_side, max_side) for _ in range(ndim))


@st.composite
def chunk_shapes(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Per axis 1 .. side + 2: chunk size 1, exact fits, ragged edges and chunks larger than the array."""
    return tuple(draw(st.integers(1, max(n, 1) + 2)) for n in shape)


def elements(dtype: np.dtype) -> st.SearchStrategy:
    """Scalars of ``dtype`` (NaN, infinities and NaT included)."""
    return hnp.from_dtype(dtype)


def numpy_arrays(dtype: np.dtype, shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """Arrays whose every element is drawn: hypothesis otherwise fills most of an array with one
    value, and a read that takes the wrong elements of a constant array still looks right."""
    return hnp.arrays(dtype, shape, elements=elements(dtype), fill=st.nothing())


@st.composite
def fill_values(draw: st.DrawFn, dtype: np.dtype) -> Any:
    """``None`` (undefined), ``0`` (the dtype's zero), NaN for inexact dtypes, or any element."""
    options: list[st.SearchStrategy] = [st.none(), st.just(0), elements(dtype)]
    if dtype.kind in "fc":
        options.append(st.just(np.nan))
    return draw(st.one_of(options))


@dataclass(frozen=True)
class ArraySpec:
    """Everything needed to create an array, and the NumPy array a fresh one reads as."""

    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: np.dtype
    order: str
    fill_value: Any
    compressor: Any

    def create(self, store: Any = None, **kwargs: Any) -> zarr.Array:
        return zarr.create(
            self.shape,
            chunks=self.chunks,
            dtype=self.dtype,
            order=self.order,
            fill_value=self.fill_value,
            compressor=self.compressor,
            store=store,
            **kwargs,
        )

    @property
    def fill_scalar(self) -> np.ndarray:
        """What unwritten elements read as: the fill value; zeros when it is ``None``, and the
        integer ``0`` means the dtype's zero (``''`` for strings, not ``'0'``)."""
        if self.fill_value is None or (isinstance(self.fill_value, int) and self.fill_value == 0):
            return np.zeros((), dtype=self.dtype)
        return np.asarray(self.fill_value).astype(self.dtype)

    def model(self, shape: tuple[int, ...] | None = None) -> np.ndarray:
        return np.full(self.shape if shape is None else shape, self.fill_scalar, dtype=self.dtype)


@st.composite
def array_specs(
    draw: st.DrawFn,
    *,
    shape: st.SearchStrategy | None = None,
    dtype: st.SearchStrategy | None = None,
    fill_value: bool = True,
) -> ArraySpec:
    shp = draw(shape if shape is not None else shapes())
    dt = draw(dtype if dtype is not None else dtypes())
    return ArraySpec(
        shape=shp,
        chunks=draw(chunk_shapes(shp)),
        dtype=dt,
        order=draw(st.sampled_from("CF")),
        fill_value=draw(fill_values(dt)) if fill_value else 0,
        compressor=draw(st.sampled_from(COMPRESSORS)),
    )


# -- selections -----------------------------------------------------------------------------


def _int_array_for_axis(index: Any, n: int) -> np.ndarray:
    """The non-negative positions one orthogonal selection item picks along an axis of length ``n``."""
    if isinstance(index, slice):
        return np.arange(*index.indices(n))
    arr = np.asarray(index)
    if arr.dtype == bool:
        return np.flatnonzero(arr)
    arr = arr.astype(np.intp).reshape(-1)
    return np.where(arr < 0, arr + n, arr)


def _int_items(selection: Any) -> tuple:
    """A tuple of items, 0-d integer arrays turned into the integers they are."""
    items = selection if isinstance(selection, tuple) else (selection,)
    return tuple(int(s) if isinstance(s, np.ndarray) and s.ndim == 0 else s for s in items)


def np_oindex_get(a: np.ndarray, selection: Any) -> np.ndarray:
    """Orthogonal indexing by definition: apply each axis's item on its own, left to right."""
    selection = _int_items(selection)
    result = np.asarray(a)
    axis = 0
    for item in selection:
        result = result[(slice(None),) * axis + (item,)]
        if not isinstance(item, (int, np.integer)):
            axis += 1
    return result


def np_oindex_set(a: np.ndarray, selection: tuple, value: Any) -> None:
    """Orthogonal assignment: broadcast ``value`` to the selection, re-insert integer axes, np.ix_."""
    selection = _int_items(selection)
    selection += (slice(None),) * (a.ndim - len(selection))
    positions = [_int_array_for_axis(item, n) for item, n in zip(selection, a.shape, strict=True)]
    int_axes = tuple(i for i, item in enumerate(selection) if isinstance(item, (int, np.integer)))
    sel_shape = tuple(p.size for i, p in enumerate(positions) if i not in int_axes)
    value = np.broadcast_to(np.asarray(value, dtype=a.dtype), sel_shape)
    a[np.ix_(*positions)] = np.expand_dims(value, int_axes)


def block_to_basic(selection: tuple, shape: tuple[int, ...], chunks: tuple[int, ...]) -> tuple:
    """The element slices covering the chosen blocks."""
    selection = tuple(selection) + (slice(None),) * (len(shape) - len(selection))
    out = []
    for item, n, c in zip(selection, shape, chunks, strict=True):
        nblocks = -(-n // c)
        if isinstance(item, slice):
            start, stop, _ = item.indices(nblocks)
            out.append(slice(start * c, min(n, max(start, stop) * c)))
        else:
            b = item + nblocks if item < 0 else item
            out.append(slice(b * c, min(n, (b + 1) * c)))
    return tuple(out)


@dataclass(frozen=True)
class Selection:
    """A selection of one ``kind`` with its NumPy meaning.

    kind: ``basic``, ``orthogonal``, ``coordinate``, ``mask``, ``block``, or ``getitem``
    (NumPy-style ``z[...]`` routing; ``meaning`` then names what it routes to).
    """

    kind: str
    selection: Any
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    meaning: str = ""

    @property
    def _meaning(self) -> str:
        return self.meaning or self.kind

    def np_get(self, a: np.ndarray) -> np.ndarray:
        m = self._meaning
        if m == "orthogonal":
            return np_oindex_get(a, self.selection)
        if m == "block":
            return a[block_to_basic(self.selection, self.shape, self.chunks)]
        return a[self.selection]

    def np_set(self, a: np.ndarray, value: Any) -> None:
        m = self._meaning
        if m == "orthogonal":
            np_oindex_set(a, self.selection, value)
        elif m == "block":
            a[block_to_basic(self.selection, self.shape, self.chunks)] = value
        else:
            a[self.selection] = value

    @property
    def result_shape(self) -> tuple[int, ...]:
        return np.shape(self.np_get(np.zeros(self.shape, dtype="u1")))

    def zarr_get(self, z: zarr.Array, *, via: str = "method", out: np.ndarray | None = None) -> Any:
        """Read through the explicit method (which takes ``out=``) or the view / ``z[...]``."""
        if via == "view" and out is None:
            view = {
                "basic": z,
                "getitem": z,
                "orthogonal": z.oindex,
                "coordinate": z.vindex,
                "mask": z.vindex,
                "block": z.blocks,
            }[self.kind]
            return view[self.selection]
        method = {
            "basic": z.get_basic_selection,
            "getitem": z.get_basic_selection,
            "orthogonal": z.get_orthogonal_selection,
            "coordinate": z.get_coordinate_selection,
            "mask": z.get_mask_selection,
            "block": z.get_block_selection,
        }[self._meaning if self.kind == "getitem" else self.kind]
        return method(self.selection, out=out)

    def zarr_set(self, z: zarr.Array, value: Any, *, via: str = "method") -> None:
        if via == "view":
            view = {
                "basic": z,
                "getitem": z,
                "orthogonal": z.oindex,
                "coordinate": z.vindex,
                "mask": z.vindex,
                "block": z.blocks,
            }[self.kind]
            view[self.selection] = value
            return
        method = {
            "basic": z.set_basic_selection,
            "orthogonal": z.set_orthogonal_selection,
            "coordinate": z.set_coordinate_selection,
            "mask": z.set_mask_selection,
            "block": z.set_block_selection,
        }[self._meaning if self.kind == "getitem" else self.kind]
        method(self.selection, value)


def _ints(n: int) -> st.SearchStrategy[int]:
    """Valid integer indices for an axis of length ``n``, negative ones included."""
    return st.integers(-n, n - 1)


def _slices(n: int) -> st.SearchStrategy[slice]:
    """Any slice: bounds past either end, negative steps, empty results."""
    bound = st.none() | st.integers(-n - 2, n + 2)
    step = st.sampled_from([None, 1, 2, 3, -1, -2, -3])
    return st.builds(slice, bound, bound, step)


def _int_arrays(n: int) -> st.SearchStrategy[np.ndarray]:
    """Unsorted integer arrays with repeats and negative indices (empty when the axis is)."""
    if n == 0:
        return st.just(np.array([], dtype=np.intp))
    return st.lists(_ints(n), min_size=0, max_size=n + 2).map(lambda v: np.array(v, dtype=np.intp))


def _masks(n: int) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.bool_, (n,))


@st.composite
def basic_selections(draw: st.DrawFn, shape: tuple[int, ...], chunks: tuple[int, ...] | None = None) -> Selection:
    """Integers, slices and at most one Ellipsis, possibly fewer items than axes."""
    items = [draw(_slices(n) | _ints(n)) if n else draw(_slices(n)) for n in shape]
    nkept = draw(st.integers(0, len(items)))
    if draw(st.integers(0, 3)) == 0:
        # an Ellipsis stands for a run of full slices somewhere in the middle
        start = draw(st.integers(0, nkept))
        stop = draw(st.integers(start, len(items)))
        sel: Any = (*items[:start], Ellipsis, *items[stop:])
    else:
        sel = tuple(items[:nkept])
    if len(sel) == 1 and draw(st.booleans()):
        sel = sel[0]  # a bare item, not a 1-tuple
    return Selection("basic", sel, shape, chunks or shape)


@st.composite
def orthogonal_selections(draw: st.DrawFn, shape: tuple[int, ...], chunks: tuple[int, ...] | None = None) -> Selection:
    """Per axis: an integer, a slice, an integer array or a boolean mask."""
    items = []
    for n in shape:
        options = [_slices(n), _int_arrays(n), _masks(n)]
        if n:
            options.append(_ints(n))
        items.append(draw(st.one_of(options)))
    return Selection("orthogonal", tuple(items), shape, chunks or shape)


@st.composite
def coordinate_selections(draw: st.DrawFn, shape: tuple[int, ...], chunks: tuple[int, ...] | None = None) -> Selection:
    """One integer array per axis; the arrays broadcast together (unsorted, repeats, negatives)."""
    if 0 in shape:
        # an empty axis admits no point, so every array must be empty
        arrays = tuple(np.array([], dtype=np.intp) for _ in shape)
        return Selection("coordinate", arrays, shape, chunks or shape)
    bshapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=len(shape), min_dims=0, max_dims=2, max_side=4))
    arrays = tuple(
        draw(hnp.arrays(np.intp, s, elements=_ints(n))) for s, n in zip(bshapes.input_shapes, shape, strict=True)
    )
    return Selection("coordinate", arrays, shape, chunks or shape)


@st.composite
def mask_selections(draw: st.DrawFn, shape: tuple[int, ...], chunks: tuple[int, ...] | None = None) -> Selection:
    return Selection("mask", draw(hnp.arrays(np.bool_, shape)), shape, chunks or shape)


@st.composite
def block_selections(draw: st.DrawFn, shape: tuple[int, ...], chunks: tuple[int, ...]) -> Selection:
    """Per axis: a block index (negative allowed) or a unit-step slice of block indices."""
    items: list[Any] = []
    for n, c in zip(shape, chunks, strict=True):
        nblocks = -(-n // c)
        bound = st.none() | st.integers(-nblocks - 1, nblocks + 1)
        options = [st.builds(slice, bound, bound, st.sampled_from([None, 1]))]
        if nblocks:
            options.append(_ints(nblocks))
        items.append(draw(st.one_of(options)))
    # trailing axes left out select every block, as in NumPy
    nkept = draw(st.integers(0, len(items)))
    return Selection("block", tuple(items[:nkept]), shape, chunks)


@st.composite
def getitem_selections(draw: st.DrawFn, shape: tuple[int, ...], chunks: tuple[int, ...] | None = None) -> Selection:
    """What NumPy-style ``z[...]`` accepts, with what zarr routes it to:

    - integers/slices/Ellipsis: basic;
    - exactly one 1-d integer array or mask among slices and integers: orthogonal;
    - a boolean array of the array's shape: mask;
    - one integer array (or integer) per axis, no slices: coordinate.
    """
    chunks = chunks or shape
    choices = ["basic"]
    if shape:
        choices += ["orthogonal", "mask"]
        if 0 not in shape:
            choices.append("coordinate")
    route = draw(st.sampled_from(choices))
    if route == "basic":
        return draw(basic_selections(shape, chunks))
    if route == "mask":
        return Selection("getitem", draw(hnp.arrays(np.bool_, shape)), shape, chunks, meaning="mask")
    if route == "orthogonal":
        axis = draw(st.integers(0, len(shape) - 1))
        items: list[Any] = []
        for i, n in enumerate(shape):
            if i == axis:
                items.append(draw(_int_arrays(n) | _masks(n)))
            else:
                items.append(draw(_slices(n) | _ints(n)) if n else draw(_slices(n)))
        sel: Any = items[0] if len(items) == 1 else tuple(items)
        return Selection("getitem", sel, shape, chunks, meaning="orthogonal")
    coord = draw(coordinate_selections(shape, chunks)).selection
    # integers broadcast like 0-d arrays; keep at least two arrays so this is not orthogonal
    coord = tuple(
        int(c.reshape(-1)[0]) if c.size and i >= 2 and draw(st.booleans()) else c for i, c in enumerate(coord)
    )
    narrays = sum(isinstance(c, np.ndarray) for c in coord)
    if narrays < 2 and not any(isinstance(c, np.ndarray) and c.ndim > 1 for c in coord):
        # one 1-d array among integers routes to orthogonal, which means the same here
        return Selection("getitem", coord, shape, chunks, meaning="orthogonal")
    return Selection("getitem", coord, shape, chunks, meaning="coordinate")


SELECTION_KINDS = ("basic", "orthogonal", "coordinate", "mask", "block", "getitem")


def selections(kind: str, shape: tuple[int, ...], chunks: tuple[int, ...]) -> st.SearchStrategy[Selection]:
    """Selections of one kind for an array of ``shape`` and ``chunks``."""
    return {
        "basic": basic_selections,
        "orthogonal": orthogonal_selections,
        "coordinate": coordinate_selections,
        "mask": mask_selections,
        "block": block_selections,
        "getitem": getitem_selections,
    }[kind](shape, chunks)


def supports(kind: str, shape: tuple[int, ...]) -> bool:
    """Selection kinds that make sense for ``shape`` (masks and coordinates need an axis)."""
    return bool(shape) or kind in ("basic", "orthogonal", "block")


@st.composite
def values_for(draw: st.DrawFn, dtype: np.dtype, shape: tuple[int, ...]) -> Any:
    """A value to assign to a selection of ``shape``: a scalar, an array of that shape, or one
    that broadcasts to it (fewer axes, length-1 axes)."""
    how = draw(st.sampled_from(["scalar", "array", "broadcast"]))
    if how == "scalar":
        return np.asarray(draw(elements(dtype)), dtype=dtype)[()]
    if how == "array":
        return draw(numpy_arrays(dtype, shape))
    # leading axes dropped, others kept or shrunk to 1: broadcasts *to* shape, not just with it
    ndrop = draw(st.integers(0, len(shape)))
    bshape = tuple(n if draw(st.booleans()) else 1 for n in shape[ndrop:])
    return draw(numpy_arrays(dtype, bshape))


# -- comparing results -------------------------------------------------------------------------


def assert_array_matches(actual: Any, expected: Any, dtype: np.dtype | None = None) -> None:
    """Same shape, same dtype, same values; NaN equals NaN (componentwise for complex), NaT equals NaT.

    0-d results are compared as ``dtype`` when given: NumPy scalars are native-endian and
    string scalars shrink to their length, so only the kind of their dtype can match.
    """
    if dtype is not None and np.ndim(expected) == 0:
        assert np.asarray(actual).dtype.kind == dtype.kind, f"{np.asarray(actual).dtype} is not like {dtype}"
        actual, expected = np.asarray(actual, dtype=dtype), np.asarray(expected, dtype=dtype)
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != expected {expected.dtype}"
    if expected.dtype.kind == "c":
        np.testing.assert_array_equal(actual.real, expected.real)
        np.testing.assert_array_equal(actual.imag, expected.imag)
    elif expected.dtype.kind in "mM":
        native = expected.dtype.newbyteorder("=")
        np.testing.assert_array_equal(actual.astype(native).view("i8"), expected.astype(native).view("i8"))
    else:
        np.testing.assert_array_equal(actual, expected)


def chunk_grid(shape: tuple[int, ...], chunks: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-(-n // c) for n, c in zip(shape, chunks, strict=True))


def nchunks(shape: tuple[int, ...], chunks: tuple[int, ...]) -> int:
    return math.prod(chunk_grid(shape, chunks))
