"""The syntax layer: pure functions on text, backed by tree-sitter. Imports nothing else of unmask.

languages: registry (name / LSP languageId / extension -> grammar), cached parsers.
positions: char offsets <-> UTF-8 bytes <-> LSP (line, UTF-16) positions.
document:  a parsed snapshot.   spans: snapping and enclosing nodes.   holes: finding holes.
indent:    indentation style and re-indenting fills.   validate: reparse-and-compare checks.
stops:     the syntax-aware stop rule for AR continuation.   errors: what this layer raises.
"""

from unmask.grammar.document import Document, parse_document
from unmask.grammar.errors import BadEdits, BadRange, GrammarError, NoHoles, UnknownLanguage
from unmask.grammar.holes import DEFAULT_MARKER, Hole, find_holes
from unmask.grammar.languages import LANGUAGES, LanguageSpec, available_languages, find_language, get_language
from unmask.grammar.positions import TextIndex

__all__ = [
    "DEFAULT_MARKER",
    "LANGUAGES",
    "BadEdits",
    "BadRange",
    "Document",
    "GrammarError",
    "Hole",
    "LanguageSpec",
    "NoHoles",
    "TextIndex",
    "UnknownLanguage",
    "available_languages",
    "find_holes",
    "find_language",
    "get_language",
    "parse_document",
]
