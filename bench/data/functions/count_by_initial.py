def count_by_initial(words: list[str]) -> dict[str, int]:
    """How many words start with each letter (lowercased); words that do not start with a letter are skipped."""
    counts: dict[str, int] = {}
    for word in words:
        if not word or not word[0].isalpha():
            continue
        initial = word[0].lower()
        counts[initial] = counts.get(initial, 0) + 1
    return dict(sorted(counts.items()))

# --- tests ---
assert count_by_initial([]) == {}
assert count_by_initial(["Apple", "avocado", "banana", "1st", "", "Cherry"]) == {"a": 2, "b": 1, "c": 1}
assert list(count_by_initial(["zeta", "alpha"])) == ["a", "z"]
