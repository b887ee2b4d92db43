"""copy_store, copy and copy_all: zarrlib and h5py sources, if_exists, dry runs, logs,
memory bounds and progress bars."""

from __future__ import annotations

import io
import sys
import types

import numcodecs
import numpy as np
import pytest

import zarrlib as zarr
from zarrlib import convenience
from zarrlib.errors import CopyError, MetadataError

h5py = pytest.importorskip("h5py")


@pytest.fixture
def source():
    """/ (attrs) -> foo/ (attrs) -> bar/ -> baz (int64, 100), spam (float32 2-d), text (str)."""
    g = zarr.group()
    g.attrs["root"] = 1
    foo = g.create_group("foo")
    foo.attrs["level"] = "foo"
    baz = foo.array("bar/baz", np.arange(100), chunks=(30,), compressor=numcodecs.Zlib(level=3))
    baz.attrs["units"] = "m"
    g.array("spam", np.arange(60, dtype="f4").reshape(6, 10), chunks=(4, 4), order="F", fill_value=-1)
    g.array("text", np.array(["a", "bb", "ccc"], dtype=object), dtype=str, chunks=2)
    return g


# -- copy_store ------------------------------------------------------------------------------------
def test_copy_store_copies_keys_as_stored(source):
    dest = zarr.MemoryStore()
    n_copied, n_skipped, n_bytes = zarr.copy_store(source.store, dest)
    assert dict(dest.items()) == dict(source.store.items())
    assert (n_copied, n_skipped, n_bytes) == (len(source.store), 0, source.store.getsize())


def test_copy_store_paths_and_filters(source):
    dest = zarr.MemoryStore()
    zarr.copy_store(source.store, dest, source_path="foo", dest_path="copied/here", excludes=r"\.zattrs$")
    assert "copied/here/bar/baz/.zarray" in dest
    assert not any(k.endswith(".zattrs") for k in dest)
    dest2 = zarr.MemoryStore()
    zarr.copy_store(source.store, dest2, excludes=["/"], includes=r"^foo/bar/baz/")
    assert sorted(k for k in dest2 if "/" in k) == sorted(k for k in source.store if k.startswith("foo/bar/baz/"))


def test_copy_store_if_exists(source):
    dest = zarr.MemoryStore()
    dest["spam/.zarray"] = b"{}"
    with pytest.raises(CopyError, match=r"'spam/\.zarray' already exists"):
        zarr.copy_store(source.store, dest)
    assert list(dest) == ["spam/.zarray"]  # checked before anything was written
    n_copied, n_skipped, _ = zarr.copy_store(source.store, dest, if_exists="skip")
    assert (n_copied, n_skipped) == (len(source.store) - 1, 1) and dest["spam/.zarray"] == b"{}"
    zarr.copy_store(source.store, dest, if_exists="replace")
    assert dest["spam/.zarray"] == source.store["spam/.zarray"]
    with pytest.raises(ValueError, match="skip_initialized"):
        zarr.copy_store(source.store, dest, if_exists="skip_initialized")
    with pytest.raises(ValueError, match="if_exists must be one of"):
        zarr.copy_store(source.store, dest, if_exists="merge")


def test_copy_store_dry_run_and_log(source):
    dest = zarr.MemoryStore()
    lines = []
    counts = zarr.copy_store(source.store, dest, source_path="foo", dry_run=True, log=lines.append)
    assert list(dest) == []
    assert counts == (len(source.store.list_prefix("foo")), 0, source.store.getsize("foo"))
    assert lines[0] == "copy foo/.zattrs -> .zattrs"
    assert lines[-1] == f"dry run: {counts[0]} copied, 0 skipped, {counts[2]:,} bytes copied"


def test_copy_store_many_keys_between_stores(tmp_path):
    src = zarr.DirectoryStore(tmp_path / "src")
    z = zarr.array(np.arange(1000), chunks=7, store=src)  # 143 chunks: several batches
    dest = zarr.SQLiteStore(tmp_path / "dest.sqlite")
    n_copied, _, _ = zarr.copy_store(src, dest)
    assert n_copied == z.nchunks_initialized + 1
    np.testing.assert_array_equal(zarr.Array(dest)[:], np.arange(1000))
    dest.close()


# -- copy: zarrlib -> zarrlib --------------------------------------------------------------------------
def test_copy_array_preserves_data_encoding_and_attrs(source):
    dest = zarr.group()
    counts = zarr.copy(source["foo/bar/baz"], dest)
    assert counts == (1, 0, 800)
    baz = dest["baz"]
    np.testing.assert_array_equal(baz[:], np.arange(100))
    assert (baz.chunks, baz.compressor, baz.attrs["units"]) == ((30,), numcodecs.Zlib(level=3), "m")
    spam = zarr.copy(source["spam"], dest, name="renamed") and dest["renamed"]
    assert (spam.order, spam.fill_value, spam.chunks) == ("F", -1, (4, 4))
    np.testing.assert_array_equal(spam[:], source["spam"][:])
    zarr.copy(source["text"], dest)
    assert dest["text"][:].tolist() == ["a", "bb", "ccc"]


def test_copy_with_creation_overrides(source):
    dest = zarr.group()
    zarr.copy(source["spam"], dest, compressor=None, chunks=(6, 10))
    assert dest["spam"].compressor is None and dest["spam"].chunks == (6, 10)
    np.testing.assert_array_equal(dest["spam"][:], source["spam"][:])


def test_copy_group_recursively(source):
    dest = zarr.group()
    counts = zarr.copy(source["foo"], dest)
    assert counts == (3, 0, 800)  # foo, bar, baz
    assert repr(dest.tree()) == "/\n └── foo\n     └── bar\n         └── baz (100,) int64"
    assert dest["foo"].attrs["level"] == "foo"
    np.testing.assert_array_equal(dest["foo/bar/baz"][:], np.arange(100))


def test_copy_shallow_and_without_attrs(source):
    dest = zarr.group()
    zarr.copy(source["foo"], dest, shallow=True, without_attrs=True)
    assert list(dest["foo"]) == []  # only immediate children, and bar is a group
    assert dict(dest["foo"].attrs) == {}
    dest2 = zarr.group()
    n_copied, _, _ = zarr.copy_all(source, dest2, shallow=True)
    assert list(dest2) == ["spam", "text"] and n_copied == 2


def test_copy_all(source):
    dest = zarr.group()
    lines = []
    counts = zarr.copy_all(source, dest, log=lines.append)
    assert counts == (5, 0, 800 + 240 + 24)
    assert list(dest) == ["foo", "spam", "text"]
    assert dest.attrs["root"] == 1
    assert lines == [
        "copy /foo",
        "copy /foo/bar",
        "copy /foo/bar/baz (100,) int64",
        "copy /spam (6, 10) float32",
        "copy /text (3,) object",
        "all done: 5 copied, 0 skipped, 1,064 bytes copied",
    ]


def test_copy_root_needs_a_name_and_dest_must_be_a_group(source):
    with pytest.raises(TypeError, match="needs name="):
        zarr.copy(source, zarr.group())
    with pytest.raises(TypeError, match="must be a group"):
        zarr.copy(source["spam"], source["text"])
    with pytest.raises(TypeError, match="members of a group"):
        zarr.copy_all(source["spam"], zarr.group())
    with pytest.raises(ValueError, match="if_exists"):
        zarr.copy(source["spam"], zarr.group(), if_exists="nope")
    assert zarr.copy(source, zarr.group(), name="whole")[0] == 6


# -- if_exists -----------------------------------------------------------------------------------
@pytest.fixture
def occupied():
    """A destination with an array 'baz' (partly written), a group 'foo' and an array 'spam'."""
    dest = zarr.group()
    dest.zeros("baz", shape=(100,), chunks=(50,), dtype="i8")[:50] = 5
    dest.create_group("foo").attrs["mine"] = True
    dest.zeros("spam", shape=(3,))
    return dest


def test_if_exists_raise_changes_nothing(source, occupied):
    before = dict(occupied.store.items())
    with pytest.raises(CopyError, match="an array named 'baz' already exists in destination group '/'"):
        zarr.copy(source["foo/bar/baz"], occupied)
    with pytest.raises(CopyError, match="an array named 'spam'"):
        zarr.copy(source["foo"], occupied, name="spam")
    assert dict(occupied.store.items()) == before


def test_if_exists_replace(source, occupied):
    assert zarr.copy(source["foo/bar/baz"], occupied, if_exists="replace") == (1, 0, 800)
    np.testing.assert_array_equal(occupied["baz"][:], np.arange(100))
    zarr.copy(source["foo"], occupied, name="spam", if_exists="replace")
    assert isinstance(occupied["spam"], zarr.Group)


def test_if_exists_skip(source, occupied):
    assert zarr.copy(source["foo/bar/baz"], occupied, if_exists="skip") == (0, 1, 0)
    np.testing.assert_array_equal(occupied["baz"][:50], 5)


def test_if_exists_skip_initialized(source, occupied):
    # baz is only half written: copied over; once complete it is skipped
    assert zarr.copy(source["foo/bar/baz"], occupied, if_exists="skip_initialized")[:2] == (1, 0)
    assert zarr.copy(source["foo/bar/baz"], occupied, if_exists="skip_initialized")[:2] == (0, 1)


def test_copy_into_an_existing_group_merges(source, occupied):
    zarr.copy(source["foo"], occupied)
    assert occupied["foo"].attrs.asdict() == {"mine": True, "level": "foo"}
    assert list(occupied["foo"]) == ["bar"]


def test_dry_run_writes_nothing(source, occupied):
    before = dict(occupied.store.items())
    out = io.StringIO()
    counts = zarr.copy_all(source, occupied, if_exists="skip", dry_run=True, log=out)
    assert dict(occupied.store.items()) == before
    assert counts == (4, 1, 824)  # foo (merged), bar, baz and text; spam skipped
    assert out.getvalue().splitlines()[-1] == "dry run: 4 copied, 1 skipped, 824 bytes copied"


def test_log_to_a_file(source, tmp_path):
    zarr.copy(source["spam"], zarr.group(), log=tmp_path / "log.txt")
    assert (tmp_path / "log.txt").read_text().splitlines()[0] == "copy /spam (6, 10) float32"
    with pytest.raises(TypeError, match="log must be"):
        zarr.copy(source["spam"], zarr.group(), log=42)


# -- h5py --------------------------------------------------------------------------------------------
@pytest.fixture
def h5file(tmp_path):
    f = h5py.File(tmp_path / "example.h5", mode="w")
    f.attrs["title"] = "from hdf5"
    f.attrs["numbers"] = np.arange(3, dtype="i2")
    foo = f.create_group("foo")
    foo.attrs["scale"] = np.float32(0.5)
    foo.attrs["raw"] = b"bytes"
    baz = foo.create_dataset("bar/baz", data=np.arange(100), chunks=(50,))
    baz.attrs["flag"] = np.bool_(True)
    f.create_dataset("spam", data=np.arange(100, 200), chunks=(30,), compression="gzip", fillvalue=7)
    f.create_dataset("contiguous", data=np.arange(12.0).reshape(3, 4))
    f.create_dataset("strings", data=["\u03b1", "bb"], dtype=h5py.string_dtype())
    f.create_dataset("fixed", data=np.array([b"ab", b"cd"], dtype="S2"))
    f.create_dataset("scalar", data=3.5)
    yield f
    f.close()


def test_copy_all_from_h5py_reproduces_zarr_docs_example(h5file):
    dest = zarr.group()
    out = io.StringIO()
    for name in ("contiguous", "strings", "fixed", "scalar"):
        del h5file[name]
    assert zarr.copy_all(h5file, dest, log=out) == (4, 0, 1600)
    assert out.getvalue().splitlines() == [
        "copy /foo",
        "copy /foo/bar",
        "copy /foo/bar/baz (100,) int64",
        "copy /spam (100,) int64",
        "all done: 4 copied, 0 skipped, 1,600 bytes copied",
    ]
    assert repr(dest.tree()) == repr(zarr.tree(h5file))
    assert repr(dest.tree()) == "/\n ├── foo\n │   └── bar\n │       └── baz (100,) int64\n └── spam (100,) int64"


def test_copy_from_h5py_data_chunks_fill_and_attrs(h5file):
    dest = zarr.group()
    zarr.copy_all(h5file, dest)
    np.testing.assert_array_equal(dest["foo/bar/baz"][:], np.arange(100))
    assert dest["foo/bar/baz"].chunks == (50,)
    assert (dest["spam"].chunks, dest["spam"].fill_value) == ((30,), 7)
    np.testing.assert_array_equal(dest["contiguous"][:], np.arange(12.0).reshape(3, 4))
    assert dest["strings"][:].tolist() == ["\u03b1", "bb"]
    assert dest["fixed"][:].tolist() == [b"ab", b"cd"]
    assert dest["scalar"][()] == 3.5
    assert dest.attrs.asdict() == {"title": "from hdf5", "numbers": [0, 1, 2]}
    assert dest["foo"].attrs.asdict() == {"scale": 0.5, "raw": "bytes"}
    assert dest["foo/bar/baz"].attrs["flag"] is True


def test_copy_one_h5py_dataset_and_group(h5file):
    dest = zarr.group()
    assert zarr.copy(h5file["spam"], dest) == (1, 0, 800)
    assert zarr.copy(h5file["foo"], dest, name="other")[0] == 3
    np.testing.assert_array_equal(dest["other/bar/baz"][:], np.arange(100))


def test_copy_zarrlib_into_h5py(source, tmp_path):
    with h5py.File(tmp_path / "out.h5", mode="w") as f:
        zarr.copy(source["foo"], f)
        zarr.copy(source["spam"], f)
        ds = f["foo/bar/baz"]
        np.testing.assert_array_equal(ds[:], np.arange(100))
        assert (ds.compression, ds.compression_opts, ds.attrs["units"]) == ("gzip", 1, "m")
        np.testing.assert_array_equal(f["spam"][:], source["spam"][:])
        with pytest.raises(CopyError):
            zarr.copy(source["spam"], f)


# -- memory bounds and progress -------------------------------------------------------------------------
class RecordingSource:
    """An array-like that records the size of every read."""

    def __init__(self, data, chunks):
        self.data, self.chunks, self.shape, self.dtype = data, chunks, data.shape, data.dtype
        self.name, self.attrs, self.fill_value = "/rec", {}, 0
        self.reads: list[int] = []

    def __getitem__(self, sel):
        out = self.data[sel]
        self.reads.append(out.nbytes)
        return out


@pytest.mark.parametrize(
    ("shape", "chunks"),
    [
        pytest.param((1000,), (64,), id="1d"),
        pytest.param((90, 70), (16, 16), id="2d"),
        pytest.param((10, 20, 30), (3, 7, 30), id="3d"),
        pytest.param((40, 40), (40, 40), id="one-chunk"),
    ],
)
def test_copy_reads_at_most_the_buffer_size(monkeypatch, shape, chunks):
    monkeypatch.setattr(convenience, "COPY_BUFFER_BYTES", 4096)
    data = np.random.default_rng(0).integers(0, 100, size=shape, dtype="i4")
    src = RecordingSource(data, chunks)
    dest = zarr.group()
    zarr.copy(src, dest)
    np.testing.assert_array_equal(dest["rec"][:], data)
    chunk_bytes = int(np.prod(chunks)) * 4
    assert max(src.reads) <= max(4096, chunk_bytes)
    assert sum(src.reads) == data.nbytes  # every element read exactly once


def test_progress_bar_with_tqdm(monkeypatch, source):
    updates = []

    class FakeTqdm:
        def __init__(self, total, desc, unit):
            updates.append(("open", total, desc))

        def update(self, n):
            updates.append(("update", n))

        def close(self):
            updates.append(("close",))

    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    monkeypatch.setattr(convenience, "COPY_BUFFER_BYTES", 100)
    zarr.copy(source["foo/bar/baz"], zarr.group(), progress=True)
    assert updates[0] == ("open", 4, "/baz")
    assert updates[1:] == [("update", 1)] * 4 + [("close",)]


def test_progress_without_tqdm_or_rich_warns_once(monkeypatch, source):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    monkeypatch.setattr(convenience, "COPY_BUFFER_BYTES", 100)
    dest = zarr.group()
    with pytest.warns(UserWarning, match="needs tqdm or rich") as record:
        zarr.copy(source, dest, name="all", progress=True)
    assert len(record) == 1
    np.testing.assert_array_equal(dest["all/foo/bar/baz"][:], np.arange(100))


def test_copy_reports_broken_source_metadata(source):
    source.store["spam/.zarray"] = b"{broken"
    with pytest.raises(MetadataError, match=r"spam/\.zarray"):
        zarr.copy_all(source, zarr.group())


# -- between Zarr formats -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("src_format", "dest_format"), [pytest.param(2, 3, id="v2-to-v3"), pytest.param(3, 2, id="v3-to-v2")]
)
def test_copy_all_between_zarr_formats(src_format, dest_format):
    src = zarr.group(zarr_format=src_format)
    src.attrs["root"] = True
    a = src.array("a/b", np.arange(10, dtype="i4"), chunks=5, fill_value=3)
    a.attrs["units"] = "m"
    src.array("s", np.array(["x", "yy"], dtype=object), dtype=str, chunks=1)
    dest = zarr.group(zarr_format=dest_format)
    assert zarr.copy_all(src, dest) == (3, 0, 56)
    b = dest["a/b"]
    assert (b.zarr_format, b.chunks, b.fill_value, b.attrs["units"]) == (dest_format, (5,), 3, "m")
    np.testing.assert_array_equal(b[:], np.arange(10))
    assert dest["s"][:].tolist() == ["x", "yy"]
    assert dest.attrs["root"] is True


def test_copy_across_formats_refuses_other_object_codecs():
    src = zarr.group()
    src.array("j", np.array([{"a": 1}], dtype=object), dtype=object, object_codec=numcodecs.JSON())
    with pytest.raises(TypeError, match="only strings and bytes"):
        zarr.copy_all(src, zarr.group(zarr_format=3))


def test_copy_store_into_a_zip_path_closes_the_archive(source, tmp_path):
    path = tmp_path / "copy.zip"
    n_copied, _, _ = zarr.copy_store(source.store, str(path))
    with zarr.ZipStore(path, mode="r") as archive:  # readable: the directory was written
        assert len(archive) == n_copied
        np.testing.assert_array_equal(zarr.open_group(archive, mode="r")["foo/bar/baz"][:], np.arange(100))
