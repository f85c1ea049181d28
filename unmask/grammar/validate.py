"""Validating a fill: apply it, reparse incrementally, and reject it if it breaks the syntax.

A :class:`FillChecker` is built once per plan (it holds the original tree and its error count) and then
checks many candidates cheaply: the original tree is copied, told about the edits (``tree.edit``) and
reparsed with it as the old tree, so tree-sitter reuses everything outside the holes.

A candidate is rejected when the new tree has more ERROR/MISSING nodes than the original (so a document that
was already broken elsewhere can still be filled), or when a span whose kind must hold (see
:func:`kind_must_hold`) no longer parses as a node of that kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Node, Tree

from unmask.grammar.document import Document
from unmask.grammar.languages import LanguageSpec, available_languages, parser_for
from unmask.grammar.positions import encode

#: Node kinds that keep their kind when regenerated: definitions, declarations, Rust items, blocks, lists.
_KIND_WORDS = ("definition", "declaration", "item", "block", "body", "parameters", "argument_list", "arguments")


def kind_must_hold(kind: str | None) -> bool:
    """True for kinds a regeneration must keep (a function stays a function); statements and expressions
    may change kind (``x = 1`` may become ``return 1``)."""
    return kind is not None and any(word in kind for word in _KIND_WORDS)


def count_errors(node: Node) -> int:
    """Number of ERROR and MISSING nodes under ``node`` (only subtrees that contain errors are walked).

    A MISSING token of a hidden rule (Python's ``_newline``) is invisible to every node API; it shows only as
    ``has_error`` on its parent with no erroneous child, and counts as one error there.
    """
    if not node.has_error:
        return 0
    count = 0
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            count += 1
        flagged = [child for child in current.children if child.has_error or child.is_missing]
        if not flagged and not (current.is_error or current.is_missing):
            count += 1
        stack.extend(flagged)
    return count


def guess_language(text: str) -> str | None:
    """The registry name whose grammar parses ``text`` with the fewest errors (Python first on a tie: the
    shipped model's language); None for blank text or when no grammar is installed. For code that comes
    without a name: a JSONL line with no ``language``."""
    if not text.strip():
        return None
    source = encode(text)
    best: tuple[int, str] | None = None
    for name in available_languages():
        if name == "tsx":
            continue  # TypeScript with JSX: chosen by name only, never guessed
        errors = count_errors(parser_for(name).parse(source).root_node)
        if best is None or errors < best[0]:
            best = (errors, name)
        if errors == 0:
            break  # the registry's order is the preference: Python comes first
    return None if best is None else best[1]


def first_error(node: Node) -> Node | None:
    """The first ERROR or MISSING node in document order, or the node holding a hidden MISSING token."""
    if not node.has_error:
        return None
    for child in node.children:
        if child.is_error or child.is_missing:
            found = first_error(child) if child.is_error else None
            return found or child
        if child.has_error:
            return first_error(child) or child
    return node


@dataclass(frozen=True)
class Verdict:
    """``ok``: the fill is acceptable. ``reason``: why not. ``error_line``: 0-based line of the first new
    syntax error in the filled text, when there is one."""

    ok: bool
    reason: str | None = None
    error_line: int | None = None


class FillChecker:
    """Checks fills of fixed char ``spans`` of a :class:`Document`. ``keep_kinds[i]`` is the kind span ``i``
    must still parse as, or None. Fills must already be placed (re-indented)."""

    def __init__(
        self, document: Document, spans: Sequence[tuple[int, int]], keep_kinds: Sequence[str | None] = ()
    ) -> None:
        self.document = document
        self.spans = tuple(spans)
        self.keep_kinds = tuple(keep_kinds) or (None,) * len(self.spans)
        self.byte_spans = tuple((document.byte_of(s), document.byte_of(e)) for s, e in self.spans)
        self.base_errors = count_errors(document.root)

    def parse_filled(self, fills: Sequence[str]) -> tuple[Tree, bytes, list[tuple[int, int]]]:
        """Reparse the document with ``fills`` in place; returns the new tree, its source and the byte span of
        each fill in the new source."""
        if len(fills) != len(self.spans):
            raise ValueError(f"{len(fills)} fills for {len(self.spans)} spans")
        source = self.document.source
        encoded = [encode(fill) for fill in fills]
        tree = self.document.tree.copy()
        index = self.document.index
        for (start, end), new in zip(reversed(self.byte_spans), reversed(encoded), strict=True):
            start_point = index.point_of_byte(start, source)
            old_end_point = index.point_of_byte(end, source)
            lines = new.count(b"\n")
            if lines:
                new_end_point = (start_point[0] + lines, len(new) - new.rfind(b"\n") - 1)
            else:
                new_end_point = (start_point[0], start_point[1] + len(new))
            tree.edit(start, end, start + len(new), start_point, old_end_point, new_end_point)
        pieces: list[bytes] = []
        new_spans: list[tuple[int, int]] = []
        cursor = length = 0
        for (start, end), new in zip(self.byte_spans, encoded, strict=True):
            pieces.append(source[cursor:start])
            length += start - cursor
            new_spans.append((length, length + len(new)))
            pieces.append(new)
            length += len(new)
            cursor = end
        pieces.append(source[cursor:])
        new_source = b"".join(pieces)
        new_tree = parser_for(self.document.language).parse(new_source, old_tree=tree)
        return new_tree, new_source, new_spans

    def check(self, fills: Sequence[str]) -> Verdict:
        tree, source, new_spans = self.parse_filled(fills)
        errors = count_errors(tree.root_node)
        if errors > self.base_errors:
            node = first_error(tree.root_node)
            line = node.start_point[0] if node is not None else None
            where = f" at line {line + 1}" if line is not None else ""
            return Verdict(False, f"the fill adds a syntax error{where}", line)
        for kind, (start, end) in zip(self.keep_kinds, new_spans, strict=True):
            if kind is None:
                continue
            if kind == tree.root_node.type:
                continue  # the whole document is still a document
            chunk = source[start:end]
            inner_start = start + len(chunk) - len(chunk.lstrip())
            inner_end = end - (len(chunk) - len(chunk.rstrip()))
            kinds = _kinds_with_range(tree.root_node, inner_start, inner_end) | _kinds_with_range(
                tree.root_node, start, end
            )
            if inner_start >= inner_end or kind not in kinds:
                return Verdict(False, f"the fill is no longer a {kind}")
        return Verdict(True)

    def __call__(self, fills: Sequence[str]) -> bool:
        return self.check(fills).ok


def _kinds_with_range(root: Node, start: int, end: int) -> set[str]:
    node = root.named_descendant_for_byte_range(start, end)
    kinds: set[str] = set()
    while node is not None and node.start_byte == start and node.end_byte == end:
        kinds.add(node.type)
        node = node.parent
    return kinds


def is_valid(document: Document, spans: Sequence[tuple[int, int]], fills: Sequence[str]) -> bool:
    """One-off check (builds a :class:`FillChecker`)."""
    return FillChecker(document, spans).check(fills).ok


def tree_key(text: str, spec: LanguageSpec | None) -> tuple[str, ...]:
    """What two fills share exactly when they are the same code: their parse trees, as a pre-order walk of node
    types, leaf texts and subtree ends, with comments and whitespace left out (so ``f(a,b)`` and ``f( a, b )``
    meet, while a line indented into another block does not). Unknown language: the whitespace-separated words."""
    if spec is None:
        return tuple(text.split())
    tree = parser_for(spec.name).parse(encode(text))
    key: list[str] = []
    stack: list[Node | None] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node is None:
            key.append(")")
            continue
        if "comment" in node.type:
            continue
        if node.child_count == 0:
            key.append(node.type + "=" + (node.text or b"").decode("utf-8", "replace"))
            continue
        key.append(node.type)
        stack.append(None)
        stack.extend(reversed(node.children))
    return tuple(key)

