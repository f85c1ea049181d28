import heapq


def merge_sorted(lists: list[list[int]]) -> list[int]:
    """Merge already sorted lists into one sorted list using a heap of (value, list index, position)."""
    heap: list[tuple[int, int, int]] = []
    for which, values in enumerate(lists):
        if values:
            heap.append((values[0], which, 0))
    heapq.heapify(heap)
    merged: list[int] = []
    while heap:
        value, which, position = heapq.heappop(heap)
        merged.append(value)
        if position + 1 < len(lists[which]):
            heapq.heappush(heap, (lists[which][position + 1], which, position + 1))
    return merged

# --- tests ---
assert merge_sorted([]) == []
assert merge_sorted([[1, 4, 7], [2, 5], [], [0, 8]]) == [0, 1, 2, 4, 5, 7, 8]
assert merge_sorted([[1, 1], [1]]) == [1, 1, 1]
