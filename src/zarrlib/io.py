"""Store I/O for many chunks at once: fetch, decode and assemble (reads), or merge, encode
and store (writes), spread over a thread pool. numcodecs and NumPy release the GIL, so
chunks really are processed in parallel. This is the only module with concurrency.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .chunk import ChunkCodec, decode_chunk, decode_chunk_into, encode_chunk, is_fill_only, merge_chunk
from .indexing import ChunkProjection
from .storage.base import ByteRange, Store
from .sync import IN_FLIGHT, store_identity

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_num_workers: int = min(32, os.cpu_count() or 1)
#: Keys fetched per request from stores that prefer batches (object stores).
BATCH_SIZE = 256


def get_num_workers() -> int:
    """How many threads encode/decode chunks concurrently."""
    return _num_workers


def set_num_workers(n: int) -> int:
    """Set the worker-thread count for chunk I/O; returns the previous value. 1 disables threading."""
    global _num_workers, _executor
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"number of workers must be a positive integer, got {n!r}")
    with _executor_lock:
        previous, _num_workers = _num_workers, n
        if _executor is not None:
            _executor.shutdown(wait=False)
            _executor = None
    return previous


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(_num_workers, thread_name_prefix="zarrlib-io")
        return _executor


def _reset_after_fork() -> None:
    """A forked child has none of the parent's worker threads (a pool inherited from the
    parent would queue work forever): start a fresh pool on demand."""
    global _executor, _executor_lock
    _executor = None
    _executor_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


_local = threading.local()
#: Chunk buffers up to this size are kept per thread and reused (bigger ones are allocated each time).
SCRATCH_LIMIT = 64 * 2**20


def _scratch(use: str, codec: ChunkCodec) -> np.ndarray:
    """This thread's reusable buffer of one chunk for ``use`` ('read' or 'write'): decoding or
    gathering into it allocates nothing per chunk (a fresh chunk-sized allocation costs page
    faults each time malloc has handed the last one back to the OS)."""
    layout = (codec.chunk_shape, codec.dtype, codec.order)
    held = getattr(_local, use, None)
    if held is not None and held[0] == layout:
        return held[1]
    nbytes = math.prod(codec.chunk_shape) * codec.dtype.itemsize
    if nbytes > SCRATCH_LIMIT:
        return np.empty(codec.chunk_shape, dtype=codec.dtype, order=codec.order)
    buf = held[2] if held is not None and held[2].nbytes >= nbytes else np.empty(nbytes, dtype=np.uint8)
    chunk = buf[:nbytes].view(codec.dtype).reshape(codec.chunk_shape, order=codec.order)
    setattr(_local, use, (layout, chunk, buf))
    return chunk


def _run_all(fn: Callable[[Any], None], items: Sequence[Any]) -> None:
    """Apply ``fn`` to every item, in parallel batches when there is more than one item."""
    if len(items) <= 1 or _num_workers <= 1 or threading.current_thread().name.startswith("zarrlib-io"):
        for item in items:
            fn(item)
        return
    nbatches = min(len(items), _num_workers * 4)
    size = math.ceil(len(items) / nbatches)
    batches = [items[i : i + size] for i in range(0, len(items), size)]

    def run_batch(batch: Sequence[Any]) -> None:
        for item in batch:
            fn(item)

    for future in [_pool().submit(run_batch, b) for b in batches]:
        future.result()


@dataclass(frozen=True)
class ChunkAccess:
    """Everything the I/O layer needs to know about one array's chunks."""

    store: Store
    chunk_key: Callable[[tuple[int, ...]], str]
    codec: ChunkCodec
    shape: tuple[int, ...]
    fill_value: Any
    write_empty_chunks: bool = False
    lock_for: Callable[[str], Any] | None = None
    name: str = ""

    @functools.cached_property
    def store_identity(self) -> Any:
        return store_identity(self.store)

    def lock(self, key: str, *, partial: bool = False) -> Any:
        """The synchronizer's lock of ``key``; without one, a claim that detects a racing writer."""
        if self.lock_for is not None:
            return self.lock_for(key)
        return IN_FLIGHT.claim(self.store_identity, key, partial, self.name)

    def is_interior(self, coords: tuple[int, ...]) -> bool:
        """The chunk lies wholly inside the array (not cut by its edge)."""
        return all((c + 1) * n <= s for c, n, s in zip(coords, self.codec.chunk_shape, self.shape, strict=True))

    def fetch(self, key: str) -> bytes | None:
        try:
            return self.store.get_chunk(key)  # (keys from chunk_key are valid: not checked per chunk)
        except KeyError:
            return None


def _fill_scalar(access: ChunkAccess) -> Any:
    """What a missing chunk reads as: the fill value, or the dtype's zero when there is none
    (all-zero bytes: '' for strings, where the integer 0 would give '0')."""
    if access.fill_value is not None:
        return access.fill_value
    dtype = access.codec.dtype
    return None if dtype.hasobject else np.zeros((), dtype=dtype)[()]


def _selects_view(selection: Any) -> bool:
    """Indexing with ``selection`` gives a view (slices and integers; np.ix_ arrays copy)."""
    if not isinstance(selection, tuple):
        return False
    for s in selection:  # (a loop over the axes, once per chunk: no generator frames)
        if not isinstance(s, (slice, int)):
            return False
    return True


def read(
    access: ChunkAccess, projections: Sequence[ChunkProjection], out: np.ndarray, squeeze_axes: tuple[int, ...] = ()
) -> None:
    """Fill ``out`` with the selected elements of every chunk in ``projections``."""
    codec = access.codec
    fill = _fill_scalar(access)
    if getattr(codec, "partial_reads", False):  # sharded v3 chunks: parts are read by byte ranges
        _read_partial(access, [p for p in projections if not p.is_complete], out, squeeze_axes, fill)
        projections = [p for p in projections if p.is_complete]

    # chunks of a fixed-size dtype are decoded into memory we own: straight into out where a
    # chunk's region of out is contiguous, else into a reused per-thread buffer
    into = codec.decodes_into and not codec.dtype.hasobject
    into_out = into and out.dtype == codec.dtype  # (assignment into out would cast otherwise)
    parts = getattr(codec, "decodes_parts", False)

    def read_one(p: ChunkProjection, key: str, raw: bytes | None) -> None:
        if raw is None:
            out[p.out_selection] = fill
            return
        region = None  # the chunk's whole region of out, when it is a view of the chunk's shape
        if p.is_complete and into and _selects_view(p.out_selection):
            region = out[p.out_selection] if out.ndim else out[...]  # (out[()] is a copied scalar)
            if region.shape != codec.chunk_shape:
                region = None
            elif into_out and (region.flags.c_contiguous if codec.order == "C" else region.flags.f_contiguous):
                decode_chunk_into(codec, raw, key, region)
                return
        if into:
            chunk = _scratch("read", codec)
            if parts and not p.is_complete and _selects_view(p.chunk_selection):
                decode_chunk_into(codec, raw, key, chunk, p.chunk_selection)
            else:
                decode_chunk_into(codec, raw, key, chunk)
            if region is not None:
                region[...] = chunk
                return
        else:
            chunk = decode_chunk(codec, raw, key)
        piece = chunk[p.chunk_selection]
        if squeeze_axes:
            piece = piece.squeeze(axis=squeeze_axes)
        out[p.out_selection] = piece

    if access.store.prefers_batch and len(projections) > 1:
        for start in range(0, len(projections), BATCH_SIZE):
            batch = projections[start : start + BATCH_SIZE]
            keys = [access.chunk_key(p.chunk_coords) for p in batch]
            found = access.store.get_many(keys)
            _run_all(lambda item: read_one(*item), [(p, k, found.get(k)) for p, k in zip(batch, keys, strict=True)])
    else:

        def fetch_read(p: ChunkProjection) -> None:
            key = access.chunk_key(p.chunk_coords)
            read_one(p, key, access.fetch(key))

        _run_all(fetch_read, projections)


def _read_partial(
    access: ChunkAccess,
    projections: Sequence[ChunkProjection],
    out: np.ndarray,
    squeeze_axes: tuple[int, ...],
    fill: Any,
) -> None:
    """Read parts of stored chunks whose codec fetches byte ranges itself (v3 shards: the
    index, then only the inner chunks the selection needs)."""
    codec: Any = access.codec
    indexes = _prefetch_shard_indexes(access, projections)

    def read_one(p: ChunkProjection) -> None:
        key = access.chunk_key(p.chunk_coords)

        def get_range(byte_range: Any) -> bytes | None:
            if (key, byte_range) in indexes:
                return indexes.pop((key, byte_range))
            try:
                return access.store.get_range(key, byte_range)
            except KeyError:
                return None

        piece = codec.read_partial(get_range, key, p.chunk_selection)
        if piece is None:
            out[p.out_selection] = fill
            return
        if squeeze_axes:
            piece = piece.squeeze(axis=squeeze_axes)
        out[p.out_selection] = piece

    _run_all(read_one, projections)


def _prefetch_shard_indexes(access: ChunkAccess, projections: Sequence[ChunkProjection]) -> dict[Any, bytes | None]:
    """Object stores with batched range reads: the indexes of all the shards, in one call."""
    sharding = getattr(access.codec, "sharding", None)
    get_ranges = getattr(access.store, "get_ranges", None)
    if sharding is None or get_ranges is None or not access.store.prefers_batch or len(projections) < 2:
        return {}
    n = sharding.index_nbytes
    index_range = ByteRange(0, n) if sharding.index_at_start else ByteRange.suffix(n)
    requests = [(access.chunk_key(p.chunk_coords), index_range) for p in projections]
    return dict(zip(requests, get_ranges(requests), strict=True))


def write(
    access: ChunkAccess,
    projections: Sequence[ChunkProjection],
    value: Any,
    squeeze_axes: tuple[int, ...] = (),
) -> None:
    """Write ``value`` (an ndarray of the selection's shape, a 0-d array, or a lazy array-like
    source indexed per chunk) into every chunk in ``projections``."""
    codec = access.codec
    is_scalar = isinstance(value, np.ndarray) and value.ndim == 0
    is_lazy = not isinstance(value, np.ndarray)
    constant: dict[str, Any] = {}
    constant_lock = threading.Lock()

    def constant_chunk() -> tuple[bool, bytes | None]:
        """A full chunk of the scalar value is the same everywhere: encode it once."""
        with constant_lock:
            if not constant:
                chunk = np.full(codec.chunk_shape, value, dtype=codec.dtype, order=codec.order)
                constant["empty"] = not access.write_empty_chunks and is_fill_only(chunk, access.fill_value)
                constant["bytes"] = None if constant["empty"] else encode_chunk(codec, chunk)
            return constant["empty"], constant["bytes"]

    def piece_for(p: ChunkProjection) -> Any:
        if is_scalar:
            return value
        if is_lazy:
            piece = np.asarray(value[p.out_selection], dtype=codec.dtype)
        else:
            piece = value[p.out_selection]
        return np.expand_dims(piece, squeeze_axes) if squeeze_axes else piece

    def encoded_for(p: ChunkProjection, key: str, fetch: Callable[[str], bytes | None]) -> bytes | None:
        """The chunk's new stored bytes (None: remove it, it holds only the fill value)."""
        if p.is_complete and is_scalar and access.is_interior(p.chunk_coords):
            empty, encoded = constant_chunk()
            return None if empty else encoded
        if not p.is_complete and getattr(codec, "partial_writes", False):  # sharded v3 chunks
            return codec.write_partial(fetch(key), key, p.chunk_selection, piece_for(p))
        piece = piece_for(p)
        if p.is_complete and not squeeze_axes and getattr(piece, "shape", None) == codec.chunk_shape:
            if not access.write_empty_chunks and is_fill_only(piece, access.fill_value):
                return None
            contiguous = piece.flags.c_contiguous if codec.order == "C" else piece.flags.f_contiguous
            if contiguous or codec.dtype.hasobject or getattr(codec, "copies_to_bytes", False):
                return encode_chunk(codec, piece)  # (at most one copy, into the bytes)
            chunk = _scratch("write", codec)  # a view of the value: gather it into our buffer
            np.copyto(chunk, piece)
            return encode_chunk(codec, chunk)
        existing = None
        if not p.is_complete:
            raw = fetch(key)
            existing = None if raw is None else decode_chunk(codec, raw, key)
        chunk = merge_chunk(existing, codec, access.fill_value, p.chunk_selection, piece)
        if not access.write_empty_chunks and is_fill_only(chunk, access.fill_value):
            return None
        return encode_chunk(codec, chunk)

    def write_one(p: ChunkProjection) -> None:
        key = access.chunk_key(p.chunk_coords)
        with access.lock(key, partial=not p.is_complete):
            _put(access, key, encoded_for(p, key, access.fetch))

    if access.store.prefers_batch and access.lock_for is None and len(projections) > 1:
        # with a synchronizer, each chunk's read-modify-write stays under its own lock instead
        for start in range(0, len(projections), BATCH_SIZE):
            _write_batch(access, projections[start : start + BATCH_SIZE], encoded_for)
    else:
        _run_all(write_one, projections)


def _write_batch(
    access: ChunkAccess,
    batch: Sequence[ChunkProjection],
    encoded_for: Callable[[ChunkProjection, str, Callable[[str], bytes | None]], bytes | None],
) -> None:
    """Object stores: one call fetches the chunks to merge into, one stores the batch."""
    keys = [access.chunk_key(p.chunk_coords) for p in batch]
    partial = [k for k, p in zip(keys, batch, strict=True) if not p.is_complete]
    found = access.store.get_many(partial) if partial else {}
    encoded: list[bytes | None] = [None] * len(batch)

    def encode_at(i: int) -> None:
        encoded[i] = encoded_for(batch[i], keys[i], found.get)

    _run_all(encode_at, range(len(batch)))
    written = {k: v for k, v in zip(keys, encoded, strict=True) if v is not None}
    if written:
        access.store.set_many(written)
    empty = [k for k, v in zip(keys, encoded, strict=True) if v is None]
    if empty:
        access.store.delete_many(empty)


def _put(access: ChunkAccess, key: str, encoded: bytes | None) -> None:
    """Store a chunk, or remove it when it holds nothing but the fill value."""
    if encoded is not None:
        access.store.set_chunk(key, encoded)
        return
    try:
        del access.store[key]
    except KeyError:
        pass
