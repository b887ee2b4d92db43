"""Shared fixtures: every test runs in its own temporary working directory."""

from __future__ import annotations

import pytest

#: the moto S3 server fixtures (s3_server, s3, ...), for tests/remote and tests/integrations
pytest_plugins = ["s3_fixtures"]


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """Tutorial code writes relative paths ('example.zarr'); keep them out of the repo."""
    monkeypatch.chdir(tmp_path)
