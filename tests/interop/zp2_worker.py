"""Runs under zarr-python 2.18 in its own venv (zarr 2 and zarr 3 cannot share one).

    python zp2_worker.py write ROOT [CASE_ID ...]   write the cases' arrays under ROOT/<dirname>
    python zp2_worker.py read SRC OUT [CASE_ID ...] read SRC/<dirname>, save OUT/<dirname>.npy

Either mode writes a ``report.json`` next to its output: case id -> null, or the error
zarr-python 2 raised. The test process compares everything; this script only does I/O.
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from pathlib import Path

import numcodecs
import numpy as np
import zarr
from v2_cases import CASES, CASES_BY_ID, Case, make_data  # found next to this script


def _codec(config):
    return None if config is None else numcodecs.get_codec(dict(config))


def write(case: Case, path: Path) -> None:
    z = zarr.open_array(
        str(path),
        mode="w",
        shape=case.shape,
        chunks=case.chunks,
        dtype=case.np_dtype,
        compressor=_codec(case.compressor),
        filters=[_codec(f) for f in case.filters] or None,
        object_codec=_codec(case.object_codec),
        fill_value=case.api_fill(),
        order=case.order,
        dimension_separator=case.separator,
        write_empty_chunks=False,
    )
    z[...] = make_data(case)


def read(path: Path, out: Path) -> None:
    z = zarr.open_array(str(path), mode="r")
    data = z[...]
    np.save(out, np.asarray(data), allow_pickle=bool(z.dtype.hasobject))


def main(argv: list[str]) -> int:
    mode, *rest = argv
    if mode == "write":
        root, ids = Path(rest[0]), rest[1:]
        report_path = root / "report.json"
    elif mode == "read":
        root, out, ids = Path(rest[0]), Path(rest[1]), rest[2:]
        out.mkdir(parents=True, exist_ok=True)
        report_path = out / "report.json"
    else:
        raise SystemExit(__doc__)
    cases = [CASES_BY_ID[i] for i in ids] if ids else CASES
    report: dict[str, str | None] = {}
    for case in cases:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if mode == "write":
                    write(case, root / case.dirname)
                else:
                    read(root / case.dirname, out / f"{case.dirname}.npy")
            report[case.id] = None
        except Exception as e:
            report[case.id] = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"
    report["__versions__"] = f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__}, numpy {np.__version__}"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
