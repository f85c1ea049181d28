def topological_order(dependencies: dict[str, list[str]]) -> list[str]:
    """Order the names so each comes after everything it depends on; names only mentioned as dependencies are
    included. Ties are broken alphabetically. Raises ValueError on a cycle."""
    names = set(dependencies)
    for needs in dependencies.values():
        names.update(needs)
    remaining = {name: set(dependencies.get(name, [])) for name in names}
    order: list[str] = []
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if not needs)
        if not ready:
            raise ValueError("dependency cycle")
        for name in ready:
            order.append(name)
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    return order

# --- tests ---
assert topological_order({}) == []
assert topological_order({"app": ["lib", "utils"], "lib": ["utils"]}) == ["utils", "lib", "app"]
assert topological_order({"b": [], "a": []}) == ["a", "b"]
try:
    topological_order({"a": ["b"], "b": ["a"]})
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
