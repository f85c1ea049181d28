"""`unmask fill` through the real console script (subprocess). Protocol-level tests use `--backend fake`
(the torch-free deterministic engine); the slow tests run the shipped model."""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from unmask.model.api import SHIPPED_WEIGHTS

ROOT = Path(__file__).resolve().parents[1]
UNMASK = ROOT / ".venv" / "bin" / "unmask"
if not UNMASK.exists():
    UNMASK = Path(sys.executable).with_name("unmask")
FAKE = ["--backend", "fake"]


def unmask(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # the timeout only catches a hang: on a busy 2-core machine the shipped model's runs took over 120 s
    return subprocess.run(
        [str(UNMASK), "fill", *args], check=False, input=stdin, capture_output=True, text=True, timeout=600, cwd=cwd
    )


def test_append_at_cursor_prints_a_diff(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("def f(x):\n    \n")
    result = unmask(str(path), "--at", "2:4", *FAKE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"--- {path}\n+++ {path}\n")
    assert "-    \n+    pass\n" in result.stdout
    assert path.read_text() == "def f(x):\n    \n"  # a dry run writes nothing


def test_relative_path_diff_uses_a_b_prefixes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f(x):\n    ")
    result = unmask("a.py", "--at", "2:4", *FAKE, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--- a/a.py\n+++ b/a.py\n" in result.stdout and "\\ No newline at end of file" in result.stdout


def test_write_is_atomic_and_keeps_bom_crlf_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "w.py"
    path.write_bytes("\ufeffdef f(x):\r\n    \r\n# caf\u00e9\r\n".encode())
    path.chmod(0o640)
    result = unmask(str(path), "--at", "2:4", "--write", *FAKE)
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == "\ufeffdef f(x):\r\n    pass\r\n# caf\u00e9\r\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.py"]  # no temp file left behind
    assert result.stdout == ""


def test_fill_that_breaks_syntax_is_rejected_and_not_written(tmp_path: Path) -> None:
    path = tmp_path / "c.py"
    path.write_text("x = 1\n")
    result = unmask(str(path), "--at", "1:5", "--write", *FAKE)
    assert result.returncode == 1
    assert f"{path}:1: rejected: the fill adds a syntax error" in result.stderr
    assert path.read_text() == "x = 1\n"


def test_holes_filled_with_their_original_change_nothing(tmp_path: Path) -> None:
    result = unmask(str(ROOT / "examples" / "holes.py"), "--holes", *FAKE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "changes nothing" in result.stderr


def test_range_is_snapped_and_unknown_language_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("alpha beta\ngamma\n")
    result = unmask(str(path), "--range", "1:0-1:5", *FAKE)
    assert result.returncode == 0, result.stderr
    assert f"{path}:1: note: unknown language" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "9:0"], ":1: line 9 does not exist"),
        (["--at", "1:99"], "column 99 is past the end of line 1"),
        (["--range", "1:0"], "expected L:C-L:C"),
        (["--at", "x"], "expected LINE:COLUMN"),
    ],
)
def test_bad_positions_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "p.py"
    path.write_text("x = 1\n")
    result = unmask(str(path), *args, *FAKE)
    assert result.returncode == 2 and message in result.stderr


def test_no_holes_and_usage_errors_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "n.py"
    path.write_text("x = 1\n")
    result = unmask(str(path), *FAKE)
    assert result.returncode == 2 and "no holes" in result.stderr
    assert unmask(*FAKE).returncode == 2
    assert unmask(str(tmp_path / "missing.py"), *FAKE).returncode == 2
    assert unmask(str(path), "--jsonl", "-", *FAKE).returncode == 2


def test_model_that_cannot_load_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("x = ___\n")
    result = unmask(str(path), "--model", str(tmp_path / "nowhere"))
    assert result.returncode == 3 and "cannot load the model" in result.stderr
    result = unmask("--jsonl", "-", "--backend", "no-such-backend", stdin="")
    assert result.returncode == 3 and "unknown backend" in result.stderr


def test_jsonl_answers_every_line_in_order() -> None:
    lines = [
        {"id": "a", "prefix": "def f(x):\n    ", "suffix": "\n", "language": "python"},
        {"id": "b", "prefix": "def f(x):\n    return ", "suffix": "\n", "language": "python"},
        "this is not json",
        {"id": 3, "prefix": 1, "suffix": ""},
        {"id": 4, "prefix": "x = (", "suffix": ")\n", "language": "python", "mode": "diffusion", "steps": 2},
        {"id": 5, "prefix": "a ", "suffix": " b", "language": "cobol"},
        {"id": 6, "prefix": "", "suffix": "", "mode": "sideways"},
        {"id": 7, "prefix": "x", "suffix": "", "candidates": 0},
    ]
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n\n"
    result = unmask("--jsonl", "-", *FAKE, stdin=stdin)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [answer["id"] for answer in answers] == ["a", "b", None, 3, 4, 5, 6, 7]
    assert result.returncode == 1  # some lines got errors
    first = answers[0]
    assert first["fill"] == "pass" and first["mode"] == "ar" and first["language"] == "python"
    assert first["valid"] is True and first["steps"] == 4 and first["elapsed_ms"] >= 0
    assert answers[1]["fill"] == "pass" and answers[1]["valid"] is False  # `return pass` does not parse
    answers = answers[1:]
    assert "not JSON" in answers[1]["error"] and "'prefix' must be a string" in answers[2]["error"]
    assert answers[3]["mode"] == "diffusion" and answers[3]["fill"] == "pass"
    assert answers[4]["language"] is None and "unknown language" in answers[4]["note"]
    assert "mode" in answers[5]["error"] and "candidates" in answers[6]["error"]
    assert "<stdin>:3: not JSON" in result.stderr


def test_jsonl_from_a_file_with_candidates(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 1, "prefix": "y = ", "suffix": "\n", "language": "py", "candidates": 2}))
    result = unmask("--jsonl", str(path), *FAKE)
    assert result.returncode == 0, result.stderr
    [answer] = [json.loads(line) for line in result.stdout.splitlines()]
    assert answer["candidates"] == ["pass"] and answer["language"] == "python"


def test_jsonl_lines_without_a_language_get_the_option_or_the_grammar_that_parses_them() -> None:
    lines = [
        {"id": 1, "prefix": "def f(x):\n    return ", "suffix": "\n\nprint(f(2))\n"},
        {"id": 2, "prefix": "function f(x) {\n  return ", "suffix": ";\n}\n"},
        {"id": 3, "prefix": "def f(x):\n    return ", "suffix": "\n", "language": None},
    ]
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    answers = [json.loads(line) for line in unmask("--jsonl", "-", *FAKE, stdin=stdin).stdout.splitlines()]
    assert [answer["language"] for answer in answers] == ["python", "javascript", None]
    # checked as Python: `return pass` is rejected; with no language nothing is checked
    assert answers[0]["valid"] is False and answers[2]["valid"] is None
    answers = [json.loads(line) for line in unmask("--jsonl", "-", "--language", "go", *FAKE, stdin=stdin).stdout.splitlines()]
    assert [answer["language"] for answer in answers] == ["go", "go", None]


def test_jsonl_streams_one_answer_per_line() -> None:
    process = subprocess.Popen(
        [str(UNMASK), "fill", "--jsonl", "-", *FAKE],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        for number in range(2):
            process.stdin.write(json.dumps({"id": number, "prefix": "x = ", "suffix": "\n", "language": "python"}))
            process.stdin.write("\n")
            process.stdin.flush()
            # The answer must arrive while stdin is still open: output is flushed per line.
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, "no answer while the input stream is still open"
            assert json.loads(process.stdout.readline())["id"] == number
    finally:
        process.stdin.close()
        process.wait(timeout=60)
        process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == 0


def test_fill_module_does_not_import_torch() -> None:
    code = "import sys, unmask.commands.fill; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _need_weights() -> None:
    if not (SHIPPED_WEIGHTS / "model.safetensors").is_file():
        pytest.skip("shipped model not present: unmask/model/weights/model.safetensors is missing")


@pytest.mark.slow
def test_shipped_model_fills_the_example_holes(tmp_path: Path) -> None:
    _need_weights()
    path = tmp_path / "holes.py"
    path.write_text((ROOT / "examples" / "holes.py").read_text())
    result = unmask(str(path), "--holes", "--steps", "16")
    assert result.returncode in (0, 1), result.stderr
    if result.returncode == 0 and result.stdout:
        assert result.stdout.startswith(f"--- {path}\n+++ {path}\n")
        assert "-    return ___" in result.stdout or "-    ..." in result.stdout or "-    pass" in result.stdout
    else:
        assert "rejected" in result.stderr or "changes nothing" in result.stderr
    write = unmask(str(path), "--holes", "--steps", "16", "--write")
    if write.returncode == 0 and "wrote" in write.stderr:
        compile(path.read_text(), str(path), "exec")  # what was written parses as Python


@pytest.mark.slow
def test_shipped_model_answers_jsonl() -> None:
    _need_weights()
    stdin = json.dumps({"id": 1, "prefix": "def square(x):\n    return ", "suffix": "\n", "language": "python"})
    result = unmask("--jsonl", "-", "--steps", "8", stdin=stdin + "\n")
    assert result.returncode == 0, result.stderr
    [answer] = [json.loads(line) for line in result.stdout.splitlines()]
    assert answer["id"] == 1 and isinstance(answer["fill"], str) and answer["mode"] == "ar"
    assert "\n\n" not in answer["fill"]  # the stop rule ends the statement


def test_environment_sanity() -> None:
    assert os.access(UNMASK, os.X_OK), f"{UNMASK} is not executable: install the package (pip install -e .)"
