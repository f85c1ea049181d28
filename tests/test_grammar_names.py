"""Name checks on literal Python sources: undefined reads and unused locals, per function scope."""

from __future__ import annotations

from unmask.grammar.names import python_names


def test_a_name_read_but_bound_nowhere_is_undefined() -> None:
    report = python_names("def f(items):\n    total = 0\n    for item in items:\n        total += item\n    return totl\n")
    assert report is not None
    assert report.undefined == ("totl",)


def test_a_local_only_updated_in_place_is_read_before_it_has_a_value() -> None:
    # symtable counts `total += item` as an assignment; Python raises UnboundLocalError when it runs
    report = python_names("def f(items):\n    for item in items:\n        total += item\n    return total\n")
    assert report is not None and report.undefined == ("total",)
    bound_otherwise = [
        "def f(total, items):\n    total += len(items)\n    return total\n",  # a parameter
        "def f(items):\n    for total in items:\n        total += 1\n    return total\n",  # a loop target
        "def f():\n    global total\n    total += 1\n",
        "def f():\n    total = 0\n    def g():\n        nonlocal total\n        total += 1\n    g()\n    return total\n",
        "def f(items):\n    if (total := len(items)):\n        total += 1\n    return total\n",  # a walrus
        "def f(box):\n    box.size += 1\n    box[0] += 1\n",  # attributes and items are not names
    ]
    for source in bound_otherwise:
        report = python_names(source)
        assert report is not None and report.undefined == (), source
    # a nested function's own update, without nonlocal, is its own unbound local; so is an annotation alone
    nested = python_names("def f():\n    total = 0\n    def g():\n        total += 1\n        return total\n    return g()\n")
    annotated = python_names("def f():\n    total: int\n    total += 1\n    return total\n")
    assert nested is not None and nested.undefined == ("total",)
    assert annotated is not None and annotated.undefined == ("total",)


def test_module_names_imports_builtins_and_enclosing_scopes_are_defined() -> None:
    source = (
        "import os\nfrom math import sqrt\nLIMIT = 3\n\n"
        "def outer(values):\n"
        "    scale = 2\n"
        "    def inner(x):\n        return sqrt(x) * scale + LIMIT + len(os.sep)\n"
        "    return [inner(v) for v in values], __name__\n"
        "\nclass Box:\n    def size(self):\n        return Box\n"
    )
    report = python_names(source)
    assert report is not None and report == python_names(source) and report.undefined == ()


def test_a_local_assigned_and_never_read_is_unused_but_parameters_and_underscores_are_not() -> None:
    report = python_names("def f(a, b, *rest, **options):\n    x = a\n    _ignored = 1\n    y = 2\n    return y\n")
    assert report is not None
    assert report.unused == ("x",)


def test_comprehension_loop_variables_and_star_imports_are_not_flagged() -> None:
    for source in ("def f(n):\n    return [0 for i in range(n)]\n", "from helpers import *\n\ndef f():\n    return anything\n"):
        report = python_names(source)
        assert report is not None and report.problems == 0


def test_a_fill_that_defines_what_the_suffix_reads_has_fewer_problems() -> None:
    prefix = "def count_islands(grid):\n"
    suffix = "\n    for row in grid:\n        print(row)\n    return islands\n"
    right = python_names(prefix + "    islands = 0" + suffix)
    wrong = python_names(prefix + "    result = 0" + suffix)
    assert right is not None and wrong is not None
    assert right.problems == 0
    assert wrong.undefined == ("islands",) and wrong.unused == ("result",)


def test_source_that_does_not_compile_has_no_report() -> None:
    assert python_names("def f(:\n    pass\n") is None
    assert python_names("def f():\n    return 1\n  x = 2\n") is None
