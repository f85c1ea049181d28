"""Where an autoregressive continuation should stop: a syntax-aware boundary found from the text alone.

The engine calls the rule with the text generated so far; the rule returns the char index to cut it at, or
None to go on. It looks only at the cursor's line (``head``) and the generated text, tracking brackets,
strings and line comments, so it works for every language, even unknown ones:

* cursor after code on its line (``x = foo(``): stop at the end of that statement, the first line break
  outside brackets; a Python line ending in ``:`` opens a block, which runs until a line indented no deeper
  than the header. A line break right after the cursor (the statement was already complete) starts the
  lines mode below at the line's indentation.
* cursor on a blank line (or after a complete statement): generate lines at the cursor's indentation and
  stop before the first line indented less (the enclosing block ends), or before a line at the same or lower
  indentation that follows a blank line (the end of a paragraph of code).

A continuation also stops before a line that repeats the line before it, or before a run of 2-3 lines written
again right after itself (the same code, whatever the indentation): a small model's greedy continuation falls
into such loops ("if x:" nested again and again).

The cut drops trailing whitespace, so the fill ends at the end of the last kept line.
"""

from __future__ import annotations

import re

from unmask.grammar.indent import leading_whitespace
from unmask.grammar.languages import LanguageSpec

_OPEN = "([{"
_CLOSE = ")]}"
_TAB_WIDTH = 4


def _width(indent: str) -> int:
    return len(indent.expandtabs(_TAB_WIDTH))


class ContinuationStop:
    """A stop rule for continuing ``prefix`` (see module docstring). Callable: ``rule(generated) -> int | None``."""

    def __init__(self, prefix: str, spec: LanguageSpec | None) -> None:
        line_start = max(prefix.rfind("\n"), prefix.rfind("\r")) + 1
        self.head = prefix[line_start:]
        self.comment = spec.line_comment if spec is not None else None
        self.python = spec is not None and spec.indent_blocks
        self.statement = bool(self.head.strip())
        self.base = _width(leading_whitespace(self.head)) if self.statement else _width(self.head)

    def __call__(self, generated: str) -> int | None:
        boundary = self._boundary(generated)
        repeat = repeated_line(generated)
        if repeat is None:
            return boundary
        return repeat if boundary is None else min(boundary, repeat)

    def _boundary(self, generated: str) -> int | None:
        text = self.head + generated
        offset = len(self.head)
        depth = 0
        quote: str | None = None
        statement = self.statement
        base = self.base
        content_lines = 0
        if not statement:
            # a cursor at the start of a blank line (``line`` convention): the fill writes its own indentation,
            # so the block it continues is the one its first line of code is indented for
            first_code = next((line for line in text.split("\n") if line.strip()), None)
            if first_code is not None:
                base = max(base, _width(leading_whitespace(first_code)))
            if text.split("\n", 1)[0].strip():
                content_lines = 1  # the cursor line itself is code: a blank line after it ends a paragraph
        block_header = False  # lines mode opened by a Python `:` header: body must be deeper than base
        line_start = 0
        pending: int | None = None  # start of a line in lines mode whose indentation is not checked yet
        bracket_line = False  # the pending line continues open brackets
        blank_before = False
        index = 0
        length = len(text)
        while index < length:
            char = text[index]
            if quote is not None:
                if char == "\\":
                    index += 2
                    continue
                if text.startswith(quote, index):
                    index += len(quote)
                    quote = None
                    continue
                if char != "\n" or len(quote) == 3 or quote == "`":
                    index += 1
                    continue
                quote = None  # an unterminated one-line string ends at the line break
            if pending is not None and char not in " \t\r":
                if char == "\n":
                    blank_before = True
                elif bracket_line:
                    # inside open brackets indentation is free, but a line left of the block's own
                    # indentation means the brackets will never close where they should: stop
                    if _width(text[pending:index]) < base:
                        return _cut(generated, pending - offset)
                    pending = None
                    bracket_line = False
                else:
                    indent = _width(text[pending:index])
                    if (block_header and indent <= base) or (
                        not block_header
                        and (indent < base or (blank_before and indent <= base and content_lines > 0))
                    ):
                        return _cut(generated, pending - offset)
                    content_lines += 1
                    blank_before = False
                    pending = None
            if char == "\n":
                if depth <= 0 and index >= offset:
                    line = text[line_start:index]
                    if statement:
                        if not text[offset:index].strip():
                            statement = False  # the cursor line was complete: continue with new lines
                            block_header = self.python and line.rstrip().endswith(":")
                        elif self.python and _strip_comment(line, self.comment).rstrip().endswith(":"):
                            statement = False
                            block_header = True
                        elif not _strip_comment(line, self.comment).rstrip().endswith(("\\", ",")):
                            return _cut(generated, index - offset)
                    if not statement:
                        pending = index + 1
                elif depth > 0 and index >= offset and not statement:
                    pending = index + 1
                    bracket_line = True
                line_start = index + 1
                index += 1
                continue
            if self.comment is not None and text.startswith(self.comment, index):
                newline = text.find("\n", index)
                index = length if newline < 0 else newline
                continue
            if char in "\"'`":
                triple = text[index : index + 3]
                quote = triple if self.python and triple in ('"""', "'''") else char
                index += len(quote)
                continue
            if char in _OPEN:
                depth += 1
            elif char in _CLOSE:
                depth -= 1
            index += 1
        return None


#: the longest run of lines whose immediate repetition counts as a loop
REPEAT_BLOCK_LINES = 3


def repeated_line(generated: str) -> int | None:
    """The cut before the first complete line of ``generated`` that starts a repetition of the lines just above
    it: one line whose code equals the previous non-blank line's (at least a few characters), or a run of 2 or 3
    non-blank lines written again right after itself (``if not x:`` / ``return y`` twice). Blank lines and
    indentation do not count. None when there is none."""
    lines: list[tuple[int, str]] = []  # (start, code) of each complete non-blank line
    start = 0
    while True:
        end = generated.find("\n", start)
        if end < 0:
            return None
        line = generated[start:end].strip()
        if line:
            lines.append((start, line))
            for size in range(1, REPEAT_BLOCK_LINES + 1):
                if len(lines) < 2 * size:
                    break
                first, second = lines[-2 * size : -size], lines[-size:]
                if [c for _, c in first] != [c for _, c in second]:
                    continue
                if sum(len(c) for _, c in second) > 3 and second[0][0] > 0:
                    return _cut(generated, second[0][0])
        start = end + 1


#: a piece of a line (at least 3 characters) written at least 4 times in a row: ``char + char + char + ...``
_LOOP = re.compile(r"([^\n]{3,}?)\1{3,}")


def inline_loop(text: str) -> str | None:
    """The repeated piece when ``text`` holds an in-line loop: a piece of a line with a letter or underscore in it
    written 4 or more times in a row (``end, end, end, end``, ``index.index.index.index``), which a small model
    writes when it runs out of ideas before the canvas ends; None otherwise. Runs of punctuation or digits
    (``"--------"``, ``[0, 0, 0, 0]``) are not loops."""
    for match in _LOOP.finditer(text):
        piece = match.group(1)
        if any(char.isalpha() or char == "_" for char in piece):
            return piece
    return None


def _strip_comment(line: str, comment: str | None) -> str:
    if comment is None or comment not in line:
        return line
    return line.split(comment, 1)[0]


def _cut(generated: str, index: int) -> int:
    return len(generated[: max(0, index)].rstrip())
