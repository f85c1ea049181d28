"""One generation, end to end: snapshot -> plan -> model (step by step) -> edits -> maybe applied.

Every feature that runs the model goes through :func:`generate`; every feature that edits the document goes
through :func:`apply_generation`, which re-checks the document version right before ``workspace/applyEdit``
and sends a versioned ``TextDocumentEdit``, so a result computed for an older version is never applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from unmask.editing import (
    FillPlan,
    TextEdit,
    apply_edits,
    choose_candidate,
    continuation_requests,
    distinct_candidates,
    edits_for,
    joint_scorer,
    merge_rounds,
    retry_request,
    stop_rule_for,
    validator_for,
    with_continuation,
)
from unmask.model.api import Candidate, FillResult, Step
from unmask.server.convert import LineIndex, registry_language, versioned_workspace_edit
from unmask.server.errors import LanguageDisabled
from unmask.server.features.progress import WorkProgress
from unmask.server.jobs import Snapshot

if TYPE_CHECKING:
    from unmask.server.app import UnmaskServer

logger = logging.getLogger(__name__)

STEP_NOTIFICATION = "unmask/step"


@dataclass(frozen=True)
class Generation:
    """A finished fill for one snapshot. ``edits`` are char offsets into ``snapshot.text``; edits that would
    change nothing are left out."""

    snapshot: Snapshot
    plan: FillPlan
    result: FillResult
    candidate: Candidate
    edits: tuple[TextEdit, ...]
    valid: bool | None  # None: no grammar to check with
    placed: tuple[TextEdit, ...]  # one per span, no-ops included (where each fill now lies)

    @property
    def new_text(self) -> str:
        return apply_edits(self.snapshot.text, list(self.edits))


def document_language(ls: UnmaskServer, snapshot: Snapshot) -> str | None:
    """The grammar for the document, None when there is none (fills then go unchecked: the user is told once).

    Raises :class:`LanguageDisabled` when the ``languages`` setting leaves this languageId out.
    """
    if not ls.settings.language_enabled(snapshot.language_id):
        raise LanguageDisabled(
            f"unmask is off for languageId {snapshot.language_id!r} (setting unmask.languages: "
            f"{', '.join(ls.settings.languages)})"
        )
    language = registry_language(snapshot.language_id)
    if language is None:
        ls.show_once(
            f"no-grammar:{snapshot.language_id}",
            f"unmask: no grammar for languageId {snapshot.language_id!r}: fills are not syntax-checked and "
            "node-based actions are unavailable",
            types.MessageType.Warning,
        )
    return language


def request_options(ls: UnmaskServer) -> dict[str, Any]:
    """FillRequest options from the settings, for the ``plan_*`` functions of unmask.editing."""
    return ls.settings.request_options()


async def generate(
    ls: UnmaskServer,
    snapshot: Snapshot,
    plan: FillPlan,
    *,
    title: str,
    token: types.ProgressToken | None = None,
    retry: bool = True,
    append_lines: bool = True,
) -> Generation:
    """Run ``plan`` on the model as the document's job; cancellable between steps (raises CancelledError).
    With ``retry``, a greedy fill none of whose candidates parses samples one round more (commands do; an
    inline completion, offered while the user types, answers from the first round). With ``append_lines``, a
    line hole at the end of the document weighs single lines at each indentation against its continuation
    (:func:`~unmask.editing.continuation_requests`); an inline completion keeps its continuation."""
    index = LineIndex(snapshot.text)
    ranges = [index.range(start, end) for start, end in plan.spans]
    with ls.jobs.claim(snapshot.uri):
        progress = await WorkProgress.begin(ls, token, f"unmask: {title}")
        outcome = "cancelled"
        try:
            if not ls.host.ready:
                progress.report(f"waiting for model {ls.host.model} to load")
            engine = await ls.host.wait_ready()

            def on_step(step: Step) -> None:
                progress.steps(step.index, step.total)
                payload = {
                    "uri": snapshot.uri,
                    "version": snapshot.version,
                    "ranges": [ls.protocol._converter.unstructure(range_) for range_ in ranges],
                    "texts": list(step.fills),
                    "step": step.index,
                    "total": step.total,
                }
                ls.protocol.notify(STEP_NOTIFICATION, payload)

            validate, stop = validator_for(plan), stop_rule_for(plan)
            result = await ls.jobs.run_fill(
                engine, plan.request, validate=validate, stop=stop, on_step=on_step
            )
            scorer = joint_scorer(engine, plan)
            if scorer is not None and validate is not None:  # AR lines join, the joint score decides
                for alternative in continuation_requests(plan, appends=append_lines):
                    continued = await ls.jobs.run_fill(engine, alternative.request, validate=validate,
                                                       stop=alternative.stop)
                    result = with_continuation(result, continued, validate, alternative)
            result = distinct_candidates(plan, result)
            candidate, fills, valid, _ = await ls.jobs.call(choose_candidate, result, validate, stop, scorer)
            again = retry_request(plan, valid) if retry else None
            if again is not None:  # nothing valid: one sampled round more, then the best of both
                progress.report("no candidate parses: sampling more")
                second = await ls.jobs.run_fill(engine, again, validate=validate, stop=stop, on_step=on_step)
                result = merge_rounds(plan, result, second)
                candidate, fills, valid, _ = await ls.jobs.call(choose_candidate, result, validate, stop, scorer)
            placed = tuple(edits_for(plan, fills))
            edits = tuple(e for e in placed if snapshot.text[e.start : e.end] != e.new_text)
            parsed = "" if valid is not False else ", no candidate parses"
            outcome = f"done: {result.steps} steps, {result.elapsed_s:.2f}s{parsed}"
        except Exception as exc:
            outcome = f"failed: {exc}"
            raise
        finally:
            progress.end(outcome)
    logger.info("%s %s v%d: %s", title, snapshot.uri, snapshot.version, outcome)
    generation = Generation(snapshot, plan, result, candidate, edits, valid, placed)
    ls.last_generation[snapshot.uri] = generation
    return generation


def invalid_reason(generation: Generation) -> str:
    candidates = len(generation.result.candidates)
    return (
        f"none of the model's {candidates} candidate(s) parses as {generation.plan.language}; "
        "nothing applied "
        "(try again, raise the candidates setting, or ask for unmask.alternatives)"
    )


def stale_reason(ls: UnmaskServer, snapshot: Snapshot) -> str | None:
    """Why a result for ``snapshot`` must not be applied now; None if the document is still that version."""
    current = ls.documents.version(snapshot.uri)
    if current is None:
        return f"{snapshot.uri} was closed while generating; nothing applied"
    if current != snapshot.version:
        return (
            f"the document changed while generating (version {snapshot.version} -> {current}); "
            "nothing applied"
        )
    return None


async def apply_generation(ls: UnmaskServer, generation: Generation, label: str) -> dict[str, object]:
    """Send the edits through ``workspace/applyEdit``; returns the command result ``{applied, reason?}``."""
    if not generation.edits:
        return {"applied": False, "reason": "the model proposed no change"}
    if generation.valid is False:
        return {"applied": False, "reason": invalid_reason(generation)}
    snapshot = generation.snapshot
    reason = stale_reason(ls, snapshot)
    if reason is not None:
        logger.info("not applying %s: %s", label, reason)
        return {"applied": False, "reason": reason}
    edit = versioned_workspace_edit(
        snapshot.uri, snapshot.version, LineIndex(snapshot.text), generation.edits
    )
    response = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label))
    if response is None or not response.applied:
        reason = (
            response.failure_reason if response is not None else None
        ) or "the client did not apply the edit"
        return {"applied": False, "reason": reason}
    return {"applied": True}
