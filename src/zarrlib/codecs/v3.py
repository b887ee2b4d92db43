"""The Zarr v3 codec chain: array->array codecs, then one array->bytes codec, then
bytes->bytes codecs, validated once when the chain is built.

Each codec is a thin frozen object that maps its JSON (``name`` + ``configuration``) to a
numcodecs instance, or to a few lines of NumPy (``bytes``, ``transpose``). ``V3ChunkCodec``
runs a chain over one chunk and implements the ``ChunkCodec`` protocol of ``chunk.py``;
a chain that is just ``sharding_indexed`` also offers partial reads and writes.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numcodecs
import numpy as np
from numcodecs.abc import Codec

from ..blosc import check_frame
from ..errors import CodecError
from ..metadata.v3 import BYTES, STRING, parse_named
from .registry import build_codec, declared_nbytes, pickle_opt_in

ARRAY_ARRAY, ARRAY_BYTES, BYTES_BYTES = "array -> array", "array -> bytes", "bytes -> bytes"
NUMCODECS_PREFIX = "numcodecs."
#: numcodecs filters that zarr-python 3 runs as array -> array codecs (the rest are bytes -> bytes).
_NUMCODECS_ARRAY_ARRAY = frozenset({"delta", "fixedscaleoffset", "quantize", "bitround", "packbits", "astype"})
_NUMCODECS_ARRAY_BYTES = frozenset({"pcodec", "zfpy"})
_NATIVE_ENDIAN = sys.byteorder


@dataclass(frozen=True)
class ChunkSpec:
    """What a codec sees: the shape and dtype of the array it encodes, and its fill value."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fill_value: Any = None


def _positive_int(value: Any, name: str, where: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        bound = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise CodecError(f"{where}{name} must be an integer {bound}, got {value!r}")
    return value


def _check_keys(config: dict[str, Any], allowed: set[str], where: str, name: str) -> None:
    unknown = set(config) - allowed
    if unknown:
        raise CodecError(f"{where}codec {name!r} has unknown configuration keys {sorted(unknown)}")


def _as_u1(buf: Any) -> np.ndarray:
    """Any contiguous buffer as a flat uint8 array (no copy)."""
    if isinstance(buf, np.ndarray):
        return buf.reshape(-1).view(np.uint8) if buf.flags.c_contiguous else np.frombuffer(buf.tobytes(), np.uint8)
    return np.frombuffer(buf, dtype=np.uint8)


def _to_bytes(buf: Any) -> bytes:
    return buf if isinstance(buf, bytes) else _as_u1(buf).tobytes()


class V3Codec:
    """Base of the v3 codecs: a name, a kind and a JSON form."""

    name: ClassVar[str]
    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def evolve(self, spec: ChunkSpec) -> V3Codec:
        """This codec with the defaults that depend on the data filled in (e.g. blosc typesize)."""
        return self

    def resolve(self, spec: ChunkSpec) -> ChunkSpec:
        """The spec of what this (array -> array) codec outputs."""
        return spec

    def describe(self) -> str:
        config = self.to_json().get("configuration") or {}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


# -- array -> array ------------------------------------------------------------------------


@dataclass(frozen=True)
class TransposeCodec(V3Codec):
    """Permutes the axes of each chunk before it is serialised (``order`` is the permutation)."""

    order: tuple[int, ...]
    name: ClassVar[str] = "transpose"
    kind: ClassVar[str] = ARRAY_ARRAY

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> TransposeCodec:
        _check_keys(config, {"order"}, where, cls.name)
        order = config.get("order")
        if not isinstance(order, (list, tuple)) or sorted(order) != list(range(len(order))):
            raise CodecError(f"{where}transpose order must be a permutation of 0..n-1, got {order!r}")
        return cls(tuple(order))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "configuration": {"order": list(self.order)}}

    def resolve(self, spec: ChunkSpec) -> ChunkSpec:
        if len(self.order) != len(spec.shape):
            raise CodecError(f"transpose order {list(self.order)} does not match a {len(spec.shape)}-d chunk")
        return replace(spec, shape=tuple(spec.shape[i] for i in self.order))

    def encode(self, arr: np.ndarray, spec: ChunkSpec) -> np.ndarray:
        return arr.transpose(self.order)

    def decode(self, arr: np.ndarray, spec: ChunkSpec) -> np.ndarray:
        return arr.transpose(np.argsort(self.order))


@dataclass(frozen=True)
class NumcodecsCodec(V3Codec):
    """Any numcodecs codec under the name ``numcodecs.<id>``, as zarr-python 3 writes them;
    its kind (filter or compressor) follows zarr-python 3."""

    codec_id: str
    config: dict[str, Any] = field(default_factory=dict, hash=False)
    codec_kind: str = BYTES_BYTES
    kind: ClassVar[str] = BYTES_BYTES  # per instance: see codec_kind

    @property
    def name(self) -> str:  # type: ignore[override]
        return NUMCODECS_PREFIX + self.codec_id

    @classmethod
    def from_config(cls, codec_id: str, config: dict[str, Any], where: str = "") -> NumcodecsCodec:
        if codec_id in _NUMCODECS_ARRAY_ARRAY:
            kind = ARRAY_ARRAY
        elif codec_id in _NUMCODECS_ARRAY_BYTES:
            kind = ARRAY_BYTES
        else:
            kind = BYTES_BYTES
        codec = cls(codec_id, dict(config), kind)
        codec.numcodec  # noqa: B018 - validates the config now, not at the first chunk
        return codec

    @property
    def numcodec(self) -> Codec:
        cached = self.__dict__.get("_numcodec")
        if cached is None:
            cached = build_codec({"id": self.codec_id, **self.config}, where=f"codec {self.name!r}: ")
            object.__setattr__(self, "_numcodec", cached)
        return cached

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "configuration": dict(self.config)}

    def evolve(self, spec: ChunkSpec) -> V3Codec:
        if self.codec_id == "shuffle" and self.config.get("elementsize") != spec.dtype.itemsize:
            return NumcodecsCodec(self.codec_id, {**self.config, "elementsize": spec.dtype.itemsize}, self.codec_kind)
        if self.codec_id in ("fixedscaleoffset", "quantize", "delta") and self.config.get("dtype") is None:
            return NumcodecsCodec(self.codec_id, {**self.config, "dtype": spec.dtype.str}, self.codec_kind)
        if self.codec_id == "astype" and self.config.get("decode_dtype") is None:
            return NumcodecsCodec(self.codec_id, {**self.config, "decode_dtype": spec.dtype.str}, self.codec_kind)
        return self

    def resolve(self, spec: ChunkSpec) -> ChunkSpec:
        codec = self.numcodec
        if self.codec_id == "packbits":
            return ChunkSpec((1 + math.ceil(math.prod(spec.shape) / 8),), np.dtype("u1"))
        out = getattr(codec, "astype", None) or getattr(codec, "encode_dtype", None)
        return replace(spec, dtype=np.dtype(out)) if out is not None else spec

    # array -> array
    def encode(self, arr: Any, spec: ChunkSpec | None = None) -> Any:
        if self.codec_kind == BYTES_BYTES:
            return self.numcodec.encode(arr)
        out = self.numcodec.encode(np.ascontiguousarray(arr))
        if self.codec_kind == ARRAY_BYTES:
            return _to_bytes(out)
        return out

    def decode(self, data: Any, spec: ChunkSpec | None = None) -> Any:
        if self.codec_kind == BYTES_BYTES:
            return self.numcodec.decode(data)
        out = np.asarray(self.numcodec.decode(data))
        if out.dtype != spec.dtype and out.dtype.itemsize * out.size == spec.dtype.itemsize * math.prod(spec.shape):
            out = out.view(spec.dtype)
        return out.reshape(spec.shape)

    def describe(self) -> str:
        return repr(self.numcodec)


# -- array -> bytes ------------------------------------------------------------------------


def _with_endian(dtype: np.dtype, endian: str | None) -> np.dtype:
    if endian is None:
        return dtype
    order = "<" if endian == "little" else ">"
    if dtype.fields is not None:
        return np.dtype([(n, _with_endian(dtype.fields[n][0], endian)) for n in dtype.names])
    return dtype.newbyteorder(order) if dtype.byteorder != "|" else dtype


@dataclass(frozen=True)
class BytesCodec(V3Codec):
    """Fixed-size elements as raw bytes in C order, in the given byte order."""

    endian: str | None = "little"
    name: ClassVar[str] = "bytes"
    kind: ClassVar[str] = ARRAY_BYTES

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> BytesCodec:
        _check_keys(config, {"endian"}, where, cls.name)
        endian = config.get("endian")
        if endian not in (None, "little", "big"):
            raise CodecError(f"{where}bytes endian must be 'little' or 'big', got {endian!r}")
        return cls(endian)

    def to_json(self) -> dict[str, Any]:
        if self.endian is None:
            return {"name": self.name}
        return {"name": self.name, "configuration": {"endian": self.endian}}

    def evolve(self, spec: ChunkSpec) -> V3Codec:
        if spec.dtype.hasobject:
            raise CodecError(
                f"the bytes codec cannot encode variable-length dtype {spec.dtype}; use vlen-utf8/vlen-bytes"
            )
        if self.endian is None and _multibyte(spec.dtype):
            # what zarr-python and the structured-type spec do: a missing endian means little
            return BytesCodec("little")
        if self.endian is not None and not _multibyte(spec.dtype):
            return BytesCodec(None)  # single bytes have no order; zarr-python 3 writes no endian
        return self

    def encode(self, arr: np.ndarray, spec: ChunkSpec) -> bytes:
        target = _with_endian(spec.dtype, self.endian)
        if arr.dtype != target:
            arr = arr.astype(target)
        return arr.tobytes(order="C")

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        stored = _with_endian(spec.dtype, self.endian)
        expected = math.prod(spec.shape) * stored.itemsize
        buf = _as_u1(data)
        if buf.size != expected:
            raise ValueError(
                f"decoded to {buf.size} bytes, expected {expected} for chunk shape {spec.shape} of {spec.dtype}"
            )
        arr = buf.view(stored).reshape(spec.shape)
        return arr if stored == spec.dtype else arr.astype(spec.dtype)


def _multibyte(dtype: np.dtype) -> bool:
    if dtype.fields is not None:
        return any(_multibyte(dtype.fields[n][0]) for n in dtype.names)
    return dtype.byteorder != "|" and dtype.itemsize > 1


@dataclass(frozen=True)
class _VLenCodec(V3Codec):
    kind: ClassVar[str] = ARRAY_BYTES
    _numcodec_cls: ClassVar[type]
    _item_type: ClassVar[type]

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> _VLenCodec:
        _check_keys(config, set(), where, cls.name)
        return cls()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "configuration": {}}

    def evolve(self, spec: ChunkSpec) -> V3Codec:
        if not spec.dtype.hasobject:
            raise CodecError(f"codec {self.name!r} encodes variable-length strings or bytes, not {spec.dtype}")
        return self

    def encode(self, arr: np.ndarray, spec: ChunkSpec) -> bytes:
        items = np.asarray(arr, dtype=object).reshape(-1)
        if not items.flags.writeable:  # numcodecs' vlen codecs need a writable buffer
            items = items.copy()
        return _to_bytes(self._numcodec_cls().encode(items))

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        items = self._numcodec_cls().decode(data)
        n = math.prod(spec.shape)
        if items.size != n:
            raise ValueError(f"decoded {items.size} items, expected {n} for chunk shape {spec.shape}")
        return items.reshape(spec.shape)


class VLenUTF8Codec(_VLenCodec):
    """Variable-length UTF-8 strings (the ``string`` data type)."""

    name: ClassVar[str] = "vlen-utf8"
    _numcodec_cls: ClassVar[type] = numcodecs.VLenUTF8


class VLenBytesCodec(_VLenCodec):
    """Variable-length byte strings (the ``bytes`` data type)."""

    name: ClassVar[str] = "vlen-bytes"
    _numcodec_cls: ClassVar[type] = numcodecs.VLenBytes


# -- bytes -> bytes ------------------------------------------------------------------------

_BLOSC_SHUFFLE = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}
_BLOSC_CNAMES = ("blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd")


class _NumcodecsBacked(V3Codec):
    """A bytes -> bytes codec that is one numcodecs instance."""

    kind: ClassVar[str] = BYTES_BYTES

    def _make(self) -> Codec:
        raise NotImplementedError

    @property
    def numcodec(self) -> Codec:
        cached = self.__dict__.get("_numcodec")
        if cached is None:
            cached = self._make()
            object.__setattr__(self, "_numcodec", cached)
        return cached

    def encode(self, data: Any) -> Any:
        return self.numcodec.encode(data)

    def decode(self, data: Any) -> Any:
        declared_nbytes(self.numcodec, data)  # a truncated Blosc frame must not be read past its end
        return self.numcodec.decode(data)


@dataclass(frozen=True)
class BloscCodec(_NumcodecsBacked):
    """Blosc (``cname``, ``clevel``, ``shuffle`` as a word, ``typesize``, ``blocksize``)."""

    cname: str = "zstd"
    clevel: int = 5
    shuffle: str = "shuffle"
    typesize: int | None = None
    blocksize: int = 0
    name: ClassVar[str] = "blosc"

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> BloscCodec:
        _check_keys(config, {"cname", "clevel", "shuffle", "typesize", "blocksize"}, where, cls.name)
        cname = config.get("cname", "zstd")
        if cname not in _BLOSC_CNAMES:
            raise CodecError(f"{where}blosc cname must be one of {list(_BLOSC_CNAMES)}, got {cname!r}")
        clevel = _positive_int(config.get("clevel", 5), "blosc clevel", where, 0, 9)
        shuffle = config.get("shuffle", "shuffle")
        if not isinstance(shuffle, str) or shuffle not in _BLOSC_SHUFFLE:
            raise CodecError(f"{where}blosc shuffle must be one of {list(_BLOSC_SHUFFLE)}, got {shuffle!r}")
        typesize = config.get("typesize")
        if typesize is not None:
            typesize = _positive_int(typesize, "blosc typesize", where, 1)
        blocksize = _positive_int(config.get("blocksize", 0), "blosc blocksize", where, 0)
        return cls(cname, clevel, shuffle, typesize, blocksize)

    @classmethod
    def from_numcodecs(cls, codec: numcodecs.Blosc, itemsize: int) -> BloscCodec:
        shuffle = int(codec.shuffle)
        if shuffle == -1:  # AUTOSHUFFLE: bit-shuffle for single bytes, else byte-shuffle
            shuffle = 2 if itemsize == 1 else 1
        word = {v: k for k, v in _BLOSC_SHUFFLE.items()}[shuffle]
        return cls(codec.cname, int(codec.clevel), word, itemsize, int(codec.blocksize))

    def to_json(self) -> dict[str, Any]:
        config: dict[str, Any] = {"typesize": self.typesize, "cname": self.cname, "clevel": self.clevel}
        config.update({"shuffle": self.shuffle, "blocksize": self.blocksize})
        if self.typesize is None:
            del config["typesize"]
        return {"name": self.name, "configuration": config}

    def evolve(self, spec: ChunkSpec) -> V3Codec:
        if self.typesize is None:
            return replace(self, typesize=max(spec.dtype.itemsize, 1) if not spec.dtype.hasobject else 1)
        return self

    def decode(self, data: Any) -> Any:
        check_frame(data)  # Blosc would read past the end of a truncated frame
        return self.numcodec.decode(data)

    def _make(self) -> Codec:
        return numcodecs.Blosc(
            cname=self.cname,
            clevel=self.clevel,
            shuffle=_BLOSC_SHUFFLE[self.shuffle],
            blocksize=self.blocksize,
            typesize=self.typesize or 1,
        )


@dataclass(frozen=True)
class GzipCodec(_NumcodecsBacked):
    """gzip at ``level`` 0..9."""

    level: int = 5
    name: ClassVar[str] = "gzip"

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> GzipCodec:
        _check_keys(config, {"level"}, where, cls.name)
        return cls(_positive_int(config.get("level", 5), "gzip level", where, 0, 9))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "configuration": {"level": self.level}}

    def _make(self) -> Codec:
        return numcodecs.GZip(self.level)


@dataclass(frozen=True)
class ZstdCodec(_NumcodecsBacked):
    """Zstandard at ``level`` (-131072..22; 0 is the library default), optional checksum."""

    level: int = 0
    checksum: bool = False
    name: ClassVar[str] = "zstd"

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> ZstdCodec:
        _check_keys(config, {"level", "checksum"}, where, cls.name)
        level = config.get("level", 0)
        if isinstance(level, bool) or not isinstance(level, int) or not -131072 <= level <= 22:
            raise CodecError(f"{where}zstd level must be an integer -131072..22, got {level!r}")
        checksum = config.get("checksum", False)
        if not isinstance(checksum, bool):
            raise CodecError(f"{where}zstd checksum must be true or false, got {checksum!r}")
        return cls(level, checksum)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "configuration": {"level": self.level, "checksum": self.checksum}}

    def _make(self) -> Codec:
        return numcodecs.Zstd(level=self.level, checksum=self.checksum)


@dataclass(frozen=True)
class Crc32cCodec(_NumcodecsBacked):
    """A CRC32C checksum of the bytes, appended little-endian (4 bytes)."""

    name: ClassVar[str] = "crc32c"

    @classmethod
    def from_config(cls, config: dict[str, Any], where: str = "") -> Crc32cCodec:
        _check_keys(config, set(), where, cls.name)
        return cls()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name}

    def _make(self) -> Codec:
        return numcodecs.CRC32C(location="end")

    def decode(self, data: Any) -> Any:
        buf = _as_u1(data)
        if buf.size < 4:
            raise ValueError(f"crc32c: {buf.size} bytes cannot hold a 4-byte checksum")
        try:
            return self.numcodec.decode(buf)
        except RuntimeError as e:  # numcodecs reports a mismatch as RuntimeError
            raise ValueError(f"crc32c checksum mismatch ({e})") from None


# -- registry and chains -------------------------------------------------------------------


def _registry() -> dict[str, Callable[[dict[str, Any], str], V3Codec]]:
    from .sharding import ShardingCodec

    return {
        c.name: c.from_config
        for c in (
            TransposeCodec,
            BytesCodec,
            VLenUTF8Codec,
            VLenBytesCodec,
            BloscCodec,
            GzipCodec,
            ZstdCodec,
            Crc32cCodec,
            ShardingCodec,
        )
    }


def parse_codec(value: Any, where: str = "") -> V3Codec | None:
    """One codec from its JSON; None for an unknown codec marked ``must_understand: false``."""
    if isinstance(value, V3Codec):
        return value
    try:
        name, config, obj = parse_named(value, f"{where}codec")
    except ValueError as e:
        raise CodecError(str(e)) from None
    factory = _registry().get(name)
    if factory is not None:
        return factory(config, where)
    if name.startswith(NUMCODECS_PREFIX):
        codec_id = name[len(NUMCODECS_PREFIX) :]
        if "id" in config and config["id"] != codec_id:
            raise CodecError(f"{where}codec {name!r} has a mismatching id {config['id']!r}")
        return NumcodecsCodec.from_config(codec_id, {k: v for k, v in config.items() if k != "id"}, where)
    if obj.get("must_understand") is False:
        return None
    raise CodecError(f"{where}unknown codec {name!r}; zarrlib implements {sorted(_registry())} and numcodecs.*")


def parse_codecs(values: Sequence[Any], where: str = "") -> tuple[V3Codec, ...]:
    return tuple(c for c in (parse_codec(v, where) for v in values) if c is not None)


def _codec_kind(codec: V3Codec) -> str:
    return codec.codec_kind if isinstance(codec, NumcodecsCodec) else codec.kind


def resolve_chain(codecs: Sequence[V3Codec], spec: ChunkSpec, where: str = "") -> list[tuple[V3Codec, ChunkSpec]]:
    """Validate the order (array->array*, one array->bytes, bytes->bytes*) and fill in the
    data-dependent defaults; returns each codec with the spec it receives."""
    resolved: list[tuple[V3Codec, ChunkSpec]] = []
    stage = ARRAY_ARRAY
    ab_spec = spec
    for codec in codecs:
        kind = _codec_kind(codec)
        if stage == ARRAY_ARRAY and kind == BYTES_BYTES:
            raise CodecError(f"{where}codec {codec.name!r} ({kind}) comes before any array -> bytes codec")
        if stage != ARRAY_ARRAY and kind != BYTES_BYTES:
            raise CodecError(
                f"{where}codec {codec.name!r} ({kind}) comes after the array -> bytes codec; "
                "the chain must be array -> array codecs, one array -> bytes codec, then bytes -> bytes codecs"
            )
        codec = codec.evolve(ab_spec if kind == BYTES_BYTES else spec)
        resolved.append((codec, spec))
        if kind == ARRAY_ARRAY:
            spec = codec.resolve(spec)
        elif kind == ARRAY_BYTES:
            stage, ab_spec = ARRAY_BYTES, spec
    if stage == ARRAY_ARRAY:
        raise CodecError(
            f"{where}the codec chain needs an array -> bytes codec (e.g. 'bytes'), got {[c.name for c in codecs]}"
        )
    return resolved


class V3ChunkCodec:
    """Encodes one chunk (an ndarray of the chunk shape) with a v3 codec chain, and back."""

    order = "C"
    compressor = None
    filters: tuple[()] = ()

    def __init__(
        self,
        chunk_shape: tuple[int, ...],
        dtype: np.dtype,
        codecs: Sequence[V3Codec],
        fill_value: Any = None,
        *,
        write_empty_chunks: bool = False,
        where: str = "",
    ) -> None:
        self.chunk_shape = tuple(chunk_shape)
        self.dtype = np.dtype(dtype)
        self.fill_value = fill_value
        spec = ChunkSpec(self.chunk_shape, self.dtype, fill_value)
        resolved = resolve_chain(codecs, spec, where)
        self.codecs = tuple(c for c, _ in resolved)
        self._aa = [(c, s) for c, s in resolved if _codec_kind(c) == ARRAY_ARRAY]
        ab, self._ab_spec = next((c, s) for c, s in resolved if _codec_kind(c) == ARRAY_BYTES)
        self._bb = [c for c, _ in resolved if _codec_kind(c) == BYTES_BYTES]
        bind = getattr(ab, "bind", None)
        self._ab = bind(self._ab_spec, write_empty_chunks=write_empty_chunks, where=where) if bind else ab
        native = isinstance(ab, BytesCodec) and _with_endian(self.dtype, ab.endian) == self.dtype
        self.decodes_into = not self._aa and not self._bb and (native or bind is not None)
        #: Reads of part of a stored chunk fetch byte ranges (a chain that is only sharding).
        self.partial_reads = bind is not None and not self._aa and not self._bb
        self.partial_writes = self.partial_reads

    @classmethod
    def from_metadata(
        cls, meta: Any, *, write_empty_chunks: bool = False, where: str = "", allow_pickle: bool = False
    ) -> V3ChunkCodec:
        with pickle_opt_in(allow_pickle):  # 'numcodecs.pickle' may sit anywhere, even inside a shard
            codecs = parse_codecs(meta.codecs, where)
            return cls(
                meta.chunk_grid_shape,
                meta.dtype,
                codecs,
                meta.fill_value,
                write_empty_chunks=write_empty_chunks,
                where=where,
            )

    @property
    def sharding(self) -> Any:
        """The bound sharding codec when the chain is sharded, else None."""
        return self._ab if self.partial_reads else None

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.codecs]

    def decode(self, raw: Any) -> np.ndarray:
        """Bytes of one stored chunk -> an ndarray of the chunk shape (maybe read-only)."""
        data = raw
        for codec in reversed(self._bb):
            data = codec.decode(data)
        arr = self._ab.decode(data, self._ab_spec)
        for codec, spec in reversed(self._aa):
            arr = codec.decode(arr, spec)
        return arr

    def decode_into(self, raw: Any, out: np.ndarray) -> None:
        """Decode straight into ``out``, a C-contiguous array of the chunk's shape and dtype."""
        if hasattr(self._ab, "decode_into"):
            self._ab.decode_into(raw, out)
        else:
            out[...] = self.decode(raw)

    def encode(self, chunk: np.ndarray) -> bytes:
        """An ndarray of the chunk shape -> the bytes to store."""
        arr = np.asarray(chunk)
        for codec, spec in self._aa:
            arr = codec.encode(arr, spec)
        data: Any = self._ab.encode(arr, self._ab_spec)
        for codec in self._bb:
            data = codec.encode(data)
        return _to_bytes(data)

    # -- partial access (sharded chains only) --------------------------------------------------
    def read_partial(self, get_range: Callable[[Any], bytes | None], key: str, selection: Any) -> np.ndarray | None:
        """``decode(stored)[selection]`` fetching only the byte ranges needed; None if not stored."""
        return self._ab.read_partial(get_range, key, selection)

    def write_partial(self, raw: bytes | None, key: str, selection: Any, value: Any) -> bytes | None:
        """The stored chunk after ``chunk[selection] = value``; None when nothing is left to store."""
        return self._ab.write_partial(raw, key, selection, value)

    def describe(self) -> str:
        return ", ".join(c.describe() for c in self.codecs)


# -- from user arguments -------------------------------------------------------------------


def codec_from_user(obj: Any, itemsize: int = 1, where: str = "") -> V3Codec:
    """A v3 codec from what a user passes: a v3 codec, its JSON, or a numcodecs codec
    (blosc/zstd/gzip/crc32c become the v3 codecs, others ``numcodecs.<id>``)."""
    if isinstance(obj, V3Codec):
        return obj
    if isinstance(obj, (dict, str)):
        codec = parse_codec(obj, where)
        if codec is None:
            raise CodecError(f"{where}codec {obj!r} is unknown")
        return codec
    if isinstance(obj, Codec):
        config = obj.get_config()
        codec_id = config.pop("id")
        if isinstance(obj, numcodecs.Blosc):
            return BloscCodec.from_numcodecs(obj, itemsize)
        if codec_id == "zstd":
            return ZstdCodec(int(config.get("level", 0)), bool(config.get("checksum", False)))
        if codec_id == "gzip":
            return GzipCodec(int(config.get("level", 1)))
        if codec_id == "crc32c" and config.get("location", "end") == "end":
            return Crc32cCodec()
        if codec_id == "vlen-utf8":
            return VLenUTF8Codec()
        if codec_id == "vlen-bytes":
            return VLenBytesCodec()
        return NumcodecsCodec.from_config(codec_id, config, where)
    raise CodecError(f"{where}expected a codec (v3 codec object, JSON or numcodecs codec), got {obj!r}")


def default_serializer(vlen: str | None) -> V3Codec:
    """``bytes`` for fixed-size types, ``vlen-utf8``/``vlen-bytes`` for strings and bytes."""
    if vlen == STRING:
        return VLenUTF8Codec()
    if vlen == BYTES:
        return VLenBytesCodec()
    return BytesCodec()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def chain_from_user(
    *,
    dtype: np.dtype,
    vlen: str | None,
    fill_value: Any,
    chunks: tuple[int, ...],
    shards: tuple[int, ...] | None = None,
    codecs: Any = None,
    filters: Any = None,
    serializer: Any = "auto",
    compressors: Any = (),
    index_location: str = "end",
) -> V3ChunkCodec:
    """The validated codec chain of a new array from zarr-python-3-style arguments.

    ``codecs`` is the whole chain (the inner chain when ``shards`` is given); otherwise the
    chain is ``filters`` + ``serializer`` (``"auto"``: bytes, or vlen-utf8/vlen-bytes) +
    ``compressors``. With ``shards`` the array's chain is one ``sharding_indexed`` codec
    (index: bytes + crc32c) holding that chain, as zarr-python 3 writes it.
    """
    from .sharding import ShardingCodec

    itemsize = max(dtype.itemsize, 1) if not dtype.hasobject else 1
    where = "codecs: "
    if codecs is not None:
        if filters or serializer != "auto" or compressors:
            raise ValueError("give either codecs= or filters=/serializer=/compressors=, not both")
        chain = [codec_from_user(c, itemsize, where) for c in _as_list(codecs)]
    else:
        ab = default_serializer(vlen) if serializer in ("auto", None) else codec_from_user(serializer, itemsize, where)
        chain = [codec_from_user(c, itemsize, "filters: ") for c in _as_list(filters)]
        chain.append(ab)
        chain += [codec_from_user(c, itemsize, "compressors: ") for c in _as_list(compressors)]
    grid = chunks
    if shards is not None:
        if len(shards) != len(chunks) or any(s % c for s, c in zip(shards, chunks, strict=True)):
            raise ValueError(f"shards {shards} must be a multiple of chunks {chunks} along every axis")
        chain = [ShardingCodec(tuple(chunks), tuple(chain), index_location=index_location)]
        grid = shards
    return V3ChunkCodec(grid, dtype, chain, fill_value, where=where)
