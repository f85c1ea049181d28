"""Bad input over the real wire: proper LSP errors or a window/showMessage, never a crash or a wrong edit."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

FAKE = {"backend": "fake", "fakeText": "0"}
URI = "file:///work/example.py"
SOURCE = "def f(a, b):\n    return a + b\n"
INVALID_PARAMS = -32602
REQUEST_FAILED = -32803


def _range(start: tuple[int, int], end: tuple[int, int]) -> dict[str, dict[str, int]]:
    return {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}


async def _error(awaitable) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as error:
        await awaitable
    return error.value


@pytest.mark.parametrize(
    ("range_", "reason"),
    [
        (_range((9, 0), (9, 4)), "past the end of the document"),
        (_range((1, 10), (1, 4)), "is before its start"),
        (_range((0, 0), (-1, 0)), "not an LSP Range"),
    ],
)
async def test_bad_ranges_are_invalid_params_and_edit_nothing(session, range_, reason) -> None:
    async with session(FAKE) as editor:
        editor.open(URI, SOURCE)
        error = await _error(editor.command("unmask.regenerate", uri=URI, version=1, range=range_))
        assert error.code == INVALID_PARAMS and reason in error.message
        assert not editor.applied and not editor.steps


async def test_a_position_inside_a_surrogate_pair_is_refused(session) -> None:
    async with session(FAKE) as editor:
        editor.open(URI, "s = '😀'\nt = 1\n")
        error = await _error(
            editor.command("unmask.regenerate", uri=URI, version=1, range=_range((0, 6), (1, 0)))
        )
        assert error.code == INVALID_PARAMS and "surrogate pair" in error.message


async def test_utf16_columns_after_an_astral_character_edit_the_right_text(session) -> None:
    source = "s = '😀'; x = 1\n"
    async with session(FAKE) as editor:
        editor.open(URI, source)
        # "x = 1" starts at UTF-16 column 10 (the emoji counts 2) but at str offset 9.
        range_ = _range((0, 10), (0, 15))
        result = await editor.command("unmask.regenerate", uri=URI, version=1, range=range_, snap=False)
        assert result == {"applied": True}
        assert editor.text(URI) == "s = '😀'; 0\n"


async def test_unknown_document_is_invalid_params(session) -> None:
    async with session(FAKE) as editor:
        error = await _error(editor.command("unmask.fillHoles", uri="file:///nowhere.py", version=1))
        assert error.code == INVALID_PARAMS and "not open" in error.message
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri="file:///nowhere.py"),
            position=types.Position(0, 0),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
        error = await _error(editor.client.text_document_inline_completion_async(params))
        assert error.code == INVALID_PARAMS


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ([], "exactly one JSON object"),
        (["file:///work/example.py"], "exactly one JSON object"),
        ([{"uri": URI, "range": _range((0, 0), (0, 1))}], "missing argument 'version'"),
        ([{"uri": URI, "version": "1", "range": _range((0, 0), (0, 1))}], "must be a int"),
        ([{"uri": URI, "version": 1, "range": {"start": 3}}], "not an LSP Range"),
    ],
)
async def test_malformed_command_arguments_are_invalid_params(session, arguments, reason) -> None:
    async with session(FAKE) as editor:
        editor.open(URI, SOURCE)
        params = types.ExecuteCommandParams(command="unmask.regenerate", arguments=arguments)
        error = await _error(editor.client.workspace_execute_command_async(params))
        assert error.code == INVALID_PARAMS and reason in error.message


async def test_unknown_command_is_invalid_params(session) -> None:
    async with session(FAKE) as editor:
        params = types.ExecuteCommandParams(command="unmask.nope", arguments=[{}])
        error = await _error(editor.client.workspace_execute_command_async(params))
        assert error.code == INVALID_PARAMS and "unknown command" in error.message


async def test_a_language_without_grammar_is_filled_unchecked_and_the_user_is_told_once(session) -> None:
    uri = "file:///work/notes.cob"
    async with session(FAKE) as editor:
        editor.open(uri, "MOVE ___ TO TOTAL.\nADD ___ TO TOTAL.\n", language_id="cobol")
        assert await editor.command("unmask.fillHoles", uri=uri, version=1) == {"applied": True}
        assert editor.text(uri) == "MOVE 0 TO TOTAL.\nADD 0 TO TOTAL.\n"
        # Regenerating the filled "0" runs unchecked too (and the fake engine proposes the same text again).
        result = await editor.command("unmask.regenerate", uri=uri, version=2, range=_range((0, 5), (0, 6)))
        assert result == {"applied": False, "reason": "the model proposed no change"}
        assert [step["ranges"] for step in editor.steps if step["version"] == 2][-1] == [
            _range((0, 5), (0, 6))
        ]
        warnings = [m for m in editor.client.messages if "no grammar for languageId 'cobol'" in m.message]
        assert len(warnings) == 1 and warnings[0].type == types.MessageType.Warning


async def test_a_language_left_out_of_the_languages_setting_is_refused(session) -> None:
    uri = "file:///work/main.go"
    async with session({**FAKE, "languages": ["python"]}) as editor:
        editor.open(uri, "package main\n\nfunc main() {\n}\n", language_id="go")
        error = await _error(editor.command("unmask.fillHoles", uri=uri, version=1))
        assert error.code == INVALID_PARAMS and "unmask is off for languageId 'go'" in error.message


async def test_a_missing_model_fails_requests_clearly_and_says_what_to_do(session, tmp_path) -> None:
    async with session({"modelPath": str(tmp_path / "no-such-model")}) as editor:
        status = await editor.ready()
        assert status["state"] == "error" and "no config.json" in status["message"]
        editor.open(URI, SOURCE)
        error = await _error(
            editor.command("unmask.regenerate", uri=URI, version=1, range=_range((1, 4), (1, 16)))
        )
        assert error.code == REQUEST_FAILED and "unmask doctor" in error.message
        # Code actions need no model and keep working.
        actions = await editor.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                range=types.Range(start=types.Position(1, 4), end=types.Position(1, 16)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert any(action.title == "Regenerate selection" for action in actions)
        shown = [m for m in editor.client.messages if m.type == types.MessageType.Error]
        assert len(shown) == 1 and "could not be loaded" in shown[0].message


async def test_a_corrupt_model_folder_is_reported_not_crashed_on(session, tmp_path) -> None:
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    async with session({"modelPath": str(tmp_path)}) as editor:
        status = await editor.ready()
        assert status["state"] == "error" and "cannot read it" in status["message"]
