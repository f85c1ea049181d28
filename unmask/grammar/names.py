"""Name checks for Python fills: which names a program reads but never binds, and which it binds but never reads.

A fill that reads a name nothing defines fails with ``NameError`` as soon as it runs, and a fill that assigns a
local nothing reads is usually the wrong line (the code around it wanted another name). Both are cheap to see
in the filled program, with no model: ``symtable`` reports every scope's symbols the way the compiler resolves
them. Ranking candidates by these counts is how :mod:`unmask.editing` prefers fills that fit their context.

Only Python is analysed (other languages get None). Names are counted per function scope, so a module-level
name that is only read inside a function, or a builtin, is not "undefined".
"""

from __future__ import annotations

import builtins
import symtable
import warnings
from dataclasses import dataclass

#: Names always bound in a module.
_MODULE_NAMES = frozenset({"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__",
                           "__builtins__", "__annotations__", "__dict__", "__path__", "__qualname__"})
_BUILTINS = frozenset(dir(builtins)) | _MODULE_NAMES
_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr", "<listcomp>", "<setcomp>",
                             "<dictcomp>", "<genexpr>"})


@dataclass(frozen=True)
class NameReport:
    """``undefined``: names a function reads that no scope binds (sorted, once each); ``unused``: locals a
    function assigns and never reads (parameters, ``_``-prefixed names and nested definitions excluded)."""

    undefined: tuple[str, ...]
    unused: tuple[str, ...]

    @property
    def problems(self) -> int:
        return len(self.undefined) + len(self.unused)


def _table(source: str) -> symtable.SymbolTable | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return symtable.symtable(source, "<fill>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _bound(top: symtable.SymbolTable) -> set[str]:
    return {symbol.get_name() for symbol in top.get_symbols()
            if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()}


def module_names(source: str) -> frozenset[str] | None:
    """The names a Python module binds at top level; None when it does not compile."""
    top = _table(source)
    return None if top is None else frozenset(_bound(top))


def python_names(source: str, also_bound: frozenset[str] = frozenset()) -> NameReport | None:
    """The :class:`NameReport` of a Python module's source; None when it does not compile. ``also_bound``:
    module-level names bound elsewhere (when ``source`` is a part of a file)."""
    top = _table(source)
    if top is None:
        return None
    # A star import may bind anything: names read at module level then cannot be judged
    star = "import *" in source
    bound = _bound(top) | also_bound
    undefined: set[str] = set()
    unused: set[str] = set()
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        stack.extend(table.get_children())
        if table.get_type() != "function":
            continue
        parameters = set(table.get_parameters())  # type: ignore[attr-defined]
        # a comprehension's loop variable that the element ignores ("[0 for i in range(n)]") is harmless
        comprehension = table.get_name() in _COMPREHENSIONS
        for symbol in table.get_symbols():
            name = symbol.get_name()
            if (symbol.is_referenced() and symbol.is_global() and not symbol.is_declared_global()
                    and not symbol.is_assigned() and name not in bound and name not in _BUILTINS and not star):
                undefined.add(name)
            if (not comprehension and symbol.is_local() and symbol.is_assigned() and not symbol.is_referenced() and not symbol.is_namespace()
                    and name not in parameters and not name.startswith("_") and not symbol.is_nonlocal()):
                unused.add(name)
    return NameReport(tuple(sorted(undefined)), tuple(sorted(unused)))
