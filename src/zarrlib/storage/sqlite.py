"""A store in one SQLite database file: a whole hierarchy in a single, transactional file.

Keys and values live in one table ``zarr(k TEXT PRIMARY KEY, v BLOB)``. The database uses
write-ahead logging, so any number of readers (threads or processes) can read while one
writer writes; each write commits on its own, and ``set_many``/``delete_many`` commit as one
transaction. Commits are synced at WAL checkpoints (``synchronous=NORMAL``): the database
cannot be corrupted, but a power cut may lose the most recent commits.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import InvalidKeyError
from .base import ByteRange, Store, normalize_prefix, validate_key

#: How long a writer waits for another process's write lock before failing (seconds).
BUSY_TIMEOUT = 30.0


class SQLiteStore(Store):
    """Keys and values in an SQLite database (standard library ``sqlite3``).

    Parameters
    ----------
    path
        The database file (created if missing), or ``":memory:"``.
    read_only
        Open the database read-only; it must exist.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> with zarr.SQLiteStore("data.sqlite") as store:
    ...     g = zarr.group(store=store)
    ...     z = g.zeros("x", shape=(4,), chunks=(2,), dtype="i4")
    ...     z[:] = 5
    >>> with zarr.SQLiteStore("data.sqlite", read_only=True) as store:
    ...     zarr.open_group(store, mode="r")["x"][:].tolist()
    [5, 5, 5, 5]
    """

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False) -> None:
        path = os.fspath(path)
        self.path = path if path == ":memory:" else os.path.abspath(path)
        self.read_only = read_only
        self._mutex = threading.RLock()
        if read_only:
            if self.path == ":memory:" or not os.path.exists(self.path):
                raise FileNotFoundError(f"SQLiteStore: no database at {self.path!r} to open read-only")
            uri = "file:" + _quote_path(self.path) + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, check_same_thread=False)
        else:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, check_same_thread=False)
        conn.isolation_level = None  # autocommit; transactions are explicit in the batch methods
        self._conn: sqlite3.Connection | None = conn
        if not read_only:
            conn.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL never corrupts the database; a power cut may lose the last commits.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS zarr (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError(f"SQLiteStore {self.path!r} is closed")
        return self._conn

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._mutex:
            return self._db().execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- the store interface --------------------------------------------------------------
    def _get(self, key: str) -> bytes:
        rows = self._query("SELECT v FROM zarr WHERE k = ?", (key,))
        if not rows:
            raise KeyError(key)
        return bytes(rows[0][0])

    def get_range(self, key: str, byte_range: ByteRange) -> bytes:
        key = validate_key(key)
        if byte_range.start < 0 or byte_range.stop is None:
            return byte_range.apply(self[key])
        length = max(0, byte_range.stop - byte_range.start)
        rows = self._query("SELECT substr(v, ?, ?) FROM zarr WHERE k = ?", (byte_range.start + 1, length, key))
        if not rows:
            raise KeyError(key)
        return bytes(rows[0][0])

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        keys = [validate_key(k) for k in keys]
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
            batch = keys[start : start + 500]
            marks = ",".join("?" * len(batch))
            found.update((k, bytes(v)) for k, v in self._query(f"SELECT k, v FROM zarr WHERE k IN ({marks})", batch))
        return found

    def _set(self, key: str, value: bytes) -> None:
        self._query("INSERT OR REPLACE INTO zarr (k, v) VALUES (?, ?)", (key, value))

    def set_many(self, items: Mapping[str, bytes]) -> None:
        rows = []
        for key, value in items.items():
            self._check_writable(key)
            rows.append((validate_key(key), bytes(value)))
        self._transaction("INSERT OR REPLACE INTO zarr (k, v) VALUES (?, ?)", rows)

    def _delete(self, key: str) -> None:
        with self._mutex:
            cursor = self._db().execute("DELETE FROM zarr WHERE k = ?", (key,))
            if cursor.rowcount == 0:
                raise KeyError(key)

    def delete_many(self, keys: Iterable[str]) -> None:
        rows = [(validate_key(k),) for k in keys]
        if rows:
            self._check_writable(rows[0][0])
            self._transaction("DELETE FROM zarr WHERE k = ?", rows)

    def _transaction(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self._mutex:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(sql, rows)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _iter_keys(self) -> Iterator[str]:
        return iter([k for (k,) in self._query("SELECT k FROM zarr ORDER BY k")])

    def __contains__(self, key: object) -> bool:
        try:
            key = validate_key(key)  # type: ignore[arg-type]
        except InvalidKeyError:  # a key no store may hold is in none
            return False
        return bool(self._query("SELECT 1 FROM zarr WHERE k = ?", (key,)))

    def __len__(self) -> int:
        return self._query("SELECT COUNT(*) FROM zarr")[0][0]

    # '/' + 1 == '0': every key below "p/" sorts in ["p/", "p0"), so prefixes are index range scans.
    def list_prefix(self, prefix: str) -> list[str]:
        prefix = normalize_prefix(prefix)
        if not prefix:
            return list(self._iter_keys())
        rows = self._query("SELECT k FROM zarr WHERE k >= ? AND k < ? ORDER BY k", (prefix + "/", prefix + "0"))
        return [k for (k,) in rows]

    def getsize(self, prefix: str = "") -> int:
        prefix = normalize_prefix(prefix)
        if not prefix:
            return self._query("SELECT COALESCE(SUM(LENGTH(v)), 0) FROM zarr")[0][0]
        sql = "SELECT COALESCE(SUM(LENGTH(v)), 0) FROM zarr WHERE k = ? OR (k >= ? AND k < ?)"
        return self._query(sql, (prefix, prefix + "/", prefix + "0"))[0][0]

    def rmdir(self, prefix: str = "") -> None:
        self._check_writable(prefix)
        prefix = normalize_prefix(prefix)
        if not prefix:
            self._query("DELETE FROM zarr")
        else:
            self._query("DELETE FROM zarr WHERE k >= ? AND k < ?", (prefix + "/", prefix + "0"))

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        return isinstance(other, SQLiteStore) and other.path == self.path and self.path != ":memory:"

    __hash__ = object.__hash__

    def __getstate__(self) -> dict[str, Any]:
        if self.path == ":memory:":
            raise TypeError("an in-memory SQLiteStore cannot be pickled")
        return {"path": self.path, "read_only": self.read_only}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], read_only=state["read_only"])  # type: ignore[misc]


def _quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
