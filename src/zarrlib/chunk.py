"""The canonical single-chunk steps. Every read and write path calls these, so the
fill-value rules and the error messages for bad chunks live in one place."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from .errors import ChunkDecodeError


class ChunkCodec(Protocol):
    """What the I/O layer needs of a format's chunk encoding (v2 filters+compressor, v3 chain)."""

    chunk_shape: tuple[int, ...]
    dtype: np.dtype
    order: str
    decodes_into: bool

    def decode(self, raw: bytes) -> np.ndarray: ...

    def decode_into(self, raw: bytes, out: np.ndarray) -> None: ...

    def encode(self, chunk: np.ndarray) -> bytes: ...


def decode_chunk(codec: ChunkCodec, raw: bytes, key: str) -> np.ndarray:
    """Decode one stored chunk; any failure becomes a ChunkDecodeError naming the key."""
    try:
        return codec.decode(raw)
    except ChunkDecodeError:
        raise
    except Exception as e:  # codecs raise anything from RuntimeError to struct.error
        raise ChunkDecodeError(f"chunk {key!r} could not be decoded: {type(e).__name__}: {e}") from e


def decode_chunk_into(codec: ChunkCodec, raw: bytes, key: str, out: np.ndarray, selection: Any = None) -> None:
    """Decode one chunk straight into ``out`` (contiguous, exactly the chunk's shape). With a
    basic ``selection`` (codecs with ``decodes_parts``), only the elements it selects are sure
    to be decoded; the rest of ``out`` may keep what it held."""
    try:
        if selection is None:
            codec.decode_into(raw, out)
        else:
            codec.decode_into(raw, out, selection)  # type: ignore[call-arg]
    except Exception as e:
        raise ChunkDecodeError(f"chunk {key!r} could not be decoded: {type(e).__name__}: {e}") from e


def encode_chunk(codec: ChunkCodec, chunk: np.ndarray) -> bytes:
    return codec.encode(chunk)


def fill_chunk(codec: ChunkCodec, fill_value: Any) -> np.ndarray:
    """A new writable chunk holding only the fill value (zeros when there is none)."""
    if fill_value is None:
        if codec.dtype.hasobject:
            return np.full(codec.chunk_shape, None, dtype=object, order=codec.order)
        return np.zeros(codec.chunk_shape, dtype=codec.dtype, order=codec.order)
    return np.full(codec.chunk_shape, fill_value, dtype=codec.dtype, order=codec.order)


#: Elements of a chunk's first line compared before the whole chunk (most chunks that hold
#: data show it there, which spares a full scan and its chunk-sized temporary).
PROBE_ITEMS = 64


def is_fill_only(chunk: np.ndarray, fill_value: Any) -> bool:
    """True when every element equals the fill value (NaN matches NaN), so the chunk need not be stored."""
    if fill_value is None:
        return False
    if chunk.ndim and chunk.size > PROBE_ITEMS:
        probe = chunk[(0,) * (chunk.ndim - 1)][:PROBE_ITEMS]
        if not _all_fill(probe, fill_value):
            return False
    return _all_fill(chunk, fill_value)


def _all_fill(chunk: np.ndarray, fill_value: Any) -> bool:
    if chunk.dtype.hasobject:
        return bool(np.all(chunk == fill_value))
    if chunk.dtype.kind == "c" and np.isnan(fill_value):  # compare the parts: nan+1j is not nan+5j
        return _all_fill(chunk.real, fill_value.real) and _all_fill(chunk.imag, fill_value.imag)
    if chunk.dtype.kind == "f" and np.isnan(fill_value):
        return bool(np.all(np.isnan(chunk)))
    if chunk.dtype.kind in "mM" and np.isnat(fill_value):  # NaT != NaT, like NaN
        return bool(np.all(np.isnat(chunk)))
    if chunk.dtype.fields is not None or chunk.dtype.kind == "V":
        return chunk.tobytes() == np.full(chunk.shape, fill_value, dtype=chunk.dtype).tobytes()
    return bool(np.all(chunk == fill_value))


def merge_chunk(
    existing: np.ndarray | None, codec: ChunkCodec, fill_value: Any, selection: Any, value: Any
) -> np.ndarray:
    """Write ``value`` into ``selection`` of a writable copy of the existing chunk (or a fill chunk)."""
    if existing is None:
        chunk = fill_chunk(codec, fill_value)
    else:
        chunk = np.array(existing, order=codec.order, copy=True)
    if chunk.dtype.hasobject and isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # else an element selection would store the 0-d array itself as the item
    chunk[selection] = value
    return chunk
