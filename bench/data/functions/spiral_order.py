def spiral_order(matrix: list[list[int]]) -> list[int]:
    """Elements of ``matrix`` in clockwise spiral order, starting at the top-left corner."""
    result: list[int] = []
    if not matrix:
        return result
    top, bottom = 0, len(matrix) - 1
    left, right = 0, len(matrix[0]) - 1
    while top <= bottom and left <= right:
        result.extend(matrix[top][c] for c in range(left, right + 1))
        result.extend(matrix[r][right] for r in range(top + 1, bottom + 1))
        if top < bottom:
            result.extend(matrix[bottom][c] for c in range(right - 1, left - 1, -1))
        if left < right:
            result.extend(matrix[r][left] for r in range(bottom - 1, top, -1))
        top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
    return result

# --- tests ---
assert spiral_order([]) == []
assert spiral_order([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]
assert spiral_order([[1, 2, 3, 4], [5, 6, 7, 8]]) == [1, 2, 3, 4, 8, 7, 6, 5]
assert spiral_order([[1], [2], [3]]) == [1, 2, 3]
