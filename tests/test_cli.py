"""The `zarrlib demo` command a newcomer runs first."""

from __future__ import annotations

import subprocess
import sys

import zarrlib as zarr
from zarrlib.cli import main


def test_demo_runs_the_tutorial_workflow_and_verifies(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "Array((10000, 10000), int32, chunks=(1000, 1000), order=C)" in out
    assert "initialized: 100/100" in out
    assert "Success" in out
    reopened = zarr.open_array(str(tmp_path / "demo" / "example.zarr"), mode="r")
    assert reopened[0, 9999] == 9999 and reopened[5000, 5000] == 42


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "zarrlib", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "demo" in result.stdout
