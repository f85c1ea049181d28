def normalize_scores(scores: dict[str, float]) -> dict[str, float]:
    """Min-max scale the scores to [0, 1]; when all scores are equal every name gets 1.0."""
    if not scores:
        return {}
    lowest = min(scores.values())
    highest = max(scores.values())
    span = highest - lowest
    if span == 0:
        return {name: 1.0 for name in scores}
    return {name: (score - lowest) / span for name, score in scores.items()}

# --- tests ---
assert normalize_scores({}) == {}
assert normalize_scores({"a": 10, "b": 20, "c": 15}) == {"a": 0.0, "b": 1.0, "c": 0.5}
assert normalize_scores({"x": 3, "y": 3}) == {"x": 1.0, "y": 1.0}
