"""The Zarr v2 chunk encoding: filters in order, then one compressor, over C- or F-ordered bytes."""

from __future__ import annotations

import math
from typing import Any

import numcodecs
import numcodecs.blosc
import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_contiguous_ndarray, ensure_ndarray

from ..blosc import check_frame
from ..metadata.v2 import ArrayMetadataV2
from . import blosc_parts
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
        #: ``decode_into`` takes a selection and decodes only the Blosc blocks it touches.
        self.decodes_parts = self.decodes_into and isinstance(compressor, numcodecs.Blosc)
        #: The stored bytes are the array's bytes: encoding is one copy into a bytes object.
        self.copies_to_bytes = compressor is None and not filters and not dtype.hasobject
        #: Blosc's compress() arguments, to call it without the codec's buffer checks (a chunk
        #: of a fixed-size dtype is always a contiguous buffer of the chunk's size)
        self._blosc_args = None
        if self.decodes_parts and self.chunk_nitems * dtype.itemsize <= compressor.max_buffer_size:
            typesize = getattr(compressor, "_typesize", None)
            cname = getattr(compressor, "_cname_bytes", None)
            if cname is not None:
                args = (cname, compressor.clevel, compressor.shuffle, compressor.blocksize)
                self._blosc_args = (*args, typesize or dtype.itemsize)

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
        if isinstance(self.compressor, numcodecs.Blosc):
            check_frame(raw)
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

    def decode_into(self, raw: bytes, out: np.ndarray, selection: tuple | None = None) -> None:
        """Decode straight into ``out``, a contiguous buffer of the chunk's size and dtype.

        Compressors write what the stream holds: a short stream would leave stale bytes in
        ``out``. So the size the frame declares is checked first (Blosc, LZ4, Zstd); streams
        that declare none (zlib, gzip, bz2, lzma) are decoded, measured, then copied. Given a
        basic ``selection`` (integers and positive-step slices), a Blosc chunk may have only
        the blocks holding the selected elements decoded; the rest of ``out`` is left as it was."""
        flat = out.reshape(-1, order=self.order).view(np.uint8)
        declared = declared_nbytes(self.compressor, raw)
        if declared is None:
            decoded = ensure_contiguous_ndarray(self.compressor.decode(raw)).reshape(-1).view(np.uint8)
            if decoded.nbytes != out.nbytes:
                raise ValueError(
                    f"decoded to {decoded.nbytes} bytes, expected {out.nbytes} for chunk shape {self.chunk_shape}"
                )
            flat[...] = decoded
            return
        if declared != out.nbytes:
            raise ValueError(f"decoded to {declared} bytes, expected {out.nbytes} for chunk shape {self.chunk_shape}")
        if isinstance(self.compressor, numcodecs.Blosc):
            check_frame(raw)  # Blosc would read past the end of a truncated frame
            if selection is not None:
                start, stop = self._byte_span(selection)
                if blosc_parts.decode_range_into(raw, flat, start, stop):
                    return
            numcodecs.blosc.decompress(raw, flat)  # (what Blosc.decode calls, one Python layer less)
            return
        self.compressor.decode(raw, out=flat)

    def _byte_span(self, selection: tuple) -> tuple[int, int]:
        """The [start, stop) of the chunk's bytes that hold every element of ``selection``."""
        shape = self.chunk_shape
        axes = range(len(shape)) if self.order == "F" else range(len(shape) - 1, -1, -1)
        first = last = 0
        stride = self.dtype.itemsize
        for axis in axes:
            sel = selection[axis]
            if isinstance(sel, slice):
                lo, hi, step = sel.indices(shape[axis])
                n = max(0, -(-(hi - lo) // step))
                if n == 0:
                    return 0, 0
                first, last = first + lo * stride, last + (lo + (n - 1) * step) * stride
            else:
                first, last = first + sel * stride, last + sel * stride
            stride *= shape[axis]
        return first, last + self.dtype.itemsize

    def encode(self, chunk: np.ndarray) -> bytes:
        """An ndarray of the chunk shape -> the bytes to store."""
        # filters get the chunk in its shape, as zarr-python passes it: JSON, MsgPack and Pickle
        # store the shape, so a flattened chunk would encode to different bytes
        if self.copies_to_bytes:
            return np.asarray(chunk).tobytes(order=self.order)  # one copy, from any layout
        if self._blosc_args is not None and chunk.dtype == self.dtype:  # Blosc.encode's bytes, one layer less
            flat = np.asarray(chunk, order=self.order).reshape(-1, order=self.order).view(np.uint8)
            return numcodecs.blosc.compress(flat, *self._blosc_args)
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
