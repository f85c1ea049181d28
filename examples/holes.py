"""A small file with holes for `unmask fill examples/holes.py`.

Holes: the `___` marker (valid Python: an identifier) and function bodies that are only `...` or `pass`.
"""


def add(a, b):
    """Return the sum of a and b."""
    return ___


def is_even(n):
    """Return True when n is even."""
    ...


def mean(values):
    """Return the arithmetic mean of a non-empty list of numbers."""
    total = sum(values)
    return total / ___


def greet(name):
    """Return a greeting for name."""
    pass


if __name__ == "__main__":
    print(add(2, 3), is_even(4), mean([1, 2, 3]), greet("world"))
