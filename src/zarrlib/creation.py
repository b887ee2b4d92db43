"""Creating and opening arrays: ``create``, ``zeros``, ``ones``, ``empty``, ``full``, ``array``,
``open_array`` and the ``*_like`` variants."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import storage
from .codecs.registry import UNSAFE_CODEC_IDS, pickle_opt_in
from .core import Array, _is_lazy_array
from .errors import ArrayNotFoundError, ContainsArrayError, ContainsGroupError, ReadOnlyError
from .metadata.dtypes import normalize_dtype
from .metadata.fill_value import normalize_fill_value
from .metadata.v2 import ArrayMetadataV2
from .nodes import (
    check_vacant,
    clear_node,
    contains_array,
    contains_group,
    ensure_parent_groups,
    explain_missing,
    join_path,
)
from .storage import Store, StoreLike, normalize_prefix, normalize_store

# Chunk-size targets of the guessing heuristic (bytes).
CHUNK_BASE = 64 * 1024
CHUNK_MIN = 128 * 1024
CHUNK_MAX = 64 * 1024 * 1024


def guess_chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Guess a chunk shape that compresses and reads well (h5py's heuristic).

    The target chunk size grows with the data size (64 KiB times 2**log10(MiB of data),
    clamped to 128 KiB .. 64 MiB); axes are halved in turn, first to last, until a chunk is
    within 50% of the target.
    """
    ndim = len(shape)
    if ndim == 0:
        return ()
    chunks = [max(float(s), 1.0) for s in shape]
    data_size = math.prod(chunks) * itemsize
    target = CHUNK_BASE * 2 ** math.log10(data_size / (1024.0 * 1024))
    target = min(max(target, CHUNK_MIN), CHUNK_MAX)
    axis = 0
    while True:
        chunk_bytes = math.prod(chunks) * itemsize
        near_target = chunk_bytes < target or abs(chunk_bytes - target) / target < 0.5
        if (near_target and chunk_bytes < CHUNK_MAX) or math.prod(chunks) == 1:
            break
        chunks[axis % ndim] = math.ceil(chunks[axis % ndim] / 2.0)
        axis += 1
    return tuple(int(c) for c in chunks)


def normalize_chunks(chunks: Any, shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Resolve a ``chunks`` argument: True/None to guess, False for one chunk, an int for every
    axis, or a tuple whose ``None``/-1 entries span their whole axis."""
    if chunks is None or chunks is True:
        return guess_chunks(shape, itemsize)
    if chunks is False:
        return tuple(max(s, 1) for s in shape)
    if isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        chunks = (int(chunks),) * len(shape)
    chunks = tuple(chunks)
    if len(chunks) > len(shape):
        raise ValueError(f"chunks {chunks} have more dimensions than shape {shape}")
    chunks = chunks + tuple(shape[len(chunks) :])
    resolved = []
    for c, s in zip(chunks, shape, strict=True):
        if c is None or c == -1:
            resolved.append(max(s, 1))
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c > 0:
            resolved.append(int(c))
        else:
            raise ValueError(f"chunk sizes must be positive integers (or None/-1 for a whole axis), got {chunks}")
    return tuple(resolved)


def normalize_shape(shape: Any) -> tuple[int, ...]:
    if shape is None:
        raise TypeError("shape is required to create an array")
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"shape must be an integer or a tuple of integers, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"shape must not have negative dimensions, got {shape}")
    return shape


def _compressor_config(compressor: Any) -> dict[str, Any] | None:
    if compressor == "default":
        compressor = storage.default_compressor
    if compressor is None:
        return None
    if isinstance(compressor, dict):
        return compressor
    if not hasattr(compressor, "get_config"):
        raise TypeError(f"compressor must be a numcodecs codec or None, got {compressor!r}")
    return compressor.get_config()


def _codec_id(codec: Any) -> str | None:
    if codec is None or isinstance(codec, str):
        return None
    return codec.get("id") if isinstance(codec, dict) else getattr(codec, "codec_id", None)


def init_array(
    store: Store,
    shape: Any,
    chunks: Any = True,
    dtype: Any = None,
    compressor: Any = "default",
    fill_value: Any = 0,
    order: str = "C",
    overwrite: bool = False,
    path: str | None = None,
    chunk_store: Store | None = None,
    filters: list[Any] | None = None,
    object_codec: Any = None,
    dimension_separator: str | None = None,
) -> None:
    """Write the metadata of a new array into ``store`` (creating parent groups)."""
    meta = _prepare_array_v2(
        store, shape, chunks, dtype, compressor, fill_value, order, overwrite, path, chunk_store, filters,
        object_codec, dimension_separator,
    )  # fmt: skip
    ensure_parent_groups(store, normalize_prefix(path))
    store[join_path(normalize_prefix(path), ".zarray")] = meta.to_json()


def _prepare_array_v2(
    store: Store,
    shape: Any,
    chunks: Any,
    dtype: Any,
    compressor: Any,
    fill_value: Any,
    order: str,
    overwrite: bool,
    path: str | None,
    chunk_store: Store | None,
    filters: list[Any] | None,
    object_codec: Any,
    dimension_separator: str | None,
) -> ArrayMetadataV2:
    """Validate a new v2 array's metadata and make room for it (clear or check the path,
    create parent groups); the caller writes the metadata document."""
    path = normalize_prefix(path)
    shape = normalize_shape(shape)
    dtype, object_codec = normalize_dtype(dtype, object_codec)
    chunks = normalize_chunks(chunks, shape, max(dtype.itemsize, 1))
    if order not in ("C", "F"):
        raise ValueError(f"order must be 'C' or 'F', got {order!r}")
    if dimension_separator is None:
        dimension_separator = getattr(store, "default_dimension_separator", ".")
    if dimension_separator not in (".", "/"):
        raise ValueError(f"dimension_separator must be '.' or '/', got {dimension_separator!r}")
    filter_configs = [f if isinstance(f, dict) else f.get_config() for f in filters or ()]
    if object_codec is not None:
        filter_configs.insert(0, object_codec.get_config())
    fill = normalize_fill_value(fill_value, dtype)
    if dtype.hasobject and isinstance(fill_value, int) and fill_value == 0:
        fill = None
    meta = ArrayMetadataV2(
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        compressor=_compressor_config(compressor),
        fill_value=fill,
        order=order,
        filters=tuple(filter_configs) or None,
        dimension_separator=dimension_separator,
    )
    meta.to_json()  # validate everything before touching the store
    if store.read_only:
        raise ReadOnlyError(f"cannot create an array in read-only {store.display_name}")
    if overwrite:
        clear_node(store, path)
        if chunk_store is not None:
            clear_node(chunk_store, path)
    else:
        check_vacant(store, path)
    ensure_parent_groups(store, path, write=False)  # checked now, written with the metadata
    return meta


def create(
    shape: Any,
    chunks: Any = True,
    dtype: Any = None,
    compressor: Any = "default",
    fill_value: Any = 0,
    order: str = "C",
    store: StoreLike = None,
    synchronizer: Any = None,
    overwrite: bool = False,
    path: str | None = None,
    chunk_store: StoreLike = None,
    filters: list[Any] | None = None,
    cache_metadata: bool = True,
    cache_attrs: bool = True,
    read_only: bool = False,
    object_codec: Any = None,
    dimension_separator: str | None = None,
    write_empty_chunks: bool = False,
    zarr_format: int = 2,
    allow_pickle: bool = False,
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Array:
    """Create an array.

    Parameters
    ----------
    shape
        Integer or tuple of integers.
    chunks
        Chunk shape: True or omitted to guess, an int for every axis, or a tuple whose
        None/-1 entries span their axis.
    dtype
        NumPy dtype; ``str``/``bytes`` make variable-length object arrays.
    compressor
        A numcodecs codec, None for raw bytes, or "default" for ``zarrlib.storage.default_compressor``.
    fill_value
        Value of elements never written (None: undefined, read back as zeros).
    store
        A path (directory store), a URL (``"s3://bucket/path"``: an FSStore), a Store, any
        MutableMapping, or None for memory.
    storage_options
        Options of the fsspec file system when ``store`` is a URL (credentials, endpoint).

    Examples
    --------
    >>> import zarrlib as zarr
    >>> z = zarr.create((10000, 10000), chunks=(1000, 1000), dtype="i4")
    >>> z.nchunks
    100
    """
    data = kwargs.pop("_data", _NO_DATA)  # from ``array``: chunks first, metadata last
    if storage_options is not None or (isinstance(store, str) and "://" in store):
        store = normalize_store(store, storage_options=storage_options)
    if zarr_format == 3:
        return _create_v3(
            shape, chunks, dtype, compressor, fill_value, order, store, synchronizer, overwrite, path, chunk_store,
            filters, cache_metadata, cache_attrs, read_only, object_codec, dimension_separator, write_empty_chunks,
            allow_pickle, data, **kwargs,
        )  # fmt: skip
    if kwargs:
        raise TypeError(f"create() got unexpected keyword arguments: {', '.join(sorted(kwargs))}")
    if zarr_format != 2:
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    store_obj = normalize_store(store)
    chunk_store_obj = None if chunk_store is None else normalize_store(chunk_store)
    # whoever creates an array with the pickle codec has chosen it
    allow_pickle = allow_pickle or any(_codec_id(c) in UNSAFE_CODEC_IDS for c in [object_codec, *(filters or ())])
    meta = _prepare_array_v2(
        store_obj, shape, chunks, dtype, compressor, fill_value, order, overwrite, path, chunk_store_obj, filters,
        object_codec, dimension_separator,
    )  # fmt: skip
    return _open_new(
        store_obj, path, meta, data, read_only, chunk_store_obj, synchronizer, cache_metadata, cache_attrs,
        write_empty_chunks, allow_pickle,
    )  # fmt: skip


_NO_DATA = object()


def _open_new(
    store: Store,
    path: str | None,
    meta: Any,
    data: Any,
    read_only: bool,
    chunk_store: Store | None,
    synchronizer: Any,
    cache_metadata: bool,
    cache_attrs: bool,
    write_empty_chunks: bool,
    allow_pickle: bool,
) -> Array:
    """Open a new array whose metadata is not stored yet; write ``data`` (if any), then the
    metadata. The metadata document is the commit point: until it is written there is no
    array at ``path``, so a crash while the data is written leaves no half-filled array."""
    z = Array(
        store,
        path=path,
        read_only=read_only,
        chunk_store=chunk_store,
        synchronizer=synchronizer,
        cache_metadata=True,
        cache_attrs=cache_attrs,
        write_empty_chunks=write_empty_chunks,
        allow_pickle=allow_pickle,
        _metadata=meta,
    )
    if data is not _NO_DATA:
        z[...] = data
    ensure_parent_groups(store, normalize_prefix(path), meta.zarr_format)
    store[join_path(normalize_prefix(path), z._metadata_key)] = meta.to_json()
    z._cache_metadata = cache_metadata
    return z


# -- Zarr v3 ---------------------------------------------------------------------------------


def _create_v3(
    shape: Any,
    chunks: Any,
    dtype: Any,
    compressor: Any,
    fill_value: Any,
    order: str,
    store: StoreLike,
    synchronizer: Any,
    overwrite: bool,
    path: str | None,
    chunk_store: StoreLike,
    filters: Any,
    cache_metadata: bool,
    cache_attrs: bool,
    read_only: bool,
    object_codec: Any,
    dimension_separator: str | None,
    write_empty_chunks: bool,
    allow_pickle: bool,
    data: Any = _NO_DATA,
    *,
    shards: Any = None,
    dimension_names: Any = None,
    codecs: Any = None,
    compressors: Any = "auto",
    serializer: Any = "auto",
    chunk_key_encoding: Any = None,
    attributes: dict[str, Any] | None = None,
    index_location: str = "end",
) -> Array:
    """``create(..., zarr_format=3)``: write a v3 ``zarr.json`` and open the array.

    Takes zarr-python 3's arguments: ``shards`` (the shard shape; ``chunks`` is then the inner
    chunk shape), ``dimension_names``, ``codecs`` (the whole chain) or ``filters`` /
    ``serializer`` / ``compressors`` (``compressor`` as in v2 also works),
    ``chunk_key_encoding`` (``"default"``, ``"v2"`` or ``{"name": ..., "separator": ...}``)
    and ``attributes``.
    """
    from .codecs.v3 import chain_from_user
    from .metadata.v3 import ArrayMetadataV3, ChunkKeyEncoding, default_fill_value, encode_data_type
    from .metadata.v3 import native_dtype as v3_native_dtype

    store_obj = normalize_store(store)
    chunk_store_obj = None if chunk_store is None else normalize_store(chunk_store)
    path = normalize_prefix(path)
    shape = normalize_shape(shape)
    if getattr(dtype, "kind", None) == "T":
        dtype = str  # NumPy's variable-width StringDType: v3 "string"
    dtype, object_codec = normalize_dtype(dtype, object_codec)
    vlen = None
    if dtype.hasobject:
        vlen = {"vlen-utf8": "string", "vlen-bytes": "bytes"}.get(object_codec.codec_id)
        if vlen is None:
            raise ValueError(
                f"Zarr v3 stores variable-length strings (dtype=str) and bytes (dtype=bytes), "
                f"not objects encoded with {object_codec.codec_id!r}"
            )
    else:
        dtype = v3_native_dtype(dtype)
    data_type = encode_data_type(dtype, vlen)
    chunks = normalize_chunks(chunks, shape, max(dtype.itemsize, 1))
    if shards is not None:
        shards = normalize_chunks(shards, shape, max(dtype.itemsize, 1))
    if order not in ("C", "F"):
        raise ValueError(f"order must be 'C' or 'F', got {order!r}")
    if fill_value is None or (vlen is not None and isinstance(fill_value, int) and fill_value == 0):
        fill = default_fill_value(dtype, vlen)
    elif vlen == "string":
        fill = str(fill_value)
    elif vlen == "bytes":
        fill = bytes(fill_value)
    else:
        fill = normalize_fill_value(fill_value, dtype)
    if chunk_key_encoding is None:
        encoding = ChunkKeyEncoding("default", dimension_separator or "/")
    elif isinstance(chunk_key_encoding, ChunkKeyEncoding):
        encoding = chunk_key_encoding
    elif isinstance(chunk_key_encoding, str):
        encoding = ChunkKeyEncoding.from_json(chunk_key_encoding, "chunk_key_encoding")
    elif isinstance(chunk_key_encoding, dict):
        config = chunk_key_encoding.get("configuration", {k: v for k, v in chunk_key_encoding.items() if k != "name"})
        encoding = ChunkKeyEncoding.from_json(
            {"name": chunk_key_encoding.get("name", "default"), "configuration": config}, "chunk_key_encoding"
        )
    else:
        raise TypeError(f"chunk_key_encoding must be a name or a dict, got {chunk_key_encoding!r}")
    if compressors == "auto":
        if compressor == "default" and codecs is not None:
            compressor = None  # codecs= is the whole chain
        if compressor == "default":
            compressor = storage.default_compressor
        compressors = [] if compressor is None else [compressor]
    elif compressor not in ("default", None):
        raise ValueError("give compressor= or compressors=, not both")
    if dimension_names is not None:
        dimension_names = tuple(dimension_names)
        if len(dimension_names) != len(shape) or not all(n is None or isinstance(n, str) for n in dimension_names):
            raise ValueError(f"dimension_names must be {len(shape)} strings or None, got {dimension_names!r}")
    # whoever creates an array with the pickle codec has chosen it
    user_codecs = [filters, serializer, compressors, compressor, codecs]
    flat = [c for group in user_codecs for c in (group if isinstance(group, (list, tuple)) else [group])]
    allow_pickle = allow_pickle or any(
        _codec_id(c) in UNSAFE_CODEC_IDS or (isinstance(c, dict) and c.get("name") == "numcodecs.pickle") for c in flat
    )
    with pickle_opt_in(allow_pickle):
        codec = chain_from_user(
            dtype=dtype,
            vlen=vlen,
            fill_value=fill,
            chunks=chunks,
            shards=shards,
            codecs=codecs,
            filters=filters,
            serializer=serializer,
            compressors=compressors,
            index_location=index_location,
        )
    meta = ArrayMetadataV3(
        shape=shape,
        data_type=data_type,
        dtype=dtype,
        chunk_grid_shape=shards or chunks,
        fill_value=fill,
        codecs=tuple(codec.to_json()),
        chunk_key_encoding=encoding,
        attributes=dict(attributes or {}),
        dimension_names=dimension_names,
    )
    encoded = meta.to_json()
    ArrayMetadataV3.from_json(encoded)  # validate everything before touching the store
    if store_obj.read_only:
        raise ReadOnlyError(f"cannot create an array in read-only {store_obj.display_name}")
    if overwrite:
        clear_node(store_obj, path)
        if chunk_store_obj is not None:
            clear_node(chunk_store_obj, path)
    else:
        check_vacant(store_obj, path)
    ensure_parent_groups(store_obj, path, zarr_format=3, write=False)  # written with the metadata
    return _open_new(
        store_obj, path, meta, data, read_only, chunk_store_obj, synchronizer, cache_metadata, cache_attrs,
        write_empty_chunks, allow_pickle,
    )  # fmt: skip


def empty(shape: Any, **kwargs: Any) -> Array:
    """An array whose unwritten elements have no defined value (fill_value None)."""
    return create(shape=shape, fill_value=None, **kwargs)


def zeros(shape: Any, **kwargs: Any) -> Array:
    """An array filled with zeros."""
    return create(shape=shape, fill_value=0, **kwargs)


def ones(shape: Any, **kwargs: Any) -> Array:
    """An array filled with ones."""
    return create(shape=shape, fill_value=1, **kwargs)


def full(shape: Any, fill_value: Any, **kwargs: Any) -> Array:
    """An array filled with ``fill_value``."""
    return create(shape=shape, fill_value=fill_value, **kwargs)


def array(data: Any, **kwargs: Any) -> Array:
    """An array holding a copy of ``data`` (copied chunk by chunk from lazy sources).

    Examples
    --------
    >>> import numpy as np, zarrlib as zarr
    >>> z = zarr.array(np.arange(10), chunks=4)
    >>> z[-3:]
    array([7, 8, 9])
    """
    if not _is_lazy_array(data) and not isinstance(data, np.ndarray):
        data = np.asanyarray(data)
    kwargs.setdefault("dtype", data.dtype)
    if kwargs.get("chunks") is None and getattr(data, "chunks", None) is not None:
        kwargs["chunks"] = data.chunks
    kwargs.setdefault("chunks", True)
    storage_options = kwargs.pop("storage_options", None)
    store = kwargs.get("store")
    if storage_options is not None or (isinstance(store, str) and "://" in store):
        kwargs["store"] = normalize_store(store, storage_options=storage_options)
    return create(shape=data.shape, _data=data, **kwargs)


def open_array(
    store: StoreLike = None,
    mode: str = "a",
    shape: Any = None,
    chunks: Any = True,
    dtype: Any = None,
    compressor: Any = "default",
    fill_value: Any = 0,
    order: str = "C",
    synchronizer: Any = None,
    filters: list[Any] | None = None,
    cache_metadata: bool = True,
    cache_attrs: bool = True,
    path: str | None = None,
    object_codec: Any = None,
    chunk_store: StoreLike = None,
    dimension_separator: str | None = None,
    write_empty_chunks: bool = False,
    allow_pickle: bool = False,
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Array:
    """Open an array, creating it if the mode allows.

    Modes: ``r`` read only (must exist); ``r+`` read/write (must exist); ``a`` read/write,
    create if missing; ``w`` create, replacing anything there; ``w-`` (or ``x``) create,
    fail if something is there. ``store`` may be a URL (``"s3://bucket/data.zarr"``) with
    the fsspec ``storage_options`` to open it with.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> z = zarr.open_array("memory://open-array-doc", mode="w", shape=(4,), chunks=(2,), dtype="i4")
    >>> z[:] = 3
    >>> zarr.open_array("memory://open-array-doc", mode="r", storage_options={})[:]
    array([3, 3, 3, 3], dtype=int32)
    """
    if mode not in ("r", "r+", "a", "w", "w-", "x"):
        raise ValueError(f"mode must be one of 'r', 'r+', 'a', 'w', 'w-', 'x'; got {mode!r}")
    store_obj = normalize_store(store, mode=mode, storage_options=storage_options)
    chunk_store_obj = None if chunk_store is None else normalize_store(chunk_store, mode=mode)
    path = normalize_prefix(path)
    exists = contains_array(store_obj, path)
    if mode in ("r", "r+") and not exists:
        if contains_group(store_obj, path):
            raise ContainsGroupError(f"path {path or '/'!r} holds a group, not an array")
        explain_missing(store_obj, path)
        raise ArrayNotFoundError(f"no array at path {path or '/'!r} in {store_obj.display_name}")
    if mode in ("w-", "x") and exists:
        raise ContainsArrayError(f"an array already exists at path {path or '/'!r}")
    if mode == "w" or (mode in ("a", "w-", "x") and not exists):
        if mode == "a" and contains_group(store_obj, path):
            raise ContainsGroupError(f"path {path or '/'!r} holds a group, not an array")
        return create(
            shape,
            chunks,
            dtype,
            compressor,
            fill_value,
            order,
            store_obj,
            synchronizer,
            mode == "w",
            path,
            chunk_store_obj,
            filters,
            cache_metadata,
            cache_attrs,
            False,
            object_codec,
            dimension_separator,
            write_empty_chunks,
            allow_pickle=allow_pickle,
            **kwargs,
        )
    return Array(
        store_obj,
        path=path,
        read_only=mode == "r",
        chunk_store=chunk_store_obj,
        synchronizer=synchronizer,
        cache_metadata=cache_metadata,
        cache_attrs=cache_attrs,
        write_empty_chunks=write_empty_chunks,
        allow_pickle=allow_pickle,
    )


def _like_kwargs(a: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Shape, chunks, dtype and (for zarrlib arrays) encoding of ``a``, unless overridden."""
    out = dict(kwargs)
    out.setdefault("shape", a.shape)
    out.setdefault("dtype", a.dtype)
    if getattr(a, "chunks", None) is not None:
        out.setdefault("chunks", a.chunks)
    if isinstance(a, Array):
        out.setdefault("compressor", a.compressor)
        out.setdefault("order", a.order)
        out.setdefault("fill_value", a.fill_value)
        if a.filters:
            filters = a.filters[1:] if a.dtype.hasobject else a.filters
            out.setdefault("filters", filters or None)
            if a.dtype.hasobject:
                out.setdefault("object_codec", a.filters[0])
    if isinstance(a, Array) and a.zarr_format == 3 and out.setdefault("zarr_format", 3) == 3:
        _like_kwargs_v3(a, kwargs, out)
    return out


def _like_kwargs_v3(a: Array, kwargs: dict[str, Any], out: dict[str, Any]) -> None:
    """A v3 template also gives its shards, codecs, key encoding and dimension names."""
    from .metadata.v3 import vlen_kind

    meta = a.metadata
    sharding = a._codec.sharding
    out.setdefault("shards", a.shards)
    out.setdefault("codecs", [c.to_json() for c in (sharding.codec.codecs if sharding else a.codecs)])
    if sharding is not None:
        out.setdefault("index_location", sharding.codec.index_location)
    out.setdefault("dimension_names", a.dimension_names)
    out.setdefault("chunk_key_encoding", meta.chunk_key_encoding)
    vlen = vlen_kind(meta.data_type)
    if vlen is not None and "dtype" not in kwargs:
        out["dtype"] = str if vlen == "string" else bytes


def empty_like(a: Any, **kwargs: Any) -> Array:
    kw = _like_kwargs(a, kwargs)
    kw["fill_value"] = kwargs.get("fill_value")
    return create(**kw)


def zeros_like(a: Any, **kwargs: Any) -> Array:
    return create(**{**_like_kwargs(a, kwargs), "fill_value": 0})


def ones_like(a: Any, **kwargs: Any) -> Array:
    return create(**{**_like_kwargs(a, kwargs), "fill_value": 1})


def full_like(a: Any, **kwargs: Any) -> Array:
    kw = _like_kwargs(a, kwargs)
    if "fill_value" not in kwargs and not isinstance(a, Array):
        raise TypeError("full_like needs fill_value when the template is not a zarrlib Array")
    return create(**kw)


def open_like(a: Any, path: StoreLike, **kwargs: Any) -> Array:
    kw = _like_kwargs(a, kwargs)
    shape = kw.pop("shape")
    return open_array(path, shape=shape, **kw)
