"""The torch-free face of the model package: what the server, the CLI and the batch refactor import.

A *fill request* is a document cut into fixed text ``segments`` with one *hole* between each consecutive pair
(``len(segments) == len(holes) + 1``). A single infill is ``segments=(prefix, suffix)``; several holes are
denoised jointly; text the user pins inside a span is simply a segment between two holes.

Engines produce the fill lazily: :meth:`Engine.iter_fill` is a generator that yields one :class:`Step` per
forward pass of denoising (or per AR token chunk) and finally a :class:`FillResult`. Callers that live on an
event loop advance it one ``next()`` at a time in an executor, so a cancellation between steps is free.

All lengths here are characters of Python ``str`` unless a name says tokens.
Nothing in this module imports torch; backends are imported lazily by :func:`load_engine`.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

Mode = Literal["auto", "diffusion", "ar"]
MODES: tuple[str, ...] = ("auto", "diffusion", "ar")

#: The shipped model: Hugging Face layout (config.json, model.safetensors, tokenizer.json).
SHIPPED_WEIGHTS = Path(__file__).resolve().parent / "weights"

#: Shown in intermediate text where a token is still masked.
MASK_GLYPH = "\u2591"


class ModelError(Exception):
    """The model could not be loaded or run; the message says what to do."""


class Cancelled(Exception):
    """A generation was cancelled between steps."""


@dataclass(frozen=True)
class Token:
    """One generated token: its id in the engine's vocabulary, its text and the model's confidence (0..1)."""

    id: int
    text: str
    confidence: float


@dataclass(frozen=True)
class HoleSpec:
    """What is known about one hole.

    kind: the syntax-node kind being (re)generated (``"block"``, ``"expression_statement"``…): picks a length
        prior. original: the text being regenerated, whose length is a hint. max_tokens: the most tokens the
        hole may take. draft/reroll_below: re-roll mode — tokens of a previous result whose confidence is at
        least ``reroll_below`` stay pinned, the rest are masked again and re-denoised.
    """

    kind: str | None = None
    original: str | None = None
    max_tokens: int = 96
    length_tokens: int | None = None
    draft: tuple[Token, ...] | None = None
    reroll_below: float = 0.5


@dataclass(frozen=True)
class FillRequest:
    """A document with holes. ``segments`` are fixed text; hole ``i`` lies between segments ``i`` and ``i+1``.

    mode: ``auto`` picks AR continuation when the request is an append (a single hole with only whitespace
    after it), diffusion otherwise. steps: the most denoising steps (None: engine default). threshold: the
    confidence above which parallel decoding commits a token (None: engine default; 1.0 disables parallel
    commits and falls back to one token per step). temperature/top_p: sampling; temperature 0 is greedy.
    candidates: how many distinct candidates to return, best first. line_beam (AR only): above 1, beam search
    of that width for the most probable *first lines* of the continuation (each ends at the end of its first
    line of code, or earlier where the stop rule cuts), up to ``candidates`` of them, most probable first;
    temperature is then ignored. An engine that cannot search returns its greedy continuation instead.
    """

    segments: tuple[str, ...]
    holes: tuple[HoleSpec, ...]
    language: str | None = None
    mode: Mode = "auto"
    steps: int | None = None
    threshold: float | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    candidates: int = 1
    line_beam: int = 0

    def __post_init__(self) -> None:
        if len(self.segments) != len(self.holes) + 1:
            raise ValueError(f"{len(self.segments)} segments need {len(self.segments) - 1} holes, got {len(self.holes)}")
        if not self.holes:
            raise ValueError("a fill request needs at least one hole")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.candidates < 1:
            raise ValueError("candidates must be at least 1")
        if self.line_beam < 0:
            raise ValueError("line_beam must be 0 or more")

    @classmethod
    def single(cls, prefix: str, suffix: str, hole: HoleSpec | None = None, **options: object) -> FillRequest:
        """One hole between ``prefix`` and ``suffix``."""
        return cls(segments=(prefix, suffix), holes=(hole or HoleSpec(),), **options)  # type: ignore[arg-type]

    @property
    def is_append(self) -> bool:
        """True when there is one hole and nothing but whitespace after it."""
        return len(self.holes) == 1 and not self.segments[-1].strip()

    def resolved_mode(self) -> Literal["diffusion", "ar"]:
        if self.mode == "auto":
            # re-rolling a draft is a denoising task even at the end of a file
            rerolling = any(hole.draft is not None for hole in self.holes)
            return "ar" if self.is_append and not rerolling else "diffusion"
        return self.mode

    def with_options(self, **changes: object) -> FillRequest:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Step:
    """One denoising step (diffusion) or token chunk (AR), for progress and live display.

    fills: the current text of each hole, still-masked tokens shown as :data:`MASK_GLYPH`.
    confidence: per hole, the confidence of each token committed so far (masked tokens are omitted).
    """

    index: int
    total: int
    fills: tuple[str, ...]
    masked: int
    confidence: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class Candidate:
    """One complete fill. ``score`` is the mean log-probability per generated token (higher is better)."""

    fills: tuple[str, ...]
    score: float
    tokens: tuple[tuple[Token, ...], ...] = ()
    valid: bool | None = None

    @property
    def text(self) -> str:
        """The fill of a single-hole request."""
        return self.fills[0]


@dataclass(frozen=True)
class FillResult:
    candidates: tuple[Candidate, ...]
    mode: Literal["diffusion", "ar"]
    steps: int
    forward_passes: int
    elapsed_s: float
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> Candidate:
        return self.candidates[0]


#: Decides whether a candidate is acceptable (e.g. it parses); used to rank candidates. Gets one text per hole.
Validator = Callable[[tuple[str, ...]], bool]
#: For AR continuation: given the text generated so far, the character index to cut it at, or None to go on.
StopRule = Callable[[str], int | None]
CancelCheck = Callable[[], bool]


@runtime_checkable
class Engine(Protocol):
    """A model that fills holes. Implementations live in ``unmask.model.backends``."""

    name: str

    def iter_fill(
        self,
        request: FillRequest,
        *,
        validate: Validator | None = None,
        stop: StopRule | None = None,
    ) -> Generator[Step | FillResult, None, None]:
        """Yield a :class:`Step` per forward pass, then exactly one :class:`FillResult` last."""
        ...

    def describe(self) -> dict[str, object]:
        """Name, backend, parameter count, device, context window: for ``doctor`` and the status line."""
        ...


def run_fill(
    engine: Engine,
    request: FillRequest,
    *,
    validate: Validator | None = None,
    stop: StopRule | None = None,
    on_step: Callable[[Step], None] | None = None,
    cancelled: CancelCheck | None = None,
) -> FillResult:
    """Drive :meth:`Engine.iter_fill` to the end; ``cancelled`` is checked between steps."""
    generator = engine.iter_fill(request, validate=validate, stop=stop)
    try:
        for item in generator:
            if isinstance(item, FillResult):
                return item
            if on_step is not None:
                on_step(item)
            if cancelled is not None and cancelled():
                raise Cancelled("generation cancelled")
    finally:
        generator.close()
    raise ModelError(f"engine {engine.name} ended without a result")


# -- registry ---------------------------------------------------------------------------------------------

#: backend name -> "module:function" taking (path: str | None, **options) and returning an Engine.
BACKENDS: dict[str, str] = {
    "embedded": "unmask.model.backends.embedded:load",
    "hf_mlm": "unmask.model.backends.hf_mlm:load",
    "dream": "unmask.model.backends.dream:load",
    "llada": "unmask.model.backends.llada:load",
    "hf_causal": "unmask.model.backends.hf_causal:load",
    "remote": "unmask.model.backends.remote:load",
    "fake": "unmask.model.api:load_fake",
}


def guess_backend(path: str | None) -> str:
    """Pick a backend from a model path's config.json (``auto``)."""
    if path is None:
        return "embedded"
    if path.startswith(("http://", "https://")) or "+http://" in path or "+https://" in path:
        return "remote"
    config_path = Path(path) / "config.json"
    if not config_path.is_file():
        raise ModelError(f"{path}: no config.json here; pass a Hugging Face model folder or set the backend")
    import json

    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{config_path}: cannot read it ({exc})") from exc
    model_type = str(config.get("model_type", "")).lower()
    architectures = " ".join(config.get("architectures") or []).lower()
    if model_type == "unmask":
        return "embedded"
    if model_type == "dream" or "dream" in architectures:
        return "dream"
    if model_type == "llada" or "llada" in architectures:
        return "llada"
    if "formaskedlm" in architectures:
        return "hf_mlm"
    if "forcausallm" in architectures:
        return "hf_causal"
    raise ModelError(f"{config_path}: unknown model type {model_type!r}; set the backend explicitly")


def load_engine(path: str | os.PathLike[str] | None = None, backend: str = "auto", **options: object) -> Engine:
    """Load an engine. ``path`` None means the shipped model. Raises :class:`ModelError` with a fix."""
    path_str = None if path is None else str(path)
    name = guess_backend(path_str) if backend == "auto" else backend
    if name not in BACKENDS:
        raise ModelError(f"unknown backend {name!r}; choose one of: auto, {', '.join(BACKENDS)}")
    module_name, function_name = BACKENDS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(f"backend {name!r} cannot be imported: {exc}") from exc
    loader = getattr(module, function_name)
    return loader(path_str, **options)


# -- a deterministic fake, for fast protocol tests only ----------------------------------------------------


class FakeEngine:
    """Fills every hole with its original text (or ``pass``) over a fixed number of steps. Torch-free.

    Only for fast protocol tests of the server; real behaviour is tested with the shipped model.
    ``step_delay_s`` makes each step take time so cancellation can be exercised.
    """

    name = "fake"

    def __init__(self, steps: int = 4, step_delay_s: float = 0.0, text: str | None = None) -> None:
        self.steps = steps
        self.step_delay_s = step_delay_s
        self.text = text

    def describe(self) -> dict[str, object]:
        return {"name": "fake", "backend": "fake", "parameters": 0, "device": "none", "context_tokens": 0}

    def iter_fill(
        self,
        request: FillRequest,
        *,
        validate: Validator | None = None,
        stop: StopRule | None = None,
    ) -> Generator[Step | FillResult, None, None]:
        started = time.perf_counter()
        final = tuple(self.text if self.text is not None else (hole.original or "pass") for hole in request.holes)
        for index in range(self.steps):
            if self.step_delay_s:
                time.sleep(self.step_delay_s)
            shown = tuple(text[: len(text) * (index + 1) // self.steps] for text in final)
            yield Step(index=index + 1, total=self.steps, fills=shown, masked=self.steps - index - 1)
        candidate = Candidate(fills=final, score=0.0, valid=None if validate is None else validate(final))
        yield FillResult(
            candidates=(candidate,),
            mode=request.resolved_mode(),
            steps=self.steps,
            forward_passes=self.steps,
            elapsed_s=time.perf_counter() - started,
        )


def load_fake(path: str | None = None, **options: object) -> FakeEngine:
    return FakeEngine(**options)  # type: ignore[arg-type]
