"""Positions: char offsets <-> UTF-8 bytes <-> LSP (line, UTF-16) positions, exact and round-tripping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.grammar.errors import BadRange
from unmask.grammar.positions import TextIndex, encode

# Text with everything that makes positions hard: CR, LF, CRLF, tabs, 2-byte, 3-byte and non-BMP characters.
TRICKY = st.text(alphabet=st.sampled_from(list("ab \t\r\n\u00e9\u4e2d\U0001f600\U00010348x")), max_size=60)


def reference_position(text: str, offset: int) -> tuple[int, int]:
    """An independent, slow reference: split lines the LSP way and count UTF-16 units."""
    line = 0
    line_start = 0
    index = 0
    while index < offset:
        char = text[index]
        if char == "\r" and index + 1 < len(text) and text[index + 1] == "\n":
            if index + 1 < offset:
                line, line_start, index = line + 1, index + 2, index + 2
                continue
            break
        if char in "\r\n":
            line, line_start = line + 1, index + 1
        index += 1
    return line, len(text[line_start:offset].encode("utf-16-le")) // 2


def test_known_positions() -> None:
    text = "a\U0001f600b\r\n\tx\u00e9y\rz"
    index = TextIndex(text)
    assert index.line_count == 3
    assert index.position_of(3) == (0, 4)  # after "a😀b": the emoji is two UTF-16 units
    assert index.offset_of(0, 4) == 3
    assert index.byte_of(2) == 5  # "a" 1 byte + emoji 4 bytes
    assert index.offset_of_byte(5) == 2
    assert index.position_of(index.text.index("y")) == (1, 3)
    assert index.line_text(1) == "\tx\u00e9y"
    assert index.position_of(len(text)) == (2, 1)
    # Past the end of a line clamps to the line's end (before CRLF); past the last line to the text's end.
    assert index.offset_of(0, 99) == 3
    assert index.offset_of(9, 0) == len(text)


def test_byte_inside_a_character_maps_to_its_start() -> None:
    index = TextIndex("x\U0001f600y")
    assert [index.offset_of_byte(b) for b in range(7)] == [0, 1, 1, 1, 1, 2, 3]


def test_point_counts_only_newlines() -> None:
    text = "ab\r\ncd\re"
    index = TextIndex(text)
    source = encode(text)
    assert index.point_of_byte(len(source), source) == (1, 4)


def test_out_of_range_raises() -> None:
    index = TextIndex("abc")
    with pytest.raises(BadRange):
        index.byte_of(4)
    with pytest.raises(BadRange):
        index.offset_of_byte(-1)
    with pytest.raises(BadRange):
        index.offset_of_char_column(0, 4)
    with pytest.raises(BadRange):
        index.offset_of_char_column(1, 0)


@settings(max_examples=150, deadline=None)
@given(TRICKY, st.data())
def test_round_trips(text: str, data: st.DataObject) -> None:
    index = TextIndex(text)
    offset = data.draw(st.integers(0, len(text)))
    if text[:offset].endswith("\r") and text[offset:].startswith("\n"):
        offset -= 1  # between CR and LF is not a position an editor can name
    line, character = index.position_of(offset)
    assert (line, character) == reference_position(text, offset)
    assert index.offset_of(line, character) == offset
    byte = index.byte_of(offset)
    assert byte == len(encode(text[:offset]))
    assert index.offset_of_byte(byte) == offset
    assert index.offset_of_char_column(line, offset - index.line_start(line)) == offset
    assert 0 <= index.line_end(line) - index.line_start(line) == len(index.line_text(line))
