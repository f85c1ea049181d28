"""Text metrics and summaries shared by the benchmark sections.

* **exact match**: the fill equals the reference after :func:`normalize` (trailing whitespace of each line and
  surrounding blank space removed; inner indentation kept, so a wrongly indented block does not match);
* **edit similarity**: ``1 - levenshtein(fill, reference) / max(len)`` on normalized text, in characters
  (1.0 for identical text, 0.0 for nothing in common);
* **no new syntax errors**: tree-sitter finds no more ERROR/MISSING nodes in the filled file than in the
  original one;
* latency percentiles use the nearest-rank method on the sorted samples.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from unmask.grammar.document import parse_document
from unmask.grammar.validate import count_errors


def normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def exact_match(fill: str, reference: str) -> bool:
    return normalize(fill) == normalize(reference)


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def edit_similarity(fill: str, reference: str) -> float:
    a, b = normalize(fill), normalize(reference)
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))


def syntax_errors(text: str, language: str = "python") -> int:
    """ERROR and MISSING nodes in tree-sitter's parse of ``text``."""
    return count_errors(parse_document(text, language).root)


def no_new_syntax_errors(original: str, filled: str, language: str = "python") -> bool:
    """True when ``filled`` (the whole file after the fill) has no more syntax errors than ``original`` (the
    whole file before the span was removed). Stricter than the engine's own check, which compares with the
    file *without* the span, where an empty or broken fill can look harmless."""
    return syntax_errors(filled, language) <= syntax_errors(original, language)


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, ``q`` in 0..100; NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def rate(flags: Sequence[bool | None]) -> float:
    """Share of True among the flags that are not None; NaN when none is known."""
    known = [flag for flag in flags if flag is not None]
    return sum(1 for flag in known if flag) / len(known) if known else math.nan


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Milliseconds: n, p50, p95, mean."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(mean(ms), 2),
    }
