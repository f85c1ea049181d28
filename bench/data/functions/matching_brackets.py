def matching_brackets(text: str) -> dict[int, int]:
    """Map the index of every '(' to the index of its matching ')'; ValueError when they do not balance."""
    stack: list[int] = []
    matches: dict[int, int] = {}
    for index, char in enumerate(text):
        if char == "(":
            stack.append(index)
        elif char == ")":
            if not stack:
                raise ValueError(f"unmatched ')' at {index}")
            matches[stack.pop()] = index
    if stack:
        raise ValueError(f"unmatched '(' at {stack[-1]}")
    return matches

# --- tests ---
assert matching_brackets("") == {}
assert matching_brackets("(a(b)c)") == {0: 6, 2: 4}
assert matching_brackets("()()") == {0: 1, 2: 3}
for bad in ("(", ")("):
    try:
        matching_brackets(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"expected ValueError for {bad!r}")
