"""The engine every backend shares: diffusion for infills, AR for appends, over one codec.

A backend supplies a :class:`~unmask.model.diffusion.Denoiser` (or None: AR only), a
:class:`~unmask.model.autoregressive.CausalModel` (or None: diffusion only) and a codec.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import torch

from unmask.model.api import FillRequest, FillResult, ModelError, Step, StopRule, Validator
from unmask.model.autoregressive import CausalModel, ar_fill
from unmask.model.diffusion import (
    GUIDE_CANVAS,
    Denoiser,
    SlotGuide,
    TextCodec,
    diffusion_fill,
    slot_guide,
    split_room,
)


class InfillEngine:
    def __init__(
        self,
        name: str,
        codec: TextCodec,
        denoiser: Denoiser | None,
        causal: CausalModel | None,
        info: dict[str, object],
        default_threshold: float = 0.9,
        block_size: int = 8,
    ) -> None:
        if denoiser is None and causal is None:
            raise ModelError(f"{name}: the backend offers neither diffusion nor AR")
        self.name = name
        self.codec = codec
        self.denoiser = denoiser
        self.causal = causal
        self.info = info
        self.default_threshold = default_threshold
        self.block_size = block_size  # semi-autoregressive block of the diffusion sampler (0: whole canvas)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, **self.info}

    def score_infills(self, prefix: str, middles: Sequence[str], suffix: str) -> list[float] | None:
        """How probable the causal mode finds ``prefix + middle + suffix`` for each middle: log-probability in
        nats summed over the tokens, up to a constant shared by all middles (higher is better). The prefix and
        suffix are cropped to the window at token boundaries, the same for every middle, and each text is then
        tokenized whole, as the AR mode was trained. None when the backend cannot score (no ``score`` method)."""
        score = getattr(self.causal, "score", None)
        if score is None or not middles:
            return None
        window = self.causal.window  # type: ignore[union-attr]
        bos = [] if self.codec.bos_id is None else [self.codec.bos_id]
        head = self.codec.encode(prefix[-window * 8 :])
        tail = self.codec.encode(suffix[: window * 8])
        longest = max(len(self.codec.encode(middle)) for middle in middles)
        room = max(0, window - len(bos) - longest)
        keep_head, keep_tail = split_room(len(head), len(tail), room)
        before = self.codec.decode(head[len(head) - keep_head :]) if keep_head else ""
        after = self.codec.decode(tail[:keep_tail])
        rows = [(bos + self.codec.encode(before + middle + after))[:window] for middle in middles]
        torch.set_flush_denormal(True)
        return [float(value) for value in score(rows)]

    def _guide(self, request: FillRequest) -> SlotGuide | None:
        """For an AR line beam with code after the hole: the diffusion mode's view of the hole, with both sides in
        view, to guide the beam (:mod:`unmask.model.autoregressive`); None otherwise, and where the
        prefix ends with a line break: the beam heals it (its first token re-writes the break), so the guide's
        offsets would not line up with its tokens. No pass is spent where the causal model runs no beam."""
        if request.line_beam <= 1 or self.denoiser is None or request.is_append or request.segments[0].endswith("\n"):
            return None
        if not getattr(self.causal, "line_beams", False):  # no beam search (the greedy continuation stands in)
            return None
        try:
            return slot_guide(self.denoiser, self.codec, request, GUIDE_CANVAS)
        except ModelError:  # no room for the canvas in the window: the beam runs unguided
            return None

    def iter_fill(
        self,
        request: FillRequest,
        *,
        validate: Validator | None = None,
        stop: StopRule | None = None,
    ) -> Generator[Step | FillResult, None, None]:
        mode = request.resolved_mode()
        if mode == "ar" and len(request.holes) != 1:
            raise ModelError("AR continuation fills exactly one hole; use diffusion for several")
        if mode == "ar" and self.causal is None:
            mode = "diffusion"  # a pure denoiser still continues: a hole with an empty suffix
        if mode == "diffusion" and self.denoiser is None:
            if len(request.holes) != 1:
                raise ModelError(f"{self.name}: this backend has no diffusion mode, so it fills one hole at a time")
            mode = "ar"
        torch.set_flush_denormal(True)
        try:
            if mode == "ar":
                assert self.causal is not None
                yield from ar_fill(self.causal, self.codec, request, stop=stop, guide=self._guide(request))
            else:
                assert self.denoiser is not None
                yield from diffusion_fill(
                    self.denoiser, self.codec, request, validate=validate, default_threshold=self.default_threshold,
                    block=self.block_size,
                )
        except RuntimeError as exc:  # torch: NaN/inf probabilities (corrupt weights), a failed allocation
            raise ModelError(f"{self.name}: the model failed during the fill ({str(exc)[:200]})") from exc
