from collections import deque


def shortest_path_length(grid: list[str], start: tuple[int, int], goal: tuple[int, int]) -> int:
    """Fewest 4-directional moves from ``start`` to ``goal`` (row, column) through '.' cells of ``grid``;
    '#' cells are walls. -1 when the goal cannot be reached."""
    rows, columns = len(grid), len(grid[0]) if grid else 0
    queue = deque([(start, 0)])
    visited = {start}
    while queue:
        (row, column), distance = queue.popleft()
        if (row, column) == goal:
            return distance
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            r, c = row + dr, column + dc
            if 0 <= r < rows and 0 <= c < columns and grid[r][c] != "#" and (r, c) not in visited:
                visited.add((r, c))
                queue.append(((r, c), distance + 1))
    return -1

# --- tests ---
maze = ["..#.", ".##.", "....", "#..."]
assert shortest_path_length(maze, (0, 0), (0, 3)) == 7
assert shortest_path_length(maze, (0, 0), (0, 0)) == 0
assert shortest_path_length([".#.", "###", "..."], (0, 0), (2, 2)) == -1
assert shortest_path_length(["...."], (0, 0), (0, 3)) == 3
