"""Golden Zarr v2 arrays written by zarr-python 2.18 and 3.1, committed under tests/fixtures/v2/.

Today's zarrlib must decode them, reproduce their metadata text, and encode the same values
to the same chunk bytes — so a format regression shows up even where no peer is installed.
Regenerate only on purpose, with tests/fixtures/v2/generate_fixtures.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from v2_cases import assert_same
from v2_peers import assert_same_chunks, chunk_files, read_zarrlib

import zarrlib
from zarrlib.metadata.v2 import ArrayMetadataV2

FIXTURES = Path(__file__).parents[1] / "fixtures" / "v2"
WRITERS = ["zarr-python-2", "zarr-python-3"]


def _fixtures() -> list:
    params = []
    for writer in WRITERS:
        manifest = json.loads((FIXTURES / writer / "manifest.json").read_text())
        for name in sorted(manifest["arrays"]):
            params.append(pytest.param(writer, name, id=f"{writer}/{name}"))
    return params


FIXTURE_PARAMS = _fixtures()
_expected_cache: dict[str, dict[str, np.ndarray]] = {}


def expected(writer: str, name: str) -> np.ndarray:
    if writer not in _expected_cache:
        # our own committed file; object arrays (VLen, JSON, MsgPack items) need pickle
        with np.load(FIXTURES / writer / "expected.npz", allow_pickle=True) as npz:
            _expected_cache[writer] = {k: npz[k] for k in npz.files}
    return _expected_cache[writer][name]


def test_fixture_set_is_complete():
    assert len(FIXTURE_PARAMS) >= 30
    for writer in WRITERS:
        manifest = json.loads((FIXTURES / writer / "manifest.json").read_text())
        assert manifest["written_by"].startswith(f"zarr {writer[-1]}.")
        for name in manifest["arrays"]:
            assert (FIXTURES / writer / name / ".zarray").is_file()
            assert chunk_files(FIXTURES / writer / name) or name == "layout-0d", f"{name} has no chunks"


@pytest.mark.parametrize(("writer", "name"), FIXTURE_PARAMS)
def test_zarrlib_decodes_fixture(writer, name):
    z, data = read_zarrlib(FIXTURES / writer / name)
    want = expected(writer, name)
    assert_same(data, want, where=f"{writer}/{name}: ")
    assert z.read_only


@pytest.mark.parametrize(("writer", "name"), FIXTURE_PARAMS)
def test_metadata_written_back_unchanged(writer, name):
    raw = (FIXTURES / writer / name / ".zarray").read_bytes()
    meta = ArrayMetadataV2.from_json(raw)
    if writer == "zarr-python-2":
        assert meta.to_json() == raw  # the same text, byte for byte
    else:
        # zarr-python 3 indents by 2 in insertion order and drops zstd's checksum=False
        assert json.loads(meta.to_json()) == json.loads(raw)


@pytest.mark.parametrize(("writer", "name"), FIXTURE_PARAMS)
def test_zarrlib_encodes_the_same_chunks(writer, name, tmp_path):
    source = FIXTURES / writer / name
    copy = tmp_path / name
    copy.mkdir()
    shutil.copy(source / ".zarray", copy / ".zarray")
    z = zarrlib.open_array(str(copy), mode="r+")
    z[...] = expected(writer, name)
    meta = json.loads((source / ".zarray").read_bytes())
    assert_same_chunks(copy, source, meta["compressor"])
