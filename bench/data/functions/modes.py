def modes(values: list[int]) -> list[int]:
    """Every value that occurs most often, in ascending order (empty for no values)."""
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    if not counts:
        return []
    best = max(counts.values())
    return sorted(value for value, count in counts.items() if count == best)

# --- tests ---
assert modes([]) == []
assert modes([1, 2, 2, 3]) == [2]
assert modes([4, 1, 4, 1, 2]) == [1, 4]
assert modes([5]) == [5]
