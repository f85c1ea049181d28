import re


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``"1h30m"``, ``"45s"`` or ``"2d 4h"`` (units d, h, m, s).

    Raises ValueError for text that is not a sequence of number+unit pairs.
    """
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    compact = text.replace(" ", "").lower()
    if not compact:
        raise ValueError("empty duration")
    pairs = re.findall(r"(\d+)([dhms])", compact)
    if "".join(number + unit for number, unit in pairs) != compact:
        raise ValueError(f"bad duration {text!r}")
    total = 0
    for number, unit in pairs:
        total += int(number) * units[unit]
    return total

# --- tests ---
assert parse_duration("45s") == 45
assert parse_duration("1h30m") == 5400
assert parse_duration("2d 4h") == 2 * 86400 + 4 * 3600
assert parse_duration("1H1M1S") == 3661
for bad in ("", "10", "5x", "h1"):
    try:
        parse_duration(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"expected ValueError for {bad!r}")
