"""Functional-correctness infill tasks: our own functions with tests, a line or a block of a body removed.

The dataset is ``bench/data/functions/*.py``: one self-contained program per file, a function (with any
imports it needs) followed by a line ``# --- tests ---`` and plain ``assert`` statements. We wrote these for
unmask; they are not from HumanEval, MBPP or any public benchmark, and ``bench/data`` is never part of the
training corpus (that is the CPython standard library plus the wheels listed in ``docs/model.md``).

From each function we cut *holes* out of its body (never the ``def`` line or the docstring):

* single-line: every non-trivial body line (not blank, not a comment, not ``else:``/``try:``/``pass``...,
  not only closing brackets);
* multi-line: runs of 2-5 consecutive body lines, a few per function, picked by a seeded shuffle.

A hole is turned into ``(prefix, middle, suffix)`` by a *convention* (graders differ on where the line's
indentation goes):

* ``line`` (the headline): prefix ends with the newline before the line, the middle is the line with its
  indentation, the suffix starts with the line's newline;
* ``indent``: prefix ends with the line's indentation, the middle starts at its first character;
* ``newline``: like ``line`` but the middle also holds the line break, so the suffix starts at the next line
  (HumanEval-infilling style).

The model sees only the function's program (prefix + hole + suffix), never the tests. A filled program passes
when it and the tests run to completion in a fresh interpreter within the timeout.
"""

from __future__ import annotations

import ast
import hashlib
import math
import random
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "functions"
TESTS_MARKER = "# --- tests ---"
CONVENTIONS: tuple[str, ...] = ("line", "indent", "newline")
HEADLINE_CONVENTION = "line"
#: Stripped body lines that carry no information of their own.
TRIVIAL_LINES = frozenset({"else:", "try:", "finally:", "pass", "break", "continue", "return", "...", ")", "]", "}"})
MULTI_LINE_SIZES = (2, 3, 4, 5)
MULTI_PER_FUNCTION = 3


@dataclass(frozen=True)
class FunctionCase:
    """One program of the dataset: ``code`` (imports + function) and ``tests`` (asserts), both ending in \\n."""

    name: str
    code: str
    tests: str


@dataclass(frozen=True)
class Hole:
    """Lines ``first..last`` (0-based, inclusive) of a case's code are removed."""

    case: FunctionCase
    first: int
    last: int

    @property
    def kind(self) -> str:
        return "single" if self.first == self.last else "multi"

    @property
    def id(self) -> str:
        return f"{self.case.name}:{self.first + 1}-{self.last + 1}"


@dataclass(frozen=True)
class InfillTask:
    """A hole under one convention: the model gets ``prefix`` and ``suffix``; ``middle`` is the reference."""

    id: str
    case: FunctionCase
    kind: str  # "single" | "multi"
    convention: str
    prefix: str
    middle: str
    suffix: str

    def program(self, fill: str) -> str:
        """The filled program followed by the tests."""
        return self.prefix + fill + self.suffix + "\n\n" + self.case.tests


def load_cases(folder: Path = DATA_DIR) -> list[FunctionCase]:
    """Every ``*.py`` under ``folder``, sorted by name; raises ValueError for a file without the tests marker."""
    cases = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        code, marker, tests = text.partition(TESTS_MARKER + "\n")
        if not marker:
            raise ValueError(f"{path}: no '{TESTS_MARKER}' line separating the function from its tests")
        cases.append(FunctionCase(path.stem, code.rstrip() + "\n", tests.rstrip() + "\n"))
    return cases


def body_lines(code: str) -> list[int]:
    """0-based indices of the lines inside function bodies, after each body's docstring."""
    tree = ast.parse(code)
    lines: list[int] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body
        first = body[0] if body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            body = body[1:]
        if not body:
            continue
        end = node.end_lineno or body[-1].lineno
        lines.extend(range(body[0].lineno - 1, end))
    return sorted(set(lines))


def is_informative(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or stripped in TRIVIAL_LINES:
        return False
    return any(char.isalnum() for char in stripped)


def holes_of(case: FunctionCase, seed: int = 0) -> list[Hole]:
    """The single-line holes of a case, then up to :data:`MULTI_PER_FUNCTION` multi-line holes."""
    lines = case.code.split("\n")
    body = body_lines(case.code)
    singles = [Hole(case, index, index) for index in body if is_informative(lines[index])]
    inside = set(body)
    windows = []
    for start in body:
        if not is_informative(lines[start]):
            continue
        for size in MULTI_LINE_SIZES:
            last = start + size - 1
            span = range(start, last + 1)
            if all(index in inside for index in span) and lines[last].strip():
                windows.append(Hole(case, start, last))
    rng = random.Random(f"{seed}:{case.name}")
    rng.shuffle(windows)
    chosen: list[Hole] = []
    for hole in windows:  # non-overlapping, so the multi-line holes of a function differ
        if all(hole.last < other.first or hole.first > other.last for other in chosen):
            chosen.append(hole)
        if len(chosen) == MULTI_PER_FUNCTION:
            break
    return singles + sorted(chosen, key=lambda hole: hole.first)


def make_task(hole: Hole, convention: str) -> InfillTask:
    """Cut the hole's lines out of the code under ``convention`` (see module docstring)."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}")
    lines = hole.case.code.split("\n")
    start = sum(len(line) + 1 for line in lines[: hole.first])  # first char of the first hole line
    end = sum(len(line) + 1 for line in lines[: hole.last + 1]) - 1  # its line break
    code = hole.case.code
    if convention == "indent":
        first = lines[hole.first]
        start += len(first) - len(first.lstrip())
    elif convention == "newline":
        end += 1
    return InfillTask(
        id=hole.id,
        case=hole.case,
        kind=hole.kind,
        convention=convention,
        prefix=code[:start],
        middle=code[start:end],
        suffix=code[end:],
    )


def stable_order(key: str, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{key}".encode()).hexdigest()


def select_holes(cases: Iterable[FunctionCase], limit: int | None, seed: int = 0) -> dict[str, list[Hole]]:
    """Holes by kind; with ``limit``, the first ``limit`` of each kind in a seeded hash order (so a smaller
    limit is a prefix of a larger one and tasks spread over many functions)."""
    by_kind: dict[str, list[Hole]] = {"single": [], "multi": []}
    for case in cases:
        for hole in holes_of(case, seed):
            by_kind[hole.kind].append(hole)
    for kind, holes in by_kind.items():
        holes.sort(key=lambda hole: stable_order(hole.id, seed))
        if limit is not None:
            by_kind[kind] = holes[:limit]
    return by_kind


def checked_lines(cases: Sequence[FunctionCase], min_chars: int = 30) -> list[str]:
    """``"name: line"`` for every body line of at least ``min_chars`` characters (stripped): the lines the
    contamination check looks up in the training split."""
    found = []
    for case in cases:
        lines = case.code.split("\n")
        found += [f"{case.name}: {lines[i].strip()}" for i in body_lines(case.code) if len(lines[i].strip()) >= min_chars]
    return found


def overlap_with_corpus(cases: Sequence[FunctionCase], train_jsonl: Path, min_chars: int = 30) -> dict[str, object]:
    """A contamination check: how many body lines of at least ``min_chars`` characters (stripped) also occur
    verbatim in the training split (``{"path", "text"}`` per line), and which."""
    import json

    corpus_lines: set[str] = set()
    with train_jsonl.open(encoding="utf-8") as stream:
        for record in stream:
            if record.strip():
                corpus_lines.update(s for s in (x.strip() for x in json.loads(record)["text"].split("\n")) if len(s) >= min_chars)
    checked = checked_lines(cases, min_chars)
    shared = [line for line in checked if line.split(": ", 1)[1] in corpus_lines]
    return {"train": str(train_jsonl), "min_chars": min_chars, "lines_checked": len(checked), "lines_in_training": shared}


def earlier_overlap(cases: Sequence[FunctionCase], results: Path) -> dict[str, object] | None:
    """The contamination check of an earlier run (``results``: its ``functions.json``) when it checked exactly
    these lines, marked with the date it was made (``checked_on``); None otherwise. A machine without the
    training corpus keeps the last check in the report instead of dropping it: neither the corpus nor the
    dataset changes between runs unless someone rebuilds them, and then the lines checked differ."""
    import json

    try:
        earlier = json.loads(results.read_text(encoding="utf-8"))
        overlap = earlier["dataset"]["overlap"]
        checked = checked_lines(cases, int(overlap["min_chars"]))
        if overlap["lines_checked"] != len(checked) or not set(overlap["lines_in_training"]) <= set(checked):
            return None
        return {**overlap, "checked_on": overlap.get("checked_on") or earlier["meta"]["date"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- running programs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    passed: bool
    error: str | None  # None, "timeout", or the exception class name of the failure


#: address space a filled program may use: a fill such as ``[0] * 10**10`` fails fast instead of swapping
PROGRAM_MEMORY_BYTES = 2 * 1024**3
#: runs a test program under CPU and memory caps (argv: path, CPU seconds, bytes). The CPU cap also ends a
#: program whose benchmark was killed, when nothing is left to time it out. Set in the child itself: a
#: ``preexec_fn`` is unsafe with the worker threads of :func:`run_programs`.
LAUNCHER = """
import resource, runpy, sys
path, cpu, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
"""


def program_command(path: Path, cpu_s: int, memory_bytes: int = PROGRAM_MEMORY_BYTES) -> list[str]:
    """The command line that runs ``path`` in a fresh isolated interpreter, capped where the OS can (POSIX)."""
    if sys.platform == "win32":
        return [sys.executable, "-I", str(path)]
    return [sys.executable, "-I", "-c", LAUNCHER, str(path), str(cpu_s), str(memory_bytes)]


def run_program(source: str, timeout_s: float = 10.0) -> RunOutcome:
    """Run ``source`` in a fresh isolated interpreter (``-I``) in a temporary folder, with at most ``timeout_s``
    seconds of wall and CPU time and :data:`PROGRAM_MEMORY_BYTES` of memory."""
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as folder:
        path = Path(folder) / "program.py"
        path.write_text(source, encoding="utf-8")
        try:
            completed = subprocess.run(
                program_command(path, math.ceil(timeout_s) + 1),
                check=False,
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            return RunOutcome(False, "timeout")
    if completed.returncode == 0:
        return RunOutcome(True, None)
    if completed.returncode == -getattr(signal, "SIGXCPU", 0):  # the CPU cap
        return RunOutcome(False, "timeout")
    last = completed.stderr.strip().splitlines()[-1:] or ["exit status " + str(completed.returncode)]
    return RunOutcome(False, last[0].split(":")[0].strip()[:80])


def run_programs(
    sources: Sequence[str],
    timeout_s: float = 10.0,
    workers: int = 2,
    on_done: Callable[[], None] | None = None,
) -> list[RunOutcome]:
    """:func:`run_program` over many sources, ``workers`` at a time, results in input order."""

    def one(source: str) -> RunOutcome:
        outcome = run_program(source, timeout_s)
        if on_done is not None:
            on_done()
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, sources))


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def placeholder_fill(task: InfillTask) -> str:
    """``pass`` written where the hole is, with the indentation the convention expects: the fill of a model
    that knows nothing. Tasks whose tests still pass with it are *trivial*."""
    first = task.case.code.split("\n")[task.prefix.count("\n")]
    indent = first[: len(first) - len(first.lstrip())]
    fill = "pass" if task.convention == "indent" else indent + "pass"
    return fill + "\n" if task.convention == "newline" else fill
