"""The Dream adapter on a tiny random Qwen2 checkpoint saved as a Dream folder (config model_type "dream")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from engines import denoiser, infill_engine
from safetensors.torch import load_file, save_file
from test_backends_common import PREFIX, SUFFIX, tiny_dream

from unmask.model.api import (
    MASK_GLYPH,
    FillRequest,
    FillResult,
    HoleSpec,
    ModelError,
    Step,
    load_engine,
    run_fill,
)
from unmask.model.backends import dream
from unmask.model.backends._hf import FullDenoiser


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_dream(tmp_path_factory.mktemp("dream"))


@pytest.fixture(scope="module")
def engine(folder: Path):  # type: ignore[no-untyped-def]
    return load_engine(folder)  # auto: config.json says model_type "dream"


def reference(folder: Path):  # type: ignore[no-untyped-def]
    """transformers' own loader and its own bidirectional switch (``config.is_causal = False``)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config.from_json_file(str(folder / "config.json"))
    model = Qwen2ForCausalLM.from_pretrained(str(folder), config=config).eval()
    model.config.is_causal = False
    return model


def test_auto_picks_dream_and_describes_it(engine) -> None:  # type: ignore[no-untyped-def]
    info = engine.describe()
    assert info["backend"] == "dream"
    assert info["parameters"] > 0
    assert engine.codec.mask_id == engine.codec.tokenizer.mask_token_id


def test_logits_match_transformers_bidirectional_qwen2_shifted_by_one(engine, folder: Path) -> None:  # type: ignore[no-untyped-def]
    ids = torch.tensor([engine.codec.encode("def add(a, b):\n    return a + b\n")])
    T = ids.shape[1]
    canvas = torch.arange(T).unsqueeze(0)
    session = engine.denoiser.session(
        ids, torch.ones_like(ids, dtype=torch.bool), canvas, torch.ones_like(canvas, dtype=torch.bool)
    )
    ours = session.predict(ids)  # (1, T, V): slot j predicted from position j-1
    with torch.no_grad():
        theirs = reference(folder)(input_ids=ids).logits
    torch.testing.assert_close(ours[0, 1:], theirs[0, :-1], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours[0, 0], theirs[0, 0], atol=1e-5, rtol=1e-4)  # position 0 predicts itself


def test_attention_is_bidirectional(engine) -> None:  # type: ignore[no-untyped-def]
    ids = torch.tensor([engine.codec.encode("for i in range(10):\n    print(i)\n")])
    later = ids.clone()
    later[0, -2] = (later[0, -2] + 1) % 50
    canvas = torch.tensor([[3]])
    valid = torch.ones_like(canvas, dtype=torch.bool)
    key_mask = torch.ones_like(ids, dtype=torch.bool)
    before = engine.denoiser.session(ids, key_mask, canvas, valid).predict(ids)
    after = engine.denoiser.session(later, key_mask, canvas, valid).predict(later)
    assert (before - after).abs().max() > 1e-4  # position 2 saw a change at the end


def test_padding_keys_are_invisible(engine) -> None:  # type: ignore[no-untyped-def]
    ids = torch.tensor([engine.codec.encode("if x > 0:\n    y = x\n")])
    padded = torch.cat((ids, torch.full((1, 5), 7)), dim=1)
    key_mask = torch.cat(
        (torch.ones_like(ids, dtype=torch.bool), torch.zeros((1, 5), dtype=torch.bool)), dim=1
    )
    canvas = torch.tensor([[2, 4]])
    valid = torch.ones_like(canvas, dtype=torch.bool)
    plain = engine.denoiser.session(ids, torch.ones_like(ids, dtype=torch.bool), canvas, valid).predict(ids)
    masked = engine.denoiser.session(padded, key_mask, canvas, valid).predict(padded)
    torch.testing.assert_close(plain, masked, atol=1e-5, rtol=1e-4)


def test_fill_streams_steps_and_uses_the_eos_filler(engine) -> None:  # type: ignore[no-untyped-def]
    codec = engine.codec
    assert codec.pad_id == codec.tokenizer.eos_token_id  # Dream pads unused slots with <|endoftext|>
    assert codec.mask_id not in (codec.pad_id,) and codec.pad_id not in codec.banned_ids
    request = FillRequest.single(PREFIX, SUFFIX, HoleSpec(length_tokens=6), threshold=1.0)
    items = list(engine.iter_fill(request))
    steps = [item for item in items if isinstance(item, Step)]
    assert isinstance(items[-1], FillResult) and steps
    assert MASK_GLYPH in steps[0].fills[0] or steps[0].masked == 0
    assert len(steps) == items[-1].forward_passes
    best = items[-1].best
    assert "<|mask|>" not in best.text and "<|endoftext|>" not in best.text
    assert all(token.id not in codec.banned_ids for token in best.tokens[0])


def test_fixed_length_when_the_filler_is_off(folder: Path) -> None:
    engine = infill_engine(folder, backend="dream", filler=None)
    assert engine.codec.pad_id is None
    result = run_fill(engine, FillRequest.single(PREFIX, SUFFIX, HoleSpec(length_tokens=5)))
    assert len(result.best.tokens[0]) == 5


def test_tied_embeddings_and_stored_rotary_buffers_load(tmp_path: Path) -> None:
    folder = tiny_dream(tmp_path / "tied")
    state = load_file(str(folder / "model.safetensors"))
    state.pop("lm_head.weight")
    state["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.ones(4)  # older Dream exports keep it
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text())
    config["tie_word_embeddings"] = True
    (folder / "config.json").write_text(json.dumps(config))
    engine = infill_engine(folder, backend="dream")
    full = denoiser(engine)
    assert isinstance(full, FullDenoiser)
    model = full.forward.__self__.model  # type: ignore[attr-defined]  # a bound DreamNet.forward
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    assert run_fill(engine, FillRequest.single(PREFIX, SUFFIX, HoleSpec(length_tokens=3))).best.tokens


def test_mismatched_weights_are_a_model_error(tmp_path: Path) -> None:
    folder = tiny_dream(tmp_path / "bad")
    config = json.loads((folder / "config.json").read_text())
    config["num_hidden_layers"] = 3
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="do not match"):
        load_engine(folder, backend="dream")


def test_rename_drops_rotary_buffers_only() -> None:
    state = {
        "model.norm.weight": torch.ones(1),
        "model.layers.1.self_attn.rotary_emb.inv_freq": torch.ones(1),
    }
    assert list(dream.rename_keys(state)) == ["model.norm.weight"]
