def apply_transactions(balance: int, transactions: list[tuple[str, int]]) -> int:
    """Apply ("deposit" | "withdraw", amount) pairs in order and return the final balance.

    Raises ValueError for a negative amount, an unknown kind, or a withdrawal larger than the balance.
    """
    for kind, amount in transactions:
        if amount < 0:
            raise ValueError("amounts must be non-negative")
        if kind == "deposit":
            balance += amount
        elif kind == "withdraw":
            if amount > balance:
                raise ValueError("insufficient funds")
            balance -= amount
        else:
            raise ValueError(f"unknown transaction {kind!r}")
    return balance

# --- tests ---
assert apply_transactions(0, []) == 0
assert apply_transactions(10, [("deposit", 5), ("withdraw", 12)]) == 3
for bad in ([("withdraw", 11)], [("deposit", -1)], [("refund", 1)]):
    try:
        apply_transactions(10, bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"expected ValueError for {bad}")
