from typing import Any


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``base`` updated by ``override``, merging nested dicts recursively; neither input changes."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged

# --- tests ---
base = {"a": 1, "b": {"c": 2, "d": {"e": 3}}}
override = {"b": {"d": {"f": 4}, "c": 5}, "g": 6}
assert deep_merge(base, override) == {"a": 1, "b": {"c": 5, "d": {"e": 3, "f": 4}}, "g": 6}
assert base == {"a": 1, "b": {"c": 2, "d": {"e": 3}}}
assert deep_merge({"a": {"x": 1}}, {"a": 2}) == {"a": 2}
assert deep_merge({}, {}) == {}
