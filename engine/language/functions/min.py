"""`min(a, b, ...)`: the smallest of two or more numbers.

What: the least of its arguments; unknown if any argument is unknown.
Why: caps a benefit at the smaller of what was spent and a ceiling, as the policies word it
("按实际支付利息的 50% 给予贴息，最高不超过 …").
Example: `min(pledge_interest_paid, pledge_loan_amount * 2%)`: the interest paid, at most 2% of the loan.
"""

from engine.language.functions import Function, plain

FUNCTION = Function(
    name="min",
    min_args=2,
    max_args=None,
    signature="min(a, b, ...)",
    scalar=plain(min),
    words=lambda args, lang: f"min({', '.join(args)})",
    bounds=lambda args: None if None in args else (min(a[0] for a in args), min(a[1] for a in args)),  # type: ignore[index]
)
