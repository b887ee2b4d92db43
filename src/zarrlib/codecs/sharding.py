"""The ``sharding_indexed`` codec: many inner chunks stored under one key, plus an index.

A shard is the inner chunks' encoded bytes, back to back in Morton (Z-) order as
zarr-python 3 writes them, and an index (``offset, nbytes`` as uint64 per inner chunk;
``2**64-1`` twice for an empty one) encoded with ``index_codecs``, at the start or the end.
Inner chunks holding only the fill value are left out. ``ShardRuntime`` reads part of a
shard with byte-range requests (the index, then just the inner chunks needed) and rewrites
part of a shard re-encoding only the inner chunks touched.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from ..chunk import fill_chunk, is_fill_only, merge_chunk
from ..errors import ChunkDecodeError, CodecError
from ..indexing import BasicIndexer, CoordinateIndexer, OrthogonalIndexer
from ..storage.base import ByteRange
from .v3 import ARRAY_BYTES, BytesCodec, ChunkSpec, Crc32cCodec, V3ChunkCodec, V3Codec, parse_codecs

MAX_UINT64 = 2**64 - 1
#: Most inner chunks per shard (a 256 MiB index); a document claiming more is refused on open.
MAX_INNER_CHUNKS = 2**24
#: Indexes up to this many entries are sized (and checked) when the array opens.
EAGER_INDEX_CHECK = 2**12
INDEX_LOCATIONS = ("start", "end")


@lru_cache(maxsize=32)
def morton_order(chunks_per_shard: tuple[int, ...]) -> np.ndarray:
    """Local inner-chunk coordinates, shape (n, ndim), in the Morton order zarr-python 3 writes
    (bits interleaved from the lowest, axis 0 first; axes stop contributing when exhausted)."""
    ndim = len(chunks_per_shard)
    if ndim == 0:  # a 0-d shard holds one inner chunk
        return np.zeros((1, 0), dtype=np.int64)
    coords = np.indices(chunks_per_shard).reshape(ndim, -1).T.astype(np.int64)
    bits = [(c - 1).bit_length() for c in chunks_per_shard]
    codes = np.zeros(len(coords), dtype=np.int64)
    out_bit = 0
    for bit in range(max(bits, default=0)):
        for dim in range(ndim):
            if bit < bits[dim]:
                codes |= ((coords[:, dim] >> bit) & 1) << out_bit
                out_bit += 1
    order = coords[np.argsort(codes, kind="stable")]
    order.flags.writeable = False
    return order


@dataclass(frozen=True)
class ShardingCodec(V3Codec):
    """The JSON side of sharding: inner chunk shape, inner codecs, index codecs and location."""

    chunk_shape: tuple[int, ...]
    codecs: tuple[V3Codec, ...] = (BytesCodec(),)
    index_codecs: tuple[V3Codec, ...] = (BytesCodec(), Crc32cCodec())
    index_location: str = "end"
    name: ClassVar[str] = "sharding_indexed"
    kind: ClassVar[str] = ARRAY_BYTES

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> ShardingCodec:
        unknown = set(config) - {"chunk_shape", "codecs", "index_codecs", "index_location"}
        if unknown:
            raise CodecError(f"{where}codec 'sharding_indexed' has unknown configuration keys {sorted(unknown)}")
        shape = config.get("chunk_shape")
        if not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape
        ):
            raise CodecError(f"{where}sharding chunk_shape must be a list of positive integers, got {shape!r}")
        location = config.get("index_location", "end")
        if location not in INDEX_LOCATIONS:
            raise CodecError(f"{where}sharding index_location must be 'start' or 'end', got {location!r}")
        for member in ("codecs", "index_codecs"):
            if member in config and (not isinstance(config[member], list) or not config[member]):
                raise CodecError(f"{where}sharding {member} must be a non-empty list, got {config[member]!r}")
        inner = parse_codecs(config.get("codecs", [{"name": "bytes"}]), f"{where}sharding codecs: ")
        index = parse_codecs(
            config.get("index_codecs", [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]),
            f"{where}sharding index_codecs: ",
        )
        return cls(tuple(shape), inner, index, location)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "configuration": {
                "chunk_shape": list(self.chunk_shape),
                "codecs": [c.to_json() for c in self.codecs],
                "index_codecs": [c.to_json() for c in self.index_codecs],
                "index_location": self.index_location,
            },
        }

    def evolve(self, spec: ChunkSpec) -> V3Codec:
        inner = V3ChunkCodec(self.chunk_shape, spec.dtype, self.codecs, spec.fill_value).codecs
        return ShardingCodec(self.chunk_shape, inner, self.index_codecs, self.index_location)

    def describe(self) -> str:
        inner = ", ".join(c.describe() for c in self.codecs)
        index = ", ".join(c.describe() for c in self.index_codecs)
        return (
            f"ShardingCodec(chunk_shape={self.chunk_shape}, codecs=[{inner}], index_codecs=[{index}], "
            f"index_location={self.index_location!r})"
        )

    def bind(self, spec: ChunkSpec, *, write_empty_chunks: bool = False, where: str = "") -> ShardRuntime:
        """The codec at work on shards of ``spec.shape``."""
        return ShardRuntime(self, spec, write_empty_chunks, where)


class ShardRuntime:
    """Encodes and decodes whole shards, and reads or rewrites parts of one."""

    def __init__(self, codec: ShardingCodec, spec: ChunkSpec, write_empty_chunks: bool, where: str) -> None:
        if len(codec.chunk_shape) != len(spec.shape) or any(
            s % c for s, c in zip(spec.shape, codec.chunk_shape, strict=True)
        ):
            raise CodecError(
                f"{where}shard shape {spec.shape} must be divisible by the inner chunk shape {codec.chunk_shape}"
            )
        self.codec = codec
        self.shard_shape = spec.shape
        self.chunk_shape = codec.chunk_shape
        self.dtype = spec.dtype
        self.fill_value = spec.fill_value
        self.write_empty_chunks = write_empty_chunks
        self.chunks_per_shard = tuple(s // c for s, c in zip(spec.shape, codec.chunk_shape, strict=True))
        self.inner = V3ChunkCodec(
            codec.chunk_shape,
            spec.dtype,
            codec.codecs,
            spec.fill_value,
            write_empty_chunks=write_empty_chunks,
            where=where,
        )
        self.index_codec = V3ChunkCodec(
            (*self.chunks_per_shard, 2), np.dtype("u8"), codec.index_codecs, MAX_UINT64, where=f"{where}index_codecs: "
        )
        self.index_at_start = codec.index_location == "start"
        self._where = where
        n_inner = math.prod(self.chunks_per_shard)
        if n_inner > MAX_INNER_CHUNKS:
            raise CodecError(
                f"{where}a shard of shape {spec.shape} holds {n_inner:,} inner chunks of shape {codec.chunk_shape}, "
                f"more than the {MAX_INNER_CHUNKS:,} zarrlib supports (its index alone would take {16 * n_inner:,} bytes)"
            )
        if n_inner <= EAGER_INDEX_CHECK:  # big indexes are sized on first use: opening allocates nothing
            self.index_nbytes  # noqa: B018

    @functools.cached_property
    def index_nbytes(self) -> int:
        """The encoded index's size, checked to be the same for any index content."""
        nbytes = len(self.index_codec.encode(self._empty_index()))
        probe = np.arange(math.prod(self.chunks_per_shard) * 2, dtype="u8").reshape(*self.chunks_per_shard, 2)
        if len(self.index_codec.encode(probe)) != nbytes:
            raise CodecError(f"{self._where}sharding index_codecs must encode to a fixed size (e.g. bytes + crc32c)")
        return nbytes

    # -- the index -------------------------------------------------------------------------
    def _empty_index(self) -> np.ndarray:
        return np.full((*self.chunks_per_shard, 2), MAX_UINT64, dtype="u8")

    def _decode_index(self, index_bytes: Any, key: str, shard_nbytes: int | None) -> np.ndarray:
        if len(index_bytes) != self.index_nbytes:
            size = shard_nbytes if shard_nbytes is not None else len(index_bytes)
            raise _fail(key, f"the shard is truncated: {size} bytes cannot hold its {self.index_nbytes}-byte index")
        try:
            index = np.array(self.index_codec.decode(index_bytes), dtype="u8")
        except Exception as e:
            raise _fail(key, f"the shard index could not be decoded: {e}") from e
        offsets, nbytes = index[..., 0], index[..., 1]
        empty = offsets == MAX_UINT64
        if np.any(empty != (nbytes == MAX_UINT64)):
            raise _fail(key, "the shard index marks an inner chunk half empty")
        if shard_nbytes is not None:
            ends = offsets[~empty].astype(object) + nbytes[~empty].astype(object)  # no uint64 overflow
            if ends.size and max(ends) > shard_nbytes:
                bad = tuple(int(i) for i in np.argwhere(~empty)[int(np.argmax(ends))])
                raise _fail(
                    key,
                    f"the shard index entry of inner chunk {bad} points to byte {max(ends)}, "
                    f"past the end of the {shard_nbytes}-byte shard",
                )
        return index

    def _index_of(self, raw: Any, key: str) -> np.ndarray:
        buf = memoryview(raw).cast("B")
        n = self.index_nbytes
        if len(buf) < n:
            raise _fail(key, f"the shard is truncated: {len(buf)} bytes cannot hold its {n}-byte index")
        index_bytes = buf[:n] if self.index_at_start else buf[len(buf) - n :]
        return self._decode_index(bytes(index_bytes), key, len(buf))

    def _decode_inner(self, raw: Any, key: str, coords: tuple[int, ...]) -> np.ndarray:
        try:
            return self.inner.decode(raw)
        except ChunkDecodeError:
            raise
        except Exception as e:
            raise _fail(key, f"inner chunk {coords} could not be decoded: {type(e).__name__}: {e}") from e

    def _region(self, coords: tuple[int, ...]) -> tuple[Any, ...]:
        if not coords:  # 0-d: a view (indexing with () would give a scalar)
            return (Ellipsis,)
        return tuple(slice(c * n, (c + 1) * n) for c, n in zip(coords, self.chunk_shape, strict=True))

    # -- whole shards ------------------------------------------------------------------------
    def decode(self, raw: Any, spec: ChunkSpec | None = None, key: str = "") -> np.ndarray:
        out = np.empty(self.shard_shape, dtype=self.dtype)
        self.decode_into(raw, out, key)
        return out

    def decode_into(self, raw: Any, out: np.ndarray, key: str = "") -> None:
        index = self._index_of(raw, key)
        buf = memoryview(raw).cast("B")
        fill = self._fill_scalar()
        jobs = []
        for coords in itertools.product(*map(range, self.chunks_per_shard)):
            offset, nbytes = (int(v) for v in index[coords])
            if offset == MAX_UINT64:
                out[self._region(coords)] = fill
            else:
                jobs.append((coords, buf[offset : offset + nbytes]))

        def decode_one(job: tuple[tuple[int, ...], Any]) -> None:
            coords, data = job
            out[self._region(coords)] = self._decode_inner(data, key, coords)

        _run_all(decode_one, jobs)

    def check(self, raw: Any, key: str) -> list[tuple[tuple[int, ...] | None, str]]:
        """Decode every inner chunk of a stored shard; the failures as (inner chunk
        coordinates, message), with None for coordinates when the index itself is bad."""
        try:
            index = self._index_of(raw, key)
        except ChunkDecodeError as e:
            return [(None, str(e))]
        buf = memoryview(raw).cast("B")
        failures: list[tuple[tuple[int, ...] | None, str]] = []
        for coords in itertools.product(*map(range, self.chunks_per_shard)):
            offset, nbytes = (int(v) for v in index[coords])
            if offset == MAX_UINT64:
                continue
            try:
                self.inner.decode(buf[offset : offset + nbytes])
            except Exception as e:  # codecs raise anything from RuntimeError to struct.error
                failures.append((coords, f"inner chunk {coords} could not be decoded: {type(e).__name__}: {e}"))
        return failures

    def encode(self, shard: np.ndarray, spec: ChunkSpec | None = None) -> bytes:
        coords_list = [tuple(int(c) for c in row) for row in morton_order(self.chunks_per_shard)]
        encoded: dict[tuple[int, ...], bytes | None] = {}

        def encode_one(coords: tuple[int, ...]) -> None:
            chunk = shard[self._region(coords)]
            if not self.write_empty_chunks and self._is_fill_only(chunk):
                encoded[coords] = None
            else:
                encoded[coords] = self.inner.encode(chunk)

        _run_all(encode_one, coords_list)
        return self._build(encoded)

    def _build(self, encoded: dict[tuple[int, ...], Any]) -> bytes:
        """Assemble a shard: inner chunks in Morton order, then (or before them) the index."""
        index = self._empty_index()
        parts = []
        position = self.index_nbytes if self.index_at_start else 0
        for row in morton_order(self.chunks_per_shard):
            coords = tuple(int(c) for c in row)
            data = encoded.get(coords)
            if not data:
                continue
            index[coords] = (position, len(data))
            parts.append(data)
            position += len(data)
        index_bytes = self.index_codec.encode(index)
        return b"".join([index_bytes, *parts] if self.index_at_start else [*parts, index_bytes])

    def _is_fill_only(self, chunk: np.ndarray) -> bool:
        """``is_fill_only``, first asking the first element alone: data chunks rarely start
        with the fill value, and this spares a full comparison pass over each of them."""
        if chunk.ndim and chunk.size and not is_fill_only(chunk[(slice(0, 1),) * chunk.ndim], self.fill_value):
            return False
        return is_fill_only(chunk, self.fill_value)

    def _fill_scalar(self) -> Any:
        if self.fill_value is not None:
            return self.fill_value
        return None if self.dtype.hasobject else 0

    # -- parts of shards ---------------------------------------------------------------------
    def _inner_projections(self, selection: Any) -> tuple[Any, list[Any]]:
        """Split a selection of the shard (as ``io`` hands it over) into inner-chunk projections."""
        sel = selection if isinstance(selection, tuple) else (selection,)
        if all(isinstance(s, (slice, int, np.integer)) for s in sel):
            indexer: Any = BasicIndexer(sel, self.shard_shape, self.chunk_shape)
        elif len(sel) > 1 and all(isinstance(s, np.ndarray) and s.ndim == len(sel) for s in sel):
            # np.ix_ arrays of an orthogonal selection
            indexer = OrthogonalIndexer(tuple(s.reshape(-1) for s in sel), self.shard_shape, self.chunk_shape)
        else:
            indexer = CoordinateIndexer(tuple(np.asarray(s) for s in sel), self.shard_shape, self.chunk_shape)
        return indexer, list(indexer)

    def fetch_index(self, get_range: Callable[[ByteRange], bytes | None], key: str) -> np.ndarray | None:
        """The decoded index of a stored shard, fetched on its own; None if the shard is missing."""
        n = self.index_nbytes
        index_bytes = get_range(ByteRange(0, n) if self.index_at_start else ByteRange.suffix(n))
        if index_bytes is None:
            return None
        return self._decode_index(index_bytes, key, None)

    def read_partial(
        self, get_range: Callable[[ByteRange], bytes | None], key: str, selection: Any
    ) -> np.ndarray | None:
        """``decode(shard)[selection]``, fetching the index and only the inner chunks needed."""
        indexer, projections = self._inner_projections(selection)
        index = self.fetch_index(get_range, key)
        if index is None:
            return None
        out = np.empty(indexer.shape, dtype=self.dtype)
        wanted = sorted({p.chunk_coords for p in projections})
        fetched = self._fetch_inner(get_range, key, index, wanted)
        fill = self._fill_scalar()

        def read_one(p: Any) -> None:
            data = fetched.get(p.chunk_coords)
            if data is None:
                out[p.out_selection] = fill
            else:
                out[p.out_selection] = self._decode_inner(data, key, p.chunk_coords)[p.chunk_selection]

        _run_all(read_one, projections)
        return out

    def _fetch_inner(
        self,
        get_range: Callable[[ByteRange], bytes | None],
        key: str,
        index: np.ndarray,
        wanted: Sequence[tuple[int, ...]],
    ) -> dict[tuple[int, ...], bytes]:
        """The encoded bytes of the wanted non-empty inner chunks; adjacent ones in one request."""
        spans = []
        for coords in wanted:
            offset, nbytes = (int(v) for v in index[coords])
            if offset != MAX_UINT64:
                spans.append((offset, offset + nbytes, coords))
        spans.sort()
        fetched: dict[tuple[int, ...], bytes] = {}
        i = 0
        while i < len(spans):
            j = i
            while j + 1 < len(spans) and spans[j + 1][0] == spans[j][1]:
                j += 1
            start, stop = spans[i][0], spans[j][1]
            data = get_range(ByteRange(start, stop))
            if data is None or len(data) != stop - start:
                got = 0 if data is None else len(data)
                raise _fail(
                    key,
                    f"the shard index points to bytes {start}..{stop} (inner chunk {spans[i][2]}) "
                    f"but only {got} of them could be read: the shard is truncated or its index is wrong",
                )
            for s, e, coords in spans[i : j + 1]:
                fetched[coords] = data[s - start : e - start]
            i = j + 1
        return fetched

    def write_partial(self, raw: bytes | None, key: str, selection: Any, value: Any) -> bytes | None:
        """The shard after ``shard[selection] = value``: only touched inner chunks are decoded
        and re-encoded, the others keep their bytes. None when no inner chunk is left."""
        encoded: dict[tuple[int, ...], Any] = {}  # bytes, or memoryviews of the old shard
        if raw is not None:
            index = self._index_of(raw, key)
            buf = memoryview(raw).cast("B")
            for coords in itertools.product(*map(range, self.chunks_per_shard)):
                offset, nbytes = (int(v) for v in index[coords])
                if offset != MAX_UINT64:
                    encoded[coords] = buf[offset : offset + nbytes]
        _, projections = self._inner_projections(selection)
        value = np.asarray(value)
        scalar = value.ndim == 0

        def write_one(p: Any) -> None:
            piece = value if scalar else value[p.out_selection]
            old = encoded.get(p.chunk_coords)
            if p.is_complete and not scalar and piece.shape == self.chunk_shape:
                chunk = piece
            else:
                existing = None if old is None or p.is_complete else self._decode_inner(old, key, p.chunk_coords)
                chunk = merge_chunk(existing, self.inner, self.fill_value, p.chunk_selection, piece)
            if not self.write_empty_chunks and self._is_fill_only(chunk):
                encoded[p.chunk_coords] = None
            else:
                encoded[p.chunk_coords] = self.inner.encode(chunk)

        _run_all(write_one, projections)
        if not any(encoded.values()):
            return None
        return self._build(encoded)  # untouched inner chunks go in as views of the old shard: one copy

    def empty_inner_chunk(self) -> np.ndarray:
        return fill_chunk(self.inner, self.fill_value)


def _fail(key: str, message: str) -> Exception:
    """A decode error naming the shard's key; without a key, a ValueError the caller names."""
    return ChunkDecodeError(f"shard {key!r}: {message}") if key else ValueError(message)


def _run_all(fn: Callable[[Any], None], items: Sequence[Any]) -> None:
    """Inner chunks go through ``io``'s thread pool (sequential inside a worker thread)."""
    from .. import io

    io._run_all(fn, items)
