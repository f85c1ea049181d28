"""A parsed snapshot of a document: text, its :class:`TextIndex`, UTF-8 source and tree-sitter tree.

Every other module in ``unmask.grammar`` takes a :class:`Document` and speaks char offsets; bytes stay inside.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from tree_sitter import Node, Tree

from unmask.grammar.languages import LanguageSpec, get_language, parser_for
from unmask.grammar.positions import TextIndex, encode, point_of_byte


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
#: a text at least this long is parsed incrementally from the latest snapshot of its language when the two differ
#: in one stretch that leaves at least half of it as it was (an edit, a cut hole): a 10k-line file reparses in a
#: quarter of the time, and tree-sitter guarantees the same tree as a fresh parse
INCREMENTAL_MIN_BYTES = 16_384


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
    tree = _reparse(source, spec) if len(source) >= INCREMENTAL_MIN_BYTES else None
    if tree is None:
        tree = parser_for(spec.name).parse(source)
    document = Document(text, spec, TextIndex(text), source, tree)
    with _CACHE_LOCK:
        _CACHE[key] = document
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return document


def _reparse(source: bytes, spec: LanguageSpec) -> Tree | None:
    """``source`` parsed from the tree of the latest cached snapshot of the same language, as one edit; None
    when there is none or the two share less than half of ``source``."""
    with _CACHE_LOCK:
        # the latest of a similar length: a validator's small parse of one region must not hide the file
        similar = (doc for doc in reversed(_CACHE.values()) if 2 * len(doc.source) >= len(source))
        base = next((doc for doc in similar if doc.spec.name == spec.name), None)
    if base is None:
        return None
    old = base.source
    prefix = _common_prefix(old, source)
    suffix = _common_suffix(old, source, min(len(old), len(source)) - prefix)
    if 2 * (prefix + suffix) < len(source):
        return None
    old_end, new_end = len(old) - suffix, len(source) - suffix
    tree = base.tree.copy()
    points = point_of_byte(old, prefix), point_of_byte(old, old_end), point_of_byte(source, new_end)
    tree.edit(prefix, old_end, new_end, *points)
    return parser_for(spec.name).parse(source, old_tree=tree)


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix (see :func:`_common_run`)."""
    return _common_run(a, b, min(len(a), len(b)), from_end=False)


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    return _common_run(a, b, limit, from_end=True)


def _common_run(a: bytes, b: bytes, limit: int, *, from_end: bool) -> int:
    """How many bytes (at most ``limit``) ``a`` and ``b`` share at their start, or at their end; a bisection
    whose comparisons read only the part not yet known equal, so each byte is read about twice."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if from_end:
            same = a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]
        else:
            same = a[low:middle] == b[low:middle]
        if same:
            low = middle
        else:
            high = middle - 1
    return low
