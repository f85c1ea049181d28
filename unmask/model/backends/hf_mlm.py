"""Hugging Face masked language models (BERT, RoBERTa, ModernBERT ``*ForMaskedLM``) as denoisers.

A masked LM is exactly a one-step denoiser: bidirectional, *unshifted* (the logits at ``j`` predict ``j``),
with its tokenizer's mask token. It has no filler token, so a hole's canvas length is the fill's length
(one size per hole from the length hint); rows are framed with the tokenizer's ``[CLS]``/``<s>`` and
``[SEP]``/``</s>``. No AR mode: an append is filled by diffusion with an empty suffix.
Loaded with ``AutoModelForMaskedLM`` from local safetensors, never with remote code.
"""

from __future__ import annotations

from typing import Any

import torch

from unmask.model.api import ModelError
from unmask.model.backends import _hf
from unmask.model.engine import InfillEngine

#: model types whose position ids start after the padding index (RoBERTa's offset of pad_token_id + 1).
PADDED_POSITIONS = frozenset({"roberta", "xlm-roberta", "camembert", "longformer", "xlm-roberta-xl"})
DEFAULT_WINDOW = 512


class MaskedLM:
    def __init__(self, model: Any) -> None:
        self.model = model

    @torch.no_grad()
    def forward(self, ids: torch.Tensor, key_mask: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        logits = self.model(input_ids=ids, attention_mask=key_mask.long()).logits  # (B, T, V)
        rows = torch.arange(ids.shape[0], device=ids.device).unsqueeze(1)
        return logits[rows, source]


def load(
    path: str | None = None,
    *,
    device: str = "cpu",
    dtype: str | None = "auto",
    window: int | None = None,
    threshold: float = 0.9,
    **_: object,
) -> InfillEngine:
    from transformers import AutoModelForMaskedLM

    folder = _hf.model_folder(path, "hf_mlm")
    _hf.weight_files(folder)  # refuse pickle-only folders before transformers looks at them
    raw = _hf.read_config(folder)
    tokenizer = _hf.load_tokenizer(folder)
    model = _hf.load_pretrained(AutoModelForMaskedLM, folder, dtype=dtype, device=device, what="a masked LM")
    if tokenizer.mask_token_id is None:
        raise ModelError(f"{folder}: the tokenizer has no mask token, so it cannot denoise")
    limit = int(raw.get("max_position_embeddings") or DEFAULT_WINDOW)
    if str(raw.get("model_type", "")).lower() in PADDED_POSITIONS:
        limit -= int(raw.get("pad_token_id") or 1) + 1
    context = min(window or limit, limit)
    bos_id = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    eos_id = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    banned = _hf.special_ids(tokenizer) | {tokenizer.mask_token_id}
    codec = _hf.HFCodec(
        tokenizer,
        mask_id=int(tokenizer.mask_token_id),
        pad_id=None,
        bos_id=bos_id,
        eos_id=eos_id,
        banned_ids=banned,
    )
    info = {
        "backend": "hf_mlm",
        "path": str(folder),
        "parameters": _hf.parameter_count(model),
        "device": device,
        "context_tokens": context,
        "cache": "none (exact)",
        "architecture": (raw.get("architectures") or [raw.get("model_type")])[0],
    }
    return InfillEngine(
        f"hf_mlm:{folder.name}",
        codec,
        _hf.FullDenoiser(MaskedLM(model).forward, context, shift=False, device=device),
        None,
        info,
        default_threshold=threshold,
    )
