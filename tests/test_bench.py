"""The benchmark harness: task construction, the dataset's own tests, and a tiny end-to-end run of
``unmask bench`` with the fake engine on a one-function dataset and a one-file held-out split.

The fake engine fills every hole with ``pass``; that makes the harness's scoring checkable: under the
``indent`` convention a ``pass`` fill is exactly the placeholder program, so a task passes iff it is trivial,
and under the ``line`` convention ``pass`` lands at column 0 inside a function body and cannot compile.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.context import BenchContext, BenchOptions
from bench.functions import (
    CONVENTIONS,
    DATA_DIR,
    checked_lines,
    earlier_overlap,
    load_cases,
    make_task,
    overlap_with_corpus,
    program_command,
    run_program,
    run_programs,
    select_holes,
)
from bench.metrics import edit_similarity, exact_match, no_new_syntax_errors, percentile
from bench.quality import spans_section
from bench.report import write_report
from bench.spans import KINDS, candidate_spans, sample_spans
from unmask.cli import main
from unmask.grammar.document import parse_document

CLAMP = '''def clamp_all(values: list[int], low: int, high: int) -> list[int]:
    """Each value limited to [low, high]; raises ValueError when low > high."""
    if low > high:
        raise ValueError("low must not exceed high")
    result = []
    for value in values:
        result.append(min(max(value, low), high))
    return result

# --- tests ---
assert clamp_all([1, 5, 9], 2, 8) == [2, 5, 8]
assert clamp_all([], 0, 1) == []
try:
    clamp_all([1], 3, 2)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
'''

HELDOUT_FILE = '''import os


def summarize(paths, limit=10):
    """Count files per extension, at most ``limit`` extensions."""
    counts = {}
    for path in paths:
        ext = os.path.splitext(path)[1]
        if ext and not ext.startswith(".~"):
            counts[ext] = counts.get(ext, 0) + 1
            seen = len(counts)
    while len(counts) > limit:
        counts.popitem()
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
'''


def test_conventions_cut_the_same_code_differently() -> None:
    case = next(c for c in load_cases() if c.name == "merge_intervals")
    holes = select_holes([case], None)
    for hole in holes["single"] + holes["multi"]:
        tasks = {convention: make_task(hole, convention) for convention in CONVENTIONS}
        for task in tasks.values():
            assert task.prefix + task.middle + task.suffix == case.code
        assert tasks["line"].prefix.endswith("\n") and tasks["line"].suffix.startswith("\n")
        assert tasks["indent"].middle == tasks["indent"].middle.lstrip()
        assert tasks["indent"].middle and not tasks["indent"].middle[0].isspace()
        assert tasks["newline"].middle.endswith("\n")
        assert tasks["line"].middle.strip() == tasks["indent"].middle.strip() == tasks["newline"].middle.strip()
    assert all(hole.first == hole.last for hole in holes["single"])
    assert all(2 <= hole.last - hole.first + 1 <= 5 for hole in holes["multi"])


def test_holes_never_cut_the_signature_or_docstring() -> None:
    for case in load_cases():
        lines = case.code.split("\n")
        for kind, holes in select_holes([case], None).items():
            for hole in holes:
                removed = lines[hole.first : hole.last + 1]
                assert not any(line.lstrip().startswith("def ") for line in removed), (case.name, kind, removed)
                assert not any('"""' in line for line in removed), (case.name, kind, removed)


def test_selection_is_deterministic_and_limit_takes_a_prefix() -> None:
    cases = load_cases()
    small = select_holes(cases, 5, seed=3)
    large = select_holes(cases, 20, seed=3)
    again = select_holes(cases, 20, seed=3)
    assert [h.id for h in large["single"]] == [h.id for h in again["single"]]
    assert [h.id for h in small["single"]] == [h.id for h in large["single"][:5]]
    assert len({h.case.name for h in large["single"]}) > 10  # spread over many functions
    assert [h.id for h in select_holes(cases, 20, seed=4)["single"]] != [h.id for h in large["single"]]


def test_every_dataset_program_passes_its_tests() -> None:
    cases = load_cases()
    assert len(cases) >= 60
    outcomes = run_programs([case.code + "\n\n" + case.tests for case in cases], timeout_s=30)
    failed = [(case.name, outcome.error) for case, outcome in zip(cases, outcomes) if not outcome.passed]
    assert failed == []


def test_run_program_reports_failures_and_timeouts() -> None:
    assert run_program("assert 1 + 1 == 2\n").passed
    failure = run_program("assert 1 + 1 == 3\n")
    assert not failure.passed and failure.error == "AssertionError"
    assert run_program("while True:\n    pass\n", timeout_s=1).error == "timeout"
    assert run_program("import sys\nassert __name__ == '__main__' and sys.argv[0].endswith('program.py')\n").passed


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_test_programs_are_capped_in_memory_and_in_cpu_time_of_their_own(tmp_path: Path) -> None:
    # a fill that allocates without bound fails fast instead of taking the machine's memory
    assert run_program("data = bytearray(8 * 2**30)\n").error == "MemoryError"
    # a program whose benchmark was killed (nothing left to time it out) ends at its own CPU cap
    path = tmp_path / "program.py"
    path.write_text("while True:\n    pass\n")
    started = time.monotonic()
    completed = subprocess.run(program_command(path, cpu_s=1), check=False, timeout=60)
    assert completed.returncode == -signal.SIGXCPU and time.monotonic() - started < 30


def test_the_contamination_check_is_kept_from_an_earlier_run_only_for_the_same_lines(tmp_path: Path) -> None:
    cases = load_cases()
    train = tmp_path / "train.jsonl"
    first = checked_lines(cases)[0]
    train.write_text(json.dumps({"path": "x.py", "text": "def f():\n    " + first.split(": ", 1)[1] + "\n"}) + "\n")
    overlap = overlap_with_corpus(cases, train)
    assert overlap["lines_in_training"] == [first] and overlap["lines_checked"] == len(checked_lines(cases))
    results = tmp_path / "functions.json"
    results.write_text(json.dumps({"meta": {"date": "2026-12-01 10:00 UTC"}, "dataset": {"overlap": overlap}}))
    kept = earlier_overlap(cases, results)
    assert kept is not None and kept["lines_in_training"] == [first] and kept["checked_on"] == "2026-12-01 10:00 UTC"
    # carried again, it keeps the date of the check itself
    results.write_text(json.dumps({"meta": {"date": "2026-12-02 10:00 UTC"}, "dataset": {"overlap": kept}}))
    assert earlier_overlap(cases, results)["checked_on"] == "2026-12-01 10:00 UTC"  # type: ignore[index]
    # another dataset (a function fewer) checks other lines: nothing is carried
    assert earlier_overlap(cases[1:], results) is None
    assert earlier_overlap(cases, tmp_path / "missing.json") is None
    results.write_text("{not json")
    assert earlier_overlap(cases, results) is None


def test_metrics() -> None:
    assert exact_match("  x = 1  \n", "x = 1")
    assert not exact_match("x = 2", "x = 1")
    assert edit_similarity("abc", "abc") == 1.0
    assert edit_similarity("", "") == 1.0
    assert edit_similarity("abcd", "abcx") == pytest.approx(0.75)
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == 10
    original = "def f():\n    x = 1\n    return x\n"
    assert no_new_syntax_errors(original, original)
    assert not no_new_syntax_errors(original, "def f():\n    x = \n    return x\n")


def test_span_kinds_are_found_by_tree_sitter() -> None:
    document = parse_document(HELDOUT_FILE, "python")
    found: dict[str, list[str]] = {}
    for kind, _, start, end in candidate_spans("x.py", document):
        found.setdefault(kind, []).append(HELDOUT_FILE[start:end])
    assert set(found) == set(KINDS)
    assert "os.path.splitext(path)[1]" in found["expression"]
    assert "path" in found["call_arguments"]
    assert 'ext and not ext.startswith(".~")' in found["condition"]
    assert "counts.popitem()" in found["statement"]
    assert found["function_body"][0].startswith("counts = {}")  # after the docstring
    assert all("\n" not in line for line in found["line"])


@pytest.fixture
def tiny_bench(tmp_path: Path) -> Path:
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "clamp_all.py").write_text(CLAMP, encoding="utf-8")
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text(json.dumps({"path": "pkg/summary.py", "text": HELDOUT_FILE}) + "\n", encoding="utf-8")
    return tmp_path


def _bench(root: Path, name: str, *extra: str) -> int:
    return main([
        "bench", "--backend", "fake", "--functions", str(root / "functions"), "--heldout", str(root / "heldout.jsonl"),
        "--limit", "1", "--quick", "--no-plots", "--out", str(root / name / "results"), "--docs", str(root / name / "docs"),
        *extra,
    ])


def test_bench_smoke_run_with_the_fake_engine(tiny_bench: Path) -> None:
    assert _bench(tiny_bench, "jsonl", "--only", "quality,latency") == 0
    results = tiny_bench / "jsonl" / "results"
    assert sorted(p.stem for p in results.glob("*.json")) == ["compare", "functions", "latency", "likelihood", "spans", "sweep"]
    sections = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in results.glob("*.json")}
    assert "no denoiser" in sections["likelihood"]["skipped"]  # the fake engine cannot score
    for name, section in sections.items():
        assert section["section"] == name
        assert section["meta"]["model"]["name"] == "fake"
        assert section["meta"]["machine"]["cores"] >= 1
        assert section["meta"]["limit"] == 1

    functions = sections["functions"]
    assert functions["via"] == "jsonl"
    assert functions["dataset"]["functions"] == 1
    assert functions["dataset"]["reference_pass"] == 1.0
    assert functions["dataset"]["selected"] == {"single": 1, "multi": 1}
    assert {(row["convention"], row["kind"]) for row in functions["summary"]} == {
        ("line", "single"), ("line", "multi"), ("indent", "single"), ("indent", "multi"),
        ("newline", "single"), ("newline", "multi"),
    }
    for row in functions["summary"]:
        assert row["n"] == 1
        assert 0.0 <= row["pass_at_1"] <= 1.0
    records = functions["records"]
    assert len(records) == 6
    for record in records:
        assert record["fill"].strip() == "pass"
        if record["convention"] == "indent":
            assert record["passed"] == record["trivial"]
        else:
            assert record["parse_valid"] is False and record["passed"] is False

    compare = sections["compare"]
    assert {row["variant"] for row in compare["summary"]} == {"auto", "diffusion", "ar"}
    assert compare["skipped"]  # the fake engine has no tokenizer: no oracle-length row

    spans = sections["spans"]
    assert {row["kind"] for row in spans["summary"]} == set(KINDS)
    assert {row["variant"] for row in spans["summary"]} == {"diffusion", "ar"}
    assert all(row["n"] == 1 for row in spans["summary"])
    # `pass` where an expression belongs: tree-sitter and Python's parser both reject it
    expression = next(r for r in spans["summary"] if r["kind"] == "expression" and r["variant"] == "diffusion")
    assert expression["parse_valid"] == 0.0 and expression["compiles"] == 0.0

    sweep = sections["sweep"]
    assert {row["sweep"] for row in sweep["summary"]} == {"steps", "threshold"}

    speed = sections["latency"]
    assert {row["mode"] for row in speed["span_latency"]["rows"]} == {"diffusion", "ar"}
    assert {row["lines"] for row in speed["file_latency"]["rows"]} == {100, 1000}
    assert all(row["n"] >= 3 and row["engine_passes"] >= 1 for row in speed["file_latency"]["rows"])
    assert speed["peak_rss_mib"] > 0
    assert "no compile option" in speed["compiled"]["skipped"]  # the fake engine cannot compile

    report = (tiny_bench / "jsonl" / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for heading in ("# Benchmarks", "## Headline", "## Functional correctness", "## Diffusion vs AR",
                    "## Quality vs steps", "## Span infill by node kind", "## Speed"):
        assert heading in report
    assert "| convention | hole | n | pass@1 |" in report
    assert "--backend fake" in report  # the command that regenerates it


def test_in_process_fills_match_the_jsonl_interface(tiny_bench: Path) -> None:
    assert _bench(tiny_bench, "jsonl", "--only", "functions") == 0
    assert _bench(tiny_bench, "engine", "--only", "functions", "--via", "engine") == 0
    through_cli, in_process = (
        json.loads((tiny_bench / name / "results" / "functions.json").read_text(encoding="utf-8"))
        for name in ("jsonl", "engine")
    )
    keys = ("id", "convention", "fill", "passed", "parse_valid")
    assert [{k: r[k] for k in keys} for r in through_cli["records"]] == [{k: r[k] for k in keys} for r in in_process["records"]]


def test_bench_rejects_bad_usage(tiny_bench: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench(tiny_bench, "bad", "--only", "nonsense") == 2
    assert "unknown section 'nonsense'" in capsys.readouterr().err
    assert _bench(tiny_bench, "bad", "--conventions", "sideways") == 2
    assert main(["bench", "--heldout", str(tiny_bench / "missing.jsonl")]) == 2


def test_spans_skip_cleanly_without_a_heldout_split(tmp_path: Path) -> None:
    ctx = BenchContext(BenchOptions(backend="fake", heldout=tmp_path / "missing.jsonl", out=tmp_path, docs=tmp_path))
    spans = spans_section(ctx)
    assert "missing.jsonl not found" in spans["skipped"]
    ctx.write("spans", spans)
    report = write_report(tmp_path, tmp_path, make_plots=False).read_text(encoding="utf-8")
    assert "## Span infill by node kind" in report and "Skipped:" in report


def test_sample_spans_is_deterministic(tiny_bench: Path) -> None:
    first = sample_spans(tiny_bench / "heldout.jsonl", 2, seed=1)
    second = sample_spans(tiny_bench / "heldout.jsonl", 2, seed=1)
    assert {k: [s.id for s in v] for k, v in first.items()} == {k: [s.id for s in v] for k, v in second.items()}
    assert DATA_DIR.is_dir()


def test_reference_likelihood_scores_every_reference_token_and_the_end(tmp_path: Path) -> None:
    import torch

    from bench.functions import FunctionCase, Hole, make_task
    from bench.likelihood import reference_scores
    from unmask.model.api import load_engine
    from unmask.model.net import NetConfig, UnmaskNet
    from unmask.model.tokenizer import CodeTokenizer, train_tokenizer
    from unmask.model.train import export

    code = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result\n"
    tokenizer = CodeTokenizer(train_tokenizer([code * 20], vocab_size=300))
    tokenizer.save(tmp_path / "tok.json")
    torch.manual_seed(0)
    config = NetConfig(vocab_size=tokenizer.vocab_size, d_model=16, n_layers=1, n_heads=2, ffn_hidden=32)
    export(UnmaskNet(config), tmp_path / "tok.json", tmp_path / "model")
    task = make_task(Hole(FunctionCase("total", code, "assert total([1]) == 1\n"), 3, 3), "line")
    for weight in (0.0, 0.3):
        engine = load_engine(tmp_path / "model", pointer_weight=weight, dtype="float32")
        nll, tokens, hits = reference_scores(engine, task)
        assert tokens == len(tokenizer.encode(task.middle)) + 1  # every reference token, then the filler
        assert 0.0 < nll < tokens * 20 and 0 <= hits <= tokens
