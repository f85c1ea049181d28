def moving_average(values: list[float], window: int) -> list[float]:
    """Averages of each full window of ``window`` consecutive values (``len(values) - window + 1`` of them)."""
    if window < 1:
        raise ValueError("window must be positive")
    if len(values) < window:
        return []
    total = sum(values[:window])
    averages = [total / window]
    for index in range(window, len(values)):
        total += values[index] - values[index - window]
        averages.append(total / window)
    return averages

# --- tests ---
assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]
assert moving_average([1, 2, 3], 3) == [2.0]
assert moving_average([1, 2], 3) == []
assert moving_average([4, 4, 4, 4], 1) == [4, 4, 4, 4]
try:
    moving_average([1.0], 0)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
