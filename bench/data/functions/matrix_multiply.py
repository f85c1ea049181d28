def matrix_multiply(left: list[list[float]], right: list[list[float]]) -> list[list[float]]:
    """Product of two matrices given as lists of rows; raises ValueError when the shapes do not fit."""
    if not left or not right:
        return []
    inner = len(right)
    if any(len(row) != inner for row in left):
        raise ValueError("left columns must equal right rows")
    columns = len(right[0])
    product = []
    for row in left:
        new_row = []
        for c in range(columns):
            new_row.append(sum(row[k] * right[k][c] for k in range(inner)))
        product.append(new_row)
    return product

# --- tests ---
assert matrix_multiply([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]
assert matrix_multiply([[1, 0, 2]], [[1], [2], [3]]) == [[7]]
assert matrix_multiply([], [[1]]) == []
try:
    matrix_multiply([[1, 2]], [[1, 2]])
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
