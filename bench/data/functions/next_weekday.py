from datetime import date, timedelta


def next_weekday(day: date, weekday: int, include_today: bool = False) -> date:
    """The next date falling on ``weekday`` (Monday 0 ... Sunday 6) after ``day``, or ``day`` itself when
    ``include_today`` and it already is that weekday."""
    if not 0 <= weekday <= 6:
        raise ValueError("weekday must be 0..6")
    ahead = (weekday - day.weekday()) % 7
    if ahead == 0 and not include_today:
        ahead = 7
    return day + timedelta(days=ahead)

# --- tests ---
monday = date(2024, 6, 3)
assert next_weekday(monday, 0) == date(2024, 6, 10)
assert next_weekday(monday, 0, include_today=True) == monday
assert next_weekday(monday, 4) == date(2024, 6, 7)
assert next_weekday(date(2024, 6, 8), 1) == date(2024, 6, 11)
