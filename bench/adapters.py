"""A smoke row per engine adapter: a tiny randomly initialised model of each kind (built by the same helpers
the backend tests use) or a local HTTP inference server, filling a few function tasks end to end (plan ->
engine -> validation). Random weights: the rows show that each adapter runs and what it costs per fill, not
quality.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.context import ROOT, BenchContext
from bench.fillers import EngineFiller, Job
from bench.functions import DATA_DIR, HEADLINE_CONVENTION, load_cases, make_task, select_holes
from bench.metrics import mean, percentile
from unmask.model.api import Engine, load_engine


@contextmanager
def _local_server() -> Iterator[str]:
    from test_backends_remote import Inference, QuietServer, make_handler  # type: ignore[import-not-found]

    httpd = QuietServer(("127.0.0.1", 0), make_handler(Inference()))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _builders(folder: Path, server: str) -> dict[str, Callable[[], Engine]]:
    from test_backends_common import tiny_bert, tiny_causal, tiny_dream, tiny_llada  # type: ignore[import-not-found]
    from test_engine_contract import tiny_embedded  # type: ignore[import-not-found]

    return {
        "embedded": lambda: load_engine(tiny_embedded(folder / "embedded")),
        "hf_mlm": lambda: load_engine(tiny_bert(folder / "hf_mlm")),
        "dream": lambda: load_engine(tiny_dream(folder / "dream")),
        "llada": lambda: load_engine(tiny_llada(folder / "llada")),
        "hf_causal (FIM)": lambda: load_engine(tiny_causal(folder / "fim")),
        "hf_causal (plain)": lambda: load_engine(tiny_causal(folder / "plain", fim=False)),
        "remote (OpenAI completions)": lambda: load_engine(f"{server}/v1"),
        "remote (llama.cpp /infill)": lambda: load_engine(f"llamacpp+{server}", backend="remote"),
    }


def _quiet_transformers() -> None:
    """No progress bars or warnings from transformers while the tiny models are saved and loaded."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from transformers.utils import logging
    except ImportError:
        return
    logging.set_verbosity_error()
    logging.disable_progress_bar()


def adapters_section(ctx: BenchContext) -> dict[str, Any]:
    tests = ROOT / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    try:
        import test_backends_common  # type: ignore[import-not-found]  # noqa: F401
    except ImportError as exc:
        return {"skipped": f"the tiny-model builders in tests/ cannot be imported ({exc})"}
    _quiet_transformers()
    cases = load_cases(ctx.options.functions_dir or DATA_DIR)
    count = ctx.limit(5, 3) or 5
    tasks = [make_task(hole, HEADLINE_CONVENTION) for hole in select_holes(cases, count, ctx.options.seed)["single"]]
    # short fills keep random models (which never reach the threshold) fast
    jobs = [Job(t.prefix, t.suffix, options={"max_tokens": 12}) for t in tasks]
    rows = []
    with tempfile.TemporaryDirectory(prefix="unmask-bench-adapters-") as folder, _local_server() as server:
        builders = _builders(Path(folder), server)
        with ctx.progress("adapters", len(builders) * len(jobs)) as update:
            for name, build in builders.items():
                try:
                    engine = build()
                    answers = EngineFiller(engine).fill(jobs, update)
                except Exception as exc:  # noqa: BLE001 - a broken adapter is a row, not the end of the run
                    rows.append({"adapter": name, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]})
                    continue
                described = engine.describe()
                errors = [a.error for a in answers if a.error]
                rows.append({
                    "adapter": name,
                    "backend": described.get("backend"),
                    "parameters": described.get("parameters"),
                    "ok": not errors,
                    "n": len(answers),
                    "modes": sorted({a.mode for a in answers if a.mode}),
                    "p50_ms": round(percentile([a.elapsed_ms for a in answers], 50), 1),
                    "forward_passes": round(mean([a.forward_passes for a in answers]), 1),
                    "error": errors[0][:300] if errors else None,
                })
    return {"rows": rows, "tasks": len(jobs)}
