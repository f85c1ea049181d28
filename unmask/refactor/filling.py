"""Filling places with an engine: the unit of work a worker runs, and the workers that run it.

A :class:`SiteTask` is a value (a :class:`~unmask.editing.FillPlan` of one place of one file) so it can be
sent to a worker process or a Ray actor. :func:`fill_site` runs the engine once for it (``candidates`` in the
plan's request), cuts each candidate with the AR stop rule, validates it by reparsing the file with the fill
in place, and returns the distinct valid candidates, best first, as placed :class:`~unmask.editing.TextEdit`
tuples. "Best" is the engine's joint score of the whole window with the fill in place
(:func:`~unmask.editing.joint_scorer`) when it has one, else the engine's own order. Nothing here writes files.

Workers (:func:`open_workers`): ``inline`` (``--jobs 1``: this process), ``local`` (``--jobs N``: N spawned
processes, one engine each) and ``ray`` (``--engine ray``: N Ray actors, one engine each, on a local Ray
instance or the cluster named by ``--ray-address`` / ``RAY_ADDRESS``). Each yields :class:`SiteResult` in
completion order. An engine that cannot be loaded raises :class:`~unmask.model.api.ModelError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, Protocol

from unmask.editing import FillPlan, TextEdit, edits_for, joint_scorer, stop_rule_for, validator_for
from unmask.grammar.errors import GrammarError
from unmask.model.api import Engine, ModelError, load_engine, run_fill
from unmask.refactor.errors import EngineUnavailable

RAY_INSTALL_HINT = "pip install 'unmask[ray]'"


@dataclass(frozen=True)
class EngineSpec:
    """How a worker loads its engine: ``load_engine(model, backend=backend, **options)``."""

    model: str | None = None
    backend: str = "auto"
    options: dict[str, object] = field(default_factory=dict)

    def load(self) -> Engine:
        try:
            return load_engine(self.model, backend=self.backend, **self.options)
        except TypeError as exc:  # an option the backend's loader does not take
            raise ModelError(f"backend {self.backend!r} rejects the options {sorted(self.options)}: {exc}") from None


@dataclass(frozen=True)
class SiteTask:
    """Place ``site`` of file ``file`` (numbers of the run), planned against the file's text."""

    file: int
    site: int
    plan: FillPlan


@dataclass(frozen=True)
class SiteResult:
    """``candidates``: distinct valid fills, best first, as placed edits. ``rejected``: why each invalid
    candidate was rejected. ``error``: the model failed on this place (e.g. it does not fit the window)."""

    file: int
    site: int
    candidates: tuple[tuple[TextEdit, ...], ...] = ()
    rejected: tuple[str, ...] = ()
    error: str | None = None


def fill_site(engine: Engine, task: SiteTask) -> SiteResult:
    """Run the engine for one place and validate every candidate (see module docstring)."""
    plan = task.plan
    validator = validator_for(plan)
    stop = stop_rule_for(plan)
    try:
        result = run_fill(engine, plan.request, validate=validator, stop=stop)
    except ModelError as exc:
        return SiteResult(task.file, task.site, error=str(exc))
    valid: list[tuple[TextEdit, ...]] = []
    valid_fills: list[tuple[str, ...]] = []
    rejected: list[str] = []
    for candidate in result.candidates:
        fills = candidate.fills
        if stop is not None and len(fills) == 1:
            cut = stop(fills[0])
            if cut is not None:
                fills = (fills[0][:cut],)
        try:
            verdict = validator.check(fills) if validator is not None else None
            edits = tuple(edits_for(plan, fills))
        except (GrammarError, ValueError) as exc:  # the engine returned the wrong number of fills
            rejected.append(f"bad candidate: {exc}")
            continue
        if verdict is not None and not verdict.ok:
            rejected.append(verdict.reason or "the fill does not parse")
        elif edits not in valid:
            valid.append(edits)
            valid_fills.append(fills)
    scorer = joint_scorer(engine, plan) if len(valid) > 1 else None
    scores = scorer(valid_fills) if scorer is not None else None
    if scores is not None:  # sorted is stable: equal scores keep the engine's order
        valid = [valid[i] for i in sorted(range(len(valid)), key=lambda i: -scores[i])]
    return SiteResult(task.file, task.site, tuple(valid), tuple(rejected))


class Workers(Protocol):
    def map(self, tasks: Iterable[SiteTask]) -> Iterator[SiteResult]: ...

    def close(self) -> None: ...


class InlineWorkers:
    """One engine in this process."""

    def __init__(self, spec: EngineSpec) -> None:
        self.engine = spec.load()

    def map(self, tasks: Iterable[SiteTask]) -> Iterator[SiteResult]:
        for task in tasks:
            yield fill_site(self.engine, task)

    def close(self) -> None:
        pass


# -- local processes ---------------------------------------------------------------------------------------

_worker_engine: Engine | None = None
_worker_error: str | None = None


def _init_worker(spec: EngineSpec, threads: int) -> None:
    global _worker_engine, _worker_error
    # N workers each using every core would thrash: share the cores before torch is imported.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))
    try:
        _worker_engine = spec.load()
    except ModelError as exc:
        _worker_error = str(exc)


def _fill_in_worker(task: SiteTask) -> SiteResult:
    if _worker_engine is None:
        raise ModelError(_worker_error or "the worker has no engine")
    return fill_site(_worker_engine, task)


class ProcessWorkers:
    """``jobs`` spawned processes, one engine each; at most ``2 * jobs`` tasks in flight."""

    def __init__(self, spec: EngineSpec, jobs: int) -> None:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        self.jobs = jobs
        self.pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(spec, threads)
        )

    def map(self, tasks: Iterable[SiteTask]) -> Iterator[SiteResult]:
        pending: set[Future[SiteResult]] = set()
        queue = iter(tasks)
        exhausted = False
        while True:
            while not exhausted and len(pending) < 2 * self.jobs:
                task = next(queue, None)
                if task is None:
                    exhausted = True
                else:
                    pending.add(self.pool.submit(_fill_in_worker, task))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# -- Ray ---------------------------------------------------------------------------------------------------


class FillActor:
    """A Ray actor holding one engine (wrapped with ``ray.remote`` when Ray is used)."""

    def __init__(self, spec: EngineSpec) -> None:
        self.engine: Engine | None = None
        self.error: str | None = None
        try:
            self.engine = spec.load()
        except ModelError as exc:
            self.error = str(exc)

    def ready(self) -> str | None:
        return self.error

    def fill(self, task: SiteTask) -> SiteResult:
        if self.engine is None:
            raise ModelError(self.error or "the actor has no engine")
        return fill_site(self.engine, task)


class RayWorkers:
    """``jobs`` Ray actors; ``address`` None starts (or joins, via ``RAY_ADDRESS``) a local Ray instance."""

    def __init__(self, spec: EngineSpec, jobs: int, address: str | None) -> None:
        try:
            import ray
            from ray.util import ActorPool
        except ImportError as exc:
            raise EngineUnavailable(
                f"--engine ray needs Ray, which is not installed ({exc}); install it with: {RAY_INSTALL_HINT}"
            ) from None
        self.ray: Any = ray
        self.started = not ray.is_initialized()
        try:
            if self.started:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds when it cannot start or connect
            raise EngineUnavailable(f"cannot start or join Ray ({type(exc).__name__}: {exc})") from None
        remote_actor: Any = ray.remote(FillActor)
        self.actors = [remote_actor.remote(spec) for _ in range(jobs)]
        errors = [error for error in ray.get([actor.ready.remote() for actor in self.actors]) if error]
        if errors:
            self.close()
            raise ModelError(errors[0])
        self.pool = ActorPool(self.actors)

    def map(self, tasks: Iterable[SiteTask]) -> Iterator[SiteResult]:
        yield from self.pool.map_unordered(lambda actor, task: actor.fill.remote(task), list(tasks))

    def close(self) -> None:
        for actor in getattr(self, "actors", []):
            self.ray.kill(actor)
        if self.started:
            self.ray.shutdown()


def open_workers(spec: EngineSpec, *, jobs: int = 1, engine: str = "local", ray_address: str | None = None) -> Workers:
    """The workers for ``--engine``/``--jobs`` (see module docstring)."""
    if engine == "ray":
        return RayWorkers(spec, jobs, ray_address)
    if jobs <= 1:
        return InlineWorkers(spec)
    return ProcessWorkers(spec, jobs)
