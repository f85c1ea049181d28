def format_bytes(size: int) -> str:
    """Human-readable size in binary units: ``512 B``, ``1.5 KiB``, ``3.0 MiB`` ... up to TiB."""
    if size < 0:
        raise ValueError("size must be non-negative")
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    value = float(size)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")

# --- tests ---
assert format_bytes(0) == "0 B"
assert format_bytes(512) == "512 B"
assert format_bytes(1536) == "1.5 KiB"
assert format_bytes(3 * 1024 ** 2) == "3.0 MiB"
assert format_bytes(5 * 1024 ** 5) == "5120.0 TiB"
