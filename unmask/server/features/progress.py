"""Work-done progress (``$/progress``) for one generation: begin, steps done/total, end.

Uses the request's ``workDoneToken`` when the client sent one, else creates a server-initiated token when the
client declared ``window.workDoneProgress``; otherwise every call is a no-op. Progress is cancellable: the
client's ``window/workDoneProgress/cancel`` cancels the request's task, like ``$/cancelRequest``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from unmask.server.app import UnmaskServer

logger = logging.getLogger(__name__)


class WorkProgress:
    def __init__(self, ls: UnmaskServer, token: types.ProgressToken | None) -> None:
        self._ls = ls
        self.token = token
        self._ended = False

    @classmethod
    async def begin(
        cls, ls: UnmaskServer, token: types.ProgressToken | None, title: str, message: str | None = None
    ) -> WorkProgress:
        if token is None and ls.client_supports_progress:
            token = f"unmask-{uuid.uuid4().hex[:12]}"
            try:
                await ls.work_done_progress.create_async(token)
            except Exception as exc:  # noqa: BLE001 - the client refused: go on without progress
                logger.debug("window/workDoneProgress/create refused: %s", exc)
                token = None
        progress = cls(ls, token)
        if token is not None:
            ls.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(title=title, message=message, cancellable=True, percentage=0),
            )
            progress._cancel_task_on_client_cancel()
        return progress

    def _cancel_task_on_client_cancel(self) -> None:
        task = asyncio.current_task()
        cancel_future = self._ls.work_done_progress.tokens.get(self.token)  # type: ignore[arg-type]
        if task is None or cancel_future is None:
            return
        loop = asyncio.get_running_loop()

        def on_done(future: object) -> None:
            if getattr(future, "cancelled", lambda: False)() and not self._ended:
                loop.call_soon_threadsafe(task.cancel, "cancelled from the progress UI")

        cancel_future.add_done_callback(on_done)

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.token is not None and not self._ended:
            self._ls.work_done_progress.report(
                self.token,
                types.WorkDoneProgressReport(message=message, percentage=percentage, cancellable=True),
            )

    def steps(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` denoising steps."""
        total = max(total, 1)
        self.report(f"step {done}/{total}", min(100, 100 * done // total))

    def end(self, message: str) -> None:
        if self.token is None or self._ended:
            return
        self._ended = True
        self._ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        # pygls never forgets tokens; drop ours so a long session's memory stays bounded.
        self._ls.work_done_progress.tokens.pop(self.token, None)
