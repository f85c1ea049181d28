def histogram(values: list[float], bins: int, low: float, high: float) -> list[int]:
    """Counts of ``values`` in ``bins`` equal-width bins over [low, high]; ``high`` itself falls in the last bin,
    values outside the range are ignored."""
    if bins < 1 or high <= low:
        raise ValueError("need bins >= 1 and high > low")
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        if value < low or value > high:
            continue
        index = int((value - low) / width)
        if index == bins:
            index -= 1
        counts[index] += 1
    return counts

# --- tests ---
assert histogram([0, 1, 2, 3, 4], 2, 0, 4) == [2, 3]
assert histogram([0.5, 9.9, 10, 11, -1], 5, 0, 10) == [1, 0, 0, 0, 2]
assert histogram([], 3, 0, 1) == [0, 0, 0]
try:
    histogram([1], 0, 0, 1)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
