"""Fast unit tests of the refactor's parts on literal strings: selection (query captures, pinned captures,
ast-grep patterns, nesting), file discovery (.gitignore layers, globs) and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from unmask.editing import plan_range
from unmask.grammar.document import parse_document
from unmask.model.api import SHIPPED_WEIGHTS, load_engine
from unmask.model.engine import InfillEngine
from unmask.refactor.discover import discover
from unmask.refactor.errors import SelectionError
from unmask.refactor.files import SourceFile, stale_temps, write_bytes_atomically
from unmask.refactor.filling import SiteTask, fill_site
from unmask.refactor.selection import HoleSelector, PatternSelector, QuerySelector, disjoint

SOURCE = """def outer(a):
    def inner(b):
        return b
    return len(a) + inner(a)
"""


def texts(text: str, places: list) -> list[list[str]]:
    return [[text[start:end] for start, end in place.spans] for place in places]


def test_query_hole_captures_nested_places_keep_the_outer_one() -> None:
    document = parse_document(SOURCE, "python")
    places = QuerySelector("(function_definition body: (block) @hole)").places(document)
    kept, dropped = disjoint(places)
    assert dropped == 1
    assert texts(SOURCE, kept) == [[SOURCE[SOURCE.index("def inner") : len(SOURCE) - 1]]]
    assert kept[0].keep_kinds == ("block",)


def test_pinned_captures_cut_the_hole_around_them() -> None:
    document = parse_document(SOURCE, "python")
    query = '((call function: (identifier) @fn) @hole (#eq? @fn "len"))'
    (place,) = QuerySelector(query).places(document)
    assert texts(SOURCE, [place]) == [["(a)"]]  # "len" is pinned
    query = "(return_statement (binary_operator left: (_) @keep) @hole)"
    (place,) = QuerySelector(query).places(document)
    assert texts(SOURCE, [place]) == [[" + inner(a)"]]
    assert place.kinds == (None,) and place.keep_kinds == (None,)  # a cut piece is no longer one node


def test_a_pin_in_the_middle_makes_two_holes_filled_together() -> None:
    text = "x = f(a, b, c)\n"
    document = parse_document(text, "python")
    (place,) = QuerySelector("(argument_list (identifier) @pin (#eq? @pin \"b\")) @hole").places(document)
    assert texts(text, [place]) == [["(a, ", ", c)"]]


def test_query_errors_name_the_language() -> None:
    document = parse_document(SOURCE, "python")
    with pytest.raises(SelectionError, match="does not compile for python"):
        QuerySelector("(no_such_node) @hole").places(document)
    with pytest.raises(SelectionError, match="no @hole capture"):
        QuerySelector("(identifier) @name").places(document)


def test_pattern_metavariable_spans_use_char_offsets() -> None:
    text = 'def f(s="\U0001f600"):\n    return s\n\n\ndef g():\n    return 1\n'
    document = parse_document(text, "python")
    places = PatternSelector("def f($$$A): $$$BODY", ["$BODY"]).places(document)
    assert texts(text, places) == [["return s"]]
    with pytest.raises(SelectionError, match="no such metavariable"):
        PatternSelector("def f($$$A): $$$BODY", ["B"])


def test_hole_selector_finds_markers_and_placeholder_bodies() -> None:
    text = "def f():\n    pass\n\n\nx = ___\n"
    places = HoleSelector().places(parse_document(text, "python"))
    assert texts(text, places) == [["pass"], ["___"]]


def test_discover_respects_layered_gitignores_and_globs(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*.gen.py\nvendor/\n")
    (tmp_path / "src" / "deep").mkdir(parents=True)
    (tmp_path / "src" / ".gitignore").write_text("!keep.gen.py\n")
    for relative in ("a.py", "x.gen.py", "src/keep.gen.py", "src/deep/b.rs", "src/notes.txt", "vendor/v.py",
                     ".hidden/h.py"):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    found, missing = discover([str(tmp_path / "src"), str(tmp_path)])
    names = sorted(str(item.path.relative_to(tmp_path)) for item in found)
    assert names == ["a.py", "src/deep/b.rs", "src/keep.gen.py"]
    assert missing == []
    found, _ = discover([str(tmp_path / "**" / "*.py")])
    assert sorted(str(item.path.relative_to(tmp_path)) for item in found) == ["a.py", "src/keep.gen.py"]
    found, _ = discover([str(tmp_path / "x.gen.py")])  # named explicitly: taken anyway
    assert [item.explicit for item in found] == [True]
    assert discover([str(tmp_path / "nope")])[1] == [str(tmp_path / "nope")]


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_bytes(b"\xef\xbb\xbfx = 1\r\n")
    path.chmod(0o600)
    source = SourceFile.read(path)
    assert source.encoding == "utf-8-sig" and source.text == "x = 1\r\n"
    source.write_atomically("x = 2\r\n")
    assert path.read_bytes() == b"\xef\xbb\xbfx = 2\r\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert stale_temps(path) == []
    (tmp_path / ".f.py.abc123.unmask").write_bytes(b"partial")
    assert [p.name for p in stale_temps(path)] == [".f.py.abc123.unmask"]
    write_bytes_atomically(path, b"y = 3\n")
    assert path.read_bytes() == b"y = 3\n"


@pytest.mark.slow
def test_a_site_s_valid_candidates_come_best_joint_score_first() -> None:
    if not (SHIPPED_WEIGHTS / "model.safetensors").is_file():
        pytest.skip("shipped model not present: unmask/model/weights/model.safetensors is missing")
    engine = load_engine()
    assert isinstance(engine, InfillEngine)
    text = "def mean(values):\n    total = sum(values)\n    return total / len(values)\n\n\nprint(mean([1, 2]))\n"
    start = text.index("total = sum")
    plan = plan_range(text, "python", start, text.index("\n\n\n"), candidates=4, temperature=0.8, seed=3)
    result = fill_site(engine, SiteTask(0, 0, plan))
    assert result.error is None and len(result.candidates) >= 2
    (span_start, span_end), = plan.spans
    middles = [edits[0].new_text for edits in result.candidates]
    scores = engine.score_infills(text[:span_start], middles, text[span_end:])
    assert scores is not None and scores == sorted(scores, reverse=True)
