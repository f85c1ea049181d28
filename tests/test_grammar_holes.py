"""Holes in every supported language, the registry, and marker handling."""

from __future__ import annotations

import pytest

from unmask.grammar.document import parse_document
from unmask.grammar.errors import UnknownLanguage
from unmask.grammar.holes import DEFAULT_MARKER, find_holes, find_marker_spans
from unmask.grammar.languages import (
    LANGUAGES,
    available_languages,
    find_language,
    get_language,
)
from unmask.grammar.validate import guess_language

# language -> (source, expected hole texts in order)
SAMPLES: dict[str, tuple[str, list[str]]] = {
    "python": (
        ('def f(x):\n    """Doc."""\n    ...\n\ndef g():\n    pass\n\ny = ___\n'
        "def h():\n    raise NotImplementedError\n\nclass E(Exception):\n    pass\n"
        "try:\n    y()\nexcept Exception:\n    pass\n"),
        ["...", "pass", "___", "raise NotImplementedError"],
    ),
    "javascript": (
        "function f(a) {}\nclass A { m() { /* todo */ } }\nconst x = ___;\nfunction g(){\n  ___;\n}\n",
        ["", " /* todo */ ", "___", "___;"],
    ),
    "typescript": ("function f(a: number): number {}\nlet x: number = ___;\n", ["", "___"]),
    "tsx": ("function F() { return <div>{___}</div>; }\nfunction g() {}\n", ["___", ""]),
    "go": ("package main\n\nfunc f() int {}\n\nfunc g() { x := ___ }\n", ["", "___"]),
    "rust": ("fn f() -> i32 { todo!() }\nfn g() { let x = ___; }\nfn h() {}\n", ["todo!()", "___", ""]),
    "java": ("class A { int f() {} A() {} void g() { int x = ___; } }\n", ["", "", "___"]),
    "c": ("int f(void) {}\nint g(void) { return ___; }\n", ["", "___"]),
    "cpp": ("int f() {}\nauto g() { ___; }\n", ["", "___;"]),
}


def test_every_registered_language_is_installed_and_sampled() -> None:
    assert set(available_languages()) == set(LANGUAGES) == set(SAMPLES)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_holes_found(language: str) -> None:
    text, expected = SAMPLES[language]
    document = parse_document(text, language)
    assert not document.root.has_error, "samples must be valid syntax: holes keep a file parseable"
    holes = find_holes(document)
    assert [text[hole.start : hole.end] for hole in holes] == expected
    assert all(hole.kind for hole in holes)
    assert [hole.start for hole in holes] == sorted(hole.start for hole in holes)


def test_marker_in_strings_and_comments_is_not_a_hole() -> None:
    text = 's = "___"  # ___\nt = f"{___}"\nu = ___\n'
    holes = find_holes(parse_document(text, "python"))
    assert [(hole.start, hole.reason) for hole in holes] == [(text.rindex("___"), "marker")]
    # f-string interpolation is code, but it still sits inside a string node: not a hole either.


def test_marker_statement_is_filled_whole_and_kind_recorded() -> None:
    text = "int main(void) {\n    ___;\n    return 0;\n}\n"
    [hole] = find_holes(parse_document(text, "c"))
    assert text[hole.start : hole.end] == "___;"
    assert hole.kind == "expression_statement" and hole.context == "compound_statement"


def test_custom_marker() -> None:
    text = "x = TODO_FILL\ny = TODO_FILLER\n"
    holes = find_holes(parse_document(text, "python"), marker="TODO_FILL")
    assert [text[h.start : h.end] for h in holes] == ["TODO_FILL"]
    assert DEFAULT_MARKER == "___"


def test_plain_marker_spans_respect_word_boundaries() -> None:
    assert find_marker_spans("a ___ b ____ c___ ___", "___") == [(2, 5), (18, 21)]


def test_registry_lookups() -> None:
    assert get_language("typescriptreact").name == "tsx"
    assert get_language(".rs").name == "rust"
    assert get_language("py").name == "python"
    assert get_language("src/app/main.cpp").name == "cpp"
    assert get_language("javascriptreact").name == "javascript"
    assert find_language("cobol") is None and find_language(None) is None
    with pytest.raises(UnknownLanguage, match="cobol"):
        get_language("cobol")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("def f(x):\n    return x\n", "python"),
        ("x = 1\n", "python"),  # parses in several grammars: Python comes first
        ("function f(x) {\n  return x;\n}\n", "javascript"),
        ("fn main() {\n    let x = 1;\n}\n", "rust"),
        ("package main\n\nfunc main() {\n}\n", "go"),
        ("public class A {\n  void f() { int x = 1; }\n}\n", "java"),
        ("   \n", None),
    ],
)
def test_a_language_is_guessed_from_the_grammar_that_parses_the_code(text: str, language: str | None) -> None:
    assert guess_language(text) == language
