"""`years_between(d1, d2)`: whole years from one date to another.

What: the number of whole years from d1 to d2 (an anniversary counts on its day; negative if d2
is before d1); unknown if either date is unknown.
Why: "成立满一年", "注册三年以内": ages of a firm, a title or a patent at the as-of date.
Example: `years_between(registration_date, as_of) >= 1`.
"""

from datetime import date

from engine.language.functions import Function, plain


def years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


FUNCTION = Function(
    name="years_between",
    min_args=2,
    max_args=2,
    signature="years_between(d1, d2)",
    scalar=plain(years_between),
    words=lambda args, lang: (
        f"{args[0]}至{args[1]}的整年数" if lang == "zh" else f"whole years from {args[0]} to {args[1]}"
    ),
    bounds=lambda args: (float("-inf"), float("inf")),
)
