def items_to_restock(stock: dict[str, int], minimum: dict[str, int], default_minimum: int = 5) -> list[tuple[str, int]]:
    """Items whose stock is below their minimum (``default_minimum`` when unlisted), with how many to order to
    reach it; sorted by the largest shortfall, then name."""
    orders: list[tuple[str, int]] = []
    for item, count in stock.items():
        wanted = minimum.get(item, default_minimum)
        if count < wanted:
            orders.append((item, wanted - count))
    orders.sort(key=lambda order: (-order[1], order[0]))
    return orders

# --- tests ---
assert items_to_restock({}, {}) == []
assert items_to_restock({"a": 1, "b": 10, "c": 0}, {"b": 12}) == [("c", 5), ("a", 4), ("b", 2)]
assert items_to_restock({"x": 3, "y": 3}, {}, default_minimum=4) == [("x", 1), ("y", 1)]
