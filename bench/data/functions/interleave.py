def interleave(*sequences: list[int]) -> list[int]:
    """Take one element from each sequence in turn until all are used up ([1, 2], [3] -> [1, 3, 2])."""
    result: list[int] = []
    longest = max((len(sequence) for sequence in sequences), default=0)
    for index in range(longest):
        for sequence in sequences:
            if index < len(sequence):
                result.append(sequence[index])
    return result

# --- tests ---
assert interleave() == []
assert interleave([1, 2], [3]) == [1, 3, 2]
assert interleave([1, 2, 3], [4, 5, 6], [7]) == [1, 4, 7, 2, 5, 3, 6]
