"""Fill holes, regenerate a span, or continue at a cursor in one file; or answer JSONL requests.

Positions are LINE:COLUMN with 1-based lines and 0-based columns counted in characters (code points, not
bytes or UTF-16 units). With no --range/--holes/--at, every hole is filled (--holes). A hole is the marker
`___` (valid syntax: an identifier), a `pass`/`...`/`raise NotImplementedError` Python function body, a Rust
`todo!()` body, or an empty `{}` function body.

Without --write a unified diff is printed; --write replaces the file atomically, keeping its line endings,
encoding and mode, and never writes a fill that adds a syntax error.

JSONL (`--jsonl IN`, `-` for stdin): each input line is an object
  {"id": any, "prefix": str, "suffix": str, "language"?: str|null,
   "mode"?: "auto"|"diffusion"|"ar", "steps"?: int, "seed"?: int, "candidates"?: int, "temperature"?: float}
("language": null means none: no syntax checks. Left out: --language, else the grammar that parses prefix +
suffix with the fewest errors, Python first; the answer's "language" says which.)
and gets exactly one output line, in order, flushed as soon as it is ready:
  {"id", "fill", "mode", "elapsed_ms", "steps", "forward_passes", "score", "valid", "language"}
plus "candidates" (all fills, best first) when more than one was asked for and "note" for an unknown language.
"fill" is the text that goes between prefix and suffix. A bad line gets {"id", "error"} and the run goes on.

Exit codes: 0 done; 1 a fill was rejected (file mode) or some JSONL lines got errors; 2 bad usage, input or
position; 3 the model could not be loaded; 130 interrupted.

examples:
  unmask fill examples/holes.py                      # diff filling every hole
  unmask fill app.py --range 12:4-15:0 --write       # regenerate lines 12-15 (snapped to syntax), in place
  unmask fill app.py --at 40:8                       # infill at the cursor, or continue when it is an append
  unmask fill --jsonl requests.jsonl > answers.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import IO, Any

from unmask.cli import EXIT_FAILED, EXIT_MODEL, EXIT_OK, EXIT_USAGE
from unmask.commands.model_options import add_model_arguments, backend_options, engine_target, request_options
from unmask.editing import (
    FillOutcome,
    FillPlan,
    apply_edits,
    edits_for,
    fill_document,
    plan_cursor,
    plan_holes,
    plan_infill,
    plan_range,
    plan_spans,
    validator_for,
)
from unmask.grammar.errors import GrammarError
from unmask.grammar.holes import DEFAULT_MARKER
from unmask.grammar.languages import find_language
from unmask.grammar.positions import TextIndex
from unmask.grammar.validate import guess_language
from unmask.model.api import MODES, Candidate, Engine, FillResult, ModelError, Step, load_engine
from unmask.refactor.diff import unified_diff
from unmask.refactor.files import SourceFile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="the file to edit")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--range", metavar="L:C-L:C", help="regenerate this span, snapped to syntax nodes")
    what.add_argument("--holes", action="store_true", help="fill every hole (the default)")
    what.add_argument("--at", metavar="L:C", help="fill at the cursor: infill, or continuation for an append")
    what.add_argument("--jsonl", metavar="IN", help="answer JSONL requests from IN ('-' = stdin); no FILE")
    parser.add_argument("--write", "-w", action="store_true", help="write the result into FILE (atomically)")
    parser.add_argument("--no-snap", action="store_true", help="with --range: use the span exactly as given")
    parser.add_argument("--language", help="language name, LSP languageId or extension (default: from FILE; with --jsonl, for lines "
                        "that name none)")
    parser.add_argument("--marker", default=DEFAULT_MARKER, help=f"hole marker (default {DEFAULT_MARKER!r})")
    add_model_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.jsonl is not None:
        if args.file is not None or args.write:
            return _usage("--jsonl takes no FILE and no --write")
        return _run_jsonl(args)
    if args.file is None:
        return _usage("give a FILE (or --jsonl IN); see unmask fill --help")
    return _run_file(args)


def _usage(message: str) -> int:
    print(f"unmask fill: {message}", file=sys.stderr)
    return EXIT_USAGE


def _load(args: argparse.Namespace) -> Engine | None:
    try:
        path, backend = engine_target(args)
        return load_engine(path, backend, **backend_options(args))
    except (ModelError, ValueError) as exc:
        print(f"unmask fill: cannot load the model: {exc}", file=sys.stderr)
        return None


# -- one file ----------------------------------------------------------------------------------------------


def _position(index: TextIndex, value: str, what: str) -> int:
    """Char offset of ``L:C`` (1-based line, 0-based character column)."""
    line, sep, column = value.strip().partition(":")
    if not sep or not line.strip().isdigit() or not column.strip().isdigit() or int(line) < 1:
        raise GrammarError(f"{what} {value!r}: expected LINE:COLUMN (1-based line, 0-based column)")
    return index.offset_of_char_column(int(line) - 1, int(column))


def _plan_file(args: argparse.Namespace, text: str, language: str | None) -> FillPlan:
    index = TextIndex(text)
    options = request_options(args)
    if args.range is not None:
        start_text, sep, end_text = args.range.partition("-")
        if not sep:
            raise GrammarError(f"--range {args.range!r}: expected L:C-L:C")
        start, end = _position(index, start_text, "--range start"), _position(index, end_text, "--range end")
        return plan_range(text, language, start, end, snap=not args.no_snap, **options)
    if args.at is not None:
        return plan_cursor(text, language, _position(index, args.at, "--at"), **options)
    return plan_holes(text, language, marker=args.marker, **options)


def _progress(stream: IO[str]) -> Any:
    def show(step: Step) -> None:
        stream.write(f"\rdenoising step {step.index}/{step.total}, {step.masked} masked ")
        stream.flush()

    return show


def _run_file(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        source = SourceFile.read(path)
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    language_key = args.language or str(path)
    spec = find_language(language_key)
    if args.language and spec is None:
        print(f"{path}: note: unknown language {args.language!r}: plain character spans, no syntax validation",
              file=sys.stderr)
    try:
        plan = _plan_file(args, source.text, spec.name if spec else None)
    except GrammarError as exc:
        print(f"{path}:1: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # bad request options (candidates < 1 ...)
        return _usage(str(exc))
    index = TextIndex(source.text)
    first_line = index.line_of(plan.spans[0][0]) + 1
    if plan.note and not args.language:
        print(f"{path}:{first_line}: note: {plan.note}", file=sys.stderr)
    engine = _load(args)
    if engine is None:
        return EXIT_MODEL
    show_progress = sys.stderr.isatty()
    try:
        outcome = fill_document(engine, plan, on_step=_progress(sys.stderr) if show_progress else None)
    except ModelError as exc:
        print(f"{path}:{first_line}: the model failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if show_progress:
            sys.stderr.write("\r\033[K")
    rejected: list[int] = []
    if outcome.valid is False and len(plan.spans) > 1:
        # Filled jointly, one bad hole sinks them all: fill the holes one at a time and keep those that parse.
        try:
            outcome, rejected = _fill_one_by_one(engine, plan)
        except ModelError as exc:
            print(f"{path}:{first_line}: the model failed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        for hole in rejected:
            print(f"{path}:{index.line_of(plan.spans[hole][0]) + 1}: rejected: no fill that parses; left as it was",
                  file=sys.stderr)
    if outcome.valid is False:
        print(f"{path}:{_reject_line(outcome, index)}: rejected: {outcome.reason}; nothing written", file=sys.stderr)
        return EXIT_FAILED
    if outcome.new_text == source.text:
        print(f"{path}:{first_line}: the fill changes nothing", file=sys.stderr)
        return EXIT_OK
    if args.write:
        source.write_atomically(outcome.new_text)
        print(f"{path}: wrote {len(outcome.edits) - len(rejected)} fill(s)", file=sys.stderr)
        return EXIT_FAILED if rejected else EXIT_OK
    sys.stdout.writelines(unified_diff(source.text, outcome.new_text, str(path)))
    sys.stdout.flush()
    return EXIT_FAILED if rejected else EXIT_OK


def _fill_one_by_one(engine: Engine, plan: FillPlan) -> tuple[FillOutcome, list[int]]:
    """Fill each hole of ``plan`` alone; holes without a valid fill keep their original text. Returns the
    combined outcome (checked as a whole) and the indices of the holes left as they were."""
    fills: list[str] = []
    rejected: list[int] = []
    for hole, (start, end) in enumerate(plan.spans):
        keep = [plan.keep_kinds[hole]] if plan.keep_kinds else []
        single = plan_spans(plan.text, plan.language, [(start, end)], [plan.kinds[hole]], keep_kinds=keep,
                            **_request_options(plan))
        alone = fill_document(engine, single)
        if alone.valid is False:
            rejected.append(hole)
            fills.append(plan.text[start:end])
        else:
            fills.append(alone.fills[0])
    candidate = Candidate(fills=tuple(fills), score=0.0)
    validator = validator_for(plan)
    verdict = validator.check(candidate.fills) if validator is not None else None
    edits = edits_for(plan, candidate)
    combined = FillOutcome(plan, FillResult((candidate,), "diffusion", 0, 0, 0.0), candidate, candidate.fills, edits,
                           apply_edits(plan.text, edits), None if verdict is None else verdict.ok,
                           None if verdict is None else verdict.reason)
    return combined, rejected


def _request_options(plan: FillPlan) -> dict[str, Any]:
    request = plan.request
    return {"mode": request.mode, "steps": request.steps, "threshold": request.threshold,
            "temperature": request.temperature, "top_p": request.top_p, "seed": request.seed,
            "candidates": request.candidates}


def _reject_line(outcome: FillOutcome, index: TextIndex) -> int:
    return index.line_of(outcome.plan.spans[0][0]) + 1


# -- JSONL -------------------------------------------------------------------------------------------------

_LINE_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "mode": str, "steps": int, "seed": int, "candidates": int, "temperature": (int, float),
}


class BadLine(ValueError):
    """A JSONL input line that cannot be answered."""


def _jsonl_plan(record: object, args: argparse.Namespace) -> FillPlan:
    if not isinstance(record, dict):
        raise BadLine("each line must be a JSON object")
    for name in ("prefix", "suffix"):
        if not isinstance(record.get(name), str):
            raise BadLine(f"{name!r} must be a string")
    if "language" in record:
        language = record["language"]
        if language is not None and not isinstance(language, str):
            raise BadLine("'language' must be a string or null")
    else:  # not given: --language, else the grammar that parses the code around the hole best
        language = args.language or guess_language(record["prefix"] + record["suffix"])
    options = request_options(args)
    for name, kind in _LINE_OPTIONS.items():
        if record.get(name) is None:
            continue
        value = record[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BadLine(f"{name!r} has the wrong type")
        options[name] = value
    if options["mode"] not in MODES:
        raise BadLine(f"'mode' must be one of {', '.join(MODES)}")
    try:
        return plan_infill(record["prefix"], record["suffix"], language, **options)
    except ValueError as exc:
        raise BadLine(str(exc)) from exc


def _answer(engine: Engine, raw: str, args: argparse.Namespace) -> tuple[dict[str, object], bool]:
    record_id: object = None
    try:
        try:
            record = json.loads(raw)
        except ValueError as exc:
            raise BadLine(f"not JSON: {exc}") from exc
        if isinstance(record, dict):
            record_id = record.get("id")
        plan = _jsonl_plan(record, args)
        started = time.perf_counter()
        outcome = fill_document(engine, plan)
        elapsed_ms = (time.perf_counter() - started) * 1000
    except (BadLine, GrammarError, ModelError) as exc:
        return {"id": record_id, "error": str(exc)}, False
    except Exception as exc:  # noqa: BLE001 - one bad request must not end the stream
        return {"id": record_id, "error": f"{type(exc).__name__}: {exc}"}, False
    answer: dict[str, object] = {
        "id": record_id,
        "fill": outcome.fills[0],
        "mode": outcome.result.mode,
        "elapsed_ms": round(elapsed_ms, 1),
        "steps": outcome.result.steps,
        "forward_passes": outcome.result.forward_passes,
        "score": outcome.candidate.score,
        "valid": outcome.valid,
        "language": plan.language,
    }
    if plan.request.candidates > 1:
        answer["candidates"] = [candidate.fills[0] for candidate in outcome.result.candidates]
    if plan.note:
        answer["note"] = plan.note
    return answer, True


def _run_jsonl(args: argparse.Namespace) -> int:
    try:
        stream: IO[str] = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        print(f"{args.jsonl}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    engine = _load(args)
    if engine is None:
        return EXIT_MODEL
    failed = 0
    name = "<stdin>" if args.jsonl == "-" else args.jsonl
    with stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            answer, ok = _answer(engine, raw, args)
            if not ok:
                failed += 1
                print(f"{name}:{number}: {answer['error']}", file=sys.stderr)
            sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    return EXIT_FAILED if failed else EXIT_OK
