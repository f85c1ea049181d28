"""What a run tells the user: unified diffs, the summary table and the ``--json`` report.

The summary counts *files* (looked at and with places), *spans* (selected places), *filled* (places whose fill
changes the file), *unchanged* (the fill equals the original), *rejected by syntax* (no candidate parses),
*rejected by check* (no round passed ``--check``), *failed* (the model failed on the place), *declined*
(``--interactive`` no) and *skipped* files (binary, too large, unreadable, not parsing, unknown language).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from unmask.refactor.changes import FileState
from unmask.refactor.diff import unified_diff


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Summary:
    files: int = 0
    files_with_spans: int = 0
    files_changed: int = 0
    spans: int = 0
    filled: int = 0
    unchanged: int = 0
    rejected_syntax: int = 0
    rejected_check: int = 0
    failed: int = 0
    declined: int = 0
    skipped_files: int = 0
    conflicts: int = 0

    @classmethod
    def of(cls, files: list[FileState], looked_at: int, skipped: int) -> Summary:
        summary = cls(files=looked_at, skipped_files=skipped, files_with_spans=len(files))
        for state in files:
            summary.files_changed += state.status == "changed"
            summary.conflicts += state.status == "conflict"
            for site in state.sites:
                summary.spans += 1
                if site.status in ("filled", "unchanged", "rejected_syntax", "rejected_check", "failed", "declined"):
                    setattr(summary, site.status, getattr(summary, site.status) + 1)
        return summary

    @property
    def problems(self) -> bool:
        """True when some place was rejected or failed, or a file changed under us: exit status 1."""
        return bool(self.rejected_syntax or self.rejected_check or self.failed or self.conflicts)

    def table(self) -> str:
        rows = [
            ("files", (f"{self.files}  ({self.files_with_spans} with spans, {self.files_changed} changed, "
                       f"{self.skipped_files} skipped)")),
            ("spans", str(self.spans)),
            ("filled", str(self.filled)),
            ("unchanged", str(self.unchanged)),
            ("rejected by syntax", str(self.rejected_syntax)),
            ("rejected by check", str(self.rejected_check)),
            ("failed (model)", str(self.failed)),
        ]
        if self.declined:
            rows.append(("declined", str(self.declined)))
        if self.conflicts:
            rows.append(("changed on disk meanwhile", str(self.conflicts)))
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"  {name.ljust(width)}  {value}" for name, value in rows)


def file_report(state: FileState, *, with_diff: bool) -> dict[str, object]:
    report: dict[str, object] = {
        "path": str(state.path),
        "language": state.language,
        "status": state.status,
        "spans": [
            {
                "line": site.line,
                "end_line": site.end_line,
                "kind": site.kind,
                "status": site.status,
                "reason": site.reason,
                "original": site.original,
                "fill": None if site.chosen is None else "".join(edit.new_text for edit in site.chosen),
            }
            for site in state.sites
        ],
    }
    if state.notes:
        report["notes"] = list(state.notes)
    if with_diff and state.new_text is not None and state.new_text != state.source.text:
        report["diff"] = "".join(unified_diff(state.source.text, state.new_text, str(state.path)))
    return report


def json_report(
    files: list[FileState], skipped: list[Skipped], summary: Summary, *, written: bool, notes: list[str]
) -> dict[str, object]:
    return {
        "written": written,
        "files": [file_report(state, with_diff=True) for state in files],
        "skipped": [asdict(item) for item in skipped],
        "notes": notes,
        "summary": asdict(summary),
    }
