"""The Zarr v3 metadata document ``zarr.json`` for arrays and groups.

Data types by their v3 names (core types plus the extensions zarr-python 3 writes), fill
values in their v3 JSON forms, the ``regular`` chunk grid, the ``default`` and ``v2``
chunk key encodings. Codecs stay JSON here (normalised to objects); ``codecs/v3.py`` builds
them. Unknown members, extensions and storage transformers are refused unless they are
marked ``"must_understand": false``.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import MetadataError
from .v2 import MAX_INT64, check_size, load_json

ZARR_JSON = "zarr.json"

#: Core data types: v3 name -> NumPy dtype (in memory, native byte order).
CORE_DTYPES: dict[str, str] = {
    "bool": "?",
    "int8": "i1",
    "int16": "i2",
    "int32": "i4",
    "int64": "i8",
    "uint8": "u1",
    "uint16": "u2",
    "uint32": "u4",
    "uint64": "u8",
    "float16": "f2",
    "float32": "f4",
    "float64": "f8",
    "complex64": "c8",
    "complex128": "c16",
}
_CORE_BY_DTYPE = {np.dtype(v).str[1:]: k for k, v in CORE_DTYPES.items()}
#: Variable-length types, held in memory as object arrays of ``str`` / ``bytes``.
STRING, BYTES = "string", "bytes"
_VLEN_NAMES = {"string": STRING, "bytes": BYTES, "variable_length_bytes": BYTES}
_TIME_UNITS = frozenset({"Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as", "generic"})
_ARRAY_MEMBERS = frozenset(
    {
        "zarr_format",
        "node_type",
        "shape",
        "data_type",
        "chunk_grid",
        "chunk_key_encoding",
        "fill_value",
        "codecs",
        "attributes",
        "storage_transformers",
        "dimension_names",
    }
)
_GROUP_MEMBERS = frozenset({"zarr_format", "node_type", "attributes", "consolidated_metadata"})


# -- JSON helpers -------------------------------------------------------------------------


def dump_json_v3(doc: dict[str, Any]) -> bytes:
    """Serialise a v3 document as zarr-python 3 does (2-space indent, keys in insertion order)."""
    try:
        return json.dumps(doc, indent=2, ensure_ascii=True).encode("ascii")
    except ValueError as e:
        raise MetadataError(f"cannot serialise metadata to JSON: {e}") from None


def parse_named(value: Any, where: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """An extension definition (object or short-hand name) -> (name, configuration, object)."""
    if isinstance(value, str):
        return value, {}, {"name": value}
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise MetadataError(f"{where} must be a name or an object with a string 'name', got {value!r}")
    config = value.get("configuration", {})
    if not isinstance(config, dict):
        raise MetadataError(f"{where}: configuration must be an object, got {config!r}")
    return value["name"], config, value


def must_understand(value: Any) -> bool:
    """False only for extension objects that explicitly say ``"must_understand": false``."""
    return not (isinstance(value, dict) and value.get("must_understand") is False)


def _int_list(value: Any, where: str, *, minimum: int) -> tuple[int, ...]:
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) or v < minimum or v > MAX_INT64 for v in value
    ):
        raise MetadataError(f"{where} must be a list of integers >= {minimum} and < 2**63, got {value!r}")
    return tuple(value)


# -- data types ---------------------------------------------------------------------------


def parse_data_type(value: Any, where: str = "data_type") -> np.dtype:
    """A v3 ``data_type`` -> the NumPy dtype arrays of it hold (object for string/bytes)."""
    name, config, obj = parse_named(value, where)
    if not must_understand(obj):
        raise MetadataError(f"{where}: must_understand=false is not allowed for data types")
    if name in CORE_DTYPES:
        return np.dtype(CORE_DTYPES[name])
    if name in _VLEN_NAMES:
        return np.dtype(object)
    if name in ("fixed_length_utf32", "null_terminated_bytes", "raw_bytes"):
        n = config.get("length_bytes")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0 or (name == "fixed_length_utf32" and n % 4):
            raise MetadataError(f"{where}: {name} needs an integer length_bytes, got {n!r}")
        code = {"fixed_length_utf32": f"<U{n // 4}", "null_terminated_bytes": f"S{n}", "raw_bytes": f"V{n}"}[name]
        return np.dtype(code)
    if re.fullmatch(r"r\d+", name) and int(name[1:]) % 8 == 0 and int(name[1:]) > 0:
        return np.dtype(f"V{int(name[1:]) // 8}")
    if name in ("numpy.datetime64", "numpy.timedelta64"):
        unit, scale = config.get("unit"), config.get("scale_factor", 1)
        if (
            not isinstance(unit, str)
            or unit not in _TIME_UNITS
            or isinstance(scale, bool)
            or not isinstance(scale, int)
            or not 1 <= scale < 2**31
        ):
            raise MetadataError(f"{where}: {name} needs a unit and a scale_factor 1..2**31-1, got {config!r}")
        unit = "us" if unit == "μs" else unit
        code = "M8" if name == "numpy.datetime64" else "m8"
        return np.dtype(code if unit == "generic" else f"{code}[{'' if scale == 1 else scale}{unit}]")
    if name in ("struct", "structured"):
        fields = config.get("fields")
        if not isinstance(fields, list) or not fields:
            raise MetadataError(f"{where}: {name} needs a non-empty list of fields, got {fields!r}")
        parsed = []
        for f in fields:
            if isinstance(f, dict) and isinstance(f.get("name"), str) and "data_type" in f:
                fname, ftype = f["name"], f["data_type"]
            elif isinstance(f, list) and len(f) == 2 and isinstance(f[0], str):
                fname, ftype = f
            else:
                raise MetadataError(f"{where}: bad struct field {f!r}")
            sub = parse_data_type(ftype, f"{where}: field {fname!r}")
            if sub.hasobject:
                raise MetadataError(f"{where}: field {fname!r} has a variable-length type")
            parsed.append((fname, sub))
        try:
            return np.dtype(parsed)
        except (TypeError, ValueError) as e:
            raise MetadataError(f"{where}: bad struct fields {fields!r} ({e})") from None
    raise MetadataError(f"{where}: unsupported data type {value!r}")


def vlen_kind(data_type: Any) -> str | None:
    """``"string"`` or ``"bytes"`` for the variable-length types, else None."""
    name = data_type if isinstance(data_type, str) else data_type.get("name") if isinstance(data_type, dict) else None
    return _VLEN_NAMES.get(name)


def encode_data_type(dtype: np.dtype, vlen: str | None = None) -> Any:
    """The v3 JSON of a NumPy dtype; ``vlen`` ("string"/"bytes") for object dtypes."""
    dtype = np.dtype(dtype)
    if dtype.hasobject or dtype.kind == "T":
        if vlen not in (STRING, BYTES):
            raise ValueError(f"an object dtype in Zarr v3 must hold strings or bytes, got vlen={vlen!r}")
        return vlen
    if dtype.fields is not None:
        fields = []
        for fname in dtype.names:
            fields.append([fname, encode_data_type(dtype.fields[fname][0])])
        if dtype.itemsize != sum(dtype.fields[n][0].itemsize for n in dtype.names):
            raise ValueError(f"structured dtype {dtype} has padding, which Zarr v3 cannot describe")
        # "structured" is what zarr-python 3.1 reads and writes (the spec's "struct" is newer)
        return {"name": "structured", "configuration": {"fields": fields}}
    core = _CORE_BY_DTYPE.get(dtype.str[1:])
    if core is not None:
        return core
    if dtype.kind == "U":
        return {"name": "fixed_length_utf32", "configuration": {"length_bytes": dtype.itemsize}}
    if dtype.kind == "S":
        return {"name": "null_terminated_bytes", "configuration": {"length_bytes": dtype.itemsize}}
    if dtype.kind == "V":
        return {"name": "raw_bytes", "configuration": {"length_bytes": dtype.itemsize}}
    if dtype.kind in "mM":
        unit, scale = np.datetime_data(dtype)
        name = "numpy.datetime64" if dtype.kind == "M" else "numpy.timedelta64"
        return {"name": name, "configuration": {"unit": unit, "scale_factor": scale}}
    raise ValueError(f"dtype {dtype} has no Zarr v3 data type")


def native_dtype(dtype: np.dtype) -> np.dtype:
    """The in-memory form of a v3 dtype: native byte order (v3 types have none of their own)."""
    dtype = np.dtype(dtype)
    if dtype.fields is not None:
        return np.dtype([(n, native_dtype(dtype.fields[n][0])) for n in dtype.names])
    return dtype.newbyteorder("=") if dtype.byteorder not in ("|", "=") else dtype


# -- fill values --------------------------------------------------------------------------

_FLOAT_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def parse_fill_value(value: Any, dtype: np.dtype, data_type: Any, where: str = "fill_value") -> Any:
    """The v3 JSON fill value -> a scalar of ``dtype`` (``str``/``bytes`` for vlen types)."""
    try:
        return _parse_fill(value, dtype, data_type)
    except (TypeError, ValueError, OverflowError, base64.binascii.Error) as e:
        raise MetadataError(f"{where}: {value!r} is not a valid fill value for data type {data_type!r} ({e})") from None


def _parse_fill(value: Any, dtype: np.dtype, data_type: Any) -> Any:
    vlen = vlen_kind(data_type)
    if vlen == STRING:
        if not isinstance(value, str):
            raise TypeError("expected a string")
        return value
    if vlen == BYTES:
        return _parse_bytes(value)
    kind = dtype.kind
    if value is None:
        raise TypeError("fill_value is required in Zarr v3")
    if kind == "b":
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return np.bool_(value)
    if kind in "iu":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected an integer")
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise ValueError(f"out of range for {dtype}")
        return np.array(value, dtype=dtype)[()]
    if kind == "f":
        return _parse_float(value, dtype)
    if kind == "c":
        if not isinstance(value, list) or len(value) != 2:
            raise TypeError("expected [real, imag]")
        part = np.dtype(f"f{dtype.itemsize // 2}")
        return np.array(complex(_parse_float(value[0], part), _parse_float(value[1], part)), dtype=dtype)[()]
    if kind in "mM":
        if value == "NaT":
            return np.array("NaT", dtype=dtype)[()]
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected an integer or 'NaT'")
        return np.array(value, dtype="i8").view(dtype)[()]
    if kind == "U":
        if not isinstance(value, str):
            raise TypeError("expected a string")
        return np.array(value, dtype=dtype)[()]
    if kind == "S":
        return np.array(_parse_bytes(value), dtype=dtype)[()]
    if kind == "V" and dtype.fields is None:
        raw = _parse_bytes(value)
        if len(raw) != dtype.itemsize:
            raise ValueError(f"expected {dtype.itemsize} bytes, got {len(raw)}")
        return np.frombuffer(raw, dtype=dtype)[0]
    if dtype.fields is not None:
        if isinstance(value, dict):
            if set(value) != set(dtype.names):
                raise ValueError(f"needs exactly the fields {list(dtype.names)}")
            parts = tuple(_parse_fill(value[n], dtype.fields[n][0], _field_type(data_type, n)) for n in dtype.names)
            return np.array(parts, dtype=dtype)[()]
        raw = _parse_bytes(value)  # legacy "structured": base64 of the packed little-endian bytes
        if len(raw) != dtype.itemsize:
            raise ValueError(f"expected {dtype.itemsize} bytes, got {len(raw)}")
        return np.frombuffer(raw, dtype=_little(dtype))[0].astype(dtype)
    raise TypeError(f"no fill value form for dtype {dtype}")


def _field_type(data_type: Any, fname: str) -> Any:
    for f in data_type["configuration"]["fields"]:
        if isinstance(f, dict) and f.get("name") == fname:
            return f["data_type"]
        if isinstance(f, list) and f[0] == fname:
            return f[1]
    raise KeyError(fname)


def _little(dtype: np.dtype) -> np.dtype:
    if dtype.fields is not None:
        return np.dtype([(n, _little(dtype.fields[n][0])) for n in dtype.names])
    return dtype.newbyteorder("<") if dtype.byteorder != "|" else dtype


def _parse_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return base64.standard_b64decode(value.encode("ascii"))
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 256 for v in value):
        return bytes(value)
    raise TypeError("expected a base64 string or a list of byte values")


def _parse_float(value: Any, dtype: np.dtype) -> Any:
    if isinstance(value, str):
        if value in _FLOAT_SPECIAL:
            return np.array(_FLOAT_SPECIAL[value], dtype=dtype)[()]
        if re.fullmatch(r"0x[0-9a-fA-F]+", value) and len(value) == 2 + 2 * dtype.itemsize:
            return np.frombuffer(bytes.fromhex(value[2:]), dtype=dtype.newbyteorder(">"))[0].astype(dtype)
        raise ValueError("expected a number, 'NaN', 'Infinity', '-Infinity' or a 0x hex string of the right size")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("expected a number")
    with np.errstate(over="ignore"):
        parsed = np.array(value, dtype=dtype)[()]
    if math.isfinite(value) and not np.isfinite(parsed):  # 1e300 as float16 is not infinity
        raise ValueError(f"{value!r} is out of range for {dtype}")
    return parsed


def encode_fill_value(value: Any, dtype: np.dtype, data_type: Any) -> Any:
    """A fill value scalar -> its v3 JSON form (as zarr-python 3 writes it)."""
    vlen = vlen_kind(data_type)
    if vlen == STRING:
        return str(value)
    if vlen == BYTES:
        return base64.standard_b64encode(bytes(value)).decode("ascii")
    kind = dtype.kind
    if kind == "b":
        return bool(value)
    if kind in "iu":
        return int(value)
    if kind == "f":
        return _encode_float(value, dtype)
    if kind == "c":
        part = np.dtype(f"f{dtype.itemsize // 2}")
        v = np.array(value, dtype=dtype)[()]
        return [_encode_float(v.real, part), _encode_float(v.imag, part)]
    if kind in "mM":
        return int(np.array(value, dtype=dtype).view("i8"))
    if kind == "U":
        return str(value)
    if kind == "S":
        return base64.standard_b64encode(bytes(value)).decode("ascii")
    if dtype.fields is not None or kind == "V":
        raw = np.array(value, dtype=dtype).astype(_little(dtype)).tobytes()
        return base64.standard_b64encode(raw).decode("ascii")
    raise ValueError(f"cannot encode a fill value for dtype {dtype}")


def _encode_float(value: Any, dtype: np.dtype) -> Any:
    v = float(value)
    if math.isnan(v):
        canonical = np.array(np.nan, dtype=dtype).tobytes()
        raw = np.array(value, dtype=dtype).tobytes()
        if raw == canonical:
            return "NaN"
        return "0x" + np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder(">")).tobytes().hex()
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def default_fill_value(dtype: np.dtype, vlen: str | None) -> Any:
    """The fill value recorded when the user gives none: zero, '' or b''."""
    if vlen == STRING:
        return ""
    if vlen == BYTES:
        return b""
    return np.zeros((), dtype=dtype)[()]


# -- chunk key encodings ------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkKeyEncoding:
    """``default`` (``c/1/2``) or ``v2`` (``1.2``) chunk keys, with their separator."""

    name: str = "default"
    separator: str = "/"

    @classmethod
    def from_json(cls, value: Any, where: str) -> ChunkKeyEncoding:
        name, config, _ = parse_named(value, where)
        if name not in ("default", "v2"):
            raise MetadataError(f"{where}: unsupported chunk key encoding {value!r}")
        sep = config.get("separator", "/" if name == "default" else ".")
        if sep not in ("/", "."):
            raise MetadataError(f"{where}: separator must be '/' or '.', got {sep!r}")
        return cls(name, sep)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "configuration": {"separator": self.separator}}

    def encode(self, coords: tuple[int, ...]) -> str:
        if self.name == "default":
            return self.separator.join(("c", *map(str, coords)))
        return self.separator.join(map(str, coords)) if coords else "0"

    def decode(self, key: str, ndim: int) -> tuple[int, ...] | None:
        """The chunk coordinates of a relative key, or None if it is no chunk key of this encoding."""
        parts = key.split(self.separator)
        if self.name == "default":
            if parts[0] != "c":
                return None
            parts = parts[1:]
        elif ndim == 0:
            return () if key == "0" else None
        if len(parts) != ndim or not all(p.isascii() and p.isdigit() for p in parts):
            return None
        return tuple(int(p) for p in parts)


# -- array and group documents ------------------------------------------------------------


@dataclass(frozen=True)
class ArrayMetadataV3:
    """A parsed array ``zarr.json``. Codecs stay as normalised JSON objects.

    ``chunk_grid_shape`` is the shape of what is stored under one key (a shard when the
    array is sharded); ``chunks`` is the inner chunk shape users see, ``shards`` the shard
    shape or None, as in zarr-python 3.
    """

    shape: tuple[int, ...]
    data_type: Any
    dtype: np.dtype
    chunk_grid_shape: tuple[int, ...]
    fill_value: Any
    codecs: tuple[dict[str, Any], ...]
    chunk_key_encoding: ChunkKeyEncoding = ChunkKeyEncoding()
    attributes: dict[str, Any] = field(default_factory=dict, compare=False)
    dimension_names: tuple[str | None, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    zarr_format = 3
    order = "C"

    @property
    def _sharding(self) -> dict[str, Any] | None:
        if len(self.codecs) == 1 and self.codecs[0]["name"] == "sharding_indexed":
            return self.codecs[0]
        return None

    @property
    def chunks(self) -> tuple[int, ...]:
        sharding = self._sharding
        if sharding is not None:
            return tuple(sharding["configuration"]["chunk_shape"])
        return self.chunk_grid_shape

    @property
    def shards(self) -> tuple[int, ...] | None:
        return self.chunk_grid_shape if self._sharding is not None else None

    @property
    def dimension_separator(self) -> str:
        return self.chunk_key_encoding.separator

    def chunk_key(self, coords: tuple[int, ...]) -> str:
        """The store key of one stored chunk (or shard), relative to the array."""
        return self.chunk_key_encoding.encode(coords)

    def parse_chunk_key(self, key: str) -> tuple[int, ...] | None:
        return self.chunk_key_encoding.decode(key, len(self.shape))

    def with_shape(self, shape: tuple[int, ...]) -> ArrayMetadataV3:
        return replace(self, shape=tuple(shape))

    def with_attributes(self, attributes: dict[str, Any]) -> ArrayMetadataV3:
        return replace(self, attributes=dict(attributes))

    @classmethod
    def from_json(cls, raw: bytes, key: str = ZARR_JSON) -> ArrayMetadataV3:
        doc = load_json(raw, key)
        return cls.from_dict(doc, key)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], key: str = ZARR_JSON) -> ArrayMetadataV3:
        where = repr(key)
        _check_header(doc, key, "array")
        for required in ("shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value", "codecs"):
            if required not in doc:
                raise MetadataError(f"{where}: required field {required!r} is missing")
        _check_unknown_members(doc, _ARRAY_MEMBERS, where)
        shape = _int_list(doc["shape"], f"{where}: shape", minimum=0)
        check_size(shape, where)
        data_type = doc["data_type"]
        dtype = parse_data_type(data_type, f"{where}: data_type")
        grid_name, grid_config, _ = parse_named(doc["chunk_grid"], f"{where}: chunk_grid")
        if grid_name != "regular":
            raise MetadataError(f"{where}: unsupported chunk grid {grid_name!r} (only 'regular')")
        grid = _int_list(grid_config.get("chunk_shape"), f"{where}: chunk_grid chunk_shape", minimum=1)
        if len(grid) != len(shape):
            raise MetadataError(f"{where}: chunk_shape {list(grid)} and shape {list(shape)} differ in length")
        if math.prod(grid) * max(dtype.itemsize, 1) > 2**40:
            raise MetadataError(f"{where}: chunk_shape {list(grid)} of {dtype} exceeds 1 TiB per chunk")
        encoding = ChunkKeyEncoding.from_json(doc["chunk_key_encoding"], f"{where}: chunk_key_encoding")
        fill = parse_fill_value(doc["fill_value"], dtype, data_type, f"{where}: fill_value")
        codecs = normalize_codecs(doc["codecs"], f"{where}: codecs")
        transformers = doc.get("storage_transformers", [])
        if not isinstance(transformers, list):
            raise MetadataError(f"{where}: storage_transformers must be a list, got {transformers!r}")
        for t in transformers:
            if must_understand(t):  # zarrlib implements none; optional ones change nothing it reads
                name = t.get("name") if isinstance(t, dict) else t
                raise MetadataError(
                    f"{where}: storage transformer {name!r} is not supported "
                    "(only storage transformers marked must_understand=false can be ignored)"
                )
        attributes = doc.get("attributes", {})
        if not isinstance(attributes, dict):
            raise MetadataError(f"{where}: attributes must be an object, got {attributes!r}")
        names = doc.get("dimension_names")
        if names is not None:
            if not isinstance(names, list) or len(names) != len(shape):
                raise MetadataError(f"{where}: dimension_names must be a list of {len(shape)} names, got {names!r}")
            if not all(n is None or isinstance(n, str) for n in names):
                raise MetadataError(f"{where}: dimension_names must be strings or null, got {names!r}")
            names = tuple(names)
        extra = {k: v for k, v in doc.items() if k not in _ARRAY_MEMBERS}
        if transformers:  # the ignored optional ones, kept when the document is rewritten
            extra["storage_transformers"] = transformers
        return cls(shape, data_type, dtype, grid, fill, codecs, encoding, attributes, names, extra)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "shape": list(self.shape),
            "data_type": self.data_type,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(self.chunk_grid_shape)}},
            "chunk_key_encoding": self.chunk_key_encoding.to_json(),
            "fill_value": encode_fill_value(self.fill_value, self.dtype, self.data_type),
            "codecs": [dict(c) for c in self.codecs],
            "attributes": dict(self.attributes),
        }
        if self.dimension_names is not None:
            doc["dimension_names"] = list(self.dimension_names)
        doc.update({"zarr_format": 3, "node_type": "array", "storage_transformers": []})
        doc.update(self.extra)
        return doc

    def to_json(self) -> bytes:
        return dump_json_v3(self.to_dict())


@dataclass(frozen=True)
class GroupMetadataV3:
    """A parsed group ``zarr.json``: attributes and, if present, inline consolidated metadata."""

    attributes: dict[str, Any] = field(default_factory=dict)
    consolidated_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    zarr_format = 3

    @classmethod
    def from_json(cls, raw: bytes, key: str = ZARR_JSON) -> GroupMetadataV3:
        return cls.from_dict(load_json(raw, key), key)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], key: str = ZARR_JSON) -> GroupMetadataV3:
        where = repr(key)
        _check_header(doc, key, "group")
        _check_unknown_members(doc, _GROUP_MEMBERS, where)
        attributes = doc.get("attributes", {})
        if not isinstance(attributes, dict):
            raise MetadataError(f"{where}: attributes must be an object, got {attributes!r}")
        consolidated = parse_consolidated(doc.get("consolidated_metadata"), where)
        extra = {k: v for k, v in doc.items() if k not in _GROUP_MEMBERS}
        return cls(attributes, consolidated, extra)

    def to_dict(self) -> dict[str, Any]:
        # member order as zarr-python 3 writes it, so consolidated documents match byte for byte
        doc: dict[str, Any] = {"attributes": dict(self.attributes), "zarr_format": 3}
        if self.consolidated_metadata is not None:
            doc["consolidated_metadata"] = self.consolidated_metadata
        doc["node_type"] = "group"
        doc.update(self.extra)
        return doc

    def to_json(self) -> bytes:
        return dump_json_v3(self.to_dict())

    def with_attributes(self, attributes: dict[str, Any]) -> GroupMetadataV3:
        return replace(self, attributes=dict(attributes))

    def with_consolidated(self, consolidated: dict[str, Any] | None) -> GroupMetadataV3:
        return replace(self, consolidated_metadata=consolidated)

    def consolidated_documents(self) -> dict[str, dict[str, Any]]:
        """The consolidated ``zarr.json`` documents of every descendant, by relative path
        ('a', 'a/b'); nested maps (a group entry with entries of its own) are flattened."""
        if self.consolidated_metadata is None:
            return {}
        return _flatten(self.consolidated_metadata["metadata"], "", "consolidated_metadata")

    def consolidated_nodes(self) -> dict[str, ArrayMetadataV3 | GroupMetadataV3]:
        """The consolidated documents of every descendant, parsed, by relative path."""
        return {
            path: parse_node_dict(doc, f"consolidated_metadata[{path!r}]")
            for path, doc in self.consolidated_documents().items()
        }


def _empty_consolidated() -> dict[str, Any]:
    """What zarr-python 3 writes as the ``consolidated_metadata`` of nested group entries."""
    return {"kind": "inline", "must_understand": False, "metadata": {}}


def parse_consolidated(value: Any, where: str) -> dict[str, Any] | None:
    """Check a group's ``consolidated_metadata`` member; None when absent (or an unknown kind
    marked ``must_understand: false``, which may be ignored)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MetadataError(f"{where}: consolidated_metadata must be an object, got {value!r}")
    kind = value.get("kind")
    if kind != "inline":
        if value.get("must_understand") is False:
            return None
        raise MetadataError(f"{where}: consolidated_metadata must be an object of kind 'inline', got kind {kind!r}")
    if not isinstance(value.get("metadata"), dict):
        raise MetadataError(f"{where}: consolidated_metadata needs a 'metadata' object")
    return value


def _flatten(metadata: dict[str, Any], prefix: str, where: str) -> dict[str, dict[str, Any]]:
    flat: dict[str, dict[str, Any]] = {}
    for name, doc in metadata.items():
        entry = f"{where}[{name!r}]"
        if not isinstance(name, str) or name.startswith("/") or any(s in ("", ".", "..") for s in name.split("/")):
            raise MetadataError(f"{entry}: keys must be relative paths such as 'a' or 'a/b'")
        if not isinstance(doc, dict) or doc.get("node_type") not in ("array", "group"):
            raise MetadataError(f"{entry} must be a zarr.json document of an array or a group")
        path = f"{prefix}/{name}" if prefix else name
        flat[path] = doc
        nested = doc.get("consolidated_metadata")
        if doc["node_type"] == "group" and isinstance(nested, dict) and isinstance(nested.get("metadata"), dict):
            for sub, sub_doc in _flatten(nested["metadata"], path, entry).items():
                flat.setdefault(sub, sub_doc)
    return flat


def consolidate(nodes: dict[str, ArrayMetadataV3 | GroupMetadataV3]) -> dict[str, Any]:
    """The ``consolidated_metadata`` member for a group: every descendant's document, keys
    sorted by depth then name (as zarr-python 3.1.1+); nested groups carry an empty map."""
    metadata = {}
    for path in sorted(nodes, key=lambda p: (p.count("/"), p)):
        node = nodes[path]
        if isinstance(node, GroupMetadataV3):
            node = node.with_consolidated(_empty_consolidated())
        metadata[path] = node.to_dict()
    return {"kind": "inline", "must_understand": False, "metadata": metadata}


def parse_node(raw: bytes, key: str = ZARR_JSON) -> ArrayMetadataV3 | GroupMetadataV3:
    """Parse a ``zarr.json`` of either node type."""
    return parse_node_dict(load_json(raw, key), key)


def parse_node_dict(doc: dict[str, Any], key: str) -> ArrayMetadataV3 | GroupMetadataV3:
    node_type = doc.get("node_type")
    if node_type == "array":
        return ArrayMetadataV3.from_dict(doc, key)
    if node_type == "group":
        return GroupMetadataV3.from_dict(doc, key)
    raise MetadataError(f"{key!r}: node_type must be 'array' or 'group', got {node_type!r}")


def _check_header(doc: dict[str, Any], key: str, node_type: str) -> None:
    if doc.get("zarr_format") != 3:
        raise MetadataError(f"{key!r}: zarr_format must be 3, got {doc.get('zarr_format')!r}")
    if doc.get("node_type") != node_type:
        raise MetadataError(f"{key!r}: node_type must be {node_type!r}, got {doc.get('node_type')!r}")


def _check_unknown_members(doc: dict[str, Any], known: frozenset[str], where: str) -> None:
    for name, value in doc.items():
        if name not in known and must_understand(value):
            raise MetadataError(
                f"{where}: unknown metadata field {name!r} that is not marked must_understand=false; "
                "this array or group needs an extension zarrlib does not implement"
            )


def normalize_codecs(value: Any, where: str) -> tuple[dict[str, Any], ...]:
    """The ``codecs`` list with short-hand names turned into objects (configs left as written)."""
    if not isinstance(value, list) or not value:
        raise MetadataError(f"{where} must be a non-empty list, got {value!r}")
    out = []
    for i, codec in enumerate(value):
        name, config, obj = parse_named(codec, f"{where}[{i}]")
        normalized = {"name": name}
        if config or "configuration" in obj:
            normalized["configuration"] = config
        if obj.get("must_understand") is False:
            normalized["must_understand"] = False
        out.append(normalized)
    return tuple(out)
