"""The property-based indexing suite (tests/strategies.py) on Zarr v3 arrays, sharded and not:
every selection kind reads and writes exactly what NumPy does."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/strategies.py

import zarrlib as zarr

try:
    from strategies import (
        SELECTION_KINDS,
        array_specs,
        assert_array_matches,
        basic_selections,
        numpy_arrays,
        property_settings,
        selections,
        shapes,
        supports,
        values_for,
    )
except ImportError:  # the shared strategies (tests/strategies.py) are not in this checkout
    pytest.skip("tests/strategies.py is missing", allow_module_level=True)
from zarrlib.metadata.v3 import native_dtype

PROPERTY = property_settings(25)


@st.composite
def v3_arrays(draw: st.DrawFn, kind: str):
    """A v3 array (maybe sharded, index at either end) with random data in a random region, and its model."""
    spec = draw(array_specs(shape=shapes(min_dims=0 if supports(kind, ()) else 1)), label="spec")
    spec = dataclasses.replace(spec, dtype=native_dtype(spec.dtype), order="C")  # v3 types have no byte order
    shards = None
    if draw(st.booleans(), label="sharded"):
        shards = tuple(c * draw(st.integers(1, 3)) for c in spec.chunks)
    z = zarr.create(
        spec.shape,
        chunks=spec.chunks,
        shards=shards,
        dtype=spec.dtype,
        fill_value=spec.fill_value,
        compressor=spec.compressor,
        zarr_format=3,
        index_location=draw(st.sampled_from(["end", "start"]), label="index_location"),
    )
    model = spec.model()
    region = draw(basic_selections(spec.shape), label="initial region")
    if draw(st.booleans(), label="write initial data"):
        piece = draw(numpy_arrays(spec.dtype, spec.shape), label="initial data")[region.selection]
        z[region.selection] = piece
        model[region.selection] = piece
    return spec, z, model


@pytest.mark.parametrize("kind", SELECTION_KINDS)
@PROPERTY
@given(data=st.data())
def test_v3_read_matches_numpy(kind: str, data: st.DataObject) -> None:
    spec, z, model = data.draw(v3_arrays(kind))
    sel = data.draw(selections(kind, spec.shape, z._grid_chunks), label="selection")
    assert_array_matches(sel.zarr_get(z, via="view"), sel.np_get(model), spec.dtype)


@pytest.mark.parametrize("kind", SELECTION_KINDS)
@PROPERTY
@given(data=st.data())
def test_v3_write_matches_numpy(kind: str, data: st.DataObject) -> None:
    spec, z, model = data.draw(v3_arrays(kind))
    sel = data.draw(selections(kind, spec.shape, z._grid_chunks), label="selection")
    value = data.draw(values_for(spec.dtype, sel.result_shape), label="value")
    sel.np_set(model, value)
    sel.zarr_set(z, value, via="view")
    assert_array_matches(z[...], model)
    assert_array_matches(zarr.Array(z.store)[...], model)  # what is stored, read afresh
