"""Shared fixtures: a real ``unmask serve`` process driven over stdio by a pytest-lsp client that behaves like
an editor (keeps its own copy of each document, applies ``workspace/applyEdit`` only for the version it names,
then sends ``didChange``) and records unmask's custom notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.workspace import TextDocument
from pytest_lsp import ClientServerConfig, LanguageClient

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = ROOT / "unmask" / "model" / "weights" / "model.safetensors"
SERVER_COMMAND = [sys.executable, "-m", "unmask.cli", "serve"]


def capabilities(*, inline: bool = True, resolve: bool = True) -> types.ClientCapabilities:
    """An editor's capabilities: work-done progress, configuration, versioned edits; inline completion and
    code-action resolve as asked."""
    resolve_support = types.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities() if inline else None,
            completion=types.CompletionClientCapabilities(),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=["refactor.rewrite"])
                ),
                data_support=True,
                resolve_support=resolve_support,
            ),
        ),
    )


@dataclass
class Editor:
    """The client side of a session: documents as the editor holds them, and what the server sent."""

    client: LanguageClient
    documents: dict[str, TextDocument] = field(default_factory=dict)
    applied: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    rejected: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)

    # -- documents ---------------------------------------------------------------------------------------

    def open(self, uri: str, text: str, language_id: str = "python") -> None:
        self.documents[uri] = TextDocument(uri, text, version=1, language_id=language_id)
        item = types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))

    def type_text(self, uri: str, text: str) -> None:
        """Replace the whole document (as an editor's full-sync change) and bump its version."""
        document = self.documents[uri]
        document.version = (document.version or 0) + 1
        document._source = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=document.version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def text(self, uri: str) -> str:
        return self.documents[uri].source

    def version(self, uri: str) -> int:
        return self.documents[uri].version or 0

    def apply(self, edit: types.WorkspaceEdit) -> bool:
        """Apply a versioned WorkspaceEdit as VS Code does: all or nothing, only for the current version."""
        changes = [
            change for change in edit.document_changes or [] if isinstance(change, types.TextDocumentEdit)
        ]
        for change in changes:
            document = self.documents.get(change.text_document.uri)
            if document is None or change.text_document.version != document.version:
                return False
        for change in changes:
            uri = change.text_document.uri
            document = TextDocument(uri, self.text(uri), version=self.version(uri))
            # Edits refer to the original text: apply from the end backwards.
            ordered = sorted(
                change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
            )
            for text_edit in ordered:
                assert isinstance(text_edit, types.TextEdit)
                document.apply_change(
                    types.TextDocumentContentChangePartial(range=text_edit.range, text=text_edit.new_text)
                )
            self.type_text(uri, document.source)
        return True

    # -- waiting on the server ------------------------------------------------------------------------

    async def until(self, condition: Callable[[], bool], timeout: float = 60.0) -> None:
        """Wait until ``condition()`` holds (a bound against hangs, not a timed assertion)."""
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)

    async def ready(self) -> dict[str, Any]:
        await self.until(
            lambda: bool(self.statuses) and self.statuses[-1]["state"] in ("ready", "error"), 300
        )
        return self.statuses[-1]

    async def command(self, name: str, **arguments: Any) -> Any:
        params = types.ExecuteCommandParams(command=name, arguments=[arguments])
        return await self.client.workspace_execute_command_async(params)


def _as_dict(value: Any) -> Any:
    """pygls hands untyped notification params over as namedtuples: turn them back into JSON values."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {key: _as_dict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_dict(item) for item in value]
    return value


@contextlib.asynccontextmanager
async def editor_session(
    initialization_options: dict[str, Any] | None = None,
    *,
    inline: bool = True,
    resolve: bool = True,
    configuration: dict[str, Any] | None = None,
    server_args: tuple[str, ...] = (),
) -> AsyncIterator[Editor]:
    """Start ``unmask serve`` on stdio, initialize it like an editor would, and shut it down afterwards."""
    client = await ClientServerConfig(server_command=[*SERVER_COMMAND, *server_args]).start()
    assert isinstance(client, LanguageClient)
    editor = Editor(client)
    if configuration is not None:
        client.set_configuration(configuration, section="unmask")

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        ok = editor.apply(params.edit)
        (editor.applied if ok else editor.rejected).append(params)
        return types.ApplyWorkspaceEditResult(applied=ok, failure_reason=None if ok else "version mismatch")

    @client.feature("unmask/step")
    def on_step(params: Any) -> None:
        editor.steps.append(_as_dict(params))

    @client.feature("unmask/status")
    def on_status(params: Any) -> None:
        editor.statuses.append(_as_dict(params))

    editor.initialize_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=capabilities(inline=inline, resolve=resolve),
            initialization_options=initialization_options,
            root_uri=ROOT.as_uri(),
        )
    )
    try:
        yield editor
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()


@pytest.fixture
def needs_shipped_model() -> None:
    if not SHIPPED_MODEL.is_file():
        pytest.skip(f"the shipped model is not built yet ({SHIPPED_MODEL.relative_to(ROOT)} is missing)")


@pytest.fixture
def session() -> Callable[..., contextlib.AbstractAsyncContextManager[Editor]]:
    """``async with session(init_options, inline=..., resolve=..., configuration=...) as editor``."""
    return editor_session
