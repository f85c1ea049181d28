def fibonacci_up_to(limit: int) -> list[int]:
    """Fibonacci numbers 0, 1, 1, 2, ... that are at most ``limit`` (empty for a negative limit)."""
    if limit < 0:
        return []
    numbers = [0]
    current, following = 1, 1
    while current <= limit:
        numbers.append(current)
        current, following = following, current + following
    return numbers

# --- tests ---
assert fibonacci_up_to(-1) == []
assert fibonacci_up_to(0) == [0]
assert fibonacci_up_to(1) == [0, 1, 1]
assert fibonacci_up_to(20) == [0, 1, 1, 2, 3, 5, 8, 13]
