import itertools


def pascal_row(index: int) -> list[int]:
    """Row ``index`` (0-based) of Pascal's triangle."""
    if index < 0:
        raise ValueError("index must be non-negative")
    row = [1]
    for _ in range(index):
        next_row = [1]
        for left, right in itertools.pairwise(row):
            next_row.append(left + right)
        next_row.append(1)
        row = next_row
    return row

# --- tests ---
assert pascal_row(0) == [1]
assert pascal_row(1) == [1, 1]
assert pascal_row(4) == [1, 4, 6, 4, 1]
assert sum(pascal_row(10)) == 1024
