"""Chunk I/O against a NumPy model: a stateful machine interleaving writes, reads, resizes and
appends on a memory store and on a directory store; write_empty_chunks; the single-chunk
steps of ``zarrlib.chunk``; threading and batched fetches in ``zarrlib.io``."""

from __future__ import annotations

import re
import shutil
import tempfile
from typing import Any

import numcodecs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import zarrlib as zarr
from strategies import (
    ArraySpec,
    Selection,
    array_specs,
    assert_array_matches,
    chunk_grid,
    numpy_arrays,
    property_settings,
    selections,
    shapes,
    supports,
    values_for,
)
from zarrlib import io
from zarrlib.chunk import decode_chunk, fill_chunk, is_fill_only, merge_chunk
from zarrlib.codecs.v2 import V2ChunkCodec
from zarrlib.errors import ChunkDecodeError
from zarrlib.storage import DirectoryStore, MemoryStore

WRITE_KINDS = ("basic", "orthogonal", "coordinate", "mask", "block", "getitem")


def decoded_chunks(z: zarr.Array, spec: ArraySpec) -> dict[tuple[int, ...], np.ndarray]:
    """Every chunk key in the store, decoded with numcodecs directly (not with zarrlib)."""
    found = {}
    for key in z.store.keys():
        if key.startswith("."):
            continue
        raw = z.store[key]
        if spec.compressor is not None:
            raw = spec.compressor.decode(raw)
        chunk = np.frombuffer(bytes(raw), dtype=spec.dtype).reshape(spec.chunks, order=spec.order)
        found[tuple(int(c) for c in re.split(r"[./]", key))] = chunk
    return found


def holds_only(chunk: np.ndarray, value: np.ndarray) -> bool:
    try:
        assert_array_matches(chunk, np.full(chunk.shape, value, dtype=chunk.dtype))
    except AssertionError:
        return False
    return True


def masked_compare(actual: Any, expected: Any, known: Any, dtype: np.dtype) -> None:
    """Compare only the elements whose value the model knows."""
    if np.ndim(expected) == 0:  # NumPy scalars are native-endian: compare as the array's dtype
        assert np.asarray(actual).dtype.kind == dtype.kind
        actual, expected = np.asarray(actual, dtype=dtype), np.asarray(expected, dtype=dtype)
    actual, expected, known = np.asarray(actual), np.asarray(expected), np.asarray(known, dtype=bool)
    assert actual.shape == expected.shape
    assert_array_matches(actual[known], expected[known], dtype)


# -- the stateful machine ----------------------------------------------------------------------


class ArrayMachine(RuleBasedStateMachine):
    """A zarrlib array and a NumPy model, driven by random writes, reads, resizes and appends.

    After a shrink, the stored chunks cut by the new edge keep their old values beyond it
    (as zarr-python); growing again shows them. The model marks such elements unknown until
    they are written, and checks the rest exactly.
    """

    store_kind = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.tmpdir: str | None = None

    @initialize(
        spec=array_specs(shape=shapes(min_dims=1, max_dims=3, max_side=5)),
        write_empty_chunks=st.booleans(),
        separator=st.sampled_from([".", "/"]),
    )
    def create(self, spec: ArraySpec, write_empty_chunks: bool, separator: str) -> None:
        if self.store_kind == "directory":
            self.tmpdir = tempfile.mkdtemp(prefix="zarrlib-machine-")
            store: Any = DirectoryStore(self.tmpdir)
        else:
            store = MemoryStore()
        self.spec = spec
        self.z = spec.create(store=store, write_empty_chunks=write_empty_chunks, dimension_separator=separator)
        self.model = spec.model()
        self.known = np.ones(spec.shape, dtype=bool)

    def teardown(self) -> None:
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.model.shape

    def _draw_selection(self, data: st.DataObject) -> Selection:
        kinds = [k for k in WRITE_KINDS if supports(k, self.shape)]
        kind = data.draw(st.sampled_from(kinds), label="kind")
        return data.draw(selections(kind, self.shape, self.spec.chunks), label="selection")

    @rule(data=st.data())
    def write(self, data: st.DataObject) -> None:
        sel = self._draw_selection(data)
        fill_biased = st.just(self.spec.fill_scalar[()]) | values_for(self.spec.dtype, sel.result_shape)
        value = data.draw(fill_biased, label="value")
        sel.zarr_set(self.z, value, via=data.draw(st.sampled_from(["method", "view"]), label="via"))
        sel.np_set(self.model, value)
        sel.np_set(self.known, True)

    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        sel = self._draw_selection(data)
        actual = sel.zarr_get(self.z, via=data.draw(st.sampled_from(["method", "view"]), label="via"))
        masked_compare(actual, sel.np_get(self.model), sel.np_get(self.known), self.spec.dtype)

    @rule(data=st.data())
    def resize(self, data: st.DataObject) -> None:
        new_shape = tuple(data.draw(st.integers(0, 7), label=f"axis {i}") for i in range(len(self.shape)))
        self.z.resize(*new_shape)
        self._model_resize(new_shape)

    @precondition(lambda self: len(self.shape) > 0)
    @rule(data=st.data())
    def append(self, data: st.DataObject) -> None:
        axis = data.draw(st.integers(0, len(self.shape) - 1), label="axis")
        extra = list(self.shape)
        extra[axis] = data.draw(st.integers(0, 4), label="rows")
        values = data.draw(numpy_arrays(self.spec.dtype, tuple(extra)), label="values")
        old = self.shape
        new_shape = self.z.append(values, axis=axis)
        expected_shape = tuple(n + (extra[axis] if i == axis else 0) for i, n in enumerate(old))
        assert new_shape == expected_shape
        self._model_resize(new_shape)
        region = tuple(slice(old[i], None) if i == axis else slice(None) for i in range(len(old)))
        self.model[region] = values
        self.known[region] = True

    def _model_resize(self, new_shape: tuple[int, ...]) -> None:
        old_shape, chunks = self.shape, self.spec.chunks
        overlap = tuple(slice(0, min(a, b)) for a, b in zip(old_shape, new_shape, strict=True))
        model, known = self.spec.model(new_shape), np.zeros(new_shape, dtype=bool)
        model[overlap], known[overlap] = self.model[overlap], self.known[overlap]
        # New elements in a chunk the old shape reached may hold values from before a shrink:
        # unknown. Elements of chunks beyond the old grid read as the fill value.
        old_grid = chunk_grid(old_shape, chunks)
        idx = np.indices(new_shape)
        in_old_grid = np.ones(new_shape, dtype=bool)
        inside_old = np.ones(new_shape, dtype=bool)
        for axis, (g, c, n) in enumerate(zip(old_grid, chunks, old_shape, strict=True)):
            in_old_grid &= idx[axis] // c < g
            inside_old &= idx[axis] < n
        known |= ~inside_old & ~in_old_grid
        self.model, self.known = model, known

    @invariant()
    def matches_model(self) -> None:
        if not hasattr(self, "z"):
            return
        assert self.z.shape == self.shape
        masked_compare(self.z[...], self.model, self.known, self.spec.dtype)

    @invariant()
    def store_holds_no_stray_chunks(self) -> None:
        if not hasattr(self, "z"):
            return
        grid = chunk_grid(self.shape, self.spec.chunks)
        check_fill = self.spec.fill_value is not None and not self.z.write_empty_chunks
        for coords, chunk in decoded_chunks(self.z, self.spec).items():
            assert all(c < g for c, g in zip(coords, grid, strict=True)), f"chunk {coords} outside grid {grid}"
            if check_fill:
                assert not holds_only(chunk, self.spec.fill_scalar), f"chunk {coords} is all fill but stored"


ArrayMachine.TestCase.settings = property_settings(25, stateful_step_count=15)


class DirectoryArrayMachine(ArrayMachine):
    store_kind = "directory"


DirectoryArrayMachine.TestCase.settings = property_settings(12, stateful_step_count=12)

TestArrayOnMemoryStore = ArrayMachine.TestCase
TestArrayOnDirectoryStore = DirectoryArrayMachine.TestCase


# -- write_empty_chunks ----------------------------------------------------------------------------


@property_settings(40)
@given(data=st.data())
def test_no_chunk_that_is_all_fill_value_is_stored(data: st.DataObject) -> None:
    """Writes mixing the fill value and other values, then checks every stored key."""
    spec = data.draw(
        array_specs(shape=shapes(min_dims=1, max_dims=2, max_side=6)).filter(lambda s: s.fill_value is not None)
    )
    z = spec.create()
    model = spec.model()
    fill = spec.fill_scalar[()]
    for i in range(data.draw(st.integers(1, 4), label="writes")):
        kind = data.draw(st.sampled_from([k for k in WRITE_KINDS if supports(k, spec.shape)]), label=f"kind {i}")
        sel = data.draw(selections(kind, spec.shape, spec.chunks), label=f"selection {i}")
        value = data.draw(st.just(fill) | values_for(spec.dtype, sel.result_shape), label=f"value {i}")
        sel.zarr_set(z, value)
        sel.np_set(model, value)
    assert_array_matches(z[...], model)
    for coords, chunk in decoded_chunks(z, spec).items():
        assert not holds_only(chunk, spec.fill_scalar), f"chunk {coords} holds only the fill value"


@pytest.mark.parametrize(
    ("dtype", "fill"),
    [
        ("i4", 7),
        ("f8", np.nan),
        ("c16", complex(np.nan, 1)),
        ("M8[s]", np.datetime64("NaT")),
        ("U3", "ab"),
        ("S2", b"x"),
    ],
    ids=["int", "nan", "complex-nan", "nat", "unicode", "bytes"],
)
def test_writing_the_fill_value_deletes_the_chunk(dtype: str, fill: Any) -> None:
    z = zarr.full((6,), fill_value=fill, chunks=3, dtype=dtype)
    other = np.zeros((), dtype=dtype)[()]
    z[:] = other
    assert sorted(k for k in z.store if not k.startswith(".")) == ["0", "1"]
    z[:4] = fill
    assert sorted(k for k in z.store if not k.startswith(".")) == ["1"]
    z[4:] = fill
    assert [k for k in z.store if not k.startswith(".")] == []
    assert_array_matches(z[:], np.full(6, fill, dtype=dtype))


def test_complex_nan_fill_keeps_chunks_that_differ_in_the_other_part() -> None:
    z = zarr.full((4,), fill_value=complex(np.nan, 1), chunks=2, dtype="c16")
    z[:] = complex(np.nan, 2)
    assert sorted(k for k in z.store if not k.startswith(".")) == ["0", "1"]
    assert_array_matches(z[:], np.full(4, complex(np.nan, 2)))


def test_write_empty_chunks_true_stores_fill_chunks() -> None:
    z = zarr.zeros((6,), chunks=3, dtype="i2", write_empty_chunks=True)
    z[:] = 0
    assert sorted(k for k in z.store if not k.startswith(".")) == ["0", "1"]


def test_fill_value_none_never_drops_chunks_and_reads_zero_items() -> None:
    z = zarr.empty((4,), chunks=2, dtype="U3")
    assert z[:].tolist() == ["", "", "", ""]  # not '0': a missing chunk reads as zero bytes
    z[:2] = ""
    assert [k for k in z.store if not k.startswith(".")] == ["0"]


# -- chunk.py ----------------------------------------------------------------------------------------


def _codec(shape: tuple[int, ...], dtype: str, order: str = "C", compressor: Any = None) -> V2ChunkCodec:
    return V2ChunkCodec(shape, np.dtype(dtype), order, compressor, [])


IS_FILL_ONLY = [
    ("int-yes", np.full(3, 5, dtype="i4"), 5, True),
    ("int-no", np.array([5, 5, 6], dtype="i4"), 5, False),
    ("nan-yes", np.full(3, np.nan), np.nan, True),
    ("nan-no", np.array([np.nan, 0.0]), np.nan, False),
    ("float-nan-chunk", np.array([np.nan, 1.0]), 1.0, False),
    ("complex-nan-yes", np.full(2, complex(np.nan, 1)), complex(np.nan, 1), True),
    ("complex-nan-other-imag", np.full(2, complex(np.nan, 2)), complex(np.nan, 1), False),
    ("nat-yes", np.full(2, np.datetime64("NaT"), dtype="M8[s]"), np.datetime64("NaT"), True),
    ("nat-no", np.array(["NaT", "2020-01-01"], dtype="M8[s]"), np.datetime64("NaT"), False),
    ("big-endian", np.full(3, 258, dtype=">i4"), np.int32(258), True),
    ("string", np.array(["ab", "ab"]), "ab", True),
    ("bytes-no", np.array([b"ab", b"a"]), b"ab", False),
    ("none", np.zeros(3), None, False),
    ("zero-size", np.zeros(0), 0.0, True),
]


@pytest.mark.parametrize(("chunk", "fill", "expected"), [c[1:] for c in IS_FILL_ONLY], ids=[c[0] for c in IS_FILL_ONLY])
def test_is_fill_only(chunk: np.ndarray, fill: Any, expected: bool) -> None:
    assert is_fill_only(chunk, fill) is expected


@pytest.mark.parametrize("order", ["C", "F"])
def test_merge_chunk_copies_and_keeps_order(order: str) -> None:
    codec = _codec((2, 3), "i4", order)
    existing = np.arange(6, dtype="i4").reshape(2, 3)
    existing.setflags(write=False)  # decoded chunks may be read-only views of the codec's buffer
    merged = merge_chunk(existing, codec, 0, (slice(None), 1), np.array([10, 11]))
    np.testing.assert_array_equal(merged, [[0, 10, 2], [3, 11, 5]])
    np.testing.assert_array_equal(existing, np.arange(6).reshape(2, 3))
    assert merged.flags.c_contiguous if order == "C" else merged.flags.f_contiguous


@pytest.mark.parametrize(("fill", "expected"), [(None, 0), (3, 3), (np.nan, np.nan)], ids=["none", "int", "nan"])
def test_merge_chunk_without_existing_starts_from_fill(fill: Any, expected: Any) -> None:
    codec = _codec((4,), "f8")
    merged = merge_chunk(None, codec, fill, slice(1, 2), 9.0)
    np.testing.assert_array_equal(merged, [expected, 9.0, expected, expected])


def test_fill_chunk_of_strings_is_empty_strings_without_fill() -> None:
    assert fill_chunk(_codec((2,), "U2"), None).tolist() == ["", ""]


@pytest.mark.parametrize("raw", [b"", b"\x00" * 7, b"garbage bytes!!!"], ids=["empty", "short", "not-blosc"])
def test_decode_failure_names_the_key(raw: bytes) -> None:
    codec = _codec((4,), "i4", compressor=numcodecs.Blosc())
    with pytest.raises(ChunkDecodeError, match=r"'arr/0\.1'"):
        decode_chunk(codec, raw, "arr/0.1")


@pytest.mark.parametrize("compressor", [None, numcodecs.Blosc(), numcodecs.Zlib()], ids=["raw", "blosc", "zlib"])
def test_a_chunk_of_the_wrong_size_is_a_decode_error(compressor: Any) -> None:
    z = zarr.zeros((4, 4), chunks=(2, 2), dtype="i4", compressor=compressor)
    short = np.arange(3, dtype="i4").tobytes()
    z.store["0.0"] = compressor.encode(short) if compressor is not None else short
    with pytest.raises(ChunkDecodeError, match=r"0\.0"):
        z[...]
    with pytest.raises(ChunkDecodeError, match=r"0\.0"):
        z[0, 0] = 1  # a partial write must read the chunk first


# -- io.py -------------------------------------------------------------------------------------------


@pytest.fixture
def workers():
    """Restore the worker count a test changes."""
    previous = io.get_num_workers()
    yield
    io.set_num_workers(previous)


@pytest.mark.parametrize("n", [1, 2, 8], ids=["serial", "two", "eight"])
def test_worker_count_does_not_change_results(workers, n: int) -> None:
    io.set_num_workers(n)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 100, size=(37, 23)).astype("i4")
    z = zarr.array(a, chunks=(4, 5))
    np.testing.assert_array_equal(z[...], a)
    idx = rng.integers(0, 37, size=200), rng.integers(0, 23, size=200)
    np.testing.assert_array_equal(z.vindex[idx], a[idx])
    z.vindex[idx] = -1
    a[idx] = -1
    np.testing.assert_array_equal(z[...], a)


@pytest.mark.parametrize("n", [0, -1, 1.5], ids=["zero", "negative", "float"])
def test_invalid_worker_count_is_rejected(workers, n: Any) -> None:
    with pytest.raises(ValueError, match="workers"):
        io.set_num_workers(n)


class BatchingStore(MemoryStore):
    """A store that prefers batched fetches, counting them."""

    prefers_batch = True

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def get_many(self, keys: Any) -> dict[str, bytes]:
        keys = list(keys)
        self.batches.append(len(keys))
        return super().get_many(keys)


def test_stores_that_prefer_batches_get_one_request_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(io, "BATCH_SIZE", 4)
    store = BatchingStore()
    a = np.arange(100, dtype="i8").reshape(10, 10)
    z = zarr.array(a, chunks=(2, 5), store=store, fill_value=-1)
    del store["0.1"]  # a missing chunk in a batch reads as the fill value
    a[0:2, 5:10] = -1
    np.testing.assert_array_equal(z[...], a)
    assert store.batches == [4, 4, 2]
    np.testing.assert_array_equal(z.oindex[[9, 0], [7, 1]], a[np.ix_([9, 0], [7, 1])])


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("compressor", [None, numcodecs.Blosc(), numcodecs.Zlib()], ids=["raw", "blosc", "zlib"])
def test_chunk_aligned_reads_decode_into_the_output(order: str, compressor: Any) -> None:
    a = np.arange(48, dtype="<u2").reshape(4, 12)
    z = zarr.array(a, chunks=(4, 3), order=order, compressor=compressor)
    np.testing.assert_array_equal(z[...], a)
    np.testing.assert_array_equal(z[:, 3:9], a[:, 3:9])
    out = np.full((4, 12), 7, dtype="<u2", order=order)
    z.get_basic_selection(Ellipsis, out=out)
    np.testing.assert_array_equal(out, a)


def test_lazy_source_is_copied_chunk_by_chunk() -> None:
    """``z2[:] = z1`` reads z1 one destination chunk region at a time."""
    a = np.arange(60, dtype="f4").reshape(6, 10)
    z1 = zarr.array(a, chunks=(4, 4))
    reads: list[Any] = []
    original = z1.get_basic_selection

    def spy(selection: Any = Ellipsis, out: Any = None) -> Any:
        reads.append(selection)
        return original(selection, out=out)

    z1.get_basic_selection = spy  # type: ignore[method-assign]
    z2 = zarr.zeros((6, 10), chunks=(3, 5), dtype="f4")
    z2[...] = z1
    np.testing.assert_array_equal(z2[...], a)
    assert len(reads) == z2.nchunks


@pytest.mark.parametrize("where", ["first", "last", "middle"])
def test_chunks_whose_first_line_is_fill_are_still_stored(where: str) -> None:
    """is_fill_only probes a chunk's first line before scanning it all: data elsewhere counts."""
    a = np.zeros((8, 80), dtype="i4")
    a[{"first": 0, "last": 7, "middle": 4}[where], {"first": 70, "last": 79, "middle": 40}[where]] = 1
    z = zarr.zeros((8, 80), chunks=(8, 80), dtype="i4")
    z[...] = a
    assert "0.0" in z.store
    np.testing.assert_array_equal(z[...], a)
    z[...] = np.zeros((8, 80), dtype="i4")
    assert "0.0" not in z.store


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("compressor", [None, numcodecs.Blosc()], ids=["raw", "blosc"])
def test_writes_from_views_and_reads_through_the_scratch_buffer(order: str, compressor: Any) -> None:
    """Chunks cut from a strided value are gathered into a reused per-thread buffer before
    encoding; reads of chunks whose region of out is strided decode into one: neither may leak
    one chunk's data into another."""
    big = np.arange(40 * 60, dtype="i8").reshape(40, 60)
    value = big[::2, ::3]  # strided: no chunk of it is contiguous
    z = zarr.full(value.shape, -1, chunks=(5, 4), dtype="i8", order=order, compressor=compressor)
    z[...] = value
    np.testing.assert_array_equal(z[...], value)
    np.testing.assert_array_equal(z[3:17, 1:19], value[3:17, 1:19])
    out = np.zeros((20, 20), dtype="i8").T  # an F-ordered out: every region is strided for C chunks
    z.get_basic_selection(Ellipsis, out=out)
    np.testing.assert_array_equal(out, value)
