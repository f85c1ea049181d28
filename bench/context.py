"""What every benchmark section shares: the options, the engine (loaded once, lazily), progress bars and the
description of the machine and model that goes into every result file."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unmask.model.api import Engine, load_engine

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DOCS_DIR = ROOT / "docs"


@dataclass
class BenchOptions:
    model: str | None = None
    backend: str = "auto"
    limit: int | None = None  # tasks per kind (functions: per single/multi; spans: per node kind)
    quick: bool = False
    seed: int = 0
    heldout: Path | None = None
    functions_dir: Path | None = None
    conventions: tuple[str, ...] = ("line", "indent", "newline")
    via: str = "jsonl"  # how the functions section fills: "jsonl" (subprocess) or "engine" (in-process)
    timeout_s: float = 10.0
    threads: int | None = None  # torch threads in this process and in fill subprocesses (None: torch's default)
    out: Path = RESULTS_DIR
    docs: Path = DOCS_DIR
    plots: bool = True
    command: str = ""


@dataclass
class BenchContext:
    options: BenchOptions
    _engines: dict[str, Engine] = field(default_factory=dict)
    load_s: dict[str, float] = field(default_factory=dict)  # seconds each engine took to load

    def __post_init__(self) -> None:
        if self.options.threads is not None:
            # OMP_NUM_THREADS reaches the `unmask fill --jsonl` and server subprocesses
            os.environ["OMP_NUM_THREADS"] = str(self.options.threads)
            if "torch" in sys.modules or importlib.util.find_spec("torch") is not None:
                import torch

                torch.set_num_threads(self.options.threads)

    def engine(self, cache: str | None = None, *, compiled: bool = False) -> Engine:
        """The engine under test; ``cache`` ("block" | "dual" | "none") loads a variant with that context cache,
        ``compiled`` one with its steps compiled (``compile="on"``). Raises TypeError/ValueError from backends that
        take no such option (callers skip those rows)."""
        key = "compiled" if compiled else cache or "default"
        if key not in self._engines:
            extra: dict[str, object] = {} if cache is None else {"cache": cache}
            if compiled:
                extra["compile"] = "on"
            started = time.perf_counter()
            self._engines[key] = load_engine(self.options.model, backend=self.options.backend, **extra)
            self.load_s[key] = time.perf_counter() - started
        return self._engines[key]

    def limit(self, full: int | None, quick: int) -> int | None:
        """The task count for a section: ``--limit`` when given, else ``quick`` with --quick, else ``full``."""
        if self.options.limit is not None:
            return self.options.limit
        return quick if self.options.quick else full

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Any]:
        """A tqdm bar on stderr (hidden when stderr is not a terminal); yields its ``update`` callable."""
        from tqdm import tqdm

        bar = tqdm(total=total, desc=description, unit="fill", file=sys.stderr, disable=None, leave=True)
        try:
            yield lambda: bar.update(1)
        finally:
            bar.close()

    def meta(self) -> dict[str, Any]:
        engine = self.engine()
        return {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "model": _jsonable(engine.describe()),
            "command": self.options.command,
            "limit": self.options.limit,
            "quick": self.options.quick,
            "seed": self.options.seed,
            "threads": self.options.threads,
        }

    def write(self, section: str, payload: dict[str, Any]) -> Path:
        self.options.out.mkdir(parents=True, exist_ok=True)
        path = self.options.out / f"{section}.json"
        document = {"section": section, "meta": self.meta(), **payload}
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def cpu_model() -> str:
    if shutil.which("lscpu"):
        try:
            output = subprocess.run(["lscpu"], check=False, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            output = ""
        for line in output.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    try:
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch_version = None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch_version,
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)
