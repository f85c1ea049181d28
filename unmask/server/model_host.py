"""Loads the engine in the background and reports the model's state.

The server answers ``initialize`` at once; :meth:`ModelHost.load` starts a daemon thread that calls
:func:`unmask.model.api.load_engine`. Requests await :meth:`ModelHost.wait_ready`, which returns the engine or
raises :class:`ModelUnavailable` with the loader's message. Changing the model path or backend calls
:meth:`load` again; a load that was overtaken by a newer one is discarded.

State changes are reported through ``on_status`` as the ``unmask/status`` payload:
``{"state": "loading"|"ready"|"busy"|"error", "model": str, "message"?: str}``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from unmask.model.api import Engine, ModelError, load_engine
from unmask.server.settings import Settings

logger = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """The model failed to load; the message says what to do."""


def model_label(settings: Settings) -> str:
    """The model's name before it is loaded: its folder name, or "shipped"."""
    if settings.backend == "fake":
        return "fake"
    if settings.model_path is None:
        return "shipped"
    return settings.model_path.rstrip("/\\").rsplit("/", 1)[-1] or settings.model_path


class ModelHost:
    def __init__(self, on_status: Callable[[dict[str, str]], None]) -> None:
        self._on_status = on_status
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[Engine] | None = None
        self._generation = 0
        self._busy = False
        self.engine: Engine | None = None
        self.model = "none"
        self.state = "loading"
        self.error: str | None = None
        self.loaded_key: tuple[object, ...] | None = None

    @property
    def ready(self) -> bool:
        return self.engine is not None and self.state in ("ready", "busy")

    def load(self, settings: Settings) -> None:
        """Start loading the engine ``settings`` ask for; must be called on the event loop."""
        self._loop = asyncio.get_running_loop()
        self._generation += 1
        generation = self._generation
        if self._ready is None or self._ready.done():
            self._ready = self._loop.create_future()
        self.engine = None
        self.error = None
        self.loaded_key = settings.engine_key()
        self.model = model_label(settings)
        self._set_state("loading")
        thread = threading.Thread(
            target=self._load_in_thread, args=(settings, generation), name="unmask-load", daemon=True
        )
        thread.start()

    def _load_in_thread(self, settings: Settings, generation: int) -> None:
        started = time.perf_counter()
        engine: Engine | None = None
        error: str | None = None
        try:
            engine = load_engine(settings.model_path, backend=settings.backend, **settings.engine_options())
        except ModelError as exc:
            error = str(exc)
        except Exception as exc:  # a corrupt file can surface as anything; the server must keep serving
            logger.exception("loading the model failed")
            error = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._finish, generation, engine, error, elapsed)
        except RuntimeError:  # the loop closed while we loaded (server shutting down)
            pass

    def _finish(self, generation: int, engine: Engine | None, error: str | None, elapsed: float) -> None:
        if generation != self._generation:
            logger.info("discarding a model load overtaken by a newer configuration")
            return
        assert self._ready is not None
        if engine is None:
            self.error = f"model {self.model!r} could not be loaded: {error}"
            logger.error("%s", self.error)
            self._ready.set_exception(ModelUnavailable(self.error))
            self._ready.exception()  # mark retrieved: nobody may be waiting
            self._set_state("error", self.error)
            return
        self.engine = engine
        try:
            self.model = str(engine.describe().get("name") or engine.name)
        except Exception:  # noqa: BLE001 - describe() is informational only
            self.model = engine.name
        logger.info("model %s ready in %.1fs", self.model, elapsed)
        self._ready.set_result(engine)
        self._set_state("busy" if self._busy else "ready")

    async def wait_ready(self) -> Engine:
        """The engine, once loaded; raises :class:`ModelUnavailable` if loading failed."""
        while True:
            if self.engine is not None:
                return self.engine
            if self._ready is None:
                raise ModelUnavailable("no model configured yet: the client has not initialized the server")
            future = self._ready
            engine = await asyncio.shield(future)
            if future is self._ready:
                return engine

    def set_busy(self, busy: bool) -> None:
        """Generations started or all finished: flips ready <-> busy."""
        self._busy = busy
        if self.state in ("ready", "busy"):
            self._set_state("busy" if busy else "ready")

    def _set_state(self, state: str, message: str | None = None) -> None:
        if state == self.state and message is None and state != "loading":
            return
        self.state = state
        payload = {"state": state, "model": self.model}
        if message is not None:
            payload["message"] = message
        self._on_status(payload)
