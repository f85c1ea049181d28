"""The server over the real wire (stdio, pytest-lsp) with the fake engine: capabilities, status, commands,
code actions, inline completion and its fallback, configuration, bad input."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from unmask.grammar.document import parse_document

ROOT = Path(__file__).resolve().parent.parent

FAKE = {"backend": "fake"}
URI = "file:///work/example.py"
SOURCE = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


def _json(value: Any) -> Any:
    """pygls hands untyped results over as namedtuples: turn them back into JSON values."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def parses(text: str, language: str = "python") -> bool:
    return not parse_document(text, language).tree.root_node.has_error


def test_importing_the_server_does_not_import_torch() -> None:
    code = "import sys, unmask.server.app; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


async def test_initialize_advertises_inline_completion_when_the_client_declares_it(session) -> None:
    async with session(FAKE) as editor:
        caps = editor.initialize_result.capabilities
        assert caps.inline_completion_provider is not None
        assert caps.completion_provider is None
        assert caps.position_encoding == types.PositionEncodingKind.Utf16
        assert caps.code_action_provider.resolve_provider is True
        assert types.CodeActionKind.RefactorRewrite in caps.code_action_provider.code_action_kinds
        assert set(caps.execute_command_provider.commands) >= {
            "unmask.regenerate",
            "unmask.regenerateEnclosing",
            "unmask.fillHoles",
            "unmask.alternatives",
            "unmask.reroll",
        }
        status = await editor.ready()
        assert status == {"state": "ready", "model": "fake"}
        assert editor.statuses[0]["state"] == "loading"


async def test_initialize_offers_completion_to_a_client_without_inline_completion(session) -> None:
    async with session(FAKE, inline=False) as editor:
        caps = editor.initialize_result.capabilities
        assert caps.inline_completion_provider is None
        assert caps.completion_provider is not None


def _range(start: tuple[int, int], end: tuple[int, int]) -> dict[str, dict[str, int]]:
    return {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}


async def test_regenerate_applies_a_versioned_edit_and_reports_progress_and_steps(session) -> None:
    async with session({**FAKE, "fakeText": "return b + a"}) as editor:
        editor.open(URI, SOURCE)
        result = await editor.command("unmask.regenerate", uri=URI, version=1, range=_range((1, 4), (1, 16)))
        assert result == {"applied": True}
        (params,) = editor.applied
        (change,) = params.edit.document_changes
        assert change.text_document.version == 1  # computed for, and only valid for, version 1
        assert editor.text(URI) == SOURCE.replace("return a + b", "return b + a")
        assert parses(editor.text(URI))
        steps = [step for step in editor.steps if step["uri"] == URI]
        assert [step["step"] for step in steps] == [1, 2, 3, 4]
        assert steps[-1]["texts"] == ["return b + a"] and steps[-1]["total"] == 4
        assert steps[0]["ranges"] == [_range((1, 4), (1, 16))]
        reports = [r for values in editor.client.progress_reports.values() for r in values]
        assert any(isinstance(r, types.WorkDoneProgressReport) and r.message == "step 4/4" for r in reports)
        assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)


async def test_fill_holes_fills_every_marker(session) -> None:
    source = "def area(w, h):\n    return ___\n\n\ndef half(x):\n    ___\n"
    async with session({**FAKE, "fakeText": "0"}) as editor:
        editor.open(URI, source)
        result = await editor.command("unmask.fillHoles", uri=URI, version=1)
        assert result == {"applied": True}
        assert "___" not in editor.text(URI)
        assert parses(editor.text(URI))
        assert editor.text(URI) == "def area(w, h):\n    return 0\n\n\ndef half(x):\n    0\n"


async def test_code_actions_are_listed_cheaply_and_resolved_to_a_versioned_edit(session) -> None:
    source = "def area(w, h):\n    return ___\n"
    async with session({**FAKE, "fakeText": "w * h"}) as editor:
        editor.open(URI, source)
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            range=types.Range(start=types.Position(1, 11), end=types.Position(1, 11)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        actions = await editor.client.text_document_code_action_async(params)
        titles = [action.title for action in actions]
        assert "Fill this hole" in titles and "Fill all holes in file" in titles
        assert any(title.startswith("Regenerate enclosing ") for title in titles)
        assert "Regenerate selection" not in titles  # the range is empty
        assert all(action.edit is None and action.kind == "refactor.rewrite" for action in actions)
        assert not editor.steps  # listing ran no model
        hole = next(action for action in actions if action.title == "Fill this hole")
        resolved = await editor.client.code_action_resolve_async(hole)
        (change,) = resolved.edit.document_changes
        assert change.text_document.version == 1
        (edit,) = change.edits
        assert (edit.range.start.character, edit.range.end.character) == (
            11,
            14,
        )  # the marker, columns of line 1
        assert editor.apply(resolved.edit)
        assert editor.text(URI) == "def area(w, h):\n    return w * h\n"
        assert parses(editor.text(URI))


async def test_code_actions_carry_commands_for_clients_that_cannot_resolve(session) -> None:
    async with session({**FAKE, "fakeText": "return b + a"}, resolve=False) as editor:
        editor.open(URI, SOURCE)
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            range=types.Range(start=types.Position(1, 4), end=types.Position(1, 16)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        # lsprotocol's client-side parser takes any object with a "command" key for a bare Command, so
        # read the raw JSON here, as VS Code does (it tells them apart by the type of "command").
        msg_id = "raw-code-action"
        future = editor.client.protocol.send_request(types.TEXT_DOCUMENT_CODE_ACTION, params, msg_id=msg_id)
        editor.client.protocol._result_types[msg_id] = None
        actions = [_json(action) for action in await asyncio.wrap_future(future)]
        selection = next(action for action in actions if action["title"] == "Regenerate selection")
        assert selection["kind"] == "refactor.rewrite" and "data" not in selection
        assert selection["command"]["command"] == "unmask.regenerate"
        (arguments,) = selection["command"]["arguments"]
        result = await editor.command(selection["command"]["command"], **arguments)
        assert result == {"applied": True}


def _inline_at(
    line: int, character: int, trigger: types.InlineCompletionTriggerKind = types.InlineCompletionTriggerKind.Invoked
) -> types.InlineCompletionParams:
    """An inline completion request at (line, character) of URI."""
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        position=types.Position(line, character),
        context=types.InlineCompletionContext(trigger_kind=trigger),
    )


async def test_inline_completion_continues_at_an_append_point(session) -> None:
    source = "def greet(name):\n    "
    async with session({**FAKE, "fakeText": "return 'hi ' + name"}) as editor:
        editor.open(URI, source)
        params = _inline_at(1, 4)
        result = await editor.client.text_document_inline_completion_async(params)
        (item,) = result.items
        assert item.insert_text == "return 'hi ' + name"
        assert item.range == types.Range(start=types.Position(1, 4), end=types.Position(1, 4))
        assert not editor.applied  # inline completion proposes; the editor decides


@pytest.mark.parametrize(
    ("fake_text", "offered"), [("total = (1,", None), ("    return x\n    total = (1,", "    return x\n")]
)
async def test_inline_completion_offers_no_ghost_text_that_breaks_the_code(session, fake_text, offered) -> None:
    source = "def f(x):\n"
    async with session({**FAKE, "fakeText": fake_text}) as editor:
        editor.open(URI, source)
        params = _inline_at(1, 0)
        result = await editor.client.text_document_inline_completion_async(params)
        # an unclosed bracket is never shown; a continuation keeps the complete lines before it
        assert [item.insert_text for item in result.items] == ([] if offered is None else [offered])


async def test_inline_completion_inside_code_fills_at_the_cursor(session) -> None:
    source = "def f(x):\n    y = \n    return y\n"
    async with session({**FAKE, "fakeText": "x * 2"}) as editor:
        editor.open(URI, source)
        params = _inline_at(1, 8, types.InlineCompletionTriggerKind.Automatic)
        result = await editor.client.text_document_inline_completion_async(params)
        (item,) = result.items
        assert item.insert_text == "x * 2"
        assert item.range.start == types.Position(1, 8)
        steps = [step for step in editor.steps if step["uri"] == URI]
        assert steps and steps[-1]["ranges"] == [_range((1, 8), (1, 8))]


async def test_completion_fallback_for_a_client_without_inline_completion(session) -> None:
    source = "def greet(name):\n    "
    async with session({**FAKE, "fakeText": "return name"}, inline=False) as editor:
        editor.open(URI, source)
        params = types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI), position=types.Position(1, 4)
        )
        result = await editor.client.text_document_completion_async(params)
        (item,) = result.items
        assert item.text_edit.new_text == "return name"
        assert item.text_edit.range.start == types.Position(1, 4)
        assert result.is_incomplete


async def test_alternatives_return_edits_and_apply_nothing(session) -> None:
    async with session({**FAKE, "fakeText": "return b + a"}) as editor:
        editor.open(URI, SOURCE)
        result = await editor.command(
            "unmask.alternatives", uri=URI, version=1, range=_range((1, 4), (1, 16)), count=2
        )
        (alternative,) = result["alternatives"]  # the fake engine returns one candidate
        assert alternative["text"] == "return b + a"
        assert alternative["edit"]["documentChanges"][0]["textDocument"]["version"] == 1
        assert not editor.applied
        assert editor.text(URI) == SOURCE


async def test_reroll_regenerates_the_last_fill_in_place(session) -> None:
    async with session({**FAKE, "fakeText": "return b + a + 0"}) as editor:
        editor.open(URI, SOURCE)
        assert (await editor.command("unmask.regenerate", uri=URI, version=1, range=_range((1, 4), (1, 16))))[
            "applied"
        ]
        await editor.until(lambda: editor.version(URI) == 2)
        result = await editor.command("unmask.reroll", uri=URI, version=2)
        # The fake engine re-rolls to the same text: nothing to apply, but it ran on the filled span.
        assert result == {"applied": False, "reason": "the model proposed no change"}
        assert editor.text(URI) == SOURCE.replace("return a + b", "return b + a + 0")
        reroll_steps = [step for step in editor.steps if step["version"] == 2]
        assert reroll_steps and reroll_steps[-1]["ranges"] == [
            _range((1, 4), (1, 20))
        ]  # where the fill now is


async def test_reroll_without_a_previous_fill_is_invalid_params(session) -> None:
    async with session(FAKE) as editor:
        editor.open(URI, SOURCE)
        with pytest.raises(JsonRpcException) as error:
            await editor.command("unmask.reroll", uri=URI, version=1)
        assert error.value.code == -32602 and "nothing to re-roll" in error.value.message


async def test_a_fill_that_does_not_parse_is_never_applied(session) -> None:
    async with session({**FAKE, "fakeText": "return (a +"}) as editor:
        editor.open(URI, SOURCE)
        result = await editor.command("unmask.regenerate", uri=URI, version=1, range=_range((1, 4), (1, 16)))
        assert result["applied"] is False and "parses as python" in result["reason"]
        assert not editor.applied and editor.text(URI) == SOURCE
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            range=types.Range(start=types.Position(1, 4), end=types.Position(1, 16)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        actions = await editor.client.text_document_code_action_async(params)
        selection = next(action for action in actions if action.title == "Regenerate selection")
        with pytest.raises(JsonRpcException) as error:
            await editor.client.code_action_resolve_async(selection)
        assert error.value.code == -32803 and "parses as python" in error.value.message
