"""Selecting the places to regenerate in a parsed document: holes, tree-sitter query captures, ast-grep matches.

A :class:`Place` is one selected place: one or more char spans of the document that are filled together in
one request (so a query match whose ``@hole`` is split by a pinned capture is still one fill). Places of a
document are sorted and disjoint: a place overlapping an earlier one (a nested function matched twice) is
dropped, the outer one kept.

* :class:`HoleSelector`: every hole (:mod:`unmask.grammar.holes`): markers, placeholder and empty bodies.
* :class:`QuerySelector`: a tree-sitter query; per match, the captures named ``hole`` (or ``hole.<x>``) are
  regenerated and every other capture is *pinned*: kept verbatim even inside a hole (the hole is cut around
  it). Nodes of one hole capture in a match (a quantified ``(_)+ @hole``) form one span.
* :class:`PatternSelector`: an ast-grep pattern (``def $F($$$ARGS): $$$BODY``) and the metavariable names
  (``BODY``) whose matched nodes are regenerated; the rest of the match is pinned.

Offsets are char offsets; a span that must keep its node kind (see
:func:`unmask.grammar.validate.kind_must_hold`) carries it in ``keep_kinds``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from tree_sitter import Node, Query, QueryCursor, QueryError

from unmask.grammar.document import Document
from unmask.grammar.holes import DEFAULT_MARKER, find_holes
from unmask.grammar.languages import ts_language
from unmask.grammar.validate import kind_must_hold
from unmask.refactor.errors import SelectionError


@dataclass(frozen=True)
class Place:
    """Char ``spans`` filled together; ``kinds[i]``: node kind of span i (None if not one node);
    ``keep_kinds[i]``: the kind span i must still parse as, or None."""

    spans: tuple[tuple[int, int], ...]
    kinds: tuple[str | None, ...]
    keep_kinds: tuple[str | None, ...]

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


class Selector(Protocol):
    """Finds the places of a document. ``describe`` names it for messages."""

    def places(self, document: Document) -> list[Place]: ...

    def describe(self) -> str: ...


def _single(start: int, end: int, kind: str | None, keep: bool = True) -> Place:
    return Place(((start, end),), (kind,), (kind if keep and kind_must_hold(kind) else None,))


def disjoint(places: list[Place]) -> tuple[list[Place], int]:
    """Sort places and drop those overlapping an earlier (outer) one; returns the kept and the dropped count."""
    ordered = sorted(places, key=lambda place: (place.start, -place.end))
    kept: list[Place] = []
    for place in ordered:
        if kept and place.start < kept[-1].end:
            continue
        if kept and place.start == place.end == kept[-1].end == kept[-1].start:
            continue
        kept.append(place)
    return kept, len(ordered) - len(kept)


@dataclass(frozen=True)
class HoleSelector:
    marker: str = DEFAULT_MARKER

    def places(self, document: Document) -> list[Place]:
        # Like `unmask fill --holes`, a hole may become any statement or expression: no kind is kept.
        return [_single(hole.start, hole.end, hole.kind, keep=False) for hole in find_holes(document, self.marker)]

    def describe(self) -> str:
        return f"holes ({self.marker!r} markers, placeholder and empty bodies)"


def _is_hole_capture(name: str) -> bool:
    return name == "hole" or name.startswith("hole.")


def _subtract(span: tuple[int, int], pinned: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [span]
    for pin_start, pin_end in sorted(pinned):
        next_pieces: list[tuple[int, int]] = []
        for start, end in pieces:
            if pin_end <= start or pin_start >= end:
                next_pieces.append((start, end))
                continue
            if start < pin_start:
                next_pieces.append((start, pin_start))
            if pin_end < end:
                next_pieces.append((pin_end, end))
        pieces = next_pieces
    return [(start, end) for start, end in pieces if start < end]


def _place_of(hole_groups: list[tuple[tuple[int, int], str | None]], pinned: list[tuple[int, int]]) -> Place | None:
    """One place from hole spans (with the kind of their node, None for several nodes) minus pinned spans."""
    spans: list[tuple[int, int]] = []
    kinds: list[str | None] = []
    keep: list[str | None] = []
    for span, kind in sorted(hole_groups):
        pieces = _subtract(span, pinned)
        whole = pieces == [span]
        for piece in pieces:
            if spans and piece[0] < spans[-1][1]:
                continue  # two hole captures overlap: the first wins
            spans.append(piece)
            kinds.append(kind if whole else None)
            keep.append(kind if whole and kind_must_hold(kind) else None)
    if not spans:
        return None
    return Place(tuple(spans), tuple(kinds), tuple(keep))


class QuerySelector:
    """Places from a tree-sitter query (see module docstring); compiled once per language."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: dict[str, Query | SelectionError] = {}

    def describe(self) -> str:
        return "query captures named @hole"

    def query_for(self, language: str) -> Query:
        """The compiled query; raises :class:`SelectionError` when it does not compile for ``language`` or
        has no ``@hole`` capture."""
        compiled = self._compiled.get(language)
        if compiled is None:
            try:
                query = Query(ts_language(language), self.source)
                names = [query.capture_name(i) for i in range(query.capture_count)]
                if not any(_is_hole_capture(name) for name in names):
                    raise SelectionError(f"the query has no @hole capture (captures: {', '.join(names) or 'none'})")
                compiled = query
            except QueryError as exc:
                compiled = SelectionError(f"the query does not compile for {language}: {exc}")
            except SelectionError as exc:
                compiled = exc
            self._compiled[language] = compiled
        if isinstance(compiled, SelectionError):
            raise compiled
        return compiled

    def places(self, document: Document) -> list[Place]:
        query = self.query_for(document.language)
        found: list[Place] = []
        for _pattern, captures in QueryCursor(query).matches(document.root):
            holes: list[tuple[tuple[int, int], str | None]] = []
            pinned: list[tuple[int, int]] = []
            for name, nodes in captures.items():
                spans = [document.span_of(node) for node in nodes]
                if _is_hole_capture(name):
                    holes.append(((min(s for s, _ in spans), max(e for _, e in spans)), _kind_of(nodes)))
                else:
                    pinned.extend(spans)
            place = _place_of(holes, pinned)
            if place is not None:
                found.append(place)
        return found


def _kind_of(nodes: list[Node]) -> str | None:
    return nodes[0].type if len(nodes) == 1 else None


_METAVARIABLE = re.compile(r"\$\$?\$?([A-Z_][A-Z0-9_]*)")


class PatternSelector:
    """Places from an ast-grep pattern; ``holes`` are metavariable names without ``$``."""

    def __init__(self, pattern: str, holes: list[str]) -> None:
        self.pattern = pattern
        self.holes = [name.lstrip("$") for name in holes]
        named = set(_METAVARIABLE.findall(pattern))
        absent = [name for name in self.holes if name not in named]
        if not self.holes:
            raise SelectionError("--pattern needs --hole NAME: the metavariable to regenerate")
        if absent:
            raise SelectionError(
                f"--hole {', '.join(absent)}: no such metavariable in the pattern "
                f"(it has: {', '.join(sorted(named)) or 'none'})"
            )

    def describe(self) -> str:
        return f"ast-grep pattern, metavariable(s) {', '.join('$' + name for name in self.holes)}"

    def places(self, document: Document) -> list[Place]:
        from ast_grep_py import SgRoot  # imported on use: only --pattern needs it

        try:
            matches = SgRoot(document.text, document.language).root().find_all(pattern=self.pattern)
        except BaseException as exc:  # ast-grep raises RuntimeErrors, and pyo3 panics (BaseException)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            raise SelectionError(f"the pattern does not apply to {document.language}: {exc}") from None
        found: list[Place] = []
        for match in matches:
            holes: list[tuple[tuple[int, int], str | None]] = []
            for name in self.holes:
                nodes = match.get_multiple_matches(name)
                if not nodes:
                    single = match.get_match(name)
                    nodes = [single] if single is not None else []
                if not nodes:
                    continue
                # ast-grep positions are char offsets, like ours.
                start, end = nodes[0].range().start.index, nodes[-1].range().end.index
                holes.append(((start, end), nodes[0].kind() if len(nodes) == 1 else None))
            place = _place_of(holes, [])
            if place is not None:
                found.append(place)
        return found
