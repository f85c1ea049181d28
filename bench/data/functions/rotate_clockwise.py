def rotate_clockwise(matrix: list[list[int]]) -> list[list[int]]:
    """A new matrix: ``matrix`` rotated 90 degrees clockwise (rows may be any equal length)."""
    if not matrix:
        return []
    rows = len(matrix)
    columns = len(matrix[0])
    rotated = [[0] * rows for _ in range(columns)]
    for r in range(rows):
        for c in range(columns):
            rotated[c][rows - 1 - r] = matrix[r][c]
    return rotated

# --- tests ---
assert rotate_clockwise([]) == []
assert rotate_clockwise([[1, 2], [3, 4]]) == [[3, 1], [4, 2]]
assert rotate_clockwise([[1, 2, 3]]) == [[1], [2], [3]]
assert rotate_clockwise([[1, 2, 3], [4, 5, 6]]) == [[4, 1], [5, 2], [6, 3]]
