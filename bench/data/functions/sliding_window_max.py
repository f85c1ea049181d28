from collections import deque


def sliding_window_max(values: list[int], window: int) -> list[int]:
    """Maximum of each window of ``window`` consecutive values, in O(n) with a deque of indices."""
    if window < 1:
        raise ValueError("window must be positive")
    candidates: deque[int] = deque()
    maxima: list[int] = []
    for index, value in enumerate(values):
        while candidates and values[candidates[-1]] <= value:
            candidates.pop()
        candidates.append(index)
        if candidates[0] <= index - window:
            candidates.popleft()
        if index >= window - 1:
            maxima.append(values[candidates[0]])
    return maxima

# --- tests ---
assert sliding_window_max([1, 3, -1, -3, 5, 3, 6, 7], 3) == [3, 3, 5, 5, 6, 7]
assert sliding_window_max([4, 2], 3) == []
assert sliding_window_max([9, 8, 7], 1) == [9, 8, 7]
assert sliding_window_max([1, 2, 3, 4], 4) == [4]
