"""Run the chosen benchmark sections, write ``bench/results/<section>.json``, then render the report.

Sections: ``functions`` (pass@1 through ``unmask fill --jsonl``), ``likelihood`` (the reference fills'
NLL per token and top-1 accuracy, pointer on and off), ``compare`` (diffusion vs AR vs oracle
length), ``sweep`` (steps / threshold), ``spans`` (held-out spans by node kind), ``latency`` (engine
latency, cache, memory), ``server`` (through the wire). Groups: ``quality`` = functions, likelihood,
compare, sweep, spans; ``speed`` = latency, server; ``all`` adds ``adapters`` (a smoke row per engine adapter).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.adapters import adapters_section
from bench.context import BenchContext, BenchOptions
from bench.likelihood import likelihood_section
from bench.quality import FunctionSuite, compare_section, functions_section, spans_section, sweep_section
from bench.report import write_report
from bench.speed import server_section, speed_section

SECTIONS: tuple[str, ...] = ("functions", "likelihood", "compare", "sweep", "spans", "adapters", "latency", "server")
GROUPS: dict[str, tuple[str, ...]] = {
    "quality": ("functions", "likelihood", "compare", "sweep", "spans"),
    "speed": ("latency", "server"),
    "all": SECTIONS,
}
#: Sections that need the function suite (its reference and placeholder runs are shared).
NEEDS_SUITE = frozenset({"functions", "compare", "sweep"})


def parse_only(value: str | None) -> list[str]:
    """``"quality,server"`` -> the sections, in run order; raises ValueError for an unknown name."""
    if not value:
        return list(SECTIONS)
    chosen: set[str] = set()
    for name in (part.strip() for part in value.split(",")):
        if name in GROUPS:
            chosen.update(GROUPS[name])
        elif name in SECTIONS:
            chosen.add(name)
        else:
            raise ValueError(f"unknown section {name!r}; choose from {', '.join([*GROUPS, *SECTIONS])}")
    return [name for name in SECTIONS if name in chosen]


def run_bench(options: BenchOptions, sections: Sequence[str], log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run ``sections`` and write their JSON; returns {section: path or skip reason}."""
    say = log or (lambda message: print(message, file=sys.stderr))
    ctx = BenchContext(options)
    engine = ctx.engine()  # load once, early: a broken model fails before any work
    say(f"unmask bench: model {engine.describe().get('name')}, sections {', '.join(sections)}")
    suite: FunctionSuite | None = None
    written: dict[str, Any] = {}
    for section in sections:
        started = time.perf_counter()
        if section in NEEDS_SUITE and suite is None:
            suite = FunctionSuite(ctx, ctx.limit(None, 10))
        payload: dict[str, Any]
        if section == "functions":
            assert suite is not None
            payload = functions_section(ctx, suite)
        elif section == "compare":
            assert suite is not None
            # four variants: without --limit/--quick at most 100 holes per kind
            cap = None if ctx.options.limit is not None or ctx.options.quick else 100
            payload = compare_section(ctx, suite.limited(cap))
        elif section == "sweep":
            assert suite is not None
            payload = sweep_section(ctx, suite)
        elif section == "likelihood":
            payload = likelihood_section(ctx)
        elif section == "spans":
            payload = spans_section(ctx)
        elif section == "adapters":
            payload = adapters_section(ctx)
        elif section == "latency":
            payload = speed_section(ctx)
        else:
            payload = server_section(ctx)
        payload["wall_s"] = round(time.perf_counter() - started, 1)
        path = ctx.write(section, payload)
        written[section] = str(path)
        say(f"  {section}: {payload['wall_s']} s -> {path}" + (f" (skipped: {payload['skipped']})" if isinstance(payload.get("skipped"), str) else ""))
    report = write_report(options.out, options.docs, options.plots)
    written["report"] = str(report)
    say(f"  report -> {report}")
    return written

