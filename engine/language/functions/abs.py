"""`abs(x)`: the absolute value of a number.

What: x without its sign; unknown if x is unknown.
Why: a change in either direction, e.g. how far a ratio moved from a target.
Example: `abs(revenue - revenue_prior) < revenue_prior * 5%`: revenue moved less than 5%.
"""

from engine.language.functions import Bounds, Function, plain


def bounds(args: list[Bounds | None]) -> Bounds | None:
    if args[0] is None:
        return None
    lo, hi = args[0]
    return (0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))


FUNCTION = Function(
    name="abs",
    min_args=1,
    max_args=1,
    signature="abs(x)",
    scalar=plain(abs),
    words=lambda args, lang: f"abs({args[0]})",
    bounds=bounds,
)
