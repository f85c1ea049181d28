"""Grow a trained model wider or deeper without changing what it computes, so training can go on from it.

A 6M-parameter model that has seen ~150M tokens gains less and less from more of them; a larger model started
from scratch would need as many again to catch up. Growing keeps everything learned: the new residual
dimensions, heads, SwiGLU units and blocks start out contributing exactly nothing, so the grown model's logits
equal the original's (up to the RMSNorm epsilon), and training then puts the new capacity to use.

* **Width** ``d_model`` → ``d_model'`` (whole heads of the same head width): the old weights keep their places;
  the new residual dimensions start at zero everywhere (embedding columns, rows of the output and down
  projections), so the RMSNorm weights are scaled by ``sqrt(d / d')`` to keep the normalised old dimensions
  as they were (the mean square now runs over more, zero, dimensions). Weights that only *read* the new
  dimensions or only *feed* a new head or unit (input columns, new query/key/value rows, new gate/up rows) get
  the usual random init — they see zeros or are not read, so they change nothing yet but pass gradients.
* **SwiGLU units** ``ffn_hidden`` → ``ffn_hidden'``: new gate/up rows random, their down columns zero.
* **Depth**: new blocks appended after the old ones with zero output and down projections: identities.

Usage: ``python -m unmask.model.grow SRC DST --d-model 320 --heads 5 --ffn 864`` then
``unmask train --adapt DST ...``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from unmask.model.net import Block, NetConfig, RMSNorm, UnmaskNet


def _paste(new: torch.Tensor, old: torch.Tensor) -> None:
    """Copy ``old`` into the leading corner of ``new`` (any rank)."""
    new[tuple(slice(0, n) for n in old.shape)] = old


def _grow_norm(new: RMSNorm, old: RMSNorm, scale: float) -> None:
    """The old weights times ``scale`` (the mean square now runs over more, zero, dimensions); new dimensions
    get the scaled mean, so they start on the same footing once they carry signal."""
    new.weight.fill_(float(old.weight.mean()) * scale)
    _paste(new.weight, old.weight * scale)


def _grow_block(new: Block, old: Block, d_old: int, d_new: int) -> None:
    head = old.attn.head
    scale = math.sqrt(d_old / d_new)
    _grow_norm(new.attn_norm, old.attn_norm, scale)
    _grow_norm(new.ffn_norm, old.ffn_norm, scale)
    new.attn.q_norm.weight.copy_(old.attn.q_norm.weight)
    new.attn.k_norm.weight.copy_(old.attn.k_norm.weight)
    # qkv rows are [q | k | v], each heads x head width: old heads keep their rows in each third
    qkv_new = new.attn.qkv.weight.view(3, new.attn.n_heads * head, d_new)
    _paste(qkv_new, old.attn.qkv.weight.view(3, old.attn.n_heads * head, d_old))
    out = new.attn.out.weight
    out.zero_()  # new heads are not read, new residual dimensions not written
    _paste(out, old.attn.out.weight)
    f_old, f_new = old.down.weight.shape[1], new.down.weight.shape[1]
    gate_up = new.gate_up.weight.view(2, f_new, d_new)
    _paste(gate_up, old.gate_up.weight.view(2, f_old, d_old))
    new.down.weight.zero_()
    _paste(new.down.weight, old.down.weight)


@torch.no_grad()
def grow(model: UnmaskNet, *, d_model: int, n_heads: int, ffn_hidden: int, n_layers: int) -> UnmaskNet:
    """A larger model that computes what ``model`` computes; raises ValueError for a shrink or a head-width change."""
    old = model.config
    head = old.d_model // old.n_heads
    if d_model < old.d_model or ffn_hidden < old.ffn_hidden or n_layers < old.n_layers or n_heads < old.n_heads:
        raise ValueError("grow only adds: every size must be at least the model's")
    if d_model != n_heads * head:
        raise ValueError(f"d_model must be n_heads x {head} (the head width stays)")
    config = NetConfig.from_dict({**old.to_dict(), "d_model": d_model, "n_heads": n_heads,
                                  "ffn_hidden": ffn_hidden, "n_layers": n_layers})
    grown = UnmaskNet(config).to(model.embed.weight.dtype)
    grown.embed.weight.zero_()
    _paste(grown.embed.weight, model.embed.weight)
    _grow_norm(grown.norm, model.norm, math.sqrt(old.d_model / d_model))
    for index, block in enumerate(grown.blocks):
        assert isinstance(block, Block)
        if index < old.n_layers:
            old_block = model.blocks[index]
            assert isinstance(old_block, Block)
            _grow_block(block, old_block, old.d_model, d_model)
        else:  # an appended block starts as the identity
            block.attn.out.weight.zero_()
            block.down.weight.zero_()
    return grown


def main(argv: list[str] | None = None) -> int:
    from unmask.model.api import ModelError
    from unmask.model.checkpoint import load_embedded

    parser = argparse.ArgumentParser(prog="python -m unmask.model.grow", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", type=Path, help="a model folder (config.json, model.safetensors, tokenizer.json)")
    parser.add_argument("dst", type=Path, help="where to write the grown model folder")
    parser.add_argument("--d-model", type=int, help="residual width (a multiple of the head width)")
    parser.add_argument("--heads", type=int, help="attention heads (default: d-model / head width)")
    parser.add_argument("--ffn", type=int, help="SwiGLU hidden width")
    parser.add_argument("--layers", type=int, help="blocks (new ones are appended)")
    args = parser.parse_args(argv)
    try:
        model, _, raw = load_embedded(args.src)
    except ModelError as exc:
        print(f"grow: {exc}", file=sys.stderr)
        return 1
    old = model.config
    head = old.d_model // old.n_heads
    d_model = args.d_model or old.d_model
    try:
        grown = grow(model.float(), d_model=d_model, n_heads=args.heads or d_model // head,
                     ffn_hidden=args.ffn or old.ffn_hidden, n_layers=args.layers or old.n_layers)
    except ValueError as exc:
        print(f"grow: {exc}", file=sys.stderr)
        return 1
    args.dst.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in grown.state_dict().items()}, str(args.dst / "model.safetensors"))
    config = {**raw, **grown.config.to_dict(),
              "training": f"{raw.get('training', '')} + grown {old.d_model}x{old.n_layers} -> "
                          f"{grown.config.d_model}x{grown.config.n_layers}".strip(" +")}
    (args.dst / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(args.src / "tokenizer.json", args.dst / "tokenizer.json")
    print(f"{args.src} ({model.num_parameters():,} parameters) -> {args.dst} ({grown.num_parameters():,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
