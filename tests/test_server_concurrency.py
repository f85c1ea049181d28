"""Responsiveness over the real wire with a slow fake engine: cancellation between steps, stale versions,
one job per document, documents served concurrently, didChange served while a fill runs.

No timing is asserted: each test waits for an observable event (a step notification, a response) and then
checks what happened. The fake engine takes ``fakeSteps`` x ``fakeStepDelay`` per fill.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

SLOW = {"backend": "fake", "fakeSteps": 40, "fakeStepDelay": 0.05, "fakeText": "return 0"}
URI = "file:///work/a.py"
OTHER = "file:///work/b.py"
SOURCE = "def f(a, b):\n    return a + b\n"
BODY = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 16}}
REQUEST_CANCELLED = -32800


def steps_of(editor, uri: str, version: int = 1) -> list[dict]:
    return [step for step in editor.steps if step["uri"] == uri and step["version"] == version]


def execute(editor, msg_id: str, command: str, **arguments):
    """Send workspace/executeCommand with a known id (so it can be cancelled); returns an asyncio future."""
    params = types.ExecuteCommandParams(command=command, arguments=[arguments])
    return asyncio.wrap_future(
        editor.client.protocol.send_request(types.WORKSPACE_EXECUTE_COMMAND, params, msg_id=msg_id)
    )


async def test_cancel_request_stops_a_generation_between_steps(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        pending = execute(editor, "fill-1", "unmask.regenerate", uri=URI, version=1, range=BODY)
        await editor.until(lambda: len(steps_of(editor, URI)) >= 2)
        editor.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="fill-1"))
        with pytest.raises(JsonRpcException) as error:
            await pending
        assert error.value.code == REQUEST_CANCELLED
        # The server is still serving: a quick request afterwards answers, and then the cancelled fill has
        # provably stopped (the inference thread runs steps in order), short of its 40 steps.
        actions = await editor.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                range=types.Range(start=types.Position(1, 4), end=types.Position(1, 16)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert actions
        await editor.until(lambda: editor.statuses[-1]["state"] == "ready")
        assert len(steps_of(editor, URI)) < 40
        assert not editor.applied and editor.text(URI) == SOURCE
        ends = [
            r
            for r in next(iter(editor.client.progress_reports.values()))
            if isinstance(r, types.WorkDoneProgressEnd)
        ]
        assert ends and ends[-1].message == "cancelled"


async def test_an_edit_typed_during_a_fill_makes_the_result_stale_and_it_is_not_applied(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        pending = execute(editor, "fill-1", "unmask.regenerate", uri=URI, version=1, range=BODY)
        await editor.until(lambda: len(steps_of(editor, URI)) >= 1)
        typed = SOURCE + "\n# a comment typed while the model runs\n"
        editor.type_text(URI, typed)  # didChange is served mid-fill: version 2
        result = await pending
        assert result["applied"] is False
        assert "changed while generating" in result["reason"] and "1 -> 2" in result["reason"]
        assert not editor.applied and not editor.rejected  # never even sent
        assert editor.text(URI) == typed


async def test_a_command_for_an_older_version_is_refused_before_running(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        editor.type_text(URI, SOURCE + "\n")
        result = await editor.command("unmask.regenerate", uri=URI, version=1, range=BODY)
        assert result == {"applied": False, "reason": "the request is for version 1 but the document is at 2"}
        assert not steps_of(editor, URI) and not steps_of(editor, URI, 2)


async def test_a_new_request_for_the_same_document_cancels_the_older_one(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        older = execute(editor, "fill-old", "unmask.regenerate", uri=URI, version=1, range=BODY)
        await editor.until(lambda: len(steps_of(editor, URI)) >= 1)
        newer = execute(editor, "fill-new", "unmask.regenerate", uri=URI, version=1, range=BODY)
        with pytest.raises(JsonRpcException) as error:
            await older
        assert error.value.code == REQUEST_CANCELLED
        assert await newer == {"applied": True}
        assert len(editor.applied) == 1


async def test_two_documents_are_filled_concurrently(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        editor.open(OTHER, SOURCE.replace("a + b", "a - b"))
        first = execute(editor, "fill-a", "unmask.regenerate", uri=URI, version=1, range=BODY)
        second = execute(editor, "fill-b", "unmask.regenerate", uri=OTHER, version=1, range=BODY)
        # Both make progress before either finishes: their steps interleave on the inference thread.
        await editor.until(lambda: steps_of(editor, URI) and steps_of(editor, OTHER))
        assert len(steps_of(editor, URI)) < 40 and len(steps_of(editor, OTHER)) < 40
        assert await first == {"applied": True}
        assert await second == {"applied": True}
        assert editor.text(URI) == "def f(a, b):\n    return 0\n"
        assert editor.text(OTHER) == "def f(a, b):\n    return 0\n"
        assert {status["state"] for status in editor.statuses} >= {"busy", "ready"}


async def test_requests_wait_for_the_model_with_progress_while_it_loads(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        result = await editor.command("unmask.regenerate", uri=URI, version=1, range=BODY)
        assert result == {"applied": True}
        # The first status is "loading"; the request was accepted before or while loading and still worked.
        assert editor.statuses[0] == {"state": "loading", "model": "fake"}


async def test_cancelling_the_progress_cancels_the_generation(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        pending = execute(editor, "fill-1", "unmask.regenerate", uri=URI, version=1, range=BODY)
        await editor.until(lambda: len(steps_of(editor, URI)) >= 1)
        (token,) = editor.client.progress_reports
        editor.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        with pytest.raises(JsonRpcException) as error:
            await pending
        assert error.value.code == REQUEST_CANCELLED
        assert not editor.applied


async def test_closing_a_document_cancels_its_generation(session) -> None:
    async with session(SLOW) as editor:
        editor.open(URI, SOURCE)
        pending = execute(editor, "fill-1", "unmask.regenerate", uri=URI, version=1, range=BODY)
        await editor.until(lambda: len(steps_of(editor, URI)) >= 1)
        editor.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
        )
        with pytest.raises(JsonRpcException) as error:
            await pending
        assert error.value.code == REQUEST_CANCELLED
        assert not editor.applied
