"""Tiny checkpoints built in the test (random weights, a byte-level BPE trained on a few lines), shared by the
adapter tests and the engine contract suite, and tests of the shared loading rules in ``backends/_hf.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from unmask.model.api import ModelError, load_engine
from unmask.model.backends import _hf

CODE = [
    "def add(a, b):\n    return a + b\n",
    "def mul(a, b):\n    return a * b\n",
    "for i in range(10):\n    print(i)\n",
    "if x > 0:\n    y = x\nelse:\n    y = -x\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
]
PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))\n"


def bpe(specials: list[str], vocab_size: int = 300) -> Tokenizer:
    """A byte-level BPE whose ``specials`` take the first ids, in order."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CODE * 3, trainer=trainer)
    return tokenizer


def save_tokenizer(folder: Path, specials: list[str], **roles: str) -> Any:
    """Save a fast tokenizer with ``roles`` (bos_token=..., mask_token=...) to ``folder``; return it."""
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe(specials), **roles)
    extra = [s for s in specials if s not in roles.values()]
    if extra:
        tokenizer.add_special_tokens({"additional_special_tokens": extra})
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def rewrite_config(folder: Path, **changes: Any) -> dict[str, Any]:
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return config


def tiny_dream(folder: Path) -> Path:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    tokenizer = save_tokenizer(
        folder,
        ["<|endoftext|>", "<|beginoftext|>", "<|mask|>"],
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        bos_token="<|beginoftext|>",
        mask_token="<|mask|>",
    )
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=False,
    )
    Qwen2ForCausalLM(config).save_pretrained(str(folder), safe_serialization=True)
    rewrite_config(
        folder,
        model_type="dream",
        architectures=["DreamModel"],
        mask_token_id=tokenizer.mask_token_id,
        auto_map={"AutoModel": "modeling_dream.DreamModel"},
    )
    return folder


LLADA_LAYERS = 2
LLADA_WIDTH = 32
LLADA_HEADS = 4
LLADA_HIDDEN = 48


def llada_state(vocab: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights under LLaDA's own names (``LLaDAModelLM`` -> ``model.transformer…``)."""
    generator = torch.Generator().manual_seed(seed)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * 0.1

    C, H = LLADA_WIDTH, LLADA_HIDDEN
    state = {
        "model.transformer.wte.weight": rand(vocab, C),
        "model.transformer.ln_f.weight": 1 + rand(C),
        "model.transformer.ff_out.weight": rand(vocab, C),
    }
    for n in range(LLADA_LAYERS):
        block = f"model.transformer.blocks.{n}."
        state.update(
            {
                block + "q_proj.weight": rand(C, C),
                block + "k_proj.weight": rand(C, C),
                block + "v_proj.weight": rand(C, C),
                block + "attn_out.weight": rand(C, C),
                block + "ff_proj.weight": rand(H, C),
                block + "up_proj.weight": rand(H, C),
                block + "ff_out.weight": rand(C, H),
                block + "attn_norm.weight": 1 + rand(C),
                block + "ff_norm.weight": 1 + rand(C),
            }
        )
    return state


def tiny_llada(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = save_tokenizer(
        folder,
        ["<|endoftext|>", "<|startoftext|>", "<|mdm_mask|>"],
        eos_token="<|endoftext|>",
        bos_token="<|startoftext|>",
        mask_token="<|mdm_mask|>",
    )
    vocab = len(tokenizer)
    save_file(llada_state(vocab), str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = {
        "architectures": ["LLaDAModelLM"],
        "model_type": "llada",
        "activation_type": "silu",
        "block_type": "llama",
        "layer_norm_type": "rms",
        "d_model": LLADA_WIDTH,
        "n_heads": LLADA_HEADS,
        "n_kv_heads": LLADA_HEADS,
        "n_layers": LLADA_LAYERS,
        "mlp_hidden_size": LLADA_HIDDEN,
        "mlp_ratio": 4,
        "rope": True,
        "rope_theta": 10000.0,
        "rms_norm_eps": 1e-5,
        "max_sequence_length": 256,
        "vocab_size": vocab,
        "embedding_size": vocab,
        "weight_tying": False,
        "include_bias": False,
        "include_qkv_bias": False,
        "input_emb_norm": False,
        "scale_logits": False,
        "mask_token_id": tokenizer.mask_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "auto_map": {"AutoModel": "modeling_llada.LLaDAModelLM"},
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return folder


def tiny_bert(folder: Path) -> Path:
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(0)
    tokenizer = save_tokenizer(
        folder,
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
    )
    BertForMaskedLM(config).save_pretrained(str(folder), safe_serialization=True)
    return folder


FIM_SPECIALS = ["<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>"]


def tiny_causal(folder: Path, *, fim: bool = True) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    specials = FIM_SPECIALS if fim else ["<|endoftext|>"]
    tokenizer = save_tokenizer(folder, specials, eos_token="<|endoftext|>")
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=None,
    )
    LlamaForCausalLM(config).save_pretrained(str(folder), safe_serialization=True)
    return folder


# -- tests of the shared loading rules ---------------------------------------------------------------------------


def test_pickle_only_folder_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"model_type": "bert", "architectures": ["BertForMaskedLM"]})
    )
    torch.save({"w": torch.zeros(1)}, tmp_path / "pytorch_model.bin")
    with pytest.raises(ModelError, match="safetensors only"):
        load_engine(tmp_path, backend="hf_mlm")
    with pytest.raises(ModelError, match="pytorch_model.bin"):
        _hf.weight_files(tmp_path)


@pytest.mark.parametrize("backend", ["hf_mlm", "dream", "llada", "hf_causal"])
def test_every_hf_backend_refuses_pickles(tmp_path: Path, backend: str) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.pt").write_bytes(b"not loaded")
    with pytest.raises(ModelError, match="pickle"):
        load_engine(tmp_path, backend=backend)


def test_missing_folder_and_missing_weights_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_engine(tmp_path / "nowhere", backend="dream")
    with pytest.raises(ModelError, match="needs a model folder"):
        load_engine(None, backend="llada")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="no model.safetensors"):
        _hf.weight_files(tmp_path)


def test_corrupt_safetensors_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\x00\x01garbage")
    with pytest.raises(ModelError, match="corrupt"):
        _hf.read_state(tmp_path)


def test_sharded_safetensors_are_read_through_the_index(tmp_path: Path) -> None:
    save_file({"a": torch.ones(2)}, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file({"b": torch.zeros(3)}, str(tmp_path / "model-00002-of-00002.safetensors"))
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    state = _hf.read_state(tmp_path)
    assert sorted(state) == ["a", "b"] and state["b"].shape == (3,)


def test_codec_round_trips_code_and_hides_special_tokens(tmp_path: Path) -> None:
    tokenizer = save_tokenizer(
        tmp_path, ["<|endoftext|>", "<|mask|>"], eos_token="<|endoftext|>", mask_token="<|mask|>"
    )
    codec = _hf.HFCodec(
        tokenizer,
        mask_id=tokenizer.mask_token_id,
        pad_id=tokenizer.eos_token_id,
        bos_id=None,
        eos_id=None,
        banned_ids=[tokenizer.mask_token_id],
    )
    text = "def add(a, b):\n    return a + b\n"
    ids = codec.encode(text)
    assert codec.decode(ids) == text
    assert codec.decode([*ids, tokenizer.eos_token_id, tokenizer.mask_token_id]) == text
    assert codec.encode("") == []


def test_remote_code_tokenizers_fall_back_to_vocab_and_merges(tmp_path: Path) -> None:
    """Dream ships a custom ``DreamTokenizer`` (remote code) over Qwen2's vocab.json + merges.txt."""
    tokenizer = bpe(["<|endoftext|>", "<|mask|>"])
    tokenizer.model.save(str(tmp_path))  # vocab.json, merges.txt
    config = {
        "tokenizer_class": "DreamTokenizer",
        "auto_map": {"AutoTokenizer": ["tokenization_dream.DreamTokenizer", None]},
        "eos_token": "<|endoftext|>",
        "mask_token": "<|mask|>",
        "added_tokens_decoder": {
            "0": {"content": "<|endoftext|>", "special": True},
            "1": {"content": "<|mask|>", "special": True},
        },
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    loaded = _hf.load_tokenizer(tmp_path)
    assert loaded.mask_token_id == tokenizer.token_to_id("<|mask|>")
    assert loaded.eos_token_id == tokenizer.token_to_id("<|endoftext|>")
    text = "for i in range(10):\n    print(i)\n"
    assert loaded.decode(loaded.encode(text, add_special_tokens=False)) == text
