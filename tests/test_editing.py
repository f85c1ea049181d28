"""unmask.editing: planning fills, validating and placing candidates, applying edits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from unmask.editing import (
    LINE_BEAM_CANDIDATES,
    LOOPING,
    NOT_COMPILING,
    TextEdit,
    apply_edits,
    choose_candidate,
    continuation_request,
    continuation_requests,
    distinct_candidates,
    edits_for,
    enclosing_kinds,
    end_lines,
    fill_document,
    joint_scorer,
    line_indents,
    place_fill,
    plan_cursor,
    plan_enclosing,
    plan_holes,
    plan_infill,
    plan_range,
    stop_rule_for,
    validator_for,
    with_continuation,
)
from unmask.grammar.errors import BadEdits, BadRange, GrammarError, NoHoles
from unmask.grammar.languages import get_language
from unmask.grammar.validate import tree_key
from unmask.model.api import (
    SHIPPED_WEIGHTS,
    Candidate,
    FakeEngine,
    FillRequest,
    FillResult,
    HoleSpec,
    Token,
    load_engine,
    run_fill,
)

SOURCE = "def f(x):\n    return x + 1\n\n\ndef g(y):\n    ...\n\n\nz = f(2)\n"


def test_plan_range_snaps_and_builds_the_request() -> None:
    start = SOURCE.index("x + 1")
    plan = plan_range(SOURCE, "python", start + 1, start + 4, steps=8, seed=3)
    assert plan.spans == ((start, start + 5),) and plan.kinds == ("binary_operator",)
    assert plan.request.segments == (SOURCE[:start], SOURCE[start + 5 :])
    assert plan.request.holes[0].original == "x + 1" and plan.request.holes[0].kind == "binary_operator"
    assert plan.request.steps == 8 and plan.request.seed == 3 and plan.request.language == "python"
    assert plan.note is None and plan.keep_kinds == (None,)


def test_plan_range_without_snap_and_hole_options() -> None:
    plan = plan_range(SOURCE, "python", 2, 5, snap=False, max_tokens=12)
    assert plan.spans == ((2, 5),) and plan.request.holes[0].max_tokens == 12


def test_plan_range_of_a_definition_keeps_its_kind() -> None:
    end = SOURCE.index("\n\n\ndef g")
    plan = plan_range(SOURCE, "python", 0, end)
    assert plan.kinds == ("function_definition",) and plan.keep_kinds == ("function_definition",)
    validator = validator_for(plan)
    assert validator is not None
    assert validator(("def f(x):\n    return x * 2",))
    assert not validator(("f = 1",))


def test_bad_ranges() -> None:
    with pytest.raises(BadRange):
        plan_range(SOURCE, "python", 5, 2)
    with pytest.raises(BadRange):
        plan_cursor(SOURCE, "python", len(SOURCE) + 1)
    assert issubclass(BadRange, GrammarError)


def test_plan_cursor_append_is_ar_with_a_stop_rule() -> None:
    text = "def f(x):\n    "
    plan = plan_cursor(text, "python", len(text))
    assert plan.spans == ((len(text), len(text)),) and plan.reasons == ("append",)
    assert plan.request.resolved_mode() == "ar"
    stop = stop_rule_for(plan)
    assert stop is not None and stop("return x\n\ndef g():\n") == len("return x")


def test_plan_cursor_inside_code_is_an_empty_infill() -> None:
    offset = SOURCE.index("+ 1")
    plan = plan_cursor(SOURCE, "python", offset)
    assert plan.spans == ((offset, offset),) and plan.reasons == ("cursor",)
    assert plan.request.resolved_mode() == "diffusion" and stop_rule_for(plan) is None
    assert plan_infill(SOURCE[:offset], SOURCE[offset:], "python").request == plan.request


def test_plan_holes() -> None:
    text = "def f(x):\n    ...\n\ny = ___\nprint(y)\n"
    plan = plan_holes(text, "py", candidates=2)
    assert [text[s:e] for s, e in plan.spans] == ["...", "___"]
    assert plan.reasons == ("placeholder", "marker") and len(plan.request.holes) == 2
    assert plan.request.segments[1] == "\n\ny = " and plan.request.candidates == 2
    with pytest.raises(NoHoles):
        plan_holes("x = 1\n", "python")


def test_enclosing_levels() -> None:
    offset = SOURCE.index("x + 1")
    levels = enclosing_kinds(SOURCE, "python", offset)
    assert [kind for kind, _, _ in levels][:2] == ["identifier", "binary_operator"]
    plan = plan_enclosing(SOURCE, "python", offset, level=3)
    assert plan.kinds == ("function_definition",) and plan.spans[0][0] == 0
    assert plan_enclosing(SOURCE, "python", offset, level=99).kinds == ("module",)


def test_unknown_language_falls_back_and_says_so() -> None:
    text = "alpha beta\n  gamma ___ delta\n"
    plan = plan_holes(text, "cobol")
    assert plan.language is None and plan.note and "unknown language" in plan.note
    assert [text[s:e] for s, e in plan.spans] == ["___"]
    assert validator_for(plan) is None
    assert [kind for kind, _, _ in enclosing_kinds(text, None, text.index("gamma"))] == ["line", "paragraph"]
    assert plan_range(text, None, 0, 3).spans == ((0, 3),)


def test_edits_are_reindented_and_keep_crlf() -> None:
    text = "def f(x):\r\n    ___\r\n"
    plan = plan_holes(text, "python")
    [edit] = edits_for(plan, "if x:\n    return 1\nreturn 2")
    assert edit.new_text == "if x:\r\n        return 1\r\n    return 2"
    new_text = apply_edits(text, [edit])
    assert new_text == "def f(x):\r\n    if x:\r\n        return 1\r\n    return 2\r\n"
    validator = validator_for(plan)
    assert validator is not None and validator(("if x:\n    return 1\nreturn 2",))


def test_apply_edits_checks_overlap_and_order() -> None:
    assert apply_edits("abcdef", [TextEdit(4, 5, "E"), TextEdit(0, 1, "A")]) == "AbcdEf"
    with pytest.raises(BadEdits):
        apply_edits("abcdef", [TextEdit(0, 3, ""), TextEdit(2, 4, "")])
    with pytest.raises(BadEdits):
        apply_edits("abc", [TextEdit(2, 9, "")])


def test_fill_document_validates_and_applies() -> None:
    text = "def f(x):\n    return ___\n\nprint(f(1))\n"
    plan = plan_holes(text, "python")
    steps: list[int] = []
    outcome = fill_document(FakeEngine(steps=3, text="x * 2"), plan, on_step=lambda step: steps.append(step.index))
    assert steps == [1, 2, 3]
    assert outcome.valid is True and outcome.new_text == text.replace("___", "x * 2")
    broken = fill_document(FakeEngine(text="x *"), plan)
    assert broken.valid is False and broken.reason and "syntax error" in broken.reason


def test_candidates_that_are_the_same_code_are_kept_once() -> None:
    python = get_language("python")
    assert tree_key("f(a,b)  # why", python) == tree_key("f( a, b )", python)
    assert tree_key("f(a, b)", python) != tree_key("f(b, a)", python)
    # same tokens, other structure: the second statement moved into the block
    assert tree_key("if a:\n    b()\nc()\n", python) != tree_key("if a:\n    b()\n    c()\n", python)
    plan = plan_holes("def f(a, b):\n    return ___\n", "python")
    fills = ["g(a,b)", "g( a, b )  # same", "g(b, a)", "g(a, b)"]
    result = FillResult(candidates=tuple(Candidate(fills=(f,), score=-i) for i, f in enumerate(fills)), mode="diffusion", steps=1, forward_passes=1, elapsed_s=0.0)
    kept = distinct_candidates(plan, result).candidates
    assert [c.fills[0] for c in kept] == ["g(a,b)", "g(b, a)"]
    # in Python a line at another indentation is other code, though the line alone parses the same
    line = plan_infill("def f(xs):\n    for x in xs:\n        print(x)\n", "\n", "python")
    lines = ["        return xs", "    return xs", "    return  xs", "        return xs"]
    result = FillResult(candidates=tuple(Candidate(fills=(f,), score=-i) for i, f in enumerate(lines)), mode="ar", steps=1, forward_passes=1, elapsed_s=0.0)
    assert [c.fills[0] for c in distinct_candidates(line, result).candidates] == lines[:2]


def test_fill_document_applies_the_stop_rule_to_appends() -> None:
    text = "def f(x):\n    "
    outcome = fill_document(FakeEngine(text="return x\n\n\nprint('more')\n"), plan_cursor(text, "python", len(text)))
    assert outcome.fills == ("return x",) and outcome.new_text == text + "return x"
    assert outcome.result.mode == "ar"


@pytest.mark.slow
def test_fill_document_with_the_shipped_model() -> None:
    if not (SHIPPED_WEIGHTS / "model.safetensors").is_file():
        pytest.skip("shipped model not present: unmask/model/weights/model.safetensors is missing")
    engine = load_engine()
    text = "def add(a, b):\n    return ___\n\n\nprint(add(1, 2))\n"
    plan = plan_holes(text, "python", steps=16, seed=0)
    outcome = fill_document(engine, plan)
    assert outcome.new_text.startswith("def add(a, b):\n    return ")
    assert outcome.new_text.endswith("\n\n\nprint(add(1, 2))\n")
    assert outcome.valid is not None and len(outcome.edits) == 1


def test_python_compile_check_looks_only_at_the_statements_it_fills() -> None:
    # a broken function elsewhere no longer switches Python's own check off, and the check reads only the
    # function holding the cursor (a 10k-line file costs no more than a short one)
    prefix = "def a():\n    return 1\n\n\ndef f(x):\n    y = x\n    "
    suffix = "\n    return y\n\n\ndef broken(:\n    pass\n"
    plan = plan_infill(prefix, suffix, "python")
    validator = validator_for(plan)
    assert validator is not None and validator.python_ast
    assert plan.text[slice(*validator.region)].startswith("def f(x):") and "broken" not in plan.text[slice(*validator.region)]
    assert validator.check(["z = y + 1"]).ok
    verdict = validator.check(["z = 1\n            w = 2"])  # tree-sitter shrugs at the indentation; Python does not
    assert not verdict.ok and verdict.reason and "compile" in verdict.reason


def _result(*fills: str) -> FillResult:
    candidates = tuple(Candidate(fills=(fill,), score=-float(rank)) for rank, fill in enumerate(fills))
    return FillResult(candidates=candidates, mode="diffusion", steps=1, forward_passes=1, elapsed_s=0.0)


def test_choice_prefers_the_valid_fill_that_binds_what_the_code_after_it_reads() -> None:
    plan = plan_infill("def count(grid):\n", "\n    for row in grid:\n        print(row)\n    return islands\n", "python")
    validator = validator_for(plan)
    chosen = choose_candidate(_result("    result = 0", "    islands = 0"), validator, None)
    assert chosen[1] == ("    islands = 0",) and chosen[2] is True
    # an empty fill is valid but loses to one that writes code
    assert choose_candidate(_result("", "    islands = 0"), validator, None)[1] == ("    islands = 0",)
    # with equal name counts the engine's order stands
    assert choose_candidate(_result("    islands = 1", "    islands = 0"), validator, None)[1] == ("    islands = 1",)


def test_choice_prefers_the_fill_that_gives_a_value_to_what_the_code_after_it_updates() -> None:
    # `count += 1` after the hole: a fill that never sets `count` leaves it unbound when the loop runs
    suffix = "\n    for char in text:\n        if char == '(':\n            count += 1\n    return count\n"
    plan = plan_infill("def opening(text):\n", suffix, "python")
    validator = validator_for(plan)
    assert validator is not None
    assert validator.name_problems(("    total = 0",)) == 2  # `count` unbound, `total` never read
    assert validator.name_problems(("    count = 0",)) == 0
    chosen = choose_candidate(_result("    text = text.strip()", "    count = 0"), validator, None)
    assert chosen[1] == ("    count = 0",) and chosen[2] is True


def test_a_fill_that_loops_within_a_line_loses_to_one_that_does_not() -> None:
    prefix = "def encode(text):\n    current = ''\n    for char in text:\n"
    suffix = "\n    return current\n"
    validator = validator_for(plan_infill(prefix, suffix, "python"))
    assert validator is not None
    looping = "        current = char + char + char + char + char + char"
    verdict = validator.check([looping])
    assert not verdict.ok and verdict.reason == LOOPING
    chosen = choose_candidate(_result(looping, "        current = current + char"), validator, None)
    assert chosen[1] == ("        current = current + char",) and chosen[2] is True
    # a selection that already repeated itself may be regenerated into code that does too
    text = "rows = [row, row, row, row, row]\n"
    kept = validator_for(plan_range(text, "python", 0, len(text) - 1))
    assert kept is not None and kept.check(["rows = [row, row, row, row, row, row]"]).ok


def test_choice_knows_the_names_the_rest_of_the_module_binds() -> None:
    prefix = "import heapq\n\nLIMIT = 3\n\n\ndef smallest(values):\n    heap = list(values)\n"
    suffix = "\n    return heap[:LIMIT] + helper()\n\n\ndef helper():\n    return []\n"
    validator = validator_for(plan_infill(prefix, suffix, "python"))
    chosen = choose_candidate(_result("    queue.heapify(heap)", "    heapq.heapify(heap)"), validator, None)
    assert chosen[1] == ("    heapq.heapify(heap)",)
    assert validator is not None and validator.name_problems(("    heapq.heapify(heap)",)) == 0


def test_an_invalid_candidate_never_wins_on_names() -> None:
    plan = plan_infill("def f(a):\n", "\n    return b\n", "python")
    chosen = choose_candidate(_result("    b = = a", "    c = a"), validator_for(plan), None)
    assert chosen[1] == ("    c = a",) and chosen[2] is True


def test_a_scorer_decides_among_valid_fills_after_names() -> None:
    plan = plan_infill("def count(grid):\n", "\n    for row in grid:\n        print(row)\n    return islands\n", "python")
    validator = validator_for(plan)
    seen: list[tuple[str, ...]] = []

    def by_length(candidates):  # type: ignore[no-untyped-def]
        seen.extend(fills[0] for fills in candidates)
        return [float(len(fills[0])) for fills in candidates]

    fills = ("    islands = 0", "    islands = len(grid)", "    total = 0", "    islands = = 1")
    chosen = choose_candidate(_result(*fills), validator, None, by_length)
    # the longest valid fill with no name problem wins; the invalid one is never scored
    assert chosen[1] == ("    islands = len(grid)",) and chosen[2] is True
    assert "    islands = = 1" not in seen
    # a scorer that cannot score leaves the engine's order
    assert choose_candidate(_result(*fills), validator, None, lambda candidates: None)[1] == ("    islands = 0",)


LOOP = "def total(values):\n    result = 0\n    for value in values:\n        if value:\n            result += value\n"


def test_a_line_hole_gets_every_indentation_it_may_have() -> None:
    # after a line that opens a block: only one level deeper
    assert line_indents(plan_infill("def f(x):\n    if x:\n", "\n        return 1\n", "python")) == ["        "]
    # closing nested blocks before the end of the function: every level down to one less than the line below
    assert line_indents(plan_infill(LOOP, "\n\nprint(total([1]))\n", "python")) == ["            ", "        ", "    ", ""]
    assert line_indents(plan_infill(LOOP, "\n    return result\n", "python")) == [" " * 12, " " * 8, " " * 4, ""]
    # in the middle of a body: the body's level, or one less (``else:`` opening the block the next line is in)
    assert line_indents(plan_infill("def f(x):\n    y = 1\n", "\n    return y\n", "python")) == ["    ", ""]
    # the hole in front of its line of code (the line is the line below), and tabs as the file's unit
    assert line_indents(plan_infill("def f(x):\n\ty = 1\n", "\treturn y\n", "python")) == ["\t", ""]
    # not a line hole: the prefix ends with the indentation, the hole is in an expression, or blocks are braces
    assert line_indents(plan_infill("def f(x):\n    y = 1\n    ", "\n    return y\n", "python")) == []
    assert line_indents(plan_infill("def f(x):\n    return ", "\n", "python")) == []
    assert line_indents(plan_infill("function f(x) {\n  let y = 1;\n", "\n  return y;\n}\n", "javascript")) == []


def test_a_beam_per_indentation_joins_with_its_indentation_in_front() -> None:
    plan = plan_infill(LOOP, "\n\nprint(total([1]))\n", "python")
    greedy, *beams = continuation_requests(plan)
    assert greedy.lead == "" and greedy.request.line_beam == 0
    assert [beam.lead for beam in beams] == line_indents(plan)
    for beam in beams:  # each beam continues the prefix with its indentation, and shares the beam's lines
        assert beam.request.segments[0] == LOOP + beam.lead and beam.request.line_beam > 1
        assert beam.request.candidates * len(beams) <= LINE_BEAM_CANDIDATES
    # a line hole at the end of the text is an append: its AR fill is the greedy continuation, the beams join it
    # (not for an inline completion, which keeps its continuation of several lines)
    append = plan_infill(LOOP, "\n", "python")
    assert append.request.resolved_mode() == "ar"
    beams_of_append = continuation_requests(append)
    assert [beam.lead for beam in beams_of_append] == line_indents(append) == [" " * 12, " " * 8, " " * 4, ""]
    assert all(beam.request.mode == "ar" and beam.request.line_beam > 1 for beam in beams_of_append)
    assert continuation_requests(append, appends=False) == []
    # an append right after a line's indentation: one beam, the indentation is given; after code on the line: none
    (given,) = continuation_requests(plan_infill(LOOP + "    ", "\n", "python"))
    assert given.lead == "" and given.request.line_beam > 1 and given.request.candidates == LINE_BEAM_CANDIDATES
    assert continuation_requests(plan_infill(LOOP + "    return ", "\n", "python")) == []
    assert continuation_requests(plan_infill(LOOP, "\n", "python", candidates=3)) == []
    validator = validator_for(plan)
    assert validator is not None
    four = next(beam for beam in beams if beam.lead == "    ")
    lines = FillResult((Candidate(("return result",), -1.0, ((Token(5, "return", 0.9),),)), Candidate(("return = 1",), -2.0)),
                       "ar", 3, 3, 0.01)
    joined = with_continuation(_result("    result = 1"), lines, validator, four)
    # the indentation stands in front of the line, an invalid line does not join, and a joined line keeps no
    # tokens (they would not line up with its text)
    assert [c.fills for c in joined.candidates] == [("    result = 1",), ("    return result",)]
    assert joined.candidates[1].tokens == () and joined.forward_passes == 4


@pytest.mark.slow
def test_the_continuation_joins_a_diffusion_fill_and_the_joint_score_chooses() -> None:
    if not (SHIPPED_WEIGHTS / "model.safetensors").is_file():
        pytest.skip("shipped model not present: unmask/model/weights/model.safetensors is missing")
    engine = load_engine()
    prefix = "def total(values):\n    result = 0\n    for value in values:\n"
    plan = plan_infill(prefix, "\n    return result\n", "python")
    validator, scorer, alternative = validator_for(plan), joint_scorer(engine, plan), continuation_request(plan)
    assert validator is not None and scorer is not None and alternative is not None
    request, stop = alternative
    assert request.mode == "ar" and request.segments == plan.request.segments
    continued = choose_candidate(run_fill(engine, request, validate=validator, stop=stop), validator, stop)
    greedy, beam = continuation_requests(plan)  # after `for ...:` the line has one indentation: one beam
    assert greedy.request == request and beam.lead == "        " and beam.request.line_beam > 1
    assert beam.request.mode == "ar" and beam.request.segments[0] == prefix + beam.lead
    lines = run_fill(engine, beam.request, validate=validator, stop=beam.stop).candidates
    assert len(lines) > 1 and all("\n" not in line.text.strip() for line in lines)
    outcome = fill_document(engine, plan)
    fills = [candidate.fills for candidate in outcome.result.candidates]
    if continued[2]:
        assert continued[1] in fills  # the continuation is one of the candidates
    for line in lines:  # and so is every valid line of the beam, after its indentation
        placed = end_lines(plan, (beam.lead + line.text,))
        if validator.check(placed).ok:
            assert placed in fills
    assert outcome.valid is True
    valid = [end_lines(plan, f) for f in fills]
    valid = [f for f in valid if validator.check(f).ok and validator.name_problems(f) == 0]
    scores = scorer(valid)
    assert scores is not None and outcome.fills == valid[scores.index(max(scores))]
    # no continuation joins an append (already AR) or the regeneration of a selection
    assert continuation_request(plan_cursor(prefix, "python", len(prefix))) is None
    text = "def f(x):\n    return x + 1\n\n\nprint(f(2))\n"
    regenerate = plan_range(text, "python", text.index("x + 1"), text.index("x + 1") + 5)
    assert regenerate.request.resolved_mode() == "diffusion" and continuation_request(regenerate) is None
    assert joint_scorer(FakeEngine(), plan) is None


@pytest.mark.slow
def test_the_line_beams_guide_reads_the_code_after_the_hole() -> None:
    if not (SHIPPED_WEIGHTS / "model.safetensors").is_file():
        pytest.skip("shipped model not present: unmask/model/weights/model.safetensors is missing")
    import torch
    from engines import denoiser, embedded_causal, infill_engine

    from unmask.model.diffusion import GUIDE_CANVAS, slot_logprobs

    engine = infill_engine(SHIPPED_WEIGHTS)
    codec = engine.codec
    for prefix, suffix, name in (
        ("def area(width, height):\n    ", "\n    return result\n", "result"),
        ("def mean(values):\n    ", "\n    return total / len(values)\n", "total"),
    ):
        request = FillRequest.single(prefix, suffix, HoleSpec(max_tokens=48), mode="ar", line_beam=32, candidates=8)
        guide = slot_logprobs(denoiser(engine), codec, request, GUIDE_CANVAS)
        (token,) = codec.encode(name)
        assert codec.bos_id is not None
        with torch.no_grad():
            logits, _ = embedded_causal(engine).prefill([codec.bos_id] + codec.encode(prefix))
        left = logits.float().log_softmax(-1)
        # the line the code after the hole calls for starts with ``name`` (what it returns): the guide, which
        # reads that code, finds it far likelier than the prefix alone does (measured: 5 to 6 nats)
        assert float(guide[0, token]) > float(left[token]) + 3.0


class _Rounds:
    """An engine whose greedy round writes ``first`` and whose sampled rounds write ``then`` (records requests)."""

    name = "rounds"

    def __init__(self, first: str, then: str) -> None:
        self.first, self.then = first, then
        self.requests: list[FillRequest] = []

    def describe(self) -> dict[str, object]:
        return {"name": self.name}

    def iter_fill(self, request, *, validate=None, stop=None):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        text = self.first if request.temperature == 0 else self.then
        yield FillResult((Candidate(fills=(text,), score=-1.0),), "diffusion", 2, 2, 0.01)


def test_a_greedy_fill_with_no_valid_candidate_samples_a_second_round() -> None:
    plan = plan_infill("def f(a):\n", "\n    return b\n", "python")
    engine = _Rounds("    b = = a", "    b = a")
    outcome = fill_document(engine, plan, retry=True)
    assert outcome.fills == ("    b = a",) and outcome.valid is True
    assert [r.temperature for r in engine.requests] == [0.0, 0.8] and engine.requests[1].candidates == 3
    assert outcome.result.forward_passes == 4  # both rounds count
    # a valid greedy fill, or retry off, runs one round
    engine = _Rounds("    b = a", "    b = 2")
    assert fill_document(engine, plan, retry=True).fills == ("    b = a",) and len(engine.requests) == 1
    engine = _Rounds("    b = = a", "    b = a")
    assert fill_document(engine, plan, retry=False).valid is False and len(engine.requests) == 1


def test_a_fill_at_the_start_of_a_line_of_code_ends_with_a_line_break() -> None:
    # the HumanEval-infilling shape: the prefix ends a line, the suffix is the next line
    plan = plan_infill("def f(a):\n    b = a\n", "    return b\n", "python")
    chosen = choose_candidate(_result("    b = b + 1"), validator_for(plan), None)
    assert chosen[1] == ("    b = b + 1\n",) and chosen[2] is True
    # on an empty line (the suffix starts with the break) or mid-line nothing is added
    plan = plan_infill("def f(a):\n", "\n    return a\n", "python")
    assert choose_candidate(_result("    a = 1"), validator_for(plan), None)[1] == ("    a = 1",)
    plan = plan_infill("def f(a):\n    return ", "a\n", "python")
    assert choose_candidate(_result("1 + "), validator_for(plan), None)[1] == ("1 + ",)


def test_the_model_sees_a_hole_at_the_start_of_a_line_of_code_on_a_line_of_its_own() -> None:
    # the fill will end with a line break (above), so the model is shown the text after the hole starting with
    # one; the document itself and where the fill goes do not change
    plan = plan_infill("def f(a):\n    b = a\n", "    return b\n", "python")
    assert plan.request.segments == ("def f(a):\n    b = a\n", "\n    return b\n")
    assert plan.text == "def f(a):\n    b = a\n    return b\n" and plan.spans == ((20, 20),)
    crlf = plan_infill("def f(a):\r\n", "    return a\r\n", "python")
    assert crlf.request.segments[1] == "\r\n    return a\r\n"
    # on an empty line, mid-line, at the end (an append) or for a selection the text is cut as it is
    for prefix, suffix in (("def f(a):\n", "\n    return a\n"), ("def f(a):\n    return ", "a\n"), ("x = 1\n", "\n")):
        assert plan_infill(prefix, suffix, "python").request.segments == (prefix, suffix)
    text = "def f(a):\n    b = a\n    return b\n"
    assert plan_range(text, "python", 14, 19).request.segments[1] == "\n    return b\n"


def test_a_fill_in_front_of_a_line_of_code_is_judged_with_its_line_break() -> None:
    # the HumanEval-infilling shape again: the engine ranks its candidates with the validator before the break
    # is added, so the validator adds it itself; Python's compile check holds here as on an empty line
    plan = plan_infill("def f(a):\n    b = a\n", "    return b\n", "python")
    validator = validator_for(plan)
    assert validator is not None and validator.python_ast
    assert validator(("    b = b + 1",)) and validator(("    b = b + 1\n",))
    assert not validator(("    if b:",))  # the line after it is not indented deeper: an empty block
    assert not validator(("        b = 1",))  # an unexpected indent only Python's parser sees
    nested = validator_for(plan_infill("def f(a):\n    for x in a:\n", "        print(x)\n", "python"))
    assert nested is not None
    assert nested(("        if x:",)) is False and nested(("        x += 1",))


def test_a_fill_after_code_and_a_space_does_not_add_a_second_space() -> None:
    plan = plan_holes("def add(a, b):\n    return ___\n", "python")
    chosen = choose_candidate(_result(" a + b"), validator_for(plan), None)
    assert chosen[1] == ("a + b",) and chosen[2] is True
    two = choose_candidate(_result("  a + b"), validator_for(plan), None)[1]
    assert apply_edits(plan.text, edits_for(plan, two)) == "def add(a, b):\n    return a + b\n"
    # after indentation, after code with no space, or a fill without one: written as it is
    indent = plan_infill("def f(a):\n    ", "\n    return a\n", "python")
    assert choose_candidate(_result("a = 1"), validator_for(indent), None)[1] == ("a = 1",)
    call = plan_infill("def f(a):\n    return g(", ")\n", "python")
    assert choose_candidate(_result(" a"), validator_for(call), None)[1] == (" a",)
    assert choose_candidate(_result("a + b"), validator_for(plan), None)[1] == ("a + b",)


def test_a_fill_that_leaves_a_function_without_a_body_is_invalid_even_where_tree_sitter_accepts_it() -> None:
    text = "def f(x):\n    ___\n\n\ndef g():\n    return 1\n"
    plan = plan_holes(text, "python")
    validator = validator_for(plan)
    assert validator is not None
    assert validator.check(("return x",)).ok
    verdict = validator.check(("# nothing here",))  # tree-sitter parses this; Python wants an indented block
    assert not verdict.ok and "compile" in (verdict.reason or "")


def test_a_whole_line_hole_must_compile_at_the_indentation_and_shape_its_neighbours_ask_for() -> None:
    # the hole is an empty line inside a function (the benchmark's shape): no stand-in at column 0 compiles,
    # but one at the body's indentation does, so Python's parser judges the fills
    plan = plan_infill("def f(items):\n    total = 0\n", "\n    return total\n", "python")
    validator = validator_for(plan)
    assert validator is not None and validator.python_ast
    assert validator.check(["    total += len(items)"]).ok
    verdict = validator.check(["    if items:"])  # an `if` with no body: tree-sitter accepts it, Python does not
    assert not verdict.ok and "compile" in (verdict.reason or "")
    assert not validator.check(["total += 1"]).ok  # at column 0 it ends the function
    # in front of a deeper line the hole held a block opener: a simple statement leaves an unexpected indent
    plan = plan_infill("def f(items):\n", "\n        return 0\n    return 1\n", "python")
    validator = validator_for(plan)
    assert validator is not None and validator.python_ast
    assert validator.check(["    if not items:"]).ok
    assert not validator.check(["    size = len(items)"]).ok


def test_when_nothing_is_valid_the_fill_tree_sitter_accepts_comes_first() -> None:
    plan = plan_infill("def f(items):\n    total = 0\n", "\n    return total\n", "python")
    validator = validator_for(plan)
    # neither is valid: the first breaks tree-sitter's parse, the second only Python's (an `if` with no body)
    chosen = choose_candidate(_result("    total = (", "    if items:"), validator, None)
    assert chosen[1] == ("    if items:",) and chosen[2] is False and "compile" in (chosen[3] or "")
    # with no such candidate the engine's best stands
    chosen = choose_candidate(_result("    total = (", "    total = ]"), validator, None)
    assert chosen[1] == ("    total = (",) and chosen[2] is False


def test_an_ar_continuation_that_breaks_off_inside_a_construct_keeps_its_complete_lines() -> None:
    source = "def area(side):\n    return side * side\n"
    plan = plan_cursor(source, "python", len(source))
    assert plan.request.resolved_mode() == "ar"
    validator = validator_for(plan)
    broken = '\n\ndef volume(side):\n    return side ** 3\n\n\ndef _eval(x):\n    """\n    Return a list of the'
    ar = replace(_result(broken), mode="ar")
    chosen = choose_candidate(ar, validator, None)
    assert chosen[2] is True and chosen[1] == ("\n\ndef volume(side):\n    return side ** 3\n\n\n",)
    # a diffusion fill is never shortened: its end must meet the code after the hole
    chosen = choose_candidate(_result(broken), validator, None)
    assert chosen[2] is False and chosen[1] == (broken,)
    # nothing complete before the break: nothing valid to offer
    chosen = choose_candidate(replace(_result('\n\ndef f(x):\n    """Doc'), mode="ar"), validator, None)
    assert chosen[2] is False


def test_names_of_the_rest_of_the_module_come_from_a_skeleton_with_the_same_bindings() -> None:
    from unmask.editing import _binding_skeleton
    from unmask.grammar.names import module_names

    text = (
        "import os.path as osp\nfrom typing import Any\n\n\n"
        "@decorate\ndef helper(x):\n    local = x * 2\n    return local\n\n\n"
        "class Box:\n    size = 3\n\n    def area(self):\n        return self.size\n\n\n"
        "def configure():\n    global SETTING\n    SETTING = 1\n\n\n"
        "try:\n    import json\nexcept ImportError:\n    json = None\n\n\n"
        "def target(items):\n    ___\n"
    )
    plan = plan_holes(text, "python")
    validator = validator_for(plan)
    assert validator is not None
    skeleton = _binding_skeleton(validator.document, text, validator.region)
    assert "def helper(): pass" in skeleton and "class Box: pass" in skeleton  # bodies cut
    assert "local = x * 2" not in skeleton and "size = 3" not in skeleton
    assert "def target" not in skeleton  # the region holding the hole is left out
    whole = module_names(text[: validator.region[0]] + "\n" + text[validator.region[1] :])
    assert module_names(skeleton) == whole and whole is not None
    assert {"osp", "Any", "helper", "Box", "configure", "json"} <= whole


def test_a_fill_stops_before_a_line_that_repeats_the_one_above_it() -> None:
    plan = plan_holes("def is_even(n):\n    ...\n\n\nprint(is_even(2))\n", "python")
    chosen = choose_candidate(_result("return n % 2 == 0\nreturn n % 2 == 0\nreturn n % 2 == 0"), validator_for(plan), None)
    assert chosen[1] == ("return n % 2 == 0",) and chosen[2] is True
    # a block of lines written twice is cut before its second copy
    twice = "if n < 0:\n        n = -n\n    if n < 0:\n        n = -n\n    return n % 2 == 0"
    chosen = choose_candidate(_result(twice), validator_for(plan), None)
    assert chosen[1] == ("if n < 0:\n        n = -n",) and chosen[2] is True
    # different lines, or a line repeated apart from the lines around it, are kept
    kept = "total = 0\nfor x in n:\n    total += x\nfor x in range(n):\n    total += x\nreturn total"
    assert choose_candidate(_result(kept), validator_for(plan), None)[1] == (kept,)


MODULE = '''"""A module."""
import os

LIMIT = 10


@staticmethod
def first(items):
    for item in items:
        if item:
            return item
    return None


class Box:
    """Holds a value."""

    def __init__(self, value):
        self.value = (value,
                      LIMIT)

    def get(self):
        return self.value


def last(items):
    text = """many
lines"""
    return items[-1] if items else text
'''

#: fills that stay inside their statement, and fills that try to reach past it: open brackets and strings, a
#: trailing backslash, a block opener with nothing under it, a dedent to column 0, a stray closer
REGION_FILLS = (
    "x = 1", "    x = 1", "        x = 1", "return", "pass", "if x:", "    if x:", "else:", "def g():", "x = (", "x = [1,",
    's = """', "s = '''", 'x = "', "x = 1 \\", ")", "]", "}", "x = 1\ndef h():\n    pass", "\ny = 2", "@dec",
    "class C:", "x = 1\n    y = 2", "    return item\n", "# note", "lambda:", "x = f(", "x = {", "'''", "\\",
)


def test_a_fill_judged_on_its_own_statements_gets_the_verdict_the_whole_file_gives() -> None:
    # the validator parses only the top-level statements holding the hole when the file is clean: every fill,
    # including those that open a string or a bracket and would spill into the statements after it, must get
    # exactly the verdict a reparse of the whole file gives
    marks = ("for item", "return None", "self.value =", "LIMIT)", "return self", 'lines"""', "return items", "if item:")
    offsets = [MODULE.index(mark) for mark in marks]
    offsets += [MODULE.index("\n", offset) for offset in offsets]  # and at the ends of those lines
    checked = 0
    for offset in offsets:
        plan = plan_cursor(MODULE, "python", offset)
        validator = validator_for(plan)
        assert validator is not None and validator.region_checker is not None
        for fill in REGION_FILLS:
            verdict = validator.check([fill])
            whole = validator.checker.check([place_fill(plan, 0, end_lines(plan, [fill])[0])])
            if validator.python_ast and whole.ok and verdict.reason == NOT_COMPILING:
                continue  # the compile check comes after the syntax check and reads the region either way
            assert verdict.ok == whole.ok, (offset, fill, verdict, whole)
            checked += 1
    assert checked > 300


def test_a_file_with_a_syntax_error_is_judged_whole() -> None:
    broken = MODULE.replace("    return None\n", "    y = 1\n    \n    return None\n") + "\ndef broken(:\n    pass\n"
    validator = validator_for(plan_cursor(broken, "python", broken.index("    \n    return None") + 4))
    assert validator is not None and validator.region_checker is None
    assert validator.check(["x = 1"]).ok and not validator.check(["x = ("]).ok
