def last_unique(events: list[str], count: int) -> list[str]:
    """The ``count`` most recently seen distinct events, most recent first."""
    seen: set[str] = set()
    result: list[str] = []
    for event in reversed(events):
        if event in seen:
            continue
        seen.add(event)
        result.append(event)
        if len(result) == count:
            break
    return result

# --- tests ---
assert last_unique(["a", "b", "a", "c", "b"], 2) == ["b", "c"]
assert last_unique(["a", "b", "a", "c", "b"], 10) == ["b", "c", "a"]
assert last_unique([], 3) == []
assert last_unique(["x", "x"], 1) == ["x"]
