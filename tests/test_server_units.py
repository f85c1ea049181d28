"""Fast unit tests of the server's pure parts: settings parsing and LSP position conversion."""

from __future__ import annotations

import pytest
from lsprotocol import types

from unmask.server.convert import BadPosition, LineIndex, registry_language
from unmask.server.settings import Settings, parse_settings, settings_to_json, unknown_keys


def test_defaults_round_trip_through_camel_case() -> None:
    as_json = settings_to_json(Settings())
    assert as_json["modelPath"] is None and as_json["maxHoleTokens"] == 96 and as_json["languages"] == []
    assert parse_settings(as_json) == (Settings(), [])


def test_invalid_keys_keep_their_previous_value_and_are_reported() -> None:
    base = Settings(steps=8)
    settings, problems = parse_settings({"steps": 0, "threshold": 2, "candidates": 3}, base=base)
    assert settings == Settings(steps=8, candidates=3)
    assert [problem.split(":")[0] for problem in problems] == ["steps", "threshold"]


def test_client_side_keys_in_the_section_are_skipped_not_problems() -> None:
    raw = {"steps": 4, "server": {"command": "unmask"}, "inline": {"enabled": True}, "stepz": 3}
    assert parse_settings(raw) == (Settings(steps=4), [])
    assert unknown_keys(raw) == ["server", "inline", "stepz"]


def test_non_object_settings_are_one_problem() -> None:
    assert parse_settings([1, 2]) == (Settings(), ["settings must be a JSON object, not list"])


def test_model_identity_decides_reloads() -> None:
    assert Settings(temperature=0.5).engine_key() == Settings().engine_key()
    assert Settings(model_path="/m").engine_key() != Settings().engine_key()
    assert Settings(backend="fake").engine_options()["steps"] == 4
    # compiling is decided at load: turning it on reloads the model with the option
    assert Settings(compile=True).engine_key() != Settings().engine_key()
    assert Settings(compile=True).engine_options() == {"device": "cpu", "compile": "on"}
    assert "compile" not in Settings().engine_options()
    assert parse_settings({"compile": "yes"})[1] == ["compile: must be true or false (got 'yes'); using False"]


def _pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


@pytest.mark.parametrize("text", ["a\nbc\n", "a\r\nbc\r\n", "a\rbc\r"])
def test_lsp_lines_end_at_lf_crlf_and_cr(text: str) -> None:
    index = LineIndex(text)
    offset = index.offset(_pos(1, 1))
    assert text[offset] == "c"
    assert index.position(offset) == _pos(1, 1)
    assert index.offset(_pos(2, 0)) == len(text)


def test_form_feed_is_not_a_line_break_for_lsp() -> None:
    text = "a\x0cb\nc"
    assert LineIndex(text).offset(_pos(1, 0)) == 4


def test_utf16_columns_count_astral_characters_twice() -> None:
    text = "x = '😀' + y\n"
    index = LineIndex(text)
    assert index.offset(_pos(0, 11)) == text.index("y")
    assert index.position(text.index("y")) == _pos(0, 11)
    with pytest.raises(BadPosition, match="surrogate pair"):
        index.offset(_pos(0, 6))


def test_column_past_line_end_means_line_end_but_a_missing_line_is_an_error() -> None:
    index = LineIndex("ab\ncd")
    assert index.offset(_pos(0, 99)) == 2
    assert index.offset(_pos(2, 0)) == 5  # (line_count, 0): the end of the document
    with pytest.raises(BadPosition, match="past the end"):
        index.offset(_pos(3, 0))
    with pytest.raises(BadPosition, match="before its start"):
        index.span(types.Range(start=_pos(1, 1), end=_pos(0, 1)))


def test_language_ids_map_to_grammars() -> None:
    assert registry_language("python") == "python"
    assert registry_language("typescriptreact") == "tsx"
    assert registry_language("cobol") is None
