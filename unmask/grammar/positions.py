"""Exact conversions between the three ways of pointing into a text.

* *char offset*: index into the Python ``str`` (code points). Everything in ``unmask`` uses these.
* *byte offset*: index into the UTF-8 encoding. Tree-sitter uses these.
* *LSP position*: ``(line, character)`` where ``character`` counts UTF-16 code units, so a non-BMP
  character (an emoji) counts 2. Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (LSP's rule).

A :class:`TextIndex` is built once per document snapshot (O(n)); each conversion then costs O(log lines +
line length). Pure-ASCII texts take a fast path where all three agree within a line.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from unmask.grammar.errors import BadRange

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: Lone surrogates (from badly decoded files) survive the round trip instead of raising.
_ERRORS = "surrogatepass"


def encode(text: str) -> bytes:
    """UTF-8 bytes of ``text`` exactly as tree-sitter sees them."""
    return text.encode("utf-8", _ERRORS)


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def point_of_byte(source: bytes, byte: int) -> tuple[int, int]:
    """Tree-sitter point ``(row, byte column)`` of ``byte``; tree-sitter counts only ``\\n`` as a break. Needs
    only the bytes: a text being parsed has no :class:`TextIndex` yet."""
    return source.count(b"\n", 0, byte), byte - (source.rfind(b"\n", 0, byte) + 1)


class TextIndex:
    """Line table of one text snapshot; converts char offsets <-> bytes <-> LSP positions.

    Invariants: ``line_starts[0] == 0``; ``line_starts[i]`` is the char offset just after the i-th line break;
    ``line_start_bytes`` is the same in UTF-8 bytes. Offsets passed in must lie in ``[0, len(text)]``.
    """

    __slots__ = ("byte_length", "is_ascii", "line_start_bytes", "line_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.is_ascii = text.isascii()
        starts = [0]
        starts.extend(match.end() for match in _LINE_BREAK.finditer(text))
        self.line_starts = starts
        if self.is_ascii:
            self.line_start_bytes = starts
            self.byte_length = len(text)
        else:
            byte_starts = [0]
            for line in range(1, len(starts)):
                chunk = text[starts[line - 1] : starts[line]]
                byte_starts.append(byte_starts[-1] + (len(chunk) if chunk.isascii() else len(encode(chunk))))
            self.line_start_bytes = byte_starts
            self.byte_length = byte_starts[-1] + len(encode(text[starts[-1] :]))

    # -- lines ---------------------------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Number of lines; a text ending in a line break has an empty last line."""
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        """The 0-based line that contains char ``offset`` (a line break belongs to the line it ends)."""
        self._check_offset(offset)
        return bisect_right(self.line_starts, offset) - 1

    def line_start(self, line: int) -> int:
        return self.line_starts[line]

    def line_end(self, line: int) -> int:
        """Char offset of the end of the line's content, before its line break."""
        if line + 1 < len(self.line_starts):
            end = self.line_starts[line + 1] - 1
            if end > 0 and self.text[end] == "\n" and self.text[end - 1] == "\r":
                end -= 1
            return end
        return len(self.text)

    def line_text(self, line: int) -> str:
        """The line's content without its line break."""
        return self.text[self.line_starts[line] : self.line_end(line)]

    # -- bytes ---------------------------------------------------------------------------------------------

    def byte_of(self, offset: int) -> int:
        """UTF-8 byte offset of char ``offset``."""
        if self.is_ascii:
            self._check_offset(offset)
            return offset
        line = self.line_of(offset)
        start = self.line_starts[line]
        chunk = self.text[start:offset]
        return self.line_start_bytes[line] + (len(chunk) if chunk.isascii() else len(encode(chunk)))

    def offset_of_byte(self, byte: int) -> int:
        """Char offset of UTF-8 ``byte``; a byte inside a multi-byte character maps to that character's start."""
        if not 0 <= byte <= self.byte_length:
            raise BadRange(f"byte offset {byte} outside the text (0..{self.byte_length})")
        if self.is_ascii:
            return byte
        line = bisect_right(self.line_start_bytes, byte) - 1
        start = self.line_starts[line]
        stop = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.text)
        chunk = self.text[start:stop]
        if chunk.isascii():
            return start + byte - self.line_start_bytes[line]
        head = encode(chunk)[: byte - self.line_start_bytes[line]]
        return start + len(head.decode("utf-8", "ignore"))

    def point_of_byte(self, byte: int, source: bytes) -> tuple[int, int]:
        """Tree-sitter point ``(row, byte column)`` of ``byte`` (see :func:`point_of_byte`)."""
        return point_of_byte(source, byte)

    # -- LSP positions ---------------------------------------------------------------------------------------

    def position_of(self, offset: int) -> tuple[int, int]:
        """LSP ``(line, UTF-16 character)`` of char ``offset``."""
        line = self.line_of(offset)
        start = self.line_starts[line]
        if self.is_ascii:
            return line, offset - start
        return line, utf16_length(self.text[start:offset])

    def offset_of(self, line: int, character: int) -> int:
        """Char offset of an LSP position. Per LSP, a line past the end means the end of the text and a
        character past the line's end means the line's end. A position inside a surrogate pair rounds up."""
        if line < 0 or character < 0:
            raise BadRange(f"negative position {line}:{character}")
        if line >= len(self.line_starts):
            return len(self.text)
        start, end = self.line_starts[line], self.line_end(line)
        if self.is_ascii:
            return min(start + character, end)
        units = 0
        for index in range(start, end):
            if units >= character:
                return index
            units += 2 if ord(self.text[index]) > 0xFFFF else 1
        return end

    def offset_of_char_column(self, line: int, column: int) -> int:
        """Char offset of ``(0-based line, 0-based char column)``; strict: raises :class:`BadRange` when the
        line does not exist or the column is past the line's end."""
        if not 0 <= line < len(self.line_starts):
            raise BadRange(f"line {line + 1} does not exist (the text has {len(self.line_starts)} lines)")
        start, end = self.line_starts[line], self.line_end(line)
        if not 0 <= column <= end - start:
            raise BadRange(f"column {column} is past the end of line {line + 1} ({end - start} characters)")
        return start + column

    def _check_offset(self, offset: int) -> None:
        if not 0 <= offset <= len(self.text):
            raise BadRange(f"offset {offset} outside the text (0..{len(self.text)})")
