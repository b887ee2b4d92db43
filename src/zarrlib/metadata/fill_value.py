"""Fill values in the JSON forms of the Zarr v2 spec (NaN/Infinity strings, base64 bytes, ...)."""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from ..errors import MetadataError

_FLOAT_SPECIALS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def normalize_fill_value(fill_value: Any, dtype: np.dtype) -> Any:
    """Coerce a user's fill value to a NumPy scalar of ``dtype`` (``None`` stays ``None``).

    ``0`` means "zero of this dtype" for every dtype (empty string, zeroed struct), as in
    zarr-python, so ``zeros`` works whatever the dtype.
    """
    if fill_value is None or dtype.hasobject:
        return fill_value
    if isinstance(fill_value, int) and not isinstance(fill_value, bool) and fill_value == 0:
        return np.zeros((), dtype=dtype)[()]
    if dtype.fields is not None:
        if isinstance(fill_value, (bytes, np.void)):
            return np.frombuffer(bytes(fill_value), dtype=dtype)[0]
        return np.array(fill_value, dtype=dtype)[()]
    value = np.asarray(fill_value)
    if dtype.kind in "iu" and value.dtype.kind in "iu" and not _in_range(int(value), dtype):
        raise ValueError(f"fill_value {fill_value!r} is out of range for dtype {dtype}")
    if dtype.kind in "iubfc" and value.dtype.kind in "SUO":
        raise ValueError(f"fill_value {fill_value!r} cannot be stored as dtype {dtype}")
    if dtype.kind in "iu" and value.dtype.kind == "f" and not np.isfinite(value):
        raise ValueError(f"fill_value {fill_value!r} cannot be stored as integer dtype {dtype}")
    try:
        return value.astype(dtype, casting="unsafe")[()]
    except (TypeError, ValueError, OverflowError) as e:
        raise ValueError(f"fill_value {fill_value!r} cannot be stored as dtype {dtype} ({e})") from None


def encode_fill_value(value: Any, dtype: np.dtype, object_codec: Any = None) -> Any:
    """The v2 JSON form of a fill value."""
    if value is None:
        return None
    kind = dtype.kind
    if dtype.hasobject:
        return _encode_object_fill(value, object_codec)
    if kind == "f":
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if kind == "c":
        part = np.dtype(f"f{dtype.itemsize // 2}")
        return [encode_fill_value(value.real, part), encode_fill_value(value.imag, part)]
    if kind in "iu":
        return int(value)
    if kind == "b":
        return bool(value)
    if kind in "mM":
        return int(np.asarray(value).view("i8"))
    if kind == "U":
        return str(value)
    if kind == "S":  # like zarr-python: the bytes value itself, trailing NULs dropped
        raw = bytes(np.asarray(value, dtype=dtype)[()])
        return base64.standard_b64encode(raw).decode("ascii")
    if kind == "V":
        raw = np.asarray(value, dtype=dtype).tobytes()
        return base64.standard_b64encode(raw).decode("ascii")
    raise ValueError(f"cannot encode a fill value for dtype {dtype}")


def decode_fill_value(encoded: Any, dtype: np.dtype, object_codec: Any = None, *, where: str = "fill_value") -> Any:
    """Parse the v2 JSON form of a fill value into a NumPy scalar of ``dtype``."""
    if encoded is None:
        return None
    kind = dtype.kind
    try:
        if dtype.hasobject:
            return _decode_object_fill(encoded, object_codec)
        if kind == "f":
            if isinstance(encoded, str):
                if encoded in _FLOAT_SPECIALS:
                    return np.array(_FLOAT_SPECIALS[encoded], dtype=dtype)[()]
                if encoded.startswith("0x"):
                    return np.frombuffer(bytes.fromhex(encoded[2:]), dtype=dtype.newbyteorder(">"))[0].astype(dtype)
                raise ValueError(f"unrecognised float fill value string {encoded!r}")
            if isinstance(encoded, bool) or not isinstance(encoded, (int, float)):
                raise ValueError(f"expected a number, got {encoded!r}")
            with np.errstate(over="ignore"):
                value = np.array(encoded, dtype=dtype)[()]
            if math.isfinite(encoded) and not np.isfinite(value):  # 1e300 as float16 is not infinity
                raise ValueError(f"{encoded!r} is out of range for {dtype}")
            return value
        if kind == "c":
            if not isinstance(encoded, list) or len(encoded) != 2:
                raise ValueError(f"expected [real, imag], got {encoded!r}")
            part = np.dtype(f"f{dtype.itemsize // 2}")
            real = decode_fill_value(encoded[0], part, where=where)
            imag = decode_fill_value(encoded[1], part, where=where)
            return np.array(complex(real, imag), dtype=dtype)[()]
        if kind in "iu":
            if isinstance(encoded, bool) or not isinstance(encoded, (int, float)) or int(encoded) != encoded:
                raise ValueError(f"expected an integer, got {encoded!r}")
            if not _in_range(int(encoded), dtype):
                raise ValueError(f"{encoded!r} is out of range for {dtype}")
            return np.array(int(encoded)).astype(dtype)[()]
        if kind == "b":
            if not isinstance(encoded, (bool, int)):
                raise ValueError(f"expected a boolean, got {encoded!r}")
            return np.bool_(encoded)
        if kind in "mM":
            if isinstance(encoded, str):
                return np.array(encoded, dtype=dtype)[()]
            return np.array(int(encoded), dtype="i8").view(dtype.newbyteorder("="))[()]  # native i8 bits
        if kind == "U":
            if isinstance(encoded, int) and not isinstance(encoded, bool) and encoded == 0:
                return np.zeros((), dtype=dtype)[()]
            if not isinstance(encoded, str):  # a list would become an array, not a scalar
                raise ValueError(f"expected a string, got {encoded!r}")
            return np.array(encoded, dtype=dtype)[()]
        if kind == "S":
            if isinstance(encoded, str):
                return np.array(base64.standard_b64decode(encoded), dtype=dtype)[()]
            # arrays written before base64 may hold e.g. 0 (zarr-python 2 accepts them too)
            if isinstance(encoded, int) and not isinstance(encoded, bool) and encoded == 0:
                return np.zeros((), dtype=dtype)[()]
            raise ValueError(f"expected a base64 string, got {encoded!r}")
        if kind == "V":
            raw = base64.standard_b64decode(encoded)
            if len(raw) != dtype.itemsize:
                raise ValueError(f"expected {dtype.itemsize} bytes, decoded {len(raw)}")
            return np.frombuffer(raw, dtype=dtype)[0]
    except (TypeError, ValueError, OverflowError, base64.binascii.Error) as e:
        raise MetadataError(f"{where}: cannot decode {encoded!r} as a fill value of dtype {dtype} ({e})") from None
    raise MetadataError(f"{where}: no fill value encoding for dtype {dtype}")


def _is_vlen_bytes(object_codec: Any) -> bool:
    """Whether the object codec (a numcodecs codec or its config) is VLenBytes."""
    if isinstance(object_codec, dict):
        return object_codec.get("id") == "vlen-bytes"
    return getattr(object_codec, "codec_id", None) == "vlen-bytes"


def _encode_object_fill(value: Any, object_codec: Any) -> Any:
    """Object arrays: zarr-python 2 stores the fill value as plain JSON (``""``, ``0``), and
    zarr-python 3 stores a VLenBytes array's fill value as base64 of its bytes."""
    if isinstance(value, (bytes, np.bytes_)):
        if not _is_vlen_bytes(object_codec):
            raise ValueError(f"a bytes fill value {value!r} needs the VLenBytes object codec")
        return base64.standard_b64encode(bytes(value)).decode("ascii")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return encode_fill_value(value, np.dtype("f8"))
    if isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"fill value {value!r} of an object array has no JSON form (use a str, number or bool)")


def _decode_object_fill(encoded: Any, object_codec: Any) -> Any:
    if _is_vlen_bytes(object_codec):
        if not isinstance(encoded, str):
            raise ValueError(f"a VLenBytes fill value must be a base64 string, got {encoded!r}")
        return base64.standard_b64decode(encoded)
    if isinstance(encoded, (list, dict)):
        raise ValueError(f"expected a string, number or boolean, got {encoded!r}")
    return encoded


def _in_range(value: int, dtype: np.dtype) -> bool:
    info = np.iinfo(dtype)
    return info.min <= value <= info.max
