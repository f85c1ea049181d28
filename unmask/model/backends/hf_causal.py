"""Any ``AutoModelForCausalLM`` for the AR path, with fill-in-the-middle prompting when the tokenizer has it.

* **Appends** (and ``mode="ar"``): plain left-to-right continuation of the prefix with a KV cache
  (``past_key_values``), stopping at EOS, the token budget or the caller's syntax-aware stop rule.
* **Infills** (a non-blank suffix): when the tokenizer holds one of the :data:`FIM_STYLES` token sets, the
  prompt is prefix-suffix-middle (PSM): ``<PRE> prefix <SUF> suffix <MID>`` and the model writes the middle
  until an end token (EOS, ``<fim_pad>``, ``<|file_sep|>``, CodeLlama's ``▁<EOT>`` … see :data:`END_TOKENS`).
  Without FIM tokens the request falls back to continuation of the prefix and **the suffix is ignored**
  (``FillResult.stats["suffix_ignored"] == 1``).
* One hole at a time; several holes raise :class:`ModelError`. Candidates are checked with ``validate``
  and ranked valid-first.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from unmask.model.api import FillRequest, FillResult, ModelError, Step, StopRule, Validator
from unmask.model.autoregressive import ar_fill
from unmask.model.backends import _hf

DEFAULT_WINDOW = 2048


@dataclass(frozen=True)
class FimStyle:
    name: str
    prefix: str
    suffix: str
    middle: str


#: Token sets, tried in order; the first whose three tokens are all single tokens of the vocabulary wins.
FIM_STYLES: tuple[FimStyle, ...] = (
    FimStyle("starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    FimStyle("qwen", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
    FimStyle("codellama", "\u2581<PRE>", "\u2581<SUF>", "\u2581<MID>"),
    FimStyle("codellama-plain", "<PRE>", "<SUF>", "<MID>"),
    FimStyle(
        "deepseek",
        "<\uff5cfim\u2581begin\uff5c>",
        "<\uff5cfim\u2581hole\uff5c>",
        "<\uff5cfim\u2581end\uff5c>",
    ),
)
#: Tokens that end a FIM middle (besides EOS), when the vocabulary has them.
END_TOKENS = (
    "<|endoftext|>",
    "<fim_pad>",
    "<|fim_pad|>",
    "<file_sep>",
    "<|file_sep|>",
    "<|repo_name|>",
    "\u2581<EOT>",
    "<EOT>",
    "<|EOT|>",
)


@dataclass(frozen=True)
class FimTokens:
    style: str
    prefix: int
    suffix: int
    middle: int
    ends: tuple[int, ...]


def find_fim(tokenizer: Any) -> FimTokens | None:
    for style in FIM_STYLES:
        ids = [_hf.token_id(tokenizer, token) for token in (style.prefix, style.suffix, style.middle)]
        if all(i is not None for i in ids):
            ends = {_hf.token_id(tokenizer, token) for token in END_TOKENS}
            prefix, suffix, middle = (int(i) for i in ids)  # type: ignore[arg-type]
            return FimTokens(
                style.name, prefix, suffix, middle, tuple(sorted(i for i in ends if i is not None))
            )
    return None


class CausalLM:
    """The :class:`~unmask.model.autoregressive.CausalModel` protocol over a transformers causal LM.

    ``end_ids``: tokens that also end the text; their probability mass is folded into ``eos_id`` so the
    shared AR loop stops on any of them.
    """

    def __init__(
        self, model: Any, window: int, device: str, eos_id: int | None, end_ids: Sequence[int] = ()
    ) -> None:
        self.model = model
        self.window = window
        self.device = device
        self.eos_id = eos_id
        self.end_ids = tuple(i for i in end_ids if i != eos_id)
        parameters = inspect.signature(model.forward).parameters
        self.cache_arg = "cache" if "cache" in parameters else "past_key_values"

    def with_ends(self, end_ids: Sequence[int]) -> CausalLM:
        twin = CausalLM.__new__(CausalLM)
        twin.__dict__.update(self.__dict__)
        twin.end_ids = tuple(i for i in end_ids if i != self.eos_id)
        return twin

    def _run(self, ids: list[int], cache: Any) -> tuple[torch.Tensor, Any]:
        tensor = torch.tensor([ids], device=self.device)
        kwargs: dict[str, Any] = {"input_ids": tensor, "use_cache": True}
        if cache is not None:
            kwargs[self.cache_arg] = cache
        with torch.no_grad():
            out = self.model(**kwargs)
        new_cache = getattr(out, "cache", None)
        if new_cache is None:
            new_cache = getattr(out, "past_key_values", None)
        logits = out.logits[0, -1].float().cpu()  # (V,)
        if self.end_ids and self.eos_id is not None:
            ends = torch.tensor((self.eos_id, *self.end_ids))
            logits[self.eos_id] = torch.logsumexp(logits[ends], dim=0)
            logits[list(self.end_ids)] = float("-inf")
        return logits, (new_cache, len(ids))

    def prefill(self, ids: list[int]) -> tuple[torch.Tensor, Any]:
        return self._run(ids, None)

    def extend(self, cache: Any, token: int) -> tuple[torch.Tensor, Any]:
        past, length = cache
        if length + 1 > self.window:
            raise ModelError("continuation ran past the model's context window")
        logits, (new_cache, _) = self._run([token], past)
        return logits, (new_cache, length + 1)


class FimPrompt:
    """Turns the AR loop's ``[bos] + prefix`` into the PSM prompt ``[bos] <PRE> prefix <SUF> suffix <MID>``."""

    def __init__(
        self, causal: CausalLM, fim: FimTokens, bos_id: int | None, suffix_ids: list[int], budget: int
    ) -> None:
        self.causal = causal.with_ends((*fim.ends, fim.prefix, fim.suffix, fim.middle))
        self.window = causal.window
        self.fim = fim
        self.bos_id = bos_id
        self.suffix_ids = suffix_ids
        self.budget = budget

    def prefill(self, ids: list[int]) -> tuple[torch.Tensor, Any]:
        bos = ids[:1] if ids and self.bos_id is not None and ids[0] == self.bos_id else []
        prefix = ids[len(bos) :]
        room = self.window - self.budget - len(bos) - 3
        keep_suffix = min(len(self.suffix_ids), max(room // 3, room - len(prefix)))
        keep_prefix = max(0, min(len(prefix), room - keep_suffix))
        prompt = [
            *bos,
            self.fim.prefix,
            *prefix[len(prefix) - keep_prefix :],
            self.fim.suffix,
            *self.suffix_ids[:keep_suffix],
            self.fim.middle,
        ]
        return self.causal.prefill(prompt)

    def extend(self, cache: Any, token: int) -> tuple[torch.Tensor, Any]:
        return self.causal.extend(cache, token)


class CausalEngine:
    """The engine for causal LMs: continuation, or FIM infilling when the tokenizer supports it."""

    def __init__(
        self, name: str, codec: _hf.HFCodec, causal: CausalLM, fim: FimTokens | None, info: dict[str, object]
    ) -> None:
        self.name = name
        self.codec = codec
        self.causal = causal
        self.fim = fim
        self.info = info

    def describe(self) -> dict[str, object]:
        return {"name": self.name, **self.info}

    def iter_fill(
        self,
        request: FillRequest,
        *,
        validate: Validator | None = None,
        stop: StopRule | None = None,
    ) -> Generator[Step | FillResult, None, None]:
        if len(request.holes) != 1:
            raise ModelError(f"{self.name}: a causal LM fills one hole at a time; fill the holes one by one")
        suffix = request.segments[-1]
        infill = request.resolved_mode() == "diffusion" and bool(suffix.strip())
        model: CausalLM | FimPrompt = self.causal
        if infill and self.fim is not None:
            suffix_ids = self.codec.encode(suffix[: self.causal.window * 8])
            model = FimPrompt(
                self.causal, self.fim, self.codec.bos_id, suffix_ids, request.holes[0].max_tokens
            )
        stepped = False
        for item in ar_fill(model, self.codec, request, stop=stop):  # type: ignore[arg-type]
            if isinstance(item, Step):
                stepped = True
                yield item
                continue
            candidates = item.candidates
            if not stepped and candidates:  # every engine shows at least one step before its result
                best = candidates[0]
                yield Step(
                    index=1,
                    total=1,
                    fills=best.fills,
                    masked=0,
                    confidence=tuple(tuple(token.confidence for token in hole) for hole in best.tokens),
                )
            if validate is not None:
                candidates = tuple(replace(c, valid=bool(validate(c.fills))) for c in candidates)
                candidates = tuple(
                    sorted(candidates, key=lambda c: (c.valid is not False, c.score), reverse=True)
                )
            stats = dict(item.stats)
            stats["fim"] = 1.0 if model is not self.causal else 0.0
            stats["suffix_ignored"] = 1.0 if infill and model is self.causal else 0.0
            yield replace(item, candidates=candidates, stats=stats)


def load(
    path: str | None = None,
    *,
    device: str = "cpu",
    dtype: str | None = "auto",
    window: int | None = None,
    fim: bool = True,
    **_: object,
) -> CausalEngine:
    from transformers import AutoModelForCausalLM

    folder = _hf.model_folder(path, "hf_causal")
    _hf.weight_files(folder)  # refuse pickle-only folders before transformers looks at them
    raw = _hf.read_config(folder)
    tokenizer = _hf.load_tokenizer(folder)
    model = _hf.load_pretrained(AutoModelForCausalLM, folder, dtype=dtype, device=device, what="a causal LM")
    limit = int(
        raw.get("max_position_embeddings")
        or raw.get("n_positions")
        or raw.get("max_sequence_length")
        or DEFAULT_WINDOW
    )
    context = min(window or DEFAULT_WINDOW, limit)
    eos_id = tokenizer.eos_token_id
    probe = tokenizer.encode("a", add_special_tokens=True)
    bos_id = tokenizer.bos_token_id if probe and probe[0] == tokenizer.bos_token_id else None
    fim_tokens = find_fim(tokenizer) if fim else None
    fim_ids = (
        set()
        if fim_tokens is None
        else {fim_tokens.prefix, fim_tokens.suffix, fim_tokens.middle, *fim_tokens.ends}
    )
    banned = (_hf.special_ids(tokenizer) | fim_ids) - {eos_id}
    codec = _hf.HFCodec(
        tokenizer,
        mask_id=-1,  # a causal LM has no mask; never produced
        pad_id=None,
        bos_id=bos_id,
        eos_id=eos_id,
        banned_ids=banned,
    )
    causal = CausalLM(model, context, device, eos_id)
    info = {
        "backend": "hf_causal",
        "path": str(folder),
        "parameters": _hf.parameter_count(model),
        "device": device,
        "context_tokens": context,
        "fim": None if fim_tokens is None else fim_tokens.style,
        "architecture": (raw.get("architectures") or [raw.get("model_type")])[0],
    }
    return CausalEngine(f"hf_causal:{folder.name}", codec, causal, fim_tokens, info)
