"""The Zarr v2 arrays both sides of the interop tests write and read.

Plain data: every case is numcodecs configs, a dtype, a fill value and a deterministic data
generator, so the zarr-python 2 worker (its own venv, numpy + numcodecs only) can import
this module too. Each case says where zarr-python 3 cannot follow, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Reasons zarr-python 3.1 cannot take part in a case; used in pytest.skip messages.
ZP3_NO_OBJECT_CODEC = "zarr-python 3.1 resolves no v2 data type for object arrays with a {} codec"
ZP3_NO_NESTED = "zarr-python 3.1 finds no data type for nested structured dtypes"
ZP3_SUBARRAY = "zarr-python 3.1 turns subarray fields into raw void ('|V16') when it creates the array"
ZP3_SUBARRAY_READ = "zarr-python 3.1 finds no data type for structured dtypes with subarray fields"
LZMA_FILTERS = (
    "numcodecs.LZMA.decode passes the filters to lzma.decompress, which accepts them only for "
    "FORMAT_RAW, so zarr-python cannot read xz streams with custom filters (zarrlib adapts the codec)"
)
ZP2_BYTES_FILL = "zarr-python 2 writes an object array's fill value as plain JSON, which has no bytes"
ZP2_BYTES_FILL_READ = (
    "zarr-python 2 reads an object array's fill value as plain JSON, so a VLenBytes fill value "
    "(base64 in zarr-python 3 and zarrlib) comes back as a str"
)
ZP2_0D = "zarr-python 2 never compresses 0-d arrays: it stores compressor null whatever it is given"
ZP3_STRUCT_NONE = "zarr-python 3.1 cannot read a structured array whose fill_value is null"
ZP3_CATEGORIZE = "zarr-python 3.1 requires VLenUTF8 for object strings, so Categorize cannot be the object codec"


@dataclass(frozen=True)
class Case:
    """One array: what to store and how to encode it."""

    id: str
    dtype: Any
    fill_value: Any = 0
    compressor: dict[str, Any] | None = None
    filters: tuple[dict[str, Any], ...] = ()
    object_codec: dict[str, Any] | None = None
    order: str = "C"
    separator: str = "."
    shape: tuple[int, ...] = (9, 7)
    chunks: tuple[int, ...] = (4, 3)
    values: str = "auto"  # which generator fills the data (see make_data)
    zp3_write: str | None = None  # why zarr-python 3 cannot create it (None: it can)
    zp3_read: str | None = None  # why zarr-python 3 cannot read it
    zp2_write: str | None = None  # why zarr-python 2 cannot create it
    zp2_read: str | None = None  # why zarr-python 2 reads something else
    zp2_differs: str | None = None  # why zarr-python 2 stores other .zarray or chunk bytes
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dirname(self) -> str:
        """A portable directory name for the case ('<', '>', '|' are not valid on every OS)."""
        table = str.maketrans({"<": "le", ">": "be", "|": "na", "[": "_", "]": "", "/": "_"})
        # distinct on case-insensitive file systems too ('<u4' vs '<U4', 'M8' vs 'm8')
        name = self.id.replace("M8", "datetime64").replace("m8", "timedelta64").replace("U", "unicode")
        return name.translate(table)

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    def api_fill(self) -> Any:
        """The fill value as every library's create call is given it: a NumPy scalar (or None)."""
        if self.fill_value is None or self.np_dtype.hasobject:
            return self.fill_value
        if self.np_dtype.fields is not None:
            return _struct_fill(self)
        return np.array(self.fill_value, dtype=self.np_dtype)[()]


def _blosc(cname: str, clevel: int = 5, shuffle: int = 1, blocksize: int = 0) -> dict[str, Any]:
    return {"id": "blosc", "cname": cname, "clevel": clevel, "shuffle": shuffle, "blocksize": blocksize}


ZLIB = {"id": "zlib", "level": 1}
VLEN_UTF8 = {"id": "vlen-utf8"}

STRUCT = [("a", "<i4"), ("b", "<f8")]
STRUCT_SUBARRAY = [("a", "<i4"), ("b", ">f8", (2,))]
STRUCT_NESTED = [("x", [("p", "u1"), ("q", "<f4")]), ("y", "S2")]


def _cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # -- dtypes (zlib, so chunks compare byte for byte) -------------------------------------
    for dt in ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"]:
        add(Case(f"dtype-{dt}", dt, compressor=ZLIB))
    for dt in [">i2", ">u4", ">i8", ">f4", ">f8", ">c16"]:
        add(Case(f"dtype-bigendian-{dt}", dt, compressor=ZLIB))
    for dt in ["<M8[ns]", "<M8[s]", "<M8[D]", ">M8[ms]", "<m8[ns]", "<m8[ms]", ">m8[s]"]:
        add(Case(f"dtype-{dt}", dt, compressor=ZLIB))
    add(Case("dtype-|S5", "S5", fill_value=b"", compressor=ZLIB))
    add(Case("dtype-<U4", "<U4", fill_value="", compressor=ZLIB))
    add(Case("dtype->U3", ">U3", fill_value="", compressor=ZLIB))
    add(Case("dtype-struct", STRUCT, fill_value=b"\x00" * 12, compressor=ZLIB))
    add(
        Case(
            "dtype-struct-subarray",
            STRUCT_SUBARRAY,
            fill_value=b"\x00" * 20,
            compressor=ZLIB,
            zp3_write=ZP3_SUBARRAY,
            zp3_read=ZP3_SUBARRAY_READ,
        )
    )
    add(
        Case(
            "dtype-struct-nested",
            STRUCT_NESTED,
            fill_value=b"\x00" * 7,
            compressor=ZLIB,
            zp3_write=ZP3_NO_NESTED,
            zp3_read=ZP3_NO_NESTED,
        )
    )
    # -- object arrays: the item codec is the first filter ----------------------------------
    add(Case("object-vlen-utf8", object, fill_value="", object_codec=VLEN_UTF8, compressor=ZLIB))
    add(
        Case(
            "object-vlen-bytes",
            object,
            fill_value=b"",
            object_codec={"id": "vlen-bytes"},
            compressor=ZLIB,
            zp2_write=ZP2_BYTES_FILL,
            zp2_read=ZP2_BYTES_FILL_READ,
        )
    )
    # zarr-python 3 leaves out chunks of ''/b'' even when fill_value is null: keep them out of the data
    add(
        Case(
            "object-vlen-bytes-fill-none",
            object,
            fill_value=None,
            object_codec={"id": "vlen-bytes"},
            compressor=ZLIB,
            values="nonempty",
        )
    )
    add(
        Case(
            "object-vlen-utf8-fill-none",
            object,
            fill_value=None,
            object_codec=VLEN_UTF8,
            compressor=ZLIB,
            values="nonempty",
        )
    )
    add(
        Case(
            "object-vlen-array",
            object,
            fill_value=None,
            object_codec={"id": "vlen-array", "dtype": "<i4"},
            compressor=ZLIB,
            zp3_write=ZP3_NO_OBJECT_CODEC.format("vlen-array"),
            zp3_read=ZP3_NO_OBJECT_CODEC.format("vlen-array"),
        )
    )
    json_cfg = {
        "id": "json2",
        "encoding": "utf-8",
        "allow_nan": True,
        "check_circular": True,
        "ensure_ascii": True,
        "indent": None,
        "separators": [",", ":"],
        "skipkeys": False,
        "sort_keys": True,
        "strict": True,
    }
    add(
        Case(
            "object-json",
            object,
            fill_value=None,
            object_codec=json_cfg,
            compressor=ZLIB,
            zp3_write=ZP3_NO_OBJECT_CODEC.format("json2"),
            zp3_read=ZP3_NO_OBJECT_CODEC.format("json2"),
        )
    )
    msgpack_cfg = {"id": "msgpack2", "raw": False, "use_bin_type": True, "use_single_float": False}
    add(
        Case(
            "object-msgpack",
            object,
            fill_value=None,
            object_codec=msgpack_cfg,
            compressor=ZLIB,
            zp3_write=ZP3_NO_OBJECT_CODEC.format("msgpack2"),
            zp3_read=ZP3_NO_OBJECT_CODEC.format("msgpack2"),
        )
    )

    # -- compressors -------------------------------------------------------------------------
    compressors = {
        "none": None,
        "blosc-lz4": _blosc("lz4"),
        "blosc-zstd-bitshuffle": _blosc("zstd", 3, 2),
        "blosc-blosclz-noshuffle": _blosc("blosclz", 9, 0),
        "blosc-lz4hc": _blosc("lz4hc", 1, 1),
        "blosc-zlib": _blosc("zlib", 1, 1),
        "blosc-blocksize": _blosc("lz4", 5, 1, 256),
        "zlib": {"id": "zlib", "level": 9},
        "gzip": {"id": "gzip", "level": 5},
        "bz2": {"id": "bz2", "level": 1},
        "lzma": {"id": "lzma", "format": 1, "check": -1, "preset": None, "filters": None},
        "lzma-filters": {
            "id": "lzma",
            "format": 1,
            "check": -1,
            "preset": None,
            "filters": [{"id": 3, "dist": 4}, {"id": 33, "preset": 1}],
        },
        "zstd": {"id": "zstd", "level": 3},
        "lz4": {"id": "lz4", "acceleration": 1},
    }
    for name, cfg in compressors.items():
        why = LZMA_FILTERS if name == "lzma-filters" else None
        add(Case(f"compressor-{name}", "<i4", compressor=cfg, zp3_read=why, zp2_read=why))

    # -- filters -----------------------------------------------------------------------------
    add(Case("filter-delta", "<i4", compressor=ZLIB, filters=({"id": "delta", "dtype": "<i4", "astype": "<i4"},)))
    add(
        Case(
            "filter-delta-astype",
            "<i8",
            compressor=ZLIB,
            values="small",
            filters=({"id": "delta", "dtype": "<i8", "astype": "<i2"},),
        )
    )
    add(
        Case(
            "filter-fixedscaleoffset",
            "<f8",
            compressor=ZLIB,
            values="scaled",
            filters=({"id": "fixedscaleoffset", "scale": 10, "offset": 1000, "dtype": "<f8", "astype": "|u1"},),
        )
    )
    add(
        Case(
            "filter-quantize",
            "<f8",
            compressor=ZLIB,
            filters=({"id": "quantize", "digits": 2, "dtype": "<f8", "astype": "<f8"},),
            values="quantized",
        )
    )
    add(Case("filter-packbits", "|b1", compressor=ZLIB, filters=({"id": "packbits"},)))
    add(
        Case(
            "filter-astype",
            "<f8",
            compressor=ZLIB,
            values="f4-exact",
            filters=({"id": "astype", "encode_dtype": "<f4", "decode_dtype": "<f8"},),
        )
    )
    add(
        Case(
            "filter-categorize",
            object,
            fill_value=None,
            object_codec={"id": "categorize", "labels": ["a", "bb", "ccc"], "dtype": "|O", "astype": "|u1"},
            compressor=ZLIB,
            values="labels",
            zp3_write=ZP3_CATEGORIZE,
            zp3_read=ZP3_CATEGORIZE,
        )
    )
    add(
        Case(
            "filter-chain-delta-blosc",
            "<i4",
            compressor=_blosc("zstd", 1, 1),
            filters=({"id": "delta", "dtype": "<i4", "astype": "<i4"},),
        )
    )

    # -- fill values -------------------------------------------------------------------------
    add(Case("fill-nan", "<f8", fill_value=math.nan, compressor=ZLIB))
    add(Case("fill-inf", "<f4", fill_value=math.inf, compressor=ZLIB))
    add(Case("fill-neg-inf", "<f8", fill_value=-math.inf, compressor=ZLIB))
    add(Case("fill-float", "<f8", fill_value=-1.5, compressor=ZLIB))
    add(Case("fill-int", "<i2", fill_value=-7, compressor=ZLIB))
    add(Case("fill-uint64-max", "<u8", fill_value=2**64 - 1, compressor=ZLIB))
    add(Case("fill-none-int", "<i4", fill_value=None, compressor=ZLIB))
    add(Case("fill-none-float", "<f8", fill_value=None, compressor=ZLIB))
    add(Case("fill-true", "|b1", fill_value=True, compressor=ZLIB))
    add(Case("fill-complex-nan", "<c16", fill_value=complex(math.nan, 1.0), compressor=ZLIB))
    add(Case("fill-bytes", "S4", fill_value=b"ab\x00c", compressor=ZLIB))
    add(Case("fill-unicode", "<U3", fill_value="zé", compressor=ZLIB))
    add(Case("fill-datetime", "<M8[s]", fill_value="2020-01-02T03:04:05", compressor=ZLIB))
    add(Case("fill-nat", "<M8[ns]", fill_value="NaT", compressor=ZLIB))
    add(Case("fill-struct", STRUCT, fill_value=(3, 2.5), compressor=ZLIB))
    add(
        Case(
            "fill-struct-none",
            STRUCT,
            fill_value=None,
            compressor=ZLIB,
            zp3_read=ZP3_STRUCT_NONE,
            zp3_write=ZP3_STRUCT_NONE,
        )
    )

    # -- layout: order, separator, dimensionality --------------------------------------------
    for order in "CF":
        for sep, sep_name in ((".", "dot"), ("/", "slash")):
            add(Case(f"layout-{order}-{sep_name}", "<i4", compressor=ZLIB, order=order, separator=sep))
            add(
                Case(
                    f"layout-{order}-{sep_name}-3d-blosc",
                    "<f4",
                    compressor=_blosc("lz4"),
                    order=order,
                    separator=sep,
                    shape=(5, 4, 6),
                    chunks=(2, 3, 4),
                )
            )
    add(Case("layout-F-object", object, fill_value="", object_codec=VLEN_UTF8, order="F", compressor=ZLIB))
    add(Case("layout-0d", "<f8", compressor=ZLIB, shape=(), chunks=(), zp2_differs=ZP2_0D))
    add(Case("layout-1d-one-chunk", "<u2", compressor=ZLIB, shape=(10,), chunks=(10,)))
    add(Case("layout-empty", "<i4", compressor=ZLIB, shape=(0, 5), chunks=(2, 2)))
    return cases


CASES: list[Case] = _cases()
CASES_BY_ID: dict[str, Case] = {c.id: c for c in CASES}


def _pool_for(case: Case) -> list[Any]:
    codec = (case.object_codec or {}).get("id")
    if codec == "vlen-utf8":
        return ["", "a", "bb", "zé", "日本語", "x" * 40]
    if codec == "vlen-bytes":
        return [b"", b"a", b"\x00\xff", b"bytes" * 5]
    if codec == "vlen-array":
        return [np.arange(n, dtype="<i4") * 3 - 1 for n in range(5)]
    if codec in ("json2", "msgpack2"):
        return [0, "s", [1, 2], {"k": "v"}, None, 2.5, True]
    if codec == "categorize":
        return ["a", "bb", "ccc"]
    raise ValueError(f"no value pool for {case.id}")


def make_data(case: Case) -> np.ndarray:
    """The deterministic contents of ``case`` (one chunk-sized corner holds only the fill value)."""
    seed = sum(map(ord, case.id))
    rng = np.random.default_rng(seed)
    dt = case.np_dtype
    shape = case.shape
    n = math.prod(shape)
    if dt.hasobject:
        pool = _pool_for(case)
        if case.values == "nonempty":
            pool = [v for v in pool if len(v)]
        flat = np.empty(n, dtype=object)
        for i, j in enumerate(rng.integers(0, len(pool), n)):
            flat[i] = pool[j]
        data = flat.reshape(shape)
    elif dt.fields is not None:
        raw = rng.integers(0, 256, n * dt.itemsize, dtype=np.uint8).tobytes()
        data = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        _sanitize_floats(data)
    else:
        data = _values(case.values, dt, n, rng).reshape(shape)
    if case.fill_value is not None and data.ndim and all(s >= c for s, c in zip(shape, case.chunks, strict=True)):
        corner = tuple(slice(0, c) for c in case.chunks)
        data[corner] = case.api_fill()
    return data


def _struct_fill(case: Case) -> np.ndarray:
    if isinstance(case.fill_value, bytes):
        return np.frombuffer(case.fill_value, dtype=case.np_dtype)[0]
    return np.array(case.fill_value, dtype=case.np_dtype)[()]


def _sanitize_floats(data: np.ndarray) -> None:
    """Random bytes make NaNs with payloads; keep structured float fields ordinary numbers."""
    for name in data.dtype.names or ():
        sub = data[name]
        if sub.dtype.fields is not None:
            _sanitize_floats(sub)
        elif sub.dtype.kind == "f":
            data[name] = np.where(np.isfinite(sub), sub, 0).astype(sub.dtype)
            data[name] = np.clip(data[name], -1e6, 1e6)


def _values(kind: str, dt: np.dtype, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "small":
        return rng.integers(-50, 50, n).astype(dt)
    if kind == "scaled":  # FixedScaleOffset(scale=10, offset=1000, astype=u1) is exact for these
        return (1000 + rng.integers(0, 256, n) / 10).astype(dt)
    if kind == "quantized":  # Quantize is lossy but idempotent: store what it already produced
        import numcodecs

        return numcodecs.Quantize(digits=2, dtype=dt).encode(rng.standard_normal(n).astype(dt))
    if kind == "f4-exact":
        return rng.standard_normal(n).astype("f4").astype(dt)
    if dt.kind == "b":
        return rng.random(n) > 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, n, dtype=dt.newbyteorder("="), endpoint=True).astype(dt)
    if dt.kind == "f":
        out = (rng.standard_normal(n) * 100).astype(dt)
        if n >= 3:
            out[-3:] = [np.nan, np.inf, -np.inf]
        return out
    if dt.kind == "c":
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dt)
    if dt.kind in "mM":
        out = rng.integers(-(10**9), 10**9, n).astype("i8").view(dt.newbyteorder("=")).astype(dt)
        if n:
            out[-1] = np.array("NaT", dtype=dt)
        return out
    if dt.kind == "S":
        pool = np.array([b"", b"a", b"xyz", b"\x01\x02", b"abcdefgh"], dtype=dt)
        return pool[rng.integers(0, len(pool), n)]
    if dt.kind == "U":
        pool = np.array(["", "a", "zé", "日本", "abcdefg"], dtype=dt)
        return pool[rng.integers(0, len(pool), n)]
    raise ValueError(f"no value generator for dtype {dt}")


def assert_same(actual: Any, expected: np.ndarray, where: str = "") -> None:
    """Exact equality: dtype, shape, values (NaN == NaN; object items compared one by one)."""
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{where}shape {actual.shape} != {expected.shape}"
    if expected.dtype.hasobject:
        assert actual.dtype.hasobject or actual.dtype.kind in "TU", f"{where}dtype {actual.dtype}"
        for index in np.ndindex(expected.shape):
            a, e = actual[index], expected[index]
            if isinstance(e, np.ndarray):
                assert isinstance(a, np.ndarray) and a.dtype == e.dtype and np.array_equal(a, e), (
                    f"{where}item {index}: {a!r} != {e!r}"
                )
            else:
                assert type(a) is type(e) and a == e, f"{where}item {index}: {a!r} != {e!r}"
        return
    assert actual.dtype == expected.dtype, f"{where}dtype {actual.dtype} != {expected.dtype}"
    # compare the bytes: exact for every dtype, NaN payloads included
    assert actual.tobytes() == np.ascontiguousarray(expected).tobytes(), f"{where}values differ"
