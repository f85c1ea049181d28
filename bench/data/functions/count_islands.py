def count_islands(grid: list[list[int]]) -> int:
    """Number of 4-connected groups of 1s in a grid of 0s and 1s (the grid is not modified)."""
    rows = len(grid)
    columns = len(grid[0]) if rows else 0
    seen: set[tuple[int, int]] = set()
    islands = 0
    for r in range(rows):
        for c in range(columns):
            if grid[r][c] != 1 or (r, c) in seen:
                continue
            islands += 1
            stack = [(r, c)]
            seen.add((r, c))
            while stack:
                y, x = stack.pop()
                for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                    if 0 <= ny < rows and 0 <= nx < columns and grid[ny][nx] == 1 and (ny, nx) not in seen:
                        seen.add((ny, nx))
                        stack.append((ny, nx))
    return islands

# --- tests ---
assert count_islands([]) == 0
assert count_islands([[1, 1, 0], [0, 1, 0], [1, 0, 1]]) == 3
assert count_islands([[0, 0], [0, 0]]) == 0
assert count_islands([[1, 0, 1, 0, 1]]) == 3
assert count_islands([[1, 1], [1, 1]]) == 1
