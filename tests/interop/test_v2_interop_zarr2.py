"""Zarr v2 interop with zarr-python 2.18, the format's reference implementation.

zarr 2 and zarr 3 cannot share an environment, so zarr-python 2 runs in its own venv through
``zp2_worker.py``. The suite builds that venv (``.venv-zp2``) when it is missing; see ``zp2.py``.

Beyond reading each other's arrays, zarrlib must write the very same ``.zarray`` bytes (sorted
keys, 4-space indents) and the same chunk bytes as zarr-python 2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from v2_cases import CASES, Case, assert_same, make_data
from v2_peers import assert_same_chunks, assert_same_fill, read_zarrlib, write_zarrlib
from zp2 import zarr2_python

HERE = Path(__file__).parent
WORKER = HERE / "zp2_worker.py"

CASE_PARAMS = [pytest.param(c, id=c.id) for c in CASES]


@dataclass
class Zarr2Run:
    """Everything zarr-python 2 wrote and read, plus what zarrlib wrote, for all cases."""

    by_zarr2: Path
    by_zarrlib: Path
    read_by_zarr2: Path
    write_report: dict[str, str | None]
    read_report: dict[str, str | None]


def _run_worker(python: str, *args: str) -> None:
    done = subprocess.run([python, str(WORKER), *args], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"zp2_worker.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="module")
def zarr2(tmp_path_factory) -> Zarr2Run:
    python = zarr2_python()
    if python is None:
        pytest.skip("no zarr-python 2 interpreter and none could be built (see zp2.py)")
    root = tmp_path_factory.mktemp("v2-zarr2")
    by_zarr2, by_zarrlib, read_by_zarr2 = root / "zarr2", root / "zarrlib", root / "read"
    _run_worker(python, "write", str(by_zarr2))
    for case in CASES:
        write_zarrlib(case, by_zarrlib / case.dirname, make_data(case))
    _run_worker(python, "read", str(by_zarrlib), str(read_by_zarr2))
    return Zarr2Run(
        by_zarr2,
        by_zarrlib,
        read_by_zarr2,
        json.loads((by_zarr2 / "report.json").read_text()),
        json.loads((read_by_zarr2 / "report.json").read_text()),
    )


def _written_by_zarr2(run: Zarr2Run, case: Case) -> Path:
    if case.zp2_write:
        pytest.skip(case.zp2_write)
    error = run.write_report[case.id]
    assert error is None, f"zarr-python 2 could not write {case.id}: {error}"
    return run.by_zarr2 / case.dirname


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_zarr2_reads_what_zarrlib_writes(case: Case, zarr2: Zarr2Run) -> None:
    if case.zp2_read:
        pytest.skip(case.zp2_read)
    error = zarr2.read_report[case.id]
    assert error is None, f"zarr-python 2 could not read zarrlib's {case.id}: {error}"
    data = np.load(zarr2.read_by_zarr2 / f"{case.dirname}.npy", allow_pickle=case.np_dtype.hasobject)
    assert_same(data, make_data(case), where="zarr-python 2 read: ")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_zarrlib_reads_what_zarr2_writes(case: Case, zarr2: Zarr2Run) -> None:
    path = _written_by_zarr2(zarr2, case)
    z, data = read_zarrlib(path)
    assert_same(data, make_data(case), where="zarrlib read: ")
    assert z.dtype == case.np_dtype
    assert_same_fill(z.fill_value, case.api_fill(), case.np_dtype)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_same_zarray_bytes_as_zarr2(case: Case, zarr2: Zarr2Run) -> None:
    path = _written_by_zarr2(zarr2, case)
    if case.zp2_differs:
        pytest.skip(case.zp2_differs)
    assert (zarr2.by_zarrlib / case.dirname / ".zarray").read_text() == (path / ".zarray").read_text()


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_same_chunk_bytes_as_zarr2(case: Case, zarr2: Zarr2Run) -> None:
    path = _written_by_zarr2(zarr2, case)
    if case.zp2_differs:
        pytest.skip(case.zp2_differs)
    # zarr-python 2 compares with ==, so it stores all-NaT and all-(nan+1j) chunks zarrlib leaves out
    assert_same_chunks(zarr2.by_zarrlib / case.dirname, path, case.compressor, subset=True)


def test_worker_reports_zarr2(zarr2: Zarr2Run) -> None:
    assert zarr2.write_report["__versions__"].startswith("zarr 2."), zarr2.write_report["__versions__"]
    assert sys.version_info >= (3, 11)
