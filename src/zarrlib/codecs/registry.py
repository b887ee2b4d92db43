"""Building numcodecs codecs from stored configs, with the few guards zarrlib adds."""

from __future__ import annotations

import contextlib
import contextvars
import lzma
import os
import re
from collections.abc import Iterator
from typing import Any

import numcodecs
import numpy as np
from numcodecs.abc import Codec

from ..errors import CodecError

try:  # numcodecs >= 0.14 raises its own (ValueError) class; older versions a KeyError
    from numcodecs.errors import UnknownCodecError

    _UNKNOWN_CODEC: tuple[type[Exception], ...] = (UnknownCodecError, KeyError)
except ImportError:  # pragma: no cover - depends on the numcodecs version
    _UNKNOWN_CODEC = (KeyError,)

#: Codecs that execute code from the stored data when decoding.
UNSAFE_CODEC_IDS = frozenset({"pickle"})

#: Set to 1 to allow the pickle codec everywhere without ``allow_pickle=True`` (trusted data only).
ALLOW_PICKLE_ENV = "ZARRLIB_ALLOW_PICKLE"


#: Set by ``pickle_opt_in`` while the codecs of an array opened with ``allow_pickle=True`` are built.
_opted_in: contextvars.ContextVar[bool] = contextvars.ContextVar("zarrlib_allow_pickle", default=False)


def pickle_allowed(allow_pickle: bool = False) -> bool:
    """Whether a stored pickle codec may be built: the caller opted in, or the environment did."""
    if allow_pickle or _opted_in.get():
        return True
    return os.environ.get(ALLOW_PICKLE_ENV, "").strip().lower() in ("1", "true", "yes")


@contextlib.contextmanager
def pickle_opt_in(allow_pickle: bool) -> Iterator[None]:
    """Codecs built inside the block (v3 chains, nested in sharding) follow ``allow_pickle``."""
    token = _opted_in.set(allow_pickle)
    try:
        yield
    finally:
        _opted_in.reset(token)


class _LZMAFiltersInHeader(numcodecs.LZMA):
    """LZMA whose filters live in the stream header (xz/alone formats).

    numcodecs passes ``filters`` back to ``lzma.decompress``, which only accepts them for
    raw streams; an xz stream names its own filters, so decoding ignores the config's.
    """

    def decode(self, buf: Any, out: Any = None) -> Any:
        from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy

        data = lzma.decompress(ensure_contiguous_ndarray(buf), format=self.format)
        return ndarray_copy(data, out)

    def __repr__(self) -> str:  # the class users asked for, not this adapter
        return numcodecs.LZMA.__repr__(self).replace(type(self).__name__, "LZMA", 1)


class _OptedInPickle(numcodecs.Pickle):
    """numcodecs' Pickle, decoding without its process-wide switch: built only for a caller
    who passed ``allow_pickle=True`` (or set the environment variable) for this array."""

    def decode(self, buf: Any, out: Any = None) -> Any:
        import pickle

        from numcodecs.compat import ensure_contiguous_ndarray

        decoded = pickle.loads(ensure_contiguous_ndarray(buf))
        if out is not None:
            np.copyto(out, decoded)
            return out
        return decoded


def build_codec(config: dict[str, Any], *, allow_pickle: bool = False, where: str = "") -> Codec:
    """A numcodecs codec for a stored config; the error names ``where`` the config came from."""
    config = dict(config)
    codec_id = config.get("id")
    if codec_id in UNSAFE_CODEC_IDS and not pickle_allowed(allow_pickle):
        raise CodecError(
            f"{where}codec {codec_id!r} runs code stored in the data when decoding (unpickling can run "
            f"any code, so a hostile store could take over this process): refused; open with allow_pickle=True "
            f"(or set {ALLOW_PICKLE_ENV}=1) only if you trust whoever wrote the data"
        )
    if codec_id in UNSAFE_CODEC_IDS:
        try:
            return _OptedInPickle(**{k: v for k, v in config.items() if k != "id"})
        except TypeError as e:
            raise CodecError(f"{where}invalid config {config!r} for codec {codec_id!r} ({e})") from None
    if codec_id == "blosc":
        _check_blosc(config, where)
    if codec_id == "lzma" and config.get("filters") and config.get("format", 1) != lzma.FORMAT_RAW:
        params = {k: v for k, v in config.items() if k != "id"}
        return _LZMAFiltersInHeader(**params)
    try:
        return numcodecs.get_codec(config)
    except _UNKNOWN_CODEC:
        raise CodecError(
            f"{where}unknown codec id {codec_id!r} in {config!r}: "
            "no such codec is registered with numcodecs (numcodecs.register_codec adds one)"
        ) from None
    except Exception as e:  # numcodecs constructors raise anything (Blosc shuffle=7: IndexError)
        raise CodecError(f"{where}invalid config {config!r} for codec {codec_id!r} ({type(e).__name__}: {e})") from None


def _check_blosc(config: dict[str, Any], where: str) -> None:
    """numcodecs takes any Blosc parameters and fails later (or in repr): check them here."""
    checks = {
        "cname": lambda v: v in numcodecs.blosc.list_compressors(),
        "clevel": lambda v: _is_int(v) and 0 <= v <= 9,
        "shuffle": lambda v: _is_int(v) and -1 <= v <= 2,
        "blocksize": lambda v: _is_int(v) and v >= 0,
        "typesize": lambda v: _is_int(v) and v >= 1,
    }
    for name, ok in checks.items():
        if name in config and not ok(config[name]):
            raise CodecError(f"{where}invalid Blosc {name} {config[name]!r} in {config!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def declared_nbytes(codec: Codec, raw: Any) -> int | None:
    """The decoded size a compressed frame declares in its header (Blosc, LZ4, Zstd), after
    checking the frame holds the bytes its header claims; None when the format has no such
    field (zlib, gzip, bz2, lzma) or the frame leaves it out."""
    buf = memoryview(raw).cast("B")
    if isinstance(codec, numcodecs.Blosc):
        if len(buf) < 16:
            raise ValueError(f"a Blosc frame needs a 16-byte header, got {len(buf)} bytes")
        cbytes = int.from_bytes(buf[12:16], "little")
        if cbytes > len(buf):
            raise ValueError(f"the Blosc header claims {cbytes} compressed bytes, the chunk has {len(buf)}")
        return int.from_bytes(buf[4:8], "little")
    if isinstance(codec, numcodecs.LZ4):
        if len(buf) < 4:
            raise ValueError(f"an LZ4 chunk needs a 4-byte size prefix, got {len(buf)} bytes")
        return int.from_bytes(buf[:4], "little")
    if isinstance(codec, numcodecs.Zstd):
        return _zstd_content_size(buf)
    return None


def _zstd_content_size(buf: memoryview) -> int | None:
    """Frame_Content_Size of a Zstandard frame header (RFC 8878, 3.1.1.1), if present."""
    if len(buf) < 6 or bytes(buf[:4]) != b"\x28\xb5\x2f\xfd":
        raise ValueError("not a Zstandard frame (bad magic number)")
    descriptor = buf[4]
    single_segment = (descriptor >> 5) & 1
    size = (single_segment, 2, 4, 8)[descriptor >> 6]
    start = 5 + (0 if single_segment else 1) + (0, 1, 2, 4)[descriptor & 3]
    if size == 0 or len(buf) < start + size:
        return None
    value = int.from_bytes(buf[start : start + size], "little")
    return value + 256 if size == 2 else value


def codec_config(codec: Codec) -> dict[str, Any]:
    """The JSON config of a codec, as stored in ``.zarray``."""
    return codec.get_config()


def describe_codec(codec: Codec) -> str:
    """A one-line description as zarr's reports show it.

    ``Blosc(cname='lz4', clevel=5, shuffle=1)``, ``Zlib(level=1)``, ``Delta(dtype=int32)``,
    ``LZMA(format=1, check=-1, preset=None, filters=[{'dist': 4, 'id': 3}, {'preset': 1, 'id': 33}])``:
    numcodecs' repr, on one line, with native numeric dtypes by name and Blosc's shuffle as a number.
    """
    if isinstance(codec, numcodecs.Blosc):
        text = f"Blosc(cname={codec.cname!r}, clevel={codec.clevel}, shuffle={int(codec.shuffle)}"
        return text + (f", blocksize={codec.blocksize})" if codec.blocksize else ")")
    if isinstance(codec, numcodecs.LZMA):
        # the tutorial's form lists each filter's options before its id
        filters = None if codec.filters is None else [_id_last(f) for f in codec.filters]
        return f"LZMA(format={codec.format!r}, check={codec.check!r}, preset={codec.preset!r}, filters={filters!r})"
    text = " ".join(repr(codec).split())  # numcodecs' JSON codec repr spans lines
    return _DTYPE_ARG.sub(lambda m: f"{m[1]}={_dtype_text(m[2])}", text)


_DTYPE_ARG = re.compile(r"\b(dtype|astype|encode_dtype|decode_dtype)='([^']*)'")


def _dtype_text(typestr: str) -> str:
    """``'<i4'`` -> ``int32`` for native numeric dtypes; anything else stays quoted."""
    try:
        dtype = np.dtype(typestr)
    except TypeError:
        return repr(typestr)
    if (dtype.kind in "biufc" and dtype.isnative) or dtype.kind == "O":
        return dtype.name
    return repr(typestr)


def _id_last(options: Any) -> Any:
    if not isinstance(options, dict) or "id" not in options:
        return options
    return {**{k: v for k, v in options.items() if k != "id"}, "id": options["id"]}
