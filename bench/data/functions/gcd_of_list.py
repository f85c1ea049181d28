def gcd_of_list(numbers: list[int]) -> int:
    """Greatest common divisor of all ``numbers`` (signs ignored); 0 for an empty list or all zeros."""
    result = 0
    for number in numbers:
        a, b = abs(number), result
        while b:
            a, b = b, a % b
        result = a
        if result == 1:
            break
    return result

# --- tests ---
assert gcd_of_list([]) == 0
assert gcd_of_list([12, 18, 24]) == 6
assert gcd_of_list([-4, 6]) == 2
assert gcd_of_list([7, 13]) == 1
assert gcd_of_list([0, 0, 5]) == 5
