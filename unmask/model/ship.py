"""Make a trained model the shipped one: ``python -m unmask.model.ship RUN/export --training "run13 3,400 steps"``.

Writes ``unmask/model/weights`` (or ``--to``) from a model folder that ``unmask train --export`` wrote:

* ``model.safetensors`` in **bfloat16**, half the size of the float32 export (17.6 MB instead of 35 MB at 8.8M
  parameters, so the ~40 MB budget holds up to ~20M). Nothing is lost where the engine runs in bf16 (CPUs that
  multiply it natively, where ``dtype="auto"`` casts the weights to bf16 anyway); elsewhere the engine widens
  them to float32 on load. Training from the shipped weights (``--adapt``) also widens them.
* ``config.json``: the export's, with ``trained_steps`` and the ``training`` history carried on (the text given
  here is appended to the history already shipped) and ``torch_dtype`` saying how the file is stored.
* ``tokenizer.json``: copied.

Written by the trainer's own ``export`` (each file aside, then renamed), after the source has loaded and
been checked like any model folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from unmask.model.api import SHIPPED_WEIGHTS, ModelError
from unmask.model.checkpoint import load_embedded
from unmask.model.train import export


def ship(src: Path, dst: Path, training: str) -> dict[str, object]:
    """Write ``dst`` from ``src`` (see the module docstring); returns the config written."""
    model, _, raw = load_embedded(src)
    previous: dict[str, object] = {}
    if (dst / "config.json").is_file():
        previous = json.loads((dst / "config.json").read_text(encoding="utf-8"))
    history = str(previous.get("training", "") or "")
    # a closing note on the history, "... + run12 3,400 steps (docs/model.md)", stays at the end
    history, note = (history[: history.rindex(" (")], history[history.rindex(" (") :]) if history.endswith(")") else (history, "")
    extra = {"trained_steps": raw.get("trained_steps"), "torch_dtype": "bfloat16",
             "training": (f"{history} + {training}".strip(" +") if training else history or str(raw.get("training", "")))
             + note}
    export(model, src / "tokenizer.json", dst, extra, dtype=torch.bfloat16)
    return json.loads((dst / "config.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unmask.model.ship", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", type=Path, help="a model folder written by `unmask train --export`")
    parser.add_argument("--to", type=Path, default=SHIPPED_WEIGHTS, help=f"where to write (default {SHIPPED_WEIGHTS})")
    parser.add_argument("--training", default="",
                        help='what this model added, appended to the shipped history (e.g. "run13 3,400 steps")')
    args = parser.parse_args(argv)
    try:
        config = ship(args.src, args.to, args.training)
    except ModelError as exc:
        print(f"ship: {exc}", file=sys.stderr)
        return 1
    size = (args.to / "model.safetensors").stat().st_size
    print(f"{args.src} -> {args.to}: {size / 1e6:.1f} MB (bfloat16), trained_steps {config.get('trained_steps')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
