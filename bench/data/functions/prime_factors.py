def prime_factors(number: int) -> list[int]:
    """Prime factors of ``number`` >= 2 in ascending order, with multiplicity (12 -> [2, 2, 3])."""
    if number < 2:
        raise ValueError("number must be at least 2")
    factors: list[int] = []
    divisor = 2
    while divisor * divisor <= number:
        while number % divisor == 0:
            factors.append(divisor)
            number //= divisor
        divisor += 1 if divisor == 2 else 2
    if number > 1:
        factors.append(number)
    return factors

# --- tests ---
assert prime_factors(2) == [2]
assert prime_factors(12) == [2, 2, 3]
assert prime_factors(97) == [97]
assert prime_factors(360) == [2, 2, 2, 3, 3, 5]
assert prime_factors(9991) == [97, 103]
try:
    prime_factors(1)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
