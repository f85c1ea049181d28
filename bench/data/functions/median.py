def median(values: list[float]) -> float:
    """The median of ``values`` (the mean of the two middle values for an even count); ValueError when empty."""
    if not values:
        raise ValueError("median of an empty list")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2

# --- tests ---
assert median([3, 1, 2]) == 2.0
assert median([4, 1, 3, 2]) == 2.5
assert median([7]) == 7.0
assert median([-5, 5]) == 0.0
try:
    median([])
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
