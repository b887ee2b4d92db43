"""Zarr v2 interop with zarr-python 3.1 (the installed peer): each side reads what the other
writes, and both write the same .zarray content and the same chunk bytes.

The cases are in ``v2_cases.py``; each one names what zarr-python 3 cannot do, and those
tests skip with that reason instead of passing silently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from v2_cases import CASES, Case, assert_same, make_data
from v2_peers import (
    assert_same_chunks,
    assert_same_fill,
    read_zarrlib,
    read_zp3,
    write_zarrlib,
    write_zp3,
    zarray,
)

zarr = pytest.importorskip("zarr", minversion="3")

CASE_PARAMS = [pytest.param(c, id=c.id) for c in CASES]

# What zarr-python 3 writes differently in .zarray, by design (zarr-python 2 agrees with zarrlib).
ZP3_DROPS_CONFIG_KEYS = {"zstd": {"checksum"}}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Each (writer, case) array written once per module: a cache of paths."""
    root = tmp_path_factory.mktemp("v2-zarr3")
    cache: dict[tuple[str, str], Path] = {}

    def get(writer: str, case: Case) -> Path:
        key = (writer, case.id)
        if key not in cache:
            path = root / writer / case.dirname
            (write_zarrlib if writer == "zarrlib" else write_zp3)(case, path, make_data(case))
            cache[key] = path
        return cache[key]

    return get


def _skip_unless(reason: str | None) -> None:
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_zarr3_reads_what_zarrlib_writes(case: Case, written) -> None:
    _skip_unless(case.zp3_read)
    z, data = read_zp3(written("zarrlib", case))
    assert_same(data, make_data(case), where="zarr-python 3 read: ")
    assert z.shape == case.shape
    assert z.chunks == case.chunks
    assert z.order == case.order
    if case.fill_value is not None:
        assert_same_fill(z.fill_value, case.api_fill(), case.np_dtype)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_zarrlib_reads_what_zarr3_writes(case: Case, written) -> None:
    _skip_unless(case.zp3_write)
    z, data = read_zarrlib(written("zarr3", case))
    assert_same(data, make_data(case), where="zarrlib read: ")
    assert z.dtype == case.np_dtype
    assert (z.shape, z.chunks, z.order, z.dimension_separator) == (case.shape, case.chunks, case.order, case.separator)
    assert_same_fill(z.fill_value, case.api_fill(), case.np_dtype)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_same_zarray_as_zarr3(case: Case, written) -> None:
    _skip_unless(case.zp3_write)
    ours, theirs = zarray(written("zarrlib", case)), zarray(written("zarr3", case))
    compressor = ours.get("compressor") or {}
    for dropped in ZP3_DROPS_CONFIG_KEYS.get(compressor.get("id"), ()):
        assert compressor.pop(dropped) is not None
    assert ours == theirs


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_same_chunk_bytes_as_zarr3(case: Case, written) -> None:
    _skip_unless(case.zp3_write)
    assert_same_chunks(written("zarrlib", case), written("zarr3", case), case.compressor)


def test_zarr3_writes_other_json_layout(tmp_path) -> None:
    """zarr-python 3 writes v2 metadata with 2-space indents in insertion order; zarrlib keeps
    zarr-python 2's sorted keys and 4-space indents. Both parse to the same document."""
    case = next(c for c in CASES if c.id == "filter-delta")
    write_zarrlib(case, tmp_path / "ours", make_data(case))
    write_zp3(case, tmp_path / "theirs", make_data(case))
    ours = (tmp_path / "ours" / ".zarray").read_text()
    theirs = (tmp_path / "theirs" / ".zarray").read_text()
    assert ours.startswith('{\n    "chunks": [')
    assert theirs.startswith('{\n  "shape": [')
    assert zarray(tmp_path / "ours") == zarray(tmp_path / "theirs")


def test_zarr3_drops_chunks_of_default_value_when_fill_value_is_null(tmp_path) -> None:
    """Documents a zarr-python 3 quirk the cases work around: with fill_value null it still
    leaves out chunks equal to its default scalar (''), which the v2 spec calls undefined;
    zarrlib then reads them as its null fill (None)."""
    z = zarr.create_array(store=str(tmp_path / "a"), shape=(4,), chunks=(2,), dtype=str, fill_value=None, zarr_format=2)
    z[:] = np.array(["", "", "x", "y"], dtype=object)
    assert zarray(tmp_path / "a")["fill_value"] is None
    stored = sorted(p.name for p in (tmp_path / "a").iterdir() if not p.name.startswith("."))
    if stored != ["1"]:
        pytest.fail(f"zarr-python 3 changed: it now stores chunks {stored}; drop the 'nonempty' workaround")
    _, data = read_zarrlib(tmp_path / "a")
    assert data.tolist() == [None, None, "x", "y"]
