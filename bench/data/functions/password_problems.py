def password_problems(password: str, min_length: int = 8) -> list[str]:
    """What a password lacks: any of "too short", "no digit", "no lowercase", "no uppercase", "no symbol", in that order."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append("too short")
    if not any(char.isdigit() for char in password):
        problems.append("no digit")
    if not any(char.islower() for char in password):
        problems.append("no lowercase")
    if not any(char.isupper() for char in password):
        problems.append("no uppercase")
    if all(char.isalnum() for char in password):
        problems.append("no symbol")
    return problems

# --- tests ---
assert password_problems("Abcdef1!") == []
assert password_problems("abc") == ["too short", "no digit", "no uppercase", "no symbol"]
assert password_problems("ABCDEFGH1") == ["no lowercase", "no symbol"]
assert password_problems("") == ["too short", "no digit", "no lowercase", "no uppercase", "no symbol"]
