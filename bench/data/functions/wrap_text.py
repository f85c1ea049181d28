def wrap_text(text: str, width: int) -> list[str]:
    """Greedy word wrap: lines of at most ``width`` characters; a longer word gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines

# --- tests ---
assert wrap_text("", 10) == []
assert wrap_text("the quick brown fox jumps", 10) == ["the quick", "brown fox", "jumps"]
assert wrap_text("a verylongword b", 5) == ["a", "verylongword", "b"]
assert wrap_text("one two", 7) == ["one two"]
