"""One refactor run: find files, select places, fill them through workers, decide each file, write or show.

The run plans first (every file read, parsed and its places selected: all values), then streams the places
through the workers and decides a file as soon as its last place is back:

1. without ``--check``: round 0 (every place's best valid candidate, the composition reparsed);
2. with a per-file check (``{file}`` in the command): each round is put in place and checked; the first that
   passes is kept; when none passes the original is put back;
3. with a per-run check: every file is decided first, then round ``r`` of all files is put in place and the
   check runs once; the first round that passes is kept, else every original is put back.

Then ``--interactive`` asks, and ``--write`` leaves the new text in place (a dry run puts the original back
after a check). Every change on disk goes through :func:`~unmask.refactor.files.write_bytes_atomically`, only
with a text that parses, and only while the file still holds what the run last saw there (a file edited
meanwhile is left alone and reported). So at any moment, even under ``kill -9``, every file is either its
original or a complete, parsing result; a check candidate left in place by a killed *dry* run is such a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from unmask.editing import FillPlan, plan_spans
from unmask.grammar.document import parse_document
from unmask.grammar.languages import LanguageSpec, find_language
from unmask.grammar.positions import TextIndex
from unmask.grammar.validate import count_errors, first_error
from unmask.refactor.changes import FileState, SiteState, parses
from unmask.refactor.check import CheckCommand, CheckOutcome
from unmask.refactor.discover import discover
from unmask.refactor.errors import SelectionError
from unmask.refactor.files import SourceFile, Unreadable, remove_stale_temps, write_bytes_atomically
from unmask.refactor.filling import EngineSpec, SiteTask, open_workers
from unmask.refactor.report import Skipped
from unmask.refactor.selection import Place, Selector, disjoint


@dataclass
class RefactorOptions:
    paths: list[str]
    selector: Selector
    engine_spec: EngineSpec
    request_options: dict[str, object] = field(default_factory=dict)
    language: str | None = None  # only files of this registry language
    use_gitignore: bool = True
    max_bytes: int = 1_000_000
    jobs: int = 1
    engine: str = "local"
    ray_address: str | None = None
    check: CheckCommand | None = None
    write: bool = False
    interactive: bool = False


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class Ui(Protocol):
    """What the run asks of its front end."""

    def progress(self, total: int) -> Progress: ...

    def show(self, state: FileState) -> None:
        """A file's decided change (a diff), or nothing for an unchanged file."""

    def ask(self, state: FileState) -> str:
        """``y`` apply, ``n`` skip, ``a`` this and all the rest, ``q`` stop asking and apply no more."""
        ...


class Conflict(Exception):
    """A file no longer holds what this run last saw there."""


def plan_place(text: str, spec: LanguageSpec, place: Place, request_options: dict[str, object]) -> FillPlan:
    """The fill plan of one place (several spans filled in one request)."""
    return plan_spans(
        text, spec.name, place.spans, place.kinds, keep_kinds=place.keep_kinds, reason="refactor", **request_options
    )


@dataclass
class Run:
    options: RefactorOptions
    ui: Ui
    files: list[FileState] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    looked_at: int = 0
    usage_errors: list[str] = field(default_factory=list)
    #: bytes this run last put in (or read from) each path; a write needs the disk to still hold them
    on_disk: dict[Path, bytes] = field(default_factory=dict)
    #: original bytes of files holding a check candidate that must go back unless kept
    placed: dict[Path, bytes] = field(default_factory=dict)
    apply_all: bool = False
    quit: bool = False

    # -- planning -----------------------------------------------------------------------------------------

    def plan(self) -> list[SiteTask]:
        found, self.missing = discover(self.options.paths, use_gitignore=self.options.use_gitignore)
        selection_errors: dict[str, str] = {}
        selected = 0
        tasks: list[SiteTask] = []
        for item in found:
            spec = find_language(str(item.path))
            if spec is None:
                self.skipped.append(Skipped(str(item.path), "unknown language (no grammar for its extension)"))
                continue
            if self.options.language is not None and spec.name != self.options.language:
                if item.explicit:
                    self.skipped.append(Skipped(str(item.path), f"not {self.options.language}"))
                continue
            self.looked_at += 1
            try:
                source = SourceFile.read(item.path, max_bytes=self.options.max_bytes)
            except Unreadable as exc:
                self.skipped.append(Skipped(str(item.path), str(exc)))
                continue
            except OSError as exc:
                self.skipped.append(Skipped(str(item.path), f"cannot read: {exc.strerror or exc}"))
                continue
            document = parse_document(source.text, spec)
            if count_errors(document.root):
                node = first_error(document.root)
                where = f" (line {node.start_point[0] + 1})" if node is not None else ""
                self.skipped.append(Skipped(str(item.path), f"does not parse{where}"))
                continue
            try:
                places, dropped = disjoint(self.options.selector.places(document))
            except SelectionError as exc:
                selection_errors.setdefault(spec.name, str(exc))
                self.skipped.append(Skipped(str(item.path), str(exc)))
                continue
            selected += 1
            if dropped:
                self.notes.append(f"{item.path}: {dropped} place(s) inside another selected place were left out")
            if not places:
                continue
            state = self._file_state(len(self.files), source, spec, places, tasks)
            self.files.append(state)
        if selection_errors and not selected:  # the query or pattern applies to none of the files
            reasons = set(selection_errors.values())
            self.usage_errors.extend(sorted(reasons))
            self.skipped = [item for item in self.skipped if item.reason not in reasons]
        return tasks

    def _file_state(
        self, number: int, source: SourceFile, spec: LanguageSpec, places: list[Place], tasks: list[SiteTask]
    ) -> FileState:
        index = TextIndex(source.text)
        sites: list[SiteState] = []
        for site_number, place in enumerate(places):
            plan = plan_place(source.text, spec, place, self.options.request_options)
            tasks.append(SiteTask(number, site_number, plan))
            end = max(place.start, place.end - 1)
            sites.append(SiteState(
                place, index.line_of(place.start) + 1, index.line_of(end) + 1, source.text[place.start : place.end]
            ))
        self.on_disk[source.path] = source.data
        return FileState(number, source, spec.name, sites)

    # -- filling ------------------------------------------------------------------------------------------

    def fill(self, tasks: list[SiteTask]) -> None:
        """Fill every place; decide each file when its last place is back. Raises ModelError when the engine
        cannot be loaded, EngineUnavailable when --engine ray cannot run."""
        if self.options.write or self.options.interactive or self.options.check is not None:
            for state in self.files:
                remove_stale_temps(state.path)
        per_run_check = self.options.check is not None and not self.options.check.per_file
        progress = self.ui.progress(len(tasks))
        workers = open_workers(
            self.options.engine_spec, jobs=self.options.jobs, engine=self.options.engine,
            ray_address=self.options.ray_address,
        )
        try:
            for result in workers.map(tasks):
                state = self.files[result.file]
                state.record(result)
                progress.update(1)
                if state.complete and not per_run_check:
                    self._decide_file(state)
                    self._conclude(state)
        finally:
            progress.close()
            workers.close()
            self.restore_placed()
        if per_run_check:
            self._decide_run()
            for state in self.files:
                self._conclude(state)
            self.restore_placed()

    def _decide_file(self, state: FileState) -> None:
        check = self.options.check
        if not state.viable:
            state.new_text = state.source.text
            state.status = "rejected" if any(s.status != "pending" for s in state.sites) else "unchanged"
            return
        if check is None:
            state.settle(*state.round_text(0))
            return
        last: CheckOutcome | None = None
        previous: str | None = None
        for round_index in range(state.rounds):
            text, chosen = state.round_text(round_index)
            if text == previous:
                continue
            previous = text
            if text == state.source.text:
                state.settle(text, chosen)
                return
            try:
                self._put(state, text, temporary=True)
            except Conflict:
                self._conflict(state)
                return
            last = check.run(state.path)
            if last.ok:
                state.settle(text, chosen)
                return
        self._restore(state)
        reason = last.describe() if last is not None else "no candidate to check"
        state.reject_all("rejected_check", reason)
        if last is not None and last.output:
            state.notes.append(last.output)

    def _decide_run(self) -> None:
        assert self.options.check is not None
        deciding = [state for state in self.files if state.viable]
        for state in self.files:
            if not state.viable:
                self._decide_file(state)
        rounds = max((state.rounds for state in deciding), default=0)
        last: CheckOutcome | None = None
        for round_index in range(rounds):
            texts = {state.number: state.round_text(round_index) for state in deciding}
            try:
                for state in deciding:
                    if texts[state.number][0] != state.source.text:
                        self._put(state, texts[state.number][0], temporary=True)
            except Conflict:
                continue
            last = self.options.check.run(None)
            if last.ok:
                for state in deciding:
                    state.settle(*texts[state.number])
                return
        reason = last.describe() if last is not None else "no candidate to check"
        for state in deciding:
            self._restore(state)
            state.reject_all("rejected_check", reason)
        if last is not None and last.output:
            self.notes.append(last.output)

    # -- concluding: show, ask, write ---------------------------------------------------------------------

    def _conclude(self, state: FileState) -> None:
        if state.status != "changed" or state.new_text is None:
            self._restore(state)
            return
        if self.options.interactive and not self.apply_all:
            answer = "n" if self.quit else self.ui.ask(state)
            if answer == "q":
                self.quit = True
            elif answer == "a":
                self.apply_all = True
            if answer in ("n", "q"):
                self._restore(state)
                state.reject_all("declined", "declined")
                return
        else:
            self.ui.show(state)
        if not (self.options.write or self.options.interactive):
            self._restore(state)
            return
        try:
            self._put(state, state.new_text, temporary=False)
        except Conflict:
            self._conflict(state)

    def _conflict(self, state: FileState) -> None:
        self.placed.pop(state.path, None)
        state.reject_all("failed", "the file changed on disk during the run")
        state.status = "conflict"
        state.notes.append("the file changed on disk during the run; left alone")

    def _put(self, state: FileState, text: str, *, temporary: bool) -> None:
        """Put ``text`` in place atomically; only a parsing text, only over what the run last saw."""
        if not parses(text, state.language):
            raise AssertionError(f"{state.path}: refusing to write a text that does not parse")
        data = state.source.encode(text)
        current = state.path.read_bytes()
        if current != self.on_disk[state.path]:
            raise Conflict(str(state.path))
        if temporary:
            self.placed.setdefault(state.path, state.source.data)
        else:
            self.placed.pop(state.path, None)
        if current != data:
            write_bytes_atomically(state.path, data)
        self.on_disk[state.path] = data

    def _restore(self, state: FileState) -> None:
        original = self.placed.pop(state.path, None)
        if original is None:
            return
        try:
            current = state.path.read_bytes()
        except OSError:
            return
        if current == self.on_disk.get(state.path) and current != original:
            write_bytes_atomically(state.path, original)
        self.on_disk[state.path] = original

    def restore_placed(self) -> None:
        """Put back every original still holding a check candidate that was not kept."""
        by_path = {state.path: state for state in self.files}
        for path in list(self.placed):
            self._restore(by_path[path])


def run_refactor(options: RefactorOptions, ui: Ui, before_fill: Callable[[Run], None] | None = None) -> Run:
    """Plan and fill (see module docstring); the returned :class:`Run` holds the files and their outcomes."""
    run = Run(options, ui)
    tasks = run.plan()
    if before_fill is not None:
        before_fill(run)
    if tasks and not run.usage_errors:
        try:
            run.fill(tasks)
        finally:
            run.restore_placed()
    return run
