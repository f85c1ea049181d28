"""A parsed snapshot of a document: text, its :class:`TextIndex`, UTF-8 source and tree-sitter tree.

Every other module in ``unmask.grammar`` takes a :class:`Document` and speaks char offsets; bytes stay inside.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from tree_sitter import Node, Tree

from unmask.grammar.languages import LanguageSpec, get_language, parser_for
from unmask.grammar.positions import TextIndex, encode


@dataclass(frozen=True, eq=False)
class Document:
    """An immutable parsed snapshot. Never call ``tree.edit`` on :attr:`tree`: copy it first."""

    text: str
    spec: LanguageSpec
    index: TextIndex
    source: bytes
    tree: Tree

    @property
    def language(self) -> str:
        return self.spec.name

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def span_of(self, node: Node) -> tuple[int, int]:
        """Char offsets ``(start, end)`` of a node."""
        return self.index.offset_of_byte(node.start_byte), self.index.offset_of_byte(node.end_byte)

    def byte_of(self, offset: int) -> int:
        return self.index.byte_of(offset)


_CACHE: OrderedDict[tuple[str, str], Document] = OrderedDict()
_CACHE_LOCK = Lock()
_CACHE_SIZE = 8


def parse_document(text: str, language: str | LanguageSpec) -> Document:
    """Parse ``text``; the last few snapshots are cached so planning then validating parses once."""
    spec = language if isinstance(language, LanguageSpec) else get_language(language)
    key = (spec.name, text)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    source = encode(text)
    document = Document(text, spec, TextIndex(text), source, parser_for(spec.name).parse(source))
    with _CACHE_LOCK:
        _CACHE[key] = document
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return document
