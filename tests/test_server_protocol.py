"""The server over the real wire (stdio, pytest-lsp) with the fake engine: capabilities, status, commands,
code actions, inline completion and its fallback, configuration, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from unmask.grammar.document import parse_document

ROOT = Path(__file__).resolve().parent.parent

FAKE = {"backend": "fake"}
URI = "file:///work/example.py"
SOURCE = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


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
            "unmask.regenerate", "unmask.regenerateEnclosing", "unmask.fillHoles", "unmask.alternatives",
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
