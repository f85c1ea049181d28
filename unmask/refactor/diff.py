"""Unified diffs of a file's old and new text, as ``unmask fill`` and ``unmask refactor`` print them."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path


def unified_diff(old: str, new: str, name: str) -> Iterator[str]:
    """A ``git diff``-style unified diff (``a/``, ``b/`` prefixes for relative names), every line ending in a
    newline; a last line without one is marked like git does."""
    before, after = (name, name) if Path(name).is_absolute() else (f"a/{name}", f"b/{name}")
    for line in difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=before, tofile=after
    ):
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
