"""Training: joint autoregressive + masked-diffusion objective on one set of weights.

Each optimizer step sees one diffusion micro-batch (bidirectional attention, syntax-aware span curriculum,
MDLM loss: cross-entropy on masked canvas tokens weighted by 1/t, capped at 10) and one AR micro-batch (causal
attention, next-token loss). Both use the shifted convention: logits at position j-1 score the token at j.

Checkpoints (``ckpt/``): ``model.safetensors`` + ``state.pt`` (optimizer state and step; loaded with
``weights_only=True``). ``export`` writes the Hugging Face folder the engine loads.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from unmask.model.curriculum import TRAIN_SPAN_COUNTS, Curriculum, Example
from unmask.model.data import read_jsonl
from unmask.model.net import NetConfig, UnmaskNet, fast_bfloat16
from unmask.model.tokenizer import CodeTokenizer


@dataclass
class TrainConfig:
    seq_len: int = 384
    diffusion_batch: int = 16
    ar_batch: int = 8
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 60
    total_steps: int = 20000  # cosine schedule length; training may be stopped any time
    weight_decay: float = 0.1
    eval_every: int = 250
    save_every: int = 100
    seed: int = 0
    bf16: bool = True
    #: share of diffusion rows that are plain MDLM (whole row masked at rate t) rather than span infilling
    uniform_share: float = 0.2
    #: share of diffusion rows centred on a function with holes in its body (and of AR rows that start at a
    #: function); the rest are spans anywhere in a window. Since run3: the holes users leave look like these.
    function_share: float = 0.45
    #: share of those function-centred rows whose (top-level) function ends the file, followed by <|eos|>:
    #: since run14; the shape of a benchmark program (a function, then the end of the file)
    isolated_share: float = 0.3


def pad_batch(examples: list[Example], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(e.ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    targets = torch.full((len(examples), width), -100, dtype=torch.long)
    keep = torch.zeros((len(examples), width), dtype=torch.bool)
    for row, example in enumerate(examples):
        n = len(example.ids)
        ids[row, :n] = torch.tensor(example.ids)
        targets[row, :n] = torch.tensor(example.targets)
        keep[row, :n] = True
    weights = torch.tensor([e.weight for e in examples])
    return ids, targets, keep, weights


def diffusion_loss(model: UnmaskNet, examples: list[Example], pad_id: int) -> torch.Tensor:
    ids, targets, _, weights = pad_batch(examples, pad_id)
    # Short rows (a file's end, after <|eos|>) are padded with filler that stays visible: no attention mask
    # keeps SDPA on its fast path, and the engine's batched rows look the same.
    hidden, _ = model.hidden(ids)
    rows, cols = (targets[:, 1:] != -100).nonzero(as_tuple=True)  # target at cols+1 scored from cols
    logits = model.logits(hidden[rows, cols]).float()
    losses = F.cross_entropy(logits, targets[rows, cols + 1], reduction="none")
    per_row = torch.zeros(len(examples)).index_add_(0, rows, losses)
    counts = torch.zeros(len(examples)).index_add_(0, rows, torch.ones_like(losses))
    # mean over each row's masked tokens (long spans don't dominate), rows weighted by 1/t and the weights
    # normalised to mean 1, so the loss stays on the scale of a cross-entropy next to the AR loss
    return (per_row / counts.clamp(min=1) * weights).sum() / weights.sum()


def ar_loss(model: UnmaskNet, examples: list[Example], pad_id: int) -> torch.Tensor:
    ids, targets, keep, _ = pad_batch(examples, pad_id)
    targets = torch.where(keep, ids, torch.full_like(ids, -100))
    logits = model(ids, causal=True).float()
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets[:, 1:].reshape(-1))


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.total_steps - cfg.warmup_steps))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def export(
    model: UnmaskNet, tokenizer_path: Path, out: Path, extra: dict[str, object] | None = None,
    dtype: torch.dtype = torch.float32,
) -> None:
    """Write the Hugging Face folder: config.json, model.safetensors (weights in ``dtype``), tokenizer.json."""
    out.mkdir(parents=True, exist_ok=True)
    config = {"model_type": "unmask", "architectures": ["UnmaskForDiffusionLM"], **model.config.to_dict()}
    config.update(extra or {})
    state = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    # each file is written aside and renamed, so a reader never sees a half-written file
    save_file(state, str(out / "model.safetensors.tmp"), metadata={"format": "pt"})
    os.replace(out / "model.safetensors.tmp", out / "model.safetensors")
    (out / "config.json.tmp").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    os.replace(out / "config.json.tmp", out / "config.json")
    if tokenizer_path.resolve() != (out / "tokenizer.json").resolve():
        (out / "tokenizer.json.tmp").write_bytes(tokenizer_path.read_bytes())
        os.replace(out / "tokenizer.json.tmp", out / "tokenizer.json")


@torch.no_grad()
def evaluate(model: UnmaskNet, heldout: Curriculum, pad_id: int, batches: int = 4) -> dict[str, float]:
    model.eval()
    state = heldout.rng.getstate()
    heldout.rng.seed(1234)
    diff = [diffusion_loss(model, [heldout.diffusion_example() for _ in range(16)], pad_id).item() for _ in range(batches)]
    ar = [ar_loss(model, [heldout.ar_example() for _ in range(8)], pad_id).item() for _ in range(batches)]
    heldout.rng.setstate(state)
    model.train()
    return {"heldout_diffusion": sum(diff) / len(diff), "heldout_ar": sum(ar) / len(ar)}


def train(
    corpus: Path,
    tokenizer_path: Path,
    run_dir: Path,
    net_config: NetConfig,
    cfg: TrainConfig,
    *,
    resume: bool,
    init_from: Path | None = None,
    max_steps: int | None = None,
    max_minutes: float | None = None,
    export_to: Path | None = None,
) -> dict[str, float]:
    from tqdm import tqdm

    torch.set_flush_denormal(True)
    torch.manual_seed(cfg.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = CodeTokenizer.from_file(tokenizer_path)
    net_config.vocab_size = tokenizer.vocab_size
    net_config.pad_id, net_config.mask_id = tokenizer.pad_id, tokenizer.mask_id
    net_config.bos_id, net_config.eos_id = tokenizer.bos_id, tokenizer.eos_id
    if corpus.is_dir():
        train_files = [text for _, text in read_jsonl(corpus / "train.jsonl")]
        heldout_files = [text for _, text in read_jsonl(corpus / "heldout.jsonl")]
    else:  # a single jsonl (e.g. --adapt on a user's repository): hold out every 20th file
        rows = [text for _, text in read_jsonl(corpus)]
        heldout_files = rows[::20] or rows[:1]
        train_files = [t for i, t in enumerate(rows) if i % 20] or rows
    model = UnmaskNet(net_config)
    base_steps = 0  # steps the starting weights were trained for (adapt): counted on, and their examples skipped
    if init_from is not None:
        model.load_state_dict(load_file(str(init_from / "model.safetensors")))
        base_steps = _trained_steps(init_from)
    model.to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt = run_dir / "ckpt"
    step = 0
    if resume and (ckpt / "model.safetensors").exists():
        step = load_checkpoint(model, optimizer, ckpt)
        print(f"resumed from step {step}", file=sys.stderr)
    (run_dir / "config.json").write_text(
        json.dumps({"net": net_config.to_dict(), "train": vars(cfg)}, indent=2), encoding="utf-8"
    )
    # a resumed or adapted run does not replay the examples its weights were already trained on
    seed = cfg.seed * 1000 + base_steps + step
    train_data = Curriculum(
        train_files, tokenizer, cfg.seq_len, seed=seed, uniform_share=cfg.uniform_share,
        function_share=cfg.function_share, isolated_share=cfg.isolated_share, span_counts=TRAIN_SPAN_COUNTS,
    )
    heldout_data = Curriculum(heldout_files, tokenizer, cfg.seq_len, seed=1)
    log = (run_dir / "log.jsonl").open("a", encoding="utf-8")
    # bf16 autocast doubles speed where the CPU multiplies bf16 natively and is several times slower elsewhere
    use_bf16 = cfg.bf16 and device.type == "cpu" and fast_bfloat16()
    started = time.time()
    goal = cfg.total_steps if max_steps is None else min(cfg.total_steps, step + max_steps)
    bar = tqdm(total=goal, initial=step, unit="step", dynamic_ncols=True, disable=not sys.stderr.isatty())
    tokens = 0
    last: dict[str, float] = {}
    model.train()
    while step < goal:
        if max_minutes is not None and time.time() - started > max_minutes * 60:
            break
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        diff_examples = [train_data.diffusion_example() for _ in range(cfg.diffusion_batch)]
        ar_examples = [train_data.ar_example() for _ in range(cfg.ar_batch)]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            d_loss = diffusion_loss(model, diff_examples, tokenizer.pad_id)
            a_loss = ar_loss(model, ar_examples, tokenizer.pad_id)
            loss = d_loss + a_loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens += sum(len(e.ids) for e in diff_examples + ar_examples)
        elapsed = time.time() - started
        last = {"step": step, "loss_diffusion": d_loss.item(), "loss_ar": a_loss.item(), "lr": lr_at(step, cfg),
                "tokens_per_s": tokens / max(elapsed, 1e-9)}
        bar.update(1)
        bar.set_postfix(diff=f"{last['loss_diffusion']:.3f}", ar=f"{last['loss_ar']:.3f}", tok_s=f"{last['tokens_per_s']:.0f}")
        if step % cfg.eval_every == 0:
            last.update(evaluate(model, heldout_data, tokenizer.pad_id))
            if not sys.stderr.isatty():
                print(json.dumps(last), file=sys.stderr, flush=True)
        if step % 10 == 0 or "heldout_ar" in last:
            log.write(json.dumps({**last, "time": time.time()}) + "\n")
            log.flush()
        if step % cfg.save_every == 0 or step == goal:
            save_checkpoint(model, optimizer, step, ckpt)
            if export_to is not None:
                export(model, tokenizer_path, export_to, {"trained_steps": base_steps + step})
    bar.close()
    save_checkpoint(model, optimizer, step, ckpt)
    if export_to is not None:
        export(model, tokenizer_path, export_to, {"trained_steps": base_steps + step})
    return last


def _trained_steps(weights: Path) -> int:
    try:
        config = json.loads((weights / "config.json").read_text(encoding="utf-8"))
        return max(0, int(config.get("trained_steps", 0)))
    except (OSError, ValueError, TypeError):
        return 0


def save_checkpoint(model: UnmaskNet, optimizer: torch.optim.Optimizer, step: int, ckpt: Path) -> None:
    ckpt.mkdir(parents=True, exist_ok=True)
    # both files are written aside first and then renamed; the weights carry their step, so a stop between the
    # two renames is seen on resume (the optimizer state then belongs to the previous checkpoint)
    torch.save({"optimizer": optimizer.state_dict(), "step": step}, ckpt / "state.pt.tmp")
    tmp = ckpt / "model.safetensors.tmp"
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(tmp),
              metadata={"step": str(step)})
    os.replace(tmp, ckpt / "model.safetensors")
    os.replace(ckpt / "state.pt.tmp", ckpt / "state.pt")


def load_checkpoint(model: UnmaskNet, optimizer: torch.optim.Optimizer, ckpt: Path) -> int:
    """Load a run's last checkpoint into ``model`` and ``optimizer``; returns its step (the weights' own)."""
    from safetensors import safe_open

    with safe_open(str(ckpt / "model.safetensors"), framework="pt") as handle:
        weights_step = (handle.metadata() or {}).get("step")
    model.load_state_dict(load_file(str(ckpt / "model.safetensors")))
    state = torch.load(ckpt / "state.pt", weights_only=True)
    step = int(state["step"])
    if weights_step is not None and int(weights_step) != step:
        print(f"the checkpoint's weights are from step {weights_step} and its optimizer state from step {step} "
              "(a stop while saving); going on from the weights' step", file=sys.stderr)
        step = int(weights_step)
    optimizer.load_state_dict(state["optimizer"])
    return step


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="train the embedded model")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--export", type=Path)
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--max-minutes", type=float)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--ffn", type=int, default=704)
    parser.add_argument("--total-steps", type=int, default=20000)
    args = parser.parse_args(argv)
    net = NetConfig(d_model=args.d_model, n_layers=args.layers, n_heads=args.heads, ffn_hidden=args.ffn)
    cfg = TrainConfig(total_steps=args.total_steps)
    random.seed(0)
    train(args.corpus, args.tokenizer, args.run, net, cfg, resume=args.resume, max_steps=args.max_steps,
          max_minutes=args.max_minutes, export_to=args.export)
    return 0


if __name__ == "__main__":
    sys.exit(main())
