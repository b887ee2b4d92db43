"""The Zarr v2 metadata documents: ``.zarray``, ``.zgroup`` and ``.zattrs``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import MetadataError
from .dtypes import encode_dtype, parse_dtype
from .fill_value import decode_fill_value, encode_fill_value

ARRAY_KEY = ".zarray"
GROUP_KEY = ".zgroup"
ATTRS_KEY = ".zattrs"
CONSOLIDATED_KEY = ".zmetadata"
#: The largest shape, chunk or element count NumPy can index (int64).
MAX_INT64 = 2**63 - 1


def load_json(raw: bytes, key: str) -> dict[str, Any]:
    """Parse a stored JSON object; the error names the key that held it."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError, UnicodeDecodeError) as e:
        raise MetadataError(f"{key!r} does not hold valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise MetadataError(f"{key!r} must hold a JSON object, found {type(doc).__name__}")
    return doc


def dump_json(doc: Any) -> bytes:
    """Serialise metadata the way zarr-python 2 does (sorted keys, 4-space indent, ASCII)."""
    return json.dumps(
        doc, indent=4, sort_keys=True, ensure_ascii=True, separators=(",", ": "), default=_json_default
    ).encode("ascii")


def _json_default(value: Any) -> Any:
    """NumPy scalars and arrays in codec configs (e.g. ``FixedScaleOffset(scale=np.float64(10))``)."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} cannot be written as JSON metadata")


def _parse_int_tuple(value: Any, key: str, name: str, *, minimum: int) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise MetadataError(f"{key!r}: {name} must be a list of integers, got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum or v > MAX_INT64:
            raise MetadataError(f"{key!r}: {name} entries must be integers >= {minimum} and < 2**63, got {value!r}")
    return tuple(value)


def check_size(shape: tuple[int, ...], where: str) -> None:
    """Element counts and offsets are int64 in NumPy: a larger array cannot be indexed."""
    if math.prod(shape) > MAX_INT64:
        raise MetadataError(f"{where}: shape {list(shape)} has more than 2**63-1 elements")


def _parse_codec_config(value: Any, key: str, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise MetadataError(f"{key!r}: {name} must be null or an object with a string 'id', got {value!r}")
    return value


@dataclass(frozen=True)
class ArrayMetadataV2:
    """A parsed ``.zarray`` document. Codec entries stay as numcodecs config dicts."""

    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: np.dtype
    compressor: dict[str, Any] | None
    fill_value: Any
    order: str = "C"
    filters: tuple[dict[str, Any], ...] | None = None
    dimension_separator: str = "."
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    zarr_format = 2

    @property
    def object_codec_config(self) -> dict[str, Any] | None:
        """Object arrays keep their item codec as the first filter (zarr-python's convention)."""
        if self.dtype.hasobject and self.filters:
            return self.filters[0]
        return None

    def chunk_key(self, coords: tuple[int, ...]) -> str:
        """The store key of one chunk, relative to the array (``"0.1"``; ``"0"`` when 0-d)."""
        if not coords:
            return "0"
        return self.dimension_separator.join(map(str, coords))

    def with_shape(self, shape: tuple[int, ...]) -> ArrayMetadataV2:
        return replace(self, shape=tuple(shape))

    @classmethod
    def from_json(cls, raw: bytes, key: str = ARRAY_KEY) -> ArrayMetadataV2:
        doc = load_json(raw, key)
        if doc.get("zarr_format") != 2:
            raise MetadataError(f"{key!r}: zarr_format must be 2, got {doc.get('zarr_format')!r}")
        for required in ("shape", "chunks", "dtype", "compressor", "fill_value", "order", "filters"):
            if required not in doc:
                raise MetadataError(f"{key!r}: required field {required!r} is missing")
        shape = _parse_int_tuple(doc["shape"], key, "shape", minimum=0)
        check_size(shape, repr(key))
        chunks = _parse_int_tuple(doc["chunks"], key, "chunks", minimum=1)
        if len(chunks) != len(shape):
            raise MetadataError(f"{key!r}: chunks {list(chunks)} and shape {list(shape)} differ in length")
        dtype = parse_dtype(doc["dtype"], where=f"{key!r}: dtype")
        if math.prod(chunks) * max(dtype.itemsize, 1) > 2**40:
            raise MetadataError(f"{key!r}: chunks {list(chunks)} of {dtype} exceed 1 TiB per chunk")
        order = doc["order"]
        if order not in ("C", "F"):
            raise MetadataError(f"{key!r}: order must be 'C' or 'F', got {order!r}")
        compressor = _parse_codec_config(doc["compressor"], key, "compressor")
        filters = doc["filters"]
        if filters is not None:
            if not isinstance(filters, list):
                raise MetadataError(f"{key!r}: filters must be null or a list, got {filters!r}")
            filters = tuple(_parse_codec_config(f, key, "each filter") for f in filters) or None
        separator = doc.get("dimension_separator", ".")
        if separator is None:
            separator = "."
        if separator not in (".", "/"):
            raise MetadataError(f"{key!r}: dimension_separator must be '.' or '/', got {separator!r}")
        object_codec = None
        if dtype.hasobject:
            if not filters:
                raise MetadataError(f"{key!r}: object dtype without an object codec in filters")
            object_codec = filters[0]
        fill_value = decode_fill_value(doc["fill_value"], dtype, object_codec, where=f"{key!r}: fill_value")
        known = {"zarr_format", "shape", "chunks", "dtype", "compressor", "fill_value", "order", "filters"}
        extra = {k: v for k, v in doc.items() if k not in known | {"dimension_separator"}}
        return cls(shape, chunks, dtype, compressor, fill_value, order, filters, separator, extra)

    def to_json(self) -> bytes:
        object_codec = self.filters[0] if self.dtype.hasobject and self.filters else None
        doc = {
            "zarr_format": 2,
            "shape": list(self.shape),
            "chunks": list(self.chunks),
            "dtype": encode_dtype(self.dtype),
            "compressor": self.compressor,
            "fill_value": encode_fill_value(self.fill_value, self.dtype, object_codec),
            "order": self.order,
            "filters": list(self.filters) if self.filters else None,
            "dimension_separator": self.dimension_separator,
        }
        return dump_json(doc)


@dataclass(frozen=True)
class GroupMetadataV2:
    """A parsed ``.zgroup`` document."""

    zarr_format = 2

    @classmethod
    def from_json(cls, raw: bytes, key: str = GROUP_KEY) -> GroupMetadataV2:
        doc = load_json(raw, key)
        if doc.get("zarr_format") != 2:
            raise MetadataError(f"{key!r}: zarr_format must be 2, got {doc.get('zarr_format')!r}")
        return cls()

    def to_json(self) -> bytes:
        return dump_json({"zarr_format": 2})
