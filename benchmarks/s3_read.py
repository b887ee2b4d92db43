"""Remote read throughput: zarrlib next to zarr-python 3 on the same S3 server.

    python benchmarks/s3_read.py               # 4000x4000 int32, 500x500 chunks (64 chunks)
    python benchmarks/s3_read.py --quick       # 1000x1000: a smoke run
    python benchmarks/s3_read.py --endpoint-url http://127.0.0.1:9000   # an S3 server of yours
    python benchmarks/s3_read.py --dask        # also a sum through Dask, each library's way

Starts moto's S3 server in its own process on 127.0.0.1 (so that the server's work is not
charged to either client), writes the tutorial-like array with zarrlib (Zarr v2, Blosc lz4)
and again as Zarr v3 (zstd), then reads each back whole with zarrlib and with zarr-python 3,
checking every read against the data. Reports the median of ``--repeat`` runs, and the write
time of each library into its own prefix. With ``--dask``, also the same array summed through
Dask's threaded scheduler: ``zarrlib.to_dask(z).sum().compute()`` next to
``dask.array.from_zarr(zarr_python_array).sum().compute()`` (one task per chunk in both).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

warnings.simplefilter("ignore")
BUCKET = "zarrlib-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server as a subprocess; yields its endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def timed(fn: Callable[[], Any], repeat: int, check: Callable[[Any], None] | None = None) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        if check is not None:
            check(result)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 1000x1000 array (smoke run)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median reported)")
    parser.add_argument("--endpoint-url", help="an S3 server to use instead of starting moto")
    parser.add_argument("--dask", action="store_true", help="also sum the array through Dask with each library")
    args = parser.parse_args()

    import s3fs
    import zarr as zp

    import zarrlib

    n, c = (1000, 250) if args.quick else (4000, 500)
    data = np.arange(n * n, dtype="i4").reshape(n, n)
    rng = np.random.default_rng(0)
    data = data + rng.integers(0, 1000, size=data.shape, dtype="i4")  # less compressible than arange
    nbytes = data.nbytes

    def check(result: np.ndarray) -> None:
        if not np.array_equal(result, data):
            raise AssertionError("a read returned wrong data")

    server = contextlib.nullcontext(args.endpoint_url) if args.endpoint_url else moto_server()
    with server as endpoint:
        so = {"anon": False, "key": "bench", "secret": "bench", "client_kwargs": {"endpoint_url": endpoint}}
        s3fs.S3FileSystem(**so).mkdir(BUCKET)
        print(f"S3 server {endpoint}; array {n}x{n} int32 ({nbytes / 2**20:.0f} MiB), chunks {c}x{c}, "
              f"{(n // c) ** 2} chunks; median of {args.repeat} runs")  # fmt: skip
        rows = []
        for fmt in (2, 3):
            url = f"s3://{BUCKET}/tutorial-v{fmt}.zarr"

            def write_zarrlib(url: str = url, fmt: int = fmt) -> None:
                zarrlib.array(data, chunks=(c, c), store=url, storage_options=so, zarr_format=fmt, overwrite=True)

            def write_zp(fmt: int = fmt) -> None:
                z = zp.create_array(
                    f"s3://{BUCKET}/zp-v{fmt}.zarr", shape=data.shape, chunks=(c, c), dtype="i4",
                    zarr_format=fmt, storage_options=so, overwrite=True,
                )  # fmt: skip
                z[:] = data

            t_write_zl = timed(write_zarrlib, args.repeat)
            t_write_zp = timed(write_zp, args.repeat)
            t_read_zl = timed(
                lambda url=url: zarrlib.open_array(url, mode="r", storage_options=so)[:], args.repeat, check
            )
            t_read_zp = timed(lambda url=url: zp.open_array(url, mode="r", storage_options=so)[:], args.repeat, check)
            stored = sum(s3fs.S3FileSystem(**so).du(f"{BUCKET}/tutorial-v{fmt}.zarr", total=False).values())
            for lib, tw, tr in (("zarrlib", t_write_zl, t_read_zl), ("zarr-python 3", t_write_zp, t_read_zp)):
                rows.append((f"v{fmt}", lib, statistics.median(tw), statistics.median(tr), stored))
        print(
            f"{'format':6}  {'library':14}  {'write all':>10}  {'read all':>10}  {'read MiB/s':>10}  {'stored MiB':>10}"
        )
        for fmt_name, lib, tw, tr, stored in rows:
            print(
                f"{fmt_name:6}  {lib:14}  {tw:9.3f}s  {tr:9.3f}s  {nbytes / 2**20 / tr:10.1f}  {stored / 2**20:10.1f}"
            )
        if args.dask:
            dask_sums(data, so, c, args.repeat)


def dask_sums(data: np.ndarray, so: dict[str, Any], c: int, repeat: int) -> None:
    """The arrays the read rows read, summed through Dask (threaded scheduler) by each library."""
    import dask.array as da
    import zarr as zp

    import zarrlib

    expected = int(data.sum(dtype="i8"))

    def check(total: Any) -> None:
        if int(total) != expected:
            raise AssertionError(f"a Dask sum returned {int(total)}, expected {expected}")

    print(f"\nDask sum, threaded scheduler, {(data.shape[0] // c) ** 2} tasks")
    print(f"{'format':6}  {'path':44}  {'sum':>9}  {'MiB/s':>8}")
    for fmt in (2, 3):
        url = f"s3://{BUCKET}/tutorial-v{fmt}.zarr"
        cases = (
            ("zarrlib.to_dask(z).sum()", lambda url=url: zarrlib.to_dask(zarrlib.open_array(url, mode="r", storage_options=so))),
            ("da.from_zarr(zarr-python 3 array).sum()", lambda url=url: da.from_zarr(zp.open_array(url, mode="r", storage_options=so))),
        )  # fmt: skip
        for name, make in cases:
            t = statistics.median(timed(lambda make=make: make().sum(dtype="i8").compute(), repeat, check))
            print(f"v{fmt:<5}  {name:44}  {t:8.3f}s  {data.nbytes / 2**20 / t:8.1f}")


if __name__ == "__main__":
    main()
