"""Typed access to an engine's parts for tests that look inside one: ``load_engine`` promises only the
:class:`~unmask.model.api.Engine` protocol, so these check (and tell the type checker) what was loaded."""

from __future__ import annotations

import os
from collections.abc import Iterable

from unmask.model.api import FillResult, Step, load_engine
from unmask.model.backends.embedded import EmbeddedCausal
from unmask.model.diffusion import Denoiser
from unmask.model.engine import InfillEngine


def infill_engine(path: str | os.PathLike[str], backend: str = "auto", **options: object) -> InfillEngine:
    """``load_engine(path, backend, **options)``, which must be a model backend's :class:`InfillEngine`."""
    engine = load_engine(path, backend, **options)
    assert isinstance(engine, InfillEngine), type(engine)
    return engine


def denoiser(engine: InfillEngine) -> Denoiser:
    assert engine.denoiser is not None, f"{engine.name} has no diffusion mode"
    return engine.denoiser


def embedded_causal(engine: InfillEngine) -> EmbeddedCausal:
    assert isinstance(engine.causal, EmbeddedCausal), type(engine.causal)
    return engine.causal


def steps_and_result(items: Iterable[Step | FillResult]) -> tuple[list[Step], FillResult]:
    """A finished ``iter_fill`` stream split into its steps and its one result, which must come last."""
    *head, result = list(items)
    steps = [item for item in head if isinstance(item, Step)]
    assert isinstance(result, FillResult) and len(steps) == len(head), [type(item) for item in (*head, result)]
    return steps, result
