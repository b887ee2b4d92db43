"""Sharding: the shard layout, partial reads that fetch only the index and the inner chunks
needed (proved with a store that counts requests), partial rewrites, and bad shards."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.codecs.sharding import MAX_UINT64, morton_order
from zarrlib.errors import ChunkDecodeError
from zarrlib.storage import ByteRange, MemoryStore


class CountingStore(MemoryStore):
    """A MemoryStore recording every whole-value read and every byte-range read."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: list[str] = []
        self.ranges: list[tuple[str, ByteRange, int]] = []

    def _get(self, key: str) -> bytes:
        self.gets.append(key)
        return super()._get(key)

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        try:
            data = byte_range.apply(super()._get(key))
        except KeyError:
            self.ranges.append((key, byte_range, -1))
            raise
        self.ranges.append((key, byte_range, len(data)))
        return data

    def reset(self) -> None:
        self.gets.clear()
        self.ranges.clear()


@pytest.mark.parametrize("shape", [(2, 2), (4, 4), (3, 5), (1, 7), (2, 3, 4), (8,), (5, 1, 3)], ids=str)
def test_morton_order_is_zarr_pythons(shape):
    from zarr.core.indexing import morton_order_iter

    assert [tuple(int(c) for c in row) for row in morton_order(shape)] == list(morton_order_iter(shape))


def _sharded(store, index_location="end", fill_value=0, shape=(16, 16)):
    return zarr.create(
        shape,
        chunks=(4, 4),
        shards=(8, 8),
        dtype="i4",
        zarr_format=3,
        store=store,
        fill_value=fill_value,
        compressors=[zarr.Zstd(level=1)],
        index_location=index_location,
    )


@pytest.mark.parametrize("location", ["end", "start"])
def test_partial_read_fetches_only_index_and_needed_chunks(location):
    store = CountingStore()
    z = _sharded(store, location)
    data = np.arange(256, dtype="i4").reshape(16, 16)
    z[...] = data
    index_nbytes = 16 * 4 + 4
    shard = store._map["c/0/0"]
    index = z._codec.sharding.fetch_index(lambda r: r.apply(shard), "c/0/0")
    store.reset()

    assert z[5, 6] == data[5, 6]  # one element: inner chunk (1, 1) of shard (0, 0)
    assert store.gets == []  # never the whole shard
    assert [k for k, _, _ in store.ranges] == ["c/0/0", "c/0/0"]
    (_, index_range, n_index), (_, chunk_range, n_chunk) = store.ranges
    assert n_index == index_nbytes
    expected = ByteRange(0, index_nbytes) if location == "start" else ByteRange.suffix(index_nbytes)
    assert index_range == expected
    offset, nbytes = (int(v) for v in index[1, 1])
    assert chunk_range == ByteRange(offset, offset + nbytes) and n_chunk == nbytes

    store.reset()
    np.testing.assert_array_equal(z[0:2, 2:6], data[0:2, 2:6])  # inner chunks (0, 0) and (0, 1)
    wanted = int(index[0, 0, 1] + index[0, 1, 1])
    assert store.gets == []
    assert sum(n for _, _, n in store.ranges) == index_nbytes + wanted
    assert len(store.ranges) <= 3  # the index, then the two chunks (one request when adjacent)


def test_partial_read_skips_empty_inner_chunks_and_missing_shards():
    store = CountingStore()
    z = _sharded(store, fill_value=-1)
    z[0, 0] = 5
    store.reset()
    np.testing.assert_array_equal(z[4:6, 4:6], -1)  # inner chunk (1, 1): empty in the index
    assert len(store.ranges) == 1 and store.gets == []
    store.reset()
    np.testing.assert_array_equal(z[12:14, 12:14], -1)  # shard (1, 1) was never written
    assert store.ranges == [("c/1/1", ByteRange.suffix(16 * 4 + 4), -1)] and store.gets == []


def test_whole_shard_read_is_one_request():
    store = CountingStore()
    z = _sharded(store)
    z[...] = 1
    store.reset()
    z[0:8, 0:8]
    assert store.gets == ["c/0/0"] and store.ranges == []


def test_partial_write_keeps_untouched_inner_chunks_byte_for_byte():
    store = CountingStore()
    z = _sharded(store)
    data = np.arange(256, dtype="i4").reshape(16, 16)
    z[...] = data
    before = store._map["c/0/0"]
    runtime = z._codec.sharding
    old_index = runtime.fetch_index(lambda r: r.apply(before), "c/0/0")
    z[0, 0] = -7  # touches inner chunk (0, 0) only
    after = store._map["c/0/0"]
    new_index = runtime.fetch_index(lambda r: r.apply(after), "c/0/0")
    for coords in [(0, 1), (1, 0), (1, 1)]:
        o1, n1 = (int(v) for v in old_index[coords])
        o2, n2 = (int(v) for v in new_index[coords])
        assert before[o1 : o1 + n1] == after[o2 : o2 + n2]
    data[0, 0] = -7
    np.testing.assert_array_equal(z[...], data)


def test_partial_write_of_last_value_deletes_shard():
    store = MemoryStore()
    z = _sharded(store)
    z[3, 3] = 1
    assert "c/0/0" in store
    z[3, 3] = 0
    assert "c/0/0" not in store


def test_edge_shards_and_partial_inner_chunks():
    z = zarr.create((13, 7), chunks=(3, 2), shards=(6, 4), dtype="f4", zarr_format=3, fill_value=np.nan)
    data = np.arange(91, dtype="f4").reshape(13, 7)
    z[...] = data
    np.testing.assert_array_equal(z[...], data)
    np.testing.assert_array_equal(z[11:, 5:], data[11:, 5:])
    z[12, 6] = np.nan
    data[12, 6] = np.nan
    np.testing.assert_array_equal(z[...], data)


# -- bad shards: errors name the key ----------------------------------------------------------


def _broken(mutate, location="end"):
    store = MemoryStore()
    z = _sharded(store, location)
    z[...] = np.arange(256, dtype="i4").reshape(16, 16)
    store._map["c/0/1"] = mutate(bytearray(store._map["c/0/1"]), z._codec.sharding)
    return z


def _truncate(raw, rt):
    return bytes(raw[:10])


def _index_past_end(raw, rt):
    index = np.frombuffer(bytes(raw[-rt.index_nbytes : -4]), "<u8").reshape(2, 2, 2).copy()
    index[1, 1] = (len(raw) - 8, 1000)
    body = index.tobytes()
    return bytes(raw[: -rt.index_nbytes]) + rt.index_codec.encode(index)[: len(body) + 4]


def _bad_crc(raw, rt):
    raw[-1] ^= 0xFF
    return bytes(raw)


def _bad_inner_chunk(raw, rt):
    raw[0] ^= 0xFF
    raw[1] ^= 0xFF
    return bytes(raw)


@pytest.mark.parametrize(
    ("mutate", "match", "point"),
    [
        (_truncate, "truncated", (7, 15)),
        (_index_past_end, "past the end|truncated", (7, 15)),
        (_bad_crc, "checksum", (7, 15)),
        (_bad_inner_chunk, "inner chunk", (0, 8)),
    ],
    ids=["truncated", "index-past-end", "bad-crc32c", "corrupt-inner-chunk"],
)
@pytest.mark.parametrize("read", ["whole", "partial"])
def test_bad_shards_raise_errors_naming_the_key(mutate, match, point, read):
    z = _broken(mutate)
    with pytest.raises(ChunkDecodeError, match=match) as info:
        if read == "whole":
            z[0:8, 8:16]
        else:
            z[point]
    assert "c/0/1" in str(info.value)
    np.testing.assert_array_equal(z[0:8, 0:8], np.arange(256).reshape(16, 16)[0:8, 0:8])  # others fine


def test_bad_shard_partial_write_names_the_key():
    z = _broken(_bad_crc)
    with pytest.raises(ChunkDecodeError, match="c/0/1"):
        z[0, 9] = 1


def test_index_marks_empty_with_max_uint64():
    store = MemoryStore()
    z = _sharded(store)
    z[0, 0] = 1
    index = z._codec.sharding.fetch_index(lambda r: r.apply(store._map["c/0/0"]), "c/0/0")
    assert index[0, 0, 0] == 0 and np.all(index[0, 1] == MAX_UINT64) and np.all(index[1, 1] == MAX_UINT64)


class CountingDirectoryStore(zarr.DirectoryStore):
    """A DirectoryStore (which seeks for byte ranges) counting whole reads and range reads."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.gets: list[str] = []
        self.ranges: list[tuple[str, ByteRange, int]] = []

    def _get(self, key: str) -> bytes:
        self.gets.append(key)
        return super()._get(key)

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        data = super().get_range(key, byte_range)
        self.ranges.append((key, byte_range, len(data)))
        return data


@pytest.mark.parametrize("location", ["end", "start"])
def test_directory_store_partial_read_seeks(tmp_path, location):
    store = CountingDirectoryStore(str(tmp_path / "a"))
    z = _sharded(store, location)
    data = np.arange(256, dtype="i4").reshape(16, 16)
    z[...] = data
    store.gets.clear()
    assert z[10, 3] == data[10, 3]
    assert [k for k in store.gets if k != "zarr.json"] == []
    assert store.ranges[0][0] == "c/1/0" and store.ranges[0][2] == 16 * 4 + 4
    assert len(store.ranges) == 2


# -- concurrent partial writes to one shard ------------------------------------------------------


class SlowShardStore(MemoryStore):
    """Sleeps after every chunk read, widening the gap between a writer's read of a shard and
    its write-back, so that writers racing on one shard would lose each other's updates."""

    def _get(self, key: str) -> bytes:
        try:
            return super()._get(key)
        finally:
            if not key.endswith("zarr.json"):
                time.sleep(0.002)

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        time.sleep(0.002)
        return super().get_range(key, byte_range)


class RecordingSynchronizer(zarr.ThreadSynchronizer):
    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()

    def __getitem__(self, key):
        self.keys.add(key)
        return super().__getitem__(key)


def test_threads_writing_inner_chunks_of_one_shard_under_a_synchronizer_lose_nothing():
    sync = RecordingSynchronizer()
    z = zarr.create(
        (8, 8), chunks=(2, 2), shards=(8, 8), dtype="i4", zarr_format=3, store=SlowShardStore(), synchronizer=sync
    )
    workers, rounds = 16, 3  # one inner chunk each, all in shard c/0/0

    def work(w: int) -> None:
        row, col = divmod(w, 4)
        for r in range(rounds):
            z[2 * row : 2 * row + 2, 2 * col : 2 * col + 2] = w * 10 + r + 1

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    expected = np.zeros((8, 8), dtype="i4")
    for w in range(workers):
        row, col = divmod(w, 4)
        expected[2 * row : 2 * row + 2, 2 * col : 2 * col + 2] = w * 10 + rounds
    np.testing.assert_array_equal(z[...], expected)
    assert sync.keys == {"c/0/0"}  # the lock is the shard's key, not an inner chunk's


@pytest.mark.parametrize(("dtype", "value", "fill"), [(str, "x", ""), ("f8", 2.5, np.nan), ("i4", 7, 0)], ids=str)
def test_zero_d_sharded_arrays_store_values_and_leave_fill_out(dtype, value, fill):
    store = MemoryStore()
    z = zarr.create((), chunks=(), shards=(), dtype=dtype, zarr_format=3, store=store, fill_value=fill)
    z[...] = value
    assert z[()] == value and "c" in store
    z[...] = fill
    assert "c" not in store
