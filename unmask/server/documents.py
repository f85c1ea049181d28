"""The open documents, kept exactly as the client has them.

We keep our own store rather than pygls' workspace because pygls splits lines with ``str.splitlines`` (which
also breaks at form feeds, ``\\x85``, ``\\u2028``…) while LSP lines end only at ``\\n``, ``\\r\\n`` and
``\\r``: an incremental change near such a character would silently desynchronise the text. Changes are
applied with :class:`unmask.server.convert.LineIndex`, the one place positions are converted.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from unmask.server.convert import BadPosition, LineIndex
from unmask.server.jobs import Snapshot

logger = logging.getLogger(__name__)


class UnknownDocument(LookupError):
    """A request named a document that is not open (or was dropped after a bad change)."""


class Documents:
    def __init__(self) -> None:
        self._documents: dict[str, Snapshot] = {}

    def __contains__(self, uri: str) -> bool:
        return uri in self._documents

    def open(self, item: types.TextDocumentItem) -> None:
        self._documents[item.uri] = Snapshot(item.uri, item.version, item.text, item.language_id)

    def close(self, uri: str) -> None:
        self._documents.pop(uri, None)

    def change(self, params: types.DidChangeTextDocumentParams) -> None:
        """Apply the changes in order; on a change that does not fit the text, drop the document and raise."""
        uri = params.text_document.uri
        document = self.snapshot(uri)
        text = document.text
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                try:
                    start, end = LineIndex(text).span(change.range)
                except BadPosition as exc:
                    self.close(uri)
                    raise BadPosition(f"{uri}: change does not fit the document ({exc}); reopen it") from exc
                text = text[:start] + change.text + text[end:]
            else:
                text = change.text
        self._documents[uri] = Snapshot(uri, params.text_document.version, text, document.language_id)

    def snapshot(self, uri: str) -> Snapshot:
        """The document as it is now: an immutable value, safe to compute on while edits arrive."""
        try:
            return self._documents[uri]
        except KeyError:
            raise UnknownDocument(f"{uri} is not open: send textDocument/didOpen first") from None

    def version(self, uri: str) -> int | None:
        document = self._documents.get(uri)
        return None if document is None else document.version
