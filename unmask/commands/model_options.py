"""The model options shared by ``unmask fill`` and ``unmask refactor``: which engine, and how it samples.

``--backend`` takes a backend name (``auto``, ``embedded``, ``fake``…) or the URL of a remote inference server
(the same as ``--model URL``). ``--backend-option KEY=VALUE`` (repeatable) passes extra keyword options to the
backend's loader; VALUE is read as JSON when it parses (``3``, ``0.05``, ``true``), else as a string, e.g.
``--backend fake --backend-option step_delay_s=0.05``. Nothing here imports torch.
"""

from __future__ import annotations

import argparse
import json

from unmask.model.api import MODES


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    model = parser.add_argument_group("model")
    model.add_argument("--model", metavar="PATH", help="model folder or URL (default: the shipped model)")
    model.add_argument("--backend", default="auto", help="engine backend or a remote server's URL (default: auto)")
    model.add_argument("--backend-option", action="append", default=[], metavar="KEY=VALUE",
                       help="extra option for the backend's loader (repeatable; VALUE as JSON, else a string)")
    model.add_argument("--mode", choices=MODES, default="auto", help="auto: AR for appends, else diffusion")
    model.add_argument("--steps", type=int, help="most denoising steps (default: the engine's)")
    model.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    model.add_argument("--candidates", type=int, default=1, help="candidates to sample; the best valid wins")
    model.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (0 = greedy)")
    model.add_argument("--threshold", type=float, help="confidence for committing tokens in parallel")
    model.add_argument("--max-tokens", type=int, help="most tokens per hole")


def request_options(args: argparse.Namespace) -> dict[str, object]:
    """The :class:`~unmask.model.api.FillRequest` (and per-hole) options the arguments ask for."""
    options: dict[str, object] = {
        "mode": args.mode, "seed": args.seed, "candidates": args.candidates, "temperature": args.temperature,
    }
    if args.steps is not None:
        options["steps"] = args.steps
    if args.threshold is not None:
        options["threshold"] = args.threshold
    if args.max_tokens is not None:
        options["max_tokens"] = args.max_tokens
    return options


def engine_target(args: argparse.Namespace) -> tuple[str | None, str]:
    """``(path, backend)`` for :func:`~unmask.model.api.load_engine`; a URL given as the backend is a path."""
    if args.backend.startswith(("http://", "https://")):
        return args.backend, "remote"
    return args.model, args.backend


def backend_options(args: argparse.Namespace) -> dict[str, object]:
    """``--backend-option`` values as keyword options; raises ValueError for a malformed one."""
    options: dict[str, object] = {}
    for item in getattr(args, "backend_option", None) or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ValueError(f"--backend-option {item!r}: expected KEY=VALUE")
        try:
            value: object = json.loads(raw)
        except ValueError:
            value = raw
        options[key.strip()] = value
    return options
