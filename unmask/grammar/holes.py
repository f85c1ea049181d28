"""Finding the holes in a document: the places a fill goes.

A hole is one of:

* the **marker** (default :data:`DEFAULT_MARKER` = ``___``, three underscores). It is a valid identifier in
  every supported language, so a file with holes still parses: write it where an expression goes
  (``x = ___``) or as a whole statement (``___`` in Python, ``___;`` in C-like languages); a statement made
  only of the marker is filled as a whole statement, semicolon included. Occurrences inside strings or
  comments are ignored. Any other marker text may be configured; it is found as a whole token.
* a **placeholder body** of a Python function (``pass``, ``...``, ``raise NotImplementedError``; a docstring
  before it is kept) or a Rust function (``todo!()``, ``unimplemented!()``). Class bodies and ``except: pass``
  are not holes: those are usually meant.
* an **empty body** ``{}`` of a function or method in the brace languages (comments inside count as empty);
  the span is the inside of the braces.

Each hole carries its char span and the kind of the node it stands for. The function-body patterns live in
``queries/<language>.scm``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node, QueryCursor

from unmask.grammar.document import Document
from unmask.grammar.languages import query_for

#: The default hole marker: an identifier, so valid syntax wherever an expression or statement goes.
DEFAULT_MARKER = "___"

_PLACEHOLDER_MACROS = {"todo", "unimplemented"}
_STRINGISH = ("string", "comment", "char_literal", "character_literal", "raw_string", "template")


@dataclass(frozen=True)
class Hole:
    """One hole. ``start``/``end``: char span to replace. ``kind``: node kind the fill stands for.
    ``reason``: ``marker``, ``placeholder`` or ``empty_body``. ``context``: kind of the enclosing named node."""

    start: int
    end: int
    kind: str | None
    reason: str
    context: str | None = None


def find_holes(document: Document, marker: str = DEFAULT_MARKER) -> list[Hole]:
    """All holes, sorted by position; overlapping finds keep the first."""
    holes = _marker_holes(document, marker) + _body_holes(document)
    holes.sort(key=lambda hole: (hole.start, hole.end))
    kept: list[Hole] = []
    for hole in holes:
        if kept and hole.start < kept[-1].end:
            continue
        if kept and hole.start == kept[-1].start and hole.end == kept[-1].end:
            continue
        kept.append(hole)
    return kept


def find_marker_spans(text: str, marker: str = DEFAULT_MARKER) -> list[tuple[int, int]]:
    """Plain-text occurrences of the marker as a whole word: holes of a document in an unknown language."""
    return [(m.start(), m.end()) for m in _marker_pattern(marker).finditer(text)]


def _marker_pattern(marker: str) -> re.Pattern[str]:
    escaped = re.escape(marker)
    head = r"(?<![\w])" if re.match(r"\w", marker) else ""
    tail = r"(?![\w])" if re.search(r"\w$", marker) else ""
    return re.compile(head + escaped + tail)


def _inside_string_or_comment(node: Node) -> bool:
    current: Node | None = node
    while current is not None:
        if any(word in current.type for word in _STRINGISH):
            return True
        current = current.parent
    return False


def _marker_holes(document: Document, marker: str) -> list[Hole]:
    if not marker:
        return []
    holes: list[Hole] = []
    source = document.source
    for start, end in find_marker_spans(document.text, marker):
        byte_start, byte_end = document.byte_of(start), document.byte_of(end)
        token = document.root.descendant_for_byte_range(byte_start, byte_end)
        if token is None:
            continue
        whole_token = token.start_byte == byte_start and token.end_byte == byte_end
        if not whole_token or (_inside_string_or_comment(token) and "comment" not in token.type):
            continue
        node = token
        parent = node.parent
        while (
            parent is not None
            and parent.parent is not None
            and parent.start_byte == byte_start
            and source[byte_end : parent.end_byte].strip() in (b"", b";")
        ):
            node = parent
            parent = parent.parent
        hole_start, hole_end = document.span_of(node)
        context = parent.type if parent is not None else None
        kind = node.type if node.is_named else None
        holes.append(Hole(hole_start, hole_end, kind, "marker", context))
    return holes


def _body_holes(document: Document) -> list[Hole]:
    query = query_for(document.language)
    if query is None:
        return []
    holes: list[Hole] = []
    for body in QueryCursor(query).captures(document.root).get("body", []):
        hole = _body_hole(document, body)
        if hole is not None:
            holes.append(hole)
    return holes


def _body_hole(document: Document, body: Node) -> Hole | None:
    context = body.parent.type if body.parent is not None else None
    statements = [child for child in body.named_children if "comment" not in child.type]
    if document.language == "python":
        if statements and _is_docstring(statements[0]):
            statements = statements[1:]
        if not statements and body.start_byte == body.end_byte:
            # `def f():` with nothing after: insert at the end of the header line.
            offset = document.index.offset_of_byte(body.start_byte)
            return Hole(offset, offset, body.type, "empty_body", context)
        if len(statements) == 1 and _is_python_placeholder(statements[0]):
            start, end = document.span_of(statements[0])
            return Hole(start, end, body.type, "placeholder", context)
        return None
    if document.language == "rust" and len(statements) == 1 and _is_rust_placeholder(statements[0]):
        start, end = document.span_of(statements[0])
        return Hole(start, end, body.type, "placeholder", context)
    if statements or body.child_count < 2:
        return None
    opening, closing = body.children[0], body.children[-1]
    if opening.type != "{" or closing.type != "}":
        return None
    start = document.index.offset_of_byte(opening.end_byte)
    end = document.index.offset_of_byte(closing.start_byte)
    return Hole(start, end, body.type, "empty_body", context)


def _is_docstring(node: Node) -> bool:
    return node.type == "expression_statement" and node.named_child_count == 1 and node.named_children[0].type in (
        "string",
        "concatenated_string",
    )


def _is_python_placeholder(node: Node) -> bool:
    if node.type == "pass_statement":
        return True
    if node.type == "expression_statement" and node.named_child_count == 1:
        return node.named_children[0].type == "ellipsis"
    if node.type == "raise_statement" and node.text is not None:
        raised = node.text.decode("utf-8", "replace")[len("raise") :].strip()
        return raised in ("NotImplementedError", "NotImplementedError()")
    return False


def _is_rust_placeholder(node: Node) -> bool:
    if node.type == "expression_statement" and node.named_child_count == 1:
        node = node.named_children[0]
    if node.type != "macro_invocation":
        return False
    macro = node.child_by_field_name("macro")
    return macro is not None and macro.text is not None and macro.text.decode() in _PLACEHOLDER_MACROS
