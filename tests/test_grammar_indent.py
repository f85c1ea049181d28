"""Indentation style detection, re-indenting fills, and the AR stop rule."""

from __future__ import annotations

from unmask.editing import apply_edits, edits_for, plan_cursor
from unmask.grammar.document import parse_document
from unmask.grammar.indent import (
    IndentStyle,
    detect_indent,
    detect_line_break,
    line_indent_at,
    lines_in_strings,
    reindent,
)
from unmask.grammar.languages import get_language
from unmask.grammar.stops import ContinuationStop, inline_loop, repeated_line

PYTHON = get_language("python")
JAVASCRIPT = get_language("javascript")


def test_detect_indent() -> None:
    assert detect_indent("def f():\n  if x:\n    y\n  z\n").unit == "  "
    assert detect_indent("def f():\n    if x:\n        y\n").unit == "    "
    assert detect_indent("func f() {\n\tif x {\n\t\ty()\n\t}\n}\n").unit == "\t"
    assert detect_indent("x = 1\n").unit == "    "  # nothing indented: the default
    assert detect_line_break("a\r\nb\r\n") == "\r\n" and detect_line_break("a\nb\r\n\n") == "\n"


def test_line_indent_at() -> None:
    text = "def f():\n    return g(\n        1)\n"
    assert line_indent_at(text, text.index("g(")) == "    "
    assert line_indent_at(text, text.index("1)")) == "        "
    assert line_indent_at(text, 0) == ""


def test_absolute_fill_is_kept() -> None:
    fill = "if x:\n        return 1\n    return 2"
    assert reindent(fill, "    ", IndentStyle("    ")) == fill
    assert reindent("single line", "    ", IndentStyle()) == "single line"


def test_relative_fill_is_shifted_to_its_place() -> None:
    fill = "if x:\n    return 1\nreturn 2"
    assert reindent(fill, "    ", IndentStyle("    ")) == "if x:\n        return 1\n    return 2"


def test_lines_inside_multi_line_strings_are_written_as_they_are() -> None:
    text = 'x = 1\ns = """\nflush\n  two\n"""\nt = `a\n b`\nu = ("p"\n     "q")\n'
    # rows 2-4 (the triple-quoted string after its first line); not the backtick lines (not a string in
    # Python) nor those of the concatenated string: between its pieces is code
    assert lines_in_strings(parse_document(text, "python").root, 1, 8) == {1, 2, 3}
    js = "let s = `one\n  two\n`;\nlet t = 1;\n"
    assert lines_in_strings(parse_document(js, "javascript").root, 0, 4) == {1, 2}
    # a relative fill is shifted to its place, its string's lines are not
    fill = 'doc = """\nflush\n"""\nif doc:\n    return doc'
    assert reindent(fill, "    ", IndentStyle("    "), {1, 2}) == 'doc = """\nflush\n"""\n    if doc:\n        return doc'


def test_a_relative_fill_with_a_string_keeps_the_string_when_placed() -> None:
    text = "def f():\n    "
    plan = plan_cursor(text, "python", len(text))
    fill = 'doc = """\nflush\n"""\nif doc:\n    return doc\n'
    placed = apply_edits(text, edits_for(plan, [fill]))
    assert placed == 'def f():\n    doc = """\nflush\n"""\n    if doc:\n        return doc\n'


def test_spaces_become_tabs_and_tabs_become_spaces() -> None:
    assert reindent("if x {\n\ty()\n}", "", IndentStyle("  ")) == "if x {\n  y()\n}"
    assert reindent("if x {\n    y()\n}", "", IndentStyle("\t")) == "if x {\n\ty()\n}"
    assert reindent("a\n\n\tb", "\t", IndentStyle("\t")) == "a\n\n\tb"


def cut(prefix: str, generated: str, spec=PYTHON) -> str | None:  # type: ignore[no-untyped-def]
    index = ContinuationStop(prefix, spec)(generated)
    return None if index is None else generated[:index]


def test_stop_at_end_of_statement_started_on_cursor_line() -> None:
    assert cut("def f(x):\n    y = foo(", "x, 1)\n    return y\n") == "x, 1)"
    assert cut("def f(x):\n    y = foo(", "x,\n        1)\n    return y\n") == "x,\n        1)"
    assert cut("def f(x):\n    y = foo(", "x, 1") is None  # no boundary yet: go on


def test_stop_at_dedent_below_start() -> None:
    assert cut("def f(x):\n    ", "y = 1\n    return y\n\ndef g():\n") == "y = 1\n    return y"
    assert cut("def f(x):\n    if x:", "\n        return 1\n    return 2\n") == "\n        return 1"


def test_cursor_at_column_zero_takes_the_indentation_the_fill_writes() -> None:
    # the line convention: the prefix ends with the newline, the fill brings the line's indentation
    assert cut("def f(x):\n    y = x\n", "    return y\n\ndef g():\n    pass\n") == "    return y"
    assert cut("def f(x):\n", "    a = 1\n    b = 2\nc = 3\n") == "    a = 1\n    b = 2"
    # a blank line after the first line of code ends the paragraph, as it does after later lines
    assert cut("def f(x):\n    y = x\n", "        if y:\n\n        if z:\n") == "        if y:"
    # a fill that opens with a blank line takes its block from its first line of code
    assert cut("def f(x):\n    y = x\n", "\n    return y\ndef g():\n") == "\n    return y"


def test_open_brackets_do_not_run_past_the_block() -> None:
    # indentation inside brackets is free, so the closing line at the block's level is fine ...
    assert cut("def f(x):\n    ", "y = g(\n        x,\n    )\n    return y\n\ndef h():\n") == "y = g(\n        x,\n    )\n    return y"
    # ... but a line left of the block while brackets are open ends the continuation there
    assert cut("def f(x):\n", "    return (\n        g(x)\n\ndef h():\n") == "    return (\n        g(x)"


def test_stop_at_blank_line_then_same_level() -> None:
    assert cut("", "def f(x):\n    return 1\n\n\ndef g():\n") == "def f(x):\n    return 1"
    assert cut("def f(x):\n    ", "a = 1\n    b = 2\n\n    return a\n") == "a = 1\n    b = 2"


def test_complete_cursor_line_continues_with_next_lines() -> None:
    assert cut("x = 1", "\ny = 2\nz = 3\n\nprint(z)") == "\ny = 2\nz = 3"


def test_strings_and_comments_do_not_confuse_brackets() -> None:
    assert cut('s = """', 'doc (\n\nmore"""\nx = 1\n') == 'doc (\n\nmore"""'
    assert cut("x = [", "1, 2]  # (\ny = 2\n") == "1, 2]  # ("
    assert cut("const x = {", 'a: "}", b: 2\n};\nfoo();', JAVASCRIPT) == 'a: "}", b: 2\n};'


def test_brace_language_block_stops_before_closing_brace() -> None:
    assert cut("function f(a) {\n  ", "const b = a + 1;\n  return b;\n}\n", JAVASCRIPT) == (
        "const b = a + 1;\n  return b;"
    )


def test_unknown_language_uses_indentation_only() -> None:
    assert ContinuationStop("  ", None)("a\n  b\nc\n") == len("a\n  b")


def test_stop_before_a_line_that_repeats_the_one_before() -> None:
    stop = ContinuationStop("def f(text):\n    count = 0\n    for char in text:\n", get_language("python"))
    looping = "        for char in text:\n            for char in text:\n                for char in text:\n"
    cut = stop(looping)
    assert cut is not None and looping[:cut] == "        for char in text:"
    # repeated short lines and a line that only looks alike are kept
    assert stop("        x += 1\n        y += 1\n") is None
    assert repeated_line("    )\n    )\n") is None
    assert repeated_line("a = 1\n\na = 1\n") == len("a = 1")  # blank lines in between still count as a repeat


def test_stop_before_a_block_written_twice() -> None:
    twice = "    if not x:\n        return y\n    if not x:\n        return y\n"
    assert twice[: repeated_line(twice)] == "    if not x:\n        return y"
    thrice = "a = f(x)\nb = g(a)\nc = h(b)\n\na = f(x)\nb = g(a)\nc = h(b)\nrest()\n"
    assert thrice[: repeated_line(thrice)] == "a = f(x)\nb = g(a)\nc = h(b)"
    # a second copy is cut only once it is complete, and alternating lines that never repeat as a run are kept
    assert repeated_line("    if not x:\n        return y\n    if not x:\n") is None
    assert repeated_line("x = 1\ny = 2\nx = 1\nz = 3\n") is None
    # four-line runs are not looked for, and tiny runs (closing brackets) are no loop
    assert repeated_line("a()\nb()\nc()\nd()\na()\nb()\nc()\nd()\n") is None
    assert repeated_line("  )\n]\n  )\n]\n") is None


def test_an_inline_loop_is_a_named_piece_written_four_times_in_a_row() -> None:
    # fills the shipped models wrote for function holes
    pieces = [
        inline_loop("            current = char + char + char + char + char + char"),
        inline_loop("    end = date.max(start, end, end, end, end, end)\n"),
        inline_loop("x = index.index.index.index.index"),
    ]
    # the piece is the repeated unit, in whichever phase the scan meets it first
    words = ["".join(c for c in piece if c.isalnum()) if piece else None for piece in pieces]
    assert words == ["char", "end", "index"]
    # three copies, punctuation and digits, and ordinary code are not loops
    assert inline_loop("total = a + a + a") is None
    assert inline_loop('print("----------------")\nrow = [0, 0, 0, 0, 0, 0]') is None
    assert inline_loop("        if left < right:\n            left += 1") is None
    assert inline_loop("") is None


def test_detect_indent_reads_a_sample_of_a_long_file() -> None:
    from unmask.grammar.indent import INDENT_SAMPLE_CHARS

    two = "def f():\n  return 1\n\n" * (INDENT_SAMPLE_CHARS // 20)
    four = "def g():\n    return 1\n\n" * 10_000
    assert len(two) >= INDENT_SAMPLE_CHARS
    # the style is read from the start of the file; what lies beyond the sample does not outvote it
    assert detect_indent(two + four).unit == "  "
    assert detect_indent(four + two).unit == "    "
