def average_wait(arrivals: list[int], service_time: int) -> float:
    """Average time customers wait at a single counter: they arrive at the given (sorted) times and each takes
    ``service_time`` to serve, in arrival order."""
    if not arrivals:
        return 0.0
    free_at = 0
    total_wait = 0
    for arrival in arrivals:
        start = max(arrival, free_at)
        total_wait += start - arrival
        free_at = start + service_time
    return total_wait / len(arrivals)

# --- tests ---
assert average_wait([], 5) == 0.0
assert average_wait([0, 0, 0], 2) == 2.0
assert average_wait([0, 10, 20], 5) == 0.0
assert average_wait([0, 1, 2], 3) == 2.0
