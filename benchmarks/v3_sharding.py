"""Sharded Zarr v3 throughput: zarrlib next to zarr-python 3 and TensorStore on the same data.

    python benchmarks/v3_sharding.py            # 64 MiB float32, 16 shards of 64 inner chunks
    python benchmarks/v3_sharding.py --quick    # 4 MiB: a smoke run

Every library writes the same array (same zarr.json: shards of 1024x1024, inner chunks of
128x128, bytes + zstd level 1) into its own directory, then reads it back whole, then does
small reads (a 32x32 window: the index plus one to four inner chunks of one shard) and small
writes (a 32x32 window: a read-modify-write of one shard). Best of ``--repeat`` runs; every
library's output is checked against the data.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

warnings.simplefilter("ignore")


def make_data(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:n, 0:n].astype("f4") / n
    return (np.sin(8 * x) * np.cos(5 * y) * 100 + rng.normal(0, 1, (n, n))).round(1).astype("f4")


def metadata(n: int, shard: int, chunk: int) -> dict[str, Any]:
    return {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [n, n],
        "data_type": "float32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [shard, shard]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0.0,
        "codecs": [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": [chunk, chunk],
                    "codecs": [
                        {"name": "bytes", "configuration": {"endian": "little"}},
                        {"name": "zstd", "configuration": {"level": 1, "checksum": False}},
                    ],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
                    "index_location": "end",
                },
            }
        ],
        "attributes": {},
    }


class Zarrlib:
    name = "zarrlib"

    def open(self, path: str) -> Any:
        import zarrlib

        return zarrlib.open_array(path, mode="r+")

    def write(self, a: Any, sel: Any, value: np.ndarray) -> None:
        a[sel] = value

    def read(self, a: Any, sel: Any) -> np.ndarray:
        return a[sel]


class ZarrPython(Zarrlib):
    name = "zarr-python 3"

    def open(self, path: str) -> Any:
        import zarr

        return zarr.open_array(path, mode="r+")


class TensorStore(Zarrlib):
    name = "tensorstore"

    def open(self, path: str) -> Any:
        import tensorstore as ts

        spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}, "recheck_cached_data": False}
        return ts.open(spec, open=True, read=True, write=True).result()

    def write(self, a: Any, sel: Any, value: np.ndarray) -> None:
        a[sel].write(value).result()

    def read(self, a: Any, sel: Any) -> np.ndarray:
        return a[sel].read().result()


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temp dir)")
    args = parser.parse_args()
    n, shard, chunk, window, nsmall = (1024, 256, 64, 32, 50) if args.quick else (4096, 1024, 128, 32, 200)
    data = make_data(n)
    mib = data.nbytes / 2**20
    rng = np.random.default_rng(1)
    corners = rng.integers(0, n - window, (nsmall, 2))
    root = args.dir or tempfile.mkdtemp(prefix="v3_sharding_")
    rows = []
    for lib in (Zarrlib(), ZarrPython(), TensorStore()):
        path = os.path.join(root, lib.name.replace(" ", "_"))
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        with open(os.path.join(path, "zarr.json"), "w") as f:
            json.dump(metadata(n, shard, chunk), f)
        a = lib.open(path)
        t_write = best(lambda a=a, lib=lib: lib.write(a, (slice(None), slice(None)), data), args.repeat)
        a = lib.open(path)
        t_read = best(lambda a=a, lib=lib: lib.read(a, (slice(None), slice(None))), args.repeat)
        assert np.array_equal(np.asarray(lib.read(a, (slice(None), slice(None)))), data), lib.name

        def small_reads(a: Any = a, lib: Any = lib) -> None:
            for i, j in corners:
                lib.read(a, (slice(i, i + window), slice(j, j + window)))

        def small_writes(a: Any = a, lib: Any = lib) -> None:
            for i, j in corners[: nsmall // 4]:
                lib.write(a, (slice(i, i + window), slice(j, j + window)), data[i : i + window, j : j + window] + 1)

        t_small_read = best(small_reads, args.repeat)
        t_small_write = best(small_writes, 1)
        stored = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
        rows.append(
            (
                lib.name,
                mib / t_write,
                mib / t_read,
                1e3 * t_small_read / nsmall,
                1e3 * t_small_write / (nsmall // 4),
                stored / 2**20,
            )
        )
    if args.dir is None:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"{mib:.0f} MiB float32 {n}x{n}, shards {shard}x{shard}, inner chunks {chunk}x{chunk}, zstd level 1; "
        f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}"
    )
    print("| library | write MiB/s | read MiB/s | 32x32 read ms | 32x32 write ms | stored MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, w, r, sr, sw, size in rows:
        print(f"| {name} | {w:.0f} | {r:.0f} | {sr:.2f} | {sw:.2f} | {size:.1f} |")


if __name__ == "__main__":
    main()
