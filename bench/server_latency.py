"""Latency of ``unmask serve`` through the wire: process start -> first answer, and per-request round trips.

Starts the real server on stdio (a pygls client, no editor), then measures:

- ``start_to_initialize_s``: process start until the ``initialize`` response (the server answers at once);
- ``start_to_ready_s``: process start until ``unmask/status`` says ``ready`` (model loaded in the background);
- ``start_to_first_fill_s``: process start until the first ``unmask.regenerate`` result;
- per request kind (code action listing, inline completion, regenerate, fill holes): min/median/p90/max
  seconds over ``--repeat`` runs, measured from sending the request to receiving its response.

Prints one JSON object. Not run by the tests. Examples::

    .venv/bin/python bench/server_latency.py                       # the shipped model
    .venv/bin/python bench/server_latency.py --backend fake        # protocol overhead only
    .venv/bin/python bench/server_latency.py --model-path path/to/model --repeat 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

URI = "file:///bench/shapes.py"
SOURCE = """import math


def circle_area(radius):
    return math.pi * radius ** 2


def square_area(side):
    return ___


def total_area(shapes):
    total = 0
    for kind, size in shapes:
        if kind == "circle":
            total += circle_area(size)
        else:
            total += square_area(size)
    return total
"""


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "min_s": round(ordered[0], 4),
        "median_s": round(statistics.median(ordered), 4),
        "p90_s": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 4),
        "max_s": round(ordered[-1], 4),
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"backend": args.backend}
    if args.model_path:
        options["modelPath"] = args.model_path
    if args.steps:
        options["steps"] = args.steps
    client = LanguageClient("unmask-bench", "1")
    ready = asyncio.Event()
    statuses: list[dict[str, Any]] = []
    ready_at: list[float] = []

    @client.feature("unmask/status")
    def on_status(params: Any) -> None:
        status = params._asdict() if hasattr(params, "_asdict") else dict(params)
        statuses.append(status)
        if status["state"] in ("ready", "error") and not ready.is_set():
            ready_at.append(time.perf_counter())
            ready.set()

    @client.feature("unmask/step")
    def on_step(params: Any) -> None:
        pass

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams) -> None:
        pass

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        # The bench keeps the document unchanged so every run measures the same work: decline politely.
        return types.ApplyWorkspaceEditResult(applied=False, failure_reason="benchmark")

    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "unmask.cli", "serve")
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
        workspace=types.WorkspaceClientCapabilities(apply_edit=True),
    )
    await client.initialize_async(
        types.InitializeParams(capabilities=capabilities, initialization_options=options, process_id=None)
    )
    to_initialize = time.perf_counter() - started
    client.initialized(types.InitializedParams())
    item = types.TextDocumentItem(uri=URI, language_id="python", version=1, text=SOURCE)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))

    line = SOURCE.splitlines().index("    return ___")
    body = types.Range(start=types.Position(line, 4), end=types.Position(line, 14))
    regenerate = types.ExecuteCommandParams(
        command="unmask.regenerate",
        arguments=[{"uri": URI, "version": 1, "range": client.protocol._converter.unstructure(body)}],
    )
    await client.workspace_execute_command_async(
        regenerate
    )  # waits for the model, like a user's first request
    to_first_fill = time.perf_counter() - started
    await asyncio.wait_for(ready.wait(), 600)
    first_state = next(s["state"] for s in statuses if s["state"] in ("ready", "error"))
    if first_state == "error":
        raise SystemExit(f"the model failed to load: {statuses[-1].get('message')}")

    requests = {
        "codeAction": lambda: client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                range=body,
                context=types.CodeActionContext(diagnostics=[]),
            )
        ),
        "inlineCompletion": lambda: client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                position=types.Position(len(SOURCE.splitlines()), 0),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        ),
        "regenerate": lambda: client.workspace_execute_command_async(regenerate),
        "fillHoles": lambda: client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="unmask.fillHoles", arguments=[{"uri": URI, "version": 1}])
        ),
    }
    results: dict[str, Any] = {}
    for name, send in requests.items():
        samples = []
        for _ in range(args.repeat):
            begin = time.perf_counter()
            await send()
            samples.append(time.perf_counter() - begin)
        results[name] = summary(samples)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "bench": "server_latency",
        "backend": args.backend,
        "model": statuses[-1].get("model") if statuses else None,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "start_to_initialize_s": round(to_initialize, 4),
        "start_to_first_fill_s": round(to_first_fill, 4),
        "start_to_ready_s": round(ready_at[0] - started, 4),
        "requests": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", default="auto", help="server backend setting (fake: protocol overhead only)"
    )
    parser.add_argument("--model-path", help="model folder (default: the shipped model)")
    parser.add_argument("--steps", type=int, help="denoising steps per fill")
    parser.add_argument("--repeat", type=int, default=10, help="runs per request kind")
    print(json.dumps(asyncio.run(bench(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
