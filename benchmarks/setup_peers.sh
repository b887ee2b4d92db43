#!/usr/bin/env bash
# Install the peers the benchmark compares zarrlib with.
#   - into the current Python: zarr-python 3, the zarrs codec pipeline, TensorStore, matplotlib
#   - into benchmarks/.venv-zarr2 (its own venv, since zarr 2 and 3 cannot coexist): zarr 2.18
# Usage: bash benchmarks/setup_peers.sh   (set SKIP_MAIN=1 to only build the zarr 2 venv)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python}"

if [ -z "${SKIP_MAIN:-}" ]; then
    "$python" -m pip install --quiet "zarr>=3,<4" zarrs tensorstore matplotlib
fi

venv="$here/.venv-zarr2"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "zarr>=2.18,<3" numpy
"$venv/bin/python" -c "import zarr, numcodecs, numpy; print('zarr', zarr.__version__, 'numcodecs', numcodecs.__version__, 'numpy', numpy.__version__)"
