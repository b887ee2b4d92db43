"""The ``.zarray`` document: parsed once into ArrayMetadataV2, written as zarr-python 2 writes it."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

import zarrlib
from zarrlib.errors import MetadataError
from zarrlib.metadata.v2 import ArrayMetadataV2, GroupMetadataV2, dump_json

# The v2 spec's worked example ("Storing a single array"), as zarr-python 2.18 prints it:
# sorted keys, 4-space indents, and the dimension_separator key it added after the spec.
SPEC_EXAMPLE = """{
    "chunks": [
        10,
        10
    ],
    "compressor": {
        "id": "zlib",
        "level": 1
    },
    "dimension_separator": ".",
    "dtype": "<i4",
    "fill_value": 42,
    "filters": null,
    "order": "C",
    "shape": [
        20,
        20
    ],
    "zarr_format": 2
}"""


def doc(**changes) -> dict:
    base = {
        "zarr_format": 2,
        "shape": [20, 20],
        "chunks": [10, 10],
        "dtype": "<i4",
        "compressor": {"id": "zlib", "level": 1},
        "fill_value": 42,
        "order": "C",
        "filters": None,
        "dimension_separator": ".",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def raw(**changes) -> bytes:
    return json.dumps(doc(**changes)).encode()


def test_spec_example_text_exactly():
    meta = ArrayMetadataV2.from_json(raw())
    assert meta.to_json().decode("ascii") == SPEC_EXAMPLE


def test_created_array_writes_spec_example():
    store: dict = {}
    zarrlib.create(
        shape=(20, 20), chunks=(10, 10), dtype="i4", fill_value=42, compressor=zarrlib.Zlib(level=1), store=store
    )
    assert store[".zarray"].decode("ascii") == SPEC_EXAMPLE


def test_parsed_fields():
    meta = ArrayMetadataV2.from_json(raw(dtype=">f8", fill_value="NaN", order="F", dimension_separator="/"))
    assert meta.shape == (20, 20) and meta.chunks == (10, 10)
    assert meta.dtype == np.dtype(">f8") and meta.dtype.byteorder == ">"
    assert math.isnan(meta.fill_value)
    assert (meta.order, meta.dimension_separator) == ("F", "/")
    assert meta.compressor == {"id": "zlib", "level": 1}
    assert meta.chunk_key((1, 0)) == "1/0"


ROUND_TRIP = [
    doc(),
    doc(dtype=">f8", fill_value="-Infinity", order="F"),
    doc(dtype="<c16", fill_value=["NaN", 1.0], compressor=None),
    doc(dtype="<M8[ns]", fill_value=None, dimension_separator="/"),
    doc(dtype=[["a", "<i4"], ["b", ">f8", [2]]], fill_value="AQAAAAAAAAAAAAAAAAAAAAAAAAA="),
    doc(dtype=[["x", [["p", "|u1"]]]], fill_value=None),
    doc(dtype="|S3", fill_value="YWI="),
    doc(dtype="<U2", fill_value="zé"),
    doc(dtype="|O", fill_value="", filters=[{"id": "vlen-utf8"}]),
    doc(filters=[{"id": "delta", "dtype": "<i4", "astype": "<i2"}]),
    doc(shape=[], chunks=[], fill_value=0),
    doc(shape=[0, 3], chunks=[1, 1]),
    doc(compressor={"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}),
]


@pytest.mark.parametrize("document", ROUND_TRIP, ids=[f"case{i}" for i in range(len(ROUND_TRIP))])
def test_round_trip_keeps_every_field(document):
    text = dump_json(document)
    meta = ArrayMetadataV2.from_json(text)
    assert json.loads(meta.to_json()) == document
    assert meta.to_json() == text  # same bytes: the formatting is canonical
    again = ArrayMetadataV2.from_json(meta.to_json())
    assert again.to_json() == meta.to_json()


def test_lenient_reading():
    """Optional and legacy forms zarr-python also reads."""
    meta = ArrayMetadataV2.from_json(raw(dimension_separator=..., filters=[]))
    assert meta.dimension_separator == "."
    assert meta.filters is None  # an empty list means no filters
    assert ArrayMetadataV2.from_json(raw(dimension_separator=None)).dimension_separator == "."
    extra = ArrayMetadataV2.from_json(raw(something_else={"a": 1}))
    assert extra.extra == {"something_else": {"a": 1}}  # ignored, as the spec asks
    assert "something_else" not in json.loads(extra.to_json())
    # unquoted NaN (Python's json) is read like "NaN"
    assert math.isnan(
        ArrayMetadataV2.from_json(
            b'{"zarr_format": 2, "shape": [1], "chunks": [1], "dtype": "<f8", '
            b'"compressor": null, "fill_value": NaN, "order": "C", '
            b'"filters": null}'
        ).fill_value
    )


def test_numpy_values_in_codec_configs_are_written_as_json():
    meta = ArrayMetadataV2.from_json(raw())
    meta = replace(meta, compressor={"id": "zlib", "level": np.int64(1)}, filters=({"id": "x", "s": np.float32(0.5)},))
    written = json.loads(meta.to_json())
    assert written["compressor"] == {"id": "zlib", "level": 1}
    assert written["filters"] == [{"id": "x", "s": 0.5}]
    with pytest.raises(TypeError, match="cannot be written as JSON"):
        dump_json({"a": object()})


BAD = [
    (b"{not json", "does not hold valid JSON"),
    (b"[1, 2]", "must hold a JSON object"),
    (b"\xff\xfe", "does not hold valid JSON"),
    (raw(zarr_format=3), "zarr_format must be 2, got 3"),
    (raw(zarr_format=...), "zarr_format must be 2, got None"),
    (raw(shape=...), "required field 'shape' is missing"),
    (raw(filters=...), "required field 'filters' is missing"),
    (raw(fill_value=...), "required field 'fill_value' is missing"),
    (raw(shape=[-1, 20]), "shape entries must be integers >= 0"),
    (raw(shape="20"), "shape must be a list of integers"),
    (raw(shape=[20.5, 20]), "shape entries must be integers"),
    (raw(chunks=[0, 10]), "chunks entries must be integers >= 1"),
    (raw(chunks=[-5, 10]), "chunks entries must be integers >= 1"),
    (raw(chunks=[True, 10]), "chunks entries must be integers"),
    (raw(chunks=[10]), "chunks [10] and shape [20, 20] differ in length"),
    (raw(chunks=[2**30, 2**30]), "exceed 1 TiB per chunk"),
    (raw(dtype="<i3"), "dtype: unsupported or malformed dtype '<i3'"),
    (raw(dtype="<M8"), "dtype: unsupported or malformed dtype '<M8'"),
    (raw(dtype=[["a"]]), "dtype: unsupported or malformed dtype [['a']]"),
    (raw(dtype="|O"), "object dtype without an object codec in filters"),
    (raw(order="X"), "order must be 'C' or 'F', got 'X'"),
    (raw(compressor="zlib"), "compressor must be null or an object with a string 'id'"),
    (raw(compressor={"level": 1}), "compressor must be null or an object with a string 'id'"),
    (raw(filters={"id": "delta"}), "filters must be null or a list"),
    (raw(filters=[{"id": 5}]), "each filter must be null or an object with a string 'id'"),
    (raw(dimension_separator="-"), "dimension_separator must be '.' or '/', got '-'"),
    (raw(fill_value="x"), "fill_value: cannot decode 'x'"),
    (raw(fill_value=2**40), "fill_value: cannot decode 1099511627776"),
    (raw(dtype="|S3", fill_value=[1]), "fill_value: cannot decode [1]"),
]


@pytest.mark.parametrize(("document", "why"), BAD, ids=[w.split(":")[0][:40] + f"-{i}" for i, (_, w) in enumerate(BAD)])
def test_bad_zarray_names_key_and_field(document, why):
    with pytest.raises(MetadataError) as info:
        ArrayMetadataV2.from_json(document, key="grp/arr/.zarray")
    message = str(info.value)
    assert message.startswith("'grp/arr/.zarray'")
    assert why in message


@pytest.mark.parametrize(
    ("compressor", "filters", "why"),
    [
        ({"id": "nope"}, None, "compressor: unknown codec id 'nope'"),
        (None, [{"id": "zlib"}, {"id": "nope2"}], "filters[1]: unknown codec id 'nope2'"),
        ({"id": "zlib", "lvl": 1}, None, "compressor: invalid config"),
    ],
    ids=["unknown-compressor", "unknown-filter", "bad-codec-args"],
)
def test_unknown_codec_on_open_names_key_and_field(compressor, filters, why):
    store = {"grp/arr/.zarray": raw(compressor=compressor, filters=filters)}
    before = dict(store)
    with pytest.raises(MetadataError) as info:
        zarrlib.open_array(store, path="grp/arr", mode="r")
    assert "'grp/arr/.zarray'" in str(info.value)
    assert why in str(info.value)
    assert store == before


def test_group_document():
    assert GroupMetadataV2().to_json() == b'{\n    "zarr_format": 2\n}'
    assert GroupMetadataV2.from_json(b'{"zarr_format": 2}') == GroupMetadataV2()
    with pytest.raises(MetadataError, match=r"'g/\.zgroup': zarr_format must be 2"):
        GroupMetadataV2.from_json(b'{"zarr_format": 3}', key="g/.zgroup")
