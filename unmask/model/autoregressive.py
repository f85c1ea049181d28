"""Left-to-right continuation for appends, with a KV cache, for any causal model.

Stops at end-of-sequence, at the token budget, or where the caller's syntax-aware ``stop`` rule cuts the
text (end of statement or block). Yields a :class:`Step` every few tokens so editors can show the text grow.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any, Protocol

import torch

from unmask.model.api import Candidate, FillRequest, FillResult, Step, StopRule, Token
from unmask.model.diffusion import TextCodec

#: Yield a progress step after this many new tokens.
STEP_EVERY = 4


class CausalModel(Protocol):
    window: int

    def prefill(self, ids: list[int]) -> tuple[torch.Tensor, Any]:
        """Logits (V,) for the token after ``ids`` and an opaque cache."""
        ...

    def extend(self, cache: Any, token: int) -> tuple[torch.Tensor, Any]:
        """Logits (V,) for the token after ``token``, appended to the cached sequence."""
        ...


def _pick(logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator) -> tuple[int, float]:
    probs = torch.softmax(logits.float() / max(temperature, 1e-6), dim=-1) if temperature > 0 else torch.softmax(logits.float(), -1)
    if temperature <= 0:
        p, token = probs.max(dim=-1)
        return int(token), float(p)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        sorted_probs[(sorted_probs.cumsum(0) - sorted_probs) > top_p] = 0.0
        probs = torch.zeros_like(probs).scatter(0, order, sorted_probs)
        probs /= probs.sum()
    token = int(torch.multinomial(probs, 1, generator=generator))
    return token, float(probs[token])


def ar_fill(
    model: CausalModel,
    codec: TextCodec,
    request: FillRequest,
    *,
    stop: StopRule | None = None,
) -> Iterator[Step | FillResult]:
    started = time.perf_counter()
    hole = request.holes[0]
    budget = hole.max_tokens
    prefix_ids = codec.encode(request.segments[0][-model.window * 8 :])
    bos = [] if codec.bos_id is None else [codec.bos_id]
    keep = max(1, model.window - budget - len(bos))
    ids = bos + prefix_ids[-keep:]
    banned = [t for t in codec.banned_ids if t != codec.eos_id]
    candidates: list[Candidate] = []
    passes = 0
    for index in range(request.candidates):
        generator = torch.Generator().manual_seed(request.seed + index)
        temperature = request.temperature if index == 0 else max(request.temperature, 0.7)
        with torch.no_grad():
            logits, cache = model.prefill(ids)
        passes += 1
        generated: list[int] = []
        confidences: list[float] = []
        text = ""
        cut: int | None = None
        while len(generated) < budget:
            if banned:
                logits[banned] = float("-inf")
            token, p = _pick(logits, temperature, request.top_p, generator)
            if token == codec.eos_id:
                break
            generated.append(token)
            confidences.append(p)
            text = codec.decode(generated)
            if stop is not None:
                cut = stop(text)
                if cut is not None:
                    text = text[:cut]
                    break
            if index == 0 and len(generated) % STEP_EVERY == 0:
                yield Step(index=len(generated), total=budget, fills=(text,), masked=0, confidence=(tuple(confidences),))
            with torch.no_grad():
                logits, cache = model.extend(cache, token)
            passes += 1
        score = sum(math.log(max(c, 1e-6)) for c in confidences) / max(1, len(confidences))
        tokens = tuple(Token(id=t, text=codec.token_text(t), confidence=c) for t, c in zip(generated, confidences))
        if all(candidate.text != text for candidate in candidates):
            candidates.append(Candidate(fills=(text,), score=score, tokens=(tokens,)))
    yield FillResult(
        candidates=tuple(candidates),
        mode="ar",
        steps=max(1, passes),
        forward_passes=passes,
        elapsed_s=time.perf_counter() - started,
    )
