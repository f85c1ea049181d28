import string


def word_frequencies(text: str) -> dict[str, int]:
    """Count words case-insensitively, ignoring surrounding punctuation; words are split on whitespace."""
    counts: dict[str, int] = {}
    for raw in text.split():
        word = raw.strip(string.punctuation).lower()
        if not word:
            continue
        counts[word] = counts.get(word, 0) + 1
    return counts

# --- tests ---
assert word_frequencies("") == {}
assert word_frequencies("The cat, the hat.") == {"the": 2, "cat": 1, "hat": 1}
assert word_frequencies("Hi! hi? HI -- ok") == {"hi": 3, "ok": 1}
assert word_frequencies("don't stop") == {"don't": 1, "stop": 1}
