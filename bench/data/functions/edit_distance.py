def edit_distance(source: str, target: str) -> int:
    """Levenshtein distance: the fewest single-character insertions, deletions and substitutions."""
    previous = list(range(len(target) + 1))
    for i, char in enumerate(source, start=1):
        current = [i]
        for j, other in enumerate(target, start=1):
            cost = 0 if char == other else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]

# --- tests ---
assert edit_distance("", "") == 0
assert edit_distance("abc", "") == 3
assert edit_distance("kitten", "sitting") == 3
assert edit_distance("flaw", "lawn") == 2
assert edit_distance("same", "same") == 0
