"""Indexing against NumPy: every selection kind, for reads, writes and ``out=``, on random
shapes, chunkings, dtypes, orders and fill values (properties), plus the error cases."""

from __future__ import annotations

import itertools

import numcodecs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import zarrlib as zarr
from strategies import (
    SELECTION_KINDS,
    ArraySpec,
    Selection,
    array_specs,
    assert_array_matches,
    basic_selections,
    chunk_grid,
    numpy_arrays,
    property_settings,
    selections,
    shapes,
    supports,
    values_for,
)
from zarrlib.indexing import BasicIndexer, route_selection

PROPERTY = property_settings(100)


def _shape_for(kind: str) -> st.SearchStrategy:
    return shapes(min_dims=0 if supports(kind, ()) else 1)


def populated(spec: ArraySpec, data: st.DataObject) -> tuple[zarr.Array, np.ndarray]:
    """A new array and its NumPy model, with random data written into a random region
    (so some chunks stay unwritten and read as the fill value)."""
    z = spec.create()
    model = spec.model()
    region = data.draw(basic_selections(spec.shape), label="initial region")
    if data.draw(st.booleans(), label="write initial data"):
        full = data.draw(numpy_arrays(spec.dtype, spec.shape), label="initial data")
        piece = full[region.selection]
        z[region.selection] = piece
        model[region.selection] = piece
    return z, model


def stored_chunks(z: zarr.Array, spec: ArraySpec) -> dict[tuple[int, ...], np.ndarray]:
    """Every chunk in the store, decoded with numcodecs directly (not with zarrlib)."""
    chunks = {}
    for key in z.store.keys():
        if key.startswith("."):
            continue
        raw = z.store[key]
        if spec.compressor is not None:
            raw = spec.compressor.decode(raw)
        coords = tuple(int(c) for c in key.split("."))
        arr = np.frombuffer(bytes(raw), dtype=spec.dtype).reshape(spec.chunks, order=spec.order)
        chunks[coords] = arr
    return chunks


def _matches(a: np.ndarray, b: np.ndarray) -> bool:
    try:
        assert_array_matches(a, b)
    except AssertionError:
        return False
    return True


def assert_store_consistent(z: zarr.Array, spec: ArraySpec) -> None:
    """Chunk keys lie inside the grid, and with write_empty_chunks=False none holds only the fill value."""
    grid = chunk_grid(spec.shape, spec.chunks)
    for coords, chunk in stored_chunks(z, spec).items():
        assert len(coords) == max(len(spec.shape), 1)
        assert all(c < g for c, g in zip(coords, grid, strict=False)), f"chunk {coords} outside grid {grid}"
        if spec.fill_value is not None and not z.write_empty_chunks:
            fill = np.full(spec.chunks, spec.fill_scalar, dtype=spec.dtype)
            assert not _matches(chunk, fill), f"chunk {coords} holds only the fill value but is stored"


# -- properties --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SELECTION_KINDS)
@PROPERTY
@given(data=st.data())
def test_read_matches_numpy(kind: str, data: st.DataObject) -> None:
    spec = data.draw(array_specs(shape=_shape_for(kind)), label="spec")
    z, model = populated(spec, data)
    sel: Selection = data.draw(selections(kind, spec.shape, spec.chunks), label="selection")
    via = "view" if kind == "getitem" else data.draw(st.sampled_from(["method", "view"]), label="via")
    actual = sel.zarr_get(z, via=via)
    expected = sel.np_get(model)
    assert_array_matches(actual, expected, spec.dtype)
    if sel.kind == "basic":
        # a NumPy scalar exactly where NumPy gives one (all integers, no Ellipsis)
        assert isinstance(actual, np.ndarray) == isinstance(expected, np.ndarray)


@pytest.mark.parametrize("kind", SELECTION_KINDS)
@PROPERTY
@given(data=st.data())
def test_write_matches_numpy(kind: str, data: st.DataObject) -> None:
    spec = data.draw(array_specs(shape=_shape_for(kind)), label="spec")
    z, model = populated(spec, data)
    sel: Selection = data.draw(selections(kind, spec.shape, spec.chunks), label="selection")
    value = data.draw(values_for(spec.dtype, sel.result_shape), label="value")
    via = "view" if kind == "getitem" else data.draw(st.sampled_from(["method", "view"]), label="via")
    sel.np_set(model, value)
    sel.zarr_set(z, value, via=via)
    assert_array_matches(z[...], model)
    assert_store_consistent(z, spec)


@pytest.mark.parametrize("kind", ["basic", "orthogonal", "block"])
@property_settings(30)
@given(data=st.data())
def test_write_from_a_zarr_array_matches_numpy(kind: str, data: st.DataObject) -> None:
    """A zarrlib array as the value is read region by region (never whole), with the same result."""
    spec = data.draw(array_specs(shape=_shape_for(kind)), label="spec")
    z, model = populated(spec, data)
    sel: Selection = data.draw(selections(kind, spec.shape, spec.chunks), label="selection")
    value = data.draw(numpy_arrays(spec.dtype, sel.result_shape), label="value")
    source_chunks = tuple(data.draw(st.integers(1, max(n, 1))) for n in value.shape)
    source = zarr.array(value, chunks=source_chunks, dtype=spec.dtype)
    sel.zarr_set(z, source, via=data.draw(st.sampled_from(["method", "view"]), label="via"))
    sel.np_set(model, value)
    assert_array_matches(z[...], model)


OUT_LAYOUTS = ("C", "F", "strided")


def _out_array(shape: tuple[int, ...], dtype: np.dtype, layout: str, fill: int) -> np.ndarray:
    if layout == "strided":
        big = np.full(tuple(2 * n for n in shape), fill, dtype=dtype)
        return big[(*(slice(None, None, 2) for _ in shape), Ellipsis)]
    return np.full(shape, fill, dtype=dtype, order=layout)


@pytest.mark.parametrize("layout", OUT_LAYOUTS)
@pytest.mark.parametrize("kind", ["basic", "orthogonal", "coordinate", "mask", "block"])
@property_settings(25)
@given(data=st.data())
def test_read_into_out(kind: str, layout: str, data: st.DataObject) -> None:
    spec = data.draw(array_specs(shape=_shape_for(kind)), label="spec")
    z, model = populated(spec, data)
    sel: Selection = data.draw(selections(kind, spec.shape, spec.chunks), label="selection")
    expected = sel.np_get(model)
    # two reads into outs prefilled differently: an element the read forgets shows in one of them
    for fill in (0, 1):
        out = _out_array(np.shape(expected), spec.dtype, layout, fill)
        result = sel.zarr_get(z, out=out)
        assert result is out
        assert_array_matches(out, expected, spec.dtype)


# -- specific behaviour ----------------------------------------------------------------------------


@pytest.fixture
def z2d() -> zarr.Array:
    return zarr.array(np.arange(30, dtype="i4").reshape(5, 6), chunks=(2, 4))


A2D = np.arange(30, dtype="i4").reshape(5, 6)


@pytest.mark.parametrize(
    "selection",
    [(1, 2), (-1, -1), (np.int64(3), np.int32(-2))],
    ids=["positive", "negative", "numpy-ints"],
)
def test_integer_selection_returns_numpy_scalar(z2d: zarr.Array, selection: tuple) -> None:
    result = z2d[selection]
    assert isinstance(result, np.generic) and result.dtype == np.dtype("i4")
    assert result == A2D[selection]


@pytest.mark.parametrize(
    ("selection", "shape", "kind"),
    [
        ((slice(None), np.array([3, 1])), (5, 6), "orthogonal"),
        ([3, 1, 1], (5, 6), "orthogonal"),
        ((0, slice(None), np.array([1])), (5, 6, 2), "orthogonal"),
        (np.array([True, False, True, False, True]), (5, 6), "orthogonal"),
        ((np.array([1, 2]), np.array([0, 5])), (5, 6), "coordinate"),
        ((np.array([[1], [2]]), 3), (5, 6), "coordinate"),
        (np.array([[1, 2], [0, 3]]), (5,), "coordinate"),
        (A2D % 2 == 0, (5, 6), "mask"),
        ((1, slice(2, None, -1), Ellipsis), (5, 6), "basic"),
    ],
    ids=[
        "array-among-slices",
        "list",
        "int-slice-array",
        "axis-mask",
        "coords",
        "2d-coords",
        "2d-array-on-1d",
        "mask",
        "basic",
    ],
)
def test_getitem_routing(selection: object, shape: tuple[int, ...], kind: str) -> None:
    assert route_selection(selection, shape) == kind


def test_getitem_with_list_is_orthogonal(z2d: zarr.Array) -> None:
    np.testing.assert_array_equal(z2d[[4, 0, 4]], A2D[[4, 0, 4]])
    np.testing.assert_array_equal(z2d[1:4, [5, -6]], A2D[1:4, [5, -6]])


def test_getitem_int_and_array_split_by_slice_is_orthogonal() -> None:
    """Unlike NumPy (which moves the advanced axes first), zarr treats one array among
    integers and slices as an orthogonal selection."""
    a = np.arange(60).reshape(3, 4, 5)
    z = zarr.array(a, chunks=(2, 3, 2))
    np.testing.assert_array_equal(z[0, :, [1, 3]], a[0][:, [1, 3]])


def test_zero_d_integer_array_acts_as_integer(z2d: zarr.Array) -> None:
    assert z2d.oindex[np.array(2), np.array([1, 3])].shape == (2,)
    z1 = zarr.array(np.arange(7), chunks=3)
    assert z1[np.array(4)] == 4


def test_zero_d_array_read_and_write() -> None:
    z = zarr.zeros((), chunks=(), dtype="f8")
    z[...] = 7.5
    assert z[()] == 7.5 and np.ndim(z[()]) == 0
    assert isinstance(z[...], np.ndarray) and z[...].shape == ()
    out = np.full((), -1.0)
    z.get_basic_selection(Ellipsis, out=out)
    assert out == 7.5


def test_zero_d_read_does_not_reuse_stale_memory() -> None:
    """The decoded chunk must land in the returned array, not in a temporary copy."""
    for value in (1.5, 2.5, 3.5):
        z = zarr.zeros((), chunks=(), dtype="f8", compressor=numcodecs.Blosc())
        z[...] = value
        garbage = [np.full((), -9.0) for _ in range(4)]
        assert z[...] == value, garbage


def test_mask_selection_on_1d_via_getitem_and_vindex() -> None:
    a = np.arange(7)
    z = zarr.array(a, chunks=3)
    m = a % 3 == 0
    np.testing.assert_array_equal(z[m], a[m])
    np.testing.assert_array_equal(z.vindex[m], a[m])
    np.testing.assert_array_equal(z.get_mask_selection(m), a[m])


def test_block_selection_with_fewer_items_than_axes(z2d: zarr.Array) -> None:
    np.testing.assert_array_equal(z2d.blocks[1], A2D[2:4])
    np.testing.assert_array_equal(z2d.blocks[-1, 1:], A2D[4:, 4:])
    np.testing.assert_array_equal(z2d.blocks[...], A2D)


# -- errors ----------------------------------------------------------------------------------------

OUT_OF_BOUNDS = [
    ("basic-int", lambda z: z[5, 0], 5, 0),
    ("basic-negative", lambda z: z[0, -7], -7, 1),
    ("oindex-array", lambda z: z.oindex[[0, 7], :], 7, 0),
    ("oindex-negative", lambda z: z.oindex[:, [0, -7]], -7, 1),
    ("oindex-mask-and-array", lambda z: z.oindex[[True] * 5, [-1, 6]], 6, 1),
    ("vindex", lambda z: z.vindex[[0, 1], [2, 6]], 6, 1),
    ("vindex-negative", lambda z: z.vindex[[-6, 1], [2, 3]], -6, 0),
    ("getitem-list", lambda z: z[[1, 5]], 5, 0),
    ("blocks", lambda z: z.blocks[3], 3, 0),
    ("blocks-negative", lambda z: z.blocks[0, -3], -3, 1),
    ("set-basic", lambda z: z.__setitem__((0, 6), 1), 6, 1),
    ("set-oindex", lambda z: z.oindex.__setitem__(([9], slice(None)), 1), 9, 0),
    ("set-vindex", lambda z: z.vindex.__setitem__(([0], [-7]), 1), -7, 1),
]


@pytest.mark.parametrize(("op", "index", "axis"), [c[1:] for c in OUT_OF_BOUNDS], ids=[c[0] for c in OUT_OF_BOUNDS])
def test_out_of_bounds_raises_bounds_check_error_naming_axis(z2d: zarr.Array, op, index: int, axis: int) -> None:
    """The message names the index as given (not wrapped) and the axis, as NumPy's does."""
    with pytest.raises(zarr.BoundsCheckError, match=rf"index {index} is out of bounds for axis {axis}\b") as info:
        op(z2d)
    assert isinstance(info.value, IndexError)
    np.testing.assert_array_equal(z2d[...], A2D)


TOO_MANY = [
    ("basic", lambda z: z[1, 2, 3]),
    ("basic-ellipsis", lambda z: z[1, ..., 2, 3]),
    ("two-ellipses", lambda z: z[..., 1, ...]),
    ("oindex", lambda z: z.oindex[[1], [2], [3]]),
    ("vindex", lambda z: z.vindex[[1], [2], [3]]),
    ("blocks", lambda z: z.blocks[0, 0, 0]),
    ("set", lambda z: z.__setitem__((0, 0, 0), 1)),
]


@pytest.mark.parametrize("op", [op for _, op in TOO_MANY], ids=[c[0] for c in TOO_MANY])
def test_too_many_indices_raise_index_error(z2d: zarr.Array, op) -> None:
    with pytest.raises(IndexError):
        op(z2d)


BAD_SELECTIONS = [
    ("float", lambda z: z[1.5]),
    ("string", lambda z: z["a"]),
    ("float-array-oindex", lambda z: z.oindex[np.array([1.0, 2.0])]),
    ("mask-wrong-length", lambda z: z.oindex[np.array([True, False])]),
    ("mask-wrong-shape", lambda z: z.vindex[np.ones((2, 2), dtype=bool)]),
    ("vindex-not-broadcastable", lambda z: z.vindex[[1, 2], [1, 2, 3]]),
    ("blocks-step", lambda z: z.blocks[::2]),
    ("2d-oindex-array", lambda z: z.oindex[np.zeros((2, 2), dtype=int)]),
]


@pytest.mark.parametrize("op", [op for _, op in BAD_SELECTIONS], ids=[c[0] for c in BAD_SELECTIONS])
def test_unsupported_selection_raises_index_error(z2d: zarr.Array, op) -> None:
    with pytest.raises(IndexError):
        op(z2d)


def test_zero_slice_step_raises(z2d: zarr.Array) -> None:
    with pytest.raises(ValueError, match="step"):
        z2d[::0]


MISMATCHED_VALUES = [
    ("basic", lambda z: z.__setitem__((slice(0, 2), slice(0, 3)), np.ones((3, 2)))),
    ("basic-too-long", lambda z: z.__setitem__(slice(None), np.ones(7))),
    ("oindex", lambda z: z.oindex.__setitem__(([0, 1], [0, 1, 2]), np.ones((3, 2)))),
    ("vindex", lambda z: z.vindex.__setitem__(([0, 1], [0, 1]), np.ones(3))),
    ("mask", lambda z: z.vindex.__setitem__(A2D % 2 == 0, np.ones(14))),
    ("blocks", lambda z: z.blocks.__setitem__(0, np.ones((4, 4)))),
    ("not-a-number", lambda z: z.__setitem__(0, "abc")),
]


@pytest.mark.parametrize("op", [op for _, op in MISMATCHED_VALUES], ids=[c[0] for c in MISMATCHED_VALUES])
def test_mismatched_value_raises_value_error_and_changes_nothing(z2d: zarr.Array, op) -> None:
    keys_before = {k: z2d.store[k] for k in z2d.store.keys()}
    with pytest.raises(ValueError):
        op(z2d)
    assert {k: z2d.store[k] for k in z2d.store.keys()} == keys_before
    np.testing.assert_array_equal(z2d[...], A2D)


@pytest.mark.parametrize(
    ("method", "selection", "shape"),
    [
        ("get_basic_selection", (slice(0, 2), 1), (3,)),
        ("get_orthogonal_selection", ([0, 1], [1, 2, 3]), (3, 2)),
        ("get_coordinate_selection", ([0, 1], [1, 2]), (1, 2)),
        ("get_mask_selection", A2D < 3, (4,)),
        ("get_block_selection", (0,), (2, 5)),
    ],
    ids=["basic", "orthogonal", "coordinate", "mask", "block"],
)
def test_out_of_wrong_shape_raises_value_error(z2d: zarr.Array, method: str, selection: object, shape) -> None:
    with pytest.raises(ValueError, match="out"):
        getattr(z2d, method)(selection, out=np.zeros(shape, dtype="i4"))


@pytest.mark.parametrize("compressor", [None, numcodecs.Blosc(), numcodecs.Zlib()], ids=["raw", "blosc", "zlib"])
@pytest.mark.parametrize("out_dtype", ["f8", ">i4", "i8", "i2"])
def test_out_of_other_dtype_is_cast(compressor, out_dtype: str) -> None:
    """Whole-chunk reads decode straight into ``out`` only when its dtype is the array's."""
    z = zarr.array(A2D, chunks=(2, 6), compressor=compressor)
    out = np.zeros((5, 6), dtype=out_dtype)
    z.get_basic_selection(Ellipsis, out=out)
    np.testing.assert_array_equal(out, A2D)


def test_write_with_too_many_indices_leaves_array_unchanged(z2d: zarr.Array) -> None:
    with pytest.raises(IndexError):
        z2d[0, 0, 0] = 99
    np.testing.assert_array_equal(z2d[...], A2D)


def test_failed_write_in_the_middle_leaves_the_store_unchanged() -> None:
    """A bad value is rejected before the first chunk is touched."""
    z = zarr.array(A2D, chunks=(1, 1))
    before = dict(z.store.items())
    with pytest.raises(ValueError):
        z.set_orthogonal_selection((slice(None), [0, 1]), np.ones((5, 3)))
    with pytest.raises(zarr.BoundsCheckError):
        z.set_coordinate_selection(([0, 1, 2], [0, 1, 99]), 5)
    assert dict(z.store.items()) == before


@pytest.mark.parametrize(
    "index",
    [(0, 0), (6, 4), (-1, -1), (3, -5), (np.int64(2), np.uint8(3))],
    ids=["first", "last", "negative", "mixed", "numpy-integers"],
)
def test_integer_tuples_read_one_element_as_numpy(index: tuple) -> None:
    """``z[i, j]`` takes a shortcut past the indexers (``point_projection``): same result as NumPy."""
    a = np.arange(35, dtype="i2").reshape(7, 5)
    z = zarr.array(a, chunks=(3, 2))
    got = z[index]
    assert got == a[index] and type(got) is type(a[index])


@pytest.mark.parametrize("index", [(7, 0), (0, -6)], ids=["past-end", "before-start"])
def test_integer_tuples_out_of_bounds(index: tuple) -> None:
    z = zarr.zeros((7, 5), chunks=(3, 2), dtype="i2")
    with pytest.raises(IndexError, match="out of bounds"):
        z[index]


@pytest.mark.parametrize(
    "selection",
    [(slice(None), slice(None)), (3, slice(2, 9)), (slice(1, 10, 3), 7), (4, 5), (Ellipsis,)],
    ids=["all", "int-slice", "step-int", "int-int", "ellipsis"],
)
def test_basic_projections_are_the_product_of_the_axes(selection) -> None:
    """Basic selections take the tuple path (one zip per chunk): its projections are the
    per-axis projections' product, integer axes dropped from the output selection."""
    shape, chunks = (11, 10), (4, 3)
    indexer = BasicIndexer(selection, shape, chunks)
    expected = []
    for dims in itertools.product(*indexer.dim_indexers):
        out_sel = tuple(d.dim_out_selection for d in dims if d.dim_out_selection is not None)
        expected.append(
            (
                tuple(d.dim_chunk_index for d in dims),
                tuple(d.dim_chunk_selection for d in dims),
                out_sel,
                all(d.is_complete for d in dims),
            )
        )
    got = [(p.chunk_coords, p.chunk_selection, p.out_selection, p.is_complete) for p in indexer]
    assert got == expected
    data = np.arange(110).reshape(shape)
    out = np.empty(indexer.shape, dtype=data.dtype)
    for p in indexer:
        c = p.chunk_coords
        chunk = data[c[0] * 4 : c[0] * 4 + 4, c[1] * 3 : c[1] * 3 + 3]
        out[p.out_selection] = chunk[p.chunk_selection]
    np.testing.assert_array_equal(out, data[selection])


def test_zero_d_basic_selection_has_one_projection() -> None:
    (p,) = list(BasicIndexer((), (), ()))
    assert (p.chunk_coords, p.chunk_selection, p.out_selection, p.is_complete) == ((), (), (), True)
