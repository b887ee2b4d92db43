"""FSStore on local fsspec file systems (memory://, file://, a local http:// server): the
store contract, URL handling in the open functions, and retries of network errors."""

from __future__ import annotations

import errno
import functools
import http.server
import pickle
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fsspec")

import zarrlib as zarr
from zarrlib.errors import ReadOnlyError, StoreError
from zarrlib.storage import ByteRange, FSStore
from zarrlib.storage.fsspec import is_transient

sys.path.insert(0, str(Path(__file__).parents[1] / "storage"))
from test_store_contract import StoreContract  # the suite every store runs


def memory_url() -> str:
    return f"memory://zarrlib-{uuid.uuid4().hex}"


class TestFSStoreMemory(StoreContract):
    def make(self, tmp_path):
        return FSStore(memory_url())


class TestFSStoreFile(StoreContract):
    persistent = True

    def make(self, tmp_path):
        return FSStore((tmp_path / "store").as_uri())

    def reopen(self, store, tmp_path):
        return FSStore((tmp_path / "store").as_uri(), mode="r")


def test_file_store_layout_is_a_directory_store(tmp_path):
    z = zarr.zeros((4, 4), chunks=(2, 2), dtype="i4", store=(tmp_path / "d.zarr").as_uri())
    z[:] = 5
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "d.zarr"), mode="r")[:], np.full((4, 4), 5))
    assert sorted(p.name for p in (tmp_path / "d.zarr").iterdir()) == [".zarray", "0.0", "0.1", "1.0", "1.1"]


def test_read_only_mode_refuses_writes():
    url = memory_url()
    FSStore(url)["a"] = b"1"
    store = FSStore(url, mode="r")
    assert store["a"] == b"1"
    with pytest.raises(ReadOnlyError, match="'b'"):
        store["b"] = b"2"
    with pytest.raises(ReadOnlyError):
        store.set_many({"b": b"2"})
    with pytest.raises(ReadOnlyError):
        store.delete_many(["a"])


def test_get_ranges_batches_many_parts():
    store = FSStore(memory_url())
    store.set_many({"a": b"0123456789", "b": b"abc"})
    got = store.get_ranges([("a", ByteRange(0, 2)), ("b", ByteRange.suffix(1)), ("nope", ByteRange(0, 1))])
    assert got == [b"01", b"c", None]


def test_store_pickles_to_the_same_data():
    store = FSStore(memory_url())
    store["k/x"] = b"v"
    clone = pickle.loads(pickle.dumps(store))
    assert clone["k/x"] == b"v"
    assert clone == store


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="url must be a string"):
        FSStore(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="retries must be a non-negative integer, got -1"):
        FSStore("memory://x", retries=-1)


# -- URLs and storage_options in the open functions --------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda url, so: zarr.zeros((6,), chunks=(4,), dtype="i2", store=url, storage_options=so), id="zeros"
        ),
        pytest.param(
            lambda url, so: zarr.open_array(url, mode="w", shape=(6,), chunks=(4,), dtype="i2", storage_options=so),
            id="open_array",
        ),
        pytest.param(
            lambda url, so: zarr.open(url, mode="w", shape=(6,), chunks=(4,), dtype="i2", storage_options=so), id="open"
        ),
        pytest.param(
            lambda url, so: zarr.create((6,), chunks=(4,), dtype="i2", store=url, storage_options=so, zarr_format=3),
            id="create-v3",
        ),
    ],
)
def test_open_functions_take_urls_and_storage_options(make):
    url = memory_url()
    z = make(url, {"skip_instance_cache": False})
    assert isinstance(z.store, FSStore)
    z[:] = [1, 2, 3, 4, 5, 6]
    again = zarr.open(url, mode="r", storage_options={})
    np.testing.assert_array_equal(again[:], [1, 2, 3, 4, 5, 6])
    assert again.read_only


def test_groups_open_from_urls():
    url = memory_url()
    g = zarr.open_group(url, mode="w", storage_options={})
    g.create_group("a").zeros("x", shape=(3,), chunks=(2,), dtype="u1")
    assert zarr.group(url, storage_options={})["a/x"].shape == (3,)
    assert list(zarr.open_group(url, mode="r")) == ["a"]
    zarr.consolidate_metadata(url, storage_options={})
    assert zarr.open_consolidated(url, mode="r", storage_options={})["a/x"].shape == (3,)


def test_storage_options_without_a_url_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="storage_options are for stores given as URLs"):
        zarr.open_array(str(tmp_path / "a"), mode="w", shape=(2,), storage_options={"anon": True})
    with pytest.raises(ValueError, match="storage_options are for stores given as URLs"):
        zarr.zeros((2,), storage_options={})
    with pytest.raises(TypeError, match="storage_options must be a dict"):
        zarr.open_group(memory_url(), storage_options=["anon"])  # type: ignore[arg-type]


def test_importing_zarrlib_does_not_import_fsspec():
    code = "import sys, zarrlib; zarrlib.FSStore; print('fsspec' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- read only over http ---------------------------------------------------------------------------
@pytest.fixture
def http_root(tmp_path):
    """A directory served read-only on 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_http_store_reads_and_is_read_only(http_root):
    pytest.importorskip("aiohttp")
    root, base = http_root
    data = np.arange(30, dtype="f8").reshape(5, 6)
    zarr.array(data, chunks=(2, 4), store=str(root / "a.zarr"), fill_value=-1)
    (root / "a.zarr" / "0.1").unlink()  # a missing chunk reads as the fill value
    data[0:2, 4:6] = -1
    z = zarr.open_array(f"{base}/a.zarr", mode="r")
    assert z.store.read_only
    np.testing.assert_array_equal(z[:], data)
    np.testing.assert_array_equal(z[3:5, 1], data[3:5, 1])
    with pytest.raises(ReadOnlyError):
        z.store["x"] = b"1"


# -- retries ---------------------------------------------------------------------------------------
class FlakyFS:
    """A memory file system whose next ``failures`` calls raise ``error``."""

    def __init__(self, error: BaseException, failures: int) -> None:
        import fsspec

        self._fs = fsspec.filesystem("memory", skip_instance_cache=True)
        self.error = error
        self.failures = failures
        self.calls = 0

    def __getattr__(self, name):
        attr = getattr(self._fs, name)
        if name not in ("cat_file", "cat_ranges", "pipe_file", "pipe"):
            return attr

        def call(*args, **kwargs):
            self.calls += 1
            if self.failures:
                self.failures -= 1
                raise self.error
            return attr(*args, **kwargs)

        return call


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ConnectionRefusedError(errno.ECONNREFUSED, "refused"), id="refused"),
        pytest.param(TimeoutError("timed out"), id="timeout"),
        pytest.param(OSError(errno.EBUSY, "SlowDown"), id="throttled"),
    ],
)
def test_network_errors_are_retried_then_succeed(error):
    fs = FlakyFS(error, failures=2)
    root = f"/zarrlib-{uuid.uuid4().hex}"
    store = FSStore(root, fs=fs, retries=3, retry_delay=0.001)
    store["a"] = b"1"
    assert fs.calls == 3
    fs.failures = 2
    assert store.get_many(["a", "missing"]) == {"a": b"1"}
    fs.failures = 2
    assert store["a"] == b"1"


def test_retries_are_bounded_and_the_error_names_the_key():
    fs = FlakyFS(ConnectionResetError(errno.ECONNRESET, "reset by peer"), failures=100)
    store = FSStore(f"/zarrlib-{uuid.uuid4().hex}", fs=fs, retries=2, retry_delay=0.001)
    with pytest.raises(
        StoreError, match=r"read of key 'c/0\.0' .* failed after 3 attempts: ConnectionResetError"
    ) as info:
        store.get_many(["c/0.0"])
    assert info.value.key == "c/0.0"
    assert isinstance(info.value, OSError)
    assert fs.calls == 3
    fs.calls = 0
    with pytest.raises(StoreError, match="write of key 'k'"):
        store["k"] = b"v"
    assert fs.calls == 3


def test_permanent_errors_are_not_retried():
    fs = FlakyFS(PermissionError("access denied"), failures=100)
    store = FSStore(f"/zarrlib-{uuid.uuid4().hex}", fs=fs, retries=5, retry_delay=0.001)
    with pytest.raises(PermissionError):
        store["k"] = b"v"
    assert fs.calls == 1


def test_transient_errors_are_recognised_through_their_causes():
    class ClientError(Exception):  # botocore's shape, without importing botocore
        def __init__(self, status, code):
            self.response = {"ResponseMetadata": {"HTTPStatusCode": status}, "Error": {"Code": code}}

    wrapped = OSError(errno.EIO, "wrapped")
    wrapped.__cause__ = ClientError(503, "SlowDown")
    assert is_transient(wrapped)
    assert is_transient(ClientError(500, "InternalError"))
    assert is_transient(ClientError(429, "TooManyRequests"))
    assert not is_transient(ClientError(403, "AccessDenied"))
    assert not is_transient(FileNotFoundError("gone"))
    assert not is_transient(ValueError("bad"))


@pytest.mark.parametrize("module", ["zarrlib.storage.fsspec", "zarrlib.creation"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
