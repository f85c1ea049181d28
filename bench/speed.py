"""Speed sections: engine latency by span length (diffusion and AR side by side), forward passes per filled
token, tokens/s, peak memory, latency vs file length with and without the context cache (``latency``), and the
server's latency through the wire (``server``, by ``bench/server_latency.py``).

Span length is controlled: for each length L the contexts are holes of the function dataset whose removed
text is closest to L tokens; diffusion gets ``HoleSpec(length_tokens=L)`` (one canvas of L tokens, which the
model may end early with filler), AR gets ``max_tokens=L`` and no stop rule (it may stop earlier at
end-of-sequence). ``tokens`` and tokens/s count the real tokens each produced. Engine timings exclude planning and
validation; the file-length rows report both the engine alone and the whole fill (plan, fill, validate).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from itertools import product
from pathlib import Path
from typing import Any

from bench.context import ROOT, BenchContext, peak_rss_mib
from bench.fillers import EngineFiller, Job, time_engine_fill
from bench.functions import DATA_DIR, HEADLINE_CONVENTION, FunctionCase, load_cases, make_task, select_holes
from bench.metrics import latency_summary, mean
from unmask.model.api import FillRequest, HoleSpec

SPAN_TOKENS: tuple[int, ...] = (8, 16, 32, 64)
FILE_LINES: tuple[int, ...] = (100, 1_000, 10_000)
QUICK_FILE_LINES: tuple[int, ...] = (100, 1_000)
SERVER_SCRIPT = ROOT / "bench" / "server_latency.py"


def _contexts(ctx: BenchContext, count: int) -> dict[int, list[tuple[str, str, int]]]:
    """For each span length L, ``count`` (prefix, suffix, reference tokens) holes of the function dataset whose
    removed text is closest to L tokens (real code on both sides, and a fill of about L tokens is the right
    answer, so diffusion and AR do the same work). Without a tokenizer: the same holes for every L."""
    cases = load_cases(ctx.options.functions_dir or DATA_DIR)
    holes = select_holes(cases, None, ctx.options.seed)
    tasks = [make_task(hole, HEADLINE_CONVENTION) for kind in ("single", "multi") for hole in holes[kind]]
    codec = getattr(ctx.engine(), "codec", None)
    if codec is None:
        picked = [(t.prefix, t.suffix, 0) for t in tasks[:count]]
        return {length: picked for length in SPAN_TOKENS}
    sized = [(len(codec.encode(t.middle)), index, t) for index, t in enumerate(tasks)]  # index: the hash order
    return {
        length: [(t.prefix, t.suffix, n) for n, _, t in sorted(sized, key=lambda s: (abs(s[0] - length), s[1]))[:count]]
        for length in SPAN_TOKENS
    }


def _tokens_of(result: Any) -> int:
    best = result.best
    return sum(len(tokens) for tokens in best.tokens) if best.tokens else 0


def span_latency(ctx: BenchContext, repeats: int, engine: Any = None, label: str = "span length") -> dict[str, Any]:
    engine = engine or ctx.engine()
    contexts = _contexts(ctx, repeats)
    rows: list[dict[str, Any]] = []
    with ctx.progress(f"speed: {label}", 2 * len(SPAN_TOKENS) * repeats + 1) as update:
        # warm-up: the first call pays for lazy initialisation (thread pools, allocator)
        prefix, suffix, _ = contexts[SPAN_TOKENS[0]][0]
        time_engine_fill(engine, FillRequest.single(prefix, suffix, HoleSpec(length_tokens=8), mode="diffusion"))
        update()
        for length in SPAN_TOKENS:
            samples: dict[str, list[float]] = {"diffusion": [], "ar": []}
            passes: dict[str, list[int]] = {"diffusion": [], "ar": []}
            tokens: dict[str, list[int]] = {"diffusion": [], "ar": []}
            for prefix, suffix, _ in contexts[length]:  # interleaved, so drifting machine load hits both modes alike
                for mode, hole in (("diffusion", HoleSpec(length_tokens=length)), ("ar", HoleSpec(max_tokens=length))):
                    seconds, result = time_engine_fill(engine, FillRequest.single(prefix, suffix, hole, mode=mode))
                    samples[mode].append(seconds)
                    passes[mode].append(result.forward_passes)
                    tokens[mode].append(_tokens_of(result))
                    update()
            reference = [n for _, _, n in contexts[length]]
            for mode in ("diffusion", "ar"):
                total_tokens = sum(tokens[mode])
                rows.append({
                    "mode": mode,
                    "span_tokens": length,
                    "reference_tokens": round(mean(reference), 1) if any(reference) else None,
                    **latency_summary(samples[mode]),
                    "forward_passes": round(mean(passes[mode]), 2),
                    "tokens": round(mean(tokens[mode]), 1),
                    "passes_per_token": round(sum(passes[mode]) / total_tokens, 3) if total_tokens else None,
                    "tokens_per_s": round(total_tokens / sum(samples[mode]), 1) if sum(samples[mode]) else None,
                })
    ratios = []
    for length in SPAN_TOKENS:
        diffusion = next(r for r in rows if r["mode"] == "diffusion" and r["span_tokens"] == length)
        ar = next(r for r in rows if r["mode"] == "ar" and r["span_tokens"] == length)
        ratios.append({
            "span_tokens": length,
            "ar_over_diffusion_p50": round(ar["p50_ms"] / diffusion["p50_ms"], 2) if diffusion["p50_ms"] else None,
            # the p50 ratio is only fair when both produced about the same tokens: show them
            "diffusion_tokens": diffusion["tokens"],
            "ar_tokens": ar["tokens"],
        })
    return {"rows": rows, "ratios": ratios, "contexts": repeats}


def _renamed(case: FunctionCase, copy: int) -> list[str]:
    return case.code.replace(f"def {case.name}(", f"def {case.name}_{copy}(").rstrip("\n").split("\n") + ["", ""]


def synthetic_file(lines: int, ctx: BenchContext, core_cases: int = 2) -> tuple[str, int, int]:
    """A valid Python file of about ``lines`` lines (whole functions): a fixed *core* of ``core_cases`` of the
    dataset's functions in the middle, and renamed copies of the others before and after it. The lines next to
    the core are the same whatever the size, so a hole in the core sees the same window of code in every file
    and only the file's length changes. Returns (text, first core line, end core line), 0-based."""
    cases = load_cases(ctx.options.functions_dir or DATA_DIR)
    core = [line for case in cases[:core_cases] for line in _renamed(case, 0)]
    padding = cases[core_cases:] or cases
    half = max(0, (lines - len(core)) // 2)
    before: list[str] = []
    copy = 1
    while len(before) < half:  # grows away from the core: the functions nearest to it are the same in every size
        for case in padding:
            before[:0] = _renamed(case, copy)
            if len(before) >= half:
                break
        copy += 1
    after: list[str] = []
    while len(before) + len(core) + len(after) < lines:
        for case in padding:
            after.extend(_renamed(case, copy))
            if len(before) + len(core) + len(after) >= lines:
                break
        copy += 1
    text = "\n".join(before + core + after).rstrip("\n") + "\n"
    return text, len(before), len(before) + len(core)


def _core_holes(text: str, start: int, end: int, count: int) -> list[tuple[str, str]]:
    """(prefix, suffix) around ``count`` different non-blank indented lines of lines ``start``..``end``; each
    removes a different line, so no two requests share a text (no parse cache hits between repeats)."""
    lines = text.split("\n")
    picked: list[tuple[str, str]] = []
    for index in range(start, end):
        line = lines[index]
        if line.startswith("    ") and line.strip() and not line.strip().startswith(('"', "#")):
            offset = sum(len(x) + 1 for x in lines[:index])
            picked.append((text[:offset], text[offset + len(line) :]))
            if len(picked) == count:
                break
    return picked


def file_latency(ctx: BenchContext, repeats: int) -> dict[str, Any]:
    sizes = QUICK_FILE_LINES if ctx.options.quick else FILE_LINES
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    caches: list[str | None] = ["block", "dual", "none"]
    engines = {}
    for cache in caches:
        try:
            engines[cache] = ctx.engine(cache)
        except (TypeError, ValueError) as exc:
            skipped.append(f"cache={cache}: {exc}")
    if not engines:
        engines[None] = ctx.engine()
    files = {lines: synthetic_file(lines, ctx) for lines in sizes}
    holes = {lines: _core_holes(text, start, end, repeats) for lines, (text, start, end) in files.items()}
    fillers = {cache: EngineFiller(engine) for cache, engine in engines.items()}
    for lines in sizes:  # warm-up
        for filler in fillers.values():
            filler.fill_one(Job(*holes[lines][0], options={"mode": "diffusion"}))
    engine_s: dict[tuple[int, str | None], list[float]] = {key: [] for key in product(sizes, engines)}
    passes: dict[tuple[int, str | None], list[int]] = {key: [] for key in product(sizes, engines)}
    full_s: dict[tuple[int, str | None], list[float]] = {key: [] for key in product(sizes, engines)}
    with ctx.progress("speed: file length", 2 * len(sizes) * len(engines) * repeats) as update:
        # round-robin over the sizes: a machine that slows down part-way slows every size alike, so the ratios
        # between sizes (what this measures) do not drift with the load
        for index in range(min(len(h) for h in holes.values())):
            for lines in sizes:
                prefix, suffix = holes[lines][index]
                for cache, engine in engines.items():
                    request = FillRequest.single(prefix, suffix, HoleSpec(length_tokens=16), mode="diffusion")
                    seconds, result = time_engine_fill(engine, request)
                    engine_s[lines, cache].append(seconds)
                    passes[lines, cache].append(result.forward_passes)
                    update()
                    started = time.perf_counter()  # plan (parse, indentation) + fill + validate, as the server does
                    fillers[cache].fill_one(Job(prefix, suffix, options={"mode": "diffusion"}))
                    full_s[lines, cache].append(time.perf_counter() - started)
                    update()
    for lines in sizes:
        text = files[lines][0]
        for cache in engines:
            engine_row = latency_summary(engine_s[lines, cache])
            full_row = latency_summary(full_s[lines, cache])
            rows.append({
                "lines": lines, "actual_lines": text.count("\n"), "chars": len(text), "cache": cache or "default",
                "engine_p50_ms": engine_row["p50_ms"], "engine_p95_ms": engine_row["p95_ms"],
                "fill_p50_ms": full_row["p50_ms"], "fill_p95_ms": full_row["p95_ms"], "n": len(engine_s[lines, cache]),
                # the fills differ with the code around the core, and so may their forward passes
                "engine_passes": round(mean(passes[lines, cache]), 1),
            })
    growth = []
    for cache in {row["cache"] for row in rows}:
        mine = sorted((r for r in rows if r["cache"] == cache), key=lambda r: r["lines"])
        if len(mine) > 1 and mine[0]["engine_p50_ms"]:
            growth.append({
                "cache": cache,
                "from_lines": mine[0]["lines"],
                "to_lines": mine[-1]["lines"],
                "engine_ratio": round(mine[-1]["engine_p50_ms"] / mine[0]["engine_p50_ms"], 2),
                "fill_ratio": round(mine[-1]["fill_p50_ms"] / mine[0]["fill_p50_ms"], 2) if mine[0]["fill_p50_ms"] else None,
            })
    return {"rows": rows, "growth": sorted(growth, key=lambda g: g["cache"]), "skipped": skipped}


def speed_section(ctx: BenchContext) -> dict[str, Any]:
    ctx.engine()
    memory_after_load = peak_rss_mib()
    repeats = ctx.limit(20, 5) or 20
    spans = span_latency(ctx, repeats)
    files = file_latency(ctx, max(3, repeats // 2))
    return {
        "load_s": round(ctx.load_s["default"], 3),
        "peak_rss_mib_after_load": memory_after_load,
        "peak_rss_mib": peak_rss_mib(),
        "span_latency": spans,
        "file_latency": files,
        "compiled": compiled_span_latency(ctx, repeats),
    }


def compiled_span_latency(ctx: BenchContext, repeats: int) -> dict[str, Any]:
    """The span rows again with the engine's steps compiled (``--backend-option compile=on``), where the backend
    can: the load time includes compiling and warming up."""
    try:
        engine = ctx.engine(compiled=True)
    except (TypeError, ValueError) as exc:
        return {"skipped": f"the {ctx.options.backend} backend has no compile option ({exc})"}
    state = engine.describe().get("compile")
    if state != "on":
        return {"skipped": f"compile {state or 'not supported'}"}
    return {"load_s": round(ctx.load_s["compiled"], 3),
            "span_latency": span_latency(ctx, repeats, engine, "span length, compiled")}


def server_section(ctx: BenchContext, script: Path = SERVER_SCRIPT) -> dict[str, Any]:
    """Runs ``bench/server_latency.py`` (owned by the server) and keeps its JSON; skipped when absent."""
    if not script.is_file():
        return {"skipped": f"{script} not found"}
    command = [sys.executable, str(script.relative_to(ROOT) if script.is_relative_to(ROOT) else script), "--repeat", str(3 if ctx.options.quick else 10)]
    if ctx.options.model:
        command += ["--model-path", ctx.options.model]
    if ctx.options.backend != "auto":
        command += ["--backend", ctx.options.backend]
    with ctx.progress("server", 1) as update:
        completed = subprocess.run(command, check=False, capture_output=True, text=True, timeout=1800, cwd=ROOT)
        update()
    if completed.returncode != 0:
        return {"skipped": f"server_latency.py failed ({completed.returncode}): {completed.stderr.strip()[-500:]}"}
    return {"result": json.loads(completed.stdout), "command": " ".join(["python", *command[1:]])}

