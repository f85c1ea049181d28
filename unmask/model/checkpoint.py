"""Load and check the embedded model's Hugging Face folder: config.json, model.safetensors, tokenizer.json.

Weights load from safetensors only; a folder holding only pickle files (``*.bin``, ``*.pt``) is refused.
Every failure raises :class:`~unmask.model.api.ModelError` saying which file is wrong and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from unmask.model.api import ModelError
from unmask.model.net import NetConfig, UnmaskNet
from unmask.model.tokenizer import CodeTokenizer

REQUIRED = ("config.json", "model.safetensors", "tokenizer.json")


def load_embedded(path: Path) -> tuple[UnmaskNet, CodeTokenizer, dict[str, object]]:
    if not path.is_dir():
        raise ModelError(f"{path}: model folder not found; pass --model PATH or reinstall unmask")
    missing = [name for name in REQUIRED if not (path / name).is_file()]
    if missing:
        pickles = sorted(p.name for p in path.glob("*") if p.suffix in {".bin", ".pt", ".pth", ".pkl", ".ckpt"})
        hint = f" (found pickle files {pickles}: unmask loads safetensors only)" if pickles else ""
        raise ModelError(f"{path}: missing {', '.join(missing)}{hint}")
    try:
        raw = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path / 'config.json'}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict) or raw.get("model_type") != "unmask":
        raise ModelError(f"{path / 'config.json'}: model_type must be 'unmask' for the embedded backend")
    try:
        config = NetConfig.from_dict(raw)
        if config.d_model % config.n_heads:
            raise ValueError("d_model must be a multiple of n_heads")
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{path / 'config.json'}: wrong config ({exc})") from exc
    try:
        tokenizer = CodeTokenizer.from_file(path / "tokenizer.json")
    except Exception as exc:  # tokenizers raises bare Exceptions for malformed files
        raise ModelError(f"{path / 'tokenizer.json'}: cannot load the tokenizer ({exc})") from exc
    if tokenizer.vocab_size != config.vocab_size:
        raise ModelError(
            f"{path}: tokenizer has {tokenizer.vocab_size} tokens but config.json says {config.vocab_size}"
        )
    try:
        state = load_file(str(path / "model.safetensors"))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"{path / 'model.safetensors'}: truncated or corrupt ({exc}); reinstall or retrain") from exc
    try:
        model = UnmaskNet(config)
    except MemoryError as exc:
        raise ModelError(f"{path / 'config.json'}: the model it describes does not fit in memory ({exc})") from exc
    except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
        # torch reports a failed allocation as RuntimeError ("can't allocate memory"); a wrong value type as
        # TypeError. Either way the config is at fault and the caller must get a ModelError, not a crash.
        reason = "does not fit in memory" if "allocate" in str(exc) else "describes no buildable model"
        raise ModelError(f"{path / 'config.json'}: {reason} ({str(exc)[:200]})") from exc
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{path / 'model.safetensors'}: does not match config.json ({str(exc)[:300]})") from exc
    model.eval()
    return model, tokenizer, raw


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
