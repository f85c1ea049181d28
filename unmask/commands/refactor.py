"""Regenerate structurally selected spans across many files; a dry-run unified diff by default.

Selection (one of; default --holes):
  --holes                 every hole: the marker `___`, placeholder bodies (pass, ..., todo!()), empty {} bodies
  --query Q | --query-file F
                          a tree-sitter query; captures named @hole are regenerated, every other capture is
                          pinned (kept verbatim, even inside a hole)
  --pattern P --hole NAME an ast-grep pattern; the metavariable $NAME is regenerated (repeat --hole for more)

PATHS are files, folders or globs (default: .). Folders and globs take files of known languages (from the
extension), skip hidden ones and respect .gitignore (--no-ignore: don't). Binary, too large (--max-bytes)
and unparsable files are skipped and listed. Every candidate is validated by reparsing the file; a result
that does not parse is never written.

--check CMD runs only when given: with a {file} placeholder once per changed file, else once per run, in
the current folder, through the shell, with --check-timeout. A file (or, per run, all files) is checked
round by round: round r gives every span its r-th valid candidate (--candidates k gives up to k rounds); the
first round that passes is kept; when none passes the originals come back. Candidates are put in place
(atomically) while the check runs, and a dry run puts the originals back afterwards.

Output: a unified diff on stdout (dry run; nothing is written), --write to apply, --interactive to be asked
y/n/a/q per changed file (y: apply, n: skip, a: apply this and all the rest, q: apply nothing more), --json
for a machine-readable report on stdout. Progress goes to stderr when it is a terminal; a summary table
(files, spans, filled, rejected by syntax, rejected by check) always ends the run on stderr.

Writes are atomic (temp file in the same folder, fsync, rename) and keep encoding, BOM, line endings and
file mode; killed at any moment, every file is either original or fully rewritten; rerunning is safe.

Scale: --jobs N runs N local worker processes, one engine each; --backend URL uses a remote inference server;
--engine ray runs the workers as Ray actors (optional extra: pip install 'unmask[ray]') on a local Ray
instance or the cluster at --ray-address / RAY_ADDRESS.

Exit codes: 0 done, or nothing to do; 1 some spans were rejected (syntax or check) or failed, or a file
changed on disk during the run; 2 bad usage (bad query or pattern, missing path, Ray not installed);
3 the model could not be loaded; 130 interrupted.

examples:
  unmask refactor src --holes                                   # diff filling every hole under src/
  unmask refactor . --pattern 'def $F($$$A): $$$B' --hole B --language python --candidates 3 \\
      --check 'python -m pytest -q -x tests' --write
  unmask refactor lib --query '(function_definition name: (identifier) @name body: (block) @hole)'
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import IO, Any, cast

from unmask.cli import EXIT_FAILED, EXIT_MODEL, EXIT_OK, EXIT_USAGE
from unmask.commands.model_options import add_model_arguments, backend_options, engine_target, request_options
from unmask.grammar.holes import DEFAULT_MARKER
from unmask.grammar.languages import find_language
from unmask.model.api import ModelError
from unmask.refactor.changes import FileState
from unmask.refactor.check import CheckCommand
from unmask.refactor.diff import unified_diff
from unmask.refactor.errors import EngineUnavailable, SelectionError
from unmask.refactor.filling import EngineSpec
from unmask.refactor.report import Summary, json_report
from unmask.refactor.runner import Progress, RefactorOptions, Run, run_refactor
from unmask.refactor.selection import HoleSelector, PatternSelector, QuerySelector, Selector

ANSWERS = ("y", "n", "a", "q")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files, folders or globs (default: .)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--holes", action="store_true", help="fill every hole (the default)")
    what.add_argument("--query", metavar="QUERY", help="tree-sitter query; @hole captures are regenerated")
    what.add_argument("--query-file", metavar="FILE", help="read the tree-sitter query from FILE")
    what.add_argument("--pattern", metavar="PATTERN", help="ast-grep pattern; --hole names what is regenerated")
    parser.add_argument("--hole", action="append", default=[], metavar="NAME",
                        help="with --pattern: the metavariable to regenerate (repeatable)")
    parser.add_argument("--marker", default=DEFAULT_MARKER, help=f"with --holes: the marker (default {DEFAULT_MARKER!r})")
    parser.add_argument("--language", help="only files of this language (name, languageId or extension)")
    parser.add_argument("--no-ignore", action="store_true", help="do not respect .gitignore files")
    parser.add_argument("--max-bytes", type=int, default=1_000_000, help="skip larger files (default 1000000)")
    out = parser.add_argument_group("output")
    out.add_argument("--write", "-w", action="store_true", help="apply the changes (atomically)")
    out.add_argument("--interactive", "-i", action="store_true", help="ask y/n/a/q per changed file, then apply")
    out.add_argument("--json", action="store_true", help="print a JSON report on stdout instead of diffs")
    out.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    check = parser.add_argument_group("check")
    check.add_argument("--check", metavar="CMD", help="keep only changes for which CMD passes ({file}: per file)")
    check.add_argument("--check-timeout", type=float, default=300.0, metavar="S",
                       help="seconds before a check counts as failed (default 300)")
    scale = parser.add_argument_group("scale")
    scale.add_argument("--jobs", "-j", type=int, default=1, help="worker processes, one engine each (default 1)")
    scale.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="run workers locally or as Ray actors (optional extra unmask[ray])")
    scale.add_argument("--ray-address", help="Ray cluster to join (default: RAY_ADDRESS or a local instance)")
    add_model_arguments(parser)


def _usage(message: str) -> int:
    print(f"unmask refactor: {message}", file=sys.stderr)
    return EXIT_USAGE


def _selector(args: argparse.Namespace) -> Selector:
    if args.hole and args.pattern is None:
        raise SelectionError("--hole goes with --pattern")
    if args.pattern is not None:
        return PatternSelector(args.pattern, args.hole)
    if args.query_file is not None:
        try:
            return QuerySelector(Path(args.query_file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SelectionError(f"--query-file {args.query_file}: {exc.strerror or exc}") from None
    if args.query is not None:
        return QuerySelector(args.query)
    return HoleSelector(args.marker)


def _options(args: argparse.Namespace) -> RefactorOptions:
    """The run's options; raises SelectionError or ValueError for bad usage."""
    if args.jobs < 1:
        raise ValueError("--jobs must be at least 1")
    if args.candidates < 1:
        raise ValueError("--candidates must be at least 1")
    if args.check_timeout <= 0:
        raise ValueError("--check-timeout must be positive")
    language = None
    if args.language is not None:
        spec = find_language(args.language)
        if spec is None:
            raise ValueError(f"--language {args.language!r}: no grammar for it")
        language = spec.name
    model, backend = engine_target(args)
    return RefactorOptions(
        paths=args.paths or ["."],
        selector=_selector(args),
        engine_spec=EngineSpec(model, backend, backend_options(args)),
        request_options=request_options(args),
        language=language,
        use_gitignore=not args.no_ignore,
        max_bytes=args.max_bytes,
        jobs=args.jobs,
        engine=args.engine,
        ray_address=args.ray_address,
        check=CheckCommand(args.check, args.check_timeout) if args.check else None,
        write=args.write,
        interactive=args.interactive,
    )


class _NoProgress:
    def update(self, n: int = 1) -> object:
        return None

    def close(self) -> None:
        pass


class CliUi:
    """Diffs on stdout, progress and questions on stderr, answers from stdin."""

    def __init__(self, args: argparse.Namespace, stdout: IO[str], stderr: IO[str], stdin: IO[str]) -> None:
        self.json = args.json
        self.show_progress = stderr.isatty() and not args.no_progress and not args.interactive
        self.stdout, self.stderr, self.stdin = stdout, stderr, stdin
        self.bar: Any = None

    def progress(self, total: int) -> Progress:
        if not self.show_progress:
            return _NoProgress()
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="span", file=self.stderr, dynamic_ncols=True, desc="refactor")
        return cast(Progress, self.bar)

    def _diff(self, state: FileState, stream: IO[str]) -> None:
        assert state.new_text is not None
        if self.bar is not None:
            self.bar.clear()  # the diff goes above the bar, not through it
        stream.writelines(unified_diff(state.source.text, state.new_text, str(state.path)))
        stream.flush()
        if self.bar is not None:
            self.bar.refresh()

    def show(self, state: FileState) -> None:
        if not self.json:
            self._diff(state, self.stdout)

    def ask(self, state: FileState) -> str:
        self._diff(state, self.stderr if self.json else self.stdout)
        while True:
            self.stderr.write(f"Apply this change to {state.path}? [y,n,a,q] ")
            self.stderr.flush()
            line = self.stdin.readline()
            if not line:
                return "q"  # end of input: stop asking, apply nothing more
            answer = line.strip().lower()[:1]
            if answer in ANSWERS:
                return answer


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
    except (SelectionError, ValueError) as exc:
        return _usage(str(exc))
    # SIGTERM unwinds like Ctrl-C, so a check candidate in place is put back on the way out.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    ui = CliUi(args, sys.stdout, sys.stderr, sys.stdin)
    try:
        outcome = run_refactor(options, ui)
    except ModelError as exc:
        print(f"unmask refactor: cannot load or run the model: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except EngineUnavailable as exc:
        return _usage(str(exc))
    finally:
        signal.signal(signal.SIGTERM, previous)
    return _finish(outcome, args)


def _finish(outcome: Run, args: argparse.Namespace) -> int:
    err = sys.stderr
    for argument in outcome.missing:
        print(f"{argument}: no such file, folder or glob match", file=err)
    for error in outcome.usage_errors:
        print(f"unmask refactor: {error}", file=err)
    for item in outcome.skipped:
        print(f"{item.path}: skipped: {item.reason}", file=err)
    for note in outcome.notes:
        print(f"note: {note}", file=err)
    for state in outcome.files:
        for site in state.sites:
            if site.status in ("rejected_syntax", "rejected_check", "failed"):
                label = site.status.replace("_", " by ") if site.status != "failed" else "failed"
                print(f"{state.path}:{site.line}: {label}: {site.reason}", file=err)
        for note in state.notes:
            print(f"{state.path}: {note.rstrip()}", file=err)
    summary = Summary.of(outcome.files, outcome.looked_at, len(outcome.skipped))
    written = bool(args.write or args.interactive)
    if args.json:
        report = json_report(outcome.files, outcome.skipped, summary, written=written, notes=outcome.notes)
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    print("unmask refactor summary:", file=err)
    print(summary.table(), file=err)
    if not written and summary.files_changed:
        print("dry run: nothing written (use --write to apply)", file=err)
    if outcome.missing or outcome.usage_errors:
        return EXIT_USAGE
    return EXIT_FAILED if summary.problems else EXIT_OK
