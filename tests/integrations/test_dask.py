"""zarrlib <-> dask on the local schedulers: lazy chunk-wise reads, chunk-aligned writes,
unaligned writes refused without a synchronizer and exact with one, cheap pickling."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.storage import MemoryStore

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

DATA = np.arange(10 * 7, dtype="i4").reshape(10, 7)


class CountingStore(MemoryStore):
    """Records every key read, to tell lazy reads from eager ones."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def _get(self, key: str) -> bytes:
        self.reads.append(key)
        return super()._get(key)


class SlowMemoryStore(MemoryStore):
    """Sleeps after each chunk read, found or not, so unsynchronized read-modify-write
    tasks reliably race."""

    def _get(self, key: str) -> bytes:
        try:
            return super()._get(key)
        finally:
            if not key.endswith((".zarray", "zarr.json")):
                time.sleep(0.005)


def make(kind: str, store=None, **kwargs) -> zarr.Array:
    if kind == "v3-sharded":
        kwargs = {"zarr_format": 3, "shards": (8, 6), **kwargs}
    z = zarr.create(DATA.shape, chunks=(4, 3), dtype=DATA.dtype, store=store, **kwargs)
    z[:] = DATA
    return z


KINDS = ["v2", "v3", "v3-sharded"]


def test_import_zarrlib_does_not_import_dask_or_xarray():
    code = "import sys, zarrlib; print(sorted({'dask', 'distributed', 'xarray'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lazy_names_are_exported():
    assert {"to_dask", "from_dask", "write_dask"} <= set(dir(zarr))
    with pytest.raises(AttributeError, match="no attribute 'to_dusk'"):
        _ = zarr.to_dusk


@pytest.mark.parametrize("kind", ["v2", "v3"])
def test_to_dask_is_chunked_like_the_array(kind):
    z = make("v3" if kind == "v3" else "v2", zarr_format=3 if kind == "v3" else 2)
    x = zarr.to_dask(z)
    assert x.chunks == ((4, 4, 2), (3, 3, 1))
    assert x.dtype == z.dtype
    np.testing.assert_array_equal(x.compute(), DATA)


def test_to_dask_of_a_sharded_array_has_one_task_per_shard():
    z = make("v3-sharded")
    x = z.to_dask()
    assert x.chunks == ((8, 2), (6, 1))
    np.testing.assert_array_equal(x.compute(), DATA)


@pytest.mark.parametrize("kind", KINDS)
def test_to_dask_rechunks_as_asked(kind):
    z = make(kind)
    x = zarr.to_dask(z, chunks=(5, 7))
    assert x.chunks == ((5, 5), (7,))
    np.testing.assert_array_equal(x[3:9, 2:].compute(), DATA[3:9, 2:])
    np.testing.assert_array_equal(z.to_dask(chunks=2).compute(), DATA)


def test_to_dask_reads_lazily_and_only_the_chunks_a_task_needs():
    store = CountingStore()
    z = make("v2", store=store)
    store.reads.clear()
    x = zarr.to_dask(z)
    assert [k for k in store.reads if not k.startswith(".z")] == []  # building the graph reads no chunk
    block = x.blocks[1, 2].compute(scheduler="sync")
    np.testing.assert_array_equal(block, DATA[4:8, 6:7])
    assert [k for k in store.reads if not k.startswith(".z")] == ["1.2"]


def test_to_dask_refuses_what_is_not_a_zarrlib_array():
    with pytest.raises(TypeError, match="zarrlib Array, got ndarray"):
        zarr.to_dask(DATA)


@pytest.mark.parametrize("kind", KINDS)
def test_dask_from_array_and_store_work_directly(kind):
    z = make(kind)
    x = da.from_array(z, chunks=z.chunks)
    assert x.chunks == ((4, 4, 2), (3, 3, 1))
    np.testing.assert_array_equal((x + 1).compute(), DATA + 1)
    assert int(da.from_array(z).sum().compute()) == int(DATA.sum())  # dask's "auto" chunks
    target = make(kind)
    target[:] = 0
    grid = z.shards or z.chunks
    da.store(x.rechunk(grid) * 3, target, lock=False)
    np.testing.assert_array_equal(target[:], DATA * 3)


@pytest.mark.parametrize("kind", KINDS)
def test_write_dask_aligned(kind):
    z = make(kind)
    z[:] = 0
    grid = z.shards or z.chunks
    zarr.write_dask(da.from_array(DATA, chunks=grid) - 5, z)
    np.testing.assert_array_equal(z[:], DATA - 5)


@pytest.mark.parametrize("kind", KINDS)
def test_write_dask_unaligned_without_synchronizer_is_refused(kind):
    z = make(kind)
    z[:] = 0
    x = da.from_array(DATA, chunks=(5, 7))
    with pytest.raises(zarr.ChunkAlignmentError, match=r"index 5 of axis 0.*synchronizer=zarrlib.ProcessSynchronizer"):
        zarr.write_dask(x, z)
    assert isinstance(zarr.ChunkAlignmentError("x"), ValueError)
    assert not z[:].any()  # nothing was written


def test_write_dask_unaligned_with_a_synchronizer_keeps_every_update():
    """Dask chunks of 3 rows on stored chunks of 4 rows, on a store slow enough that
    unsynchronized tasks lose updates: with the synchronizer every element arrives."""
    data = np.arange(60 * 8, dtype="i8").reshape(60, 8) + 1
    z = zarr.zeros(data.shape, chunks=(4, 8), dtype="i8", store=SlowMemoryStore())
    x = da.from_array(data, chunks=(3, 8))
    with dask.config.set(scheduler="threads", num_workers=8):
        zarr.write_dask(x, z, synchronizer=zarr.ThreadSynchronizer())
    np.testing.assert_array_equal(z[:], data)


def test_the_same_unaligned_write_is_refused_or_loses_updates_without_a_synchronizer():
    """The control of the test above: bypassing write_dask's check, dask's own unlocked store
    of the same workload on threads either collides (zarrlib raises ConcurrentWriteError
    naming the chunk) or loses updates (tried a few times; either outcome suffices, a clean
    exact result every time would mean the workload does not race)."""
    data = np.arange(60 * 8, dtype="i8").reshape(60, 8) + 1
    unsafe = False
    for _ in range(3):
        z = zarr.zeros(data.shape, chunks=(4, 8), dtype="i8", store=SlowMemoryStore())
        try:
            with dask.config.set(scheduler="threads", num_workers=8):
                da.store(da.from_array(data, chunks=(3, 8)), z, lock=False)
        except zarr.errors.ConcurrentWriteError as e:
            assert "chunk" in str(e) and "synchronizer" in str(e)
            unsafe = True
            break
        if (z[:] == 0).any():
            unsafe = True
            break
    assert unsafe


def test_write_dask_uses_the_arrays_own_synchronizer(tmp_path):
    z = make("v2", synchronizer=zarr.ProcessSynchronizer(tmp_path / "locks"))
    zarr.write_dask(da.from_array(DATA * 2, chunks=(5, 5)), z)
    np.testing.assert_array_equal(z[:], DATA * 2)
    assert list((tmp_path / "locks").iterdir())  # the locks were taken


@pytest.mark.parametrize("kind", KINDS)
def test_write_dask_into_a_region(kind):
    z = make(kind)
    z[:] = 0
    # region rows 4..10: the task boundary at 4 + 4 = 8 is a boundary of chunks (and shards)
    zarr.write_dask(da.from_array(DATA[:6], chunks=(4, 7)), z, region=(slice(4, 10),))
    expected = np.zeros_like(DATA)
    expected[4:10] = DATA[:6]
    np.testing.assert_array_equal(z[:], expected)
    # the same source at rows 3..9 puts a task boundary at row 7, inside a chunk
    with pytest.raises(zarr.ChunkAlignmentError, match="index 7 of axis 0"):
        zarr.write_dask(da.from_array(DATA[:6], chunks=(4, 7)), z, region=(slice(3, 9),))


def test_write_dask_checks_shape_and_region():
    z = make("v2")
    with pytest.raises(ValueError, match=r"shape \(3, 7\) into a region of shape \(10, 7\)"):
        zarr.write_dask(da.zeros((3, 7), chunks=3), z)
    with pytest.raises(ValueError, match="need step 1"):
        zarr.write_dask(da.zeros((5, 7), chunks=3), z, region=(slice(0, 10, 2),))
    with pytest.raises(TypeError, match="zarrlib Array"):
        zarr.write_dask(da.zeros(3), np.zeros(3))


def test_write_dask_into_a_read_only_array_is_refused_before_any_task(tmp_path):
    make("v2", store=str(tmp_path / "r.zarr"))
    z = zarr.open_array(tmp_path / "r.zarr", mode="r")
    with pytest.raises(zarr.ReadOnlyError, match="is read-only"):
        zarr.write_dask(da.zeros(DATA.shape, chunks=(4, 3), dtype="i4"), z, compute=False)


def test_write_dask_compute_false_writes_when_computed():
    z = make("v2")
    z[:] = 0
    delayed = zarr.write_dask(da.ones(DATA.shape, chunks=(4, 3), dtype="i4"), z, compute=False)
    assert not z[:].any()
    delayed.compute()
    assert (z[:] == 1).all()


def test_thread_synchronizer_under_a_process_scheduler_warns():
    z = make("v2")
    x = da.from_array(DATA, chunks=(5, 7))
    with dask.config.set(scheduler="processes"), pytest.warns(UserWarning, match="ProcessSynchronizer"):
        zarr.write_dask(x, z, synchronizer=zarr.ThreadSynchronizer(), compute=False)


def test_from_dask_takes_the_dask_chunks_and_creation_kwargs(tmp_path):
    x = da.from_array(DATA, chunks=(5, 4))
    z = zarr.from_dask(x, tmp_path / "a.zarr", compressor=zarr.Zlib(level=1), fill_value=-1)
    assert (z.chunks, z.dtype, z.compressor, z.fill_value) == ((5, 4), DATA.dtype, zarr.Zlib(level=1), -1)
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "a.zarr", mode="r")[:], DATA)

    v3 = zarr.from_dask(
        x.rechunk((8, 6)), tmp_path / "b.zarr", path="g/v", zarr_format=3, shards=(8, 6), chunks=(4, 3),
        dimension_names=("y", "x"), dtype="f8",
    )  # fmt: skip
    assert (v3.zarr_format, v3.shards, v3.chunks, v3.dimension_names, v3.dtype) == (
        3, (8, 6), (4, 3), ("y", "x"), np.dtype("f8"),
    )  # fmt: skip
    np.testing.assert_array_equal(zarr.open_array(tmp_path / "b.zarr", path="g/v", mode="r")[:], DATA)


def test_from_dask_unaligned_needs_a_synchronizer(tmp_path):
    x = da.from_array(DATA, chunks=(5, 7))
    with pytest.raises(zarr.ChunkAlignmentError, match=r"stored chunks of shape \(8, 6\)"):
        zarr.from_dask(x, tmp_path / "c.zarr", zarr_format=3, shards=(8, 6), chunks=(4, 3))
    z = zarr.from_dask(
        x, tmp_path / "c.zarr", zarr_format=3, shards=(8, 6), chunks=(4, 3), overwrite=True,
        synchronizer=zarr.ProcessSynchronizer(tmp_path / "locks"),
    )  # fmt: skip
    np.testing.assert_array_equal(z[:], DATA)


def test_from_dask_compute_false_returns_a_delayed(tmp_path):
    delayed = zarr.from_dask(da.ones(6, chunks=3), tmp_path / "d.zarr", compute=False)
    z = zarr.open_array(tmp_path / "d.zarr", mode="r")
    assert z.shape == (6,) and not z[:].any()
    delayed.compute()
    assert z[:].tolist() == [1.0] * 6


def test_from_dask_refuses_numpy():
    with pytest.raises(TypeError, match="dask array, got ndarray"):
        zarr.from_dask(DATA)


@pytest.mark.parametrize("kind", KINDS)
def test_directory_array_pickles_cheaply_and_reopens_in_another_process(tmp_path, kind):
    z = make(kind, store=str(tmp_path / "p.zarr"))
    payload = pickle.dumps(z)
    assert len(payload) < 1000  # the store's path and options, no chunk data
    z[0, 0] = -1  # written after pickling: the copy reads the store, not a snapshot
    code = (
        "import pickle, sys; import numpy as np; z = pickle.load(sys.stdin.buffer); "
        "z[9, 6] = -2; print(int(z[0, 0]), int(z[:].sum()))"
    )
    out = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True, check=True).stdout
    assert out.split() == [b"-1", str(int(DATA.sum()) - 1 - DATA[9, 6] - 2).encode()]
    assert z[9, 6] == -2  # and the other process's write is seen here


def test_to_dask_names_follow_the_stored_array(tmp_path):
    make("v2", store=str(tmp_path / "n.zarr"))
    first = zarr.to_dask(zarr.open_array(tmp_path / "n.zarr", mode="r"))
    again = zarr.to_dask(zarr.open_array(tmp_path / "n.zarr", mode="r"))
    assert first.name == again.name and first.name.startswith("zarrlib-")
    assert zarr.to_dask(zarr.open_array(tmp_path / "n.zarr"), chunks=5).name != first.name
    # in-memory arrays are named by identity, not by pickling their data
    one, two = make("v2"), make("v2")  # both alive: identities differ
    assert one.to_dask().name != two.to_dask().name
    assert zarr.to_dask(make("v2"), name="mine").name == "mine"
