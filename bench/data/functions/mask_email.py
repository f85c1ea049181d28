def mask_email(address: str) -> str:
    """Hide most of an e-mail's local part: keep its first and last character ("jo***hn@x.org"); one- or two-
    character local parts become "*" per character. Raises ValueError when there is no single '@'."""
    if address.count("@") != 1:
        raise ValueError("not an e-mail address")
    local, domain = address.split("@")
    if not local or not domain:
        raise ValueError("not an e-mail address")
    if len(local) <= 2:
        hidden = "*" * len(local)
    else:
        hidden = local[0] + "*" * (len(local) - 2) + local[-1]
    return f"{hidden}@{domain}"

# --- tests ---
assert mask_email("john@example.com") == "j**n@example.com"
assert mask_email("al@x.org") == "**@x.org"
assert mask_email("a@b.c") == "*@b.c"
for bad in ("no-at", "a@b@c", "@x.org"):
    try:
        mask_email(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"expected ValueError for {bad}")
