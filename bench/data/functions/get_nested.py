from typing import Any


def get_nested(data: dict[str, Any], path: str, default: Any = None) -> Any:
    """Value at a dotted ``path`` ("a.b.0.c") through dicts and lists, or ``default`` when any step is missing."""
    current: Any = data
    for part in path.split("."):
        if isinstance(current, dict):
            if part not in current:
                return default
            current = current[part]
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                return default
            current = current[index]
        else:
            return default
    return current

# --- tests ---
data = {"a": {"b": [{"c": 1}, {"c": 2}]}, "x": 5}
assert get_nested(data, "x") == 5
assert get_nested(data, "a.b.1.c") == 2
assert get_nested(data, "a.b.2.c", "none") == "none"
assert get_nested(data, "a.z") is None
assert get_nested(data, "x.y", 0) == 0
