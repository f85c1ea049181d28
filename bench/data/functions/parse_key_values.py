def parse_key_values(text: str, separator: str = ";") -> dict[str, str]:
    """Parse ``"a=1; b = 2"`` into ``{"a": "1", "b": "2"}``; empty items are skipped, keys and values stripped.

    Raises ValueError for an item without ``=``.
    """
    result: dict[str, str] = {}
    for item in text.split(separator):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"no '=' in {item!r}")
        result[key.strip()] = value.strip()
    return result

# --- tests ---
assert parse_key_values("") == {}
assert parse_key_values("a=1; b = 2;") == {"a": "1", "b": "2"}
assert parse_key_values("x=1,y=a=b", separator=",") == {"x": "1", "y": "a=b"}
try:
    parse_key_values("a=1;oops")
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
