def run_length_encode(text: str) -> str:
    """Encode runs of repeated characters as the character followed by the run length.

    >>> run_length_encode("aaabcc")
    'a3b1c2'
    """
    if not text:
        return ""
    parts: list[str] = []
    current = text[0]
    count = 1
    for char in text[1:]:
        if char == current:
            count += 1
        else:
            parts.append(f"{current}{count}")
            current = char
            count = 1
    parts.append(f"{current}{count}")
    return "".join(parts)

# --- tests ---
assert run_length_encode("") == ""
assert run_length_encode("a") == "a1"
assert run_length_encode("aaabcc") == "a3b1c2"
assert run_length_encode("abab") == "a1b1a1b1"
assert run_length_encode("zzzzzzzzzzzz") == "z12"
