"""A short coverage-guided run of atheris_fuzz.py, when atheris is installed (optional)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("atheris")

#: Inputs per run; set ZARRLIB_ATHERIS_RUNS=100000 for a long local run.
RUNS = int(os.environ.get("ZARRLIB_ATHERIS_RUNS", "200"))


def test_atheris_short_run(tmp_path):
    script = os.path.join(os.path.dirname(__file__), "atheris_fuzz.py")
    result = subprocess.run(
        [sys.executable, script, f"-atheris_runs={RUNS}", "-max_len=512", "-rss_limit_mb=1024"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done" in result.stderr, result.stderr[-2000:]
