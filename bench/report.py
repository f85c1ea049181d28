"""Render ``docs/benchmarks.md`` and the PNG plots from every ``bench/results/*.json`` present.

The report is rebuilt from the result files, not from the run that just finished, so running one section
(``--only speed``) refreshes its tables and keeps the others (each table says when it was measured).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SECTION_ORDER = ("functions", "likelihood", "compare", "sweep", "spans", "adapters", "latency", "server")
PLOTS = {
    "quality_vs_steps": "bench_quality_vs_steps.png",
    "latency_vs_span": "bench_latency_vs_span.png",
    "latency_vs_file": "bench_latency_vs_file.png",
}
SPAN_TICKS = (8, 16, 32, 64)
#: Targets from the issues (3: model quality, 4: engine speed).
TARGETS = {
    "single": "milestone 15%, goal 30%",
    "multi": "milestone 5%, goal 10%",
    "span32_p50_ms": 50.0,
    "ar_over_diffusion": 3.0,
    "file_growth": 1.3,
}


def load_results(folder: Path) -> dict[str, dict[str, Any]]:
    results = {}
    for name in SECTION_ORDER:
        path = folder / f"{name}.json"
        if path.is_file():
            results[name] = json.loads(path.read_text(encoding="utf-8"))
    return results


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if percent:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], percent: Sequence[str] = ()) -> str:
    """A markdown table of ``rows``; ``columns`` are (key, header); keys in ``percent`` print as percentages."""
    head = "| " + " | ".join(header for _, header in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(row.get(key), key in percent) for key, _ in columns) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def _measured(result: dict[str, Any]) -> str:
    meta = result.get("meta", {})
    limit = meta.get("limit")
    extra = f", --limit {limit}" if limit is not None else ""
    extra += ", --quick" if meta.get("quick") else ""
    extra += f", --threads {meta['threads']}" if meta.get("threads") else ""
    return f"_Measured {meta.get('date', '?')}{extra}._"


QUALITY_PERCENT = ("pass_at_1", "pass_at_1_informative", "parse_valid", "no_new_syntax_errors", "exact_match", "ar_share")


def _headline(results: dict[str, dict[str, Any]]) -> list[str]:
    rows: list[dict[str, Any]] = []
    functions = results.get("functions")
    if functions:
        convention = functions.get("headline_convention", "line")
        for row in functions.get("summary", []):
            if row.get("convention") == convention:
                rows.append({
                    "what": f"{row['kind']}-line holes, pass@1 ({convention} convention, via {functions.get('via')})",
                    "value": _fmt(row["pass_at_1"], True) + f" (n={row['n']})",
                    "target": TARGETS[row["kind"]],
                })
                rows.append({
                    "what": f"{row['kind']}-line holes, no new syntax errors",
                    "value": _fmt(row["no_new_syntax_errors"], True),
                    "target": "100%",
                })
    speed = results.get("latency")
    if speed:
        span = speed["span_latency"]
        diffusion32 = next((r for r in span["rows"] if r["mode"] == "diffusion" and r["span_tokens"] == 32), None)
        if diffusion32:
            rows.append({"what": "32-token span, engine p50 (diffusion)", "value": f"{_fmt(diffusion32['p50_ms'])} ms",
                         "target": f"≤ {TARGETS['span32_p50_ms']:g} ms"})
        for ratio in span["ratios"]:
            if ratio["span_tokens"] in (32, 64):
                tokens = f" ({_fmt(ratio.get('diffusion_tokens'))} vs {_fmt(ratio.get('ar_tokens'))} tokens)"
                rows.append({"what": f"AR / diffusion wall time, {ratio['span_tokens']}-token span",
                             "value": f"{_fmt(ratio['ar_over_diffusion_p50'])}×{tokens}",
                             "target": f"≥ {TARGETS['ar_over_diffusion']:g}×"})
        compiled = speed.get("compiled", {}).get("span_latency")
        if compiled:
            row = next((r for r in compiled["rows"] if r["mode"] == "diffusion" and r["span_tokens"] == 32), None)
            if row:
                rows.append({"what": "32-token span, engine p50 (diffusion, steps compiled)",
                             "value": f"{_fmt(row['p50_ms'])} ms", "target": f"≤ {TARGETS['span32_p50_ms']:g} ms"})
            for ratio in compiled["ratios"]:
                if ratio["span_tokens"] in (32, 64):
                    rows.append({"what": f"AR / diffusion wall time, {ratio['span_tokens']}-token span, both compiled",
                                 "value": f"{_fmt(ratio['ar_over_diffusion_p50'])}×",
                                 "target": f"≥ {TARGETS['ar_over_diffusion']:g}×"})
        for growth in speed["file_latency"]["growth"]:
            rows.append({"what": f"{growth['to_lines']}-line vs {growth['from_lines']}-line file, engine p50 (cache {growth['cache']})",
                         "value": f"{_fmt(growth['engine_ratio'])}×", "target": f"≤ {TARGETS['file_growth']:g}×"})
            if growth.get("fill_ratio") is not None:
                rows.append({"what": f"{growth['to_lines']}-line vs {growth['from_lines']}-line file, whole fill p50 (plan, fill, validate; cache {growth['cache']})",
                             "value": f"{_fmt(growth['fill_ratio'])}×", "target": f"≤ {TARGETS['file_growth']:g}×"})
    if not rows:
        return []
    return ["## Headline", "", table(rows, [("what", "measure"), ("value", "result"), ("target", "target")]), ""]


def _functions(result: dict[str, Any]) -> list[str]:
    dataset = result["dataset"]
    lines = [
        "## Functional correctness (held-out functions with tests)",
        "",
        _measured(result),
        "",
        (f"{dataset['functions']} functions written for this benchmark (`bench/data/functions/`, never in the "
        f"training data); {dataset['holes']['single']} single-line and {dataset['holes']['multi']} multi-line holes, "
        f"of which {dataset['selected']['single']} and {dataset['selected']['multi']} were run. The original "
        f"programs pass their tests: {_fmt(dataset['reference_pass'], True)}. A hole is *trivial* when the tests "
        f"still pass with `pass` in its place ({_fmt(dataset['trivial_share']['single'], True)} of single-line, "
        f"{_fmt(dataset['trivial_share']['multi'], True)} of multi-line holes); *informative* excludes them. "
        f"Fills come through `{'unmask fill --jsonl' if result['via'] == 'jsonl' else 'the engine in-process'}`; "
        "*parse-valid* means the filled program compiles (`ast.parse`, which also catches indentation errors); "
        "*no new syntax errors*: tree-sitter finds no more errors than in the original program. Conventions: `line` = prefix ends with the newline before the line (the hole holds its "
        "indentation), `indent` = prefix ends with the indentation, `newline` = the hole also holds the line break."),
        "",
        *_overlap(dataset.get("overlap")),
        table(result["summary"], [
            ("convention", "convention"), ("kind", "hole"), ("n", "n"), ("pass_at_1", "pass@1"),
            ("pass_at_1_informative", "pass@1 informative"), ("parse_valid", "parse-valid"),
            ("no_new_syntax_errors", "no new syntax errors"), ("exact_match", "exact"),
            ("edit_similarity", "edit sim"), ("p50_ms", "p50 ms"), ("ar_share", "AR share"),
        ], QUALITY_PERCENT),
        "",
    ]
    return lines


def _overlap(overlap: dict[str, Any] | None) -> list[str]:
    if not overlap:
        return []
    shared = overlap["lines_in_training"]
    examples = "; ".join(f"`{line.split(': ', 1)[1]}`" for line in shared[:4])
    return [
        (f"Contamination check: of {overlap['lines_checked']} body lines of at least {overlap['min_chars']} characters, "
         f"{len(shared)} occur verbatim in the training split" + (f" (idioms such as {examples})." if shared else ".")
         + (f" Checked {overlap['checked_on']}: the corpus was not on the machine of this run." if overlap.get("checked_on") else "")),
        "",
    ]


def _compare(result: dict[str, Any]) -> list[str]:
    lines = [
        "## Diffusion vs AR, predicted vs oracle length (same weights, function tasks)",
        "",
        _measured(result),
        "",
        (f"`{result['convention']}` convention, in-process. *auto*: what users get (AR when nothing but whitespace "
        "follows the hole, else diffusion); *diffusion*: always diffusion, the engine picks the length; *ar*: "
        "left-to-right from the prefix only, cut by the syntax-aware stop rule; *oracle_length*: diffusion with "
        "the reference's length in tokens given (`HoleSpec(length_tokens=…)`)."),
        "",
        table(result["summary"], [
            ("variant", "variant"), ("kind", "hole"), ("n", "n"), ("pass_at_1", "pass@1"),
            ("parse_valid", "parse-valid"), ("no_new_syntax_errors", "no new syntax errors"),
            ("exact_match", "exact"), ("edit_similarity", "edit sim"), ("p50_ms", "p50 ms"),
            ("forward_passes", "forward passes"),
        ], QUALITY_PERCENT),
        "",
    ]
    for note in result.get("skipped", []):
        lines += [f"Skipped: {note}", ""]
    return lines


def _likelihood(result: dict[str, Any]) -> list[str]:
    if "rows" not in result:
        return ["## Reference likelihood", "", f"Skipped: {result.get('skipped', '?')}", ""]
    return [
        "## Reference likelihood (the true fill, scored left to right)",
        "",
        _measured(result),
        "",
        (f"`{result['convention']}` convention. Each reference token (and the filler that ends the fill) is predicted "
         "with the tokens before it revealed and the rest of a canvas of masks, as the engine's blocks decode. "
         "Lower NLL (nats per token) and higher top-1 mean a better model; unlike pass@1 this moves with every "
         "improvement. *no pointer*: the same weights without the context pointer."),
        "",
        table(result["rows"], [("variant", "variant"), ("kind", "hole"), ("n", "n"), ("tokens", "tokens"),
                               ("nll_per_token", "NLL / token"), ("top1", "top-1")], ("top1",)),
        "",
    ]


def _sweep(result: dict[str, Any], plots: dict[str, str]) -> list[str]:
    rows = [dict(row, steps=row["steps"] if row["steps"] is not None else "all") for row in result["summary"]]
    lines = [
        "## Quality vs steps and threshold",
        "",
        _measured(result),
        "",
        ("Single-line function tasks, diffusion forced. *steps* rows: fixed-step decoding (threshold 1.0) with "
        "that step budget (*all*: one token per step); *threshold* rows: parallel decoding committing every "
        "token above the threshold, at least one per step."),
        "",
        table(rows, [
            ("sweep", "sweep"), ("steps", "steps"), ("threshold", "threshold"), ("n", "n"),
            ("pass_at_1", "pass@1"), ("exact_match", "exact"), ("edit_similarity", "edit sim"),
            ("forward_passes", "forward passes"), ("p50_ms", "p50 ms"),
        ], QUALITY_PERCENT),
        "",
    ]
    if "quality_vs_steps" in plots:
        lines += [f"![quality vs steps]({plots['quality_vs_steps']})", ""]
    return lines


def _spans(result: dict[str, Any]) -> list[str]:
    if "skipped" in result:
        return ["## Span infill by node kind (held-out code)", "", f"Skipped: {result['skipped']}", ""]
    return [
        "## Span infill by node kind (held-out code)",
        "",
        _measured(result),
        "",
        (f"Up to {result['per_kind']} spans per kind sampled (seeded) from the held-out split `{result['heldout']}`, "
        "the rest of the file as context. *diffusion*: the engine knows the node kind (its length prior) but not "
        "the original; *ar*: prefix only, cut by the stop rule; *oracle_length*: diffusion given the reference "
        "length in tokens. *parse-valid*: tree-sitter finds no more syntax errors in the filled file than in the "
        "original; *compiles*: Python's own parser accepts the filled file (tree-sitter does not flag indentation "
        "errors); *engine-valid*: the engine's own check, which compares with the file *without* the span (so "
        "an empty fill of a required expression passes it)."),
        "",
        table(result["summary"], [
            ("kind", "kind"), ("variant", "variant"), ("n", "n"), ("exact_match", "exact"),
            ("parse_valid", "parse-valid"), ("compiles", "compiles"), ("engine_valid", "engine-valid"),
            ("edit_similarity", "edit sim"), ("p50_ms", "p50 ms"),
        ], ("exact_match", "parse_valid", "compiles", "engine_valid")),
        "",
    ]


def _speed(result: dict[str, Any], plots: dict[str, str]) -> list[str]:
    span = result["span_latency"]
    files = result["file_latency"]
    lines = [
        "## Speed",
        "",
        _measured(result),
        "",
        (f"Model load {result['load_s']} s; peak resident memory {result['peak_rss_mib_after_load']} MiB after "
        f"loading, {result['peak_rss_mib']} MiB after the speed runs (`getrusage` high-water mark of the bench "
        "process)."),
        "",
        f"### Latency by span length (engine only, {span['contexts']} holes per length, diffusion and AR interleaved)",
        "",
        ("For each span length L: holes of the function dataset whose reference is closest to L tokens; diffusion "
         "gets a canvas of exactly L tokens (it may end early with filler), AR at most L tokens without a stop rule. "
         "*tokens*: real tokens produced; passes/token and tokens/s count those."),
        "",
        table(span["rows"], [
            ("mode", "mode"), ("span_tokens", "span tokens"), ("reference_tokens", "reference tokens"), ("n", "n"),
            ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"),
            ("forward_passes", "forward passes"), ("tokens", "tokens"), ("passes_per_token", "passes / token"),
            ("tokens_per_s", "tokens/s"),
        ]),
        "",
        table(span["ratios"], [
            ("span_tokens", "span tokens"), ("ar_over_diffusion_p50", "AR p50 / diffusion p50"),
            ("diffusion_tokens", "diffusion tokens"), ("ar_tokens", "AR tokens"),
        ]),
        "",
    ]
    if "latency_vs_span" in plots:
        lines += [f"![latency vs span length]({plots['latency_vs_span']})", ""]
    compiled = result.get("compiled", {})
    lines += ["### The same with the steps compiled (`--backend-option compile=on`)", ""]
    if "span_latency" in compiled:
        lines += [
            (f"The per-step forward calls of both modes go through `torch.compile` (inductor, C++ kernels; the first "
             f"pass of a fill stays eager). Loading took {compiled['load_s']} s including compiling and warming up "
             "(much less once inductor's on-disk cache holds the graphs). Same holes, same order."),
            "",
            table(compiled["span_latency"]["rows"], [
                ("mode", "mode"), ("span_tokens", "span tokens"), ("n", "n"), ("p50_ms", "p50 ms"),
                ("p95_ms", "p95 ms"), ("forward_passes", "forward passes"), ("tokens", "tokens"),
                ("tokens_per_s", "tokens/s"),
            ]),
            "",
            table(compiled["span_latency"]["ratios"], [
                ("span_tokens", "span tokens"), ("ar_over_diffusion_p50", "AR p50 / diffusion p50"),
                ("diffusion_tokens", "diffusion tokens"), ("ar_tokens", "AR tokens"),
            ]),
            "",
        ]
    else:
        lines += [f"Not measured: {compiled.get('skipped', 'not run')}.", ""]
    lines += [
        "### Latency vs file length (a line removed from the middle of the file)",
        "",
        ("Every file has the same two functions of the dataset in its middle, with the same code next to them, "
         "and the holes are the same lines of those functions in every size: only the file's length changes. "
         "*actual lines*: whole functions are added until the size is reached. The sizes take turns, one hole of "
         "each at a time, so a change in the machine's load touches every size alike; *forward passes*: the mean "
         "per engine fill (the fills may differ with the code around the core). "
         "*engine*: the model alone, one 16-token canvas; *fill*: plan, fill (the engine's own length choice: "
         "several canvas sizes in one batch) and validate, as the CLI and server do. Validation parses the file "
         "with the hole cut once, incrementally from the previous fill's parse when there is one (as while "
         "editing; the first fill in a new 10,000-line file pays a full parse, about 40 ms), and in Python judges "
         "each candidate on the top-level statements that hold it when the file parses cleanly. `block` (the default): every position's keys/values cached after the first step, a "
        "step recomputes only the current block; `dual`: context keys/values cached, the canvas recomputed each "
        "step (both approximations, see `unmask/model/backends/embedded.py`); `none`: every step recomputes the "
        "whole window (exact)."),
        "",
        table(files["rows"], [
            ("lines", "lines"), ("actual_lines", "actual lines"), ("cache", "cache"), ("n", "n"),
            ("engine_p50_ms", "engine p50 ms"),
            ("engine_p95_ms", "engine p95 ms"), ("engine_passes", "forward passes"), ("fill_p50_ms", "fill p50 ms"),
            ("fill_p95_ms", "fill p95 ms"),
        ]),
        "",
    ]
    for note in files.get("skipped", []):
        lines += [f"Skipped: {note}", ""]
    if "latency_vs_file" in plots:
        lines += [f"![latency vs file length]({plots['latency_vs_file']})", ""]
    return lines


def _adapters(result: dict[str, Any]) -> list[str]:
    lines = ["## Adapters (smoke rows, tiny random models)", ""]
    if "skipped" in result:
        return lines + [f"Skipped: {result['skipped']}", ""]
    rows = [dict(row, modes=", ".join(row.get("modes", []))) for row in result["rows"]]
    return lines + [
        _measured(result),
        "",
        (f"Each adapter on a tiny randomly initialised model (built by the backend tests' helpers) or a local "
         f"HTTP server, filling {result['tasks']} single-line function tasks end to end (plan, engine, "
         "validation; at most 12 tokens). Random weights: this shows the adapter runs and its overhead, not quality."),
        "",
        table(rows, [
            ("adapter", "adapter"), ("backend", "backend"), ("parameters", "parameters"), ("ok", "ok"),
            ("modes", "modes"), ("p50_ms", "p50 ms"), ("forward_passes", "forward passes"), ("error", "error"),
        ]),
        "",
    ]


def _server(result: dict[str, Any]) -> list[str]:
    lines = ["## Through the wire (`unmask serve`)", ""]
    if "skipped" in result:
        return lines + [f"Skipped: {result['skipped']}", ""]
    data = result["result"]
    lines += [
        _measured(result),
        "",
        (f"`{result['command']}`: process start to `initialize` {data.get('start_to_initialize_s')} s, to model "
        f"ready {data.get('start_to_ready_s')} s, to the first fill {data.get('start_to_first_fill_s')} s."),
        "",
    ]
    requests = [{"request": name, **values} for name, values in data.get("requests", {}).items()]
    if requests:
        keys = [k for k in requests[0] if k != "request"]
        lines += [table(requests, [("request", "request"), *((k, k) for k in keys)]), ""]
    return lines


def _header(results: dict[str, dict[str, Any]]) -> list[str]:
    latest = max(results.values(), key=lambda r: r.get("meta", {}).get("date", ""))
    meta = latest.get("meta", {})
    machine = meta.get("machine", {})
    model = meta.get("model", {})
    model_text = ", ".join(f"{k} {v}" for k, v in model.items() if v is not None)
    return [
        "# Benchmarks",
        "",
        ("Generated by `unmask bench` from `bench/results/*.json`; do not edit by hand. Regenerate everything "
        "(the shipped model; about an hour on a 2-core laptop, `--quick` takes minutes) with:"),
        "",
        "```",
        "unmask bench      # or bench/run; add --threads 1 while anything else (training) uses the CPU",
        "```",
        "",
        f"The latest run here was `{meta.get('command') or 'unmask bench'}`.",
        "",
        f"- Date: {meta.get('date')}",
        (f"- Machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('platform')}, "
        f"Python {machine.get('python')}, torch {machine.get('torch')}"),
        f"- Model: {model_text}",
        "",
    ]


def plot(results: dict[str, dict[str, Any]], docs: Path) -> dict[str, str]:
    """Write the PNGs whose data is present; returns {plot: file name}. Needs matplotlib (the `bench` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    docs.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    sweep = results.get("sweep")
    if sweep:
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
        metrics = (("pass_at_1", "pass@1"), ("exact_match", "exact match"), ("edit_similarity", "edit similarity"))
        steps = [r for r in sweep["summary"] if r["sweep"] == "steps"]
        labels = [str(r["steps"]) if r["steps"] is not None else "all" for r in steps]
        for key, label in metrics:
            left.plot(labels, [r[key] for r in steps], marker="o", label=label)
        left.set_xlabel("denoising steps (fixed-step mode)")
        left.set_ylabel("single-line holes")
        thresholds = [r for r in sweep["summary"] if r["sweep"] == "threshold"]
        for key, label in metrics:
            right.plot([r["threshold"] for r in thresholds], [r[key] for r in thresholds], marker="o", label=label)
        right.set_xlabel("confidence threshold τ")
        right.legend(fontsize="small")
        left.set_ylim(0, 1)
        fig.suptitle("Quality vs steps and threshold")
        fig.tight_layout()
        fig.savefig(docs / PLOTS["quality_vs_steps"], dpi=110)
        plt.close(fig)
        written["quality_vs_steps"] = PLOTS["quality_vs_steps"]
    speed = results.get("latency")
    if speed:
        fig, axis = plt.subplots(figsize=(5.5, 3.5))
        for mode in ("diffusion", "ar"):
            rows = [r for r in speed["span_latency"]["rows"] if r["mode"] == mode]
            axis.plot([r["span_tokens"] for r in rows], [r["p50_ms"] for r in rows], marker="o", label=f"{mode} p50")
        axis.set_xscale("log", base=2)
        axis.set_xticks(list(SPAN_TICKS), [str(tick) for tick in SPAN_TICKS])
        axis.set_xlabel("span length (tokens)")
        axis.set_ylabel("engine latency (ms)")
        axis.legend()
        axis.set_title("Latency vs span length")
        fig.tight_layout()
        fig.savefig(docs / PLOTS["latency_vs_span"], dpi=110)
        plt.close(fig)
        written["latency_vs_span"] = PLOTS["latency_vs_span"]
        fig, axis = plt.subplots(figsize=(5.5, 3.5))
        rows = speed["file_latency"]["rows"]
        for index, cache in enumerate(sorted({r["cache"] for r in rows})):
            mine = sorted((r for r in rows if r["cache"] == cache), key=lambda r: r["lines"])
            color = f"C{index}"
            axis.plot([r["lines"] for r in mine], [r["engine_p50_ms"] for r in mine], marker="o", color=color,
                      label=f"engine, cache {cache}")
            axis.plot([r["lines"] for r in mine], [r["fill_p50_ms"] for r in mine], marker="s", linestyle="--",
                      color=color, label=f"fill, cache {cache}")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("file length (lines)")
        axis.set_ylabel("p50 latency (ms)")
        axis.legend(fontsize="small")
        axis.set_title("Latency vs file length")
        fig.tight_layout()
        fig.savefig(docs / PLOTS["latency_vs_file"], dpi=110)
        plt.close(fig)
        written["latency_vs_file"] = PLOTS["latency_vs_file"]
    return written


def render(results: dict[str, dict[str, Any]], plots: dict[str, str]) -> str:
    if not results:
        return "# Benchmarks\n\nNo results yet: run `unmask bench`.\n"
    lines = _header(results) + _headline(results)
    if "functions" in results:
        lines += _functions(results["functions"])
    if "likelihood" in results:
        lines += _likelihood(results["likelihood"])
    if "compare" in results:
        lines += _compare(results["compare"])
    if "sweep" in results:
        lines += _sweep(results["sweep"], plots)
    if "spans" in results:
        lines += _spans(results["spans"])
    if "adapters" in results:
        lines += _adapters(results["adapters"])
    if "latency" in results:
        lines += _speed(results["latency"], plots)
    if "server" in results:
        lines += _server(results["server"])
    return "\n".join(lines).rstrip() + "\n"


def write_report(results_dir: Path, docs: Path, make_plots: bool = True) -> Path:
    results = load_results(results_dir)
    plots = plot(results, docs) if make_plots else {}
    docs.mkdir(parents=True, exist_ok=True)
    path = docs / "benchmarks.md"
    path.write_text(render(results, plots), encoding="utf-8")
    return path
