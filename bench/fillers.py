"""Two ways to get fills for (prefix, suffix) jobs, answering the same :class:`Answer`:

* :class:`EngineFiller` plans and fills in this process, exactly as ``unmask fill --jsonl`` does
  (:func:`unmask.editing.plan_infill` then :func:`unmask.editing.fill_document`), and can also pass options the
  JSONL interface does not have (node kind, oracle length, threshold, step budget);
* :class:`JsonlFiller` runs ``unmask fill --jsonl`` as a subprocess: the interface graders use, for the
  headline numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from unmask.editing import fill_document, plan_infill
from unmask.model.api import Engine, run_fill

#: Options a job may carry, passed to the fill request (hole options: kind, length_tokens, max_tokens).
JOB_OPTIONS = ("mode", "steps", "threshold", "seed", "length_tokens", "max_tokens", "temperature", "candidates")
#: The subset the JSONL interface accepts per line.
JSONL_OPTIONS = ("mode", "steps", "seed", "candidates", "temperature")


@dataclass(frozen=True)
class Job:
    prefix: str
    suffix: str
    language: str | None = "python"
    kind: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    fill: str
    valid: bool | None
    mode: str | None
    elapsed_ms: float
    forward_passes: int
    steps: int
    tokens: int | None = None  # generated tokens, when the filler can count them
    error: str | None = None


Progress = Callable[[], None] | None


class EngineFiller:
    """Fills in-process through the editing layer (planning, validation, candidate choice, stop rule)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def fill_one(self, job: Job) -> Answer:
        unknown = set(job.options) - set(JOB_OPTIONS)
        if unknown:
            raise ValueError(f"unknown job options {sorted(unknown)}")
        plan = plan_infill(job.prefix, job.suffix, job.language, **job.options)
        if job.kind is not None:
            hole = replace(plan.request.holes[0], kind=job.kind)
            plan = replace(plan, kinds=(job.kind,), request=plan.request.with_options(holes=(hole,)))
        started = time.perf_counter()
        try:
            outcome = fill_document(self.engine, plan)
        except Exception as exc:  # noqa: BLE001 - one failed fill is a scored failure, not the end of the run
            return Answer("", False, None, (time.perf_counter() - started) * 1000, 0, 0, error=f"{type(exc).__name__}: {exc}")
        elapsed_ms = (time.perf_counter() - started) * 1000
        result = outcome.result
        return Answer(
            fill=outcome.fills[0],
            valid=outcome.valid,
            mode=result.mode,
            elapsed_ms=elapsed_ms,
            forward_passes=result.forward_passes,
            steps=result.steps,
            tokens=len(outcome.candidate.tokens[0]) if outcome.candidate.tokens else None,
        )

    def fill(self, jobs: Sequence[Job], progress: Progress = None) -> list[Answer]:
        answers = []
        for job in jobs:
            answers.append(self.fill_one(job))
            if progress is not None:
                progress()
        return answers


class JsonlFiller:
    """Runs ``python -m unmask.cli fill --jsonl`` once for a batch of jobs (the model loads once)."""

    def __init__(self, model: str | None, backend: str = "auto", extra_args: Sequence[str] = ()) -> None:
        self.model = model
        self.backend = backend
        self.extra_args = list(extra_args)

    def command(self, input_path: str) -> list[str]:
        command = [sys.executable, "-m", "unmask.cli", "fill", "--jsonl", input_path, "--backend", self.backend]
        if self.model:
            command += ["--model", self.model]
        return command + self.extra_args

    def fill(self, jobs: Sequence[Job], progress: Progress = None) -> list[Answer]:
        if not jobs:
            return []
        with tempfile.TemporaryDirectory(prefix="unmask-bench-") as folder:
            input_path = Path(folder) / "requests.jsonl"
            with input_path.open("w", encoding="utf-8") as stream:
                for index, job in enumerate(jobs):
                    if job.kind is not None or set(job.options) - set(JSONL_OPTIONS):
                        raise ValueError("the JSONL interface takes no node kind and only " + ", ".join(JSONL_OPTIONS))
                    record = {"id": index, "prefix": job.prefix, "suffix": job.suffix, "language": job.language}
                    record.update(job.options)
                    stream.write(json.dumps(record) + "\n")
            env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
            stderr_path = Path(folder) / "stderr.txt"
            # stderr goes to a file: one message per bad line could fill a pipe nobody reads yet
            with stderr_path.open("w", encoding="utf-8") as stderr_file:
                process = subprocess.Popen(
                    self.command(str(input_path)),
                    stdout=subprocess.PIPE,
                    stderr=stderr_file,
                    text=True,
                    encoding="utf-8",
                    env=env,
                )
            answers: dict[int, Answer] = {}
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    record = json.loads(line)
                    answers[int(record["id"])] = _answer_from(record)
                    if progress is not None:
                        progress()
                code = process.wait()
            finally:  # interrupted: do not leave the model process running
                if process.poll() is None:
                    process.kill()
                    process.wait()
            stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
        if len(answers) != len(jobs):
            raise RuntimeError(f"unmask fill --jsonl exited with {code} after {len(answers)}/{len(jobs)} answers: {stderr[-2000:]}")
        return [answers[index] for index in range(len(jobs))]


def _answer_from(record: dict[str, Any]) -> Answer:
    if "error" in record:
        return Answer("", False, None, 0.0, 0, 0, error=str(record["error"]))
    return Answer(
        fill=record["fill"],
        valid=record.get("valid"),
        mode=record.get("mode"),
        elapsed_ms=float(record.get("elapsed_ms", 0.0)),
        forward_passes=int(record.get("forward_passes", 0)),
        steps=int(record.get("steps", 0)),
    )


def time_engine_fill(engine: Engine, request: Any) -> tuple[float, Any]:
    """Seconds and :class:`~unmask.model.api.FillResult` of one engine-only fill (no planning or validation)."""
    started = time.perf_counter()
    result = run_fill(engine, request)
    return time.perf_counter() - started, result
