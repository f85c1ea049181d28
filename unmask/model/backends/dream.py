"""Dream-family checkpoints (Dream, Dream-Coder, DiffuCoder, DreamOn) through transformers' own Qwen2 code.

These are Qwen2 weights trained as masked-diffusion models:

* **full attention** — every position sees every real token. :class:`~transformers.Qwen2Model` builds a causal
  mask by itself; we hand it a ready 4D mask instead (see :func:`~unmask.model.backends._hf.additive_mask`),
  which its mask preparation passes through untouched.
* **shifted logits** — as in Dream's sampler, the logits at ``j - 1`` predict the token at ``j``.
* **mask id from the tokenizer** (``<|mask|>``), then from ``config.json``'s ``mask_token_id``.
* **filler** — Dream pads unused generation slots with ``<|endoftext|>``, so the end-of-text id (the pad id)
  is the canvas filler: the model picks the fill's length. ``filler=None`` fixes the length instead.

Checkpoint names: Dream's ``DreamModel`` names its weights exactly as ``Qwen2ForCausalLM`` does
(``model.layers.N.self_attn.q_proj`` …, ``lm_head``); :data:`RENAMES` only drops stored rotary buffers and
accepts a missing ``lm_head`` when the embeddings are tied. Diffusion only: Dream has no AR mode here.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from unmask.model.api import ModelError
from unmask.model.backends import _hf
from unmask.model.engine import InfillEngine

#: (pattern, replacement) applied in order to each checkpoint name; replacement None drops the tensor.
RENAMES: tuple[tuple[str, str | None], ...] = ((r"\.rotary_emb\.inv_freq$", None),)
#: config.json fields copied to Qwen2Config as they are.
QWEN2_FIELDS = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "hidden_act",
    "max_position_embeddings",
    "rms_norm_eps",
    "tie_word_embeddings",
    "attention_dropout",
    "initializer_range",
    "head_dim",
)
MASK_TOKEN = "<|mask|>"
DEFAULT_WINDOW = 2048


def rename_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        target = name
        for pattern, replacement in RENAMES:
            if re.search(pattern, target):
                if replacement is None:
                    break
                target = re.sub(pattern, replacement, target)
        else:
            renamed[target] = tensor
    return renamed


def qwen2_config(raw: dict[str, Any]) -> Any:
    from transformers import Qwen2Config

    fields = {key: raw[key] for key in QWEN2_FIELDS if raw.get(key) is not None}
    rope = raw.get("rope_parameters")
    if not isinstance(rope, dict):
        rope = {"rope_type": "default", "rope_theta": float(raw.get("rope_theta", 10000.0))}
        scaling = raw.get("rope_scaling")
        if isinstance(scaling, dict):
            rope.update(scaling)
            rope["rope_type"] = scaling.get("rope_type", scaling.get("type", "default"))
    config = Qwen2Config(**fields, rope_parameters=rope, use_sliding_window=False)
    config.is_causal = False  # documents intent; the explicit 4D mask is what makes attention bidirectional
    return config


class DreamNet:
    """Qwen2ForCausalLM run with bidirectional attention; only the gathered positions go through the head."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @torch.no_grad()
    def forward(self, ids: torch.Tensor, key_mask: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        dtype = self.model.lm_head.weight.dtype
        mask = _hf.additive_mask(key_mask, dtype)
        out = self.model.model(input_ids=ids, attention_mask=mask, use_cache=False)
        hidden = out.last_hidden_state  # (B, T, C)
        rows = torch.arange(ids.shape[0], device=ids.device).unsqueeze(1)
        return self.model.lm_head(hidden[rows, source])  # (B, Q, V)

    @torch.no_grad()
    def all_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T, V) unshifted logits of every position: for tests and debugging."""
        key_mask = torch.ones_like(ids, dtype=torch.bool)
        source = torch.arange(ids.shape[1]).expand_as(ids)
        return self.forward(ids, key_mask, source)


def load(
    path: str | None = None,
    *,
    device: str = "cpu",
    dtype: str | None = "auto",
    window: int | None = None,
    threshold: float = 0.9,
    filler: str | None = "eos",
    **_: object,
) -> InfillEngine:
    from transformers import Qwen2ForCausalLM

    folder = _hf.model_folder(path, "dream")
    _hf.weight_files(folder)  # refuse pickle-only folders first
    raw = _hf.read_config(folder)
    tokenizer = _hf.load_tokenizer(folder)
    config = qwen2_config(raw)
    state = rename_keys(_hf.read_state(folder))
    model = _hf.build_checkpoint(
        lambda: Qwen2ForCausalLM(config), state, tie_embeddings=config.tie_word_embeddings, dtype=dtype,
        device=device, where=folder,
    )

    mask_id = tokenizer.mask_token_id
    if mask_id is None:
        mask_id = _hf.token_id(tokenizer, MASK_TOKEN)
    if mask_id is None:
        mask_id = raw.get("mask_token_id")
    if mask_id is None:
        raise ModelError(
            f"{folder}: no mask token in the tokenizer or config.json; is this a Dream checkpoint?"
        )
    eos_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else raw.get("eos_token_id")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_id
    filler_id = _hf.filler_id_for(filler, pad_id)
    bos_id = tokenizer.bos_token_id if tokenizer.bos_token_id not in (None, eos_id, pad_id) else None
    limit = int(raw.get("max_position_embeddings") or DEFAULT_WINDOW)
    return _hf.denoiser_engine(
        "dream", folder, model, tokenizer, DreamNet(model).forward, mask_id=int(mask_id), filler_id=filler_id,
        bos_id=bos_id, context=min(window or DEFAULT_WINDOW, limit), shift=True, device=device, threshold=threshold,
    )
