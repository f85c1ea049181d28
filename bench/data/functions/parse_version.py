def parse_version(text: str) -> tuple[int, int, int]:
    """Parse "MAJOR.MINOR.PATCH" (a leading "v" and missing trailing parts allowed: "v1.2" -> (1, 2, 0))."""
    cleaned = text.strip().lstrip("vV")
    parts = cleaned.split(".")
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"bad version {text!r}")
    numbers: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(f"bad version {text!r}")
        numbers.append(int(part))
    while len(numbers) < 3:
        numbers.append(0)
    return numbers[0], numbers[1], numbers[2]

# --- tests ---
assert parse_version("1.2.3") == (1, 2, 3)
assert parse_version("v1.2") == (1, 2, 0)
assert parse_version(" 10 ") == (10, 0, 0)
assert parse_version("2.0.10") > parse_version("2.0.9")
for bad in ("", "1.2.3.4", "1.x", "1..2"):
    try:
        parse_version(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"expected ValueError for {bad!r}")
