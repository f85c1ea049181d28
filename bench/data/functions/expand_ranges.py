def expand_ranges(text: str) -> list[int]:
    """Expand "1-3,5,8-9" into [1, 2, 3, 5, 8, 9]; spaces are allowed, a reversed range raises ValueError."""
    numbers: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:]:
            split_at = part.index("-", 1)
            low, high = int(part[:split_at]), int(part[split_at + 1 :])
            if low > high:
                raise ValueError(f"reversed range {part!r}")
            numbers.extend(range(low, high + 1))
        else:
            numbers.append(int(part))
    return numbers

# --- tests ---
assert expand_ranges("") == []
assert expand_ranges("1-3,5,8-9") == [1, 2, 3, 5, 8, 9]
assert expand_ranges(" 4 , 6-7 ") == [4, 6, 7]
assert expand_ranges("-2-0") == [-2, -1, 0]
try:
    expand_ranges("5-3")
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
