"""Quality sections: functional correctness (``functions``), span infill by kind (``spans``), diffusion vs AR and
predicted vs oracle length on the function tasks (``compare``), and quality vs steps / threshold (``sweep``).

Every section returns a JSON-ready dict with a ``summary`` (rows of numbers the report turns into tables) and
``records`` (one per fill, for digging into failures).
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.context import BenchContext
from bench.fillers import Answer, EngineFiller, Job, JsonlFiller
from bench.functions import (
    CONVENTIONS,
    DATA_DIR,
    HEADLINE_CONVENTION,
    InfillTask,
    earlier_overlap,
    load_cases,
    make_task,
    overlap_with_corpus,
    parses,
    placeholder_fill,
    run_programs,
    select_holes,
)
from bench.metrics import edit_similarity, exact_match, mean, no_new_syntax_errors, percentile, rate
from bench.spans import DEFAULT_HELDOUT, KINDS, sample_spans

#: Steps (fixed-step mode, threshold 1.0; None = one token per step) and thresholds swept by ``sweep``.
SWEEP_STEPS: tuple[int | None, ...] = (1, 2, 4, 8, 16, None)
SWEEP_THRESHOLDS: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9, 0.95)
QUICK_SWEEP_STEPS: tuple[int | None, ...] = (1, 4, None)
QUICK_SWEEP_THRESHOLDS: tuple[float, ...] = (0.7, 0.9)


def _round(value: float, digits: int = 4) -> float:
    return value if math.isnan(value) else round(value, digits)


# -- functional correctness --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    task: InfillTask
    answer: Answer
    passed: bool
    error: str | None
    parse_valid: bool
    syntax_ok: bool
    exact: bool
    similarity: float
    trivial: bool


def _score_tasks(
    tasks: Sequence[InfillTask], answers: Sequence[Answer], trivial: dict[str, bool], ctx: BenchContext, update: Callable[[], None]
) -> list[Scored]:
    outcomes = run_programs([t.program(a.fill) for t, a in zip(tasks, answers)], ctx.options.timeout_s, on_done=update)
    scored = []
    for task, answer, outcome in zip(tasks, answers, outcomes):
        program = task.prefix + answer.fill + task.suffix
        scored.append(
            Scored(
                task, answer, outcome.passed, answer.error or outcome.error, parses(program),
                no_new_syntax_errors(task.case.code, program), exact_match(answer.fill, task.middle), edit_similarity(answer.fill, task.middle), trivial[task.id],
            )
        )
    return scored


def _summary_row(scored: Sequence[Scored], **keys: Any) -> dict[str, Any]:
    informative = [s for s in scored if not s.trivial]
    modes = Counter(s.answer.mode or "error" for s in scored)
    return {
        **keys,
        "n": len(scored),
        "pass_at_1": _round(rate([s.passed for s in scored])),
        "pass_at_1_informative": _round(rate([s.passed for s in informative])),
        "parse_valid": _round(rate([s.parse_valid for s in scored])),
        "no_new_syntax_errors": _round(rate([s.syntax_ok for s in scored])),
        "exact_match": _round(rate([s.exact for s in scored])),
        "edit_similarity": _round(mean([s.similarity for s in scored])),
        "p50_ms": _round(percentile([s.answer.elapsed_ms for s in scored], 50), 1),
        "forward_passes": _round(mean([s.answer.forward_passes for s in scored]), 2),
        "ar_share": _round(modes.get("ar", 0) / len(scored)) if scored else float("nan"),
        "errors": modes.get("error", 0),
    }


def _record(s: Scored, **keys: Any) -> dict[str, Any]:
    return {
        **keys,
        "id": s.task.id,
        "kind": s.task.kind,
        "convention": s.task.convention,
        "fill": s.answer.fill,
        "reference": s.task.middle,
        "passed": s.passed,
        "error": s.error,
        "parse_valid": s.parse_valid,
        "no_new_syntax_errors": s.syntax_ok,
        "engine_valid": s.answer.valid,
        "exact": s.exact,
        "edit_similarity": round(s.similarity, 4),
        "trivial": s.trivial,
        "mode": s.answer.mode,
        "ms": round(s.answer.elapsed_ms, 1),
        "forward_passes": s.answer.forward_passes,
    }


class FunctionSuite:
    """The selected holes with their reference and placeholder outcomes (computed once, shared by sections)."""

    def __init__(self, ctx: BenchContext, limit: int | None) -> None:
        self.ctx = ctx
        self.cases = load_cases(ctx.options.functions_dir or DATA_DIR)
        self.all_holes = select_holes(self.cases, None, ctx.options.seed)
        self.holes = {kind: holes[:limit] if limit is not None else holes for kind, holes in self.all_holes.items()}
        flat = [hole for holes in self.holes.values() for hole in holes]
        tasks = [make_task(hole, HEADLINE_CONVENTION) for hole in flat]
        with ctx.progress("functions: reference runs", 2 * len(tasks)) as update:
            reference = run_programs([t.program(t.middle) for t in tasks], ctx.options.timeout_s, on_done=update)
            placeholder = run_programs([t.program(placeholder_fill(t)) for t in tasks], ctx.options.timeout_s, on_done=update)
        self.reference_failures = [t.id for t, r in zip(tasks, reference) if not r.passed]
        self.trivial = {t.id: r.passed for t, r in zip(tasks, placeholder)}

    def limited(self, count: int | None) -> FunctionSuite:
        """The same suite with at most ``count`` holes per kind (a prefix of the selection)."""
        trimmed = copy.copy(self)
        trimmed.holes = {kind: holes[:count] for kind, holes in self.holes.items()} if count is not None else self.holes
        return trimmed

    def tasks(self, convention: str, kinds: Sequence[str] = ("single", "multi")) -> list[InfillTask]:
        return [make_task(hole, convention) for kind in kinds for hole in self.holes[kind]]

    def dataset(self) -> dict[str, Any]:
        selected = sum(len(h) for h in self.holes.values())
        train = (self.ctx.options.heldout or DEFAULT_HELDOUT).with_name("train.jsonl")
        return {
            "overlap": overlap_with_corpus(self.cases, train) if train.is_file()
            else earlier_overlap(self.cases, self.ctx.options.out / "functions.json"),
            "functions": len(self.cases),
            "holes": {kind: len(holes) for kind, holes in self.all_holes.items()},
            "selected": {kind: len(holes) for kind, holes in self.holes.items()},
            "reference_pass": _round(1 - len(self.reference_failures) / selected) if selected else None,
            "reference_failures": self.reference_failures,
            "trivial_share": {
                kind: _round(rate([self.trivial[h.id] for h in holes])) for kind, holes in self.holes.items()
            },
        }

    def score(self, tasks: Sequence[InfillTask], answers: Sequence[Answer], update: Callable[[], None]) -> list[Scored]:
        return _score_tasks(tasks, answers, self.trivial, self.ctx, update)


def functions_section(ctx: BenchContext, suite: FunctionSuite) -> dict[str, Any]:
    """pass@1 of single- and multi-line holes under each convention, filled as graders do (``--via``)."""
    options = ctx.options
    conventions = [c for c in options.conventions if c in CONVENTIONS]
    filler: EngineFiller | JsonlFiller
    if options.via == "jsonl":
        filler = JsonlFiller(options.model, options.backend)
    else:
        filler = EngineFiller(ctx.engine())
    summary: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for convention in conventions:
        tasks = suite.tasks(convention)
        with ctx.progress(f"functions [{convention}]", 2 * len(tasks)) as update:
            answers = filler.fill([Job(t.prefix, t.suffix) for t in tasks], update)
            scored = suite.score(tasks, answers, update)
        for kind in ("single", "multi"):
            rows = [s for s in scored if s.task.kind == kind]
            if rows:
                summary.append(_summary_row(rows, convention=convention, kind=kind))
        records.extend(_record(s) for s in scored)
    return {"via": options.via, "headline_convention": HEADLINE_CONVENTION, "dataset": suite.dataset(),
            "summary": summary, "records": records}


def _oracle_tokens(ctx: BenchContext, text: str) -> int | None:
    codec = getattr(ctx.engine(), "codec", None)
    return None if codec is None else max(1, len(codec.encode(text)))


def compare_section(ctx: BenchContext, suite: FunctionSuite) -> dict[str, Any]:
    """The headline-convention function tasks filled in-process as auto / diffusion / AR / diffusion with the
    oracle length, side by side."""
    filler = EngineFiller(ctx.engine())
    tasks = suite.tasks(HEADLINE_CONVENTION)
    variants = _variants(ctx, [t.middle for t in tasks])
    summary: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for variant, option_list in variants.items():
        with ctx.progress(f"compare [{variant}]", 2 * len(tasks)) as update:
            answers = filler.fill([Job(t.prefix, t.suffix, options=o) for t, o in zip(tasks, option_list)], update)
            scored = suite.score(tasks, answers, update)
        for kind in ("single", "multi"):
            rows = [s for s in scored if s.task.kind == kind]
            if rows:
                summary.append(_summary_row(rows, variant=variant, kind=kind))
        records.extend(_record(s, variant=variant) for s in scored)
    skipped = [] if "oracle_length" in variants else ["oracle_length: the engine exposes no codec to count tokens"]
    return {"convention": HEADLINE_CONVENTION, "summary": summary, "records": records, "skipped": skipped}


def _variants(ctx: BenchContext, middles: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    variants: dict[str, list[dict[str, Any]]] = {
        "auto": [{} for _ in middles],
        "diffusion": [{"mode": "diffusion"} for _ in middles],
        "ar": [{"mode": "ar"} for _ in middles],
    }
    oracle = [_oracle_tokens(ctx, m) for m in middles]
    if all(n is not None for n in oracle):
        variants["oracle_length"] = [{"mode": "diffusion", "length_tokens": n} for n in oracle]
    return variants


def sweep_section(ctx: BenchContext, suite: FunctionSuite) -> dict[str, Any]:
    """Single-line function tasks in diffusion mode: quality and cost vs step budget and vs threshold."""
    filler = EngineFiller(ctx.engine())
    limit = ctx.limit(40, 10)
    tasks = suite.tasks(HEADLINE_CONVENTION, ("single",))[:limit]
    steps_grid = QUICK_SWEEP_STEPS if ctx.options.quick else SWEEP_STEPS
    thresholds = QUICK_SWEEP_THRESHOLDS if ctx.options.quick else SWEEP_THRESHOLDS
    settings: list[dict[str, Any]] = [{"sweep": "steps", "steps": s, "threshold": 1.0} for s in steps_grid]
    settings += [{"sweep": "threshold", "steps": None, "threshold": t} for t in thresholds]
    summary = []
    with ctx.progress("sweep", 2 * len(tasks) * len(settings)) as update:
        for setting in settings:
            options: dict[str, Any] = {"mode": "diffusion", "threshold": setting["threshold"]}
            if setting["steps"] is not None:
                options["steps"] = setting["steps"]
            answers = filler.fill([Job(t.prefix, t.suffix, options=options) for t in tasks], update)
            scored = suite.score(tasks, answers, update)
            summary.append(_summary_row(scored, **setting))
    return {"convention": HEADLINE_CONVENTION, "kind": "single", "summary": summary}


# -- held-out spans ------------------------------------------------------------------------------------------


def spans_section(ctx: BenchContext) -> dict[str, Any]:
    """Held-out spans by kind, filled as diffusion (knowing the node kind), AR (prefix only, cut by the stop
    rule) and diffusion with the oracle length."""
    heldout = ctx.options.heldout or DEFAULT_HELDOUT
    if not heldout.is_file():
        return {"skipped": f"{heldout} not found: build it with `python -m unmask.model.data` (or pass --heldout)"}
    limit = ctx.limit(30, 5) or 30
    spans = sample_spans(heldout, limit, ctx.options.seed)
    flat = [span for kind in KINDS for span in spans.get(kind, [])]
    filler = EngineFiller(ctx.engine())
    oracle = [_oracle_tokens(ctx, s.middle) for s in flat]
    variants: dict[str, list[dict[str, Any]]] = {"diffusion": [{"mode": "diffusion"}] * len(flat),
                                                  "ar": [{"mode": "ar"}] * len(flat)}
    if all(n is not None for n in oracle):
        variants["oracle_length"] = [{"mode": "diffusion", "length_tokens": n} for n in oracle]
    summary: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    original_parses: dict[str, bool] = {}
    with ctx.progress("spans", len(flat) * len(variants)) as update:
        for variant, option_list in variants.items():
            jobs = [Job(s.prefix, s.suffix, kind=s.hole_kind, options=o) for s, o in zip(flat, option_list)]
            answers = filler.fill(jobs, update)
            by_kind: dict[str, list[tuple[Any, Answer, bool]]] = {}
            compiled: dict[str, list[bool | None]] = {}
            for span, answer in zip(flat, answers):
                filled = span.prefix + answer.fill + span.suffix
                syntax_ok = no_new_syntax_errors(span.text, filled)
                # tree-sitter accepts indentation errors; Python's own parser does not (None: the original
                # file does not parse with this Python either)
                compiles = parses(filled) if original_parses.setdefault(span.path, parses(span.text)) else None
                by_kind.setdefault(span.kind, []).append((span, answer, syntax_ok))
                compiled.setdefault(span.kind, []).append(compiles)
                records.append({
                    "variant": variant, "kind": span.kind, "id": span.id, "fill": answer.fill,
                    "reference": span.middle, "exact": exact_match(answer.fill, span.middle),
                    "parse_valid": syntax_ok, "compiles": compiles, "engine_valid": answer.valid,
                    "edit_similarity": round(edit_similarity(answer.fill, span.middle), 4),
                    "ms": round(answer.elapsed_ms, 1), "error": answer.error,
                })
            for kind in KINDS:
                pairs = by_kind.get(kind, [])
                if not pairs:
                    continue
                summary.append({
                    "variant": variant,
                    "kind": kind,
                    "n": len(pairs),
                    "exact_match": _round(rate([exact_match(a.fill, s.middle) for s, a, _ in pairs])),
                    "parse_valid": _round(rate([ok for _, _, ok in pairs])),
                    "compiles": _round(rate(compiled[kind])),
                    "engine_valid": _round(rate([a.valid for _, a, _ in pairs])),
                    "edit_similarity": _round(mean([edit_similarity(a.fill, s.middle) for s, a, _ in pairs])),
                    "p50_ms": _round(percentile([a.elapsed_ms for _, a, _ in pairs], 50), 1),
                })
    return {"heldout": str(heldout), "per_kind": limit, "summary": summary, "records": records}
