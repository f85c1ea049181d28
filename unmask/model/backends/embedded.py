"""The shipped model (or any folder in its format): one network serving diffusion and AR.

Context cache of a denoising session (``cache``); the first step always runs the whole row:

* ``"dual"``: keep every layer's keys and values for the context positions; later steps recompute the
  *active* positions (every canvas slot and the token before each canvas, whose hidden state predicts the
  canvas's first token under the shifted convention), attending to the cached context.
* ``"block"``: keep keys and values for *every* position; later steps recompute only the eligible slots of the
  semi-autoregressive block, the positions that predict them, and the slots committed since their keys were
  last computed, and write the new keys in place (Fast-dLLM's block cache). A step then costs about the
  block, not the canvas, so long spans gain most.
* ``"none"``: exact; every step recomputes everything.

``dual`` and ``block`` are approximations: cached entries were computed while the canvas held masks and are not
updated as it fills in, except where ``block`` recomputes them (``refresh_every`` recomputes all every N steps).
``bench/`` measures all three.

The context pointer (:mod:`unmask.model.pointer`) mixes a copy distribution over the context into both heads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from unmask.model.api import SHIPPED_WEIGHTS, ModelError
from unmask.model.checkpoint import load_embedded, parameter_count
from unmask.model.engine import InfillEngine
from unmask.model.net import CacheSlot, ScatterSlot, UnmaskNet, fast_bfloat16
from unmask.model.pointer import DEFAULT_SCALE, DEFAULT_WEIGHT, ContextPointer, PointerMemory
from unmask.model.tokenizer import CodeTokenizer

#: tokens in one row at inference: what the model was trained on
DEFAULT_WINDOW = 384
#: semi-autoregressive block of the diffusion sampler: how many leftmost masked slots of a hole may be committed
#: next (docs/model.md has the measurements behind the choice)
DEFAULT_BLOCK = 4
#: context-cache modes of a denoising session (module docstring)
CACHES = ("block", "dual", "none")
#: room for new tokens an AR cache is allocated with (it doubles when full)
GROWTH = 128


def _block_step(model: UnmaskNet, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor | None,
                past: list[ScatterSlot]) -> tuple[torch.Tensor, Any]:
    """One denoising step of the block cache: the backbone over some positions against every cached one."""
    return model.hidden(ids, positions, mask=mask, past=past)


def _causal_step(model: UnmaskNet, ids: torch.Tensor, positions: torch.Tensor,
                 past: list[CacheSlot]) -> tuple[torch.Tensor, Any]:
    """One AR step: the new token against the preallocated cache."""
    return model.hidden(ids, positions, causal=True, past=past)


@dataclass
class Steps:
    """The forward calls a fill repeats once per step, shared by the denoiser and the AR path; ``compiled``
    swaps them for ``torch.compile``d ones (see :func:`load`'s ``compile``). The first pass over a row runs
    once per fill and stays eager."""

    block: Callable[..., tuple[torch.Tensor, Any]] = _block_step
    causal: Callable[..., tuple[torch.Tensor, Any]] = _causal_step

    @staticmethod
    def compiled() -> Steps:
        # dynamic: the rows, positions and cache lengths of a step change from fill to fill
        return Steps(torch.compile(_block_step, dynamic=True), torch.compile(_causal_step, dynamic=True))


class EmbeddedCodec:
    def __init__(self, tokenizer: CodeTokenizer) -> None:
        self.tokenizer = tokenizer
        self.mask_id = tokenizer.mask_id
        self.pad_id: int | None = tokenizer.pad_id
        self.bos_id: int | None = tokenizer.bos_id
        self.eos_id: int | None = tokenizer.eos_id
        self.banned_ids: Sequence[int] = (tokenizer.mask_id, tokenizer.bos_id, tokenizer.eos_id)
        self._starting_with: dict[str, list[int]] = {}

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)

    def decode(self, ids) -> str:  # type: ignore[no-untyped-def]
        return self.tokenizer.decode(ids)

    def token_text(self, token_id: int) -> str:
        return self.tokenizer.token_text(token_id)

    def tokens_starting_with(self, text: str) -> list[int]:
        """Ids whose text starts with ``text`` (AR token healing); cached per text."""
        ids = self._starting_with.get(text)
        if ids is None:
            ids = [i for i in range(self.tokenizer.vocab_size) if self.token_text(i).startswith(text)]
            self._starting_with[text] = ids
        return ids


class EmbeddedSession:
    def __init__(self, model: UnmaskNet, ids, key_mask, canvas, valid, cache: str, refresh_every: int,  # type: ignore[no-untyped-def]
                 pointer: ContextPointer, steps: Steps) -> None:
        self.model = model
        self.steps = steps
        self.pointer = pointer
        self.memory: PointerMemory | None = None
        self.key_mask = key_mask  # (B, T)
        self.canvas = canvas  # (B, Q)
        self.valid = valid
        self.cache = cache
        self.refresh_every = refresh_every
        self.calls = 0
        B, T = ids.shape
        self.rows = torch.arange(B).unsqueeze(1)
        # shifted prediction: slot q of the canvas is predicted from position canvas[q] - 1
        self.source = (canvas - 1).clamp(min=0)
        # active positions: the sources (canvas and the token before each canvas run), as a padded (B, A) index
        active = torch.zeros((B, T), dtype=torch.bool)
        active[self.rows.expand_as(canvas)[valid], self.source[valid]] = True
        active[self.rows.expand_as(canvas)[valid], canvas[valid]] = True
        self.active_mask = active & key_mask
        counts = self.active_mask.sum(1)
        width = int(counts.max())
        self.active = torch.zeros((B, width), dtype=torch.long)
        self.active_valid = torch.zeros((B, width), dtype=torch.bool)
        for b in range(B):
            idx = self.active_mask[b].nonzero().squeeze(1)
            self.active[b, : len(idx)] = idx
            self.active_valid[b, : len(idx)] = True
        # where each canvas source sits inside the active index
        lookup = torch.full((B, T), -1, dtype=torch.long)
        lookup[self.rows.expand_as(self.active)[self.active_valid], self.active[self.active_valid]] = (
            torch.arange(width).expand(B, width)[self.active_valid]
        )
        self.source_in_active = lookup.gather(1, self.source).clamp(min=0)
        self.past: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        self.past_mask: torch.Tensor | None = None
        # cache="block": every position's keys/values, and the ids they were computed from
        self.kv: list[ScatterSlot] | None = None
        self.seen: torch.Tensor | None = None

    def keep_rows(self, keep: torch.Tensor) -> None:
        """Drop the rows whose ``keep`` is False (finished): later steps compute only the rest."""
        for name in ("key_mask", "canvas", "valid", "source", "active_mask", "active", "active_valid", "source_in_active"):
            setattr(self, name, getattr(self, name)[keep])
        self.rows = torch.arange(int(keep.sum())).unsqueeze(1)
        if self.past is not None:
            self.past = [(k[keep], v[keep]) for k, v in self.past]
        if self.past_mask is not None:
            self.past_mask = self.past_mask[keep]
        if self.memory is not None:
            self.memory = self.memory.keep_rows(keep)
        if self.kv is not None and self.seen is not None:
            self.kv = [ScatterSlot(slot.k[keep], slot.v[keep]) for slot in self.kv]
            self.seen = self.seen[keep]

    def _head(self, queries: torch.Tensor) -> torch.Tensor:
        """Next-token scores (B, K, V) from the hidden states (B, K, C) that predict the slots; log-probabilities
        mixed with the context pointer when it is on."""
        logits = self.model.logits(queries)
        if self.memory is None or not self.pointer.enabled:
            return logits
        return self.pointer.mix(logits, queries, self.memory)

    def _full(self, ids: torch.Tensor, slots: torch.Tensor | None) -> torch.Tensor:
        # no mask when every key is real (one row, or rows of equal length): SDPA's fast path
        mask = None if bool(self.key_mask.all()) else self.key_mask[:, None, None, :]
        hidden, presents = self.model.hidden(ids, mask=mask)
        if self.memory is None and self.pointer.enabled:  # the context as first seen: canvases all unknown
            known = self.key_mask.clone()
            known[self.rows.expand_as(self.canvas)[self.valid], self.canvas[self.valid]] = False
            self.memory = self.pointer.memory(hidden, ids, known)
        if self.cache == "block":
            self.kv = [ScatterSlot(k.contiguous(), v.contiguous()) for k, v in presents]
            self.seen = ids.clone()
        if self.cache == "dual":
            context = self.key_mask & ~self.active_mask  # (B, T)
            width = int(context.sum(1).max())
            index = torch.zeros((ids.shape[0], width), dtype=torch.long)
            valid = torch.zeros((ids.shape[0], width), dtype=torch.bool)
            for b in range(ids.shape[0]):
                idx = context[b].nonzero().squeeze(1)
                index[b, : len(idx)] = idx
                valid[b, : len(idx)] = True
            gather = index[:, None, :, None]
            self.past = [
                (k.gather(2, gather.expand(-1, k.shape[1], -1, k.shape[3])), v.gather(2, gather.expand(-1, v.shape[1], -1, v.shape[3])))
                for k, v in presents
            ]
            self.past_mask = valid
        source = self.source if slots is None else self.source.gather(1, slots)
        return self._head(hidden[self.rows, source])  # (B, Q or K, V)

    def predict(self, ids: torch.Tensor, slots: torch.Tensor | None = None) -> torch.Tensor:
        """Logits for the canvas slots (all, or the (B, K) ``slots`` indices into the canvas): the output head
        runs only where the sampler will look."""
        refresh = self.refresh_every > 0 and self.calls % self.refresh_every == 0
        self.calls += 1
        if self.cache == "none" or (self.past is None and self.kv is None) or refresh:
            return self._full(ids, slots)
        if self.cache == "block":
            return self._block(ids, slots)
        assert self.past_mask is not None
        active_ids = ids.gather(1, self.active)
        keys_valid = torch.cat((self.past_mask, self.active_valid), dim=1)  # (B, S)
        mask = None if bool(keys_valid.all()) else keys_valid[:, None, None, :]
        hidden, _ = self.model.hidden(active_ids, self.active, mask=mask, past=self.past)
        source = self.source_in_active if slots is None else self.source_in_active.gather(1, slots)
        return self._head(hidden[self.rows, source])

    def follow(self, ids: torch.Tensor, hypotheses: Sequence[Sequence[int]]) -> torch.Tensor:
        """Logits (N, V) of the canvas slot after each hypothesis, its tokens written into the canvas's first
        slots and the rest masked (:class:`~unmask.model.diffusion.SlotGuide`), for a one-row session after its
        first pass, N rows at once. With ``cache="block"`` only the token before the canvas and the slots the
        hypotheses fill are computed, against every other position's keys and values from that pass (the still
        masked slots' too); with ``"dual"`` the whole canvas is computed against the context's; both are the
        caches' approximation (the cached entries saw the canvas masked). With ``"none"`` every row runs whole."""
        if ids.shape[0] != 1 or (self.cache != "none" and self.kv is None and self.past is None):
            raise ModelError("follow reads a one-row session after its first pass")
        count = len(hypotheses)
        rows = ids.expand(count, -1).clone()
        for row, tokens in enumerate(hypotheses):
            rows[row, self.canvas[0, : len(tokens)]] = torch.tensor(list(tokens), dtype=rows.dtype)
        lengths = torch.tensor([len(tokens) for tokens in hypotheses])
        if self.cache == "none":
            hidden, _ = self.model.hidden(rows)
            queries = hidden[torch.arange(count), self.source[0, lengths]]
        else:
            if self.past is not None:  # dual: the canvas and the token before it, against the context
                computed, context = self.active[0, self.active_valid[0]], self.past
                where = self.source_in_active[0, lengths]
            else:  # block: the token before the canvas and the written slots, against every other position
                assert self.kv is not None
                computed = torch.cat((self.source[0, :1], self.canvas[0, : int(lengths.max())]))
                others = self.key_mask[0].clone()
                others[computed] = False
                keep = others.nonzero().squeeze(1)
                context = [(slot.k[:, :, keep], slot.v[:, :, keep]) for slot in self.kv]
                where = lengths  # slot L is predicted from position L of ``computed``
            past = [(k.expand(count, -1, -1, -1), v.expand(count, -1, -1, -1)) for k, v in context]
            hidden, _ = self.model.hidden(rows[:, computed], computed, past=past)
            queries = hidden[torch.arange(count), where]
        logits = self.model.logits(queries)
        if self.memory is None or not self.pointer.enabled:
            return logits
        return self.pointer.mix(logits[None], queries[None], self.memory)[0]

    def _block(self, ids: torch.Tensor, slots: torch.Tensor | None) -> torch.Tensor:
        """Recompute only the eligible slots, the positions that predict them, and the positions committed since
        their keys were last computed; everything else attends as cached (see the module docstring)."""
        assert self.kv is not None and self.seen is not None
        B, T = ids.shape
        if slots is None:
            slots = torch.arange(self.canvas.shape[1]).expand(B, -1)
        slot_at = self.canvas.gather(1, slots)  # (B, K) positions of the slots in the rows
        source = (slot_at - 1).clamp(min=0)
        need = ids != self.seen
        need.scatter_(1, slot_at, True)
        need.scatter_(1, source, True)
        need &= self.key_mask
        width = int(need.sum(1).max())
        order = torch.argsort((~need).to(torch.int8), dim=1, stable=True)[:, :width]
        # a row with fewer positions repeats its first one: the copy computes the same keys and writes them twice
        index = torch.where(need.gather(1, order), order, order[:, :1])
        for slot in self.kv:
            slot.index = index
        mask = None if bool(self.key_mask.all()) else self.key_mask[:, None, None, :]
        computed = ids.gather(1, index)
        hidden, _ = self.steps.block(self.model, computed, index, mask, self.kv)
        self.seen.scatter_(1, index, computed)
        column = torch.zeros((B, T), dtype=torch.long).scatter_(1, index, torch.arange(width).expand(B, width))
        return self._head(hidden[self.rows, column.gather(1, source)])


class EmbeddedDenoiser:
    def __init__(self, model: UnmaskNet, window: int, cache: str, refresh_every: int, pointer: ContextPointer,
                 steps: Steps) -> None:
        self.model = model
        self.steps = steps
        self.window = window
        self.cache = cache
        self.refresh_every = refresh_every
        self.pointer = pointer

    def session(self, ids, key_mask, canvas, valid):  # type: ignore[no-untyped-def]
        return EmbeddedSession(self.model, ids, key_mask, canvas, valid, self.cache, self.refresh_every, self.pointer,
                               self.steps)


@dataclass
class CausalState:
    """The AR cache: each layer's keys/values (``slots``), the pointer memory of the text so far, and the hidden
    state that predicted the last token (it becomes a pointer key once that token is known)."""

    slots: list[CacheSlot]
    memory: PointerMemory | None
    query: torch.Tensor  # (C,)
    shared: int = 0  # beams: the leading positions every row holds the same (the prefill's), once known


class EmbeddedCausal:
    def __init__(self, model: UnmaskNet, window: int, pointer: ContextPointer, steps: Steps) -> None:
        self.model = model
        self.steps = steps
        self.window = window
        self.pointer = pointer

    def _head(self, query: torch.Tensor, memory: PointerMemory | None) -> torch.Tensor:
        logits = self.model.logits(query)
        if memory is None or not self.pointer.enabled:
            return logits
        return self.pointer.mix(logits[None, None], query[None, None], memory)[0, 0]

    def prefill(self, ids: list[int]) -> tuple[torch.Tensor, Any]:
        tensor = torch.tensor([ids])
        hidden, presents = self.model.hidden(tensor, causal=True)
        # keys/values go into buffers with room to grow, so each new token writes in place instead of
        # copying the whole cache (two copies per layer per token with torch.cat)
        capacity = min(self.model.config.max_position, len(ids) + GROWTH)
        slots = []
        for k, v in presents:
            B, H, T, D = k.shape
            slot = CacheSlot(k.new_empty((B, H, capacity, D)), v.new_empty((B, H, capacity, D)), T)
            slot.k[:, :, :T], slot.v[:, :, :T] = k, v
            slots.append(slot)
        memory = None
        if self.pointer.enabled:
            memory = self.pointer.memory(hidden, tensor, torch.ones_like(tensor, dtype=torch.bool))
        query = hidden[0, -1]
        return self._head(query, memory), CausalState(slots, memory, query)

    #: rows sharing at least this many leading tokens score them once (:meth:`score`)
    SHARED_PREFIX_MIN = 32

    def score(self, rows: Sequence[Sequence[int]], share_prefix: bool = True) -> list[float]:
        """Each row's log-probability in nats, summed over its tokens after the first, in one causal batch (the
        plain model, without the pointer). With ``share_prefix``, the leading tokens all rows have in common (the
        code before a hole: every candidate's row starts with it) run once, and each row's own tokens attend to
        their keys: the same sums, for the cost of the rows' differing ends."""
        common = len(rows[0])
        for row in rows[1:]:
            same = next((i for i, (a, b) in enumerate(zip(row, rows[0])) if a != b), min(len(row), len(rows[0])))
            common = min(common, same)
        common = min(common, min(len(row) for row in rows) - 1)  # every row keeps a token of its own
        if not share_prefix or len(rows) < 2 or common < self.SHARED_PREFIX_MIN:
            return self._score_whole(rows)
        with torch.no_grad():
            hidden, presents = self.model.hidden(torch.tensor([list(rows[0][:common])]), causal=True)
            logp = self.model.logits(hidden[0]).float().log_softmax(-1)  # (common, V): position i predicts i + 1
            shared = float(logp[:-1].gather(1, torch.tensor(rows[0][1:common])[:, None]).sum())
            ends = [list(row[common:]) for row in rows]
            width = max(len(end) for end in ends)
            ids = torch.zeros((len(rows), width), dtype=torch.long)
            known = torch.zeros((len(rows), width), dtype=torch.bool)
            for index, end in enumerate(ends):
                ids[index, : len(end)] = torch.tensor(end)
                known[index, : len(end)] = True
            past = [(k.expand(len(rows), -1, -1, -1), v.expand(len(rows), -1, -1, -1)) for k, v in presents]
            # padding sits after each row's tokens, where causal attention keeps it out of their sums
            rest, _ = self.model.hidden(ids, causal=True, past=past)
            rest_logp = self.model.logits(rest[:, :-1]).float().log_softmax(-1)
        first = logp[-1].gather(0, ids[:, 0])  # the last shared position predicts each row's first own token
        own = rest_logp.gather(2, ids[:, 1:, None])[..., 0]
        return (shared + first + (own * known[:, 1:]).sum(1)).tolist()

    def _score_whole(self, rows: Sequence[Sequence[int]]) -> list[float]:
        width = max(len(row) for row in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        known = torch.zeros((len(rows), width - 1), dtype=torch.bool)
        for index, row in enumerate(rows):
            ids[index, : len(row)] = torch.tensor(row)
            known[index, : len(row) - 1] = True
        with torch.no_grad():
            logp = self.model(ids, causal=True)[:, :-1].float().log_softmax(-1)
        token_logp = logp.gather(2, ids[:, 1:, None])[..., 0]
        return (token_logp * known).sum(1).tolist()

    def _room(self, slots: list[CacheSlot]) -> int:
        """The cache length, after making room for one more position."""
        length = slots[0].length
        if length >= self.model.config.max_position:
            raise ModelError("continuation ran past the model's positions")
        if length >= slots[0].k.shape[2]:
            for slot in slots:  # grow (rare): double the room, up to the model's positions
                room = min(self.model.config.max_position, 2 * slot.k.shape[2]) - slot.k.shape[2]
                slot.k = torch.cat((slot.k, slot.k.new_empty(slot.k.shape[:2] + (room,) + slot.k.shape[3:])), 2)
                slot.v = torch.cat((slot.v, slot.v.new_empty(slot.v.shape[:2] + (room,) + slot.v.shape[3:])), 2)
        return length

    @property
    def line_beams(self) -> bool:
        """Whether :meth:`extend_beams` may be used: the AR pointer's memory is one sequence's, so not with it."""
        return not self.pointer.enabled

    def extend_beams(self, cache: Any, parents: Sequence[int], tokens: Sequence[int]) -> tuple[torch.Tensor, Any]:
        """Logits (N, V) after appending ``tokens[i]`` to beam ``parents[i]``'s sequence, all N in one pass; the
        cache's rows are first put into the new beams' order (the prefill's row is beam 0). Only the positions
        after the prefill's move: they are the same in every row, so a step copies the beams' own tokens, not
        the whole context."""
        state: CausalState = cache
        if state.memory is not None:
            raise ModelError("beam search runs without the AR pointer")
        slots = state.slots
        length = self._room(slots)
        rows = slots[0].k.shape[0]
        if rows == 1 and not state.shared:
            state.shared = length  # every beam grows from this one row: its positions stay the same in all
        if list(parents) != list(range(rows)):
            order, shared = torch.tensor(list(parents)), state.shared
            for slot in slots:
                if len(order) > rows:  # more rows: new buffers, the shared positions copied from any row
                    k, v = slot.k.new_empty((len(order),) + slot.k.shape[1:]), slot.v.new_empty((len(order),) + slot.v.shape[1:])
                    k[:, :, :shared], v[:, :, :shared] = slot.k[:1, :, :shared], slot.v[:1, :, :shared]
                    k[:, :, shared:length], v[:, :, shared:length] = slot.k[order, :, shared:length], slot.v[order, :, shared:length]
                    slot.k, slot.v = k, v
                else:  # as many or fewer: only the beams' own positions move, in place (the first rows are kept)
                    slot.k[: len(order), :, shared:length] = slot.k[order, :, shared:length]
                    slot.v[: len(order), :, shared:length] = slot.v[order, :, shared:length]
                    slot.k, slot.v = slot.k[: len(order)], slot.v[: len(order)]
        hidden, _ = self.steps.causal(self.model, torch.tensor(list(tokens))[:, None], torch.tensor([length]), slots)
        for slot in slots:
            slot.length += 1
        state.query = hidden[:, -1]
        return self.model.logits(state.query), state

    def extend(self, cache: Any, token: int) -> tuple[torch.Tensor, Any]:
        state: CausalState = cache
        slots = state.slots
        length = self._room(slots)
        hidden, _ = self.steps.causal(self.model, torch.tensor([[token]]), torch.tensor([length]), slots)
        for slot in slots:
            slot.length += 1
        if state.memory is not None and token not in self.pointer.special_ids:
            state.memory = state.memory.append(state.query, token)
        state.query = hidden[0, -1]
        return self._head(state.query, state.memory), state


def load(
    path: str | None = None,
    *,
    device: str = "cpu",
    window: int = DEFAULT_WINDOW,
    cache: str = "block",
    refresh_every: int = 0,
    threshold: float = 0.9,
    threads: int | None = None,
    dtype: str = "auto",
    block_size: int = DEFAULT_BLOCK,
    pointer_weight: float = DEFAULT_WEIGHT,
    pointer_scale: float = DEFAULT_SCALE,
    ar_pointer_weight: float = 0.0,
    compile: object = False,  # the user-facing option name: --backend-option compile=on
    **_: object,
) -> InfillEngine:
    folder = Path(path) if path else SHIPPED_WEIGHTS
    if cache not in CACHES:
        raise ModelError(f"cache must be one of {', '.join(CACHES)}, not {cache!r}")
    if dtype not in ("auto", "float32", "bfloat16"):
        raise ModelError(f"dtype must be 'auto', 'float32' or 'bfloat16', not {dtype!r}")
    if int(block_size) < 0:
        raise ModelError("block_size must be 0 (the whole canvas) or more")
    if not (0.0 <= float(pointer_weight) < 1.0 and 0.0 <= float(ar_pointer_weight) < 1.0) or float(pointer_scale) <= 0:
        raise ModelError("pointer_weight and ar_pointer_weight must be in [0, 1) and pointer_scale above 0")
    if threads:
        torch.set_num_threads(int(threads))
    model, tokenizer, raw = load_embedded(folder)
    if dtype == "auto":
        dtype = "bfloat16" if device == "cpu" and fast_bfloat16() else "float32"
    if dtype == "bfloat16":
        # the model trained under bf16 autocast; casting the weights once (not per matmul, as autocast would)
        # keeps a one-token AR step cheap. RoPE tables stay float32 for exact angles.
        cos, sin = model.rope_cos, model.rope_sin
        model.to(torch.bfloat16)
        model.rope_cos, model.rope_sin = cos, sin
    if device != "cpu":
        try:
            model.to(device)
        except (RuntimeError, AssertionError) as exc:
            raise ModelError(f"device {device!r} is not available here ({exc}); use device 'cpu'") from exc
        if device != "cpu":
            raise ModelError("the embedded backend runs on the CPU; set device to 'cpu'")
    codec = EmbeddedCodec(tokenizer)
    pointer = ContextPointer(float(pointer_weight), float(pointer_scale),
                             special_ids=(tokenizer.pad_id, tokenizer.mask_id, tokenizer.bos_id, tokenizer.eos_id),
                             keep_ids=(tokenizer.pad_id, tokenizer.eos_id))
    # off by default for AR: greedy continuation with a copy distribution over its own text falls into loops
    # ("for char in text:" again and again), although it lowers the held-out NLL (docs/model.md)
    ar_pointer = replace(pointer, weight=float(ar_pointer_weight))
    info = {
        "backend": "embedded",
        "path": str(folder),
        "parameters": parameter_count(model),
        "device": device,
        "context_tokens": window,
        "trained_steps": raw.get("trained_steps"),
        "cache": cache,
        "dtype": dtype,
        "pointer_weight": pointer.weight,
        "block_size": int(block_size),
    }
    name = "unmask-embedded" if folder == SHIPPED_WEIGHTS else f"embedded:{folder.name}"
    steps = Steps()
    engine = InfillEngine(
        name,
        codec,
        EmbeddedDenoiser(model, window, cache, refresh_every, pointer, steps),
        EmbeddedCausal(model, window, ar_pointer, steps),
        info,
        default_threshold=threshold,
        block_size=int(block_size),
    )
    if str(compile).lower() in ("1", "true", "on", "yes"):
        info["compile"] = warm_compiled(engine, steps)
    return engine


#: what the compiled steps are warmed up on: a short function with a hole in its body
WARM_PREFIX = "def total(values, scale=1):\n    result = 0\n    for value in values:\n"
WARM_SUFFIX = "\n    return result * scale\n\n\nprint(total([1, 2, 3]))\n"


def warm_compiled(engine: InfillEngine, steps: Steps) -> str:
    """Swap ``steps`` for compiled ones and compile them now, on fills shaped like real ones (several canvas rows
    of different lengths, then one row, then an AR continuation), so no user request waits for a compiler.
    Afterwards a step whose shapes need a new graph runs eagerly instead of recompiling. Returns ``"on"``, or
    ``"failed: …"`` with the steps back to eager (no C++ compiler, an unsupported operation)."""
    from unmask.model.api import FillRequest, HoleSpec

    eager = replace(steps)
    compiled = Steps.compiled()
    steps.block, steps.causal = compiled.block, compiled.causal
    try:
        torch.compiler.set_stance("default")
        for hole, mode in ((HoleSpec(), "diffusion"), (HoleSpec(length_tokens=12), "diffusion"),
                           (HoleSpec(max_tokens=12), "ar")):
            for _ in engine.iter_fill(FillRequest.single(WARM_PREFIX, WARM_SUFFIX, hole, mode=mode)):
                pass
    except Exception as exc:  # noqa: BLE001 - any compiler failure leaves a working eager engine
        steps.block, steps.causal = eager.block, eager.causal
        return f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    finally:
        torch.compiler.set_stance("eager_on_recompile")
    return "on"
