"""One adapter per library under test, all with the same small interface, plus the floor.

Each adapter imports its library when constructed, so this module loads in any
interpreter (the zarr 2 venv has neither zarrlib nor zarr 3). All arrays are written in
the Zarr v2 format with the same compressor, so every peer handles the same bytes.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from harness import Selections, Workload, cpu_count


def _blosc(config: dict[str, Any] | None) -> Any:
    if config is None:
        return None
    import numcodecs

    return numcodecs.get_codec(dict(config))


class Peer:
    """A library under test. ``create`` makes an empty array, the rest run one operation."""

    name = "?"
    #: Whether read results are arrays to check against the data (the floor returns chunks).
    checks_results = True

    def versions(self) -> dict[str, str]:
        return {}

    def create(self, w: Workload, path: str | None) -> Any:
        raise NotImplementedError

    def prepare(self, handle: Any, data: np.ndarray) -> None:
        """Untimed work before a write (the floor cuts the data into chunks here)."""

    def write(self, handle: Any, data: np.ndarray) -> None:
        handle[...] = data

    def read(self, handle: Any) -> Any:
        return handle[...]

    def row(self, handle: Any, sel: Selections) -> Any:
        return handle[sel.row, :]

    def column(self, handle: Any, sel: Selections) -> Any:
        return handle[:, sel.column]

    def region(self, handle: Any, sel: Selections) -> Any:
        return handle[sel.region]

    def points(self, handle: Any, sel: Selections) -> Any:
        return np.array([handle[int(i), int(j)] for i, j in sel.points])

    def close(self, handle: Any) -> None:
        """Release an array (the memory of an in-memory store)."""


class ZarrlibPeer(Peer):
    name = "zarrlib"

    def __init__(self) -> None:
        import zarrlib

        self.zarr = zarrlib

    def versions(self) -> dict[str, str]:
        import numcodecs

        return {"zarrlib": self.zarr.__version__, "numcodecs": numcodecs.__version__}

    def create(self, w: Workload, path: str | None) -> Any:
        store = self.zarr.MemoryStore() if path is None else self.zarr.DirectoryStore(path)
        return self.zarr.create(
            w.shape, chunks=w.chunks, dtype=w.dtype, compressor=_blosc(w.compressor), store=store, fill_value=0
        )


class Zarr3Peer(Peer):
    """zarr-python 3, with its default codec pipeline or with the Rust ``zarrs`` pipeline."""

    def __init__(self, pipeline: str = "default") -> None:
        import zarr

        if not zarr.__version__.startswith("3"):
            raise ImportError(f"zarr {zarr.__version__} is not zarr-python 3")
        if pipeline == "zarrs":
            import zarrs  # noqa: F401  (fails cleanly when not installed)

            zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"})
        self.name = "zarr3" if pipeline == "default" else "zarr3+zarrs"
        self.pipeline = pipeline
        self.zarr = zarr

    def versions(self) -> dict[str, str]:
        import numcodecs

        v = {"zarr": self.zarr.__version__, "numcodecs": numcodecs.__version__}
        if self.pipeline == "zarrs":
            import importlib.metadata

            v["zarrs"] = importlib.metadata.version("zarrs")
        return v

    def create(self, w: Workload, path: str | None) -> Any:
        store = self.zarr.storage.MemoryStore() if path is None else self.zarr.storage.LocalStore(path)
        a = self.zarr.create_array(
            store,
            shape=w.shape,
            chunks=w.chunks,
            dtype=w.dtype,
            zarr_format=2,
            compressors=_blosc(w.compressor),
            filters=None,
            fill_value=0,
            overwrite=True,
        )
        if self.pipeline == "zarrs":
            pipeline = type(a._async_array.codec_pipeline).__name__
            if pipeline != "ZarrsCodecPipeline":
                raise NotImplementedError(f"zarr falls back to {pipeline} for {type(store).__name__}, not zarrs")
        return a


class Zarr2Peer(Peer):
    """zarr-python 2.18 (run in its own venv: it cannot be installed next to zarr 3)."""

    name = "zarr2"

    def __init__(self) -> None:
        import zarr

        if not zarr.__version__.startswith("2"):
            raise ImportError(f"zarr {zarr.__version__} is not zarr-python 2")
        self.zarr = zarr

    def versions(self) -> dict[str, str]:
        import numcodecs

        return {"zarr": self.zarr.__version__, "numcodecs": numcodecs.__version__}

    def create(self, w: Workload, path: str | None) -> Any:
        store = self.zarr.MemoryStore() if path is None else self.zarr.DirectoryStore(path)
        return self.zarr.create(
            w.shape,
            chunks=w.chunks,
            dtype=w.dtype,
            compressor=_blosc(w.compressor),
            store=store,
            fill_value=0,
            overwrite=True,
        )


class TensorStorePeer(Peer):
    name = "tensorstore"

    def __init__(self) -> None:
        import tensorstore

        self.ts = tensorstore

    def versions(self) -> dict[str, str]:
        import importlib.metadata

        return {"tensorstore": importlib.metadata.version("tensorstore")}

    def create(self, w: Workload, path: str | None) -> Any:
        # an in-memory kvstore lives in its Context: a fresh one per array frees the last
        context = self.ts.Context()
        kvstore = {"driver": "memory"} if path is None else {"driver": "file", "path": path}
        metadata = {
            "shape": list(w.shape),
            "chunks": list(w.chunks),
            "dtype": np.dtype(w.dtype).str,
            "compressor": w.compressor,
            "fill_value": 0,
            "order": "C",
            "filters": None,
        }
        spec = {"driver": "zarr", "kvstore": kvstore, "metadata": metadata}
        return self.ts.open(spec, create=True, delete_existing=True, context=context).result()

    def write(self, handle: Any, data: np.ndarray) -> None:
        handle.write(data).result()

    def read(self, handle: Any) -> Any:
        return handle.read().result()

    def row(self, handle: Any, sel: Selections) -> Any:
        return handle[sel.row, :].read().result()

    def column(self, handle: Any, sel: Selections) -> Any:
        return handle[:, sel.column].read().result()

    def region(self, handle: Any, sel: Selections) -> Any:
        return handle[sel.region].read().result()

    def points(self, handle: Any, sel: Selections) -> Any:
        return np.array([handle[int(i), int(j)].read().result() for i, j in sel.points])


class FloorPeer(Peer):
    """The physical floor: the same chunks encoded/decoded with numcodecs and written/read as
    plain files (or a dict for in-memory workloads), with no array logic; decoding goes into
    preallocated memory (the output itself, or a reused per-thread buffer for partial reads).
    Uncompressed in-memory arrays have one NumPy copy of the array as their floor.

    Besides the array operations it measures a breakdown (``extra_ops``)."""

    name = "floor"
    checks_results = False

    def __init__(self) -> None:
        import numcodecs

        self.numcodecs = numcodecs
        self.nthreads = cpu_count()
        self.pool = ThreadPoolExecutor(self.nthreads)
        self._local = threading.local()

    def versions(self) -> dict[str, str]:
        return {"numcodecs": self.numcodecs.__version__, "threads": str(self.nthreads)}

    # a handle is a dict: codec, grid, path (or dict store), chunks cut from the data
    def create(self, w: Workload, path: str | None) -> Any:
        if path is not None:
            os.makedirs(path, exist_ok=True)
        coords = list(itertools.product(*[range(-(-s // c)) for s, c in zip(w.shape, w.chunks, strict=True)]))
        return {"w": w, "codec": _blosc(w.compressor), "path": path, "store": {}, "coords": coords, "chunks": {}}

    def prepare(self, handle: dict[str, Any], data: np.ndarray) -> None:
        w = handle["w"]
        handle["data"] = data
        handle["chunks"] = {
            c: np.ascontiguousarray(data[tuple(slice(i * n, (i + 1) * n) for i, n in zip(c, w.chunks, strict=True))])
            for c in handle["coords"]
        }

    def _file(self, handle: dict[str, Any], c: tuple[int, ...]) -> str:
        return os.path.join(handle["path"], ".".join(map(str, c)))

    def _put(self, handle: dict[str, Any], c: tuple[int, ...], raw: Any) -> None:
        if handle["path"] is None:
            handle["store"][c] = bytes(raw)
        else:
            with open(self._file(handle, c), "wb") as f:
                f.write(raw)

    def _get(self, handle: dict[str, Any], c: tuple[int, ...]) -> bytes:
        if handle["path"] is None:
            return handle["store"][c]
        with open(self._file(handle, c), "rb") as f:
            return f.read()

    def _encode_put(self, handle: dict[str, Any], c: tuple[int, ...]) -> None:
        chunk = handle["chunks"][c]
        raw = chunk if handle["codec"] is None else handle["codec"].encode(chunk)
        self._put(handle, c, raw)

    def _scratch(self, w: Workload) -> np.ndarray:
        """A chunk-sized buffer per thread, reused: decoding into it allocates nothing."""
        buf = getattr(self._local, "buf", None)
        if buf is None or buf.shape != w.chunks or buf.dtype != np.dtype(w.dtype):
            buf = self._local.buf = np.empty(w.chunks, dtype=w.dtype)
        return buf

    def _get_decode(self, handle: dict[str, Any], c: tuple[int, ...], out: np.ndarray | None = None) -> np.ndarray:
        """Read one chunk's bytes and decode them into ``out`` (default: this thread's scratch)."""
        raw = self._get(handle, c)
        if out is None:
            out = self._scratch(handle["w"])
        if handle["codec"] is None:
            out.reshape(-1).view(np.uint8)[:] = np.frombuffer(raw, np.uint8)
        else:
            handle["codec"].decode(raw, out=out)
        return out

    def _uncompressed_memory(self, handle: dict[str, Any]) -> bool:
        return handle["codec"] is None and handle["path"] is None

    def write(self, handle: dict[str, Any], data: np.ndarray) -> None:
        if self._uncompressed_memory(handle):
            handle["copy"] = data.copy()
            return
        self._map(lambda c: self._encode_put(handle, c), handle["coords"])

    def read(self, handle: dict[str, Any]) -> Any:
        """Every chunk decoded straight into its own slot of one output of the array's size:
        the bytes land in fresh output memory once, with no assembly copy."""
        if self._uncompressed_memory(handle):
            return handle["copy"].copy()
        w = handle["w"]
        n = int(np.prod(w.chunks))
        out = np.empty(len(handle["coords"]) * n, dtype=w.dtype)

        def one(k: int) -> None:
            self._get_decode(handle, handle["coords"][k], out[k * n : (k + 1) * n].reshape(w.chunks))

        self._map(one, list(range(len(handle["coords"]))))
        return out

    def _touched(self, handle: dict[str, Any], region: tuple[slice, ...]) -> list[tuple[int, ...]]:
        """Coordinates of the chunks a region overlaps."""
        w = handle["w"]
        ranges = [range(s.start // n, (s.stop - 1) // n + 1) for s, n in zip(region, w.chunks, strict=True)]
        return list(itertools.product(*ranges))

    def _read_region(self, handle: dict[str, Any], region: tuple[slice, ...]) -> Any:
        return self._map(lambda c: self._get_decode(handle, c), self._touched(handle, region))

    def _map(self, fn: Any, items: list[Any]) -> list[Any]:
        """``fn`` over ``items`` on the pool, in a few batches per thread (one task per item
        would add the pool's per-task cost, large next to a small chunk)."""
        nbatches = min(len(items), self.nthreads * 4) or 1
        size = -(-len(items) // nbatches)
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        return [r for part in self.pool.map(lambda b: [fn(x) for x in b], batches) for r in part]

    def row(self, handle: dict[str, Any], sel: Selections) -> Any:
        return self._read_region(handle, (slice(sel.row, sel.row + 1), slice(0, handle["w"].shape[1])))

    def column(self, handle: dict[str, Any], sel: Selections) -> Any:
        return self._read_region(handle, (slice(0, handle["w"].shape[0]), slice(sel.column, sel.column + 1)))

    def region(self, handle: dict[str, Any], sel: Selections) -> Any:
        return self._read_region(handle, sel.region)

    def points(self, handle: dict[str, Any], sel: Selections) -> Any:
        """One whole-chunk read and decode per element, as separate calls would need at least."""
        w = handle["w"]
        return [
            self._get_decode(handle, (int(i) // w.chunks[0], int(j) // w.chunks[1]))[
                int(i) % w.chunks[0], int(j) % w.chunks[1]
            ]
            for i, j in sel.points
        ]

    # -- the breakdown of the floor -------------------------------------------------------
    def extra_ops(self, handle: dict[str, Any]) -> dict[str, Any]:
        """Named callables timing each step alone (after ``write`` filled the store)."""
        coords = handle["coords"]
        codec = handle["codec"]
        ops: dict[str, Any] = {}
        if handle["codec"] is None:
            data = handle["data"]
            ops["numpy copy"] = data.copy
            return ops
        encoded = {c: codec.encode(handle["chunks"][c]) for c in coords}
        w = handle["w"]

        def decode(c: tuple[int, ...]) -> None:
            codec.decode(encoded[c], out=self._scratch(w))

        ops["encode, 1 thread"] = lambda: [codec.encode(handle["chunks"][c]) for c in coords]
        ops[f"encode, {self.nthreads} threads"] = lambda: self._map(lambda c: codec.encode(handle["chunks"][c]), coords)
        ops["decode, 1 thread"] = lambda: [decode(c) for c in coords]
        ops[f"decode, {self.nthreads} threads"] = lambda: self._map(decode, coords)
        # what allocating a fresh output per chunk costs (page faults when malloc gave memory back)
        ops["decode to new buffers, 1 thread"] = lambda: [codec.decode(encoded[c]) for c in coords]
        if handle["path"] is not None:
            ops[f"write files, {self.nthreads} threads"] = lambda: self._map(
                lambda c: self._put(handle, c, encoded[c]), coords
            )
            ops[f"read files, {self.nthreads} threads"] = lambda: self._map(lambda c: self._get(handle, c), coords)
        ops["numpy copy"] = handle["data"].copy
        return ops


def make_peer(name: str) -> Peer:
    if name == "zarrlib":
        return ZarrlibPeer()
    if name == "zarr3":
        return Zarr3Peer("default")
    if name == "zarr3+zarrs":
        return Zarr3Peer("zarrs")
    if name == "zarr2":
        return Zarr2Peer()
    if name == "tensorstore":
        return TensorStorePeer()
    if name == "floor":
        return FloorPeer()
    raise ValueError(f"unknown peer {name!r}")


def remove(path: str | None) -> None:
    if path is not None and os.path.exists(path):
        shutil.rmtree(path)
