"""Writing and reading the cases of ``v2_cases`` with zarrlib and with zarr-python 3."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
from v2_cases import Case

import zarrlib


def codec(config: dict[str, Any] | None) -> Any:
    return None if config is None else numcodecs.get_codec(dict(config))


def write_zarrlib(case: Case, path: Path, data: np.ndarray) -> zarrlib.Array:
    z = zarrlib.open_array(
        str(path),
        mode="w",
        shape=case.shape,
        chunks=case.chunks,
        dtype=case.np_dtype,
        compressor=codec(case.compressor),
        filters=[codec(f) for f in case.filters] or None,
        object_codec=codec(case.object_codec),
        fill_value=case.api_fill(),
        order=case.order,
        dimension_separator=case.separator,
    )
    z[...] = data
    return z


def read_zarrlib(path: Path) -> tuple[zarrlib.Array, np.ndarray]:
    z = zarrlib.open_array(str(path), mode="r")
    return z, z[...]


def write_zp3(case: Case, path: Path, data: np.ndarray) -> Any:
    import zarr

    dtype: Any = case.np_dtype
    filters = [codec(f) for f in case.filters]
    if case.object_codec is not None:
        codec_id = case.object_codec["id"]
        if codec_id == "vlen-utf8":
            dtype = str
        elif codec_id == "vlen-bytes":
            dtype = zarr.dtype.VariableLengthBytes()
        filters.insert(0, codec(case.object_codec))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr-python 3 warns about v2 and unstable dtypes
        z = zarr.create_array(
            store=str(path),
            shape=case.shape,
            chunks=case.chunks,
            dtype=dtype,
            compressors=codec(case.compressor),
            filters=filters or None,
            fill_value=case.api_fill(),
            order=case.order,
            zarr_format=2,
            chunk_key_encoding={"name": "v2", "separator": case.separator},
        )
        z[...] = data
    return z


def read_zp3(path: Path) -> tuple[Any, np.ndarray]:
    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = zarr.open_array(store=str(path), mode="r", zarr_format=2)
        return z, np.asarray(z[...])


def zarray(path: Path) -> dict[str, Any]:
    return json.loads((path / ".zarray").read_bytes())


def chunk_files(path: Path) -> dict[str, bytes]:
    """Every stored chunk of the array at ``path``, by its key relative to the array."""
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.name.startswith(".z")
    }


def comparable_chunk(raw: bytes, compressor: dict[str, Any] | None) -> bytes:
    """Chunk bytes with the parts that legitimately vary masked: numcodecs' GZip writes the
    current time into the gzip header (bytes 4-7)."""
    if compressor is not None and compressor.get("id") == "gzip" and raw[:2] == b"\x1f\x8b":
        return raw[:4] + b"\x00\x00\x00\x00" + raw[8:]
    return raw


def assert_same_chunks(ours: Path, theirs: Path, compressor: dict[str, Any] | None, *, subset: bool = False) -> None:
    """Same chunk keys (or, with ``subset``, ours among theirs) holding the same bytes."""
    a, b = chunk_files(ours), chunk_files(theirs)
    if subset:
        # a peer may also store chunks that hold only the fill value; those are optional
        assert set(a) <= set(b), f"keys only zarrlib stored: {sorted(set(a) - set(b))}"
    else:
        assert sorted(a) == sorted(b)
    differ = [k for k in a if comparable_chunk(a[k], compressor) != comparable_chunk(b[k], compressor)]
    assert not differ, f"chunks with other bytes: {differ}"


def assert_same_fill(actual: Any, expected: Any, dtype: np.dtype) -> None:
    """Fill values equal bit for bit (NaN == NaN, NaT == NaT, nan+1j != nan+2j)."""
    if expected is None or actual is None:
        assert actual is expected, f"fill_value {actual!r} != {expected!r}"
        return
    if dtype.hasobject:
        assert type(actual) is type(expected) and actual == expected, f"fill_value {actual!r} != {expected!r}"
        return
    a = np.asarray(actual, dtype=dtype) if dtype.fields is None else np.asarray(actual).view(dtype)
    assert a.tobytes() == np.asarray(expected, dtype=dtype).tobytes(), f"fill_value {actual!r} != {expected!r}"
