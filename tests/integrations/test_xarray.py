"""xarray <-> zarrlib: the "zarrlib" engine reads what xarray's own zarr writer (zarr-python 3)
wrote, lazily and identically; ``to_zarrlib`` writes what ``xr.open_zarr`` reads back
identically; both in Zarr v2 and v3."""

from __future__ import annotations

import importlib.metadata
import json
import os
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import zarrlib as zarr
from zarrlib.storage import DirectoryStore

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")  # xarray's own zarr engine, the peer
backend = pytest.importorskip("zarrlib.integrations.xarray_backend")

FORMATS = [pytest.param(2, id="v2"), pytest.param(3, id="v3")]
REPO = Path(__file__).resolve().parents[2]


def _entry_point_installed() -> bool:
    return any(ep.name == "zarrlib" for ep in importlib.metadata.entry_points(group="xarray.backends"))


# the installed package's entry points come from its metadata; a development install older
# than the entry point still works through the class itself
ENGINE = "zarrlib" if _entry_point_installed() else backend.ZarrlibBackendEntrypoint


def make_dataset() -> xr.Dataset:
    """Coordinates (an index, a datetime index, a non-index string coordinate), attributes,
    a float variable with NaNs, a CF-packed variable (int16, scale_factor, add_offset,
    _FillValue), a 0-d variable, variable-length strings, booleans, timedeltas, NaT."""
    rng = np.random.default_rng(0)
    temp = rng.normal(280, 5, size=(6, 5))
    temp[1, 2] = np.nan
    packed = 10.0 + 0.5 * rng.integers(0, 100, size=(6, 5))  # exact in int16 * 0.5 + 10
    packed[0, 0] = packed[4, 3] = np.nan
    ds = xr.Dataset(
        {
            "temp": (("time", "x"), temp, {"units": "K", "long_name": "air temperature"}),
            "packed": (("time", "x"), packed, {"long_name": "packed precipitation"}),
            "count": (("x",), np.arange(5, dtype="i2")),
        },
        coords={
            "time": pd.date_range("2000-01-01", periods=6, freq="6h"),
            "x": np.array([10, 20, 30, 40, 50]),
            "station": ("x", ["a", "bb", "c", "dd", "e"]),
        },
        attrs={"title": "test", "version": np.int64(3), "tags": ["a", "b"]},
    )
    ds["scalar"] = ((), 3.5, {"units": "m"})
    ds["name"] = (("x",), np.array(["alpha", "be", "gamma", "", "delta"], dtype=object))
    ds["flag"] = (("x",), np.array([True, False, True, True, False]))
    ds["lag"] = (("x",), pd.to_timedelta([1, 2, 3, 4, 5], unit="h"))
    ds["when"] = (("x",), pd.to_datetime(["2001-01-01", None, "2002-02-02", "2003-03-03", None]))
    ds.packed.encoding = {"dtype": "int16", "scale_factor": 0.5, "add_offset": 10.0, "_FillValue": -999}
    ds.temp.encoding = {"chunks": (2, 2)}
    return ds


def xarray_writes(path, zarr_format: int, ds: xr.Dataset | None = None, **kwargs) -> xr.Dataset:
    ds = make_dataset() if ds is None else ds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr-python's notes on v3 string dtypes and consolidation
        ds.to_zarr(path, mode="w", zarr_format=zarr_format, **kwargs)
    return ds


def xarray_reads(path, zarr_format: int) -> xr.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xr.open_zarr(path, consolidated=None if zarr_format == 2 else False, zarr_format=zarr_format).load()


class CountingDirectoryStore(DirectoryStore):
    def __init__(self, path) -> None:
        super().__init__(path)
        self.reads: list[str] = []

    def _get(self, key: str) -> bytes:
        self.reads.append(key)
        return super()._get(key)


# -- the entry point ---------------------------------------------------------------------------
def test_pyproject_declares_the_entry_point():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["xarray.backends"] == {
        "zarrlib": "zarrlib.integrations.xarray_backend:ZarrlibBackendEntrypoint"
    }


def test_installed_entry_point_names_the_engine():
    if not _entry_point_installed():
        pytest.skip("the installed zarrlib metadata predates the entry point: reinstall with pip install -e .")
    assert isinstance(xr.backends.list_engines()["zarrlib"], backend.ZarrlibBackendEntrypoint)


def test_guess_can_open():
    entry = backend.ZarrlibBackendEntrypoint()
    assert entry.guess_can_open("data.zarr/") and entry.guess_can_open(Path("a/b.zarr"))
    assert not entry.guess_can_open("data.nc")


# -- xarray writes, zarrlib reads --------------------------------------------------------------
@pytest.mark.parametrize("zarr_format", FORMATS)
def test_engine_reads_what_xarray_wrote(tmp_path, zarr_format):
    ds = xarray_writes(tmp_path / "ds.zarr", zarr_format)
    got = xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE)
    xr.testing.assert_identical(got, ds)
    xr.testing.assert_identical(got, xarray_reads(tmp_path / "ds.zarr", zarr_format))
    assert set(got.coords) == {"time", "x", "station"}
    assert got.time.dtype.kind == "M" and np.isnan(got.packed.values[0, 0])
    enc = got.packed.encoding
    assert (enc["dtype"], enc["scale_factor"], enc["_FillValue"]) == (np.dtype("i2"), 0.5, -999)
    assert got.temp.encoding["chunks"] == (2, 2)
    assert got.temp.encoding["preferred_chunks"] == {"time": 2, "x": 2}


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_attributes_and_fill_values_as_xarrays_own_store(tmp_path, zarr_format):
    """Undecoded, the variables carry the attributes xarray's ZarrStore gives them: in v2 the
    zarr fill_value as _FillValue; in v3 fill_value in the encoding and _FillValue decoded."""
    xarray_writes(tmp_path / "ds.zarr", zarr_format)
    ours = xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE, mask_and_scale=False, decode_times=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = xr.open_dataset(tmp_path / "ds.zarr", engine="zarr", mask_and_scale=False, decode_times=False)
    xr.testing.assert_identical(ours, theirs)
    for name in theirs.variables:
        assert ours[name].encoding.get("fill_value") == theirs[name].encoding.get("fill_value") or (
            np.isnan(ours[name].encoding["fill_value"]) and np.isnan(theirs[name].encoding["fill_value"])
        ), name
    assert ours.packed.attrs["_FillValue"] == -999
    assert np.isnan(ours.temp.attrs["_FillValue"])


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_engine_reads_lazily(tmp_path, zarr_format):
    xarray_writes(tmp_path / "ds.zarr", zarr_format, consolidated=False)
    store = CountingDirectoryStore(tmp_path / "ds.zarr")
    ds = xr.open_dataset(store, engine=ENGINE)

    def chunk_reads(name):
        return [
            k for k in store.reads if k.startswith(name + "/") and not k.endswith(("zarr.json", ".zarray", ".zattrs"))
        ]

    assert chunk_reads("temp") == []  # opening read metadata (and the index coordinates) only
    value = ds.temp[3, 1].values
    assert len(chunk_reads("temp")) == 1  # one 2x2 chunk of 9
    np.testing.assert_array_equal(value, make_dataset().temp.values[3, 1])


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_engine_indexing_basic_outer_vectorized(tmp_path, zarr_format):
    expected = xarray_writes(tmp_path / "ds.zarr", zarr_format)
    got = xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE)
    selections = [
        {"time": slice(1, 5), "x": 3},  # basic
        {"time": slice(None, None, 2), "x": slice(4, 0, -1)},  # basic, negative step
        {"time": [5, 0, 3], "x": [1, 1, 4]},  # outer
        {"time": xr.DataArray([0, 2, 5], dims="p"), "x": xr.DataArray([4, 0, 2], dims="p")},  # vectorized, points
        {"time": xr.DataArray([[0, 1], [5, 4]], dims=("a", "b"))},  # vectorized with a slice
        {"time": xr.DataArray([[0, 1], [5, 4]], dims=("a", "b")), "x": xr.DataArray([0, 3], dims="b")},
    ]
    for sel in selections:
        xr.testing.assert_identical(got.temp.isel(sel), expected.temp.isel(sel))
        xr.testing.assert_identical(got.packed.isel(sel), expected.packed.isel(sel))


def test_backend_array_indexers_route_to_zarrlib_selections(tmp_path):
    from xarray.core import indexing

    data = np.arange(30.0).reshape(5, 6)
    z = zarr.array(data, chunks=(2, 4))
    wrapped = backend.ZarrlibBackendArray(z)
    np.testing.assert_array_equal(wrapped[indexing.BasicIndexer((slice(1, 4), 2))], data[1:4, 2])
    outer = indexing.OuterIndexer((np.array([4, 0]), np.array([5, 1, 2])))
    np.testing.assert_array_equal(wrapped[outer], data[np.ix_([4, 0], [5, 1, 2])])
    points = indexing.VectorizedIndexer((np.array([[0, 4]]), np.array([[5, 1]])))
    np.testing.assert_array_equal(wrapped[points], data[[[0, 4]], [[5, 1]]])
    # xarray's vectorized semantics: the indexed (broadcast) axes first, then the sliced ones
    mixed = indexing.VectorizedIndexer((slice(1, 3), np.array([5, 0, 5])))
    np.testing.assert_array_equal(wrapped[mixed], data[1:3, [5, 0, 5]].T)


def test_engine_opens_with_dask_chunks(tmp_path):
    pytest.importorskip("dask")
    expected = xarray_writes(tmp_path / "ds.zarr", 2)
    got = xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE, chunks={})
    assert got.temp.chunks == ((2, 2, 2), (2, 2, 1))
    xr.testing.assert_identical(got.compute(), expected)


def test_consolidated_metadata_is_used_when_present(tmp_path):
    xarray_writes(tmp_path / "ds.zarr", 2)  # xarray consolidates by default
    assert (tmp_path / "ds.zarr" / ".zmetadata").exists()
    store = CountingDirectoryStore(tmp_path / "ds.zarr")
    xr.open_dataset(store, engine=ENGINE)
    metadata_reads = [k for k in store.reads if k.rsplit("/", 1)[-1] in (".zarray", ".zattrs", ".zgroup")]
    assert metadata_reads == [] and ".zmetadata" in store.reads

    store = CountingDirectoryStore(tmp_path / "ds.zarr")
    xr.open_dataset(store, engine=ENGINE, consolidated=False)
    assert ".zmetadata" not in store.reads and "temp/.zarray" in store.reads


def test_consolidated_true_requires_consolidated_metadata(tmp_path):
    xarray_writes(tmp_path / "ds.zarr", 2, consolidated=False)
    with pytest.raises(zarr.PathNotFoundError, match=r"no consolidated metadata \('.zmetadata'\)"):
        xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE, consolidated=True)
    xr.testing.assert_identical(xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE), make_dataset())


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_engine_opens_a_group(tmp_path, zarr_format):
    ds = xarray_writes(tmp_path / "ds.zarr", zarr_format, group="sub/inner")
    xr.testing.assert_identical(xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE, group="sub/inner"), ds)


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_open_datatree(tmp_path, zarr_format):
    tree = xr.DataTree.from_dict(
        {
            "/": make_dataset(),
            "/child": xr.Dataset({"b": ("y", [1.0, np.nan, 3.0])}, attrs={"level": 1}),
            "/child/leaf": xr.Dataset({"c": ("z", np.arange(4, dtype="u1"))}),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree.to_zarr(tmp_path / "tree.zarr", mode="w", zarr_format=zarr_format)
    got = xr.open_datatree(tmp_path / "tree.zarr", engine=ENGINE)
    xr.testing.assert_identical(got, tree)
    assert list(got.children) == ["child"] and list(got["child"].children) == ["leaf"]


def test_missing_dimension_names_are_reported(tmp_path):
    g = zarr.open_group(tmp_path / "plain.zarr", mode="w")
    g.zeros("a", shape=(3,), chunks=(3,))
    with pytest.raises(zarr.MetadataError, match=r"array '/a' has no '_ARRAY_DIMENSIONS' attribute"):
        xr.open_dataset(tmp_path / "plain.zarr", engine=ENGINE)
    g3 = zarr.open_group(tmp_path / "plain3.zarr", mode="w", zarr_format=3)
    g3.zeros("a", shape=(3,), chunks=(3,))
    with pytest.raises(zarr.MetadataError, match="has no dimension_names"):
        xr.open_dataset(tmp_path / "plain3.zarr", engine=ENGINE)


# -- zarrlib writes, xarray reads --------------------------------------------------------------
@pytest.mark.parametrize("zarr_format", FORMATS)
def test_xarray_reads_what_to_zarrlib_wrote(tmp_path, zarr_format):
    ds = make_dataset()
    backend.to_zarrlib(ds, tmp_path / "ds.zarr", zarr_format=zarr_format)
    back = xarray_reads(tmp_path / "ds.zarr", zarr_format)
    xr.testing.assert_identical(back, ds)
    assert back.packed.encoding["dtype"] == np.dtype("i2") and back.packed.encoding["scale_factor"] == 0.5
    assert back.temp.encoding["chunks"] == (2, 2)
    xr.testing.assert_identical(xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE), ds)


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_to_zarrlib_metadata_matches_xarrays(tmp_path, zarr_format):
    """Every metadata document equals the one xarray writes, except the default codecs."""
    ds = make_dataset()
    backend.to_zarrlib(ds, tmp_path / "ours.zarr", zarr_format=zarr_format, consolidated=False)
    xarray_writes(tmp_path / "theirs.zarr", zarr_format, ds=ds, consolidated=False)
    names = {".zarray", ".zattrs", ".zgroup", "zarr.json"}
    theirs = {
        os.path.relpath(os.path.join(d, f), tmp_path / "theirs.zarr")
        for d, _, files in os.walk(tmp_path / "theirs.zarr")
        for f in files
        if f in names
    }
    assert theirs
    for rel in sorted(theirs):
        a = json.loads((tmp_path / "theirs.zarr" / rel).read_text())
        b = json.loads((tmp_path / "ours.zarr" / rel).read_text())
        for doc in (a, b):
            doc.pop("compressor", None), doc.pop("codecs", None)
        assert b == a, rel


def test_to_zarrlib_encodings(tmp_path):
    ds = make_dataset()
    backend.to_zarrlib(
        ds,
        tmp_path / "v2.zarr",
        encoding={
            "count": {"dtype": "i4", "compressor": zarr.Zlib(level=3), "chunks": (2,)},
            "temp": {"chunks": (3, 5)},
        },
    )
    g = zarr.open_group(tmp_path / "v2.zarr", mode="r")
    assert (g["count"].dtype, g["count"].compressor, g["count"].chunks) == (np.dtype("i4"), zarr.Zlib(level=3), (2,))
    assert g["temp"].chunks == (3, 5) and g["packed"].dtype == np.dtype("i2")
    assert g["packed"].fill_value == -999 and g["packed"].attrs["scale_factor"] == 0.5
    xr.testing.assert_identical(xarray_reads(tmp_path / "v2.zarr", 2), ds)

    backend.to_zarrlib(ds, tmp_path / "v3.zarr", zarr_format=3, encoding={"temp": {"chunks": (1, 5), "shards": (3, 5)}})
    temp = zarr.open_group(tmp_path / "v3.zarr", mode="r")["temp"]
    assert (temp.chunks, temp.shards, temp.dimension_names) == ((1, 5), (3, 5), ("time", "x"))
    xr.testing.assert_identical(xarray_reads(tmp_path / "v3.zarr", 3), ds)


@pytest.mark.filterwarnings("ignore:variable name has data in the form of a dask array with dtype=object")
@pytest.mark.parametrize("zarr_format", FORMATS)
def test_to_zarrlib_writes_dask_variables_chunk_by_chunk(tmp_path, zarr_format):
    pytest.importorskip("dask")
    ds = make_dataset()
    ds.temp.encoding = {}
    chunked = ds.chunk({"time": 3, "x": 2})
    backend.to_zarrlib(chunked, tmp_path / "ds.zarr", zarr_format=zarr_format)
    assert zarr.open_group(tmp_path / "ds.zarr", mode="r")["temp"].chunks == (3, 2)
    xr.testing.assert_identical(xarray_reads(tmp_path / "ds.zarr", zarr_format), ds)
    with pytest.raises(zarr.ChunkAlignmentError):
        backend.to_zarrlib(ds.chunk({"time": (3, 2, 1), "x": 5}), tmp_path / "bad.zarr", zarr_format=zarr_format)


def test_to_zarrlib_modes_and_bad_encodings(tmp_path):
    ds = make_dataset()
    backend.to_zarrlib(ds, tmp_path / "ds.zarr")
    with pytest.raises(zarr.ContainsGroupError):
        backend.to_zarrlib(ds, tmp_path / "ds.zarr")  # mode "w-" by default
    backend.to_zarrlib(ds.drop_vars("count"), tmp_path / "ds.zarr", mode="w")
    assert "count" not in zarr.open_group(tmp_path / "ds.zarr", mode="r")
    with pytest.raises(ValueError, match="mode must be 'w' or 'w-', got 'a'"):
        backend.to_zarrlib(ds, tmp_path / "ds.zarr", mode="a")
    with pytest.raises(ValueError, match=r"variable 'temp': unexpected encoding keys for zarrlib \['colour'\]"):
        backend.to_zarrlib(ds, tmp_path / "e.zarr", encoding={"temp": {"colour": "red"}})
    with pytest.raises(ValueError, match=r"\['fill_value'\] \(in Zarr v2 the fill value is _FillValue\)"):
        backend.to_zarrlib(ds, tmp_path / "e2.zarr", encoding={"temp": {"fill_value": 1.0}})
    with pytest.raises(ValueError, match=r"not in the dataset: \['nope'\]"):
        backend.to_zarrlib(ds, tmp_path / "f.zarr", encoding={"nope": {}})
    with pytest.raises(ValueError, match="zarr_format must be 2 or 3"):
        backend.to_zarrlib(ds, tmp_path / "g.zarr", zarr_format=4)


def test_to_zarrlib_into_a_group_then_datatree(tmp_path):
    root = make_dataset()
    backend.to_zarrlib(root, tmp_path / "t.zarr", zarr_format=3)
    child = xr.Dataset({"b": ("y", [1.0, 2.0])})
    backend.to_zarrlib(child, tmp_path / "t.zarr", mode="w", group="child", zarr_format=3)
    tree = xr.open_datatree(tmp_path / "t.zarr", engine=ENGINE)
    xr.testing.assert_identical(tree["child"].to_dataset(inherit=False), child)
    xr.testing.assert_identical(tree.to_dataset(), root)


@pytest.mark.parametrize("zarr_format", FORMATS)
def test_rewriting_what_xarray_opened_keeps_its_codecs(tmp_path, zarr_format):
    """The encoding xarray's zarr engine reads (zarr-python codec objects in v3, numcodecs in
    v2) carries over: from a dataset xarray opened, to_zarrlib writes the metadata xarray's
    to_zarr writes from it, codecs included."""
    ds = make_dataset()
    ds.temp.encoding["compressors"] = (
        (zarr.Zlib(level=4),) if zarr_format == 2 else ({"name": "gzip", "configuration": {"level": 4}},)
    )
    xarray_writes(tmp_path / "theirs.zarr", zarr_format, ds=ds, consolidated=False)
    opened = xarray_reads(tmp_path / "theirs.zarr", zarr_format)
    backend.to_zarrlib(opened, tmp_path / "ours.zarr", zarr_format=zarr_format, consolidated=False)
    xarray_writes(tmp_path / "rewritten.zarr", zarr_format, ds=opened, consolidated=False)
    for name in ("temp", "packed", "station", "name", "time", "scalar"):
        doc = ".zarray" if zarr_format == 2 else "zarr.json"
        # xarray re-writes v2 vlen strings it read (as StringDType) with dtype '<U5' and a
        # vlen-utf8 filter, which zarr-python cannot read back: zarrlib keeps the first '|O'
        reference = "theirs.zarr" if (name, zarr_format) == ("name", 2) else "rewritten.zarr"
        theirs = json.loads((tmp_path / reference / name / doc).read_text())
        ours = json.loads((tmp_path / "ours.zarr" / name / doc).read_text())
        assert ours == theirs, name
    xr.testing.assert_identical(xarray_reads(tmp_path / "ours.zarr", zarr_format), ds)


# -- Zarr v3 consolidated metadata -------------------------------------------------------------
def test_xarray_opens_the_v3_store_to_zarrlib_consolidated(tmp_path):
    ds = make_dataset()
    backend.to_zarrlib(ds, tmp_path / "ds.zarr", zarr_format=3)  # consolidated=None consolidates
    root = json.loads((tmp_path / "ds.zarr" / "zarr.json").read_text())
    assert set(root["consolidated_metadata"]["metadata"]) == set(ds.variables)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zarr-python's v3 string dtype note
        warnings.simplefilter("error", RuntimeWarning)  # xarray's "no consolidated metadata" fallback
        got = xr.open_zarr(tmp_path / "ds.zarr").load()  # consolidated by default
    xr.testing.assert_identical(got, ds)

    backend.to_zarrlib(ds, tmp_path / "plain.zarr", zarr_format=3, consolidated=False)
    assert "consolidated_metadata" not in json.loads((tmp_path / "plain.zarr" / "zarr.json").read_text())


def test_engine_reads_xarrays_consolidated_v3_store_from_the_root_zarr_json(tmp_path):
    ds = xarray_writes(tmp_path / "ds.zarr", 3, consolidated=True)
    store = CountingDirectoryStore(tmp_path / "ds.zarr")
    got = xr.open_dataset(store, engine=ENGINE)
    metadata_reads = [k for k in store.reads if k.rsplit("/", 1)[-1] == "zarr.json"]
    assert metadata_reads == ["zarr.json"]  # the root's, with every variable's metadata in it
    xr.testing.assert_identical(got, ds)

    store = CountingDirectoryStore(tmp_path / "ds.zarr")
    xr.open_dataset(store, engine=ENGINE, consolidated=False)
    assert "temp/zarr.json" in store.reads  # the live metadata of each node


def test_engine_reads_a_group_of_a_consolidated_v3_store_from_the_root_snapshot(tmp_path):
    ds = xarray_writes(tmp_path / "ds.zarr", 3, consolidated=True, group="sub")
    store = CountingDirectoryStore(tmp_path / "ds.zarr")
    xr.testing.assert_identical(xr.open_dataset(store, engine=ENGINE, group="sub"), ds)
    assert [k for k in store.reads if k.endswith("zarr.json")] == ["zarr.json"]


def test_consolidated_true_on_a_v3_store_without_a_snapshot(tmp_path):
    xarray_writes(tmp_path / "ds.zarr", 3, consolidated=False)
    with pytest.raises(
        zarr.PathNotFoundError, match=r"no consolidated metadata \('consolidated_metadata' in 'zarr.json'\)"
    ):
        xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE, consolidated=True)
    xr.testing.assert_identical(xr.open_dataset(tmp_path / "ds.zarr", engine=ENGINE), make_dataset())


# -- URLs with storage_options (S3 on the moto server of tests/s3_fixtures.py) ---------------
@pytest.mark.parametrize("zarr_format", FORMATS)
def test_round_trip_through_s3_urls(s3, zarr_format):
    ds = make_dataset()
    url = s3.url(f"ds-v{zarr_format}.zarr")
    backend.to_zarrlib(ds, url, zarr_format=zarr_format, storage_options=s3.storage_options)
    metadata = "zarr.json" if zarr_format == 3 else ".zmetadata"
    assert s3.filesystem().exists(f"{s3.bucket}/ds-v{zarr_format}.zarr/{metadata}")
    got = xr.open_dataset(url, engine=ENGINE, storage_options=s3.storage_options)
    xr.testing.assert_identical(got, ds)
