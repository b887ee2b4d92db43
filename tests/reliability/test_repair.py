"""``zarrlib.repair`` / ``zarrlib.verify`` / ``zarrlib verify``: temp files removed, every chunk
decoded, failures reported by key (inner chunks of shards by shard key and coordinates)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.cli import main
from zarrlib.storage.directory import TEMP_SUFFIX


def v2_store(tmp_path, compressor="default"):
    store = zarr.DirectoryStore(tmp_path / "s.zarr")
    g = zarr.group(store=store)
    kwargs = {} if compressor == "default" else {"compressor": compressor}
    g.array("a", np.arange(40, dtype="i4"), chunks=10, **kwargs)
    g.require_group("sub").array("b", np.ones((4, 4), dtype="f8"), chunks=(2, 2), **kwargs)
    return store


def plant_temp(store, key: str) -> str:
    directory, _, name = key.rpartition("/")
    temp = f"{directory}/.{name}.{uuid.uuid4().hex}{TEMP_SUFFIX}" if directory else f".{name}.x{TEMP_SUFFIX}"
    with open(os.path.join(store.path, *temp.split("/")), "wb") as f:
        f.write(b"half a chunk")
    return temp


def bad_keys(report) -> list[str]:
    return sorted(bad.key for bad in report.bad_chunks)


def test_clean_hierarchy_is_ok(tmp_path):
    report = zarr.repair(v2_store(tmp_path))
    assert report.ok and report.arrays == 2 and report.chunks == 8
    assert report.temp_files == [] and report.bad_chunks == [] and report.bad_metadata == []
    assert str(report).endswith("OK")


def test_repair_removes_temp_files_and_verify_only_reports_them(tmp_path):
    store = v2_store(tmp_path)
    temps = sorted([plant_temp(store, "a/1"), plant_temp(store, "sub/b/.zarray"), plant_temp(store, ".zgroup")])
    checked = zarr.verify(store)
    assert checked.temp_files == temps and not checked.temp_files_removed and not checked.ok
    assert all(os.path.exists(os.path.join(store.path, *t.split("/"))) for t in temps)
    repaired = zarr.repair(store)
    assert repaired.temp_files == temps and repaired.temp_files_removed and repaired.ok
    assert zarr.verify(store).temp_files == []
    assert zarr.open_group(store)["a"][:].tolist() == list(range(40))  # the data was never touched


def test_temp_files_found_below_a_cache(tmp_path):
    store = v2_store(tmp_path)
    temp = plant_temp(store, "a/0")
    assert zarr.verify(zarr.LRUStoreCache(store, max_size=None)).temp_files == [temp]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncated", "could not be decoded"),
        ("garbage", "could not be decoded"),
        ("empty", "could not be decoded"),
    ],
)
def test_v2_corrupt_chunk_is_reported_by_key(tmp_path, damage, message):
    store = v2_store(tmp_path)
    good = store["a/2"]
    store["a/2"] = {"truncated": good[: len(good) // 2], "garbage": b"\x07" * 37, "empty": b""}[damage]
    report = zarr.verify(store)
    assert bad_keys(report) == ["a/2"] and message in report.bad_chunks[0].error
    assert "a/2" in str(report) and not report.ok


def test_v2_chunk_that_decodes_to_the_wrong_size_is_reported(tmp_path):
    store = v2_store(tmp_path, compressor=None)
    store["sub/b/1.0"] = np.ones(3, dtype="f8").tobytes()  # 3 items where the chunk holds 4
    report = zarr.verify(store)
    assert bad_keys(report) == ["sub/b/1.0"] and "expected 4" in report.bad_chunks[0].error


def test_bad_metadata_is_reported_by_key(tmp_path):
    store = v2_store(tmp_path)
    store["sub/.zattrs"] = b"{not json"
    store["a/.zarray"] = b'{"zarr_format": 2, "shape": "ten"}'
    report = zarr.verify(store)
    assert sorted(bad.key for bad in report.bad_metadata) == ["a/.zarray", "sub/.zattrs"]
    assert report.arrays == 1 and not report.ok  # sub/b is still checked


def test_delete_bad_removes_only_the_bad_chunks(tmp_path):
    store = v2_store(tmp_path)
    store["a/1"] = b"garbage"
    report = zarr.repair(store, delete_bad=True)
    assert report.deleted == ["a/1"] and "a/1" not in store and "a/0" in store
    a = zarr.open_array(store, path="a")[:]
    assert a[10:20].tolist() == [0] * 10 and a[20:].tolist() == list(range(20, 40))
    assert zarr.verify(store).ok


def test_repair_below_a_path_checks_only_that_part(tmp_path):
    store = v2_store(tmp_path)
    store["a/0"] = b"garbage"
    assert zarr.verify(store, "sub").ok and zarr.verify(store, "sub").arrays == 1
    assert bad_keys(zarr.verify(store)) == ["a/0"]


def test_repair_refuses_a_read_only_store_but_verify_works(tmp_path):
    v2_store(tmp_path)
    store = zarr.DirectoryStore(tmp_path / "s.zarr", read_only=True)
    with pytest.raises(zarr.ReadOnlyError, match="verify"):
        zarr.repair(store)
    assert zarr.verify(store).ok


def test_chunks_outside_the_shape_are_checked_too(tmp_path):
    store = v2_store(tmp_path)
    store["a/7"] = b"garbage"  # left by an interrupted append: a later resize could show it
    assert bad_keys(zarr.verify(store)) == ["a/7"]


# -- v3 -------------------------------------------------------------------------------------------------


def test_v3_corrupt_chunk_is_reported_by_key(tmp_path):
    store = zarr.DirectoryStore(tmp_path / "s.zarr")
    zarr.array(np.arange(20, dtype="i4"), chunks=5, store=store, path="x", zarr_format=3)
    zarr.array(np.arange(20, dtype="i4"), chunks=5, store=store, path="raw", zarr_format=3, compressors=None)
    store["x/c/1"] = store["x/c/1"][:-5]
    store["raw/c/3"] = np.arange(4, dtype="i4").tobytes()  # decodes to 4 items where the chunk holds 5
    report = zarr.verify(store)
    assert bad_keys(report) == ["raw/c/3", "x/c/1"]
    assert all(bad.inner is None for bad in report.bad_chunks)


def sharded(tmp_path):
    store = zarr.DirectoryStore(tmp_path / "s.zarr")
    z = zarr.array(
        np.arange(64, dtype="i4").reshape(8, 8) + 1,
        chunks=(2, 2),
        shards=(4, 4),
        store=store,
        path="s",
        zarr_format=3,
    )
    return store, z


def test_sharded_inner_chunk_failure_names_the_shard_and_the_inner_chunk(tmp_path):
    store, z = sharded(tmp_path)
    shard = bytearray(store["s/c/1/0"])
    index = z._codec.sharding.fetch_index(lambda r: r.apply(bytes(shard)), "s/c/1/0")
    offset, nbytes = (int(v) for v in index[1, 0])
    shard[offset : offset + nbytes] = b"\xff" * nbytes  # the inner chunk's compressed bytes, garbled
    store["s/c/1/0"] = bytes(shard)
    report = zarr.verify(store)
    assert [(b.key, b.inner) for b in report.bad_chunks] == [("s/c/1/0", (1, 0))]
    assert "inner chunk (1, 0)" in str(report) and "s/c/1/0" in str(report)
    assert report.chunks == 4  # shards, the stored unit


@pytest.mark.parametrize("damage", ["truncated", "index-out-of-range"])
def test_sharded_broken_index_names_the_shard(tmp_path, damage):
    store, z = sharded(tmp_path)
    raw = store["s/c/0/1"]
    if damage == "truncated":
        store["s/c/0/1"] = raw[: len(raw) // 2]
    else:  # rebuild the index so that one entry points past the end (crc32c recomputed)
        runtime = z._codec.sharding
        index = runtime._index_of(raw, "s/c/0/1").copy()
        index[0, 0, 0] = len(raw) * 2
        body = raw[: len(raw) - runtime.index_nbytes]
        store["s/c/0/1"] = body + runtime.index_codec.encode(index)
    report = zarr.verify(store)
    assert [(b.key, b.inner) for b in report.bad_chunks] == [("s/c/0/1", None)]
    assert "s/c/0/1" in report.bad_chunks[0].error


def test_delete_bad_deletes_the_whole_shard(tmp_path):
    store, _ = sharded(tmp_path)
    store["s/c/0/0"] = b"nonsense"
    assert zarr.repair(store, delete_bad=True).deleted == ["s/c/0/0"]
    assert "s/c/0/0" not in store and zarr.verify(store).ok


# -- the CLI -------------------------------------------------------------------------------------------------


def test_cli_verify_clean_store_exits_0(tmp_path, capsys):
    store = v2_store(tmp_path)
    assert main(["verify", store.path]) == 0
    out = capsys.readouterr().out
    assert f"checked {store.path}: 2 arrays, 8 stored chunks" in out and out.strip().endswith("OK")


def test_cli_verify_reports_bad_chunks_and_temp_files_and_exits_1(tmp_path, capsys):
    store = v2_store(tmp_path)
    store["sub/b/0.1"] = b"garbage"
    temp = plant_temp(store, "a/3")
    assert main(["verify", store.path]) == 1
    out = capsys.readouterr().out
    assert "sub/b/0.1" in out and temp in out and "--repair" in out and "PROBLEMS FOUND" in out
    assert os.path.exists(os.path.join(store.path, *temp.split("/")))


def test_cli_verify_repair_removes_temp_files(tmp_path, capsys):
    store = v2_store(tmp_path)
    temp = plant_temp(store, "a/3")
    assert main(["verify", store.path, "--repair"]) == 0
    assert "temp files removed: 1" in capsys.readouterr().out
    assert not os.path.exists(os.path.join(store.path, *temp.split("/")))


def test_cli_verify_delete_bad(tmp_path, capsys):
    store = v2_store(tmp_path)
    store["a/0"] = b"garbage"
    assert main(["verify", store.path, "--delete-bad"]) == 0
    assert "deleted bad chunks: 1" in capsys.readouterr().out and "a/0" not in store


def test_cli_verify_sqlite_store(tmp_path, capsys):
    path = str(tmp_path / "data.sqlite")
    with zarr.SQLiteStore(path) as store:
        zarr.array(np.arange(10), chunks=5, store=store, path="a")
        store["a/1"] = b"garbage"
    assert main(["verify", path]) == 1
    assert "a/1" in capsys.readouterr().out


def test_cli_verify_missing_path_exits_2(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nothing")]) == 2
    assert "no store" in capsys.readouterr().err


def test_cli_verify_runs_as_a_module(tmp_path):
    store = v2_store(tmp_path)
    store["a/0"] = b""
    result = subprocess.run([sys.executable, "-m", "zarrlib", "verify", store.path], capture_output=True, text=True)
    assert result.returncode == 1 and "a/0" in result.stdout


@pytest.mark.parametrize("module", ["zarrlib.repair", "zarrlib.core"])
def test_docstring_examples(module, tmp_path):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_cli_verify_zip_checks_only(tmp_path, capsys):
    path = str(tmp_path / "data.zip")
    with zarr.ZipStore(path, mode="w") as store:
        zarr.array(np.arange(10), chunks=5, store=store, path="a")
    assert main(["verify", path, "--repair"]) == 0
    captured = capsys.readouterr()
    assert "checking only" in captured.err and "1 arrays, 2 stored chunks" in captured.out
