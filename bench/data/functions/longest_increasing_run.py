def longest_increasing_run(values: list[int]) -> list[int]:
    """The longest strictly increasing contiguous run; the first one wins ties."""
    if not values:
        return []
    best_start, best_length = 0, 1
    start = 0
    for index in range(1, len(values)):
        if values[index] <= values[index - 1]:
            start = index
        length = index - start + 1
        if length > best_length:
            best_start, best_length = start, length
    return values[best_start : best_start + best_length]

# --- tests ---
assert longest_increasing_run([]) == []
assert longest_increasing_run([1, 2, 1, 2, 3, 0]) == [1, 2, 3]
assert longest_increasing_run([5, 4, 3]) == [5]
assert longest_increasing_run([1, 3, 5, 7]) == [1, 3, 5, 7]
assert longest_increasing_run([2, 2, 3, 1, 4]) == [2, 3]
