"""The exceptions the syntax layer raises. All derive from :class:`GrammarError`.

Only ``unmask.server`` turns them into LSP errors and only the CLI turns them into ``path:line: message``.
"""

from __future__ import annotations


class GrammarError(Exception):
    """Base class of every error raised by ``unmask.grammar`` and ``unmask.editing``."""


class UnknownLanguage(GrammarError):
    """No grammar is registered for this language name, LSP languageId or file extension."""


class BadRange(GrammarError):
    """A range or position lies outside the document or is reversed."""


class NoHoles(GrammarError):
    """The document has no holes to fill."""


class BadEdits(GrammarError):
    """Edits overlap or lie outside the text they are applied to."""
