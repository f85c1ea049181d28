def run_length_decode(encoded: str) -> str:
    """Decode text written as a character followed by a decimal run length ("a3b1" -> "aaab").

    Raises ValueError when a character is not followed by a count.
    """
    result: list[str] = []
    index = 0
    while index < len(encoded):
        char = encoded[index]
        index += 1
        start = index
        while index < len(encoded) and encoded[index].isdigit():
            index += 1
        if start == index:
            raise ValueError(f"missing count after {char!r}")
        result.append(char * int(encoded[start:index]))
    return "".join(result)

# --- tests ---
assert run_length_decode("") == ""
assert run_length_decode("a3b1c2") == "aaabcc"
assert run_length_decode("x12") == "x" * 12
assert run_length_decode("a1b1a1") == "aba"
try:
    run_length_decode("ab2")
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
