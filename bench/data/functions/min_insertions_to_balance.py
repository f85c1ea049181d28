def min_insertions_to_balance(text: str) -> int:
    """Fewest '(' or ')' to insert so the parentheses in ``text`` are balanced; other characters are ignored."""
    open_count = 0
    insertions = 0
    for char in text:
        if char == "(":
            open_count += 1
        elif char == ")":
            if open_count:
                open_count -= 1
            else:
                insertions += 1
    return insertions + open_count

# --- tests ---
assert min_insertions_to_balance("") == 0
assert min_insertions_to_balance("(()") == 1
assert min_insertions_to_balance("())(") == 2
assert min_insertions_to_balance("(a)(b)") == 0
assert min_insertions_to_balance(")))") == 3
