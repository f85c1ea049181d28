"""The main flows over the real wire with the real shipped model (slow; skipped until the weights exist)."""

from __future__ import annotations

import asyncio
import os

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from unmask.grammar.document import parse_document

#: UNMASK_TEST_MODEL=path runs these flows on another model folder (e.g. while the shipped one is training).
OTHER_MODEL = os.environ.get("UNMASK_TEST_MODEL")

pytestmark = [pytest.mark.slow] + ([] if OTHER_MODEL else [pytest.mark.usefixtures("needs_shipped_model")])

URI = "file:///work/shapes.py"
SOURCE = """import math


def circle_area(radius):
    return math.pi * radius ** 2


def square_area(side):
    return side * side


def total_area(shapes):
    total = 0
    for kind, size in shapes:
        if kind == "circle":
            total += circle_area(size)
        else:
            total += square_area(size)
    return total
"""
#: the shipped model, a few candidates so the server can pick one that parses
REAL: dict[str, object] = {"candidates": 4, **({"modelPath": OTHER_MODEL} if OTHER_MODEL else {})}


def parses(text: str) -> bool:
    return not parse_document(text, "python").tree.root_node.has_error


async def test_model_loads_in_the_background_and_reports_ready(session) -> None:
    async with session(REAL) as editor:
        assert editor.initialize_result.capabilities.inline_completion_provider is not None
        status = await editor.ready()
        assert status["state"] == "ready", status
        assert status["model"] and status["model"] != "fake"


async def test_code_action_resolves_to_an_edit_whose_result_parses(session) -> None:
    async with session(REAL) as editor:
        editor.open(URI, SOURCE)
        line = SOURCE.splitlines().index("    return side * side")
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            range=types.Range(start=types.Position(line, 4), end=types.Position(line, 22)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        actions = await editor.client.text_document_code_action_async(params)
        action = next(action for action in actions if action.title == "Regenerate selection")
        try:
            resolved = await editor.client.code_action_resolve_async(action)
        except JsonRpcException as exc:
            # the young shipped model may find no rewrite that parses: the server refuses and says why
            assert "parses" in str(exc), exc
            assert editor.text(URI) == SOURCE
        else:
            assert resolved.edit is not None
            if resolved.edit.document_changes:
                assert editor.apply(resolved.edit)
        assert parses(editor.text(URI))
        assert [step for step in editor.steps if step["uri"] == URI]  # the span sharpened step by step


async def test_fill_holes_with_the_real_model_gives_a_parsing_file(session) -> None:
    source = SOURCE.replace("    return side * side\n", "    ___\n").replace("total = 0", "total = ___")
    async with session(REAL) as editor:
        editor.open(URI, source)
        result = await editor.command("unmask.fillHoles", uri=URI, version=1)
        if result["applied"]:
            assert "___" not in editor.text(URI)
        else:
            # the young shipped model may find no fill that parses: then nothing is written, and it says so
            assert "parses" in result["reason"], result
            assert editor.text(URI) == source
        assert parses(editor.text(URI))


async def test_inline_completion_at_an_append_point_and_inside_code(session) -> None:
    async with session(REAL) as editor:
        append = SOURCE + "\n\ndef rectangle_area(width, height):\n    "
        editor.open(URI, append)
        lines = append.split("\n")
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(len(lines) - 1, 4),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
        result = await editor.client.text_document_inline_completion_async(params)
        assert len(result.items) <= 1
        for item in result.items:
            assert item.insert_text.strip()
        inside = "file:///work/inside.py"
        editor.open(inside, SOURCE.replace("total = 0", "total = "))
        line = SOURCE.splitlines().index("    total = 0")
        params.text_document = types.TextDocumentIdentifier(uri=inside)
        params.position = types.Position(line, 12)
        result = await editor.client.text_document_inline_completion_async(params)
        for item in result.items:
            assert item.range is not None and item.range.start.line == line
        # at the end of a file that parses, ghost text that would break it is never offered
        end = "file:///work/end.py"
        editor.open(end, SOURCE)
        params.text_document = types.TextDocumentIdentifier(uri=end)
        params.position = types.Position(len(SOURCE.splitlines()), 0)
        result = await editor.client.text_document_inline_completion_async(params)
        for item in result.items:
            assert item.range is not None and item.range.start == params.position
            assert parses(SOURCE + item.insert_text), item.insert_text


async def test_stale_version_with_the_real_model_is_never_applied(session) -> None:
    async with session(REAL) as editor:
        editor.open(URI, SOURCE)
        await editor.ready()
        line = SOURCE.splitlines().index("    return side * side")
        range_ = {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 22}}
        task = asyncio.ensure_future(editor.command("unmask.regenerate", uri=URI, version=1, range=range_))
        await editor.until(lambda: bool(editor.steps))
        # Typed after the first denoising step: whatever the server computes now is for version 1.
        editor.type_text(URI, SOURCE + "# typed\n")
        result = await task
        assert result["applied"] is False, result
        assert not editor.applied
        assert editor.text(URI) == SOURCE + "# typed\n"
