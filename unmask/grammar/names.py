"""Name checks for Python fills: which names a program reads but never binds, and which it binds but never reads.

A fill that reads a name nothing defines fails with ``NameError`` as soon as it runs, and a fill that assigns a
local nothing reads is usually the wrong line (the code around it wanted another name). Both are cheap to see
in the filled program, with no model: ``symtable`` reports every scope's symbols the way the compiler resolves
them. Ranking candidates by these counts is how :mod:`unmask.editing` prefers fills that fit their context.

Only Python is analysed (other languages get None). Names are counted per function scope, so a module-level
name that is only read inside a function, or a builtin, is not "undefined".
"""

from __future__ import annotations

import ast
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
    """``undefined``: names a function reads that no scope binds, or only updates in place (``n += 1`` with no
    ``n = ...``) (sorted, once each); ``unused``: locals a
    function assigns and never reads (parameters, ``_``-prefixed names and nested definitions excluded)."""

    undefined: tuple[str, ...]
    unused: tuple[str, ...]

    @property
    def problems(self) -> int:
        return len(self.undefined) + len(self.unused)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _scope_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.AST]:
    """The nodes of a function's own scope: its body without nested functions, classes and lambdas (their
    names, defaults and decorators excepted), and without comprehensions' loop targets (their own scope)."""
    nodes: list[ast.AST] = []
    todo: list[ast.AST] = list(function.body) if isinstance(function.body, list) else [function.body]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, _SCOPES):
            continue  # the name it binds is seen through the node itself
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.comprehension):
                todo.extend([child.iter, *child.ifs])
            else:
                todo.append(child)
    return nodes


def _augmented_only(tree: ast.AST) -> set[str]:
    """Names a function updates in place (``count += 1``) that nothing else in it binds and no ``global`` or
    ``nonlocal`` declares: the update reads the local before any value was given to it (``UnboundLocalError``
    when it runs). ``symtable`` counts the update as an assignment, so these pass its checks."""
    found: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        arguments = function.args
        bound = {arg.arg for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
        bound |= {arg.arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None}
        updated: set[str] = set()
        for node in _scope_nodes(function):
            if isinstance(node, ast.AugAssign):
                if isinstance(node.target, ast.Name):
                    updated.add(node.target.id)
            elif isinstance(node, ast.AnnAssign) and node.value is None:
                continue  # ``x: int`` alone gives x no value
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                bound.update(node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                bound.add(node.rest)
            if isinstance(node, (*_SCOPES, ast.AugAssign)):
                continue  # a nested scope's names are its own; an update is not a binding
            bound.update(child.id for child in ast.iter_child_nodes(node)
                         if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)))
        found |= updated - bound
    return found


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
    try:
        undefined |= _augmented_only(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    return NameReport(tuple(sorted(undefined)), tuple(sorted(unused)))
