def compress_ranges(numbers: list[int]) -> str:
    """Describe sorted unique integers as ranges: [1, 2, 3, 5, 7, 8] -> "1-3,5,7-8"."""
    if not numbers:
        return ""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in numbers[1:] + [None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(parts)

# --- tests ---
assert compress_ranges([]) == ""
assert compress_ranges([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8"
assert compress_ranges([4]) == "4"
assert compress_ranges([-2, -1, 0, 2]) == "-2-0,2"
