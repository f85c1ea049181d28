"""Left-to-right continuation for appends, with a KV cache, for any causal model.

Stops at end-of-sequence, at the token budget, or where the caller's syntax-aware ``stop`` rule cuts the
text (end of statement or block), or when the last tokens repeat one short unit many times (a loop: see
:func:`looping`). Yields a :class:`Step` every few tokens so editors can show the text grow.

With ``line_beam`` (see :class:`~unmask.model.api.FillRequest`) it instead searches the most probable first
lines: a beam of that width, all beams advanced in one batched pass per token (a model with
``extend_beams``), each hypothesis finished at the end of its first line of code. Greedy decoding commits to its
first guess at every token (``return a ==`` once ``==`` is likelier than ``+`` after ``a``); the beam keeps the
runner-up lines, and the caller ranks them with the code after the hole in view.

A line beam may be given a ``guide`` (:class:`~unmask.model.diffusion.SlotGuide`): the diffusion mode's view of
the hole, read with the code on both sides in view. The beam's first steps then rank tokens by the product of
both modes' probabilities (the guide's weighted by :data:`GUIDE_WEIGHT`), so a line the code after the hole calls
for (``return total`` where ``total`` is what the function built) survives the beam's pruning though the prefix
alone makes it unlikely. A guide that can ``follow`` reads, at each of the first :data:`FOLLOW_TOKENS` steps,
every live hypothesis' next slot with the hypothesis written into the canvas (one batched pass per step);
otherwise the first :data:`GUIDE_TOKENS` steps use the offsets read with every slot masked, which do not know
what a hypothesis wrote before them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Protocol

import torch

from unmask.model.api import Candidate, FillRequest, FillResult, Step, StopRule, Token
from unmask.model.diffusion import SlotGuide, TextCodec

#: Yield a progress step after this many new tokens.
STEP_EVERY = 4
#: a line beam hypothesis longer than this many tokens is dropped (a first line rarely is)
LINE_BEAM_TOKENS = 48
#: a continuation whose last tokens are one unit of at most LOOP_UNIT tokens said LOOP_REPEATS times in a row
#: (``list(list(list(…``, ``.quantum.quantum…``) has fallen into a loop it will not leave: it stops there
LOOP_UNIT = 3
LOOP_REPEATS = 8
#: a line beam's guide (module docstring): the weight of its log-probabilities, and how many first tokens it shapes
GUIDE_WEIGHT = 0.5
GUIDE_TOKENS = 3
#: with a guide that can read each hypothesis' next slot (``SlotGuide.follow``), how many first tokens it shapes
FOLLOW_TOKENS = 4


class CausalModel(Protocol):
    window: int
    #: optional, for ``line_beam``: a true ``line_beams`` attribute and ``extend_beams(cache, parents, tokens) ->
    #: (logits (N, V), cache)``, which appends ``tokens[i]`` to the sequence of beam ``parents[i]`` (beams of the
    #: previous call; the prefill's row is beam 0) in one pass

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


def _context(model: CausalModel, codec: TextCodec, prefix: str, budget: int) -> tuple[list[int], str, list[int] | None]:
    """The ids to prefill (bos and the end of the prefix, leaving ``budget`` positions), with token healing."""
    prefix_ids = codec.encode(prefix[-model.window * 8 :])
    prefix_ids, heal_text, heal_ids = heal_prefix(codec, prefix_ids)
    bos = [] if codec.bos_id is None else [codec.bos_id]
    keep = max(1, model.window - budget - len(bos))
    return bos + prefix_ids[-keep:], heal_text, heal_ids


def _restrict(logits: torch.Tensor, banned: list[int], heal_ids: list[int] | None) -> torch.Tensor:
    """``logits`` (..., V) with the banned ids made impossible and, given ``heal_ids`` (the first token after a
    healed prefix), every other id too."""
    if banned:
        logits[..., banned] = float("-inf")
    if heal_ids is not None:
        allowed = torch.full_like(logits, float("-inf"))
        allowed[..., heal_ids] = 0.0
        logits = logits + allowed
    return logits


def _shown(codec: TextCodec, ids: list[int], probs: list[float], heal_text: str) -> tuple[Token, ...]:
    """The generated tokens as :class:`Token` s; the healed text belongs to the prefix, not the fill."""
    tokens = tuple(Token(id=t, text=codec.token_text(t), confidence=p) for t, p in zip(ids, probs))
    if heal_text and tokens:
        tokens = (replace(tokens[0], text=tokens[0].text[len(heal_text) :]),) + tokens[1:]
    return tokens


def first_line_end(text: str) -> int | None:
    """Where the first line of code in ``text`` ends (its line break), or None while it has not ended."""
    leading = len(text) - len(text.lstrip())
    end = text.find("\n", leading)
    return end if end > 0 and text[:end].strip() else None


def ar_fill(
    model: CausalModel,
    codec: TextCodec,
    request: FillRequest,
    *,
    stop: StopRule | None = None,
    guide: SlotGuide | None = None,
) -> Iterator[Step | FillResult]:
    """Continue ``request``'s prefix (see module docstring); ``guide`` shapes a line beam's first tokens and is
    ignored otherwise."""
    started = time.perf_counter()
    budget = request.holes[0].max_tokens
    if request.line_beam > 1 and getattr(model, "line_beams", False):
        yield from _line_beam(model, codec, request, stop, started, guide)
        return
    if request.line_beam > 1:  # no beam search here: the greedy continuation stands in
        request = replace(request, candidates=1, temperature=0.0)
    ids, heal_text, heal_ids = _context(model, codec, request.segments[0], budget)
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
            logits = _restrict(logits, banned, heal_ids if not generated else None)
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
        tokens = _shown(codec, generated, confidences, heal_text)
        if all(candidate.text != text for candidate in candidates):
            candidates.append(Candidate(fills=(text,), score=score, tokens=(tokens,)))
    yield FillResult(
        candidates=tuple(candidates),
        mode="ar",
        steps=max(1, passes),
        forward_passes=passes,
        elapsed_s=time.perf_counter() - started,
    )


def _line_beam(
    model: Any, codec: TextCodec, request: FillRequest, stop: StopRule | None, started: float,
    guide: SlotGuide | None = None,
) -> Iterator[FillResult]:
    """Beam search for the most probable first lines (see module docstring); finished lines best first. The
    ``guide``'s offset 0 is the first token after the prefix, so it is not used where the prefix was healed (its
    first token then re-writes the prefix's last one)."""
    width = request.line_beam
    budget = min(request.holes[0].max_tokens, LINE_BEAM_TOKENS)
    ids, heal_text, heal_ids = _context(model, codec, request.segments[0], budget)
    banned = [t for t in codec.banned_ids if t != codec.eos_id]
    with torch.no_grad():
        logits, cache = model.prefill(ids)
    logits = logits[None]
    passes = 1 if guide is None else 2  # the guide's pass
    guided = 0  # how many first steps the guide shapes
    if guide is not None and GUIDE_WEIGHT > 0 and heal_ids is None and guide.first.shape[-1] == logits.shape[-1]:
        guided = min(GUIDE_TOKENS, guide.first.shape[0]) if guide.follow is None else min(FOLLOW_TOKENS, guide.first.shape[0] - 1)
    beams: list[tuple[float, list[int], list[float]]] = [(0.0, [], [])]  # log-probability, tokens, their probs
    finished: dict[str, tuple[float, list[int], list[float]]] = {}
    for step in range(budget):
        logp = _restrict(logits.float(), banned, heal_ids if not beams[0][1] else None).log_softmax(-1)
        if step < guided:
            assert guide is not None
            if step == 0 or guide.follow is None:
                view = guide.first[step]
            else:  # each beam's next slot, read with its tokens in the canvas
                view = guide.follow([tokens for _, tokens, _ in beams])
                passes += 1
            logp = (logp + GUIDE_WEIGHT * view).log_softmax(-1)
        total = logp + torch.tensor([beam[0] for beam in beams])[:, None]
        vocab = total.shape[1]
        values, flat = total.flatten().topk(min(2 * width, total.numel()))  # finished lines leave room
        kept: list[tuple[float, list[int], list[float]]] = []
        parents: list[int] = []
        for value, index in zip(values.tolist(), flat.tolist()):
            if value == float("-inf"):
                break
            parent, token = divmod(index, vocab)
            _, tokens, probs = beams[parent]
            step_p = math.exp(float(logp[parent, token]))
            if token == codec.eos_id:
                text = codec.decode(tokens)[len(heal_text) :]
                if text.strip():
                    finished.setdefault(text, (value, tokens, probs))
                continue
            grown, grown_p = tokens + [token], probs + [step_p]
            text = codec.decode(grown)[len(heal_text) :]
            ends = [at for at in (first_line_end(text), stop(text) if stop is not None else None) if at is not None]
            if ends:
                line = text[: min(ends)].rstrip()
                if line.strip():
                    finished.setdefault(line, (value, grown, grown_p))
                continue
            if len(kept) < width:
                kept.append((value, grown, grown_p))
                parents.append(parent)
        if len(finished) >= request.candidates:  # a live line can only lose probability: drop those already beaten
            worst = sorted(value for value, _, _ in finished.values())[-request.candidates]
            kept_parents = [(beam, parent) for beam, parent in zip(kept, parents) if beam[0] > worst]
            kept, parents = [beam for beam, _ in kept_parents], [parent for _, parent in kept_parents]
        if not kept:
            beams = []
            break
        beams = kept
        if step + 1 < budget:
            with torch.no_grad():
                logits, cache = model.extend_beams(cache, parents, [tokens[-1] for _, tokens, _ in kept])
            passes += 1
    for value, tokens, probs in beams:  # the token budget ran out: the live lines stand in, as in a continuation
        text = codec.decode(tokens)[len(heal_text) :].rstrip()
        if text.strip():
            finished.setdefault(text, (value, tokens, probs))
    candidates = []
    for text, (value, tokens, probs) in sorted(finished.items(), key=lambda item: -item[1][0])[: request.candidates]:
        shown = _shown(codec, tokens, probs, heal_text)
        candidates.append(Candidate(fills=(text,), score=value / max(1, len(tokens)), tokens=(shown,)))
    yield FillResult(
        candidates=tuple(candidates),
        mode="ar",
        steps=passes,
        forward_passes=passes,
        elapsed_s=time.perf_counter() - started,
    )
