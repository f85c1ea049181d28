"""LSP <-> domain conversions: the only module that knows about UTF-16 columns and LSP ranges.

The domain (unmask.editing, unmask.model.api) speaks Python ``str`` character offsets into a snapshot text.
LSP speaks ``(line, character)`` where ``character`` counts UTF-16 code units (the server always negotiates
UTF-16, which every client supports). Lines end at ``\\n``, ``\\r\\n`` or ``\\r``.

Positions are checked, never guessed: a line past the end of the document, a column inside a UTF-16
surrogate pair or an inverted range raise :class:`BadPosition`, which the server turns
into an ``InvalidParams`` error. As the LSP spec says, a column past the end of its line means the line end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lsprotocol import types

from unmask.editing import TextEdit
from unmask.grammar.languages import find_language
from unmask.grammar.positions import TextIndex, utf16_length


class BadPosition(ValueError):
    """A position or range that does not exist in the document; the message says which and why."""


class LineIndex:
    """Maps character offsets of one snapshot text to LSP positions (UTF-16) and back, strictly.

    Wraps :class:`unmask.grammar.positions.TextIndex` (the line table and UTF-16 arithmetic) and adds the
    checks a server needs before it edits anything: lines that do not exist and columns inside a surrogate
    pair are errors here rather than rounded.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._index = TextIndex(text)

    @property
    def line_count(self) -> int:
        return self._index.line_count

    def offset(self, position: types.Position) -> int:
        """The character offset of ``position``; raises :class:`BadPosition`."""
        line, column = position.line, position.character
        if line < 0 or column < 0:
            raise BadPosition(f"position {line}:{column} is negative")
        if line >= self._index.line_count:
            # (line_count, 0) is where some clients put "end of document".
            if line == self._index.line_count and column == 0:
                return len(self.text)
            raise BadPosition(f"line {line} is past the end of the document ({self._index.line_count} lines)")
        offset = self._index.offset_of(line, column)
        line_start = self._index.line_start(line)
        if offset < self._index.line_end(line) and utf16_length(self.text[line_start:offset]) != column:
            raise BadPosition(f"position {line}:{column} is inside a surrogate pair")
        return offset

    def position(self, offset: int) -> types.Position:
        """The LSP position of character ``offset`` (0 <= offset <= len(text))."""
        if not 0 <= offset <= len(self.text):
            raise BadPosition(f"offset {offset} is outside the document (0..{len(self.text)})")
        line, column = self._index.position_of(offset)
        return types.Position(line=line, character=column)

    def span(self, range_: types.Range) -> tuple[int, int]:
        """``range_`` as (start, end) character offsets; raises :class:`BadPosition` for an inverted range."""
        start, end = self.offset(range_.start), self.offset(range_.end)
        if end < start:
            raise BadPosition(
                f"range end {range_.end.line}:{range_.end.character} is before its start "
                f"{range_.start.line}:{range_.start.character}"
            )
        return start, end

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))


def lsp_text_edits(index: LineIndex, edits: Iterable[TextEdit]) -> list[types.TextEdit]:
    """Domain edits (offsets into ``index.text``) as LSP text edits."""
    return [types.TextEdit(range=index.range(edit.start, edit.end), new_text=edit.new_text) for edit in edits]


def versioned_workspace_edit(
    uri: str, version: int, index: LineIndex, edits: Sequence[TextEdit]
) -> types.WorkspaceEdit:
    """A WorkspaceEdit with one TextDocumentEdit for ``version``: clients refuse it if the doc moved on."""
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    changes = types.TextDocumentEdit(text_document=document, edits=lsp_text_edits(index, edits))
    return types.WorkspaceEdit(document_changes=[changes])


def registry_language(language_id: str) -> str | None:
    """The unmask.grammar language for an LSP languageId, or None when there is no grammar for it."""
    spec = find_language(language_id)
    return None if spec is None else spec.name
