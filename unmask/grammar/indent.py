"""Indentation: detect a file's style and write a multi-line fill at the indentation of its place.

The model sees the document with the hole's indentation already in the prefix, so its continuation lines
are normally *absolute* (they carry the full indentation). A fill whose continuation lines are indented less
than the hole's line is taken as *relative* (indented from column 0) and shifted to the hole's indentation.
Tabs vs spaces are converted to the file's style; space widths are left alone (a width change is not
distinguishable from a deliberate continuation indent). Lines that start inside a multi-line string are
written as they are: their leading whitespace is the string's content.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass
from math import gcd
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

_LEADING = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class IndentStyle:
    """``unit`` is one indentation level: ``"\\t"`` or some spaces."""

    unit: str = "    "

    @property
    def uses_tabs(self) -> bool:
        return self.unit == "\t"

    @property
    def width(self) -> int:
        return 1 if self.uses_tabs else len(self.unit)


def leading_whitespace(line: str) -> str:
    match = _LEADING.match(line)
    return match.group(0) if match else ""


#: detect_indent reads at most this many characters (about 1,500 lines): a file's style shows in its first lines, and
#: scanning all of a 10,000-line file took 11 ms of every fill's planning
INDENT_SAMPLE_CHARS = 50_000


def detect_indent(text: str, default: IndentStyle = IndentStyle()) -> IndentStyle:
    """The file's indentation style: tabs if most indented lines start with a tab, else the most common
    positive step between consecutive indented lines (2, 4, 8 spaces…), read from the first
    :data:`INDENT_SAMPLE_CHARS` characters."""
    tab_lines = space_lines = 0
    steps: Counter[int] = Counter()
    previous = 0
    for line in text[:INDENT_SAMPLE_CHARS].splitlines():
        if not line.strip():
            continue
        indent = leading_whitespace(line)
        if indent.startswith("\t"):
            tab_lines += 1
            continue
        if indent:
            space_lines += 1
        width = len(indent)
        if width > previous:
            steps[width - previous] += 1
        previous = width
    if tab_lines > space_lines:
        return IndentStyle("\t")
    if not steps:
        return default
    step = steps.most_common(1)[0][0]
    return IndentStyle(" " * step) if 1 < step <= 8 else default


def detect_line_break(text: str) -> str:
    """``"\\r\\n"`` when most line breaks are CRLF, else ``"\\n"``."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def line_indent_at(text: str, offset: int) -> str:
    """The leading whitespace of the line containing char ``offset``."""
    line_start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return leading_whitespace(text[line_start:offset + 200].split("\n", 1)[0])[: max(0, offset - line_start)]


def _fill_unit(lines: list[str]) -> int:
    widths = [len(leading_whitespace(line)) for line in lines if line.strip() and not line.startswith("\t")]
    step = 0
    for width in widths:
        step = gcd(step, width)
    return step if step > 1 else 4


def _convert_style(line: str, style: IndentStyle, space_unit: int) -> str:
    indent = leading_whitespace(line)
    if not indent:
        return line
    body = line[len(indent) :]
    if style.uses_tabs and " " in indent:
        columns = sum(space_unit if ch == "\t" else 1 for ch in indent)
        return "\t" * (columns // space_unit) + " " * (columns % space_unit) + body
    if not style.uses_tabs and "\t" in indent:
        return indent.replace("\t", style.unit) + body
    return line


def reindent(fill: str, base: str, style: IndentStyle, verbatim: Container[int] = ()) -> str:
    """Write ``fill`` at a place whose line is indented by ``base``; the first line stays as it is.

    ``verbatim``: indices of lines of ``fill`` written as they are and not counted, the lines that start inside
    a multi-line string (see :func:`lines_in_strings`): their leading whitespace is the string's content.

    Invariant: a single-line fill, or one whose continuation lines are all indented at least ``base`` in the
    file's style, comes back unchanged except for tab/space conversion.
    """
    if "\n" not in fill:
        return fill
    lines = fill.split("\n")
    code = [i for i in range(1, len(lines)) if i not in verbatim]  # continuation lines that are code
    mismatched = any(
        lines[i].strip() and (("\t" in leading_whitespace(lines[i])) != style.uses_tabs) for i in code
    )
    if mismatched:
        unit = _fill_unit([lines[i] for i in code])
        for i in code:
            lines[i] = _convert_style(lines[i], style, unit)
    indented = [lines[i] for i in code if lines[i].strip()]
    if base and indented and any(not line.startswith(base) for line in indented):
        least = min(len(leading_whitespace(line)) for line in indented)
        if least < len(base):
            for i in code:
                if lines[i].strip():
                    lines[i] = base + lines[i]
    return "\n".join(lines)


def lines_in_strings(root: Node, first_row: int, count: int) -> frozenset[int]:
    """Of the ``count`` lines starting at row ``first_row`` of a parsed text, the indices (0 = ``first_row``)
    of those that start inside a string literal spanning lines (a triple-quoted string, a template or raw
    string): re-indenting them would change the string."""
    last_row = first_row + count - 1
    inside: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_point.row <= first_row or node.start_point.row >= last_row or node.start_point.row == node.end_point.row:
            continue  # no line of the range starts inside it
        if _is_string(node.type):
            for row in range(max(node.start_point.row + 1, first_row), min(node.end_point.row, last_row) + 1):
                inside.add(row - first_row)
            continue
        stack.extend(node.children)
    return frozenset(inside)


def _is_string(kind: str) -> bool:
    if kind in STRING_KINDS:
        return True
    # not Python's concatenated_string: the lines between its pieces are code
    return "string" in kind and not kind.startswith("concatenated") and not kind.endswith(("_start", "_end"))


#: string literal kinds whose names do not say "string" (Java text blocks, heredocs)
STRING_KINDS = frozenset({"text_block", "heredoc_body", "heredoc"})
