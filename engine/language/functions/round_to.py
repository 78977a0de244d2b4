"""`round_to(x, step)`: a number rounded to the nearest multiple of a step, halves away from zero.

What: x rounded to the nearest multiple of `step` (0.01 for two decimals, 1 for whole numbers,
0.5 for halves), a half step rounding away from zero (四舍五入, as financial rules do, not
banker's rounding); computed in decimal, so `round_to(2.675, 0.01)` is 2.68. Unknown if x or step
is unknown, or if step is not positive.
Why: policies pay amounts "保留两位小数" (0.01 万元, i.e. 100 元) or count whole units; without
rounding in the rule, floating-point residue shows in amounts and thresholds.
Example: `round_to(pledge_interest_paid * 50%, 0.01)`: half the interest paid, in 万元 to two decimals.
"""

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext

from engine.language.functions import Bounds, Function


def round_to(x: float | None, step: float | None) -> float | None:
    if x is None or step is None or not step > 0 or not math.isfinite(x) or not math.isfinite(step):
        return None
    with localcontext(prec=800):  # enough digits for any finite float divided by any positive one
        unit = Decimal(repr(float(step)))
        return float((Decimal(repr(float(x))) / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit)


def bounds(args: list[Bounds | None]) -> Bounds | None:
    """Within half a step of x's range (the step being a known positive number)."""
    x, step = args
    if x is None or step is None or not step[0] > 0:
        return None
    return (x[0] - step[1] / 2, x[1] + step[1] / 2)


FUNCTION = Function(
    name="round_to",
    min_args=2,
    max_args=2,
    signature="round_to(x, step)",
    scalar=round_to,
    words=lambda args, lang: (
        f"四舍五入（{args[0]}，精确到 {args[1]}）" if lang == "zh" else f"round_to({args[0]}, {args[1]})"
    ),
    bounds=bounds,
    numeric=True,
)
