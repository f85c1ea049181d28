"""Glue between the syntax layer and the model API: plan a fill, check candidates, turn a fill into edits.

A :class:`FillPlan` is a value: the snapshot text, the char spans to fill (sorted, disjoint), the node kind of
each, and the :class:`~unmask.model.api.FillRequest` that cuts the text at those spans. Planning never calls
a model; :func:`fill_document` does, then validates, re-indents and applies. Nothing here imports torch.

``language`` arguments accept a registry name (``python``), an LSP languageId (``typescriptreact``) or a file
extension; an unknown language plans plain char spans with no syntax checks and says so in ``plan.note``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from unmask.grammar.document import Document, parse_document
from unmask.grammar.errors import BadEdits, BadRange, NoHoles
from unmask.grammar.holes import DEFAULT_MARKER, find_holes, find_marker_spans
from unmask.grammar.indent import (
    IndentStyle,
    detect_indent,
    detect_line_break,
    leading_whitespace,
    line_indent_at,
    lines_in_strings,
    reindent,
)
from unmask.grammar.languages import LanguageSpec, find_language
from unmask.grammar.names import module_names, python_names
from unmask.grammar.spans import check_range, enclosing_spans, snap_range, trim_whitespace
from unmask.grammar.stops import ContinuationStop, inline_loop, repeated_line
from unmask.grammar.validate import FillChecker, Verdict, count_errors, kind_must_hold, tree_key
from unmask.model.api import (
    CancelCheck,
    Candidate,
    Engine,
    FillRequest,
    FillResult,
    HoleSpec,
    Step,
    StopRule,
    run_fill,
)

__all__ = [
    "DEFAULT_MARKER",
    "FillOutcome",
    "FillPlan",
    "PlanValidator",
    "TextEdit",
    "apply_edits",
    "edits_for",
    "enclosing_kinds",
    "fill_document",
    "place_fill",
    "plan_cursor",
    "plan_enclosing",
    "plan_holes",
    "plan_infill",
    "plan_range",
    "stop_rule_for",
    "validator_for",
]

UNKNOWN_NOTE = "unknown language: plain character spans, no syntax validation"

#: HoleSpec fields that may be passed among the request options (they apply to every hole).
_HOLE_OPTIONS = ("max_tokens", "length_tokens", "reroll_below")


@dataclass(frozen=True)
class TextEdit:
    """Replace char offsets ``[start, end)`` of the snapshot text with ``new_text``."""

    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class FillPlan:
    """What to fill (see module docstring). ``keep_kinds[i]`` is the kind span ``i`` must still parse as after
    the fill, or None. ``indents[i]`` is the leading whitespace of span ``i``'s line; ``indent_unit`` and
    ``line_break`` are the file's style; fills are written in them (see :func:`place_fill`)."""

    text: str
    language: str | None
    spans: tuple[tuple[int, int], ...]
    kinds: tuple[str | None, ...]
    request: FillRequest
    note: str | None = None
    keep_kinds: tuple[str | None, ...] = ()
    indents: tuple[str, ...] = ()
    indent_unit: str = "    "
    line_break: str = "\n"
    reasons: tuple[str, ...] = field(default=())

    @property
    def originals(self) -> tuple[str, ...]:
        return tuple(self.text[start:end] for start, end in self.spans)


@dataclass(frozen=True)
class FillOutcome:
    """The result of :func:`fill_document`. ``fills``: the chosen candidate's fills after the stop rule, as the
    model wrote them; ``edits``: the same, placed; ``valid``: None when the language is unknown.
    ``reason``: why the chosen candidate is invalid, when it is."""

    plan: FillPlan
    result: FillResult
    candidate: Candidate
    fills: tuple[str, ...]
    edits: list[TextEdit]
    new_text: str
    valid: bool | None
    reason: str | None = None


# -- planning ---------------------------------------------------------------------------------------------


def _spec(language: str | None) -> LanguageSpec | None:
    return find_language(language)


def _make_plan(
    text: str,
    spec: LanguageSpec | None,
    spans: Sequence[tuple[int, int]],
    kinds: Sequence[str | None],
    request_options: dict[str, object],
    *,
    keep_kinds: Sequence[str | None] = (),
    reasons: Sequence[str] = (),
) -> FillPlan:
    spans = tuple(spans)
    for (start, end), following in itertools.pairwise(spans):
        if end > following[0]:
            raise BadRange(f"spans {start}..{end} and {following[0]}..{following[1]} overlap")
    for start, end in spans:
        check_range(text, start, end)
    options = dict(request_options)
    hole_options = {name: options.pop(name) for name in _HOLE_OPTIONS if name in options}
    # A placeholder (`___`, `pass`, `...`) says nothing about the fill's length; code being regenerated does.
    placeholders = {"marker", "placeholder", "empty_body", "cursor", "append"}
    why = tuple(reasons) or ("range",) * len(spans)
    holes = tuple(
        HoleSpec(kind=kind, original=None if reason in placeholders else text[start:end], **hole_options)  # type: ignore[arg-type]
        for (start, end), kind, reason in zip(spans, kinds, why, strict=True)
    )
    line_break = detect_line_break(text)
    segments: list[str] = []
    cursor = 0
    for start, end in spans:
        segments.append(text[cursor:start])
        cursor = end
    segments.append(text[cursor:])
    for index, (start, end) in enumerate(spans):
        if _holds_whole_lines(text, start, end):
            # A hole at column 0 of a line with text holds whole lines and gets a line break at its end
            # (end_lines). The model sees the text after it as starting with that break: cut there, the text
            # would start with bare indentation, a seam the model rarely saw in training, and fills of such holes
            # parsed far less often (docs/model.md).
            segments[index + 1] = line_break + segments[index + 1]
    request = FillRequest(
        segments=tuple(segments),
        holes=holes,
        language=spec.name if spec else None,
        **options,  # type: ignore[arg-type]
    )
    return FillPlan(
        text=text,
        language=spec.name if spec else None,
        spans=spans,
        kinds=tuple(kinds),
        request=request,
        note=None if spec else UNKNOWN_NOTE,
        keep_kinds=tuple(keep_kinds) or (None,) * len(spans),
        indents=tuple(line_indent_at(text, start) for start, _ in spans),
        indent_unit=detect_indent(text).unit,
        line_break=line_break,
        reasons=tuple(reasons),
    )


def _document(text: str, spec: LanguageSpec) -> Document:
    return parse_document(text, spec)


def plan_range(
    text: str, language: str | None, start: int, end: int, *, snap: bool = True, **request_options: object
) -> FillPlan:
    """Regenerate char range ``[start, end)``; with ``snap`` it grows to the smallest covering named node or
    run of sibling nodes (an empty range: the node at the cursor). Unknown language: the range as given,
    trimmed of surrounding whitespace when snapping."""
    check_range(text, start, end)
    spec = _spec(language)
    if spec is None:
        if snap:
            trimmed = trim_whitespace(text, start, end)
            start, end = trimmed if trimmed[0] < trimmed[1] else (start, end)
        return _make_plan(text, None, [(start, end)], [None], request_options, reasons=("range",))
    if not snap:
        return _make_plan(text, spec, [(start, end)], [None], request_options, reasons=("range",))
    snapped = snap_range(_document(text, spec), start, end)
    keep = None if snapped.is_run or not kind_must_hold(snapped.kind) else snapped.kind
    return _make_plan(
        text, spec, [(snapped.start, snapped.end)], [snapped.kind], request_options,
        keep_kinds=[keep], reasons=("range",),
    )


def plan_spans(
    text: str,
    language: str | None,
    spans: Sequence[tuple[int, int]],
    kinds: Sequence[str | None],
    *,
    keep_kinds: Sequence[str | None] = (),
    reason: str = "spans",
    **request_options: object,
) -> FillPlan:
    """Fill several given char spans in one request (sorted, disjoint); ``kinds`` pick length priors and
    ``keep_kinds`` the node kind each span must still parse as."""
    return _make_plan(
        text, _spec(language), list(spans), list(kinds), dict(request_options),
        keep_kinds=list(keep_kinds), reasons=(reason,) * len(spans),
    )


def plan_cursor(text: str, language: str | None, offset: int, **request_options: object) -> FillPlan:
    """Fill at a cursor: an empty span there. With only whitespace after the cursor it is an append (the
    request's ``auto`` mode resolves to AR continuation, cut by :func:`stop_rule_for`); otherwise an infill
    whose length the engine picks."""
    check_range(text, offset, offset)
    spec = _spec(language)
    reason = "append" if not text[offset:].strip() else "cursor"
    return _make_plan(text, spec, [(offset, offset)], [None], request_options, reasons=(reason,))


def plan_infill(prefix: str, suffix: str, language: str | None, **request_options: object) -> FillPlan:
    """Fill between ``prefix`` and ``suffix`` (the JSONL interface): a cursor at ``len(prefix)``."""
    return plan_cursor(prefix + suffix, language, len(prefix), **request_options)


def plan_holes(
    text: str, language: str | None, *, marker: str = DEFAULT_MARKER, **request_options: object
) -> FillPlan:
    """Fill every hole (see :mod:`unmask.grammar.holes`); raises :class:`NoHoles` when there is none.
    Unknown language: whole-word occurrences of the marker."""
    spec = _spec(language)
    if spec is None:
        spans = find_marker_spans(text, marker)
        if not spans:
            raise NoHoles(f"no holes: no {marker!r} marker found")
        return _make_plan(text, None, spans, [None] * len(spans), request_options, reasons=("marker",) * len(spans))
    holes = find_holes(_document(text, spec), marker)
    if not holes:
        raise NoHoles(f"no holes: no {marker!r} marker, placeholder body or empty body found")
    return _make_plan(
        text, spec, [(hole.start, hole.end) for hole in holes], [hole.kind for hole in holes], request_options,
        reasons=tuple(hole.reason for hole in holes),
    )


def _plain_levels(text: str, offset: int) -> list[tuple[str, int, int]]:
    """Enclosing spans without a grammar: the line, the paragraph (blank-line delimited), the document."""
    check_range(text, offset, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    para_start = text.rfind("\n\n", 0, offset)
    para_start = 0 if para_start < 0 else para_start + 2
    para_end = text.find("\n\n", offset)
    para_end = len(text) if para_end < 0 else para_end
    levels: list[tuple[str, int, int]] = []
    for kind, start, end in (("line", line_start, line_end), ("paragraph", para_start, para_end),
                             ("document", 0, len(text))):
        start, end = trim_whitespace(text, start, end)
        if not levels or (start, end) != levels[-1][1:] and start <= levels[-1][1] and end >= levels[-1][2]:
            levels.append((kind, start, end))
    return levels


def enclosing_kinds(text: str, language: str | None, offset: int) -> list[tuple[str, int, int]]:
    """``(kind, start, end)`` of the spans enclosing a cursor, small to large, each strictly larger than the
    one before (for "expand selection" / regenerate-enclosing levels)."""
    spec = _spec(language)
    if spec is None:
        return _plain_levels(text, offset)
    return enclosing_spans(_document(text, spec), offset)


def plan_enclosing(
    text: str, language: str | None, offset: int, level: int = 0, **request_options: object
) -> FillPlan:
    """Regenerate the enclosing named node at ``level`` (0 = smallest; a level past the root clamps to it)."""
    if level < 0:
        raise BadRange(f"level must be 0 or more, not {level}")
    levels = enclosing_kinds(text, language, offset)
    kind, start, end = levels[min(level, len(levels) - 1)]
    spec = _spec(language)
    keep = kind if spec is not None and kind_must_hold(kind) else None
    return _make_plan(
        text, spec, [(start, end)], [kind if spec else None], request_options,
        keep_kinds=[keep], reasons=("enclosing",),
    )


# -- checking and placing -----------------------------------------------------------------------------------


def place_fill(plan: FillPlan, index: int, fill: str) -> str:
    """Fill ``index`` as written into the document: re-indented to its line and in the file's line breaks."""
    fill = fill.replace("\r\n", "\n")
    style = IndentStyle(plan.indent_unit)
    placed = reindent(fill, plan.indents[index], style)
    if placed != fill:  # lines moved: unless they are inside a string (only then is the document parsed)
        placed = reindent(fill, plan.indents[index], style, _string_lines(plan, index, fill))
    if plan.line_break != "\n":
        placed = placed.replace("\n", plan.line_break)
    return placed


def _string_lines(plan: FillPlan, index: int, fill: str) -> frozenset[int]:
    """The lines of ``fill`` that start inside a multi-line string once it stands in the document (parsed with
    the fill as written); only a fill with a quote can make one."""
    spec = _spec(plan.language)
    if spec is None or not any(quote in fill for quote in "\"'`"):
        return frozenset()
    start, end = plan.spans[index]
    document = _document(plan.text[:start] + fill + plan.text[end:], spec)
    return lines_in_strings(document.root, plan.text.count("\n", 0, start), fill.count("\n") + 1)


#: the reason of a fill tree-sitter accepts and Python's parser rejects (bad indentation, an empty block)
NOT_COMPILING = "the fill does not compile (Python's parser rejects it)"
LOOPING = "the fill writes the same piece of a line over and over"


class PlanValidator:
    """The :data:`~unmask.model.api.Validator` of a plan: places the fills, reparses, compares (see
    :mod:`unmask.grammar.validate`). Call it for a bool, or :meth:`check` for the reason."""

    #: stand-ins for an empty span when judging what "no new syntax error" means (see ``__init__``)
    PLACEHOLDERS = ("pass", "x", "None", "")

    def __init__(self, plan: FillPlan, document: Document) -> None:
        self.plan = plan
        self.checker = FillChecker(document, plan.spans, plan.keep_kinds)
        self.python_ast = False
        self.region = _top_level_region(document, plan)
        self.document = document
        self.module_names: frozenset[str] | None = None  # read on first use
        self._names_read = False
        # the engine judges each candidate as it decodes and the editing layer again when it chooses: the same
        # fills are one reparse of the whole document, not two (the verdict depends only on the fills)
        self._verdicts: dict[tuple[str, ...], Verdict] = {}
        # a regenerated selection that already repeated itself may keep doing so (see ``_loops``): judged once
        self.looped_before = tuple(inline_loop(original) is not None for original in plan.originals)
        if all(start == end for start, end in plan.spans):
            # A document cut at a cursor is usually broken *because* of the cut ("if :", "x = "), so comparing
            # with it would accept fills that leave it broken. Compare with the best placeholder instead: if
            # some stand-in makes the document parse, the fill must make it parse too.
            best = self.checker.base_errors
            for placeholder in self.PLACEHOLDERS:
                if best == 0:
                    break  # nothing does better than no error: each stand-in is a reparse of the whole file
                best = min(best, self._placeholder_errors(placeholder))
            self.checker.base_errors = best
            if plan.language == "python":
                # tree-sitter-python tolerates bad indentation; Python's own parser does not: when some stand-in
                # (at some indentation, a simple statement or a block opener) compiles, a fill must compile too
                self.python_ast = any(self._compiles(fills) for fills in python_standins(plan))
        elif plan.language == "python":
            # a span with text (a hole marker, a selection): when the code compiled with it, a fill must keep
            # it compiling; a body that ends up empty or mis-indented is invisible to tree-sitter
            self.python_ast = self._compiles(plan.originals)
        self.region_checker = self._region_checker()

    def _region_checker(self) -> FillChecker | None:
        """A checker that parses only the top-level statements holding the spans, so judging a fill in a
        10k-line file costs what it costs in a short one. Only for Python, and only when the document (or a
        stand-in for its holes) parses without error: then its statements meet at column 0 with nothing open,
        so a fill whose region parses cleanly on its own leaves every other statement parsing as before and the
        whole file error-free; any other fill is judged on the whole file (see ``_check``)."""
        first, last = self.region
        if self.plan.language != "python" or self.checker.base_errors or (first, last) == (0, len(self.plan.text)):
            return None
        region = parse_document(self.plan.text[first:last], self.plan.language)
        spans = [(start - first, end - first) for start, end in self.plan.spans]
        checker = FillChecker(region, spans, self.plan.keep_kinds)
        checker.base_errors = 0  # a clean region or nothing: a cut region may err where a stand-in did not
        return checker

    def _placeholder_errors(self, placeholder: str) -> int:
        whole = end_lines(self.plan, [placeholder] * len(self.plan.spans))
        fills = [place_fill(self.plan, i, fill) for i, fill in enumerate(whole)]
        tree, _, _ = self.checker.parse_filled(fills)
        return count_errors(tree.root_node)

    def filled_region(self, fills: Sequence[str]) -> str:
        """The top-level statements holding the spans, with ``fills`` placed: what Python's checks read, so a
        10k-line file costs no more than a short one."""
        placed = [place_fill(self.plan, i, fill) for i, fill in enumerate(end_lines(self.plan, fills))]
        first, last = self.region
        edits = [TextEdit(s - first, e - first, f) for (s, e), f in zip(self.plan.spans, placed, strict=True)]
        return apply_edits(self.plan.text[first:last], edits)

    def name_problems(self, fills: Sequence[str]) -> int | None:
        """Python: names the filled code reads but nothing binds, plus locals it assigns and never reads (see
        :mod:`unmask.grammar.names`); None for other languages or code that does not compile."""
        if self.plan.language != "python":
            return None
        if not self._names_read:
            # the rest of the module binds names the region may read; without the region it still parses
            self.module_names = module_names(_binding_skeleton(self.document, self.plan.text, self.region))
            self._names_read = True
        if self.module_names is None:
            return None  # the rest of the module does not compile: its names are unknown, so judge none
        report = python_names(self.filled_region(fills), self.module_names)
        return None if report is None else report.problems

    def _compiles(self, fills: Sequence[str]) -> bool:
        import ast
        import warnings

        text = self.filled_region(fills)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
        except (SyntaxError, ValueError):
            return False
        return True

    def check(self, fills: Sequence[str]) -> Verdict:
        """Whether ``fills`` leave the document valid; each is judged as it will be written, with the line break
        :func:`end_lines` gives a fill in front of a line of code (the engine's own ranking calls this too)."""
        fills = end_lines(self.plan, fills)
        known = self._verdicts.get(fills)
        if known is None:
            known = self._verdicts[fills] = self._check(fills)
        return known

    def _check(self, fills: tuple[str, ...]) -> Verdict:
        placed = [place_fill(self.plan, i, fill) for i, fill in enumerate(fills)]
        verdict = self.region_checker.check(placed) if self.region_checker is not None else None
        if verdict is None or not verdict.ok:
            verdict = self.checker.check(placed)  # the whole file: the exact verdict and the line of the error
        if verdict.ok and self.python_ast and not self._compiles(fills):
            return Verdict(False, NOT_COMPILING)
        if verdict.ok and any(self._loops(i, fill) for i, fill in enumerate(fills)):
            return Verdict(False, LOOPING)
        return verdict

    def _loops(self, index: int, fill: str) -> bool:
        """An in-line loop (:func:`~unmask.grammar.stops.inline_loop`) the span's original text did not have: a
        regenerated selection may keep a table of repeated code it already held."""
        return not self.looped_before[index] and inline_loop(fill) is not None

    def __call__(self, fills: tuple[str, ...]) -> bool:
        return self.check(fills).ok


#: stand-ins for a hole that starts a line in Python: a simple statement, and a block opener for a hole in front
#: of a deeper-indented line (the hole held the ``if``/``for`` that line belongs to)
LINE_STANDINS = ("pass", "if x:")
#: at most this many combinations of stand-ins are tried for a plan with several holes
MAX_STANDIN_SETS = 16


def _code_line(text: str, newline: int, *, backwards: bool) -> str | None:
    """The nearest non-blank line before (``backwards``) or after the line break at ``newline`` (-1: none),
    found without splitting the whole text: validators are built for every fill, in files of any size."""
    while newline >= 0:
        if backwards:
            start = text.rfind("\n", 0, newline) + 1
            line, newline = text[start:newline], start - 1
        else:
            end = text.find("\n", newline + 1)
            line, newline = text[newline + 1 : len(text) if end < 0 else end], end
        if line.strip():
            return line
    return None


def _line_standins(plan: FillPlan, start: int) -> list[str]:
    """What could stand in a Python hole at ``start``: for a hole at the start of a line (only whitespace before
    it), each stand-in statement at each indentation the neighbouring lines suggest (the previous code line's,
    one level deeper, the next code line's); otherwise an expression or a statement as it is."""
    text = plan.text
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if before.strip():
        return list(PlanValidator.PLACEHOLDERS[:3])
    above = _code_line(text, line_start - 1, backwards=True)
    line_end = text.find("\n", start)
    if text[start : len(text) if line_end < 0 else line_end].strip():
        below: str | None = text[line_start : len(text) if line_end < 0 else line_end]  # the hole's own line
    else:
        below = _code_line(text, line_end, backwards=False)
    unit = plan.indent_unit or "    "
    widths: list[str] = []
    if above is not None:
        widths += [leading_whitespace(above), leading_whitespace(above) + unit]
    if below is not None:
        widths.append(leading_whitespace(below))
    widths = [width for width in dict.fromkeys(widths or [""]) if width.startswith(before)]
    return [width[len(before):] + standin for width in widths for standin in LINE_STANDINS] or ["pass"]


def python_standins(plan: FillPlan) -> list[tuple[str, ...]]:
    """Sets of stand-in fills (one per span) for judging whether a compiling fill of the plan exists."""
    options = [_line_standins(plan, start) for start, _ in plan.spans]
    return list(itertools.islice(itertools.product(*options), MAX_STANDIN_SETS))


def _binding_skeleton(document: Document, text: str, region: tuple[int, int]) -> str:
    """The module's top-level statements outside ``region`` with every function and class body cut to
    ``pass``: the same module-level names for :func:`~unmask.grammar.names.module_names` (which reads only the
    module's own scope) at a fraction of the size, so reading them costs little even in a 10k-line file."""
    if region == (0, len(text)):
        return ""
    pieces = []
    for child in document.root.children:
        start, end = document.span_of(child)
        if region[0] <= start and end <= region[1]:
            continue
        node = child.child_by_field_name("definition") if child.type == "decorated_definition" else child
        name = node.child_by_field_name("name") if node is not None else None
        if node is not None and name is not None and node.type in ("function_definition", "class_definition"):
            keyword = "class" if node.type == "class_definition" else "def"
            label = text[slice(*document.span_of(name))]
            pieces.append(f"{keyword} {label}{'' if keyword == 'class' else '()'}: pass")
        else:
            pieces.append(text[start:end])
    return "\n".join(pieces) + "\n"


def _top_level_region(document: Document, plan: FillPlan) -> tuple[int, int]:
    """Char range of the top-level statements that hold every span (they start at column 0, so Python's parser
    judges them alone as it would in the file); the whole text when a span lies between statements or the
    range could change meaning on its own (a ``__future__`` import)."""
    whole = (0, len(plan.text))
    tops = [document.span_of(child) for child in document.root.children]
    if not plan.spans or not tops:
        return whole
    chosen = []
    for start, end in plan.spans:
        holder = [(a, b) for a, b in tops if a < start and end <= b]
        if not holder:
            return whole  # between statements, or at the very start of one: its extent may change
        chosen.append(holder[0])
    first = min(a for a, _ in chosen)
    last = max(b for _, b in chosen)
    if "__future__" in plan.text[first:last] and first > 0:
        return whole
    return first, last


def validator_for(plan: FillPlan) -> PlanValidator | None:
    """A validator for the plan's candidates; None when the language is unknown."""
    if plan.language is None:
        return None
    return PlanValidator(plan, parse_document(plan.text, plan.language))


def stop_rule_for(plan: FillPlan) -> StopRule | None:
    """The AR stop rule (see :mod:`unmask.grammar.stops`) when the request resolves to AR with one hole."""
    if plan.request.resolved_mode() != "ar" or len(plan.spans) != 1:
        return None
    return ContinuationStop(plan.request.segments[0], _spec(plan.language))


def _fills_of(candidate: Candidate | Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(candidate, Candidate):
        return candidate.fills
    if isinstance(candidate, str):
        return (candidate,)
    return tuple(candidate)


def edits_for(plan: FillPlan, candidate: Candidate | Sequence[str] | str) -> list[TextEdit]:
    """One :class:`TextEdit` per span, the fill placed by :func:`place_fill`."""
    fills = _fills_of(candidate)
    if len(fills) != len(plan.spans):
        raise BadEdits(f"{len(fills)} fills for {len(plan.spans)} spans")
    return [
        TextEdit(start, end, place_fill(plan, index, fill))
        for index, ((start, end), fill) in enumerate(zip(plan.spans, fills, strict=True))
    ]


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply disjoint edits (any order) to ``text``; raises :class:`BadEdits` if they overlap or fall outside."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    pieces: list[str] = []
    cursor = 0
    for edit in ordered:
        if not cursor <= edit.start <= edit.end <= len(text):
            raise BadEdits(f"edit {edit.start}..{edit.end} overlaps another or lies outside the text")
        pieces.append(text[cursor : edit.start])
        pieces.append(edit.new_text)
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def distinct_candidates(plan: FillPlan, result: FillResult) -> FillResult:
    """``result`` with candidates that are the same code (equal syntax trees, see
    :func:`~unmask.grammar.validate.tree_key`) kept once, the best ranked first. Where blocks are made by
    indentation, the same line at another indentation is other code (``return result`` after a loop or in it):
    a fill parsed alone does not show that, so its lines' indentation is part of what must be equal."""
    spec = _spec(plan.language)
    indented = spec is not None and spec.indent_blocks
    seen: set[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = set()
    kept = []
    for candidate in result.candidates:
        key = tuple(
            (tuple(leading_whitespace(line) for line in fill.split("\n") if line.strip()) if indented else (),
             tree_key(fill, spec))
            for fill in candidate.fills
        )
        if key not in seen:
            seen.add(key)
            kept.append(candidate)
    if len(kept) == len(result.candidates):
        return result
    return replace(result, candidates=tuple(kept))


def _holds_whole_lines(text: str, start: int, end: int) -> bool:
    """Whether an empty span sits at column 0 in front of a line that has text: its fill is whole lines, ended
    by a line break of its own."""
    return start == end and (start == 0 or text[start - 1] == "\n") and text[end : end + 1] not in ("", "\n", "\r")


def end_lines(plan: FillPlan, fills: Sequence[str]) -> tuple[str, ...]:
    """Fills as they join the text around them:

    * a fill that starts a line in front of a line of code ends with a line break: a hole at column 0 of a
      non-blank line (the prefix ends a line, the suffix starts the next one) holds whole lines, and text without
      the break would run into the line after it;
    * a fill after code and a space (``return ___``) does not bring a space of its own: the model writes most
      words with their leading space, and ``return  total`` would keep both."""
    out = []
    for (start, end), fill in zip(plan.spans, fills, strict=True):
        if _holds_whole_lines(plan.text, start, end) and fill.strip() and not fill.endswith("\n"):
            fill += "\n"
        line_start = plan.text.rfind("\n", 0, start) + 1
        if fill[:1] in (" ", "\t") and plan.text[start - 1 : start] in (" ", "\t") and plan.text[line_start:start].strip():
            fill = fill.lstrip(" \t")
        out.append(fill)
    return tuple(out)


def _without_repeats(fill: str) -> str:
    """``fill`` cut before the first line that repeats the line above it (``return x`` twice in a row) or starts
    a second copy of the 2-3 lines above it: the loop a small model falls into, in diffusion as in AR (see :func:`~unmask.grammar.stops.repeated_line`)."""
    cut = repeated_line(fill if fill.endswith("\n") else fill + "\n")
    return fill if cut is None else fill[:cut]


def _cut(fills: tuple[str, ...], stop: StopRule | None) -> tuple[str, ...]:
    """Fills cut by the stop rule (a single fill) and before a repeated line."""
    if stop is not None and len(fills) == 1:
        at = stop(fills[0])
        if at is not None:
            fills = (fills[0][:at],)
    return tuple(_without_repeats(fill) for fill in fills)


#: scores whole candidates (one tuple of fills each) for ranking, higher is better; None when it cannot
Scorer = Callable[[Sequence[tuple[str, ...]]], list[float] | None]


def choose_candidate(
    result: FillResult, validator: PlanValidator | None, stop: StopRule | None, scorer: Scorer | None = None
) -> tuple[Candidate, tuple[str, ...], bool | None, str | None]:
    """The best candidate whose fills, cut by the stop rule and before a repeated line, pass validation; the
    engine's best, marked invalid, if none does. Returns (candidate, fills, valid, reason); ``valid`` is None
    when there is no grammar to check with. The stop rule is applied again, so an engine that ignores it still
    stops at a boundary.

    Among valid candidates the engine's order (best first) decides, except that in Python a candidate with fewer
    name problems (reads of names nothing binds, locals assigned and never read) wins, and a fill that is only
    whitespace loses to one that writes code: a hole is there to be filled, and a fill that leaves the code
    around it reading an undefined name is wrong whatever the model's score. With a ``scorer``
    (:func:`joint_scorer`), its score of the whole document decides among the rest instead of the engine's order.

    When none is valid, the first that only Python's own parser rejects (tree-sitter accepts it: the shape is
    right, an indentation or an empty block is not) comes before the engine's best."""
    first: tuple[Candidate, tuple[str, ...], bool | None, str | None] | None = None
    near: tuple[Candidate, tuple[str, ...], bool | None, str | None] | None = None  # only Python's parser objects
    passing: list[tuple[Candidate, tuple[str, ...], bool | None, str | None]] = []
    for candidate in result.candidates:
        fills = _cut(candidate.fills, stop)
        if validator is not None:
            fills = end_lines(validator.plan, fills)
        verdict = validator.check(fills) if validator is not None else None
        entry = (candidate, fills, None if verdict is None else verdict.ok, None if verdict is None else verdict.reason)
        if verdict is None:
            return entry
        if verdict.ok:
            passing.append(entry)
        first = first or entry
        if near is None and verdict.reason == NOT_COMPILING:
            near = entry
    if passing:
        if len(passing) == 1 or validator is None:
            return passing[0]

        scores = scorer([entry[1] for entry in passing]) if scorer is not None else None

        def rank(index: int) -> tuple[bool, int, float]:
            fills = passing[index][1]
            blank = not any(fill.strip() for fill in fills)
            problems = validator.name_problems(fills)
            return blank, 0 if problems is None else problems, -scores[index] if scores else 0.0

        return passing[min(range(len(passing)), key=rank)]  # min is stable: ties keep the engine's order
    if first is None:
        raise NoHoles("the engine returned no candidates")
    if result.mode == "ar" and validator is not None:
        shortened = _valid_line_prefix(result, validator, stop)
        if shortened is not None:
            return shortened
    return near or first


#: at most this many shorter versions of AR continuations are checked when none is valid whole
PREFIX_CHECKS = 12


def _valid_line_prefix(
    result: FillResult, validator: PlanValidator, stop: StopRule | None
) -> tuple[Candidate, tuple[str, ...], bool | None, str | None] | None:
    """The longest run of whole lines, from the start of an AR continuation, that passes validation; candidates in
    the engine's order. A continuation that ran into its token budget inside a construct (a docstring, a call)
    keeps the complete lines it wrote before it, which is what a stop at the last boundary would have given."""
    checks = 0
    for candidate in result.candidates:
        if len(candidate.fills) != 1:
            continue
        (text,) = _cut(candidate.fills, stop)
        ends = [i + 1 for i, char in enumerate(text) if char == "\n" and i + 1 < len(text)]
        for end in reversed(ends):
            fills = end_lines(validator.plan, (text[:end],))
            if not fills[0].strip():
                break
            if checks == PREFIX_CHECKS:
                return None
            checks += 1
            verdict = validator.check(fills)
            if verdict.ok:
                return candidate, fills, True, verdict.reason
    return None


def joint_scorer(engine: Engine, plan: FillPlan) -> Scorer | None:
    """Scores a one-hole plan's candidates by how probable the engine's causal mode finds the whole document
    with each fill placed (:meth:`~unmask.model.engine.InfillEngine.score_infills`): the prefix, the fill *and
    the code after it*, so a fill the rest of the function does not follow from scores low. None for several
    holes or an engine that cannot score."""
    score = getattr(engine, "score_infills", None)
    if score is None or len(plan.spans) != 1:
        return None
    (start, end), = plan.spans
    prefix, suffix = plan.text[:start], plan.text[end:]

    def scorer(candidates: Sequence[tuple[str, ...]]) -> list[float] | None:
        scores = score(prefix, [place_fill(plan, 0, fills[0]) for fills in candidates], suffix)
        return None if scores is None else list(scores)

    return scorer


def continuation_request(plan: FillPlan) -> tuple[FillRequest, StopRule] | None:
    """For a one-hole diffusion fill in a known language: the greedy AR continuation of the same hole from its
    prefix, with the continuation stop rule, to join the diffusion candidates (None otherwise). Left to right
    from the prefix alone it is often the better line; the joint score (:func:`joint_scorer`), which reads the
    code after the hole too, decides between them."""
    request = plan.request
    if len(plan.spans) != 1 or request.resolved_mode() != "diffusion" or plan.language is None:
        return None
    if any(hole.draft is not None for hole in request.holes):
        return None  # re-rolling a draft keeps its pinned tokens: a fresh continuation would ignore them
    if any(hole.original is not None for hole in request.holes):
        return None  # regenerating a selection: its length is known, and the measured gain is on empty holes
    stop = ContinuationStop(request.segments[0], _spec(plan.language))
    return request.with_options(mode="ar", candidates=1, temperature=0.0), stop


#: the beam of first lines that joins a one-hole fill (:func:`continuation_requests`): its width, and the most
#: lines it returns (shared among the indentations of a line hole)
LINE_BEAM = 32
LINE_BEAM_CANDIDATES = 64
#: a line hole in a language whose blocks are made by indentation gets a beam at each of at most this many
#: indentation levels (:func:`line_indents`)
INDENT_LEVELS = 4


@dataclass(frozen=True)
class Continuation:
    """A left-to-right alternative for a one-hole fill: its request, its stop rule, and ``lead``, text that stands
    before each of its fills (the indentation the request's prefix was given)."""

    request: FillRequest
    stop: StopRule
    lead: str = ""


def _rest_of_line(text: str, offset: int) -> str:
    """The text from ``offset`` to the end of its line (without the line break)."""
    line_end = text.find("\n", offset)
    return text[offset : len(text) if line_end < 0 else line_end]


def _opens_block(line: str) -> bool:
    code = line.strip()
    return code.endswith(":") and not code.startswith("#")


def line_indents(plan: FillPlan) -> list[str]:
    """The indentations a one-hole plan's line may have, when the hole is empty and at column 0, in front of a line
    of code or on a blank line, in a language whose blocks are made by indentation; empty otherwise.

    After a line that opens a block, only one level deeper. Otherwise every level from the code line above's
    down to one level less than the code line below's: the hole may go on in the block above, close it (a
    ``return`` after a loop), or open the block the line below is in. At most :data:`INDENT_LEVELS`, the line
    above's first. Indentation that is not whole levels of the file's unit gives the two neighbours' own."""
    spec = _spec(plan.language)
    if spec is None or not spec.indent_blocks or len(plan.spans) != 1:
        return []
    ((start, end),) = plan.spans
    text = plan.text
    at_line_start = start == end and (start == 0 or text[start - 1] == "\n")
    if not at_line_start or not (_holds_whole_lines(text, start, end) or not _rest_of_line(text, end).strip()):
        return []
    unit = plan.indent_unit or "    "
    above = _code_line(text, start - 1, backwards=True) if start else None
    # the hole's own line when it has code, else the next code line (the text is not copied: files can be large)
    below = _code_line(text, start - 1, backwards=False) if start else _code_line("\n" + text, 0, backwards=False)
    if above is not None and _opens_block(above):
        return [leading_whitespace(above) + unit]

    def level(line: str | None) -> int | None:
        if line is None:
            return 0
        width = leading_whitespace(line)
        count = len(width) // len(unit)
        return count if width == unit * count else None

    top, bottom = level(above), level(below)
    if top is None or bottom is None or top < bottom - 1:
        return list(dict.fromkeys(leading_whitespace(line) for line in (above, below) if line is not None))
    return [unit * depth for depth in range(top, max(0, bottom - 1) - 1, -1)][:INDENT_LEVELS]


def _indent_beams(plan: FillPlan, request: FillRequest, indents: Sequence[str]) -> list[Continuation]:
    share = max(2, LINE_BEAM_CANDIDATES // len(indents))
    spec = _spec(plan.language)
    beams = []
    for indent in indents:
        prefix = request.segments[0] + indent
        indented = replace(request, segments=(prefix, *request.segments[1:]))
        beams.append(Continuation(indented.with_options(mode="ar", line_beam=LINE_BEAM, candidates=share, temperature=0.0),
                                  ContinuationStop(prefix, spec), indent))
    return beams


def _after_indentation(plan: FillPlan) -> bool:
    """Whether a one-hole plan's hole is empty, right after the indentation of a line with nothing else on it:
    the line's indentation is given, its code is the fill."""
    ((start, end),) = plan.spans
    before = plan.text[plan.text.rfind("\n", 0, start) + 1 : start]
    return start == end and bool(before) and not before.strip() and not _rest_of_line(plan.text, end).strip()


def continuation_requests(plan: FillPlan, *, appends: bool = True) -> list[Continuation]:
    """The left-to-right alternatives that join a one-hole fill, for the joint score to choose among.

    A diffusion fill (where :func:`continuation_request` gives one) gets the greedy continuation and a beam
    search of the most probable first lines (``line_beam``). Greedy decoding keeps only its first guess at each
    token; the beam keeps the runner-up lines (``return a + b`` where greedy wrote ``return a == b``), and the
    joint score, which reads the code after the hole, decides. Measured on the function benchmark's single-line
    holes (docs/model.md).

    A line hole in Python gets one beam per indentation it may have (:func:`line_indents`), each from the
    prefix with that indentation added, sharing the beam's lines between them: left to right, the model mostly
    writes the indentation that goes on in the block above, so a line that closes the block (``return result``
    after a loop) was rarely written. With ``appends``, such a hole at the end of the text (an AR fill: its
    greedy continuation is the fill itself) gets those beams too, as does one right after a line's indentation
    (one beam); an inline completion, offered as the user types, keeps its continuation of several lines and
    asks for none."""
    request = plan.request
    if request.resolved_mode() == "ar" and len(request.holes) == 1:
        if not appends or request.candidates != 1 or request.temperature != 0 or request.holes[0].original is not None:
            return []
        indents = line_indents(plan) or ([""] if _after_indentation(plan) else [])
        return _indent_beams(plan, request, indents) if indents else []
    alternative = continuation_request(plan)
    if alternative is None:
        return []
    request, stop = alternative
    greedy = Continuation(request, stop)
    indents = line_indents(plan)
    if not indents:
        return [greedy, Continuation(request.with_options(line_beam=LINE_BEAM, candidates=LINE_BEAM_CANDIDATES), stop)]
    return [greedy, *_indent_beams(plan, request, indents)]


def with_continuation(result: FillResult, continued: FillResult, validator: PlanValidator, alternative: Continuation) -> FillResult:
    """``result`` with each of the continuation's candidates that is valid (cut by its stop rule, or to its
    longest valid run of lines, see :func:`choose_candidate`; after its ``lead``) added last, and its passes
    and time counted; unchanged apart from those when none is valid. A candidate with a lead keeps no tokens:
    they would not line up with its text."""
    extra = []
    stop: StopRule | None = alternative.stop
    for each in continued.candidates:
        if alternative.lead:
            each = replace(each, fills=tuple(alternative.lead + fill for fill in _cut(each.fills, stop)), tokens=())
        candidate, fills, valid, _ = choose_candidate(
            replace(continued, candidates=(each,)), validator, None if alternative.lead else stop
        )
        if valid:
            extra.append(replace(candidate, fills=fills, valid=True))
    return replace(
        result,
        candidates=result.candidates + tuple(extra),
        forward_passes=result.forward_passes + continued.forward_passes,
        elapsed_s=result.elapsed_s + continued.elapsed_s,
    )


#: a greedy fill none of whose candidates passes validation gets one more round: this many sampled candidates
#: per canvas size, at this temperature, with the next seed; the best of both rounds is kept
RETRY_CANDIDATES = 3
RETRY_TEMPERATURE = 0.8


def retry_request(plan: FillPlan, valid: bool | None) -> FillRequest | None:
    """The second, sampled round for a greedy single-candidate fill whose chosen candidate is invalid; None when
    no second round is due (the fill is valid, unchecked, or already sampled)."""
    request = plan.request
    if valid is not False or request.candidates != 1 or request.temperature != 0:
        return None
    return request.with_options(candidates=RETRY_CANDIDATES, temperature=RETRY_TEMPERATURE, seed=request.seed + 1)


def merge_rounds(plan: FillPlan, first: FillResult, second: FillResult) -> FillResult:
    """Both rounds' candidates (distinct, the first round's first) with their steps, passes and time summed."""
    return distinct_candidates(plan, replace(
        first,
        candidates=first.candidates + second.candidates,
        steps=first.steps + second.steps,
        forward_passes=first.forward_passes + second.forward_passes,
        elapsed_s=first.elapsed_s + second.elapsed_s,
    ))


def fill_document(
    engine: Engine,
    plan: FillPlan,
    *,
    on_step: Callable[[Step], None] | None = None,
    cancelled: CancelCheck | None = None,
    retry: bool = True,
) -> FillOutcome:
    """Run the engine on the plan and pick the best candidate that passes validation (the engine's best if
    none does, marked ``valid=False``). The stop rule is applied again to each candidate, so an engine that
    ignores it still stops at a boundary. With ``retry``, a greedy fill whose candidates all fail validation
    samples a second round (:func:`retry_request`) before giving up."""
    validator = validator_for(plan)
    stop = stop_rule_for(plan)
    scorer = joint_scorer(engine, plan)
    result = run_fill(engine, plan.request, validate=validator, stop=stop, on_step=on_step, cancelled=cancelled)
    if scorer is not None and validator is not None:  # AR lines join, the joint score decides
        for alternative in continuation_requests(plan):
            continued = run_fill(engine, alternative.request, validate=validator, stop=alternative.stop,
                                 cancelled=cancelled)
            result = with_continuation(result, continued, validator, alternative)
    result = distinct_candidates(plan, result)
    candidate, fills, valid, reason = choose_candidate(result, validator, stop, scorer)
    again = retry_request(plan, valid) if retry else None
    if again is not None:
        second = run_fill(engine, again, validate=validator, stop=stop, on_step=on_step, cancelled=cancelled)
        result = merge_rounds(plan, result, second)
        candidate, fills, valid, reason = choose_candidate(result, validator, stop, scorer)
    edits = edits_for(plan, fills)
    return FillOutcome(plan, result, candidate, fills, edits, apply_edits(plan.text, edits), valid, reason)
