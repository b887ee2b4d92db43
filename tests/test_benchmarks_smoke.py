"""The benchmark harness runs end to end (``--quick``, zarrlib and the floor only) and every
zarrlib read it times returned the right data (the worker checks and records errors)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cmd = [sys.executable, str(RUN), "--quick", "--peers", "zarrlib", "--repeat", "1", "--no-plot", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return out, json.loads((out / "results.json").read_text())


@pytest.mark.skipif(not RUN.exists(), reason="benchmarks/ not present")
@pytest.mark.parametrize("peer", ["floor", "zarrlib"])
def test_quick_run_times_every_operation(quick_run, peer):
    _, run = quick_run
    result = run["peers"][peer]
    assert "unavailable" not in result and "failure" not in result
    for w in run["workloads"]:
        ops = result["workloads"][w["name"]]
        for op in w["ops"]:
            assert ops[op]["error"] is None, f"{peer} {w['name']} {op}: {ops[op]['error']}"
            assert len(ops[op]["times"]) == 1 and ops[op]["times"][0] > 0
        assert ops["read"]["peak_traced"] >= w["shape"][0] * w["shape"][1] * (8 if w["dtype"] == "float64" else 4)


@pytest.mark.skipif(not RUN.exists(), reason="benchmarks/ not present")
def test_quick_run_writes_markdown_report(quick_run):
    out, run = quick_run
    md = (out / "results.md").read_text()
    assert "## Targets (from the issue)" in md
    for w in run["workloads"]:
        assert f"### {w['name']}:" in md
    assert "| zarr3 |" not in md  # peers not asked for are not reported
