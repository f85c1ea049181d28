def additive_persistence(number: int) -> int:
    """How many times the digits of a non-negative ``number`` must be summed to reach a single digit."""
    if number < 0:
        raise ValueError("number must be non-negative")
    steps = 0
    while number >= 10:
        total = 0
        while number:
            total += number % 10
            number //= 10
        number = total
        steps += 1
    return steps

# --- tests ---
assert additive_persistence(0) == 0
assert additive_persistence(7) == 0
assert additive_persistence(38) == 2
assert additive_persistence(199) == 3
