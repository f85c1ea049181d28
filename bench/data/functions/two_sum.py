def two_sum(numbers: list[int], target: int) -> tuple[int, int] | None:
    """Indices ``(i, j)`` with ``i < j`` and ``numbers[i] + numbers[j] == target``, the pair found first
    scanning left to right; None when there is none."""
    seen: dict[int, int] = {}
    for index, number in enumerate(numbers):
        wanted = target - number
        if wanted in seen:
            return seen[wanted], index
        if number not in seen:
            seen[number] = index
    return None

# --- tests ---
assert two_sum([2, 7, 11, 15], 9) == (0, 1)
assert two_sum([3, 2, 4], 6) == (1, 2)
assert two_sum([3, 3], 6) == (0, 1)
assert two_sum([1, 2], 7) is None
assert two_sum([], 0) is None
