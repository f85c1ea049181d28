"""Left-to-right continuation for appends, with a KV cache, for any causal model.

Stops at end-of-sequence, at the token budget, or where the caller's syntax-aware ``stop`` rule cuts the
text (end of statement or block), or when the last tokens repeat one short unit many times (a loop: see
:func:`looping`). Yields a :class:`Step` every few tokens so editors can show the text grow.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Protocol

import torch

from unmask.model.api import Candidate, FillRequest, FillResult, Step, StopRule, Token
from unmask.model.diffusion import TextCodec

#: Yield a progress step after this many new tokens.
STEP_EVERY = 4
#: a continuation whose last tokens are one unit of at most LOOP_UNIT tokens said LOOP_REPEATS times in a row
#: (``list(list(list(…``, ``.quantum.quantum…``) has fallen into a loop it will not leave: it stops there
LOOP_UNIT = 3
LOOP_REPEATS = 8


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
        best, top = probs.max(dim=-1)
        return int(top), float(best)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        sorted_probs[(sorted_probs.cumsum(0) - sorted_probs) > top_p] = 0.0
        probs = torch.zeros_like(probs).scatter(0, order, sorted_probs)
        probs /= probs.sum()
    token = int(torch.multinomial(probs, 1, generator=generator))
    return token, float(probs[token])


def heal_prefix(codec: TextCodec, prefix_ids: list[int]) -> tuple[list[int], str, list[int] | None]:
    """Token healing at the seam. Text is tokenized as a whole in training, so a prefix that ends with a lone
    line break (the cursor at column 0 of a new line) ends with a token the model rarely saw there: the
    tokenizer glues the break to the next line's indentation. Back off that last whitespace token and allow
    only first tokens that start with its text; the caller drops that text from the continuation.
    Returns (prefix ids, healed text, allowed first ids or None when there is nothing to heal)."""
    starting_with = getattr(codec, "tokens_starting_with", None)
    if not prefix_ids or starting_with is None:
        return prefix_ids, "", None
    last = codec.token_text(prefix_ids[-1])
    if not last.endswith("\n") or last.strip():
        return prefix_ids, "", None
    return prefix_ids[:-1], last, starting_with(last)


def looping(ids: list[int], unit: int = LOOP_UNIT, repeats: int = LOOP_REPEATS) -> bool:
    """True when ``ids`` ends with some unit of 1..``unit`` tokens repeated ``repeats`` times."""
    for size in range(1, unit + 1):
        span = size * repeats
        if len(ids) >= span:
            tail = ids[-span:]
            if all(tail[i] == tail[i % size] for i in range(size, span)):
                return True
    return False


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
    prefix_ids, heal_text, heal_ids = heal_prefix(codec, prefix_ids)
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
            if heal_ids is not None and not generated:
                allowed = torch.full_like(logits, float("-inf"))
                allowed[heal_ids] = 0.0
                logits = logits + allowed
            token, p = _pick(logits, temperature, request.top_p, generator)
            if token == codec.eos_id:
                break
            generated.append(token)
            confidences.append(p)
            text = codec.decode(generated)[len(heal_text) :]
            if stop is not None:
                cut = stop(text)
                if cut is not None:
                    text = text[:cut]
                    break
            if looping(generated):
                break
            if index == 0 and len(generated) % STEP_EVERY == 0:
                yield Step(index=len(generated), total=budget, fills=(text,), masked=0, confidence=(tuple(confidences),))
            with torch.no_grad():
                logits, cache = model.extend(cache, token)
            passes += 1
        score = sum(math.log(max(c, 1e-6)) for c in confidences) / max(1, len(confidences))
        tokens = tuple(Token(id=t, text=codec.token_text(t), confidence=c) for t, c in zip(generated, confidences))
        if heal_text and tokens:  # the healed text belongs to the prefix, not the fill
            tokens = (replace(tokens[0], text=tokens[0].text[len(heal_text) :]),) + tokens[1:]
        if all(candidate.text != text for candidate in candidates):
            candidates.append(Candidate(fills=(text,), score=score, tokens=(tokens,)))
    yield FillResult(
        candidates=tuple(candidates),
        mode="ar",
        steps=max(1, passes),
        forward_passes=passes,
        elapsed_s=time.perf_counter() - started,
    )
