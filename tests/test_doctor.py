"""`unmask doctor` through the real console script: what a new user runs first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNMASK = ROOT / ".venv" / "bin" / "unmask"
if not UNMASK.exists():
    UNMASK = Path(sys.executable).with_name("unmask")


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    # the timeout only catches a hang: on a busy 2-core machine loading the model alone took 20 s
    return subprocess.run([str(UNMASK), "doctor", *args], check=False, capture_output=True, text=True, timeout=600)


def _fill_line(stdout: str) -> str:
    (line,) = [line for line in stdout.splitlines() if line.split("]", 1)[-1].split()[:1] == ["fill"]]
    return line


@pytest.mark.slow
@pytest.mark.usefixtures("needs_shipped_model")
def test_doctor_fills_a_line_with_the_shipped_model_through_the_editing_layer() -> None:
    result = doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    line = _fill_line(result.stdout)
    # a line hole with code on both sides: diffusion, checked by the grammar, one statement (not a run of the
    # model's token budget, which is what the raw engine printed before)
    assert line.startswith("[ok  ]") and "(diffusion," in line and "; parses)" in line, line
    fill = line.split("'")[1]
    assert fill.strip() and "\\n" not in fill
    assert result.stdout.rstrip().endswith("everything unmask needs is here")


def test_doctor_checks_another_backend_and_can_skip_the_fill() -> None:
    result = doctor("--backend", "fake")
    assert result.returncode == 0, result.stdout + result.stderr
    # the fake engine's `pass` lands at column 0 after a `for`: a warning about the model, not a failed install
    assert _fill_line(result.stdout).startswith("[warn] fill       'pass'") and "does not parse" in result.stdout
    skipped = doctor("--backend", "fake", "--no-fill")
    assert skipped.returncode == 0 and not [line for line in skipped.stdout.splitlines() if "] fill" in line]


def test_doctor_says_what_to_fix_when_the_model_does_not_load(tmp_path: Path) -> None:
    result = doctor("--model", str(tmp_path / "no-such-model"))
    assert result.returncode == 1
    assert "[FAIL] model" in result.stdout and "problem(s) to fix: model" in result.stdout
