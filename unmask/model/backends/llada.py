"""LLaDA checkpoints, ported onto transformers' Llama modules with bidirectional attention.

LLaDA (GSAI-ML, ``modeling_llada.py``) is a Llama-shaped encoder: pre-norm RMSNorm blocks, rotate-half RoPE,
SwiGLU computed as ``ff_out(silu(ff_proj(x)) * up_proj(x))``, attention with no mask at all (``is_causal=False``)
and *unshifted* prediction: the logits at ``j`` predict the token at ``j``. Its mask id is 126336
(``<|mdm_mask|>``) unless ``config.json``'s ``mask_token_id`` or the tokenizer's mask token says otherwise.
LLaDA pads unused answer slots with ``<|endoftext|>`` (the EOS), so the EOS is the canvas filler.

:data:`RENAMES` maps LLaDA's names onto ``LlamaForCausalLM``'s; :func:`llama_config` maps its config fields.
Only ``block_type: llama`` with ``activation_type: silu`` (every released LLaDA) is supported; anything else is
refused with a :class:`ModelError` rather than run wrongly.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from unmask.model.api import ModelError
from unmask.model.backends import _hf
from unmask.model.engine import InfillEngine

DEFAULT_MASK_ID = 126336
DEFAULT_WINDOW = 2048
#: LLaDA name (regex) -> LlamaForCausalLM name. The leading ``model.`` is LLaDAModelLM's wrapper.
RENAMES: tuple[tuple[str, str], ...] = (
    (r"^(?:model\.)?transformer\.wte\.", "model.embed_tokens."),
    (r"^(?:model\.)?transformer\.ln_f\.", "model.norm."),
    (r"^(?:model\.)?transformer\.ff_out\.", "lm_head."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.q_proj\.", r"model.layers.\1.self_attn.q_proj."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.k_proj\.", r"model.layers.\1.self_attn.k_proj."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.v_proj\.", r"model.layers.\1.self_attn.v_proj."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.attn_out\.", r"model.layers.\1.self_attn.o_proj."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.ff_proj\.", r"model.layers.\1.mlp.gate_proj."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.up_proj\.", r"model.layers.\1.mlp.up_proj."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.ff_out\.", r"model.layers.\1.mlp.down_proj."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.attn_norm\.", r"model.layers.\1.input_layernorm."),
    (r"^(?:model\.)?transformer\.blocks\.(\d+)\.ff_norm\.", r"model.layers.\1.post_attention_layernorm."),
)


def rename_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        for pattern, replacement in RENAMES:
            if re.search(pattern, name):
                renamed[re.sub(pattern, replacement, name)] = tensor
                break
        else:
            raise ModelError(
                f"unknown LLaDA weight {name!r}; is this a LLaDA checkpoint with block_type llama?"
            )
    return renamed


def llama_config(raw: dict[str, Any]) -> Any:
    from transformers import LlamaConfig

    unsupported = {
        "block_type": ("llama",),
        "activation_type": ("silu",),
        "layer_norm_type": ("rms",),
        "alibi": (False, None),
        "attention_layer_norm": (False, None),
        "block_group_size": (1, None),
    }
    for key, allowed in unsupported.items():
        if raw.get(key, allowed[0]) not in allowed:
            raise ModelError(f"LLaDA {key}={raw.get(key)!r} is not supported (only {allowed[0]!r})")
    try:
        d_model, n_heads = int(raw["d_model"]), int(raw["n_heads"])
        hidden = raw.get("mlp_hidden_size") or int(raw.get("mlp_ratio", 4)) * d_model
        fields: dict[str, Any] = {
            "vocab_size": int(raw.get("embedding_size") or raw["vocab_size"]),
            "hidden_size": d_model,
            "intermediate_size": int(hidden),
            "num_hidden_layers": int(raw["n_layers"]),
            "num_attention_heads": n_heads,
            "num_key_value_heads": int(raw.get("n_kv_heads") or n_heads),
            "hidden_act": "silu",
            "max_position_embeddings": int(raw.get("max_sequence_length", DEFAULT_WINDOW)),
            "rms_norm_eps": float(raw.get("rms_norm_eps", 1e-5)),
            "tie_word_embeddings": bool(raw.get("weight_tying", False)),
            "attention_bias": bool(raw.get("include_bias") or raw.get("include_qkv_bias")),
            "mlp_bias": bool(raw.get("include_bias")),
            "rope_parameters": {"rope_type": "default", "rope_theta": float(raw.get("rope_theta", 10000.0))},
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"config.json is not a LLaDA config ({exc})") from exc
    config = LlamaConfig(**fields)
    config.is_causal = False
    return config


class LLaDANet:
    """LlamaForCausalLM's modules run bidirectionally, as LLaDA's blocks are."""

    def __init__(self, model: Any, raw: dict[str, Any]) -> None:
        self.model = model
        self.embed_scale = float(model.config.hidden_size) ** 0.5 if raw.get("input_emb_norm") else 1.0
        self.logit_scale = float(model.config.hidden_size) ** -0.5 if raw.get("scale_logits") else 1.0

    @torch.no_grad()
    def forward(self, ids: torch.Tensor, key_mask: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        dtype = self.model.lm_head.weight.dtype
        embeds = self.model.model.embed_tokens(ids) * self.embed_scale
        mask = _hf.additive_mask(key_mask, dtype)
        out = self.model.model(inputs_embeds=embeds, attention_mask=mask, use_cache=False)
        rows = torch.arange(ids.shape[0], device=ids.device).unsqueeze(1)
        return self.model.lm_head(out.last_hidden_state[rows, source]) * self.logit_scale  # (B, Q, V)

    @torch.no_grad()
    def all_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T, V) logits of every position: for tests and debugging."""
        return self.forward(
            ids, torch.ones_like(ids, dtype=torch.bool), torch.arange(ids.shape[1]).expand_as(ids)
        )


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
    from transformers import LlamaForCausalLM

    folder = _hf.model_folder(path, "llada")
    _hf.weight_files(folder)  # refuse pickle-only folders first
    raw = _hf.read_config(folder)
    config = llama_config(raw)
    tokenizer = _hf.load_tokenizer(folder)
    state = rename_keys(_hf.read_state(folder))
    if config.attention_bias and not raw.get("include_bias"):
        # include_qkv_bias: LLaDA's attn_out has no bias, Llama's o_proj does when attention_bias is set
        for index in range(config.num_hidden_layers):
            state.setdefault(f"model.layers.{index}.self_attn.o_proj.bias", torch.zeros(config.hidden_size))
    model = _hf.build_checkpoint(
        lambda: LlamaForCausalLM(config), state, tie_embeddings=config.tie_word_embeddings, dtype=dtype,
        device=device, where=folder,
    )

    mask_id = raw.get("mask_token_id")
    if mask_id is None:
        mask_id = tokenizer.mask_token_id
    if mask_id is None:
        mask_id = DEFAULT_MASK_ID
    if not 0 <= int(mask_id) < config.vocab_size:
        raise ModelError(f"{folder}: mask id {mask_id} is outside the vocabulary of {config.vocab_size}")
    eos_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else raw.get("eos_token_id")
    filler_id = _hf.filler_id_for(filler, eos_id)
    bos_id = tokenizer.bos_token_id if tokenizer.bos_token_id not in (None, eos_id) else None
    return _hf.denoiser_engine(
        "llada", folder, model, tokenizer, LLaDANet(model, raw).forward, mask_id=int(mask_id), filler_id=filler_id,
        bos_id=bos_id, context=min(window or DEFAULT_WINDOW, config.max_position_embeddings), shift=False,
        device=device, threshold=threshold, vocab_size=config.vocab_size,
    )
