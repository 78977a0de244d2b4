""" "Did you mean …" for names, keys, titles, enumeration values and policy ids (both languages)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_to(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to `word` (a typo, a wrong case, a missing letter)."""
    pool = sorted({c for c in candidates if isinstance(c, str)})
    by_case = [c for c in pool if c.lower() == word.lower() and c != word]
    return (by_case + [c for c in difflib.get_close_matches(word, pool, n=n, cutoff=0.75) if c not in by_case])[:n]


def did_you_mean(word: str, candidates: Iterable[str]) -> tuple[str, str]:
    """('; did you mean 'x'?', '；是否想写 'x'？') or ('', '') when nothing is close."""
    found = close_to(word, candidates)
    if not found:
        return "", ""
    listed = ", ".join(repr(c) for c in found)
    return f"; did you mean {listed}?", f"；是否想写 {'、'.join(repr(c) for c in found)}？"
