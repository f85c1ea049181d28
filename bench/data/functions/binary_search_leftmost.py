def binary_search_leftmost(values: list[int], target: int) -> int:
    """Index of the first occurrence of ``target`` in sorted ``values``, or -1 when it is absent."""
    low, high = 0, len(values)
    while low < high:
        middle = (low + high) // 2
        if values[middle] < target:
            low = middle + 1
        else:
            high = middle
    if low < len(values) and values[low] == target:
        return low
    return -1

# --- tests ---
assert binary_search_leftmost([], 3) == -1
assert binary_search_leftmost([1, 2, 2, 2, 5], 2) == 1
assert binary_search_leftmost([1, 2, 2, 2, 5], 5) == 4
assert binary_search_leftmost([1, 2, 2, 2, 5], 3) == -1
assert binary_search_leftmost([4, 4, 4], 4) == 0
assert binary_search_leftmost([1, 3], 0) == -1
