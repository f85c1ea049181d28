def vowel_counts(sentence: str) -> list[tuple[str, int]]:
    """For each whitespace-separated word, the word and how many vowels (a, e, i, o, u, either case) it has."""
    vowels = set("aeiouAEIOU")
    result: list[tuple[str, int]] = []
    for word in sentence.split():
        count = 0
        for char in word:
            if char in vowels:
                count += 1
        result.append((word, count))
    return result

# --- tests ---
assert vowel_counts("") == []
assert vowel_counts("Hello big World") == [("Hello", 2), ("big", 1), ("World", 1)]
assert vowel_counts("rhythm AEIOU") == [("rhythm", 0), ("AEIOU", 5)]
