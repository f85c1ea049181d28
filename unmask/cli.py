"""The ``unmask`` command line: ``serve``, ``fill``, ``refactor``, ``train``, ``bench``, ``doctor``.

Each subcommand lives in ``unmask.commands.<name>`` with ``add_arguments(parser)`` and ``run(args) -> int``.
Those modules must not import torch at import time, so ``unmask --help`` and ``unmask serve`` stay fast.

Exit codes (all commands): 0 success, 1 the work ran but something was rejected or failed (see the message),
2 bad usage or input, 3 the model could not be loaded, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MODEL = 3
EXIT_INTERRUPTED = 130

COMMANDS: dict[str, str] = {
    "serve": "Run the language server (stdio by default).",
    "fill": "Fill holes, regenerate a span, or continue at a cursor in one file; or serve JSONL requests.",
    "refactor": "Regenerate structurally selected spans across many files (dry-run diff by default).",
    "train": "Train the embedded model from scratch, resume, or adapt it to your repository.",
    "bench": "Measure quality and speed; writes docs/benchmarks.md and JSON.",
    "doctor": "Check the installation: Python, torch, grammars, model; says what to fix.",
}

EPILOG = """examples:
  unmask fill examples/holes.py --holes          # print a diff filling every hole
  unmask fill app.py --range 12:4-15:0 --write   # regenerate lines 12-15 (1-based lines, 0-based columns)
  echo '{"id":1,"prefix":"def f(x):\\n    return ","suffix":"\\n","language":"python"}' | unmask fill --jsonl -
  unmask serve                                   # language server on stdio
  unmask doctor
"""


def build_parser() -> argparse.ArgumentParser:
    from unmask import __version__

    parser = argparse.ArgumentParser(
        prog="unmask",
        description="Edit code by masked infilling: a diffusion model rewrites exactly the syntax span you pick, "
        "with the code on both sides in view.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"unmask {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        module = importlib.import_module(f"unmask.commands.{name}")
        sub = subparsers.add_parser(
            name,
            help=summary,
            description=(module.__doc__ or summary).strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
