def letter_grade(score: float) -> str:
    """Letter grade for a 0-100 score: A >= 90, B >= 80, C >= 70, D >= 60, else F; ValueError outside 0-100."""
    if not 0 <= score <= 100:
        raise ValueError("score must be between 0 and 100")
    thresholds = [(90, "A"), (80, "B"), (70, "C"), (60, "D")]
    for minimum, grade in thresholds:
        if score >= minimum:
            return grade
    return "F"

# --- tests ---
assert letter_grade(100) == "A"
assert letter_grade(90) == "A"
assert letter_grade(89.9) == "B"
assert letter_grade(70) == "C"
assert letter_grade(60) == "D"
assert letter_grade(0) == "F"
try:
    letter_grade(101)
except ValueError:
    pass
else:
    raise AssertionError("expected ValueError")
