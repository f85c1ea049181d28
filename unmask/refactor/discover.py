"""Which files a refactor looks at: paths, folders and globs, with ``.gitignore`` respected.

* A file named on the command line is always taken (even if ignored or of an unknown language: it is then
  listed as skipped with the reason).
* A folder is walked; a glob (``src/**/*.py``) is expanded. Files found this way are taken only when their
  extension names a known language, they are not hidden (a name starting with ``.``) and no ``.gitignore``
  ignores them. ``.gitignore`` files apply from the repository root (the nearest folder above with ``.git``)
  down, deeper files overriding shallower ones as git does; ``.git/info/exclude`` applies too.
* Symbolic links to folders are not followed (no cycles); each file is taken once.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from unmask.grammar.languages import find_language

_VCS_FOLDERS = {".git", ".hg", ".svn"}
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Found:
    """A file to look at. ``explicit``: named on the command line (its problems are reported)."""

    path: Path
    explicit: bool


@dataclass
class IgnoreRules:
    """The ``.gitignore`` patterns in force, each with the folder it was read in (shallow to deep)."""

    enabled: bool = True
    layers: list[tuple[Path, pathspec.GitIgnoreSpec]] = field(default_factory=list)
    _seen: set[Path] = field(default_factory=set)

    def load_folder(self, folder: Path) -> None:
        """Read ``folder/.gitignore`` (and ``.git/info/exclude`` in a repository root) once."""
        folder = folder.resolve()
        if not self.enabled or folder in self._seen:
            return
        self._seen.add(folder)
        for source in (folder / ".git" / "info" / "exclude", folder / ".gitignore"):
            try:
                lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            self.layers.append((folder, pathspec.GitIgnoreSpec.from_lines(lines)))
        self.layers.sort(key=lambda layer: len(layer[0].parts))

    def load_ancestors(self, folder: Path) -> None:
        """Load the ``.gitignore`` of every folder from the repository root down to ``folder``."""
        folder = folder.resolve()
        chain = [folder]
        for parent in folder.parents:
            if (chain[-1] / ".git").exists():
                break
            chain.append(parent)
        else:
            chain = [folder]  # not in a repository: only the folder's own rules
        for ancestor in reversed(chain):
            self.load_folder(ancestor)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        if not self.enabled:
            return False
        path = path.resolve()
        verdict = False
        for base, spec in self.layers:
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if relative == ".":
                continue
            result = spec.check_file(relative + "/" if is_dir else relative)
            if result.include is not None:
                verdict = result.include
        return verdict


def _is_hidden(name: str) -> bool:
    return name.startswith(".") and name not in (".", "..")


def _walk(folder: Path, rules: IgnoreRules) -> Iterator[Path]:
    rules.load_ancestors(folder)
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        rules.load_folder(here)
        dirs[:] = sorted(
            name for name in dirs
            if name not in _VCS_FOLDERS and not _is_hidden(name) and not rules.ignored(here / name, True)
        )
        for name in sorted(files):
            path = here / name
            if _is_hidden(name) or find_language(name) is None or path.is_symlink():
                continue
            if not rules.ignored(path, False):
                yield path


def discover(arguments: list[str], *, use_gitignore: bool = True) -> tuple[list[Found], list[str]]:
    """Files for the given paths/globs, in order, each once; and the arguments that matched nothing."""
    rules = IgnoreRules(enabled=use_gitignore)
    found: list[Found] = []
    seen: set[Path] = set()
    missing: list[str] = []

    def take(path: Path, explicit: bool) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(Found(path, explicit))

    for argument in arguments:
        before = len(found)
        path = Path(argument)
        if path.is_file():
            take(path, True)
        elif path.is_dir():
            for item in _walk(path, rules):
                take(item, False)
        elif _GLOB_CHARS & set(argument):
            for match in sorted(glob.glob(argument, recursive=True)):
                candidate = Path(match)
                if candidate.is_dir():
                    for item in _walk(candidate, rules):
                        take(item, False)
                elif candidate.is_file() and find_language(candidate.name) is not None:
                    rules.load_ancestors(candidate.parent)
                    if not rules.ignored(candidate, False):
                        take(candidate, False)
        if len(found) == before and not path.exists():
            missing.append(argument)
    return found, missing
