"""Span infill on held-out real code, by node kind.

The held-out split (``heldout.jsonl`` from ``python -m unmask.model.data``: files the model never trained on,
chosen by a hash of their path) is parsed with tree-sitter and every node of the kinds below becomes a
candidate span; a seeded sample of ``limit`` spans per kind is filled with the rest of the file as context.

Kinds (the hole's ``HoleSpec.kind`` in brackets, which picks the engine's length prior):

* ``expression`` [expression]: the right side of an assignment or the value of a ``return``, one line;
* ``call_arguments`` [argument_list]: what is between the parentheses of a call, one line;
* ``condition`` [condition]: the condition of an ``if``/``elif``/``while``, one line;
* ``statement`` [the statement's type]: one simple statement (expression, return, raise, assert...), at
  most 3 lines;
* ``line`` [line]: one whole line of a function body, from its first character to its end;
* ``block`` [block]: the body of an ``if``/``for``/``while``/``with``/``try`` inside a function, 2-8 lines;
* ``function_body`` [function_body]: a function's body after its docstring, 2-12 lines.

Spans are char ranges of the file; the model never sees the original text or its length (except in the
oracle-length comparison, which gives the length in tokens).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from unmask.grammar.document import Document, parse_document

DEFAULT_HELDOUT = Path.home() / ".cache" / "unmask" / "corpus" / "heldout.jsonl"
KINDS: tuple[str, ...] = (
    "expression", "call_arguments", "condition", "statement", "line", "block", "function_body",
)
#: The HoleSpec kind sent to the engine for each benchmark kind (None: the node's own type).
HOLE_KIND: dict[str, str | None] = {
    "expression": "expression",
    "call_arguments": "argument_list",
    "condition": "condition",
    "statement": None,
    "line": "line",
    "block": "block",
    "function_body": "function_body",
}
SIMPLE_STATEMENTS = frozenset({
    "expression_statement", "return_statement", "raise_statement", "assert_statement", "delete_statement",
    "global_statement", "nonlocal_statement", "import_statement", "import_from_statement",
})
#: (min, max) characters of a span, by kind.
SIZE = {
    "expression": (3, 80), "call_arguments": (3, 80), "condition": (3, 80), "statement": (6, 160),
    "line": (6, 100), "block": (20, 320), "function_body": (20, 360),
}
#: (min, max) lines of a span, by kind.
LINES = {"statement": (1, 3), "block": (2, 8), "function_body": (2, 12)}
#: Files longer than this are skipped (they are mostly tables; parsing them would dominate the sampling time).
MAX_FILE_CHARS = 60_000


@dataclass(frozen=True)
class Span:
    path: str
    kind: str
    hole_kind: str
    start: int
    end: int
    text: str  # the file

    @property
    def prefix(self) -> str:
        return self.text[: self.start]

    @property
    def middle(self) -> str:
        return self.text[self.start : self.end]

    @property
    def suffix(self) -> str:
        return self.text[self.end :]

    @property
    def id(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"


def read_heldout(path: Path) -> list[tuple[str, str]]:
    """``(path, text)`` of the held-out files, sorted by path."""
    files = []
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                record = json.loads(line)
                files.append((str(record["path"]), str(record["text"])))
    return sorted(files)


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _inside_function(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "function_definition":
            return True
        parent = parent.parent
    return False


def _docstring_end(block: Node) -> Node | None:
    """The first statement after a leading docstring (or the first statement)."""
    children = block.named_children
    if not children:
        return None
    first = children[0]
    if first.type == "expression_statement" and first.named_children and first.named_children[0].type == "string":
        return children[1] if len(children) > 1 else None
    return first


def candidate_spans(path: str, document: Document) -> Iterator[tuple[str, str, int, int]]:
    """``(kind, hole_kind, start, end)`` char spans of every candidate node in one file."""
    text = document.text
    for node in _walk(document.root):
        if node.has_error:
            continue
        kind: str | None = None
        target: tuple[int, int] | None = None
        hole_kind: str | None = None
        parent = node.parent
        if parent is not None and (
            parent.type == "return_statement"
            or (parent.type in ("assignment", "augmented_assignment") and node == parent.child_by_field_name("right"))
        ):
            kind, target = "expression", document.span_of(node)
        elif node.type == "argument_list" and node.named_child_count and text[document.span_of(node)[0]] == "(":
            start, end = document.span_of(node)
            kind, target = "call_arguments", (start + 1, end - 1)
        elif parent is not None and parent.type in ("if_statement", "elif_clause", "while_statement") and node == parent.child_by_field_name("condition"):
            kind, target = "condition", document.span_of(node)
        elif node.type in SIMPLE_STATEMENTS and parent is not None and parent.type == "block":
            kind, target, hole_kind = "statement", document.span_of(node), node.type
        elif node.type == "block" and parent is not None and parent.type != "function_definition" and parent.type != "class_definition" and _inside_function(node):
            kind, target = "block", document.span_of(node)
        elif node.type == "block" and parent is not None and parent.type == "function_definition":
            first = _docstring_end(node)
            if first is not None:
                kind, target = "function_body", (document.span_of(first)[0], document.span_of(node)[1])
        if kind is None or target is None:
            continue
        yield kind, hole_kind or HOLE_KIND[kind] or kind, target[0], target[1]
    yield from _line_spans(document)


def _line_spans(document: Document) -> Iterator[tuple[str, str, int, int]]:
    text = document.text
    for node in _walk(document.root):
        if node.type != "function_definition" or node.has_error:
            continue
        body = node.child_by_field_name("body")
        first = _docstring_end(body) if body is not None else None
        if body is None or first is None:
            continue
        start, end = document.span_of(first)[0], document.span_of(body)[1]
        line_start = text.rfind("\n", 0, start) + 1
        for line in text[line_start:end].split("\n"):
            content = line.strip()
            offset = line_start + len(line) - len(line.lstrip())
            line_start += len(line) + 1
            if content and not content.startswith("#") and any(char.isalnum() for char in content):
                yield "line", "line", offset, offset + len(content)


def _acceptable(kind: str, text: str, start: int, end: int) -> bool:
    middle = text[start:end]
    low, high = SIZE[kind]
    if not low <= len(middle) <= high or not middle.strip():
        return False
    lines = middle.count("\n") + 1
    low_lines, high_lines = LINES.get(kind, (1, 1))
    return low_lines <= lines <= high_lines


def sample_spans(heldout: Path, limit: int, seed: int = 0, kinds: tuple[str, ...] = KINDS) -> dict[str, list[Span]]:
    """``limit`` spans per kind, sampled with ``random.Random(seed)`` from all candidates (deterministic)."""
    by_kind: dict[str, list[Span]] = {kind: [] for kind in kinds}
    for path, text in read_heldout(heldout):
        if len(text) > MAX_FILE_CHARS:
            continue
        document = parse_document(text, "python")
        for kind, hole_kind, start, end in candidate_spans(path, document):
            if kind in by_kind and _acceptable(kind, text, start, end):
                by_kind[kind].append(Span(path, kind, hole_kind, start, end, text))
    rng = random.Random(seed)
    return {kind: rng.sample(spans, min(limit, len(spans))) for kind, spans in by_kind.items()}
