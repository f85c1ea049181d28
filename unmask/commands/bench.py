"""Measure quality and speed; write bench/results/*.json, docs/benchmarks.md and PNG plots in docs/.

Sections (--only, comma-separated; default all):
  functions  pass@1 of single- and multi-line holes in our own functions with tests, through `unmask fill --jsonl`
  likelihood how probable the model finds each true fill (NLL per token, top-1), with and without the pointer
  compare    the same tasks as auto / diffusion / AR / diffusion with the oracle length, side by side
  sweep      quality vs denoising steps and vs confidence threshold
  spans      held-out real code: exact match, parse-valid rate, edit similarity by node kind
  latency    engine latency by span length (diffusion vs AR), passes per token, tokens/s, memory,
             latency vs file length with and without the context cache
  server     `unmask serve` through the wire (bench/server_latency.py)
  adapters   a smoke row per engine adapter on a tiny random model (needs the tests/ folder)
  groups: quality = functions,likelihood,compare,sweep,spans; speed = latency,server; all = everything

--limit N caps the tasks per kind (functions: single/multi holes; spans: per node kind); the selection is
deterministic (a seeded hash order), so a smaller limit runs a prefix of a larger one. --quick runs small
versions of every section. Plots need matplotlib: pip install -e '.[bench]'.

Needs a source checkout (the bench/ folder next to the unmask package).

Exit codes: 0 done; 2 bad usage or no bench/ folder; 3 the model could not be loaded.

examples:
  unmask bench                                     # everything, the shipped model (long: run it on a quiet machine)
  unmask bench --quick --model /tmp/snapshot       # a few minutes
  unmask bench --only functions --limit 10
  unmask bench --only speed --model /tmp/snapshot  # latency and server
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from unmask.cli import EXIT_MODEL, EXIT_OK, EXIT_USAGE

CHECKOUT = Path(__file__).resolve().parent.parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", metavar="SECTIONS", help="comma-separated sections or groups (default: all)")
    parser.add_argument("--quick", action="store_true", help="small versions of every section (minutes)")
    parser.add_argument("--limit", type=int, metavar="N", help="at most N tasks per kind (deterministic)")
    parser.add_argument("--model", metavar="PATH", help="model folder (default: the shipped model)")
    parser.add_argument("--backend", default="auto", help="engine backend (default: auto)")
    parser.add_argument("--seed", type=int, default=0, help="task selection and sampling seed (default 0)")
    parser.add_argument("--heldout", type=Path, metavar="JSONL",
                        help="held-out corpus split (default ~/.cache/unmask/corpus/heldout.jsonl; spans skip without it)")
    parser.add_argument("--functions", type=Path, metavar="DIR", help="function dataset (default bench/data/functions)")
    parser.add_argument("--conventions", default="line,indent,newline",
                        help="single/multi-line hole conventions: line, indent, newline (default all three)")
    parser.add_argument("--via", choices=("jsonl", "engine"), default="jsonl",
                        help="functions section: fill through `unmask fill --jsonl` (default) or in-process")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch threads here and in the fill subprocess (default: torch's own; 1 on a busy machine)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per test program (default 10)")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results)")
    parser.add_argument("--docs", type=Path, help="where benchmarks.md and the PNGs go (default docs/)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")


#: option -> (attribute, default): what :func:`command_line` writes when it differs from the default.
_OPTIONS = (
    ("--only", "only", None), ("--limit", "limit", None), ("--model", "model", None), ("--backend", "backend", "auto"),
    ("--seed", "seed", 0), ("--heldout", "heldout", None), ("--functions", "functions", None),
    ("--conventions", "conventions", "line,indent,newline"), ("--via", "via", "jsonl"), ("--threads", "threads", None),
    ("--timeout", "timeout", 10.0),
    ("--out", "out", None), ("--docs", "docs", None),
)


def command_line(args: argparse.Namespace) -> str:
    """The ``unmask bench`` command that repeats this run (written into the report)."""
    parts = ["unmask", "bench"]
    if args.quick:
        parts.append("--quick")
    for option, name, default in _OPTIONS:
        value = getattr(args, name)
        if value is not None and value != default:
            parts += [option, shlex.quote(str(value))]
    if args.no_plots:
        parts.append("--no-plots")
    return " ".join(parts)


def run(args: argparse.Namespace) -> int:
    if not (CHECKOUT / "bench" / "runner.py").is_file():
        print(f"unmask bench: needs a source checkout; no bench/ folder at {CHECKOUT}", file=sys.stderr)
        return EXIT_USAGE
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    from bench.context import DOCS_DIR, RESULTS_DIR, BenchOptions
    from bench.functions import CONVENTIONS
    from bench.runner import parse_only, run_bench
    from unmask.model.api import ModelError

    try:
        sections = parse_only(args.only)
    except ValueError as exc:
        print(f"unmask bench: {exc}", file=sys.stderr)
        return EXIT_USAGE
    conventions = tuple(c.strip() for c in args.conventions.split(",") if c.strip())
    unknown = [c for c in conventions if c not in CONVENTIONS]
    if unknown or not conventions:
        print(f"unmask bench: --conventions takes {', '.join(CONVENTIONS)}, not {args.conventions!r}", file=sys.stderr)
        return EXIT_USAGE
    if args.threads is not None and args.threads < 1:
        print("unmask bench: --threads must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.limit is not None and args.limit < 1:
        print("unmask bench: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    for path, what in ((args.heldout, "--heldout"), (args.functions, "--functions")):
        if path is not None and not path.exists():
            print(f"{path}: {what} not found", file=sys.stderr)
            return EXIT_USAGE
    options = BenchOptions(
        model=args.model,
        backend=args.backend,
        limit=args.limit,
        quick=args.quick,
        seed=args.seed,
        heldout=args.heldout,
        functions_dir=args.functions,
        conventions=conventions,
        via=args.via,
        timeout_s=args.timeout,
        threads=args.threads,
        out=args.out or RESULTS_DIR,
        docs=args.docs or DOCS_DIR,
        plots=not args.no_plots,
        command=command_line(args),
    )
    try:
        run_bench(options, sections)
    except ModelError as exc:
        print(f"unmask bench: cannot load the model: {exc}", file=sys.stderr)
        return EXIT_MODEL
    return EXIT_OK
