"""``--check CMD``: a user's command (tests, a type checker) that decides whether a change is kept.

The command runs only when the user passes it. It runs through the shell in the current folder. With a
``{file}`` placeholder it runs once per changed file (the placeholder becomes the shell-quoted path);
without one it runs once per run, over the whole tree. Exit status 0 passes; anything else, or running past
the timeout (the whole process group is then killed), fails.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

FILE_PLACEHOLDER = "{file}"
#: Characters of the check's output kept for the report.
OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    command: str
    returncode: int | None  # None: timed out
    output: str

    def describe(self) -> str:
        if self.returncode is None:
            return f"check timed out: {self.command}"
        return f"check exited {self.returncode}: {self.command}"


@dataclass(frozen=True)
class CheckCommand:
    template: str
    timeout_s: float = 300.0

    @property
    def per_file(self) -> bool:
        return FILE_PLACEHOLDER in self.template

    def command_for(self, path: Path | None) -> str:
        if path is None:
            return self.template
        return self.template.replace(FILE_PLACEHOLDER, shlex.quote(str(path)))

    def run(self, path: Path | None = None) -> CheckOutcome:
        command = self.command_for(path)
        process = subprocess.Popen(
            command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            output, _ = process.communicate()
            return CheckOutcome(False, command, None, _tail(output))
        except BaseException:
            _kill_group(process)
            process.wait()
            raise
        return CheckOutcome(process.returncode == 0, command, process.returncode, _tail(output))


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(output: bytes | None) -> str:
    return (output or b"").decode("utf-8", "replace")[-OUTPUT_TAIL:]
