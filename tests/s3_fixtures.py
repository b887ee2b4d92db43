"""A real S3-compatible server for the tests: moto's server, in this process, on 127.0.0.1
and a free port. A pytest plugin (``pytest_plugins`` of ``tests/conftest.py``), so that
``tests/remote`` and ``tests/integrations`` (the LocalCluster workers reach it over loopback)
share one server.

Fixtures:

- ``s3_server`` (session): the running ``MotoS3Server`` (``endpoint_url``, ``storage_options``,
  ``stop()``/``start()`` for fault injection, ``requests`` counters).
- ``s3`` (function): an empty bucket on it, as an ``S3Bucket`` with ``endpoint_url``,
  ``storage_options`` and ``url(name)``; the server is emptied after each test.
- ``s3_endpoint_url`` / ``s3_storage_options``: the two plain values.
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

BUCKET = "zarrlib-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RequestLog:
    """What the server saw: every request (method, path) and the most served at once."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.max_in_flight = 0

    def count(self, method: str, path_part: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and path_part in p)


class MotoS3Server:
    """moto's S3 server in a thread; ``stop()`` closes the socket (new connections are
    refused), ``start()`` serves again on the same port with the same data."""

    def __init__(self, port: int | None = None) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.port = port or free_port()
        self.log = RequestLog()
        self._app = DomainDispatcherApplication(create_backend_app)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def storage_options(self) -> dict[str, Any]:
        """s3fs options that reach this server (dummy credentials)."""
        return {
            "anon": False,
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": self.endpoint_url},
        }

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        log = self.log
        with log.lock:
            log.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
            log.in_flight += 1
            log.max_in_flight = max(log.max_in_flight, log.in_flight)
        try:
            return self._app(environ, start_response)
        finally:
            with log.lock:
                log.in_flight -= 1

    def start(self) -> None:
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="moto-s3")
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()  # type: ignore[union-attr]
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def reset(self) -> None:
        """Forget every bucket and object."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


@dataclass(frozen=True)
class S3Bucket:
    """An empty bucket on the test server."""

    endpoint_url: str
    storage_options: dict[str, Any]
    bucket: str

    def url(self, name: str = "") -> str:
        return f"s3://{self.bucket}/{name}" if name else f"s3://{self.bucket}"

    def filesystem(self) -> Any:
        import s3fs

        return s3fs.S3FileSystem(**self.storage_options)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoS3Server]:
    pytest.importorskip("moto.moto_server.werkzeug_app", reason="needs moto[server]")
    pytest.importorskip("s3fs", reason="needs s3fs")
    server = MotoS3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server: MotoS3Server) -> Iterator[S3Bucket]:
    import s3fs

    if not s3_server.running:  # a fault-injection test that failed half way
        s3_server.start()
    s3fs.S3FileSystem.clear_instance_cache()  # no listings cached from an earlier test
    bucket = S3Bucket(s3_server.endpoint_url, s3_server.storage_options, BUCKET)
    bucket.filesystem().mkdir(BUCKET)
    s3_server.log.clear()
    yield bucket
    if not s3_server.running:
        s3_server.start()
    s3_server.reset()
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def s3_endpoint_url(s3: S3Bucket) -> str:
    return s3.endpoint_url


@pytest.fixture
def s3_storage_options(s3: S3Bucket) -> dict[str, Any]:
    return dict(s3.storage_options)
