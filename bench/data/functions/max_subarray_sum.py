def max_subarray_sum(values: list[int]) -> int:
    """Largest sum of a non-empty contiguous run of ``values`` (Kadane); ValueError for an empty list."""
    if not values:
        raise ValueError("empty list")
    best = current = values[0]
    for value in values[1:]:
        current = max(value, current + value)
        best = max(best, current)
    return best

# --- tests ---
assert max_subarray_sum([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6
assert max_subarray_sum([-3, -1, -2]) == -1
assert max_subarray_sum([5]) == 5
assert max_subarray_sum([1, 2, 3]) == 6
