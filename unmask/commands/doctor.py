"""Check the installation: Python, torch, device, grammars, the model; say what to fix.

Exit code 0 when everything needed for `unmask serve` works, 1 when something must be fixed.
  unmask doctor                 # the shipped model
  unmask doctor --model PATH    # another model folder
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time

from unmask.cli import EXIT_FAILED, EXIT_OK

#: the test fill: a line hole with code on both sides (the diffusion head, the line beams and the joint score all
#: run), in a function whose right fill is not in doubt
DOCTOR_PREFIX = "def total(values):\n    result = 0\n    for value in values:\n"
DOCTOR_SUFFIX = "\n    return result\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="PATH", help="model folder or URL to check (default: the shipped model)")
    parser.add_argument("--backend", default="auto", help="engine backend (default: auto)")
    parser.add_argument("--no-fill", action="store_true", help="skip the test fill")


def _line(ok: bool | None, label: str, detail: str) -> None:
    mark = {True: "ok  ", False: "FAIL", None: "warn"}[ok]
    print(f"[{mark}] {label:<10} {detail}")


def run(args: argparse.Namespace) -> int:
    problems: list[str] = []
    _line(sys.version_info >= (3, 11), "python", f"{platform.python_version()} ({sys.executable})")
    try:
        import torch

        threads = torch.get_num_threads()
        cuda = torch.cuda.is_available()
        _line(True, "torch", f"{torch.__version__}; device: {'cuda' if cuda else 'cpu'}; {threads} threads")
        if "+cpu" not in torch.__version__ and not cuda:
            _line(None, "torch", "a CUDA build without a GPU: `pip install torch==2.13.0` is the smaller CPU build")
    except ImportError as exc:
        _line(False, "torch", f"not importable ({exc}); fix: pip install torch==2.13.0")
        problems.append("torch")
    from unmask.grammar.languages import LANGUAGES, parser_for

    found, missing = [], []
    for language in LANGUAGES:
        try:
            parser_for(language).parse(b"x")
            found.append(language)
        except Exception as exc:  # noqa: BLE001  (a broken or absent wheel raises anything)
            missing.append(f"{language} ({exc})")
    _line(not missing, "grammars", ", ".join(found) + (f"; missing: {', '.join(missing)}" if missing else ""))
    if missing:
        problems.append("grammars: pip install the tree-sitter-<language> wheels")
    from unmask.editing import fill_document, plan_infill
    from unmask.model.api import SHIPPED_WEIGHTS, ModelError, load_engine

    location = args.model or str(SHIPPED_WEIGHTS)
    try:
        started = time.perf_counter()
        engine = load_engine(args.model, backend=args.backend)
        info = engine.describe()
        size = info.get("parameters")
        size_text = f"{int(size) / 1e6:.1f}M parameters" if isinstance(size, int) and size else "size unknown"
        _line(True, "model", f"{info.get('name')} at {location}: {size_text}, loaded in {time.perf_counter() - started:.1f}s")
        if not args.no_fill:
            # through the editing layer, as `unmask fill` and the server fill: candidates checked by the grammar,
            # AR lines stopped at the end of their statement, the joint score choosing
            plan = plan_infill(DOCTOR_PREFIX, DOCTOR_SUFFIX, "python")
            started = time.perf_counter()
            outcome = fill_document(engine, plan)
            elapsed = (time.perf_counter() - started) * 1000
            verdict = "parses" if outcome.valid else "does not parse"
            # a fill that does not parse says something about the model, not the installation: a warning
            _line(None if outcome.valid is False else True, "fill", f"{outcome.fills[0].strip()!r} in {elapsed:.0f} ms "
                  f"({outcome.result.mode}, {outcome.result.forward_passes} forward passes; {verdict})")
    except ModelError as exc:
        _line(False, "model", str(exc))
        problems.append("model")
    for module in ("pygls", "lsprotocol"):
        try:
            importlib.import_module(module)
        except ImportError:
            _line(False, "server", f"{module} missing; fix: pip install -e .")
            problems.append(module)
    if problems:
        print(f"\n{len(problems)} problem(s) to fix: {', '.join(problems)}")
        return EXIT_FAILED
    print("\neverything unmask needs is here")
    return EXIT_OK
