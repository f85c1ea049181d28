"""Generations as jobs: one per document, each against an immutable snapshot, stepped off the event loop.

Invariants:
- A request takes a :class:`Snapshot` (uri, version, text, languageId) on arrival and computes only on it.
- At most one job runs per document: starting a new one cancels the older one (its request answers
  ``RequestCancelled``).
- The engine's generator is advanced one ``next()`` at a time on a single inference thread, so the event loop
  keeps serving ``didChange``, ``$/cancelRequest`` and other requests, and a cancelled job stops at the next
  step boundary. Jobs on different documents interleave step by step on that thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from unmask.model.api import Engine, FillRequest, FillResult, ModelError, Step, StopRule, Validator

T = TypeVar("T")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """A document as it was when a request arrived. Offsets computed on it are valid only for ``version``."""

    uri: str
    version: int
    text: str
    language_id: str


class Jobs:
    """The running generation task of each document, and the one inference thread they share."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[object]] = {}
        # One thread: engines are not assumed thread-safe, and a generator must not be advanced concurrently.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="unmask-infer"
        )
        self.on_count_changed: Callable[[int], None] = lambda count: None

    @property
    def running(self) -> int:
        return len(self._tasks)

    @contextlib.contextmanager
    def claim(self, uri: str) -> Iterator[None]:
        """Make the current task the document's job, cancelling the job it replaces."""
        task = asyncio.current_task()
        assert task is not None, "claim() must run inside a task"
        older = self._tasks.get(uri)
        if older is not None and older is not task and not older.done():
            logger.info("new request for %s: cancelling the older one", uri)
            older.cancel("superseded by a newer request for the same document")
        self._tasks[uri] = task
        self.on_count_changed(self.running)
        try:
            yield
        finally:
            if self._tasks.get(uri) is task:
                del self._tasks[uri]
            self.on_count_changed(self.running)

    def cancel(self, uri: str) -> None:
        task = self._tasks.get(uri)
        if task is not None:
            task.cancel("document closed")

    async def run_fill(
        self,
        engine: Engine,
        request: FillRequest,
        *,
        validate: Validator | None = None,
        stop: StopRule | None = None,
        on_step: Callable[[Step], None] | None = None,
    ) -> FillResult:
        """Drive ``engine.iter_fill`` to its result, one step per await; cancellable between steps."""
        loop = asyncio.get_running_loop()
        generator = engine.iter_fill(request, validate=validate, stop=stop)
        try:
            while True:
                try:
                    item = await loop.run_in_executor(self._executor, next, generator, None)
                except ModelError:
                    raise
                except Exception as exc:  # out of memory, a backend bug: a failed fill, not a dead server
                    logger.exception("engine %s failed", engine.name)
                    raise ModelError(f"{type(exc).__name__}: {exc}") from exc
                if item is None:
                    raise ModelError(f"engine {engine.name} ended without a result")
                if isinstance(item, FillResult):
                    return item
                if on_step is not None:
                    on_step(item)
        finally:
            # The generator may be mid-step on the inference thread; close it there, after that step.
            close = getattr(generator, "close", None)  # engines return generators; the protocol says Iterator
            if close is not None:
                with contextlib.suppress(RuntimeError):  # executor already shut down
                    self._executor.submit(close)

    async def call(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` on the inference thread (model work must not block the event loop)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def shutdown(self) -> None:
        for task in self._tasks.values():
            task.cancel("server shutting down")
        self._executor.shutdown(wait=False, cancel_futures=True)
