"""Drawing a hierarchy: ``group.tree()`` as text, and as collapsible HTML in Jupyter.

Works for zarrlib groups and anything shaped like them (h5py files and groups): a node
with ``keys()`` is a group, one with ``shape`` and ``dtype`` is an array.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TreeNode:
    label: str
    children: list[TreeNode] = field(default_factory=list)
    is_array: bool = False


def is_array_like(obj: Any) -> bool:
    """An array or dataset (zarrlib, h5py, ...) rather than a group: shape and dtype, no keys."""
    return hasattr(obj, "shape") and hasattr(obj, "dtype") and not hasattr(obj, "keys")


def _label(obj: Any, name: str) -> str:
    if is_array_like(obj):
        return f"{name} {tuple(obj.shape)} {obj.dtype}"
    return name


def build_tree(obj: Any, level: int | None = None) -> TreeNode:
    """The hierarchy under ``obj`` as nested nodes, ``level`` levels deep (None: all)."""
    root_name = (getattr(obj, "name", "") or "/").rstrip("/").split("/")[-1] or "/"
    return _node(obj, root_name, level)


def _node(obj: Any, name: str, level: int | None) -> TreeNode:
    node = TreeNode(_label(obj, name), is_array=is_array_like(obj))
    if node.is_array or level == 0:
        return node
    deeper = None if level is None else level - 1
    for key in sorted(obj.keys()):
        node.children.append(_node(obj[key], key, deeper))
    return node


def render_text(node: TreeNode) -> str:
    lines = [node.label]

    def walk(n: TreeNode, prefix: str) -> None:
        for i, child in enumerate(n.children):
            last = i == len(n.children) - 1
            lines.append(f"{prefix}{'└──' if last else '├──'} {child.label}")
            walk(child, prefix + ("    " if last else "│   "))

    walk(node, " ")
    return "\n".join(lines)


def render_html(node: TreeNode, expand: bool = False) -> str:
    def item(n: TreeNode) -> str:
        label = html.escape(n.label)
        if not n.children:
            return f"<li>{label}</li>"
        inner = "".join(item(c) for c in n.children)
        return f"<li><details{' open' if expand else ''}><summary>{label}</summary><ul>{inner}</ul></details></li>"

    return f'<ul class="zarrlib-tree" style="list-style: none; font-family: monospace">{item(node)}</ul>'


class TreeView:
    """What ``group.tree()`` returns: prints as text, shows as collapsible HTML in Jupyter.

    Examples
    --------
    >>> import zarrlib as zarr
    >>> g = zarr.group()
    >>> _ = g.zeros("foo/bar", shape=(10,), dtype="i4")
    >>> _ = g.create_group("spam")
    >>> print(g.tree())
    /
     ├── foo
     │   └── bar (10,) int32
     └── spam
    """

    def __init__(self, group: Any, expand: bool = False, level: int | None = None) -> None:
        self.group = group
        self.expand = expand
        self.level = level

    def __repr__(self) -> str:
        return render_text(build_tree(self.group, self.level))

    def _repr_html_(self) -> str:
        return render_html(build_tree(self.group, self.level), self.expand)
