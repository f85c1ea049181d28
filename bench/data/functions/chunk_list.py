def chunk_list(items: list[int], size: int) -> list[list[int]]:
    """Split ``items`` into consecutive chunks of ``size`` elements; the last chunk may be shorter.

    Raises ValueError for a size below 1.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    chunks: list[list[int]] = []
    for start in range(0, len(items), size):
        chunks.append(items[start : start + size])
    return chunks

# --- tests ---
assert chunk_list([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
assert chunk_list([], 3) == []
assert chunk_list([1, 2, 3], 3) == [[1, 2, 3]]
assert chunk_list([1, 2, 3], 1) == [[1], [2], [3]]
try:
    chunk_list([1], 0)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
