"""Decode only some blocks of a Blosc (1.x) frame.

Blosc compresses a buffer in independent blocks and records where each starts, so the bytes
of one element live in one block. numcodecs 0.16 no longer exposes ``blosc_getitem``; this
module gets the same effect from ``numcodecs.blosc.decompress``: each needed block is copied
into a frame of its own (the original header with ``nbytes`` and ``cbytes`` for that one
block, then its start offset) and decompressed whole. The one-block frame keeps the flags,
type size and block size of the original, so Blosc unshuffles and splits it as it would in
the full frame; a short last block, which Blosc never splits into streams, gets its own size
as block size and the "not split" flag (0x10). Tested against whole-frame decoding for
every compressor, shuffle and type size in ``tests/codecs/test_blosc_parts.py``.

Frame layout (c-blosc 1.x, ``README_HEADER.rst``): a 16-byte header ``version, versionlz,
flags, typesize`` (uint8) and ``nbytes, blocksize, cbytes`` (int32 LE), then (unless the
frame was stored uncompressed, flag 0x02) one int32 start offset per block.
"""

from __future__ import annotations

import struct

import numcodecs.blosc
import numpy as np

_HEADER = struct.Struct("<BBBBiii")
_MEMCPYED = 0x02
_NOSPLIT = 0x10
_SHUFFLE_BITS = 0x05  # byte shuffle (0x01) and bit shuffle (0x04) both set: a Blosc2 extended header


def decode_range_into(raw: bytes, out: np.ndarray, start: int, stop: int) -> bool:
    """Decode into ``out`` (a uint8 buffer of the frame's whole decoded size) at least its bytes
    ``[start, stop)``, decompressing only the blocks that hold them. Returns False when the
    frame is not one this module reads, or when the range needs most of its blocks anyway:
    the caller then decodes it whole."""
    if len(raw) < _HEADER.size:
        return False
    version, versionlz, flags, typesize, nbytes, blocksize, cbytes = _HEADER.unpack_from(raw)
    if (
        version not in (1, 2)
        or flags & _SHUFFLE_BITS == _SHUFFLE_BITS
        or nbytes != out.nbytes
        or cbytes != len(raw)
        or blocksize <= 0
        or not 0 <= start < stop <= nbytes
    ):
        return False
    if flags & _MEMCPYED:
        out[start:stop] = np.frombuffer(raw, np.uint8, stop - start, _HEADER.size + start)
        return True
    nblocks = -(-nbytes // blocksize)
    first, last = start // blocksize, (stop - 1) // blocksize
    if 2 * (last - first + 1) > nblocks or _HEADER.size + 4 * nblocks > cbytes:
        return False
    starts = np.frombuffer(raw, "<i4", nblocks, _HEADER.size).tolist()
    for block in range(first, last + 1):
        begin = starts[block]
        # blocks compressed by several threads may be stored out of order: a block ends where
        # the next one stored after it begins
        end = min((s for s in starts if s > begin), default=cbytes)
        if not _HEADER.size + 4 * nblocks <= begin < end <= cbytes:
            return False
        size = min(blocksize, nbytes - block * blocksize)
        # a short last block is never split into streams; alone in a frame it would be a whole
        # block of its own size, so say so (block size = its size, "not split")
        header_blocksize, header_flags = (blocksize, flags) if size == blocksize else (size, flags | _NOSPLIT)
        frame = (
            _HEADER.pack(
                version, versionlz, header_flags, typesize, size, header_blocksize, _HEADER.size + 4 + end - begin
            )
            + (_HEADER.size + 4).to_bytes(4, "little")
            + bytes(raw[begin:end])
        )
        offset = block * blocksize
        numcodecs.blosc.decompress(frame, out[offset : offset + size])
    return True
