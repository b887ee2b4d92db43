"""The Zarr v2 chunk encoding: filters in order, then one compressor, over C- or F-ordered bytes."""

from __future__ import annotations

import math
from typing import Any

import numcodecs
import numcodecs.blosc
import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray, ensure_ndarray

from ..metadata.v2 import ArrayMetadataV2
from .registry import build_codec, declared_nbytes


class V2ChunkCodec:
    """Encodes one chunk (an ndarray of the chunk shape) to bytes and back."""

    def __init__(
        self,
        chunk_shape: tuple[int, ...],
        dtype: np.dtype,
        order: str,
        compressor: Codec | None,
        filters: list[Codec],
    ) -> None:
        self.chunk_shape = chunk_shape
        self.dtype = dtype
        self.order = order
        self.compressor = compressor
        self.filters = filters
        self.chunk_nitems = math.prod(chunk_shape)
        #: The compressor can decode straight into the caller's buffer.
        self.decodes_into = compressor is not None and not filters and not dtype.hasobject

    @classmethod
    def from_metadata(cls, meta: ArrayMetadataV2, *, allow_pickle: bool = False) -> V2ChunkCodec:
        compressor = (
            build_codec(meta.compressor, allow_pickle=allow_pickle, where="compressor: ") if meta.compressor else None
        )
        filters = [
            build_codec(f, allow_pickle=allow_pickle, where=f"filters[{i}]: ") for i, f in enumerate(meta.filters or ())
        ]
        return cls(meta.chunks, meta.dtype, meta.order, compressor, filters)

    def decode(self, raw: bytes) -> np.ndarray:
        """Bytes of one stored chunk -> an ndarray of the chunk shape (maybe read-only)."""
        buf: Any = raw
        if self.compressor is not None:
            if isinstance(self.compressor, numcodecs.Blosc):
                declared_nbytes(self.compressor, raw)  # a truncated frame must not be read past its end
            buf = self.compressor.decode(buf)
        for f in reversed(self.filters):
            buf = f.decode(buf)
        if self.dtype.hasobject:
            arr = np.asarray(buf, dtype=object)
        else:
            arr = ensure_ndarray(buf)
            if arr.dtype != self.dtype:
                arr = arr.reshape(-1, order="A").view(self.dtype)
        if arr.size != self.chunk_nitems:
            raise ValueError(
                f"decoded to {arr.size} items of {self.dtype}, expected {self.chunk_nitems} for chunk shape {self.chunk_shape}"
            )
        return arr.reshape(self.chunk_shape, order=self.order)

    def decode_into(self, raw: bytes, out: np.ndarray) -> None:
        """Decode straight into ``out``, a contiguous buffer of the chunk's size and dtype.

        Compressors write what the stream holds: a short stream would leave stale bytes in
        ``out``. So the size the frame declares is checked first (Blosc, LZ4, Zstd); streams
        that declare none (zlib, gzip, bz2, lzma) are decoded, measured, then copied."""
        target = out.reshape(-1, order=self.order).view(np.uint8)
        declared = declared_nbytes(self.compressor, raw)
        if declared is None:
            decoded = ensure_contiguous_ndarray(self.compressor.decode(raw)).reshape(-1).view(np.uint8)
            if decoded.nbytes != out.nbytes:
                raise ValueError(
                    f"decoded to {decoded.nbytes} bytes, expected {out.nbytes} for chunk shape {self.chunk_shape}"
                )
            target[...] = decoded
            return
        if declared != out.nbytes:
            raise ValueError(f"decoded to {declared} bytes, expected {out.nbytes} for chunk shape {self.chunk_shape}")
        self.compressor.decode(raw, out=target)

    def encode(self, chunk: np.ndarray) -> bytes:
        """An ndarray of the chunk shape -> the bytes to store."""
        # filters get the chunk in its shape, as zarr-python passes it: JSON, MsgPack and Pickle
        # store the shape, so a flattened chunk would encode to different bytes
        data: Any = np.asarray(chunk, order=self.order)  # copies only if not yet in that order
        if self.dtype.hasobject and not data.flags.writeable:
            data = data.copy(order="K")  # numcodecs' VLen codecs take writable memoryviews only
        for f in self.filters:
            data = f.encode(data)
        if self.compressor is not None:
            data = self.compressor.encode(data)
        if isinstance(data, bytes):
            return data
        return ensure_contiguous_ndarray(data).tobytes()
