"""The fixed function table of the expression language (scalar implementations).

Every function is total over known values and returns None (unknown) when an
input it needs is unknown. The vectorised evaluator mirrors these semantics.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from engine.model.profile import LEVEL_RANK, EnterpriseProfile, Level


def years_between(start: date, end: date) -> int:
    """Whole years from start to end (an anniversary counts on its day)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def has_title(profile: EnterpriseProfile, as_of: date, code: str, min_level: str | None = None) -> bool | None:
    if profile.titles is None:
        return None
    need = LEVEL_RANK[Level(min_level)] if min_level else 0
    return any(t.title == code and t.active_on(as_of) and (not need or (t.level and LEVEL_RANK[t.level] >= need))
               for t in profile.titles)


def _plain(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Lift a function of known values: unknown if any argument is unknown."""
    def lifted(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)
    return lifted


SCALAR: dict[str, Callable[..., Any]] = {
    "min": _plain(min),
    "max": _plain(max),
    "abs": _plain(abs),
    "years_between": _plain(years_between),
    "starts_with": lambda text, *prefixes: None if text is None else any(str(text).startswith(p) for p in prefixes),
    "one_of": lambda value, *options: None if value is None else value in options,
}
