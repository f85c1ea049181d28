from datetime import date


def days_between(first: str, second: str) -> int:
    """Whole days from ISO date ``first`` to ``second`` (negative when ``second`` is earlier)."""
    start = date.fromisoformat(first)
    end = date.fromisoformat(second)
    delta = end - start
    return delta.days

# --- tests ---
assert days_between("2024-01-01", "2024-01-31") == 30
assert days_between("2024-02-28", "2024-03-01") == 2
assert days_between("2023-02-28", "2023-03-01") == 1
assert days_between("2024-05-10", "2024-05-01") == -9
