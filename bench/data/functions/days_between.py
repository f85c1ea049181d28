from datetime import date


def days_between(first: str, second: str, *, business_only: bool = False) -> int:
    """Days from ISO date ``first`` to ``second`` (negative when ``second`` is earlier); with
    ``business_only``, only Monday-Friday days are counted, ``first`` excluded and ``second`` included."""
    start = date.fromisoformat(first)
    end = date.fromisoformat(second)
    if not business_only:
        return (end - start).days
    sign = 1 if end >= start else -1
    low, high = min(start, end), max(start, end)
    count = 0
    for offset in range(1, (high - low).days + 1):
        if date.fromordinal(low.toordinal() + offset).weekday() < 5:
            count += 1
    return sign * count

# --- tests ---
assert days_between("2024-01-01", "2024-01-31") == 30
assert days_between("2024-02-28", "2024-03-01") == 2
assert days_between("2023-02-28", "2023-03-01") == 1
assert days_between("2024-05-10", "2024-05-01") == -9
assert days_between("2024-06-07", "2024-06-10", business_only=True) == 1
assert days_between("2024-06-03", "2024-06-17", business_only=True) == 10
assert days_between("2024-06-10", "2024-06-07", business_only=True) == -1
assert days_between("2024-06-08", "2024-06-09", business_only=True) == 0
