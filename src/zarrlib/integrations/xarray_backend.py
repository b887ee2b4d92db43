"""xarray on zarrlib (the ``xarray`` extra): ``xr.open_dataset(path, engine="zarrlib")``,
``xr.open_datatree(path, engine="zarrlib")`` and ``to_zarrlib(ds, path)``.

The layout is xarray's Zarr encoding (what ``Dataset.to_zarr`` writes): each variable is
an array of the group, its dimension names in the ``_ARRAY_DIMENSIONS`` attribute (v2) or
in ``dimension_names`` (v3). CF conventions (scale_factor, _FillValue, time units, the
``coordinates`` attribute) are xarray's business: this module hands xarray the stored
attributes and fill values exactly as xarray's own ``ZarrStore`` does, and uses xarray's
encoders when writing, so either library reads what the other wrote.

Fill values, as in xarray: in v2 the array's ``fill_value`` *is* ``_FillValue`` (masked on
decoding); in v3 it stays in ``encoding["fill_value"]`` and only an explicit ``_FillValue``
attribute (floats stored base64-encoded) masks.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import xarray as xr
from xarray.backends import BackendArray, BackendEntrypoint
from xarray.backends.common import AbstractDataStore
from xarray.backends.store import StoreBackendEntrypoint
from xarray.backends.zarr import FillValueCoder, encode_zarr_attr_value, encode_zarr_variable
from xarray.coding.strings import create_vlen_dtype
from xarray.core import indexing
from xarray.core.utils import FrozenDict

from ..convenience import consolidate_metadata, open_consolidated
from ..core import Array
from ..errors import MetadataError, PathNotFoundError
from ..hierarchy import Group, consolidated_view, open_group
from ..metadata.v2 import CONSOLIDATED_KEY
from ..metadata.v3 import ZARR_JSON
from ..storage import StoreLike, normalize_store

#: The attribute holding a v2 array's dimension names (xarray's convention).
DIMENSION_KEY = "_ARRAY_DIMENSIONS"

#: Encoding keys ``to_zarrlib`` turns into creation arguments (CF keys are consumed earlier).
ZARR_ENCODINGS = frozenset({"chunks", "shards", "compressor", "compressors", "filters", "write_empty_chunks"})
#: Encoding keys xarray sets on read that say nothing about how to write.
_SAFE_TO_DROP = frozenset({"source", "original_shape", "preferred_chunks", "fill_value", "serializer", "codecs"})


# -- reading -----------------------------------------------------------------------------------
class ZarrlibBackendArray(BackendArray):
    """A zarrlib Array as xarray's lazily indexed backend array: basic selections go to
    ``Array.__getitem__``, outer ones to ``oindex``, vectorized ones to ``vindex``."""

    __slots__ = ("_array", "dtype", "shape")

    def __init__(self, array: Array) -> None:
        self._array = array
        self.shape = array.shape
        self.dtype = _xarray_dtype(array)

    def get_array(self) -> Array:
        return self._array

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        support = indexing.IndexingSupport.VECTORIZED
        if isinstance(key, indexing.VectorizedIndexer):
            if all(isinstance(k, np.ndarray) for k in key.tuple):
                method = self._array.vindex.__getitem__
            else:  # slices among the arrays: read the outer box, finish in NumPy
                support, method = indexing.IndexingSupport.OUTER, self._array.oindex.__getitem__
        elif isinstance(key, indexing.OuterIndexer):
            method = self._array.oindex.__getitem__
        else:
            method = self._array.__getitem__
        return indexing.explicit_indexing_adapter(key, self.shape, support, method)


class ZarrlibDataStore(AbstractDataStore):
    """One zarrlib group as an xarray data store: its arrays are the variables."""

    def __init__(
        self, group: Group, *, use_zarr_fill_value_as_mask: bool | None = None, close_store: bool = False
    ) -> None:
        self.group = group
        self._close_store = close_store
        if use_zarr_fill_value_as_mask is None:  # xarray's defaults
            use_zarr_fill_value_as_mask = group.zarr_format == 2
        self.use_zarr_fill_value_as_mask = use_zarr_fill_value_as_mask

    @classmethod
    def open(
        cls,
        store: StoreLike,
        *,
        group: str | None = None,
        consolidated: bool | None = None,
        use_zarr_fill_value_as_mask: bool | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> ZarrlibDataStore:
        """Open the group at ``group`` of ``store`` (a path, URL or Store) read-only, through
        consolidated metadata when there is some (``consolidated=None``), must be (True) or
        must not be (False)."""
        root = _open_root(store, group, consolidated, storage_options)
        opened_here = isinstance(store, str | os.PathLike)
        return cls(root, use_zarr_fill_value_as_mask=use_zarr_fill_value_as_mask, close_store=opened_here)

    def open_store_variable(self, name: str, array: Array) -> xr.Variable:
        dims, attrs = _dims_and_attrs(array)
        wrapper = ZarrlibBackendArray(array)
        encoding: dict[str, Any] = {
            "chunks": array.chunks,
            "preferred_chunks": dict(zip(dims, array.shards or array.chunks, strict=True)),
        }
        if array.zarr_format == 2:
            encoding["compressor"] = array.compressor
            encoding["filters"] = array.filters
        elif array.shards is not None:
            encoding["shards"] = array.shards
        if self.use_zarr_fill_value_as_mask:
            if array.fill_value is not None:
                attrs["_FillValue"] = array.fill_value
        else:
            if array.zarr_format == 3:
                encoding["fill_value"] = array.fill_value
            if "_FillValue" in attrs:
                attrs["_FillValue"] = FillValueCoder.decode(attrs["_FillValue"], array.dtype)
        return xr.Variable(dims, indexing.LazilyIndexedArray(wrapper), attrs, encoding)

    def get_variables(self) -> Mapping[Hashable, xr.Variable]:
        return FrozenDict((name, self.open_store_variable(name, a)) for name, a in self.group.arrays())

    def get_attrs(self) -> dict[str, Any]:
        return {k: v for k, v in self.group.attrs.asdict().items() if not k.lower().startswith("_nc")}

    def get_dimensions(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for name, array in self.group.arrays():
            dims, _ = _dims_and_attrs(array)
            for dim, size in zip(dims, array.shape, strict=True):
                if sizes.setdefault(dim, size) != size:
                    raise ValueError(f"array {name!r}: dimension {dim!r} has length {size}, elsewhere {sizes[dim]}")
        return sizes

    def close(self) -> None:
        """Close the store if this data store opened it from a path (a Store passed in stays open)."""
        close = getattr(self.group.store, "close", None)
        if self._close_store and close is not None:
            close()


class ZarrlibBackendEntrypoint(BackendEntrypoint):
    """``xr.open_dataset(path, engine="zarrlib")``: Zarr v2 and v3 stores read with zarrlib.

    Examples
    --------
    >>> import xarray as xr
    >>> xr.Dataset({"t": ("x", [1.5, 2.5])}).to_zarr("ds.zarr", zarr_format=2)  # doctest: +SKIP
    >>> xr.open_dataset("ds.zarr", engine="zarrlib").t.values  # doctest: +SKIP
    array([1.5, 2.5])
    """

    description = "Open Zarr v2 and v3 stores with zarrlib"
    url = "https://zarr.dev"
    open_dataset_parameters = (
        "filename_or_obj", "mask_and_scale", "decode_times", "concat_characters", "decode_coords",
        "drop_variables", "use_cftime", "decode_timedelta", "group", "consolidated", "use_zarr_fill_value_as_mask",
        "storage_options",
    )  # fmt: skip
    supports_groups = True

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        if isinstance(filename_or_obj, str | os.PathLike):
            return os.path.splitext(str(filename_or_obj).rstrip("/"))[1] == ".zarr"
        return isinstance(filename_or_obj, Group)

    def open_dataset(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        mask_and_scale: bool = True,
        decode_times: bool = True,
        concat_characters: bool = True,
        decode_coords: bool = True,
        drop_variables: str | Iterable[str] | None = None,
        use_cftime: bool | None = None,
        decode_timedelta: bool | None = None,
        group: str | None = None,
        consolidated: bool | None = None,
        use_zarr_fill_value_as_mask: bool | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> xr.Dataset:
        store = ZarrlibDataStore.open(
            filename_or_obj, group=group, consolidated=consolidated,
            use_zarr_fill_value_as_mask=use_zarr_fill_value_as_mask, storage_options=storage_options,
        )  # fmt: skip
        return _decode(store, mask_and_scale, decode_times, concat_characters, decode_coords, drop_variables,
                       use_cftime, decode_timedelta)  # fmt: skip

    def open_groups_as_dict(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        group: str | None = None,
        consolidated: bool | None = None,
        storage_options: dict[str, Any] | None = None,
        **decode: Any,
    ) -> dict[str, xr.Dataset]:
        root = _open_root(filename_or_obj, group, consolidated, storage_options)
        out = {}
        for path, g in [("/", root), *_walk_groups(root, "")]:
            out[path] = _decode(ZarrlibDataStore(g), **decode)
        return out

    def open_datatree(  # type: ignore[override]
        self,
        filename_or_obj: Any,
        *,
        group: str | None = None,
        consolidated: bool | None = None,
        storage_options: dict[str, Any] | None = None,
        **decode: Any,
    ) -> xr.DataTree:
        groups = self.open_groups_as_dict(
            filename_or_obj, group=group, consolidated=consolidated, storage_options=storage_options, **decode
        )
        return xr.DataTree.from_dict(groups)


def _decode(
    store: ZarrlibDataStore,
    mask_and_scale: bool = True,
    decode_times: bool = True,
    concat_characters: bool = True,
    decode_coords: bool = True,
    drop_variables: str | Iterable[str] | None = None,
    use_cftime: bool | None = None,
    decode_timedelta: bool | None = None,
) -> xr.Dataset:
    return StoreBackendEntrypoint().open_dataset(
        store, mask_and_scale=mask_and_scale, decode_times=decode_times, concat_characters=concat_characters,
        decode_coords=decode_coords, drop_variables=drop_variables, use_cftime=use_cftime,
        decode_timedelta=decode_timedelta,
    )  # fmt: skip


def _open_root(
    store: Any, group: str | None, consolidated: bool | None, storage_options: dict[str, Any] | None = None
) -> Group:
    """The group at ``group``, opened as xarray's zarr engine does: from the consolidated
    metadata of the store's root (v3: the ``consolidated_metadata`` of the root ``zarr.json``,
    one read; v2: ``.zmetadata``) when there is some, as xarray writes it."""
    if isinstance(store, Group):
        return store if not group else store[group]
    store_obj = normalize_store(store, mode="r", storage_options=storage_options)
    path = (group or "").strip("/")
    if consolidated is not False:
        view = consolidated_view(store_obj, "")  # a v3 root with a snapshot: metadata from it
        if view is not None:
            root = open_group(view, mode="r", chunk_store=store_obj, use_consolidated=False)
            return root if not path else root[path]
        if CONSOLIDATED_KEY in store_obj:
            found = open_consolidated(store_obj, mode="r")
            if not isinstance(found, Group):
                raise MetadataError(
                    f"{store_obj.display_name}: the consolidated hierarchy's root is an array, not a group"
                )
            return found if not path else found[path]
    if consolidated:
        where = f"'consolidated_metadata' in {ZARR_JSON!r}" if ZARR_JSON in store_obj else repr(CONSOLIDATED_KEY)
        raise PathNotFoundError(
            f"no consolidated metadata ({where}) in {store_obj.display_name}; pass consolidated=None to read without it"
        )
    return open_group(store_obj, mode="r", path=group, use_consolidated=False if consolidated is False else None)


def _walk_groups(g: Group, prefix: str) -> Iterable[tuple[str, Group]]:
    for name, child in g.groups():
        path = f"{prefix}/{name}"
        yield path, child
        yield from _walk_groups(child, path)


def _dims_and_attrs(array: Array) -> tuple[tuple[str, ...], dict[str, Any]]:
    attrs = dict(array.attrs)
    if array.zarr_format == 3:
        dims = array.dimension_names or ()  # a 0-d array may have none
        if len(dims) != array.ndim or any(d is None for d in dims):
            raise MetadataError(f"array {array.name!r} has no dimension_names, which xarray needs for its dimensions")
        return tuple(dims), attrs
    try:
        dims = attrs.pop(DIMENSION_KEY)
    except KeyError:
        raise MetadataError(
            f"array {array.name!r} has no {DIMENSION_KEY!r} attribute, which xarray needs for its dimensions"
        ) from None
    if not isinstance(dims, list) or len(dims) != array.ndim or not all(isinstance(d, str) for d in dims):
        raise MetadataError(
            f"array {array.name!r}: {DIMENSION_KEY} must list {array.ndim} dimension names, got {dims!r}"
        )
    return tuple(dims), {k: v for k, v in attrs.items() if not k.lower().startswith("_nc")}


def _xarray_dtype(array: Array) -> np.dtype:
    """The array's dtype, with variable-length strings marked as xarray marks them."""
    if array.dtype != object:
        return array.dtype
    meta = array.metadata
    ids = (
        [c["name"] for c in meta.codecs]
        if array.zarr_format == 3
        else [f.get("id") for f in getattr(meta, "filters", None) or ()]
    )
    if "vlen-utf8" in ids or getattr(meta, "data_type", None) == "string":
        return create_vlen_dtype(str)
    if "vlen-bytes" in ids or getattr(meta, "data_type", None) == "bytes":
        return create_vlen_dtype(bytes)
    return array.dtype


# -- writing -----------------------------------------------------------------------------------
def to_zarrlib(
    ds: xr.Dataset,
    store: StoreLike,
    *,
    mode: str = "w-",
    zarr_format: int = 2,
    group: str | None = None,
    encoding: Mapping[Hashable, Mapping[str, Any]] | None = None,
    consolidated: bool | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Group:
    """Write ``ds`` in xarray's Zarr layout with zarrlib; ``xr.open_zarr`` reads it back.

    Variables are CF-encoded by xarray (``_FillValue``, ``scale_factor``/``add_offset``,
    ``dtype``, time ``units``/``calendar``) from their ``.encoding`` or from ``encoding``.
    Dask-backed variables are written one task per dask chunk (``zarrlib.write_dask``).

    Parameters
    ----------
    ds
        The Dataset to write.
    store
        A path (directory store), a URL (``"s3://bucket/ds.zarr"``, an FSStore opened with
        ``storage_options``) or a Store.
    mode
        ``"w-"`` to fail if something is there, ``"w"`` to replace it.
    zarr_format
        2 or 3.
    group
        The group to write into (created), default the root.
    encoding
        Per-variable encodings, as ``Dataset.to_zarr``: CF keys (``dtype``, ``_FillValue``,
        ``scale_factor``, ``add_offset``, ``units``, ``calendar``) and zarrlib creation keys
        (``chunks``, ``shards``, ``compressor``, ``compressors``, ``filters``,
        ``write_empty_chunks``); anything else is an error.
    consolidated
        Write consolidated metadata of the whole store, as ``Dataset.to_zarr`` does (v2:
        ``.zmetadata``; v3: ``consolidated_metadata`` in the root ``zarr.json``): None and
        True do, False does not.
    storage_options
        fsspec options for a ``store`` given as a URL (s3fs: ``key``, ``secret``,
        ``client_kwargs={"endpoint_url": ...}``, ...).

    Returns
    -------
    Group
        The written group.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from zarrlib.integrations.xarray_backend import to_zarrlib
    >>> ds = xr.Dataset({"t": ("x", np.array([1.5, np.nan]))}, coords={"x": [10, 20]})
    >>> g = to_zarrlib(ds, "written.zarr", mode="w")
    >>> sorted(g.array_keys())
    ['t', 'x']
    >>> xr.open_dataset("written.zarr", engine="zarrlib").t.values  # doctest: +SKIP
    array([1.5, nan])
    """
    from xarray import conventions

    if mode not in ("w", "w-"):
        raise ValueError(f"to_zarrlib writes a new dataset: mode must be 'w' or 'w-', got {mode!r}")
    if zarr_format not in (2, 3):
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    encoding = dict(encoding or {})
    unknown = [k for k in encoding if k not in ds.variables]
    if unknown:
        raise ValueError(f"encoding names variables not in the dataset: {unknown!r}")
    store_obj = normalize_store(store, mode=mode, storage_options=storage_options)
    root = open_group(store_obj, mode=mode, path=group, zarr_format=zarr_format)

    variables, attrs = conventions.encode_dataset_coordinates(ds)
    for name, enc in encoding.items():
        variables[name].encoding = dict(enc)
    root.attrs.update({str(k): encode_zarr_attr_value(v) for k, v in attrs.items()})
    for name, var in variables.items():
        _write_variable(root, str(name), var, zarr_format, strict=name in encoding)

    if consolidated is not False:
        # the store's root, as xarray does (a group's own snapshot would go stale beside it)
        consolidate_metadata(store_obj)
    return root


def _write_variable(root: Group, name: str, var: xr.Variable, zarr_format: int, *, strict: bool) -> None:
    from .dask import write_dask

    if var.dtype.kind == "T":  # NumPy StringDType (xarray's zarr engine reads strings so): vlen strings
        var = var.copy(deep=False, data=np.asarray(var.values, dtype=object))
        if getattr(var.encoding.get("dtype"), "kind", None) == "T":
            var.encoding = {k: v for k, v in var.encoding.items() if k != "dtype"}
    var = encode_zarr_variable(var, name=name)
    dask_chunks = var.chunks  # None also when encoding loaded the data (object dtypes)
    enc = dict(var.encoding)
    attrs = {k: encode_zarr_attr_value(v) for k, v in var.attrs.items()}
    if strict:
        bad = sorted(set(enc) - ZARR_ENCODINGS - ({"fill_value"} if zarr_format == 3 else set()))
        if bad:
            hint = " (in Zarr v2 the fill value is _FillValue)" if "fill_value" in bad else ""
            raise ValueError(f"variable {name!r}: unexpected encoding keys for zarrlib {bad!r}{hint}")
    for key in _SAFE_TO_DROP:
        if key != "fill_value" or zarr_format == 2:
            enc.pop(key, None)

    # fill values exactly as xarray's ZarrStore.set_variables
    if zarr_format == 2:
        fill_value = attrs.pop("_FillValue", None)
    else:
        fill_value = enc.pop("fill_value", None)
        if fill_value is None and var.dtype.kind == "f":
            fill_value = np.nan
        if "_FillValue" in attrs:
            attrs.pop("_FillValue")
            if var.attrs["_FillValue"] is not None:
                attrs["_FillValue"] = FillValueCoder.encode(var.attrs["_FillValue"], var.dtype)

    kwargs: dict[str, Any] = {"fill_value": fill_value, "zarr_format": zarr_format}
    chunks = enc.get("chunks")
    if chunks is None and dask_chunks is not None:
        chunks = tuple(c[0] if c else 1 for c in dask_chunks)
    kwargs["chunks"] = True if chunks is None else chunks
    if "write_empty_chunks" in enc:
        kwargs["write_empty_chunks"] = enc["write_empty_chunks"]
    kwargs.update(_codec_kwargs(enc, zarr_format))
    if zarr_format == 3:
        kwargs["dimension_names"] = var.dims or None  # none for 0-d, as zarr-python writes
        if enc.get("shards") is not None:
            kwargs["shards"] = enc["shards"]
        kwargs["attributes"] = attrs
    else:
        attrs[DIMENSION_KEY] = list(var.dims)

    dtype = str if var.dtype == object and _holds_strings(var) else var.dtype
    array = root.create(name, shape=var.shape, dtype=dtype, **kwargs)
    if zarr_format == 2:
        array.attrs.update(attrs)
    if dask_chunks is not None:
        write_dask(var.data, array)
    elif var.ndim:
        array[...] = np.asarray(var.values)
    else:
        array[()] = var.values


def _codec_kwargs(enc: Mapping[str, Any], zarr_format: int) -> dict[str, Any]:
    """Codec creation arguments from an encoding: zarrlib's own keys, or what xarray's zarr
    engine puts there on read (``compressors``/``filters`` tuples of numcodecs codecs in v2,
    of zarr-python codecs in v3, whose ``to_dict()`` is their v3 JSON)."""
    out: dict[str, Any] = {}
    compressors = enc.get("compressors")
    if "compressor" in enc:
        compressors = () if enc["compressor"] is None else (enc["compressor"],)
    # the object codec (vlen-utf8, ...) follows from the dtype; zarrlib adds it itself
    filters = [f for f in enc.get("filters") or () if _codec_name(f) not in _OBJECT_CODECS]
    if zarr_format == 2:
        if compressors is not None:
            if len(compressors) > 1:
                raise ValueError(f"Zarr v2 takes one compressor, got {len(compressors)}: {compressors!r}")
            out["compressor"] = compressors[0] if compressors else None
        if filters:
            out["filters"] = list(filters)
        return out
    if compressors is not None:
        out["compressors"] = [_v3_codec(c) for c in compressors]
    if filters:
        out["filters"] = [_v3_codec(c) for c in filters]
    return out


_OBJECT_CODECS = frozenset({"vlen-utf8", "vlen-bytes", "vlen-array"})


def _codec_name(codec: Any) -> str | None:
    if hasattr(codec, "codec_id"):
        return codec.codec_id
    if isinstance(codec, dict):
        return codec.get("id", codec.get("name"))
    to_dict = getattr(codec, "to_dict", None)
    return to_dict().get("name") if to_dict is not None else None


def _v3_codec(codec: Any) -> Any:
    """A codec zarrlib's v3 chain takes: numcodecs codecs and JSON as they are, zarr-python's
    codec objects as their JSON."""
    if hasattr(codec, "get_config") or isinstance(codec, dict | str):
        return codec
    to_dict = getattr(codec, "to_dict", None)
    return to_dict() if to_dict is not None else codec


def _holds_strings(var: xr.Variable) -> bool:
    return bool(var.size) and isinstance(np.asarray(var.values).flat[0], str)


__all__ = ["ZarrlibBackendArray", "ZarrlibBackendEntrypoint", "ZarrlibDataStore", "to_zarrlib"]
