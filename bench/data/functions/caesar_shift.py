def caesar_shift(text: str, shift: int) -> str:
    """Shift ASCII letters by ``shift`` places, wrapping around and keeping case; other characters stay."""
    result: list[str] = []
    for char in text:
        if "a" <= char <= "z":
            base = ord("a")
        elif "A" <= char <= "Z":
            base = ord("A")
        else:
            result.append(char)
            continue
        result.append(chr(base + (ord(char) - base + shift) % 26))
    return "".join(result)

# --- tests ---
assert caesar_shift("abc", 1) == "bcd"
assert caesar_shift("xyz", 3) == "abc"
assert caesar_shift("Hello, World!", 13) == "Uryyb, Jbeyq!"
assert caesar_shift("Uryyb", -13) == "Hello"
assert caesar_shift("a1 b2", 52) == "a1 b2"
