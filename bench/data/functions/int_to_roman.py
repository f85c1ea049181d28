def int_to_roman(number: int) -> str:
    """Roman numeral for 1 <= number <= 3999; raises ValueError outside that range."""
    if not 1 <= number <= 3999:
        raise ValueError("number out of range")
    symbols = [
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ]
    parts: list[str] = []
    for value, symbol in symbols:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    return "".join(parts)

# --- tests ---
assert int_to_roman(3) == "III"
assert int_to_roman(4) == "IV"
assert int_to_roman(1994) == "MCMXCIV"
assert int_to_roman(3999) == "MMMCMXCIX"
assert int_to_roman(40) == "XL"
try:
    int_to_roman(0)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
