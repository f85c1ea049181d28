"""``workspace/executeCommand``: the ``unmask.*`` commands. Each takes one JSON object argument.

Commands that edit (regenerate, regenerateEnclosing, fillHoles, reroll) compute on the snapshot of the version
they name and return ``{"applied": bool, "reason"?: str}``; ``alternatives`` applies nothing and returns
``{"alternatives": [{"text", "score", "valid", "edit"}]}``. See docs/protocol.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from unmask.editing import FillPlan, edits_for, plan_enclosing, plan_holes, plan_range
from unmask.model.api import Candidate, FillRequest
from unmask.server.convert import LineIndex, versioned_workspace_edit
from unmask.server.errors import CONTENT_MODIFIED, lsp_errors
from unmask.server.features.generate import (
    Generation,
    apply_generation,
    document_language,
    generate,
    request_options,
    stale_reason,
)
from unmask.server.jobs import Snapshot

if TYPE_CHECKING:
    from unmask.server.app import UnmaskServer

REGENERATE = "unmask.regenerate"
REGENERATE_ENCLOSING = "unmask.regenerateEnclosing"
FILL_HOLES = "unmask.fillHoles"
ALTERNATIVES = "unmask.alternatives"
REROLL = "unmask.reroll"


# -- plans shared with code actions ----------------------------------------------------------------


def plan_selection(
    ls: UnmaskServer, snapshot: Snapshot, start: int, end: int, *, snap: bool = True
) -> FillPlan:
    return plan_range(
        snapshot.text, document_language(ls, snapshot), start, end, snap=snap, **request_options(ls)
    )


def plan_enclosing_node(ls: UnmaskServer, snapshot: Snapshot, offset: int, level: int) -> FillPlan:
    return plan_enclosing(
        snapshot.text, document_language(ls, snapshot), offset, level, **request_options(ls)
    )


def plan_all_holes(ls: UnmaskServer, snapshot: Snapshot) -> FillPlan:
    language = document_language(ls, snapshot)
    if ls.settings.hole_marker is not None:
        return plan_holes(snapshot.text, language, marker=ls.settings.hole_marker, **request_options(ls))
    return plan_holes(snapshot.text, language, **request_options(ls))


def plan_reroll(ls: UnmaskServer, snapshot: Snapshot) -> FillPlan:
    """Re-mask the low-confidence tokens of the document's last fill, now that it is in the text.

    Valid only while the document is exactly the text that fill produced; each filled span becomes a hole
    whose draft is the previous tokens (confident ones stay pinned).
    """
    last = ls.last_generation.get(snapshot.uri)
    if last is None:
        raise JsonRpcInvalidParams(message=f"nothing to re-roll: no fill has run on {snapshot.uri}")
    if last.new_text != snapshot.text:
        raise JsonRpcInvalidParams(message="nothing to re-roll: the document changed since the last fill")
    spans: list[tuple[int, int]] = []
    shift = 0
    for edit in sorted(last.placed, key=lambda edit: edit.start):
        start = edit.start + shift
        spans.append((start, start + len(edit.new_text)))
        shift += len(edit.new_text) - (edit.end - edit.start)
    text = snapshot.text
    cuts = [0, *(offset for span in spans for offset in span), len(text)]
    segments = tuple(text[cuts[i] : cuts[i + 1]] for i in range(0, len(cuts), 2))
    tokens = last.candidate.tokens
    holes = tuple(
        replace(hole, draft=tokens[i] if i < len(tokens) else None, original=text[start:end])
        for i, (hole, (start, end)) in enumerate(zip(last.plan.request.holes, spans, strict=True))
    )
    request: FillRequest = replace(last.plan.request, segments=segments, holes=holes, mode="diffusion")
    return replace(last.plan, text=text, spans=tuple(spans), request=request)


# -- argument handling -----------------------------------------------------------------------------


def _argument(arguments: tuple[Any, ...]) -> dict[str, Any]:
    if len(arguments) != 1 or not isinstance(arguments[0], dict):
        raise JsonRpcInvalidParams(message="unmask commands take exactly one JSON object argument")
    return arguments[0]


def _field(args: dict[str, Any], name: str, kind: type, default: Any = ...) -> Any:
    if name not in args:
        if default is ...:
            raise JsonRpcInvalidParams(message=f"missing argument {name!r}")
        return default
    value = args[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise JsonRpcInvalidParams(message=f"argument {name!r} must be a {kind.__name__}, got {value!r}")
    return value


def _structure(ls: UnmaskServer, value: Any, kind: type, name: str) -> Any:
    try:
        return ls.protocol._converter.structure(value, kind)
    except Exception as exc:
        raise JsonRpcInvalidParams(
            message=f"argument {name!r} is not an LSP {kind.__name__}: {value!r}"
        ) from exc


def _snapshot_for(ls: UnmaskServer, args: dict[str, Any]) -> tuple[Snapshot, str | None]:
    """The document's snapshot and, if the command names another version than the current one, why not."""
    uri, version = _field(args, "uri", str), _field(args, "version", int)
    snapshot = ls.documents.snapshot(uri)
    if snapshot.version != version:
        return snapshot, f"the request is for version {version} but the document is at {snapshot.version}"
    return snapshot, None


# -- the commands ----------------------------------------------------------------------------------


async def _run_and_apply(
    ls: UnmaskServer, args: dict[str, Any], title: str, make_plan: Callable[[Snapshot], FillPlan]
) -> dict[str, object]:
    with lsp_errors(ls):
        snapshot, stale = _snapshot_for(ls, args)
        if stale is not None:
            return {"applied": False, "reason": stale}
        plan = make_plan(snapshot)
        generation = await generate(ls, snapshot, plan, title=title)
    return await apply_generation(ls, generation, f"unmask: {title}")


async def regenerate(ls: UnmaskServer, *arguments: Any) -> dict[str, object]:
    args = _argument(arguments)
    range_ = _structure(ls, _field(args, "range", dict), types.Range, "range")
    snap = _field(args, "snap", bool, True)

    def make_plan(snapshot: Snapshot) -> FillPlan:
        start, end = LineIndex(snapshot.text).span(range_)
        return plan_selection(ls, snapshot, start, end, snap=snap)

    return await _run_and_apply(ls, args, "regenerate", make_plan)


async def regenerate_enclosing(ls: UnmaskServer, *arguments: Any) -> dict[str, object]:
    args = _argument(arguments)
    position = _structure(ls, _field(args, "position", dict), types.Position, "position")
    level = _field(args, "level", int, 0)
    if level < 0:
        raise JsonRpcInvalidParams(message="argument 'level' must be >= 0")

    def make_plan(snapshot: Snapshot) -> FillPlan:
        return plan_enclosing_node(ls, snapshot, LineIndex(snapshot.text).offset(position), level)

    return await _run_and_apply(ls, args, "regenerate enclosing node", make_plan)


async def fill_holes(ls: UnmaskServer, *arguments: Any) -> dict[str, object]:
    args = _argument(arguments)
    return await _run_and_apply(ls, args, "fill holes", lambda snapshot: plan_all_holes(ls, snapshot))


async def reroll(ls: UnmaskServer, *arguments: Any) -> dict[str, object]:
    args = _argument(arguments)
    return await _run_and_apply(ls, args, "re-roll", lambda snapshot: plan_reroll(ls, snapshot))


async def alternatives(ls: UnmaskServer, *arguments: Any) -> dict[str, object]:
    args = _argument(arguments)
    range_ = _structure(ls, _field(args, "range", dict), types.Range, "range")
    count = _field(args, "count", int, 3)
    if not 1 <= count <= 16:
        raise JsonRpcInvalidParams(message="argument 'count' must be between 1 and 16")
    with lsp_errors(ls):
        snapshot, stale = _snapshot_for(ls, args)
        if stale is not None:
            raise JsonRpcException(message=stale, code=CONTENT_MODIFIED)
        start, end = LineIndex(snapshot.text).span(range_)
        plan = plan_selection(ls, snapshot, start, end)
        plan = replace(plan, request=replace(plan.request, candidates=count))
        generation = await generate(ls, snapshot, plan, title="alternatives")
    reason = stale_reason(ls, snapshot)
    if reason is not None:
        raise JsonRpcException(message=reason, code=CONTENT_MODIFIED)
    return {
        "alternatives": [
            _alternative(ls, generation, candidate) for candidate in generation.result.candidates
        ]
    }


def _alternative(ls: UnmaskServer, generation: Generation, candidate: Candidate) -> dict[str, object]:
    edits = edits_for(generation.plan, candidate)
    snapshot = generation.snapshot
    edit = versioned_workspace_edit(snapshot.uri, snapshot.version, LineIndex(snapshot.text), edits)
    return {
        "text": "".join(edit.new_text for edit in edits),
        "score": candidate.score,
        "valid": candidate.valid,
        "edit": ls.protocol._converter.unstructure(edit),
    }


COMMANDS: dict[str, Callable[..., Awaitable[dict[str, object]]]] = {
    REGENERATE: regenerate,
    REGENERATE_ENCLOSING: regenerate_enclosing,
    FILL_HOLES: fill_holes,
    ALTERNATIVES: alternatives,
    REROLL: reroll,
}
