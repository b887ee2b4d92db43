"""kill -9 at random moments: after every kill the store opens, every chunk decodes, and
every chunk (and metadata document) holds its content from before or after the round the
writer was in, never a mix; what a reader sees through the API is the same. A final writer
then finishes the work and the store must equal a run that was never interrupted.

``ZARRLIB_CRASH_ROUNDS`` sets the kills per workload (default 20); ``ZARRLIB_CRASH_SEED``
the seed of the kill delays.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import numpy as np
import pytest

import zarrlib as zarr
from zarrlib.chunk import decode_chunk
from zarrlib.errors import ArrayNotFoundError
from zarrlib.metadata.v2 import ARRAY_KEY
from zarrlib.metadata.v3 import ZARR_JSON
from zarrlib.repair import METADATA_NAMES

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the writer zygote forks")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crash_writer  # noqa: E402 - the writers' own module, shared with the model

KILLS = int(os.environ.get("ZARRLIB_CRASH_ROUNDS", "20"))
SEED = int(os.environ.get("ZARRLIB_CRASH_SEED", "0"))
NEVER_DONE = 10**9  # writers run until killed
MAX_DELAY = 0.25  # seconds between a writer's start and its kill

CASES = [
    ("whole", "dir-fsync"),
    ("whole", "lru"),
    ("partial", "dir"),
    ("partial", "sqlite"),
    ("resize", "dir"),
    ("append", "dir"),
    ("append", "sqlite"),
    ("group", "dir"),
    ("shard", "dir"),
]


class Zygote:
    """``crash_writer.py zygote``: forks writers on request, reports how each ended."""

    def __init__(self) -> None:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "crash_writer.py"), "zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def start(self, workload: str, kind: str, directory: str, rounds: int) -> int:
        self.proc.stdin.write(f"run {workload} {kind} {directory} {rounds}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def wait(self) -> int:
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "exit", f"zygote said {line!r}"
        return int(line[1])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def zygote():
    z = Zygote()
    yield z
    z.close()


class Model:
    """The workload replayed on a MemoryStore: the store's keys and values after each round
    (the last few rounds asked for are kept; rounds are asked for in increasing order)."""

    def __init__(self, workload: str) -> None:
        self.fn = crash_writer.WORKLOADS[workload]
        self.store = zarr.MemoryStore()
        self.done = -1  # the last round applied
        self.states: dict[int, dict[str, bytes]] = {-1: {}}  # after round r

    def after(self, r: int) -> dict[str, bytes]:
        while self.done < r:
            self.done += 1
            self.fn(self.store, self.done)
            self.states[self.done] = dict(self.store._map)
            for old in [k for k in self.states if k < self.done - 2]:
                del self.states[old]
        return self.states[r]


# -- the checks ---------------------------------------------------------------------------------


def array_paths(state: dict[str, bytes]) -> set[str]:
    paths = set()
    for key, value in state.items():
        parent, _, name = key.rpartition("/")
        if name == ARRAY_KEY or (name == ZARR_JSON and b'"array"' in value):
            paths.add(parent)
    return paths


def open_model(state: dict[str, bytes], path: str) -> zarr.Array:
    return zarr.Array(zarr.MemoryStore(dict(state)), path=path, read_only=True)


def owner(key: str, paths: set[str]) -> str:
    """The array a chunk key belongs to (the longest array path it starts with)."""
    parent = key
    while parent:
        parent = parent.rpartition("/")[0]
        if parent in paths:
            return parent
    if "" in paths:  # an array at the root
        return ""
    raise AssertionError(f"key {key!r} belongs to no array of the states before or after")


def check_keys(store: Any, states: list[dict[str, bytes]], codecs: dict[str, Any]) -> str:
    """Every key holds its value of one of the states; returns which state matched all keys
    ('before', 'after', or 'mixed' when the kill left the round half done). ``codecs`` caches
    each array's chunk codec (the workloads never change it)."""
    paths = set().union(*(array_paths(s) for s in states))
    for p in paths - set(codecs):
        newest = next(s for s in reversed(states) if p in array_paths(s))
        codecs[p] = open_model(newest, p)._codec
    disk_keys = set(store.list_prefix(""))
    matched = [True] * len(states)
    for key in sorted(disk_keys | set().union(*states)):
        disk = store[key] if key in disk_keys else None
        options = [s.get(key) for s in states]
        same = [disk == o for o in options]
        if key.rpartition("/")[2] in METADATA_NAMES:
            assert any(same), f"metadata {key!r} is {disk!r}, neither {options!r}"
        elif not all(same):  # equal bytes are equal content (and verify() decoded every chunk)
            codec = codecs[owner(key, paths)]
            got = None if disk is None else decode_chunk(codec, disk, key)  # raises if torn
            wanted = [None if o is None else decode_chunk(codec, o, key) for o in options]
            same = [(got is None and w is None) or (got is not None and w is not None and np.array_equal(got, w))
                    for w in wanted]  # fmt: skip
            assert any(same), f"chunk {key!r} holds neither its old nor its new content"
        matched = [m and s for m, s in zip(matched, same, strict=True)]
    if matched[-1]:
        return "after"
    return "before" if matched[0] else "mixed"


def touched_paths(states: list[dict[str, bytes]]) -> set[str]:
    """The arrays the round changes (their metadata or a chunk differs between the states)."""
    paths = set().union(*(array_paths(s) for s in states))
    changed = {k for k in set().union(*states) if len({s.get(k) for s in states}) > 1}
    return {p for p in paths if any(k == p or k.startswith(p + "/") for k in changed)}


def check_visible(store: Any, states: list[dict[str, bytes]]) -> None:
    """Through the API, for each array the round changes: it opens and reads; its shape is one
    of the states', and each stored chunk's region is that of a state of that shape (all of
    it, when only one state has that shape). Arrays the round leaves alone hold the same bytes
    in both states, which ``check_keys`` compares."""
    touched = touched_paths(states)
    for path in sorted(touched):
        try:
            z = zarr.open_array(store, path=path, mode="r")
        except ArrayNotFoundError:
            assert any(path not in array_paths(s) for s in states), f"array {path!r} vanished"
            continue
        got = z[...]
        candidates = [open_model(s, path)[...] for s in states if path in array_paths(s)]
        candidates = [c for c in candidates if c.shape == got.shape]
        assert candidates, f"array {path!r} has shape {got.shape}, which no state has"
        grid = z._grid_chunks
        for block in np.ndindex(*z._grid_shape(got.shape)):
            sel = tuple(slice(b * n, (b + 1) * n) for b, n in zip(block, grid, strict=True))
            assert any(np.array_equal(got[sel], c[sel]) for c in candidates), (
                f"array {path!r}: the region of stored chunk {block} matches no state of shape {got.shape}"
            )
    if ".zgroup" in store or ZARR_JSON in store:
        root = zarr.open_group(store, mode="r")
        members = set(root.group_keys())  # every listed member is a group
        for name in sorted(members & {p.split("/")[0] for p in touched}):
            list(root[name].arrays())  # and the round's new group opens and lists


def check_store(
    kind: str, directory: str, states: list[dict[str, bytes]], stats: Counter[str], codecs: dict[str, Any]
) -> None:
    store = crash_writer.open_store(kind, directory)
    try:
        report = zarr.verify(store)
        assert not report.bad_chunks and not report.bad_metadata, str(report)
        stats["temp_files"] += len(report.temp_files)
        if check_keys(store, states, codecs) == "mixed":
            stats["mid_round"] += 1
        check_visible(store, states)
    finally:
        store.close()


def writer_log(directory: str) -> str:
    try:
        with open(os.path.join(directory, "writer.log")) as f:
            return f.read()
    except FileNotFoundError:
        return ""


# -- the suite ----------------------------------------------------------------------------------


@pytest.mark.timeout(120 + 10 * KILLS)
@pytest.mark.parametrize(("workload", "kind"), CASES, ids=[f"{w}-{k}" for w, k in CASES])
def test_kill9_leaves_old_or_new_never_a_mix(workload, kind, tmp_path, zygote, crash_stats):
    directory = str(tmp_path)
    model = Model(workload)
    rng = random.Random(f"{SEED}-{workload}-{kind}")
    codecs: dict[str, Any] = {}
    kills = 0
    for _ in range(KILLS):
        pid = zygote.start(workload, kind, directory, NEVER_DONE)
        crash_stats["writers"] += 1
        time.sleep(rng.uniform(0, MAX_DELAY))
        os.kill(pid, signal.SIGKILL)
        status = zygote.wait()
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
            f"the writer ended by itself (status {status}):\n{writer_log(directory)}"
        )
        kills += 1
        crash_stats["kills"] += 1
        s = crash_writer.last_round_begun(directory)  # -1: killed before it began round 0
        check_store(kind, directory, [model.after(max(s - 1, -1)), model.after(s)], crash_stats, codecs)
    # a fresh writer process finishes the round in progress and two more; nothing was lost
    s = max(crash_writer.last_round_begun(directory), 0)
    done = subprocess.run(
        [sys.executable, os.path.join(HERE, "crash_writer.py"), "run", workload, kind, directory, str(s + 3)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    crash_stats["writers"] += 1
    crash_stats["rounds"] += s + 3
    final = model.after(s + 2)
    store = crash_writer.open_store(kind, directory)
    try:
        assert check_keys(store, [final], codecs) == "after"
        report = zarr.repair(store)  # removes what killed writers left; nothing else is wrong
        assert report.ok, str(report)
        assert not zarr.verify(store).temp_files
    finally:
        store.close()
    assert kills == KILLS


def test_kill9_zip_writer_leaves_a_clear_error(tmp_path, zygote, crash_stats):
    """A zip is readable only after close() writes its central directory: a killed writer
    leaves a file that every mode refuses with CorruptStoreError, and the CLI reports it."""
    directory = str(tmp_path)
    pid = zygote.start("group", "zip", directory, NEVER_DONE)
    crash_stats["writers"] += 1
    time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    status = zygote.wait()
    assert os.WIFSIGNALED(status), writer_log(directory)
    crash_stats["kills"] += 1
    path = os.path.join(directory, "store.zip")
    assert os.path.getsize(path) > 0
    for mode in ("r", "a"):
        with pytest.raises(zarr.CorruptStoreError, match="central directory"):
            zarr.ZipStore(path, mode=mode)
    result = subprocess.run(
        [sys.executable, "-m", "zarrlib", "verify", path], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "not a complete zip archive" in result.stderr
