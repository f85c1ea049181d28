"""Masked-diffusion infilling over ``[prefix | canvas | middle | canvas | … | suffix]``, for any denoiser.

The sampler knows nothing about a particular network: a :class:`Denoiser` gives logits for the canvas
positions (it handles its own prediction shift and any context cache), a :class:`TextCodec` turns text into
ids and back. One call of :func:`diffusion_fill` is a generator yielding one :class:`Step` per forward pass.

Decoding, per step, over every row of the batch (rows differ by canvas length and seed):

* predict every still-masked canvas position; never the mask/bos/eos ids;
* **semi-autoregressive blocks** (default ``block=8``): only the leftmost ``block`` masked slots of each hole
  are eligible, so the fill grows from the left and the model ends it with filler after seeing what it wrote;
* **threshold mode** (default): commit every eligible position whose confidence is at least ``threshold``, and at least
  one per row (the most confident) — parallel decoding where the model is sure;
* **fixed-step mode** (``threshold=1.0`` or a step budget): commit the ``ceil(remaining / steps_left)`` most
  confident, re-masking the rest (LLaDA's low-confidence remasking);
* filler: once the filler token is committed at canvas offset ``o``, every later offset of that canvas is
  filler too — the model has chosen the fill's length.

Length: each row's canvases have one of several sizes (from the hole's original length, a per-kind prior, or
``length_tokens``); the rows are denoised in one batch and the best is kept by validity, then by mean
log-probability over the canvas.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from unmask.model.api import (
    MASK_GLYPH,
    Candidate,
    FillRequest,
    FillResult,
    HoleSpec,
    ModelError,
    Step,
    Token,
    Validator,
)

#: Expected fill length in tokens by syntax-node kind (a prior when nothing better is known).
LENGTH_PRIOR: dict[str, int] = {
    "identifier": 3,
    "integer": 2,
    "string": 8,
    "attribute": 5,
    "argument_list": 10,
    "parameters": 10,
    "comparison_operator": 8,
    "boolean_operator": 10,
    "binary_operator": 8,
    "call": 10,
    "expression": 8,
    "condition": 8,
    "expression_statement": 14,
    "return_statement": 12,
    "assignment": 14,
    "line": 14,
    "if_statement": 36,
    "for_statement": 36,
    "block": 40,
    "function_body": 48,
    "function_definition": 72,
}
DEFAULT_PRIOR = 16
#: Canvas sizes tried for a hole, as factors of the expected length.
LENGTH_FACTORS = (0.6, 1.2, 2.2)
#: the canvas :func:`slot_logprobs` reads for an AR line beam's guide (a line's room, with filler to spare)
GUIDE_CANVAS = 16


class TextCodec(Protocol):
    mask_id: int
    pad_id: int | None  # the filler token; None: the canvas length is the fill length
    bos_id: int | None
    eos_id: int | None
    banned_ids: Sequence[int]

    def encode(self, text: str) -> list[int]: ...
    def decode(self, ids: Sequence[int]) -> str: ...
    def token_text(self, token_id: int) -> str: ...


class DenoiseSession(Protocol):
    def predict(self, ids: torch.Tensor, slots: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, Q, V) predicting the tokens at the session's canvas positions, given current ids; with
        ``slots`` (B, K) indices into the canvas, only those: (B, K, V)."""
        ...

    # optional, for :class:`SlotGuide`: ``follow(ids, hypotheses) -> logits (N, V)``, on a one-row one-hole
    # session after its first ``predict``: the slot after each hypothesis, its tokens written into the canvas


class Denoiser(Protocol):
    window: int  # the most tokens a row may hold

    def session(self, ids: torch.Tensor, key_mask: torch.Tensor, canvas: torch.Tensor, valid: torch.Tensor) -> DenoiseSession:
        """Start denoising rows ``ids`` (B, T); ``canvas`` (B, Q) the canvas positions, ``valid`` (B, Q)."""
        ...


@dataclass
class Layout:
    """Where each hole's canvas sits in each row."""

    ids: torch.Tensor  # (B, T) with masks in the canvases
    key_mask: torch.Tensor  # (B, T) True for real tokens
    canvas: torch.Tensor  # (B, Q) positions of canvas tokens (padded with 0)
    valid: torch.Tensor  # (B, Q) True where canvas[b, q] is a real canvas slot
    hole_of: torch.Tensor  # (B, Q) which hole a canvas slot belongs to (-1 for padding)
    offset_in_hole: torch.Tensor  # (B, Q)
    lengths: list[tuple[int, ...]]  # per row, the canvas length of each hole


def expected_tokens(hole: HoleSpec, codec: TextCodec) -> int:
    if hole.length_tokens is not None:
        return max(1, hole.length_tokens)
    if hole.draft is not None:
        return max(1, len(hole.draft))
    if hole.original is not None and hole.original.strip():
        return max(1, len(codec.encode(hole.original)))
    return LENGTH_PRIOR.get(hole.kind or "", DEFAULT_PRIOR)


def canvas_lengths(request: FillRequest, codec: TextCodec) -> list[tuple[int, ...]]:
    """Candidate canvas sizes, one tuple (a size per hole) per row."""
    fixed = codec.pad_id is None
    rows: list[tuple[int, ...]] = []
    exact = [h.draft is not None or h.length_tokens is not None for h in request.holes]
    factors: tuple[float, ...] = (1.0,) if fixed else LENGTH_FACTORS
    if all(exact):
        factors = (1.0,)
    for factor in factors:
        row = []
        for hole, is_exact in zip(request.holes, exact):
            base = expected_tokens(hole, codec)
            if is_exact:
                size = base
            elif hole.original is not None and hole.original.strip():
                # regenerating: the original length is a strong hint, so stay near it
                size = math.ceil(base * (0.8 + 0.4 * factor)) + 2
            else:
                size = math.ceil(base * factor) + 2
            row.append(max(1, min(size, hole.max_tokens)))
        rows.append(tuple(row))
    return sorted(set(rows), key=rows.index)


def split_room(head: int, tail: int, room: int) -> tuple[int, int]:
    """How many tokens of a ``head``-token prefix (its end) and a ``tail``-token suffix (its start) fit in ``room``:
    the suffix gets at least a third of the room when it has that much, the prefix the rest first."""
    keep_tail = min(tail, max(room // 3, room - head))
    return min(head, room - keep_tail), keep_tail


def layout_rows(
    request: FillRequest, codec: TextCodec, lengths: list[tuple[int, ...]], window: int
) -> Layout:
    segments = list(request.segments)
    first = codec.encode(segments[0][-window * 8 :])
    last_text = segments[-1][: window * 8]
    last = codec.encode(last_text)
    last_complete = len(last_text) == len(segments[-1])
    middles = [codec.encode(s) for s in segments[1:-1]]
    rows: list[list[int]] = []
    canvases: list[list[int]] = []
    holes_of: list[list[int]] = []
    offsets: list[list[int]] = []
    bos = [] if codec.bos_id is None else [codec.bos_id]
    for row_lengths in lengths:
        fixed = len(bos) + sum(row_lengths) + sum(len(m) for m in middles)
        room = window - fixed - (1 if last_complete and codec.eos_id is not None else 0)
        if room < 4:
            raise ModelError(
                f"the holes need {fixed} tokens, more than the model's window of {window}; fill fewer or smaller holes"
            )
        keep_head, keep_tail = split_room(len(first), len(last), room)
        ids = bos + (first[len(first) - keep_head :] if keep_head else [])
        canvas, hole_of, offset = [], [], []
        for index, size in enumerate(row_lengths):
            draft = request.holes[index].draft
            for position in range(size):
                canvas.append(len(ids))
                hole_of.append(index)
                offset.append(position)
                if draft is not None and position < len(draft) and draft[position].confidence >= request.holes[index].reroll_below:
                    ids.append(draft[position].id)  # pinned: a confident token of the previous result
                else:
                    ids.append(codec.mask_id)
            if index < len(middles):
                ids.extend(middles[index])
        ids.extend(last[:keep_tail])
        if keep_tail == len(last) and last_complete and codec.eos_id is not None:
            ids.append(codec.eos_id)
        rows.append(ids)
        canvases.append(canvas)
        holes_of.append(hole_of)
        offsets.append(offset)
    width = max(len(r) for r in rows)
    depth = max(len(c) for c in canvases)
    pad = codec.pad_id if codec.pad_id is not None else codec.mask_id
    B = len(rows)
    ids_t = torch.full((B, width), pad, dtype=torch.long)
    key_mask = torch.zeros((B, width), dtype=torch.bool)
    canvas_t = torch.zeros((B, depth), dtype=torch.long)
    valid = torch.zeros((B, depth), dtype=torch.bool)
    hole_t = torch.full((B, depth), -1, dtype=torch.long)
    offset_t = torch.zeros((B, depth), dtype=torch.long)
    for b in range(B):
        ids_t[b, : len(rows[b])] = torch.tensor(rows[b])
        key_mask[b, : len(rows[b])] = True
        n = len(canvases[b])
        canvas_t[b, :n] = torch.tensor(canvases[b])
        valid[b, :n] = True
        hole_t[b, :n] = torch.tensor(holes_of[b])
        offset_t[b, :n] = torch.tensor(offsets[b])
    return Layout(ids_t, key_mask, canvas_t, valid, hole_t, offset_t, lengths)


def slot_logprobs(denoiser: Denoiser, codec: TextCodec, request: FillRequest, length: int) -> torch.Tensor:
    """Log-probabilities (length, V) of each slot of a ``length``-token canvas in a one-hole request's hole, every
    slot masked, from one forward pass: what the model expects at each offset of the hole with the code on both
    sides in view (banned ids impossible)."""
    return slot_guide(denoiser, codec, request, length).first


@dataclass
class SlotGuide:
    """The diffusion mode's view of a one-hole request's canvas, for the AR line beam
    (:mod:`unmask.model.autoregressive`). ``first`` (length, V): every slot masked, the log-probabilities of each
    offset. ``follow(hypotheses)`` (None where the denoiser cannot): for each hypothesis (the tokens written
    so far from the hole's start), the log-probabilities (N, V) of the next slot with those tokens in the canvas
    and the rest still masked, so a hypothesis' k-th token is read where the canvas has it."""

    first: torch.Tensor
    follow: Callable[[Sequence[Sequence[int]]], torch.Tensor] | None = None


def slot_guide(denoiser: Denoiser, codec: TextCodec, request: FillRequest, length: int) -> SlotGuide:
    """One forward pass over ``request``'s row with a ``length``-token canvas (see :class:`SlotGuide`); a session
    with ``follow`` keeps that pass's context for the hypotheses' reads."""
    single = request.with_options(holes=(HoleSpec(length_tokens=length),))
    layout = layout_rows(single, codec, [(length,)], denoiser.window)
    session = denoiser.session(layout.ids, layout.key_mask, layout.canvas, layout.valid)
    banned = sorted(set(codec.banned_ids))

    def logprobs(logits: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        if banned:
            logits[..., banned] = float("-inf")
        return logits.log_softmax(-1)

    with torch.no_grad():
        first = logprobs(session.predict(layout.ids)[0])
    reader = getattr(session, "follow", None)
    if reader is None:
        return SlotGuide(first)

    def follow(hypotheses: Sequence[Sequence[int]]) -> torch.Tensor:
        if any(len(tokens) >= length for tokens in hypotheses):
            raise ValueError(f"a hypothesis fills the guide's whole canvas of {length} slots")
        with torch.no_grad():
            return logprobs(reader(layout.ids, hypotheses))

    return SlotGuide(first, follow)


def _sample(logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator | None):
    """(B, Q, V) logits -> chosen ids (B, Q) and their probabilities (B, Q)."""
    if temperature <= 0:
        probs = torch.softmax(logits.float(), dim=-1)
        conf, chosen = probs.max(dim=-1)
        return chosen, conf
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        cutoff = sorted_probs.cumsum(-1) - sorted_probs > top_p
        sorted_probs = sorted_probs.masked_fill(cutoff, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
        probs = probs / probs.sum(-1, keepdim=True)
    flat = probs.reshape(-1, probs.shape[-1])
    chosen = torch.multinomial(flat, 1, generator=generator).view(probs.shape[:-1])
    conf = probs.gather(-1, chosen.unsqueeze(-1)).squeeze(-1)
    return chosen, conf


def diffusion_fill(
    denoiser: Denoiser,
    codec: TextCodec,
    request: FillRequest,
    *,
    validate: Validator | None = None,
    default_threshold: float = 0.9,
    lengths: list[tuple[int, ...]] | None = None,
    block: int = 8,
) -> Iterator[Step | FillResult]:
    started = time.perf_counter()
    lengths = lengths or canvas_lengths(request, codec)
    repeats = 1 if request.candidates == 1 else request.candidates
    row_lengths = [length for length in lengths for _ in range(repeats)]
    layout = layout_rows(request, codec, row_lengths, denoiser.window)
    B, Q = layout.canvas.shape
    ids = layout.ids.clone()
    rows = torch.arange(B).unsqueeze(1).expand(B, Q)
    masked = layout.valid & (ids[rows, layout.canvas] == codec.mask_id)
    conf_table = torch.ones((B, Q))  # pinned tokens count as certain
    # positions that count in a row's score: not the filler copied after a hole's first filler, or a canvas
    # mostly filler would outscore a real fill on the filler's easy confidence
    counted = layout.valid.clone()
    # Rows after the first of each length sample, so candidates differ (seeded: runs are reproducible).
    temperatures = [request.temperature if (b % repeats == 0) else max(request.temperature, 0.7) for b in range(B)]
    generator = torch.Generator().manual_seed(request.seed)
    threshold = request.threshold if request.threshold is not None else default_threshold
    total_masked = int(masked.sum(dim=1).max().item())
    budget = request.steps if request.steps is not None else total_masked
    budget = max(1, min(budget, max(total_masked, 1)))
    banned = torch.tensor(sorted(set(codec.banned_ids)), dtype=torch.long)
    session = denoiser.session(ids, layout.key_mask, layout.canvas, layout.valid)
    forward_passes = 0
    step = 0
    live = torch.arange(B)  # the session's rows, as rows of the batch: finished rows are dropped from it
    keep_rows = getattr(session, "keep_rows", None)  # optional: a session that can drop finished rows
    while bool(masked.any()):
        if keep_rows is not None:
            still = masked[live].any(dim=1)
            if not bool(still.all()):
                keep_rows(still)
                live = live[still]
        eligible = _leftmost_block(masked, layout, block) if block > 0 else masked
        # the head runs only on the eligible slots: (L, K) indices into the canvas, eligible ones first
        eligible_live = eligible[live]
        K = int(eligible_live.sum(dim=1).max().item())
        slots = torch.argsort((~eligible_live).to(torch.int8), dim=1, stable=True)[:, :K]
        slot_ok = eligible_live.gather(1, slots)
        with torch.no_grad():
            logits = session.predict(ids[live], slots)  # (L, K, V)
        forward_passes += 1
        logits = logits.float()
        if len(banned):
            logits[..., banned] = float("-inf")
        chosen = torch.zeros((B, Q), dtype=torch.long)
        conf = torch.full((B, Q), -1.0)
        for index, b in enumerate(live.tolist()):  # per-row temperature; rows are few
            ok = slot_ok[index]
            if not bool(ok.any()):
                continue  # finished: draws nothing, so dropping it from the batch changes no other row
            c, p = _sample(logits[index : index + 1], temperatures[b], request.top_p, generator)
            chosen[b, slots[index][ok]] = c[0][ok]
            conf[b, slots[index][ok]] = p[0][ok]
        score = torch.where(eligible, conf, torch.full_like(conf, -1.0))
        remaining = masked.sum(dim=1)
        steps_left = max(1, budget - step)
        need = torch.clamp(torch.ceil(remaining.float() / steps_left).long(), min=1) * (remaining > 0)
        commit = eligible & (score >= threshold) if threshold < 1.0 else torch.zeros_like(masked)
        # at least `need` per row: the most confident eligible positions
        order = score.argsort(dim=1, descending=True)
        ranks = torch.empty_like(order).scatter_(1, order, torch.arange(Q).expand(B, Q).contiguous())
        commit |= eligible & (ranks < need.unsqueeze(1))
        if codec.pad_id is not None:
            commit, chosen, conf = _extend_filler(commit, chosen, conf, masked, layout, codec.pad_id, counted)
        positions = layout.canvas[commit]
        ids[rows[commit], positions] = chosen[commit]
        conf_table[commit] = conf[commit]
        masked &= ~commit
        step += 1
        best_row = int(_row_scores(conf_table, counted, masked).argmax().item())
        yield Step(
            index=step,
            total=max(step + 1, budget) if bool(masked.any()) else step,
            fills=_texts(ids, layout, best_row, codec, len(request.holes), show_masks=True),
            masked=int(masked[best_row].sum().item()),
            confidence=tuple(
                tuple(float(c) for c in conf_table[best_row][(layout.hole_of[best_row] == h) & ~masked[best_row]])
                for h in range(len(request.holes))
            ),
        )
    scores = _row_scores(conf_table, counted, masked)
    candidates: list[Candidate] = []
    seen: set[tuple[str, ...]] = set()
    for b in range(B):
        fills = _texts(ids, layout, b, codec, len(request.holes), show_masks=False)
        key = tuple(" ".join(f.split()) for f in fills)
        if key in seen:
            continue
        seen.add(key)
        tokens = tuple(_tokens(ids, conf_table, layout, b, codec, h) for h in range(len(request.holes)))
        valid = None if validate is None else bool(validate(fills))
        candidates.append(Candidate(fills=fills, score=float(scores[b]), tokens=tokens, valid=valid))
    candidates.sort(key=lambda c: (c.valid is not False, c.score), reverse=True)
    yield FillResult(
        candidates=tuple(candidates[: request.candidates]),
        mode="diffusion",
        steps=step,
        forward_passes=forward_passes,
        elapsed_s=time.perf_counter() - started,
        stats={"rows": float(B), "canvas_tokens": float(layout.valid.sum().item())},
    )


def _leftmost_block(masked: torch.Tensor, layout: Layout, block: int) -> torch.Tensor:
    """The first ``block`` still-masked slots of each hole (semi-autoregressive order): the fill grows from
    the left, so the model decides where it ends (filler) after seeing what it wrote. Committing by confidence
    over the whole canvas instead lets confident filler at the right end eat the canvas down to one token."""
    eligible = torch.zeros_like(masked)
    for hole in layout.hole_of[layout.valid].unique().tolist():
        in_hole = masked & (layout.hole_of == hole)
        eligible |= in_hole & (in_hole.long().cumsum(dim=1) <= block)
    return eligible


def _extend_filler(commit, chosen, conf, masked, layout: Layout, pad_id: int, counted):  # type: ignore[no-untyped-def]
    """A committed filler at offset o ends its hole: later offsets of that hole become filler too (and stop
    counting in the row's score: ``counted`` is updated in place)."""
    filler_at = commit & (chosen == pad_id)
    if not bool(filler_at.any()):
        return commit, chosen, conf
    for b, q in filler_at.nonzero().tolist():
        later = (layout.hole_of[b] == layout.hole_of[b, q]) & (layout.offset_in_hole[b] > layout.offset_in_hole[b, q])
        extend = later & masked[b]
        chosen[b][extend] = pad_id
        conf[b][extend] = conf[b, q]
        commit[b] |= extend
        counted[b] &= ~extend
    return commit, chosen, conf


def _row_scores(conf_table: torch.Tensor, counted: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
    done = counted & ~masked
    logs = torch.where(done, conf_table.clamp(min=1e-6).log(), torch.zeros_like(conf_table))
    return logs.sum(dim=1) / done.sum(dim=1).clamp(min=1)


def _texts(ids, layout: Layout, row: int, codec: TextCodec, holes: int, show_masks: bool) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    texts = []
    for h in range(holes):
        slots = layout.canvas[row][layout.hole_of[row] == h]
        tokens = ids[row, slots].tolist()
        if not show_masks:
            texts.append(codec.decode([t for t in tokens if t != codec.pad_id and t != codec.mask_id]))
            continue
        parts: list[str] = []
        run: list[int] = []
        for t in tokens:
            if t == codec.mask_id:
                if run:
                    parts.append(codec.decode(run))
                    run = []
                parts.append(MASK_GLYPH)
            elif t != codec.pad_id:
                run.append(t)
        if run:
            parts.append(codec.decode(run))
        texts.append("".join(parts))
    return tuple(texts)


def _tokens(ids, conf_table, layout: Layout, row: int, codec: TextCodec, hole: int) -> tuple[Token, ...]:  # type: ignore[no-untyped-def]
    chosen = layout.hole_of[row] == hole
    slots = layout.canvas[row][chosen]
    confs = conf_table[row][chosen]
    out = []
    for slot, c in zip(slots.tolist(), confs.tolist()):
        token_id = int(ids[row, slot])
        if token_id == codec.pad_id:
            continue
        out.append(Token(id=token_id, text=codec.token_text(token_id), confidence=float(c)))
    return tuple(out)
