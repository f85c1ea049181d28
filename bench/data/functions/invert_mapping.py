def invert_mapping(mapping: dict[str, str]) -> dict[str, list[str]]:
    """Map each value to the sorted list of keys that had it."""
    inverted: dict[str, list[str]] = {}
    for key, value in mapping.items():
        inverted.setdefault(value, []).append(key)
    for keys in inverted.values():
        keys.sort()
    return inverted

# --- tests ---
assert invert_mapping({}) == {}
assert invert_mapping({"b": "x", "a": "x", "c": "y"}) == {"x": ["a", "b"], "y": ["c"]}
