"""Coverage-guided fuzzing of the metadata parsers and chunk decoders with atheris
(optional: ``pip install atheris``). Run by test_atheris.py for a short bounded run, or by
hand for a long one::

    python tests/reliability/atheris_fuzz.py -atheris_runs=200000

Input layout: the first byte picks the target (a metadata document kind or a compressor),
the rest is the document or chunk. Any exception other than the documented ones, or a
decoded chunk of the wrong shape, is a crash.
"""

from __future__ import annotations

import os
import sys

import atheris

sys.path.insert(0, os.path.dirname(__file__))

import numcodecs
import numpy as np

with atheris.instrument_imports(include=["zarrlib"]):  # coverage of zarrlib only: quick to start
    import zarrlib as zarr
    from zarrlib.errors import ChunkDecodeError

from metadata_harness import KIND_NAMES, open_document

COMPRESSORS = [None, numcodecs.Blosc("lz4"), numcodecs.Zstd(1), numcodecs.LZ4(), numcodecs.Zlib(1), numcodecs.BZ2(1)]
ARRAYS = []
for compressor in COMPRESSORS:
    z = zarr.zeros((4, 4), chunks=(4, 4), dtype="<i4", compressor=compressor, store=zarr.MemoryStore())
    ARRAYS.append(z)
SHARDED = zarr.create((8,), chunks=(2,), shards=(8,), dtype="<i2", zarr_format=3, store=zarr.MemoryStore())
ARRAYS.append(SHARDED)


def one_input(data: bytes) -> None:
    if not data:
        return
    target, body = data[0], data[1:]
    if target < 128:
        open_document(KIND_NAMES[target % len(KIND_NAMES)], body)
        return
    z = ARRAYS[target % len(ARRAYS)]
    key = "c/0" if z is SHARDED else "0.0"
    z.store[key] = body
    for selection in (Ellipsis, slice(1, 3)):
        try:
            got = z[selection]
        except ChunkDecodeError:
            continue
        assert got.shape == np.empty(z.shape)[selection].shape and got.dtype == z.dtype


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
