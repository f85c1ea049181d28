"""Range ``textDocument/codeAction`` (kind ``refactor.rewrite``) and ``codeAction/resolve``.

Listing actions is cheap (a parse, no model): "Regenerate selection", "Regenerate enclosing <kind>" for each
enclosing named node, "Fill this hole" and "Fill all holes in file". The edit is computed only when the client
resolves an action. Clients that cannot resolve ``edit`` get the same actions carrying an ``unmask.*``
command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cattrs import ClassValidationError
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from unmask.editing import FillPlan, enclosing_kinds
from unmask.grammar.errors import GrammarError
from unmask.server.convert import LineIndex, versioned_workspace_edit
from unmask.server.errors import CONTENT_MODIFIED, lsp_errors, request_failed
from unmask.server.features import commands
from unmask.server.features.generate import document_language, generate, invalid_reason, stale_reason
from unmask.server.jobs import Snapshot

if TYPE_CHECKING:
    from unmask.server.app import UnmaskServer

KIND = types.CodeActionKind.RefactorRewrite
#: The most "Regenerate enclosing" actions offered (innermost first): beyond that the menu gets noisy.
MAX_ENCLOSING = 5


def _wanted(params: types.CodeActionParams) -> bool:
    only = params.context.only
    return not only or any(KIND == kind or KIND.value.startswith(f"{kind}.") for kind in only)


def _action(ls: UnmaskServer, title: str, data: dict[str, Any], command: types.Command) -> types.CodeAction:
    if ls.client_resolves_code_action_edits:
        return types.CodeAction(title=title, kind=KIND, data=data)
    return types.CodeAction(title=title, kind=KIND, command=command)


def code_action(ls: UnmaskServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    if not _wanted(params):
        return None
    with lsp_errors(ls):
        snapshot = ls.documents.snapshot(params.text_document.uri)
        index = LineIndex(snapshot.text)
        start, end = index.span(params.range)
        language = document_language(ls, snapshot)
    base = {"uri": snapshot.uri, "version": snapshot.version}
    range_json = ls.protocol._converter.unstructure(params.range)
    actions: list[types.CodeAction] = []
    if start < end:
        args = {**base, "range": range_json}
        actions.append(
            _action(
                ls,
                "Regenerate selection",
                {**args, "action": "selection"},
                types.Command(title="Regenerate selection", command=commands.REGENERATE, arguments=[args]),
            )
        )
    position_json = ls.protocol._converter.unstructure(params.range.start)
    try:  # without a grammar the levels are line, paragraph, document
        enclosing = enclosing_kinds(snapshot.text, language, start)[:MAX_ENCLOSING]
    except GrammarError:
        enclosing = []
    for level, (kind, _, _) in enumerate(enclosing):
        title = f"Regenerate enclosing {kind}"
        args = {**base, "position": position_json, "level": level}
        actions.append(
            _action(
                ls,
                title,
                {**args, "action": "enclosing"},
                types.Command(title=title, command=commands.REGENERATE_ENCLOSING, arguments=[args]),
            )
        )
    try:
        holes = commands.plan_all_holes(ls, snapshot).spans
    except GrammarError:  # NoHoles, or no grammar to find holes with
        holes = ()
    for hole_start, hole_end in holes:
        if hole_start <= start and end <= hole_end:
            args = {
                **base,
                "range": ls.protocol._converter.unstructure(index.range(hole_start, hole_end)),
                "snap": False,
            }
            actions.append(
                _action(
                    ls,
                    "Fill this hole",
                    {**args, "action": "hole"},
                    types.Command(title="Fill this hole", command=commands.REGENERATE, arguments=[args]),
                )
            )
            break
    if holes:
        actions.append(
            _action(
                ls,
                "Fill all holes in file",
                {**base, "action": "holes"},
                types.Command(title="Fill all holes in file", command=commands.FILL_HOLES, arguments=[base]),
            )
        )
    return actions


def _plan_for(ls: UnmaskServer, snapshot: Snapshot, data: dict[str, Any]) -> FillPlan:
    index = LineIndex(snapshot.text)
    action = data.get("action")
    if action in ("selection", "hole"):
        start, end = index.span(ls.protocol._converter.structure(data["range"], types.Range))
        return commands.plan_selection(ls, snapshot, start, end, snap=action == "selection")
    if action == "enclosing":
        offset = index.offset(ls.protocol._converter.structure(data["position"], types.Position))
        return commands.plan_enclosing_node(ls, snapshot, offset, int(data["level"]))
    if action == "holes":
        return commands.plan_all_holes(ls, snapshot)
    raise JsonRpcInvalidParams(message=f"not an unmask code action: {data!r}")


async def resolve_code_action(ls: UnmaskServer, action: types.CodeAction) -> types.CodeAction:
    """Compute the action's edit for the version it was offered on; ContentModified if the doc moved on."""
    data = action.data
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        raise JsonRpcInvalidParams(message="not an unmask code action (no data)")
    with lsp_errors(ls):
        snapshot = ls.documents.snapshot(data["uri"])
        if snapshot.version != data.get("version"):
            raise JsonRpcException(
                message="the document changed since the action was offered "
                f"(version {data.get('version')} -> "
                f"{snapshot.version}); ask for code actions again",
                code=CONTENT_MODIFIED,
            )
        try:
            plan = _plan_for(ls, snapshot, data)
        except (KeyError, TypeError, ValueError, ClassValidationError) as exc:
            raise JsonRpcInvalidParams(message=f"malformed code action data: {exc}") from exc
        generation = await generate(ls, snapshot, plan, title=action.title)
    reason = stale_reason(ls, snapshot)
    if reason is not None:
        raise JsonRpcException(message=reason, code=CONTENT_MODIFIED)
    if generation.valid is False:
        raise request_failed(invalid_reason(generation))
    action.edit = versioned_workspace_edit(
        snapshot.uri, snapshot.version, LineIndex(snapshot.text), generation.edits
    )
    return action
