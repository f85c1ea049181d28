"""The LLaDA port on a tiny random checkpoint stored under LLaDA's own weight names.

The reference below is written from LLaDA's ``modeling_llada.py`` (``LLaDALlamaBlock.forward``, its
``RotaryEmbedding`` and ``RMSLayerNorm``, attention with ``is_causal=False`` and no mask), independently of
the port, which runs transformers' Llama modules after renaming the weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from test_backends_common import LLADA_HEADS, LLADA_LAYERS, PREFIX, SUFFIX, tiny_llada

from unmask.model.api import FillRequest, FillResult, HoleSpec, ModelError, Step, load_engine, run_fill
from unmask.model.backends import llada


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_llada(tmp_path_factory.mktemp("llada"))


@pytest.fixture(scope="module")
def engine(folder: Path):  # type: ignore[no-untyped-def]
    return load_engine(folder)  # auto: model_type "llada"


def llada_reference(
    state: dict[str, torch.Tensor], ids: torch.Tensor, theta: float = 10000.0, eps: float = 1e-5
) -> torch.Tensor:
    """LLaDA's forward pass, (B, T) -> (B, T, V), straight from its modeling code's operations."""

    def rms(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    def rotate_half(x: torch.Tensor) -> torch.Tensor:
        B, nh, T, hs = x.size()
        x1, x2 = x.view(B, nh, T, 2, hs // 2).unbind(dim=-2)
        return torch.cat((-x2, x1), dim=-1)

    p = {k.removeprefix("model.transformer."): v for k, v in state.items()}
    x = F.embedding(ids, p["wte.weight"])
    B, T, C = x.shape
    hs = C // LLADA_HEADS
    inv_freq = 1.0 / (theta ** (torch.arange(0, hs, 2, dtype=torch.float) / hs))
    freqs = torch.einsum("i , j -> i j", torch.arange(T, dtype=torch.float), inv_freq)
    positions = torch.cat((freqs, freqs), dim=-1)
    sin, cos = positions.sin()[None, None], positions.cos()[None, None]
    for n in range(LLADA_LAYERS):
        b = f"blocks.{n}."
        h = rms(x, p[b + "attn_norm.weight"])
        q, k, v = (
            F.linear(h, p[b + name + ".weight"]).view(B, T, LLADA_HEADS, hs).transpose(1, 2)
            for name in ("q_proj", "k_proj", "v_proj")
        )
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False)
        x = x + F.linear(att.transpose(1, 2).reshape(B, T, C), p[b + "attn_out.weight"])
        h = rms(x, p[b + "ff_norm.weight"])
        h = F.silu(F.linear(h, p[b + "ff_proj.weight"])) * F.linear(h, p[b + "up_proj.weight"])
        x = x + F.linear(h, p[b + "ff_out.weight"])
    return F.linear(rms(x, p["ln_f.weight"]), p["ff_out.weight"])


def predict_all(engine, ids: torch.Tensor) -> torch.Tensor:  # type: ignore[no-untyped-def]
    canvas = torch.arange(ids.shape[1]).expand_as(ids)
    ones = torch.ones_like(ids, dtype=torch.bool)
    return engine.denoiser.session(ids, ones, canvas, ones).predict(ids)


def test_port_matches_llada_reference_unshifted(engine, folder: Path) -> None:  # type: ignore[no-untyped-def]
    ids = torch.tensor([engine.codec.encode("class Point:\n    def __init__(self, x, y):\n")])
    ids[0, 3] = engine.codec.mask_id
    expected = llada_reference(load_file(str(folder / "model.safetensors")), ids)
    torch.testing.assert_close(predict_all(engine, ids), expected, atol=1e-5, rtol=1e-4)


def test_attention_is_bidirectional(engine) -> None:  # type: ignore[no-untyped-def]
    ids = torch.tensor([engine.codec.encode("def mul(a, b):\n    return a * b\n")])
    changed = ids.clone()
    changed[0, -1] = (changed[0, -1] + 1) % 40
    assert (predict_all(engine, ids)[0, 1] - predict_all(engine, changed)[0, 1]).abs().max() > 1e-4


def test_mask_id_from_config_and_default(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert engine.codec.mask_id == engine.codec.tokenizer.convert_tokens_to_ids("<|mdm_mask|>")
    assert engine.describe()["mask_id"] == engine.codec.mask_id
    # without a config entry or a tokenizer mask token, LLaDA's own 126336 is used (here outside the vocab)
    folder = tiny_llada(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    del config["mask_token_id"]
    (folder / "config.json").write_text(json.dumps(config))
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    tokenizer_config.pop("mask_token", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    with pytest.raises(ModelError, match="126336"):
        load_engine(folder, backend="llada")


def test_fill_yields_steps_then_a_result_with_eos_filler(engine) -> None:  # type: ignore[no-untyped-def]
    assert engine.codec.pad_id == engine.codec.tokenizer.eos_token_id
    request = FillRequest.single(PREFIX, SUFFIX, HoleSpec(max_tokens=12), seed=3)
    items = list(engine.iter_fill(request))
    assert all(isinstance(item, Step) for item in items[:-1]) and isinstance(items[-1], FillResult)
    assert "<|mdm_mask|>" not in items[-1].best.text
    again = run_fill(engine, request)
    assert again.best.fills == items[-1].best.fills


def test_unsupported_llada_variants_are_refused() -> None:
    with pytest.raises(ModelError, match="block_type"):
        llada.llama_config(
            {"block_type": "sequential", "d_model": 8, "n_heads": 2, "n_layers": 1, "vocab_size": 5}
        )
    with pytest.raises(ModelError, match="not a LLaDA config"):
        llada.llama_config({"block_type": "llama"})


def test_unknown_weight_names_are_refused() -> None:
    with pytest.raises(ModelError, match="att_proj"):
        llada.rename_keys({"model.transformer.blocks.0.att_proj.weight": torch.zeros(1)})


def test_renames_cover_every_llada_name() -> None:
    renamed = llada.rename_keys(
        {
            "model.transformer.blocks.7.attn_out.weight": torch.zeros(1),
            "transformer.ln_f.weight": torch.zeros(1),
        }
    )
    assert sorted(renamed) == ["model.layers.7.self_attn.o_proj.weight", "model.norm.weight"]
