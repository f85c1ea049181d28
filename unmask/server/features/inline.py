"""``textDocument/inlineCompletion`` (LSP 3.18) and its fallback ``textDocument/completion``.

At an append point the model continues autoregressively; inside code it fills at the cursor by diffusion
(both decided by :func:`unmask.editing.plan_cursor`). When the request carries a non-empty
``context.selectedCompletionInfo.range``, that range is regenerated and the item replaces it.
A result for a document version other than the one requested is dropped (empty answer), never offered, and so
is one that adds a syntax error. An inline completion answers from the engine's first round: it does not sample
a second one when nothing parses, as the commands do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from unmask.editing import plan_cursor, plan_range
from unmask.server.convert import LineIndex
from unmask.server.errors import lsp_errors
from unmask.server.features.generate import (
    Generation,
    document_language,
    generate,
    request_options,
    stale_reason,
)

if TYPE_CHECKING:
    from unmask.server.app import UnmaskServer


async def _complete_at(
    ls: UnmaskServer,
    uri: str,
    position: types.Position,
    selection: types.Range | None,
    token: types.ProgressToken | None,
) -> tuple[Generation, LineIndex] | None:
    with lsp_errors(ls):
        snapshot = ls.documents.snapshot(uri)
        index = LineIndex(snapshot.text)
        language = document_language(ls, snapshot)
        options = request_options(ls)
        span = index.span(selection) if selection is not None else None
        if span is not None and span[0] < span[1]:
            plan = plan_range(snapshot.text, language, span[0], span[1], **options)
        else:
            plan = plan_cursor(snapshot.text, language, index.offset(position), **options)
        generation = await generate(ls, snapshot, plan, title="completion", token=token, retry=False,
                                      append_lines=False)
    if stale_reason(ls, snapshot) is not None or not generation.edits:
        return None
    if generation.valid is False:
        return None  # ghost text that adds a syntax error is not offered (commands say why instead)
    if not any(edit.new_text.strip() for edit in generation.edits):
        return None  # only whitespace: nothing worth showing
    return generation, index


def _single_edit(generation: Generation, index: LineIndex) -> tuple[types.Range, str]:
    """The one contiguous replacement the generation amounts to (a completion item is one edit)."""
    edits = sorted(generation.edits, key=lambda edit: edit.start)
    start, end = edits[0].start, edits[-1].end
    text = generation.snapshot.text
    pieces: list[str] = []
    cursor = start
    for edit in edits:
        pieces.append(text[cursor : edit.start])
        pieces.append(edit.new_text)
        cursor = edit.end
    pieces.append(text[cursor:end])
    return index.range(start, end), "".join(pieces)


async def inline_completion(
    ls: UnmaskServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    selected = params.context.selected_completion_info
    found = await _complete_at(
        ls,
        params.text_document.uri,
        params.position,
        selected.range if selected else None,
        params.work_done_token,
    )
    if found is None:
        return types.InlineCompletionList(items=[])
    range_, new_text = _single_edit(*found)
    item = types.InlineCompletionItem(insert_text=new_text, range=range_)
    return types.InlineCompletionList(items=[item])


async def completion(ls: UnmaskServer, params: types.CompletionParams) -> types.CompletionList | None:
    """The fallback for clients without inline completion: one item whose edit is the generated text."""
    found = await _complete_at(ls, params.text_document.uri, params.position, None, params.work_done_token)
    if found is None:
        return types.CompletionList(is_incomplete=True, items=[])
    generation, index = found
    range_, new_text = _single_edit(generation, index)
    # A completion edit must be on one line and contain the cursor; otherwise clients reject it.
    cursor = params.position
    if range_.start.line != range_.end.line or range_.start.line != cursor.line:
        return types.CompletionList(is_incomplete=True, items=[])
    if not range_.start.character <= cursor.character <= range_.end.character:
        return types.CompletionList(is_incomplete=True, items=[])
    label = next((line.strip() for line in new_text.splitlines() if line.strip()), new_text) or "(empty)"
    item = types.CompletionItem(
        label=label[:60],
        kind=types.CompletionItemKind.Snippet,
        detail=f"unmask ({generation.result.mode}, {generation.result.steps} steps)",
        documentation=new_text,
        text_edit=types.TextEdit(range=range_, new_text=new_text),
        insert_text_format=types.InsertTextFormat.PlainText,
        filter_text=generation.snapshot.text[index.offset(range_.start) : index.offset(cursor)],
        sort_text="0",
    )
    return types.CompletionList(is_incomplete=True, items=[item])
