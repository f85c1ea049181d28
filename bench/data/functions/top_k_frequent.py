from collections import Counter


def top_k_frequent(words: list[str], k: int) -> list[str]:
    """The ``k`` most frequent words, most frequent first; ties are broken alphabetically."""
    counts = Counter(words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:k]]

# --- tests ---
assert top_k_frequent(["a", "b", "a", "c", "b", "a"], 2) == ["a", "b"]
assert top_k_frequent(["x", "y", "z"], 2) == ["x", "y"]
assert top_k_frequent([], 3) == []
assert top_k_frequent(["b", "a", "b", "a", "c"], 3) == ["a", "b", "c"]
