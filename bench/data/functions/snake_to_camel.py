def snake_to_camel(name: str, upper_first: bool = False) -> str:
    """Convert ``snake_case`` to ``camelCase`` (or ``PascalCase`` with ``upper_first``); leading underscores are kept."""
    stripped = name.lstrip("_")
    leading = name[: len(name) - len(stripped)]
    words = [word for word in stripped.split("_") if word]
    if not words:
        return name
    first = words[0].capitalize() if upper_first else words[0].lower()
    rest = "".join(word.capitalize() for word in words[1:])
    return leading + first + rest

# --- tests ---
assert snake_to_camel("snake_case_name") == "snakeCaseName"
assert snake_to_camel("snake_case", upper_first=True) == "SnakeCase"
assert snake_to_camel("_private_value") == "_privateValue"
assert snake_to_camel("double__underscore") == "doubleUnderscore"
assert snake_to_camel("___") == "___"
