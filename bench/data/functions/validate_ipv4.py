def validate_ipv4(address: str) -> bool:
    """True for a dotted-quad IPv4 address: four decimal parts 0-255 without leading zeros or signs."""
    parts = address.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part.isdigit() or not part.isascii():
            return False
        if len(part) > 1 and part.startswith("0"):
            return False
        if int(part) > 255:
            return False
    return True

# --- tests ---
assert validate_ipv4("192.168.0.1")
assert validate_ipv4("0.0.0.0")
assert validate_ipv4("255.255.255.255")
assert not validate_ipv4("256.1.1.1")
assert not validate_ipv4("1.2.3")
assert not validate_ipv4("01.2.3.4")
assert not validate_ipv4("1.2.3.-4")
assert not validate_ipv4("a.b.c.d")
