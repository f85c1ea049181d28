def group_by_length(words: list[str]) -> dict[int, list[str]]:
    """Words grouped by length, each group sorted alphabetically and without duplicates; keys ascend."""
    groups: dict[int, set[str]] = {}
    for word in words:
        groups.setdefault(len(word), set()).add(word)
    result: dict[int, list[str]] = {}
    for length in sorted(groups):
        result[length] = sorted(groups[length])
    return result

# --- tests ---
assert group_by_length([]) == {}
assert group_by_length(["bb", "a", "cc", "bb", "ddd"]) == {1: ["a"], 2: ["bb", "cc"], 3: ["ddd"]}
assert list(group_by_length(["xyz", "q"])) == [1, 3]
