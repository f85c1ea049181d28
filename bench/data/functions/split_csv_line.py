def split_csv_line(line: str, delimiter: str = ",") -> list[str]:
    """Split one CSV line into fields; double-quoted fields may contain the delimiter and "" for a quote."""
    fields: list[str] = []
    current: list[str] = []
    in_quotes = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_quotes:
            if char == '"' and index + 1 < len(line) and line[index + 1] == '"':
                current.append('"')
                index += 1
            elif char == '"':
                in_quotes = False
            else:
                current.append(char)
        elif char == '"':
            in_quotes = True
        elif char == delimiter:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    fields.append("".join(current))
    return fields

# --- tests ---
assert split_csv_line("a,b,c") == ["a", "b", "c"]
assert split_csv_line('"x, y",z') == ["x, y", "z"]
assert split_csv_line('"say ""hi""",2') == ['say "hi"', "2"]
assert split_csv_line("") == [""]
assert split_csv_line("a;b", delimiter=";") == ["a", "b"]
assert split_csv_line("a,,") == ["a", "", ""]
