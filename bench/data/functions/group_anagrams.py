def group_anagrams(words: list[str]) -> list[list[str]]:
    """Group words that are anagrams of each other; groups keep first-seen order, as do words inside a group."""
    groups: dict[str, list[str]] = {}
    for word in words:
        key = "".join(sorted(word.lower()))
        groups.setdefault(key, []).append(word)
    return list(groups.values())

# --- tests ---
assert group_anagrams(["eat", "tea", "tan", "ate", "nat", "bat"]) == [["eat", "tea", "ate"], ["tan", "nat"], ["bat"]]
assert group_anagrams([]) == []
assert group_anagrams(["Listen", "Silent", "x"]) == [["Listen", "Silent"], ["x"]]
