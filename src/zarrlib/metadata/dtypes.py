"""Data types as the Zarr v2 format writes them (``"<i4"``, ``"|b1"``, structured lists)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MetadataError

JSONDtype = str | list[Any]


def parse_dtype(value: Any, *, where: str = "dtype") -> np.dtype:
    """Turn a v2 ``dtype`` JSON value (string or structured list) into a NumPy dtype."""
    try:
        if isinstance(value, list):
            dtype = np.dtype([_parse_field(field) for field in value])
        elif isinstance(value, str):
            dtype = np.dtype(value)
        else:
            raise TypeError(f"expected a string or a list, got {type(value).__name__}")
        check_dtype(dtype)
    except (TypeError, ValueError) as e:
        raise MetadataError(f"{where}: unsupported or malformed dtype {value!r} ({e})") from None
    return dtype


def check_dtype(dtype: np.dtype) -> None:
    """Reject dtypes NumPy accepts but no chunk can hold: no unit, or no size."""
    if dtype.kind in "mM" and np.datetime_data(dtype)[0] == "generic":
        raise ValueError(f"{dtype.kind}8 dtypes need a unit, e.g. '<{dtype.kind}8[ns]'")
    if dtype.itemsize == 0 and not dtype.hasobject:
        raise ValueError(f"dtype {dtype.str!r} has no size: give a length, e.g. 'S10' or 'U10'")
    for name in dtype.names or ():
        check_dtype(dtype.fields[name][0].base)


def _parse_field(field: Any) -> tuple:
    if not isinstance(field, (list, tuple)) or len(field) not in (2, 3):
        raise TypeError(f"structured field must be [name, dtype] or [name, dtype, shape], got {field!r}")
    name, sub = field[0], field[1]
    if not isinstance(name, str):
        raise TypeError(f"structured field names must be strings, got {name!r}")
    if isinstance(sub, list):
        sub_dtype = np.dtype([_parse_field(f) for f in sub])
    elif isinstance(sub, str):
        sub_dtype = np.dtype(sub)
    else:
        raise TypeError(f"field {name!r}: dtype must be a string or a list, got {sub!r}")
    if len(field) == 3:
        shape = field[2]
        if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
            raise TypeError(f"field {name!r}: subarray shape must be a list of integers, got {shape!r}")
        return (name, sub_dtype, tuple(shape))
    return (name, sub_dtype)


def encode_dtype(dtype: np.dtype) -> JSONDtype:
    """The v2 JSON form of ``dtype``: its ``str`` or, for structured dtypes, its ``descr``."""
    if dtype.fields is not None:
        return [_encode_descr_item(item) for item in dtype.descr]
    return dtype.str


def _encode_descr_item(item: tuple) -> list:
    name, sub = item[0], item[1]
    encoded: list = [name, [_encode_descr_item(s) for s in sub] if isinstance(sub, list) else sub]
    if len(item) == 3:
        encoded.append(list(item[2]))
    return encoded


def normalize_dtype(dtype: Any, object_codec: Any = None) -> tuple[np.dtype, Any]:
    """Resolve a user's dtype argument; ``str``/``bytes`` as dtype mean variable-length object arrays.

    Returns the NumPy dtype and the object codec to use (``None`` for non-object dtypes).
    """
    import numcodecs

    if dtype is None:
        return np.dtype("f8"), None
    if dtype is str or dtype == "str":
        return np.dtype(object), object_codec or numcodecs.VLenUTF8()
    if dtype is bytes or dtype == "bytes":
        return np.dtype(object), object_codec or numcodecs.VLenBytes()
    if isinstance(dtype, str) and dtype.startswith("array:"):
        inner = np.dtype(dtype[len("array:") :])
        return np.dtype(object), object_codec or numcodecs.VLenArray(inner)
    try:
        resolved = np.dtype(dtype)
        check_dtype(resolved)
    except (TypeError, ValueError) as e:
        raise ValueError(f"dtype {dtype!r} cannot be stored ({e})") from None
    if resolved.hasobject and object_codec is None:
        raise ValueError(
            "an object dtype needs an object_codec to encode its items, e.g. "
            "object_codec=numcodecs.VLenUTF8() for strings, numcodecs.JSON() or numcodecs.MsgPack()"
        )
    return resolved, (object_codec if resolved.hasobject else None)
