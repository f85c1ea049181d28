"""A file's change as a value: its places, their valid candidates, and the text of each check round.

Nothing here touches the disk. A :class:`FileState` collects the :class:`~unmask.refactor.filling.SiteResult`
of each of its places; :meth:`FileState.round_text` composes round ``r``: every place takes its ``r``-th valid
candidate (its last when it has fewer), and the whole new text is parsed from scratch. The file was error-free
when selected, so the composition must be too; a place whose fill breaks it in combination with the others is
left out of that round (greedily, in file order). Only a composed text that parses is ever returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from unmask.editing import TextEdit, apply_edits
from unmask.grammar.languages import parser_for
from unmask.grammar.positions import encode
from unmask.grammar.validate import count_errors
from unmask.refactor.files import SourceFile
from unmask.refactor.filling import SiteResult
from unmask.refactor.selection import Place

#: Statuses of a place. ``filled``: its fill is in the result and changes the text; ``unchanged``: the
#: chosen fill equals the original; ``rejected_syntax``: no candidate parses; ``rejected_check``: no round
#: passed the check; ``failed``: the model failed on it; ``declined``: the user said no (interactive).
SITE_STATUSES = ("filled", "unchanged", "rejected_syntax", "rejected_check", "failed", "declined")


@dataclass
class SiteState:
    place: Place
    line: int  # 1-based line of the place's start
    end_line: int
    original: str
    candidates: tuple[tuple[TextEdit, ...], ...] = ()
    rejected: tuple[str, ...] = ()
    error: str | None = None
    done: bool = False
    status: str = "pending"
    reason: str | None = None
    chosen: tuple[TextEdit, ...] | None = None

    @property
    def kind(self) -> str | None:
        return self.place.kinds[0] if len(self.place.kinds) == 1 else None

    def candidate(self, round_index: int) -> tuple[TextEdit, ...]:
        return self.candidates[min(round_index, len(self.candidates) - 1)]


def parses(text: str, language: str) -> bool:
    """True when ``text`` parses without any ERROR or MISSING node: the gate before a write, so a fresh parse
    (no snapshot of :func:`~unmask.grammar.document.parse_document` reused)."""
    return count_errors(parser_for(language).parse(encode(text)).root_node) == 0


@dataclass
class FileState:
    number: int
    source: SourceFile
    language: str
    sites: list[SiteState]
    status: str = "pending"  # changed | unchanged | rejected | declined | conflict
    new_text: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def complete(self) -> bool:
        return all(site.done for site in self.sites)

    def record(self, result: SiteResult) -> None:
        site = self.sites[result.site]
        site.candidates, site.rejected, site.error, site.done = (
            result.candidates, result.rejected, result.error, True,
        )
        if result.error is not None:
            site.status, site.reason = "failed", result.error
        elif not result.candidates:
            site.status = "rejected_syntax"
            site.reason = result.rejected[0] if result.rejected else "no candidate"

    @property
    def viable(self) -> list[SiteState]:
        return [site for site in self.sites if site.candidates]

    @property
    def rounds(self) -> int:
        """How many distinct rounds there are (the most valid candidates of any place)."""
        return max((len(site.candidates) for site in self.viable), default=0)

    def round_text(self, round_index: int) -> tuple[str, dict[int, tuple[TextEdit, ...]]]:
        """The text of round ``round_index`` and the edits each included place contributes (by site index)."""
        chosen = {index: site.candidate(round_index) for index, site in enumerate(self.sites) if site.candidates}
        text = self._compose(chosen)
        if parses(text, self.language):
            return text, chosen
        kept: dict[int, tuple[TextEdit, ...]] = {}
        for index, edits in chosen.items():
            trial = {**kept, index: edits}
            if parses(self._compose(trial), self.language):
                kept = trial
        return self._compose(kept), kept

    def _compose(self, chosen: dict[int, tuple[TextEdit, ...]]) -> str:
        return apply_edits(self.source.text, [edit for edits in chosen.values() for edit in edits])

    def settle(self, text: str, chosen: dict[int, tuple[TextEdit, ...]]) -> None:
        """Take ``text`` (a round's composition) as the result and give each place its status."""
        for index, site in enumerate(self.sites):
            if not site.candidates:
                continue
            edits = chosen.get(index)
            if edits is None:
                site.status, site.reason = "rejected_syntax", "its fill breaks the file together with another"
                continue
            site.chosen = edits
            changed = any(self.source.text[edit.start : edit.end] != edit.new_text for edit in edits)
            site.status, site.reason = ("filled" if changed else "unchanged"), None
        self.new_text = text
        self.status = "changed" if text != self.source.text else "unchanged"

    def reject_all(self, status: str, reason: str) -> None:
        """Keep the original: every place with a candidate gets ``status``."""
        for site in self.sites:
            if site.candidates:
                site.status, site.reason, site.chosen = status, reason, None
        self.new_text = self.source.text
        self.status = "declined" if status == "declined" else "rejected"
