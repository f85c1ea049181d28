def is_balanced(text: str) -> bool:
    """True when every bracket in ``text`` ((), [], {}) is closed in the right order; other characters are ignored."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for char in text:
        if char in "([{":
            stack.append(char)
        elif char in pairs:
            if not stack or stack[-1] != pairs[char]:
                return False
            stack.pop()
    return not stack

# --- tests ---
assert is_balanced("")
assert is_balanced("a(b[c]{d}e)f")
assert not is_balanced("(]")
assert not is_balanced("((")
assert not is_balanced("())")
assert is_balanced("{[()()]}")
