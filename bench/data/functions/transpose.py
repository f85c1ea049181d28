def transpose(rows: list[list[object]], fill: object = None) -> list[list[object]]:
    """Swap rows and columns; ragged rows are padded with ``fill`` to the longest row's length."""
    if not rows:
        return []
    width = max(len(row) for row in rows)
    columns: list[list[object]] = []
    for c in range(width):
        column = []
        for row in rows:
            column.append(row[c] if c < len(row) else fill)
        columns.append(column)
    return columns

# --- tests ---
assert transpose([]) == []
assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
assert transpose([[1], [2, 3]], fill=0) == [[1, 2], [0, 3]]
