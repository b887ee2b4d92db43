"""Building numcodecs codecs from stored configs, with the few guards zarrlib adds."""

from __future__ import annotations

import lzma
from typing import Any

import numcodecs
from numcodecs.abc import Codec

from ..errors import CodecError

#: Codecs that execute code from the stored data when decoding.
UNSAFE_CODEC_IDS = frozenset({"pickle"})


class _LZMAFiltersInHeader(numcodecs.LZMA):
    """LZMA whose filters live in the stream header (xz/alone formats).

    numcodecs passes ``filters`` back to ``lzma.decompress``, which only accepts them for
    raw streams; an xz stream names its own filters, so decoding ignores the config's.
    """

    def decode(self, buf: Any, out: Any = None) -> Any:
        from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy

        data = lzma.decompress(ensure_contiguous_ndarray(buf), format=self.format)
        return ndarray_copy(data, out)


def build_codec(config: dict[str, Any], *, allow_pickle: bool = False, where: str = "") -> Codec:
    """A numcodecs codec for a stored config; the error names ``where`` the config came from."""
    config = dict(config)
    codec_id = config.get("id")
    if codec_id in UNSAFE_CODEC_IDS and not allow_pickle:
        raise CodecError(
            f"{where}codec {codec_id!r} runs code stored in the data when decoding; "
            "open with allow_pickle=True only if you trust the source"
        )
    if codec_id == "lzma" and config.get("filters") and config.get("format", 1) != lzma.FORMAT_RAW:
        params = {k: v for k, v in config.items() if k != "id"}
        return _LZMAFiltersInHeader(**params)
    try:
        return numcodecs.get_codec(config)
    except (ValueError, TypeError, KeyError) as e:
        raise CodecError(f"{where}unknown or invalid codec config {config!r} ({e})") from None


def codec_config(codec: Codec) -> dict[str, Any]:
    """The JSON config of a codec, as stored in ``.zarray``."""
    return codec.get_config()


def describe_codec(codec: Codec) -> str:
    """A one-line description as zarr's reports show it, e.g. ``Blosc(cname='lz4', clevel=5, shuffle=1)``."""
    if isinstance(codec, numcodecs.Blosc):
        text = f"Blosc(cname={codec.cname!r}, clevel={codec.clevel}, shuffle={int(codec.shuffle)}"
        return text + (f", blocksize={codec.blocksize})" if codec.blocksize else ")")
    return repr(codec)
