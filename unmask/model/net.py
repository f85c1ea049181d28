"""The embedded model: one small transformer backbone, one set of weights, two attention modes.

* **Diffusion mode** — bidirectional attention over ``[prefix | canvas | suffix]`` with masked canvas positions.
* **AR mode** — causal attention, ordinary next-token prediction, with a KV cache.

Prediction convention: *shifted* in both modes. The logits at position ``i`` predict the token at ``i + 1``.
For AR this is the usual convention; for diffusion it means a masked token at ``j`` is predicted from the
hidden state at ``j - 1`` (as Dream does). We chose it so both modes share one output head and one meaning of
"the next token", which lets AR pre-training transfer directly to denoising; every sequence starts with
``<|bos|>`` so position 0 always has a predecessor.

Shapes in comments: B batch, T query length, S key length, C model width, H heads, D head width, V vocab.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class NetConfig:
    vocab_size: int = 8192  # byte-level BPE trained on the corpus (tokenizer.json)
    d_model: int = 320  # residual width C
    n_layers: int = 6
    n_heads: int = 5  # head width D = d_model / n_heads = 64
    ffn_hidden: int = 864  # SwiGLU hidden width (~2.7 C keeps parameters equal to a 4C GELU MLP)
    max_position: int = 2048  # RoPE positions; the context window used at inference is set by the engine
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    pad_id: int = 0  # also the canvas filler token
    mask_id: int = 1
    bos_id: int = 2
    eos_id: int = 3

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> NetConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def fast_bfloat16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512-BF16 or AMX). There bf16 runs ~2-3x faster than
    float32; on plain AVX2 it is emulated and several times *slower*."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class RMSNorm(nn.Module):
    def __init__(self, width: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps)


def rope_tables(config: NetConfig, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    head = config.d_model // config.n_heads
    inv = 1.0 / (config.rope_theta ** (torch.arange(0, head, 2, dtype=torch.float32, device=device) / head))
    angles = torch.outer(torch.arange(config.max_position, dtype=torch.float32, device=device), inv)  # (P, D/2)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    # x: (B, H, T, D); cos/sin: (B, 1, T, D/2) gathered at each token's position
    x1, x2 = x[..., 0::2], x[..., 1::2]
    rotated = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return rotated.flatten(-2).type_as(x)


@dataclass
class CacheSlot:
    """One layer's keys and values in preallocated buffers (B, H, capacity, D); ``length`` are filled. The
    attention writes new keys in place; the caller advances ``length`` after each forward."""

    k: torch.Tensor
    v: torch.Tensor
    length: int


@dataclass
class ScatterSlot:
    """One layer's keys and values at *every* position of the rows (B, H, T, D). A forward over some of the
    positions, ``index`` (B, Tq), first writes their new keys/values in place, then attends to all T: the
    positions it recomputes see each other fresh and the rest as cached (the block cache of diffusion)."""

    k: torch.Tensor
    v: torch.Tensor
    index: torch.Tensor | None = None


class Attention(nn.Module):
    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.n_heads = config.n_heads
        self.head = config.d_model // config.n_heads
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model, bias=False)
        self.out = nn.Linear(config.d_model, config.d_model, bias=False)
        # QK-norm keeps attention logits bounded, so a high learning rate cannot collapse attention
        self.q_norm = RMSNorm(self.head, config.norm_eps)
        self.k_norm = RMSNorm(self.head, config.norm_eps)

    def forward(
        self,
        x: torch.Tensor,  # (B, T, C)
        cos: torch.Tensor,
        sin: torch.Tensor,
        mask: torch.Tensor | None,  # bool (B, 1, T, S), True = may attend; None with causal=False: all
        causal: bool,
        past: tuple[torch.Tensor, torch.Tensor] | CacheSlot | ScatterSlot | None,  # keys/values (B, H, S0, D)
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_heads, self.head).permute(2, 0, 3, 1, 4)  # 3 x (B, H, T, D)
        q, k = apply_rope(self.q_norm(q), cos, sin), apply_rope(self.k_norm(k), cos, sin)
        present = (k, v)
        if isinstance(past, ScatterSlot):  # rewrite this forward's positions, then attend to every position
            assert past.index is not None
            where = past.index[:, None, :, None].expand(B, self.n_heads, T, self.head)
            past.k.scatter_(2, where, k.to(past.k.dtype))
            past.v.scatter_(2, where, v.to(past.v.dtype))
            k, v = past.k, past.v
        elif isinstance(past, CacheSlot):  # preallocated: write in place, attend to a view (no copy per token)
            end = past.length + T
            past.k[:, :, past.length : end] = k
            past.v[:, :, past.length : end] = v
            k, v = past.k[:, :, :end], past.v[:, :, :end]
        elif past is not None:
            k = torch.cat((past[0], k), dim=2)  # (B, H, S, D)
            v = torch.cat((past[1], v), dim=2)
        if causal and past is not None and mask is None:
            # queries sit at the end of the key sequence
            S = k.shape[2]
            mask = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(S - T)[None, None]
            causal = False
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal and mask is None)
        return self.out(y.transpose(1, 2).reshape(B, T, C)), present


class Block(nn.Module):
    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.attn_norm = RMSNorm(config.d_model, config.norm_eps)
        self.attn = Attention(config)
        self.ffn_norm = RMSNorm(config.d_model, config.norm_eps)
        self.gate_up = nn.Linear(config.d_model, 2 * config.ffn_hidden, bias=False)
        self.down = nn.Linear(config.ffn_hidden, config.d_model, bias=False)

    def forward(self, x, cos, sin, mask, causal, past):  # type: ignore[no-untyped-def]
        h, present = self.attn(self.attn_norm(x), cos, sin, mask, causal, past)
        x = x + h
        gate, up = self.gate_up(self.ffn_norm(x)).chunk(2, dim=-1)
        return x + self.down(F.silu(gate) * up), present


def _past_length(first: tuple[torch.Tensor, torch.Tensor] | CacheSlot | ScatterSlot) -> int:
    """How many positions a layer's cache holds: where positions after it start by default."""
    if isinstance(first, CacheSlot):
        return first.length
    if isinstance(first, ScatterSlot):
        return int(first.k.shape[2])
    return int(first[0].shape[2])


class UnmaskNet(nn.Module):
    """The backbone plus tied output head. ``forward`` returns logits (B, T, V) predicting the *next* token."""

    rope_cos: torch.Tensor  # buffers (register_buffer in build)
    rope_sin: torch.Tensor

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        self.build(config)

    def build(self, config: NetConfig) -> None:
        """Create the modules (shared with the Hugging Face wrapper in ``hf.py``, which has another base)."""
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.norm = RMSNorm(config.d_model, config.norm_eps)
        cos, sin = rope_tables(config)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(UnmaskNet._init)
        for block in self.blocks:  # scale residual writes by depth (GPT-2 style)
            assert isinstance(block, Block)
            nn.init.normal_(block.attn.out.weight, std=0.02 / math.sqrt(2 * config.n_layers))
            nn.init.normal_(block.down.weight, std=0.02 / math.sqrt(2 * config.n_layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def hidden(
        self,
        ids: torch.Tensor,  # (B, T)
        positions: torch.Tensor | None = None,  # (B, T) or (T,); default 0..T-1 (after any past)
        *,
        causal: bool = False,
        mask: torch.Tensor | None = None,  # bool (B, 1, T, S)
        past: list[tuple[torch.Tensor, torch.Tensor]] | list[CacheSlot] | list[ScatterSlot] | None = None,
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        B, T = ids.shape
        if positions is None:
            start = 0 if past is None else _past_length(past[0])
            positions = torch.arange(start, start + T, device=ids.device)
        if positions.dim() == 1:
            positions = positions.expand(B, T)
        cos = self.rope_cos[positions].unsqueeze(1)  # (B, 1, T, D/2)
        sin = self.rope_sin[positions].unsqueeze(1)
        x = self.embed(ids)  # (B, T, C)
        presents = []
        for index, block in enumerate(self.blocks):
            x, present = block(x, cos, sin, mask, causal, None if past is None else past[index])
            presents.append(present)
        return self.norm(x), presents

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return F.linear(hidden, self.embed.weight)  # (B, T, V) tied head

    def forward(self, ids: torch.Tensor, *, causal: bool = False, mask: torch.Tensor | None = None) -> torch.Tensor:
        hidden, _ = self.hidden(ids, causal=causal, mask=mask)
        return self.logits(hidden)
