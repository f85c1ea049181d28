"""Snapping selections to syntax: the smallest named node (or run of sibling named nodes) that covers a
selection, the enclosing nodes of a cursor from small to large, and the enclosing node of a given kind.

All offsets in and out are char offsets. Invariant of :func:`snap_range`: the result covers the selection with
surrounding whitespace trimmed, and lies inside the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from unmask.grammar.document import Document
from unmask.grammar.errors import BadRange

#: Anonymous tokens allowed inside a run of siblings: list separators. A run may not swallow keywords or
#: structural punctuation (``class A: ...`` selected from the name on snaps to the whole class).
_SEPARATORS = (",", ";")


@dataclass(frozen=True)
class Snap:
    """A snapped span. ``kind`` is the node kind, or for a run of siblings the parent's kind;
    ``is_run`` tells which. ``node_kinds`` lists the kinds of the covered sibling nodes."""

    start: int
    end: int
    kind: str
    is_run: bool = False
    node_kinds: tuple[str, ...] = ()


def check_range(text: str, start: int, end: int) -> None:
    if not 0 <= start <= end <= len(text):
        raise BadRange(f"range {start}..{end} is not inside the text (0..{len(text)}) or is reversed")


def trim_whitespace(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past leading and trailing whitespace (an all-space range collapses to start)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def node_at(document: Document, offset: int) -> Node:
    """The smallest named node at a cursor. A cursor just after a token (before whitespace, a line end or the
    text's end) belongs to that token, as editors mean it."""
    check_range(document.text, offset, offset)
    text = document.text
    start = offset
    if offset > 0 and not text[offset - 1].isspace() and (offset == len(text) or text[offset].isspace()):
        start = offset - 1
    byte_start, byte_end = document.byte_of(start), document.byte_of(offset)
    node = document.root.named_descendant_for_byte_range(byte_start, byte_end)
    return node if node is not None else document.root


def snap_range(document: Document, start: int, end: int) -> Snap:
    """Snap a selection to the smallest named node or run of sibling named nodes that covers it."""
    check_range(document.text, start, end)
    start, end = trim_whitespace(document.text, start, end)
    if start == end:
        node = node_at(document, start)
        node_start, node_end = document.span_of(node)
        return Snap(node_start, node_end, node.type, node_kinds=(node.type,))
    byte_start, byte_end = document.byte_of(start), document.byte_of(end)
    node = document.root.named_descendant_for_byte_range(byte_start, byte_end) or document.root
    if not (node.start_byte == byte_start and node.end_byte == byte_end):
        overlapping = [c for c in node.children if c.end_byte > byte_start and c.start_byte < byte_end]
        if (
            len(overlapping) > 1
            and overlapping[0].is_named
            and overlapping[-1].is_named
            and all(child.is_named or child.type in _SEPARATORS for child in overlapping)
            and overlapping[0].start_byte <= byte_start
            and overlapping[-1].end_byte >= byte_end
            and not (overlapping[0].start_byte == node.start_byte and overlapping[-1].end_byte == node.end_byte)
        ):
            run_start = document.index.offset_of_byte(overlapping[0].start_byte)
            run_end = document.index.offset_of_byte(overlapping[-1].end_byte)
            kinds = tuple(child.type for child in overlapping if child.is_named)
            return Snap(run_start, run_end, node.type, is_run=True, node_kinds=kinds)
    node_start, node_end = document.span_of(node)
    return Snap(node_start, node_end, node.type, node_kinds=(node.type,))


def enclosing_nodes(document: Document, offset: int) -> list[Node]:
    """Every named node containing the cursor, from the smallest to the root."""
    nodes: list[Node] = []
    node: Node | None = node_at(document, offset)
    while node is not None:
        if node.is_named:
            nodes.append(node)
        node = node.parent
    return nodes


def enclosing_spans(document: Document, offset: int) -> list[tuple[str, int, int]]:
    """``(kind, start, end)`` of the enclosing named nodes, small to large, one per distinct range (the
    innermost kind of equal spans is kept: a method, not the class body it fills), so each level grows."""
    spans: list[tuple[str, int, int]] = []
    for node in enclosing_nodes(document, offset):
        start, end = document.span_of(node)
        if not spans or (spans[-1][1], spans[-1][2]) != (start, end):
            spans.append((node.type, start, end))
    return spans


def enclosing_of_kind(document: Document, offset: int, kinds: str | tuple[str, ...]) -> Node | None:
    """The smallest enclosing named node whose kind is ``kinds`` (or one of them); None if there is none."""
    wanted = (kinds,) if isinstance(kinds, str) else kinds
    for node in enclosing_nodes(document, offset):
        if node.type in wanted:
            return node
    return None
