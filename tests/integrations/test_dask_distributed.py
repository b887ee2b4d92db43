"""A real dask.distributed LocalCluster (2 worker processes) reads from and writes to the
same zarrlib arrays, results checked exactly; unaligned writes lock with a ProcessSynchronizer.

Stores are a parameter (``STORES``): each factory takes the test's ``request`` (for its
fresh ``tmp_path``, or the moto S3 server's bucket of ``tests/s3_fixtures.py``) and returns what
``zarrlib.open_array``/``create`` take as ``store``. On S3 the workers get the FSStore by
pickle (its URL and storage options) and reach the server, which runs in this process, over
loopback; the ProcessSynchronizer's lock directory is local, as all workers are on this machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import zarrlib as zarr

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

SHAPE = (40, 30)
DATA = np.arange(np.prod(SHAPE), dtype="i8").reshape(SHAPE)


def s3_store(request: pytest.FixtureRequest) -> zarr.FSStore:
    bucket = request.getfixturevalue("s3")  # an empty bucket, emptied again after the test
    return zarr.FSStore(bucket.url("data.zarr"), **bucket.storage_options)


#: store factories: the test's request -> a store (or path) for ``zarrlib.create(store=...)``
STORES: dict[str, Callable[[pytest.FixtureRequest], Any]] = {
    "directory": lambda request: str(request.getfixturevalue("tmp_path") / "data.zarr"),
    "nested-directory": lambda request: zarr.NestedDirectoryStore(request.getfixturevalue("tmp_path") / "data.zarr"),
    "s3": s3_store,
}
#: array layouts: creation kwargs; the stored grid (chunks or shards) is (8, 10)
LAYOUTS: dict[str, dict[str, Any]] = {
    "v2": {"chunks": (8, 10)},
    "v3-sharded": {"zarr_format": 3, "chunks": (4, 5), "shards": (8, 10)},
}
CASES = [pytest.param(s, lay, id=f"{s}-{lay}") for s in STORES for lay in LAYOUTS]


@pytest.fixture(scope="module")
def client():
    """One cluster for the module: starting worker processes is slow on small machines."""
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, protocol="tcp://"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def create(store_kind: str, layout: str, request, name: str, **kwargs: Any) -> zarr.Array:
    store = STORES[store_kind](request)
    return zarr.create(SHAPE, dtype="i8", store=store, path=name, **LAYOUTS[layout], **kwargs)


def test_workers_are_other_processes_running_this_zarrlib(client):
    pids = client.run(os.getpid)
    assert len(pids) == 2 and os.getpid() not in pids.values()
    assert set(client.run(lambda: zarr.__file__).values()) == {zarr.__file__}


@pytest.mark.parametrize(("store_kind", "layout"), CASES)
def test_cluster_reads_writes_and_updates_in_place(client, request, store_kind, layout):
    source = create(store_kind, layout, request, "source")
    source[:] = DATA

    # read on the workers
    x = zarr.to_dask(source)
    assert x.chunks == ((8,) * 5, (10,) * 3)
    if store_kind == "s3":
        request.getfixturevalue("s3_server").log.clear()
    np.testing.assert_array_equal(x.compute(), DATA)
    if store_kind == "s3":  # the workers read the 15 stored chunks (or shards) from the server
        assert request.getfixturevalue("s3_server").log.count("GET", "/data.zarr/source/") >= 15
    assert int(x.sum().compute()) == int(DATA.sum())

    # write a computed result into a new array on the same store
    result = zarr.from_dask(x * 2 + 1, STORES[store_kind](request), path="result", **LAYOUTS[layout])
    np.testing.assert_array_equal(
        zarr.open_array(STORES[store_kind](request), path="result", mode="r")[:], DATA * 2 + 1
    )

    # read from and write to the same array: each task updates its own stored chunk
    zarr.write_dask(zarr.to_dask(result) - DATA, result)
    np.testing.assert_array_equal(result[:], DATA + 1)

    # and dask's own API on zarrlib arrays
    da.store(da.from_array(source, chunks=source.shards or source.chunks)[::-1], result, lock=False)
    np.testing.assert_array_equal(result[:], DATA[::-1])


@pytest.mark.parametrize(("store_kind", "layout"), CASES)
def test_cluster_unaligned_write_with_a_process_synchronizer(client, request, tmp_path, store_kind, layout):
    z = create(store_kind, layout, request, "target")
    z[:] = -1
    x = da.from_array(DATA, chunks=(3, 7))  # every task boundary splits stored chunks
    with pytest.raises(zarr.ChunkAlignmentError):
        zarr.write_dask(x, z)
    locks = tmp_path / "locks"
    zarr.write_dask(x, z, synchronizer=zarr.ProcessSynchronizer(locks))
    np.testing.assert_array_equal(z[:], DATA)
    assert len(list(locks.iterdir())) >= 1  # the workers took the locks

    # a region write whose edges and inner boundaries cut chunks, from another zarrlib array
    source = create(store_kind, layout, request, "source")
    source[:] = DATA
    y = zarr.to_dask(source, chunks=(6, 9))[5:31, 3:28] * 10
    zarr.write_dask(y, z, region=(slice(7, 33), slice(1, 26)), synchronizer=zarr.ProcessSynchronizer(locks))
    expected = DATA.copy()
    expected[7:33, 1:26] = DATA[5:31, 3:28] * 10
    np.testing.assert_array_equal(z[:], expected)
