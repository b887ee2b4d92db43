"""Codecs (compressors and filters): numcodecs' classes, re-exported under zarr's names.

Any codec written against ``numcodecs.abc.Codec`` and registered with
``numcodecs.register_codec`` works as a filter or compressor.
"""

from numcodecs import (
    BZ2,
    CRC32,
    JSON,
    LZ4,
    LZMA,
    Adler32,
    AsType,
    BitRound,
    Blosc,
    Categorize,
    Delta,
    FixedScaleOffset,
    Fletcher32,
    GZip,
    PackBits,
    Pickle,
    Quantize,
    Shuffle,
    VLenArray,
    VLenBytes,
    VLenUTF8,
    Zlib,
    Zstd,
    get_codec,
    register_codec,
)
from numcodecs.abc import Codec

from .registry import build_codec, describe_codec

try:  # optional: numcodecs registers MsgPack only when msgpack is installed
    from numcodecs import MsgPack
except ImportError:  # pragma: no cover - depends on the environment
    MsgPack = None

__all__ = [
    "BZ2",
    "CRC32",
    "JSON",
    "LZ4",
    "LZMA",
    "Adler32",
    "AsType",
    "BitRound",
    "Blosc",
    "Categorize",
    "Codec",
    "Delta",
    "FixedScaleOffset",
    "Fletcher32",
    "GZip",
    "MsgPack",
    "PackBits",
    "Pickle",
    "Quantize",
    "Shuffle",
    "VLenArray",
    "VLenBytes",
    "VLenUTF8",
    "Zlib",
    "Zstd",
    "build_codec",
    "describe_codec",
    "get_codec",
    "register_codec",
]
