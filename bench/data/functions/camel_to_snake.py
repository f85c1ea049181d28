def camel_to_snake(name: str) -> str:
    """Convert ``camelCase`` or ``PascalCase`` to ``snake_case``; runs of capitals stay one word ("HTTPServer" -> "http_server")."""
    result: list[str] = []
    for index, char in enumerate(name):
        if char.isupper():
            previous = name[index - 1] if index > 0 else ""
            following = name[index + 1] if index + 1 < len(name) else ""
            if index > 0 and (previous.islower() or previous.isdigit() or (following.islower() and previous.isupper())):
                result.append("_")
            result.append(char.lower())
        else:
            result.append(char)
    return "".join(result)

# --- tests ---
assert camel_to_snake("camelCase") == "camel_case"
assert camel_to_snake("PascalCaseName") == "pascal_case_name"
assert camel_to_snake("HTTPServer") == "http_server"
assert camel_to_snake("getHTTPResponse2Code") == "get_http_response2_code"
assert camel_to_snake("lower") == "lower"
