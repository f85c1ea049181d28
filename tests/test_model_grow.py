"""Growing a model: the grown network computes what the original did, in both modes, and can learn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from unmask.model.checkpoint import load_embedded
from unmask.model.grow import grow, main
from unmask.model.net import Block, NetConfig, UnmaskNet


def _trained_looking(config: NetConfig) -> UnmaskNet:
    """Random weights everywhere, norms included, so a misplaced or unscaled weight shows in the logits."""
    torch.manual_seed(0)
    model = UnmaskNet(config)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("norm.weight"):
                parameter.uniform_(0.5, 1.5)
            else:
                parameter.normal_(0.0, 0.3)
    return model.eval()


SMALL = NetConfig(vocab_size=97, d_model=32, n_layers=2, n_heads=2, ffn_hidden=48, norm_eps=1e-9)


@pytest.mark.parametrize("sizes", [
    {"d_model": 48, "n_heads": 3, "ffn_hidden": 48, "n_layers": 2},  # wider only
    {"d_model": 32, "n_heads": 2, "ffn_hidden": 80, "n_layers": 2},  # more SwiGLU units only
    {"d_model": 32, "n_heads": 2, "ffn_hidden": 48, "n_layers": 4},  # deeper only
    {"d_model": 64, "n_heads": 4, "ffn_hidden": 96, "n_layers": 3},  # all at once
])
def test_grown_model_computes_the_same_logits_in_both_modes(sizes: dict[str, int]) -> None:
    model = _trained_looking(SMALL)
    grown = grow(model, **sizes).eval()
    assert grown.num_parameters() > model.num_parameters()
    ids = torch.randint(4, SMALL.vocab_size, (3, 17))
    with torch.no_grad():
        for causal in (False, True):
            before, after = model(ids, causal=causal), grown(ids, causal=causal)
            assert torch.allclose(before, after, atol=1e-4, rtol=1e-4), (causal, (before - after).abs().max())


def test_new_capacity_gets_gradients_and_training_changes_the_output() -> None:
    model = _trained_looking(SMALL)
    grown = grow(model, d_model=48, n_heads=3, ffn_hidden=64, n_layers=3).train()
    ids = torch.randint(4, SMALL.vocab_size, (4, 12))
    logits = grown(ids[:, :-1], causal=True)
    torch.nn.functional.cross_entropy(logits.reshape(-1, SMALL.vocab_size), ids[:, 1:].reshape(-1)).backward()
    embed_grad = grown.embed.weight.grad
    assert embed_grad is not None and embed_grad[:, 32:].abs().sum() > 0  # the new residual dimensions learn
    last = grown.blocks[2]
    assert isinstance(last, Block)
    assert last.down.weight.grad is not None and last.down.weight.grad.abs().sum() > 0  # the appended block too
    first = grown.blocks[0]
    assert isinstance(first, Block)
    assert first.attn.out.weight.grad is not None and first.attn.out.weight.grad[:, 32:].abs().sum() > 0  # new head


def test_growing_refuses_to_shrink_or_change_the_head_width() -> None:
    model = _trained_looking(SMALL)
    with pytest.raises(ValueError, match="only adds"):
        grow(model, d_model=32, n_heads=2, ffn_hidden=32, n_layers=2)
    with pytest.raises(ValueError, match="head width"):
        grow(model, d_model=40, n_heads=2, ffn_hidden=48, n_layers=2)


def test_command_writes_a_folder_the_engine_loads(tmp_path: Path) -> None:
    from unmask.model.tokenizer import CodeTokenizer, train_tokenizer
    from unmask.model.train import export

    tokenizer = CodeTokenizer(train_tokenizer(["def f(x):\n    return x + 1\n"] * 20, vocab_size=300))
    tokenizer.save(tmp_path / "tok.json")
    config = NetConfig(vocab_size=tokenizer.vocab_size, d_model=32, n_layers=2, n_heads=2, ffn_hidden=48)
    export(_trained_looking(config), tmp_path / "tok.json", tmp_path / "small", {"trained_steps": 7})
    assert main([str(tmp_path / "small"), str(tmp_path / "big"), "--d-model", "64", "--layers", "3"]) == 0
    model, _, raw = load_embedded(tmp_path / "big")
    assert (model.config.d_model, model.config.n_heads, model.config.n_layers) == (64, 4, 3)
    assert raw["trained_steps"] == 7 and "grown 32x2 -> 64x3" in str(raw["training"])
    small, _, _ = load_embedded(tmp_path / "small")
    ids = torch.randint(4, tokenizer.vocab_size, (1, 9))
    with torch.no_grad():
        assert torch.allclose(small(ids), model(ids), atol=1e-3)
    assert json.loads((tmp_path / "big" / "config.json").read_text())["model_type"] == "unmask"
    assert main([str(tmp_path / "big"), str(tmp_path / "x"), "--d-model", "32"]) == 1  # a shrink is refused
