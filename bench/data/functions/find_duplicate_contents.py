def find_duplicate_contents(files: dict[str, str]) -> list[list[str]]:
    """Groups of file names whose contents are identical (only groups of two or more), each group sorted, groups
    ordered by their first name."""
    by_content: dict[str, list[str]] = {}
    for name, content in files.items():
        by_content.setdefault(content, []).append(name)
    groups = [sorted(names) for names in by_content.values() if len(names) > 1]
    groups.sort(key=lambda names: names[0])
    return groups

# --- tests ---
assert find_duplicate_contents({}) == []
files = {"b.txt": "x", "a.txt": "x", "c.txt": "y", "d.txt": "z", "e.txt": "z"}
assert find_duplicate_contents(files) == [["a.txt", "b.txt"], ["d.txt", "e.txt"]]
assert find_duplicate_contents({"one": "1", "two": "2"}) == []
