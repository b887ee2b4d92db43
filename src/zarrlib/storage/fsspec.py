"""A store over any fsspec file system: ``s3://``, ``gs://``, ``http(s)://`` (read only),
``memory://``, ``file://``, ...

Many keys go out in one call (``cat_ranges`` / ``pipe`` / ``rm`` of a list), which async file
systems such as s3fs run as concurrent requests on their event loop. Network errors are
retried here with exponential backoff a bounded number of times, then raised as a
``StoreError`` naming the key. fsspec is imported when the first FSStore is made, never by
``import zarrlib``.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import StoreError
from .base import ByteRange, Store, _as_bytes, normalize_prefix, validate_key

T = TypeVar("T")

#: Protocols whose file systems cannot write.
READ_ONLY_PROTOCOLS = frozenset({"http", "https"})
#: Exceptions meaning "no such key": a read gives the fill value, not an error.
_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)
#: Names of exception classes (botocore, aiohttp, urllib3, ...) that mean the request may
#: succeed if tried again; matched by name so that none of those packages need importing.
_TRANSIENT_NAMES = frozenset(
    {
        "ConnectionError",  # botocore's, not the builtin
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "HTTPClientError",
        "ProxyConnectionError",
        "ResponseParserError",
        "IncompleteRead",
        "ClientConnectionError",
        "ClientConnectorError",
        "ClientOSError",
        "ServerDisconnectedError",
        "ServerTimeoutError",
        "ClientPayloadError",
        "FSTimeoutError",
    }
)
#: Server error codes asking the client to slow down or try again.
_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "InternalError",
        "ServiceUnavailable",
        "503",
        "500",
    }
)
_TRANSIENT_ERRNOS = frozenset(
    {errno.EBUSY, errno.EAGAIN, errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNREFUSED, errno.ECONNABORTED}
    | ({errno.EREMOTEIO} if hasattr(errno, "EREMOTEIO") else set())
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes (s3fs wraps botocore errors in OSError ``from`` them)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _http_status(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)  # aiohttp ClientResponseError
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)  # botocore ClientError
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status if isinstance(status, int) else None
    return None


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or one of its causes) is a network error worth retrying: a timeout,
    a refused or dropped connection, HTTP 429 or 5xx, or a throttling error code."""
    for e in _chain(exc):
        if isinstance(e, _MISSING) or isinstance(e, PermissionError):
            return False
        if isinstance(e, (TimeoutError, ConnectionError)):
            return True
        if any(cls.__name__ in _TRANSIENT_NAMES for cls in type(e).__mro__):
            return True
        status = _http_status(e)
        if status is not None and (status == 429 or status >= 500):
            return True
        if _error_code(e) in _TRANSIENT_CODES:
            return True
        if isinstance(e, OSError) and type(e) is OSError and e.errno in _TRANSIENT_ERRNOS:
            return True
    return False


def _is_invalid_range(exc: BaseException) -> bool:
    """HTTP 416: the range starts past the end of an object that exists."""
    return any(_http_status(e) == 416 or _error_code(e) in ("InvalidRange", "416") for e in _chain(exc))


class FSStore(Store):
    """A store over an fsspec file system, addressed by URL.

    Parameters
    ----------
    url
        Where the store's root is: ``"s3://bucket/path"``, ``"gs://..."``, ``"https://..."``
        (read only), ``"memory://name"``, ``"file:///abs/path"``, or any other fsspec URL.
    mode
        ``"r"`` opens the store read only; any other mode allows writes.
    fs
        An fsspec file system to use instead of the one ``url`` names (then ``url`` is the
        root path within it).
    retries
        How many times a request that failed with a network error (timeout, refused or
        dropped connection, HTTP 429/5xx, throttling) is tried again before ``StoreError``.
    retry_delay, max_retry_delay
        The backoff before the first retry, in seconds, doubling for each further retry up
        to ``max_retry_delay``.
    **storage_options
        Passed to the fsspec file system (for s3fs: ``key``, ``secret``, ``anon``,
        ``client_kwargs={"endpoint_url": ...}``, ...).

    Examples
    --------
    >>> import zarrlib as zarr
    >>> store = zarr.FSStore("memory://docs-example")
    >>> z = zarr.zeros((4, 4), chunks=(2, 2), dtype="i4", store=store, overwrite=True)
    >>> z[:] = 7
    >>> sorted(store)[:3]
    ['.zarray', '0.0', '0.1']
    """

    prefers_batch = True

    def __init__(
        self,
        url: str,
        *,
        mode: str = "a",
        fs: Any = None,
        retries: int = 3,
        retry_delay: float = 0.1,
        max_retry_delay: float = 5.0,
        **storage_options: Any,
    ) -> None:
        if not isinstance(url, str):
            raise TypeError(f"FSStore url must be a string, got {type(url).__name__} {url!r}")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ValueError(f"FSStore retries must be a non-negative integer, got {retries!r}")
        if retry_delay < 0 or max_retry_delay < 0:
            raise ValueError(f"FSStore retry delays must be >= 0, got {retry_delay!r} and {max_retry_delay!r}")
        if fs is None:
            try:
                import fsspec
            except ImportError:
                raise ImportError(
                    "FSStore needs fsspec (and s3fs for s3:// URLs): pip install 'zarrlib[remote]'"
                ) from None
            protocol = url.split("://", 1)[0] if "://" in url else "file"
            if protocol in ("file", "local"):
                storage_options.setdefault("auto_mkdir", True)
            fs, root = fsspec.core.url_to_fs(url, **storage_options)
        else:
            root = fs._strip_protocol(url)
        self.fs = fs
        self.url = url
        self.root = root.rstrip("/")
        self.storage_options = storage_options
        self.retries = retries
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
        self.read_only = mode == "r" or any(p in READ_ONLY_PROTOCOLS for p in protocols)

    # -- paths and retries ----------------------------------------------------------------------
    def _path(self, key: str) -> str:
        return f"{self.root}/{key}" if self.root else key

    def _key(self, path: str) -> str:
        path = self.fs._strip_protocol(path).rstrip("/")
        root = self.fs._strip_protocol(self.root).rstrip("/") if self.root else ""
        if root and path.startswith(root + "/"):
            return path[len(root) + 1 :]
        return path.lstrip("/") if not root else path

    def _retry(self, what: str, key: str, call: Callable[[], T]) -> T:
        """``call()``, tried again after network errors with exponential backoff."""
        for attempt in range(self.retries + 1):
            try:
                return call()
            except _MISSING:
                raise
            except Exception as e:
                if not is_transient(e):
                    if isinstance(e, OSError) and not isinstance(e, PermissionError):
                        raise self._error(what, key, e, attempt + 1) from e
                    raise
                if attempt == self.retries:
                    raise self._error(what, key, e, attempt + 1) from e
                self._sleep(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(self.retry_delay * 2**attempt, self.max_retry_delay))

    def _error(self, what: str, key: str, exc: BaseException, attempts: int) -> StoreError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return StoreError(
            f"{what} of key {key!r} in {self.display_name} failed{tries}: {type(exc).__name__}: {exc}", key=key
        )

    # -- the mapping ---------------------------------------------------------------------------
    def _get(self, key: str) -> bytes:
        value = self._cat_ranges([key], [0], [None], "read")[0]
        if value is None:
            raise KeyError(key)
        return value

    def _set(self, key: str, value: bytes) -> None:
        self._retry("write", key, lambda: self.fs.pipe_file(self._path(key), value))

    def _delete(self, key: str) -> None:
        if not self._is_file(key):  # object stores delete missing keys silently
            raise KeyError(key)
        try:
            self._retry("delete", key, lambda: self.fs.rm_file(self._path(key)))
        except _MISSING:
            raise KeyError(key) from None

    def _iter_keys(self) -> Iterator[str]:
        return iter(self._find(""))

    def __contains__(self, key: object) -> bool:
        try:
            return self._is_file(validate_key(key))  # type: ignore[arg-type]
        except (KeyError, ValueError):
            return False

    def _is_file(self, key: str) -> bool:
        try:
            info = self._retry("lookup", key, lambda: self.fs.info(self._path(key)))
        except _MISSING:
            return False
        return info.get("type") == "file"

    # -- batches -------------------------------------------------------------------------------
    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Values of the keys that exist, fetched in one concurrent batch; missing keys are left out."""
        keys = [validate_key(k) for k in keys]
        # start=0, not None: s3fs sends a HEAD before a GET without a range, to split big objects
        values = self._cat_ranges(keys, [0] * len(keys), [None] * len(keys), "read")
        return {k: v for k, v in zip(keys, values, strict=True) if v is not None}

    def get_ranges(self, requests: Sequence[tuple[str, ByteRange]]) -> list[bytes | None]:
        """Parts of many values in one concurrent batch; None where the key is missing."""
        keys = [validate_key(k) for k, _ in requests]
        starts: list[int | None] = [r.start for _, r in requests]
        stops = [r.stop for _, r in requests]
        return self._cat_ranges(keys, starts, stops, "range read")

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        value = self.get_ranges([(key, byte_range)])[0]
        if value is None:
            raise KeyError(key)
        return value

    def _cat_ranges(
        self, keys: list[str], starts: list[int | None], stops: list[int | None], what: str
    ) -> list[bytes | None]:
        """One ``cat_ranges`` call for all keys; those that failed with network errors are
        tried again (only they), with backoff."""
        results: list[bytes | None] = [None] * len(keys)
        pending = list(range(len(keys)))
        for attempt in range(self.retries + 1):
            try:
                out = self.fs.cat_ranges(
                    [self._path(keys[i]) for i in pending],
                    [starts[i] for i in pending],
                    [stops[i] for i in pending],
                    on_error="return",
                )
            except Exception as e:  # the whole call failed (no per-key results)
                out = [e] * len(pending)
            failed = []
            for i, value in zip(pending, out, strict=True):
                if not isinstance(value, BaseException):
                    results[i] = value
                elif isinstance(value, _MISSING):
                    results[i] = None
                elif _is_invalid_range(value):  # a range past the end of an existing value (or an empty one)
                    results[i] = b""
                elif is_transient(value) and attempt < self.retries:
                    failed.append(i)
                elif not isinstance(value, OSError) and not is_transient(value):
                    raise value  # not a store failure (a bad storage option, ...): as it is
                else:
                    error = self._error(what, keys[i], value, attempt + 1)
                    raise error from value
            if not failed:
                return results
            pending = failed
            self._sleep(attempt)
        return results  # pragma: no cover

    def set_many(self, items: Mapping[str, bytes]) -> None:
        """Store many values with one concurrent ``pipe`` call (retried on network errors)."""
        if not items:
            return
        self._check_writable(next(iter(items)))
        values = {self._path(validate_key(k)): _as_bytes(v, k) for k, v in items.items()}
        first = next(iter(items))
        self._retry(
            "write", first if len(items) == 1 else f"{first} (and {len(items) - 1} more)", lambda: self.fs.pipe(values)
        )

    def delete_many(self, keys: Iterable[str]) -> None:
        """Delete keys with one batched request (missing keys are ignored)."""
        keys = [validate_key(k) for k in keys]
        if not keys:
            return
        self._check_writable(keys[0])
        paths = [self._path(k) for k in keys]
        try:
            self._retry("delete", keys[0], lambda: self.fs.rm(paths))
        except _MISSING:  # some file systems refuse to delete what is not there: one at a time
            for path in paths:
                try:
                    self.fs.rm_file(path)
                except _MISSING:
                    pass

    # -- listing -------------------------------------------------------------------------------
    def _find(self, prefix: str) -> list[str]:
        base = self._path(prefix) if prefix else self.root
        self.fs.invalidate_cache(base or None)
        try:
            paths = self._retry("listing", prefix or "/", lambda: self.fs.find(base or "/"))
        except _MISSING:
            return []
        keys = [self._key(p) for p in paths]
        start = prefix + "/" if prefix else ""
        return [k for k in keys if k.startswith(start) and k != prefix]

    def list_prefix(self, prefix: str) -> list[str]:
        return self._find(normalize_prefix(prefix))

    def list_dir(self, prefix: str = "") -> list[str]:
        prefix = normalize_prefix(prefix)
        base = self._path(prefix) if prefix else self.root
        self.fs.invalidate_cache(base or None)
        try:
            entries = self._retry("listing", prefix or "/", lambda: self.fs.ls(base or "/", detail=False))
        except _MISSING:
            return []
        start = prefix + "/" if prefix else ""
        keys = [self._key(p) for p in entries]
        return sorted({k[len(start) :].split("/", 1)[0] for k in keys if k.startswith(start) and k != prefix})

    def getsize(self, prefix: str = "") -> int:
        prefix = normalize_prefix(prefix)
        base = self._path(prefix) if prefix else self.root
        self.fs.invalidate_cache(base or None)
        try:
            found = self._retry("listing", prefix or "/", lambda: self.fs.find(base or "/", detail=True))
        except _MISSING:
            return 0
        total = 0
        for path, info in found.items():
            key = self._key(path)
            if info.get("type", "file") == "file" and (not prefix or key == prefix or key.startswith(prefix + "/")):
                total += int(info.get("size") or 0)
        return total

    def rmdir(self, prefix: str = "") -> None:
        self._check_writable(prefix)
        self.delete_many(self.list_prefix(prefix))

    # -- identity ------------------------------------------------------------------------------
    @property
    def display_name(self) -> str:
        return f"FSStore({self.url!r})"

    def __repr__(self) -> str:
        return f"FSStore({self.url!r}, mode={'r' if self.read_only else 'a'!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FSStore) and other.fs == self.fs and other.root == self.root

    def __hash__(self) -> int:
        return hash((type(self.fs).__name__, self.root))
