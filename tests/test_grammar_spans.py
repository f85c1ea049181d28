"""Snapping selections to nodes, over real standard-library files and literal cases."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unmask.grammar.document import parse_document
from unmask.grammar.errors import BadRange
from unmask.grammar.spans import enclosing_of_kind, enclosing_spans, snap_range

STDLIB = Path("/root/.pyenv/versions/3.11.7/lib/python3.11")
FILES = ["textwrap.py", "shlex.py", "bisect.py", "colorsys.py", "fnmatch.py", "glob.py", "copy.py"]


def stdlib_text(name: str) -> str:
    path = STDLIB / name
    if not path.is_file():
        pytest.skip(f"{path} not present on this machine")
    return path.read_text(encoding="utf-8")


def test_selection_inside_expression_snaps_to_it() -> None:
    text = "def f(x):\n    return foo(x, 1) + 2\n"
    document = parse_document(text, "python")
    start = text.index("oo(x")
    snap = snap_range(document, start, start + 4)
    assert text[snap.start : snap.end] == "foo(x, 1)"
    assert snap.kind == "call" and not snap.is_run


def test_selection_over_statements_snaps_to_a_run_of_siblings() -> None:
    text = "def f(x):\n    a = 1\n    b = 2\n    c = 3\n    return a\n"
    document = parse_document(text, "python")
    snap = snap_range(document, text.index("= 1"), text.index("b = 2") + 2)
    assert text[snap.start : snap.end] == "a = 1\n    b = 2"
    assert snap.is_run and snap.kind == "block"
    assert snap.node_kinds == ("expression_statement", "expression_statement")


def test_whitespace_around_a_selection_is_trimmed() -> None:
    text = "x = 1\n\n  \ny = 2\n"
    document = parse_document(text, "python")
    snap = snap_range(document, text.index("y") - 2, len(text))
    assert text[snap.start : snap.end] == "y = 2"


def test_enclosing_spans_grow_and_find_kind() -> None:
    text = "class A:\n    def m(self):\n        return self.x + 1\n"
    document = parse_document(text, "python")
    offset = text.index("x + 1")
    spans = enclosing_spans(document, offset)
    kinds = [kind for kind, _, _ in spans]
    assert kinds[0] == "identifier" and kinds[-1] == "module"
    assert "function_definition" in kinds and "class_definition" in kinds
    assert all(a[1] >= b[1] and a[2] <= b[2] and (a[1], a[2]) != (b[1], b[2]) for a, b in itertools.pairwise(spans))
    node = enclosing_of_kind(document, offset, "function_definition")
    assert node is not None and node.text is not None and node.text.startswith(b"def m")
    assert enclosing_of_kind(document, offset, "while_statement") is None


def test_cursor_after_a_token_belongs_to_it() -> None:
    text = "value = other\n"
    document = parse_document(text, "python")
    assert enclosing_spans(document, len("value = other"))[0] == ("identifier", 8, 13)


def test_bad_range_raises() -> None:
    document = parse_document("x = 1\n", "python")
    with pytest.raises(BadRange):
        snap_range(document, 3, 2)
    with pytest.raises(BadRange):
        snap_range(document, 0, 99)


def test_snapping_in_other_languages() -> None:
    text = "fn main() {\n    let x = compute(1, 2);\n    println!(\"{}\", x);\n}\n"
    document = parse_document(text, "rust")
    start = text.index("pute(1")
    snap = snap_range(document, start, start + 6)
    assert text[snap.start : snap.end] == "compute(1, 2)"
    assert snap.kind == "call_expression"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES), st.data())
def test_snap_covers_selection_and_stays_inside(name: str, data: st.DataObject) -> None:
    text = stdlib_text(name)
    document = parse_document(text, "python")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 400)))
    snap = snap_range(document, start, end)
    assert 0 <= snap.start <= snap.end <= len(text)
    trimmed = text[start:end].strip()
    if trimmed:
        inner_start = start + (len(text[start:end]) - len(text[start:end].lstrip()))
        inner_end = inner_start + len(trimmed)
        assert snap.start <= inner_start and inner_end <= snap.end
    else:
        assert snap.start <= start + (end - start - len(text[start:end].lstrip())) <= snap.end
    levels = enclosing_spans(document, start)
    assert levels[-1][1:] == (0, len(text)) or levels[-1][0] == "module"
    for kind, span_start, span_end in levels:
        assert 0 <= span_start <= span_end <= len(text) and kind


SNIPPETS = {
    "javascript": "function f(a, b) {\n  const c = a + b; // sum\n  return [c, `x${a}`];\n}\nclass K { m() { return this.v ?? 1; } }\n",
    "tsx": "type P = { n: number };\nexport const C = (p: P) => <div id=\"x\">{p.n * 2}</div>;\n",
    "go": "package main\n\nfunc add(a, b int) int {\n\tif a > b {\n\t\treturn a - b\n\t}\n\treturn a + b\n}\n",
    "rust": "fn add(a: i32, b: i32) -> i32 {\n    let s = \"\u00e9\U0001f600\";\n    a + b\n}\n",
    "java": "class A {\n    int f(int x) {\n        return x * 2;\n    }\n}\n",
    "c": "int main(void) {\n    int x = 1;\n    return x + 2;\n}\n",
    "cpp": "#include <vector>\nauto f(std::vector<int> v) { return v.size(); }\n",
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(SNIPPETS)), st.data())
def test_snap_in_every_language_covers_and_original_validates(language: str, data: st.DataObject) -> None:
    from unmask.grammar.validate import FillChecker

    text = SNIPPETS[language]
    document = parse_document(text, language)
    assert not document.root.has_error
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    snap = snap_range(document, start, end)
    inner = text[start:end]
    if inner.strip():
        inner_start = start + len(inner) - len(inner.lstrip())
        assert snap.start <= inner_start and inner_start + len(inner.strip()) <= snap.end
    assert 0 <= snap.start <= snap.end <= len(text)
    keep = None if snap.is_run else snap.kind
    assert FillChecker(document, [(snap.start, snap.end)], [keep]).check([text[snap.start : snap.end]]).ok
