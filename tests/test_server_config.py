"""Configuration over the real wire: initializationOptions, workspace/configuration, didChangeConfiguration,
invalid options, logging, and the transports of ``unmask serve``."""

from __future__ import annotations

import asyncio
import json
import socket
import sys

from lsprotocol import types

URI = "file:///work/example.py"
SOURCE = "def f(a, b):\n    return a + b\n"
BODY = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 16}}


async def _regenerate(editor) -> str:
    version = editor.version(URI)
    result = await editor.command("unmask.regenerate", uri=URI, version=version, range=BODY)
    assert result == {"applied": True}
    await editor.until(lambda: editor.version(URI) == version + 1)
    return editor.text(URI).splitlines()[1].strip()


async def test_settings_are_pulled_from_workspace_configuration(session) -> None:
    async with session(None, configuration={"backend": "fake", "fakeText": "return 7"}) as editor:
        editor.open(URI, SOURCE)
        assert await _regenerate(editor) == "return 7"


async def test_pulled_settings_override_initialization_options(session) -> None:
    init = {"backend": "fake", "fakeText": "return 1"}
    async with session(init, configuration={"fakeText": "return 2"}) as editor:
        editor.open(URI, SOURCE)
        assert await _regenerate(editor) == "return 2"


async def test_pushed_configuration_change_reloads_the_model_and_takes_effect(session) -> None:
    async with session({"backend": "fake", "fakeText": "return 1"}) as editor:
        editor.open(URI, SOURCE)
        assert await _regenerate(editor) == "return 1"
        loads = sum(status["state"] == "loading" for status in editor.statuses)
        editor.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"unmask": {"backend": "fake", "fakeText": "return 2"}}
            )
        )
        await editor.until(
            lambda: sum(status["state"] == "loading" for status in editor.statuses) == loads + 1
        )
        assert await _regenerate(editor) == "return 2"


async def test_configuration_change_without_settings_is_pulled(session) -> None:
    async with session(None, configuration={"backend": "fake", "fakeText": "return 1"}) as editor:
        editor.open(URI, SOURCE)
        assert await _regenerate(editor) == "return 1"
        editor.client.set_configuration({"backend": "fake", "fakeText": "return 3"}, section="unmask")
        editor.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await editor.until(lambda: editor.statuses[-1]["state"] == "loading" or len(editor.statuses) > 2)
        assert await _regenerate(editor) == "return 3"


async def test_a_setting_that_does_not_touch_the_model_applies_without_reload(session) -> None:
    async with session({"backend": "fake", "fakeText": "return 1"}) as editor:
        await editor.ready()
        statuses = len(editor.statuses)
        editor.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"unmask": {"backend": "fake", "fakeText": "return 1", "languages": ["go"]}}
            )
        )
        editor.open(URI, SOURCE)
        # The languages setting took effect (python is now off) and the model was not reloaded.
        params = types.ExecuteCommandParams(
            command="unmask.regenerate", arguments=[{"uri": URI, "version": 1, "range": BODY}]
        )
        try:
            await editor.client.workspace_execute_command_async(params)
        except Exception as exc:  # noqa: BLE001 - asserting on the error below
            assert "unmask is off for languageId 'python'" in str(exc)
        else:
            raise AssertionError("python should be disabled")
        assert not any(status["state"] == "loading" for status in editor.statuses[statuses:])


async def test_invalid_options_give_one_message_and_their_defaults(session) -> None:
    options = {"backend": "fake", "steps": -3, "temperature": "hot", "colour": "blue"}
    async with session(options) as editor:
        await editor.ready()
        editor.open(URI, SOURCE)
        # The server runs, on defaults: the fake engine gives the original text back, so nothing changes.
        result = await editor.command("unmask.regenerate", uri=URI, version=1, range=BODY)
        assert result == {"applied": False, "reason": "the model proposed no change"}
        (message,) = [m for m in editor.client.messages if "invalid settings" in m.message]
        assert message.type == types.MessageType.Warning
        assert "steps" in message.message and "temperature" in message.message
        assert "colour" not in message.message  # unknown keys are only logged: editors send client-side keys
        assert any("colour" in m.message for m in editor.client.log_messages)


async def test_logs_reach_the_client_and_the_log_file(session, tmp_path) -> None:
    log_file = tmp_path / "unmask.log"
    async with session(
        {"backend": "fake", "logLevel": "debug"}, server_args=("--log-file", str(log_file))
    ) as editor:
        await editor.ready()
        await editor.until(lambda: any("model fake ready" in m.message for m in editor.client.log_messages))
    assert "model fake ready" in log_file.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_over_tcp_answers_initialize() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "unmask.cli",
        "serve",
        "--tcp",
        f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(60):
            while True:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    break
                except OSError:
                    await asyncio.sleep(0.1)
            body = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"capabilities": {}, "processId": None},
                }
            ).encode()
            writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            answer = json.loads(await reader.readexactly(length))
            assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"] == "unmask"
            assert "inlineCompletionProvider" not in answer["result"]["capabilities"]
            writer.close()
    finally:
        process.terminate()
        await process.wait()
