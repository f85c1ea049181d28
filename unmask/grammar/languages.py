"""The language registry: which tree-sitter grammar parses which document.

A language is found by its registry name (``python``, ``tsx``…), an LSP ``languageId`` (``typescriptreact``)
or a file extension (``.rs`` or ``rs``). Grammars come from the official wheels (``tree_sitter_python``…);
a language whose wheel is missing is simply absent. Parsers are cached per thread because a tree-sitter
``Parser`` must not be shared between threads.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from tree_sitter import Language, Parser, Query

from unmask.grammar.errors import UnknownLanguage


@dataclass(frozen=True)
class LanguageSpec:
    """One grammar and what the rest of ``unmask.grammar`` needs to know about it.

    module/function: the wheel and the function returning its ``TSLanguage`` pointer. line_comment: the
    comment opener (for the stop rule's string/comment skipping). indent_blocks: True when blocks are made by
    indentation (Python), so a fill's indentation decides whether it parses.
    """

    name: str
    module: str
    function: str = "language"
    language_ids: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    line_comment: str = "//"
    indent_blocks: bool = False
    query_file: str = field(default="")

    def query_name(self) -> str:
        return self.query_file or self.name


LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec(
            "python", "tree_sitter_python", language_ids=("python",), extensions=(".py", ".pyi", ".pyw"),
            line_comment="#", indent_blocks=True,
        ),
        LanguageSpec(
            "javascript", "tree_sitter_javascript", language_ids=("javascript", "javascriptreact"),
            extensions=(".js", ".mjs", ".cjs", ".jsx"),
        ),
        LanguageSpec(
            "typescript", "tree_sitter_typescript", "language_typescript", language_ids=("typescript",),
            extensions=(".ts", ".mts", ".cts"),
        ),
        LanguageSpec(
            "tsx", "tree_sitter_typescript", "language_tsx", language_ids=("typescriptreact", "tsx"),
            extensions=(".tsx",), query_file="typescript",
        ),
        LanguageSpec("go", "tree_sitter_go", language_ids=("go",), extensions=(".go",)),
        LanguageSpec("rust", "tree_sitter_rust", language_ids=("rust",), extensions=(".rs",)),
        LanguageSpec("java", "tree_sitter_java", language_ids=("java",), extensions=(".java",)),
        LanguageSpec("c", "tree_sitter_c", language_ids=("c",), extensions=(".c", ".h")),
        LanguageSpec(
            "cpp", "tree_sitter_cpp", language_ids=("cpp", "c++"),
            extensions=(".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp"),
        ),
    )
}

_BY_KEY: dict[str, str] = {}
for _spec in LANGUAGES.values():
    for _key in (_spec.name, *_spec.language_ids, *_spec.extensions):
        _BY_KEY.setdefault(_key.lower(), _spec.name)


def find_language(key: str | None) -> LanguageSpec | None:
    """The spec for a registry name, LSP languageId, extension (``.py`` or ``py``) or file path; None if
    unknown or its grammar wheel is not installed."""
    if not key:
        return None
    lowered = key.lower()
    name = _BY_KEY.get(lowered) or _BY_KEY.get("." + lowered)
    if name is None and "." in lowered:
        name = _BY_KEY.get("." + lowered.rsplit(".", 1)[1])
    if name is None or not is_available(name):
        return None
    return LANGUAGES[name]


def get_language(key: str) -> LanguageSpec:
    """Like :func:`find_language` but raises :class:`UnknownLanguage`."""
    spec = find_language(key)
    if spec is None:
        known = ", ".join(sorted(name for name in LANGUAGES if is_available(name)))
        raise UnknownLanguage(f"no grammar for {key!r}; known languages: {known}")
    return spec


@cache
def ts_language(name: str) -> Language:
    """The tree-sitter ``Language`` of a registry name (loaded once)."""
    spec = LANGUAGES[name]
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        raise UnknownLanguage(f"{name}: grammar wheel {spec.module} is not installed ({exc})") from exc
    return Language(getattr(module, spec.function)())


def is_available(name: str) -> bool:
    """True when the grammar wheel for registry name ``name`` can be loaded."""
    try:
        ts_language(name)
    except (UnknownLanguage, AttributeError):
        return False
    return True


def available_languages() -> list[str]:
    """Registry names whose grammar wheels are installed."""
    return [name for name in LANGUAGES if is_available(name)]


_local = threading.local()


def parser_for(name: str) -> Parser:
    """A parser for registry name ``name``, cached per thread."""
    parsers: dict[str, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = Parser(ts_language(name))
    return parser


@cache
def query_for(name: str) -> Query | None:
    """The compiled ``queries/<lang>.scm`` of a language (captures ``@body`` of function-like nodes)."""
    spec = LANGUAGES[name]
    resource = resources.files("unmask.grammar").joinpath("queries", f"{spec.query_name()}.scm")
    if not resource.is_file():
        return None
    return Query(ts_language(name), resource.read_text(encoding="utf-8"))
