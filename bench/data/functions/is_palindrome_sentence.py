def is_palindrome_sentence(sentence: str) -> bool:
    """True when the letters and digits of ``sentence`` read the same backwards, ignoring case."""
    characters = [char.lower() for char in sentence if char.isalnum()]
    left, right = 0, len(characters) - 1
    while left < right:
        if characters[left] != characters[right]:
            return False
        left += 1
        right -= 1
    return True

# --- tests ---
assert is_palindrome_sentence("A man, a plan, a canal: Panama")
assert is_palindrome_sentence("")
assert not is_palindrome_sentence("race a car")
assert is_palindrome_sentence("No 'x' in Nixon")
