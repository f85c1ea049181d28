"""Train the embedded model: from scratch, --resume a run, or --adapt the shipped model to your code.

From scratch (the recipe of the shipped model; see docs/model.md):
  pip download --no-deps --only-binary=:all: -d ~/wheels django sympy ...   # optional extra corpus
  unmask train --wheels ~/wheels --run ~/.cache/unmask/runs/main --minutes 120 --export ./my-model

Resume the same run later (optimizer state and step are kept):
  unmask train --run ~/.cache/unmask/runs/main --resume --minutes 60 --export ./my-model

Grow a trained model (wider, more SwiGLU units, more blocks; it starts out computing exactly what it did) and
train on from it (how the shipped model went from 256 to 320 wide):
  python -m unmask.model.grow unmask/model/weights ~/grown --d-model 320 --ffn 864
  unmask train --adapt ~/grown --corpus CORPUS --run ~/.cache/unmask/runs/grown --lr 2.5e-4 --total-steps 3400

Adapt the shipped model to a repository (minutes on a CPU), then use it:
  unmask train --adapt --repo ~/src/myproject --minutes 10 --export ~/.cache/unmask/myproject
  unmask serve   # with the setting modelPath = ~/.cache/unmask/myproject

Make an export the model unmask ships (bf16, training history carried on; in a checkout):
  python -m unmask.model.ship ./my-model --training "my run 2,000 steps"

Checkpoints are written every 100 steps (or every --eval-every, if fewer) to RUN/ckpt (safetensors + optimizer
state), the training log to RUN/log.jsonl, held-out losses every 250 steps. --resume keeps the example mix the run
began with. Uses CUDA when present, else the CPU with bf16 autocast.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from unmask.cli import EXIT_MODEL, EXIT_OK, EXIT_USAGE

DEFAULT_RUNS = Path.home() / ".cache" / "unmask" / "runs"


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1, not {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data")
    data.add_argument("--corpus", type=Path, help="a corpus folder (train.jsonl, heldout.jsonl) built earlier")
    data.add_argument("--wheels", type=Path, help="build the corpus from the stdlib plus these .whl files")
    data.add_argument("--repo", type=Path, help="build the corpus from this repository's Python files")
    run = parser.add_argument_group("run")
    run.add_argument("--run", type=Path, help=f"run folder for checkpoints and logs (default {DEFAULT_RUNS}/NAME)")
    run.add_argument("--resume", action="store_true", help="continue the run in --run from its last checkpoint")
    run.add_argument("--adapt", nargs="?", const="shipped", metavar="PATH",
                     help="start from the shipped model (or PATH) with a small learning rate")
    run.add_argument("--minutes", type=float, help="stop after this many minutes (checkpoint kept)")
    run.add_argument("--steps", type=int, help="stop after this many optimizer steps")
    run.add_argument("--total-steps", type=int, help="length of the learning-rate schedule (default 2000; adapt 300)")
    run.add_argument("--export", type=Path, help="write the Hugging Face model folder here when done")
    run.add_argument("--lr", type=float, help="peak learning rate (default 1e-3; adapt 3e-4); the schedule decays to lr/10")
    run.add_argument("--eval-every", type=int, help="held-out evaluation every N steps (default 250; adapt 50)")
    mix = parser.add_argument_group("example mix (a new run; --resume keeps the mix its run began with)")
    mix.add_argument("--function-share", type=_share, metavar="P",
                     help="share of diffusion rows centred on a function with holes in its body, and of AR rows "
                          "that start at a function (default 0.45)")
    mix.add_argument("--isolated-share", type=_share, metavar="P",
                     help="share of those whose top-level function ends the file, then <|eos|> (default 0.3)")
    size = parser.add_argument_group("model size (from scratch only; --resume and --adapt keep the model's own)")
    size.add_argument("--d-model", type=int, default=256)
    size.add_argument("--layers", type=int, default=6)
    size.add_argument("--heads", type=int, default=4)
    size.add_argument("--ffn", type=int, default=704)
    size.add_argument("--seq-len", type=int, default=384)


def _repo_corpus(repo: Path, out: Path) -> Path:
    import json

    from unmask.model.data import keep_text

    out.mkdir(parents=True, exist_ok=True)
    target = out / "repo.jsonl"
    count = 0
    with target.open("w", encoding="utf-8") as handle:
        for path in sorted(repo.rglob("*.py")):
            if any(part.startswith(".") or part in {"node_modules", "venv", "__pycache__"} for part in path.parts):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if keep_text(text):
                handle.write(json.dumps({"path": str(path.relative_to(repo)), "text": text}) + "\n")
                count += 1
    if count < 2:
        raise SystemExit(f"{repo}: found {count} usable Python files; need at least 2")
    print(f"{repo}: {count} Python files", file=sys.stderr)
    return target


#: the example mix of a run (TrainConfig fields), kept by --resume; isolated_share came in with run14
CURRICULUM_FIELDS = ("uniform_share", "function_share", "isolated_share")


def run(args: argparse.Namespace) -> int:
    from unmask.model.api import SHIPPED_WEIGHTS, ModelError
    from unmask.model.net import NetConfig
    from unmask.model.train import TrainConfig, train

    name = "adapt" if args.adapt else "main"
    run_dir = args.run or DEFAULT_RUNS / name
    init_from: Path | None = None
    tokenizer_path: Path | None = None
    net = NetConfig(d_model=args.d_model, n_layers=args.layers, n_heads=args.heads, ffn_hidden=args.ffn)
    cfg = TrainConfig(seq_len=args.seq_len)
    saved = run_dir / "config.json"
    if args.resume and not args.adapt and saved.exists():  # the run's own sizes, not the --d-model defaults
        import json

        net = NetConfig.from_dict(json.loads(saved.read_text(encoding="utf-8"))["net"])
    if args.adapt:
        init_from = SHIPPED_WEIGHTS if args.adapt == "shipped" else Path(args.adapt)
        try:
            from unmask.model.checkpoint import load_embedded

            model, _, _ = load_embedded(init_from)
        except ModelError as exc:
            print(f"unmask train: {exc}", file=sys.stderr)
            return EXIT_MODEL
        net = model.config
        # the run keeps a copy of the tokenizer it adapts with, so that --resume (which reads the run) finds it
        tokenizer_path = run_dir / "tokenizer.json"
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(init_from / "tokenizer.json", tokenizer_path)
        cfg = TrainConfig(seq_len=args.seq_len, lr=3e-4, min_lr=3e-5, warmup_steps=20, total_steps=300,
                          eval_every=50, save_every=50)
    if args.total_steps:
        cfg.total_steps = args.total_steps
    if args.lr:
        cfg.lr, cfg.min_lr = args.lr, args.lr / 10
    if args.eval_every:
        cfg.eval_every = args.eval_every
        # a checkpoint at least every 100 steps: a machine that stops loses minutes, not an evaluation's worth
        cfg.save_every = min(100, args.eval_every)
    for name in ("function_share", "isolated_share"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    if args.resume and saved.exists():
        import json

        # a resumed run keeps drawing its examples as it began (a recipe changed since leaves older runs alone)
        began = json.loads(saved.read_text(encoding="utf-8")).get("train", {})
        for name in CURRICULUM_FIELDS:
            setattr(cfg, name, float(began.get(name, 0.0 if name == "isolated_share" else getattr(cfg, name))))
    if args.repo:
        corpus = _repo_corpus(args.repo, run_dir / "corpus")
    elif args.corpus:
        corpus = args.corpus
    else:
        from unmask.model.data import build_corpus, write_corpus

        corpus = run_dir / "corpus"
        if not (corpus / "train.jsonl").exists():
            print("building the corpus (stdlib" + (f" + {args.wheels}" if args.wheels else "") + ")", file=sys.stderr)
            write_corpus(build_corpus(args.wheels), corpus)
    if not corpus.exists():
        print(f"unmask train: {corpus}: no such corpus", file=sys.stderr)
        return EXIT_USAGE
    if tokenizer_path is None:
        tokenizer_path = run_dir / "tokenizer.json"
        if args.resume and not tokenizer_path.exists():
            print(f"unmask train: {run_dir}: nothing to resume (no tokenizer.json)", file=sys.stderr)
            return EXIT_USAGE
        if not tokenizer_path.exists():
            import json
            import random

            from unmask.model.tokenizer import train_tokenizer

            source = corpus / "train.jsonl" if corpus.is_dir() else corpus
            rows = [json.loads(line)["text"] for line in source.open(encoding="utf-8")]
            random.Random(0).shuffle(rows)
            print("training the tokenizer", file=sys.stderr)
            run_dir.mkdir(parents=True, exist_ok=True)
            train_tokenizer(rows[:4000], net.vocab_size).save(str(tokenizer_path))
    summary = train(corpus, tokenizer_path, run_dir, net, cfg, resume=args.resume, init_from=init_from,
                    max_steps=args.steps, max_minutes=args.minutes, export_to=args.export)
    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))
    if args.export:
        print(f"model written to {args.export}")
    return EXIT_OK
