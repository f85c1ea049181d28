from collections import Counter


def top_k_frequent(words: list[str], k: int, ignore_case: bool = False) -> list[str]:
    """The ``k`` most frequent words, most frequent first; ties are broken alphabetically. With
    ``ignore_case`` words are compared lowercased and returned lowercased. Raises ValueError for negative k."""
    if k < 0:
        raise ValueError("k must be non-negative")
    if ignore_case:
        words = [word.lower() for word in words]
    counts = Counter(words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:k]]

# --- tests ---
assert top_k_frequent(["a", "b", "a", "c", "b", "a"], 2) == ["a", "b"]
assert top_k_frequent(["x", "y", "z"], 2) == ["x", "y"]
assert top_k_frequent([], 3) == []
assert top_k_frequent(["b", "a", "b", "a", "c"], 3) == ["a", "b", "c"]
assert top_k_frequent(["A", "a", "b"], 1, ignore_case=True) == ["a"]
assert top_k_frequent(["A", "a", "b"], 1) == ["A"]
try:
    top_k_frequent(["a"], -1)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
