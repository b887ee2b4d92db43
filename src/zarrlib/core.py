"""The Array: metadata + store + chunk codec + synchronizer.

Each selection method is a few lines: build an indexer (``indexing``), then let ``io``
read or write the chunk projections it yields.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import io
from .attrs import Attributes, V3Attributes
from .codecs.v2 import V2ChunkCodec
from .codecs.v3 import V3ChunkCodec
from .errors import ArrayNotFoundError, ContainsGroupError, MetadataError, ReadOnlyError
from .indexing import (
    BasicIndexer,
    BlockIndexer,
    CoordinateIndexer,
    MaskIndexer,
    OrthogonalIndexer,
    point_projection,
    route_selection,
)
from .metadata.v2 import ARRAY_KEY, ATTRS_KEY, ArrayMetadataV2
from .metadata.v3 import ZARR_JSON, ArrayMetadataV3, parse_node
from .nodes import contains_group, join_path
from .reporting import InfoReport, array_report
from .storage import Store, StoreLike, normalize_prefix, normalize_store


class Array:
    """A chunked, compressed N-dimensional array stored in a Zarr store.

    Open an existing array with ``Array(store, path=...)``; create one with the functions
    of ``zarrlib.creation`` (``zeros``, ``array``, ``open_array``, ...).

    Examples
    --------
    >>> import zarrlib as zarr
    >>> z = zarr.zeros((4, 6), chunks=(2, 3), dtype="i4")
    >>> z[1:3, 2:5] = 7
    >>> int(z[2, 3])
    7
    """

    def __init__(
        self,
        store: StoreLike,
        path: str | None = None,
        read_only: bool = False,
        chunk_store: StoreLike = None,
        synchronizer: Any = None,
        cache_metadata: bool = True,
        cache_attrs: bool = True,
        write_empty_chunks: bool = False,
        allow_pickle: bool = False,
        _metadata: ArrayMetadataV2 | ArrayMetadataV3 | None = None,
    ) -> None:
        self._store = normalize_store(store, mode="r" if read_only else "a")
        self._chunk_store = None if chunk_store is None else normalize_store(chunk_store)
        self._path = normalize_prefix(path)
        self._read_only = read_only
        self._synchronizer = synchronizer
        self._cache_metadata = cache_metadata
        self._write_empty_chunks = write_empty_chunks
        self._allow_pickle = allow_pickle
        if _metadata is None:
            self._load_metadata()
        else:  # creation with data: the chunks are written before the metadata (see ``creation.array``)
            self._set_metadata(_metadata)
        self._attrs = Attributes(
            self._store,
            join_path(self._path, ATTRS_KEY),
            read_only=read_only,
            cache=cache_attrs,
            lock=lambda: self._lock(ATTRS_KEY),
        )
        if self._meta.zarr_format == 3:  # v3: attributes are a member of zarr.json
            self._attrs = V3Attributes(
                self._store,
                join_path(self._path, ZARR_JSON),
                read_only=read_only,
                cache=cache_attrs,
                lock=lambda: self._lock(ZARR_JSON),
            )

    # -- metadata ---------------------------------------------------------------------------
    def _load_metadata(self) -> None:
        if self._load_metadata_v3():
            return
        key = join_path(self._path, ARRAY_KEY)
        try:
            raw = self._store[key]
        except KeyError:
            if contains_group(self._store, self._path):
                raise ContainsGroupError(f"path {self._path or '/'!r} holds a group, not an array") from None
            raise ArrayNotFoundError(f"no array at path {self._path or '/'!r} in {self._store.display_name}") from None
        self._set_metadata(ArrayMetadataV2.from_json(raw, key))

    def _load_metadata_v3(self) -> bool:
        """Load ``zarr.json`` if there is one (Zarr v3); False when the array is not v3."""
        if getattr(self, "_meta", None) is not None and self._meta.zarr_format == 2:
            return False
        key = join_path(self._path, ZARR_JSON)
        try:
            raw = self._store[key]
        except KeyError:
            return False
        meta = parse_node(raw, key)
        if not isinstance(meta, ArrayMetadataV3):
            raise ContainsGroupError(f"path {self._path or '/'!r} holds a group, not an array")
        self._set_metadata(meta)
        return True

    def _set_metadata(self, meta: ArrayMetadataV2 | ArrayMetadataV3) -> None:
        self._meta = meta
        try:
            if meta.zarr_format == 3:
                self._codec = V3ChunkCodec.from_metadata(
                    meta, write_empty_chunks=self._write_empty_chunks, allow_pickle=self._allow_pickle
                )
                return
            self._codec = V2ChunkCodec.from_metadata(meta, allow_pickle=self._allow_pickle)
        except ValueError as e:
            key = join_path(self._path, self._metadata_key)
            raise MetadataError(f"{key!r} of array {self.name!r}: {e}") from None

    def _refresh_metadata(self) -> None:
        if not self._cache_metadata:
            self._load_metadata()

    def _write_metadata(self, meta: ArrayMetadataV2 | ArrayMetadataV3) -> None:
        self._store[join_path(self._path, self._metadata_key)] = meta.to_json()
        self._set_metadata(meta)

    @contextlib.contextmanager
    def _staged_metadata(self, meta: ArrayMetadataV2 | ArrayMetadataV3) -> Iterator[None]:
        """Do chunk I/O under ``meta`` before it is stored, then store it: the metadata document
        is the commit point, so a reader (or a crash) sees the old array or the new one, whole."""
        old, cached = self._meta, self._cache_metadata
        self._set_metadata(meta)
        self._cache_metadata = True  # the store still holds the old document until the block ends
        try:
            yield
        except BaseException:
            self._set_metadata(old)
            raise
        finally:
            self._cache_metadata = cached
        self._write_metadata(meta)

    @property
    def _metadata_key(self) -> str:
        """``zarr.json`` (v3) or ``.zarray`` (v2): the metadata document's name."""
        return ZARR_JSON if self._meta.zarr_format == 3 else ARRAY_KEY

    @property
    def _grid_chunks(self) -> tuple[int, ...]:
        """The shape stored under one key: the chunk, or the shard when sharded (v3)."""
        return self._codec.chunk_shape

    def _lock(self, key: str) -> Any:
        if self._synchronizer is None:
            return contextlib.nullcontext()
        return self._synchronizer[join_path(self._path, key)]

    # -- properties -------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return self._store

    @property
    def chunk_store(self) -> Store | None:
        return self._chunk_store

    @property
    def path(self) -> str:
        return self._path

    @property
    def name(self) -> str:
        """The absolute path of the array in its hierarchy, e.g. ``/foo/bar``."""
        return "/" + self._path

    @property
    def basename(self) -> str:
        return self._path.split("/")[-1] if self._path else ""

    @property
    def read_only(self) -> bool:
        return self._read_only or self._store.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._read_only = bool(value)
        self._attrs.read_only = bool(value)

    @property
    def synchronizer(self) -> Any:
        return self._synchronizer

    @property
    def zarr_format(self) -> int:
        return self._meta.zarr_format

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shard shape of a sharded (v3) array, else None; ``chunks`` is then the inner chunk shape."""
        return getattr(self._meta, "shards", None)

    @property
    def dimension_names(self) -> tuple[str | None, ...] | None:
        return getattr(self._meta, "dimension_names", None)

    @property
    def codecs(self) -> tuple[Any, ...] | None:
        """The v3 codec chain (codec objects), or None for a v2 array."""
        return self._codec.codecs if self._meta.zarr_format == 3 else None

    @property
    def metadata(self) -> ArrayMetadataV2 | ArrayMetadataV3:
        self._refresh_metadata()
        return self._meta

    @property
    def shape(self) -> tuple[int, ...]:
        return self.metadata.shape

    @shape.setter
    def shape(self, value: tuple[int, ...]) -> None:
        self.resize(value)

    @property
    def chunks(self) -> tuple[int, ...]:
        return self._meta.chunks

    @property
    def dtype(self) -> np.dtype:
        return self._meta.dtype

    @property
    def fill_value(self) -> Any:
        return self._meta.fill_value

    @property
    def order(self) -> str:
        return self._meta.order

    @property
    def dimension_separator(self) -> str:
        return self._meta.dimension_separator

    @property
    def compressor(self) -> Any:
        return self._codec.compressor

    @property
    def filters(self) -> list[Any] | None:
        return list(self._codec.filters) or None

    @property
    def write_empty_chunks(self) -> bool:
        return self._write_empty_chunks

    @property
    def attrs(self) -> Attributes:
        return self._attrs

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def cdata_shape(self) -> tuple[int, ...]:
        """The number of chunks along each axis."""
        return tuple(-(-s // c) for s, c in zip(self.shape, self.chunks, strict=True))

    @property
    def nchunks(self) -> int:
        return math.prod(self.cdata_shape)

    @property
    def nbytes_stored(self) -> int:
        """Bytes stored for this array: metadata, attributes and chunks."""
        stored = self._store.getsize(self._path)
        if self._chunk_store is not None:
            stored += self._chunk_store.getsize(self._path)
        return stored

    @property
    def nchunks_initialized(self) -> int:
        # a stored shard counts for all its inner chunks, as in zarr-python 3
        per_key = math.prod(g // c for g, c in zip(self._grid_chunks, self.chunks, strict=True))
        return len(self._stored_chunk_keys()) * per_key

    @property
    def info(self) -> InfoReport:
        return InfoReport(self)

    def __repr__(self) -> str:
        return array_report(self)

    # -- chunk keys -------------------------------------------------------------------------
    def _chunk_key(self, coords: tuple[int, ...]) -> str:
        return join_path(self._path, self._meta.chunk_key(coords))

    def _chunk_key_pattern(self) -> re.Pattern[str]:
        sep = re.escape(self._meta.dimension_separator)
        n = max(self.ndim, 1)
        return re.compile(r"\d+" + (sep + r"\d+") * (n - 1) + r"\Z")

    def _stored_chunks(self) -> list[tuple[str, tuple[int, ...]]]:
        """(key, grid coordinates) of every chunk in the store, inside the shape or not."""
        store = self._chunk_store if self._chunk_store is not None else self._store
        prefix = join_path(self._path, "")
        if self._meta.zarr_format == 3:  # chunk key encodings of v3; shards are the stored unit
            found = ((k, self._meta.parse_chunk_key(k[len(prefix) :])) for k in store.list_prefix(self._path))
            return [(k, tuple(c)) for k, c in found if c is not None]
        pattern = self._chunk_key_pattern()
        chunks = []
        for key in store.list_prefix(self._path):
            rel = key[len(prefix) :]
            if pattern.match(rel):
                chunks.append((key, tuple(int(c) for c in re.split(r"[./]", rel)) if self.ndim else ()))
        return chunks

    def _grid_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Stored chunks (shards when sharded) along each axis of an array of ``shape``."""
        return tuple(-(-s // c) for s, c in zip(shape, self._grid_chunks, strict=True))

    def _stored_chunk_keys(self) -> list[str]:
        """Keys of the chunks present in the store that lie inside the current shape."""
        grid = self._grid_shape(self.shape)
        return [k for k, c in self._stored_chunks() if _inside(c, grid)]

    def _delete_orphans(self, stored: list[tuple[str, tuple[int, ...]]]) -> None:
        """Delete stored chunks wholly outside the current shape. Readers never see them, but
        an append or resize interrupted before its metadata was written can leave some, and
        growing the array over them would show their stale data instead of the fill value."""
        grid = self._grid_shape(self._meta.shape)
        orphans = [k for k, c in stored if not _inside(c, grid)]
        if orphans:
            store = self._chunk_store if self._chunk_store is not None else self._store
            store.delete_many(orphans)

    def _access(self, meta: ArrayMetadataV2 | ArrayMetadataV3 | None = None) -> io.ChunkAccess:
        meta = self.metadata if meta is None else meta
        return io.ChunkAccess(
            store=self._chunk_store if self._chunk_store is not None else self._store,
            chunk_key=self._chunk_key,
            codec=self._codec,
            shape=meta.shape,
            fill_value=meta.fill_value,
            write_empty_chunks=self._write_empty_chunks,
            lock_for=None if self._synchronizer is None else self._synchronizer.__getitem__,
            name=self.name,
        )

    # -- reading ----------------------------------------------------------------------------
    def __getitem__(self, selection: Any) -> Any:
        point = point_projection(selection, self.shape, self._grid_chunks)
        if point is not None:  # z[i, j]: one element, the most frequent call of all
            out = np.empty((), dtype=self.dtype)
            io.read(self._access(), [point], out)
            return out[()]
        kind = route_selection(selection, self.shape)
        if kind == "basic":
            return self.get_basic_selection(selection)
        if kind == "orthogonal":
            return self.get_orthogonal_selection(selection)
        if kind == "mask":
            return self.get_mask_selection(selection)
        return self.get_coordinate_selection(selection)

    def get_basic_selection(self, selection: Any = Ellipsis, out: np.ndarray | None = None) -> Any:
        """Read with integers, slices (any step) and Ellipsis, as NumPy's basic indexing."""
        indexer = BasicIndexer(selection, self.shape, self._grid_chunks)
        result = self._read(indexer, out)
        # as NumPy: a scalar when the result is 0-d and the selection has no Ellipsis
        items = selection if isinstance(selection, tuple) else (selection,)
        scalar = not indexer.shape and not any(s is Ellipsis for s in items)
        return result[()] if scalar and out is None else result

    def get_orthogonal_selection(self, selection: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Read with integers, slices, integer arrays or masks applied to each axis independently."""
        return self._read(OrthogonalIndexer(selection, self.shape, self._grid_chunks), out)

    def get_coordinate_selection(self, selection: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Read the points named by one integer array per axis (broadcast together)."""
        indexer = CoordinateIndexer(selection, self.shape, self._grid_chunks)
        return self._read(indexer, out, result_shape=indexer.sel_shape)

    def get_mask_selection(self, selection: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Read the elements where a boolean array of the array's shape is True."""
        indexer = MaskIndexer(selection, self.shape, self._grid_chunks)
        return self._read(indexer, out, result_shape=indexer.sel_shape)

    def get_block_selection(self, selection: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Read whole chunks chosen by block index."""
        return self._read(BlockIndexer(selection, self.shape, self._grid_chunks), out)

    def _read(self, indexer: Any, out: np.ndarray | None, result_shape: tuple[int, ...] | None = None) -> np.ndarray:
        flat_shape = indexer.shape if result_shape is None else (math.prod(result_shape),)
        if out is None:
            target = np.empty(flat_shape, dtype=self.dtype, order=self.order)
        else:
            if not isinstance(out, np.ndarray) or out.shape != (result_shape or indexer.shape):
                raise ValueError(
                    f"array {self.name!r}: out must be an ndarray of shape {result_shape or indexer.shape}, "
                    f"got {getattr(out, 'shape', type(out).__name__)}"
                )
            target = out.reshape(flat_shape) if result_shape is not None else out
        io.read(self._access(), list(indexer), target, indexer.squeeze_axes)
        if out is not None and target is not out and not np.may_share_memory(target, out):
            out[...] = target.reshape(out.shape)  # out (F-order or strided) could not be flattened in place
        if result_shape is not None and out is None:
            return target.reshape(result_shape)
        return out if out is not None else target

    # -- writing ----------------------------------------------------------------------------
    def __setitem__(self, selection: Any, value: Any) -> None:
        kind = route_selection(selection, self.shape)
        if kind == "basic":
            self.set_basic_selection(selection, value)
        elif kind == "orthogonal":
            self.set_orthogonal_selection(selection, value)
        elif kind == "mask":
            self.set_mask_selection(selection, value)
        else:
            self.set_coordinate_selection(selection, value)

    def set_basic_selection(self, selection: Any, value: Any) -> None:
        """Write with integers, slices and Ellipsis; ``value`` broadcasts as in NumPy."""
        self._write(BasicIndexer(selection, self.shape, self._grid_chunks), value)

    def set_orthogonal_selection(self, selection: Any, value: Any) -> None:
        self._write(OrthogonalIndexer(selection, self.shape, self._grid_chunks), value)

    def set_coordinate_selection(self, selection: Any, value: Any) -> None:
        indexer = CoordinateIndexer(selection, self.shape, self._grid_chunks)
        self._write(indexer, value, sel_shape=indexer.sel_shape)

    def set_mask_selection(self, selection: Any, value: Any) -> None:
        indexer = MaskIndexer(selection, self.shape, self._grid_chunks)
        self._write(indexer, value, sel_shape=indexer.sel_shape)

    def set_block_selection(self, selection: Any, value: Any) -> None:
        self._write(BlockIndexer(selection, self.shape, self._grid_chunks), value)

    def _write(self, indexer: Any, value: Any, sel_shape: tuple[int, ...] | None = None) -> None:
        if self.read_only:
            raise ReadOnlyError(f"array {self.name!r} is read-only")
        prepared = self._prepare_value(
            value, indexer.shape if sel_shape is None else sel_shape, lazy_ok=sel_shape is None
        )
        if sel_shape is not None and prepared.ndim:
            prepared = prepared.reshape(-1)
        io.write(self._access(), list(indexer), prepared, indexer.squeeze_axes)

    def _prepare_value(self, value: Any, shape: tuple[int, ...], *, lazy_ok: bool) -> Any:
        """Cast and broadcast ``value`` to the selection; array-likes with their own chunks
        (zarrlib arrays, h5py datasets) stay lazy and are read one chunk's region at a time."""
        if lazy_ok and _is_lazy_array(value):
            if tuple(value.shape) != tuple(shape):
                raise ValueError(
                    f"array {self.name!r}: cannot write a source of shape {tuple(value.shape)} into a selection of shape {shape}"
                )
            return value
        try:
            if isinstance(value, np.ndarray):
                arr = value if value.dtype == self.dtype else value.astype(self.dtype)
            else:
                arr = np.asarray(value, dtype=self.dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise ValueError(
                f"array {self.name!r}: cannot store {type(value).__name__} as dtype {self.dtype} ({e})"
            ) from None
        if arr.ndim == 0:
            return arr
        try:
            return np.broadcast_to(arr, shape)
        except ValueError:
            raise ValueError(
                f"array {self.name!r}: value of shape {arr.shape} does not broadcast to the selection's shape {shape}"
            ) from None

    # -- views with NumPy-like indexing -------------------------------------------------------
    @property
    def oindex(self) -> _SelectionView:
        return _SelectionView(self.get_orthogonal_selection, self.set_orthogonal_selection)

    @property
    def vindex(self) -> _SelectionView:
        return _SelectionView(self._vindex_get, self._vindex_set)

    @property
    def blocks(self) -> _SelectionView:
        return _SelectionView(self.get_block_selection, self.set_block_selection)

    def _vindex_get(self, selection: Any) -> np.ndarray:
        if _is_mask(selection, self.shape):
            return self.get_mask_selection(selection)
        return self.get_coordinate_selection(selection)

    def _vindex_set(self, selection: Any, value: Any) -> None:
        if _is_mask(selection, self.shape):
            self.set_mask_selection(selection, value)
        else:
            self.set_coordinate_selection(selection, value)

    # -- resizing ---------------------------------------------------------------------------
    def resize(self, *shape: Any) -> None:
        """Change the shape. Chunks wholly outside a shrunk shape are deleted from the store
        after the new metadata is written (a crash in between leaves only invisible chunks);
        stray chunks outside the old shape (left by an interrupted append or delete) are
        deleted before a grown shape could expose them. Data inside is not moved.

        Examples
        --------
        >>> import zarrlib as zarr
        >>> z = zarr.zeros((10,), chunks=(5,), dtype="i4")
        >>> z[:] = 1
        >>> z.resize(5)
        >>> z.resize(10)
        >>> z[:].tolist()
        [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if self.read_only:
            raise ReadOnlyError(f"array {self.name!r} is read-only")
        new_shape = tuple(int(s) for s in shape)
        if len(new_shape) != self.ndim or any(s < 0 for s in new_shape):
            raise ValueError(f"array {self.name!r}: new shape {shape} must have {self.ndim} non-negative dimensions")
        with self._lock(self._metadata_key):
            self._load_metadata()
            stored = self._stored_chunks()
            self._delete_orphans(stored)  # before the new shape could expose them
            self._write_metadata(self._meta.with_shape(new_shape))
            self._delete_orphans(stored)  # chunks the new shape cut off, only now that it is stored

    def append(self, data: Any, axis: int = 0) -> tuple[int, ...]:
        """Grow the array along ``axis`` and write ``data`` into the new part; returns the new shape.

        The new chunks are written first and the grown metadata last, so a reader (or a crash
        part-way, or a failed write to a remote store) sees the array before the append or
        after it, never a grown array whose new part is still missing.
        """
        if self.read_only:
            raise ReadOnlyError(f"array {self.name!r} is read-only")
        if not _is_lazy_array(data):
            data = np.asanyarray(data)
        if axis < -self.ndim or axis >= self.ndim:
            raise ValueError(f"array {self.name!r}: axis {axis} is out of range for {self.ndim} dimensions")
        axis %= self.ndim
        with self._lock(self._metadata_key):
            self._load_metadata()
            old = self._meta.shape
            if len(data.shape) != self.ndim or any(
                a != b for i, (a, b) in enumerate(zip(data.shape, old, strict=True)) if i != axis
            ):
                raise ValueError(
                    f"array {self.name!r}: cannot append shape {tuple(data.shape)} to shape {old} along axis {axis}"
                )
            new = tuple(s + (data.shape[i] if i == axis else 0) for i, s in enumerate(old))
            self._delete_orphans(self._stored_chunks())
            region = tuple(slice(old[i], new[i]) if i == axis else slice(None) for i in range(self.ndim))
            with self._staged_metadata(self._meta.with_shape(new)):
                self[region] = data
        return new

    # -- NumPy and Dask interop -------------------------------------------------------------
    def to_dask(self, chunks: Any = None) -> Any:
        """A lazy dask array reading this array (see ``zarrlib.to_dask``; needs the dask extra).

        Examples
        --------
        >>> import zarrlib as zarr
        >>> zarr.zeros((6,), chunks=(4,)).to_dask().chunks
        ((4, 2),)
        """
        from .integrations.dask import to_dask

        return to_dask(self, chunks)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self[...]
        return a if dtype is None else a.astype(dtype)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __iter__(self) -> Iterator[Any]:
        """Rows along the first axis, read one chunk-row at a time."""
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        step = self.chunks[0]
        for start in range(0, self.shape[0], step):
            yield from self[start : start + step]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Array) and self._store == other._store and self._path == other._path

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        return {
            "store": self._store,
            "path": self._path,
            "read_only": self._read_only,
            "chunk_store": self._chunk_store,
            "synchronizer": self._synchronizer,
            "cache_metadata": self._cache_metadata,
            "cache_attrs": self._attrs.cache,
            "write_empty_chunks": self._write_empty_chunks,
            "allow_pickle": self._allow_pickle,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)


class _SelectionView:
    """``z.oindex[...]``, ``z.vindex[...]`` and ``z.blocks[...]``."""

    __slots__ = ("_get", "_set")

    def __init__(self, get: Any, set_: Any) -> None:
        self._get, self._set = get, set_

    def __getitem__(self, selection: Any) -> np.ndarray:
        return self._get(selection)

    def __setitem__(self, selection: Any, value: Any) -> None:
        self._set(selection, value)


def _inside(coords: tuple[int, ...], grid: tuple[int, ...]) -> bool:
    return all(c < g for c, g in zip(coords, grid, strict=True))


def _is_mask(selection: Any, shape: tuple[int, ...]) -> bool:
    sel = selection[0] if isinstance(selection, tuple) and len(selection) == 1 else selection
    return isinstance(sel, np.ndarray) and sel.dtype == bool and (sel.shape == shape or len(shape) == 1)


def _is_lazy_array(value: Any) -> bool:
    """Array-likes read piecewise rather than converted whole: zarrlib arrays, h5py datasets."""
    return (
        not isinstance(value, np.ndarray)
        and hasattr(value, "shape")
        and hasattr(value, "dtype")
        and hasattr(value, "__getitem__")
        and hasattr(value, "chunks")
    )
