import re


def slugify(title: str, max_length: int = 50) -> str:
    """A URL slug: lowercase ASCII words joined by hyphens, at most ``max_length`` characters, no trailing hyphen."""
    lowered = title.lower()
    words = re.findall(r"[a-z0-9]+", lowered)
    slug = "-".join(words)
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug

# --- tests ---
assert slugify("Hello, World!") == "hello-world"
assert slugify("  Many   spaces here ") == "many-spaces-here"
assert slugify("") == ""
assert slugify("abc def ghi", max_length=8) == "abc-def"
assert slugify("Python 3.12 release") == "python-3-12-release"
