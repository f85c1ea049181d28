"""The unmask language server: wiring only. Each LSP area lives in ``unmask.server.features``.

Importing this module must not import torch (the model loads lazily, in a thread, after ``initialized``).
:func:`create_server` builds a fresh server; ``unmask serve`` runs it over stdio or TCP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Generator
from typing import Any, BinaryIO, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from unmask import __version__
from unmask.server.convert import BadPosition
from unmask.server.documents import Documents, UnknownDocument
from unmask.server.features import code_actions, commands, configuration, inline
from unmask.server.features.generate import Generation
from unmask.server.jobs import Jobs
from unmask.server.model_host import ModelHost
from unmask.server.settings import Settings
from unmask.server.wire import (
    ResyncingReader,
    UnreadableRequest,
    invalid_request_response,
    parse_error_response,
)

logger = logging.getLogger("unmask")

STATUS_NOTIFICATION = "unmask/status"
LOG_LEVELS = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}
MESSAGE_TYPES = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
    logging.DEBUG: types.MessageType.Log,
}


class UnmaskProtocol(LanguageServerProtocol):
    """pygls' protocol with four changes, each for a behaviour users rely on:

    - ``initialize`` advertises ``inlineCompletionProvider`` exactly when the client declares inline
      completion (else ``completionProvider`` as the fallback), and always negotiates UTF-16 positions;
    - document sync goes to our own store (:mod:`unmask.server.documents`), which splits lines as LSP does;
    - ``workspace/executeCommand`` runs the command as the request's own task, so ``$/cancelRequest``
      reaches it (pygls' builtin runs it as a detached inner task that a cancel would not stop);
    - a request whose params do not fit its method, or a message that is not a JSON-RPC object, is answered
      with an error instead of silence (see :mod:`unmask.server.wire`).
    """

    _server: UnmaskServer

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            request = UnreadableRequest.from_failure(data, exc)
            if request is None:
                raise
            return request

    def handle_message(self, message: Any) -> None:
        if isinstance(message, UnreadableRequest):
            logger.info("rejected: %s", message.reason)
            self._send_data(message.error_response())
            return
        if not hasattr(message, "jsonrpc"):  # JSON, but not a JSON-RPC message object (a list, a number...)
            logger.warning("rejected a message that is not a JSON-RPC object")
            self._send_data(invalid_request_response(message))
            return
        super().handle_message(message)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        result = yield from super().lsp_initialize(params)
        capabilities = result.capabilities
        capabilities.position_encoding = types.PositionEncodingKind.Utf16
        self.workspace._position_encoding = types.PositionEncodingKind.Utf16
        if self._server.client_has_inline_completion:
            capabilities.inline_completion_provider = types.InlineCompletionOptions()
            capabilities.completion_provider = None
        else:
            capabilities.inline_completion_provider = None
        self.server_capabilities = capabilities
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        self._server.documents.open(params.text_document)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        try:
            self._server.documents.change(params)
        except (BadPosition, UnknownDocument) as exc:  # the client and we disagree on the text
            self._server.jobs.cancel(params.text_document.uri)
            logger.error("%s", exc)
            self._server.show_once(str(exc), f"unmask: {exc}", types.MessageType.Error)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        self._server.documents.close(uri)
        self._server.jobs.cancel(uri)
        self._server.last_generation.pop(uri, None)

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(  # type: ignore[override]  # async on purpose, see class doc
        self, params: types.ExecuteCommandParams
    ) -> Any:
        from pygls.exceptions import JsonRpcInvalidParams

        handler = self.fm.commands.get(params.command)
        if handler is None:
            raise JsonRpcInvalidParams(message=f"unknown command {params.command!r}; see docs/protocol.md")
        return await handler(*(params.arguments or []))


class UnmaskServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "unmask",
            __version__,
            protocol_cls=UnmaskProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.settings = Settings()
        self.initial_settings = Settings()
        self.documents = Documents()
        self.jobs = Jobs()
        self.host = ModelHost(on_status=self.send_status)
        self.jobs.on_count_changed = lambda count: self.host.set_busy(count > 0)
        self.last_generation: dict[str, Generation] = {}
        self.client_has_inline_completion = False
        self.client_supports_progress = False
        self.client_supports_configuration = False
        self.client_resolves_code_action_edits = False
        self._shown: set[str] = set()
        self.loop: asyncio.AbstractEventLoop | None = (
            None  # set on initialize; logs from threads go through it
        )
        self._log_handler = ClientLogHandler(self)
        logger.addHandler(self._log_handler)

    def read_client_capabilities(self, capabilities: types.ClientCapabilities) -> None:
        document = capabilities.text_document
        self.client_has_inline_completion = document is not None and document.inline_completion is not None
        self.client_supports_progress = bool(capabilities.window and capabilities.window.work_done_progress)
        self.client_supports_configuration = bool(
            capabilities.workspace and capabilities.workspace.configuration
        )
        code_action = document.code_action if document is not None else None
        resolve = code_action.resolve_support if code_action is not None else None
        self.client_resolves_code_action_edits = resolve is not None and "edit" in resolve.properties

    def send_status(self, payload: dict[str, str]) -> None:
        self.protocol.notify(STATUS_NOTIFICATION, payload)

    def show_once(self, key: str, message: str, kind: types.MessageType) -> None:
        """``window/showMessage`` once per ``key`` for the session (errors repeat per request otherwise)."""
        if key in self._shown:
            return
        self._shown.add(key)
        if len(self._shown) > 1000:  # bounded: a long session with many distinct problems
            self._shown.clear()
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def set_log_level(self, level: str) -> None:
        logger.setLevel(LOG_LEVELS.get(level, logging.INFO))

    def shutdown(self) -> None:
        self.jobs.shutdown()
        super().shutdown()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        super().start_io(cast(BinaryIO, ResyncingReader(stdin or sys.stdin.buffer)), stdout)

    def report_server_error(self, error: Exception, source: Any) -> None:
        if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):  # a frame that is not JSON
            logger.warning("rejected a frame that is not JSON: %s", error)
            self.protocol._send_data(parse_error_response(error))
            return
        super().report_server_error(error, source)


class ClientLogHandler(logging.Handler):
    """Forwards the ``unmask`` logger to ``window/logMessage`` (safe from any thread)."""

    def __init__(self, server: UnmaskServer) -> None:
        super().__init__()
        self._server = server

    def emit(self, record: logging.LogRecord) -> None:
        loop = self._server.loop
        if self._server.protocol.writer is None or loop is None or loop.is_closed():
            return
        try:
            kind = MESSAGE_TYPES.get(record.levelno, types.MessageType.Log)
            params = types.LogMessageParams(type=kind, message=self.format(record))
            try:
                on_loop = asyncio.get_running_loop() is loop
            except RuntimeError:
                on_loop = False
            if on_loop:
                self._server.window_log_message(params)
            else:  # the loader or inference thread: the event loop owns the writer
                loop.call_soon_threadsafe(self._server.window_log_message, params)
        except Exception:  # noqa: BLE001 - logging must never take the server down
            self.handleError(record)


def create_server() -> UnmaskServer:
    """A fresh server with every feature registered."""
    server = UnmaskServer()
    server.feature(types.INITIALIZE)(configuration.initialize)
    server.feature(types.INITIALIZED)(configuration.initialized)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(configuration.did_change_configuration)
    server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())(
        inline.inline_completion
    )
    server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())(inline.completion)
    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[code_actions.KIND], resolve_provider=True),
    )(code_actions.code_action)
    server.feature(types.CODE_ACTION_RESOLVE)(code_actions.resolve_code_action)
    for name, handler in commands.COMMANDS.items():
        server.command(name)(handler)
    return server
