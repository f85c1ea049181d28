def flatten_nested(value: object) -> list[object]:
    """Flatten arbitrarily nested lists and tuples into one list, keeping the order of the leaves."""
    flat: list[object] = []
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, (list, tuple)):
            stack.extend(reversed(current))
        else:
            flat.append(current)
    return flat

# --- tests ---
assert flatten_nested([1, [2, [3, 4]], (5,), []]) == [1, 2, 3, 4, 5]
assert flatten_nested([]) == []
assert flatten_nested(7) == [7]
assert flatten_nested([["a"], [["b", ["c"]]]]) == ["a", "b", "c"]
