def running_totals(entries: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """For each (category, amount) entry, the category and its cumulative total so far, in input order."""
    totals: dict[str, float] = {}
    result: list[tuple[str, float]] = []
    for category, amount in entries:
        totals[category] = totals.get(category, 0) + amount
        result.append((category, totals[category]))
    return result

# --- tests ---
assert running_totals([]) == []
assert running_totals([("food", 5), ("rent", 100), ("food", 7)]) == [("food", 5), ("rent", 100), ("food", 12)]
assert running_totals([("a", 1), ("a", -1)]) == [("a", 1), ("a", 0)]
