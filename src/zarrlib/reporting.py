"""Human-readable reports of arrays (their repr and ``.info``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .codecs.registry import describe_codec

if TYPE_CHECKING:
    from .core import Array


def human_readable_size(size: int) -> str:
    """Bytes as zarr's reports show them: ``323``, ``21.8K``, ``381.5M``, ``1.5G``."""
    for power, suffix in ((50, "P"), (40, "T"), (30, "G"), (20, "M"), (10, "K")):
        if size >= 2**power:
            return f"{size / 2**power:.1f}{suffix}"
    return str(size)


def array_report(array: Array) -> str:
    """The multi-line report shown by ``repr(array)`` and ``array.info``."""
    head = f"{array.name}, " if array.path else ""
    lines = [f"Array({head}{array.shape}, {array.dtype}, chunks={array.chunks}, order={array.order})"]
    if getattr(array, "zarr_format", 2) == 3:  # v3: the shard shape and the format
        shards = f", shards={array.shards}" if array.shards else ""
        lines[0] = f"Array({head}{array.shape}, {array.dtype}, chunks={array.chunks}{shards}, zarr_format=3)"
    stored = array.nbytes_stored
    ratio = f"{array.nbytes / stored:.1f}" if stored else "inf"
    lines.append(
        f"  nbytes: {human_readable_size(array.nbytes)}; nbytes_stored: {human_readable_size(stored)}; "
        f"ratio: {ratio}; initialized: {array.nchunks_initialized}/{array.nchunks}"
    )
    if array.filters:
        lines.append(f"  filters: {', '.join(describe_codec(f) for f in array.filters)}")
    if array.compressor is not None:
        lines.append(f"  compressor: {describe_codec(array.compressor)}")
    if getattr(array, "codecs", None):
        lines.append(f"  codecs: {', '.join(c.describe() for c in array.codecs)}")
    if getattr(array, "dimension_names", None):
        lines.append(f"  dimension_names: {', '.join(repr(n) for n in array.dimension_names)}")
    store_line = f"  store: {array.store.display_name}"
    if array.chunk_store is not None:
        store_line += f"; chunk_store: {array.chunk_store.display_name}"
    if array.synchronizer is not None:
        store_line += f"; synchronizer: {type(array.synchronizer).__name__}"
    lines.append(store_line)
    return "\n".join(lines)


class InfoReport:
    """What ``array.info`` returns: prints as the array's report, computed when shown."""

    def __init__(self, array: Array) -> None:
        self._array = array

    def __repr__(self) -> str:
        return array_report(self._array)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(array_report(self._array))}</pre>"
