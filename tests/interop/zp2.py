"""Find, or build once, a Python interpreter that has zarr-python 2.18.

zarr 2 and zarr 3 cannot share an environment, so zarr-python 2 lives in its own venv,
``.venv-zp2`` at the repository root. When none is found the suite builds it (about 20 s, from
the package registry) so that the README's test command runs the zarr-python 2 interop tests
on a fresh machine too. ``ZARRLIB_ZP2_PYTHON`` points at another interpreter instead;
``ZARRLIB_ZP2_BUILD=0`` turns the build off (those tests then skip).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-zp2"
REQUIREMENTS = ["zarr>=2.18,<3", "numcodecs", "msgpack"]


def _has_zarr2(python: Path | str) -> bool:
    if not Path(python).exists():
        return False
    probe = subprocess.run(
        [str(python), "-c", "import zarr, sys; sys.exit(0 if zarr.__version__.startswith('2.') else 1)"],
        capture_output=True,
        timeout=120,
    )
    return probe.returncode == 0


def _build_venv() -> Path | None:
    python = VENV / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=300)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return python


@functools.cache
def zarr2_python() -> str | None:
    """The path of a python with zarr 2 installed, or None when there is none and none can be built."""
    explicit = os.environ.get("ZARRLIB_ZP2_PYTHON")
    if explicit:
        return explicit if _has_zarr2(explicit) else None
    python = VENV / "bin" / "python"
    if _has_zarr2(python):
        return str(python)
    if os.environ.get("ZARRLIB_ZP2_BUILD", "1") == "0":
        return None
    built = _build_venv()
    return str(built) if built is not None and _has_zarr2(built) else None
