from collections.abc import Hashable, Iterable


def dedupe_preserve_order(items: Iterable[Hashable]) -> list[Hashable]:
    """Items without repeats, in the order of their first appearance."""
    seen: set[Hashable] = set()
    unique: list[Hashable] = []
    for item in items:
        if item in seen:
            continue
        seen.add(item)
        unique.append(item)
    return unique

# --- tests ---
assert dedupe_preserve_order([3, 1, 3, 2, 1]) == [3, 1, 2]
assert dedupe_preserve_order([]) == []
assert dedupe_preserve_order("mississippi") == ["m", "i", "s", "p"]
assert dedupe_preserve_order(iter([(1, 2), (1, 2), (2, 1)])) == [(1, 2), (2, 1)]
