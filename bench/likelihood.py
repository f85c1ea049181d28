"""Reference likelihood: how probable the model finds the *true* fill of each function hole.

pass@1 of a small model moves in steps of one task, so it hides real progress; this section measures the
model itself. For every hole (the ``line`` convention of the function dataset) the reference fill is tokenized
into a canvas followed by filler, and each reference token ``k`` (then the filler that ends the fill) is
predicted with tokens ``< k`` revealed and the rest masked: the left-to-right order the engine's
semi-autoregressive blocks decode in. Reported per kind: mean negative log-likelihood per token (nats, lower
is better) and top-1 accuracy (the model's most likely token is the reference token).

Rows: the engine as loaded, and for the embedded backend the same weights without the context pointer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.context import BenchContext
from bench.functions import DATA_DIR, HEADLINE_CONVENTION, InfillTask, load_cases, make_task, select_holes
from unmask.model.api import Engine, FillRequest, HoleSpec, load_engine

#: filler slots after the reference: the model must predict the first of them (the fill ends there)
FILLER = 4


def reference_scores(engine: Engine, task: InfillTask) -> tuple[float, int, int]:
    """(summed NLL in nats, tokens scored, top-1 hits) of ``task.middle`` between its prefix and suffix."""
    import torch

    from unmask.model.diffusion import layout_rows

    codec = engine.codec  # type: ignore[attr-defined]
    denoiser = engine.denoiser  # type: ignore[attr-defined]
    reference = codec.encode(task.middle)
    targets = [*reference, codec.pad_id]
    request = FillRequest.single(task.prefix, task.suffix, HoleSpec())
    layout = layout_rows(request, codec, [(len(reference) + FILLER,)] * len(targets), denoiser.window)
    ids = layout.ids.clone()
    for k in range(len(targets)):  # row k: the first k reference tokens revealed
        ids[k, layout.canvas[k, :k]] = torch.tensor(reference[:k], dtype=torch.long)
    slots = torch.arange(len(targets)).unsqueeze(1)  # row k predicts canvas slot k
    with torch.no_grad():
        session = denoiser.session(ids, layout.key_mask, layout.canvas, layout.valid)
        logp = session.predict(ids, slots)[:, 0].float().log_softmax(-1)
    truth = torch.tensor(targets)
    nll = -logp.gather(1, truth[:, None]).sum().item()
    hits = int((logp.argmax(-1) == truth).sum())
    return nll, len(targets), hits


def score_tasks(engine: Engine, tasks: Sequence[InfillTask], update: Any) -> dict[str, float]:
    nll = tokens = hits = 0.0
    for task in tasks:
        a, b, c = reference_scores(engine, task)
        nll, tokens, hits = nll + a, tokens + b, hits + c
        update()
    return {"nll_per_token": round(nll / max(tokens, 1), 4), "top1": round(hits / max(tokens, 1), 4),
            "tokens": int(tokens)}


def likelihood_section(ctx: BenchContext) -> dict[str, Any]:
    engine = ctx.engine()
    if not hasattr(engine, "denoiser") or getattr(engine, "denoiser", None) is None:
        return {"skipped": f"{engine.name} has no denoiser to score with"}
    limit = ctx.limit(100, 20)
    holes = select_holes(load_cases(ctx.options.functions_dir or DATA_DIR), limit, ctx.options.seed)
    tasks = {kind: [make_task(hole, HEADLINE_CONVENTION) for hole in holes[kind]] for kind in ("single", "multi")}
    variants: list[tuple[str, Engine]] = [("as loaded", engine)]
    if engine.describe().get("backend") == "embedded" and engine.describe().get("pointer_weight"):
        variants.append(("no pointer", load_engine(ctx.options.model, backend=ctx.options.backend, pointer_weight=0.0)))
    rows = []
    total = sum(len(t) for t in tasks.values()) * len(variants)
    with ctx.progress("likelihood", total) as update:
        for name, variant in variants:
            for kind, kind_tasks in tasks.items():
                rows.append({"variant": name, "kind": kind, "n": len(kind_tasks), **score_tasks(variant, kind_tasks, update)})
    return {"convention": HEADLINE_CONVENTION, "filler": FILLER, "rows": rows}
