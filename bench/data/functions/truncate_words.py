def truncate_words(text: str, limit: int, ellipsis: str = "...") -> str:
    """At most ``limit`` characters of ``text``, cut at a word boundary with ``ellipsis`` appended when cut."""
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    cut = text.rfind(" ", 0, room + 1)
    if cut <= 0:
        cut = room
    return text[:cut].rstrip() + ellipsis

# --- tests ---
assert truncate_words("short", 10) == "short"
assert truncate_words("the quick brown fox", 12) == "the quick..."
assert truncate_words("abcdefghij", 6) == "abc..."
assert truncate_words("hello world", 2) == ".."
assert len(truncate_words("one two three four five", 15)) <= 15
