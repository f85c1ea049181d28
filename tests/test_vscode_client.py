"""The VS Code extension's own checks, run from pytest: strict tsc, eslint, the node unit tests and the node
wire test that drives the real ``unmask serve`` (this Python's) with the requests the extension sends.

Skips when node/npm are absent. Installs the locked dependencies with ``npm ci`` when node_modules is missing
(skips if that fails, e.g. offline). Packaging (``vsce package``) is left to editor_clients/vscode/scripts/ci.sh.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parent.parent / "editor_clients" / "vscode"
NODE = shutil.which("node")
NPM = shutil.which("npm")
NPX = shutil.which("npx")

pytestmark = pytest.mark.skipif(NODE is None or NPM is None or NPX is None, reason="node/npm not installed")


def run(*command: str, timeout_s: int = 600) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "UNMASK_PYTHON": sys.executable,
        "UNMASK_SERVER": json.dumps([sys.executable, "-m", "unmask.cli", "serve"]),
    }
    return subprocess.run(
        command, check=False, cwd=EXTENSION, env=environment, capture_output=True, text=True, timeout=timeout_s
    )


@pytest.fixture(scope="module")
def node_modules() -> Path:
    modules = EXTENSION / "node_modules"
    if not (modules / ".package-lock.json").exists():
        installed = run("npm", "ci", "--no-audit", "--no-fund")
        if installed.returncode != 0:
            pytest.skip(f"npm ci failed (offline?): {installed.stderr[-500:]}")
    return modules


def check(completed: subprocess.CompletedProcess[str]) -> str:
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    return output


def test_typescript_strict(node_modules: Path) -> None:
    check(run("npx", "tsc", "-p", ".", "--noEmit"))


def test_eslint(node_modules: Path) -> None:
    check(run("npx", "eslint", "src", "test"))


def test_unit_tests(node_modules: Path) -> None:
    output = check(run("npm", "run", "test:unit"))
    assert "# fail 0" in output
    assert "# skipped 0" in output, "the package.json defaults check needs this Python's unmask.server.settings"


def test_wire_tests_against_the_real_server(node_modules: Path) -> None:
    output = check(run("npm", "run", "test:wire"))
    assert "# fail 0" in output
    assert "# skipped 0" in output


def test_bundle_builds(node_modules: Path) -> None:
    check(run("npm", "run", "build"))
    assert (EXTENSION / "out" / "extension.js").stat().st_size > 0
